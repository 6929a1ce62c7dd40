"""``WITH ... INSERT / UPDATE / DELETE``: the WITH clause handed to the statement's queries.

A CTE is bound afresh wherever it is named (like a view), so a WITH clause in front of a
data-changing statement means the same as that clause on each outermost query inside it:
the INSERT's SELECT and every subquery of its expressions (SET, WHERE, VALUES, upsert).
The target table itself is never a CTE, as in SQLite. This pass does that rewrite on the
syntax tree, so the DML builders need no notion of WITH.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any

from . import ast as A


def push_with(stmt: Any, with_: A.With) -> Any:
    """``stmt`` (an INSERT, UPDATE or DELETE) with ``with_`` put on its outermost queries."""
    return _walk(stmt, with_)


def _walk(node: Any, with_: A.With) -> Any:
    if isinstance(node, A.Select):
        return _attach(node, with_)
    if isinstance(node, tuple):
        items = tuple(_walk(x, with_) for x in node)
        return node if all(a is b for a, b in zip(items, node)) else items
    if is_dataclass(node) and not isinstance(node, type):
        changes = {}
        for f in fields(node):
            old = getattr(node, f.name)
            new = _walk(old, with_)
            if new is not old:
                changes[f.name] = new
        return replace(node, **changes) if changes else node
    return node


def _attach(sel: A.Select, with_: A.With) -> A.Select:
    if isinstance(sel.body, A.ValuesCore) and not sel.order_by and sel.limit is None:
        # INSERT ... VALUES keeps its fast path: only the subqueries in its rows need the names
        return replace(sel, body=_walk(sel.body, with_))
    if sel.with_ is None:
        return replace(sel, with_=with_)
    # the query has its own WITH, whose names shadow ours: read it as a derived table
    outer = A.SelectCore((A.Star(),), A.SubqueryRef(sel, None), None, (), None, False)
    return A.Select(outer, (), None, None, with_)
