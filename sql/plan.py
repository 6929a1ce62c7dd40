"""Plan nodes. Each node prints itself, so EXPLAIN is the tree's own rendering.

Sources bind one row *slot* (a variable ``r<slot>`` in generated code); joins, filters,
aggregation, projection, sorting and limits stack on top. The compiler turns a tree into one
Python function per query block.
"""

from __future__ import annotations

from typing import Any, Callable


def _exprs(items) -> str:
    return ", ".join(str(e) for e in items)


class Node:
    """Base of plan nodes."""

    def children(self) -> list[Node]:
        return []

    def label(self) -> str:
        return type(self).__name__

    def explain(self, depth: int = 0, note: Callable[[Node], str] | None = None) -> list[str]:
        """The subtree as indented lines; ``note(node)`` is appended to each node's line
        (EXPLAIN ANALYZE's figures)."""
        lines = ["  " * depth + self.label() + (note(self) if note else "")]
        for extra in self.details():
            lines.append("  " * (depth + 1) + extra)
        for child in self.children():
            lines.extend(child.explain(depth + 1, note))
        return lines

    def details(self) -> list[str]:
        return []

    def __str__(self) -> str:
        return "\n".join(self.explain())


class Source(Node):
    """A node that binds one row slot; ``filters`` run as soon as the row is read."""

    slot: int
    filters: list

    def details(self) -> list[str]:
        return [f"filter: {f}" for f in self.filters]


class Single(Source):
    """One empty row, for SELECT without FROM."""

    def __init__(self) -> None:
        self.slot = -1
        self.filters = []

    def label(self) -> str:
        return "ONE ROW"


class Scan(Source):
    """Every visible row of a table."""

    def __init__(self, table, slot: int, alias: str):
        self.table = table
        self.slot = slot
        self.alias = alias
        self.filters: list = []
        self.need_key = False

    def label(self) -> str:
        name = self.table.name
        alias = f" AS {self.alias}" if self.alias.lower() != name.lower() else ""
        return f"FULL SCAN {name}{alias}"


class Lookup(Source):
    """Rows found by primary key equality: one dict probe per key value."""

    def __init__(self, table, slot: int, alias: str, keys: list, many: bool = False):
        self.table = table
        self.slot = slot
        self.alias = alias
        self.keys = keys  # one bound expr per key column; with many, one expr giving a list
        self.many = many
        self.filters: list = []
        self.need_key = False

    def label(self) -> str:
        cols = [self.table.columns[i].name for i in self.table.schema.primary_key]
        if self.many:
            return f"PRIMARY KEY LOOKUP {self.table.name} ({cols[0]} IN {self.keys[0]})"
        conds = ", ".join(f"{c} = {k}" for c, k in zip(cols, self.keys))
        return f"PRIMARY KEY LOOKUP {self.table.name} ({conds})"


class IndexLookup(Source):
    """Rows whose index key equals the given values: one hash probe per value."""

    def __init__(self, table, slot: int, alias: str, index, keys: list, many: bool = False):
        self.table = table
        self.slot = slot
        self.alias = alias
        self.index = index
        self.keys = keys  # one expr per index column; with many, one IN-list expr
        self.many = many
        self.filters: list = []
        self.need_key = False

    def label(self) -> str:
        cols = [self.table.columns[i].name for i in self.index.columns]
        if self.many:
            cond = f"{cols[0]} IN {_in_items(self.keys[0])}"
        else:
            cond = ", ".join(f"{c} = {k}" for c, k in zip(cols, self.keys))
        return f"INDEX LOOKUP {self.table.name} USING {self.index.name} ({cond})"


class IndexRange(Source):
    """Rows of a sorted index between bounds, in index order (reverse for DESC)."""

    def __init__(self, table, slot: int, alias: str, index, prefix: list):
        self.table = table
        self.slot = slot
        self.alias = alias
        self.index = index
        self.prefix = prefix  # exprs equal to the leading index columns
        self.low = self.high = None
        self.low_open = self.high_open = False
        self.reverse = False
        self.filters: list = []
        self.need_key = False

    def label(self) -> str:
        cols = [self.table.columns[i].name for i in self.index.columns]
        conds = [f"{c} = {k}" for c, k in zip(cols, self.prefix)]
        nxt = cols[len(self.prefix)] if len(self.prefix) < len(cols) else None
        if self.low is not None:
            conds.append(f"{nxt} {'>' if self.low_open else '>='} {self.low}")
        if self.high is not None:
            conds.append(f"{nxt} {'<' if self.high_open else '<='} {self.high}")
        kind = "INDEX RANGE" if conds else "INDEX SCAN"
        where = f" ({' AND '.join(conds)})" if conds else ""
        order = " DESC" if self.reverse else ""
        return f"{kind} {self.table.name} USING {self.index.name}{where}{order}"


class IndexMinMax(Node):
    """min()/max() of indexed columns read from the ends of sorted indexes."""

    def __init__(self, table, slot: int, specs: list):
        self.table = table
        self.slot = slot
        self.specs = specs  # (func, index) per aggregate, in output order

    def label(self) -> str:
        parts = [
            f"{f}({self.table.columns[ix.columns[0]].name}) USING {ix.name}" for f, ix in self.specs
        ]
        return f"INDEX MIN/MAX {self.table.name}: " + ", ".join(parts)


def _in_items(expr) -> str:
    items = getattr(expr, "items", None)
    if items is None:
        return str(expr)
    return "(" + ", ".join(str(i) for i in items) + ")"


class RowsSource(Source):
    """Rows of a subquery, view or VALUES list, computed once per execution."""

    def __init__(self, query, slot: int, alias: str, kind: str = "SUBQUERY"):
        self.query = query
        self.slot = slot
        self.alias = alias
        self.kind = kind
        self.filters: list = []

    def label(self) -> str:
        return f"{self.kind} {self.alias}"

    def children(self) -> list[Node]:
        return [self.query.root]


class RecursiveSource(RowsSource):
    """A recursive CTE: the rows of ``query``, then of ``arms`` run on each new row in turn
    (SQLite's queue), duplicates dropped as they come when ``distinct`` (UNION)."""

    def __init__(self, query, arms: list, distinct: bool, work_slot: int, slot: int, alias: str):
        super().__init__(query, slot, alias, "RECURSIVE CTE")
        self.arms = arms
        self.distinct = distinct
        self.work_slot = work_slot
        outer = set(query.outer_slots)
        for a in arms:
            outer |= set(a.outer_slots)
        self.outer_slots = outer - {work_slot}
        self.limit = self.offset = None  # the CTE's own LIMIT / OFFSET: stop the recursion

    def label(self) -> str:
        return f"RECURSIVE CTE {self.alias} ({'UNION' if self.distinct else 'UNION ALL'})"

    def details(self) -> list[str]:
        out = super().details()
        if self.limit is not None:
            out.append(f"limit: {self.limit}")
        if self.offset is not None:
            out.append(f"offset: {self.offset}")
        return out

    def children(self) -> list[Node]:
        return [self.query.root] + [a.root for a in self.arms]


class WorkScan(Source):
    """The row a recursive CTE's arm runs on (its reference to itself)."""

    def __init__(self, slot: int, work_slot: int, width: int):
        self.slot = slot
        self.work_slot = work_slot
        self.width = width
        self.filters: list = []

    def label(self) -> str:
        return "RECURSIVE REFERENCE"


class VirtualScan(Source):
    """A system table computed from the catalog when read."""

    def __init__(self, name: str, rows_fn, slot: int):
        self.name = name
        self.rows_fn = rows_fn
        self.slot = slot
        self.filters: list = []

    def label(self) -> str:
        return f"SYSTEM TABLE {self.name}"


class FunctionScan(Source):
    """A table-valued function's rows, computed from ``args`` each time the node is
    reached (once per row of the FROM items its arguments read)."""

    def __init__(self, name: str, rows_fn, args: list, width: int, slot: int, alias: str):
        self.name = name
        self.rows_fn = rows_fn
        self.args = args
        self.width = width
        self.slot = slot
        self.alias = alias
        self.filters: list = []

    def label(self) -> str:
        args = ", ".join(str(a) for a in self.args)
        return f"TABLE FUNCTION {self.name}({args}) AS {self.alias}"


class Join(Node):
    """Left-deep join: ``left`` is any plan, ``right`` a source."""

    def __init__(self, left: Node, right: Source, kind: str, method: str):
        self.left = left
        self.right = right
        self.kind = kind  # 'inner', 'left', 'cross'
        self.method = method  # 'nested loop', 'hash', 'index'
        self.left_keys: list = []
        self.right_keys: list = []
        self.cond: list = []

    def children(self) -> list[Node]:
        return [self.left, self.right]

    def label(self) -> str:
        kind = {"inner": "INNER", "left": "LEFT", "cross": "CROSS"}[self.kind]
        return f"{kind} JOIN ({self.method.upper()})"

    def details(self) -> list[str]:
        out = []
        if self.left_keys:
            pairs = ", ".join(f"{a} = {b}" for a, b in zip(self.left_keys, self.right_keys))
            out.append(f"hash keys: {pairs}")
        out += [f"on: {c}" for c in self.cond]
        return out


class Filter(Node):
    def __init__(self, child: Node, preds: list):
        self.child = child
        self.preds = preds

    def children(self) -> list[Node]:
        return [self.child]

    def label(self) -> str:
        return "FILTER"

    def details(self) -> list[str]:
        return [str(p) for p in self.preds]


class AggCall:
    """One aggregate: function name, bound arguments, DISTINCT flag, FILTER condition;
    ``user`` is the connection's ``udf.UserAggregate`` for a user-defined one."""

    def __init__(self, func: str, args: list, distinct: bool, star: bool, user=None, filter_=None):
        self.func = func
        self.args = args
        self.distinct = distinct
        self.star = star
        self.user = user
        self.filter = filter_

    def __str__(self) -> str:
        f = f" FILTER (WHERE {self.filter})" if self.filter is not None else ""
        if self.star:
            return f"{self.func}(*){f}"
        d = "DISTINCT " if self.distinct else ""
        return f"{self.func}({d}{_exprs(self.args)}){f}"


class BareColumn:
    """A non-aggregated column read in an aggregate query (from the group's first row)."""

    def __init__(self, expr):
        self.expr = expr

    def __str__(self) -> str:
        return str(self.expr)


class Aggregate(Node):
    """Hash aggregation: output slot holds group values, then aggregates and bare columns."""

    def __init__(self, child: Node, groups: list, extras: list, slot: int):
        self.child = child
        self.groups = groups
        self.extras = extras
        self.slot = slot

    def children(self) -> list[Node]:
        return [self.child]

    def label(self) -> str:
        return "HASH AGGREGATE" if self.groups else "AGGREGATE"

    def details(self) -> list[str]:
        out = []
        if self.groups:
            out.append(f"group by: {_exprs(self.groups)}")
        aggs = [e for e in self.extras if isinstance(e, AggCall)]
        if aggs:
            out.append(f"aggregates: {_exprs(aggs)}")
        return out


class WindowDef:
    """A resolved window: PARTITION BY and ORDER BY (expr, desc, nulls_first) as bound
    expressions, frame ``units`` ('ROWS', 'RANGE', 'GROUPS'), ``start`` and ``end`` as
    (kind, offset expr or None), and ``exclude``."""

    def __init__(self, partition: list, order: list, units: str, start, end, exclude: str):
        self.partition = partition
        self.order = order
        self.units = units
        self.start = start
        self.end = end
        self.exclude = exclude

    def key(self) -> tuple:
        """What makes two windows sort their rows the same way."""
        return (
            tuple(str(e) for e in self.partition),
            tuple((str(e), d, n) for e, d, n in self.order),
        )

    def __str__(self) -> str:
        parts = []
        if self.partition:
            parts.append("PARTITION BY " + _exprs(self.partition))
        if self.order:
            terms = [f"{e}{' DESC' if d else ''}" for e, d, _n in self.order]
            parts.append("ORDER BY " + ", ".join(terms))
        bounds = []
        for kind, off in (self.start, self.end):
            bounds.append(kind.upper() if off is None else f"{off} {kind.upper()}")
        parts.append(f"{self.units} BETWEEN {bounds[0]} AND {bounds[1]}")
        if self.exclude != "NO OTHERS":
            parts.append("EXCLUDE " + self.exclude)
        return " ".join(parts)


class WindowFunc:
    """One window function call: name, bound arguments, FILTER condition, its window, and
    the aggregate class when it is an aggregate (``window_agg.py``)."""

    def __init__(self, func: str, args: list, filter_, window: WindowDef, agg_class=None):
        self.func = func
        self.args = args
        self.filter = filter_
        self.window = window
        self.agg_class = agg_class

    def __str__(self) -> str:
        f = f" FILTER (WHERE {self.filter})" if self.filter is not None else ""
        return f"{self.func}({_exprs(self.args)}){f} OVER ({self.window})"


class Window(Node):
    """Window functions over the rows below: buffers them (the values of slots ``keep``),
    sorts them per window, and hands each on with slot ``slot`` holding its values."""

    def __init__(self, child: Node, funcs: list, slot: int, keep: list[int]):
        self.child = child
        self.funcs = funcs
        self.slot = slot
        self.keep = keep

    def children(self) -> list[Node]:
        return [self.child]

    def label(self) -> str:
        return "WINDOW"

    def details(self) -> list[str]:
        return [str(f) for f in self.funcs]


class Project(Node):
    """Compute the output row (and the sort keys, evaluated before projection)."""

    def __init__(self, child: Node, exprs: list, sort_keys: list | None = None):
        self.child = child
        self.exprs = exprs
        self.sort_keys = sort_keys or []

    def children(self) -> list[Node]:
        return [self.child]

    def label(self) -> str:
        return "PROJECT " + _exprs(self.exprs)


class Distinct(Node):
    def __init__(self, child: Node):
        self.child = child

    def children(self) -> list[Node]:
        return [self.child]

    def label(self) -> str:
        return "DISTINCT"


class Sort(Node):
    """Order rows; ``keys`` are (description, desc, nulls_first, type) per term.

    With ``positions`` the keys are output columns (compound selects), else they come from
    the Project below.
    """

    def __init__(self, child: Node, keys: list, positions: list | None = None):
        self.child = child
        self.keys = keys
        self.positions = positions
        self.top_n = None  # (limit, offset) exprs when a LIMIT sits on top

    def children(self) -> list[Node]:
        return [self.child]

    def label(self) -> str:
        terms = ", ".join(f"{k[0]}{' DESC' if k[1] else ''}" for k in self.keys)
        return f"{'TOP-N ' if self.top_n is not None else ''}SORT {terms}"


class Limit(Node):
    def __init__(self, child: Node, limit: Any, offset: Any):
        self.child = child
        self.limit = limit
        self.offset = offset

    def children(self) -> list[Node]:
        return [self.child]

    def label(self) -> str:
        s = f"LIMIT {self.limit}" if self.limit is not None else "LIMIT ALL"
        return s + (f" OFFSET {self.offset}" if self.offset is not None else "")


class Compound(Node):
    def __init__(self, op: str, left, right):
        self.op = op
        self.left = left
        self.right = right

    def children(self) -> list[Node]:
        return [self.left.root, self.right.root]

    def label(self) -> str:
        return self.op


class Values(Node):
    """Rows written out in a VALUES list."""

    def __init__(self, rows: list[list]):
        self.rows = rows

    def label(self) -> str:
        return f"VALUES ({len(self.rows)} rows)"


class Query:
    """A planned query block: its root node, output names and types, and the subplans
    (subqueries) it uses. ``outer_slots`` are the enclosing query's row slots it reads."""

    def __init__(self, root: Node, names: list[str], types: list, outer_slots=()):
        self.root = root
        self.names = names
        self.types = types
        self.outer_slots = tuple(sorted(outer_slots))

    def explain(self) -> list[str]:
        return self.root.explain()


class SubPlan:
    """A subquery used inside an expression; compiled to its own function.

    The binder makes it with the bound query (``bound``); the planner fills in ``query``.
    """

    def __init__(self, id: int, bound, kind: str):
        self.id = id
        self.bound = bound
        self.kind = kind
        self.query: Query | None = None

    @property
    def outer_slots(self) -> tuple:
        """The enclosing queries' row slots it reads (the arguments of its function)."""
        if self.query is None:
            return tuple(sorted(self.bound.outer_slots))
        return self.query.outer_slots


class SelectPlan:
    """A whole SELECT statement, planned: its query, and what binding counted (parameters,
    tables read) for the statement compiled from it."""

    def __init__(self, query: Query, params, tables: set):
        self.query = query
        self.params = params
        self.tables = tables
