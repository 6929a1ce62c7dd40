"""ALTER TABLE against sqlite3: random sequences of ADD / DROP / RENAME COLUMN, RENAME TO,
indexes, views, writes and transactions with savepoints, run in both; after every statement
both agree on whether it failed, on the table's columns and rows and on the views' rows.

Values always fit their column's declared type (memtables is strictly typed, SQLite is
not), and a DEFAULT is a constant of the column's type; that is the only restriction.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import memtables

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the notes list every statement
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NAMES = ["a", "b", "c", "d", "e", "A", "id", "nope"]
TABLES = ["t", "t2"]
TYPES = ["INTEGER", "TEXT"]


def literal(typ: str, v) -> str:
    if v is None:
        return "NULL"
    return str(v) if typ == "INTEGER" else "'" + v + "'"


def values(typ: str):
    return st.integers(-3, 3) if typ == "INTEGER" else st.sampled_from(["", "x", "yy", "z z"])


class Both:
    """The same database in memtables and sqlite3, and what the generator needs to know of
    it (its table's name and columns as they stand, views, whether a transaction is open)."""

    def __init__(self, path: str | None = None):
        self.path = path
        self.m = (
            memtables.connect(path, autocommit=True) if path else memtables.connect(autocommit=True)
        )
        self.s = sqlite3.connect(":memory:", isolation_level=None)
        self.table = "t"
        self.cols = {"id": "INTEGER", "a": "INTEGER", "b": "TEXT"}  # lower name -> type
        self.views: list[str] = []
        self.in_txn = False
        self.savepoints = 0
        self.run("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)")

    def run(self, sql: str) -> bool:
        """Run in both; True when both succeeded, False when both failed."""
        note(sql)
        try:
            self.s.execute(sql)
            lite = None
        except sqlite3.Error as e:
            lite = e
        try:
            self.m.execute(sql)
            mine = None
        except memtables.Error as e:
            mine = e
        assert (lite is None) == (mine is None), f"{sql}\nsqlite3: {lite!r}\nmemtables: {mine!r}"
        return lite is None

    def columns(self):
        """The table's column names and types (lower-case types) as memtables reports them,
        and the names as sqlite3's PRAGMA table_info reports them."""
        mine = self.m.execute(
            "SELECT name, type FROM sys.columns WHERE table_name = ? ORDER BY position",
            (self.table,),
        ).fetchall()
        lite = [r[1] for r in self.s.execute(f"PRAGMA table_info({self.table})")]
        return mine, lite

    def check(self) -> None:
        engine = self.m.database.engine
        for table in engine.catalog.tables.values():
            table._check()  # rows, versions and every index entry agree
        engine.txns._check()
        mine, lite = self.columns()
        assert [n for n, _t in mine] == lite
        self.cols = {n: t for n, t in mine}
        for q in [f"SELECT * FROM {n}" for n in [self.table] + self.views]:
            got, want = self.m.execute(q).fetchall(), self.s.execute(q).fetchall()
            assert sorted(got, key=repr) == sorted(want, key=repr), q


def step(draw, b: Both) -> None:
    kind = draw(
        st.sampled_from(
            ["add", "add", "drop", "drop", "rename", "rename_table", "insert", "insert"]
            + ["update", "delete", "index", "view", "txn"]
        )
    )
    t = b.table
    cols = list(b.cols)
    if kind == "add":
        name = draw(st.sampled_from(NAMES))
        typ = draw(st.sampled_from(TYPES))
        sql = f"ALTER TABLE {t} ADD {draw(st.sampled_from(['COLUMN ', '']))}{name} {typ}"
        if draw(st.booleans()):
            sql += f" DEFAULT {literal(typ, draw(values(typ)))}"
        if draw(st.integers(0, 3)) == 0:
            sql += " NOT NULL"
        b.run(sql)
    elif kind == "drop":
        b.run(f"ALTER TABLE {t} DROP COLUMN {draw(st.sampled_from(cols + ['nope']))}")
    elif kind == "rename":
        old = draw(st.sampled_from(cols + ["nope"]))
        b.run(f"ALTER TABLE {t} RENAME COLUMN {old} TO {draw(st.sampled_from(NAMES))}")
    elif kind == "rename_table":
        new = draw(st.sampled_from(TABLES + ["v0"]))
        if b.run(f"ALTER TABLE {t} RENAME TO {new}"):
            b.table = new
    elif kind == "insert":
        # the key is always given: when SQLite picks one it reuses numbers that memtables
        # never hands out twice (a deliberate difference, not ALTER's)
        rest = st.lists(st.sampled_from(cols[1:]), unique=True) if cols[1:] else st.just([])
        picked = cols[:1] + draw(rest)
        vals = [literal(b.cols[c], draw(st.none() | values(b.cols[c]))) for c in picked]
        vals[0] = str(draw(st.integers(1, 8)))
        b.run(f"INSERT INTO {t} ({', '.join(picked)}) VALUES ({', '.join(vals)})")
    elif kind == "update":
        c = draw(st.sampled_from(cols[1:] or cols))
        v = literal(b.cols[c], draw(values(b.cols[c])))
        b.run(f"UPDATE {t} SET {c} = {v} WHERE id % 2 = {draw(st.integers(0, 1))}")
    elif kind == "delete":
        b.run(f"DELETE FROM {t} WHERE id = {draw(st.integers(1, 8))}")
    elif kind == "index":
        c = draw(st.sampled_from(cols))
        b.run(f"CREATE INDEX i{draw(st.integers(0, 2))} ON {t} ({c})")
    elif kind == "view":
        picked = draw(st.lists(st.sampled_from(cols), unique=True, min_size=1, max_size=2))
        name = f"v{len(b.views)}"
        where = draw(st.sampled_from(cols))
        if b.run(
            f"CREATE VIEW {name} AS SELECT {', '.join(picked)} FROM {t} WHERE {where} IS NOT NULL"
        ):
            b.views.append(name)
    else:
        transaction_step(draw, b)
    b.check()


def transaction_step(draw, b: Both) -> None:
    if not b.in_txn:
        b.run(draw(st.sampled_from(["BEGIN", "SAVEPOINT s"])))
        b.in_txn = True
        b.savepoints = 0
        return
    sql = draw(st.sampled_from(["COMMIT", "ROLLBACK", "SAVEPOINT s", "ROLLBACK TO s"]))
    if sql == "ROLLBACK TO s" and not b.savepoints:
        sql = "SAVEPOINT s"
    b.run(sql)
    if sql in ("COMMIT", "ROLLBACK"):
        b.in_txn = False
    if sql == "SAVEPOINT s":
        b.savepoints += 1
    if sql.startswith("ROLLBACK"):  # names may have changed back
        resync(b)


def resync(b: Both) -> None:
    """The table's name and the views, after a rollback may have undone changes to them."""
    b.table = next(n for n in TABLES + ["v0"] if _exists(b, n, "table"))
    b.views = [v for v in b.views if _exists(b, v, "view")]


def _exists(b: Both, name: str, kind: str) -> bool:
    got = b.s.execute("SELECT 1 FROM sqlite_master WHERE name = ? AND type = ?", (name, kind))
    return bool(got.fetchall())


def run_steps(data, b: Both, durable: bool = False) -> None:
    for _ in range(data.draw(st.integers(1, 25))):
        step(data.draw, b)
        if durable and not b.in_txn and data.draw(st.integers(0, 5)) == 0:
            note("CHECKPOINT (memtables)")
            b.m.execute("CHECKPOINT")
    if b.in_txn:
        b.run("ROLLBACK")
        b.in_txn = False
        resync(b)
        b.check()


@SETTINGS
@given(st.data())
def test_alter_sequences_agree_with_sqlite3(data):
    b = Both()
    try:
        run_steps(data, b)
    finally:
        b.m.close()
        b.s.close()


@settings(SETTINGS, max_examples=40)
@given(st.data())
def test_alter_sequences_reopen_as_sqlite3_has_them(data):
    """Durable: the redo log (and snapshots taken on the way) replay every ALTER, so the
    reopened database still agrees with sqlite3, indexes and views included."""
    with tempfile.TemporaryDirectory() as d:
        b = Both(os.path.join(d, "db.mtdb"))
        try:
            run_steps(data, b, durable=True)
            b.m.close()
            b.m = memtables.connect(b.path, autocommit=True)
            b.check()
            mine = b.m.execute("SELECT type, name FROM sys.schema WHERE type != 'table'")
            lite = b.s.execute("SELECT type, name FROM sqlite_master WHERE type != 'table'")
            assert sorted(mine.fetchall()) == sorted(lite.fetchall())
        finally:
            b.m.close()
            b.s.close()
