"""CREATE and DROP of tables, indexes and views."""

from __future__ import annotations

import math
from typing import Any

from ..cache import EXPIRES, POLICIES, parse_size
from ..catalog import Check, Column, Schema, Trigger, View
from ..errors import (
    Error,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    UndefinedTable,
)
from ..indexes import RAW_TYPES, HashIndex, SortedIndex
from ..types import ANY, REAL, type_from_name
from . import ast as A
from .binder import Binder, bind_select
from .compiler import Compiler
from .master import MASTER_NAMES, master_source
from .parser import find_nodes, parse_one
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

    def __init__(self, node: Any, engine, systables, action, catalog):
        self.node = node
        self.engine = engine
        self.systables = systables
        self.action = action
        self.catalog = catalog  # where names resolve: a connection's SessionCatalog
        self.functions = current_functions()  # the preparing connection's (udf.py)

    def execute(self, conn, txn, params) -> tuple:
        # names bind as when the statement was prepared: a view checked now may call the
        # preparing connection's functions; a CHECK or DEFAULT is refused them clearly
        with preparing(self.functions):
            self.action(self, txn, params)
        return Result()

    def explain(self) -> list[str]:
        return [type(self.node).__name__.upper()]


def build_ddl(node: Any, engine, systables, catalog) -> Statement | None:
    """A DDLStatement for ``node``, or None if it is not DDL."""
    action = _ACTIONS.get(type(node))
    if action is None:
        return None
    schema = getattr(node, "schema", None) or getattr(node, "table_schema", None)
    if schema is not None and schema.lower() not in ("main", "temp"):
        raise ProgrammingError(f"unknown database {schema}")
    if getattr(node, "temporary", False):
        _check_temporary(node, catalog)
    stmt = DDLStatement(node, engine, systables, action, catalog)
    if isinstance(node, A.CreateTable) and node.as_select is not None:
        # planned now, so that its parameters are counted and checked like a query's
        stmt.query = query_statement(node.as_select, catalog, systables)
        stmt.n_params = stmt.query.n_params
        stmt.param_names = stmt.query.param_names
    return stmt


def _check_temporary(node: Any, catalog) -> None:
    """Refuse what a TEMP object cannot be, before anything runs."""
    kind = "view" if isinstance(node, A.CreateView) else "table"
    if node.schema is not None and node.schema.lower() != "temp":
        raise OperationalError(f"temporary {kind} name must be unqualified")
    if getattr(node, "cache", False) or getattr(node, "options", {}).get("cache"):
        raise NotSupportedError(
            f"cache table {node.name} cannot be TEMPORARY: cache tables belong to the database"
        )
    if getattr(node, "options", None):
        raise ProgrammingError(
            f"temporary table {node.name} takes no WITH options (it is never durable)"
        )
    if catalog.temp is None:
        raise NotSupportedError("temporary objects need a connection")


def _target(stmt: DDLStatement) -> Any:
    """The catalog a CREATE TABLE or CREATE VIEW puts its object in: the connection's
    temporary one for TEMP (or a ``temp.`` name), else the main one."""
    node = stmt.node
    temporary = node.temporary or (node.schema is not None and node.schema.lower() == "temp")
    if temporary and stmt.catalog.temp is None:
        raise NotSupportedError("temporary objects need a connection")
    return stmt.catalog.temp if temporary else stmt.catalog.main


def _holder(stmt: DDLStatement, schema: str | None, name: str, kind: str) -> Any:
    """The catalog whose ``kind`` ("tables", "views", "indexes") ``name`` means, within
    ``schema`` when it is given; None when there is none. A bare table or view name means
    what it means in a query: the first side with a table or view of that name."""
    cat = stmt.catalog.scoped(schema)
    if cat is None:
        return None
    if kind == "indexes":
        return cat.owner(name, kind)
    home = cat.home(name)
    return None if home is None else home.owner(name, kind)


# ---------------------------------------------------------------- tables
def _refuse_reserved(name: str) -> None:
    """SQLite's schema tables are found before any table or view of that name: refuse to
    create one that could never be read."""
    if name.lower() in MASTER_NAMES:
        raise OperationalError(f"object name reserved for internal use: {name}")


def _create_table(stmt: DDLStatement, txn, params) -> None:
    node: A.CreateTable = stmt.node
    engine = stmt.engine
    cat = _target(stmt)
    _refuse_reserved(node.name)
    if cat.name_taken(node.name):  # each schema has its own names, as in SQLite
        if node.if_not_exists and node.name.lower() in cat.tables:
            return
        raise ProgrammingError(f"{cat.name_taken(node.name)} {node.name} already exists")
    allowed = _CACHE_OPTIONS if node.cache or node.options.get("cache") else _TABLE_OPTIONS
    for key in node.options:
        if key not in allowed:
            extra = "" if node.cache else " (cache options need CREATE CACHE TABLE)"
            raise ProgrammingError(f"unknown table option {key!r}{extra}")
    if node.as_select is not None:
        _create_table_as(stmt, txn, params, cat)
        return
    engine.create_table(txn, schema_from_ast(node), cat)


def schema_from_ast(node: A.CreateTable) -> Schema:
    """Build a Schema from CREATE TABLE, compiling defaults and CHECK constraints."""
    cols = []
    pk: tuple[str, ...] = node.primary_key
    uniques = [tuple(u) for u in node.uniques]
    unique_names = list(node.unique_names) or [None] * len(uniques)
    for cd in node.columns:
        t = type_from_name(cd.type_name) if cd.type_name else ANY
        col = Column(
            cd.name, t, not_null=cd.not_null, collation=cd.collation, declared=cd.type_name
        )
        if cd.default is not None:
            col.default, col.default_sql = _compile_default(cd.default), cd.default_sql
        cols.append(col)
        if cd.primary_key:
            if pk:
                raise ProgrammingError(f"table {node.name} has more than one primary key")
            pk = (cd.name,)
        if cd.unique:
            uniques.append((cd.name,))
            unique_names.append(None)
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
    check_names = [n for cd in node.columns for n in _names(cd.check_names, cd.checks)] + _names(
        node.check_names, node.checks
    )
    options = dict(node.options)
    if node.cache or options.get("cache"):
        options = _cache_options(node.name, options, pk)
        expires = Column(EXPIRES, REAL)
        expires.hidden = True
        cols.append(expires)
    kept = [i for i, u in enumerate(uniques) if positions(u) != positions(pk)]
    schema = Schema(
        node.name,
        cols,
        positions(pk),
        tuple(positions(uniques[i]) for i in kept),
        (),
        options,
        tuple(unique_names[i] for i in kept),
    )
    schema.checks = tuple(_compile_check(schema, c, n) for c, n in zip(checks, check_names))
    return schema


def _names(names: tuple, constraints: tuple) -> list:
    """One CONSTRAINT name (or None) per constraint: an AST built without names has none."""
    return list(names) or [None] * len(constraints)


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


def _compile_check(schema: Schema, e: A.Expr, name: str | None = None) -> Check:
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
    return Check(to_sql(e), comp.prog.build()["check"], name)


def _create_table_as(stmt: DDLStatement, txn, params, cat) -> None:
    node: A.CreateTable = stmt.node
    q = stmt.query
    names = _distinct_names(q.names)
    cols = [Column(n, t if t is not None else ANY) for n, t in zip(names, q.types)]
    schema = Schema(node.name, cols, (), (), (), dict(node.options))
    table = stmt.engine.create_table(txn, schema, cat)
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
    master = master_source(node.name, node.schema)
    if master is not None:
        raise OperationalError(f"table {master[1]} may not be dropped")
    cat = _holder(stmt, node.schema, node.name, "tables")
    if cat is None:
        if node.if_exists:
            return
        if _holder(stmt, node.schema, node.name, "views") is not None:
            raise ProgrammingError(f"use DROP VIEW to delete view {node.name}")
        raise UndefinedTable(f"no such table: {_shown(node)}")
    stmt.engine.drop_table(txn, node.name, cat)


# ---------------------------------------------------------------- indexes
def _create_index(stmt: DDLStatement, txn, params) -> None:
    node: A.CreateIndex = stmt.node
    # an index lives beside its table: on a temporary table, in the temporary catalog
    cat = _holder(stmt, node.table_schema, node.table, "tables")
    if cat is None:
        qualified = f"{node.table_schema}.{node.table}" if node.table_schema else node.table
        raise UndefinedTable(f"no such table: {qualified}")
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
    stmt.engine.create_index(txn, index, cat)


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
    cat = _holder(stmt, None, node.name, "indexes")
    if cat is None:
        if node.if_exists:
            return
        raise ProgrammingError(f"no such index: {node.name}")
    stmt.engine.drop_index(txn, node.name, cat)


# ---------------------------------------------------------------- views
def _create_view(stmt: DDLStatement, txn, params) -> None:
    node: A.CreateView = stmt.node
    cat = _target(stmt)
    _refuse_reserved(node.name)
    if cat.name_taken(node.name):
        if node.if_not_exists and node.name.lower() in cat.views:
            return
        raise ProgrammingError(f"{cat.name_taken(node.name)} {node.name} already exists")
    if not cat.temporary:
        # it outlives the connection, so it may name only main objects (as in SQLite)
        for ref in find_nodes(node.select, A.TableRef):
            if ref.schema is not None and ref.schema.lower() == "temp":
                raise OperationalError(
                    f"view {node.name} cannot reference objects in database temp"
                )
    # validates names now, as they will be looked up when the view is used
    reach = stmt.catalog if cat.temporary else stmt.catalog.main
    q = bind_select(node.select, reach, stmt.systables).query
    if node.columns and len(node.columns) != len(q.names):
        raise ProgrammingError(
            f"view {node.name} has {len(node.columns)} column names but its query returns "
            f"{len(q.names)} columns"
        )
    view = View(node.name, node.sql, node.columns, cat.temporary)
    stmt.engine.create_view(txn, view, cat)


def _drop_view(stmt: DDLStatement, txn, params) -> None:
    node: A.DropView = stmt.node
    cat = _holder(stmt, node.schema, node.name, "views")
    if cat is None:
        if node.if_exists:
            return
        if _holder(stmt, node.schema, node.name, "tables") is not None:
            raise ProgrammingError(f"use DROP TABLE to delete table {node.name}")
        raise UndefinedTable(f"no such view: {_shown(node)}")
    stmt.engine.drop_view(txn, node.name, cat)


def _shown(node: Any) -> str:
    return f"{node.schema}.{node.name}" if node.schema else node.name


# ---------------------------------------------------------------- triggers
def _create_trigger(stmt: DDLStatement, txn, params) -> None:
    """Store a trigger; its body is bound where it fires (so it may name tables created
    later, and fails there, as in SQLite, if they do not exist)."""
    node: A.CreateTrigger = stmt.node
    cat = stmt.engine.catalog
    home = stmt.catalog.home(node.table)
    if home is not None and home.temporary:
        raise NotSupportedError(
            f"triggers on temporary tables and views are not supported ({node.table})"
        )
    if node.name.lower() in cat.triggers:
        if node.if_not_exists:
            return
        raise ProgrammingError(f"trigger {node.name} already exists")
    low = node.table.lower()
    if low in cat.views:
        if node.timing == "instead of":
            raise NotSupportedError("INSTEAD OF triggers on views are not supported")
        raise ProgrammingError(f"cannot create {node.timing.upper()} trigger on view: {node.table}")
    table = cat.table(node.table)
    if node.timing == "instead of":
        raise ProgrammingError(f"cannot create INSTEAD OF trigger on table: {node.table}")
    if table.cache is not None:
        raise NotSupportedError(f"triggers on cache tables are not supported ({table.name})")
    columns = None if node.columns is None else tuple(c.lower() for c in node.columns)
    trigger = Trigger(node.name, table.name, node.timing, node.event, columns, node.sql, node)
    stmt.engine.create_trigger(txn, trigger)


def _drop_trigger(stmt: DDLStatement, txn, params) -> None:
    node: A.DropTrigger = stmt.node
    if node.name.lower() not in stmt.engine.catalog.triggers:
        if node.if_exists:
            return
        raise ProgrammingError(f"no such trigger: {node.name}")
    stmt.engine.drop_trigger(txn, node.name)


_ACTIONS = {
    A.CreateTrigger: _create_trigger,
    A.DropTrigger: _drop_trigger,
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
        elif kind == "trigger":
            again = node.sql if isinstance(node, A.CreateTrigger) else None
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
