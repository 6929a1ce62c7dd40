"""EXPLAIN ANALYZE: run a query with every plan node counting its rows and timing itself.

The query compiles as usual except that each node's code is wrapped (``Profile.wrap``): a
row handed to the parent counts one, and clocks around the node's loops and around the
parent's code give the node's time. Plan nodes fuse into one function of nested loops, so a
node's time is the time spent inside its loops (its children's included) less the time its
parent spent on the rows it handed up. The figures print after each node's EXPLAIN line.
"""

from __future__ import annotations

import threading
import time

from .compiler import Compiler
from .plan import Node, SelectPlan
from .statements import Result, Statement


class Profile:
    """Rows and time per plan node of one compiled query, filled in as it runs.

    Per node ``i``: ``rows[i]`` rows handed up; ``inside[i]`` seconds within its loops and
    ``above[i]`` seconds of those spent by its parent; ``since_in[i]`` / ``since_up[i]``
    the clock when the node (or its parent's code) was entered, None when not inside.
    """

    def __init__(self) -> None:
        self.index: dict[int, int] = {}  # id(node) -> i
        self.nodes: list[Node] = []  # keeps the nodes (and so their ids) alive
        self.rows: list[int] = []
        self.inside: list[float] = []
        self.above: list[float] = []
        self.since_in: list[float | None] = []
        self.since_up: list[float | None] = []

    def wrap(self, w, node: Node, method, consume) -> None:
        """Emit ``method``'s code for ``node`` (a ``PlanEmitter._p_*``) with counters."""
        i = self.index.get(id(node))
        if i is None:
            i = self.index[id(node)] = len(self.nodes)
            self.nodes.append(node)
        prog = w.prog
        clock = prog.const(time.perf_counter)
        rows, inside, above = prog.const(self.rows), prog.const(self.inside), prog.const(self.above)
        since_in, since_up = prog.const(self.since_in), prog.const(self.since_up)

        def counted() -> None:
            w.emit(f"{rows}[{i}] += 1")
            w.emit(f"{since_up}[{i}] = {clock}()")
            consume()
            w.emit(f"{above}[{i}] += {clock}() - {since_up}[{i}]")
            w.emit(f"{since_up}[{i}] = None")

        w.emit(f"{since_in}[{i}] = {clock}()")
        method(w, node, counted)
        w.emit(f"{inside}[{i}] += {clock}() - {since_in}[{i}]")
        w.emit(f"{since_in}[{i}] = None")

    def reset(self) -> None:
        """Zero every figure before a run."""
        n = len(self.nodes)
        self.rows[:] = [0] * n
        self.inside[:] = [0.0] * n
        self.above[:] = [0.0] * n
        self.since_in[:] = [None] * n
        self.since_up[:] = [None] * n

    def stop(self, now: float) -> None:
        """Close the clocks a run left running (a LIMIT returns from inside the loops)."""
        for started, total in ((self.since_in, self.inside), (self.since_up, self.above)):
            for i, t in enumerate(started):
                if t is not None:
                    total[i] += now - t
                    started[i] = None

    def note(self, node: Node) -> str:
        """`` (rows=N, time=T ms)`` for a node's EXPLAIN line; empty for a node not run here."""
        i = self.index.get(id(node))
        if i is None:
            return ""
        ms = max(self.inside[i] - self.above[i], 0.0) * 1000
        return f" (rows={self.rows[i]}, time={ms:.3f} ms)"


class AnalyzeStatement(Statement):
    """EXPLAIN ANALYZE <query>: runs the query, returns its plan annotated with each node's
    rows and time, and a last line with the total, as rows of one text column."""

    kind = "query"
    readonly = True

    def __init__(self, plan: SelectPlan):
        self.query = plan.query
        self.profile = Profile()
        compiler = Compiler()
        compiler.plans.profile = self.profile
        compiler.query_function(self.query, "run", ["p", "tx"])
        self.analyzed = compiler.prog.build()["run"]
        self.names = ["plan"]
        self.types = [None]
        self.take_params(plan)
        self.lock = threading.Lock()  # one run at a time: the figures are the statement's

    def run(self, params, txn) -> list:
        """Run the query once; its annotated plan lines."""
        profile = self.profile
        with self.lock:
            profile.reset()
            start = time.perf_counter()
            try:
                out = self.analyzed(params, txn)
            finally:
                end = time.perf_counter()
                profile.stop(end)
            lines = self.query.root.explain(note=profile.note)
        n = len(out)
        total = f"execution: {n} row{'' if n == 1 else 's'} in {(end - start) * 1000:.3f} ms"
        return [(line,) for line in lines] + [(total,)]

    def execute(self, conn, txn, params) -> tuple:
        return Result(self.run(params, txn))
