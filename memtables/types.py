"""Column types and strict value checking.

A value that does not fit its column's type raises ``DataError``. Conversions that lose
nothing are allowed: integers widen to REAL, an integral REAL or a bool fits INTEGER, an ISO
string fits DATE and TIMESTAMP. Text never turns into a number or back.

Three values are normalised on the way in, wherever they come from, because each breaks
ordering or export once stored: a float NaN becomes NULL (as in SQLite: NaN equals nothing, so
it would defeat keys, UNIQUE and sorted indexes); a timezone-aware datetime becomes naive UTC
(aware and naive datetimes cannot be compared); text holding a lone surrogate is refused (it
cannot be encoded as UTF-8, so it could never be exported, hashed or checkpointed).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

from .errors import DataError, ProgrammingError

INT_MIN = -(1 << 63)
INT_MAX = (1 << 63) - 1


class SqlType:
    """A column type: its name, the Python type of its values and the checking function."""

    __slots__ = ("name", "pytype", "check", "numeric")

    def __init__(self, name: str, pytype: type | None, check: Callable[[Any], Any], numeric: bool):
        self.name = name
        self.pytype = pytype
        self.check = check
        self.numeric = numeric

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self):
        return (by_name, (self.name,))


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({type(value).__name__})"


def _bad(value: Any, type_name: str) -> DataError:
    return DataError(f"value {_describe(value)} does not fit type {type_name}")


def check_integer(v: Any) -> Any:
    """Return ``v`` as an INTEGER value or raise DataError."""
    t = type(v)
    if t is int:
        if INT_MIN <= v <= INT_MAX:
            return v
        raise DataError(f"integer {v} out of range for INTEGER (64-bit)")
    if v is None:
        return None
    if t is bool:
        return int(v)
    if t is float and v.is_integer() and INT_MIN <= v <= INT_MAX:
        return int(v)
    raise _bad(v, "INTEGER")


def check_real(v: Any) -> Any:
    """Return ``v`` as a REAL value (integers widen; NaN is NULL) or raise DataError."""
    t = type(v)
    if t is float:
        return None if v != v else v
    if v is None:
        return v
    if t is int or t is bool:
        return float(v)
    raise _bad(v, "REAL")


def valid_text(s: str) -> str:
    """Return ``s`` if it is valid Unicode text (no lone surrogate), else raise DataError.

    O(1) for ASCII text, O(n) otherwise.
    """
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise DataError(
            f"not valid Unicode text: lone surrogate {s[e.start]!r} at position {e.start}"
        ) from None
    return s


def check_text(v: Any) -> Any:
    """Return ``v`` if it is a valid string (or NULL), else raise DataError."""
    if type(v) is str:
        return valid_text(v)
    if v is None:
        return v
    if isinstance(v, str):
        return valid_text(str(v))
    raise _bad(v, "TEXT")


def check_boolean(v: Any) -> Any:
    """Return ``v`` as a bool; 0 and 1 are accepted as false and true."""
    if type(v) is bool or v is None:
        return v
    if type(v) is int and v in (0, 1):
        return bool(v)
    raise _bad(v, "BOOLEAN")


def check_blob(v: Any) -> Any:
    """Return ``v`` as bytes or raise DataError."""
    if type(v) is bytes or v is None:
        return v
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    raise _bad(v, "BLOB")


def check_date(v: Any) -> Any:
    """Return ``v`` as a ``datetime.date``; ISO strings are parsed."""
    t = type(v)
    if t is _dt.date or v is None:
        return v
    if t is str:
        try:
            return _dt.date.fromisoformat(v.strip())
        except ValueError:
            raise DataError(f"invalid DATE literal {v!r} (expected YYYY-MM-DD)") from None
    if t is _dt.datetime and v.time() == _dt.time() and v.tzinfo is None:
        return v.date()
    raise _bad(v, "DATE")


def naive_utc(v: _dt.datetime) -> _dt.datetime:
    """A datetime as stored: aware ones converted to UTC and made naive, naive ones as is
    (``fold`` cleared: it means nothing without a zone, and a reopen would not keep it)."""
    if v.tzinfo is None:
        return v.replace(fold=0) if v.fold else v
    try:
        return v.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    except OverflowError:  # e.g. 0001-01-01 00:00+01:00 lies before datetime.min in UTC
        raise DataError(f"timestamp {v.isoformat()} is out of range in UTC") from None


def parse_timestamp(s: str) -> _dt.datetime:
    """An ISO timestamp (an offset is converted to naive UTC); ValueError if malformed."""
    return naive_utc(_dt.datetime.fromisoformat(s.strip()))


def check_timestamp(v: Any) -> Any:
    """Return ``v`` as a naive ``datetime.datetime``: aware ones become UTC, dates become
    midnight, ISO strings are parsed."""
    t = type(v)
    if t is _dt.datetime:
        return naive_utc(v)
    if v is None:
        return v
    if t is str:
        try:
            return parse_timestamp(v)
        except ValueError:
            raise DataError(
                f"invalid TIMESTAMP literal {v!r} (expected YYYY-MM-DD[ HH:MM:SS[.ffffff]])"
            ) from None
    if t is _dt.date:
        return _dt.datetime(v.year, v.month, v.day)
    raise _bad(v, "TIMESTAMP")


_ANY_TYPES = (int, float, str, bytes, bool, _dt.date, _dt.datetime, type(None))


def check_any(v: Any) -> Any:
    """Accept any value memtables can store, normalised as the typed columns do."""
    t = type(v)
    if t in _ANY_TYPES:
        if t is int:
            if not INT_MIN <= v <= INT_MAX:
                raise DataError(f"integer {v} out of range (64-bit)")
        elif t is float:
            return None if v != v else v
        elif t is str:
            return valid_text(v)
        elif t is _dt.datetime:
            return naive_utc(v)
        return v
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    raise DataError(f"unsupported value {_describe(v)}")


def plain_values(values: Any) -> bool:
    """True when every parameter value can be used as it is; False when one needs
    ``bind_value`` (or is of another type).  O(n) plus the length of non-ASCII text."""
    for v in values:
        t = type(v)
        if t is int:
            if not INT_MIN <= v <= INT_MAX:
                return False
        elif t is str:
            if not v.isascii():
                try:
                    v.encode("utf-8")  # cheaper here than the adapting path
                except UnicodeEncodeError:
                    return False
        elif t is float:
            if v != v:
                return False
        elif t is _dt.datetime:
            if v.tzinfo is not None or v.fold:
                return False
        elif t not in _ANY_TYPES:
            return False
    return True


def bind_value(v: Any) -> Any:
    """A parameter value of a plain type as statements see it: NaN is NULL, aware datetimes
    are naive UTC, lone surrogates and integers beyond 64 bits are refused (DataError)."""
    return check_any(v)


INTEGER = SqlType("INTEGER", int, check_integer, True)
REAL = SqlType("REAL", float, check_real, True)
TEXT = SqlType("TEXT", str, check_text, False)
BOOLEAN = SqlType("BOOLEAN", bool, check_boolean, True)
BLOB = SqlType("BLOB", bytes, check_blob, False)
DATE = SqlType("DATE", _dt.date, check_date, False)
TIMESTAMP = SqlType("TIMESTAMP", _dt.datetime, check_timestamp, False)
ANY = SqlType("ANY", None, check_any, False)

ALL_TYPES = (INTEGER, REAL, TEXT, BOOLEAN, BLOB, DATE, TIMESTAMP, ANY)
_BY_NAME = {t.name: t for t in ALL_TYPES}


def by_name(name: str) -> SqlType:
    """The type object of a canonical type name."""
    return _BY_NAME[name]


def type_from_name(name: str) -> SqlType:
    """Map a declared type (``VARCHAR(20)``, ``BIGINT``, ``DOUBLE PRECISION`` ...) to a type.

    The rules follow SQLite's affinity rules, with DATE, TIMESTAMP and BOOLEAN kept as their
    own types.
    """
    up = " ".join(name.upper().split())
    base = up.split("(")[0].strip()
    if base in _BY_NAME:
        return _BY_NAME[base]
    if base in ("BOOL",):
        return BOOLEAN
    if base in ("DATETIME", "TIMESTAMP WITHOUT TIME ZONE"):
        return TIMESTAMP
    if "INT" in base:
        return INTEGER
    if "CHAR" in base or "CLOB" in base or "TEXT" in base or base in ("STRING", "UUID", "JSON"):
        return TEXT
    if "BLOB" in base or base in ("BYTEA", "BINARY", "VARBINARY", "BYTES"):
        return BLOB
    if any(w in base for w in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
        return REAL
    raise ProgrammingError(f"unknown type name {name!r}")


def type_of_value(v: Any) -> SqlType | None:
    """The natural type of a Python value (None for NULL)."""
    return _PY_TO_TYPE.get(type(v))


_PY_TO_TYPE = {
    int: INTEGER,
    float: REAL,
    str: TEXT,
    bool: BOOLEAN,
    bytes: BLOB,
    _dt.date: DATE,
    _dt.datetime: TIMESTAMP,
}
