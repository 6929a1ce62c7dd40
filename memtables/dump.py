"""A database as an SQL script that rebuilds it: ``conn.iterdump()`` and the shell's ``.dump``.

The script is what sqlite3's ``iterdump`` gives: one transaction holding each table's CREATE
statement and its rows as INSERTs, then its indexes, then the views (each after the views it
reads), then the triggers (last, so that the INSERTs do not fire them). It reads everything through one snapshot of the connection, so it is consistent while
other connections write. What a dump does not carry: hidden rowids of tables without a primary
key (the rows get new ones), and the remaining TTL of cache-table rows (they are inserted
without one).
"""

from __future__ import annotations

import re
from typing import Iterator

_WORD = re.compile(r'\w+|"(?:[^"]|"")+"')
#: Rows fetched at a time, so a dump of a large table does not build it all at once.
BATCH = 1000


def iterdump(conn, table: str | None = None) -> Iterator[str]:
    """The statements that rebuild the database (or only ``table``), each ending in ``;``."""
    from .sql.render import literal, name

    # One snapshot for the whole dump: a transaction of our own unless one is open already.
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        yield from _statements(conn, table, literal, name)
    finally:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")


def _statements(conn, table, literal, name) -> Iterator[str]:
    schema = conn.execute("SELECT type, name, table_name, sql FROM sys.schema").fetchall()
    if table is not None:
        wanted = table.lower()
        schema = [r for r in schema if r[2].lower() == wanted]
    yield "BEGIN TRANSACTION;"
    for kind, obj, _, sql in schema:
        if kind != "table":
            continue
        yield sql + ";"
        cur = conn.execute(f"SELECT * FROM {name(obj)}")
        head = f"INSERT INTO {name(obj)} VALUES"
        while rows := cur.fetchmany(BATCH):
            for row in rows:
                yield f"{head}({','.join(literal(v) for v in row)});"
    for kind, _, _, sql in schema:
        if kind == "index":
            yield sql + ";"
    views = [(obj, sql) for kind, obj, _, sql in schema if kind == "view"]
    for sql in _dependency_order(views):
        yield sql + ";"
    for kind, _, _, sql in schema:
        if kind == "trigger":
            yield sql + ";"
    yield "COMMIT;"


def _dependency_order(views: list[tuple[str, str]]) -> list[str]:
    """View statements ordered so that each comes after the views its text names."""
    names = {v.lower() for v, _ in views}
    needs = {}
    for v, sql in views:
        words = {w.strip('"').replace('""', '"') for w in _WORD.findall(sql.lower())}
        needs[v.lower()] = (words & names) - {v.lower()}
    done: set[str] = set()
    out: list[str] = []
    pending = list(views)
    while pending:
        ready = [(v, s) for v, s in pending if needs[v.lower()] <= done] or pending[:1]
        for v, s in ready:
            out.append(s)
            done.add(v.lower())
        pending = [p for p in pending if p not in ready]
    return out


def ordered_schema(conn) -> list[tuple[str, str, str]]:
    """``(kind, name, sql)`` of every object, in the order a dump creates them: tables (cache
    tables too), indexes, views (each after the views it reads), triggers."""
    schema = conn.execute("SELECT type, name, sql FROM sys.schema").fetchall()
    views = [(obj, sql) for kind, obj, sql in schema if kind == "view"]
    view_names = {sql: obj for obj, sql in views}
    out = [r for r in schema if r[0] == "table"] + [r for r in schema if r[0] == "index"]
    out += [("view", view_names[sql], sql) for sql in _dependency_order(views)]
    return out + [r for r in schema if r[0] == "trigger"]
