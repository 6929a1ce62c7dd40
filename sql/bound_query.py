"""Bound queries: what the binder makes of a SELECT, and what the planner reads.

Every name is resolved (columns to ``(slot, position)``, tables to catalog objects) and every
expression is a bound expression (``bound.py``), but nothing is decided yet about how rows
are found, joined or ordered: that is the planner's job. Each query knows its output
``names`` and ``types``, and ``outer_slots``: the slots of enclosing blocks it reads, which
makes it a correlated subquery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class BoundQuery:
    """Base of bound queries: output names and types, and the outer slots read."""

    names: list[str]
    types: list
    outer_slots: set[int]


@dataclass(eq=False)
class BoundBlock(BoundQuery):
    """One ``SELECT ... FROM ... WHERE ... GROUP BY ... HAVING ... ORDER BY ... LIMIT``.

    ``steps`` are the FROM items in order, ``(source, join kind, ON condition)``; ``where`` is
    one condition; ``agg`` the ``AggContext`` of an aggregate query (groups, aggregate calls,
    output slot), else None; ``order`` the ORDER BY terms as (expr, desc, nulls_first) and
    ``sort_keys`` their descriptions for the Sort node.
    """

    steps: list
    local_slots: set[int]
    where: Any
    exprs: list
    agg: Any
    having: Any
    windows: list  # plan.WindowFunc per position of the window slot (none: no Window node)
    window_slot: int
    order: list
    sort_keys: list
    distinct: bool
    limit: Any
    offset: Any
    names: list[str]
    types: list
    outer_slots: set[int]


class BoundValues(BoundQuery):
    """``VALUES (...), (...)``: rows of bound expressions."""

    def __init__(self, rows: list[list], names: list[str], types: list, outer_slots: set[int]):
        self.rows = rows
        self.names = names
        self.types = types
        self.outer_slots = outer_slots


class BoundCompound(BoundQuery):
    """``left op right`` (UNION [ALL], INTERSECT, EXCEPT) of two queries of equal width."""

    def __init__(self, op: str, left: BoundQuery, right: BoundQuery, types: list):
        self.op = op
        self.left = left
        self.right = right
        self.names = left.names
        self.types = types
        self.outer_slots = set(left.outer_slots) | set(right.outer_slots)


class BoundOutput(BoundQuery):
    """ORDER BY (by output column) and LIMIT over a compound or VALUES query."""

    def __init__(self, query: BoundQuery, sort_keys: list, positions: list, limit, offset, outer):
        self.query = query
        self.sort_keys = sort_keys
        self.positions = positions
        self.limit = limit
        self.offset = offset
        self.names = query.names
        self.types = query.types
        self.outer_slots = set(query.outer_slots) | outer


class BoundTable:
    """A table in FROM, read through row slot ``slot``."""

    def __init__(self, table, slot: int, alias: str):
        self.table = table
        self.slot = slot
        self.alias = alias


class BoundRows:
    """A subquery or view in FROM: its rows, read through ``slot``."""

    def __init__(self, query: BoundQuery, slot: int, alias: str, kind: str):
        self.query = query
        self.slot = slot
        self.alias = alias
        self.kind = kind  # "SUBQUERY" or "VIEW", as EXPLAIN shows it


class BoundRecursive(BoundRows):
    """A recursive CTE in FROM: ``query`` gives the first rows, then each of ``arms`` runs
    on every new row (bound as work slot ``work_slot``); ``distinct`` for UNION."""

    def __init__(self, query, arms: list, distinct: bool, work_slot: int, slot: int, alias: str):
        super().__init__(query, slot, alias, "RECURSIVE CTE")
        self.arms = arms
        self.distinct = distinct
        self.work_slot = work_slot
        self.limit = self.offset = None  # the CTE's own LIMIT / OFFSET (bound expressions)


class BoundWork:
    """The recursive CTE's reference to itself: one row at a time, read from ``work_slot``."""

    def __init__(self, slot: int, work_slot: int, width: int):
        self.slot = slot
        self.work_slot = work_slot
        self.width = width


class BoundSystem:
    """A system table (``sys.name``): rows made by ``rows_fn`` when read."""

    def __init__(self, name: str, rows_fn, slot: int):
        self.name = name
        self.rows_fn = rows_fn
        self.slot = slot


class BoundFunction:
    """A table-valued function in FROM (json_each, json_tree): ``rows_fn(*args)`` gives its
    rows; ``args`` may read the FROM items before it (evaluated again for each of their
    rows) and enclosing queries."""

    def __init__(self, name: str, rows_fn, args: list, width: int, slot: int, alias: str):
        self.name = name
        self.rows_fn = rows_fn
        self.args = args
        self.width = width
        self.slot = slot
        self.alias = alias


class BoundSelect:
    """A whole SELECT statement, bound: the query, every subquery of it (``SubPlan``s, in
    the order the compiler numbers them), its parameters and the tables it reads."""

    def __init__(self, query: BoundQuery, subplans: list, params, tables: set):
        self.query = query
        self.subplans = subplans
        self.params = params
        self.tables = tables
