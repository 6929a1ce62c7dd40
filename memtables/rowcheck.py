"""Row checking: the generated code that coerces a row to its table's column types and
enforces NOT NULL, and the CHECK constraints.

A table builds its checker once (``row_coercer``); the write path then pays one ``type()``
test per column for the common row whose values already have their columns' Python types.
The query layer uses ``needs_check`` and ``value_check`` to inline the same tests into the
code it compiles for ``UPDATE ... SET col = ...``.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from .catalog import Check, Column, Schema
from .errors import CheckViolation, DataError, NotNullViolation
from .types import INT_MAX, INT_MIN


def row_coercer(schema: Schema) -> Callable[[tuple], tuple]:
    """Generate the function that checks a row's length, types and NOT NULL constraints and
    returns the row in its stored form.

    The common case (every value already of its column's Python type) costs one ``type()``
    test per column; anything else goes through the type's check function. A NULL INTEGER
    PRIMARY KEY passes: the table assigns it.
    """
    cols = schema.columns
    ns: dict[str, Any] = {}
    names = [f"c{i}" for i in range(len(cols))]
    ns["bad_length"] = partial(_bad_length, schema.name, len(cols))
    lines = [
        "def coerce(row):",
        "    try:",
        f"        {', '.join(names)}{',' if len(cols) == 1 else ''} = row",
        "    except (ValueError, TypeError):",
        "        raise bad_length(row) from None",
    ]
    nullable_key = schema.integer_key and schema.primary_key[0]
    for i, col in enumerate(cols):
        v = names[i]
        ns[f"chk{i}"] = column_check(schema.name, col)
        if col.not_null and i is not nullable_key:
            msg = f"NOT NULL constraint failed: {schema.name}.{col.name}"
            ns[f"nn{i}"] = partial(NotNullViolation, msg)
            lines.append(f"    if {v} is None: raise nn{i}()")
        pytype = col.type.pytype
        if pytype is None:
            lines.append(f"    {v} = chk{i}({v})")
            continue
        ns[f"t{i}"] = pytype
        lines.append(f"    if {needs_check(col.type, v, f't{i}')}: {v} = chk{i}({v})")
    lines.append(f"    return ({', '.join(names)}{',' if len(cols) == 1 else ''})")
    exec(compile("\n".join(lines), f"<coerce {schema.name}>", "exec"), ns)
    return ns["coerce"]


def run_checks(checks: tuple[Check, ...], row: tuple) -> None:
    """Raise CheckViolation for the first CHECK constraint ``row`` fails (NULL passes, as
    in SQL)."""
    for check in checks:
        ok = check.predicate(row)
        if ok is not None and not ok:
            raise CheckViolation(f"CHECK constraint failed: {check.sql}")


def needs_check(sql_type, v: str, pytype: str) -> str:
    """Python source, true when the value in variable ``v`` must go through the column
    type's check function; ``pytype`` names the type's Python class.  Values of the right
    class pass with one test, except those types.py normalises (NaN, non-ASCII text that
    may hold a lone surrogate, aware timestamps) and integers beyond 64 bits."""
    test = f"type({v}) is not {pytype}"
    name = sql_type.name
    if name == "INTEGER":
        return f"{test} or not {INT_MIN} <= {v} <= {INT_MAX}"
    if name == "REAL":
        return f"{test} or {v} != {v}"
    if name == "TEXT":
        return f"{test} or not {v}.isascii()"
    if name == "TIMESTAMP":
        return f"{test} or {v}.tzinfo is not None or {v}.fold"
    return test


def value_check(schema: Schema, pos: int) -> Callable[[Any], Any]:
    """The check of one column's value (type and NOT NULL) that ``row_coercer`` applies."""
    col = schema.columns[pos]
    check = column_check(schema.name, col)
    if not col.not_null:
        return check
    msg = f"NOT NULL constraint failed: {schema.name}.{col.name}"

    def run(v):
        if v is None:
            raise NotNullViolation(msg)
        return check(v)

    return run


def column_check(table: str, col: Column) -> Callable[[Any], Any]:
    """The type check of ``col``, with the table and column named in its errors."""
    check = col.type.check

    def run(v):
        if v is None:
            return None
        try:
            return check(v)
        except DataError as e:
            raise DataError(f"{table}.{col.name}: {e}") from None

    return run


def _bad_length(table: str, n: int, row: Any) -> DataError:
    got = len(row) if hasattr(row, "__len__") else "a non-sequence of"
    return DataError(f"table {table} has {n} columns but {got} values were supplied")
