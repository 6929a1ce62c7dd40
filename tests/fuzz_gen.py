"""Random SQL for the fuzzer: statements drawn through hypothesis, aware of the grammar and of
the tables that exist, valid most of the time and broken on purpose some of the time.

Every method takes its randomness from ``draw`` (hypothesis' ``data.draw``), so a run is
reproducible from its seed and hypothesis steers towards boundary values (huge integers,
odd floats, odd text) on its own.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import shutil
import tempfile

from hypothesis import strategies as st

from tests.fuzz_cases import (
    AGGREGATES,
    BINARY_OPS,
    EDGE_CASES,
    FUNCTIONS,
    ODD_LITERALS,
    ODD_NAMES,
    PLAIN_NAMES,
    TYPES,
)
from tests.fuzz_doors import Doors

WINDOW_CALLS = [
    "row_number()", "rank()", "dense_rank()", "percent_rank()", "cume_dist()", "ntile(3)",
    "lag({})", "lead({}, 2, NULL)", "first_value({})", "last_value({})", "nth_value({}, 2)",
]  # fmt: skip

STRING_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(
    ["'", '"', "%", "_", "\\", "\x00", "\ud800", " ", "é"]
)


def quote(name: str) -> str:
    """Quote an identifier the way the grammar's QUOTED_NAME reads it."""
    return '"' + name.replace('"', '""') + '"'


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Model:
    """What the fuzzer believes exists: tables (name → [(column, type)]), views, indexes."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[str, str]]] = {}
        self.cache_tables: set[str] = set()
        self.views: list[str] = []
        self.indexes: list[str] = []

    def refresh(self, conn) -> None:
        """Read the schema back from ``sys.*`` (the engine's truth, not our guess)."""
        tables: dict[str, list] = {}
        self.cache_tables = set()
        for name, kind, *_ in conn.execute("SELECT * FROM sys.tables").fetchall():
            tables[name] = []
            if kind == "cache":
                self.cache_tables.add(name)
        for tname, cname, _pos, ctype, *_ in conn.execute("SELECT * FROM sys.columns").fetchall():
            if tname in tables and cname != "_expires_at":
                tables[tname].append((cname, ctype))
        self.tables = tables
        self.views = [r[0] for r in conn.execute("SELECT name FROM sys.views").fetchall()]
        self.indexes = [r[0] for r in conn.execute("SELECT name FROM sys.indexes").fetchall()]


class Gen(Doors):
    """Draws SQL statements (text plus parameters) for the current ``Model``."""

    def __init__(self, draw, model: Model) -> None:
        self.draw = draw
        self.model = model
        self.params: list = []
        self.pending: list = []
        #: Where COPY writes and reads; made on first use, removed by ``close``.
        self.scratch: str | None = None

    def close(self) -> None:
        """Remove the COPY scratch directory."""
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    # ------------------------------------------------------------ primitives
    def pick(self, seq):
        return self.draw(st.sampled_from(list(seq)))

    def chance(self, p: float) -> bool:
        return self.draw(st.integers(0, 999)) < p * 1000

    def count(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def name(self) -> str:
        if self.chance(0.5):
            return self.pick(PLAIN_NAMES)
        if self.chance(0.85):
            return self.pick(ODD_NAMES)
        return self.draw(st.text(min_size=1, max_size=6))

    def ident(self, name: str) -> str:
        """Quote a name, or sometimes leave a plain one bare (or mis-quote it on purpose)."""
        if name.isidentifier() and name.isascii() and self.chance(0.4):
            return name
        return quote(name)

    # ------------------------------------------------------------ values and parameters
    def literal(self) -> str:
        kind = self.count(0, 5)
        if kind == 0:
            return self.pick(ODD_LITERALS)
        if kind == 1:
            return str(self.draw(st.integers(-(2**70), 2**70)))
        if kind == 2:
            f = self.draw(st.floats(allow_nan=False, allow_infinity=False))
            return repr(f) if "e" in repr(f) or "." in repr(f) else repr(f) + ".0"
        if kind == 3:
            return sql_string(self.draw(st.text(STRING_CHARS, max_size=8)))
        if kind == 4:
            return "x'" + self.draw(st.binary(max_size=6)).hex() + "'"
        return str(self.count(-3, 3))

    def param_value(self):
        return self.draw(
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(-(2**65), 2**65),
                st.floats(),
                st.text(STRING_CHARS, max_size=6),
                st.binary(max_size=4),
                st.dates(),
                st.datetimes(timezones=st.sampled_from([None, dt.timezone.utc])),
                st.sampled_from(
                    [decimal.Decimal("1.5"), bytearray(b"ab"), [1], {"a": 1}, object(), 1j]
                ),
            )
        )

    def placeholder(self) -> str:
        self.params.append(self.param_value())
        return "?"

    # ------------------------------------------------------------ expressions
    def columns_of(self, table: str | None) -> list[str]:
        if table is None or table not in self.model.tables:
            return []
        return [c for c, _ in self.model.tables[table]]

    def expr(self, cols: list[str], depth: int = 0, agg: bool = False) -> str:
        leaf = depth > 3 or self.chance(0.35)
        if leaf:
            r = self.count(0, 9)
            if cols and r < 5:
                return self.ident(self.pick(cols))
            if r == 5 and self.chance(0.5):
                return self.placeholder()
            return self.literal()
        d = depth + 1
        kind = self.count(0, 14)
        if kind <= 3:
            op = self.pick(BINARY_OPS)
            return f"({self.expr(cols, d, agg)} {op} {self.expr(cols, d, agg)})"
        if kind == 4:
            return f"{self.pick(['-', '+', '~', 'NOT '])}{self.expr(cols, d, agg)}"
        if kind == 5:
            ty = self.pick(TYPES[:-1] + ["VARCHAR", "FLOAT", "NOPE"])
            return f"CAST({self.expr(cols, d, agg)} AS {ty or 'TEXT'})"
        if kind == 6:
            fn = self.pick(FUNCTIONS)
            args = ", ".join(self.expr(cols, d, agg) for _ in range(self.count(0, 3)))
            return f"{fn}({args})"
        if kind == 7 and agg:
            fn = self.pick(AGGREGATES)
            if fn == "count" and self.chance(0.3):
                return "count(*)"
            args = ", ".join(self.expr(cols, d) for _ in range(self.count(1, 2)))
            return f"{fn}({'DISTINCT ' if self.chance(0.2) else ''}{args})"
        if kind == 8:
            a, lo, hi = (self.expr(cols, d, agg) for _ in range(3))
            return f"({a} {'NOT ' if self.chance(0.3) else ''}BETWEEN {lo} AND {hi})"
        if kind == 9:
            items = ", ".join(self.expr(cols, d, agg) for _ in range(self.count(0, 3)))
            return f"({self.expr(cols, d, agg)} {'NOT ' if self.chance(0.3) else ''}IN ({items}))"
        if kind == 10:
            whens = " ".join(
                f"WHEN {self.expr(cols, d, agg)} THEN {self.expr(cols, d, agg)}"
                for _ in range(self.count(1, 2))
            )
            return f"CASE {whens} ELSE {self.expr(cols, d, agg)} END"
        if kind == 11 and self.model.tables:
            sub = self.select(depth=d, limit_cols=1)
            return self.pick([f"({sub})", f"EXISTS ({sub})", f"({self.expr(cols, d)} IN ({sub}))"])
        if kind == 12:
            post = self.pick(["ISNULL", "NOTNULL", "NOT NULL", "COLLATE nocase", "COLLATE binary"])
            return f"({self.expr(cols, d, agg)} {post})"
        if kind == 13:
            return f"({self.expr(cols, d, agg)} LIKE {self.expr(cols, d)} ESCAPE {self.literal()})"
        return self.literal()

    def window_call(self, cols: list[str], depth: int) -> str:
        """A window function over a random window: partition, order, frame, EXCLUDE."""
        fn = self.pick(WINDOW_CALLS + [a + "({})" for a in AGGREGATES])
        fn = fn.format(self.expr(cols, depth + 1) if cols else "1")
        if fn.split("(")[0] in AGGREGATES and self.chance(0.15):
            fn += f" FILTER (WHERE {self.expr(cols, depth + 1)})"
        parts = []
        if cols and self.chance(0.5):
            parts.append(f"PARTITION BY {self.ident(self.pick(cols))}")
        if cols and self.chance(0.7):
            desc = self.pick(["", " DESC", " NULLS LAST"])
            parts.append(f"ORDER BY {self.ident(self.pick(cols))}{desc}")
        if self.chance(0.5):
            units = self.pick(["ROWS", "RANGE", "GROUPS"])
            bounds = ["UNBOUNDED PRECEDING", "1 PRECEDING", "CURRENT ROW", "2 FOLLOWING"]
            lo = self.count(0, 3)
            hi = self.count(lo, 3)
            frame = f"{units} BETWEEN {bounds[lo]} AND {bounds[hi]}"
            if self.chance(0.3):
                frame += self.pick([" EXCLUDE CURRENT ROW", " EXCLUDE GROUP", " EXCLUDE TIES"])
            parts.append(frame)
        return f"{fn} OVER ({' '.join(parts)})"

    def deep(self) -> str:
        """Deep nesting: long OR chains, NOT towers, nested subqueries."""
        n = self.count(50, 500)
        kind = self.count(0, 3)
        if kind == 0:
            return "SELECT " + " OR ".join(f"{i} = 1" for i in range(n))
        if kind == 1:
            return "SELECT " + "NOT " * n + "1"
        if kind == 2:
            return "SELECT " + "(SELECT " * (n // 4) + "1" + ")" * (n // 4)
        return "SELECT " + "(" * n + "1" + ")" * n

    # ------------------------------------------------------------ statements
    def table(self) -> str | None:
        if self.model.tables and self.chance(0.9):
            return self.pick(sorted(self.model.tables))
        return self.name() if self.chance(0.5) else None

    def select(self, depth: int = 0, limit_cols: int | None = None) -> str:
        t = self.table()
        cols = self.columns_of(t)
        grouped = self.chance(0.3)
        n = limit_cols or self.count(1, 3)
        items = [self.expr(cols, depth + 1, agg=grouped) for _ in range(n)]
        if limit_cols is None and self.chance(0.15):
            items = ["*"]
        elif limit_cols is None and self.chance(0.2):
            items.append(self.window_call(cols, depth + 1))
        sql = f"SELECT {'DISTINCT ' if self.chance(0.15) else ''}{', '.join(items)}"
        if t is not None:
            sql += f" FROM {self.ident(t)}"
            if self.chance(0.25) and depth < 2:
                other = self.table()
                if other is not None:
                    cols2 = cols + self.columns_of(other)
                    join = self.pick(["JOIN", "LEFT JOIN", "CROSS JOIN", ","])
                    sql += f" {join} {self.ident(other)} AS o2"
                    if join in ("JOIN", "LEFT JOIN"):
                        sql += f" ON {self.expr(cols2, depth + 2)}"
        if self.chance(0.5):
            sql += f" WHERE {self.expr(cols, depth + 1)}"
        if grouped and cols and self.chance(0.6):
            sql += f" GROUP BY {self.ident(self.pick(cols))}"
            if self.chance(0.4):
                sql += f" HAVING {self.expr(cols, depth + 1, agg=True)}"
        if depth == 0 and self.chance(0.2):
            op = self.pick(["UNION", "UNION ALL", "EXCEPT", "INTERSECT"])
            sql += f" {op} " + self.select(depth + 1, limit_cols=n)
        if self.chance(0.3):
            sql += f" ORDER BY {self.count(1, n)}" if self.chance(0.5) else ""
            if "ORDER BY" not in sql and cols:
                sql += f" ORDER BY {self.ident(self.pick(cols))} DESC NULLS FIRST"
        if self.chance(0.2):
            sql += f" LIMIT {self.expr([], 3)}"
            if self.chance(0.3):
                sql += f" OFFSET {self.expr([], 3)}"
        return sql

    def column_def(self) -> str:
        parts = [self.ident(self.name()), self.pick(TYPES)]
        for _ in range(self.count(0, 2)):
            c = self.count(0, 6)
            if c == 0:
                parts.append("PRIMARY KEY")
            elif c == 1:
                parts.append("NOT NULL")
            elif c == 2:
                parts.append("UNIQUE")
            elif c == 3:
                parts.append(f"DEFAULT {self.literal()}")
            elif c == 4:
                parts.append(f"DEFAULT ({self.expr([], 2)})")
            elif c == 5:
                parts.append(f"CHECK ({self.expr([parts[0].strip(chr(34))], 2)})")
            else:
                parts.append(f"COLLATE {self.pick(['nocase', 'binary', quote('no case')])}")
        return " ".join(p for p in parts if p)

    def create_table(self) -> str:
        cache = self.chance(0.25)
        name = self.ident(self.name())
        defs = [self.column_def() for _ in range(self.count(1, 4))]
        if cache and not any("PRIMARY KEY" in d for d in defs):
            defs[0] += " PRIMARY KEY"
        if self.chance(0.2):
            defs.append(f"CHECK ({self.expr([], 2)})")
        if self.chance(0.15):
            defs.append(f"UNIQUE ({self.ident(self.name())})")
        sql = f"CREATE {'CACHE ' if cache else ''}TABLE "
        sql += f"{'IF NOT EXISTS ' if self.chance(0.1) else ''}{name} ({', '.join(defs)})"
        if cache or self.chance(0.05):
            opts = []
            if self.chance(0.5):
                opts.append(f"max_rows = {self.pick(['3', '100', '0', '-1', '1e400'])}")
            if self.chance(0.3):
                mem = self.pick(["'64MB'", "'1KB'", "'x'", "10"])
                opts.append(f"max_memory = {mem}")
            if self.chance(0.5):
                pol = ["'allkeys-lru'", "'allkeys-lfu'", "'volatile-ttl'", "'noeviction'", "'x'"]
                opts.append(f"eviction = {self.pick(pol)}")
            if self.chance(0.3):
                # no TTL that ends during a run: expiry would make digests differ by timing
                ttl = self.pick(["1e9", "1e400", "-5", "'x'"])
                opts.append(f"default_ttl = {ttl}")
            if self.chance(0.2):
                opts.append(f"durable = {self.pick(['true', 'false', '1'])}")
            if opts:
                sql += f" WITH ({', '.join(opts)})"
        return sql

    def insert(self) -> str:
        t = self.table() or self.name()
        cols = self.columns_of(t)
        verb = self.pick(["INSERT", "INSERT", "INSERT OR REPLACE", "INSERT OR IGNORE", "REPLACE"])
        target = cols
        sql = f"{verb} INTO {self.ident(t)}"
        if cols and self.chance(0.4):
            target = [self.pick(cols) for _ in range(self.count(1, len(cols)))]
            sql += f" ({', '.join(self.ident(c) for c in target)})"
        width = len(target) if target and self.chance(0.9) else self.count(1, 3)
        src = self.count(0, 9)
        if src == 0:
            sql += " DEFAULT VALUES"
        elif src == 1:
            sql += " " + self.select(depth=1, limit_cols=width)
        else:
            rows = [
                "(" + ", ".join(self.expr([], 2) for _ in range(width)) + ")"
                for _ in range(self.count(1, 3))
            ]
            sql += " VALUES " + ", ".join(rows)
        if cols and self.chance(0.15):
            action = self.pick(
                [
                    "DO NOTHING",
                    f"DO UPDATE SET {self.ident(self.pick(cols))} = {self.expr(cols, 2)}",
                ]
            )
            sql += f" ON CONFLICT {action}"
        if t in self.model.cache_tables and self.chance(0.4):
            ttl = self.pick(["1e9", "1e400", "-1", "NULL", "'x'", "(0.0/0.0)"])
            sql += f" TTL {ttl}"
        return self.returning(sql, cols)

    def returning(self, sql: str, cols: list[str]) -> str:
        """Sometimes a RETURNING list on a write."""
        if not self.chance(0.15):
            return sql
        if self.chance(0.3):
            return sql + " RETURNING *"
        items = ", ".join(self.expr(cols, 2) for _ in range(self.count(1, 2)))
        return sql + f" RETURNING {items}"

    def update(self) -> str:
        t = self.table() or self.name()
        cols = self.columns_of(t) or [self.name()]
        sets = ", ".join(
            f"{self.ident(self.pick(cols))} = {self.expr(cols, 1)}" for _ in range(self.count(1, 2))
        )
        sql = f"UPDATE {self.ident(t)} SET {sets}"
        if self.chance(0.6):
            sql += f" WHERE {self.expr(cols, 1)}"
        return self.returning(sql, cols)

    def delete(self) -> str:
        t = self.table() or self.name()
        sql = f"DELETE FROM {self.ident(t)}"
        if self.chance(0.7):
            sql += f" WHERE {self.expr(self.columns_of(t), 1)}"
        return self.returning(sql, self.columns_of(t))

    def with_query(self) -> str:
        """A query over a common table expression, plain or recursive."""
        if self.chance(0.5):
            return f"WITH c AS ({self.select(depth=1)}) SELECT * FROM c"
        stop = self.expr([], 3) if self.chance(0.3) else str(self.count(0, 50))
        step = self.pick(["UNION ALL", "UNION"])
        return (
            f"WITH RECURSIVE r(n) AS (SELECT 1 {step} SELECT n + 1 FROM r WHERE n < {stop}) "
            f"SELECT {self.pick(['n', 'count(*)', 'sum(n)', '*'])} FROM r"
        )

    def savepoint(self) -> str:
        """SAVEPOINT, RELEASE or ROLLBACK TO one of a few names (unknown ones fail cleanly)."""
        verb = self.pick(["SAVEPOINT", "SAVEPOINT", "RELEASE", "ROLLBACK TO"])
        return f"{verb} s{self.count(0, 2)}"

    def create_index(self) -> str:
        t = self.table() or self.name()
        cols = self.columns_of(t) or [self.name()]
        keys = ", ".join(self.ident(self.pick(cols)) for _ in range(self.count(1, 2)))
        method = self.pick(["", "USING HASH ", "USING SORTED ", "USING BTREE "])
        unique = "UNIQUE " if self.chance(0.3) else ""
        return f"CREATE {unique}INDEX {self.ident(self.name())} ON {self.ident(t)} {method}({keys})"

    def create_view(self) -> str:
        return f"CREATE VIEW {self.ident(self.name())} AS {self.select(depth=1)}"

    def drop(self) -> str:
        kind = self.count(0, 2)
        if kind == 0:
            pool = sorted(self.model.tables) or [self.name()]
            return f"DROP TABLE {'IF EXISTS ' if self.chance(0.3) else ''}{self.ident(self.pick(pool))}"
        if kind == 1:
            pool = self.model.views or [self.name()]
            return f"DROP VIEW {self.ident(self.pick(pool))}"
        pool = self.model.indexes or [self.name()]
        return f"DROP INDEX {self.ident(self.pick(pool))}"

    def alter(self) -> str:
        """ALTER TABLE in its four forms, on tables (and names) that may or may not fit."""
        table = self.table()
        t = self.ident(table or self.name())
        cols = self.columns_of(table) or [self.name()]
        kind = self.count(0, 3)
        if kind == 0:
            return f"ALTER TABLE {t} ADD {'COLUMN ' if self.chance(0.5) else ''}{self.column_def()}"
        if kind == 1:
            return f"ALTER TABLE {t} DROP COLUMN {self.ident(self.pick(cols))}"
        if kind == 2:
            new = self.ident(self.name())
            return f"ALTER TABLE {t} RENAME COLUMN {self.ident(self.pick(cols))} TO {new}"
        return f"ALTER TABLE {t} RENAME TO {self.ident(self.name())}"

    def ctas(self) -> str:
        return f"CREATE TABLE {self.ident(self.name())} AS {self.select(depth=1)}"

    def copy(self) -> str:
        """COPY to and from files in a scratch directory (and some paths that cannot work)."""
        if self.scratch is None:
            self.scratch = tempfile.mkdtemp(prefix="mtfuzz-copy-")
        name = self.pick(["a", "b", "x" * 300, "nodir/c", ""])
        ext = self.pick([".csv", ".csv", ".parquet", ".arrow", ".txt", ""])
        path = sql_string(os.path.join(self.scratch, name + ext))
        opts = self.pick(
            ["", "", " WITH (HEADER false)", " WITH (FORMAT csv)", " WITH (FORMAT 'x')"]
        )
        t = self.ident(self.table() or self.name())
        if self.chance(0.5):
            return f"COPY {t} FROM {path}{opts}"
        if self.chance(0.3):
            return f"COPY ({self.select(depth=1)}) TO {path}{opts}"
        return f"COPY {t} TO {path}{opts}"

    def statement(self) -> tuple[str, list]:
        """One statement's text and its parameters."""
        self.params = []
        if self.pending:
            return self.pending.pop(0)
        if self.chance(0.04):
            script = self.pick(EDGE_CASES)
            self.pending = list(script[1:])
            return script[0]
        makers = [
            (self.create_table, 10),
            (self.insert, 25),
            (self.update, 8),
            (self.delete, 5),
            (self.select, 15),
            (self.create_index, 5),
            (self.create_view, 4),
            (self.drop, 4),
            (self.ctas, 2),
            (self.alter, 3),
            (self.deep, 1),
            (self.copy, 3),
            (lambda: self.pick(["BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION"]), 3),
            (lambda: "EXPLAIN " + self.select(), 1),
            (self.with_query, 3),
            (self.savepoint, 3),
        ]
        total = sum(w for _, w in makers)
        r = self.count(0, total - 1)
        for make, w in makers:
            if r < w:
                sql = make()
                break
            r -= w
        if self.chance(0.1):
            sql = self.mutate(sql)
        return sql, list(self.params)

    # ------------------------------------------------------------ breaking things
    def mutate(self, sql: str) -> str:
        """A token-level mutation of a statement: drop, repeat, swap or insert a token."""
        tokens = sql.replace("(", " ( ").replace(")", " ) ").replace(",", " , ").split()
        if not tokens:
            return sql
        i = self.count(0, len(tokens) - 1)
        op = self.count(0, 3)
        if op == 0:
            del tokens[i]
        elif op == 1:
            tokens.insert(i, tokens[i])
        elif op == 2:
            j = self.count(0, len(tokens) - 1)
            tokens[i], tokens[j] = tokens[j], tokens[i]
        else:
            extra = ["(", ")", ",", "NULL", "SELECT", "?", "?1", ":x", "*", "--", "/*", "'", '"']
            tokens.insert(i, self.pick(extra + ODD_LITERALS[:8]))
        self.params.extend(self.param_value() for _ in range(sum(t == "?" for t in tokens)))
        return " ".join(tokens)
