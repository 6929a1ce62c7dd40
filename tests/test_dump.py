"""``conn.iterdump()``: SQL that rebuilds the database, as sqlite3's ``iterdump`` gives.

The property: a random database (tables of every column type, names that need quoting, NULLs,
odd floats, indexes, views, cache tables), dumped and replayed into a new database with
``executescript``, has the same schema and rows, and dumps to the same text again.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memtables

TYPES = {
    "INTEGER": st.integers(-(2**63), 2**63 - 1),
    "REAL": st.floats(allow_nan=False) | st.sampled_from([0.0, -0.0, math.inf, -math.inf]),
    "TEXT": st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
    "BLOB": st.binary(max_size=6),
    "BOOLEAN": st.booleans(),
    "DATE": st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    "TIMESTAMP": st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)),
}
NAMES = st.sampled_from(["t", "order", "my table", 'q"t', "Users", "select", "x1"])


@st.composite
def databases(draw):
    tables = []
    for name in draw(st.lists(NAMES, min_size=1, max_size=3, unique_by=str.lower)):
        types = draw(st.lists(st.sampled_from(sorted(TYPES)), min_size=1, max_size=4))
        rows = draw(st.lists(st.tuples(*[st.none() | TYPES[t] for t in types]), max_size=6))
        tables.append((name, types, rows, draw(st.booleans()), draw(st.booleans())))
    return tables


def build(tables) -> memtables.Connection:
    conn = memtables.connect()
    q = memtables.quote_identifier
    for name, types, rows, indexed, cache in tables:
        cols = ", ".join(f"c{i} {t}" for i, t in enumerate(types))
        kind = "CACHE TABLE" if cache else "TABLE"
        conn.execute(f"CREATE {kind} {q(name)} (id INTEGER PRIMARY KEY, {cols})")
        marks = ", ".join("?" * (len(types) + 1))
        conn.executemany(
            f"INSERT INTO {q(name)} VALUES ({marks})", [(i, *r) for i, r in enumerate(rows)]
        )
        if indexed:
            conn.execute(f"CREATE INDEX {q(name + '_c0')} ON {q(name)} (c0)")
        conn.execute(f"CREATE VIEW {q('v_' + name)} AS SELECT * FROM {q(name)}")
    conn.commit()
    return conn


def contents(conn) -> dict:
    out = {"schema": conn.execute("SELECT * FROM sys.schema").fetchall()}
    for (name,) in conn.execute("SELECT name FROM sys.tables").fetchall():
        rows = conn.execute(f"SELECT * FROM {memtables.quote_identifier(name)}").fetchall()
        out[name] = sorted(rows, key=repr)
    return out


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(databases())
def test_dump_replays_to_the_same_database(tables):
    src = build(tables)
    script = "\n".join(src.iterdump())
    dst = memtables.connect()
    dst.executescript(script)
    assert contents(dst) == contents(src)
    assert "\n".join(dst.iterdump()) == script


def test_dump_of_one_table_and_its_indexes():
    conn = build([("a", ["TEXT"], [("x",)], True, False), ("b", ["INTEGER"], [(1,)], False, False)])
    lines = list(conn.iterdump("A"))
    assert lines[0] == "BEGIN TRANSACTION;" and lines[-1] == "COMMIT;"
    assert any(line.startswith("CREATE TABLE a ") for line in lines)
    assert "INSERT INTO a VALUES(0,'x');" in lines
    assert any(line.startswith("CREATE INDEX a_c0") for line in lines)
    assert not any(" b " in line or "VIEW" in line for line in lines)


def test_dump_is_one_snapshot_and_leaves_no_transaction_open():
    db = memtables.open()
    conn, other = db.connect(), db.connect()
    other.autocommit = True
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("CREATE TABLE u (x INTEGER)")
    conn.execute("INSERT INTO u VALUES (1)")
    conn.commit()
    it = conn.iterdump()
    assert next(it) == "BEGIN TRANSACTION;"
    assert conn.in_transaction  # the dump reads through one snapshot
    other.execute("INSERT INTO u VALUES (2)")  # committed while the dump runs
    rest = list(it)
    assert "INSERT INTO u VALUES(1);" in rest and "INSERT INTO u VALUES(2);" not in rest
    assert rest[-1] == "COMMIT;" and not conn.in_transaction
    db.close()


def test_dump_on_a_closed_connection_is_a_programming_error():
    conn = memtables.connect()
    conn.close()
    with pytest.raises(memtables.ProgrammingError):
        conn.iterdump()
