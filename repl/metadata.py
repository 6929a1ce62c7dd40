"""What the shell knows about the database, read with SQL from the system tables.

``load`` fills the completion ``Metadata``; ``create_table_sql`` rebuilds a CREATE TABLE
statement (and its CREATE INDEX statements) from rows of ``sys.columns`` and ``sys.indexes``,
for ``.schema``.
"""

from __future__ import annotations

from typing import Any, Sequence

import memtables

from .completion import Metadata


def quote_name(name: str) -> str:
    """An identifier as SQL text, quoted unless it is a plain word that is no keyword.

    >>> quote_name("users"), quote_name("my table"), quote_name("primary")
    ('users', '"my table"', '"primary"')
    """
    return memtables.quote_identifier(name)


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


def create_table_sql(
    table: str, columns: Sequence[dict[str, Any]], indexes: Sequence[dict[str, Any]] = ()
) -> str:
    """CREATE TABLE (and CREATE INDEX) statements from ``sys.columns`` and ``sys.indexes`` rows.

    Implicit unique indexes come back as UNIQUE constraints; CHECK constraints and cache
    table options are not in the system tables and are left out.

    >>> cols = [
    ...     dict(name="id", type="INTEGER", not_null=True, default=None, primary_key=True),
    ...     dict(name="email", type="TEXT", not_null=False, default=None, primary_key=False),
    ...     dict(name="age", type="INTEGER", not_null=True, default="0", primary_key=False),
    ... ]
    >>> ixs = [
    ...     dict(name="u1", columns="email", unique=True, method="hash", implicit=True),
    ...     dict(name="by_age", columns="age", unique=False, method="sorted", implicit=False),
    ... ]
    >>> print(create_table_sql("users", cols, ixs))
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email TEXT UNIQUE,
        age INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX by_age ON users USING SORTED (age);
    """
    pk = [c["name"] for c in columns if c.get("primary_key")]
    implicit_unique = [ix["columns"] for ix in indexes if ix.get("implicit") and ix.get("unique")]
    lines = []
    for c in columns:
        parts = [quote_name(c["name"]), c["type"]]
        if len(pk) == 1 and c["name"] == pk[0]:
            parts.append("PRIMARY KEY")
        elif c.get("not_null") and c["name"] not in pk:
            parts.append("NOT NULL")
        if c["name"] in implicit_unique:
            parts.append("UNIQUE")
        if c.get("default") is not None:
            parts.append(f"DEFAULT {c['default']}")
        lines.append(" ".join(parts))
    if len(pk) > 1:
        lines.append(f"PRIMARY KEY ({', '.join(quote_name(n) for n in pk)})")
    names = {c["name"] for c in columns}
    for cols in implicit_unique:
        if cols not in names and cols != ", ".join(pk):
            lines.append(f"UNIQUE ({_names(cols)})")
    out = [f"CREATE TABLE {quote_name(table)} (\n    " + ",\n    ".join(lines) + "\n);"]
    for ix in indexes:
        if ix.get("implicit"):
            continue
        unique = "UNIQUE " if ix.get("unique") else ""
        out.append(
            f"CREATE {unique}INDEX {quote_name(ix['name'])} ON {quote_name(table)} "
            f"USING {str(ix['method']).upper()} ({_names(ix['columns'])});"
        )
    return "\n".join(out)


def _names(cols: str) -> str:
    return ", ".join(quote_name(c.strip()) for c in cols.split(","))


def schema(conn: memtables.Connection, table: str | None = None) -> str:
    """The CREATE statements of one table or view, or of every one."""
    tables = [r["name"] for r in query(conn, "SELECT name FROM sys.tables")]
    views = query(conn, "SELECT name, sql FROM sys.views")
    if table is not None:
        want = table.lower()
        tables = [t for t in tables if t.lower() == want]
        views = [v for v in views if v["name"].lower() == want]
        if not tables and not views:
            raise memtables.ProgrammingError(f"no such table: {table}")
    out = []
    for t in tables:
        cols = query(conn, "SELECT * FROM sys.columns WHERE table_name = ? ORDER BY position", [t])
        ixs = query(conn, "SELECT * FROM sys.indexes WHERE table_name = ?", [t])
        out.append(create_table_sql(t, cols, ixs))
    for v in views:
        out.append(f"CREATE VIEW {quote_name(v['name'])} AS {v['sql']};")
    return "\n".join(out)
