"""Rendering result sets as text: aligned tables and single values."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence


def render_value(v: Any) -> str:
    """A value as the shell shows it: NULL for None, ISO dates, hex for blobs."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, bytes):
        return "x'" + v.hex() + "'"
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v)


def is_numeric(v: Any) -> bool:
    """Numbers (not booleans) are right-aligned."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def format_table(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned table with a border, numbers right-aligned, and a row count line.

    >>> print(format_table(["id", "name"], [(1, "ada")]))
    +----+------+
    | id | name |
    +----+------+
    |  1 | ada  |
    +----+------+
    (1 row)
    """
    lines = table_lines(names, rows)
    n = len(rows)
    lines.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(lines)


def table_lines(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """The bordered, aligned table of ``format_table`` as lines, without the count."""
    cells = [[render_value(v) for v in row] for row in rows]
    widths = [len(n) for n in names]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [rule, "| " + " | ".join(n.ljust(w) for n, w in zip(names, widths)) + " |", rule]
    for raw, row in zip(rows, cells):
        parts = []
        for v, c, w in zip(raw, row, widths):
            parts.append(c.rjust(w) if is_numeric(v) else c.ljust(w))
        out.append("| " + " | ".join(parts) + " |")
    if rows:
        out.append(rule)
    return out
