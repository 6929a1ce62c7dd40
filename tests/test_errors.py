"""Bad input gets a clear PEP 249 error and leaves the database unchanged."""

from __future__ import annotations

import pytest

import memtables


def test_syntax_error_names_line_column_token_with_caret(conn):
    with pytest.raises(memtables.SQLSyntaxError) as info:
        conn.execute("SELECT *\nFROM t WHERE x = = 1")
    e = info.value
    assert isinstance(e, memtables.ProgrammingError)
    assert (e.line, e.column, e.token) == (2, 18, "=")
    msg = str(e)
    assert "line 2, column 18" in msg
    assert "'='" in msg
    assert "FROM t WHERE x = = 1" in msg
    assert msg.splitlines()[-1] == "  " + " " * 17 + "^"


def test_syntax_error_at_end_of_input(conn):
    with pytest.raises(memtables.SQLSyntaxError, match="end of input"):
        conn.execute("SELECT 1 +")


def test_syntax_error_bad_character(conn):
    with pytest.raises(memtables.SQLSyntaxError, match="unexpected character '#'"):
        conn.execute("SELECT # FROM t")


def test_empty_statement(conn):
    with pytest.raises(memtables.ProgrammingError):
        conn.execute("   ")


def test_unknown_table(conn):
    with pytest.raises(memtables.ProgrammingError, match="no such table: nope"):
        conn.execute("SELECT * FROM nope")
    with pytest.raises(memtables.UndefinedTable):
        conn.execute("INSERT INTO nope VALUES (1)")
    with pytest.raises(memtables.ProgrammingError, match="no such table: nope"):
        conn.execute("DROP TABLE nope")


def test_unknown_column(users):
    with pytest.raises(memtables.ProgrammingError, match="no such column: nope"):
        users.execute("SELECT nope FROM users")
    with pytest.raises(memtables.UndefinedColumn, match="no such column: users.nope"):
        users.execute("SELECT users.nope FROM users")
    with pytest.raises(memtables.ProgrammingError, match="nope"):
        users.execute("INSERT INTO users (id, nope) VALUES (1, 2)")
    with pytest.raises(memtables.ProgrammingError, match="nope"):
        users.execute("UPDATE users SET nope = 1")


def test_unknown_function(conn):
    with pytest.raises(memtables.ProgrammingError, match="no such function: frob"):
        conn.execute("SELECT frob(1)")
    with pytest.raises(memtables.ProgrammingError, match="wrong number of arguments"):
        conn.execute("SELECT abs(1, 2)")


def test_duplicate_key(users):
    with pytest.raises(memtables.IntegrityError, match="UNIQUE constraint failed"):
        users.execute("INSERT INTO users (id, name) VALUES (1, 'again')")
    with pytest.raises(memtables.UniqueViolation, match=r"users\(email\)"):
        users.execute("INSERT INTO users (id, name, email) VALUES (9, 'x', 'ada@example.com')")


def test_duplicate_key_in_update(users):
    with pytest.raises(memtables.IntegrityError):
        users.execute("UPDATE users SET id = 2 WHERE id = 1")
    with pytest.raises(memtables.IntegrityError):
        users.execute("UPDATE users SET email = 'bob@example.com' WHERE id = 1")
    assert users.execute("SELECT id, email FROM users WHERE id <= 2 ORDER BY id").fetchall() == [
        (1, "ada@example.com"),
        (2, "bob@example.com"),
    ]


def test_not_null(users):
    with pytest.raises(memtables.IntegrityError, match="NOT NULL constraint failed: users.name"):
        users.execute("INSERT INTO users (id) VALUES (7)")
    with pytest.raises(memtables.NotNullViolation):
        users.execute("UPDATE users SET name = NULL WHERE id = 1")


def test_wrong_types(users):
    with pytest.raises(memtables.DataError, match="users.age"):
        users.execute("INSERT INTO users (id, name, age) VALUES (8, 'x', 'old')")
    with pytest.raises(memtables.DataError, match="TEXT"):
        users.execute("INSERT INTO users (id, name) VALUES (8, 42)")
    with pytest.raises(memtables.DataError):
        users.execute("UPDATE users SET age = ? WHERE id = 1", ("x",))
    with pytest.raises(memtables.DataError, match="out of range"):
        users.execute("INSERT INTO users (id, name) VALUES (?, 'x')", (2**70,))


def test_integers_widen_to_real(users):
    users.execute("INSERT INTO users (id, name, score) VALUES (8, 'x', 3)")
    (score,) = users.execute("SELECT score FROM users WHERE id = 8").fetchone()
    assert score == 3.0 and type(score) is float


def test_division_by_zero_is_null(conn):
    assert conn.execute("SELECT 1 / 0, 1 % 0, 1.5 / 0").fetchone() == (None, None, None)


def test_failing_multirow_insert_inserts_nothing(users):
    with pytest.raises(memtables.IntegrityError):
        users.execute("INSERT INTO users (id, name) VALUES (20, 'a'), (21, 'b'), (1, 'dup')")
    assert users.execute("SELECT count(*) FROM users").fetchone() == (4,)
    assert users.in_transaction  # the transaction survives; only the statement was undone
    users.execute("INSERT INTO users (id, name) VALUES (20, 'a')")
    users.commit()
    assert users.execute("SELECT count(*) FROM users").fetchone() == (5,)


def test_failing_update_changes_nothing(users):
    before = users.execute("SELECT * FROM users ORDER BY id").fetchall()
    with pytest.raises(memtables.IntegrityError):
        users.execute("UPDATE users SET email = 'same'")
    assert users.execute("SELECT * FROM users ORDER BY id").fetchall() == before


def test_failing_statement_keeps_earlier_work(users):
    users.execute("DELETE FROM users WHERE id = 4")
    with pytest.raises(memtables.DataError):
        users.execute("UPDATE users SET age = 'x'")
    users.commit()
    assert [r[0] for r in users.execute("SELECT id FROM users ORDER BY id")] == [1, 2, 3]


def test_create_existing_table(users):
    with pytest.raises(memtables.ProgrammingError, match="already exists"):
        users.execute("CREATE TABLE users (x INTEGER)")
    users.execute("CREATE TABLE IF NOT EXISTS users (x INTEGER)")
    users.execute("DROP TABLE IF EXISTS nope")


def test_unknown_type_name(conn):
    with pytest.raises(memtables.ProgrammingError, match="unknown type"):
        conn.execute("CREATE TABLE t (x FROBNICATOR)")


def test_insert_value_count_mismatch(users):
    with pytest.raises(memtables.ProgrammingError, match="values for"):
        users.execute("INSERT INTO users (id, name) VALUES (1)")


def test_check_constraint(conn):
    conn.execute("CREATE TABLE t (x INTEGER CHECK (x > 0), y INTEGER, CHECK (y < 10))")
    conn.execute("INSERT INTO t VALUES (1, 2)")
    with pytest.raises(memtables.IntegrityError, match="CHECK constraint failed"):
        conn.execute("INSERT INTO t VALUES (0, 2)")
    with pytest.raises(memtables.CheckViolation):
        conn.execute("UPDATE t SET y = 10")
    conn.execute("INSERT INTO t VALUES (NULL, NULL)")  # NULL passes a CHECK, as in SQL


def test_errors_never_leak_python_exceptions(users):
    bad = [
        "SELECT abs('x' || 1) FROM users",
        "SELECT * FROM users ORDER BY 9",
        "SELECT * FROM users LIMIT 'a'",
        "SELECT count(*) FROM users WHERE count(*) > 1",
        "SELECT name FROM users GROUP BY name HAVING",
        "INSERT INTO users SELECT 1",
        "SELECT (SELECT id, name FROM users)",
    ]
    for sql in bad:
        try:
            users.execute(sql).fetchall()
        except memtables.Error:
            pass
