"""User-defined functions, aggregates and collations, and the connection-aware functions
``changes()``, ``total_changes()``, ``last_insert_rowid()``, the sqlite3 way.

How a user touches them: ``conn.create_function(name, narg, func, deterministic=...)``,
``conn.create_aggregate(name, narg, cls)``, ``conn.create_collation(name, fn)`` and then SQL
that calls them; ``conn.total_changes``; the three SQL functions after writes. Where sqlite3
has the feature, the same script runs in both and the answers must agree.

Deliberate differences from sqlite3 (tested on their own below):

- ``func=None`` removes a function (sqlite3 3.11 registers a function that then fails).
- A collation's exception, or a result that is not an int, is an ``OperationalError``
  naming the collation (sqlite3 lets the exception out, or reads garbage as 0).
- An unknown collation is an error wherever it is named (SQLite: only where it is used).
- A user function or counter is refused in a CHECK or DEFAULT: the schema outlives the
  connection that defined it.
- Comparisons give True/False (memtables' BOOLEAN), where sqlite3 gives 1/0.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import memtables
from memtables import (
    DataError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)


def both():
    """A memtables connection and a sqlite3 one."""
    return memtables.connect(), sqlite3.connect(":memory:")


def same(m, s, sql: str, params=()) -> list:
    """Run ``sql`` in both; the rows must be equal (1/0 from sqlite3 match True/False)."""
    got = m.execute(sql, params).fetchall()
    want = s.execute(sql, params).fetchall()
    assert [tuple(r) for r in got] == want, sql
    for g, w in zip(got, want):  # same types too, bool standing for sqlite3's int
        assert [type(x) if type(x) is not bool else int for x in g] == [type(x) for x in w], sql
    return got


def define(conns, how: str, *args, **kw) -> None:
    for c in conns:
        getattr(c, how)(*args, **kw)


# ---------------------------------------------------------------- scalar functions
def test_scalar_functions_agree_with_sqlite3():
    m, s = both()
    define((m, s), "create_function", "twice", 1, lambda x: None if x is None else x * 2)
    define((m, s), "create_function", "kind", 1, lambda x: type(x).__name__)
    define((m, s), "create_function", "f", 1, lambda x: "one")
    define((m, s), "create_function", "f", 2, lambda x, y: "two")
    define((m, s), "create_function", "f", -1, lambda *a: f"any{len(a)}")
    for c in (m, s):
        c.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c REAL)")
        c.executemany("INSERT INTO t VALUES (?, ?, ?)", [(1, "x", 1.5), (2, "yy", None)])
    same(m, s, "SELECT twice(a), twice(b), twice(c) FROM t ORDER BY a")
    same(m, s, "SELECT kind(1), kind(1.5), kind('s'), kind(x'01'), kind(NULL)")
    same(m, s, "SELECT f(1), f(1, 2), f(), f(1, 2, 3)")
    same(m, s, "SELECT a FROM t WHERE twice(a) = 4")
    same(m, s, "SELECT twice(?), TWICE(?)", (21, "ab"))
    same(m, s, "SELECT a, twice(a) AS d FROM t ORDER BY d DESC")
    same(m, s, "SELECT (SELECT twice(max(a)) FROM t), twice((SELECT count(*) FROM t))")
    for c in (m, s):
        c.execute("UPDATE t SET b = twice(b) WHERE a = 1")
        c.execute("INSERT INTO t VALUES (twice(5), f(1), NULL)")
    same(m, s, "SELECT * FROM t ORDER BY a")


def test_return_values_convert_as_sqlite3_does():
    m, s = both()

    class IntSub(int):
        pass

    returns = {
        "r_true": True,
        "r_false": False,
        "r_int": IntSub(7),
        "r_str": type("S", (str,), {})("text"),
        "r_bytearray": bytearray(b"ab"),
        "r_memoryview": memoryview(b"cd"),
        "r_nan": float("nan"),
        "r_min": -(2**63),
        "r_max": 2**63 - 1,
        "r_none": None,
    }
    for name, v in returns.items():
        define((m, s), "create_function", name, 0, lambda v=v: v)
    same(m, s, "SELECT " + ", ".join(f"{n}(), typeof({n}())" for n in returns))


def test_parameters_reach_the_function_as_sqlite3_passes_them():
    m, s = both()
    define((m, s), "create_function", "echo", 1, lambda x: x)
    values = (1, -(2**63), 2.5, "é", b"\x00\xff", None)
    same(m, s, "SELECT " + ", ".join("echo(?)" for _ in values), values)


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(-(2**63), 2**63 - 1),
            st.floats(allow_nan=False),
            st.text(max_size=5),
            st.binary(max_size=5),
        ),
        min_size=0,
        max_size=4,
    )
)
@settings(max_examples=60, deadline=None, database=None, derandomize=True)
def test_any_arguments_round_trip_like_sqlite3(values):
    m, s = both()
    try:
        define((m, s), "create_function", "pick", -1, lambda *a: a[-1] if a else "none")
        define((m, s), "create_function", "n", -1, lambda *a: len(a))
        marks = ", ".join("?" for _ in values)
        same(m, s, f"SELECT pick({marks}), n({marks})", tuple(values) * 2)
    finally:
        m.close()
        s.close()


def test_a_user_function_hides_the_builtin_of_that_name_as_in_sqlite3():
    m, s = both()
    define((m, s), "create_function", "lower", 1, lambda x: "mine:" + x)
    define((m, s), "create_function", "max", 2, lambda x, y: "two-arg max")
    for c in (m, s):
        c.execute("CREATE TABLE t (v INTEGER)")
        c.executemany("INSERT INTO t VALUES (?)", [(1,), (3,), (2,)])
    same(m, s, "SELECT lower('AB'), upper('ab')")
    same(m, s, "SELECT max(1, 2), max(v) FROM t")  # the aggregate max(x) is left alone


def test_hiding_a_builtin_does_not_leak_through_the_shared_statement_cache():
    db = memtables.Database()
    a, b = db.connect(), db.connect()
    sql = "SELECT lower('AB')"
    assert a.execute(sql).fetchone() == ("ab",)  # now in the database's shared cache
    b.create_function("lower", 1, lambda x: "b's lower")
    assert b.execute(sql).fetchone() == ("b's lower",)
    assert a.execute(sql).fetchone() == ("ab",)
    b.create_function("lower", 1, None)
    assert b.execute(sql).fetchone() == ("ab",)
    db.close()


def test_statements_are_compiled_once_on_a_connection_with_functions():
    db = memtables.Database()
    conn = db.connect()
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.create_function("lower", 1, lambda x: "mine")  # hides a built-in
    conn.create_function("f", 1, lambda x: x)
    for sql in ("SELECT f(v) FROM t", "SELECT lower(v) FROM t", "SELECT v + ? FROM t"):
        before = db.statements_compiled
        for _ in range(3):
            conn.execute(sql, (1,) if "?" in sql else ()).fetchall()
        assert db.statements_compiled == before + 1, sql
    conn.create_function("lower", 1, None)  # nothing hidden now: the shared cache again
    other = db.connect()
    other.execute("SELECT v * 2 FROM t")
    before = db.statements_compiled
    conn.execute("SELECT v * 2 FROM t")
    assert db.statements_compiled == before
    db.close()


def test_functions_belong_to_their_connection():
    db = memtables.Database()
    a, b = db.connect(), db.connect()
    a.create_function("who", 0, lambda: "a")
    assert a.execute("SELECT who()").fetchone() == ("a",)
    with pytest.raises(ProgrammingError, match="no such function: who"):
        b.execute("SELECT who()")  # not handed a's compiled statement
    b.create_function("who", 0, lambda: "b")
    assert b.execute("SELECT who()").fetchone() == ("b",)
    assert a.execute("SELECT who()").fetchone() == ("a",)
    c = db.connect()
    with pytest.raises(ProgrammingError, match="no such function: who"):
        c.execute("SELECT who()")
    db.close()


def test_replacing_or_removing_a_function_recompiles_what_used_it():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.create_function("g", 1, lambda x: x + 1)
    sql = "SELECT g(v) FROM t"
    assert conn.execute(sql).fetchone() == (2,)
    conn.create_function("g", 1, lambda x: x + 100)
    assert conn.execute(sql).fetchone() == (101,)
    conn.create_function("g", -1, lambda *a: "any")
    assert conn.execute(sql).fetchone() == (101,)  # the exact count still wins
    conn.create_function("g", 1, None)
    assert conn.execute(sql).fetchone() == ("any",)
    conn.create_function("g", -1, None)
    with pytest.raises(ProgrammingError, match="no such function: g"):
        conn.execute(sql)


def test_wrong_argument_count_is_refused_like_sqlite3():
    conn = memtables.connect()
    conn.create_function("one", 1, lambda x: x)
    with pytest.raises(ProgrammingError, match=r"wrong number of arguments to function one\(\)"):
        conn.execute("SELECT one(1, 2)")
    with pytest.raises(ProgrammingError, match="not an aggregate"):
        conn.execute("SELECT one(DISTINCT 1)")


def test_an_exception_inside_becomes_operational_error_naming_the_function():
    conn = memtables.connect()

    def boom(x):
        raise ValueError(f"bad {x}")

    conn.create_function("boom", 1, boom)
    with pytest.raises(
        OperationalError, match=r"boom\(\) raised exception: ValueError: bad 1"
    ) as e:
        conn.execute("SELECT boom(1)")
    assert isinstance(e.value.__cause__, ValueError)
    # the connection is still usable
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_failing_function_leaves_no_half_applied_change(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, i) for i in range(1, 6)])
    conn.commit()

    def fragile(v):
        if v == 4:
            raise RuntimeError("four")
        return v * 10

    conn.create_function("fragile", 1, fragile)
    with pytest.raises(OperationalError, match="fragile"):
        conn.execute("UPDATE t SET v = fragile(v)")
    with pytest.raises(OperationalError, match="fragile"):
        conn.executemany("INSERT INTO t VALUES (?, fragile(?))", [(10, 1), (11, 4)])
    assert conn.execute("SELECT v FROM t ORDER BY id").fetchall() == [(i,) for i in range(1, 6)]
    conn.execute("UPDATE t SET v = fragile(v) WHERE v < 4")
    conn.commit()
    assert conn.execute("SELECT v FROM t ORDER BY id").fetchall() == [
        (10,), (20,), (30,), (4,), (5,)
    ]  # fmt: skip


@pytest.mark.parametrize(
    "value, error, message",
    [
        ({}, OperationalError, r"f\(\) returned dict, which is not a SQL value"),
        ([1], OperationalError, r"f\(\) returned list"),
        (object(), OperationalError, r"f\(\) returned object"),
        (2**63, DataError, r"f\(\) returned an integer out of the 64-bit range"),
        (-(2**63) - 1, DataError, "64-bit"),
    ],
)
def test_a_value_sql_cannot_hold_is_a_clear_error(value, error, message):
    conn = memtables.connect()
    conn.create_function("f", 0, lambda: value)
    with pytest.raises(error, match=message):
        conn.execute("SELECT f()")


def test_deterministic_functions_with_constant_arguments_are_computed_once():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (3,)])
    calls = {"det": 0, "nondet": 0}

    def counted(kind):
        def fn(x):
            calls[kind] += 1
            return x

        return fn

    conn.create_function("det", 1, counted("det"), deterministic=True)
    conn.create_function("nondet", 1, counted("nondet"))
    for _ in range(3):
        assert conn.execute("SELECT v + det(10) FROM t").fetchall() == [(11,), (12,), (13,)]
    assert calls["det"] == 1  # when the statement was prepared
    for _ in range(3):
        assert conn.execute("SELECT v + nondet(10) FROM t").fetchall() == [(11,), (12,), (13,)]
    assert calls["nondet"] == 9  # every row of every run
    conn.execute("SELECT det(v) FROM t").fetchall()
    assert calls["det"] == 4  # a column argument is not constant


def test_a_deterministic_function_that_fails_on_constants_fails_when_run_not_prepared():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.create_function("bad", 1, lambda x: 1 / 0, deterministic=True)
    assert conn.execute("SELECT bad(1) FROM t").fetchall() == []  # no row: never called
    conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(OperationalError, match="bad"):
        conn.execute("SELECT bad(1) FROM t")


def test_user_functions_run_in_executescript_and_in_views():
    conn = memtables.connect()
    conn.create_function("twice", 1, lambda x: x * 2)
    conn.executescript(
        "CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (twice(4));"
        "CREATE VIEW v2 AS SELECT twice(v) AS w FROM t;"
    )
    assert conn.execute("SELECT w FROM v2").fetchall() == [(16,)]
    other = conn.database.connect()
    with pytest.raises(ProgrammingError, match="no such function: twice"):
        other.execute("SELECT w FROM v2")  # a view binds where it is used


def test_a_schema_may_not_depend_on_a_connections_functions(tmp_path):
    conn = memtables.connect(str(tmp_path / "db"))
    conn.create_function("pos", 1, lambda x: x > 0, deterministic=True)
    with pytest.raises(NotSupportedError, match=r"pos\(\) belongs to one connection"):
        conn.execute("CREATE TABLE c (v INTEGER CHECK (pos(v)))")
    with pytest.raises(NotSupportedError, match=r"pos\(\) belongs to one connection"):
        conn.execute("CREATE TABLE d (v INTEGER DEFAULT (pos(1)))")
    for counter in ("changes()", "total_changes()", "last_insert_rowid()"):
        with pytest.raises(NotSupportedError, match="belongs to one connection"):
            conn.execute(f"CREATE TABLE e (v INTEGER DEFAULT ({counter}))")
    assert conn.execute("SELECT count(*) FROM sys.tables").fetchone() == (0,)
    conn.close()


def test_values_computed_by_a_function_are_durable(tmp_path):
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.create_function("label", 2, lambda a, b: f"{a}-{b}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, label(?, 'x'))", [(1, 1), (2, 2)])
    conn.commit()
    conn.close()
    again = memtables.connect(path)
    assert again.execute("SELECT s FROM t ORDER BY id").fetchall() == [("1-x",), ("2-x",)]
    with pytest.raises(ProgrammingError, match="no such function: label"):
        again.execute("SELECT label(1, 2)")  # functions are not stored
    again.close()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda c: c.create_function("f", 1, 5), "func must be callable"),
        (lambda c: c.create_function("f", -2, len), "narg must be an integer from -1"),
        (lambda c: c.create_function("f", 128, len), "narg must be an integer from -1"),
        (lambda c: c.create_function("f", "1", len), "narg must be an integer"),
        (lambda c: c.create_function("", 1, len), "non-empty str"),
        (lambda c: c.create_function(None, 1, len), "non-empty str"),
        (lambda c: c.create_aggregate("a", 1, 5), "aggregate_class must be a class"),
        (lambda c: c.create_collation("c", 5), "collation must be callable"),
        (lambda c: c.create_collation(3, len), "non-empty str"),
    ],
)
def test_bad_definitions_are_refused_and_change_nothing(call, message):
    conn = memtables.connect()
    conn.create_function("f", 1, lambda x: "kept")
    with pytest.raises(ProgrammingError, match=message):
        call(conn)
    assert conn.execute("SELECT f(1)").fetchone() == ("kept",)


def test_defining_on_a_closed_connection_is_refused():
    conn = memtables.connect()
    conn.close()
    for call in (
        lambda: conn.create_function("f", 1, len),
        lambda: conn.create_aggregate("a", 1, object),
        lambda: conn.create_collation("c", lambda a, b: 0),
        lambda: conn.total_changes,
    ):
        with pytest.raises(ProgrammingError, match="closed"):
            call()


# ---------------------------------------------------------------- aggregates
class Sum:
    def __init__(self):
        self.n = 0

    def step(self, x):
        if x is not None:
            self.n += x

    def finalize(self):
        return self.n


class Pairs:
    def __init__(self):
        self.items = []

    def step(self, a, b):
        self.items.append(f"{a}:{b}")

    def finalize(self):
        return ",".join(sorted(self.items))


class Rows:
    def __init__(self):
        self.n = 0

    def step(self):
        self.n += 1

    def finalize(self):
        return self.n


def test_aggregates_agree_with_sqlite3():
    m, s = both()
    define((m, s), "create_aggregate", "mysum", 1, Sum)
    define((m, s), "create_aggregate", "pairs", 2, Pairs)
    define((m, s), "create_aggregate", "rows", 0, Rows)
    for c in (m, s):
        c.execute("CREATE TABLE t (g INTEGER, v INTEGER, w TEXT)")
        c.executemany(
            "INSERT INTO t VALUES (?, ?, ?)",
            [(1, 1, "a"), (1, 2, "b"), (2, 5, "c"), (2, 5, None), (3, None, "e")],
        )
    same(m, s, "SELECT mysum(v), pairs(v, w), rows(), count(*) FROM t")
    same(m, s, "SELECT g, mysum(v), pairs(w, g), rows() FROM t GROUP BY g ORDER BY g")
    same(m, s, "SELECT mysum(v) FROM t WHERE v > 100")  # no rows: NULL, as in sqlite3
    same(m, s, "SELECT g FROM t GROUP BY g HAVING mysum(v) > 2 ORDER BY mysum(v) DESC")
    same(m, s, "SELECT mysum(DISTINCT v) FROM t")
    same(m, s, "SELECT g, mysum(v) + 1 FROM t GROUP BY g ORDER BY 2")
    same(m, s, "SELECT (SELECT mysum(v) FROM t AS u WHERE u.g = t.g) FROM t ORDER BY 1")


def test_aggregate_errors_name_the_aggregate():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.execute("INSERT INTO t VALUES (1)")

    class StepFails(Sum):
        def step(self, x):
            raise KeyError(x)

    class FinalizeFails(Sum):
        def finalize(self):
            raise ArithmeticError("no")

    class InitFails(Sum):
        def __init__(self):
            raise TypeError("cannot")

    class ReturnsDict(Sum):
        def finalize(self):
            return {}

    cases = [
        ("s", StepFails, r"s\(\) \(its step method\) raised exception: KeyError"),
        ("f", FinalizeFails, r"f\(\) \(its finalize method\) raised exception: Arith"),
        ("i", InitFails, r"i\(\) \(creating it\) raised exception: TypeError"),
        ("d", ReturnsDict, r"aggregate d\(\) returned dict"),
    ]
    for name, cls, message in cases:
        conn.create_aggregate(name, 1, cls)
        with pytest.raises(OperationalError, match=message):
            conn.execute(f"SELECT {name}(v) FROM t")
    conn.create_aggregate("agg", 1, Sum)
    for sql, message in [
        ("SELECT agg(*) FROM t", "wrong number of arguments"),
        ("SELECT agg(v, v) FROM t", r"wrong number of arguments to function agg\(\)"),
        ("SELECT agg(agg(v)) FROM t", "misuse of aggregate"),
        ("SELECT v FROM t WHERE agg(v) > 0", "aggregate"),
    ]:
        with pytest.raises(ProgrammingError, match=message):
            conn.execute(sql)


def test_aggregates_replace_and_remove_like_functions():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    conn.create_aggregate("agg", 1, Sum)
    sql = "SELECT agg(v) FROM t"
    assert conn.execute(sql).fetchone() == (3,)

    class Max(Sum):
        def step(self, x):
            self.n = max(self.n, x)

    conn.create_aggregate("agg", 1, Max)
    assert conn.execute(sql).fetchone() == (2,)
    conn.create_function("agg", 1, lambda x: -x)  # same name and count: now a scalar
    assert conn.execute(sql + " ORDER BY v").fetchall() == [(-1,), (-2,)]
    conn.create_aggregate("agg", 1, None)
    with pytest.raises(ProgrammingError, match="no such function: agg"):
        conn.execute(sql)
    other = conn.database.connect()
    conn.create_aggregate("agg", 1, Sum)
    with pytest.raises(ProgrammingError, match="no such function: agg"):
        other.execute(sql)


# ---------------------------------------------------------------- collations
def reverse(a: str, b: str) -> int:
    return (a < b) - (a > b)


def by_length(a: str, b: str) -> int:
    return len(a) - len(b)


def test_collations_agree_with_sqlite3():
    m, s = both()
    define((m, s), "create_collation", "rev", reverse)
    define((m, s), "create_collation", "len", by_length)
    for c in (m, s):
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, w TEXT)")
        c.executemany(
            "INSERT INTO t VALUES (?, ?)",
            [(1, "pear"), (2, "fig"), (3, "apple"), (4, None), (5, "kiwi")],
        )
    same(m, s, "SELECT w FROM t ORDER BY w COLLATE rev")
    same(m, s, "SELECT w FROM t ORDER BY w COLLATE rev DESC")
    same(m, s, "SELECT w FROM t ORDER BY w COLLATE len, id")
    same(m, s, "SELECT w FROM t ORDER BY 1 COLLATE rev LIMIT 2")
    same(m, s, "SELECT w AS x FROM t ORDER BY x COLLATE rev")
    same(m, s, "SELECT id FROM t WHERE w = 'abcd' COLLATE len ORDER BY id")
    same(m, s, "SELECT id FROM t WHERE w COLLATE len < 'abcd' ORDER BY id")
    same(m, s, "SELECT id FROM t WHERE 'b' COLLATE rev < w ORDER BY id")
    same(m, s, "SELECT 'a' < 'b' COLLATE rev, 'a' COLLATE rev >= 'b', 'x' = 'y' COLLATE len")
    same(m, s, "SELECT 'a' = NULL COLLATE rev, 1 < 2 COLLATE rev, 2 < 'a' COLLATE rev")


def test_collations_belong_to_their_connection_and_can_be_removed():
    conn = memtables.connect()
    conn.create_collation("rev", reverse)
    sql = "SELECT 'a' < 'b' COLLATE rev"
    assert conn.execute(sql).fetchone() == (False,)
    other = conn.database.connect()
    with pytest.raises(ProgrammingError, match="no such collation sequence: REV"):
        other.execute(sql)
    conn.create_collation("REV", lambda a, b: -reverse(a, b))  # names ignore case
    assert conn.execute(sql).fetchone() == (True,)
    conn.create_collation("rev", None)
    with pytest.raises(ProgrammingError, match="no such collation sequence: REV"):
        conn.execute(sql)
    with pytest.raises(ProgrammingError, match="no such collation sequence: NOSUCH"):
        conn.execute("SELECT 'a' COLLATE nosuch")


def test_a_failing_collation_is_an_operational_error_naming_it():
    conn = memtables.connect()
    conn.create_collation("boom", lambda a, b: 1 / 0)
    conn.create_collation("text", lambda a, b: "less")
    with pytest.raises(OperationalError, match="collation BOOM raised exception: ZeroDivision"):
        conn.execute("SELECT 'a' < 'b' COLLATE boom")
    with pytest.raises(OperationalError, match="collation BOOM"):
        conn.execute("SELECT column1 FROM (VALUES ('a'), ('b')) ORDER BY column1 COLLATE boom")
    with pytest.raises(OperationalError, match="collation TEXT returned str, not an integer"):
        conn.execute("SELECT 'a' = 'b' COLLATE text")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT w COLLATE rev FROM t",
        "SELECT w FROM t GROUP BY w COLLATE rev",
        "SELECT DISTINCT w COLLATE rev FROM t",
        "SELECT min(w COLLATE rev) FROM t",
        "SELECT w FROM t WHERE w BETWEEN 'a' AND 'b' COLLATE rev",
        "SELECT w FROM t WHERE w IN ('a') COLLATE rev",
        "SELECT x FROM (SELECT w COLLATE rev AS x FROM t) ORDER BY x",
        "SELECT w FROM t UNION SELECT 'b' ORDER BY 1 COLLATE rev",
        "SELECT w FROM t WHERE w || 'x' COLLATE rev = 'ax'",
    ],
)
def test_a_collation_where_it_would_be_ignored_is_refused(sql):
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (w TEXT)")
    conn.create_collation("rev", reverse)
    with pytest.raises(NotSupportedError, match="COLLATE"):
        conn.execute(sql)
    # COLLATE BINARY is the default, accepted anywhere
    conn.execute(sql.replace("COLLATE rev", "COLLATE binary")).fetchall()


def test_a_collation_may_not_be_kept_in_the_schema():
    conn = memtables.connect()
    conn.create_collation("rev", reverse)
    with pytest.raises(NotSupportedError, match="collation REV belongs to one connection"):
        conn.execute("CREATE TABLE t (w TEXT CHECK (w > 'a' COLLATE rev))")


# ---------------------------------------------------------------- changes() & co.
COUNTERS = "SELECT changes(), total_changes(), last_insert_rowid()"


def counters_agree(m, s) -> None:
    same(m, s, COUNTERS)
    assert m.total_changes == s.total_changes


def test_counters_agree_with_sqlite3_after_each_kind_of_write():
    m, s = both()
    counters_agree(m, s)  # 0, 0, 0 on a new connection
    steps = [
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", ()),
        ("INSERT INTO t (v) VALUES (10)", ()),
        ("INSERT INTO t (v) VALUES (20), (30), (40)", ()),
        ("INSERT INTO t VALUES (100, 1)", ()),
        ("UPDATE t SET v = v + 1 WHERE v > 15", ()),
        ("UPDATE t SET v = 0 WHERE id < 0", ()),
        ("SELECT * FROM t", ()),
        ("INSERT INTO t (v) SELECT v FROM t WHERE id < 3", ()),
        ("INSERT INTO t VALUES (1, 5) ON CONFLICT (id) DO UPDATE SET v = 99", ()),
        ("INSERT INTO t VALUES (200, 5) ON CONFLICT (id) DO NOTHING", ()),
        ("INSERT INTO t VALUES (200, 6) ON CONFLICT (id) DO NOTHING", ()),
        ("INSERT OR IGNORE INTO t VALUES (200, 7)", ()),
        ("INSERT OR REPLACE INTO t VALUES (200, 8)", ()),
        ("CREATE TABLE n (x INTEGER)", ()),
        ("INSERT INTO n VALUES (-1), (-2)", ()),
        ("DELETE FROM t WHERE v > 30", ()),
        ("CREATE TABLE c AS SELECT * FROM t", ()),
        ("INSERT INTO t VALUES (300, 1), (301, 2) RETURNING id", ()),
        ("UPDATE t SET v = 3 WHERE id >= 300 RETURNING v", ()),
        ("INSERT INTO n VALUES (changes())", ()),
        ("UPDATE t SET v = total_changes() WHERE id = 1", ()),
        ("DELETE FROM t", ()),
        ("DELETE FROM t", ()),
    ]
    for sql, params in steps:
        if "RETURNING" in sql:  # sqlite3 finishes RETURNING as it is fetched
            assert m.execute(sql, params).fetchall() == s.execute(sql, params).fetchall()
        else:
            m.execute(sql, params)
            s.execute(sql, params)
        counters_agree(m, s)
    same(m, s, "SELECT x FROM n ORDER BY x")


def test_counters_after_executemany_report_its_last_run_like_sqlite3():
    m, s = both()
    for c in (m, s):
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    for sql, rows in [
        ("INSERT INTO t (v) VALUES (?)", [(1,), (2,), (3,)]),
        ("UPDATE t SET v = ? WHERE id = ?", [(9, 1), (9, 2), (9, 99)]),
        ("UPDATE t SET v = ? WHERE id <= ?", [(7, 1), (8, 3)]),
        ("INSERT INTO t VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = 0", [(50, 1), (2, 2)]),
        ("DELETE FROM t WHERE id = ?", [(1,), (50,)]),
    ]:
        m.executemany(sql, rows)
        s.executemany(sql, rows)
        counters_agree(m, s)


def test_counters_are_per_connection_and_survive_rollback_like_sqlite3():
    db = memtables.Database()
    a, b = db.connect(), db.connect()
    a.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    a.execute("INSERT INTO t VALUES (5), (6)")
    a.commit()
    assert a.execute(COUNTERS).fetchone() == (2, 2, 6)
    assert b.execute(COUNTERS).fetchone() == (0, 0, 0)
    a.execute("INSERT INTO t VALUES (7)")
    a.rollback()  # as in sqlite3, counted all the same
    assert a.execute(COUNTERS).fetchone() == (1, 3, 7)
    assert a.total_changes == 3
    with pytest.raises(memtables.IntegrityError):
        a.execute("INSERT INTO t VALUES (8), (5)")  # failed: no completed statement
    assert a.execute(COUNTERS).fetchone() == (1, 3, 7)
    b.execute("DELETE FROM t")
    assert b.execute(COUNTERS).fetchone() == (2, 2, 7 - 7)
    assert a.total_changes == 3
    db.close()


@st.composite
def write_scripts(draw):
    """Random INSERT / UPDATE / DELETE / upsert statements on a small table. Row ids are
    always given: sqlite3 reuses the largest one after a DELETE, memtables never does."""
    statements = []
    for _ in range(draw(st.integers(1, 12))):
        k = draw(st.integers(1, 6))
        v = draw(st.integers(0, 9))
        statements.append(
            draw(
                st.sampled_from(
                    [
                        f"INSERT OR IGNORE INTO t VALUES ({k}, {v})",
                        f"INSERT OR REPLACE INTO t VALUES ({k}, {v})",
                        f"INSERT INTO t VALUES ({k}, {v}) ON CONFLICT (id) DO UPDATE SET v = {v}",
                        f"INSERT INTO t VALUES ({k}, {v}) ON CONFLICT (id) DO NOTHING",
                        f"INSERT OR IGNORE INTO t SELECT id + {k}, v FROM t WHERE v > {v}",
                        f"UPDATE t SET v = v + 1 WHERE v < {v}",
                        f"DELETE FROM t WHERE v = {v}",
                        f"DELETE FROM t WHERE id > {k}",
                        f"INSERT INTO n VALUES ({v})",
                    ]
                )
            )
        )
    return statements


@given(write_scripts())
@settings(max_examples=80, deadline=None, database=None, derandomize=True)
def test_counters_agree_with_sqlite3_over_random_writes(statements):
    m, s = both()
    try:
        for c in (m, s):
            c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
            c.execute("CREATE TABLE n (x INTEGER)")
        for sql in statements:
            m.execute(sql)
            s.execute(sql)
            counters_agree(m, s)
        same(m, s, "SELECT * FROM t ORDER BY id")
    finally:
        m.close()
        s.close()


def test_counters_in_a_durable_transaction_and_after_reopen(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    conn.execute("INSERT INTO t (v) VALUES (1), (2)")
    conn.execute("INSERT INTO t (v) VALUES (last_insert_rowid() * 10)")  # 2 * 10
    conn.commit()
    assert conn.execute("SELECT v FROM t ORDER BY id").fetchall() == [(1,), (2,), (20,)]
    assert conn.execute(COUNTERS).fetchone() == (1, 3, 3)
    assert conn.execute("SELECT v FROM t WHERE id = last_insert_rowid()").fetchone() == (20,)


def test_filter_on_a_user_aggregate_skips_the_rows_that_fail_it():
    conn = memtables.connect()

    class Total:
        def __init__(self):
            self.t = 0

        def step(self, x):
            self.t += x

        def finalize(self):
            return self.t

    conn.create_aggregate("mysum", 1, Total)
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("INSERT INTO t VALUES (1), (2), (2), (3)")
    got = conn.execute(
        "SELECT mysum(x) FILTER (WHERE x > 1), mysum(DISTINCT x) FILTER (WHERE x < 3) FROM t"
    ).fetchall()
    assert got == [(7, 3)]


class _WinSum:
    """A sliding sum, the shape sqlite3's create_window_function documents."""

    def __init__(self):
        self.t = 0

    def step(self, x):
        if x is not None:
            self.t += x

    def inverse(self, x):
        if x is not None:
            self.t -= x

    def value(self):
        return self.t

    def finalize(self):
        return self.t


def test_window_functions_agree_with_sqlite3():
    queries = [
        "SELECT id, winsum(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 1 PRECEDING AND "
        "CURRENT ROW) FROM t ORDER BY id",
        "SELECT id, winsum(x) OVER (ORDER BY id) FROM t ORDER BY id",
        "SELECT id, winsum(x) OVER () FROM t ORDER BY id",
        "SELECT id, winsum(x) OVER (ORDER BY g GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING "
        "EXCLUDE CURRENT ROW) FROM t ORDER BY id",
        "SELECT id, winsum(x) OVER w FROM t WINDOW w AS (ORDER BY id ROWS 2 PRECEDING) ORDER BY id",
        "SELECT g, winsum(x) FROM t GROUP BY g ORDER BY g",  # a plain aggregate too
    ]
    results = []
    for mod in (sqlite3, memtables):
        c = mod.connect(":memory:")
        c.create_window_function("winsum", 1, _WinSum)
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, x INTEGER)")
        rows = [(i, i % 3, i * i if i % 4 else None) for i in range(1, 12)]
        c.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        results.append([c.execute(q).fetchall() for q in queries])
    assert results[0] == results[1]


def test_window_function_errors_name_it_and_removal_works():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("INSERT INTO t VALUES (1), (2)")

    class Broken(_WinSum):
        def inverse(self, x):
            raise ValueError("no way back")

    conn.create_window_function("w", 1, Broken)
    sql = "SELECT w(x) OVER (ORDER BY x ROWS CURRENT ROW) FROM t"
    with pytest.raises(memtables.OperationalError, match=r"w\(\).*inverse") as info:
        conn.execute(sql)
    assert isinstance(info.value.__cause__, ValueError)
    conn.create_window_function("w", 1, None)
    with pytest.raises(memtables.ProgrammingError, match="no such function: w"):
        conn.execute(sql)

    class Plain:
        def __init__(self):
            self.n = 0

        def step(self, x):
            self.n += 1

        def finalize(self):
            return self.n

    conn.create_aggregate("plain", 1, Plain)
    with pytest.raises(memtables.ProgrammingError, match="may not be used as a window function"):
        conn.execute("SELECT plain(x) OVER () FROM t")
    other = memtables.connect()  # per connection, as everything here
    other.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(memtables.ProgrammingError, match="no such function"):
        other.execute("SELECT w(x) OVER () FROM t")
