"""Adapters: how a parameter of a type memtables does not store becomes one it does.

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

from typing import Any, Callable

from .errors import ProgrammingError

_ADAPTERS: dict[type, Callable[[Any], Any]] = {}

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
