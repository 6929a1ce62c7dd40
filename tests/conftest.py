"""Shared fixtures: a fresh connection per test, on an in-memory and on a durable database.

Every test that takes ``conn`` (or ``users``) runs twice, like tinydb's storages fixture: once
on ``memtables.connect()`` and once on a durable database in ``tmp_path``, so what the SQL and
DB-API tests promise holds with the redo log in the way too.
"""

from __future__ import annotations

import pytest

import memtables
from tests.fuzz import diff, digest

# SQLAlchemy's compliance suite is a separate run with its own plugin and configuration
# (``cd tests/sqla_suite && python -m pytest``), never part of this suite.
collect_ignore = ["sqla_suite"]


def with_sqlite(conn, schema) -> tuple:
    """``conn`` and a new sqlite3 ``:memory:`` database, both given the ``schema`` statements
    (committed): the pair a differential test compares."""
    import sqlite3

    lite = sqlite3.connect(":memory:")
    for s in schema:
        conn.execute(s)
        lite.execute(s)
    conn.commit()
    return conn, lite


@pytest.fixture(scope="module")
def dbs():
    """A memtables and a sqlite3 in-memory database, shared by a module's function tests."""
    import sqlite3

    m, s = memtables.connect(), sqlite3.connect(":memory:")
    yield m, s
    m.close()
    s.close()


@pytest.fixture(params=["memory", "durable"])
def conn(request, tmp_path):
    """A new connection: in memory, or to a durable database in a temporary directory.

    On the durable database the test's committed state must then survive a reopen from the
    log and one from a CHECKPOINT snapshot, equal (see ``tests.fuzz.digest``).
    """
    if request.param == "memory":
        c = memtables.connect()
        yield c
        c.close()
        return
    path = str(tmp_path / "db.mtdb")
    c = memtables.connect(path)
    yield c
    if not c.closed:
        c.rollback()
    c.close()
    assert_reopens_equal(path)


def assert_reopens_equal(path: str) -> None:
    """Reopen the durable database at ``path`` from its log, then from a snapshot: same digest."""
    c = memtables.connect(path)
    try:
        committed = digest(c, durable_only=True)
    finally:
        c.close()
    for stage in ("log", "snapshot"):
        c = memtables.connect(path)
        try:
            again = digest(c, durable_only=True)
            assert again == committed, f"differs after reopening from the {stage}: " + diff(
                committed, again
            )
            if stage == "log":
                c.execute("CHECKPOINT")
        finally:
            c.close()


@pytest.fixture
def users(conn):
    """A connection with a small ``users`` table committed."""
    conn.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, "
        "score REAL, email TEXT UNIQUE)"
    )
    conn.executemany(
        "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
        [
            (1, "ada", 36, 9.5, "ada@example.com"),
            (2, "bob", 25, 7.25, "bob@example.com"),
            (3, "cy", None, None, None),
            (4, "dee", 25, 8.0, "dee@example.com"),
        ],
    )
    conn.commit()
    return conn
