"""The query pipeline, stage by stage: parse → bind → plan → compile, and the shape of sql/.

``sql.prepare`` runs the four stages in a row; here each stage is called on its own, and the
structure that keeps them apart (binding its own pass, no import cycles, no private reaches
across modules) is checked from the source.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from memtables.sql import bound_query, plan, stages, statements
from memtables.sql.parser import parse_one

import memtables
from memtables import sql

ROOT = Path(__file__).resolve().parent.parent
SQL = ROOT / "sql"


@pytest.fixture
def conn():
    c = memtables.connect()
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
    c.executemany("INSERT INTO t VALUES (?, ?, ?)", [(1, "a", 10), (2, "b", 20), (3, "a", 30)])
    c.commit()
    yield c
    c.close()


QUERY = (
    "SELECT name, sum(n) FROM t WHERE id > ? AND n IN (SELECT n FROM t) "
    "GROUP BY name ORDER BY 2 DESC"
)


def test_each_stage_of_a_select_can_run_on_its_own(conn):
    """Binding resolves names and counts parameters without planning; planning gives the
    plan EXPLAIN shows; compiling gives a statement that answers as ``execute`` does."""
    engine = conn.database.engine
    systables = engine.system_tables or {}
    bound = stages.bind_statement(parse_one(QUERY), engine.catalog, systables)
    assert isinstance(bound, bound_query.BoundSelect)
    assert bound.query.names == ["name", "sum(n)"]
    assert bound.params.count == 1
    assert [s.query for s in bound.subplans] == [None]  # bound, not planned yet
    planned = stages.plan_statement(bound)
    assert isinstance(planned, plan.SelectPlan)
    shown = [row[0] for row in conn.execute("EXPLAIN " + QUERY, (0,))]
    assert planned.query.explain() == shown
    stmt = stages.compile_statement(planned, engine, systables)
    txn = engine.begin("SNAPSHOT")
    try:
        rows = stmt.execute(conn, txn, (1,)).rows
    finally:
        txn.rollback()
    assert rows == conn.execute(QUERY, (1,)).fetchall() == [("a", 30), ("b", 20)]


def test_prepare_is_the_stages_in_a_row(conn):
    engine = conn.database.engine
    stmt = sql.prepare("SELECT name FROM t WHERE id = ?", engine)
    assert stmt.kind == "query" and stmt.n_params == 1 and stmt.names == ["name"]
    assert [t.name for t in stmt.tables] == ["t"]
    source = inspect.getsource(sql.prepare)
    for stage in ("parse_one(", "bind_statement(", "plan_statement(", "compile_statement("):
        assert stage in source


def test_a_view_is_bound_when_created_and_planned_only_when_used(conn):
    conn.execute("CREATE VIEW v AS SELECT name FROM t WHERE n > 15")
    with pytest.raises(memtables.ProgrammingError, match="no such column: nope"):
        conn.execute("CREATE VIEW w AS SELECT nope FROM t")
    with pytest.raises(memtables.ProgrammingError, match="same number of result columns"):
        conn.execute("CREATE VIEW w AS SELECT 1 UNION SELECT 1, 2 ORDER BY 5")
    assert conn.execute("SELECT * FROM v ORDER BY 1").fetchall() == [("a",), ("b",)]


def test_subqueries_in_writes_are_planned_before_they_are_compiled(conn):
    conn.execute("UPDATE t SET n = (SELECT max(n) FROM t) WHERE id IN (SELECT 1)")
    conn.execute("DELETE FROM t WHERE n < (SELECT avg(n) FROM t)")
    conn.execute("INSERT INTO t VALUES (9, (SELECT min(name) FROM t), 1)")
    assert conn.execute("SELECT * FROM t ORDER BY id").fetchall() == [
        (1, "a", 30),
        (3, "a", 30),
        (9, "a", 1),
    ]


def test_result_is_a_small_named_tuple():
    r = sql.Result([(1,)], 1)
    assert isinstance(r, tuple) and r == ([(1,)], 1, None)
    assert (r.rows, r.rowcount, r.lastrowid) == ([(1,)], 1, None)
    assert sql.Result() == (None, -1, None)


def _statement_classes():
    seen, todo = [], [statements.Statement]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


def test_statements_name_their_arguments_for_what_they_are():
    """``execute`` gets a Connection and a transaction: ``conn``, ``txn``."""
    import memtables.sql.copyio  # noqa: F401  (every kind of statement loaded)
    import memtables.sql.ddl  # noqa: F401
    import memtables.sql.dml  # noqa: F401

    classes = _statement_classes()
    assert len(classes) >= 9
    for cls in classes:
        for name in ("execute", "_execute_one"):
            fn = cls.__dict__.get(name)
            if fn is not None:
                params = list(inspect.signature(fn).parameters)
                assert params == ["self", "conn", "txn", "params"], (cls, name)


# ---------------------------------------------------------------- the structure of sql/
def _imports(path: Path) -> set[str]:
    """Modules of sql/ that ``path`` imports, at module level or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:
                out.update(a.name for a in node.names)
            else:
                out.add(node.module.split(".")[0])
    return {m for m in out if (SQL / f"{m}.py").exists()}


def test_binding_is_its_own_pass():
    """The planner reads bound trees only: it never binds a name, nor parses a view."""
    deps = _imports(SQL / "planner.py")
    assert not deps & {"binder", "bind_expr", "scope", "parser", "ast"}, deps
