"""The schema as SQLite's PRAGMAs and ``sqlite_master`` describe it.

Tools written for sqlite3 (pandas' fallback, SQLAlchemy's sqlite dialect, migration scripts)
read ``PRAGMA table_info``, ``index_list`` and ``sqlite_master``; these functions give them
rows shaped and valued as SQLite gives them for the CREATE statements memtables renders
(``sys.schema``). SQLite keeps an automatic index for a PRIMARY KEY that is not an INTEGER
PRIMARY KEY and for each UNIQUE constraint, named ``sqlite_autoindex_<table>_<n>``;
memtables enforces those constraints otherwise, so ``auto_indexes`` makes up the same
entries, numbered in the order the rendered CREATE TABLE lists the constraints (primary key
first).
"""

from __future__ import annotations

from typing import NamedTuple

from . import bound as B
from .binder import bind_select
from .master import pragma_side
from .parser import parse_one
from .render import create_index_sql, create_table_sql, create_view_sql

_TABLE_INFO = ("cid", "name", "type", "notnull", "dflt_value", "pk")
#: the schema pragmas and their columns, as SQLite names them
COLUMNS = {
    "table_info": _TABLE_INFO,
    "table_xinfo": _TABLE_INFO + ("hidden",),
    "index_list": ("seq", "name", "unique", "origin", "partial"),
    "index_info": ("seqno", "cid", "name"),
    "index_xinfo": ("seqno", "cid", "name", "desc", "coll", "key"),
    "foreign_key_list": ("id", "seq", "table", "from", "to", "on_update", "on_delete", "match"),
    "table_list": ("schema", "name", "type", "ncol", "wr", "strict"),
    "database_list": ("seq", "name", "file"),
}


class IndexEntry(NamedTuple):
    """One index as SQLite lists it: ``origin`` is 'c' (CREATE INDEX), 'u' (UNIQUE) or
    'pk'; ``columns`` are positions, ``descending`` one flag per column."""

    name: str
    table: object
    columns: tuple
    descending: tuple
    unique: bool
    origin: str
    sql: str | None


def declared_type(sql_type) -> str:
    """A column type as SQLite reports it: a column without one (memtables' ANY) is ''."""
    if sql_type is None or sql_type.name == "ANY":
        return ""
    return sql_type.name


def auto_indexes(table) -> list[IndexEntry]:
    """The indexes SQLite would create itself for ``table``'s PRIMARY KEY and UNIQUE
    constraints, in order of creation. An INTEGER PRIMARY KEY is the rowid (no index; a
    UNIQUE on it still gets one), and a constraint on the same columns as an earlier one
    shares its index."""
    schema = table.schema
    out: list[IndexEntry] = []
    seen: set[tuple] = set()
    pk = tuple(schema.primary_key)
    if pk and not schema.integer_key:
        seen.add(pk)
        out.append(_auto(table, len(out) + 1, pk, "pk"))
    for cols in schema.uniques:
        if tuple(cols) not in seen:
            seen.add(tuple(cols))
            out.append(_auto(table, len(out) + 1, tuple(cols), "u"))
    return out


def _auto(table, n: int, cols: tuple, origin: str) -> IndexEntry:
    name = f"sqlite_autoindex_{table.name}_{n}"
    return IndexEntry(name, table, cols, (False,) * len(cols), True, origin, None)


def table_indexes(table) -> list[IndexEntry]:
    """Every index of ``table`` as SQLite would have it, oldest first: the automatic ones,
    then those of CREATE INDEX."""
    out = auto_indexes(table)
    for ix in table.indexes:
        if not ix.implicit:
            desc = tuple(ix.descending) or (False,) * len(ix.columns)
            sql = create_index_sql(ix, table)
            out.append(IndexEntry(ix.name, table, tuple(ix.columns), desc, ix.unique, "c", sql))
    return out


def find_index(cat, name: str) -> IndexEntry | None:
    """The index called ``name`` among the tables of ``cat`` (a catalog or one side)."""
    low = name.lower()
    for table in list(cat.tables.values()):
        for entry in table_indexes(table):
            if entry.name.lower() == low:
                return entry
    return None


# ---------------------------------------------------------------- PRAGMA rows
def schema_pragma(pragma: str, arg, side, catalog, systables) -> list[tuple]:
    """The rows of schema pragma ``pragma`` (a key of ``COLUMNS`` but database_list) with
    argument ``arg`` (None: none given), names looked up in ``side`` (the catalog a schema
    prefix picked, or the connection's ``catalog``: temporary objects first). A name not
    found gives no rows, as in SQLite."""
    if pragma == "table_list":
        return table_list(catalog, side, systables, None if arg is None else str(arg))
    if arg is None or pragma == "foreign_key_list":
        return []  # there are no foreign keys
    name = str(arg)
    if pragma in ("index_info", "index_xinfo"):
        entry = find_index(side, name)
        return [] if entry is None else index_info(entry, pragma == "index_xinfo")
    relation = side.relation(name)
    if relation is None:
        return []
    if pragma == "index_list":
        return index_list(relation) if hasattr(relation, "schema") else []
    return table_info(relation, catalog, systables, pragma == "table_xinfo")


def table_list(catalog, side, systables, only: str | None) -> list[tuple]:
    """PRAGMA table_list rows: (schema, name, type, ncol, wr, strict) of the tables and
    views of both sides (or of ``side`` when a prefix picked one), SQLite's schema tables
    included; only those called ``only`` when given."""
    sides = [("main", catalog.main)]
    if catalog.temp is not None:
        sides.append(("temp", catalog.temp))
    if side is not catalog:
        sides = [s for s in sides if s[1] is side]
    rows = []
    for schema, cat in sides:
        for t in sorted(list(cat.tables.values()), key=lambda t: t.name.lower()):
            ncol = sum(1 for c in t.columns if not c.hidden)
            rows.append((schema, t.name, "table", ncol, 0, 0))
        for v in sorted(list(cat.views.values()), key=lambda v: v.name.lower()):
            ncol = len(view_columns(v, catalog, systables))
            rows.append((schema, v.name, "view", ncol, 0, 0))
        master = "sqlite_schema" if schema == "main" else "sqlite_temp_schema"
        rows.append((schema, master, "table", 5, 0, 0))
    if catalog.temp is None and side is catalog:  # the main catalog alone: temp is empty
        rows.append(("temp", "sqlite_temp_schema", "table", 5, 0, 0))
    if only is not None:
        rows = [r for r in rows if r[1].lower() == only.lower()]
    return rows


def table_info(relation, cat, systables, extended: bool) -> list[tuple]:
    """PRAGMA table_info / table_xinfo rows of a table or view:
    (cid, name, type, notnull, dflt_value, pk[, hidden])."""
    if not hasattr(relation, "schema"):
        return [
            (cid, name, declared_type(t), 0, None, 0) + ((0,) if extended else ())
            for cid, (name, t) in enumerate(view_columns(relation, cat, systables))
        ]
    schema = relation.schema
    pk = {pos: n + 1 for n, pos in enumerate(schema.primary_key)}
    out = []
    for c in relation.columns:
        if c.hidden and not extended:
            continue
        # as the rendered CREATE TABLE reads: a key column is not declared NOT NULL there
        notnull = int(c.not_null and c.position not in pk)
        row = (
            c.position,
            c.name,
            declared_type(c.type),
            notnull,
            c.default_sql,
            pk.get(c.position, 0),
        )
        out.append(row + ((int(c.hidden),) if extended else ()))
    return out


def view_columns(view, cat, systables) -> list[tuple]:
    """(name, type) of a view's columns, its query bound where it binds when used."""
    reach = cat if view.temporary else cat.main
    q = bind_select(parse_one(view.sql), reach, systables).query
    names = view.columns or q.names
    # SQLite gives a view's column the declared type of the column it reads, and an
    # expression none
    exprs = getattr(q, "exprs", None) or [None] * len(names)
    types = [t if type(e) is B.ColRef else None for e, t in zip(exprs, q.types)]
    return list(zip(names, types))


def index_list(table) -> list[tuple]:
    """PRAGMA index_list rows: (seq, name, unique, origin, partial), newest index first."""
    entries = table_indexes(table)[::-1]
    return [(n, e.name, int(e.unique), e.origin, 0) for n, e in enumerate(entries)]


def index_info(entry: IndexEntry, extended: bool) -> list[tuple]:
    """PRAGMA index_info rows (seqno, cid, name) or index_xinfo rows (with desc, coll, key,
    and the rowid that completes every key of a rowid table)."""
    cols = entry.table.columns
    out = []
    for n, pos in enumerate(entry.columns):
        c = cols[pos]
        row = (n, pos, c.name)
        if extended:
            coll = (c.collation or "BINARY").upper()
            row += (int(entry.descending[n]), coll, 1)
        out.append(row)
    if extended:
        out.append((len(out), -1, None, 0, "BINARY", 0))
    return out


def master_rows(cat) -> list[tuple]:
    """``sqlite_master`` rows of catalog ``cat``: (type, name, tbl_name, rootpage, sql), each
    table followed by its indexes (the automatic ones with no sql), then views, then
    triggers, as ``sys.schema`` orders them. rootpage is 0: there are no pages."""
    out = []
    for t in sorted(list(cat.tables.values()), key=lambda t: t.name.lower()):
        out.append(("table", t.name, t.name, 0, create_table_sql(t.schema)))
        for e in table_indexes(t):
            out.append(("index", e.name, t.name, 0, e.sql))
    for v in sorted(list(cat.views.values()), key=lambda v: v.name.lower()):
        out.append(("view", v.name, v.name, 0, create_view_sql(v)))
    for trig in list(cat.triggers.values()):
        out.append(("trigger", trig.name, trig.table, 0, trig.sql))
    return out


def table_function(name: str, catalog, systables) -> tuple | None:
    """SQLite's table-valued form of a schema pragma, ``pragma_<name>([arg[, schema]])``:
    (rows function, least and most arguments, column names, hidden column names), or None
    when ``name`` is not one. Its rows end with the hidden ``arg`` and ``schema`` columns,
    which hold the arguments, as SQLite's (``pragma_table_list``, whose rows have a schema
    column of their own, takes only ``arg``)."""
    low = name.lower()
    pragma = low[len("pragma_") :] if low.startswith("pragma_") else None
    if pragma not in COLUMNS or pragma == "database_list":
        return None

    if pragma == "table_list":  # its rows name their schema: one argument, as SQLite's

        def listed(arg=None) -> list[tuple]:
            found = schema_pragma(pragma, arg, catalog, catalog, systables)
            return [r + (arg,) for r in found]

        return listed, 0, 1, COLUMNS[pragma] + ("arg",), ("arg",)

    def rows(arg=None, schema=None) -> list[tuple]:
        if catalog.temp is None and str(schema).lower() == "temp":
            return []  # bound for connections with no temporary objects
        side = pragma_side(catalog, None if schema is None else str(schema))
        found = schema_pragma(pragma, arg, side, catalog, systables)
        return [r + (arg, schema) for r in found]

    return rows, 0, 2, COLUMNS[pragma] + ("arg", "schema"), ("arg", "schema")
