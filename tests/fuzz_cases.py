"""The vocabulary of the SQL fuzzer: odd names, types, operators, functions, odd literals,
and short scripts for the cases issue 12 names."""

from __future__ import annotations

import datetime as dt

#: Names that are keywords, clock words, hidden columns, or need quoting for other reasons.
ODD_NAMES = [
    "if", "select", "constraint", "check", "primary", "order", "group", "table", "key",
    "ttl", "from", "where", "null", "default", "current_date", "current_time",
    "current_timestamp", "__rowid__", "rowid", "my col", 'q"t', "a.b", "naïve", "名前",
    "x y z", "Mixed", "_expires_at", "sys", "values", "cache",
]  # fmt: skip
PLAIN_NAMES = ["t", "u", "w", "a", "b", "c", "d", "e"]
TYPES = [
    "INTEGER", "REAL", "TEXT", "BOOLEAN", "BLOB", "DATE", "TIMESTAMP", "ANY", "",
    "VARCHAR(20)", "BIGINT", "DOUBLE PRECISION", "DATETIME", "NUMERIC(10, 2)", "BOOL",
]  # fmt: skip
BINARY_OPS = [
    "||", "*", "/", "%", "+", "-", "<<", ">>", "&", "|", "<", "<=", ">", ">=", "=", "==",
    "!=", "<>", "IS", "IS NOT", "IS DISTINCT FROM", "IS NOT DISTINCT FROM", "AND", "OR",
    "LIKE", "GLOB", "NOT LIKE", "NOT GLOB",
]  # fmt: skip
FUNCTIONS = [
    "abs", "lower", "upper", "length", "nullif", "round", "substr", "substring", "trim",
    "ltrim", "rtrim", "typeof", "instr", "replace", "hex", "random", "sign", "coalesce",
    "ifnull", "iif", "min", "max", "current_date", "now", "nosuchfn",
    "sqrt", "pow", "exp", "ln", "log", "log2", "ceil", "floor", "trunc", "sin", "atan2",
    "atanh", "degrees", "pi", "mod", "printf", "format", "quote", "char", "unicode", "unhex",
    "concat", "concat_ws", "randomblob", "zeroblob", "date", "time", "datetime", "julianday",
    "unixepoch", "strftime",
]  # fmt: skip
AGGREGATES = ["count", "sum", "total", "avg", "min", "max", "group_concat", "string_agg"]
ODD_LITERALS = [
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e400", "-1e400",
    "-0.0", "0.0", "1e308", "1.7976931348623157e308", "5e-324", ".5", "0x7fffffffffffffff",
    "0xffffffffffffffff", "(1e400 - 1e400)", "(1e400 * 0)", "''", "'it''s'", "'naïve ☃'",
    "'\x00'", "'a\nb'", "x''", "x'00ff'", "NULL", "TRUE", "FALSE", "CURRENT_DATE",
    "CURRENT_TIME", "CURRENT_TIMESTAMP", "DATE '2024-02-29'", "DATE '2023-02-29'",
    "TIMESTAMP '2024-01-01 10:00:00'", "TIMESTAMP '2024-01-01 10:00:00+02:00'",
    "'2024-01-01'", "'2024-01-01T00:00:00+05:30'", "'\ud800'", "'%'", "'_'", "'*'",
    "12345678901234567890123456789012345678901234567890", "1" * 4301,
]  # fmt: skip
_UTC2 = dt.timezone(dt.timedelta(hours=2))
#: Short scripts for the cases issue 12 names, drawn now and then so a short run meets them.
EDGE_CASES = [
    [('CREATE TABLE "if" ("constraint" INTEGER PRIMARY KEY, "select" TEXT)', []),
     ('INSERT INTO "if" VALUES (1, \'x\')', [])],
    [("CREATE TABLE inf_default (a INTEGER PRIMARY KEY, r REAL DEFAULT 1e400 CHECK (r > -1e400))", []),
     ("INSERT INTO inf_default (a) VALUES (1)", [])],
    [("CREATE TABLE vt (a INTEGER)", []), ("CREATE VIEW vv AS SELECT a FROM vt", []),
     ("DROP TABLE vt", [])],
    [('CREATE TABLE rid ("__rowid__" INTEGER, b TEXT)', []),
     ("INSERT INTO rid VALUES (1, 'a')", [])],
    [('CREATE TABLE clock ("current_date" TEXT, "current_time" TEXT)', []),
     ("INSERT INTO clock VALUES ('x', 'y')", []),
     ('CREATE VIEW clockv AS SELECT "current_date", "current_time" FROM clock', [])],
    [("CREATE TABLE tz (t TIMESTAMP)", []), ("CREATE INDEX tz_t ON tz (t)", []),
     ("INSERT INTO tz VALUES (?)", [dt.datetime(2024, 1, 1, 12, tzinfo=_UTC2)]),
     ("INSERT INTO tz VALUES (?)", [dt.datetime(2024, 1, 1, 12)]),
     ("SELECT * FROM tz WHERE t > ? ORDER BY t", [dt.datetime(2023, 1, 1)])],
    [("CREATE TABLE sur (s TEXT)", []), ("INSERT INTO sur VALUES (?)", ["a\ud800"]),
     ("SELECT hex(s), CAST(s AS BLOB) FROM sur", [])],
    [("CREATE TABLE nan (x REAL PRIMARY KEY)", []), ("CREATE INDEX nan_x ON nan (x)", []),
     ("INSERT INTO nan VALUES (?), (?), (1.0), (2.0)", [float("nan"), float("nan")]),
     ("SELECT x FROM nan WHERE x > 0.9 ORDER BY x", [])],
    [("SELECT 9223372036854775807 + 1", [])],
    [("SELECT -0.0, 0.0", [])],
    [("SELECT round(1.5, 1e400), substr('abc', 1e400), round(1e308)", [])],
    [("SELECT group_concat('a', NULL)", [])],
    [("CREATE VIEW pv AS SELECT ?", [1])],
    [("CREATE TABLE chk (a INTEGER, CHECK (a > ?1))", [1]),
     ("INSERT INTO chk VALUES (2)", [])],
    [("CREATE TABLE ctas AS SELECT ? AS y", [{"a": 1}])],
    [("CREATE TABLE empty (a INTEGER)", []), ("SELECT count(*), (SELECT a) FROM empty", [])],
    [("CREATE TABLE seq (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)", []),
     ("INSERT INTO seq VALUES (9223372036854775807, 1)", []),
     ("INSERT INTO seq (v) VALUES (NULL)", []), ("INSERT INTO seq (v) VALUES (1)", [])],
    [("CREATE CACHE TABLE kvc (k PRIMARY KEY, v) WITH (default_ttl = 1e9)", []),
     ("INSERT INTO kvc VALUES (1, 1), ('a', 2), (x'00', 3)", [])],
    [("START TRANSACTION", [])],
    [("SELECT " + "NOT " * 400 + "1", [])],
]  # fmt: skip
