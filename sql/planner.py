"""Planning: a bound SELECT → a plan tree (``plan.py``) for the compiler.

Access paths: a primary-key equality (also against an outer row, which makes correlated
subqueries and joins on a key cheap) becomes a dict probe, an indexed condition an index
lookup or range; equi-joins become hash joins; everything else is a full scan. Filters run at
the earliest source where their columns exist. The planner reads only the bound tree
(``bound_query.py``): every name was resolved by the binder.
"""

from __future__ import annotations

from . import access
from . import bound as B
from .bound_query import (
    BoundBlock,
    BoundCompound,
    BoundFunction,
    BoundOutput,
    BoundQuery,
    BoundRecursive,
    BoundRows,
    BoundSelect,
    BoundSystem,
    BoundTable,
    BoundValues,
    BoundWork,
)
from .join_order import order_steps
from .plan import (
    AggCall,
    Aggregate,
    Compound,
    Distinct,
    Filter,
    FunctionScan,
    IndexLookup,
    IndexMinMax,
    IndexRange,
    Join,
    Limit,
    Lookup,
    Node,
    Project,
    Query,
    RecursiveSource,
    RowsSource,
    Scan,
    SelectPlan,
    Single,
    Sort,
    SubPlan,
    Values,
    VirtualScan,
    Window,
    WorkScan,
)


def plan_select(bound: BoundSelect) -> SelectPlan:
    """Plan a whole bound SELECT statement, its subqueries included."""
    query = plan_query(bound.query)
    plan_subqueries(bound.subplans)
    return SelectPlan(query, bound.params, bound.tables)


def plan_query(q: BoundQuery) -> Query:
    """Plan one bound query (a block, VALUES, a compound); subqueries in its expressions are
    planned by ``plan_subqueries``."""
    return _PLANNERS[type(q)](q)


def plan_subqueries(subplans: list[SubPlan]) -> None:
    """Plan the bound subqueries that have no plan yet.

    INSERT, UPDATE and DELETE compile each expression as soon as it is bound; they call this
    in between, so that the compiler finds a plan for every subquery it meets.
    """
    for sub in subplans:
        if sub.query is None:
            sub.query = plan_query(sub.bound)


def access_path(src, terms: list, available: set, local_slots: set) -> Node:
    """The access path for a source under ``terms`` (see ``access.choose``)."""
    if not isinstance(src, Scan):
        src.filters = terms
        return src
    cache = src.table.cache
    path = access.choose(src, terms, available, local_slots)
    if cache is not None:  # rows past their TTL are gone for every reader
        path.filters.append(B.NotExpired(src.slot, len(src.table.columns) - 1, cache))
    # what a SERIALIZABLE transaction records as read: the conditions on this table's
    # own columns (others are dropped, which only widens what counts as a conflict)
    path.read_terms = [t for t in terms if t.slots() <= {src.slot} and not B.contains_subquery(t)]
    return path


# ---------------------------------------------------------------- query shapes
def _plan_block(q: BoundBlock) -> Query:
    root = _plan_joins(q.steps, B.conjuncts(q.where), q.local_slots)
    order = q.order
    agg = q.agg
    if agg is not None:
        root = _index_min_max(root, agg) or Aggregate(root, agg.groups, agg.extras, agg.slot)
    elif order and not q.windows:  # a Window node reorders its rows
        in_order = access.ordered(root, order)
        if in_order is not None:
            root, order = in_order, []
    if q.having is not None:
        root = Filter(root, B.conjuncts(q.having))
    if q.windows:
        keep = [agg.slot] if agg is not None else sorted(q.local_slots)
        root = Window(root, q.windows, q.window_slot, keep)
    root = Project(root, q.exprs, [b for b, _desc, _nulls in order])
    if q.distinct:
        root = Distinct(root)
    if order:
        root = Sort(root, q.sort_keys)
    root = _limit(root, q.limit, q.offset)
    return Query(root, q.names, q.types, q.outer_slots)


def _plan_values(q: BoundValues) -> Query:
    return Query(Values(q.rows), q.names, q.types, q.outer_slots)


def _plan_compound(q: BoundCompound) -> Query:
    root = Compound(q.op, plan_query(q.left), plan_query(q.right))
    return Query(root, q.names, q.types, q.outer_slots)


def _plan_output(q: BoundOutput) -> Query:
    root = plan_query(q.query).root
    if q.sort_keys:
        root = Sort(root, q.sort_keys, q.positions)
    root = _limit(root, q.limit, q.offset)
    return Query(root, q.names, q.types, q.outer_slots)


_PLANNERS = {
    BoundBlock: _plan_block,
    BoundValues: _plan_values,
    BoundCompound: _plan_compound,
    BoundOutput: _plan_output,
}


def _limit(root: Node, lim, off) -> Node:
    if lim is None and off is None:
        return root
    if isinstance(root, Sort) and lim is not None:
        root.top_n = (lim, off)
    return Limit(root, lim, off)


# ---------------------------------------------------------------- sources, joins, filters
def _source(src) -> Node:
    """The plan node that reads a bound FROM item."""
    if isinstance(src, BoundTable):
        return Scan(src.table, src.slot, src.alias)
    if isinstance(src, BoundRecursive):
        arms = [plan_query(a) for a in src.arms]
        query = plan_query(src.query)
        node = RecursiveSource(query, arms, src.distinct, src.work_slot, src.slot, src.alias)
        node.limit, node.offset = src.limit, src.offset
        return node
    if isinstance(src, BoundWork):
        return WorkScan(src.slot, src.work_slot, src.width)
    if isinstance(src, BoundFunction):
        return FunctionScan(src.name, src.rows_fn, src.args, src.width, src.slot, src.alias)
    if isinstance(src, BoundRows):
        return RowsSource(plan_query(src.query), src.slot, src.alias, src.kind)
    assert isinstance(src, BoundSystem)
    return VirtualScan(src.name, src.rows_fn, src.slot)


def _plan_joins(steps: list, where: list, local_slots: set) -> Node:
    if not steps:
        root = Single()
        root.filters = where
        return root
    steps, where = order_steps(steps, where, local_slots)
    pending = list(where)
    available: set[int] = set()
    root: Node | None = None
    for bound_src, kind, on in steps:
        src = _source(bound_src)
        slot = src.slot
        on_terms = B.conjuncts(on)
        # filters on this source alone: ON terms always; WHERE terms unless outer-joined
        mine = [c for c in on_terms if (c.slots() & local_slots) <= {slot}]
        on_rest = [c for c in on_terms if c not in mine]
        if kind != "left":
            movable = [c for c in pending if (c.slots() & local_slots) <= available | {slot}]
            here = [c for c in movable if (c.slots() & local_slots) <= {slot}]
            if root is None:
                here = [c for c in movable]
            mine += here
            pending = [c for c in pending if c not in here]
            join_terms = on_rest + [c for c in movable if c not in here]
            pending = [c for c in pending if c not in join_terms]
        else:
            join_terms = on_rest
        if root is None:
            root = access_path(src, mine, available, local_slots)
            available.add(slot)
            continue
        # a key lookup driven by the left rows turns the join into an index join
        probe = access_path(src, mine + join_terms, available, local_slots)
        if _driven_by(probe, available):
            root = Join(root, probe, kind, "index")
        else:
            src = access_path(src, mine, available, local_slots)
            root = _join(root, src, kind, join_terms, available, local_slots)
        available.add(slot)
        ready = [c for c in pending if (c.slots() & local_slots) <= available]
        if ready:
            root = Filter(root, ready)
            pending = [c for c in pending if c not in ready]
    if pending:
        root = Filter(root, pending)
    return root


def _join(left: Node, right, kind: str, terms: list, available: set, local: set) -> Join:
    slot = right.slot
    # a table function is run again for each left row (its arguments may read them)
    if isinstance(right, (Lookup, IndexLookup, IndexRange, FunctionScan)):
        j = Join(left, right, kind, "nested loop")
        j.cond = terms
        return j
    lkeys, rkeys, rest = [], [], []
    for t in terms:
        pair = _equi_pair(t, slot, available, local)
        if pair is not None:
            lkeys.append(pair[0])
            rkeys.append(pair[1])
        else:
            rest.append(t)
    if lkeys:
        j = Join(left, right, kind, "hash")
        j.left_keys, j.right_keys = lkeys, rkeys
    else:
        j = Join(left, right, kind, "nested loop")
    j.cond = rest
    return j


def _index_min_max(root, agg) -> IndexMinMax | None:
    """Answer ``SELECT min(col), max(col) FROM t`` from sorted indexes, without a scan."""
    if agg.groups or not isinstance(root, Scan) or root.filters or not agg.extras:
        return None
    if root.table.cache is not None:
        return None  # expired rows would have to be skipped
    specs = []
    for ex in agg.extras:
        if not isinstance(ex, AggCall) or ex.func not in ("min", "max") or ex.distinct:
            return None
        arg = ex.args[0]
        if not (isinstance(arg, B.ColRef) and arg.slot == root.slot):
            return None
        ix = next(
            (i for i in root.table.indexes if i.method == "sorted" and i.columns[0] == arg.pos),
            None,
        )
        if ix is None:
            return None
        specs.append((ex.func, ix))
    return IndexMinMax(root.table, agg.slot, specs)


def _driven_by(path, available: set) -> bool:
    """True when an index or key path takes its keys from rows already joined."""
    exprs = list(getattr(path, "keys", ())) + list(getattr(path, "prefix", ()))
    exprs += [e for e in (getattr(path, "low", None), getattr(path, "high", None)) if e]
    return isinstance(path, (Lookup, IndexLookup, IndexRange)) and any(
        e.slots() & available for e in exprs
    )


def _equi_pair(t: B.BExpr, slot: int, available: set, local: set):
    """(left expr, right expr) when ``t`` equates an expression of ``slot`` with earlier rows."""
    if not (isinstance(t, B.Op) and t.op == "="):
        return None
    a, b = t.left, t.right
    sa, sb = a.slots() & local, b.slots() & local
    if B.contains_subquery(a) or B.contains_subquery(b):
        return None
    if sb == {slot} and sa and sa <= available:
        return a, b
    if sa == {slot} and sb and sb <= available:
        return b, a
    return None
