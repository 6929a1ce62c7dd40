"""System tables (``sys.tables``, ``sys.columns``, ...) computed from the engine on read.

``sys.schema`` is memtables' ``sqlite_master``: one row per table, index, view and trigger
with the CREATE statement that recreates it, rendered exactly as the redo log stores it.
``sys.checks`` lists the CHECK constraints. ``sys.temp_schema`` is ``sqlite_temp_master``:
the same for the reading connection's TEMP objects; ``sys.temp_tables``, ``sys.temp_columns``,
``sys.temp_indexes`` and ``sys.temp_checks`` describe those objects as ``sys.tables``,
``sys.columns``, ``sys.indexes`` and ``sys.checks`` describe the database's own (the other
system tables describe the database's own objects only).

SQLite's own ``sqlite_master`` (``sqlite_schema``) and ``sqlite_temp_master`` are here too,
under keys no ``sys.`` name reaches, for the binder to find by their bare names
(``master.master_source``): the same objects with SQLite's columns, read-only.
"""

from __future__ import annotations

import time
from typing import Any

from ..types import BOOLEAN, INTEGER, REAL, TEXT
from .master import MASTER_COLUMNS, MASTER_KEYS, PRAGMA_FUNCTIONS
from .pragma_schema import master_rows, table_function
from .render import create_index_sql, create_table_sql, create_view_sql, type_sql

SCHEMA_COLUMNS = [("type", TEXT), ("name", TEXT), ("table_name", TEXT), ("sql", TEXT)]
TABLES_COLUMNS = [
    ("name", TEXT),
    ("kind", TEXT),
    ("rows", INTEGER),
    ("durable", BOOLEAN),
    ("primary_key", TEXT),
]
COLUMNS_COLUMNS = [
    ("table_name", TEXT),
    ("name", TEXT),
    ("position", INTEGER),
    ("type", TEXT),
    ("not_null", BOOLEAN),
    ("default", TEXT),
    ("primary_key", BOOLEAN),
    ("declared_type", TEXT),
]
INDEXES_COLUMNS = [
    ("name", TEXT),
    ("table_name", TEXT),
    ("columns", TEXT),
    ("unique", BOOLEAN),
    ("method", TEXT),
    ("implicit", BOOLEAN),
    ("constraint_name", TEXT),
]
CHECKS_COLUMNS = [("table_name", TEXT), ("name", TEXT), ("sql", TEXT)]


def schema_rows(cat) -> list:
    """One row per table, index, view and trigger of catalog ``cat``, with its CREATE
    statement.

    Each table is followed by its indexes, so the rows read as a script that rebuilds the
    catalog; an implicit index is part of its table's CREATE TABLE already.
    """
    out = []
    for t in sorted(cat.tables.values(), key=lambda t: t.name.lower()):
        out.append(("table", t.name, t.name, create_table_sql(t.schema)))
        for ix in t.indexes:
            if not ix.implicit:
                out.append(("index", ix.name, t.name, create_index_sql(ix, t)))
    for v in sorted(cat.views.values(), key=lambda v: v.name.lower()):
        out.append(("view", v.name, v.name, create_view_sql(v)))
    for trig in cat.triggers.values():  # last, in order of creation: they name tables
        out.append(("trigger", trig.name, trig.table, trig.sql))
    return out


def table_rows(cat, txn) -> list:
    """``sys.tables``: one row per table of catalog ``cat``, its row count as ``txn`` sees it."""
    out = []
    for t in sorted(cat.tables.values(), key=lambda t: t.name.lower()):
        pk = ", ".join(t.columns[i].name for i in t.schema.primary_key) or None
        kind = "cache" if getattr(t, "cache", None) is not None else "table"
        out.append((t.name, kind, t.count(txn), t.durable, pk))
    return out


def column_rows(cat) -> list:
    """``sys.columns``: one row per column of the tables of catalog ``cat``."""
    out = []
    for t in sorted(cat.tables.values(), key=lambda t: t.name.lower()):
        pk = set(t.schema.primary_key)
        for c in t.columns:
            out.append(
                (
                    t.name,
                    c.name,
                    c.position + 1,
                    c.type.name,
                    c.not_null,
                    c.default_sql,
                    c.position in pk,
                    type_sql(c),
                )
            )
    return out


def index_rows(cat) -> list:
    """``sys.indexes``: one row per index of the tables of catalog ``cat``."""
    out = []
    for t in sorted(cat.tables.values(), key=lambda t: t.name.lower()):
        for ix in t.indexes:
            cols = ", ".join(t.columns[i].name for i in ix.columns)
            constraint = getattr(ix, "constraint", None)
            out.append((ix.name, t.name, cols, ix.unique, ix.method, ix.implicit, constraint))
    return out


def check_rows(cat) -> list:
    """``sys.checks``: one row per CHECK constraint of the tables of catalog ``cat``."""
    out = []
    for t in sorted(cat.tables.values(), key=lambda t: t.name.lower()):
        for chk in t.schema.checks:
            out.append((t.name, chk.name, chk.sql))
    return out


def session_tables(systables: dict, catalog) -> dict:
    """``systables`` as a connection whose names are ``catalog`` reads them: with its own
    ``sys.temp_schema`` when it has temporary objects."""
    temp = catalog.temp
    if temp is None or not temp.has_objects():
        return systables
    session = {
        **systables,
        "temp_schema": (SCHEMA_COLUMNS, lambda txn: schema_rows(temp)),
        "temp_tables": (TABLES_COLUMNS, lambda txn: table_rows(temp, txn)),
        "temp_columns": (COLUMNS_COLUMNS, lambda txn: column_rows(temp)),
        "temp_indexes": (INDEXES_COLUMNS, lambda txn: index_rows(temp)),
        "temp_checks": (CHECKS_COLUMNS, lambda txn: check_rows(temp)),
        MASTER_KEYS["temp"]: (MASTER_COLUMNS, lambda txn: master_rows(temp)),
    }
    session[PRAGMA_FUNCTIONS] = lambda name: table_function(name, catalog, session)
    return session


def system_tables(engine) -> dict[str, Any]:
    """Name → (columns as (name, type), function of a transaction returning rows); and under
    ``master.PRAGMA_FUNCTIONS`` the factory of the pragma table functions."""
    cat = engine.catalog
    txns = engine.txns

    def tables(txn) -> list:
        return table_rows(cat, txn)

    def columns(txn) -> list:
        return column_rows(cat)

    def indexes(txn) -> list:
        return index_rows(cat)

    def views(txn) -> list:
        return [(v.name, v.sql) for v in sorted(cat.views.values(), key=lambda v: v.name.lower())]

    def schema(txn) -> list:
        return schema_rows(cat)

    def cache_stats(txn) -> list:
        out = []
        for t in sorted(cat.tables.values(), key=lambda t: t.name.lower()):
            c = t.cache
            if c is None:
                continue
            st = c.stats()
            out.append(
                (
                    t.name,
                    st["policy"],
                    st["rows"],
                    st["memory_bytes"],
                    st["max_rows"],
                    st["max_memory"],
                    st["hits"],
                    st["misses"],
                    st["hit_rate"],
                    st["evictions"],
                    st["expirations"],
                )
            )
        return out

    def transactions(txn) -> list:
        now = time.time()
        out = []
        for t in sorted(list(txns.active.values()), key=lambda t: t.id):
            writes = len(t.log) // 5
            out.append((t.id, t.ts, t.isolation, writes, round(now - t.started, 6), t is txn))
        return out

    def stats(txn) -> list:
        out = [
            ("commits", txns.commits),
            ("aborts", txns.aborts),
            ("serialization_failures", txns.conflicts),
            ("active_transactions", len(txns.active)),
            ("clock", txns.clock),
            ("pending_garbage", txns.pending_garbage),
            ("tables", len(cat.tables)),
        ]
        for name, value in getattr(engine, "extra_stats", lambda: [])():
            out.append((name, value))
        return out

    found = {
        "tables": (TABLES_COLUMNS, tables),
        "columns": (COLUMNS_COLUMNS, columns),
        "indexes": (INDEXES_COLUMNS, indexes),
        "views": ([("name", TEXT), ("sql", TEXT)], views),
        "schema": (SCHEMA_COLUMNS, schema),
        "temp_schema": (SCHEMA_COLUMNS, lambda txn: []),
        "temp_tables": (TABLES_COLUMNS, lambda txn: []),
        "temp_columns": (COLUMNS_COLUMNS, lambda txn: []),
        "temp_indexes": (INDEXES_COLUMNS, lambda txn: []),
        "checks": (CHECKS_COLUMNS, lambda txn: check_rows(cat)),
        "temp_checks": (CHECKS_COLUMNS, lambda txn: []),
        MASTER_KEYS["main"]: (MASTER_COLUMNS, lambda txn: master_rows(cat)),
        MASTER_KEYS["temp"]: (MASTER_COLUMNS, lambda txn: []),
        "stats": ([("name", TEXT), ("value", INTEGER)], stats),
        "cache_stats": (
            [
                ("name", TEXT),
                ("policy", TEXT),
                ("rows", INTEGER),
                ("memory_bytes", INTEGER),
                ("max_rows", INTEGER),
                ("max_memory", INTEGER),
                ("hits", INTEGER),
                ("misses", INTEGER),
                ("hit_rate", REAL),
                ("evictions", INTEGER),
                ("expirations", INTEGER),
            ],
            cache_stats,
        ),
        "transactions": (
            [
                ("id", INTEGER),
                ("snapshot", INTEGER),
                ("isolation", TEXT),
                ("writes", INTEGER),
                ("age_seconds", REAL),
                ("current", BOOLEAN),
            ],
            transactions,
        ),
    }
    # a statement without temporary objects in reach may serve every connection: the
    # pragma functions it binds see the main catalog only (``session_tables`` gives a
    # connection with temporary objects its own)
    found[PRAGMA_FUNCTIONS] = lambda name: table_function(name, cat, found)
    return found
