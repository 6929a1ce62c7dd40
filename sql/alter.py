"""ALTER TABLE: ADD COLUMN, DROP COLUMN, RENAME COLUMN and RENAME TO, with SQLite's rules
and messages.

The new definition is made the way SQLite makes it: the table's CREATE TABLE (as memtables
renders it) is changed as a syntax tree and read back into a ``Schema``. The engine then
rebuilds the table (``Engine.alter_table``: every row version reshaped, indexes refilled),
indexes follow by column name, and views that name the table or column are rewritten as
SQLite rewrites their SQL. Those views are bound again afterwards: one that no longer binds
fails the statement, which undoes everything. The redo log keeps the ALTER statement itself;
replaying it makes the same changes.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

from ..catalog import View
from ..errors import (
    Error,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    UndefinedTable,
)
from ..rowcheck import value_check
from ..versions import newest_row
from . import ast as A
from .binder import bind_select
from .ddl import DDLStatement, new_index, schema_from_ast
from .functions import FUNCTIONS
from .parser import parse_one
from .render import create_table_sql, name, to_sql, type_sql
from .statements import Statement


def build_alter(node: A.AlterTable, engine, systables, catalog=None) -> Statement:
    """The statement for ALTER TABLE ``node``; names resolve in ``catalog`` (a connection's
    ``SessionCatalog``: a temporary table is found first, and refused)."""
    schema = None if node.schema is None else node.schema.lower()
    if schema not in (None, "main", "temp"):
        raise ProgrammingError(f"unknown database {node.schema}")
    return DDLStatement(node, engine, systables, _alter, catalog or engine.catalog)


def _alter(stmt: DDLStatement, txn, params) -> None:
    node: A.AlterTable = stmt.node
    engine = stmt.engine
    _refuse_temporary(stmt)
    cat = engine.catalog
    table = cat.tables.get(node.name.lower())
    if table is None:
        if node.name.lower() in cat.views:
            if node.action == "add":
                raise OperationalError("Cannot add a column to a view")
            raise OperationalError(f"view {node.name} may not be altered")
        raise UndefinedTable(f"no such table: {node.name}")
    if table.cache is not None:
        raise NotSupportedError(
            f"ALTER TABLE is not supported on cache table {table.name}: create a new cache "
            "table and copy the rows into it"
        )
    _refuse_under_triggers(table, cat)
    old = parse_one(create_table_sql(table.schema))
    change = _CHANGES[node.action](table, node, old, txn, cat)
    schema = schema_from_ast(change.node)
    reshape = change.reshape(schema) if change.reshape is not None else _same
    indexes = [_index_after(ix, table, schema, change) for ix in _named_indexes(cat, table)]
    affected = [v for v in cat.views.values() if _mentions(v, table.name)]
    views = {}
    for v in affected:
        sql = _rewrite_view(v.sql, table.name, change, cat)
        if sql != v.sql:
            views[v.name.lower()] = View(v.name, sql, v.columns)
    record = ("alter_table", _alter_sql(node, schema))
    engine.alter_table(txn, table, schema, reshape, indexes, views, record, change.check_rows)
    for v in affected:
        _check_view(cat.views[v.name.lower()], cat, stmt.systables, change.what)


def _refuse_temporary(stmt: DDLStatement) -> None:
    # the table would be rebuilt in the connection's temporary catalog, with its temporary
    # views rewritten and nothing logged: not done yet
    node: A.AlterTable = stmt.node
    schema = None if node.schema is None else node.schema.lower()
    if schema == "main":
        return
    home = stmt.catalog.scoped(schema)
    home = None if home is None else home.home(node.name)
    if home is not None and home.temporary:
        raise NotSupportedError(
            f"ALTER TABLE is not supported on temporary table {node.name}: create a new "
            "temporary table and copy the rows into it"
        )
    if schema == "temp":
        raise UndefinedTable(f"no such table: {node.schema}.{node.name}")


def _refuse_under_triggers(table, cat) -> None:
    # SQLite rewrites trigger bodies as it rewrites views; memtables does not yet, and a
    # trigger left naming an old table or column would fire wrongly, or not at all.
    for trig in list(cat.triggers.values()):
        if trig.table.lower() == table.name.lower() or _names(trig.sql, table.name):
            raise NotSupportedError(
                f"ALTER TABLE {table.name} is not supported while trigger {trig.name} uses the "
                "table: drop the trigger, alter the table, and create the trigger again"
            )


def _names(sql: str, table_name: str) -> bool:
    """Whether ``sql`` names ``table_name`` (as a word, quoted or not)."""
    words = {w.strip('"').replace('""', '"').lower() for w in _WORD.findall(sql)}
    return table_name.lower() in words


_WORD = re.compile(r'\w+|"(?:[^"]|"")+"')


def _same(row: tuple) -> tuple:
    return row


class _Change:
    """What one ALTER does: the new CREATE TABLE tree, how rows are reshaped (a function of
    the new schema giving ``row -> row``), column renames and the new table name."""

    def __init__(self, node, what: str, reshape=None, renames=None, table_name=None):
        self.node = node
        self.what = what  # for messages: "error in view v after <what>"
        self.reshape: Callable[[Any], Callable[[tuple], tuple]] | None = reshape
        self.renames: dict[str, str] = renames or {}  # lower-case old name -> new name
        self.table_name: str | None = table_name
        self.check_rows = False  # whether existing rows must pass the new schema's checks


# ---------------------------------------------------------------- the four actions
def _add(table, node: A.AlterTable, old: A.CreateTable, txn, cat) -> _Change:
    cd = node.column
    if table.schema.column(cd.name) is not None:
        raise OperationalError(f"duplicate column name: {cd.name}")
    if cd.primary_key:
        raise OperationalError("Cannot add a PRIMARY KEY column")
    if cd.unique:
        raise OperationalError("Cannot add a UNIQUE column")
    # rows committed after this transaction's snapshot count too: they get the value
    has_rows = any(newest_row(e) is not None for e in table.rows.values())
    if has_rows and cd.default is not None and _volatile(cd.default):
        # existing rows would each need a value of their own, and replaying the redo log
        # would compute different ones
        raise OperationalError("Cannot add a column with non-constant default")

    def reshape(schema) -> Callable[[tuple], tuple]:
        pos = schema.column(cd.name).position
        col = schema.columns[pos]
        value = None if col.default is None else col.default()
        if has_rows and value is None and col.not_null:
            raise OperationalError("Cannot add a NOT NULL column with default value NULL")
        try:
            value = value_check(schema, pos)(value)
        except Error:
            if has_rows:  # it becomes their value: it must fit (with none, only new rows
                raise  # use it, and fail as they would with CREATE TABLE)
            value = None
        extra = (value,)
        return lambda row: row + extra

    new = dataclasses.replace(old, columns=old.columns + (cd,))
    change = _Change(new, "add column", reshape)
    change.check_rows = bool(cd.checks)  # the default's type is checked once, above
    return change


def _drop(table, node: A.AlterTable, old: A.CreateTable, txn, cat) -> _Change:
    schema = table.schema
    col = schema.column(node.old)
    if col is None or col.hidden:
        raise OperationalError(f'no such column: "{node.old}"')
    pos = col.position
    if pos in schema.primary_key:
        raise OperationalError(f'cannot drop PRIMARY KEY column: "{col.name}"')
    if any(pos in u for u in schema.uniques):
        raise OperationalError(f'cannot drop UNIQUE column: "{col.name}"')
    if sum(1 for c in schema.columns if not c.hidden) == 1:
        raise OperationalError(f'cannot drop column "{col.name}": no other columns exist')
    low = col.name.lower()
    checks, check_names = [], []
    for chk, cname in zip(old.checks, old.check_names or (None,) * len(old.checks)):
        used = {c.name.lower() for c in _columns_in(chk)}
        if low not in used:
            checks.append(chk)
            check_names.append(cname)
        elif used != {low}:  # a check of this column alone goes with it
            raise OperationalError(
                f"error in table {table.name} after drop column: no such column: {col.name}"
            )
    columns = tuple(c for c in old.columns if c.name.lower() != low)
    new = dataclasses.replace(
        old, columns=columns, checks=tuple(checks), check_names=tuple(check_names)
    )
    return _Change(new, "drop column", lambda _schema: lambda row: row[:pos] + row[pos + 1 :])


def _rename_column(table, node: A.AlterTable, old: A.CreateTable, txn, cat) -> _Change:
    col = table.schema.column(node.old)
    if col is None or col.hidden:
        raise OperationalError(f'no such column: "{node.old}"')
    other = table.schema.column(node.new)
    if other is not None and other is not col:
        raise OperationalError(
            f"error in table {table.name} after rename: duplicate column name: {node.new}"
        )
    low = col.name.lower()
    renames = {low: node.new}

    def rename(n: str) -> str:
        return node.new if n.lower() == low else n

    new = dataclasses.replace(
        old,
        columns=tuple(dataclasses.replace(c, name=rename(c.name)) for c in old.columns),
        primary_key=tuple(rename(n) for n in old.primary_key),
        uniques=tuple(tuple(rename(n) for n in u) for u in old.uniques),
        checks=tuple(_rename_refs(c, {table.name.lower()}, renames, None) for c in old.checks),
    )
    return _Change(new, "rename", renames=renames)


def _rename_table(table, node: A.AlterTable, old: A.CreateTable, txn, cat) -> _Change:
    if cat.name_taken(node.new) is not None:  # its own name too, in any spelling (SQLite)
        raise OperationalError(
            f"there is already another table or index with this name: {node.new}"
        )
    tables = {table.name.lower()}
    checks = tuple(_rename_refs(c, tables, {}, node.new) for c in old.checks)
    new = dataclasses.replace(old, name=node.new, checks=checks)
    return _Change(new, "rename", table_name=node.new)


_CHANGES = {
    "add": _add,
    "drop": _drop,
    "rename_column": _rename_column,
    "rename_table": _rename_table,
}


# ---------------------------------------------------------------- helpers
def _volatile(e: A.Expr) -> bool:
    """Whether a DEFAULT expression gives a new value each time (CURRENT_TIMESTAMP,
    random())."""
    for call in _nodes(e, A.Call):
        fn = FUNCTIONS.get(call.name.lower())
        if fn is not None and not fn.deterministic:
            return True
    return False


def _nodes(node, kinds) -> list:
    """Every node of ``kinds`` inside ``node``."""
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, kinds):
            out.append(n)
        if isinstance(n, tuple):
            stack.extend(n)
        elif isinstance(n, dict):
            stack.extend(n.values())
        elif hasattr(n, "__dataclass_fields__"):
            stack.extend(getattr(n, f) for f in n.__dataclass_fields__)
    return out


def _columns_in(e) -> list:
    return _nodes(e, A.Column)


def _rebuild(node, fn):
    """``node`` with ``fn`` applied to every syntax-tree node in it, children first."""
    if isinstance(node, tuple):
        items = tuple(_rebuild(n, fn) for n in node)
        return node if all(a is b for a, b in zip(items, node)) else items
    if not hasattr(node, "__dataclass_fields__"):
        return node
    changes = {}
    for f in node.__dataclass_fields__:
        v = getattr(node, f)
        nv = _rebuild(v, fn)
        if nv is not v:
            changes[f] = nv
    if changes:
        node = dataclasses.replace(node, **changes)
    return fn(node)


def _rename_refs(e, aliases: set, renames: dict, table_name: str | None, unqualified=True):
    """``e`` with the columns of a table renamed (``renames``: lower-case old → new) and,
    with ``table_name``, references to the table renamed. ``aliases`` are the lower-case
    names the table goes by in ``e``; unqualified columns are taken to be its when
    ``unqualified``."""

    def fn(n):
        if type(n) is A.Column:
            q = n.table
            mine = q.lower() in aliases if q is not None else unqualified
            if mine and n.name.lower() in renames:
                n = dataclasses.replace(n, name=renames[n.name.lower()])
            if table_name is not None and q is not None and q.lower() in aliases:
                n = dataclasses.replace(n, table=table_name)
        elif type(n) is A.TableRef and table_name is not None:
            if n.schema is None and n.name.lower() in aliases:
                n = dataclasses.replace(n, name=table_name)
        return n

    return _rebuild(e, fn)


def _mentions(view: View, table_name: str) -> bool:
    """Whether a view's query reads the table."""
    try:
        sel = parse_one(view.sql)
    except Error:
        return False
    low = table_name.lower()
    return any(r.name.lower() == low and r.schema is None for r in _nodes(sel, A.TableRef))


def _rewrite_view(sql: str, table_name: str, change: _Change, cat) -> str:
    """A view's query after the change: column and table names follow, as SQLite does."""
    if not change.renames and change.table_name is None:
        return sql
    sel = parse_one(sql)
    low = table_name.lower()
    if change.table_name is not None:  # an alias stays; only the table's own name changes
        return to_sql(_rename_refs(sel, {low}, {}, change.table_name))
    return to_sql(_ViewRenamer(low, change.renames, cat).visit(sel, False))


class _ViewRenamer:
    """Renames a table's columns in a query, scope by scope: an unqualified name is the
    table's in a SELECT that reads the table (or is inside one) when no other source there
    may have a column of that name; a qualified one when it names the table or its alias."""

    def __init__(self, table: str, renames: dict, cat):
        self.table = table
        self.renames = renames
        self.cat = cat
        self.aliases = {table}

    def visit(self, node, mine: bool):
        if isinstance(node, tuple):
            return tuple(self.visit(n, mine) for n in node)
        if type(node) is A.SelectCore:
            mine = self._scope(node.from_, mine)
        elif type(node) is A.Select and type(node.body) is not A.SelectCore:
            # ORDER BY of a compound names its result columns: the first arm's (SQLite)
            first = node.body
            while type(first) is A.CompoundCore:
                first = first.left
            order = self._scope(first.from_, mine) if type(first) is A.SelectCore else False
            return dataclasses.replace(
                node,
                body=self.visit(node.body, mine),
                order_by=self.visit(node.order_by, order),
                limit=self.visit(node.limit, False),
                offset=self.visit(node.offset, False),
                with_=self.visit(node.with_, mine),
            )
        elif type(node) is A.Select:
            mine = self._scope(node.body.from_, mine)  # its ORDER BY sees the core's scope
        elif type(node) is A.Column:
            q = node.table
            ours = q.lower() in self.aliases if q is not None else mine
            new = self.renames.get(node.name.lower()) if ours else None
            return node if new is None else dataclasses.replace(node, name=new)
        elif type(node) is A.Join and node.using:
            node = dataclasses.replace(
                node, using=tuple(self.renames.get(n.lower(), n) for n in node.using)
            )
        if not hasattr(node, "__dataclass_fields__"):
            return node
        changes = {f: self.visit(getattr(node, f), mine) for f in node.__dataclass_fields__}
        return dataclasses.replace(node, **changes)

    def _scope(self, from_, outer: bool) -> bool:
        """Whether unqualified column names in a SELECT with ``from_`` may be the table's."""
        reads_table = False
        stack = [from_]
        while stack:
            src = stack.pop()
            if type(src) is A.Join:
                stack += [src.left, src.right]
            elif type(src) is A.TableRef and src.schema is None and src.name.lower() == self.table:
                reads_table = True
                if src.alias:
                    self.aliases.add(src.alias.lower())
            elif src is not None:  # another table, a view, a CTE or a subquery
                other = self.cat.tables.get(src.name.lower()) if type(src) is A.TableRef else None
                if other is None or any(other.schema.column(n) for n in self.renames):
                    return False
        return reads_table or outer


def _check_view(view: View, cat, systables, what: str) -> None:
    """Fail the ALTER if a view that reads the table no longer binds."""
    try:
        bind_select(parse_one(view.sql), cat, systables)
    except Error as e:
        raise OperationalError(f"error in view {view.name} after {what}: {e}") from None


def _named_indexes(cat, table) -> list:
    low = table.name.lower()
    return [ix for ix in cat.indexes.values() if ix.table_name.lower() == low]


def _index_after(index, table, schema, change: _Change):
    """``index`` rebuilt for the new schema: same name, same columns by name."""
    names = []
    for i in index.columns:
        n = table.columns[i].name
        names.append(change.renames.get(n.lower(), n))
    positions = []
    for n in names:
        col = schema.column(n)
        if col is None:
            raise OperationalError(
                f"error in index {index.name} after {change.what}: no such column: {n}"
            )
        positions.append(col.position)
    return new_index(
        index.name,
        schema,
        positions,
        index.unique,
        index.method,
        getattr(index, "descending", ()),
    )


def _alter_sql(node: A.AlterTable, schema) -> str:
    """The statement as the redo log keeps it (read back before it is relied on)."""
    head = f"ALTER TABLE {name(node.name)} "
    if node.action == "add":
        col = schema.column(node.column.name)
        part = f"{name(col.name)} {type_sql(col)}"
        if col.not_null:
            part += " NOT NULL"
        if col.default_sql is not None:
            part += f" DEFAULT ({col.default_sql})"
        if col.collation:
            part += f" COLLATE {name(col.collation)}"
        names = node.column.check_names or (None,) * len(node.column.checks)
        for chk, cname in zip(node.column.checks, names):
            named = "" if cname is None else f" CONSTRAINT {name(cname)}"
            part += f"{named} CHECK ({to_sql(chk)})"
        sql = head + "ADD COLUMN " + part
    elif node.action == "drop":
        sql = head + f"DROP COLUMN {name(node.old)}"
    elif node.action == "rename_column":
        sql = head + f"RENAME COLUMN {name(node.old)} TO {name(node.new)}"
    else:
        sql = head + f"RENAME TO {name(node.new)}"
    try:
        again = parse_one(sql)
    except Error as e:
        raise InternalError(f"rendered ALTER TABLE does not read back ({e}): {sql}") from e
    if (again.action, again.old, again.new) != (node.action, node.old, node.new):
        raise InternalError(f"rendered ALTER TABLE reads back differently: {sql}")
    return sql
