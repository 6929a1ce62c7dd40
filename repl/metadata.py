"""What the shell knows about the database, read with SQL from the system tables.

``load`` fills the completion ``Metadata``; ``schema`` prints, for ``.schema``, the CREATE
statements the database itself renders in ``sys.schema``: the very text its redo log stores,
so nothing (CHECK, cache options, index order) is lost on the way.
"""

from __future__ import annotations

from typing import Any, Sequence

import memtables

from .completion import Metadata


def query(conn: memtables.Connection, sql: str, params: Sequence = ()) -> list[dict[str, Any]]:
    """Rows of ``sql`` as dicts keyed by column name."""
    cur = conn.execute(sql, tuple(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def load(conn: memtables.Connection, **extra: Any) -> Metadata:
    """Tables with their columns, views and indexes; ``extra`` passes on to ``Metadata``."""
    tables: dict[str, list[str]] = {
        r["name"]: [] for r in query(conn, "SELECT name FROM sys.tables")
    }
    for r in query(conn, "SELECT table_name, name FROM sys.columns ORDER BY table_name, position"):
        tables.setdefault(r["table_name"], []).append(r["name"])
    views = [r["name"] for r in query(conn, "SELECT name FROM sys.views")]
    indexes = [r["name"] for r in query(conn, "SELECT name FROM sys.indexes WHERE NOT implicit")]
    return Metadata(tables=tables, views=views, indexes=indexes, **extra)


def schema(conn: memtables.Connection, table: str | None = None) -> str:
    """The CREATE statements of one table (with its indexes and triggers) or view, or of
    every one."""
    sql, params = "SELECT sql FROM sys.schema", []
    if table is not None:
        sql, params = sql + " WHERE lower(table_name) = lower(?)", [table]
    rows = query(conn, sql, params)
    if table is not None and not rows:
        raise memtables.ProgrammingError(f"no such table: {table}")
    return "\n".join(r["sql"] + ";" for r in rows)
