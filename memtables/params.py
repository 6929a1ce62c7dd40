"""Statement parameters: checking and converting what a caller binds to ``?`` or ``:name``.

The hot path (a tuple of plain values of the right length) never comes here; everything
else does: dicts for named parameters, lists, bytearrays, dates, subclasses of the basic
types, and the values ``adapters.py`` converts (registered adapters, numpy scalars).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, Sequence

from .adapters import adapted, unsupported
from .errors import DataError, ProgrammingError
from .types import bind_value, plain_values

_PARAM_TYPES = frozenset({int, float, str, bytes, bool, type(None), _dt.date, _dt.datetime})


def adapt_params(stmt, params: Any) -> Sequence:
    """Check and convert parameters to the positional tuple the statement expects."""
    names = stmt.param_names
    if names is not None:
        if not isinstance(params, Mapping):
            raise ProgrammingError(
                "this statement uses named parameters (:name); pass a dict of values"
            )
        try:
            values = [params[n] for n in names]
        except KeyError as e:
            raise ProgrammingError(
                f"you did not supply a value for binding parameter :{e.args[0]}"
            ) from None
    else:
        if isinstance(params, Mapping):
            if stmt.n_params == 0:
                return ()  # like sqlite3, a dict is fine for a statement without parameters
            raise ProgrammingError(
                "this statement uses positional parameters (?); pass a sequence of values"
            )
        if isinstance(params, (str, bytes)) or not isinstance(params, (Sequence, list, tuple)):
            raise ProgrammingError(
                f"parameters must be a sequence (tuple or list), not {type(params).__name__}"
            )
        values = list(params)
        if len(values) != stmt.n_params:
            raise ProgrammingError(
                f"incorrect number of bindings supplied: the statement uses {stmt.n_params}, "
                f"and there are {len(values)} supplied"
            )
    for i, v in enumerate(values):
        if not plain_values((v,)):
            v = adapted(v, i)[1]  # a registered adapter first, as sqlite3; numpy scalars
            if type(v) not in _PARAM_TYPES:
                v = _adapt_value(v, i)
            try:
                values[i] = bind_value(v)
            except DataError as e:
                raise DataError(f"parameter {i + 1}: {e}") from None
    return tuple(values)


def _adapt_value(v: Any, i: int) -> Any:
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, _dt.datetime):
        return _dt.datetime.fromisoformat(v.isoformat())
    if isinstance(v, _dt.date):
        return _dt.date(v.year, v.month, v.day)
    if isinstance(v, _dt.time):
        return v.isoformat()
    for t in (bool, int, float, str, bytes):
        if isinstance(v, t):
            return t(v)
    raise unsupported(v, i)
