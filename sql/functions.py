"""Scalar functions (name → Python function, arity, result type) and aggregate kinds."""

from __future__ import annotations

import datetime as _dt
import random as _random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from ..errors import DataError
from ..types import BLOB, BOOLEAN, DATE, INTEGER, REAL, TEXT, TIMESTAMP
from .fn_date import DATE_FUNCTIONS, f_current_date, f_current_time, f_current_timestamp
from .fn_json import JSON_AGGREGATES, JSON_FUNCTIONS
from .fn_math import MATH
from .fn_text import TEXT_FUNCTIONS
from .runtime import INT_MAX, INT_MIN, cast_integer, compare, to_number, to_text

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def f_abs(x: Any) -> Any:
    """SQLite abs(): an INTEGER stays one; anything else (text, blob) is read as a REAL."""
    if x is None:
        return None
    t = type(x)
    if t is str or t is bytes:
        return abs(float(to_number(x)))
    x = to_number(x)
    if x == INT_MIN and type(x) is int:
        raise DataError("integer overflow in abs()")
    return abs(x)


def f_lower(x: Any) -> Any:
    return None if x is None else to_text(x).translate(_ASCII_LOWER)


def f_upper(x: Any) -> Any:
    return None if x is None else to_text(x).translate(_ASCII_UPPER)


def f_length(x: Any) -> Any:
    if x is None:
        return None
    if type(x) is bytes:
        return len(x)
    return len(to_text(x))


def f_nullif(a: Any, b: Any) -> Any:
    return None if a is not None and b is not None and compare(a, b) == 0 else a


def f_round(x: Any, n: Any = 0) -> Any:
    """SQLite round(): half away from zero, always REAL."""
    if x is None or n is None:
        return None
    x = float(to_number(x))
    n = cast_integer(to_number(n))  # clamped to 64 bits: round(x, 1e400) is not an error
    if n < 0:
        n = 0
    # past 2**52 every float is already whole (and Decimal would need 300 digits for 1e308)
    if n > 30 or x != x or abs(x) >= 4503599627370496.0:
        return x
    d = Decimal(repr(x)).quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)
    return float(d)


def f_substr(s: Any, start: Any, length: Any = None) -> Any:
    """SQLite substr(): 1-based, negative start counts from the end, negative length looks back."""
    if s is None or start is None:
        return None
    if type(s) is not bytes:
        s = to_text(s)
    p1 = cast_integer(to_number(start))  # a REAL position is truncated, clamped to 64 bits
    neg = False
    if length is None:
        p2 = 1 << 62
    else:
        p2 = cast_integer(to_number(length))
        if p2 < 0:
            p2, neg = -p2, True
    n = len(s)
    if p1 < 0:
        p1 += n
        if p1 < 0:
            p2 += p1
            if p2 < 0:
                p2 = 0
            p1 = 0
    elif p1 > 0:
        p1 -= 1
    elif p2 > 0:
        p2 -= 1
    if neg:
        p1 -= p2
        if p1 < 0:
            p2 += p1
            p1 = 0
    return s[p1 : p1 + p2]


def _trimmer(method: str) -> Callable:
    def trim(s: Any, chars: Any = " ") -> Any:
        if s is None or chars is None:
            return None
        return getattr(to_text(s), method)(to_text(chars))

    return trim


def f_typeof(x: Any) -> str:
    return _TYPEOF.get(type(x), "text")


_TYPEOF = {
    type(None): "null",
    int: "integer",
    float: "real",
    str: "text",
    bytes: "blob",
    bool: "boolean",
    _dt.date: "date",
    _dt.datetime: "timestamp",
}


def f_instr(s: Any, sub: Any) -> Any:
    if s is None or sub is None:
        return None
    if type(s) is bytes and type(sub) is bytes:
        return s.find(sub) + 1
    return to_text(s).find(to_text(sub)) + 1


def f_replace(s: Any, old: Any, new: Any) -> Any:
    if s is None or old is None or new is None:
        return None
    s, old = to_text(s), to_text(old)
    if old == "":
        return s
    return s.replace(old, to_text(new))


def f_hex(x: Any) -> Any:
    if x is None:
        return ""
    b = x if type(x) is bytes else to_text(x).encode()
    return b.hex().upper()


def f_random() -> int:
    return _random.randint(INT_MIN, INT_MAX)


def f_scalar_min(*args: Any) -> Any:
    best = None
    for a in args:
        if a is None:
            return None
        if best is None or compare(a, best) <= 0:  # SQLite: of equals, the last one
            best = a
    return best


def f_scalar_max(*args: Any) -> Any:
    best = None
    for a in args:
        if a is None:
            return None
        if best is None or compare(a, best) > 0:
            best = a
    return best


class Function:
    """A scalar function: implementation, allowed argument counts, result type."""

    __slots__ = ("name", "fn", "min_args", "max_args", "type", "deterministic")

    def __init__(self, name, fn, min_args, max_args, type_=None, deterministic=True):
        self.name = name
        self.fn = fn
        self.min_args = min_args
        self.max_args = max_args
        self.type = type_
        self.deterministic = deterministic


_ANY_ARGS = 1 << 30
FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("abs", f_abs, 1, 1, "arg"),
        Function("lower", f_lower, 1, 1, TEXT),
        Function("upper", f_upper, 1, 1, TEXT),
        Function("length", f_length, 1, 1, INTEGER),
        Function("nullif", f_nullif, 2, 2, "arg"),
        Function("round", f_round, 1, 2, REAL),
        Function("substr", f_substr, 2, 3, None),
        Function("substring", f_substr, 2, 3, None),
        Function("trim", _trimmer("strip"), 1, 2, TEXT),
        Function("ltrim", _trimmer("lstrip"), 1, 2, TEXT),
        Function("rtrim", _trimmer("rstrip"), 1, 2, TEXT),
        Function("typeof", f_typeof, 1, 1, TEXT),
        Function("instr", f_instr, 2, 2, INTEGER),
        Function("replace", f_replace, 3, 3, TEXT),
        Function("hex", f_hex, 1, 1, TEXT),
        Function("random", f_random, 0, 0, INTEGER, deterministic=False),
        Function("current_date", f_current_date, 0, 0, DATE, deterministic=False),
        Function("current_time", f_current_time, 0, 0, TEXT, deterministic=False),
        Function("current_timestamp", f_current_timestamp, 0, 0, TIMESTAMP, deterministic=False),
        Function("now", f_current_timestamp, 0, 0, TIMESTAMP, deterministic=False),
    )
}
_TYPES = {"REAL": REAL, "INTEGER": INTEGER, "TEXT": TEXT, "BLOB": BLOB, "arg": "arg"}
FUNCTIONS.update(
    (name, Function(name, fn, lo, hi, _TYPES[t])) for name, (fn, lo, hi, t) in MATH.items()
)
FUNCTIONS.update(
    (name, Function(name, fn, lo, hi, _TYPES[t], deterministic=False))
    for name, (fn, lo, hi, t) in DATE_FUNCTIONS.items()
)
FUNCTIONS.update(
    (name, Function(name, fn, lo, hi, _TYPES[t], det))
    for name, (fn, lo, hi, t, det) in TEXT_FUNCTIONS.items()
)
FUNCTIONS.update(
    (name, Function(name, fn, lo, hi, _TYPES.get(t)))
    for name, (fn, lo, hi, t, _json) in JSON_FUNCTIONS.items()
)
#: Handled by the compiler itself (lazy evaluation or variable arity).
SPECIAL = {"coalesce", "ifnull", "iif", "min", "max"}
SCALAR_MINMAX = {"min": f_scalar_min, "max": f_scalar_max}

#: Aggregate functions and the argument counts they take.
AGGREGATES = {
    "count": (0, 1),
    "sum": (1, 1),
    "total": (1, 1),
    "avg": (1, 1),
    "min": (1, 1),
    "max": (1, 1),
    "group_concat": (1, 2),
    "string_agg": (2, 2),
    **JSON_AGGREGATES,
}

__all__ = ["FUNCTIONS", "AGGREGATES", "SPECIAL", "Function", "BLOB", "BOOLEAN"]
