"""The code generator's seams: plumbing, expression emitter, plan emitter, composed once.

``sql/compiler.py`` joins ``emit_plan`` (plan trees → nested loops) and ``emit_expr``
(expressions → Python text) over the plumbing of ``codegen``. These tests keep the imports
one way and run, through SQL, the places where the two emitters hand work to each other.
"""

from __future__ import annotations

import gc
import sqlite3

import pytest
from memtables.sql.emit_expr import ExprEmitter
from memtables.sql.emit_plan import PlanEmitter

import memtables
from tests.test_layers import ROOT, imports_of

#: Each module may import only those before it (the chain the split follows).
CHAIN = ["codegen", "plan_runtime", "emit_expr", "emit_agg", "emit_plan", "compiler"]


@pytest.mark.parametrize("name", CHAIN)
def test_the_code_generator_imports_one_way(name):
    later = {f"memtables.sql.{m}" for m in CHAIN[CHAIN.index(name) + 1 :]}
    bad = imports_of(ROOT / "sql" / f"{name}.py") & later
    assert not bad, f"sql/{name}.py imports {sorted(bad)}, which come after it"


def test_the_expression_emitter_knows_no_plan_emitter():
    """Subqueries reach the plan emitter through a function handed in, not an import."""
    assert "memtables.sql.emit_plan" not in imports_of(ROOT / "sql" / "emit_expr.py")


def test_the_emitters_are_freed_without_the_cyclic_collector():
    """The two emitters call each other without holding each other in a cycle, so compiling
    a statement leaves nothing for the collector (which bulk loads and recovery pause)."""
    conn = memtables.connect()
    conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER)")
    gc.collect()
    gc.disable()
    try:
        for i in range(5):
            conn.execute(
                f"SELECT (SELECT max(x) FROM a b WHERE b.id = a.id) + {i}, "
                "x IN (SELECT x FROM a) FROM a"
            ).fetchall()
            conn.execute(f"UPDATE a SET x = (SELECT count(*) FROM a) + {i} WHERE id = {i}")
        left = [o for o in gc.get_objects() if isinstance(o, (ExprEmitter, PlanEmitter))]
    finally:
        gc.enable()
    assert left == []


SCHEMA = [
    "CREATE TABLE a (id INTEGER PRIMARY KEY, g INTEGER, x INTEGER)",
    "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, y INTEGER)",
]
ROWS_A = [(i, i % 3, i * 7 % 11) for i in range(1, 13)]
ROWS_B = [(i, i % 12 + 1, i * 5 % 13) for i in range(1, 30)]

#: ``DEEP.format(e)``: ``e`` at the bottom of an expression deeper than the emitter writes
#: inline (24 levels), so ``e`` lands in a function of its own.
DEEP = "{}" + " + 1" * 40

CROSSING = {
    # a correlated subquery in a WHERE: expression → plan → expression
    "correlated": "SELECT id FROM a WHERE x > (SELECT min(y) FROM b WHERE b.a_id = a.id) "
    "ORDER BY id",
    # an uncorrelated one runs once, from the function's prelude
    "uncorrelated": "SELECT id, x IN (SELECT y FROM b WHERE y > 6) FROM a ORDER BY id",
    # a subquery inside an expression deep enough to be hoisted: no prelude there
    "hoisted": "SELECT id, "
    + DEEP.format("(SELECT count(*) FROM b WHERE y < 4)")
    + ", "
    + DEEP.format("(SELECT max(y) FROM b WHERE b.a_id = a.id)")
    + " FROM a ORDER BY id",
    # aggregates whose arguments and HAVING hold subqueries
    "aggregate": "SELECT g, sum(x), count(DISTINCT x), avg(x) FROM a GROUP BY g "
    "HAVING max(x) > (SELECT min(y) FROM b) ORDER BY g",
    # compound arms and FROM subqueries are functions of their own
    "compound": "SELECT id FROM (SELECT id FROM a WHERE g = 1 UNION SELECT a_id FROM b "
    "WHERE y = (SELECT max(y) FROM b)) ORDER BY id LIMIT 5",
}


def _sqlite() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    for ddl in SCHEMA:
        db.execute(ddl)
    db.executemany("INSERT INTO a VALUES (?, ?, ?)", ROWS_A)
    db.executemany("INSERT INTO b VALUES (?, ?, ?)", ROWS_B)
    return db


@pytest.fixture
def ab(conn):
    for ddl in SCHEMA:
        conn.execute(ddl)
    conn.executemany("INSERT INTO a VALUES (?, ?, ?)", ROWS_A)
    conn.executemany("INSERT INTO b VALUES (?, ?, ?)", ROWS_B)
    conn.commit()
    return conn


@pytest.mark.parametrize("case", CROSSING)
def test_queries_crossing_the_emitters_agree_with_sqlite(ab, case):
    sql = CROSSING[case]
    got = [tuple(r) for r in ab.execute(sql).fetchall()]
    want = [tuple(r) for r in _sqlite().execute(sql).fetchall()]
    assert got == want


def test_a_write_statement_writes_expressions_into_its_own_function(ab):
    """UPDATE and DELETE write functions of their own around the plan emitter's loops;
    their expressions still get a prelude (an uncorrelated subquery) and correlated ones."""
    sqls = [
        "UPDATE a SET x = x + (SELECT count(*) FROM b WHERE y > 6) WHERE id = 3",
        "UPDATE a SET x = (SELECT max(y) FROM b WHERE b.a_id = a.id) WHERE g = 1",
        "UPDATE a SET x = " + DEEP.format("(SELECT min(y) FROM b)") + " WHERE id = 5",
        "UPDATE a SET x = " + DEEP.format("(SELECT min(y) FROM b WHERE b.a_id = a.id)"),
        "DELETE FROM b WHERE y > (SELECT avg(x) FROM a WHERE a.id = b.a_id)",
    ]
    ref = _sqlite()
    for sql in sqls:
        assert ab.execute(sql).rowcount == ref.execute(sql).rowcount, sql
    for table in ("a", "b"):
        q = f"SELECT * FROM {table} ORDER BY id"
        assert [tuple(r) for r in ab.execute(q).fetchall()] == ref.execute(q).fetchall()
