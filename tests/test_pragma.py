"""PRAGMA and the sqlite_master compatibility view, as sqlite3 users and their tools use them.

The schema pragmas are compared row for row with Python's sqlite3 given the same CREATE
statements (declared types are memtables' canonical ones: it reports the type it keeps);
settings, user_version and the read-only schema tables are checked against what sqlite3
does, and user_version against a reopen of a durable database.
"""

from __future__ import annotations

import sqlite3

import pytest

import memtables
from tests.conftest import with_sqlite

SCHEMA = [
    "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL DEFAULT 'x', c REAL, d, "
    "e TEXT UNIQUE, f INTEGER DEFAULT -1, g TEXT COLLATE NOCASE)",
    "CREATE TABLE u (a TEXT, b INTEGER, c TEXT, PRIMARY KEY (a, b), UNIQUE (c), UNIQUE (b, c))",
    "CREATE TABLE k (id TEXT PRIMARY KEY, n INTEGER UNIQUE, at TIMESTAMP, day DATE, ok BOOLEAN)",
    "CREATE TABLE w (x BLOB, y TEXT)",
    "CREATE INDEX ub ON u (b DESC, c)",
    "CREATE UNIQUE INDEX uc ON u (c)",
    "CREATE INDEX tg ON t (g)",
    "CREATE INDEX wxy ON w (x, y)",
    "CREATE VIEW v AS SELECT a, b || 'z' AS bz FROM t",
    "CREATE VIEW v2 (p, q) AS SELECT a, e FROM t",
]
TABLES = ["t", "u", "k", "w", "v", "v2", "T", "nope"]


def fetch(conn, sql: str) -> tuple:
    """(column names or None, rows) of one statement."""
    cur = conn.execute(sql)
    if cur.description is None:
        return None, []
    return [d[0] for d in cur.description], cur.fetchall()


@pytest.fixture
def pair():
    conn = memtables.connect()
    conn, lite = with_sqlite(conn, SCHEMA)
    yield conn, lite
    conn.close()
    lite.close()


@pytest.mark.parametrize("pragma", ["table_info", "table_xinfo", "index_list", "foreign_key_list"])
@pytest.mark.parametrize("name", TABLES)
def test_table_pragmas_as_sqlite(pair, pragma, name):
    conn, lite = pair
    for form in (
        f"PRAGMA {pragma}({name})",
        f"pragma {pragma}('{name}')",
        f'PRAGMA {pragma}("{name}")',
    ):
        assert fetch(conn, form) == fetch(lite, form), form


def test_every_index_as_sqlite(pair):
    conn, lite = pair
    names = [r[1] for t in ("t", "u", "k", "w") for r in lite.execute(f"PRAGMA index_list({t})")]
    assert "sqlite_autoindex_u_1" in names and "ub" in names
    for name in names + ["nope"]:
        for pragma in ("index_info", "index_xinfo"):
            sql = f"PRAGMA {pragma}({name})"
            assert fetch(conn, sql) == fetch(lite, sql), sql


def test_table_list_and_database_list(pair):
    conn, lite = pair
    names, rows = fetch(conn, "PRAGMA table_list")
    assert (names, sorted(rows)) == (lambda d: (d[0], sorted(d[1])))(
        fetch(lite, "PRAGMA table_list")
    )
    assert fetch(conn, "PRAGMA table_list(u)") == fetch(lite, "PRAGMA table_list(u)")
    assert fetch(conn, "PRAGMA main.table_list")[1] != []
    assert fetch(conn, "PRAGMA database_list") == fetch(lite, "PRAGMA database_list")


def test_schema_prefix_picks_a_side(pair):
    conn, lite = pair
    for c in (conn, lite):
        c.execute("CREATE TEMP TABLE t (z TEXT PRIMARY KEY)")
    for sql in [
        "PRAGMA table_info(t)",
        "PRAGMA main.table_info(t)",
        "PRAGMA temp.table_info(t)",
        "PRAGMA temp.table_info(u)",
        "PRAGMA temp.index_list(t)",
        "PRAGMA main.index_list(t)",
        "PRAGMA database_list",
    ]:
        assert fetch(conn, sql) == fetch(lite, sql), sql
    with pytest.raises(memtables.OperationalError, match="unknown database nowhere"):
        conn.execute("PRAGMA nowhere.table_info(t)")
    with pytest.raises(sqlite3.OperationalError, match="unknown database nowhere"):
        lite.execute("PRAGMA nowhere.table_info(t)")


def test_sqlite_master_lists_what_sqlite_lists(pair):
    conn, lite = pair
    for name in ("sqlite_master", "sqlite_schema", "main.sqlite_master", "MAIN.SQLITE_SCHEMA"):
        sql = f"SELECT type, name, tbl_name FROM {name} ORDER BY type, name"
        assert fetch(conn, sql) == fetch(lite, sql), sql
    names, rows = fetch(conn, "SELECT * FROM sqlite_master WHERE name = 'u'")
    assert names == ["type", "name", "tbl_name", "rootpage", "sql"]
    assert rows == [
        (
            "table",
            "u",
            "u",
            0,
            conn.execute("SELECT sql FROM sys.schema WHERE name = 'u'").fetchone()[0],
        )
    ]
    autos = "SELECT name, sql FROM sqlite_master WHERE name LIKE 'sqlite_autoindex%' ORDER BY name"
    assert fetch(conn, autos) == fetch(lite, autos)  # no sql, as SQLite's


def test_sqlite_temp_master_is_the_connections_own(pair):
    conn, lite = pair
    other = conn.database.connect()
    sql = "SELECT name FROM sqlite_temp_master"
    assert other.execute(sql).fetchall() == []  # prepared first, with no temporary objects
    for c in (conn, lite):
        c.execute("CREATE TEMP TABLE scratch (k TEXT PRIMARY KEY, v INTEGER)")
        c.execute("CREATE TEMP VIEW sv AS SELECT k FROM scratch")
    for name in (
        "sqlite_temp_master",
        "sqlite_temp_schema",
        "temp.sqlite_master",
        "temp.sqlite_schema",
    ):
        sql = f"SELECT type, name, tbl_name FROM {name} ORDER BY type, name"
        assert fetch(conn, sql) == fetch(lite, sql), sql
    assert "scratch" not in [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    assert conn.execute(sql).fetchall() == lite.execute(sql).fetchall() != []
    assert other.execute(sql).fetchall() == []  # never another connection's
    assert other.execute("PRAGMA table_info(scratch)").fetchall() == []
    other.close()


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO sqlite_master VALUES ('table', 'x', 'x', 0, '')",
        "DELETE FROM sqlite_master",
        "UPDATE sqlite_schema SET name = 'q'",
        "DELETE FROM temp.sqlite_master",
        "UPDATE sqlite_temp_master SET sql = NULL",
        "DROP TABLE sqlite_master",
        "DROP TABLE IF EXISTS sqlite_schema",
        "CREATE TABLE sqlite_master (a)",
        "CREATE VIEW sqlite_schema AS SELECT 1",
    ],
)
def test_schema_tables_are_read_only_as_in_sqlite(pair, sql):
    conn, lite = pair
    with pytest.raises(sqlite3.OperationalError) as lite_error:
        lite.execute(sql)
    with pytest.raises(memtables.OperationalError) as error:
        conn.execute(sql)
    assert str(error.value) == str(lite_error.value)
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0


def test_main_has_no_sqlite_temp_master(pair):
    conn, _lite = pair
    with pytest.raises(memtables.UndefinedTable, match="no such table: main.sqlite_temp_master"):
        conn.execute("SELECT * FROM main.sqlite_temp_master")


def test_sqlite_master_follows_schema_changes(conn):
    """Rows are read when the statement runs: a prepared statement sees later DDL."""
    query = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    assert conn.execute(query).fetchall() == []
    conn.execute("CREATE TABLE one (a INTEGER)")
    conn.execute("CREATE TABLE two (a INTEGER)")
    assert conn.execute(query).fetchall() == [("one",), ("two",)]
    conn.execute("DROP TABLE one")
    assert conn.execute(query).fetchall() == [("two",)]
    assert conn.execute("PRAGMA table_info(one)").fetchall() == []


def test_pragma_is_still_a_name(conn):
    conn.execute("CREATE TABLE pragma (pragma INTEGER)")
    conn.execute("INSERT INTO pragma VALUES (1)")
    assert conn.execute("SELECT pragma FROM pragma").fetchall() == [(1,)]
    assert conn.execute("PRAGMA table_info(pragma)").fetchall() == [
        (0, "pragma", "INTEGER", 0, None, 0)
    ]


# ---------------------------------------------------------------- table-valued forms
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM pragma_table_info('t')",
        "SELECT * FROM pragma_table_xinfo('u')",
        "SELECT name, pk FROM pragma_table_info('u') WHERE pk > 0 ORDER BY pk",
        "SELECT arg, schema, name FROM pragma_table_info('t', 'main')",
        "SELECT * FROM pragma_index_list('u')",
        "SELECT * FROM pragma_index_xinfo('ub')",
        "SELECT * FROM pragma_index_info('sqlite_autoindex_u_2')",
        "SELECT * FROM pragma_foreign_key_list('t')",
        "SELECT * FROM pragma_table_info",
        "SELECT * FROM pragma_table_info('nope')",
        "SELECT * FROM pragma_table_list('k')",
        "SELECT count(*) FROM pragma_table_list",
        "SELECT m.name, p.name, p.origin FROM sqlite_master AS m, pragma_index_list(m.name) AS p"
        " WHERE m.type = 'table' ORDER BY 1, 2",
        "SELECT m.name, group_concat(c.name, ',') FROM sqlite_schema m"
        " JOIN pragma_table_info(m.name) c WHERE m.type = 'table' GROUP BY m.name ORDER BY 1",
    ],
)
def test_table_valued_pragmas_as_sqlite(pair, sql):
    conn, lite = pair
    assert fetch(conn, sql) == fetch(lite, sql)


def test_table_valued_pragmas_see_the_connections_temporary_tables(pair):
    conn, _lite = pair
    other = conn.database.connect()
    sql = "SELECT name FROM pragma_table_info('scratch')"
    assert conn.execute(sql).fetchall() == other.execute(sql).fetchall() == []
    temp = "SELECT name FROM pragma_table_info('scratch', 'temp')"
    assert other.execute(temp).fetchall() == []
    conn.execute("CREATE TEMP TABLE scratch (k TEXT)")
    assert conn.execute(sql).fetchall() == [("k",)]
    assert other.execute(sql).fetchall() == []  # the cached statement is not conn's
    assert conn.execute("SELECT name FROM pragma_table_info('scratch', 'temp')").fetchall() == [
        ("k",)
    ]
    conn.execute("DROP TABLE scratch")
    assert conn.execute(sql).fetchall() == []
    other.close()


def test_table_valued_pragma_errors(pair):
    conn, _lite = pair
    with pytest.raises(memtables.OperationalError, match="unknown database nowhere"):
        conn.execute("SELECT * FROM pragma_table_info('t', 'nowhere')").fetchall()
    with pytest.raises(memtables.ProgrammingError, match="wrong number of arguments"):
        conn.execute("SELECT * FROM pragma_table_list('t', 'main')")
    with pytest.raises(memtables.ProgrammingError, match="pragma_nope"):
        conn.execute("SELECT * FROM pragma_nope('t')")


# ---------------------------------------------------------------- user_version
@pytest.mark.parametrize(
    "value",
    [
        "7",
        "-3",
        "'9'",
        "1.5",
        "abc",
        "2147483647",
        "4294967297",
        "-2147483649",
        "'+5'",
        "'0x10'",
        "' 12'",
        "(12)",
        "-0",
    ],  # fmt: skip
)
def test_user_version_as_sqlite(value):
    conn, lite = memtables.connect(), sqlite3.connect(":memory:")
    for c in (conn, lite):
        assert fetch(c, "PRAGMA user_version") == (["user_version"], [(0,)])
    form = (
        f"PRAGMA user_version{value}" if value.startswith("(") else f"PRAGMA user_version = {value}"
    )
    assert fetch(conn, form) == fetch(lite, form) == (None, [])
    assert fetch(conn, "PRAGMA main.user_version") == fetch(lite, "PRAGMA main.user_version")


def test_user_version_is_transactional(conn):
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.execute("BEGIN")
    conn.execute("PRAGMA user_version = 6")
    assert conn.execute("PRAGMA user_version").fetchone() == (6,)
    conn.rollback()
    assert conn.execute("PRAGMA user_version").fetchone() == (5,)


def test_user_version_survives_reopen(tmp_path):
    path = str(tmp_path / "app.mtdb")
    with memtables.connect(path) as conn:
        conn.execute("PRAGMA user_version = 3")
        conn.commit()
    conn.close()
    conn = memtables.connect(path)  # from the redo log
    assert conn.execute("PRAGMA user_version").fetchone() == (3,)
    conn.execute("CHECKPOINT")
    conn.close()
    conn = memtables.connect(path)  # from the snapshot
    assert conn.execute("PRAGMA user_version").fetchone() == (3,)
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    conn = memtables.connect(path)  # snapshot, then the log after it
    assert conn.execute("PRAGMA user_version").fetchone() == (4,)
    conn.close()


def test_user_version_of_a_read_only_database(tmp_path):
    """Read, and refused when set, as sqlite3 opened with ``mode=ro`` does."""
    path = str(tmp_path / "app.mtdb")
    with memtables.connect(path) as conn:
        conn.execute("PRAGMA user_version = 9")
    conn.close()
    lite_path = tmp_path / "app.sqlite"
    sqlite3.connect(lite_path).execute("PRAGMA user_version = 9").connection.close()
    lite = sqlite3.connect(f"file:{lite_path}?mode=ro", uri=True)
    reader = memtables.connect(path, read_only=True)
    assert fetch(reader, "PRAGMA user_version") == fetch(lite, "PRAGMA user_version")
    with pytest.raises(sqlite3.OperationalError) as lite_error:
        lite.execute("PRAGMA user_version = 3")
    with pytest.raises(memtables.OperationalError) as error:
        reader.execute("PRAGMA user_version = 3")
    assert str(error.value) == str(lite_error.value)
    assert reader.execute("PRAGMA user_version").fetchone() == (9,)
    reader.close()
    lite.close()


def test_user_version_of_temp_is_refused_clearly():
    conn = memtables.connect()
    with pytest.raises(memtables.NotSupportedError, match="temp.user_version"):
        conn.execute("PRAGMA temp.user_version = 1")


# ---------------------------------------------------------------- settings
def test_settings_tools_send_on_connecting():
    conn, lite = memtables.connect(), sqlite3.connect(":memory:")
    for sql in [
        "PRAGMA foreign_keys",
        "PRAGMA encoding",
        "PRAGMA journal_mode",
        "PRAGMA journal_mode = WAL",  # an in-memory database keeps 'memory', as SQLite's
        "PRAGMA journal_mode = delete",
        "PRAGMA query_only",
        "PRAGMA query_only = OFF",
        "PRAGMA foreign_keys = OFF",
    ]:
        assert fetch(conn, sql) == fetch(lite, sql), sql
    # accepted: there are no foreign keys to enforce, and reading says so
    assert fetch(conn, "PRAGMA foreign_keys = ON") == (None, [])
    assert fetch(conn, "PRAGMA foreign_keys") == (["foreign_keys"], [(0,)])
    assert fetch(conn, "PRAGMA synchronous = OFF") == (None, [])
    assert conn.execute("PRAGMA schema_version").fetchone()[0] >= 0


def test_settings_of_a_durable_database(tmp_path):
    conn = memtables.connect(str(tmp_path / "db.mtdb"), sync="normal")
    assert fetch(conn, "PRAGMA journal_mode") == (["journal_mode"], [("wal",)])
    assert fetch(conn, "PRAGMA synchronous") == (["synchronous"], [(1,)])
    assert fetch(conn, "PRAGMA synchronous = NORMAL") == (None, [])
    assert fetch(conn, "PRAGMA synchronous = 1") == (None, [])
    with pytest.raises(memtables.NotSupportedError, match="sync mode"):
        conn.execute("PRAGMA synchronous = FULL")
    db = conn.execute("PRAGMA database_list").fetchall()
    assert db == [(0, "main", str((tmp_path / "db.mtdb").resolve()))]
    conn.close()


def test_query_only_on_is_refused():
    conn = memtables.connect()
    with pytest.raises(memtables.NotSupportedError, match="query_only"):
        conn.execute("PRAGMA query_only = ON")
    with pytest.raises(memtables.OperationalError, match="not a boolean"):
        conn.execute("PRAGMA query_only = maybe")


@pytest.mark.parametrize(
    "sql", ["PRAGMA no_such_pragma", "PRAGMA no_such_pragma = 3", "PRAGMA no_such(x)"]
)
def test_unknown_pragmas_are_ignored_as_in_sqlite(sql):
    conn, lite = memtables.connect(), sqlite3.connect(":memory:")
    assert fetch(conn, sql) == fetch(lite, sql) == (None, [])


def test_pragma_syntax_errors():
    conn = memtables.connect()
    with pytest.raises(memtables.ProgrammingError):
        conn.execute("PRAGMA")
    with pytest.raises(memtables.ProgrammingError):
        conn.execute("PRAGMA table_info(t")


def test_only_user_version_writes():
    """A read pragma changes nothing, like a SELECT; setting user_version is a change of the
    transaction, undone or committed with it as in sqlite3."""
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.commit()
    for sql in ("PRAGMA table_info(t)", "PRAGMA foreign_keys = ON", "PRAGMA no_such = 1"):
        conn.execute(sql)
        assert not conn.has_changes, sql
    conn.execute("PRAGMA user_version = 2")
    assert conn.has_changes
    conn.commit()
    assert conn.database.connect().execute("PRAGMA user_version").fetchone() == (2,)


def test_shell_lists_no_schema_tables(tmp_path):
    """``.tables`` and ``.schema`` leave SQLite's schema tables out, as sqlite3's shell does."""
    import subprocess
    import sys

    script = "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT UNIQUE);\n.tables\n.schema\n"
    out = subprocess.run(
        [sys.executable, "-m", "memtables"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "t" in out.stdout.split()
    assert "sqlite_" not in out.stdout


def test_sqlalchemys_sqlite_dialect_reflects_through_the_pragmas():
    """SQLAlchemy's own sqlite dialect (``sqlite://`` with ``creator``) reads the schema with
    these PRAGMAs and sqlite_master: it reflects the same as from sqlite3."""
    sa = pytest.importorskip("sqlalchemy")
    found = []
    for creator in (memtables.connect, lambda: sqlite3.connect(":memory:")):
        engine = sa.create_engine("sqlite://", creator=creator)
        with engine.connect() as c:
            for s in SCHEMA:
                c.exec_driver_sql(s)
            insp = sa.inspect(c)
            tables = insp.get_table_names()
            found.append(
                (
                    tables,
                    insp.get_view_names(),
                    [
                        (
                            insp.get_columns(t),
                            insp.get_pk_constraint(t),
                            sorted(insp.get_indexes(t), key=lambda i: i["name"]),
                            insp.get_foreign_keys(t),
                            insp.get_unique_constraints(t),
                        )
                        for t in tables
                    ],
                )
            )
        engine.dispose()
    assert found[0][:2] == found[1][:2] == (["k", "t", "u", "w"], ["v", "v2"])
    for mine, theirs in zip(found[0][2], found[1][2]):
        assert [str(c["type"]) for c in mine[0]] == [str(c["type"]) for c in theirs[0]]
        strip = [{k: v for k, v in c.items() if k != "type"} for c in mine[0]]
        assert strip == [{k: v for k, v in c.items() if k != "type"} for c in theirs[0]]
        assert mine[1:] == theirs[1:]
