"""ALTER TABLE (ADD COLUMN, DROP COLUMN, RENAME COLUMN, RENAME TO) and CREATE TABLE ... AS
SELECT, as a user writes them: SQL through ``memtables.connect``, SQLite's rules and
messages, indexes and views following, transactions and savepoints undoing, concurrent
snapshots never seeing a wrong row shape, and durable databases reopening equal (the
``conn`` fixture reopens from the log and from a snapshot and compares).
"""

from __future__ import annotations

import io
import sqlite3

import pytest

import memtables
from memtables import (
    DataError,
    IntegrityError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)
from tests.reopen import assert_reopens_equal


def rows(conn, sql="SELECT * FROM t ORDER BY 1"):
    return conn.execute(sql).fetchall()


def columns(conn, table="t"):
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sys.columns WHERE table_name = ? ORDER BY position",
            (table,),
        ).fetchall()
    ]


def schema_sql(conn, name):
    got = conn.execute("SELECT sql FROM sys.schema WHERE name = ?", (name,)).fetchall()
    return got[0][0] if got else None


@pytest.fixture
def t(conn):
    """A committed table ``t(id, a, b)`` with two rows."""
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)")
    conn.execute("INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y')")
    conn.commit()
    return conn


# ---------------------------------------------------------------- ADD COLUMN
def test_add_column_existing_rows_read_the_default(t):
    t.execute("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 7")
    t.execute("alter table t add d TEXT NOT NULL DEFAULT 'n/a'")
    t.execute("ALTER TABLE t ADD e")  # no type, no default: NULL
    t.execute("INSERT INTO t (id, a, b) VALUES (3, 30, 'z')")
    t.execute("INSERT INTO t VALUES (4, 40, 'w', 1, 'set', 2.5)")
    t.commit()
    assert columns(t) == ["id", "a", "b", "c", "d", "e"]
    assert rows(t) == [
        (1, 10, "x", 7, "n/a", None),
        (2, 20, "y", 7, "n/a", None),
        (3, 30, "z", 7, "n/a", None),
        (4, 40, "w", 1, "set", 2.5),
    ]
    assert rows(t, "SELECT id FROM t WHERE c = 7 ORDER BY id") == [(1,), (2,), (3,)]


def test_add_column_checks_and_types_apply_to_new_rows(t):
    t.execute("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 1 CHECK (c > 0)")
    with pytest.raises(IntegrityError):
        t.execute("INSERT INTO t VALUES (3, 1, 'z', -5)")
    with pytest.raises(DataError):
        t.execute("INSERT INTO t VALUES (3, 1, 'z', 'not a number')")
    t.execute("INSERT INTO t VALUES (3, 1, 'z', 5)")
    t.commit()
    assert rows(t, "SELECT c FROM t ORDER BY id") == [(1,), (1,), (5,)]
    assert "CHECK" in schema_sql(t, "t")


@pytest.mark.parametrize(
    "ddl, message",
    [
        ("ALTER TABLE t ADD COLUMN c INTEGER PRIMARY KEY", "Cannot add a PRIMARY KEY column"),
        ("ALTER TABLE t ADD COLUMN c INTEGER UNIQUE", "Cannot add a UNIQUE column"),
        ("ALTER TABLE t ADD COLUMN a TEXT", "duplicate column name: a"),
        ("ALTER TABLE t ADD COLUMN A TEXT", "duplicate column name: A"),
        (
            "ALTER TABLE t ADD COLUMN c INTEGER NOT NULL",
            "Cannot add a NOT NULL column with default value NULL",
        ),
        (
            "ALTER TABLE t ADD COLUMN c INTEGER NOT NULL DEFAULT NULL",
            "Cannot add a NOT NULL column with default value NULL",
        ),
        (
            "ALTER TABLE t ADD COLUMN c TIMESTAMP DEFAULT CURRENT_TIMESTAMP",
            "Cannot add a column with non-constant default",
        ),
        ("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 0 CHECK (c > 0)", "CHECK constraint"),
        ("ALTER TABLE nope ADD COLUMN c", "no such table: nope"),
    ],
)
def test_add_column_refusals_match_sqlite(t, ddl, message):
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)")
    lite.execute("INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y')")
    with pytest.raises(sqlite3.OperationalError):
        lite.execute(ddl)
    before = schema_sql(t, "t")
    with pytest.raises(memtables.Error, match=message):
        t.execute(ddl)
    assert schema_sql(t, "t") == before
    assert rows(t) == [(1, 10, "x"), (2, 20, "y")]
    t.commit()


def test_the_default_existing_rows_get_must_fit_the_column(t):
    with pytest.raises(OperationalError, match="NOT NULL column with default value NULL"):
        t.execute("ALTER TABLE t ADD COLUMN c INTEGER NOT NULL DEFAULT (NULL + 1)")
    with pytest.raises(DataError, match="does not fit type INTEGER"):  # strict types
        t.execute("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 'abc'")
    t.execute("ALTER TABLE t ADD COLUMN c REAL DEFAULT 2")
    t.commit()
    assert rows(t, "SELECT c FROM t") == [(2.0,), (2.0,)]


def test_not_null_and_non_constant_defaults_are_fine_on_an_empty_table(conn):
    conn.execute("CREATE TABLE e (id INTEGER PRIMARY KEY)")
    conn.execute("ALTER TABLE e ADD COLUMN n INTEGER NOT NULL")
    conn.execute("ALTER TABLE e ADD COLUMN at TIMESTAMP DEFAULT CURRENT_TIMESTAMP")
    conn.commit()
    with pytest.raises(IntegrityError):
        conn.execute("INSERT INTO e (id) VALUES (1)")
    conn.execute("INSERT INTO e (id, n) VALUES (1, 5)")
    assert conn.execute("SELECT n, at IS NOT NULL FROM e").fetchall() == [(5, True)]
    conn.commit()


def test_views_and_cache_tables_cannot_be_altered(t):
    t.execute("CREATE VIEW v AS SELECT a FROM t")
    with pytest.raises(OperationalError, match="Cannot add a column to a view"):
        t.execute("ALTER TABLE v ADD COLUMN c")
    with pytest.raises(OperationalError, match="view v may not be altered"):
        t.execute("ALTER TABLE v RENAME TO w")
    t.execute("CREATE CACHE TABLE kv (k TEXT PRIMARY KEY, v TEXT)")
    for ddl in (
        "ALTER TABLE kv ADD COLUMN c",
        "ALTER TABLE kv DROP COLUMN v",
        "ALTER TABLE kv RENAME COLUMN v TO w",
        "ALTER TABLE kv RENAME TO kv2",
    ):
        with pytest.raises(NotSupportedError, match="cache table kv"):
            t.execute(ddl)
    with pytest.raises(ProgrammingError, match="unknown database"):
        t.execute("ALTER TABLE other.t ADD COLUMN c")
    t.execute("ALTER TABLE main.t ADD COLUMN c")
    t.commit()
    assert columns(t) == ["id", "a", "b", "c"]


# ---------------------------------------------------------------- DROP COLUMN
def test_drop_column_shifts_rows_and_the_indexes_after_it(t):
    t.execute("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 0")
    t.execute("UPDATE t SET c = id * 100")
    t.execute("CREATE INDEX tc ON t (c)")
    t.execute("CREATE UNIQUE INDEX tb ON t (b)")
    t.execute("ALTER TABLE t DROP COLUMN a")
    t.commit()
    assert columns(t) == ["id", "b", "c"]
    assert rows(t) == [(1, "x", 100), (2, "y", 200)]
    assert rows(t, "SELECT id FROM t WHERE c = 200") == [(2,)]
    assert rows(t, "SELECT id FROM t WHERE b = 'x'") == [(1,)]
    with pytest.raises(IntegrityError):
        t.execute("INSERT INTO t VALUES (3, 'x', 1)")
    t.execute("DROP INDEX tc")
    t.execute("ALTER TABLE t DROP c")
    t.execute("INSERT INTO t VALUES (3, 'z')")
    t.commit()
    assert rows(t) == [(1, "x"), (2, "y"), (3, "z")]


@pytest.mark.parametrize(
    "setup, ddl, message",
    [
        ([], "ALTER TABLE t DROP COLUMN id", 'cannot drop PRIMARY KEY column: "id"'),
        (["CREATE TABLE u (k INTEGER UNIQUE, v INTEGER)"], "ALTER TABLE u DROP k", "UNIQUE"),
        (["CREATE INDEX ia ON t (a)"], "ALTER TABLE t DROP a", "error in index ia after drop"),
        (
            ["CREATE VIEW v AS SELECT b FROM t"],
            "ALTER TABLE t DROP COLUMN b",
            "error in view v after drop column",
        ),
        (
            ["CREATE TABLE u (k INTEGER, v INTEGER, CHECK (k < v))"],
            "ALTER TABLE u DROP COLUMN v",
            "error in table u after drop column",
        ),
        (["CREATE TABLE u (k INTEGER)"], "ALTER TABLE u DROP k", "no other columns exist"),
        ([], "ALTER TABLE t DROP COLUMN nope", 'no such column: "nope"'),
    ],
)
def test_drop_column_refusals_match_sqlite(t, setup, ddl, message):
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)")
    for s in setup:
        lite.execute(s)
        t.execute(s)
    t.commit()
    with pytest.raises(sqlite3.OperationalError):
        lite.execute(ddl)
    before = [schema_sql(t, n) for n in ("t", "u", "v")]
    with pytest.raises(OperationalError, match=message):
        t.execute(ddl)
    assert [schema_sql(t, n) for n in ("t", "u", "v")] == before
    assert rows(t) == [(1, 10, "x"), (2, 20, "y")]
    t.commit()


def test_drop_column_takes_a_check_on_that_column_alone_with_it(conn):
    conn.execute("CREATE TABLE u (k INTEGER PRIMARY KEY, v INTEGER CHECK (v > 0), w TEXT)")
    conn.execute("INSERT INTO u VALUES (1, 5, 'a')")
    conn.execute("ALTER TABLE u DROP COLUMN v")
    conn.commit()
    assert "CHECK" not in schema_sql(conn, "u")
    assert rows(conn, "SELECT * FROM u") == [(1, "a")]


# ---------------------------------------------------------------- RENAME COLUMN
def test_rename_column_indexes_views_and_checks_follow(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER CHECK (a >= 0), b TEXT)")
    conn.execute("INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y')")
    conn.execute("CREATE INDEX ta ON t (a)")
    conn.execute("CREATE VIEW v AS SELECT id, t.a, a + 1 AS a1 FROM t WHERE a > 10")
    conn.execute("CREATE VIEW w AS SELECT x.a FROM t AS x")
    conn.execute("ALTER TABLE t RENAME COLUMN a TO amount")
    conn.execute("ALTER TABLE t RENAME id TO ID")  # only the spelling changes
    conn.commit()
    assert columns(conn) == ["ID", "amount", "b"]
    assert rows(conn, "SELECT ID FROM t WHERE amount = 20") == [(2,)]
    assert rows(conn, "SELECT * FROM v") == [(2, 20, 21)]
    assert [d[0] for d in conn.execute("SELECT * FROM v").description] == ["ID", "amount", "a1"]
    assert rows(conn, "SELECT * FROM w ORDER BY 1") == [(10,), (20,)]
    assert "amount" in schema_sql(conn, "v") and "amount" in schema_sql(conn, "ta")
    with pytest.raises(IntegrityError):
        conn.execute("INSERT INTO t VALUES (3, -1, 'z')")
    with pytest.raises(OperationalError, match="duplicate column name: b"):
        conn.execute("ALTER TABLE t RENAME COLUMN amount TO b")
    with pytest.raises(OperationalError, match='no such column: "a"'):
        conn.execute("ALTER TABLE t RENAME COLUMN a TO c")
    conn.commit()


# ---------------------------------------------------------------- RENAME TO
def test_rename_table_takes_indexes_views_and_rowids_along(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER UNIQUE)")
    conn.execute("INSERT INTO t (a) VALUES (10), (20)")
    conn.execute("CREATE INDEX ta ON t (a)")
    conn.execute("CREATE VIEW v AS SELECT t.id, a FROM t WHERE a > 10")
    conn.execute("ALTER TABLE t RENAME TO items")
    conn.commit()
    with pytest.raises(ProgrammingError, match="no such table: t"):
        conn.execute("SELECT * FROM t")
    conn.execute("INSERT INTO items (a) VALUES (30)")
    assert rows(conn, "SELECT * FROM items ORDER BY id") == [(1, 10), (2, 20), (3, 30)]
    assert rows(conn, "SELECT * FROM v ORDER BY 1") == [(2, 20), (3, 30)]
    with pytest.raises(IntegrityError):
        conn.execute("INSERT INTO items (a) VALUES (10)")
    assert "items" in schema_sql(conn, "v")
    assert conn.execute("SELECT table_name FROM sys.schema WHERE name = 'ta'").fetchall() == [
        ("items",)
    ]
    conn.commit()


@pytest.mark.parametrize(
    "other", ["CREATE TABLE u (x)", "CREATE VIEW u AS SELECT 1", "CREATE INDEX u ON t (a)"]
)
def test_rename_table_to_a_taken_name_fails(t, other):
    t.execute(other)
    with pytest.raises(OperationalError, match="already another table or index with this name: u"):
        t.execute("ALTER TABLE t RENAME TO u")
    with pytest.raises(ProgrammingError, match="no such table: x"):
        t.execute("ALTER TABLE x RENAME TO y")
    with pytest.raises(OperationalError, match="already another table"):
        t.execute("ALTER TABLE t RENAME TO T")  # its own name, in any spelling, as SQLite
    t.commit()
    assert rows(t) == [(1, 10, "x"), (2, 20, "y")]


# ---------------------------------------------------------------- transactions
ALTERS = [
    "ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 5",
    "ALTER TABLE t DROP COLUMN a",
    "ALTER TABLE t RENAME COLUMN a TO z",
    "ALTER TABLE t RENAME TO u",
]


def _state(conn):
    tables = conn.execute("SELECT type, name, sql FROM sys.schema ORDER BY name").fetchall()
    data = {}
    for _kind, name, _sql in tables:
        if _kind == "table":
            data[name] = conn.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall()
    return tables, data


@pytest.mark.parametrize("ddl", ALTERS)
def test_rollback_undoes_rows_schema_and_indexes(t, ddl):
    t.execute("CREATE INDEX tb ON t (b)")
    t.execute("CREATE VIEW v AS SELECT id, b FROM t")
    t.commit()
    before = _state(t)
    t.execute("INSERT INTO t VALUES (3, 30, 'z')")
    t.execute("UPDATE t SET b = 'changed' WHERE id = 1")
    t.execute(ddl)
    name = "u" if "RENAME TO" in ddl else "t"
    t.execute(f"INSERT INTO {name} (id, b) VALUES (4, 'after')")
    t.execute(f"DELETE FROM {name} WHERE id = 2")
    t.rollback()
    assert _state(t) == before
    assert rows(t, "SELECT id FROM t WHERE b = 'y'") == [(2,)]
    t.execute("INSERT INTO t VALUES (5, 50, 'q')")
    t.commit()


@pytest.mark.parametrize("ddl", ALTERS)
def test_rollback_to_savepoint_undoes_the_alter_and_keeps_what_came_before(t, ddl):
    t.execute("INSERT INTO t VALUES (3, 30, 'z')")
    t.execute("SAVEPOINT s")
    before = _state(t)
    t.execute(ddl)
    name = "u" if "RENAME TO" in ddl else "t"
    t.execute(f"UPDATE {name} SET b = 'later' WHERE id = 3")
    t.execute("ROLLBACK TO s")
    assert _state(t) == before
    t.execute("UPDATE t SET b = 'kept' WHERE id = 3")
    t.execute("RELEASE s")
    t.commit()
    assert rows(t, "SELECT b FROM t WHERE id = 3") == [("kept",)]


@pytest.mark.parametrize("ddl", ALTERS)
def test_writes_before_and_after_an_alter_commit_together(t, ddl):
    t.execute("INSERT INTO t VALUES (3, 30, 'z')")
    t.execute("UPDATE t SET b = 'one' WHERE id = 1")
    t.execute("DELETE FROM t WHERE id = 2")
    t.execute(ddl)
    name = "u" if "RENAME TO" in ddl else "t"
    t.execute(f"INSERT INTO {name} (id, b) VALUES (4, 'after')")
    t.execute(f"UPDATE {name} SET b = 'three' WHERE id = 3")
    t.commit()
    got = rows(t, f"SELECT id, b FROM {name} ORDER BY id")
    assert got == [(1, "one"), (3, "three"), (4, "after")]


def test_a_failed_alter_leaves_nothing_behind_in_a_transaction(t):
    t.execute("CREATE VIEW v AS SELECT a FROM t")
    t.commit()
    t.execute("INSERT INTO t VALUES (3, 30, 'z')")
    with pytest.raises(OperationalError, match="error in view v"):
        t.execute("ALTER TABLE t DROP COLUMN a")
    assert columns(t) == ["id", "a", "b"]
    t.commit()
    assert rows(t) == [(1, 10, "x"), (2, 20, "y"), (3, 30, "z")]


# ---------------------------------------------------------------- concurrency
def test_an_older_snapshot_reads_its_own_rows_in_the_new_shape(tmp_path):
    db = memtables.connect()
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)")
    db.execute("CREATE INDEX ta ON t (a)")
    db.execute("INSERT INTO t VALUES (1, 10)")
    db.commit()
    reader = db.database.connect()
    assert rows(reader) == [(1, 10)]  # its snapshot begins here
    db.execute("UPDATE t SET a = 11 WHERE id = 1")
    db.execute("INSERT INTO t VALUES (2, 20)")
    db.commit()
    db.execute("ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'new'")
    db.commit()
    assert rows(reader) == [(1, 10, "new")]  # its rows, never a row of the wrong width
    assert rows(reader, "SELECT id FROM t WHERE a = 10") == [(1,)]  # through the index
    assert rows(db, "SELECT id FROM t WHERE a = 10") == []
    db.database.engine.catalog.table("t")._check()
    reader.commit()
    assert rows(reader) == [(1, 11, "new"), (2, 20, "new")]
    db.execute("DROP INDEX ta")
    db.execute("ALTER TABLE t DROP COLUMN a")
    db.commit()
    assert rows(reader) == [(1, "new"), (2, "new")]
    reader.close()
    db.close()


def test_writers_wait_for_an_uncommitted_alter_and_alter_waits_for_writers():
    db = memtables.connect()
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)")
    db.execute("INSERT INTO t VALUES (1, 10)")
    db.commit()
    other = db.database.connect()
    db.execute("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 0")
    for sql in ("INSERT INTO t VALUES (2, 20, 0)", "UPDATE t SET a = 1", "DELETE FROM t"):
        with pytest.raises(OperationalError, match="being altered by a transaction"):
            other.execute(sql)
    db.commit()
    other.rollback()
    other.execute("INSERT INTO t VALUES (2, 20, 2)")  # uncommitted: the table is busy
    with pytest.raises(OperationalError, match="concurrent transaction has uncommitted"):
        db.execute("ALTER TABLE t DROP COLUMN c")
    other.commit()
    db.execute("ALTER TABLE t DROP COLUMN c")
    db.commit()
    assert rows(other) == [(1, 10), (2, 20)]


def test_a_statement_prepared_before_an_alter_does_not_write_the_old_shape():
    db = memtables.connect()
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)")
    db.commit()
    other = db.database.connect(autocommit=True)

    def params():
        other.execute("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 0")
        yield (1, 10)

    with pytest.raises(OperationalError, match="changed by ALTER TABLE"):
        db.cursor().executemany("INSERT INTO t VALUES (?, ?)", params())
    db.rollback()
    assert rows(db) == []
    db.execute("INSERT INTO t (id, a) VALUES (?, ?)", (1, 10))  # prepared again
    db.commit()
    assert rows(db) == [(1, 10, 0)]


# ---------------------------------------------------------------- durability
def test_alters_survive_reopening_from_the_log_and_a_snapshot(tmp_path):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(str(path))
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)")
    conn.execute("INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y')")
    conn.execute("CREATE INDEX tb ON t (b)")
    conn.execute("CREATE VIEW v AS SELECT id, b FROM t WHERE id > 1")
    conn.commit()
    conn.execute("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 3")
    conn.execute("INSERT INTO t VALUES (3, 30, 'z', 9)")
    conn.commit()
    conn.execute("CHECKPOINT")
    conn.execute("INSERT INTO t VALUES (4, 40, 'w', 4)")  # in the old shape's ALTER's txn
    conn.execute("ALTER TABLE t DROP COLUMN a")
    conn.execute("ALTER TABLE t RENAME COLUMN b TO label")
    conn.execute("ALTER TABLE t RENAME TO items")
    conn.execute("INSERT INTO items VALUES (5, 'five', 5)")
    conn.commit()
    conn.execute("BEGIN")
    conn.execute("ALTER TABLE items ADD COLUMN gone INTEGER")
    conn.rollback()
    before = _state(conn)
    assert before[1]["items"] == [
        (1, "x", 3),
        (2, "y", 3),
        (3, "z", 9),
        (4, "w", 4),
        (5, "five", 5),
    ]
    assert rows(conn, "SELECT * FROM v") == [(2, "y"), (3, "z"), (4, "w"), (5, "five")]
    conn.close()
    assert_reopens_equal(path, _state, before)
    conn = memtables.connect(str(path))
    assert rows(conn, "SELECT id FROM items WHERE label = 'w'") == [(4,)]
    conn.close()


# ---------------------------------------------------------------- CREATE TABLE ... AS SELECT
def test_create_table_as_select_names_columns_like_sqlite(conn):
    conn.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, r REAL)")
    conn.execute("INSERT INTO t VALUES (1, 'x', 1.5), (2, 'y', NULL)")
    conn.execute("CREATE TABLE t2 AS SELECT a, a, b AS label, r, a AS A FROM t WHERE a > ?", (0,))
    conn.execute("CREATE TABLE t3 AS SELECT * FROM t x JOIN t y ON x.a = y.a")
    conn.execute("CREATE TABLE IF NOT EXISTS t3 AS SELECT 1")
    conn.commit()
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, r REAL)")
    lite.execute("INSERT INTO t VALUES (1, 'x', 1.5), (2, 'y', NULL)")
    lite.execute("CREATE TABLE t2 AS SELECT a, a, b AS label, r, a AS A FROM t WHERE a > ?", (0,))
    lite.execute("CREATE TABLE t3 AS SELECT * FROM t x JOIN t y ON x.a = y.a")
    for name in ("t2", "t3"):
        assert columns(conn, name) == [r[1] for r in lite.execute(f"PRAGMA table_info({name})")]
        sql = f"SELECT * FROM {name} ORDER BY 1"
        assert rows(conn, sql) == lite.execute(sql).fetchall()
    types = conn.execute(
        "SELECT type FROM sys.columns WHERE table_name = 't2' ORDER BY position"
    ).fetchall()
    assert types == [("INTEGER",), ("INTEGER",), ("TEXT",), ("REAL",), ("INTEGER",)]
    with pytest.raises(ProgrammingError, match="already exists"):
        conn.execute("CREATE TABLE t2 AS SELECT 1")
    conn.execute("ALTER TABLE t2 ADD COLUMN extra INTEGER DEFAULT 1")
    conn.commit()


def test_create_table_as_select_rolls_back(conn):
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("INSERT INTO t VALUES (1), (2)")
    conn.commit()
    conn.execute("CREATE TABLE t2 AS SELECT a * 2 AS d FROM t")
    assert rows(conn, "SELECT * FROM t2 ORDER BY 1") == [(2,), (4,)]
    conn.rollback()
    with pytest.raises(ProgrammingError):
        conn.execute("SELECT * FROM t2")


def test_a_serializable_reader_of_the_old_table_conflicts_with_writes_to_the_new():
    db = memtables.connect()
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)")
    db.execute("CREATE TABLE log (n INTEGER)")
    db.execute("INSERT INTO t VALUES (1, 10)")
    db.commit()
    reader = db.database.connect(isolation_level="SERIALIZABLE")
    assert rows(reader, "SELECT count(*) FROM t") == [(1,)]
    db.execute("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 0")
    db.commit()
    db.execute("INSERT INTO t VALUES (2, 20, 0)")
    db.commit()
    reader.execute("INSERT INTO log VALUES (1)")
    with pytest.raises(memtables.SerializationFailure):
        reader.commit()


VIEWS = [
    "CREATE VIEW v AS SELECT t.a, u.a AS ua, tid FROM t JOIN u ON t.id = u.tid",
    "CREATE VIEW w AS SELECT a, (SELECT max(a) FROM u) AS m FROM t ORDER BY a",
    "CREATE VIEW x AS SELECT a FROM t UNION SELECT a FROM u ORDER BY a",
    "CREATE VIEW y AS SELECT q.a FROM t AS q WHERE q.a IN (SELECT a FROM t)",
    "CREATE VIEW j AS SELECT * FROM t JOIN u USING (id)",
]


@pytest.mark.parametrize("view", VIEWS)
def test_rename_column_follows_scopes_in_views_as_sqlite(conn, view):
    lite = sqlite3.connect(":memory:")
    for c in (conn, lite):
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)")
        c.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, a INTEGER, tid INTEGER)")
        c.execute("INSERT INTO t VALUES (1, 10)")
        c.execute("INSERT INTO u VALUES (1, 50, 1)")
        c.execute(view)
        c.execute("ALTER TABLE t RENAME COLUMN a TO z")
        c.execute("ALTER TABLE t RENAME TO tt")
    conn.commit()
    name = view.split()[2]
    cur = conn.execute(f"SELECT * FROM {name}")
    want = lite.execute(f"SELECT * FROM {name}")
    assert cur.fetchall() == want.fetchall()
    assert [d[0] for d in cur.description] == [d[0] for d in want.description]


@pytest.mark.parametrize(
    "view",
    [
        "CREATE VIEW z AS WITH c AS (SELECT a FROM t) SELECT a FROM c",
        "CREATE VIEW z AS SELECT s.a FROM (SELECT a FROM t) AS s",
    ],
)
def test_a_view_the_rename_would_break_fails_it_as_in_sqlite(conn, view):
    lite = sqlite3.connect(":memory:")
    for c in (conn, lite):
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)")
        c.execute(view)
    with pytest.raises(sqlite3.OperationalError, match="error in view z after rename"):
        lite.execute("ALTER TABLE t RENAME COLUMN a TO b")
    with pytest.raises(OperationalError, match="error in view z after rename"):
        conn.execute("ALTER TABLE t RENAME COLUMN a TO b")
    assert columns(conn) == ["id", "a"]
    conn.commit()


def test_the_shell_shows_the_altered_schema_and_completes_new_names():
    from memtables.repl.session import Session

    c = memtables.connect()
    c.autocommit = True
    out = io.StringIO()
    s = Session(c, None, out)
    s.settings.timer = False
    s.run_input("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);")
    s.run_input("CREATE INDEX ta ON t (a);")
    s.run_input("ALTER TABLE t ADD COLUMN note TEXT DEFAULT 'none';")
    s.run_input("ALTER TABLE t RENAME COLUMN a TO amount;")
    s.run_input("ALTER TABLE t RENAME TO items;")
    out.seek(0)
    out.truncate()
    s.run_input(".schema")
    assert out.getvalue() == (
        "CREATE TABLE items (id INTEGER, amount INTEGER, note TEXT DEFAULT ('none'), "
        "PRIMARY KEY (id));\n"
        "CREATE INDEX ta ON items USING SORTED (amount);\n"
    )
    assert s.metadata_stale  # ALTER marks what completion knows as out of date
    s.refresh_metadata()
    assert "items" in s.metadata.tables and "t" not in s.metadata.tables
    assert s.metadata.tables["items"] == ["id", "amount", "note"]


def test_rowid_tables_keep_counting_and_non_durable_tables_keep_their_option(conn):
    conn.execute("CREATE TABLE r (a INTEGER, b TEXT)")  # rows keyed by a hidden rowid
    conn.execute("INSERT INTO r VALUES (1, 'x'), (2, 'y')")
    conn.execute("CREATE TABLE scratch (k INTEGER PRIMARY KEY, v TEXT) WITH (durable = false)")
    conn.execute("INSERT INTO scratch VALUES (1, 'kept in memory only')")
    conn.commit()
    conn.execute("DELETE FROM r WHERE a = 2")
    conn.execute("ALTER TABLE r DROP COLUMN a")
    conn.execute("ALTER TABLE r ADD COLUMN c INTEGER DEFAULT 0")
    conn.execute("INSERT INTO r (b) VALUES ('z')")
    conn.execute("ALTER TABLE scratch ADD COLUMN n INTEGER DEFAULT 1")
    conn.commit()
    assert rows(conn, "SELECT * FROM r") == [("x", 0), ("z", 0)]
    assert "durable = false" in schema_sql(conn, "scratch").lower()
    assert rows(conn, "SELECT * FROM scratch") == [(1, "kept in memory only", 1)]
