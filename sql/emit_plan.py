"""Plan emitters: the produce/consume code generator over plan nodes.

Each plan node *produces* rows by emitting loops and *consumes* them by handing control to
its parent's code, so a whole query block fuses into one function of nested loops with no
per-row interpretation. Row slot ``n`` lives in local ``r<n>``. ``_p_<Node>`` writes node
``<Node>``; expressions inside a node are written by the ``ExprEmitter`` this emitter is given.
"""

from __future__ import annotations

from typing import Callable

from ..indexes import NOT_NULL, encode_value, same_key
from ..versions import read_visible_code
from . import bound as B
from .codegen import FunctionWriter, Program
from .emit_agg import aggregate_parts, slots_of
from .emit_expr import ExprEmitter
from .emit_window import produce_window
from .plan import (
    Aggregate,
    BareColumn,
    Compound,
    Distinct,
    Filter,
    FunctionScan,
    IndexLookup,
    IndexRange,
    Join,
    Limit,
    Lookup,
    Project,
    Query,
    RecursiveSource,
    RowsSource,
    Scan,
    Single,
    Sort,
    VirtualScan,
    Window,
    WorkScan,
)
from .plan_runtime import (
    combined_key,
    index_extreme,
    recursive_rows,
    sort_key_function,
    watched,
)


class PlanEmitter:
    """Writes the functions that run plan trees, into one Program.

    ``exprs`` writes the expressions the nodes hold; its ``w`` is kept pointing at the
    function being written, so per-execution values land in that function's prelude.
    """

    def __init__(self, prog: Program, exprs: ExprEmitter):
        self.prog = prog
        self.exprs = exprs
        # EXPLAIN ANALYZE sets a profile (``analyze.Profile``): it wraps every node's code
        self.profile = None
        # the nodes write their expressions through these two
        self.expr = exprs.expr
        self.truth = exprs.truth

    # ------------------------------------------------------------ queries
    def query_function(self, q: Query, name: str, args: list[str]) -> str:
        """Emit ``def name(args)`` returning the list of result rows of ``q``."""
        w = FunctionWriter(self.prog, name, args)
        exprs = self.exprs
        saved, exprs.w = exprs.w, w
        w.prelude += ["ts = tx.ts", "me = tx.marker", "out = []", "append = out.append"]
        self.produce(w, q.root, lambda: w.emit("append(row)"))
        w.emit("return out")
        w.finish()
        exprs.w = saved
        return name

    def sub_function(self, q: Query, name: str) -> str:
        """Emit ``def name(p, tx, <outer rows>)`` for a subquery or compound arm; its name."""
        args = ["p", "tx"] + [f"r{x}" for x in q.outer_slots]
        return self.query_function(q, name, args)

    def produce(self, w: FunctionWriter, node, consume: Callable[[], None]) -> None:
        """Emit into ``w`` the loops producing ``node``'s rows; ``consume()`` emits what each
        row is handed to (at the indentation the loops leave)."""
        method = getattr(self, "_p_" + type(node).__name__)
        if self.profile is None:
            method(w, node, consume)
        else:
            self.profile.wrap(w, node, method, consume)

    # sources ------------------------------------------------------
    def _row_check(self, w: FunctionWriter, v: str, r: str, on_missing: str) -> None:
        for line in read_visible_code(v, r):
            w.emit(line)
        w.emit(f"if {r} is None: {on_missing}")  # a committed delete, or nothing visible

    def _filters(self, w: FunctionWriter, filters: list, consume) -> None:
        if not filters:
            consume()
            return
        cond = " and ".join(self.truth(f) for f in filters)
        w.emit(f"if {cond}:")
        w.depth += 1
        consume()
        w.depth -= 1

    def _p_Single(self, w, node: Single, consume) -> None:
        self._filters(w, node.filters, consume)

    def record_read(self, w: FunctionWriter, node) -> None:
        """Emit what a SERIALIZABLE transaction records about a table it reads."""
        terms = getattr(node, "read_terms", [])
        if terms:
            name = self.prog.fresh("readpred")
            cond = " and ".join(self.truth(t) for t in terms)
            self.prog.sources.append(f"def {name}(r{node.slot}, p):\n    return {cond}")
        else:
            name = "None"
        table = self.prog.const(node.table)
        w.prelude.append(f"if tx.reads is not None: tx.reads.add(({table}, {name}, p))")

    def _p_Scan(self, w, node: Scan, consume) -> None:
        self.record_read(w, node)
        s = node.slot
        rows = self.prog.const(node.table.rows)
        # the one place a running statement checks interrupt() and the progress handler
        watch = self.prog.const(watched)
        if node.need_key:
            w.emit(f"for k{s}, v{s} in {watch}(tx, list({rows}.items())):")
        else:
            w.emit(f"for v{s} in {watch}(tx, list({rows}.values())):")
        w.depth += 1
        self._row_check(w, f"v{s}", f"r{s}", "continue")
        self._filters(w, node.filters, consume)
        w.depth -= 1

    def _p_Lookup(self, w, node: Lookup, consume) -> None:
        self.record_read(w, node)
        s = node.slot
        get = self.prog.const(node.table.rows.get)
        if node.many:
            items = node.keys[0].items
            key_list = "".join(self.expr(i) + ", " for i in items)
            w.emit(f"for k{s} in dict.fromkeys(({key_list})):")
            w.depth += 1
            w.emit(f"v{s} = {get}(k{s}) if k{s} is not None else None")
            w.emit(f"if v{s} is None: continue")
            self._row_check(w, f"v{s}", f"r{s}", "continue")
            self._filters(w, node.filters, consume)
            w.depth -= 1
            return
        keys = [self.expr(k) for k in node.keys]
        key = keys[0] if len(keys) == 1 else "(" + ", ".join(keys) + ")"
        w.emit(f"k{s} = {key}")
        w.emit(f"v{s} = {get}(k{s})")
        if node.table.cache is not None:
            self._cache_lookup(w, node, consume)
            return
        w.emit(f"if v{s} is not None:")
        w.depth += 1
        for line in read_visible_code(f"v{s}", f"r{s}"):
            w.emit(line)
        w.emit(f"if r{s} is not None:")
        w.depth += 1
        self._filters(w, node.filters, consume)
        w.depth -= 2

    def _cache_lookup(self, w, node: Lookup, consume) -> None:
        """A key lookup in a cache table counts a hit or a miss (expired rows are misses)."""
        s = node.slot
        cache = node.table.cache
        c = self.prog.const(cache)
        live = [f for f in node.filters if isinstance(f, B.NotExpired)]
        rest = [f for f in node.filters if not isinstance(f, B.NotExpired)]
        w.emit(f"r{s} = None if v{s} is None else visible(v{s}, ts, me)")
        cond = " and ".join([f"r{s} is not None"] + [self.expr(f) for f in live])
        w.emit(f"if {cond}:")
        w.depth += 1
        w.emit(f"{c}.hit(k{s})")
        self._filters(w, rest, consume)
        w.depth -= 1
        w.emit(f"else: {c}.miss()")

    def _index_rows(self, w, node, loop_head: str, check_row) -> None:
        """Emit the body shared by index paths: fetch the version, check it, filter."""
        s = node.slot
        get = self.prog.const(node.table.rows.get)
        w.emit(loop_head)
        w.depth += 1
        w.emit(f"v{s} = {get}(k{s})")
        w.emit(f"if v{s} is None: continue")
        self._row_check(w, f"v{s}", f"r{s}", "continue")
        w.emit(f"if {check_row}: continue")  # a stale entry for an older version

    def _p_IndexLookup(self, w, node, consume) -> None:
        self.record_read(w, node)
        s = node.slot
        ix = self.prog.const(node.index)
        key_of = self.prog.const(node.index.key_of)
        if node.many:
            items = "".join(self.expr(i) + ", " for i in node.keys[0].items)
            w.emit(f"for ik{s} in dict.fromkeys(({items})):")
            w.depth += 1
            w.emit(f"if ik{s} is None: continue")
        else:
            keys = [self.expr(k) for k in node.keys]
            if len(keys) == 1:
                w.emit(f"ik{s} = {keys[0]}")
                w.emit(f"if ik{s} is not None:")
            else:
                w.emit(f"ik{s} = ({', '.join(keys)},)")
                w.emit(f"if None not in ik{s}:")
            w.depth += 1
        same = self.prog.const(same_key)
        stale = f"{key_of}(r{s}) != ik{s} and not {same}({key_of}(r{s}), ik{s})"
        self._index_rows(w, node, f"for k{s} in {ix}.probe(ik{s}):", stale)
        self._filters(w, node.filters, consume)
        w.depth -= 2

    def _p_IndexRange(self, w, node, consume) -> None:
        self.record_read(w, node)
        s = node.slot
        index = node.index
        ix = self.prog.const(index)
        row_key = self.prog.const(index.row_key)
        enc = self.prog.const(encode_value)
        guards = []
        parts = []
        for e in node.prefix:
            t = self.prog.fresh()
            w.emit(f"{t} = {self.expr(e)}")
            guards.append(f"{t} is not None")
            parts.append(f"{enc}({t})")
        prefix = " + ".join(parts) if parts else "()"
        bounds = {}
        for side in ("low", "high"):
            e = getattr(node, side)
            if e is None:
                bounds[side] = "None" if not parts else prefix
                continue
            t = self.prog.fresh()
            w.emit(f"{t} = {self.expr(e)}")
            guards.append(f"{t} is not None")
            bounds[side] = t if index.raw else f"{prefix} + {enc}({t})"
        if node.low is None and node.high is not None and not index.raw:
            bounds["low"] = f"{prefix} + {self.prog.const(NOT_NULL)}"
        w.emit(f"if {' and '.join(guards) or 'True'}:")
        w.depth += 1
        head = (
            f"for e{s}, k{s} in {ix}.scan({bounds['low']}, {bounds['high']}, "
            f"{node.low_open}, {node.high_open}, {node.reverse}):"
        )
        if index.raw:  # the entry key is the column's value itself
            stale = f"r{s}[{index.columns[0]}] != e{s}"
        else:
            stale = f"{row_key}(r{s}) != e{s}"
        self._index_rows(w, node, head, stale)
        self._filters(w, node.filters, consume)
        w.depth -= 2

    def _p_IndexMinMax(self, w, node, consume) -> None:
        self.record_read(w, node)
        s = node.slot
        fn = self.prog.const(index_extreme)
        rows = self.prog.const(node.table.rows)
        vals = []
        for func, ix in node.specs:
            vals.append(f"{fn}({self.prog.const(ix)}, {rows}, ts, me, {func == 'max'})")
        w.emit(f"r{s} = ({''.join(v + ', ' for v in vals)})")
        consume()

    def _p_RowsSource(self, w, node: RowsSource, consume) -> None:
        s = node.slot
        fn = self.sub_function(node.query, f"src{s}")
        args = ", ".join(["p", "tx"] + [f"r{x}" for x in node.query.outer_slots])
        w.prelude.append(f"rows{s} = {fn}({args})")
        w.emit(f"for r{s} in rows{s}:")
        w.depth += 1
        self._filters(w, node.filters, consume)
        w.depth -= 1

    def _p_RecursiveSource(self, w, node: RecursiveSource, consume) -> None:
        s = node.slot
        init = self.sub_function(node.query, f"src{s}")
        init_args = ", ".join(["p", "tx"] + [f"r{x}" for x in node.query.outer_slots])
        work = f"r{node.work_slot}"
        arms = []
        for i, arm in enumerate(node.arms):
            fn = self.sub_function(arm, f"rec{s}_{i}")
            args = ", ".join(["p", "tx"] + [f"r{x}" for x in arm.outer_slots])
            arms.append(f"lambda {work}: {fn}({args}), ")
        run = self.prog.const(recursive_rows)
        name = self.prog.const(node.alias)
        lim = "-1" if node.limit is None else f"R.limit_value({self.expr(node.limit)})"
        off = "0" if node.offset is None else f"R.limit_value({self.expr(node.offset)})"
        w.prelude.append(
            f"rows{s} = {run}(tx, {name}, {node.distinct}, {init}({init_args}), "
            f"({''.join(arms)}), {lim}, {off})"
        )
        w.emit(f"for r{s} in rows{s}:")
        w.depth += 1
        self._filters(w, node.filters, consume)
        w.depth -= 1

    def _p_WorkScan(self, w, node: WorkScan, consume) -> None:
        s = node.slot
        w.emit(f"for r{s} in r{node.work_slot}:")
        w.depth += 1
        self._filters(w, node.filters, consume)
        w.depth -= 1

    def _p_VirtualScan(self, w, node: VirtualScan, consume) -> None:
        s = node.slot
        fn = self.prog.const(node.rows_fn)
        w.emit(f"for r{s} in {fn}(tx):")
        w.depth += 1
        self._filters(w, node.filters, consume)
        w.depth -= 1

    def _p_FunctionScan(self, w, node: FunctionScan, consume) -> None:
        s = node.slot
        fn = self.prog.const(node.rows_fn)
        args = ", ".join(self.expr(a) for a in node.args)
        w.emit(f"for r{s} in {fn}({args}):")
        w.depth += 1
        self._filters(w, node.filters, consume)
        w.depth -= 1

    def _p_Values(self, w, node, consume) -> None:
        rows = ", ".join("(" + "".join(self.expr(e) + ", " for e in r) + ")" for r in node.rows)
        w.emit(f"for row in ({rows},):")
        w.depth += 1
        consume()
        w.depth -= 1

    # joins --------------------------------------------------------
    def _p_Join(self, w, node: Join, consume) -> None:
        s = node.right.slot
        nulls = self.prog.const((None,) * _width(node.right))
        if node.method == "hash":
            self._hash_build(w, node)
        left_join = node.kind == "left"

        def inner() -> None:
            if left_join:
                w.emit(f"m{s} = False")

            def matched() -> None:
                if left_join:
                    w.emit(f"m{s} = True")
                consume()

            if node.method == "hash":
                key = self._key_expr(node.left_keys)
                w.emit(f"for r{s} in h{s}.get({key}, ()):")
                w.depth += 1
                self._filters(w, node.cond, matched)
                w.depth -= 1
            else:
                self.produce(w, node.right, lambda: self._filters(w, node.cond, matched))
            if left_join:
                w.emit(f"if not m{s}:")
                w.depth += 1
                w.emit(f"r{s} = {nulls}")
                consume()
                w.depth -= 1

        self.produce(w, node.left, inner)

    def _hash_build(self, w: FunctionWriter, node: Join) -> None:
        s = node.right.slot
        w.emit(f"h{s} = {{}}")
        key = self._key_expr(node.right_keys)

        def add() -> None:
            w.emit(f"hk = {key}")
            nn = "hk is not None" if len(node.right_keys) == 1 else "None not in hk"
            w.emit(f"if {nn}:")
            w.emit(f"    hl = h{s}.get(hk)")
            w.emit(f"    if hl is None: h{s}[hk] = [r{s}]")
            w.emit(f"    else: hl.append(r{s})")

        self.produce(w, node.right, add)

    def _key_expr(self, exprs: list) -> str:
        if len(exprs) == 1:
            return self.expr(exprs[0])
        return "(" + ", ".join(self.expr(e) for e in exprs) + ")"

    # row operators ------------------------------------------------
    def _p_Filter(self, w, node: Filter, consume) -> None:
        self.produce(w, node.child, lambda: self._filters(w, node.preds, consume))

    def _p_Aggregate(self, w, node: Aggregate, consume) -> None:
        s = node.slot
        ng = len(node.groups)
        inits, updates, finals = aggregate_parts(self.exprs, node)
        g = f"g{s}"
        w.emit(f"{g} = {{}}")
        init = "[" + ", ".join(inits) + "]"

        def accumulate() -> None:
            w.emit(f"gk = {self._key_expr(node.groups) if node.groups else '()'}")
            w.emit(f"a = {g}.get(gk)")
            w.emit(f"if a is None: a = {g}[gk] = {init}")
            for line in updates:
                w.emit(line)

        self.produce(w, node.child, accumulate)
        if not node.groups:  # no rows at all: one group, bare columns NULL
            empty = [
                "None" if isinstance(ex, BareColumn) else i
                for ex, i in zip(slots_of(node.extras), inits)
            ]
            w.emit(f"if not {g}: {g}[()] = [{', '.join(empty)}]")
        w.emit(f"for gk, a in {g}.items():")
        w.depth += 1
        if ng == 0:
            keypart = ""
        elif ng == 1:
            keypart = "gk, "
        else:
            keypart = "".join(f"gk[{i}], " for i in range(ng))
        w.emit(f"r{s} = ({keypart}{''.join(f + ', ' for f in finals)})")
        consume()
        w.depth -= 1

    def _p_Window(self, w, node: Window, consume) -> None:
        produce_window(self, w, node, consume)

    def _p_Project(self, w, node: Project, consume) -> None:
        def project() -> None:
            w.emit(f"row = {self._row_tuple(node)}")
            if node.sort_keys:
                w.emit("sk = (" + "".join(self.expr(k) + ", " for k in node.sort_keys) + ")")
            consume()

        self.produce(w, node.child, project)

    def _row_tuple(self, node: Project) -> str:
        exprs = node.exprs
        if exprs and all(isinstance(e, B.ColRef) for e in exprs):
            slot = exprs[0].slot
            src = _source_of(node.child, slot)
            if (
                src is not None
                and all(e.slot == slot for e in exprs)
                and [e.pos for e in exprs] == list(range(_width(src)))
            ):
                return f"r{slot}"
        return "(" + "".join(self.expr(e) + ", " for e in exprs) + ")"

    def _p_Distinct(self, w, node: Distinct, consume) -> None:
        seen = self.prog.fresh("seen")
        w.prelude.append(f"{seen} = set()")

        def dedupe() -> None:
            w.emit(f"if row not in {seen}:")
            w.depth += 1
            w.emit(f"{seen}.add(row)")
            consume()
            w.depth -= 1

        self.produce(w, node.child, dedupe)

    def _p_Sort(self, w, node: Sort, consume) -> None:
        buf = self.prog.fresh("buf")
        w.emit(f"{buf} = []")
        if node.positions is not None:
            keys = "(" + "".join(f"row[{p}], " for p in node.positions) + ")"
            self.produce(w, node.child, lambda: w.emit(f"{buf}.append(({keys}, row))"))
        else:
            self.produce(w, node.child, lambda: w.emit(f"{buf}.append((sk, row))"))
        directions = {k[1] for k in node.keys}
        if node.top_n is not None and len(directions) == 1:
            # LIMIT on top and one direction: keep the first n with a heap, O(N log n)
            lim, off = node.top_n
            n = f"R.limit_value({self.expr(lim)})"
            if off is not None:
                n = f"top_count({n}, R.limit_value({self.expr(off)}))"
            keys = [sort_key_function(i, k[3], k[1], k[2]) for i, k in enumerate(node.keys)]
            safe = [sort_key_function(i, None, k[1], k[2]) for i, k in enumerate(node.keys)]
            keyfn = self.prog.const(combined_key(keys))
            safefn = self.prog.const(combined_key(safe))
            w.emit(f"{buf} = top_rows({buf}, {n}, {keyfn}, {directions.pop()}, {safefn})")
        else:
            for i in reversed(range(len(node.keys))):
                _name, desc, nulls_first, type_ = node.keys[i]
                keyfn = self.prog.const(sort_key_function(i, type_, desc, nulls_first))
                safe = self.prog.const(sort_key_function(i, None, desc, nulls_first))
                w.emit(f"sort_rows({buf}, {keyfn}, {bool(desc)}, {safe})")
        w.emit(f"for sk, row in {buf}:")
        w.depth += 1
        consume()
        w.depth -= 1

    def _p_Limit(self, w, node: Limit, consume) -> None:
        lim = self.prog.fresh("lim")
        off = self.prog.fresh("off")
        if node.limit is not None:
            w.prelude.append(f"{lim} = R.limit_value({self.expr(node.limit)})")
        else:
            w.prelude.append(f"{lim} = -1")
        if node.offset is not None:
            w.prelude.append(f"{off} = R.limit_value({self.expr(node.offset)})")
        else:
            w.prelude.append(f"{off} = 0")
        w.prelude.append(f"if {lim} == 0: return []")

        def take() -> None:
            w.emit(f"if {off} > 0: {off} -= 1")
            w.emit("else:")
            w.depth += 1
            consume()
            w.emit(f"if len(out) == {lim}: return out")
            w.depth -= 1

        self.produce(w, node.child, take)

    def _p_Compound(self, w, node: Compound, consume) -> None:
        left = self.sub_function(node.left, self.prog.fresh("arm"))
        right = self.sub_function(node.right, self.prog.fresh("arm"))
        largs = ", ".join(["p", "tx"] + [f"r{x}" for x in node.left.outer_slots])
        rargs = ", ".join(["p", "tx"] + [f"r{x}" for x in node.right.outer_slots])
        helper = {
            "UNION ALL": "union_all",
            "UNION": "union",
            "EXCEPT": "except_",
            "INTERSECT": "intersect",
        }[node.op]
        w.emit(f"for row in R.{helper}({left}({largs}), {right}({rargs})):")
        w.depth += 1
        consume()
        w.depth -= 1


def _source_of(node, slot: int):
    """The source node binding ``slot`` under ``node`` (None if it is not a plain source)."""
    if isinstance(
        node,
        (
            Scan,
            Lookup,
            RowsSource,
            VirtualScan,
            FunctionScan,
            WorkScan,
            IndexLookup,
            IndexRange,
            Aggregate,
        ),
    ):
        return node if node.slot == slot else None
    for child in node.children():
        found = _source_of(child, slot)
        if found is not None:
            return found
    return None


def _width(src) -> int:
    """Columns in the rows ``src`` binds; -1 when unknown here (a virtual table's)."""
    if isinstance(src, (Scan, Lookup, IndexLookup, IndexRange)):
        return len(src.table.columns)
    if isinstance(src, RowsSource):
        return len(src.query.names)
    if isinstance(src, (WorkScan, FunctionScan)):
        return src.width
    if isinstance(src, Aggregate):
        return len(src.groups) + len(src.extras)
    return -1


def compile_subquery(exprs: ExprEmitter, q: Query, name: str) -> str:
    """Write ``q`` as ``def name(p, tx, <outer rows>)`` (the ``SubqueryCompiler`` that
    ``ExprEmitter`` calls); the emitter holds no state of its own, so a fresh one will do."""
    return PlanEmitter(exprs.prog, exprs).sub_function(q, name)
