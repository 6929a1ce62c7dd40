"""RETURNING: the select list an INSERT, UPDATE or DELETE evaluates over each row it writes.

The list compiles to one generated function ``returning(p, tx, row)``; the write loops in
``dml.py`` call it with the row as stored (after defaults, type conversion and a new rowid),
or the row deleted, right after each write, so later writes of the same statement do not
change what an earlier row reports (SQLite does the same).
"""

from __future__ import annotations

from ..errors import ProgrammingError, UndefinedTable
from . import ast as A
from .bind_expr import contains_aggregate
from .binder import Binder
from .compiler import Compiler, FunctionWriter
from .planner import plan_subqueries
from .render import to_sql
from .scope import Scope, SourceInfo


def compile_returning(binder: Binder, comp: Compiler, table, alias: str | None, items) -> tuple:
    """Compile RETURNING ``items`` over ``table`` (seen as ``alias``) into ``returning``.

    Returns the result's column names and types, for the cursor's ``description``.
    """
    scope = Scope()
    slot = binder.new_slot()
    cols = [(c.name, c.type, not c.not_null) for c in table.columns]
    scope.add(SourceInfo(table.name, cols, slot, table))
    names_ok = {table.name.lower()}
    if alias is not None and alias.lower() != table.name.lower():
        # SQLite accepts only the table's name here, PostgreSQL only the alias: take both.
        # The alias is a second name for the same row, seen only qualified (as excluded is).
        other = SourceInfo(alias, cols, slot, table)
        other.hidden = {c.name.lower() for c in table.columns}
        scope.add(other)
        names_ok.add(alias.lower())
    exprs, names, types = [], [], []
    for e, name in _expand(items, table, names_ok):
        if contains_aggregate(e):
            raise ProgrammingError("aggregate functions are not allowed in RETURNING")
        b = binder.bind(e, scope)
        plan_subqueries(binder.subplans)
        exprs.append(b)
        names.append(name)
        types.append(b.type)
    w = FunctionWriter(comp.prog, "returning", ["p", "tx", f"r{slot}"])
    comp.w = w
    w.prelude += ["ts = tx.ts", "me = tx.marker"]
    w.emit("return (" + "".join(comp.expr(b) + ", " for b in exprs) + ")")
    w.finish()
    comp.w = None
    return names, types


def _expand(items, table, names_ok: set[str]) -> list[tuple[A.Expr, str]]:
    """(expression, column name) for each item, ``*`` and ``t.*`` expanded to the columns
    a SELECT * shows (a cache table's expiry column stays hidden); ``t`` is in ``names_ok``."""
    out = []
    for it in items:
        if isinstance(it, A.Star):
            if it.table is not None and it.table.lower() not in names_ok:
                raise UndefinedTable(f"no such table: {it.table}")
            out += [(A.Column(c.name, table.name), c.name) for c in table.columns if not c.hidden]
        elif it.alias is not None:
            out.append((it.expr, it.alias))
        elif isinstance(it.expr, A.Column):
            out.append((it.expr, it.expr.name))
        else:
            out.append((it.expr, to_sql(it.expr)))
    return out
