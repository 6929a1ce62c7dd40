"""CSV import and export through the DB-API, for ``.import`` and ``.export``.

Both take a ``progress`` wrapper (iterable, total, label) -> iterable, so the shell can show a
progress bar on a terminal while tests and scripts pass nothing.
"""

from __future__ import annotations

import csv
import datetime as _dt
from typing import Any, Callable, Iterable, Sequence

import memtables

from .metadata import query
from .output import csv_value

Progress = Callable[[Iterable, int, str], Iterable]
BATCH = 500


def no_progress(items: Iterable, total: int, label: str) -> Iterable:
    """The progress wrapper that shows nothing."""
    return items


_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"0", "f", "false", "n", "no", "off"}


def convert(text: str, type_name: str) -> Any:
    """A CSV field as a value for a column of ``type_name``; empty means NULL except for TEXT.

    Fields that do not convert are passed on as text, so the database names the column and
    the value in its error.

    >>> convert("42", "INTEGER"), convert("", "INTEGER"), convert("yes", "BOOLEAN")
    (42, None, True)
    >>> convert("", "TEXT"), convert("x'00ff'", "BLOB"), convert("1.5", "REAL")
    ('', b'\\x00\\xff', 1.5)
    """
    t = type_name.upper()
    if t == "TEXT":
        return text
    if text == "":
        return None
    try:
        if t == "INTEGER":
            return int(text)
        if t == "REAL":
            return float(text)
        if t == "BOOLEAN":
            low = text.strip().lower()
            return True if low in _TRUE else False if low in _FALSE else text
        if t == "BLOB":
            h = text[2:-1] if text[:2].lower() == "x'" and text.endswith("'") else text
            return bytes.fromhex(h)
        if t == "DATE":
            return _dt.date.fromisoformat(text)
        if t == "TIMESTAMP":
            return _dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return text


def _table_columns(conn: memtables.Connection, table: str) -> list[dict[str, Any]] | None:
    want = table.lower()
    names = [r["name"] for r in query(conn, "SELECT name FROM sys.tables")]
    match = [n for n in names if n.lower() == want]
    if not match:
        return None
    sql = "SELECT name, type FROM sys.columns WHERE table_name = ? ORDER BY position"
    return query(conn, sql, [match[0]])


def _target(
    conn: memtables.Connection, table: str, header: Sequence[str]
) -> tuple[str, list[str], bool]:
    """The INSERT statement for ``header``, the column types, and whether the table is new."""
    cols = _table_columns(conn, table)
    if cols is None:
        if not header or any(not h.strip() for h in header):
            raise memtables.ProgrammingError("the CSV header needs a name for every column")
        defs = ", ".join(f"{memtables.quote_identifier(h.strip())} TEXT" for h in header)
        conn.execute(f"CREATE TABLE {memtables.quote_identifier(table)} ({defs})")
        cols = [{"name": h.strip(), "type": "TEXT"} for h in header]
        created = True
    else:
        created = False
    by_name = {c["name"].lower(): c for c in cols}
    if all(h.strip().lower() in by_name for h in header):
        chosen = [by_name[h.strip().lower()] for h in header]
    elif len(header) == len(cols):
        chosen = cols  # a header that does not name the columns: match by position
    else:
        raise memtables.ProgrammingError(
            f"the CSV has {len(header)} columns, table {table} has {len(cols)}, "
            "and the header does not name its columns"
        )
    names = ", ".join(memtables.quote_identifier(c["name"]) for c in chosen)
    marks = ", ".join("?" * len(chosen))
    sql = f"INSERT INTO {memtables.quote_identifier(table)} ({names}) VALUES ({marks})"
    return sql, [c["type"] for c in chosen], created


def import_csv(
    conn: memtables.Connection, path: str, table: str, progress: Progress = no_progress
) -> tuple[int, bool]:
    """Insert the rows of the CSV file at ``path`` into ``table`` (created with TEXT columns
    named by the header when missing); returns (rows inserted, whether the table was created).

    It all happens in one transaction (or inside the one already open), so a bad row leaves
    nothing behind.
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise memtables.ProgrammingError(f"{path} is empty: no header line")
    header, body = rows[0], rows[1:]
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        sql, types, created = _target(conn, table, header)
        n = 0
        batch: list[list[Any]] = []
        for i, row in enumerate(progress(body, len(body), f"import {table}"), start=2):
            if len(row) != len(types):
                if not any(row):
                    continue  # a blank line
                raise memtables.DataError(
                    f"{path} line {i}: {len(row)} fields, expected {len(types)}"
                )
            batch.append([convert(v, t) for v, t in zip(row, types)])
            if len(batch) >= BATCH:
                n += _insert(conn, sql, batch, path, i - len(batch) + 1, own)
                batch = []
        n += _insert(conn, sql, batch, path, len(body) + 2 - len(batch), own)
    except BaseException:
        if own:
            conn.rollback()
        raise
    if own:
        conn.commit()
    return n, created


def _insert(
    conn: memtables.Connection, sql: str, batch: list, path: str, first: int, blame: bool
) -> int:
    """Insert a batch; on an error name the line (found by retrying row by row, which is
    only safe when the whole import is rolled back afterwards)."""
    if not batch:
        return 0
    try:
        conn.executemany(sql, batch)
    except memtables.DatabaseError as e:
        if blame:
            for j, row in enumerate(batch):
                try:
                    conn.execute(sql, row)
                except memtables.DatabaseError:
                    raise type(e)(f"{path} line {first + j}: {e}") from None
        last = first + len(batch) - 1
        raise type(e)(f"{path} lines {first}-{last}: {e}") from None
    return len(batch)


def export_csv(
    conn: memtables.Connection, table: str, path: str, progress: Progress = no_progress
) -> int:
    """Write ``table`` (a header line, then its rows) to the CSV file at ``path``; returns
    the number of rows written."""
    cur = conn.execute(f"SELECT * FROM {memtables.quote_identifier(table)}")
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(names)
        for row in progress(rows, len(rows), f"export {table}"):
            w.writerow([csv_value(v) for v in row])
    return len(rows)
