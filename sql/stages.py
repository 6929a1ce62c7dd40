"""The stages after parsing, for every kind of statement: bind, plan, compile.

Each stage is a lookup in a table keyed by what the stage before produced (an AST node type,
a bound type, a plan type), so a new statement kind is one line per stage, and no module of
a statement kind imports this one. A SELECT goes through all three; EXPLAIN goes through
them with the statement it explains. INSERT, UPDATE, DELETE, DDL and COPY keep their AST
through ``bind_statement`` and ``plan_statement`` and are built whole by
``compile_statement``: their builders bind, plan and compile each expression as they go
(they use the same binder, planner and compiler).
"""

from __future__ import annotations

from typing import Any

from ..errors import NotSupportedError
from . import ast as A
from . import copyio, ddl, dml
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
    """EXPLAIN's statement at any stage: its AST bound, its bound tree planned, ..."""

    def __init__(self, inner: Any):
        self.inner = inner


# ---------------------------------------------------------------- stage 2: bind
def bind_statement(node: Any, catalog, systables: dict) -> Any:
    """Resolve the names of a statement: a SELECT becomes a ``BoundSelect``."""
    if type(node) is A.Select:
        return bind_select(node, catalog, systables)
    if type(node) is A.Explain:
        if isinstance(node.statement, A.Explain):
            raise NotSupportedError("EXPLAIN EXPLAIN is not supported")
        return Explained(bind_statement(node.statement, catalog, systables))
    return node  # bound by its builder (see the module docstring)


# ---------------------------------------------------------------- stage 3: plan
def plan_statement(bound: Any) -> Any:
    """Choose how a bound statement finds its rows: a SELECT becomes a ``SelectPlan``."""
    if type(bound) is BoundSelect:
        return plan_select(bound)
    if type(bound) is Explained:
        return Explained(plan_statement(bound.inner))
    return bound


# ---------------------------------------------------------------- stage 4: compile
def compile_statement(planned: Any, engine, systables: dict) -> Statement:
    """Generate and compile the Python that runs a statement: a prepared ``Statement``."""
    build = _BUILDERS.get(type(planned))
    if build is None:
        raise NotSupportedError(f"{type(planned).__name__.upper()} is not supported yet")
    return build(planned, engine, systables)


def _explain(planned: Explained, engine, systables) -> Statement:
    return ExplainStatement(compile_statement(planned.inner, engine, systables))


def _ddl(node, engine, systables) -> Statement:
    return ddl.build_ddl(node, engine, systables)


_BUILDERS = {
    SelectPlan: lambda plan, engine, systables: QueryStatement(plan),
    Explained: _explain,
    A.Insert: lambda node, engine, systables: dml.InsertStatement(node, engine.catalog, systables),
    A.Update: lambda node, engine, systables: dml.UpdateStatement(node, engine.catalog, systables),
    A.Delete: lambda node, engine, systables: dml.DeleteStatement(node, engine.catalog, systables),
    A.Copy: copyio.CopyStatement,
    A.CreateTable: _ddl,
    A.DropTable: _ddl,
    A.CreateIndex: _ddl,
    A.DropIndex: _ddl,
    A.CreateView: _ddl,
    A.DropView: _ddl,
    A.Begin: lambda node, engine, systables: ControlStatement("begin", node.isolation),
    A.Commit: lambda node, engine, systables: ControlStatement("commit"),
    A.Rollback: lambda node, engine, systables: ControlStatement("rollback"),
    A.SetIsolation: lambda node, e, s: ControlStatement("set_isolation", node.isolation),
    A.Checkpoint: lambda node, engine, systables: CheckpointStatement(),
}
