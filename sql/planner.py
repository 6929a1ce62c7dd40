"""SELECT → plan: sources and join methods, filter placement, aggregation, sort and limit.

Access paths: a primary-key equality (also against an outer row, which makes correlated
subqueries and joins on a key cheap) becomes a dict probe; equi-joins become hash joins;
everything else is a full scan. Filters run at the earliest source where their columns exist.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotSupportedError, ProgrammingError, UndefinedColumn, UndefinedTable
from ..types import INTEGER
from . import access
from . import ast as A
from . import bound as B
from .binder import (
    AggContext,
    ExprBinder,
    ParamTable,
    Scope,
    SourceInfo,
    contains_aggregate,
)
from .plan import (
    AggCall,
    Aggregate,
    Compound,
    Distinct,
    Filter,
    IndexLookup,
    IndexMinMax,
    IndexRange,
    Join,
    Limit,
    Lookup,
    Node,
    Project,
    Query,
    RowsSource,
    Scan,
    Single,
    Sort,
    SubPlan,
    VirtualScan,
)
from .render import to_sql


class Values(Node):
    """Rows written out in a VALUES list."""

    def __init__(self, rows: list[list]):
        self.rows = rows

    def label(self) -> str:
        return f"VALUES ({len(self.rows)} rows)"


class Planner:
    """Plans the query blocks of one statement; slots and subquery ids are unique within it."""

    def __init__(self, catalog, systables: dict | None = None):
        self.catalog = catalog
        self.systables = systables or {}
        self.params = ParamTable()
        self.exprs = ExprBinder(self.params, self.plan_subquery)
        self.next_slot = 0
        self.subplans: list[SubPlan] = []
        self.tables: set = set()  # tables the statement reads or writes
        self._view_depth = 0

    def new_slot(self) -> int:
        self.next_slot += 1
        return self.next_slot - 1

    def bind(self, e: A.Expr, scope: Scope) -> B.BExpr:
        return self.exprs.bind(e, scope)

    # ------------------------------------------------------------ entry points
    def plan_select(self, sel: A.Select, outer: Scope | None = None) -> Query:
        """Plan a full SELECT (compound, ORDER BY, LIMIT)."""
        body = sel.body
        if isinstance(body, A.SelectCore):
            return self._plan_core(body, sel.order_by, sel.limit, sel.offset, outer)
        scope = Scope(outer)
        if isinstance(body, A.ValuesCore):
            q = self._plan_values(body, scope)
        else:
            q = self._plan_compound(body, scope)
        return self._finish_output(q, sel, scope)

    def plan_subquery(self, sel: A.Select, scope: Scope, kind: str) -> SubPlan:
        """Plan a subquery used in an expression of ``scope``'s block."""
        if kind == "exists" and sel.limit is None and not sel.order_by:
            sel = A.Select(sel.body, (), A.Literal(1), None)
        q = self.plan_select(sel, scope)
        sub = SubPlan(len(self.subplans), q, kind)
        self.subplans.append(sub)
        return sub

    # ------------------------------------------------------------ compound and VALUES
    def _plan_values(self, body: A.ValuesCore, scope: Scope) -> Query:
        width = len(body.rows[0])
        rows = []
        for r in body.rows:
            if len(r) != width:
                raise ProgrammingError("all VALUES rows must have the same number of terms")
            rows.append([self.bind(e, scope) for e in r])
        types = []
        for i in range(width):
            ts = {r[i].type for r in rows if not (isinstance(r[i], B.Const) and r[i].value is None)}
            types.append(ts.pop() if len(ts) == 1 else None)
        names = [f"column{i + 1}" for i in range(width)]
        return Query(Values(rows), names, types, scope.outer_refs)

    def _plan_compound(self, body: A.CompoundCore, scope: Scope) -> Query:
        """``A op B op C ...``: the grammar nests it to the left, one level per arm; a run of
        one associative operator is planned as a balanced tree, so that hundreds of
        ``UNION ALL`` arms stay a few levels deep for the compiler."""
        arms, ops = [], []
        node: Any = body
        while isinstance(node, A.CompoundCore):  # the left spine, without recursion
            ops.append(node.op)
            arms.append(node.right)
            node = node.left
        arms.append(node)
        arms.reverse()
        ops.reverse()
        plans = [self.plan_select(A.Select(arm), scope.parent) for arm in arms]
        current = plans[0]
        i = 0
        while i < len(ops):
            op, j = ops[i], i + 1
            if op in _ASSOCIATIVE_SET_OPS:
                while j < len(ops) and ops[j] == op:
                    j += 1
            current = _balanced_compound(op, [current] + plans[i + 1 : j + 1])
            i = j
        return current

    def _finish_output(self, q: Query, sel: A.Select, scope: Scope) -> Query:
        """ORDER BY / LIMIT over a compound or VALUES result (by output column)."""
        root = q.root
        if sel.order_by:
            keys, positions = [], []
            for term in sel.order_by:
                pos = _output_position(term.expr, q.names)
                if pos is None:
                    raise ProgrammingError(
                        f"ORDER BY term does not match any column in the result set: "
                        f"{_ast_text(term.expr)}"
                    )
                positions.append(pos)
                keys.append((q.names[pos], term.desc, term.nulls_first, q.types[pos]))
            root = Sort(root, keys, positions)
        root = self._limit(root, sel, scope)
        return Query(root, q.names, q.types, set(q.outer_slots) | scope.outer_refs)

    def _limit(self, root: Node, sel: A.Select, scope: Scope) -> Node:
        if sel.limit is None and sel.offset is None:
            return root
        lim = self.bind(sel.limit, scope) if sel.limit is not None else None
        off = self.bind(sel.offset, scope) if sel.offset is not None else None
        for e in (lim, off):
            if e is not None and e.slots() - scope.outer_refs:
                raise ProgrammingError("LIMIT and OFFSET must not refer to columns")
        if isinstance(root, Sort) and lim is not None:
            root.top_n = (lim, off)
        return Limit(root, lim, off)

    # ------------------------------------------------------------ SELECT core
    def _plan_core(self, core: A.SelectCore, order_by, limit, offset, outer) -> Query:
        scope = Scope(outer)
        steps = self._bind_from(core.from_, scope) if core.from_ is not None else []
        scope.aliases = {
            it.alias.lower(): it.expr
            for it in core.items
            if isinstance(it, A.SelectItem) and it.alias
        }
        where = self.bind(core.where, scope) if core.where is not None else None
        if core.where is not None and contains_aggregate(core.where):
            raise ProgrammingError("misuse of aggregate function in WHERE")
        root = self._plan_joins(steps, B.conjuncts(where), scope)
        items = self._expand_items(core.items, scope)
        group_asts = [self._group_term(g, items, scope) for g in core.group_by]
        aggregating = (
            bool(group_asts)
            or any(contains_aggregate(e) for e, _ in items)
            or (core.having is not None and contains_aggregate(core.having))
            or any(contains_aggregate(t.expr) for t in order_by)
        )
        out_scope = scope
        if aggregating:
            for g in group_asts:
                if contains_aggregate(g):
                    raise ProgrammingError("aggregate functions are not allowed in GROUP BY")
            groups = [self.bind(g, scope) for g in group_asts]
            slot = self.new_slot()
            out_scope = Scope(outer)
            out_scope.sources = scope.sources
            out_scope.outer_refs = scope.outer_refs
            out_scope.aliases = scope.aliases
            out_scope.agg = AggContext(scope, group_asts, groups, slot)
        elif core.having is not None:
            raise ProgrammingError("a GROUP BY clause is required before HAVING")
        exprs = [self.bind(e, out_scope) for e, _ in items]
        having = self.bind(core.having, out_scope) if core.having is not None else None
        sort_keys, sort_desc = self._order_terms(order_by, items, exprs, out_scope)
        if aggregating:
            agg = out_scope.agg
            root = _index_min_max(root, agg) or Aggregate(root, agg.groups, agg.extras, agg.slot)
        elif sort_keys:
            terms = [(b, t.desc, t.nulls_first) for (b, _), t in zip(sort_keys, order_by)]
            in_order = access.ordered(root, terms)
            if in_order is not None:
                root, sort_keys = in_order, []
        if having is not None:
            root = Filter(root, B.conjuncts(having))
        names = [_item_name(e, alias) for e, alias in items]
        root = Project(root, exprs, [k for k, _ in sort_keys])
        if core.distinct:
            root = Distinct(root)
        if sort_keys:
            root = Sort(root, sort_desc)
        root = self._limit(root, A.Select(core, (), limit, offset), out_scope)
        scope.outer_refs |= out_scope.outer_refs
        return Query(root, names, [e.type for e in exprs], scope.outer_refs)

    def _expand_items(self, items, scope: Scope) -> list[tuple[A.Expr, str | None]]:
        out = []
        for it in items:
            if isinstance(it, A.Star):
                srcs = scope.sources
                if it.table is not None:
                    srcs = [s for s in srcs if s.alias.lower() == it.table.lower()]
                    if not srcs:
                        raise UndefinedTable(f"no such table: {it.table}")
                if not srcs:
                    raise ProgrammingError("SELECT * with no tables specified is not valid")
                for s in srcs:
                    for name, _t, _n in s.columns:
                        low = name.lower()
                        if (it.table is None and low in s.hidden) or low in s.unlisted:
                            continue
                        out.append((A.Column(name, s.alias), name))
            else:
                out.append((it.expr, it.alias))
        return out

    def _group_term(self, g: A.Expr, items, scope: Scope) -> A.Expr:
        if isinstance(g, A.Literal) and type(g.value) is int:
            if not 1 <= g.value <= len(items):
                raise ProgrammingError(
                    f"GROUP BY term out of range - should be between 1 and {len(items)}"
                )
            return items[g.value - 1][0]
        if isinstance(g, A.Column) and g.table is None and g.name.lower() in scope.aliases:
            try:
                scope.resolve(g.name, None)  # a column of that name wins, as in SQLite
            except UndefinedColumn:
                return scope.aliases[g.name.lower()]
        return g

    def _order_terms(self, order_by, items, exprs, scope: Scope):
        keys, desc = [], []
        for term in order_by:
            e = term.expr
            b = None
            if isinstance(e, A.Literal) and type(e.value) is int:
                if not 1 <= e.value <= len(items):
                    raise ProgrammingError(
                        f"ORDER BY term out of range - should be between 1 and {len(items)}"
                    )
                b = exprs[e.value - 1]
            elif isinstance(e, A.Column) and e.table is None:
                for (ie, alias), be in zip(items, exprs):
                    if alias is not None and alias.lower() == e.name.lower() and ie != e:
                        b = be
                        break
            if b is None:
                for (ie, _alias), be in zip(items, exprs):
                    if ie == e:
                        b = be
                        break
            if b is None:
                b = self.bind(e, scope)
            keys.append((b, None))
            desc.append((str(b), term.desc, term.nulls_first, b.type))
        return keys, desc

    # ------------------------------------------------------------ FROM
    def _bind_from(self, node, scope: Scope) -> list:
        """Bind FROM items into scope; return join steps (source, kind, on, using)."""
        if isinstance(node, A.Join):
            steps = self._bind_from(node.left, scope)
            right = self._bind_from(node.right, scope)
            if len(right) != 1:
                raise NotSupportedError("a parenthesized join on the right side of a join")
            src = right[0][0]
            on = None
            if node.using:
                on = self._using(node.using, scope, src)
            if node.on is not None:
                b = self.bind(node.on, scope)
                on = b if on is None else B.Logic("AND", on, b)
            kind = node.kind
            if kind == "left":  # beyond its ON clause, the right side may be all NULL
                info = scope.sources[-1]
                info.columns = [(n, t, True) for n, t, _nullable in info.columns]
            if kind == "cross" and on is not None:
                kind = "inner"
            steps.append((src, kind, on))
            return steps
        if isinstance(node, A.TableRef):
            return [(self._table_source(node, scope), "inner", None)]
        if isinstance(node, A.SubqueryRef):
            q = self.plan_select(node.select, scope.parent)
            alias = node.alias or f"subquery{self.next_slot}"
            return [(self._rows_source(q, alias, scope, "SUBQUERY"), "inner", None)]
        raise NotSupportedError(f"FROM item {type(node).__name__}")

    def _using(self, names, scope: Scope, right: Any) -> B.BExpr:
        right_info = scope.sources[-1]
        cond = None
        for name in names:
            lefts = [s for s in scope.sources[:-1] if s.find(name) is not None]
            if not lefts or right_info.find(name) is None:
                raise ProgrammingError(
                    f"cannot join using column {name} - column not present in both tables"
                )
            l_src = lefts[0]
            lp, rp = l_src.find(name), right_info.find(name)
            lc, rc = l_src.columns[lp], right_info.columns[rp]
            eq = B.Op(
                "=",
                B.ColRef(l_src.slot, lp, f"{l_src.alias}.{lc[0]}", lc[1], lc[2]),
                B.ColRef(right_info.slot, rp, f"{right_info.alias}.{rc[0]}", rc[1], rc[2]),
                None,
            )
            right_info.hidden.add(name.lower())
            cond = eq if cond is None else B.Logic("AND", cond, eq)
        return cond

    def _table_source(self, ref: A.TableRef, scope: Scope):
        alias = ref.alias or ref.name
        if ref.schema is not None:
            if ref.schema.lower() == "sys":
                return self._system_source(ref, alias, scope)
            if ref.schema.lower() not in ("main",):
                raise UndefinedTable(f"no such table: {ref.schema}.{ref.name}")
        cat = self.catalog
        table = cat.tables.get(ref.name.lower())
        if table is None:
            view = cat.views.get(ref.name.lower())
            if view is not None:
                return self._view_source(view, alias, scope)
            raise UndefinedTable(f"no such table: {ref.name}")
        self.tables.add(table)
        slot = self.new_slot()
        cols = [(c.name, c.type, not c.not_null) for c in table.columns]
        scope.add(SourceInfo(alias, cols, slot, table))
        return Scan(table, slot, alias)

    def _view_source(self, view, alias: str, scope: Scope):
        from .parser import parse_one

        if self._view_depth > 32:
            raise ProgrammingError(f"view {view.name} is defined in terms of itself")
        self._view_depth += 1
        try:
            sel = parse_one(view.sql)
            q = self.plan_select(sel, None)
        finally:
            self._view_depth -= 1
        if view.columns:
            if len(view.columns) != len(q.names):
                raise ProgrammingError(
                    f"view {view.name} has {len(view.columns)} column names but its query "
                    f"returns {len(q.names)} columns"
                )
            q.names = list(view.columns)
        return self._rows_source(q, alias, scope, "VIEW")

    def _rows_source(self, q: Query, alias: str, scope: Scope, kind: str):
        slot = self.new_slot()
        cols = [(n, t, True) for n, t in zip(q.names, q.types)]
        scope.add(SourceInfo(alias, cols, slot))
        return RowsSource(q, slot, alias, kind)

    def _system_source(self, ref: A.TableRef, alias: str, scope: Scope):
        spec = self.systables.get(ref.name.lower())
        if spec is None:
            raise UndefinedTable(f"no such table: sys.{ref.name}")
        columns, rows_fn = spec
        slot = self.new_slot()
        scope.add(SourceInfo(alias, [(n, t, True) for n, t in columns], slot))
        return VirtualScan(f"sys.{ref.name.lower()}", rows_fn, slot)

    # ------------------------------------------------------------ joins and filters
    def _plan_joins(self, steps: list, where: list, scope: Scope) -> Node:
        if not steps:
            root = Single()
            root.filters = where
            return root
        pending = list(where)
        local_slots = scope.slots()
        available: set[int] = set()
        root: Node | None = None
        for src, kind, on in steps:
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
                root = self._access_path(src, mine, available, local_slots)
                available.add(slot)
                continue
            # a key lookup driven by the left rows turns the join into an index join
            probe = self._access_path(src, mine + join_terms, available, local_slots)
            if _driven_by(probe, available):
                root = Join(root, probe, kind, "index")
            else:
                src = self._access_path(src, mine, available, local_slots)
                root = self._join(root, src, kind, join_terms, available, local_slots)
            available.add(slot)
            ready = [c for c in pending if (c.slots() & local_slots) <= available]
            if ready:
                root = Filter(root, ready)
                pending = [c for c in pending if c not in ready]
        if pending:
            root = Filter(root, pending)
        return root

    def _access_path(self, src, terms: list, available: set, local_slots: set):
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
        path.read_terms = [
            t for t in terms if t.slots() <= {src.slot} and not B.contains_subquery(t)
        ]
        return path

    def _join(self, left: Node, right, kind: str, terms: list, available: set, local: set):
        slot = right.slot
        if isinstance(right, (Lookup, IndexLookup, IndexRange)):
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


# EXCEPT is not associative; the others are, and keep their rows' first-seen order either way.
_ASSOCIATIVE_SET_OPS = frozenset({"UNION ALL", "UNION", "INTERSECT"})


def _balanced_compound(op: str, arms: list[Query]) -> Query:
    """``arms`` joined by ``op``, as a balanced tree with the arms in order."""
    if len(arms) == 1:
        return arms[0]
    mid = len(arms) // 2
    left = _balanced_compound(op, arms[:mid])
    right = _balanced_compound(op, arms[mid:])
    if len(left.names) != len(right.names):
        raise ProgrammingError(
            f"SELECTs to the left and right of {op} do not have the same number of result columns"
        )
    types = [a if a is b else None for a, b in zip(left.types, right.types)]
    slots = set(left.outer_slots) | set(right.outer_slots)
    return Query(Compound(op, left, right), left.names, types, slots)


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


def _output_position(e: A.Expr, names: list[str]) -> int | None:
    if isinstance(e, A.Literal) and type(e.value) is int:
        if not 1 <= e.value <= len(names):
            raise ProgrammingError(
                f"ORDER BY term out of range - should be between 1 and {len(names)}"
            )
        return e.value - 1
    if isinstance(e, A.Column):
        for i, n in enumerate(names):
            if n.lower() == e.name.lower():
                return i
    return None


def _item_name(e: A.Expr, alias: str | None) -> str:
    if alias is not None:
        return alias
    if isinstance(e, A.Column):
        return e.name
    return to_sql(e)


def _ast_text(e: A.Expr) -> str:
    return to_sql(e)


__all__ = ["Planner", "Values", "INTEGER"]
