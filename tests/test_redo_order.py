"""Schema changes and row changes in one transaction replay in the order they happened.

A transaction that deletes duplicates and then creates a UNIQUE index over what is left (or
updates rows, drops and re-creates a table, creates an index and writes again) commits one
redo log record. Recovery must apply that record's schema changes and row changes in the
transaction's own order, or a committed database fails to reopen ("cannot create unique
index ... duplicate values") or reopens different.

Hypothesis runs random interleavings of DML and DDL over a few tables with a tiny value domain
(so UNIQUE indexes are often refused and often accepted), commits, and checks that the
database reopens equal from the log and then from a snapshot.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memtables
from tests.reopen import assert_reopens_equal

EXAMPLES = int(os.environ.get("MEMTABLES_REDO_ORDER_EXAMPLES", "150"))
TABLES = ["a", "b"]
VALUES = st.integers(0, 2)


@st.composite
def statements(draw) -> str:
    """One statement (or a drop and re-create of a table) over the tiny value domain."""
    t = draw(st.sampled_from(TABLES))
    kind = draw(
        st.sampled_from(
            ["insert", "update", "update", "delete", "delete", "unique", "unique"]
            + ["index", "drop_index", "recreate"]
        )
    )
    v, w = draw(VALUES), draw(VALUES)
    if kind == "insert":
        return f"INSERT INTO {t} (v, w) VALUES ({v}, {w})"
    if kind == "update":
        return f"UPDATE {t} SET v = {v} WHERE w = {w}"
    if kind == "delete":
        return f"DELETE FROM {t} WHERE v = {v}"
    if kind == "unique":
        return f"CREATE UNIQUE INDEX {t}_u ON {t} (v)"
    if kind == "index":
        return f"CREATE INDEX {t}_s ON {t} USING SORTED (w)"
    if kind == "drop_index":
        return f"DROP INDEX {t}_{draw(st.sampled_from(['u', 's']))}"
    return f"DROP TABLE {t}; CREATE TABLE {t} (id INTEGER PRIMARY KEY, v INTEGER, w INTEGER)"


# a few transactions, each a list of statements (some of which will fail)
TRANSACTIONS = st.lists(st.lists(statements(), max_size=8), min_size=1, max_size=4)


def _state(conn) -> dict:
    out = {"indexes": sorted(conn.execute("SELECT name, unique FROM sys.indexes").fetchall())}
    for t in TABLES:
        out[t] = conn.execute(f"SELECT id, v, w FROM {t} ORDER BY id").fetchall()
        conn.execute(f"INSERT INTO {t} (v, w) VALUES (9, 9)")  # the rowid counter too
        out[t + " next id"] = conn.execute(f"SELECT max(id) FROM {t}").fetchone()
    conn.rollback()
    return out


def _run(conn, txns: list[list[str]]) -> None:
    for txn in txns:
        conn.execute("BEGIN")
        for text in txn:
            for stmt in text.split("; "):
                try:
                    conn.execute(stmt)
                except memtables.Error:
                    pass  # a refused statement changes nothing; the transaction goes on
        conn.commit()


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(TRANSACTIONS)
def test_interleaved_schema_and_row_changes_reopen_equal(txns):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.mtdb"
        conn = memtables.connect(path)
        for t in TABLES:
            conn.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, v INTEGER, w INTEGER)")
            conn.execute(f"INSERT INTO {t} (v, w) VALUES (0, 0), (0, 1), (1, 2)")
        conn.commit()
        _run(conn, txns)
        before = _state(conn)
        conn.close()
        assert_reopens_equal(path, _state, before)


def test_delete_duplicates_then_unique_index_in_one_transaction_reopens():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.mtdb"
        conn = memtables.connect(path)
        conn.execute("CREATE TABLE e (t BOOLEAN)")
        conn.execute("INSERT INTO e VALUES (false), (false)")
        conn.commit()
        conn.execute("DELETE FROM e")
        conn.execute("CREATE UNIQUE INDEX u ON e (t)")
        conn.execute("INSERT INTO e VALUES (true)")
        conn.commit()
        conn.close()
        conn = memtables.connect(path)
        assert conn.execute("SELECT t FROM e").fetchall() == [(True,)]
        assert conn.execute("SELECT name FROM sys.indexes WHERE name = 'u'").fetchall() == [("u",)]
        conn.close()
