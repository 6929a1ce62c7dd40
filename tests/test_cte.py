"""Common table expressions (WITH, WITH RECURSIVE) through the public interface, checked
against sqlite3 where the dialects agree, plus errors, the row limit and durability."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import memtables
from tests.conftest import assert_reopens_equal, with_sqlite
from tests.test_differential import SETTINGS, T_COLS, Gen, Pair, t_table, u_table, where_clause

SCHEMA = [
    "CREATE TABLE t (id INTEGER PRIMARY KEY, parent INTEGER, name TEXT, v INTEGER)",
    "INSERT INTO t VALUES (1, NULL, 'root', 5), (2, 1, 'a', 3), (3, 1, 'b', 8), "
    "(4, 2, 'c', 1), (5, 4, 'd', 9), (6, 3, 'e', 3)",
    "CREATE TABLE e (src INTEGER, dst INTEGER)",
    "INSERT INTO e VALUES (1, 2), (2, 3), (3, 1), (3, 4), (4, 4)",
]

QUERIES = [
    "WITH a AS (SELECT id, v FROM t WHERE v > 2) SELECT * FROM a ORDER BY id",
    "WITH a(k, w) AS (SELECT id, v FROM t), b AS (SELECT k, w * 2 AS w2 FROM a WHERE k < 4) "
    "SELECT a.k, b.w2 FROM a JOIN b ON a.k = b.k ORDER BY 1",
    "WITH a AS (SELECT * FROM b), b AS (SELECT 7 AS z) SELECT * FROM a",
    "WITH t AS (SELECT 42 AS id) SELECT * FROM t",
    "WITH c AS (SELECT count(*) AS n FROM t) SELECT x.n, y.n FROM c x, c y",
    "SELECT id, (WITH c AS (SELECT t.v * 2 AS d) SELECT d FROM c) FROM t ORDER BY id",
    "SELECT id FROM t WHERE v IN (WITH c AS (SELECT 3 AS q UNION SELECT 9) SELECT q FROM c) "
    "ORDER BY id",
    "SELECT * FROM (WITH c AS (SELECT id FROM t WHERE id > 4) SELECT id FROM c) ORDER BY 1",
    "WITH c AS (SELECT parent, sum(v) AS s FROM t GROUP BY parent) SELECT * FROM c ORDER BY parent",
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10) SELECT x FROM n",
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100) "
    "SELECT sum(x), count(*) FROM n",
    "WITH RECURSIVE sub(id, name, depth) AS (SELECT id, name, 0 FROM t WHERE parent IS NULL "
    "UNION ALL SELECT t.id, t.name, sub.depth + 1 FROM t JOIN sub ON t.parent = sub.id) "
    "SELECT * FROM sub",
    "WITH RECURSIVE up(id, parent) AS (SELECT id, parent FROM t WHERE id = 5 "
    "UNION ALL SELECT t.id, t.parent FROM up, t WHERE t.id = up.parent) SELECT id FROM up",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT e.dst FROM r JOIN e ON e.src = r.n) "
    "SELECT n FROM r",
    "WITH RECURSIVE r(n) AS (SELECT 4 UNION SELECT e.dst FROM e, r WHERE e.src = r.n) "
    "SELECT n FROM r",
    "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a WHERE x < 3 "
    "UNION ALL SELECT x + 10 FROM a WHERE x < 3) SELECT * FROM a",
    "WITH RECURSIVE a(x, y) AS (SELECT 0, 1 UNION ALL SELECT y, x + y FROM a WHERE y < 100) "
    "SELECT x FROM a",
    "SELECT id, (WITH RECURSIVE a(x) AS (SELECT t.id UNION ALL SELECT x * 2 FROM a "
    "WHERE x < 20) SELECT max(x) FROM a) FROM t ORDER BY id",
    "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a WHERE x < 5) "
    "SELECT a.x, b.x FROM a LEFT JOIN a b ON a.x = b.x + 1 ORDER BY 1",
    "WITH RECURSIVE a(x) AS (SELECT 1 UNION SELECT x FROM a) SELECT * FROM a",
    "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a LIMIT 5) SELECT * FROM a",
    "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a LIMIT 4 OFFSET 3) "
    "SELECT * FROM a",
    "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a LIMIT 0) SELECT * FROM a",
]

DML = [
    "WITH c(z) AS (SELECT 10 UNION ALL SELECT 11) INSERT INTO t (id, v) SELECT z, z FROM c",
    "WITH RECURSIVE c(z) AS (SELECT 20 UNION ALL SELECT z + 1 FROM c WHERE z < 25) "
    "INSERT INTO t (id, parent, v) SELECT z, z - 1, 0 FROM c",
    "INSERT INTO t (id, v) WITH c AS (SELECT 30 AS z) SELECT z, z FROM c",
    "WITH c(z) AS (SELECT 3) INSERT INTO t (id, v) VALUES ((SELECT z FROM c) + 40, 1)",
    "WITH c(k) AS (SELECT id FROM t WHERE v > 4) UPDATE t SET v = v + 100 "
    "WHERE id IN (SELECT k FROM c)",
    "WITH RECURSIVE sub(id) AS (SELECT 2 UNION ALL SELECT t.id FROM t, sub "
    "WHERE t.parent = sub.id) DELETE FROM t WHERE id IN (SELECT id FROM sub)",
    "WITH t AS (SELECT 1 AS id) DELETE FROM t WHERE id = 1",
]


@pytest.fixture
def pair(conn):
    return with_sqlite(conn, SCHEMA)


@pytest.mark.parametrize("q", QUERIES)
def test_same_as_sqlite(pair, q):
    conn, lite = pair
    assert conn.execute(q).fetchall() == lite.execute(q).fetchall()


def test_with_in_insert_update_delete_same_as_sqlite(pair):
    conn, lite = pair
    for q in DML:
        # Python's sqlite3 reports rowcount -1 for a statement starting WITH: count changes
        before = lite.total_changes
        lite.execute(q)
        assert conn.execute(q).rowcount == lite.total_changes - before, q
        everything = "SELECT * FROM t ORDER BY id"
        assert conn.execute(everything).fetchall() == lite.execute(everything).fetchall(), q


@given(
    lo=st.integers(-5, 5),
    hi=st.integers(-5, 30),
    step=st.integers(1, 4),
    union=st.sampled_from(["UNION", "UNION ALL"]),
    mod=st.integers(1, 6),
    where=st.integers(-3, 10),
)
@settings(max_examples=60, deadline=None, derandomize=True, database=None)
def test_generated_series_and_chains_same_as_sqlite(lo, hi, step, union, mod, where):
    """Series (with a wrapping step under UNION, so cycles must end) filtered through a
    second CTE and a subquery, the same in both."""
    conn = memtables.connect()
    lite = sqlite3.connect(":memory:")
    nxt = f"(x + {step}) % {mod + 10}" if union == "UNION" else f"x + {step}"
    q = (
        f"WITH RECURSIVE s(x) AS (SELECT {lo} {union} SELECT {nxt} FROM s WHERE x < {hi}), "
        f"f(y) AS (SELECT x FROM s WHERE x % {mod} <> 0 OR x > {where}) "
        f"SELECT y, (SELECT count(*) FROM f g WHERE g.y <= f.y) FROM f ORDER BY y"
    )
    assert conn.execute(q).fetchall() == lite.execute(q).fetchall()


MAIN_QUERIES = [
    "SELECT * FROM c",
    "SELECT c.k, u.id, u.y FROM c JOIN u ON c.k = u.tid",
    "SELECT c1.k, c2.k FROM c c1 JOIN c c2 ON c1.x = c2.y",
    "SELECT c1.k, c2.k FROM c c1 LEFT JOIN c c2 ON c1.x < c2.x",
    "SELECT id FROM t WHERE a IN (SELECT x FROM c)",
    "SELECT id, (SELECT count(*) FROM c WHERE c.x = t.b) FROM t",
    "SELECT y, count(*), sum(x), min(z) FROM c GROUP BY y",
    "SELECT * FROM d",
    "SELECT DISTINCT z FROM c UNION SELECT y FROM u",
    "SELECT * FROM t WHERE EXISTS (SELECT 1 FROM d WHERE d.k = t.id)",
]


@st.composite
def cte_case(draw):
    """A generated WHERE in a CTE ``c`` over t, ``d`` built on ``c``, and a main query
    reading them (joins, a CTE used twice, subqueries, aggregates, compounds)."""
    gen = Gen(draw, T_COLS)
    body = "SELECT id, a, b, s FROM t"
    if draw(st.booleans()):
        body += f" WHERE {where_clause(gen, T_COLS)}"
    d = draw(st.sampled_from(["SELECT k, x FROM c WHERE x > y", "SELECT k, x + 1 FROM c"]))
    return f"WITH c(k, x, y, z) AS ({body}), d AS ({d}) {draw(st.sampled_from(MAIN_QUERIES))}"


@SETTINGS
@given(t_table(max_size=8), u_table(), cte_case())
def test_generated_ctes_same_as_sqlite(t, u, sql):
    with Pair(t, u) as p:
        p.check(sql)


@st.composite
def walk_case(draw):
    """Graph walks over t's (a -> b) edges from a generated start set: UNION (cycles end
    because seen rows are dropped) or UNION ALL bounded by depth."""
    gen = Gen(draw, T_COLS)
    start = f"SELECT a FROM t WHERE {where_clause(gen, T_COLS)}"
    if draw(st.booleans()):
        cte = f"r(n) AS ({start} UNION SELECT t.b FROM t JOIN r ON t.a = r.n)"
        main = draw(st.sampled_from(["SELECT n FROM r", "SELECT count(*) FROM r"]))
    else:
        depth = draw(st.integers(0, 3))
        cte = (
            f"r(n, d) AS (SELECT a, 0 FROM ({start}) UNION ALL "
            f"SELECT t.b, d + 1 FROM r, t WHERE t.a = r.n AND d < {depth})"
        )
        main = draw(st.sampled_from(["SELECT n, d FROM r", "SELECT d, count(*) FROM r GROUP BY d"]))
    return f"WITH RECURSIVE {cte} {main}"


@SETTINGS
@given(t_table(max_size=8), walk_case())
def test_generated_walks_same_as_sqlite(t, sql):
    with Pair(t) as p:
        p.check(sql)


@pytest.mark.parametrize(
    "q, message",
    [
        ("WITH t AS (SELECT * FROM t) SELECT * FROM t", "circular reference: t"),
        ("WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a", "duplicate WITH table name"),
        ("WITH a(x, y) AS (SELECT 1) SELECT * FROM a", "has 1 values for 2 columns"),
        ("WITH RECURSIVE a(x) AS (SELECT x FROM a) SELECT * FROM a", "circular reference"),
        (
            "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT count(*) FROM a) SELECT * FROM a",
            "recursive aggregate",
        ),
        (
            "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT (SELECT x FROM a) FROM a) "
            "SELECT * FROM a",
            "multiple references to recursive table",
        ),
        (
            "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x FROM a UNION ALL SELECT 7) "
            "SELECT * FROM a",
            "circular reference",
        ),
        (
            "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x, x FROM a) SELECT * FROM a",
            "same number of result columns",
        ),
        ("WITH c AS (SELECT 1 AS z) SELECT * FROM main.c", "no such table"),
    ],
)
def test_errors(conn, q, message):
    with pytest.raises(memtables.ProgrammingError, match=message):
        conn.execute(q)
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE TABLE t (x)")
    with pytest.raises(sqlite3.Error):
        lite.execute(q)


def test_runaway_recursion_stops_at_the_row_limit(conn):
    assert conn.max_recursive_rows == 1_000_000
    conn.max_recursive_rows = 50
    q = "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a) SELECT count(*) FROM a"
    with pytest.raises(memtables.OperationalError, match="max_recursive_rows"):
        conn.execute(q)
    fine = "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a WHERE x < 50) "
    assert conn.execute(fine + "SELECT count(*) FROM a").fetchone() == (50,)
    with pytest.raises(memtables.OperationalError):
        conn.execute(fine.replace("50", "51") + "SELECT count(*) FROM a")
    with pytest.raises(memtables.ProgrammingError):
        conn.max_recursive_rows = -1
    conn.max_recursive_rows = 1_000_000


def test_limit_failure_leaves_no_half_applied_insert(conn):
    conn.execute("CREATE TABLE s (x INTEGER)")
    conn.commit()
    conn.max_recursive_rows = 10
    with pytest.raises(memtables.OperationalError):
        conn.execute(
            "INSERT INTO s WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a) "
            "SELECT x FROM a"
        )
    assert conn.execute("SELECT count(*) FROM s").fetchone() == (0,)
    conn.max_recursive_rows = 1_000_000


def test_cte_in_insert_select_and_view_is_durable(tmp_path):
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE s (x INTEGER PRIMARY KEY, sq INTEGER)")
    conn.execute(
        "INSERT INTO s WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a "
        "WHERE x < 20) SELECT x, x * x FROM a"
    )
    conn.execute("CREATE VIEW evens AS WITH e AS (SELECT x FROM s WHERE x % 2 = 0) SELECT x FROM e")
    conn.commit()
    conn.close()
    conn = memtables.connect(path)
    assert conn.execute("SELECT count(*), sum(sq) FROM s").fetchone() == (20, 2870)
    assert conn.execute("SELECT count(*) FROM evens").fetchone() == (10,)
    conn.close()
    assert_reopens_equal(path)


def test_explain_shows_the_recursive_cte(conn):
    rows = conn.execute(
        "EXPLAIN WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a WHERE x < 3) "
        "SELECT * FROM a"
    ).fetchall()
    text = "\n".join(r[0] for r in rows)
    assert "RECURSIVE CTE a (UNION ALL)" in text
    assert "RECURSIVE REFERENCE" in text


def test_order_by_inside_a_recursive_cte_is_not_supported(conn):
    """SQLite reads it as the queue's priority order; memtables says so instead of guessing."""
    with pytest.raises(memtables.NotSupportedError, match="ORDER BY in recursive CTE a"):
        conn.execute(
            "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a WHERE x < 3 "
            "ORDER BY 1) SELECT * FROM a"
        )
