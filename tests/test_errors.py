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


@pytest.mark.parametrize(
    "sql, error, match",
    [
        ("SELECT * FROM users ORDER BY 9", memtables.ProgrammingError, "out of range"),
        ("SELECT * FROM users LIMIT 'a'", memtables.DataError, "LIMIT"),
        ("SELECT * FROM users LIMIT 1 OFFSET x'00'", memtables.DataError, "OFFSET"),
        ("SELECT count(*) FROM users WHERE count(*) > 1", memtables.ProgrammingError, "misuse"),
        ("SELECT name FROM users GROUP BY name HAVING", memtables.SQLSyntaxError, "end of input"),
        ("INSERT INTO users SELECT 1", memtables.ProgrammingError, "5 columns"),
        ("SELECT (SELECT id, name FROM users)", memtables.ProgrammingError, "2 columns"),
    ],
)
def test_bad_statements_raise_the_right_error(users, sql, error, match):
    # pytest.raises fails when nothing is raised, and when another class escapes
    with pytest.raises(error, match=match):
        users.execute(sql).fetchall()
    assert users.execute("SELECT count(*) FROM users").fetchone() == (4,)


def test_abs_of_text_is_a_value_not_an_error(users):
    # SQLite: abs('x1') is 0.0; an error here would be a dialect difference
    assert users.execute("SELECT abs('x' || 1) FROM users LIMIT 1").fetchone() == (0,)


# ---------------------------------------------------------------- preparation (issue 12, #13)
def test_start_transaction_works_like_begin(conn):
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.commit()
    conn.execute("START TRANSACTION")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.execute("ROLLBACK")
    conn.execute("START TRANSACTION ISOLATION LEVEL SERIALIZABLE")
    assert conn.in_transaction
    conn.execute("COMMIT")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_long_and_or_chains_and_in_lists_work(conn):
    conn.execute("CREATE TABLE t (a INTEGER, s TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, str(i)) for i in range(10)])
    ors = " OR ".join(f"a = {i}" for i in range(3, 600))
    assert conn.execute(f"SELECT count(*) FROM t WHERE {ors}").fetchone() == (7,)
    ands = " AND ".join(f"a <> {i}" for i in range(3, 600))
    assert conn.execute(f"SELECT count(*) FROM t WHERE {ands}").fetchone() == (3,)
    mixed = " OR ".join(f"(a = {i} AND s = '{i}')" for i in range(400))
    assert conn.execute(f"SELECT count(*) FROM t WHERE {mixed}").fetchone() == (10,)
    cat = " || ".join(["'ab'"] * 600)
    assert conn.execute(f"SELECT {cat}").fetchone() == ("ab" * 600,)
    ins = ", ".join(map(str, range(5, 20_000)))
    assert conn.execute(f"SELECT count(*) FROM t WHERE a IN ({ins})").fetchone() == (5,)
    # the chain keeps SQL's three-valued logic and its left-to-right meaning
    assert conn.execute("SELECT NULL OR 0 OR 1, NULL AND 1 AND 0, 1 AND NULL AND 1").fetchone() == (
        1,
        0,
        None,
    )


def test_long_case_coalesce_and_compound_selects_work(conn):
    conn.execute("CREATE TABLE t (a INTEGER, s TEXT)")
    conn.execute("INSERT INTO t VALUES (1, 'x'), (2, NULL), (999, 'z')")
    whens = " ".join(f"WHEN a = {i} THEN {i * 10}" for i in range(1000))
    rows = conn.execute(f"SELECT CASE {whens} END FROM t ORDER BY a").fetchall()
    assert rows == [(10,), (20,), (9990,)]
    nulls = ", ".join(["NULL"] * 900)
    rows = conn.execute(f"SELECT coalesce({nulls}, s, 'none') FROM t ORDER BY a").fetchall()
    assert rows == [("x",), ("none",), ("z",)]
    arms = " UNION ALL ".join(f"SELECT {i}" for i in range(1000))
    rows = conn.execute(f"{arms} UNION ALL SELECT ?", (-1,)).fetchall()
    assert rows == [(i,) for i in range(1000)] + [(-1,)]
    # runs of one operator are regrouped; mixed operators keep SQL's left-to-right meaning
    mixed = "SELECT 1 UNION SELECT 2 UNION ALL SELECT 1 EXCEPT SELECT 2 INTERSECT SELECT 1"
    assert conn.execute(mixed).fetchall() == [(1,)]
    with pytest.raises(memtables.ProgrammingError, match="same number of result columns"):
        conn.execute("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 1, 2")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "NOT " * 2000 + "1",
        "SELECT " + "(SELECT " * 300 + "1" + ")" * 300,
        "SELECT " + " + ".join(["1"] * 2000),
        "SELECT " + "abs(" * 400 + "1" + ")" * 400,
    ],
)
def test_too_deep_statement_is_a_clear_error(conn, sql):
    with pytest.raises(memtables.OperationalError, match="statement too deeply nested"):
        conn.execute(sql)
    assert conn.execute("SELECT 1").fetchone() == (1,)  # and the connection still works


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "NOT " * 400 + "1",
        "SELECT " + "(SELECT " * 100 + "1" + ")" * 100,
        "SELECT " + " OR ".join(["0"] * 400),
    ],
)
def test_deep_statements_from_the_issue_answer_or_fail_cleanly(conn, sql):
    # how deep Python's stack lets a statement go depends on the caller; either way only a
    # result or the clear error may come out (before: RecursionError, or an InternalError
    # quoting generated Python source)
    try:
        conn.execute(sql).fetchall()
    except memtables.OperationalError as e:
        assert str(e) == "statement too deeply nested"


def test_joins_of_twenty_tables_work_and_more_get_a_clear_error(conn):
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("INSERT INTO t VALUES (1)")

    def join(n: int) -> str:
        return "SELECT count(*) FROM t AS a0 " + " ".join(
            f"JOIN t AS a{i} ON a{i}.a = a{i - 1}.a" for i in range(1, n)
        )

    assert conn.execute(join(20)).fetchone() == (1,)
    with pytest.raises(memtables.NotSupportedError, match="join of more than 20 tables"):
        conn.execute(join(21))


def test_moderately_deep_statements_work(conn):
    assert conn.execute("SELECT " + "NOT " * 100 + "1").fetchone() == (1,)
    assert conn.execute("SELECT " + "(SELECT " * 40 + "7" + ")" * 40).fetchone() == (7,)
    assert conn.execute("SELECT " + " + ".join(["1"] * 150)).fetchone() == (150,)
    # deep expressions over columns, parameters and subqueries, in queries, DML and CHECKs
    conn.execute(
        "CREATE TABLE t (a INTEGER, b INTEGER CHECK (" + " + ".join(["b"] * 150) + " > 0))"
    )
    conn.execute("INSERT INTO t VALUES (1, 1), (NULL, 2)")
    sums = " + ".join(["a"] * 190)
    assert conn.execute(f"SELECT {sums} FROM t ORDER BY b").fetchall() == [(190,), (None,)]
    assert conn.execute(f"SELECT b FROM t WHERE {sums} + ? > 0", (1,)).fetchall() == [(1,)]
    subs = " + ".join(["(SELECT max(b) FROM t AS x WHERE x.a = t.a)"] * 100)
    assert conn.execute(f"SELECT {subs} FROM t ORDER BY b").fetchall() == [(100,), (None,)]
    conn.execute("UPDATE t SET b = " + " + ".join(["b"] * 100) + " WHERE a = 1")
    with pytest.raises(memtables.CheckViolation):
        conn.execute("UPDATE t SET b = -b")
    assert conn.execute("SELECT b FROM t ORDER BY b").fetchall() == [(2,), (100,)]


def test_constant_folding_never_escapes_as_a_python_exception(conn):
    # folding that fails is left to run time, which answers like sqlite3 or raises a PEP 249
    # error; never OverflowError, decimal.InvalidOperation or ValueError
    # counts and positions past any length clamp instead of overflowing int()
    assert conn.execute("SELECT round(1.5, 1e400), round(1.5, -1e400)").fetchone() == (1.5, 2.0)
    assert conn.execute("SELECT substr('abc', 1e400)").fetchone() == ("",)
    conn.execute("SELECT substr('abc', -1e400), substr('abc', 1, -1e400)").fetchall()
    assert conn.execute("SELECT substr('abc', 2, 1e400)").fetchone() == ("bc",)
    assert conn.execute("SELECT round(1e308), round(-1e308)").fetchone() == (1e308, -1e308)
    # a branch that is never taken must not fail at preparation
    assert conn.execute("SELECT CASE WHEN 0 THEN round(1.5, 1e400) END").fetchone() == (None,)


def test_integer_literals_beyond_64_bits_are_real_as_in_sqlite(conn):
    assert conn.execute("SELECT 99999999999999999999").fetchone() == (1e20,)
    assert conn.execute("SELECT " + "1" * 4301).fetchone() == (float("inf"),)
    assert conn.execute("SELECT -9223372036854775808").fetchone() == (-(2**63),)
    with pytest.raises(memtables.SQLSyntaxError, match="hex literal too big"):
        conn.execute("SELECT 0x1" + "0" * 16)


def test_sql_that_is_not_a_string_is_refused(conn):
    for bad in (["SELECT 1"], {"a": 1}, b"SELECT 1", None):
        with pytest.raises(memtables.ProgrammingError, match="SQL must be a str"):
            conn.execute(bad)


# ---------------------------------------------------------------- schema expressions (#14)
@pytest.mark.parametrize(
    "sql, match",
    [
        ("CREATE VIEW v AS SELECT ?", "parameters are not allowed in views"),
        ("CREATE VIEW v AS SELECT :x", "parameters are not allowed in views"),
        ("CREATE TABLE t (a INTEGER CHECK (a > ?1))", "parameters are not allowed in CHECK"),
        ("CREATE TABLE t (a INTEGER, CHECK (a > :x))", "parameters are not allowed in CHECK"),
        ("CREATE TABLE t (a INTEGER DEFAULT (?))", "parameters are not allowed in a DEFAULT"),
        ("CREATE TABLE t (a INTEGER CHECK (a IN (SELECT 1)))", "subqueries are not allowed"),
        ("CREATE TABLE t (a INTEGER CHECK ((SELECT 1) = a))", "subqueries are not allowed"),
        ("CREATE TABLE t (a INTEGER, CHECK (EXISTS (SELECT 1)))", "subqueries are not allowed"),
        ("CREATE TABLE t (a INTEGER DEFAULT ((SELECT 1)))", "subqueries are not allowed"),
    ],
)
def test_schema_expressions_refuse_parameters_and_subqueries(conn, sql, match):
    with pytest.raises(memtables.ProgrammingError, match=match):
        conn.execute(sql)
    assert conn.execute("SELECT count(*) FROM sys.tables").fetchone() == (0,)


def test_create_table_as_takes_parameters_like_a_query(conn):
    with pytest.raises(memtables.ProgrammingError, match="positional parameters"):
        conn.execute("CREATE TABLE x AS SELECT ? AS y", {"a": 1})
    with pytest.raises(memtables.ProgrammingError, match="incorrect number of bindings"):
        conn.execute("CREATE TABLE x AS SELECT ? AS y")
    conn.execute("CREATE TABLE x AS SELECT ? AS y", (5,))
    conn.execute("CREATE TABLE z AS SELECT :a AS y", {"a": 7})
    assert conn.execute("SELECT x.y, z.y FROM x, z").fetchone() == (5, 7)


def test_group_concat_with_null_separator_joins_with_nothing(conn):
    conn.execute("CREATE TABLE t (s TEXT)")
    conn.execute("INSERT INTO t VALUES ('a'), ('b')")
    assert conn.execute("SELECT group_concat(s, NULL) FROM t").fetchone() == ("ab",)


def test_subquery_in_aggregate_output_sees_the_group(conn):
    conn.execute("CREATE TABLE empty (a INTEGER)")
    assert conn.execute("SELECT count(*), (SELECT a) FROM empty").fetchone() == (0, None)
    conn.execute("CREATE TABLE t (g INTEGER, a INTEGER)")
    conn.execute("INSERT INTO t VALUES (1, 10), (2, 20)")
    rows = conn.execute("SELECT g, (SELECT a + 1) FROM t GROUP BY g ORDER BY g").fetchall()
    assert rows == [(1, 11), (2, 21)]
