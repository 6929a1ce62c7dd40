"""Join ordering: inner joins run in an order chosen from the predicates that connect them and
estimated sizes, not in FROM order; LEFT JOIN and CROSS JOIN keep theirs. EXPLAIN shows the
order, EXPLAIN ANALYZE runs the query and shows how many rows each node produced.

How a user meets it: a report that lists many tables with commas and puts the equalities in
WHERE (or a star schema written dimensions first) answers as fast as the same query written
in a good order, with the same rows; ``EXPLAIN`` prints the plan in the order it runs;
``EXPLAIN ANALYZE SELECT ...`` prints that plan with each node's rows and time.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import memtables

SETTINGS = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_SOURCE = re.compile(
    r"^\s*(?:FULL SCAN|PRIMARY KEY LOOKUP|INDEX LOOKUP|INDEX RANGE|INDEX SCAN) (\w+)"
    r"(?: AS (\w+))?"
)
_ANALYZED = re.compile(r" \(rows=(\d+), time=(\d+\.\d{3}) ms\)$")


def plan(conn, sql: str) -> list[str]:
    return [r[0] for r in conn.execute("EXPLAIN " + sql).fetchall()]


def join_order(lines: list[str]) -> list[str]:
    """The tables (aliases when given) in the order a left-deep plan reads them."""
    out = []
    for line in lines:
        m = _SOURCE.match(line)
        if m:
            out.append(m.group(2) or m.group(1))
    return out


def sorted_rows(rows) -> list:
    return sorted(rows, key=lambda r: [(v is None, v if v is not None else 0) for v in r])


def same_as_sqlite(conn, lite, sql: str) -> list:
    ours = conn.execute(sql).fetchall()
    theirs = lite.execute(sql).fetchall()
    assert sorted_rows(ours) == sorted_rows(theirs), sql
    return ours


# ---------------------------------------------------------------- chain and star
def make_chain(*conns, n: int = 10, rows: int = 10, pk: bool = False) -> None:
    """t0 .. t<n-1>: t<i>.nxt matches t<i+1>.id (each id once), v repeats."""
    key = "INTEGER PRIMARY KEY" if pk else "INTEGER"
    for c in conns:
        for i in range(n):
            c.execute(f"CREATE TABLE t{i} (id {key}, nxt INTEGER, v INTEGER)")
            data = [(k, (k * 3 + i) % rows, k % 3) for k in range(rows)]
            c.executemany(f"INSERT INTO t{i} VALUES (?, ?, ?)", data)
        c.commit()


BAD_ORDER = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]
CHAIN_SQL = (
    "SELECT count(*), sum(t0.v), sum(t9.id) FROM "
    + ", ".join(f"t{i}" for i in BAD_ORDER)
    + " WHERE "
    + " AND ".join(f"t{i}.nxt = t{i + 1}.id" for i in range(9))
)


def assert_connected(order: list[str], edges: set[frozenset]) -> None:
    for k, name in enumerate(order[1:], 1):
        assert any(frozenset((name, o)) in edges for o in order[:k]), order


def test_chain_in_bad_from_order_runs_connected(conn):
    lite = sqlite3.connect(":memory:")
    make_chain(conn, lite)
    order = join_order(plan(conn, CHAIN_SQL))
    assert sorted(order) == sorted(f"t{i}" for i in range(10))
    assert_connected(order, {frozenset((f"t{i}", f"t{i + 1}")) for i in range(9)})
    assert same_as_sqlite(conn, lite, CHAIN_SQL) == [(10, 9, 45)]


def test_long_chain_ordered_greedily(conn):
    """Beyond ten tables the order is built greedily: still connected, same answer."""
    lite = sqlite3.connect(":memory:")
    make_chain(conn, lite, n=14, rows=6)
    order = [0, 13, 2, 11, 4, 9, 6, 7, 8, 5, 10, 3, 12, 1]
    sql = (
        "SELECT count(*), sum(t13.id) FROM "
        + ", ".join(f"t{i}" for i in order)
        + " WHERE "
        + " AND ".join(f"t{i}.nxt = t{i + 1}.id" for i in range(13))
    )
    assert_connected(
        join_order(plan(conn, sql)), {frozenset((f"t{i}", f"t{i + 1}")) for i in range(13)}
    )
    assert same_as_sqlite(conn, lite, sql)[0][0] == 6


def test_chain_with_keys_uses_key_lookups(conn):
    lite = sqlite3.connect(":memory:")
    make_chain(conn, lite, pk=True)
    lines = plan(conn, CHAIN_SQL)
    assert_connected(join_order(lines), {frozenset((f"t{i}", f"t{i + 1}")) for i in range(9)})
    assert sum("PRIMARY KEY LOOKUP" in line for line in lines) >= 8, lines
    same_as_sqlite(conn, lite, CHAIN_SQL)


STAR = [
    "CREATE TABLE fact (id INTEGER PRIMARY KEY, d1 INTEGER, d2 INTEGER, d3 INTEGER, "
    "d4 INTEGER, d5 INTEGER, d6 INTEGER, qty INTEGER)",
] + [f"CREATE TABLE d{i} (id INTEGER, name TEXT)" for i in range(1, 7)]
STAR_SQL = (
    "SELECT d1.name, d6.name, sum(fact.qty) FROM d1, d2, d3, d4, d5, d6, fact WHERE "
    + " AND ".join(f"fact.d{i} = d{i}.id" for i in range(1, 7))
    + " AND d2.name <> 'x' GROUP BY d1.name, d6.name"
)


def test_star_written_dimensions_first(conn):
    lite = sqlite3.connect(":memory:")
    for c in (conn, lite):
        for s in STAR:
            c.execute(s)
        for i in range(1, 7):
            c.executemany(f"INSERT INTO d{i} VALUES (?, ?)", [(k, f"n{k}") for k in range(8)])
        facts = [(k, k % 8, (k * 3) % 8, k % 5, k % 7, (k * 5) % 8, k % 4, k) for k in range(12)]
        c.executemany("INSERT INTO fact VALUES (?, ?, ?, ?, ?, ?, ?, ?)", facts)
        c.commit()
    order = join_order(plan(conn, STAR_SQL))
    # every dimension joins the fact table: the fact must come first or right after one
    assert "fact" in order[:2], order
    assert_connected(order, {frozenset(("fact", f"d{i}")) for i in range(1, 7)})
    same_as_sqlite(conn, lite, STAR_SQL)


def test_select_star_keeps_from_order_of_columns(conn):
    make_chain(conn, n=3, rows=4)
    sql = "SELECT * FROM t2, t0, t1 WHERE t0.nxt = t1.id AND t1.nxt = t2.id AND t0.id = 1"
    cur = conn.execute(sql)
    assert [d[0] for d in cur.description] == ["id", "nxt", "v"] * 3
    rows = cur.fetchall()
    # t2's columns come first, then t0's (id = 1), then t1's, whatever the join order
    assert rows == [(2, 0, 2, 1, 3, 1, 3, 2, 0)]
    assert join_order(plan(conn, sql))[0] == "t0"


def test_cross_join_keeps_its_order(conn):
    make_chain(conn, n=3, rows=5)
    # written as CROSS JOIN, t2 stays before t1 even though starting at t0 would be better
    order = join_order(plan(conn, "SELECT * FROM t2 CROSS JOIN t0, t1 WHERE t0.id = 2"))
    assert order.index("t2") < order.index("t0") and order.index("t2") < order.index("t1")
    order = join_order(plan(conn, "SELECT * FROM t2, t1 CROSS JOIN t0 WHERE t0.id = 2"))
    assert order[-1] == "t0", order


def test_left_join_stays_after_its_left_side(conn):
    make_chain(conn, n=4, rows=5)
    sql = (
        "SELECT t0.id, t1.id, t2.id, t3.id FROM t3, t0 LEFT JOIN t1 ON t1.id = t0.nxt, t2 "
        "WHERE t2.id = t3.nxt AND t0.id = t3.id"
    )
    order = join_order(plan(conn, sql))
    assert order.index("t1") > max(order.index("t0"), order.index("t3")), order
    lite = sqlite3.connect(":memory:")
    make_chain(lite, n=4, rows=5)
    same_as_sqlite(conn, lite, sql)


def test_index_on_join_column_drives_the_order(conn):
    conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, k INTEGER)")
    conn.execute("CREATE TABLE small (id INTEGER PRIMARY KEY, k INTEGER)")
    conn.execute("CREATE INDEX big_k ON big (k)")
    conn.executemany("INSERT INTO big VALUES (?, ?)", [(i, i % 50) for i in range(500)])
    conn.executemany("INSERT INTO small VALUES (?, ?)", [(i, i) for i in range(3)])
    conn.commit()
    lines = plan(conn, "SELECT count(*) FROM big, small WHERE big.k = small.k")
    assert join_order(lines) == ["small", "big"], lines
    assert any("INDEX LOOKUP big USING big_k (k = small.k)" in line for line in lines), lines
    assert conn.execute("SELECT count(*) FROM big, small WHERE big.k = small.k").fetchall() == [
        (30,)
    ]


def test_single_table_filters_still_pushed_down(conn):
    make_chain(conn, n=3, rows=10)
    lines = plan(conn, "SELECT * FROM t0, t1, t2 WHERE t2.nxt = t1.id AND t2.v = 1 AND t1.v = 2")
    text = "\n".join(lines)
    assert "filter: (t2.v = 1)" in text and "filter: (t1.v = 2)" in text, text


# ---------------------------------------------------------------- generated multi-way joins
COLS = ("a", "b")
PREDS = ["{x}.a = {y}.a", "{x}.a = {y}.b", "{x}.b = {y}.b", "{x}.a < {y}.b", "{x}.b <> {y}.a"]
LOCAL = ["{x}.a = 1", "{x}.b IS NULL", "{x}.b > 0", "{x}.a IS NOT NULL", "{x}.a <> 2"]
small_value = st.one_of(st.none(), st.integers(0, 3))


@st.composite
def multiway(draw):
    n = draw(st.integers(3, 7))
    tables = [
        draw(st.lists(st.tuples(small_value, small_value), max_size=4 if n < 6 else 3))
        for _ in range(n)
    ]
    names = [f"t{i}" for i in range(n)]
    order = draw(st.permutations(names))

    def pred(x: str, y: str) -> str:
        return draw(st.sampled_from(PREDS)).format(x=x, y=y)

    from_ = order[0]
    for k, name in enumerate(order[1:], 1):
        op = draw(st.sampled_from([",", ",", "JOIN", "JOIN", "LEFT JOIN", "CROSS JOIN"]))
        if op in (",", "CROSS JOIN"):
            from_ += f" {op} {name}" if op != "," else f", {name}"
            continue
        earlier = draw(st.sampled_from(order[:k]))
        on = pred(earlier, name) if draw(st.booleans()) else pred(name, earlier)
        if draw(st.integers(0, 3)) == 0:
            on += " AND " + draw(st.sampled_from(LOCAL)).format(x=name)
        from_ += f" {op} {name} ON {on}"
    where = []
    for _ in range(draw(st.integers(0, n + 1))):
        x, y = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        where.append(pred(x, y) if x != y else draw(st.sampled_from(LOCAL)).format(x=x))
    items = draw(st.sampled_from(["*", "count(*)", "cols"]))
    if items == "cols":
        items = ", ".join(f"{t}.{c}" for t in draw(st.permutations(names))[:3] for c in COLS)
    sql = f"SELECT {items} FROM {from_}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return tables, sql


@SETTINGS
@given(multiway())
def test_generated_joins_same_as_sqlite(case):
    tables, sql = case
    note(sql)
    conn = memtables.connect()
    lite = sqlite3.connect(":memory:")
    for c in (conn, lite):
        for i, rows in enumerate(tables):
            c.execute(f"CREATE TABLE t{i} (a INTEGER, b INTEGER)")
            c.executemany(f"INSERT INTO t{i} VALUES (?, ?)", rows)
    same_as_sqlite(conn, lite, sql)
    conn.close()


# ---------------------------------------------------------------- EXPLAIN ANALYZE
def analyze(conn, sql: str, params=()) -> list[str]:
    return [r[0] for r in conn.execute("EXPLAIN ANALYZE " + sql, params).fetchall()]


def node_rows(lines: list[str]) -> list[tuple[str, int]]:
    """(node line without its figures, rows) for every node line."""
    out = []
    for line in lines:
        m = _ANALYZED.search(line)
        if m:
            out.append((line[: m.start()], int(m.group(1))))
    return out


def test_explain_analyze_shape(conn):
    make_chain(conn, n=2, rows=10)
    sql = "SELECT t0.id, t1.v FROM t0, t1 WHERE t0.nxt = t1.id AND t0.v = 1 ORDER BY t0.id"
    lines = analyze(conn, sql)
    cur = conn.execute("EXPLAIN ANALYZE " + sql)
    assert [d[0] for d in cur.description] == ["plan"]
    # the plan's lines, each node line with its figures, then the total
    bare = [_ANALYZED.sub("", line) for line in lines[:-1]]
    assert bare == plan(conn, sql)
    assert re.fullmatch(r"execution: 3 rows in \d+\.\d{3} ms", lines[-1]), lines[-1]
    figures = dict(node_rows(lines))
    assert figures["SORT t0.id"] == 3
    assert figures["      FULL SCAN t0"] == 3  # rows handed up: those its filter keeps
    assert figures["      FULL SCAN t1"] == 10
    # every node line carries its figures, detail lines (filters, keys) none
    for line, bare_line in zip(lines, bare):
        assert (line != bare_line) == (not bare_line.strip().startswith(("filter:", "hash keys:")))


def test_explain_analyze_counts_rows_of_each_node(conn):
    make_chain(conn, n=2, rows=10)
    lines = analyze(conn, "SELECT count(*) FROM t0 JOIN t1 ON t0.nxt = t1.id WHERE t1.v = 0")
    rows = [n for _line, n in node_rows(lines)]
    # project 1, aggregate 1, join 4 (ids 0, 3, 6, 9 have v = 0), two scans
    assert rows[:3] == [1, 1, 4], lines
    assert sorted(rows[3:]) == [4, 10] or sorted(rows[3:]) == [10, 10], lines


def test_explain_analyze_runs_with_parameters_and_again(conn):
    make_chain(conn, n=1, rows=10)
    first = analyze(conn, "SELECT * FROM t0 WHERE v = ?", (1,))
    again = analyze(conn, "SELECT * FROM t0 WHERE v = ?", (2,))
    assert first[-1].startswith("execution: 3 rows") and again[-1].startswith("execution: 3 rows")
    # figures start from zero on each run (the statement is cached)
    assert dict(node_rows(again))["  FULL SCAN t0"] == 3


def test_explain_analyze_of_a_subquery_and_limit(conn):
    make_chain(conn, n=2, rows=10)
    lines = analyze(conn, "SELECT * FROM (SELECT id FROM t0 WHERE v = 2) s, t1 LIMIT 4")
    assert lines[-1].startswith("execution: 4 rows"), lines
    assert all(_ANALYZED.search(line) for line in lines if "SCAN" in line or "JOIN" in line)


def test_explain_analyze_sees_the_transactions_own_writes(conn):
    make_chain(conn, n=1, rows=2)
    conn.execute("INSERT INTO t0 VALUES (7, 7, 7)")  # not committed
    lines = analyze(conn, "SELECT * FROM t0")
    assert lines[-1].startswith("execution: 3 rows"), lines
    conn.rollback()
    assert analyze(conn, "SELECT * FROM t0")[-1].startswith("execution: 2 rows")


def test_explain_analyze_checks_its_parameters(conn):
    make_chain(conn, n=1, rows=2)
    with pytest.raises(memtables.ProgrammingError):
        conn.execute("EXPLAIN ANALYZE SELECT * FROM t0 WHERE v = ?")


def test_explain_analyze_only_for_queries(conn):
    make_chain(conn, n=1, rows=2)
    with pytest.raises(memtables.NotSupportedError, match="EXPLAIN ANALYZE"):
        conn.execute("EXPLAIN ANALYZE DELETE FROM t0")
    assert conn.execute("SELECT count(*) FROM t0").fetchall() == [(2,)]


def test_ten_table_chain_touches_few_rows(conn):
    make_chain(conn)
    rows = node_rows(analyze(conn, CHAIN_SQL))
    scanned = sum(n for line, n in rows if "SCAN" in line or "LOOKUP" in line)
    joined = sum(n for line, n in rows if "JOIN" in line)
    # ten 10-row tables read once each, ten rows through each join; FROM order would put
    # 100,000 rows through the first joins
    assert scanned <= 200, rows
    assert joined <= 200, rows


def test_explain_analyze_is_a_name_elsewhere(conn):
    conn.execute("CREATE TABLE analyze (explain INTEGER)")
    conn.execute("INSERT INTO analyze VALUES (1)")
    assert conn.execute("SELECT explain FROM analyze").fetchall() == [(1,)]
