"""Rendering result sets as text: aligned tables and single values."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence


def render_value(v: Any, null: str = "NULL") -> str:
    """A value as the shell shows it: ``null`` for None, ISO dates, hex for blobs."""
    if v is None:
        return null
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


#: Border characters: (top, header rule, bottom) as (left, joint, right, fill), and the bar.
ASCII = ("+++-", "+++-", "+++-"), "|"
BOX = ("┌┬┐─", "├┼┤─", "└┴┘─"), "│"


def table_lines(
    names: Sequence[str], rows: Sequence[Sequence[Any]], null: str = "NULL", border=ASCII
) -> list[str]:
    """The bordered, aligned table of ``format_table`` as lines, without the count.

    ``border`` is ``ASCII`` (``+--+``) or ``BOX`` (Unicode box drawing, sqlite3's box mode).
    """
    cells = [[render_value(v, null) for v in row] for row in rows]
    widths = [len(n) for n in names]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    (top, mid, bottom), bar = border

    def rule(chars: str) -> str:
        left, joint, right, fill = chars[0], chars[1], chars[2], chars[3]
        return left + joint.join(fill * (w + 2) for w in widths) + right

    def line(parts) -> str:
        return f"{bar} " + f" {bar} ".join(parts) + f" {bar}"

    out = [rule(top), line(n.ljust(w) for n, w in zip(names, widths))]
    out.append(rule(mid) if rows or border is ASCII else rule(bottom))
    for raw, row in zip(rows, cells):
        out.append(
            line(c.rjust(w) if is_numeric(v) else c.ljust(w) for v, c, w in zip(raw, row, widths))
        )
    if rows:
        out.append(rule(bottom))
    return out
