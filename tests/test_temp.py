"""CREATE TEMP TABLE and CREATE TEMP VIEW, as a user meets them: through ``memtables.connect``
and SQL, with sqlite3 (3.40) as the reference for name resolution.

A temporary object belongs to the connection that made it: other connections of the same
database neither see it nor mind its name, it is gone when the connection closes, and it
never reaches the redo log or a snapshot. Unqualified names find it first; ``main.x`` and
``temp.x`` pick a side. Its creation, rows and removal are transactional like any others.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st

import memtables
from memtables import NotSupportedError, OperationalError, ProgrammingError
from tests.test_differential import SETTINGS


def rows(conn, sql):
    return conn.execute(sql).fetchall()


@pytest.fixture
def two(tmp_path):
    """Two connections of one durable database, with a committed main table ``t``."""
    path = tmp_path / "db"
    a = memtables.connect(path)
    b = memtables.connect(path)
    a.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    a.execute("INSERT INTO t VALUES (1, 'main')")
    a.commit()
    yield path, a, b
    for c in (a, b):
        c.close()


# ---------------------------------------------------------------- syntax and resolution
@pytest.mark.parametrize(
    "create",
    [
        "CREATE TEMP TABLE s (k INTEGER)",
        "CREATE TEMPORARY TABLE s (k INTEGER)",
        "create temp table if not exists s (k integer)",
        "CREATE TABLE temp.s (k INTEGER)",
        "CREATE TEMP TABLE temp.s (k INTEGER)",
        "CREATE TEMP TABLE s AS SELECT 1 AS k",
    ],
)
def test_every_spelling_makes_a_temporary_table(conn, create):
    conn.execute(create)
    assert rows(conn, "SELECT name FROM sys.temp_schema") == [("s",)]
    assert rows(conn, "SELECT name FROM sys.schema") == []


def test_temp_and_temporary_stay_usable_as_names(conn):
    conn.execute("CREATE TABLE temp (temporary INTEGER, temp TEXT)")
    conn.execute("INSERT INTO temp VALUES (1, 'x')")
    assert rows(conn, "SELECT temp.temporary, temp FROM temp") == [(1, "x")]
    conn.commit()


def test_unqualified_names_find_the_temporary_table_first(two):
    _, a, _ = two
    a.execute("CREATE TEMP TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    a.execute("INSERT INTO t VALUES (2, 'temp')")
    assert rows(a, "SELECT v FROM t") == [("temp",)]
    assert rows(a, "SELECT v FROM temp.t") == [("temp",)]
    assert rows(a, "SELECT v FROM main.t") == [("main",)]
    a.execute("UPDATE main.t SET v = 'main2'")
    a.execute("DELETE FROM temp.t WHERE k = 2")
    assert rows(a, "SELECT v FROM main.t") == [("main2",)]
    assert rows(a, "SELECT count(*) FROM t") == [(0,)]


def test_schema_qualified_columns_tell_main_t_from_temp_t(two):
    _, a, _ = two
    a.execute("CREATE TEMP TABLE t (k INTEGER, w TEXT)")
    a.execute("INSERT INTO t VALUES (1, 'temp')")
    q = "SELECT main.t.v, temp.t.w FROM main.t JOIN temp.t ON main.t.k = temp.t.k"
    assert rows(a, q) == [("main", "temp")]
    cur = a.execute("SELECT * FROM main.t, temp.t")
    assert cur.fetchall() == [(1, "main", 1, "temp")]
    assert [d[0] for d in cur.description] == ["k", "v", "k", "w"]
    with pytest.raises(ProgrammingError, match="ambiguous column name"):
        a.execute("SELECT t.k FROM main.t, temp.t")
    with pytest.raises(ProgrammingError, match="no such column: main.t.k"):
        a.execute("SELECT main.t.k FROM t")  # t is the temporary table here
    with pytest.raises(ProgrammingError, match="ambiguous table name"):
        a.execute("SELECT * FROM t, temp.t")


def test_drop_table_drops_the_temporary_one_first(two):
    _, a, _ = two
    a.execute("CREATE TEMP TABLE t (k INTEGER)")
    a.execute("DROP TABLE t")
    assert rows(a, "SELECT v FROM t") == [("main",)]  # the main one is reachable again
    a.execute("CREATE TEMP TABLE t (k INTEGER)")
    a.execute("DROP TABLE main.t")
    a.execute("DROP TABLE t")
    with pytest.raises(ProgrammingError, match="no such table: t"):
        a.execute("SELECT * FROM t")


def test_joins_insert_select_and_ctas_between_temp_and_main(conn):
    conn.execute("CREATE TABLE m (k INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO m VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    conn.execute("CREATE TEMP TABLE pick AS SELECT k FROM m WHERE k >= 2")
    assert rows(conn, "SELECT m.v FROM m JOIN pick ON pick.k = m.k ORDER BY 1") == [
        ("b",),
        ("c",),
    ]
    conn.execute("INSERT INTO pick SELECT k + 10 FROM m")
    conn.execute("INSERT INTO m SELECT k, 'from temp' FROM pick WHERE k > 10")
    conn.execute("CREATE TABLE kept AS SELECT k FROM pick WHERE k < 10")
    assert rows(conn, "SELECT count(*) FROM m") == [(6,)]
    assert rows(conn, "SELECT k FROM kept ORDER BY k") == [(2,), (3,)]
    conn.commit()  # the fixture reopens a durable database: m and kept, never pick


def test_indexes_on_a_temporary_table(conn):
    conn.execute("CREATE TEMP TABLE s (k INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO s VALUES (?, ?)", [(i, f"v{i % 7}") for i in range(50)])
    conn.execute("CREATE INDEX s_v ON s (v)")
    conn.execute("CREATE UNIQUE INDEX temp_u ON temp.s (k)")
    plan = "\n".join(r[0] for r in rows(conn, "EXPLAIN SELECT k FROM s WHERE v = 'v3'"))
    assert "s_v" in plan
    assert rows(conn, "SELECT count(*) FROM s WHERE v = 'v3'") == [(7,)]
    assert rows(conn, "SELECT name FROM sys.temp_schema WHERE type = 'index'") == [
        ("s_v",),
        ("temp_u",),
    ]
    assert rows(conn, "SELECT name FROM sys.indexes") == []  # main objects only
    with pytest.raises(memtables.IntegrityError):
        conn.execute("INSERT INTO s VALUES (1, 'dup')")
    conn.execute("DROP INDEX s_v")
    assert rows(conn, "SELECT name FROM sys.temp_schema WHERE type = 'index'") == [("temp_u",)]


def test_sys_temp_schema_is_sqlite_temp_master(conn):
    conn.execute("CREATE TEMP TABLE s (a INTEGER)")
    conn.execute("CREATE INDEX s_a ON s (a)")
    conn.execute("CREATE TEMP VIEW w AS SELECT a FROM s")
    assert rows(conn, "SELECT type, name, table_name, sql FROM sys.temp_schema") == [
        ("table", "s", "s", "CREATE TABLE s (a INTEGER)"),
        ("index", "s_a", "s", "CREATE INDEX s_a ON s USING SORTED (a)"),
        ("view", "w", "w", "CREATE VIEW w AS SELECT a FROM s"),
    ]
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE TEMP TABLE s (a INTEGER)")
    lite.execute("CREATE INDEX s_a ON s (a)")
    lite.execute("CREATE TEMP VIEW w AS SELECT a FROM s")
    assert rows(conn, "SELECT type, name, table_name FROM sys.temp_schema") == rows(
        lite, "SELECT type, name, tbl_name FROM sqlite_temp_master"
    )


# ---------------------------------------------------------------- views
def test_temp_views_see_temp_first_and_main_views_only_main(two):
    _, a, _ = two
    a.execute("CREATE VIEW mv AS SELECT v FROM t")
    a.execute("CREATE TEMP TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    a.execute("INSERT INTO t VALUES (5, 'temp')")
    a.execute("CREATE TEMP VIEW tv AS SELECT v FROM t")
    a.execute("CREATE TEMP VIEW tmain AS SELECT v FROM main.t")
    a.execute("CREATE VIEW mv2 AS SELECT v FROM t")  # a main view binds main names
    assert rows(a, "SELECT * FROM tv") == [("temp",)]
    assert rows(a, "SELECT * FROM tmain") == [("main",)]
    assert rows(a, "SELECT * FROM mv") == [("main",)]
    assert rows(a, "SELECT * FROM mv2") == [("main",)]
    a.execute("DROP VIEW tv")
    a.execute("DROP VIEW temp.tmain")
    assert rows(a, "SELECT name FROM sys.temp_schema") == [("t",)]


def test_a_main_view_cannot_name_temporary_objects(conn):
    conn.execute("CREATE TEMP TABLE s (a INTEGER)")
    with pytest.raises(OperationalError, match="cannot reference objects in database temp"):
        conn.execute("CREATE VIEW v AS SELECT a FROM temp.s")
    # memtables binds a main view's names in main (SQLite would accept this and fail later)
    with pytest.raises(ProgrammingError, match="no such table: s"):
        conn.execute("CREATE VIEW v AS SELECT a FROM s")
    assert rows(conn, "SELECT * FROM sys.schema") == []


# ---------------------------------------------------------------- connections
def test_other_connections_do_not_see_it_and_may_reuse_the_name(two):
    _, a, b = two
    a.execute("CREATE TEMP TABLE scratch (x INTEGER)")
    a.execute("INSERT INTO scratch VALUES (1)")
    a.commit()
    with pytest.raises(ProgrammingError, match="no such table: scratch"):
        b.execute("SELECT * FROM scratch")
    b.execute("CREATE TEMP TABLE scratch (y TEXT)")
    b.execute("INSERT INTO scratch VALUES ('b')")
    b.commit()
    assert rows(a, "SELECT * FROM scratch") == [(1,)]
    assert rows(b, "SELECT * FROM scratch") == [("b",)]
    assert rows(b, "SELECT * FROM sys.temp_schema")[0][3] == "CREATE TABLE scratch (y TEXT)"


def test_the_statement_cache_never_serves_one_connections_meaning_to_another(two):
    _, a, b = two
    query = "SELECT v FROM t"
    assert rows(b, query) == [("main",)]  # cached for connections without temp objects
    a.execute("CREATE TEMP TABLE t (k INTEGER, v TEXT)")
    a.execute("INSERT INTO t VALUES (1, 'a')")
    assert rows(a, query) == [("a",)]
    assert rows(b, query) == [("main",)]
    b.execute("CREATE TEMP TABLE t (k INTEGER, v TEXT)")
    b.execute("INSERT INTO t VALUES (1, 'b')")
    assert (rows(a, query), rows(b, query)) == ([("a",)], [("b",)])
    a.execute("DROP TABLE t")
    assert (rows(a, query), rows(b, query)) == ([("main",)], [("b",)])


def test_a_connection_with_temp_objects_sees_main_schema_changes(two):
    _, a, b = two
    a.execute("CREATE TEMP TABLE s (x INTEGER)")
    assert rows(a, "SELECT * FROM t") == [(1, "main")]
    b.execute("DROP TABLE t")
    b.execute("CREATE TABLE t (only TEXT)")
    b.execute("INSERT INTO t VALUES ('new')")
    b.commit()
    a.commit()  # a snapshot taken after b's commit
    assert rows(a, "SELECT * FROM t") == [("new",)]


def test_closing_the_connection_drops_its_temporary_objects(two):
    path, a, b = two
    a.execute("CREATE TEMP TABLE s (x INTEGER)")
    a.execute("INSERT INTO s VALUES (1)")
    a.commit()
    a.close()
    c = b.database.connect()
    with pytest.raises(ProgrammingError, match="no such table: s"):
        c.execute("SELECT * FROM s")
    c.execute("CREATE TEMP TABLE s (y TEXT)")  # the name is free
    c.close()


def test_scripts_see_temporary_objects(conn):
    conn.executescript(
        "CREATE TEMP TABLE s (x INTEGER); INSERT INTO s VALUES (1), (2);"
        "CREATE TEMP VIEW w AS SELECT sum(x) AS n FROM s;"
    )
    assert rows(conn, "SELECT n FROM w") == [(3,)]


# ---------------------------------------------------------------- transactions
def test_rollback_undoes_the_create_and_the_rows(conn):
    conn.execute("CREATE TEMP TABLE s (x INTEGER)")
    conn.execute("INSERT INTO s VALUES (1)")
    conn.rollback()
    with pytest.raises(ProgrammingError, match="no such table: s"):
        conn.execute("SELECT * FROM s")
    conn.execute("CREATE TEMP TABLE s (x INTEGER)")
    conn.execute("INSERT INTO s VALUES (1)")
    conn.commit()
    conn.execute("INSERT INTO s VALUES (2)")
    conn.execute("DROP TABLE s")
    conn.rollback()
    assert rows(conn, "SELECT x FROM s") == [(1,)]
    assert rows(conn, "SELECT name FROM sys.temp_schema") == [("s",)]


def test_savepoints_undo_temporary_objects(conn):
    conn.execute("CREATE TEMP TABLE s (x INTEGER)")
    conn.execute("SAVEPOINT a")
    conn.execute("INSERT INTO s VALUES (1)")
    conn.execute("CREATE TEMP VIEW w AS SELECT x FROM s")
    conn.execute("SAVEPOINT b")
    conn.execute("CREATE INDEX s_x ON s (x)")
    conn.execute("DROP TABLE s")
    conn.execute("ROLLBACK TO b")
    assert rows(conn, "SELECT type, name FROM sys.temp_schema") == [
        ("table", "s"),
        ("view", "w"),
    ]
    conn.execute("ROLLBACK TO a")
    assert rows(conn, "SELECT name FROM sys.temp_schema") == [("s",)]
    assert rows(conn, "SELECT * FROM s") == []
    conn.execute("RELEASE a")
    conn.commit()


def test_a_failed_statement_leaves_a_temporary_table_as_it_was(conn):
    conn.execute("CREATE TEMP TABLE s (x INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO s VALUES (1)")
    with pytest.raises(memtables.IntegrityError):
        conn.execute("INSERT INTO s VALUES (2), (1)")
    with pytest.raises(ProgrammingError):
        conn.execute("CREATE TEMP TABLE s2 AS SELECT x, nosuch FROM s")
    assert rows(conn, "SELECT x FROM s") == [(1,)]
    assert rows(conn, "SELECT name FROM sys.temp_schema") == [("s",)]


# ---------------------------------------------------------------- durability
def _files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())


def test_temporary_objects_never_reach_the_log_or_a_snapshot(two):
    path, a, b = two
    a.execute("CREATE TEMP TABLE zz_scratch (x TEXT)")
    a.execute("INSERT INTO zz_scratch VALUES ('zz_secret_row')")
    a.execute("CREATE INDEX zz_scratch_x ON zz_scratch (x)")
    a.execute("CREATE TEMP VIEW zz_view AS SELECT x FROM zz_scratch")
    a.execute("INSERT INTO t SELECT 2, x FROM zz_scratch")  # a main row made from temp data
    a.commit()
    b.execute("CREATE TEMP TABLE zz_other AS SELECT v FROM t")
    b.commit()
    a.execute("CHECKPOINT")
    a.execute("INSERT INTO zz_scratch VALUES ('zz_after_checkpoint')")
    a.execute("DROP TABLE zz_scratch")
    a.commit()
    logged = _files(path)
    assert b"zz_scratch" not in logged and b"zz_view" not in logged
    assert b"zz_other" not in logged and b"zz_after_checkpoint" not in logged
    a.close()
    b.close()
    again = memtables.connect(path)
    try:
        assert rows(again, "SELECT k, v FROM t ORDER BY k") == [(1, "main"), (2, "zz_secret_row")]
        assert rows(again, "SELECT name FROM sys.schema") == [("t",)]
        assert rows(again, "SELECT * FROM sys.temp_schema") == []
    finally:
        again.close()


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "sql, error, message",
    [
        (
            "CREATE TEMP CACHE TABLE c (k INTEGER PRIMARY KEY)",
            NotSupportedError,
            "cache table c cannot be TEMPORARY",
        ),
        (
            "CREATE TEMP TABLE c (k INTEGER PRIMARY KEY) WITH (cache = true)",
            NotSupportedError,
            "cannot be TEMPORARY",
        ),
        ("CREATE TEMP TABLE s (k INTEGER) WITH (durable = false)", ProgrammingError, "WITH"),
        ("CREATE TEMP TABLE main.s (k INTEGER)", OperationalError, "must be unqualified"),
        ("CREATE TEMP VIEW main.w AS SELECT 1", OperationalError, "must be unqualified"),
        ("CREATE TABLE other.s (k INTEGER)", ProgrammingError, "unknown database other"),
        ("SELECT * FROM other.s", ProgrammingError, "no such table: other.s"),
        ("SELECT * FROM temp.nothere", ProgrammingError, "no such table: temp.nothere"),
        ("INSERT INTO temp.nothere VALUES (1)", ProgrammingError, "no such table: temp.nothere"),
        ("DROP TABLE temp.nothere", ProgrammingError, "no such table: temp.nothere"),
        ("DROP VIEW temp.nothere", ProgrammingError, "no such view: temp.nothere"),
        ("CREATE INDEX i ON temp.nothere (k)", ProgrammingError, "no such table: temp.nothere"),
    ],
)
def test_errors(conn, sql, error, message):
    with pytest.raises(error, match=message):
        conn.execute(sql)
    assert rows(conn, "SELECT * FROM sys.temp_schema") == []
    assert rows(conn, "SELECT * FROM sys.schema") == []


def test_names_clash_as_in_sqlite(conn):
    lite = sqlite3.connect(":memory:", isolation_level=None)
    steps = [
        "CREATE TEMP TABLE t (k INTEGER)",
        "CREATE TEMP TABLE t (k INTEGER)",  # taken
        "CREATE TEMP TABLE IF NOT EXISTS t (k INTEGER)",
        "CREATE VIEW t AS SELECT 1 AS k",  # each schema has its own names
        "CREATE TABLE t (k INTEGER)",  # taken by the main view
        "CREATE TABLE main.t (k INTEGER)",
        "DROP VIEW t",
        "CREATE TABLE main.t (k INTEGER)",
        "CREATE TEMP VIEW w AS SELECT 1 AS k",
        "CREATE TEMP TABLE w (k INTEGER)",
        "CREATE TABLE w (k INTEGER)",
        "CREATE INDEX t ON t (k)",  # on the temporary t: its name is taken there
        "CREATE INDEX ti ON t (k)",
        "DROP INDEX ti",
        "DROP INDEX ti",
    ]
    for sql in steps:
        expect = _outcome(lambda s=sql: lite.execute(s))
        got = _outcome(lambda s=sql: conn.execute(s))
        assert got == expect, sql
    for mine, theirs in (("sys.temp_schema", "sqlite_temp_master"), ("sys", "sqlite_master")):
        mine = "sys.schema" if mine == "sys" else mine
        assert rows(conn, f"SELECT type, name FROM {mine} ORDER BY 1, 2") == rows(
            lite, f"SELECT type, name FROM {theirs} ORDER BY 1, 2"
        )
    conn.commit()


def test_each_schema_has_its_own_index_names(conn):
    conn.execute("CREATE TABLE t (k INTEGER)")
    conn.execute("CREATE TEMP TABLE t (k INTEGER)")
    conn.execute("CREATE INDEX ti ON t (k)")
    conn.execute("CREATE INDEX ti ON main.t (k)")  # memtables' spelling for a main index
    assert rows(conn, "SELECT name, table_name FROM sys.indexes") == [("ti", "t")]
    assert rows(conn, "SELECT type, name FROM sys.temp_schema") == [("table", "t"), ("index", "ti")]
    conn.execute("DROP INDEX ti")  # the temporary one first
    conn.execute("DROP INDEX ti")
    assert rows(conn, "SELECT * FROM sys.indexes") == []
    assert rows(conn, "SELECT type FROM sys.temp_schema") == [("table",)]
    conn.commit()


def _outcome(run) -> str:
    try:
        run()
    except (sqlite3.Error, memtables.Error):
        return "error"
    return "ok"


def test_fetchall_after_ddl_raises_as_pep_249_says(conn):
    cur = conn.execute("CREATE TEMP TABLE s (x INTEGER)")
    assert cur.description is None
    with pytest.raises(ProgrammingError, match="no result set"):
        cur.fetchall()


# ---------------------------------------------------------------- against sqlite3
_TARGETS = ["t", "main.t", "temp.t"]
_OPS = st.one_of(
    st.sampled_from(
        [
            "CREATE TABLE t (k INTEGER)",
            "CREATE TABLE main.t (k INTEGER)",
            "CREATE TEMP TABLE t (k INTEGER)",
            "CREATE TEMP TABLE IF NOT EXISTS t (k INTEGER)",
            "CREATE TEMP TABLE t AS SELECT k + 100 AS k FROM main.t",
            "CREATE TEMP VIEW v AS SELECT k * 2 AS k FROM t",
            "CREATE VIEW mv AS SELECT k * 3 AS k FROM main.t",
            "CREATE INDEX ix ON t (k)",
            "DROP INDEX ix",
            "DROP VIEW v",
            "DROP VIEW mv",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT s",
            "ROLLBACK TO s",
            "RELEASE s",
        ]
    ),
    st.builds(lambda t: f"DROP TABLE {t}", st.sampled_from(_TARGETS)),
    st.builds(lambda t: f"DROP TABLE IF EXISTS {t}", st.sampled_from(_TARGETS)),
    st.builds(
        lambda t, k: f"INSERT INTO {t} VALUES ({k})", st.sampled_from(_TARGETS), st.integers(0, 9)
    ),
    st.builds(lambda t: f"INSERT INTO {t} SELECT k + 10 FROM main.t", st.sampled_from(_TARGETS)),
    st.builds(lambda t: f"DELETE FROM {t} WHERE k % 2 = 0", st.sampled_from(_TARGETS)),
    st.builds(lambda t: f"UPDATE {t} SET k = k + 1", st.sampled_from(_TARGETS)),
)
_READS = [f"SELECT k FROM {t} ORDER BY k" for t in _TARGETS] + [
    "SELECT * FROM main.t, temp.t ORDER BY 1, 2",
    "SELECT main.t.k, temp.t.k FROM main.t JOIN temp.t ON main.t.k = temp.t.k ORDER BY 1",
    "SELECT temp.t.k FROM t ORDER BY 1",
    "SELECT k FROM v ORDER BY k",
    "SELECT k FROM mv ORDER BY k",
    "SELECT a.k, b.k FROM main.t a JOIN temp.t b ON a.k = b.k ORDER BY 1, 2",
    "SELECT type, name FROM {temp} ORDER BY 1, 2",
    "SELECT type, name FROM {main} ORDER BY 1, 2",
]


def _both(lite, conn, sql: str, in_txn: list) -> None:
    if sql in ("COMMIT", "ROLLBACK") and not in_txn:
        return  # sqlite3 refuses these outside a transaction; memtables lets them pass
    if sql.startswith(("ROLLBACK TO", "RELEASE")) and "s" not in in_txn:
        return
    if sql == "BEGIN" and in_txn:
        return
    mine = sql.replace("{temp}", "sys.temp_schema").replace("{main}", "sys.schema")
    theirs = sql.replace("{temp}", "sqlite_temp_master").replace("{main}", "sqlite_master")
    try:
        cur = lite.execute(theirs)
        expect = ("ok", cur.fetchall() if sql.startswith("SELECT") else [])
    except sqlite3.Error as e:
        expect = ("error", str(e))
    try:
        cur = conn.execute(mine)
        got = ("ok", cur.fetchall() if sql.startswith("SELECT") else [])
    except memtables.Error as e:
        got = ("error", str(e))
    note(f"{sql}: sqlite3 {expect}, memtables {got}")
    if " VIEW " in sql and expect[0] == "ok" and "no such table" in got[1]:
        # memtables checks a view's names when it is created, SQLite when it is used
        lite.execute(f"DROP VIEW {sql.split(' AS ')[0].split()[-1]}")
        return
    assert got[0] == expect[0], sql
    if got[0] == "ok":
        assert got[1] == expect[1], sql
        if sql == "BEGIN":
            in_txn.append("txn")
        elif sql == "SAVEPOINT s":
            in_txn.append("s")
        elif sql in ("COMMIT", "ROLLBACK"):
            in_txn.clear()


@SETTINGS
@given(st.lists(_OPS, min_size=1, max_size=30))
@example(
    [
        "CREATE TABLE t (k INTEGER)",
        "INSERT INTO t VALUES (1)",
        "CREATE VIEW mv AS SELECT k * 3 AS k FROM main.t",
        "BEGIN",
        "CREATE TEMP TABLE t AS SELECT k + 100 AS k FROM main.t",
        "INSERT INTO t SELECT k + 10 FROM main.t",
        "CREATE TEMP VIEW v AS SELECT k * 2 AS k FROM t",
        "SAVEPOINT s",
        "DROP TABLE t",
        "INSERT INTO t VALUES (2)",
        "ROLLBACK TO s",
        "CREATE INDEX ix ON t (k)",
        "COMMIT",
        "DROP TABLE t",
        "DROP TABLE t",
    ]
)
def test_name_resolution_agrees_with_sqlite(ops):
    lite = sqlite3.connect(":memory:", isolation_level=None)
    conn = memtables.connect(autocommit=True)
    try:
        in_txn: list = []
        for sql in ops:
            _both(lite, conn, sql, in_txn)
            for read in _READS:
                _both(lite, conn, read, in_txn)
    finally:
        conn.close()
        lite.close()


def test_sqlalchemy_reflects_temporary_names():
    import sqlalchemy  # a test dependency, as for tests/test_sqlalchemy.py

    engine = sqlalchemy.create_engine("memtables://")
    with engine.connect() as c:
        c.exec_driver_sql("CREATE TABLE m (k INTEGER PRIMARY KEY)")
        c.exec_driver_sql("CREATE TEMP TABLE s (k INTEGER)")
        c.exec_driver_sql("CREATE TEMP VIEW w AS SELECT k FROM s")
        inspector = sqlalchemy.inspect(c)
        assert inspector.get_temp_table_names() == ["s"]
        assert inspector.get_temp_view_names() == ["w"]
        assert inspector.get_table_names() == ["m"]


# ---------------------------------------------------------------- beside functions, triggers, ALTER
def test_temporary_objects_and_functions_share_one_connection_cache():
    """A connection with both temporary tables and its own functions: its statements are
    cached in its own cache, compiled once, and recompiled when either changes."""
    db = memtables.Database()
    a, b = db.connect(), db.connect()
    a.execute("CREATE TABLE t (v INTEGER)")
    a.execute("INSERT INTO t VALUES (1)")
    a.commit()
    a.create_function("f", 1, lambda x: x * 10)
    a.execute("CREATE TEMP TABLE t (v INTEGER)")
    a.execute("INSERT INTO t VALUES (2)")
    for sql in ("SELECT f(v) FROM t", "SELECT v FROM t", "SELECT f(v) FROM main.t"):
        before = db.statements_compiled
        for _ in range(3):
            a.execute(sql).fetchall()
        assert db.statements_compiled == before + 1, sql
    assert rows(a, "SELECT f(v) FROM t") == [(20,)]
    assert rows(a, "SELECT f(v) FROM main.t") == [(10,)]
    assert rows(b, "SELECT v FROM t") == [(1,)]  # not a's statement, nor a's table
    with pytest.raises(ProgrammingError, match="no such function: f"):
        b.execute("SELECT f(v) FROM t")
    a.create_function("f", 1, lambda x: x * 100)  # a redefinition recompiles
    assert rows(a, "SELECT f(v) FROM t") == [(200,)]
    a.execute("DROP TABLE temp.t")  # a temporary change too
    assert rows(a, "SELECT f(v) FROM t") == [(100,)]
    a.execute("ALTER TABLE t ADD COLUMN w INTEGER DEFAULT 5")  # and a main one
    assert rows(a, "SELECT f(w) FROM t") == [(500,)]
    db.close()


def test_a_statement_using_no_function_is_shared_while_no_temporary_object_exists():
    db = memtables.Database()
    a, b = db.connect(), db.connect()
    a.execute("CREATE TABLE t (v INTEGER)")
    a.create_function("f", 1, lambda x: x)
    b.execute("SELECT v + 1 FROM t")
    before = db.statements_compiled
    a.execute("SELECT v + 1 FROM t")
    assert db.statements_compiled == before  # from the shared cache
    a.execute("CREATE TEMP TABLE x (v INTEGER)")
    before = db.statements_compiled
    a.execute("SELECT v + 1 FROM t")
    a.execute("SELECT v + 1 FROM t")
    assert db.statements_compiled == before + 1  # now the connection's own
    db.close()


def test_triggers_on_temporary_tables_are_refused(conn):
    conn.execute("CREATE TEMP TABLE x (v INTEGER)")
    with pytest.raises(NotSupportedError, match="temporary tables"):
        conn.execute("CREATE TRIGGER tr AFTER INSERT ON x BEGIN SELECT 1; END")


def test_main_triggers_do_not_fire_on_a_temporary_table_of_the_same_name(conn):
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.execute("CREATE TABLE log (v INTEGER)")
    conn.execute("CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.v); END")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.execute("CREATE TEMP TABLE t (v INTEGER)")
    conn.execute("INSERT INTO t VALUES (2)")  # the temporary one: no trigger
    conn.execute("INSERT INTO main.t VALUES (3)")
    assert rows(conn, "SELECT v FROM log ORDER BY v") == [(1,), (3,)]
    kinds = rows(conn, "SELECT type, name FROM sys.schema ORDER BY type, name")
    assert ("trigger", "tr") in kinds
    assert rows(conn, "SELECT type, name FROM sys.temp_schema") == [("table", "t")]


def test_alter_table_of_a_temporary_table_is_refused(conn):
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.execute("CREATE TEMP TABLE t (v INTEGER)")
    for sql in ("ALTER TABLE t ADD COLUMN w INTEGER", "ALTER TABLE temp.t RENAME TO u"):
        with pytest.raises(NotSupportedError, match="temporary table t"):
            conn.execute(sql)
    conn.execute("ALTER TABLE main.t ADD COLUMN w INTEGER")
    assert [d[0] for d in conn.execute("SELECT * FROM main.t").description] == ["v", "w"]
    assert [d[0] for d in conn.execute("SELECT * FROM t").description] == ["v"]
    with pytest.raises(memtables.DatabaseError, match="no such table: temp.u"):
        conn.execute("ALTER TABLE temp.u ADD COLUMN w INTEGER")
