"""Code for the ``Window`` plan node: buffer the rows, run the window functions, hand on.

Each input row is buffered as ``(slots, inputs)``: the values of the row slots the
projection reads, and every value the window functions need (partition and order keys,
arguments, FILTER conditions), evaluated once here, where the row's slots are live. Frame
offsets are evaluated once per execution. ``window.run_windows`` computes the functions;
the loop after it restores the slots and binds the window slot for the parent's code.
"""

from __future__ import annotations

from typing import Callable

from .codegen import FunctionWriter
from .plan import Window
from .window import run_windows


class _Inputs:
    """The distinct expressions evaluated per buffered row, by position."""

    def __init__(self) -> None:
        self.exprs: list = []
        self._pos: dict[str, int] = {}

    def add(self, e, truth: bool = False) -> int:
        key = ("truth " if truth else "") + str(e)
        pos = self._pos.get(key)
        if pos is None:
            pos = self._pos[key] = len(self.exprs)
            self.exprs.append((e, truth))
        return pos


def _fixed(units: str, start: str, end: str):
    return lambda spec: spec[:2] + (units, (start, None), (end, None), "NO OTHERS")


# Functions that ignore the frame get a frame of their own, as SQLite gives them
# (sqlite3WindowUpdate): so they share a window, and its order of ties, as they do there.
_FIXED_FRAMES = {
    "row_number": _fixed("ROWS", "unbounded preceding", "current row"),
    "dense_rank": _fixed("RANGE", "unbounded preceding", "current row"),
    "rank": _fixed("RANGE", "unbounded preceding", "current row"),
    "percent_rank": _fixed("GROUPS", "current row", "unbounded following"),
    "cume_dist": _fixed("GROUPS", "following", "unbounded following"),
    "ntile": _fixed("ROWS", "current row", "unbounded following"),
    "lead": _fixed("ROWS", "unbounded preceding", "unbounded following"),
    "lag": _fixed("ROWS", "unbounded preceding", "current row"),
}


def window_groups(node: Window) -> tuple[tuple, list, list]:
    """The ``groups`` argument of ``run_windows`` for ``node`` (functions over the same
    window, in the order the windows are first written), with the per-row input
    expressions and the frame offset expressions it indexes into."""
    inputs = _Inputs()
    offsets: list = []
    groups: dict = {}
    for pos, f in enumerate(node.funcs):
        w = f.window
        part = tuple(inputs.add(e) for e in w.partition)
        order = tuple((inputs.add(e), desc, nf) for e, desc, nf in w.order)
        bounds = []
        for kind, off in (w.start, w.end):
            if off is not None:
                offsets.append(off)
                bounds.append((kind, len(offsets) - 1))
            else:
                bounds.append((kind, None))
        spec = (part, order, w.units, bounds[0], bounds[1], w.exclude)
        spec = _FIXED_FRAMES.get(f.func, lambda s: s)(spec)
        args = tuple(inputs.add(a) for a in f.args)
        filt = inputs.add(f.filter, truth=True) if f.filter is not None else None
        groups.setdefault(spec, []).append((pos, f.func, args, filt, f.agg_class))
    out = tuple((spec, tuple(fns)) for spec, fns in groups.items())
    return out, inputs.exprs, offsets


def produce_window(pe, w: FunctionWriter, node: Window, consume: Callable[[], None]) -> None:
    """Emit the ``Window`` node ``node`` into ``w`` (``pe`` is the ``PlanEmitter``)."""
    groups, exprs, offsets = window_groups(node)
    buf = pe.prog.fresh("wbuf")
    slots = "(" + "".join(f"r{s}, " for s in node.keep) + ")"
    w.emit(f"{buf} = []")

    def add() -> None:
        vals = "".join(
            (f"(True if {pe.truth(e)} else False), " if truth else f"{pe.expr(e)}, ")
            for e, truth in exprs
        )
        w.emit(f"{buf}.append(({slots}, ({vals})))")

    pe.produce(w, node.child, add)
    offs = "(" + "".join(f"{pe.expr(o)}, " for o in offsets) + ")"
    run = pe.prog.const(run_windows)
    spec = pe.prog.const(groups)
    w.emit(f"for {slots}, r{node.slot} in {run}({buf}, {spec}, {offs}, {len(node.funcs)}):")
    w.depth += 1
    consume()
    w.depth -= 1


__all__ = ["produce_window", "window_groups"]
