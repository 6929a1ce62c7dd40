"""The stages after parsing, for every kind of statement: bind, plan, compile.

A SELECT goes through all three (AST → ``BoundSelect`` → ``SelectPlan`` → ``QueryStatement``),
and EXPLAIN through them with the statement it explains. INSERT, UPDATE, DELETE, DDL and COPY
keep their AST through ``bind_statement`` and ``plan_statement`` and are built whole by
``compile_statement``: their builders (``dml``, ``ddl``, ``copyio``) bind, plan and compile
each expression as they go, with the same binder, planner and compiler. The last stage is a
table from node type to builder; no module of a statement kind imports this one.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotSupportedError
from . import alter, ddl, dml
from . import ast as A
from .analyze import AnalyzeStatement
from .binder import bind_select
from .bound_query import BoundSelect
from .plan import SelectPlan
from .planner import plan_select
from .statements import (
    CheckpointStatement,
    ControlStatement,
    ExplainStatement,
    QueryStatement,
    Statement,
)


class Explained:
    """EXPLAIN's statement at any stage: its AST bound, its bound tree planned, ...;
    ``analyze`` for EXPLAIN ANALYZE."""

    def __init__(self, inner: Any, analyze: bool = False):
        self.inner = inner
        self.analyze = analyze


# ---------------------------------------------------------------- stage 2: bind
def bind_statement(node: Any, catalog, systables: dict) -> Any:
    """Resolve the names of a statement: a SELECT becomes a ``BoundSelect``."""
    if type(node) is A.Select:
        return bind_select(node, catalog, systables)
    if type(node) is A.Explain:
        if isinstance(node.statement, A.Explain):
            raise NotSupportedError("EXPLAIN EXPLAIN is not supported")
        if node.analyze and type(node.statement) is not A.Select:
            raise NotSupportedError("EXPLAIN ANALYZE runs SELECT statements only")
        return Explained(bind_statement(node.statement, catalog, systables), node.analyze)
    return node  # bound by its builder (see the module docstring)


# ---------------------------------------------------------------- stage 3: plan
def plan_statement(bound: Any) -> Any:
    """Choose how a bound statement finds its rows: a SELECT becomes a ``SelectPlan``."""
    if type(bound) is BoundSelect:
        return plan_select(bound)
    if type(bound) is Explained:
        return Explained(plan_statement(bound.inner), bound.analyze)
    return bound


# ---------------------------------------------------------------- stage 4: compile
def compile_statement(planned: Any, engine, systables: dict, catalog=None) -> Statement:
    """Generate and compile the Python that runs a statement: a prepared ``Statement``.
    Names resolve in ``catalog`` (by default the engine's main catalog)."""
    build = _BUILDERS.get(type(planned))
    if build is None:
        raise NotSupportedError(f"{type(planned).__name__.upper()} is not supported yet")
    return build(planned, engine, systables, catalog or engine.catalog)


def _query(plan: SelectPlan, engine, systables, catalog) -> Statement:
    return QueryStatement(plan)


def _explain(planned: Explained, engine, systables, catalog) -> Statement:
    if planned.analyze:
        return AnalyzeStatement(planned.inner)
    return ExplainStatement(compile_statement(planned.inner, engine, systables, catalog))


def _insert(node: A.Insert, engine, systables, catalog) -> Statement:
    return dml.InsertStatement(node, catalog, systables)


def _update(node: A.Update, engine, systables, catalog) -> Statement:
    return dml.UpdateStatement(node, catalog, systables)


def _delete(node: A.Delete, engine, systables, catalog) -> Statement:
    return dml.DeleteStatement(node, catalog, systables)


def _copy(node: A.Copy, engine, systables, catalog) -> Statement:
    # imported on first use: COPY needs pyarrow, which no other statement loads
    from .copyio import CopyStatement

    return CopyStatement(node, engine, systables, catalog)


def _control(node: Any, engine, systables, catalog) -> Statement:
    kind = _CONTROL[type(node)]
    return ControlStatement(kind, getattr(node, "isolation", None), getattr(node, "name", None))


def _checkpoint(node: A.Checkpoint, engine, systables, catalog) -> Statement:
    return CheckpointStatement()


_CONTROL = {
    A.Begin: "begin",
    A.Commit: "commit",
    A.Rollback: "rollback",
    A.SetIsolation: "set_isolation",
    A.Savepoint: "savepoint",
    A.Release: "release",
    A.RollbackTo: "rollback_to",
}

_BUILDERS = {
    SelectPlan: _query,
    Explained: _explain,
    A.Insert: _insert,
    A.Update: _update,
    A.Delete: _delete,
    A.Copy: _copy,
    A.CreateTable: ddl.build_ddl,
    A.DropTable: ddl.build_ddl,
    A.CreateIndex: ddl.build_ddl,
    A.DropIndex: ddl.build_ddl,
    A.CreateView: ddl.build_ddl,
    A.DropView: ddl.build_ddl,
    A.AlterTable: alter.build_alter,
    A.CreateTrigger: ddl.build_ddl,
    A.DropTrigger: ddl.build_ddl,
    A.Begin: _control,
    A.Commit: _control,
    A.Rollback: _control,
    A.SetIsolation: _control,
    A.Savepoint: _control,
    A.Release: _control,
    A.RollbackTo: _control,
    A.Checkpoint: _checkpoint,
}
