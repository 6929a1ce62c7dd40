"""Value semantics used by compiled code: SQLite's rules for NULL, mixed types and arithmetic.

Compiled expressions inline the common cases (both sides numeric, no NULL possible) and call
these helpers for the rest. Every helper takes and returns plain Python values; NULL is None.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import re
from typing import Any

from ..errors import DataError
from ..types import parse_timestamp

# ASCII: SQLite reads only ASCII digits ('٣' is not 3)
NUM_PREFIX = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)", re.ASCII)
_INT_PREFIX = re.compile(r"\s*([+-]?\d+)", re.ASCII)
INT_MIN = -(1 << 63)
INT_MAX = (1 << 63) - 1


# ---------------------------------------------------------------- conversions
def to_number(v: Any) -> Any:
    """SQLite's numeric value of ``v``: text and blobs by their longest numeric prefix."""
    t = type(v)
    if t is int or t is float or v is None:
        return v
    if t is bool:
        return int(v)
    if t is bytes:
        v = v.decode("utf-8", "replace")
        t = str
    if t is str:
        m = NUM_PREFIX.match(v)
        if not m:
            return 0
        s = m.group(1)
        if "." in s or "e" in s or "E" in s:
            return float(s)
        return _clamp_int(int(s))
    raise DataError(f"cannot use {type(v).__name__} value {v!r} as a number")


def _clamp_int(i: int) -> Any:
    if INT_MIN <= i <= INT_MAX:
        return i
    return float(i)


def real_text(f: float) -> str:
    """A REAL rendered as SQLite renders it (always with a decimal point or exponent)."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "Inf" if f > 0 else "-Inf"
    s = "%.15g" % f
    if "e" in s:
        mant, exp = s.split("e")
        if "." not in mant:
            mant += ".0"
        return f"{mant}e{exp}"
    if "." not in s:
        s += ".0"
    return s


def to_text(v: Any) -> Any:
    """The text form of ``v`` used by ``||``, CAST AS TEXT and text functions."""
    t = type(v)
    if t is str or v is None:
        return v
    if t is int:
        return str(v)
    if t is float:
        return real_text(v)
    if t is bool:
        return "1" if v else "0"
    if t is bytes:
        return v.decode("utf-8", "replace")
    if t is _dt.datetime:
        return v.isoformat(sep=" ")
    if t is _dt.date:
        return v.isoformat()
    return str(v)


def truth(v: Any) -> Any:
    """SQL truth value of ``v``: True, False, or None for NULL."""
    t = type(v)
    if t is bool or v is None:
        return v
    if t is int or t is float:
        return v != 0
    if t is str or t is bytes:
        return to_number(v) != 0
    return True


def is_true(v: Any) -> bool:
    """True only when ``v`` is a true SQL value (NULL and false are not)."""
    return truth(v) is True


def is_false(v: Any) -> bool:
    """True only when ``v`` is a false SQL value (NULL is not)."""
    return truth(v) is False


def and3(a: Any, b: Any) -> Any:
    """Three-valued AND."""
    a, b = truth(a), truth(b)
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def or3(a: Any, b: Any) -> Any:
    """Three-valued OR."""
    a, b = truth(a), truth(b)
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def not3(a: Any) -> Any:
    """Three-valued NOT."""
    a = truth(a)
    return None if a is None else not a


# ---------------------------------------------------------------- comparison
_NUMERIC = (int, float, bool)


def _class(v: Any) -> int:
    t = type(v)
    if t is int or t is float or t is bool:
        return 1
    if t is str:
        return 2
    if t is bytes:
        return 3
    return 4  # dates and timestamps


def _align(a: Any, b: Any) -> tuple[Any, Any, int]:
    """Bring two non-NULL values to one class where SQL compares them; return the class."""
    ca, cb = _class(a), _class(b)
    if ca == cb:
        if ca == 4 and type(a) is not type(b):
            a, b = _as_datetime(a), _as_datetime(b)
        return a, b, 0
    # text and dates compare by class, as values of different classes do in SQLite; a
    # literal or a parameter compared with a DATE or TIMESTAMP column was already converted
    # (binder affinity), so indexes and scans agree and no comparison depends on the rows
    return a, b, ca - cb


def _as_datetime(v: Any) -> _dt.datetime:
    if type(v) is _dt.date:
        return _dt.datetime(v.year, v.month, v.day)
    return v


# Parameters compared with a typed column take its affinity (as literals do in the binder),
# so that a scan and an index probe see the same value.
def date_affinity(v: Any) -> Any:
    """A value compared with a DATE column: ISO text is the date it spells, a timestamp at
    midnight its date (a DATE index holds dates, and they equal their midnight)."""
    t = type(v)
    if t is str:
        try:
            return _dt.date.fromisoformat(v.strip())
        except ValueError:
            raise DataError(f"cannot compare DATE with text {v!r}") from None
    if t is _dt.datetime and v.time() == _dt.time():
        return v.date()
    return v


def timestamp_affinity(v: Any) -> Any:
    """A value compared with a TIMESTAMP column: ISO text is the timestamp it spells, a
    date its midnight."""
    t = type(v)
    if t is str:
        try:
            return parse_timestamp(v)
        except ValueError:
            raise DataError(f"cannot compare TIMESTAMP with text {v!r}") from None
    if t is _dt.date:
        return _dt.datetime(v.year, v.month, v.day)
    return v


def compare(a: Any, b: Any) -> Any:
    """-1, 0 or 1 comparing two values with SQLite's cross-type order; None if either is NULL."""
    if a is None or b is None:
        return None
    a, b, d = _align(a, b)
    if d:
        return -1 if d < 0 else 1
    return -1 if a < b else (1 if a > b else 0)


def eq(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return None if c is None else c == 0


def ne(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return None if c is None else c != 0


def lt(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return None if c is None else c < 0


def le(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return None if c is None else c <= 0


def gt(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return None if c is None else c > 0


def ge(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return None if c is None else c >= 0


def is_(a: Any, b: Any) -> bool:
    """``a IS b``: equality where NULL equals NULL."""
    if a is None or b is None:
        return a is None and b is None
    return compare(a, b) == 0


def in_values(x: Any, items: tuple) -> Any:
    """``x IN (items)`` with three-valued logic."""
    if x is None:
        return None if items else False
    saw_null = False
    for it in items:
        if it is None:
            saw_null = True
        elif compare(x, it) == 0:
            return True
    return None if saw_null else False


def in_set(x: Any, values: frozenset, has_null: bool) -> Any:
    """``x IN (...)`` against a precomputed set of same-class values."""
    if x is None:
        return None if (values or has_null) else False
    if x in values:
        return True
    return None if has_null else False


_RANK = {type(None): 0, int: 1, float: 1, bool: 1, str: 2, bytes: 3, _dt.date: 4, _dt.datetime: 5}


def sort_key(v: Any) -> tuple:
    """A key that orders any mix of values as SQLite does (NULLs first)."""
    r = _RANK.get(type(v), 6)
    if r == 4:
        return (4, _as_datetime(v))
    if r == 5:
        return (4, v)
    return (r, v)


# ---------------------------------------------------------------- arithmetic
def fit(x: Any) -> Any:
    """A computed number as SQL sees it: an integer beyond 64 bits is an error (as in
    PostgreSQL; the binder has typed the result INTEGER), a NaN is NULL (as in SQLite)."""
    if type(x) is int:
        if INT_MIN <= x <= INT_MAX:
            return x
        raise DataError("integer overflow")
    if x != x:
        return None
    return x


def num2(a: Any, b: Any) -> tuple[Any, Any]:
    return to_number(a), to_number(b)


def add(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = num2(a, b)
    return fit(a + b)


def sub(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = num2(a, b)
    return fit(a - b)


def mul(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = num2(a, b)
    return fit(a * b)


def div(a: Any, b: Any) -> Any:
    """SQLite division: integers truncate toward zero; division by zero is NULL."""
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    if not ((ta is int or ta is float) and (tb is int or tb is float)):
        a, b = num2(a, b)
        ta, tb = type(a), type(b)
    if not b:
        return None
    if ta is int and tb is int:
        q = abs(a) // abs(b)
        return fit(q if (a < 0) == (b < 0) else -q)
    return fit(a / b)


def mod(a: Any, b: Any) -> Any:
    """SQLite remainder: operands as integers, the sign of the dividend; by zero is NULL."""
    if a is None or b is None:
        return None
    a, b = num2(a, b)
    ia, ib = _trunc(a), _trunc(b)
    if ib == 0:
        return None
    r = abs(ia) % abs(ib)
    if ia < 0:
        r = -r
    if type(a) is float or type(b) is float:
        return float(r)
    return r


def _trunc(v: Any) -> int:
    if type(v) is float:
        if v != v:
            return 0
        if v >= 9.2233720368547758e18:
            return INT_MAX
        if v <= -9.2233720368547758e18:
            return INT_MIN
        return int(v)
    return int(v)


def neg(a: Any) -> Any:
    if a is None:
        return None
    return fit(-to_number(a))


def pos(a: Any) -> Any:
    return a


def _int_operands(a: Any, b: Any) -> tuple[int, int]:
    return _trunc(to_number(a)), _trunc(to_number(b))


def bit_and(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _int_operands(a, b)
    return a & b


def bit_or(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _int_operands(a, b)
    return a | b


def _wrap64(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


def shl(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _int_operands(a, b)
    if b < 0:
        return shr(a, -b)
    return 0 if b >= 64 else _wrap64(a << b)


def shr(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _int_operands(a, b)
    if b < 0:
        return shl(a, -b)
    return (-1 if a < 0 else 0) if b >= 64 else a >> b


def bit_not(a: Any) -> Any:
    if a is None:
        return None
    return ~_trunc(to_number(a))


def concat(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return to_text(a) + to_text(b)


# ---------------------------------------------------------------- LIKE and GLOB
_like_cache: dict[tuple, Any] = {}


def like_regex(pattern: str, escape: str | None = None, glob: bool = False):
    """Compile a LIKE (ASCII case-insensitive) or GLOB pattern to a regex.  Cached."""
    key = (pattern, escape, glob)
    rx = _like_cache.get(key)
    if rx is not None:
        return rx
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if not glob and escape is not None and c == escape:
            i += 1
            if i < n:
                out.append(re.escape(pattern[i]))
        elif not glob and c == "%" or glob and c == "*":
            out.append(".*")
        elif not glob and c == "_" or glob and c == "?":
            out.append(".")
        elif glob and c == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body.startswith("^"):
                    body = "^" + body[1:].replace("\\", "\\\\")
                else:
                    body = body.replace("\\", "\\\\")
                out.append("[" + body + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    flags = re.DOTALL | (0 if glob else re.IGNORECASE | re.ASCII)
    rx = re.compile("".join(out) + r"\Z", flags)
    if len(_like_cache) > 1000:
        _like_cache.clear()
    _like_cache[key] = rx
    return rx


def like(s: Any, pattern: Any, escape: Any = None) -> Any:
    """``s LIKE pattern [ESCAPE escape]``."""
    if s is None or pattern is None:
        return None
    if escape is not None and len(to_text(escape)) != 1:
        raise DataError("ESCAPE expression must be a single character")
    return like_regex(to_text(pattern), escape and to_text(escape)).match(to_text(s)) is not None


def glob(s: Any, pattern: Any) -> Any:
    """``s GLOB pattern`` (case-sensitive, ``*`` ``?`` ``[...]``)."""
    if s is None or pattern is None:
        return None
    return like_regex(to_text(pattern), None, True).match(to_text(s)) is not None


# ---------------------------------------------------------------- CAST
def cast_integer(v: Any) -> Any:
    t = type(v)
    if t is int or v is None:
        return v
    if t is float:
        return _trunc(v)
    if t is bool:
        return int(v)
    if t is str or t is bytes:
        s = v.decode("utf-8", "replace") if t is bytes else v
        m = _INT_PREFIX.match(s)
        if not m:
            return 0
        i = int(m.group(1))
        return max(INT_MIN, min(INT_MAX, i))
    raise DataError(f"cannot CAST {t.__name__} value {v!r} AS INTEGER")


def cast_real(v: Any) -> Any:
    t = type(v)
    if t is float or v is None:
        return v
    if t is int or t is bool:
        return float(v)
    if t is str or t is bytes:
        s = v.decode("utf-8", "replace") if t is bytes else v
        m = NUM_PREFIX.match(s)
        return float(m.group(1)) if m else 0.0
    raise DataError(f"cannot CAST {t.__name__} value {v!r} AS REAL")


def cast_numeric(v: Any) -> Any:
    """CAST AS NUMERIC: a number stays as it is (as in SQLite); text becomes an integer when
    its value is integral, else a real."""
    if v is None or type(v) is float:
        return v
    n = to_number(v)
    if type(n) is float and n.is_integer() and INT_MIN <= n <= INT_MAX:
        return int(n)
    return n


def cast_text(v: Any) -> Any:
    return to_text(v)


def cast_blob(v: Any) -> Any:
    if v is None or type(v) is bytes:
        return v
    return to_text(v).encode("utf-8")


def cast_boolean(v: Any) -> Any:
    if v is None or type(v) is bool:
        return v
    if type(v) is str and v.strip().lower() in ("true", "false", "t", "f", "yes", "no"):
        return v.strip().lower() in ("true", "t", "yes")
    return truth(v)


def cast_date(v: Any) -> Any:
    t = type(v)
    if v is None or t is _dt.date:
        return v
    if t is _dt.datetime:
        return v.date()
    if t is str:
        try:
            return _dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            raise DataError(f"cannot CAST {v!r} AS DATE") from None
    raise DataError(f"cannot CAST {t.__name__} value {v!r} AS DATE")


def cast_timestamp(v: Any) -> Any:
    t = type(v)
    if v is None or t is _dt.datetime:
        return v
    if t is _dt.date:
        return _dt.datetime(v.year, v.month, v.day)
    if t is str:
        try:
            return parse_timestamp(v)
        except ValueError:
            raise DataError(f"cannot CAST {v!r} AS TIMESTAMP") from None
    raise DataError(f"cannot CAST {t.__name__} value {v!r} AS TIMESTAMP")


def cast_any(v: Any) -> Any:
    return v


# ---------------------------------------------------------------- query helpers
num1 = to_number


def limit_value(v: Any) -> int:
    """A LIMIT/OFFSET operand as an integer (negative LIMIT means no limit)."""
    if v is None:
        return -1
    n = v
    if type(v) is str and NUM_PREFIX.fullmatch(v.strip()):
        n = to_number(v)  # '2' is fine; 'a' is not a number, not zero (SQLite agrees)
    if isinstance(n, int):
        return int(n)
    if type(n) is float and n.is_integer():
        return int(n)
    raise DataError(f"datatype mismatch: LIMIT/OFFSET must be an integer, not {v!r}")


def first_value(rows: list) -> Any:
    """A scalar subquery's value: the first column of its first row, or NULL."""
    return rows[0][0] if rows else None


def in_rows(x: Any, rows: list) -> Any:
    """``x IN (SELECT ...)`` with three-valued logic."""
    if x is None:
        return None if rows else False
    saw_null = False
    for r in rows:
        v = r[0]
        if v is None:
            saw_null = True
        elif compare(x, v) == 0:
            return True
    return None if saw_null else False


def union_all(a: list, b: list) -> list:
    return a + b


def union(a: list, b: list) -> list:
    return list(dict.fromkeys(a + b))


def except_(a: list, b: list) -> list:
    drop = set(b)
    return [r for r in dict.fromkeys(a) if r not in drop]


def intersect(a: list, b: list) -> list:
    keep = set(b)
    return [r for r in dict.fromkeys(a) if r in keep]


def sort_rows(buf: list, key, reverse: bool, fallback) -> None:
    """Sort (keys, row) pairs; values of mixed types fall back to SQLite's cross-type order."""
    try:
        buf.sort(key=key, reverse=reverse)
    except TypeError:
        buf.sort(key=fallback, reverse=reverse)


def row_set(rows: list) -> tuple[frozenset, bool]:
    """First-column values of a subquery result as a set, and whether NULL was among them."""
    values = {r[0] for r in rows}
    has_null = None in values
    values.discard(None)
    return frozenset(values), has_null


def top_count(limit: int, offset: int) -> int:
    """How many sorted rows a LIMIT/OFFSET needs (-1: all of them)."""
    return -1 if limit < 0 else limit + max(offset, 0)


def top_rows(buf: list, n: int, key, reverse: bool, fallback) -> list:
    """The first ``n`` (keys, row) pairs in sort order, by a heap when ``n`` is small."""
    if n < 0 or n >= len(buf):
        sort_rows(buf, key, reverse, fallback)
        return buf
    pick = heapq.nlargest if reverse else heapq.nsmallest
    try:
        return pick(n, buf, key=key)
    except TypeError:
        return pick(n, buf, key=fallback)


def expiry_after(ttl: Any, cache) -> Any:
    """The absolute expiry of a TTL in seconds (NULL: no expiry)."""
    if ttl is None:
        return None
    n = to_number(ttl) if type(ttl) not in (int, float) else ttl
    if type(n) not in (int, float):
        raise DataError(f"TTL must be a non-negative number of seconds, not {ttl!r}")
    return cache.expires_in(n)
