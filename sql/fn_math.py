"""SQLite's math functions (sqrt, pow, ln, log, trigonometry, ceil, floor, mod, sign ...).

SQLite computes them in C doubles: an argument that is not a number (a blob, text that is not
wholly numeric) gives NULL, a domain error (NaN) gives NULL, an overflow gives +/-Inf. Python's
``math`` raises instead of returning NaN or Inf, so each wrapper maps those exceptions back.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from ..errors import DataError
from .runtime import INT_MAX, INT_MIN, to_number

# SQLite's numeric affinity: the whole text (blanks around allowed) must be a number
_NUMERIC_TEXT = re.compile(
    r"[ \t\n\v\f\r]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[ \t\n\v\f\r]*",
    re.ASCII,
)
_INF = float("inf")


def numeric_arg(v: Any) -> Any:
    """``v`` as an int or float, or None when SQLite would not see a number in it."""
    t = type(v)
    if t is int or t is float:
        return v
    if t is bool:
        return int(v)
    if v is None or t is bytes:
        return None
    if t is str:
        m = _NUMERIC_TEXT.fullmatch(v)
        if m is None:
            return None
        s = m.group(1)
        if "." in s or "e" in s or "E" in s:
            return float(s)
        i = int(s)
        return i if INT_MIN <= i <= INT_MAX else float(i)
    raise DataError(f"cannot use {t.__name__} value {v!r} as a number")


def _real(fn: Callable[[float], float], overflow: Callable[[float], float] | None = None):
    """A one-argument real function with C's NaN/Inf results (NaN becomes NULL)."""

    def call(x: Any) -> Any:
        x = numeric_arg(x)
        if x is None:
            return None
        x = float(x)
        try:
            r = fn(x)
        except OverflowError:
            return overflow(x) if overflow else _INF
        except ValueError:  # domain error: C returns NaN, or Inf at a pole
            return None
        return None if r != r else r

    return call


def _pole(fn: Callable[[float], float], poles: dict[float, float]):
    """Like ``fn``, but C's value at a pole (where Python raises) instead of an error."""

    def call(x: float) -> float:
        if x in poles:
            return poles[x]
        return fn(x)

    return call


def _positive(fn: Callable[[float], float]):
    """Logarithms: SQLite returns NULL for an argument <= 0 (not -Inf)."""

    def call(x: float) -> float:
        if x <= 0.0:
            raise ValueError
        return fn(x)

    return call


def f_log(a: Any, *b: Any) -> Any:
    """log(X) is log10; log(B, X) the base-B logarithm of X: NULL unless ln(B) > 0, as SQLite."""
    if not b:
        return _log10(a)
    base = numeric_arg(a)
    if base is None or b[0] is None:
        return None
    # SQLite checks only B's type; X is read as any number would be ('8x' is 8)
    base, x = float(base), float(to_number(b[0]))
    if base <= 0.0 or x <= 0.0:
        return None
    lb = math.log(base)
    if lb <= 0.0:
        return None
    r = math.log(x) / lb
    return None if r != r else r


def f_pow(a: Any, b: Any) -> Any:
    """pow(X, Y) with C's results: 0 to a negative power is Inf, overflow is +/-Inf."""
    x, y = numeric_arg(a), numeric_arg(b)
    if x is None or y is None:
        return None
    x, y = float(x), float(y)
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = y.is_integer() and y % 2 == 1
        return -_INF if x < 0 and odd else _INF
    except ValueError:
        if x == 0.0:
            odd = y.is_integer() and y % 2 == 1
            return math.copysign(_INF, x) if odd else _INF
        return None


def f_atan2(a: Any, b: Any) -> Any:
    y, x = numeric_arg(a), numeric_arg(b)
    if y is None or x is None:
        return None
    return math.atan2(float(y), float(x))


def f_mod(a: Any, b: Any) -> Any:
    """mod(X, Y): the C fmod, always REAL; by zero (NaN) is NULL."""
    x, y = numeric_arg(a), numeric_arg(b)
    if x is None or y is None:
        return None
    try:
        r = math.fmod(float(x), float(y))
    except ValueError:
        return None
    return None if r != r else r


def _rounder(fn: Callable[[float], int]):
    """ceil/floor/trunc: an INTEGER stays as it is, a REAL gives a REAL (-0.0 kept, as C)."""

    def call(x: Any) -> Any:
        x = numeric_arg(x)
        if type(x) is not float:
            return x
        if x != x or x in (_INF, -_INF):
            return x
        return math.copysign(float(fn(x)), x)

    return call


def f_sign(x: Any) -> Any:
    """sign(X): -1, 0 or +1 as an INTEGER; NULL when X is not a number."""
    x = numeric_arg(x)
    if x is None or x != x:
        return None
    return (x > 0) - (x < 0)


def f_pi() -> float:
    return math.pi


def _inf_like(x: float) -> float:
    return math.copysign(_INF, x)


_log10 = _real(_positive(math.log10))

#: name → (function, min args, max args, result type name: "REAL", "INTEGER" or "arg")
MATH = {
    "sqrt": (_real(math.sqrt), 1, 1, "REAL"),
    "exp": (_real(math.exp), 1, 1, "REAL"),
    "ln": (_real(_positive(math.log)), 1, 1, "REAL"),
    "log": (f_log, 1, 2, "REAL"),
    "log10": (_log10, 1, 1, "REAL"),
    "log2": (_real(_positive(math.log2)), 1, 1, "REAL"),
    "pow": (f_pow, 2, 2, "REAL"),
    "power": (f_pow, 2, 2, "REAL"),
    "sin": (_real(math.sin), 1, 1, "REAL"),
    "cos": (_real(math.cos), 1, 1, "REAL"),
    "tan": (_real(math.tan), 1, 1, "REAL"),
    "asin": (_real(math.asin), 1, 1, "REAL"),
    "acos": (_real(math.acos), 1, 1, "REAL"),
    "atan": (_real(math.atan), 1, 1, "REAL"),
    "atan2": (f_atan2, 2, 2, "REAL"),
    "sinh": (_real(math.sinh, _inf_like), 1, 1, "REAL"),
    "cosh": (_real(math.cosh), 1, 1, "REAL"),
    "tanh": (_real(math.tanh), 1, 1, "REAL"),
    "asinh": (_real(math.asinh), 1, 1, "REAL"),
    "acosh": (_real(math.acosh), 1, 1, "REAL"),
    "atanh": (_real(_pole(math.atanh, {1.0: _INF, -1.0: -_INF})), 1, 1, "REAL"),
    "degrees": (_real(math.degrees), 1, 1, "REAL"),
    "radians": (_real(math.radians), 1, 1, "REAL"),
    "pi": (f_pi, 0, 0, "REAL"),
    "mod": (f_mod, 2, 2, "REAL"),
    "ceil": (_rounder(math.ceil), 1, 1, "arg"),
    "ceiling": (_rounder(math.ceil), 1, 1, "arg"),
    "floor": (_rounder(math.floor), 1, 1, "arg"),
    "trunc": (_rounder(math.trunc), 1, 1, "arg"),
    "sign": (f_sign, 1, 1, "INTEGER"),
}
