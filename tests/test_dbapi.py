"""PEP 249 compliance: module globals, exceptions, connection and cursor behaviour."""

from __future__ import annotations

import datetime as dt

import pytest

import memtables

ERRORS = [
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
]


# ------------------------------------------------------------------ module
def test_module_globals():
    assert memtables.apilevel == "2.0"
    assert memtables.threadsafety in (0, 1, 2, 3)
    assert memtables.paramstyle == "qmark"


def test_exception_hierarchy():
    assert issubclass(memtables.Warning, Exception)
    assert issubclass(memtables.Error, Exception)
    for name in ERRORS[2:]:
        assert issubclass(getattr(memtables, name), memtables.Error)
    for name in ERRORS[4:]:
        assert issubclass(getattr(memtables, name), memtables.DatabaseError)
    assert issubclass(memtables.SerializationFailure, memtables.OperationalError)
    assert issubclass(memtables.UniqueViolation, memtables.IntegrityError)
    assert issubclass(memtables.SQLSyntaxError, memtables.ProgrammingError)


def test_exceptions_are_connection_attributes(conn):
    for name in ERRORS:
        assert getattr(conn, name) is getattr(memtables, name)


def test_type_objects_and_constructors():
    assert memtables.Date(2024, 1, 2) == dt.date(2024, 1, 2)
    assert memtables.Time(1, 2, 3) == dt.time(1, 2, 3)
    assert memtables.Timestamp(2024, 1, 2, 3, 4, 5) == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert isinstance(memtables.DateFromTicks(0), dt.date)
    assert isinstance(memtables.TimeFromTicks(0), dt.time)
    assert isinstance(memtables.TimestampFromTicks(0), dt.datetime)
    assert memtables.Binary(b"ab") == b"ab"
    assert memtables.Binary(bytearray(b"ab")) == b"ab"
    assert memtables.STRING == "TEXT"
    assert memtables.NUMBER == "INTEGER" and memtables.NUMBER == "REAL"
    assert memtables.BINARY == "BLOB"
    assert memtables.DATETIME == "DATE" and memtables.DATETIME == "TIMESTAMP"
    assert memtables.STRING != "INTEGER"


# ------------------------------------------------------------------ connection
def test_connection_methods(conn):
    for name in ("cursor", "execute", "commit", "rollback", "close"):
        assert callable(getattr(conn, name))


def test_commit_and_rollback(conn):
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    conn.execute("INSERT INTO t VALUES (1)")
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    conn.execute("INSERT INTO t VALUES (2)")
    conn.commit()
    conn.rollback()
    assert conn.execute("SELECT x FROM t").fetchall() == [(2,)]


def test_rollback_of_ddl(conn):
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.rollback()
    with pytest.raises(memtables.ProgrammingError, match="no such table: t"):
        conn.execute("SELECT * FROM t")


def test_context_manager_commits_and_stays_open(conn):
    with conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
    assert not conn.in_transaction
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_context_manager_rolls_back_on_error(conn):
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    with pytest.raises(ZeroDivisionError):
        with conn:
            conn.execute("INSERT INTO t VALUES (1)")
            raise ZeroDivisionError("boom")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    assert not conn.closed


def test_autocommit(conn):
    conn.autocommit = True
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert not conn.in_transaction
    conn.rollback()
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_setting_autocommit_commits_pending(conn):
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.autocommit = True
    assert not conn.in_transaction
    conn.autocommit = False
    conn.execute("INSERT INTO t VALUES (2)")
    conn.rollback()
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_explicit_begin_in_autocommit(conn):
    conn.autocommit = True
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (1)")
    assert conn.in_transaction
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_begin_inside_a_transaction_with_writes_fails(conn):
    conn.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(memtables.OperationalError, match="within a transaction"):
        conn.execute("BEGIN")


def test_closed_connection(conn):
    cur = conn.cursor()
    conn.close()
    conn.close()  # closing twice is harmless
    with pytest.raises(memtables.ProgrammingError, match="closed"):
        conn.execute("SELECT 1")
    with pytest.raises(memtables.ProgrammingError, match="closed"):
        conn.cursor()
    with pytest.raises(memtables.ProgrammingError, match="closed"):
        conn.commit()
    with pytest.raises(memtables.ProgrammingError, match="closed"):
        cur.execute("SELECT 1")


def test_close_rolls_back():
    db = memtables.open()
    c1 = db.connect()
    c1.execute("CREATE TABLE t (x INTEGER)")
    c1.commit()
    c1.execute("INSERT INTO t VALUES (1)")
    c1.close()
    c2 = db.connect()
    assert c2.execute("SELECT count(*) FROM t").fetchone() == (0,)


# ------------------------------------------------------------------ cursor
def test_description_and_type_codes(conn):
    conn.execute(
        "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, d DATE, ts TIMESTAMP, f BOOLEAN)"
    )
    cur = conn.execute("SELECT i, r, s, b, d, ts, f, i + 1 AS j FROM t")
    desc = cur.description
    assert [d[0] for d in desc] == ["i", "r", "s", "b", "d", "ts", "f", "j"]
    assert all(len(d) == 7 for d in desc)
    assert desc[0][1] == memtables.NUMBER
    assert desc[1][1] == memtables.NUMBER
    assert desc[2][1] == memtables.STRING
    assert desc[3][1] == memtables.BINARY
    assert desc[4][1] == memtables.DATETIME
    assert desc[5][1] == memtables.DATETIME
    assert desc[6][1] == memtables.NUMBER
    assert desc[7][1] == memtables.NUMBER


def test_description_is_none_for_non_queries(conn):
    cur = conn.execute("CREATE TABLE t (x INTEGER)")
    assert cur.description is None
    cur.execute("INSERT INTO t VALUES (1)")
    assert cur.description is None


def test_value_types_round_trip(conn):
    conn.execute(
        "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, d DATE, ts TIMESTAMP, f BOOLEAN)"
    )
    row = (1, 2.5, "x", b"\x00\x01", dt.date(2024, 2, 29), dt.datetime(2024, 1, 1, 12, 30), True)
    conn.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", row)
    got = conn.execute("SELECT * FROM t").fetchone()
    assert got == row
    assert [type(v) for v in got] == [int, float, str, bytes, dt.date, dt.datetime, bool]
    conn.execute("INSERT INTO t VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
    assert conn.execute("SELECT * FROM t WHERE i IS NULL").fetchone() == (None,) * 7


def test_rowcount(users):
    cur = users.cursor()
    assert cur.rowcount == -1
    cur.execute("UPDATE users SET age = age + 1 WHERE age = 25")
    assert cur.rowcount == 2
    cur.execute("DELETE FROM users WHERE id > 100")
    assert cur.rowcount == 0
    cur.execute("INSERT INTO users (id, name) VALUES (10, 'x'), (11, 'y')")
    assert cur.rowcount == 2
    cur.execute("SELECT * FROM users")
    assert cur.rowcount == -1


def test_lastrowid(conn):
    cur = conn.cursor()
    assert cur.lastrowid is None
    conn.execute("CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT)")
    cur.execute("INSERT INTO k (v) VALUES ('a')")
    assert cur.lastrowid == 1
    cur.execute("INSERT INTO k VALUES (10, 'b')")
    assert cur.lastrowid == 10
    cur.execute("INSERT INTO k (v) VALUES ('c')")
    assert cur.lastrowid == 11
    conn.execute("CREATE TABLE h (v TEXT)")
    cur.execute("INSERT INTO h VALUES ('a')")
    cur.execute("INSERT INTO h VALUES ('b')")
    assert cur.lastrowid == 2
    cur.execute("SELECT * FROM h")
    assert cur.lastrowid == 2  # only INSERT changes it


def test_fetchone_fetchmany_fetchall(users):
    cur = users.execute("SELECT id FROM users ORDER BY id")
    assert cur.arraysize == 1
    assert cur.fetchone() == (1,)
    assert cur.fetchmany() == [(2,)]
    assert cur.fetchmany(5) == [(3,), (4,)]
    assert cur.fetchmany(5) == []
    assert cur.fetchone() is None
    cur.execute("SELECT id FROM users ORDER BY id")
    cur.arraysize = 3
    assert cur.fetchmany() == [(1,), (2,), (3,)]
    assert cur.fetchall() == [(4,)]
    assert cur.fetchall() == []


def test_iteration(users):
    assert [r[0] for r in users.execute("SELECT id FROM users ORDER BY id DESC")] == [4, 3, 2, 1]


def test_fetch_without_result_raises(conn):
    cur = conn.cursor()
    with pytest.raises(memtables.Error):
        cur.fetchone()
    cur.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(memtables.Error):
        cur.fetchall()
    with pytest.raises(memtables.Error):
        cur.fetchmany()


def test_closed_cursor(conn):
    cur = conn.execute("SELECT 1")
    cur.close()
    with pytest.raises(memtables.ProgrammingError):
        cur.fetchone()
    with pytest.raises(memtables.ProgrammingError):
        cur.execute("SELECT 1")


def test_setinputsizes_setoutputsize(conn):
    cur = conn.cursor()
    cur.setinputsizes([10])
    cur.setoutputsize(10)
    cur.setoutputsize(10, 0)


def test_executemany(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    cur = conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, "a"), (2, "b"), (3, "c")])
    assert cur.rowcount == 3
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)
    with pytest.raises(memtables.ProgrammingError):
        conn.executemany("SELECT ?", [(1,)])


def test_executemany_failure_inserts_nothing(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.commit()
    with pytest.raises(memtables.IntegrityError):
        conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (1,)])
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_named_parameters(users):
    cur = users.execute(
        "SELECT name FROM users WHERE id = :id OR id = :other", {"id": 1, "other": 2}
    )
    assert sorted(cur.fetchall()) == [("ada",), ("bob",)]
    with pytest.raises(memtables.ProgrammingError, match=":id"):
        users.execute("SELECT name FROM users WHERE id = :id", {"x": 1})
    with pytest.raises(memtables.ProgrammingError, match="named"):
        users.execute("SELECT name FROM users WHERE id = :id", (1,))


def test_wrong_parameter_count(users):
    with pytest.raises(memtables.ProgrammingError, match="bindings"):
        users.execute("SELECT * FROM users WHERE id = ?", (1, 2))
    with pytest.raises(memtables.ProgrammingError, match="bindings"):
        users.execute("SELECT * FROM users WHERE id = ?")


def test_unsupported_parameter_type(users):
    with pytest.raises(memtables.ProgrammingError, match="parameter 1"):
        users.execute("SELECT * FROM users WHERE id = ?", ([1],))


def test_parameters_must_be_a_sequence(users):
    with pytest.raises(memtables.ProgrammingError):
        users.execute("SELECT * FROM users WHERE name = ?", "ada")


def test_executescript(conn):
    conn.executescript(
        """
        CREATE TABLE t (x INTEGER);
        INSERT INTO t VALUES (1);
        INSERT INTO t VALUES (2);
        """
    )
    assert conn.execute("SELECT sum(x) FROM t").fetchone() == (3,)


def test_executescript_runs_queries_as_execute_does():
    """On an autocommit connection a query in a script reads in a transaction of its own, as
    ``execute`` does: the script used to leave one open after a trailing SELECT."""
    conn = memtables.connect(autocommit=True)
    cur = conn.executescript(
        "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7); SELECT x FROM t"
    )
    assert cur.fetchall() == [(7,)]
    assert not conn.in_transaction
    conn.autocommit = False
    conn.executescript("SELECT x FROM t")
    assert conn.in_transaction  # PEP 249: the first statement opens one, and it stays open


def test_one_statement_at_a_time(conn):
    with pytest.raises(memtables.ProgrammingError, match="one statement"):
        conn.execute("SELECT 1; SELECT 2")


def test_cursor_connection_attribute(conn):
    assert conn.cursor().connection is conn


# ------------------------------------------------------------------ use after close (issue 12, #21)
@pytest.mark.parametrize(
    "fetch",
    [
        lambda c: c.fetchone(),
        lambda c: c.fetchmany(1),
        lambda c: c.fetchall(),
        lambda c: next(iter(c)),
        lambda c: c.fetch_arrow_table(),
        lambda c: c.fetch_record_batch(),
    ],
    ids=["fetchone", "fetchmany", "fetchall", "iteration", "arrow", "record_batch"],
)
def test_fetch_after_the_connection_closed_raises(users, fetch):
    cur = users.execute("SELECT id FROM users ORDER BY id")
    users.close()
    with pytest.raises(memtables.ProgrammingError, match="closed connection"):
        fetch(cur)


# ------------------------------------------------------------------ sqlite3 idioms (issue 12, #20)
def test_unknown_attributes_raise(conn):
    with pytest.raises(AttributeError):
        conn.text_factory = bytes
    with pytest.raises(AttributeError):
        conn.execute("SELECT 1").no_such_setting = 1


def test_row_factory_on_the_connection(users):
    users.row_factory = lambda cursor, row: {d[0]: v for d, v in zip(cursor.description, row)}
    assert users.execute("SELECT id, name FROM users WHERE id = 1").fetchone() == {
        "id": 1,
        "name": "ada",
    }
    cur = users.execute("SELECT id FROM users WHERE id < 3 ORDER BY id")
    assert cur.fetchall() == [{"id": 1}, {"id": 2}]
    assert list(users.execute("SELECT id FROM users WHERE id = 4")) == [{"id": 4}]
    users.row_factory = None
    assert users.execute("SELECT id FROM users WHERE id = 4").fetchmany(5) == [(4,)]


def test_row_factory_on_a_cursor_and_inherited_when_made(users):
    users.row_factory = lambda cursor, row: row[0]
    cur = users.cursor()
    users.row_factory = None
    assert cur.execute("SELECT id FROM users ORDER BY id").fetchall() == [1, 2, 3, 4]
    cur.row_factory = None
    assert cur.execute("SELECT id FROM users WHERE id = 2").fetchone() == (2,)
    with pytest.raises(memtables.ProgrammingError, match="callable"):
        users.row_factory = 5


def test_sqlite3_row_works_as_row_factory(users):
    import sqlite3

    users.row_factory = sqlite3.Row
    assert users.row_factory is sqlite3.Row
    row = users.execute("SELECT id, name AS Name FROM users WHERE id = 2").fetchone()
    assert isinstance(row, memtables.Row)
    assert row["name"] == row["NAME"] == row[1] == "bob"
    assert row.keys() == ["id", "Name"]
    assert tuple(row) == (2, "bob") and len(row) == 2 and row[:1] == (2,)
    with pytest.raises(IndexError):
        row["missing"]
    again = users.execute("SELECT id, name AS Name FROM users WHERE id = 2").fetchone()
    assert row == again and hash(row) == hash(again)


def test_isolation_level_none_is_refused_with_the_way_to_autocommit(conn, tmp_path):
    with pytest.raises(memtables.ProgrammingError, match="autocommit"):
        conn.isolation_level = None
    assert conn.isolation_level == "SNAPSHOT"
    with pytest.raises(memtables.ProgrammingError, match="autocommit"):
        memtables.connect(isolation_level=None)
    conn.isolation_level = "serializable"
    assert conn.isolation_level == "SERIALIZABLE"


def test_row_module_examples():
    import doctest

    import memtables.row

    result = doctest.testmod(memtables.row)
    assert result.attempted and not result.failed


def test_memory_path_is_an_in_memory_database_as_in_sqlite3(tmp_path, monkeypatch):
    """``connect(":memory:")`` is what sqlite3 users write; it must not make a directory."""
    monkeypatch.chdir(tmp_path)
    a = memtables.connect(":memory:")
    b = memtables.connect(":memory:")
    a.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(memtables.ProgrammingError):
        b.execute("SELECT * FROM t")  # each is its own private database
    db = memtables.open(":memory:")
    assert db.path is None
    a.close()
    b.close()
    db.close()
    assert list(tmp_path.iterdir()) == []
