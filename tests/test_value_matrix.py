"""Type × operator matrix: every column type, with NULLs and extreme values, through every
operator, scalar function, CAST, aggregate, comparison, ORDER BY and both index kinds.

The contract checked everywhere: a statement either returns rows or raises a
``memtables.Error`` that memtables raised on purpose — never ``InternalError``, and never a
raw Python exception wrapped on its way out (an error whose ``__cause__`` is a TypeError,
OverflowError ...). Where the dialects agree (numbers, text and blobs in sqlite3 STRICT
tables), results must match sqlite3's; the one deliberate difference is 64-bit overflow,
which memtables refuses ("integer overflow", as PostgreSQL does) where SQLite switches
to REAL. Index scans must return what a full scan returns.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3

import pytest
from memtables.sql.functions import FUNCTIONS

import memtables
from tests.test_differential import row_key, same_rows

INT_MAX = (1 << 63) - 1
INT_MIN = -(1 << 63)
INF = float("inf")

SAMPLES = {
    "INTEGER": [None, 0, 1, -7, INT_MAX, -INT_MAX, INT_MIN, 42],
    "REAL": [None, 0.0, -0.0, 1.5, -2.5, INF, -INF, 1e308],
    "TEXT": [None, "", "abc", "ÄÖü ß", "\U0001f600", "12", " 3.5e2x", "2020-01-01", "a'b%_"],
    "BOOLEAN": [None, True, False, True],
    "BLOB": [None, b"", b"\x00\xff", b"abc"],
    "DATE": [None, dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2020, 2, 29)],
    "TIMESTAMP": [
        None,
        dt.datetime(1, 1, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
        dt.datetime(2020, 2, 29, 12, 30),
    ],
    "ANY": [None, INT_MIN, -0.0, "", b"\x00", True, dt.date(2020, 1, 1), dt.datetime(2020, 1, 1)],
}
TYPES = list(SAMPLES)
COLS = {t: f"c_{t.lower()}" for t in TYPES}
N = max(len(v) for v in SAMPLES.values())
#: the types sqlite3 STRICT tables share with memtables
SHARED = ("INTEGER", "REAL", "TEXT", "BLOB")

BINARY = ["+", "-", "*", "/", "%", "||", "&", "|", "<<", ">>"]
COMPARE = ["=", "==", "!=", "<>", "<", "<=", ">", ">=", "IS", "IS NOT"]
LOGIC = ["AND", "OR", "LIKE", "GLOB", "NOT LIKE"]
UNARY = ["-", "+", "~", "NOT"]
AGGREGATES = [
    "count({})",
    "count(DISTINCT {})",
    "sum({})",
    "total({})",
    "avg({})",
    "min({})",
    "max({})",
    "group_concat({})",
    "string_agg({}, '-')",
]
NUMERIC_PAIRS = {("INTEGER", "INTEGER"), ("INTEGER", "REAL"), ("REAL", "INTEGER"), ("REAL", "REAL")}


def column_values(t: str) -> list:
    """N values for a column of type ``t``: its samples, repeated to fill the rows."""
    return list(itertools.islice(itertools.cycle(SAMPLES[t]), N))


def rows() -> list:
    cols = [column_values(t) for t in TYPES]
    return [(k, *vals) for k, vals in enumerate(zip(*cols))]


class Matrix:
    """One memtables database (table ``m``, plus copies under hash and sorted indexes) and
    the same numbers, text and blobs in a sqlite3 STRICT table."""

    def __init__(self) -> None:
        self.m = memtables.connect()
        self.s = sqlite3.connect(":memory:")
        defs = ", ".join(f"{COLS[t]} {t}" for t in TYPES)
        data = rows()
        marks = ", ".join("?" * (len(TYPES) + 1))
        for name in ("m", "mh", "ms"):
            self.m.execute(f"CREATE TABLE {name} (k INTEGER PRIMARY KEY, {defs})")
            self.m.executemany(f"INSERT INTO {name} VALUES ({marks})", data)
        for t in TYPES:
            self.m.execute(f"CREATE INDEX h_{t} ON mh USING HASH ({COLS[t]})")
            self.m.execute(f"CREATE INDEX s_{t} ON ms USING SORTED ({COLS[t]})")
        self.m.commit()
        shared = ", ".join(f"{COLS[t]} {t}" for t in SHARED)
        self.s.execute(f"CREATE TABLE m (k INTEGER PRIMARY KEY, {shared}) STRICT")
        pos = [TYPES.index(t) + 1 for t in SHARED]
        self.s.executemany(
            f"INSERT INTO m VALUES (?{', ?' * len(SHARED)})",
            [(r[0], *(r[p] for p in pos)) for r in data],
        )
        self.queries = 0

    def run(self, sql: str, params=()) -> tuple[list | None, memtables.Error | None]:
        """memtables' rows, or the error it raised; fails on any error outside the contract."""
        self.queries += 1
        try:
            return self.m.execute(sql, params).fetchall(), None
        except memtables.InternalError as e:
            raise AssertionError(f"InternalError {e}\nSQL: {sql}\nparams: {params!r}") from e
        except memtables.Error as e:
            cause = e.__cause__
            if cause is not None and not isinstance(cause, memtables.Error):
                raise AssertionError(
                    f"raw {type(cause).__name__} wrapped as {type(e).__name__}: {e}"
                    f"\nSQL: {sql}\nparams: {params!r}"
                ) from e
            return None, e
        except Exception as e:
            raise AssertionError(f"raw {e!r}\nSQL: {sql}\nparams: {params!r}") from e

    def compare(self, sql: str, ordered: bool = False) -> None:
        """Run ``sql`` in both databases; results agree, or memtables refused an overflow
        that sqlite3 turned into REAL, or both refused."""
        got, err = self.run(sql)
        try:
            expected = self.s.execute(sql).fetchall()
        except sqlite3.Error as e:
            if err is None and str(e) == "integer overflow" and "sum(" in sql:
                # sqlite3 fails when a partial sum overflows; memtables only when the sum does
                assert all(INT_MIN <= v <= INT_MAX for r in got for v in r if type(v) is int)
                return
            assert err is not None, f"sqlite3 raised {e!r}, memtables returned {got!r}\n{sql}"
            return
        if err is not None:
            assert "integer overflow" in str(err), f"{err!r}; sqlite3 gave {expected!r}\n{sql}"
            assert (
                any(type(v) is float and abs(v) >= 2.0**63 for r in expected for v in r)
                or "sum(" in sql
            ), f"memtables: {err}; sqlite3 did not overflow\n{sql}"
            return
        if not ordered:
            got, expected = sorted(got, key=row_key), sorted(expected, key=row_key)
        assert same_rows(got, expected), f"\n{sql}\nmemtables: {got!r}\nsqlite3:   {expected!r}"


@pytest.fixture(scope="module")
def mx():
    m = Matrix()
    yield m
    m.m.close()
    m.s.close()


PAIRS = list(itertools.product(TYPES, TYPES))


@pytest.mark.parametrize("op", BINARY + COMPARE + LOGIC)
def test_binary_operators(mx, op):
    for a, b in PAIRS:
        sql = f"SELECT x.k, y.k, x.{COLS[a]} {op} y.{COLS[b]} FROM m AS x, m AS y"
        if op in BINARY[:5] and (a, b) in NUMERIC_PAIRS:
            mx.compare(sql)
        elif op in BINARY[6:] and a == b == "INTEGER":
            mx.compare(sql)
        elif op in COMPARE and (a == b and a in SHARED or (a, b) in NUMERIC_PAIRS):
            mx.compare(sql)
        else:
            mx.run(sql)


@pytest.mark.parametrize("op", UNARY)
def test_unary_operators(mx, op):
    for t in TYPES:
        sql = f"SELECT k, {op} {COLS[t]} FROM m"
        if op != "NOT" and t in ("INTEGER", "REAL") and not (op == "~" and t == "REAL"):
            mx.compare(sql)
        else:
            mx.run(sql)


# argument types for which sqlite3 gives the same results (no REAL printed as text, no
# position or precision beyond 32 bits: sqlite3 truncates those to int)
_SAME_IN_SQLITE = {
    "abs": {("INTEGER",), ("REAL",)},
    "sign": {("INTEGER",), ("REAL",)},
    "typeof": {(t,) for t in SHARED},
    "lower": {("TEXT",), ("INTEGER",)},
    "upper": {("TEXT",), ("INTEGER",)},
    "length": {("TEXT",), ("BLOB",), ("INTEGER",)},
    "hex": {("TEXT",), ("BLOB",), ("INTEGER",)},
    "trim": {("TEXT",), ("TEXT", "TEXT")},
    "ltrim": {("TEXT",), ("TEXT", "TEXT")},
    "rtrim": {("TEXT",), ("TEXT", "TEXT")},
    "round": {("REAL",)},
    "nullif": {("INTEGER", "INTEGER"), ("TEXT", "TEXT"), ("BLOB", "BLOB"), ("REAL", "REAL")},
    "instr": {("TEXT", "TEXT"), ("BLOB", "BLOB")},
    "coalesce": {("INTEGER", "INTEGER"), ("TEXT", "TEXT"), ("BLOB", "BLOB")},
    "ifnull": {("INTEGER", "INTEGER"), ("TEXT", "TEXT"), ("BLOB", "BLOB")},
}
_NUMBERS = {("INTEGER",), ("REAL",)}
_SAME_IN_SQLITE.update(
    {
        f: _NUMBERS
        for f in (
            "sqrt", "exp", "ln", "log", "log10", "log2", "sin", "cos", "tan", "asin", "acos",
            "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "degrees", "radians",
            "ceil", "ceiling", "floor", "trunc",
        )
    }
)  # fmt: skip
# REAL pairs differ only where -0.0 is an argument: sqlite3 stores it as 0.0
_SAME_IN_SQLITE.update({f: {("INTEGER", "INTEGER")} for f in ("pow", "power", "atan2")})
_SAME_IN_SQLITE["mod"] = {("INTEGER", "INTEGER"), ("REAL", "REAL")}
_SAME_IN_SQLITE.update(
    quote={("INTEGER",), ("TEXT",), ("BLOB",)},
    unicode={("TEXT",), ("INTEGER",)},
    char={("INTEGER",)},
    printf={("TEXT",), ("TEXT", "INTEGER"), ("TEXT", "TEXT")},
    format={("TEXT",), ("TEXT", "INTEGER"), ("TEXT", "TEXT")},
)
# the date functions read every shared type as sqlite3 does (DATE/TIMESTAMP: tests/test_datetime)
_SAME_IN_SQLITE.update(
    {
        f: set(itertools.product(SHARED, repeat=1)) | set(itertools.product(SHARED, repeat=2))
        for f in ("date", "time", "datetime", "julianday", "unixepoch", "strftime")
    }
)
# ... but strftime's format is text: a REAL one shows -0.0, which sqlite3 stores as 0.0
_SAME_IN_SQLITE["strftime"] = {t for t in _SAME_IN_SQLITE["strftime"] if t[0] != "REAL"}
_CLOCK = {"random", "randomblob", "current_date", "current_time", "current_timestamp", "now"}


@pytest.mark.parametrize("name", sorted(set(FUNCTIONS) - _CLOCK) + ["coalesce", "ifnull", "iif"])
def test_scalar_functions(mx, name):
    fn = FUNCTIONS.get(name)
    low, high = (fn.min_args, fn.max_args) if fn else ((3, 3) if name == "iif" else (2, 2))
    high = min(high, low + 2)  # variadic ones (printf, char, concat): a few counts
    shared = _SAME_IN_SQLITE.get(name, set())
    for n in range(low, high + 1):
        for types in itertools.product(TYPES, repeat=min(n, 2)):
            args = [f"x.{COLS[t]}" for t in types[:1]] + [f"y.{COLS[t]}" for t in types[1:]]
            args += ["x.c_integer"] * (n - len(args))
            sql = f"SELECT x.k, y.k, {name}({', '.join(args)}) FROM m AS x, m AS y"
            if types in shared and n == len(types):
                mx.compare(sql)
            else:
                mx.run(sql)


def test_scalar_min_max(mx):
    for a, b in PAIRS:
        for f in ("min", "max"):
            sql = f"SELECT x.k, y.k, {f}(x.{COLS[a]}, y.{COLS[b]}) FROM m AS x, m AS y"
            if (a, b) in NUMERIC_PAIRS or a == b and a in SHARED:
                mx.compare(sql)
            else:
                mx.run(sql)


@pytest.mark.parametrize("source", TYPES)
def test_cast(mx, source):
    for target in TYPES + ["NUMERIC"]:
        sql = f"SELECT k, CAST({COLS[source]} AS {target}) FROM m"
        numeric = source in ("INTEGER", "REAL") and target in ("INTEGER", "REAL", "NUMERIC")
        if numeric or source == "TEXT" and target in ("INTEGER", "TEXT"):
            mx.compare(sql)
        else:
            mx.run(sql)


@pytest.mark.parametrize("column", TYPES)
def test_aggregates(mx, column):
    c = COLS[column]
    for agg in AGGREGATES:
        call = agg.format(c)
        for sql in (f"SELECT {call} FROM m", f"SELECT {call} FROM m GROUP BY k % 2"):
            if column in ("INTEGER", "REAL") and "concat" not in agg and "agg" not in agg:
                mx.compare(sql)
            else:
                mx.run(sql)
    for t in TYPES:  # grouping by every type
        mx.run(f"SELECT {COLS[t]}, count(*), min({c}), max({c}) FROM m GROUP BY {COLS[t]}")


@pytest.mark.parametrize("column", TYPES)
def test_order_by(mx, column):
    c = COLS[column]
    for direction in ("", " DESC", " NULLS LAST", " DESC NULLS FIRST"):
        sql = f"SELECT {c}, k FROM m ORDER BY {c}{direction}, k"
        if column in SHARED and "NULLS" not in direction:
            mx.compare(sql, ordered=True)
        else:
            got, err = mx.run(sql)
            assert err is None, f"{err!r}\n{sql}"
    got, err = mx.run(f"SELECT {c} FROM m ORDER BY {c} LIMIT 3")  # the top-N path
    assert err is None, err


def _same_as_scan(mx, where: str, params: tuple) -> None:
    results = []
    for table in ("m", "mh", "ms"):
        got, err = mx.run(f"SELECT k FROM {table} WHERE {where} ORDER BY k", params)
        results.append(("error", type(err)) if err is not None else got)
    assert results[0] == results[1] == results[2], f"WHERE {where} {params!r}: {results}"


@pytest.mark.parametrize("column", TYPES)
def test_index_lookups_match_scans(mx, column):
    c = COLS[column]
    probes = [v for t in TYPES for v in SAMPLES[t][1:]]
    for v in probes:
        for op in ("=", "<", "<=", ">", ">=", "!="):
            _same_as_scan(mx, f"{c} {op} ?", (v,))
        _same_as_scan(mx, f"{c} IS ?", (v,))
        _same_as_scan(mx, f"{c} IN (?, NULL)", (v,))
    _same_as_scan(mx, f"{c} IS NULL", ())
    _same_as_scan(mx, f"{c} BETWEEN ? AND ?", (SAMPLES[column][1], SAMPLES[column][2]))
    for table in ("m", "ms"):
        got, err = mx.run(f"SELECT min({c}), max({c}) FROM {table}")
        assert err is None, err
        got = [tuple(map(_instant, r)) for r in got]  # equal extremes may differ in form
        if table == "m":
            scan = got
        else:
            assert got == scan, (column, got, scan)


def _instant(v):
    """A date as its midnight, which SQL holds equal to it."""
    if type(v) is dt.date:
        return dt.datetime(v.year, v.month, v.day)
    return v
