"""SAVEPOINT, RELEASE and ROLLBACK TO, as a user writes them: through ``memtables.connect``
and SQL, against sqlite3's behaviour (SQLite's savepoint semantics are the reference).

Rows, indexes, rowid counters, cache tables and schema all roll back; durable databases
reopen with exactly what was committed (the ``conn`` fixture reopens and compares).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import memtables
from memtables import OperationalError
from tests.reopen import assert_reopens_equal


def rows(conn, sql="SELECT * FROM t ORDER BY 1"):
    return conn.execute(sql).fetchall()


@pytest.fixture
def t(conn):
    """A committed table ``t`` with one row."""
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t VALUES (1, 'a')")
    conn.commit()
    return conn


# ---------------------------------------------------------------- syntax
def test_every_spelling_parses(t):
    t.execute("SAVEPOINT s")
    t.execute("INSERT INTO t VALUES (2, 'b')")
    t.execute("ROLLBACK TRANSACTION TO SAVEPOINT s")
    t.execute("ROLLBACK TO s")
    t.execute("rollback to savepoint S")
    t.execute("ROLLBACK TRANSACTION TO s")
    t.execute("RELEASE SAVEPOINT s")
    t.execute('SAVEPOINT "quoted name"')
    t.execute('RELEASE "QUOTED NAME"')
    assert not t.in_transaction
    assert rows(t) == [(1, "a")]


def test_savepoint_and_release_stay_usable_as_names(conn):
    conn.execute("CREATE TABLE release (savepoint INTEGER, v INTEGER)")
    conn.execute("INSERT INTO release (savepoint, v) VALUES (1, 2)")
    assert conn.execute("SELECT savepoint FROM release").fetchall() == [(1,)]
    conn.commit()


# ---------------------------------------------------------------- semantics
def test_nested_rollback_to_keeps_the_savepoint(t):
    t.execute("SAVEPOINT a")
    t.execute("INSERT INTO t VALUES (2, 'b')")
    t.execute("SAVEPOINT b")
    t.execute("INSERT INTO t VALUES (3, 'c')")
    t.execute("ROLLBACK TO b")
    assert rows(t) == [(1, "a"), (2, "b")]
    t.execute("UPDATE t SET v = 'z'")
    t.execute("ROLLBACK TO b")  # again: b is still there
    assert rows(t) == [(1, "a"), (2, "b")]
    t.execute("ROLLBACK TO a")  # removes b
    assert rows(t) == [(1, "a")]
    with pytest.raises(OperationalError, match="no such savepoint: b"):
        t.execute("ROLLBACK TO b")
    t.execute("DELETE FROM t")
    t.execute("RELEASE a")
    assert not t.in_transaction
    assert rows(t) == []


def test_release_removes_newer_savepoints_and_keeps_changes(t):
    t.execute("BEGIN")
    t.execute("SAVEPOINT a")
    t.execute("SAVEPOINT b")
    t.execute("INSERT INTO t VALUES (2, 'b')")
    t.execute("RELEASE a")
    with pytest.raises(OperationalError, match="no such savepoint: b"):
        t.execute("RELEASE b")
    assert t.in_transaction  # BEGIN opened it: releasing savepoints does not commit
    assert rows(t) == [(1, "a"), (2, "b")]
    t.commit()
    assert rows(t) == [(1, "a"), (2, "b")]


def test_names_are_case_insensitive_and_the_newest_wins(t):
    t.execute("SAVEPOINT x")
    t.execute("INSERT INTO t VALUES (2, 'b')")
    t.execute("SAVEPOINT X")
    t.execute("INSERT INTO t VALUES (3, 'c')")
    t.execute("ROLLBACK TO x")  # the newer X
    assert rows(t) == [(1, "a"), (2, "b")]
    t.execute("RELEASE x")  # the newer X again; the older x remains
    t.execute("ROLLBACK TO X")
    assert rows(t) == [(1, "a")]
    t.execute("RELEASE x")
    assert not t.in_transaction


def test_unknown_name_is_an_operational_error_and_changes_nothing(t):
    with pytest.raises(OperationalError, match="no such savepoint: nope"):
        t.execute("ROLLBACK TO nope")
    with pytest.raises(OperationalError, match="no such savepoint: nope"):
        t.execute("RELEASE nope")
    t.execute("SAVEPOINT a")
    t.execute("INSERT INTO t VALUES (2, 'b')")
    with pytest.raises(OperationalError, match="no such savepoint: Nope"):
        t.execute("ROLLBACK TO Nope")
    assert rows(t) == [(1, "a"), (2, "b")]  # the failed ROLLBACK TO undid nothing
    t.execute("RELEASE a")
    assert rows(t) == [(1, "a"), (2, "b")]


def test_savepoint_outside_a_transaction_begins_one_and_its_release_commits(tmp_path):
    path = str(tmp_path / "db")
    a = memtables.connect(path)
    b = memtables.connect(path)
    a.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    a.commit()
    a.execute("SAVEPOINT outer")
    assert a.in_transaction
    with pytest.raises(OperationalError, match="within a transaction"):
        a.execute("BEGIN")
    a.execute("INSERT INTO t VALUES (1)")
    a.execute("SAVEPOINT inner")
    a.execute("INSERT INTO t VALUES (2)")
    a.execute("RELEASE inner")
    assert b.execute("SELECT count(*) FROM t").fetchone() == (0,)
    b.rollback()
    a.execute("RELEASE outer")
    assert not a.in_transaction
    assert b.execute("SELECT id FROM t ORDER BY id").fetchall() == [(1,), (2,)]
    a.close()
    b.close()
    c = memtables.connect(path)
    assert c.execute("SELECT id FROM t ORDER BY id").fetchall() == [(1,), (2,)]
    c.close()


def test_autocommit_connection_holds_statements_until_release(tmp_path):
    path = str(tmp_path / "db")
    a = memtables.connect(path, autocommit=True)
    b = memtables.connect(path, autocommit=True)
    a.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    a.execute("SAVEPOINT s")
    a.execute("INSERT INTO t VALUES (1)")
    assert b.execute("SELECT count(*) FROM t").fetchone() == (0,)
    a.execute("ROLLBACK TO s")
    a.execute("INSERT INTO t VALUES (2)")
    a.execute("RELEASE s")
    assert b.execute("SELECT id FROM t").fetchall() == [(2,)]
    a.execute("INSERT INTO t VALUES (3)")  # autocommit again
    assert b.execute("SELECT count(*) FROM t").fetchone() == (2,)
    a.close()
    b.close()


def test_savepoint_inside_an_implicit_transaction_nests(t):
    t.execute("INSERT INTO t VALUES (2, 'b')")  # PEP 249 opened a transaction
    t.execute("SAVEPOINT s")
    t.execute("INSERT INTO t VALUES (3, 'c')")
    t.execute("RELEASE s")
    assert t.in_transaction  # the savepoint did not begin it, so RELEASE does not commit
    t.rollback()
    assert rows(t) == [(1, "a")]


@pytest.mark.parametrize("end", ["commit", "rollback", "COMMIT", "ROLLBACK"])
def test_commit_and_rollback_end_every_savepoint(t, end):
    t.execute("SAVEPOINT a")
    t.execute("INSERT INTO t VALUES (2, 'b')")
    t.execute("SAVEPOINT b")
    if end.isupper():
        t.execute(end)
    else:
        getattr(t, end)()
    assert not t.in_transaction
    for stmt in ("ROLLBACK TO a", "RELEASE b"):
        with pytest.raises(OperationalError, match="no such savepoint"):
            t.execute(stmt)
    expected = [(1, "a"), (2, "b")] if end.lower() == "commit" else [(1, "a")]
    assert rows(t) == expected


def test_a_failed_statement_keeps_the_savepoints(t):
    t.execute("SAVEPOINT a")
    t.execute("INSERT INTO t VALUES (2, 'b')")
    with pytest.raises(memtables.IntegrityError):
        t.execute("INSERT INTO t VALUES (3, 'c'), (2, 'dup')")
    assert rows(t) == [(1, "a"), (2, "b")]
    t.execute("ROLLBACK TO a")
    t.execute("RELEASE a")
    assert rows(t) == [(1, "a")]


def test_explain_names_the_savepoint(conn):
    assert conn.execute("EXPLAIN ROLLBACK TO s").fetchall() == [("ROLLBACK TO s",)]


# ---------------------------------------------------------------- what rolls back
def test_rowid_counter_rolls_back(conn):
    conn.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO r (v) VALUES ('a')")
    conn.execute("SAVEPOINT s")
    conn.execute("INSERT INTO r (v) VALUES ('b')")
    conn.execute("INSERT INTO r (v) VALUES ('c')")
    conn.execute("ROLLBACK TO s")
    cur = conn.execute("INSERT INTO r (v) VALUES ('d')")
    assert cur.lastrowid == 2  # as sqlite3: the numbers taken since the savepoint are free
    conn.execute("RELEASE s")
    conn.commit()
    assert conn.execute("SELECT id, v FROM r ORDER BY id").fetchall() == [
        (1, "a"),
        (2, "d"),
    ]


def test_indexes_roll_back_with_rows_and_schema(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    conn.execute("CREATE INDEX t_v ON t (v)")
    conn.execute("INSERT INTO t VALUES (1, 10)")
    conn.commit()
    conn.execute("SAVEPOINT s")
    conn.execute("INSERT INTO t VALUES (2, 20)")  # into t_v
    conn.execute("DROP INDEX t_v")
    conn.execute("INSERT INTO t VALUES (3, 30)")  # not into t_v
    conn.execute("ROLLBACK TO s")  # t_v comes back without rows 2 and 3
    table = conn.database.engine.catalog.table("t")
    table._check()  # its indexes too: no entry for a row that is gone
    assert conn.execute("SELECT id FROM t WHERE v = 20").fetchall() == []
    assert conn.execute("SELECT id FROM t WHERE v >= 10").fetchall() == [(1,)]
    conn.execute("RELEASE s")
    conn.execute("INSERT INTO t VALUES (2, 20)")
    conn.commit()
    assert conn.execute("SELECT id FROM t WHERE v = 20").fetchall() == [(2,)]


def test_schema_rolls_back_and_the_log_keeps_the_order(conn):
    """Rows and DDL before the savepoint stay, DDL after it goes; what was committed
    reopens the same (the fixture reopens a durable database from log and snapshot)."""
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    conn.execute("INSERT INTO t VALUES (1, 1), (2, 1)")
    conn.commit()
    conn.execute("SAVEPOINT a")
    conn.execute("DELETE FROM t WHERE id = 2")
    conn.execute("CREATE UNIQUE INDEX t_v ON t (v)")  # needs the DELETE before it
    conn.execute("CREATE TABLE u (k INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO u VALUES (1)")
    conn.execute("SAVEPOINT b")
    conn.execute("INSERT INTO t VALUES (3, 3)")
    conn.execute("CREATE TABLE w (k INTEGER)")
    conn.execute("INSERT INTO w VALUES (1)")
    conn.execute("DROP TABLE u")
    conn.execute("CREATE VIEW vw AS SELECT * FROM t")
    conn.execute("ROLLBACK TO b")
    names = {r[0] for r in conn.execute("SELECT name FROM sys.tables")}
    assert "w" not in names and "u" in names
    with pytest.raises(memtables.Error):
        conn.execute("SELECT * FROM vw")
    conn.execute("INSERT INTO u VALUES (2)")
    conn.execute("INSERT INTO t VALUES (4, 4)")
    conn.execute("RELEASE a")
    assert not conn.in_transaction
    assert rows(conn) == [(1, 1), (4, 4)]
    assert rows(conn, "SELECT * FROM u ORDER BY 1") == [(1,), (2,)]
    with pytest.raises(memtables.IntegrityError):
        conn.execute("INSERT INTO t VALUES (5, 1)")  # the unique index stayed
    conn.rollback()


def test_schema_made_inside_a_savepoint_can_be_committed_again(conn):
    conn.execute("SAVEPOINT a")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.execute("ROLLBACK TO a")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")  # the name is free again
    conn.execute("INSERT INTO t VALUES (7, 'x')")
    conn.execute("RELEASE a")
    assert rows(conn) == [(7, "x")]


def test_cache_table_rolls_back():
    conn = memtables.connect(clock=memtables.ManualClock(1000))
    conn.execute(
        "CREATE CACHE TABLE c (k INTEGER PRIMARY KEY, v TEXT) "
        "WITH (max_rows = 2, eviction = 'allkeys-lru')"
    )
    conn.execute("INSERT INTO c VALUES (1, 'a')")
    conn.commit()
    conn.execute("SAVEPOINT s")
    conn.execute("INSERT INTO c VALUES (2, 'b')")
    conn.execute("UPDATE c SET v = 'z' WHERE k = 1")
    conn.execute("ROLLBACK TO s")
    table = conn.database.engine.catalog.table("c")
    table.cache._check(table)
    conn.execute("RELEASE s")
    assert conn.execute("SELECT k, v FROM c").fetchall() == [(1, "a")]
    assert len(conn.cache("c")) == 1
    conn.close()


# ---------------------------------------------------------------- against sqlite3
_STEPS = st.one_of(
    st.tuples(st.just("insert"), st.integers(1, 6), st.integers(0, 9)),
    st.tuples(st.just("update"), st.integers(1, 6), st.integers(0, 9)),
    st.tuples(st.just("delete"), st.integers(1, 6), st.just(0)),
    st.tuples(st.just("autoinsert"), st.just(0), st.integers(0, 9)),
    st.tuples(
        st.sampled_from(["savepoint", "release", "rollback_to"]), st.integers(0, 2), st.just(0)
    ),
    st.tuples(st.sampled_from(["commit", "rollback"]), st.just(0), st.just(0)),
)


def _sql(step) -> str:
    kind, a, b = step
    name = "sp" + "abc"[a] if kind in ("savepoint", "release", "rollback_to") else ""
    return {
        "insert": f"INSERT INTO t (id, v) VALUES ({a}, {b})",
        "autoinsert": f"INSERT INTO s (v) VALUES ({b})",
        "update": f"UPDATE t SET v = v + {b} WHERE id >= {a}",
        "delete": f"DELETE FROM t WHERE id = {a}",
        "savepoint": f"SAVEPOINT {name}",
        "release": f"RELEASE {name.upper()}",
        "rollback_to": f"ROLLBACK TO {name}",
        "commit": "COMMIT",
        "rollback": "ROLLBACK",
    }[kind]


def _run(conn, sql, errors):
    try:
        conn.execute(sql)
        return None
    except errors as e:
        return type(e).__name__


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(_STEPS, max_size=25))
def test_same_contents_as_sqlite_after_each_step(steps):
    lite = sqlite3.connect(":memory:", isolation_level=None)
    mine = memtables.connect(autocommit=True)
    for c in (lite, mine):
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        c.execute("CREATE INDEX t_v ON t (v)")
        # rows numbered by the rowid counter; never deleted, since sqlite3 numbers from the
        # largest id and memtables from its counter (a documented difference)
        c.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, v INTEGER)")
    for step in steps:
        sql = _sql(step)
        if step[0] in ("commit", "rollback") and not lite.in_transaction:
            continue  # sqlite3 refuses COMMIT outside a transaction; memtables allows it
        failed_lite = _run(lite, sql, sqlite3.Error)
        failed_mine = _run(mine, sql, memtables.Error)
        assert (failed_lite is None) == (failed_mine is None), (sql, failed_lite, failed_mine)
        assert lite.in_transaction == mine.in_transaction, sql
        query = "SELECT id, v FROM t ORDER BY id"
        assert mine.execute(query).fetchall() == lite.execute(query).fetchall(), sql
        query = "SELECT id FROM t WHERE v = 3 ORDER BY id"  # through the index
        assert mine.execute(query).fetchall() == lite.execute(query).fetchall(), sql
        query = "SELECT id, v FROM s ORDER BY id"
        assert mine.execute(query).fetchall() == lite.execute(query).fetchall(), sql
    mine.execute("COMMIT")
    lite.close()
    mine.close()


# ---------------------------------------------------------------- durable, at random
TABLES = ("a", "b")


@st.composite
def _steps(draw) -> str:
    """A write, a schema change or a savepoint command over two tables with tiny values (so
    UNIQUE indexes are often refused and often accepted)."""
    t, v, w = draw(st.sampled_from(TABLES)), draw(st.integers(0, 2)), draw(st.integers(0, 2))
    return draw(
        st.sampled_from(
            [
                f"INSERT INTO {t} (v, w) VALUES ({v}, {w})",
                f"INSERT INTO {t} (v, w) VALUES ({w}, {v})",
                f"UPDATE {t} SET w = {v} WHERE v = {w}",
                f"DELETE FROM {t} WHERE v = {v}",
                f"CREATE UNIQUE INDEX {t}_u ON {t} (v)",
                f"CREATE INDEX {t}_s ON {t} USING SORTED (w)",
                f"DROP INDEX {t}_{'us'[v % 2]}",
                f"DROP TABLE {t}",
                f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, v INTEGER, w INTEGER)",
                f"SAVEPOINT {'pq'[v % 2]}",
                f"ROLLBACK TO {'pq'[w % 2]}",
                f"RELEASE {'pq'[w % 2]}",
            ]
        )
    )


def _state(conn) -> dict:
    """What must survive a reopen: indexes, rows and each table's next id."""
    out = {"indexes": sorted(conn.execute("SELECT name, unique FROM sys.indexes").fetchall())}
    for (name,) in sorted(conn.execute("SELECT name FROM sys.tables").fetchall()):
        out[name] = conn.execute(f"SELECT id, v, w FROM {name} ORDER BY id").fetchall()
        conn.execute(f"INSERT INTO {name} (v, w) VALUES (9, 9)")
        out[name + " next id"] = conn.execute(f"SELECT max(id) FROM {name}").fetchone()
    conn.rollback()
    return out


@settings(max_examples=100, derandomize=True, deadline=None, database=None)
@given(st.lists(st.lists(_steps(), max_size=16), min_size=1, max_size=3))
@example(  # a row written while an index existed, then DROP INDEX, then ROLLBACK TO
    [["SAVEPOINT p", "INSERT INTO a (v, w) VALUES (1, 1)", "DROP INDEX a_s", "ROLLBACK TO p"]]
)
def test_rollback_to_over_schema_changes_reopens_equal(txns):
    """Random DML, DDL and savepoints in BEGIN ... COMMIT: after each ROLLBACK TO the tables
    and their indexes are consistent, and the committed database reopens equal from the
    log and from a snapshot (the redo record keeps rows and schema in order)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.mtdb"
        conn = memtables.connect(path)
        for name in TABLES:
            conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, v INTEGER, w INTEGER)")
            conn.execute(f"INSERT INTO {name} (v, w) VALUES (0, 0), (0, 1), (1, 2)")
            conn.execute(f"CREATE INDEX {name}_s ON {name} USING SORTED (w)")
        conn.commit()
        catalog = conn.database.engine.catalog
        for txn in txns:
            conn.execute("BEGIN")
            for text in txn:
                try:
                    conn.execute(text)
                except memtables.Error:
                    pass  # a refused statement changes nothing; the transaction goes on
                if text.startswith("ROLLBACK"):
                    for table in catalog.tables.values():
                        table._check()
            conn.commit()
        before = _state(conn)
        conn.close()
        assert_reopens_equal(path, _state, before)


# ---------------------------------------------------------------- the shell
def test_shell_runs_savepoints_and_completes_them():
    import io

    from memtables.repl.completion import Metadata, complete
    from memtables.repl.session import Session

    out = io.StringIO()
    s = Session(memtables.connect(), out=out)
    s.run_input("CREATE TABLE t (id INTEGER PRIMARY KEY);\nSAVEPOINT a;\nINSERT INTO t VALUES (1);")
    assert s.prompt() == "memtables*> "  # autocommit waits for RELEASE
    s.run_input("ROLLBACK TO a; RELEASE a; SELECT count(*) FROM t;")
    assert s.prompt() == "memtables> "
    assert "no such savepoint" not in out.getvalue()
    s.run_input("RELEASE a;")
    assert "no such savepoint: a" in out.getvalue()
    assert "SAVEPOINT" in [c.text for c in complete("SAV", Metadata(), None, True)[1]]
    assert "RELEASE" in [c.text for c in complete("REL", Metadata(), None, True)[1]]
    s.conn.close()
