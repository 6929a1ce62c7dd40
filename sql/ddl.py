"""CREATE and DROP of tables, indexes and views."""

from __future__ import annotations

import math
from typing import Any

from ..cache import EXPIRES, POLICIES, parse_size
from ..catalog import Check, Column, Schema, View
from ..errors import Error, InternalError, ProgrammingError, UndefinedTable
from ..indexes import RAW_TYPES, HashIndex, SortedIndex
from ..types import ANY, REAL, type_from_name
from . import ast as A
from .binder import Binder, bind_select
from .compiler import Compiler
from .parser import parse_one
from .planner import plan_subqueries
from .render import create_table_sql, to_sql
from .scope import Scope, SourceInfo
from .statements import Result, Statement, query_statement
from .udf import current_functions, preparing

_TABLE_OPTIONS = {"durable"}
_CACHE_OPTIONS = {
    "durable",
    "max_rows",
    "max_memory",
    "eviction",
    "default_ttl",
    "lfu_decay",
    "cache",
}


class DDLStatement(Statement):
    """A schema change, applied through the engine inside the current transaction."""

    kind = "ddl"
    ddl = True

    def __init__(self, node: Any, engine, systables, action):
        self.node = node
        self.engine = engine
        self.systables = systables
        self.action = action
        self.functions = current_functions()  # the preparing connection's (udf.py)

    def execute(self, conn, txn, params) -> tuple:
        # names bind as when the statement was prepared: a view checked now may call the
        # preparing connection's functions; a CHECK or DEFAULT is refused them clearly
        with preparing(self.functions):
            self.action(self, txn, params)
        return Result()

    def explain(self) -> list[str]:
        return [type(self.node).__name__.upper()]


def build_ddl(node: Any, engine, systables) -> Statement | None:
    """A DDLStatement for ``node``, or None if it is not DDL."""
    action = _ACTIONS.get(type(node))
    if action is None:
        return None
    if isinstance(node, (A.CreateTable, A.DropTable, A.CreateView, A.DropView)):
        if node.__class__ in (A.CreateTable, A.DropTable) and node.schema is not None:
            if node.schema.lower() not in ("main",):
                raise ProgrammingError(f"unknown database {node.schema}")
    stmt = DDLStatement(node, engine, systables, action)
    if isinstance(node, A.CreateTable) and node.as_select is not None:
        # planned now, so that its parameters are counted and checked like a query's
        stmt.query = query_statement(node.as_select, engine.catalog, systables)
        stmt.n_params = stmt.query.n_params
        stmt.param_names = stmt.query.param_names
    return stmt


# ---------------------------------------------------------------- tables
def _create_table(stmt: DDLStatement, txn, params) -> None:
    node: A.CreateTable = stmt.node
    engine = stmt.engine
    cat = engine.catalog
    if cat.name_taken(node.name):
        if node.if_not_exists and node.name.lower() in cat.tables:
            return
        raise ProgrammingError(f"{cat.name_taken(node.name)} {node.name} already exists")
    allowed = _CACHE_OPTIONS if node.cache or node.options.get("cache") else _TABLE_OPTIONS
    for key in node.options:
        if key not in allowed:
            extra = "" if node.cache else " (cache options need CREATE CACHE TABLE)"
            raise ProgrammingError(f"unknown table option {key!r}{extra}")
    if node.as_select is not None:
        _create_table_as(stmt, txn, params)
        return
    engine.create_table(txn, schema_from_ast(node))


def schema_from_ast(node: A.CreateTable) -> Schema:
    """Build a Schema from CREATE TABLE, compiling defaults and CHECK constraints."""
    cols = []
    pk: tuple[str, ...] = node.primary_key
    uniques = [tuple(u) for u in node.uniques]
    for cd in node.columns:
        t = type_from_name(cd.type_name) if cd.type_name else ANY
        col = Column(cd.name, t, not_null=cd.not_null, collation=cd.collation)
        if cd.default is not None:
            col.default, col.default_sql = _compile_default(cd.default), cd.default_sql
        cols.append(col)
        if cd.primary_key:
            if pk:
                raise ProgrammingError(f"table {node.name} has more than one primary key")
            pk = (cd.name,)
        if cd.unique:
            uniques.append((cd.name,))
    if not cols:
        raise ProgrammingError(f"table {node.name} must have at least one column")
    names = {c.name.lower(): i for i, c in enumerate(cols)}

    def positions(group) -> tuple[int, ...]:
        out = []
        for n in group:
            if n.lower() not in names:
                raise ProgrammingError(f"no such column in constraint of {node.name}: {n}")
            out.append(names[n.lower()])
        return tuple(out)

    checks = [cd_check for cd in node.columns for cd_check in cd.checks] + list(node.checks)
    options = dict(node.options)
    if node.cache or options.get("cache"):
        options = _cache_options(node.name, options, pk)
        expires = Column(EXPIRES, REAL)
        expires.hidden = True
        cols.append(expires)
    schema = Schema(
        node.name,
        cols,
        positions(pk),
        tuple(positions(u) for u in uniques if positions(u) != positions(pk)),
        (),
        options,
    )
    schema.checks = tuple(_compile_check(schema, c) for c in checks)
    return schema


def _cache_options(name: str, options: dict, pk) -> dict:
    """Validate and normalise the WITH options of a cache table."""
    if not pk:
        raise ProgrammingError(f"cache table {name} needs a PRIMARY KEY (its cache key)")
    out = {"cache": True, "eviction": str(options.get("eviction", "noeviction")).lower()}
    if out["eviction"] not in POLICIES:
        raise ProgrammingError(
            f"unknown eviction policy {options['eviction']!r}; use one of: {', '.join(POLICIES)}"
        )
    for key in ("max_rows", "default_ttl", "lfu_decay"):
        if options.get(key) is not None:
            v = options[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise ProgrammingError(f"cache option {key} must be a non-negative number")
            if key == "max_rows" and v == math.inf:
                raise ProgrammingError("cache option max_rows must be a finite number")
            out[key] = int(v) if key == "max_rows" else float(v)
    if options.get("max_memory") is not None:
        out["max_memory"] = parse_size(options["max_memory"])
    if "durable" in options:
        out["durable"] = options["durable"]
    return out


def _compile_default(e: A.Expr):
    binder = Binder(None, schema=True)
    b = binder.bind(e, Scope())
    if binder.params.count:
        raise ProgrammingError("a DEFAULT value may not use parameters")
    plan_subqueries(binder.subplans)
    comp = Compiler()
    comp.prog.sources.append(f"def default():\n    return {comp.expr(b)}")
    fn = comp.prog.build()["default"]
    return fn


def _compile_check(schema: Schema, e: A.Expr) -> Check:
    binder = Binder(None, schema=True)
    scope = Scope()
    slot = binder.new_slot()
    cols = [(c.name, c.type, not c.not_null) for c in schema.columns]
    scope.add(SourceInfo(schema.name, cols, slot))
    b = binder.bind(e, scope)
    if binder.params.count:
        raise ProgrammingError("parameters are not allowed in CHECK constraints")
    if b.slots() - {slot} or binder.subplans:
        raise ProgrammingError("CHECK constraints may only use the table's own columns")
    comp = Compiler()
    comp.prog.sources.append(f"def check(r{slot}):\n    return {comp.expr(b)}")
    return Check(to_sql(e), comp.prog.build()["check"])


def _create_table_as(stmt: DDLStatement, txn, params) -> None:
    node: A.CreateTable = stmt.node
    q = stmt.query
    names = _distinct_names(q.names)
    cols = [Column(n, t if t is not None else ANY) for n, t in zip(names, q.types)]
    table = stmt.engine.create_table(txn, Schema(node.name, cols, (), (), (), dict(node.options)))
    for row in q.run(params, txn):
        table.insert(txn, row)


def _distinct_names(names) -> list[str]:
    """Column names for CREATE TABLE ... AS SELECT, made distinct as SQLite makes them: a
    repeated ``a`` becomes ``a:1``, then ``a:2`` (case-insensitively)."""
    seen: set[str] = set()
    out = []
    for n in names:
        base, k = n, 0
        while n.lower() in seen:
            k += 1
            n = f"{base}:{k}"
        seen.add(n.lower())
        out.append(n)
    return out


def _drop_table(stmt: DDLStatement, txn, params) -> None:
    node: A.DropTable = stmt.node
    cat = stmt.engine.catalog
    if node.name.lower() not in cat.tables:
        if node.if_exists:
            return
        if node.name.lower() in cat.views:
            raise ProgrammingError(f"use DROP VIEW to delete view {node.name}")
        raise UndefinedTable(f"no such table: {node.name}")
    stmt.engine.drop_table(txn, node.name)


# ---------------------------------------------------------------- indexes
def _create_index(stmt: DDLStatement, txn, params) -> None:
    node: A.CreateIndex = stmt.node
    cat = stmt.engine.catalog
    if node.name.lower() in cat.indexes and node.if_not_exists:
        return
    table = cat.table(node.table)
    positions = []
    for n in node.columns:
        col = table.schema.column(n)
        if col is None:
            raise ProgrammingError(f"table {table.name} has no column named {n}")
        positions.append(col.position)
    index = new_index(node.name, table.schema, positions, node.unique, node.method, node.descending)
    stmt.engine.create_index(txn, index)


def new_index(name: str, schema: Schema, positions, unique: bool, method: str, descending=()):
    """A hash or sorted index named ``name`` on columns ``positions`` of ``schema``'s table
    (not yet filled or attached)."""
    if method == "hash":
        return HashIndex(name, schema.name, tuple(positions), unique)
    cols = schema.columns
    types = tuple(cols[i].type for i in positions)
    mixed = any(cols[i].type.name not in RAW_TYPES for i in schema.primary_key)
    index = SortedIndex(name, schema.name, tuple(positions), unique, types, mixed)
    index.descending = tuple(descending)
    return index


def _drop_index(stmt: DDLStatement, txn, params) -> None:
    node: A.DropIndex = stmt.node
    cat = stmt.engine.catalog
    index = cat.indexes.get(node.name.lower())
    if index is None:
        if node.if_exists:
            return
        raise ProgrammingError(f"no such index: {node.name}")
    stmt.engine.drop_index(txn, node.name)


# ---------------------------------------------------------------- views
def _create_view(stmt: DDLStatement, txn, params) -> None:
    node: A.CreateView = stmt.node
    cat = stmt.engine.catalog
    if cat.name_taken(node.name):
        if node.if_not_exists and node.name.lower() in cat.views:
            return
        raise ProgrammingError(f"{cat.name_taken(node.name)} {node.name} already exists")
    q = bind_select(node.select, cat, stmt.systables).query  # validates names now
    if node.columns and len(node.columns) != len(q.names):
        raise ProgrammingError(
            f"view {node.name} has {len(node.columns)} column names but its query returns "
            f"{len(q.names)} columns"
        )
    stmt.engine.create_view(txn, View(node.name, node.sql, node.columns))


def _drop_view(stmt: DDLStatement, txn, params) -> None:
    node: A.DropView = stmt.node
    cat = stmt.engine.catalog
    if node.name.lower() not in cat.views:
        if node.if_exists:
            return
        if node.name.lower() in cat.tables:
            raise ProgrammingError(f"use DROP TABLE to delete table {node.name}")
        raise UndefinedTable(f"no such view: {node.name}")
    stmt.engine.drop_view(txn, node.name)


_ACTIONS = {
    A.CreateTable: _create_table,
    A.DropTable: _drop_table,
    A.CreateIndex: _create_index,
    A.DropIndex: _drop_index,
    A.CreateView: _create_view,
    A.DropView: _drop_view,
}


# ---------------------------------------------------------------- rendered DDL, read back
def verify_rendered(kind: str, sql: str, *expected) -> None:
    """Check that DDL rendered for the redo log or a snapshot reads back as what it records.

    Runs before anything depends on the text (a commit's log record, a checkpoint that drops
    the log), so a rendering fault is a failed statement rather than a database that cannot
    reopen. ``kind`` is "table", "index" (``expected``: the index and its table) or "view"
    (``sql`` is the view's query).
    """
    try:
        node = parse_one(sql)
        if kind == "table":
            again = create_table_sql(schema_from_ast(node))
        elif kind == "index":
            index, table = expected
            again = sql if _same_index(node, index, table) else None
        else:
            again = to_sql(node)
    except Error as e:
        raise InternalError(f"rendered {kind} definition does not read back ({e}): {sql}") from e
    if again != sql:
        raise InternalError(f"rendered {kind} definition reads back differently: {sql}")


def _same_index(node: Any, index, table) -> bool:
    cols = [table.columns[i].name for i in index.columns]
    return (
        isinstance(node, A.CreateIndex)
        and (node.name, node.table, list(node.columns)) == (index.name, table.name, cols)
        and (node.unique, node.method) == (index.unique, index.method)
        and _descending(node.descending, cols)
        == _descending(getattr(index, "descending", ()), cols)
    )


def _descending(flags, cols) -> tuple:
    return tuple(flags) if any(flags) else (False,) * len(cols)
