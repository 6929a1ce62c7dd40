"""Aggregates as window functions: one small class per aggregate, in the shape Python's
``sqlite3.Connection.create_window_function`` expects of a user's class.

An instance accumulates one frame: ``step(*args)`` adds a row, ``inverse(*args)`` takes
the oldest row out again, ``value()`` is the current result and ``finalize()`` the result
when the partition is done. ``inverse = None`` on a class says it cannot take rows out (its
frames are recomputed when their start moves). The window runner (``window.py``) only
calls these four names, so a user's class plugs in unchanged (see ``AGGREGATE_CLASSES``).
The arithmetic is the grouped aggregates' (``emit_agg.py``), so ``sum(x) OVER ()`` equals
``sum(x)``.
"""

from __future__ import annotations

from . import runtime as R

_num = R.to_number


class Count:
    """count(x) / count(*): rows whose argument is not NULL (every row, for count(*))."""

    def __init__(self) -> None:
        self.n = 0

    def step(self, *args) -> None:
        if not args or args[0] is not None:
            self.n += 1

    def inverse(self, *args) -> None:
        if not args or args[0] is not None:
            self.n -= 1

    def value(self):
        return self.n

    finalize = value


class Sum:
    """sum(x): exact on integers (Python ints), IEEE on reals, as the grouped sum; NULL
    over no values. Taking a real out subtracts it, as SQLite's inverse does."""

    def __init__(self) -> None:
        self.total = 0
        self.n = 0

    def step(self, v) -> None:
        if v is not None:
            self.total += _num(v)
            self.n += 1

    def inverse(self, v) -> None:
        if v is not None:
            self.total -= _num(v)
            self.n -= 1

    def value(self):
        return R.fit(self.total) if self.n else None

    finalize = value


class Total(Sum):
    """total(x): like sum, but 0.0 over no values and always REAL."""

    def value(self):
        return R.fit(float(self.total))

    finalize = value


class Avg(Sum):
    """avg(x): the sum over the count of non-NULL values, REAL; NULL over none."""

    def value(self):
        return R.fit(self.total / self.n) if self.n else None

    finalize = value


class Min:
    """min(x): the smallest non-NULL value in SQLite's cross-type order."""

    better = staticmethod(R.lt)
    inverse = None  # the next smallest is not known: frames whose start moves recompute

    def __init__(self) -> None:
        self.best = None

    def step(self, v) -> None:
        if v is not None and (self.best is None or self.better(v, self.best)):
            self.best = v

    def value(self):
        return self.best

    finalize = value


class Max(Min):
    """max(x): the largest non-NULL value."""

    better = staticmethod(R.gt)


class GroupConcat:
    """group_concat(x [, sep]) / string_agg(x, sep): the non-NULL values as text, each
    after the separator given with it (',' by default; a NULL separator is empty)."""

    inverse = None

    def __init__(self) -> None:
        self.parts: list[str] = []

    def step(self, v, sep=",") -> None:
        if v is not None:
            if self.parts:
                self.parts.append(R.to_text(sep) or "")
            self.parts.append(R.to_text(v))

    def value(self):
        # SQLite's quirk: the running value of empty text is NULL, the final one ''
        return "".join(self.parts) or None

    def finalize(self):
        return "".join(self.parts) if self.parts else None


AGGREGATE_CLASSES = {
    "count": Count,
    "sum": Sum,
    "total": Total,
    "avg": Avg,
    "min": Min,
    "max": Max,
    "group_concat": GroupConcat,
    "string_agg": GroupConcat,
}
"""Built-in aggregates by name. A ``conn.create_window_function(name, n, cls)`` would put its
class where the binder looks names up (beside these) and hand it to the ``Window`` plan node
the same way: the runner needs nothing else."""

__all__ = ["AGGREGATE_CLASSES", "Count", "Sum", "Total", "Avg", "Min", "Max", "GroupConcat"]
