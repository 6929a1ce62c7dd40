"""Adapters and converters: sqlite3's two tables between Python types and stored values.

An adapter makes a parameter of a type memtables does not store into one it does; a
converter makes a result value into a Python object, for connections opened with
``detect_types`` (``PARSE_COLNAMES``: a column named ``"x [point]"`` goes through the
converter ``point`` and is described as ``x``; ``PARSE_DECLTYPES``: the converter named by
the column's type, first word). memtables keeps a column's type, not the words it was
declared with (``point`` is stored as INTEGER, by SQLite's affinity rules), so
``PARSE_DECLTYPES`` finds converters by memtables' type names (INTEGER, REAL, TEXT, BLOB,
BOOLEAN, DATE, TIMESTAMP) and applies to every result column of that type, computed ones
too. A converter receives the value as bytes, as in sqlite3 (text as UTF-8, numbers as
their decimal text, dates in ISO form, booleans as ``1``/``0``); NULL is never converted.

``register_adapter(type, fn)`` is sqlite3's: a process-wide table from an exact type to a
function returning int, float, str, bytes, bool, None, a date or a datetime. Values of the
plain types memtables stores itself (int, float, str, bytes, bool, None) are never adapted:
they skip this path entirely, so statements with them pay nothing for it.

Without an adapter, numpy scalars (``np.int64``, ``np.float64``, ``np.bool_``, ``np.str_``
... what pandas hands out) bind as their Python values; sqlite3 binds integer ones as raw
bytes, which is never what was meant. ``Decimal`` and ``uuid.UUID`` are refused, as sqlite3
refuses them: a Decimal as REAL would silently lose digits, and the right column type for a
UUID (TEXT, or BLOB of ``u.bytes``) is the application's choice; the error says how to make it.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

from .errors import OperationalError, ProgrammingError

PARSE_DECLTYPES = 1
PARSE_COLNAMES = 2

_ADAPTERS: dict[type, Callable[[Any], Any]] = {}
_CONVERTERS: dict[str, Callable[[bytes], Any]] = {}

_HINTS = {
    "Decimal": "register_adapter(decimal.Decimal, str) (exact) or float (REAL)",
    "UUID": "register_adapter(uuid.UUID, str) (TEXT) or lambda u: u.bytes (BLOB)",
}


def register_adapter(type_: type, adapter: Callable[[Any], Any], /) -> None:
    """Bind parameters of exactly ``type_`` as ``adapter(value)``, in every connection of the
    process, as sqlite3's ``register_adapter``. The plain types (int, float, str, bytes,
    bool, None) are stored as they are and never adapted."""
    if not isinstance(type_, type):
        raise ProgrammingError(f"register_adapter needs a type, not {type(type_).__name__}")
    if not callable(adapter):
        raise ProgrammingError(f"adapter must be callable, not {type(adapter).__name__}")
    _ADAPTERS[type_] = adapter


def adapted(v: Any, i: int) -> tuple[bool, Any]:
    """``(True, value)`` when parameter ``i`` (0-based) has an adapter, or is a numpy scalar
    (its Python value); ``(False, v)`` otherwise. An adapter's exception comes out as a
    ProgrammingError naming the parameter."""
    adapter = _ADAPTERS.get(type(v))
    if adapter is not None:
        try:
            return True, adapter(v)
        except Exception as e:
            raise ProgrammingError(
                f"error binding parameter {i + 1}: the adapter for {type(v).__name__} "
                f"raised {type(e).__name__}: {e}"
            ) from e
    if type(v).__module__ == "numpy" and hasattr(v, "item") and getattr(v, "ndim", None) == 0:
        return True, v.item()
    return False, v


def unsupported(v: Any, i: int) -> ProgrammingError:
    """The error for parameter ``i`` (0-based) of a type nothing can bind."""
    name = type(v).__name__
    hint = _HINTS.get(name)
    tail = f"; use memtables.{hint}" if hint else "; memtables.register_adapter can convert it"
    return ProgrammingError(
        f"error binding parameter {i + 1}: type {name!r} is not supported{tail}"
    )


def register_converter(typename: str, converter: Callable[[bytes], Any], /) -> None:
    """Convert result values of type ``typename`` (case-insensitive) with ``converter(bytes)``
    on connections opened with ``detect_types``, as sqlite3's ``register_converter``."""
    if not isinstance(typename, str):
        raise ProgrammingError(f"typename must be a str, not {type(typename).__name__}")
    if not callable(converter):
        raise ProgrammingError(f"converter must be callable, not {type(converter).__name__}")
    _CONVERTERS[typename.upper()] = converter


def check_detect_types(detect_types: Any) -> int:
    """``detect_types`` checked: 0 or a combination of PARSE_DECLTYPES and PARSE_COLNAMES."""
    if isinstance(detect_types, bool) or not isinstance(detect_types, int):
        raise ProgrammingError(f"detect_types must be an int, not {type(detect_types).__name__}")
    if detect_types & ~(PARSE_DECLTYPES | PARSE_COLNAMES) or detect_types < 0:
        raise ProgrammingError(
            "detect_types is 0 or a combination of PARSE_DECLTYPES and PARSE_COLNAMES"
        )
    return detect_types


def converted(detect_types: int, description: tuple, rows: list) -> tuple[tuple, list]:
    """A result's description and rows as ``detect_types`` asks: names without their
    ``[type]`` part (PARSE_COLNAMES), values through the converters found."""
    convs: list = []
    desc = []
    for d in description:
        name, conv = d[0], None
        if detect_types & PARSE_COLNAMES and "[" in name:
            head, _, rest = name.partition("[")
            conv = _CONVERTERS.get(rest.partition("]")[0].upper())
            name = head[:-1] if head.endswith(" ") else head
        if conv is None and detect_types & PARSE_DECLTYPES and d[1]:
            conv = _CONVERTERS.get(d[1].upper())
        convs.append(conv)
        desc.append((name,) + tuple(d[1:]))
    if not any(convs):
        return tuple(desc), rows
    pairs = list(enumerate(convs))
    return tuple(desc), [_row(row, pairs) for row in rows]


def _row(row: tuple, pairs: list) -> tuple:
    out = []
    for i, conv in pairs:
        v = row[i]
        if conv is not None and v is not None:
            try:
                v = conv(_as_bytes(v))
            except Exception as e:
                raise OperationalError(
                    f"converter for column {i + 1} raised {type(e).__name__}: {e}"
                ) from e
        out.append(v)
    return tuple(out)


def _as_bytes(v: Any) -> bytes:
    if isinstance(v, bytes):
        return v
    if isinstance(v, bool):
        return b"1" if v else b"0"
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ").encode()
    if isinstance(v, _dt.date):
        return v.isoformat().encode()
    if isinstance(v, float):
        return repr(v).encode()
    return str(v).encode("utf-8", "surrogatepass")
