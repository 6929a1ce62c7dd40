"""SQL behaviour through the public interface: expressions, queries, DML, DDL."""

from __future__ import annotations

import datetime as dt

import pytest

import memtables


def one(conn, sql, params=()):
    return conn.execute(sql, params).fetchone()


def test_integer_division_and_modulo_follow_sqlite(conn):
    assert one(conn, "SELECT 7 / 2, -7 / 2, 7 / -2, 7 % 3, -7 % 3, 7 % -3") == (3, -3, -3, 1, -1, 1)
    assert one(conn, "SELECT 7.0 / 2, 5.5 % 2") == (3.5, 1.0)


def test_int_real_mixing(conn):
    a, b, c = one(conn, "SELECT 1 + 2, 1 + 2.0, 3 * 0.5")
    assert (a, type(a)) == (3, int)
    assert (b, type(b)) == (3.0, float)
    assert c == 1.5


def test_comparison_operators(conn):
    assert one(conn, "SELECT 1 = 1, 1 == 1, 1 != 2, 1 <> 1, 1 < 2, 2 <= 2, 3 > 4, 4 >= 4") == (
        True,
        True,
        True,
        False,
        True,
        True,
        False,
        True,
    )


def test_three_valued_logic(conn):
    assert one(conn, "SELECT NULL AND 0, NULL AND 1, NULL OR 1, NULL OR 0, NOT NULL") == (
        False,
        None,
        True,
        None,
        None,
    )
    assert one(conn, "SELECT NULL = NULL, NULL IS NULL, 1 IS NOT NULL, NULL IS NOT 1") == (
        None,
        True,
        True,
        True,
    )


def test_in_between_like(conn):
    assert one(conn, "SELECT 2 IN (1, 2), 3 NOT IN (1, 2), 3 IN (1, NULL), NULL IN (1)") == (
        True,
        True,
        None,
        None,
    )
    assert one(conn, "SELECT 5 BETWEEN 1 AND 5, 0 NOT BETWEEN 1 AND 5") == (True, True)
    assert one(conn, "SELECT 'Hello' LIKE 'h%', 'abc' LIKE 'a_c', 'x' NOT LIKE 'X'") == (
        True,
        True,
        False,
    )
    assert one(conn, "SELECT '10%' LIKE '10!%' ESCAPE '!', 'É' LIKE 'é'") == (True, False)


def test_case_cast_concat(conn):
    assert one(conn, "SELECT CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' END") == ("b",)
    assert one(conn, "SELECT CASE 3 WHEN 1 THEN 'one' WHEN 3 THEN 'three' ELSE 'x' END") == (
        "three",
    )
    assert one(conn, "SELECT CASE NULL WHEN NULL THEN 1 ELSE 2 END") == (2,)
    assert one(conn, "SELECT CAST('12abc' AS INTEGER), CAST(2.7 AS INTEGER), CAST(5 AS TEXT)") == (
        12,
        2,
        "5",
    )
    assert one(conn, "SELECT CAST('2024-01-02' AS DATE)") == (dt.date(2024, 1, 2),)
    assert one(conn, "SELECT 'a' || 'b' || 1, 'a' || NULL") == ("ab1", None)


def test_functions(conn):
    assert one(
        conn, "SELECT abs(-3), lower('AbC'), upper('abc'), length('hello'), length(NULL)"
    ) == (3, "abc", "ABC", 5, None)
    assert one(conn, "SELECT coalesce(NULL, NULL, 3), nullif(1, 1), nullif(1, 2)") == (3, None, 1)
    assert one(conn, "SELECT round(2.5), round(-2.5), round(1.2345, 2)") == (3.0, -3.0, 1.23)
    assert one(
        conn, "SELECT substr('hello', 2, 3), substr('hello', -3), substr('hello', 0, 2)"
    ) == ("ell", "llo", "h")
    assert one(conn, "SELECT trim('  x  '), trim('xxaxx', 'x')") == ("x", "a")


def test_chained_unary_operators(conn):
    assert one(conn, "SELECT - - 5, NOT NOT 1, - + - 2") == (5, True, 2)


def test_default_values(conn):
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT DEFAULT 'anon', n INTEGER DEFAULT -1, "
        "at DATE DEFAULT CURRENT_DATE)"
    )
    conn.execute("INSERT INTO t (id) VALUES (1)")
    conn.execute("INSERT INTO t VALUES (2, DEFAULT, 5, DEFAULT)")
    conn.execute("INSERT INTO t DEFAULT VALUES")
    rows = conn.execute("SELECT id, name, n, at FROM t ORDER BY id").fetchall()
    today = dt.date.today()
    assert rows == [(1, "anon", -1, today), (2, "anon", 5, today), (3, "anon", -1, today)]


def test_composite_primary_key(conn):
    conn.execute("CREATE TABLE t (a INTEGER, b TEXT, v REAL, PRIMARY KEY (a, b))")
    conn.execute("INSERT INTO t VALUES (1, 'x', 1.0), (1, 'y', 2.0), (2, 'x', 3.0)")
    with pytest.raises(memtables.IntegrityError):
        conn.execute("INSERT INTO t VALUES (1, 'x', 9.0)")
    assert one(conn, "SELECT v FROM t WHERE a = 1 AND b = 'y'") == (2.0,)
    plan = [r[0] for r in conn.execute("EXPLAIN SELECT v FROM t WHERE b = 'y' AND a = ?", (1,))]
    assert any("PRIMARY KEY LOOKUP t" in line for line in plan)


def test_hidden_rowid(conn):
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES ('a'), ('a')")
    assert conn.execute("SELECT v FROM t").fetchall() == [("a",), ("a",)]
    conn.execute("DELETE FROM t WHERE v = 'a'")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_integer_primary_key_is_assigned(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t (v) VALUES ('a'), ('b')")
    conn.execute("INSERT INTO t VALUES (NULL, 'c')")
    assert conn.execute("SELECT id, v FROM t ORDER BY id").fetchall() == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
    ]


def test_where_order_limit_offset(users):
    q = "SELECT name FROM users WHERE age IS NOT NULL ORDER BY age DESC, name LIMIT 2 OFFSET 1"
    assert users.execute(q).fetchall() == [("bob",), ("dee",)]
    assert users.execute("SELECT name FROM users ORDER BY age").fetchall()[0] == (
        "cy",
    )  # NULL first
    assert users.execute("SELECT name FROM users ORDER BY age DESC").fetchall()[-1] == ("cy",)
    assert users.execute("SELECT id FROM users ORDER BY 1 DESC LIMIT 1").fetchall() == [(4,)]
    assert users.execute("SELECT id AS k FROM users ORDER BY k LIMIT ?", (2,)).fetchall() == [
        (1,),
        (2,),
    ]
    assert users.execute("SELECT id FROM users LIMIT -1 OFFSET 3").fetchall() == [(4,)]


def test_primary_key_equality_is_a_lookup(users):
    plan = "\n".join(r[0] for r in users.execute("EXPLAIN SELECT * FROM users WHERE id = ?", (1,)))
    assert "PRIMARY KEY LOOKUP users (id = ?1)" in plan
    assert "FULL SCAN" not in plan
    plan = "\n".join(r[0] for r in users.execute("EXPLAIN SELECT * FROM users WHERE age = 3"))
    assert "FULL SCAN users" in plan


def test_statement_cache(users):
    db = users.database
    before = db.statements_compiled
    for i in range(10):
        users.execute("SELECT name FROM users WHERE id = ?", (i,))
    assert db.statements_compiled == before + 1


def test_schema_change_invalidates_cached_plans(conn):
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert conn.execute("SELECT * FROM t").fetchall() == [(1,)]
    conn.execute("DROP TABLE t")
    conn.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    conn.execute("INSERT INTO t VALUES (2, 'x')")
    assert conn.execute("SELECT * FROM t").fetchall() == [(2, "x")]


def test_update_with_expressions_over_old_row(users):
    users.execute("UPDATE users SET age = age * 2, score = age WHERE id = 1")
    assert one(users, "SELECT age, score FROM users WHERE id = 1") == (72, 36.0)


def test_update_primary_key(users):
    users.execute("UPDATE users SET id = 40 WHERE id = 4")
    assert one(users, "SELECT name FROM users WHERE id = 40") == ("dee",)
    assert one(users, "SELECT count(*) FROM users WHERE id = 4") == (0,)


def test_delete(users):
    assert users.execute("DELETE FROM users WHERE age = 25").rowcount == 2
    assert users.execute("DELETE FROM users").rowcount == 2
    assert one(users, "SELECT count(*) FROM users") == (0,)


def test_drop_table(users):
    users.execute("DROP TABLE users")
    with pytest.raises(memtables.ProgrammingError):
        users.execute("SELECT * FROM users")


def test_keywords_as_names(conn):
    conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO kv (key, value) VALUES ('k', 'v')")
    assert one(conn, "SELECT key, value FROM kv WHERE key = 'k'") == ("k", "v")
    conn.execute('CREATE TABLE "select" ("from" INTEGER)')
    conn.execute('INSERT INTO "select" VALUES (1)')
    assert one(conn, 'SELECT "from" FROM "select"') == (1,)


def test_comments_and_case_insensitive_keywords(conn):
    assert one(conn, "select /* a */ 1 -- trailing\n") == (1,)


def test_date_and_timestamp_comparisons(conn):
    conn.execute("CREATE TABLE e (d DATE, ts TIMESTAMP)")
    conn.execute("INSERT INTO e VALUES ('2024-01-02', '2024-01-02 10:00:00')")
    assert one(conn, "SELECT d > '2024-01-01', ts < '2024-01-03' FROM e") == (True, True)
    assert one(conn, "SELECT count(*) FROM e WHERE d = ?", (dt.date(2024, 1, 2),)) == (1,)
