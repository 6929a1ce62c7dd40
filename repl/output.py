"""Output modes of the shell: table, box, csv, json, markdown, line, list and tabs.

Every renderer takes column names, rows and a ``Style`` (headers on or off, the list
separator, the text for NULL) and returns text without a trailing newline; the shell adds the
row count, timing and the note about rows left out.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import memtables

from .format import BOX, is_numeric, render_value, table_lines


@dataclass(frozen=True)
class Style:
    """What ``.headers``, ``.separator`` and ``.nullvalue`` set.

    ``nullvalue`` None keeps each mode's own: ``NULL`` in the drawn modes, empty in csv, list
    and tabs (as sqlite3). ``headers`` applies to csv, list and tabs; tables always have one.
    """

    headers: bool = True
    separator: str = "|"
    nullvalue: str | None = None

    def null(self, default: str) -> str:
        return default if self.nullvalue is None else self.nullvalue


PLAIN = Style()

Renderer = Callable[[Sequence[str], Sequence[Sequence[Any]], Style], str]


def csv_value(v: Any, null: str = "") -> str:
    """A value as a CSV field: empty for NULL, hex for blobs, ISO dates."""
    if v is None:
        return null
    if isinstance(v, bytes):
        return v.hex()
    return render_value(v)


def json_value(v: Any) -> Any:
    """A value JSON can hold: numbers, strings, booleans and null stay; others become text."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, (_dt.date, _dt.datetime)):
        return render_value(v)
    return str(v)


def render_table(names: Sequence[str], rows: Sequence[Sequence[Any]], style=PLAIN) -> str:
    """Bordered and aligned, numbers to the right."""
    return "\n".join(table_lines(names, rows, style.null("NULL")))


def render_box(names: Sequence[str], rows: Sequence[Sequence[Any]], style=PLAIN) -> str:
    """As ``table``, drawn with Unicode box characters (sqlite3's and DuckDB's look)."""
    return "\n".join(table_lines(names, rows, style.null("NULL"), BOX))


def render_csv(names: Sequence[str], rows: Sequence[Sequence[Any]], style=PLAIN) -> str:
    """A header line (unless headers are off), then one line per row (RFC 4180 quoting).

    >>> print(render_csv(["a", "b"], [(1, "x,y"), (None, True)]))
    a,b
    1,"x,y"
    ,true
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if style.headers:
        w.writerow(names)
    null = style.null("")
    for row in rows:
        w.writerow([csv_value(v, null) for v in row])
    return buf.getvalue().rstrip("\n")


def render_list(names: Sequence[str], rows: Sequence[Sequence[Any]], style=PLAIN) -> str:
    """Values joined by the separator (``|`` unless ``.separator`` says otherwise), no quoting:
    sqlite3's list mode.

    >>> print(render_list(["a", "b"], [(1, None)], Style(separator=",")))
    a,b
    1,
    """
    null, sep = style.null(""), style.separator
    lines = [sep.join(names)] if style.headers else []
    lines += [sep.join(csv_value(v, null) for v in row) for row in rows]
    return "\n".join(lines)


def render_tabs(names: Sequence[str], rows: Sequence[Sequence[Any]], style=PLAIN) -> str:
    """As ``list``, separated by tabs."""
    return render_list(names, rows, Style(style.headers, "\t", style.nullvalue))


def render_json(names: Sequence[str], rows: Sequence[Sequence[Any]], style=PLAIN) -> str:
    """A JSON array with one object per row, one row per line.

    >>> print(render_json(["a", "b"], [(1, None), (2, "x")]))
    [{"a": 1, "b": null},
     {"a": 2, "b": "x"}]
    """
    objs = [
        json.dumps({n: json_value(v) for n, v in zip(names, row)}, ensure_ascii=False)
        for row in rows
    ]
    return "[" + ",\n ".join(objs) + "]"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(names: Sequence[str], rows: Sequence[Sequence[Any]], style=PLAIN) -> str:
    """A GitHub-flavoured Markdown table; numeric columns are right-aligned.

    >>> print(render_markdown(["id", "name"], [(1, "a|b")]))
    | id  | name |
    |----:|------|
    |   1 | a\\|b |
    """
    null = style.null("NULL")
    cells = [[_md(render_value(v, null)) for v in row] for row in rows]
    heads = [_md(n) for n in names]
    widths = [max(3, len(h)) for h in heads]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    right = [
        bool(rows) and all(is_numeric(r[i]) or r[i] is None for r in rows)
        for i in range(len(names))
    ]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(heads, widths)) + " |"]
    out.append(
        "|"
        + "|".join(("-" * (w + 1) + ":") if r else "-" * (w + 2) for w, r in zip(widths, right))
        + "|"
    )
    for row in cells:
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right)]
        out.append("| " + " | ".join(parts) + " |")
    return "\n".join(out)


def render_line(names: Sequence[str], rows: Sequence[Sequence[Any]], style=PLAIN) -> str:
    """One ``name = value`` line per column, a blank line between rows (sqlite3's line mode).

    >>> print(render_line(["id", "name"], [(1, "ada"), (2, None)]))
      id = 1
    name = ada
    <BLANKLINE>
      id = 2
    name = NULL
    """
    width = max((len(n) for n in names), default=0)
    blocks = [
        "\n".join(
            f"{n.rjust(width)} = {render_value(v, style.null('NULL'))}" for n, v in zip(names, row)
        )
        for row in rows
    ]
    return "\n\n".join(blocks)


MODES: dict[str, Renderer] = {
    "table": render_table,
    "box": render_box,
    "csv": render_csv,
    "json": render_json,
    "markdown": render_markdown,
    "line": render_line,
    "list": render_list,
    "tabs": render_tabs,
}

#: Modes whose output is data to copy elsewhere: no row count or timing under it.
BARE_MODES = frozenset({"csv", "json", "list", "tabs"})


def error_line(e: BaseException) -> str:
    """One readable line for an error (a syntax error keeps its caret excerpt below it).

    Exceptions that are not memtables errors (or file errors) are bugs: named as internal.

    >>> error_line(memtables.UndefinedTable("no such table: t"))
    'Error (UndefinedTable): no such table: t'
    """
    name = type(e).__name__
    if isinstance(e, memtables.Error):
        return f"Error ({name}): {e}"
    if isinstance(e, OSError) and e.strerror:
        return f"Error: {e.strerror}" + (f": {e.filename}" if e.filename else "")
    return f"Error (internal {name}): {e}"


def plural(n: int, word: str = "row") -> str:
    """``1 row``, ``2 rows``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_duration(seconds: float) -> str:
    """A short human duration.

    >>> format_duration(0.00042), format_duration(0.0123), format_duration(2.5)
    ('0.42 ms', '12.3 ms', '2.500 s')
    """
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.3f} s"


def render_result(
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    mode: str = "table",
    maxrows: int = 0,
    elapsed: float | None = None,
    style: Style = PLAIN,
) -> str:
    """A result set in ``mode``, cut to ``maxrows`` rows (0: all) with a note, and a footer
    with the row count and (when ``elapsed`` is given) the time taken."""
    total = len(rows)
    shown = rows[:maxrows] if maxrows and total > maxrows else rows
    parts = [MODES[mode](names, shown, style)]
    if len(shown) < total:
        parts.append(
            f"(showing the first {plural(len(shown))} of {total}; "
            f"'.maxrows N' changes the limit, '.maxrows 0' shows all)"
        )
    if mode not in BARE_MODES:  # csv and json print only the data, ready to copy
        footer = plural(total) + (f", {format_duration(elapsed)}" if elapsed is not None else "")
        parts.append(f"({footer})")
    return "\n".join(p for p in parts if p)
