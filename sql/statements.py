"""Prepared statements: what a parsed and planned statement does when executed.

``Statement.execute(session, tx, params)`` runs it inside transaction ``tx`` and returns
``(rows, rowcount, lastrowid)``. Queries expose ``run(params, tx)`` directly so the cursor's hot path makes one
call. Transaction control statements only carry their kind; the connection acts on them.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotSupportedError
from . import ast as A
from .compiler import Compiler
from .plan import Query
from .planner import Planner


def Result(rows=None, rowcount: int = -1, lastrowid=None) -> tuple:  # noqa: N802
    """What a statement produced: (rows or None, row count, last inserted row id)."""
    return (rows, rowcount, lastrowid)


class Statement:
    """Base of prepared statements."""

    kind = "other"
    readonly = False
    n_params = 0
    param_names: list[str] | None = None
    names: list[str] | None = None
    types: list | None = None
    tables: frozenset = frozenset()
    ddl = False
    inserts = False  # an INSERT: its last row id becomes the cursor's lastrowid
    # Run under the transaction manager's lock: storage writes check and then act. A
    # statement that waits or does I/O says False and takes the lock only around its writes.
    engine_lock = True

    def execute(self, session, tx, params) -> tuple:
        raise NotImplementedError

    def explain(self) -> list[str]:
        return [type(self).__name__.replace("Statement", "").upper()]

    def _take_params(self, planner: Planner) -> None:
        self.n_params = planner.params.count
        self.param_names = list(planner.params.names) if planner.params.names else None
        self.tables = frozenset(planner.tables)


class QueryStatement(Statement):
    """A SELECT: one compiled function from (params, transaction) to a list of rows."""

    kind = "query"
    readonly = True

    def __init__(self, select: A.Select, catalog, systables):
        planner = Planner(catalog, systables)
        self.query: Query = planner.plan_select(select)
        compiler = Compiler()
        compiler.query_function(self.query, "run", ["p", "tx"])
        ns = compiler.prog.build()
        self.run = ns["run"]
        self.source = ns["__source__"]
        self.names = self.query.names
        self.types = self.query.types
        self._take_params(planner)

    def execute(self, session, tx, params) -> tuple:
        return Result(self.run(params, tx))

    def explain(self) -> list[str]:
        return self.query.explain()


class ControlStatement(Statement):
    """BEGIN, COMMIT, ROLLBACK, SET TRANSACTION: carried out by the connection."""

    def __init__(self, kind: str, isolation: str | None = None):
        self.kind = kind
        self.isolation = isolation

    def explain(self) -> list[str]:
        return [self.kind.upper()]


class CheckpointStatement(Statement):
    kind = "checkpoint"
    engine_lock = False  # it takes the checkpoint lock, which comes first (ARCHITECTURE.md)

    def execute(self, session, tx, params) -> tuple:
        session.database.checkpoint()
        return Result()


class ExplainStatement(Statement):
    """EXPLAIN <statement>: the plan as rows of one text column."""

    kind = "query"
    readonly = True

    def __init__(self, inner: Statement):
        self.inner = inner
        self.names = ["plan"]
        self.types = [None]
        self.n_params = inner.n_params
        self.param_names = inner.param_names
        lines = inner.explain()
        self._rows = [(line,) for line in lines]

    def run(self, params, tx) -> list:
        return list(self._rows)

    def execute(self, session, tx, params) -> tuple:
        return Result(self.run(params, tx))


def build(node: Any, engine, systables) -> Statement:
    """Turn one AST statement into a prepared Statement."""
    from . import ddl, dml

    catalog = engine.catalog
    if isinstance(node, A.Select):
        return QueryStatement(node, catalog, systables)
    if isinstance(node, A.Insert):
        return dml.InsertStatement(node, catalog, systables)
    if isinstance(node, A.Update):
        return dml.UpdateStatement(node, catalog, systables)
    if isinstance(node, A.Delete):
        return dml.DeleteStatement(node, catalog, systables)
    if isinstance(node, A.Begin):
        return ControlStatement("begin", node.isolation)
    if isinstance(node, A.Commit):
        return ControlStatement("commit")
    if isinstance(node, A.Rollback):
        return ControlStatement("rollback")
    if isinstance(node, A.SetIsolation):
        return ControlStatement("set_isolation", node.isolation)
    if isinstance(node, A.Explain):
        if isinstance(node.statement, A.Explain):
            raise NotSupportedError("EXPLAIN EXPLAIN is not supported")
        return ExplainStatement(build(node.statement, engine, systables))
    if isinstance(node, A.Checkpoint):
        return CheckpointStatement()
    if isinstance(node, A.Copy):
        from .copyio import CopyStatement

        return CopyStatement(node, engine, systables)
    stmt = ddl.build_ddl(node, engine, systables)
    if stmt is None:
        raise NotSupportedError(f"{type(node).__name__.upper()} is not supported yet")
    return stmt
