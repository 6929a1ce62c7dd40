"""Binding, the pass between parsing and planning: AST → bound tree.

The binder resolves every name of a statement against the catalog (tables, views, system
tables, columns, select-list aliases), numbers row slots, subqueries and parameters, infers
types and checks what SQL forbids (aggregates in WHERE, HAVING without GROUP BY, compound
arms of different widths). A SELECT becomes a ``BoundSelect`` (``bound_query.py``) that
the planner turns into a plan without looking at a name again. Expressions are bound by
``ExprBinder`` (``bind_expr.py``) in the ``Scope`` (``scope.py``) of their query block.
"""

from __future__ import annotations

from typing import Any

from ..catalog import View
from ..errors import NotSupportedError, ProgrammingError, UndefinedColumn, UndefinedTable
from ..types import INTEGER, TEXT
from . import ast as A
from . import bound as B
from .bind_expr import ExprBinder, contains_aggregate
from .bind_window import named_windows
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
from .fn_json import HIDDEN_COLUMNS, TABLE_COLUMNS, TABLE_FUNCTIONS
from .master import PRAGMA_FUNCTIONS, master_source
from .parser import parse_one
from .plan import SubPlan
from .render import to_sql
from .scope import AggContext, ParamTable, Scope, SourceInfo, WindowContext

_TABLE_COLUMN_TYPES = {
    "type": TEXT,
    "id": INTEGER,
    "parent": INTEGER,
    "fullkey": TEXT,
    "path": TEXT,
    "root": TEXT,
}
# EXCEPT is not associative; the others are, and keep their rows' first-seen order either way.
_ASSOCIATIVE_SET_OPS = frozenset({"UNION ALL", "UNION", "INTERSECT"})


def bind_select(select: A.Select, catalog, systables: dict | None = None) -> BoundSelect:
    """Bind a whole SELECT statement against ``catalog``."""
    binder = Binder(catalog, systables)
    query = binder.bind_query(select)
    return BoundSelect(query, binder.subplans, binder.params, binder.tables)


class Binder:
    """Binds the query blocks and expressions of one statement; slots, subquery ids and
    parameter positions are unique within it."""

    def __init__(self, catalog, systables: dict | None = None, schema: bool = False):
        """``schema``: the expressions bound are a CHECK's or a DEFAULT's, kept in the schema
        (no connection's user-defined functions or counters there)."""
        self.catalog = catalog
        self.systables = systables or {}
        self.params = ParamTable()
        self.exprs = ExprBinder(self.params, self.bind_subquery, schema)
        self.next_slot = 0
        self.subplans: list[SubPlan] = []  # subqueries in expressions, innermost first
        self.tables: set = set()  # tables the statement reads or writes
        self._view_depth = 0
        self._binding_ctes: set[int] = set()  # ids of the WITH scopes' CTEs being bound now
        self._work: dict[int, list] = {}  # recursive CTEs' arms being bound: [slot, cols, refs]

    def new_slot(self) -> int:
        """A fresh row slot (``r<slot>`` in generated code)."""
        self.next_slot += 1
        return self.next_slot - 1

    def bind(self, e: A.Expr, scope: Scope) -> B.BExpr:
        """Bind one expression in ``scope``."""
        return self.exprs.bind(e, scope)

    # ------------------------------------------------------------ queries
    def bind_query(self, sel: A.Select, outer: Scope | None = None) -> BoundQuery:
        """Bind a full SELECT (compound, ORDER BY, LIMIT) inside the scope ``outer``."""
        if sel.with_ is not None:
            outer = self._with_scope(sel.with_, outer)
        body = sel.body
        if isinstance(body, A.SelectCore):
            return self._bind_block(body, sel.order_by, sel.limit, sel.offset, outer)
        scope = Scope(outer)
        if isinstance(body, A.ValuesCore):
            q = self._bind_values(body, scope)
        else:
            q = self._bind_compound(body, scope)
        return self._bind_output(q, sel, scope)

    def bind_subquery(self, sel: A.Select, scope: Scope, kind: str) -> SubPlan:
        """Bind a subquery used in an expression of ``scope``'s block (the planner plans it)."""
        if kind == "exists" and sel.limit is None and not sel.order_by:
            sel = A.Select(sel.body, (), A.Literal(1), None, sel.with_)
        q = self.bind_query(sel, scope)
        sub = SubPlan(len(self.subplans), q, kind)
        self.subplans.append(sub)
        return sub

    # ------------------------------------------------------------ compound and VALUES
    def _bind_values(self, body: A.ValuesCore, scope: Scope) -> BoundValues:
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
        return BoundValues(rows, names, types, scope.outer_refs)

    def _bind_compound(self, body: A.CompoundCore, scope: Scope) -> BoundQuery:
        """``A op B op C ...``: the grammar nests it to the left, one level per arm; a run of
        one associative operator is bound as a balanced tree, so that hundreds of
        ``UNION ALL`` arms stay a few levels deep for the planner and the compiler."""
        arms, ops = [], []
        node: Any = body
        while isinstance(node, A.CompoundCore):  # the left spine, without recursion
            ops.append(node.op)
            arms.append(node.right)
            node = node.left
        arms.append(node)
        arms.reverse()
        ops.reverse()
        bound = [self.bind_query(A.Select(arm), scope.parent) for arm in arms]
        current = bound[0]
        i = 0
        while i < len(ops):
            op, j = ops[i], i + 1
            if op in _ASSOCIATIVE_SET_OPS:
                while j < len(ops) and ops[j] == op:
                    j += 1
            current = _balanced_compound(op, [current] + bound[i + 1 : j + 1])
            i = j
        return current

    def _bind_output(self, q: BoundQuery, sel: A.Select, scope: Scope) -> BoundOutput:
        """ORDER BY / LIMIT over a compound or VALUES result (by output column)."""
        keys, positions = [], []
        for term in sel.order_by:
            e = term.expr
            if isinstance(e, A.Collate):
                if self.exprs.collation(e.collation):
                    raise NotSupportedError(
                        "COLLATE in the ORDER BY of a compound SELECT or VALUES is not supported"
                    )
                e = e.expr  # BINARY: the order anyway
            pos = _output_position(e, q.names)
            if pos is None:
                raise ProgrammingError(
                    f"ORDER BY term does not match any column in the result set: "
                    f"{to_sql(term.expr)}"
                )
            positions.append(pos)
            keys.append((q.names[pos], term.desc, term.nulls_first, q.types[pos]))
        limit, offset = self._bind_limit(sel, scope)
        return BoundOutput(q, keys, positions, limit, offset, scope.outer_refs)

    def _bind_limit(self, sel: A.Select, scope: Scope) -> tuple:
        lim = self.bind(sel.limit, scope) if sel.limit is not None else None
        off = self.bind(sel.offset, scope) if sel.offset is not None else None
        for e in (lim, off):
            if e is not None and e.slots() - scope.outer_refs:
                raise ProgrammingError("LIMIT and OFFSET must not refer to columns")
        return lim, off

    # ------------------------------------------------------------ SELECT core
    def _bind_block(self, core: A.SelectCore, order_by, limit, offset, outer) -> BoundBlock:
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
        having = self.bind(core.having, out_scope) if core.having is not None else None
        # window functions may appear in the select list and ORDER BY only
        win = out_scope.win = WindowContext(self.new_slot(), named_windows(core.windows))
        exprs = [self.bind(e, out_scope) for e, _ in items]
        order, sort_keys = self._order_terms(order_by, items, exprs, out_scope)
        out_scope.win = None
        lim, off = self._bind_limit(A.Select(core, (), limit, offset), out_scope)
        scope.outer_refs |= out_scope.outer_refs
        return BoundBlock(
            steps=steps,
            local_slots=scope.slots(),
            where=where,
            exprs=exprs,
            agg=out_scope.agg,
            having=having,
            windows=win.funcs,
            window_slot=win.slot,
            order=order,
            sort_keys=sort_keys,
            distinct=core.distinct,
            limit=lim,
            offset=off,
            names=[_item_name(e, alias) for e, alias in items],
            types=[e.type for e in exprs],
            outer_slots=scope.outer_refs,
        )

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
                    qualifier = s.alias
                    if sum(x.alias.lower() == s.alias.lower() for x in scope.sources) > 1:
                        qualifier = f"{s.schema}.{s.alias}"  # main.t beside temp.t
                    for name, _t, _n in s.columns:
                        low = name.lower()
                        if (it.table is None and low in s.hidden) or low in s.unlisted:
                            continue
                        out.append((A.Column(name, qualifier), name))
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

    def _order_terms(self, order_by, items, exprs, scope: Scope) -> tuple[list, list]:
        """ORDER BY terms: (bound expr, desc, nulls_first) and their Sort descriptions."""
        order, keys = [], []
        for term in order_by:
            e = term.expr
            b = coll = None
            if isinstance(e, A.Collate):  # ORDER BY x COLLATE name: x sorted by name
                coll = self.exprs.collation(e.collation)
                e = e.expr
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
            if coll is not None:
                b = B.Func(f"{b} COLLATE {coll.name}", coll.key, (b,), None)
            order.append((b, term.desc, term.nulls_first))
            keys.append((str(b), term.desc, term.nulls_first, b.type))
        return order, keys

    # ------------------------------------------------------------ FROM
    def _bind_from(self, node, scope: Scope) -> list:
        """Bind FROM items into scope; return join steps (source, kind, on)."""
        if isinstance(node, A.Join):
            steps = self._bind_from(node.left, scope)
            right = self._bind_from(node.right, scope)
            if len(right) != 1:
                raise NotSupportedError("a parenthesized join on the right side of a join")
            on = None
            if node.using:
                on = self._using(node.using, scope)
            if node.on is not None:
                b = self.bind(node.on, scope)
                on = b if on is None else B.Logic("AND", on, b)
            kind = node.kind
            if kind == "left":  # beyond its ON clause, the right side may be all NULL
                info = scope.sources[-1]
                info.columns = [(n, t, True) for n, t, _nullable in info.columns]
            if kind == "comma":  # an inner join; unlike CROSS JOIN, not an order hint
                kind = "inner"
            steps.append((right[0][0], kind, on))
            return steps
        if isinstance(node, A.TableRef):
            return [(self._table_source(node, scope), "inner", None)]
        if isinstance(node, A.SubqueryRef):
            q = self.bind_query(node.select, scope.parent)
            alias = node.alias or f"subquery{self.next_slot}"
            return [(self._rows_source(q, alias, scope, "SUBQUERY"), "inner", None)]
        if isinstance(node, A.TableFunction):
            return [(self._function_source(node, scope), "inner", None)]
        raise NotSupportedError(f"FROM item {type(node).__name__}")

    def _using(self, names, scope: Scope) -> B.BExpr:
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
        cat = self.catalog
        if ref.schema is not None:
            if ref.schema.lower() == "sys":
                return self._system_source(ref, alias, scope)
            cat = cat.scoped(ref.schema)
            if cat is None:
                raise UndefinedTable(f"no such table: {ref.schema}.{ref.name}")
        else:
            found = scope.find_cte(ref.name)
            if found is not None:
                work = self._work.get(id(found[0]))
                if work is not None:
                    return self._work_source(work, found, alias, scope)
                return self._cte_source(found[0], found[1], alias, scope)
        master = master_source(ref.name, ref.schema)
        spec = None if master is None else self.systables.get(master[0])
        if spec is not None:  # SQLite's sqlite_master & co, before any name of ours
            columns, rows_fn = spec
            slot = self.new_slot()
            scope.add(SourceInfo(alias, [(n, t, True) for n, t in columns], slot))
            return BoundSystem(master[1], rows_fn, slot)
        table = cat.relation(ref.name)
        if type(table) is View:
            return self._view_source(table, alias, scope)
        if table is None and ref.schema is None and ref.name.lower().startswith("pragma_"):
            make = self.systables.get(PRAGMA_FUNCTIONS)  # SQLite's ``FROM pragma_table_list``
            if make is not None and make(ref.name) is not None:
                return self._function_source(A.TableFunction(ref.name, (), ref.alias), scope)
        if table is None:
            shown = f"{ref.schema}.{ref.name}" if ref.schema is not None else ref.name
            raise UndefinedTable(f"no such table: {shown}")
        self.tables.add(table)
        slot = self.new_slot()
        cols = [(c.name, c.type, not c.not_null) for c in table.columns]
        scope.add(SourceInfo(alias, cols, slot, table))
        return BoundTable(table, slot, alias)

    def _function_source(self, ref: A.TableFunction, scope: Scope) -> BoundFunction:
        """A table-valued function; its arguments see the FROM items before it, as in
        SQLite (``FROM t, json_each(t.doc)``)."""
        spec = TABLE_FUNCTIONS.get(ref.name)
        if spec is not None:
            rows_fn, lo, hi = spec
            cols = [(n, _TABLE_COLUMN_TYPES.get(n), True) for n in TABLE_COLUMNS]
            hidden = HIDDEN_COLUMNS
        else:  # SQLite's pragma functions (pragma_table_info ...), from the system tables
            make = self.systables.get(PRAGMA_FUNCTIONS)
            found = None if make is None else make(ref.name)
            if found is None:
                raise UndefinedTable(f"no such table-valued function: {ref.name}")
            rows_fn, lo, hi, names, hidden = found
            cols = [(n, None, True) for n in names]
        if not lo <= len(ref.args) <= hi:
            raise ProgrammingError(
                f"wrong number of arguments to table-valued function {ref.name}()"
            )
        for a in ref.args:
            if contains_aggregate(a):
                raise ProgrammingError(f"misuse of aggregate in the arguments of {ref.name}()")
        args = [self.bind(a, scope) for a in ref.args]
        alias = ref.alias or ref.name
        slot = self.new_slot()
        info = SourceInfo(alias, cols, slot)
        info.unlisted = set(hidden)
        scope.add(info)
        return BoundFunction(ref.name, rows_fn, args, len(cols), slot, alias)

    def _view_source(self, view, alias: str, scope: Scope) -> BoundRows:
        if self._view_depth > 32:
            raise ProgrammingError(f"view {view.name} is defined in terms of itself")
        self._view_depth += 1
        outer_catalog = self.catalog
        if not view.temporary:  # a main view means main objects, whatever a connection adds
            self.catalog = outer_catalog.main
        try:
            q = self.bind_query(parse_one(view.sql), None)
        finally:
            self._view_depth -= 1
            self.catalog = outer_catalog
        if view.columns:
            if len(view.columns) != len(q.names):
                raise ProgrammingError(
                    f"view {view.name} has {len(view.columns)} column names but its query "
                    f"returns {len(q.names)} columns"
                )
            q.names = list(view.columns)
        return self._rows_source(q, alias, scope, "VIEW")

    # ------------------------------------------------------------ WITH
    def _with_scope(self, with_: A.With, outer: Scope | None) -> Scope:
        """A scope that names the WITH clause's CTEs; as in SQLite, each CTE sees all of
        them, and a CTE that reaches itself again while being bound is circular."""
        scope = Scope(outer)
        for cte in with_.ctes:
            low = cte.name.lower()
            if low in scope.ctes:
                raise ProgrammingError(f"duplicate WITH table name: {cte.name}")
            scope.ctes[low] = cte
        return scope

    def _cte_source(self, cte: A.CTE, home: Scope, alias: str, scope: Scope) -> BoundRows:
        """A reference to ``cte`` (defined in ``home``): its query, bound afresh per use like
        a view's, in the scope the WITH clause was written in."""
        key = id(cte)
        if key in self._binding_ctes:
            raise ProgrammingError(f"circular reference: {cte.name}")
        arms, ops = _compound_arms(cte.select.body)
        first = next((i for i, a in enumerate(arms) if _reads(a, cte.name)), None)
        self._binding_ctes.add(key)
        try:
            if first is None:
                q = self.bind_query(cte.select, home)
            else:
                init = arms[0]
                for op, arm in zip(ops[: first - 1], arms[1:first]):
                    init = A.CompoundCore(op, init, arm)
                q = self.bind_query(A.Select(init), home)
        finally:
            self._binding_ctes.discard(key)
        if cte.columns is not None:
            if len(cte.columns) != len(q.names):
                raise ProgrammingError(
                    f"table {cte.name} has {len(q.names)} values for {len(cte.columns)} columns"
                )
            q.names = list(cte.columns)
        if first is None:
            _mark_outer(scope, home, q.outer_slots)
            return self._rows_source(q, alias, scope, "CTE")
        return self._recursive_source(cte, home, q, arms[first:], ops[first - 1 :], alias, scope)

    def _recursive_source(self, cte, home, q, arms, ops, alias, scope) -> BoundRecursive:
        """``cte`` as initial rows ``q`` plus recursive ``arms``, each reading the CTE
        once (as SQLite requires) and joined to the rest by one UNION [ALL]."""
        if len(set(ops)) != 1 or ops[0] not in ("UNION", "UNION ALL"):
            raise ProgrammingError(
                f"recursive CTE {cte.name}: the recursive SELECTs must follow the initial ones "
                "after UNION or UNION ALL, all the same"
            )
        if cte.select.order_by:
            raise NotSupportedError(f"ORDER BY in recursive CTE {cte.name}")
        work_slot = self.new_slot()
        cols = [(n, t, True) for n, t in zip(q.names, q.types)]
        bound = []
        for arm in arms:
            work = self._work[id(cte)] = [work_slot, cols, 0]
            try:
                b = self.bind_query(A.Select(arm), home)
            finally:
                del self._work[id(cte)]
            if work[2] != 1:
                what = "multiple references to recursive table" if work[2] else "circular reference"
                raise ProgrammingError(f"{what}: {cte.name}")
            if isinstance(b, BoundBlock) and b.agg is not None:
                raise ProgrammingError("recursive aggregate queries not supported")
            if len(b.names) != len(q.names):
                raise ProgrammingError(
                    f"SELECTs to the left and right of {ops[0]} do not have the same number "
                    "of result columns"
                )
            q.types = [a if a is t else None for a, t in zip(q.types, b.types)]
            bound.append(b)
        src = BoundRecursive(q, bound, ops[0] == "UNION", work_slot, self.new_slot(), alias)
        src.limit, src.offset = self._bind_limit(cte.select, Scope(home))
        outer = set(q.outer_slots)
        for b in bound:
            outer |= set(b.outer_slots)
        _mark_outer(scope, home, outer - {work_slot})
        scope.add(SourceInfo(alias, [(n, t, True) for n, t in zip(q.names, q.types)], src.slot))
        return src

    def _work_source(self, work: list, found, alias: str, scope: Scope) -> BoundWork:
        """The recursive arm's reference to its own CTE: the row the arm runs on."""
        work[2] += 1
        slot = self.new_slot()
        scope.add(SourceInfo(alias, work[1], slot))
        _mark_outer(scope, found[1], {work[0]})
        return BoundWork(slot, work[0], len(work[1]))

    def _rows_source(self, q: BoundQuery, alias: str, scope: Scope, kind: str) -> BoundRows:
        slot = self.new_slot()
        cols = [(n, t, True) for n, t in zip(q.names, q.types)]
        scope.add(SourceInfo(alias, cols, slot))
        return BoundRows(q, slot, alias, kind)

    def _system_source(self, ref: A.TableRef, alias: str, scope: Scope) -> BoundSystem:
        spec = self.systables.get(ref.name.lower())
        if spec is None or ":" in ref.name:  # ``sqlite:master`` & co have names of their own
            raise UndefinedTable(f"no such table: sys.{ref.name}")
        columns, rows_fn = spec
        slot = self.new_slot()
        scope.add(SourceInfo(alias, [(n, t, True) for n, t in columns], slot))
        return BoundSystem(f"sys.{ref.name.lower()}", rows_fn, slot)


def _compound_arms(body) -> tuple[list, list]:
    """The arms of a (left-nested) compound in order, and the operators between them."""
    arms, ops = [], []
    while isinstance(body, A.CompoundCore):
        ops.append(body.op)
        arms.append(body.right)
        body = body.left
    arms.append(body)
    return arms[::-1], ops[::-1]


def _reads(core, name: str) -> bool:
    """Whether the FROM clause of a SELECT core names table ``name`` (unqualified)."""
    stack = [getattr(core, "from_", None)]
    low = name.lower()
    while stack:
        node = stack.pop()
        if isinstance(node, A.Join):
            stack += [node.left, node.right]
        elif isinstance(node, A.TableRef):
            if node.schema is None and node.name.lower() == low:
                return True
    return False


def _mark_outer(scope: Scope, home: Scope, slots: set[int]) -> None:
    """Record that the blocks from ``scope`` up to ``home`` use the outer ``slots`` (a CTE's
    query is bound where it is defined, so name resolution did not cross these blocks)."""
    s: Scope | None = scope
    while s is not None and s is not home:
        s.outer_refs |= slots - s.slots()
        s = s.parent


def _balanced_compound(op: str, arms: list[BoundQuery]) -> BoundQuery:
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
    return BoundCompound(op, left, right, types)


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
