"""Schema round trip: every committed durable database reopens equal, from the log and from a
snapshot (issue 12).

Hypothesis builds random schemas (keyword, spaced, quoted, dotted and non-ASCII names; every
type; DEFAULTs and CHECKs with odd literals; composite keys, UNIQUE, both index kinds; cache
tables with every option; views over joins, subqueries and other views; drops and
re-creations) and fills them with odd values. The database is closed and reopened from its
redo log, then checkpointed and reopened from the snapshot: the system tables, the rows, what
each view returns and how DEFAULTs and CHECKs behave must be the same each time.

The run is derandomized and bounded for the suite; set ``MEMTABLES_ROUNDTRIP_EXAMPLES`` (for
example to 2000) for a longer search.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import memtables

EXAMPLES = int(os.environ.get("MEMTABLES_ROUNDTRIP_EXAMPLES", "100"))
TYPES = ["INTEGER", "REAL", "TEXT", "BOOLEAN", "BLOB", "DATE", "TIMESTAMP", "ANY"]
ODD_NAMES = [
    "select",
    "from",
    "order",
    "key",
    "date",
    "text",
    "check",
    "primary",
    "if",
    "constraint",
    "current_date",
    "current_time",
    "current_timestamp",
    "__rowid__",
    "my col",
    'say "hi"',
    "d.ot",
    "ünï",
    "名前",
    "Mixed",
    "ttl",
    "timestamp",
    "hash",
    "sorted",
    "snapshot",
    "level",
    "isolation",
    "nothing",
    "conflict",
    "cache",
]
AWARE = dt.timezone(dt.timedelta(hours=5, minutes=30))
POOL = {
    "INTEGER": [0, -1, 42, 2**63 - 1, -(2**63)],
    "REAL": [1.5, -0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308],
    "TEXT": ["", "it's", 'say "hi"', "ünïcødé 名前 😀", "line\nbreak", "nul\x00", "1e400"],
    "BOOLEAN": [True, False],
    "BLOB": [b"", b"\x00\xff", bytes(range(8))],
    "DATE": [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29)],
    "TIMESTAMP": [
        dt.datetime(1, 1, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
        dt.datetime(2024, 1, 2, 3, 4, 5, 6),
    ],
    "AWARE": [
        dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=AWARE),
        dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc),
    ],
    "ANY": [7, 2.5, math.inf, "x'y", b"\x01", dt.date(2020, 1, 1), True],
}
DEFAULTS = {
    "INTEGER": ["9223372036854775807", "-9223372036854775808", "0", "(1 + 2)"],
    "REAL": ["1e400", "-1e400", "-0.0", "2.5e-300", "(1e400 - 1e400)"],
    "TEXT": ["'it''s'", "''", "'名前'", "'a\"b'", "'inf'"],
    "BOOLEAN": ["TRUE", "FALSE"],
    "BLOB": ["X'00FF'", "X''"],
    "DATE": ["DATE '2024-02-29'", "DATE '0001-01-01'"],
    "TIMESTAMP": ["TIMESTAMP '2024-01-02 03:04:05.000006'"],
    "ANY": ["'x'", "1e400", "NULL", "X'01'"],
}
# A value each CHECK forbids (never among the values rows get), and its literal.
FORBIDDEN = {
    "INTEGER": (-777, "-777"),
    "REAL": (-math.inf, "-1e400"),
    "TEXT": ("no'pe", "'no''pe'"),
    "BOOLEAN": (False, "FALSE"),
    "BLOB": (b"\xde\xad", "X'DEAD'"),
    "DATE": (dt.date(1999, 12, 31), "DATE '1999-12-31'"),
    "TIMESTAMP": (dt.datetime(1999, 12, 31, 23, 59, 59), "TIMESTAMP '1999-12-31 23:59:59'"),
    "ANY": ("no", "'no'"),
}
POLICIES = ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru"]


def q(name: str) -> str:
    """Quote every name the test writes: the engine's renderer must do its own quoting."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(eq=False)
class Col:
    name: str
    type: str
    distinct: bool = False  # part of the key or of a UNIQUE constraint: values from a counter
    not_null: bool = False
    aware: bool = False  # a TIMESTAMP column holding timezone-aware values
    default: str | None = None
    check: bool = False


@dataclass
class Table:
    name: str
    cols: list[Col]
    cache: bool = False
    counter: int = 0
    indexes: list[str] = field(default_factory=list)


def distinct_value(c: Col, i: int):
    t = c.type
    if t == "INTEGER":
        return i
    if t == "REAL":
        return i + 0.25
    if t == "TEXT":
        return f"k{i} 'é\""
    if t == "BLOB":
        return i.to_bytes(4, "big")
    if t == "DATE":
        return dt.date(2000, 1, 1) + dt.timedelta(days=i)
    if t == "TIMESTAMP":
        return dt.datetime(2000, 1, 1) + dt.timedelta(seconds=i, microseconds=i)
    return f"any{i}"


class Builder:
    """Draws statements that are valid for the schema built so far, and runs them."""

    def __init__(self, data, conn):
        self.data = data
        self.conn = conn
        self.tables: dict[str, Table] = {}
        self.views: dict[str, str] = {}
        self.seq = 0

    def draw(self, strategy):
        return self.data.draw(strategy)

    def fresh_name(self, taken) -> str:
        low = {n.lower() for n in taken}
        candidates = [n for n in ODD_NAMES if n.lower() not in low]
        self.seq += 1
        if candidates and self.draw(st.booleans()):
            return self.draw(st.sampled_from(candidates))
        return f"n{self.seq}"

    def object_names(self) -> list[str]:
        indexes = [ix for t in self.tables.values() for ix in t.indexes]
        return [t.name for t in self.tables.values()] + list(self.views) + indexes

    def run(self, sql: str, params=()) -> None:
        self.conn.execute(sql, params)

    # ------------------------------------------------------------ tables
    def create_table(self, cache: bool) -> None:
        name = self.fresh_name(self.object_names())
        cols: list[Col] = []
        hidden = ["_expires_at"] if cache else []  # a cache table's hidden expiry column
        for _ in range(self.draw(st.integers(1, 5))):
            cname = self.fresh_name([c.name for c in cols] + hidden)
            ctype = self.draw(st.sampled_from(TYPES))
            cols.append(Col(cname, ctype))
        keyable = [c for c in cols if c.type != "BOOLEAN"]
        if cache and not keyable:
            cols.append(Col(self.fresh_name([c.name for c in cols] + ["_expires_at"]), "TEXT"))
            keyable = cols[-1:]
        key = []
        if keyable and (cache or self.draw(st.booleans())):
            key = self.draw(st.lists(st.sampled_from(keyable), min_size=1, max_size=2, unique=True))
        uniques = []
        if len(keyable) > 1 and self.draw(st.booleans()):
            uniques.append(self.draw(st.lists(st.sampled_from(keyable), min_size=1, unique=True)))
        for c in key + [c for u in uniques for c in u]:
            c.distinct = True
        parts = []
        for c in cols:
            if c.type == "TIMESTAMP" and not c.distinct and self.draw(st.booleans()):
                c.aware = True
            p = f"{q(c.name)}{'' if c.type == 'ANY' else ' ' + c.type}"
            if not c.distinct and self.draw(st.integers(0, 3)) == 0:
                c.not_null = True
                p += " NOT NULL"
            if not c.aware and self.draw(st.booleans()):
                c.default = self.draw(st.sampled_from(DEFAULTS[c.type]))
                p += f" DEFAULT {c.default}"
            if not c.aware and self.draw(st.integers(0, 2)) == 0:
                c.check = True
                p += f" CHECK ({q(c.name)} <> {FORBIDDEN[c.type][1]})"
            if c.type == "TEXT" and self.draw(st.integers(0, 4)) == 0:
                p += ' COLLATE "no case"'
            parts.append(p)
        if key:
            parts.append("PRIMARY KEY (" + ", ".join(q(c.name) for c in key) + ")")
        for u in uniques:
            parts.append("UNIQUE (" + ", ".join(q(c.name) for c in u) + ")")
        head = "CREATE CACHE TABLE" if cache else "CREATE TABLE"
        sql = f"{head} {q(name)} (" + ", ".join(parts) + ")"
        options = self.cache_options() if cache else []
        if options:
            sql += " WITH (" + ", ".join(options) + ")"
        self.run(sql)
        self.tables[name.lower()] = Table(name, cols, cache)

    def cache_options(self) -> list[str]:
        options = {
            "max_rows": str(self.draw(st.integers(1000, 10**6))),
            "max_memory": self.draw(st.sampled_from(["'64MB'", "'1GB'", "123456789"])),
            "eviction": "'" + self.draw(st.sampled_from(POLICIES)) + "'",
            "default_ttl": self.draw(st.sampled_from(["3600", "1e300", "86400.5"])),
            "lfu_decay": self.draw(st.sampled_from(["1", "0.5", "0"])),
        }
        chosen = self.draw(st.lists(st.sampled_from(sorted(options)), unique=True))
        return [f"{k} = {options[k]}" for k in chosen]

    def drop_table(self) -> None:
        t = self.pick_table()
        self.run(f"DROP TABLE {q(t.name)}")
        del self.tables[t.name.lower()]

    def pick_table(self) -> Table:
        return self.draw(st.sampled_from(sorted(self.tables.values(), key=lambda t: t.name)))

    def create_index(self) -> None:
        t = self.pick_table()
        usable = [c for c in t.cols if not c.aware and c.type not in ("ANY", "BOOLEAN")]
        if not usable:
            return
        cols = self.draw(st.lists(st.sampled_from(usable), min_size=1, max_size=2, unique=True))
        unique = all(c.distinct for c in cols) and self.draw(st.booleans())
        method = self.draw(st.sampled_from(["HASH", "SORTED"]))
        desc = " DESC" if method == "SORTED" and self.draw(st.booleans()) else ""
        name = self.fresh_name(self.object_names())
        self.run(
            f"CREATE {'UNIQUE ' if unique else ''}INDEX {q(name)} ON {q(t.name)} USING {method} ("
            + ", ".join(q(c.name) + desc for c in cols)
            + ")"
        )
        t.indexes.append(name)

    # ------------------------------------------------------------ rows
    def value(self, t: Table, c: Col, i: int):
        if c.distinct:
            return distinct_value(c, i)
        pool = allowed(c)
        if c.type == "REAL":
            pool = pool + [math.nan]
        choices = pool if c.not_null else pool + [None]
        return self.draw(st.sampled_from(choices))

    def insert_rows(self) -> None:
        t = self.pick_table()
        n = self.draw(st.integers(1, 4))
        rows = []
        for _ in range(n):
            t.counter += 1
            rows.append(tuple(self.value(t, c, t.counter) for c in t.cols))
        marks = ", ".join("?" * len(t.cols))
        ttl = " TTL 100000" if t.cache and self.draw(st.booleans()) else ""
        self.conn.executemany(f"INSERT INTO {q(t.name)} VALUES ({marks}){ttl}", rows)

    def delete_rows(self) -> None:
        t = self.pick_table()
        c = self.draw(st.sampled_from(t.cols))
        self.run(f"DELETE FROM {q(t.name)} WHERE {q(c.name)} IS NULL")

    # ------------------------------------------------------------ views
    def create_view(self) -> None:
        kinds = ["table", "literals"]
        if len(self.tables) > 1:
            kinds += ["join", "subquery"]
        if self.views:
            kinds.append("view")
        kind = self.draw(st.sampled_from(kinds))
        if kind == "literals":
            body = "SELECT 1e400 AS inf, -1e400, -0.0 AS z, 'it''s' AS s, X'00' AS b"
        elif kind == "view":
            v = self.draw(st.sampled_from(sorted(self.views)))
            body = f"SELECT * FROM {q(self.views[v])} WHERE CURRENT_DATE IS NOT NULL"
        else:
            t = self.pick_table()
            c = self.draw(st.sampled_from(t.cols))
            cols = ", ".join(q(x.name) for x in t.cols)
            body = f"SELECT {cols} FROM {q(t.name)} WHERE {q(c.name)} IS NOT NULL"
            if kind != "table":
                u = self.draw(st.sampled_from([x for x in self.tables.values() if x is not t]))
                d = self.draw(st.sampled_from(u.cols))
                if kind == "join":
                    a, b = self.draw(st.sampled_from([("a", "b"), ("x.y", "select"), ("é", "a b")]))
                    body = (
                        f"SELECT {q(a)}.{q(c.name)}, {q(b)}.{q(d.name)} AS {q(d.name + ' b')} "
                        f"FROM {q(t.name)} AS {q(a)} CROSS JOIN {q(u.name)} AS {q(b)}"
                    )
                else:
                    body = (
                        f"SELECT {q(c.name)}, (SELECT count(*) FROM {q(u.name)}) AS n FROM "
                        f"{q(t.name)} WHERE EXISTS (SELECT 1 FROM {q(u.name)} WHERE "
                        f"{q(d.name)} IS NOT NULL) OR {q(c.name)} IN (SELECT {q(c.name)} "
                        f"FROM {q(t.name)})"
                    )
        name = self.fresh_name(self.object_names())
        columns = ""
        if kind == "table" and self.draw(st.booleans()):
            names = [f"{self.fresh_name([])} {i}" for i in range(len(t.cols))]
            columns = " (" + ", ".join(q(n) for n in names) + ")"
        try:
            self.run(f"CREATE VIEW {q(name)}{columns} AS {body}")
        except memtables.UndefinedTable:
            return  # over a view whose table was dropped: refused, as it should be
        self.views[name.lower()] = name

    def drop_view(self) -> None:
        v = self.draw(st.sampled_from(sorted(self.views)))
        self.run(f"DROP VIEW {q(self.views.pop(v))}")

    def step(self) -> None:
        ops = [("table", 4), ("cache", 2)]
        if self.tables:
            ops += [("rows", 6), ("index", 2), ("view", 3), ("delete", 1), ("drop", 1)]
        if self.views:
            ops.append(("drop_view", 1))
        op = self.draw(st.sampled_from([o for o, w in ops for _ in range(w)]))
        {
            "table": lambda: self.create_table(False),
            "cache": lambda: self.create_table(True),
            "rows": self.insert_rows,
            "index": self.create_index,
            "view": self.create_view,
            "delete": self.delete_rows,
            "drop": self.drop_table,
            "drop_view": self.drop_view,
        }[op]()
        self.conn.commit()


# ---------------------------------------------------------------- comparing databases
def norm(v):
    """A value in a comparable form: floats by repr (so -0.0, NaN and infinities count).
    Timestamps compare as they are: aware ones are stored as naive UTC on the way in, so a
    reopen must give back exactly what was read before it."""
    if isinstance(v, float):
        return ("float", repr(v))
    if isinstance(v, tuple):
        return tuple(norm(x) for x in v)
    return v


def rows_of(conn, sql: str, params=()):
    try:
        cur = conn.execute(sql, params)
        rows = cur.fetchall()
    except memtables.Error as e:
        return type(e).__name__
    names = [d[0] for d in cur.description]
    return names, sorted((norm(r) for r in rows), key=repr)


def probes(conn, model: Builder) -> dict:
    """How each table's DEFAULTs and CHECKs behave: a fresh row without the defaulted column
    reads back its default; a row with the forbidden value is refused. Rolled back."""
    out = {}
    for t in model.tables.values():
        t.counter += 1
        row = {c.name: model_value_for_probe(c, t.counter) for c in t.cols}
        for c in t.cols:
            if c.default is not None:
                names = [x.name for x in t.cols if x is not c]
                cols = ", ".join(q(n) for n in names)
                sql = f"INSERT INTO {q(t.name)} ({cols}) VALUES ({', '.join('?' * len(names))})"
                if not names:
                    sql = f"INSERT INTO {q(t.name)} DEFAULT VALUES"
                try:
                    conn.execute(sql, [row[n] for n in names])
                    sql = f"SELECT {q(c.name)} FROM {q(t.name)} WHERE {keyed(t, c)}"
                    got = rows_of(conn, sql, keys(t, row, c))
                except memtables.Error as e:
                    got = type(e).__name__
                conn.rollback()
                out[(t.name, c.name, "default")] = got
            if c.check:
                bad = dict(row, **{c.name: FORBIDDEN[c.type][0]})
                try:
                    conn.execute(
                        f"INSERT INTO {q(t.name)} VALUES ({', '.join('?' * len(t.cols))})",
                        [bad[x.name] for x in t.cols],
                    )
                    got = "accepted"
                except memtables.Error as e:
                    got = type(e).__name__
                conn.rollback()
                out[(t.name, c.name, "check")] = got
    return out


def allowed(c: Col) -> list:
    """The odd values column ``c`` may hold: not the one its CHECK forbids, and only text
    where the CHECK of an ANY column compares with text."""
    pool = POOL["AWARE" if c.aware else c.type]
    if c.check:
        pool = [v for v in pool if repr(v) != repr(FORBIDDEN[c.type][0])]
        if c.type == "ANY":
            pool = [v for v in pool if isinstance(v, str)]
    return pool


def model_value_for_probe(c: Col, i: int):
    return distinct_value(c, i) if c.distinct else allowed(c)[0]


def keyed(t: Table, omitted: Col) -> str:
    """A WHERE clause that finds the probe row by its key columns (except the omitted one)."""
    cols = [c for c in t.cols if c.distinct and c is not omitted]
    if not cols:
        return "TRUE"
    return " AND ".join(f"{q(c.name)} = ?" for c in cols)


def keys(t: Table, row: dict, omitted: Col) -> list:
    return [row[c.name] for c in t.cols if c.distinct and c is not omitted]


def state(conn, model: Builder) -> dict:
    out = {
        "tables": rows_of(conn, "SELECT * FROM sys.tables"),
        "columns": rows_of(conn, "SELECT * FROM sys.columns"),
        "indexes": rows_of(conn, "SELECT * FROM sys.indexes"),
        "views": rows_of(conn, "SELECT * FROM sys.views"),
        "cache": rows_of(
            conn, "SELECT name, policy, rows, max_rows, max_memory FROM sys.cache_stats"
        ),
    }
    for t in model.tables.values():
        out["table " + t.name] = rows_of(conn, f"SELECT * FROM {q(t.name)}")
    for v in model.views.values():
        out["view " + v] = rows_of(conn, f"SELECT * FROM {q(v)}")
    conn.rollback()
    return out


def assert_same(before: dict, after: dict, when: str) -> None:
    for k in before.keys() | after.keys():
        assert after.get(k) == before.get(k), f"{when}: {k} differs: {after.get(k)!r}"


def check_round_trip(data) -> None:
    """Build a random durable database, then reopen it from the log and from snapshots."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.mtdb"
        conn = memtables.connect(path)
        model = Builder(data, conn)
        for _ in range(data.draw(st.integers(1, 12), label="steps")):
            model.step()
        before = state(conn, model)
        probed = probes(conn, model)
        conn.close()
        for when in ("reopened from the log", "reopened from a snapshot", "and once more"):
            conn = memtables.connect(path)
            assert_same(before, state(conn, model), when)
            assert_same(probed, probes(conn, model), when)
            conn.execute("CHECKPOINT")
            conn.close()


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_schema_round_trip(data):
    check_round_trip(data)
