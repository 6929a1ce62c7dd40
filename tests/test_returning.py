"""RETURNING on INSERT (upserts and INSERT ... SELECT too), UPDATE and DELETE, through the
DB-API: the rows, their names in ``description``, ``rowcount`` and ``lastrowid``; a failing
statement leaves nothing and returns nothing; rows written this way survive a reopen. The
``conn`` fixture runs each test in memory and on a durable database (reopened and compared).
"""

from __future__ import annotations

import pytest

import memtables


@pytest.fixture
def items(conn):
    conn.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
        "qty INTEGER DEFAULT 1, price REAL)"
    )
    conn.commit()
    return conn


def names(cur) -> list[str]:
    return [d[0] for d in cur.description]


def test_insert_returning_star_reports_the_row_as_stored(items):
    cur = items.execute("INSERT INTO items (name, price) VALUES ('pen', 2) RETURNING *")
    assert names(cur) == ["id", "name", "qty", "price"]
    # the new rowid, the column default and the REAL column's conversion are all visible
    assert cur.fetchall() == [(1, "pen", 1, 2.0)]
    assert cur.rowcount == 1
    assert cur.lastrowid == 1


def test_insert_returning_expressions_and_aliases(items):
    cur = items.execute(
        "INSERT INTO items (name, qty, price) VALUES (?, ?, ?), (?, ?, ?) "
        "RETURNING id, qty * price AS total, upper(name) label, name",
        ("ink", 3, 1.5, "pad", 2, 4.0),
    )
    assert names(cur) == ["id", "total", "label", "name"]
    assert cur.fetchall() == [(1, 4.5, "INK", "ink"), (2, 8.0, "PAD", "pad")]
    assert cur.rowcount == 2
    assert cur.lastrowid == 2


def test_insert_default_values_and_select_return_rows(items):
    items.execute("CREATE TABLE d (id INTEGER PRIMARY KEY, v TEXT DEFAULT 'x')")
    assert items.execute("INSERT INTO d DEFAULT VALUES RETURNING id, v").fetchall() == [(1, "x")]
    items.execute("INSERT INTO items (name) VALUES ('a'), ('b')")
    cur = items.execute("INSERT INTO d (v) SELECT name || '!' FROM items ORDER BY id RETURNING *")
    assert cur.fetchall() == [(2, "a!"), (3, "b!")]
    assert (cur.rowcount, cur.lastrowid) == (2, 3)


def test_upsert_returning_reports_inserted_and_updated_rows_not_skipped_ones(items):
    items.execute("INSERT INTO items (name, qty) VALUES ('pen', 1)")
    cur = items.execute(
        "INSERT INTO items (name, qty) VALUES ('pen', 5), ('cap', 2), ('pen', 7) "
        "ON CONFLICT (name) DO UPDATE SET qty = qty + excluded.qty RETURNING name, qty"
    )
    # each row is reported as it stood right after its own write (SQLite does the same)
    assert cur.fetchall() == [("pen", 6), ("cap", 2), ("pen", 13)]
    assert cur.rowcount == 3
    cur = items.execute(
        "INSERT INTO items (name) VALUES ('pen'), ('box') ON CONFLICT DO NOTHING RETURNING name"
    )
    assert cur.fetchall() == [("box",)]
    assert cur.rowcount == 1
    cur = items.execute(
        "INSERT INTO items (name, qty) VALUES ('pen', 1) "
        "ON CONFLICT (name) DO UPDATE SET qty = 0 WHERE qty > 100 RETURNING *"
    )
    assert cur.fetchall() == [] and cur.rowcount == 0


def test_insert_or_replace_and_ignore_return_written_rows(items):
    items.execute("INSERT INTO items (id, name) VALUES (1, 'pen')")
    cur = items.execute("INSERT OR REPLACE INTO items (id, name) VALUES (1, 'ink') RETURNING *")
    assert cur.fetchall() == [(1, "ink", 1, None)]
    cur = items.execute(
        "INSERT OR IGNORE INTO items (id, name) VALUES (1, 'x'), (2, 'y') RETURNING id"
    )
    assert cur.fetchall() == [(2,)]


def test_update_returning_new_values(items):
    items.execute("INSERT INTO items (name, qty) VALUES ('a', 1), ('b', 2), ('c', 3)")
    cur = items.execute("UPDATE items SET qty = qty * 10 WHERE qty >= 2 RETURNING name, qty")
    assert sorted(cur.fetchall()) == [("b", 20), ("c", 30)]
    assert cur.rowcount == 2
    # the one-row UPDATE by key (a fused fast path without RETURNING) reports its row too
    cur = items.execute("UPDATE items AS i SET qty = ? WHERE id = ? RETURNING i.id, i.*", (7, 1))
    assert names(cur) == ["id", "id", "name", "qty", "price"]
    assert cur.fetchall() == [(1, 1, "a", 7, None)]
    # the table's own name works too (SQLite takes only that one, PostgreSQL the alias)
    cur = items.execute("UPDATE items AS i SET qty = 8 WHERE id = 1 RETURNING items.qty, qty")
    assert cur.fetchall() == [(8, 8)]
    assert items.execute("UPDATE items SET qty = 0 WHERE id = 99 RETURNING *").fetchall() == []


def test_update_of_the_key_returns_the_new_key(items):
    items.execute("INSERT INTO items (id, name) VALUES (1, 'a')")
    cur = items.execute("UPDATE items SET id = id + 10 RETURNING id, name")
    assert cur.fetchall() == [(11, "a")]
    assert items.execute("SELECT id FROM items").fetchall() == [(11,)]


def test_delete_returning_the_old_rows(items):
    items.execute("INSERT INTO items (name, qty) VALUES ('a', 1), ('b', 2), ('c', 3)")
    cur = items.execute("DELETE FROM items WHERE qty < 3 RETURNING *, qty + 100 AS q")
    assert names(cur) == ["id", "name", "qty", "price", "q"]
    assert sorted(cur.fetchall()) == [(1, "a", 1, None, 101), (2, "b", 2, None, 102)]
    assert cur.rowcount == 2
    assert items.execute("SELECT name FROM items").fetchall() == [("c",)]


def test_returning_may_use_parameters_and_subqueries(items):
    items.execute("CREATE TABLE tags (tag TEXT)")
    items.execute("INSERT INTO tags VALUES ('x'), ('y')")
    cur = items.execute(
        "INSERT INTO items (name) VALUES (?) RETURNING name || ?, (SELECT count(*) FROM tags)",
        ("pen", "!"),
    )
    assert cur.fetchall() == [("pen!", 2)]


def test_a_failing_row_leaves_nothing_and_returns_nothing(items):
    items.execute("INSERT INTO items (name) VALUES ('pen')")
    items.commit()
    with pytest.raises(memtables.IntegrityError):
        items.execute("INSERT INTO items (name) VALUES ('a'), ('pen') RETURNING *")
    with pytest.raises(memtables.IntegrityError):
        items.execute("UPDATE items SET name = NULL RETURNING *")
    items.execute("INSERT INTO items (name) VALUES ('b')")
    with pytest.raises(memtables.IntegrityError):
        items.execute("UPDATE items SET name = 'b' RETURNING *")
    items.rollback()
    assert items.execute("SELECT id, name FROM items").fetchall() == [(1, "pen")]


def test_a_failing_statement_inside_a_transaction_keeps_the_earlier_ones(items):
    cur = items.cursor()
    cur.execute("BEGIN")
    assert cur.execute("INSERT INTO items (name) VALUES ('a') RETURNING id").fetchall() == [(1,)]
    with pytest.raises(memtables.IntegrityError):
        cur.execute("INSERT INTO items (name) VALUES ('b'), ('a') RETURNING id")
    assert cur.execute("DELETE FROM items RETURNING name").fetchall() == [("a",)]
    cur.execute("ROLLBACK")
    assert items.execute("SELECT count(*) FROM items").fetchone() == (0,)


def test_wrong_returning_lists_are_refused_before_anything_runs(items):
    for sql, error in [
        ("INSERT INTO items (name) VALUES ('a') RETURNING count(*)", memtables.ProgrammingError),
        ("INSERT INTO items (name) VALUES ('a') RETURNING nope", memtables.ProgrammingError),
        ("DELETE FROM items RETURNING other.*", memtables.ProgrammingError),
        ("UPDATE items SET qty = 1 RETURNING", memtables.ProgrammingError),
    ]:
        with pytest.raises(error) as e:
            items.execute(sql)
        assert str(e.value)
    assert items.execute("SELECT count(*) FROM items").fetchone() == (0,)


def test_executemany_runs_every_set_and_drops_the_rows_like_sqlite3(items):
    cur = items.executemany(
        "INSERT INTO items (name) VALUES (?) RETURNING id", [("a",), ("b",), ("c",)]
    )
    assert names(cur) == ["id"]
    assert cur.fetchall() == []
    assert cur.rowcount == 3
    assert cur.lastrowid == 3
    assert items.execute("SELECT count(*) FROM items").fetchone() == (3,)


def test_row_factory_and_fetchone_work_on_returned_rows(items):
    items.row_factory = memtables.Row
    cur = items.execute("INSERT INTO items (name) VALUES ('a'), ('b') RETURNING id, name")
    first = cur.fetchone()
    assert (first["id"], first["name"]) == (1, "a")
    assert [tuple(r) for r in cur.fetchall()] == [(2, "b")]


def test_cache_table_returning_star_hides_the_expiry_column(conn):
    conn.execute("CREATE CACHE TABLE c (k INTEGER PRIMARY KEY, v TEXT) WITH (max_rows = 10)")
    cur = conn.execute("INSERT INTO c VALUES (1, 'a') TTL 60 RETURNING *")
    assert names(cur) == ["k", "v"]
    assert cur.fetchall() == [(1, "a")]
    cur = conn.execute("UPDATE c SET v = 'b' RETURNING *")
    assert cur.fetchall() == [(1, "b")]


def test_rows_written_by_returning_statements_reopen(tmp_path):
    path = str(tmp_path / "db.mtdb")
    c = memtables.connect(path)
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
    assert c.execute("INSERT INTO t (v) VALUES ('a'), ('b'), ('c') RETURNING id").fetchall() == [
        (1,),
        (2,),
        (3,),
    ]
    c.execute("UPDATE t SET v = v || '2' WHERE id = 2 RETURNING v")
    c.execute("DELETE FROM t WHERE id = 3 RETURNING *")
    c.execute("INSERT INTO t (v) VALUES ('a') ON CONFLICT (v) DO UPDATE SET v = 'a1' RETURNING *")
    c.commit()
    c.close()
    c = memtables.connect(path)
    assert c.execute("SELECT * FROM t ORDER BY id").fetchall() == [(1, "a1"), (2, "b2")]
    c.close()


def test_returning_is_a_keyword_and_a_quoted_name_still_works(conn):
    assert "RETURNING" in memtables.keywords()
    conn.execute('CREATE TABLE "returning" ("returning" INTEGER)')
    cur = conn.execute('INSERT INTO "returning" VALUES (1) RETURNING "returning"')
    assert names(cur) == ["returning"] and cur.fetchall() == [(1,)]


def test_the_shell_shows_returned_rows_as_a_table(items):
    import io

    from memtables.repl.session import Session

    out = io.StringIO()
    s = Session(items, None, out)
    s.settings.timer = False
    s.run_input("INSERT INTO items (name) VALUES ('pen') RETURNING id, name;")
    assert "pen" in out.getvalue() and "name" in out.getvalue()
    assert "OK" not in out.getvalue()


def test_returning_after_with_sees_the_common_table_expressions(items):
    cur = items.execute(
        "WITH n(name) AS (SELECT 'a' UNION ALL SELECT 'b') "
        "INSERT INTO items (name) SELECT name FROM n RETURNING id, name"
    )
    assert cur.fetchall() == [(1, "a"), (2, "b")]
    cur = items.execute(
        "WITH k(q) AS (SELECT 5) DELETE FROM items WHERE id = 1 "
        "RETURNING name, (SELECT q FROM k) AS q"
    )
    assert cur.fetchall() == [("a", 5)]
