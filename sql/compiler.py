"""Plan → Python source → function, compiled once per statement.

A ``Compiler`` joins the two emitters over one ``Program``: ``PlanEmitter`` (emit_plan.py)
fuses a plan tree into nested loops, ``ExprEmitter`` (emit_expr.py) writes the expressions
inside them. The plan emitter owns the expression emitter it is given; the expression
emitter reaches back (for subqueries) only through the function ``emit_plan.compile_subquery``
handed to it here, so emit_expr never imports emit_plan. The plumbing (``Program``,
``FunctionWriter``) is in codegen.py.

    comp = Compiler()
    comp.query_function(query, "run", ["p", "tx"])
    run = comp.prog.build()["run"]        # run(params, transaction) -> list of rows
"""

from __future__ import annotations

from typing import Callable

from . import bound as B
from .codegen import FunctionWriter, Program
from .emit_expr import ExprEmitter
from .emit_plan import PlanEmitter, compile_subquery
from .plan import Query


class Compiler:
    """Compiles queries (and DML targets) of one statement into one Program."""

    def __init__(self, prog: Program | None = None):
        self.prog = prog or Program()
        self.exprs = ExprEmitter(self.prog, compile_subquery)
        self.plans = PlanEmitter(self.prog, self.exprs)

    @property
    def w(self) -> FunctionWriter | None:
        """The function being written: expressions put per-execution values in its prelude.

        Callers that write a function of their own with ``FunctionWriter`` set it for as long
        as they write expressions into that function, and reset it to None after."""
        return self.exprs.w

    @w.setter
    def w(self, writer: FunctionWriter | None) -> None:
        self.exprs.w = writer

    def query_function(self, q: Query, name: str, args: list[str], chunk: int = 0) -> str:
        """Emit ``def name(args)`` returning the list of result rows of ``q``; its name.
        With ``chunk`` a generator of row lists instead (``PlanEmitter.query_function``)."""
        return self.plans.query_function(q, name, args, chunk)

    def sub_function(self, q: Query, name: str) -> str:
        """Emit ``def name(p, tx, <outer rows>)`` returning the rows of a nested query."""
        return self.plans.sub_function(q, name)

    def produce(self, w: FunctionWriter, node, consume: Callable[[], None]) -> None:
        """Emit into ``w`` the loops producing a plan node's rows, each handed to the code
        ``consume()`` emits; for a statement writing its own function around a plan."""
        self.plans.produce(w, node, consume)

    def record_read(self, w: FunctionWriter, node) -> None:
        """Emit what a SERIALIZABLE transaction records about a table it reads."""
        self.plans.record_read(w, node)

    def expr(self, e: B.BExpr) -> str:
        """Python expression computing ``e``'s SQL value."""
        return self.exprs.expr(e)

    def truth(self, e: B.BExpr) -> str:
        """Python expression that is true exactly when ``e`` is SQL TRUE."""
        return self.exprs.truth(e)


__all__ = ["Compiler", "FunctionWriter", "Program"]
