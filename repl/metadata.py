"""What the shell knows about the database, read with SQL from the system tables.

``load`` fills the completion ``Metadata``; ``schema`` prints, for ``.schema``, the CREATE
statements the database itself renders (the ``ddl`` column of ``sys.tables``, ``sys.indexes``
and ``sys.views``): the very text its redo log stores, so nothing is lost on the way.
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
    """The CREATE statements of one table or view (with its indexes), or of every one."""
    where, params = "", []
    if table is not None:
        where, params = " WHERE lower(name) = lower(?)", [table]
    tables = query(conn, "SELECT name, ddl FROM sys.tables" + where, params)
    views = query(conn, "SELECT ddl FROM sys.views" + where, params)
    if table is not None and not tables and not views:
        raise memtables.ProgrammingError(f"no such table: {table}")
    out = []
    for t in tables:
        out.append(t["ddl"])
        ixs = query(
            conn, "SELECT ddl FROM sys.indexes WHERE table_name = ? AND NOT implicit", [t["name"]]
        )
        out.extend(ix["ddl"] for ix in ixs)
    out.extend(v["ddl"] for v in views)
    return "\n".join(s + ";" for s in out)
