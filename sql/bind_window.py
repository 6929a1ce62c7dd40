"""Binding window function calls: ``f(args) [FILTER (WHERE c)] OVER (window)``.

A call binds to a position in its query block's window slot (``scope.WindowContext``); the
planner puts a ``Window`` node (``plan.py``) between HAVING and the projection to fill that
slot. Named windows (``WINDOW w AS (...)``, ``OVER w``, ``OVER (w ORDER BY ...)``) resolve
by SQLite's rules, frames are checked as SQLite checks them, and a window function where
none may appear (WHERE, GROUP BY, HAVING, another window function's arguments, DML) is
"misuse of window function".
"""

from __future__ import annotations

from typing import Callable

from ..errors import ProgrammingError
from ..types import INTEGER, REAL
from . import ast as A
from . import bound as B
from . import udf
from .functions import AGGREGATES, FUNCTIONS, SPECIAL
from .plan import WindowDef, WindowFunc
from .scope import Scope
from .window import WINDOW_FUNCTIONS, check_offset
from .window_agg import AGGREGATE_CLASSES

# frame bound kinds in the order a frame may run through them
_BOUND_RANK = {
    "unbounded preceding": 0,
    "preceding": 1,
    "current row": 2,
    "following": 3,
    "unbounded following": 4,
}
_RANKING_INT = {"row_number", "rank", "dense_rank", "ntile"}


def resolve_window(over, named: dict) -> A.WindowSpec:
    """The window ``OVER name`` or ``OVER (base ...)`` stands for, SQLite's rules: a window
    built on a named one may add ORDER BY (if it has none) and a frame (if it has none),
    never PARTITION BY."""
    if isinstance(over, str):
        spec = named.get(over.lower())
        if spec is None:
            raise ProgrammingError(f"no such window: {over}")
        return spec
    if over.base is None:
        return over
    base = resolve_window(over.base, named)
    if over.partition:
        raise ProgrammingError(f"cannot override PARTITION clause of window: {over.base}")
    if over.order and base.order:
        raise ProgrammingError(f"cannot override ORDER BY clause of window: {over.base}")
    if base.units is not None:
        raise ProgrammingError(f"cannot override frame specification of window: {over.base}")
    return A.WindowSpec(
        None, base.partition, over.order or base.order, over.units, over.start, over.end,
        over.exclude,
    )  # fmt: skip


def named_windows(defs) -> dict:
    """A WINDOW clause as name → resolved spec; a definition may build on earlier ones."""
    named: dict = {}
    for name, spec in defs:
        named[name.lower()] = resolve_window(spec, named)
    return named


def _check_call(e: A.Call):
    """The aggregate class of a window call (None for a window-only function), after the
    checks SQLite makes of the name, the arguments, DISTINCT and FILTER."""
    name, n = e.name, len(e.args)
    user = None if e.star else udf.lookup(name, n)
    if user is not None:  # the connection's definition hides a built-in of its name
        if not isinstance(user, udf.UserWindowFunction):
            raise ProgrammingError(f"{name}() may not be used as a window function")
        if e.distinct:
            raise ProgrammingError("DISTINCT is not supported for window functions")
        return user.window_class
    if name in WINDOW_FUNCTIONS:
        lo, hi = WINDOW_FUNCTIONS[name]
        if e.star or not lo <= n <= hi:
            raise ProgrammingError(f"wrong number of arguments to function {name}()")
        if e.filter is not None:
            raise ProgrammingError("FILTER clause may only be used with aggregate window functions")
        return None
    if name in AGGREGATES and not (name in ("min", "max") and n != 1):
        lo, hi = AGGREGATES[name]
        if (
            e.star
            and name != "count"
            or not e.star
            and (not lo <= n <= hi or name == "count" and n == 0)
        ):
            raise ProgrammingError(f"wrong number of arguments to function {name}()")
        if e.distinct:
            raise ProgrammingError("DISTINCT is not supported for window functions")
        return AGGREGATE_CLASSES[name]
    if name in FUNCTIONS or name in SPECIAL:
        raise ProgrammingError(f"{name}() may not be used as a window function")
    raise ProgrammingError(f"no such function: {name}")


def bind_window_call(e: A.Call, scope: Scope, bind: Callable, agg_type: Callable) -> B.BExpr:
    """Bind window call ``e`` in ``scope`` to a reference into the window slot."""
    cls = _check_call(e)
    win = scope.win
    if win is None:
        raise ProgrammingError(f"misuse of window function {e.name}()")
    spec = resolve_window(e.over, win.named)
    scope.win = None  # no window function inside another's arguments or window
    try:
        args = [bind(a, scope) for a in e.args]
        filt = bind(e.filter, scope) if e.filter is not None else None
        wdef = _window_def(spec, scope, bind)
    finally:
        scope.win = win
    key = (e.name, tuple(str(a) for a in args), str(filt), str(wdef), wdef.key())
    idx = win.position(key, lambda: WindowFunc(e.name, args, filt, wdef, cls))
    if cls is not None:
        type_, nullable = agg_type(e.name, args), e.name != "count"
    elif e.name in _RANKING_INT:
        type_, nullable = INTEGER, False
    elif e.name in ("percent_rank", "cume_dist"):
        type_, nullable = REAL, False
    else:
        same = e.name not in ("lag", "lead") or len(args) < 3 or args[2].type is args[0].type
        type_, nullable = (args[0].type if same else None), True
    return B.ColRef(win.slot, idx, str(win.funcs[idx]), type_, nullable)


def _window_def(spec: A.WindowSpec, scope: Scope, bind: Callable) -> WindowDef:
    partition = [bind(p, scope) for p in spec.partition]
    order = [(bind(t.expr, scope), t.desc, t.nulls_first) for t in spec.order]
    if spec.units is None:  # SQLite's default frame: up to the current row's last peer
        return WindowDef(partition, order, "RANGE", ("unbounded preceding", None),
                         ("current row", None), "NO OTHERS")  # fmt: skip
    start, end = spec.start, spec.end
    if start.kind == "unbounded following" or end.kind == "unbounded preceding":
        raise ProgrammingError(
            f"syntax error: a frame cannot {'start' if start.kind == 'unbounded following' else 'end'} "
            f"at {(start if start.kind == 'unbounded following' else end).kind.upper()}"
        )
    if _BOUND_RANK[start.kind] > _BOUND_RANK[end.kind]:
        raise ProgrammingError("unsupported frame specification")
    has_offset = start.offset is not None or end.offset is not None
    if spec.units == "RANGE" and has_offset and len(order) != 1:
        raise ProgrammingError(
            "RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression"
        )
    bounds = []
    for b, which in ((start, "starting"), (end, "ending")):
        off = None
        if b.offset is not None:
            off = bind(b.offset, scope)
            if off.slots() - scope.outer_refs:  # a column: not one value for the statement
                check_offset(None, spec.units, which)
            if isinstance(off, B.Const):
                check_offset(off.value, spec.units, which)
        bounds.append((b.kind, off))
    return WindowDef(partition, order, spec.units, bounds[0], bounds[1], spec.exclude)


__all__ = ["bind_window_call", "named_windows", "resolve_window"]
