"""Plan → Python source → function, compiled once per statement.

Each plan node *produces* rows by emitting loops and *consumes* them by handing control to
its parent's code, so a whole query block fuses into one function of nested loops with no
per-row interpretation. Row slot ``n`` lives in local ``r<n>``. Literals never appear in the
source: every constant is a named binding in the function's namespace.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

from .. import errors as E
from ..errors import InternalError
from ..indexes import NOT_NULL, encode_value, same_key
from ..versions import INF, read_visible_code, visible
from . import bound as B
from . import runtime as R
from .plan import (
    AggCall,
    Aggregate,
    BareColumn,
    Compound,
    Distinct,
    Filter,
    IndexLookup,
    IndexRange,
    Join,
    Limit,
    Lookup,
    Project,
    Query,
    RowsSource,
    Scan,
    Single,
    Sort,
    VirtualScan,
)

_CMP = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_CMP_HELPER = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_NEGATE = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_ARITH_HELPER = {
    "+": "add",
    "-": "sub",
    "*": "mul",
    "/": "div",
    "%": "mod",
    "||": "concat",
    "&": "bit_and",
    "|": "bit_or",
    "<<": "shl",
    ">>": "shr",
}
_NUMERIC_NAMES = {"INTEGER", "REAL", "BOOLEAN"}


def _numeric(e: B.BExpr) -> bool:
    return e.type is not None and e.type.name in _NUMERIC_NAMES


def _same_class(a: B.BExpr, b: B.BExpr) -> bool:
    """True when Python's operators compare ``a`` and ``b`` as SQL would."""
    if a.type is None or b.type is None:
        return False
    if _numeric(a) and _numeric(b):
        return True
    return a.type is b.type and a.type.name in ("TEXT", "BLOB", "DATE", "TIMESTAMP")


class Program:
    """Namespace and source of one compiled statement."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {
            "INF": INF,
            "visible": visible,
            "R": R,
            "InternalError": InternalError,
        }
        for name in dir(R):
            if not name.startswith("_"):
                self.ns.setdefault(name, getattr(R, name))
        self.sources: list[str] = []
        self._consts: dict[Any, str] = {}
        self._n = itertools.count()

    def const(self, value: Any) -> str:
        """A name bound to ``value`` in the namespace."""
        if value is None or value is True or value is False:
            return repr(value)
        # equal is not enough: -0.0 == 0.0 (and (0.0,) == (-0.0,)), yet they print apart
        key = (type(value), value, repr(value)) if _hashable(value) else id(value)
        name = self._consts.get(key)
        if name is None:
            name = f"C{next(self._n)}"
            self._consts[key] = name
            self.ns[name] = value
        return name

    def fresh(self, prefix: str = "t") -> str:
        return f"{prefix}{next(self._n)}"

    def build(self) -> dict[str, Any]:
        src = "\n\n".join(self.sources)
        try:
            code = compile(src, "<memtables plan>", "exec")
        except (RecursionError, MemoryError):
            raise E.OperationalError("statement too deeply nested") from None
        except SyntaxError as e:
            # Python refuses code nested about 200 levels deep, and more than 20 nested loops
            # (one per table of a join); both come from the statement's shape. Any other
            # SyntaxError is a bug in code generation.
            if "too many nested" in str(e) or "too complex" in str(e):
                raise E.OperationalError("statement too deeply nested") from None
            if "too many statically nested blocks" in str(e):
                raise E.NotSupportedError(
                    "a join of more than 20 tables is not supported (statement too complex)"
                ) from None
            raise InternalError(f"generated code does not compile: {e}\n{src}") from None
        exec(code, self.ns)
        self.ns["__source__"] = src
        return self.ns


#: Expression levels written inline before the rest moves to a function of its own.
_HOIST_DEPTH = 24


def _nodes(e: B.BExpr):
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(c for c in x.children() if c is not None)


def _hoistable(e: B.BExpr) -> bool:
    """False when ``e`` reads a local of the function it is written in (the cache clock)."""
    return not any(isinstance(x, B.NotExpired) for x in _nodes(e))


def _free_names(e: B.BExpr) -> list[str]:
    """The enclosing function's arguments ``e`` reads besides row slots: parameters, and the
    transaction for subqueries (a CHECK or DEFAULT function has neither)."""
    if any(isinstance(x, B.SubqueryExpr) for x in _nodes(e)):
        return ["p", "tx"]
    if any(isinstance(x, B.ParamRef) for x in _nodes(e)):
        return ["p"]
    return []


def _hashable(v: Any) -> bool:
    try:
        hash(v)
        return True
    except TypeError:
        return False


class FunctionWriter:
    """Writes one generated function: lines at indentation levels, plus a prelude."""

    def __init__(self, prog: Program, name: str, args: list[str]):
        self.prog = prog
        self.name = name
        self.args = args
        self.prelude: list[str] = []
        self.prelude_vars: set[str] = set()
        self.lines: list[str] = []
        self.depth = 1

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def finish(self) -> None:
        head = f"def {self.name}({', '.join(self.args)}):"
        body = ["    " + p for p in self.prelude] + self.lines
        self.prog.sources.append("\n".join([head] + (body or ["    pass"])))


class Compiler:
    """Compiles queries (and DML targets) of one statement into one Program."""

    def __init__(self, prog: Program | None = None):
        self.prog = prog or Program()
        self._subs: dict[int, str] = {}
        self._depth = 0  # nesting of the expression being written (see ``_hoist``)
        self.w: FunctionWriter | None = None  # the function being written

    # ------------------------------------------------------------ queries
    def query_function(self, q: Query, name: str, args: list[str]) -> str:
        """Emit ``def name(args)`` returning the list of result rows of ``q``."""
        w = FunctionWriter(self.prog, name, args)
        saved, self.w = self.w, w
        w.prelude += ["ts = tx.ts", "me = tx.marker", "out = []", "append = out.append"]
        self._produce(w, q.root, lambda: w.emit("append(row)"), output=True)
        w.emit("return out")
        w.finish()
        self.w = saved
        return name

    def _produce(self, w: FunctionWriter, node, consume: Callable[[], None], output=False):
        method = getattr(self, "_p_" + type(node).__name__)
        method(w, node, consume)

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
        if node.need_key:
            w.emit(f"for k{s}, v{s} in list({rows}.items()):")
        else:
            w.emit(f"for v{s} in list({rows}.values()):")
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

    def _p_VirtualScan(self, w, node: VirtualScan, consume) -> None:
        s = node.slot
        fn = self.prog.const(node.rows_fn)
        w.emit(f"for r{s} in {fn}(tx):")
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
                self._produce(w, node.right, lambda: self._filters(w, node.cond, matched))
            if left_join:
                w.emit(f"if not m{s}:")
                w.depth += 1
                w.emit(f"r{s} = {nulls}")
                consume()
                w.depth -= 1

        self._produce(w, node.left, inner)

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

        self._produce(w, node.right, add)

    def _key_expr(self, exprs: list) -> str:
        if len(exprs) == 1:
            return self.expr(exprs[0])
        return "(" + ", ".join(self.expr(e) for e in exprs) + ")"

    # row operators ------------------------------------------------
    def _p_Filter(self, w, node: Filter, consume) -> None:
        self._produce(w, node.child, lambda: self._filters(w, node.preds, consume))

    def _p_Aggregate(self, w, node: Aggregate, consume) -> None:
        s = node.slot
        ng = len(node.groups)
        inits, updates, finals = self._aggregate_parts(node, w)
        g = f"g{s}"
        w.emit(f"{g} = {{}}")
        init = "[" + ", ".join(inits) + "]"

        def accumulate() -> None:
            w.emit(f"gk = {self._key_expr(node.groups) if node.groups else '()'}")
            w.emit(f"a = {g}.get(gk)")
            w.emit(f"if a is None: a = {g}[gk] = {init}")
            for line in updates:
                w.emit(line)

        self._produce(w, node.child, accumulate)
        if not node.groups:  # no rows at all: one group, bare columns NULL
            empty = [
                "None" if isinstance(ex, BareColumn) else i
                for ex, i in zip(_slots_of(node.extras), inits)
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

    def _aggregate_parts(self, node: Aggregate, w: FunctionWriter):
        """Accumulator initial values, per-row update lines and final expressions."""
        inits: list[str] = []
        updates: list[str] = []
        finals: list[str] = []
        for ex in node.extras:
            i = len(inits)
            if isinstance(ex, BareColumn):  # the group's first row, as SQLite takes it
                inits.append(self.expr(ex.expr))
                finals.append(f"a[{i}]")
                continue
            _aggregate_code(self, ex, i, inits, updates, finals)
        return inits, updates, finals

    def _p_Project(self, w, node: Project, consume) -> None:
        def project() -> None:
            w.emit(f"row = {self._row_tuple(node)}")
            if node.sort_keys:
                w.emit("sk = (" + "".join(self.expr(k) + ", " for k in node.sort_keys) + ")")
            consume()

        self._produce(w, node.child, project)

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

        self._produce(w, node.child, dedupe)

    def _p_Sort(self, w, node: Sort, consume) -> None:
        buf = self.prog.fresh("buf")
        w.emit(f"{buf} = []")
        if node.positions is not None:
            keys = "(" + "".join(f"row[{p}], " for p in node.positions) + ")"
            self._produce(w, node.child, lambda: w.emit(f"{buf}.append(({keys}, row))"))
        else:
            self._produce(w, node.child, lambda: w.emit(f"{buf}.append((sk, row))"))
        directions = {k[1] for k in node.keys}
        if node.top_n is not None and len(directions) == 1:
            # LIMIT on top and one direction: keep the first n with a heap, O(N log n)
            lim, off = node.top_n
            n = f"R.limit_value({self.expr(lim)})"
            if off is not None:
                n = f"top_count({n}, R.limit_value({self.expr(off)}))"
            keys = [_sort_key_function(i, k[3], k[1], k[2]) for i, k in enumerate(node.keys)]
            safe = [_sort_key_function(i, None, k[1], k[2]) for i, k in enumerate(node.keys)]
            keyfn = self.prog.const(_combined_key(keys))
            safefn = self.prog.const(_combined_key(safe))
            w.emit(f"{buf} = top_rows({buf}, {n}, {keyfn}, {directions.pop()}, {safefn})")
        else:
            for i in reversed(range(len(node.keys))):
                _name, desc, nulls_first, type_ = node.keys[i]
                keyfn = self.prog.const(_sort_key_function(i, type_, desc, nulls_first))
                safe = self.prog.const(_sort_key_function(i, None, desc, nulls_first))
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

        self._produce(w, node.child, take)

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

    # ------------------------------------------------------------ subqueries
    def sub_function(self, q: Query, name: str) -> str:
        args = ["p", "tx"] + [f"r{x}" for x in q.outer_slots]
        return self.query_function(q, name, args)

    def _subquery_call(self, sub) -> str:
        fn = self._subs.get(sub.id)
        if fn is None:
            fn = self.sub_function(sub.query, f"sub{sub.id}")
            self._subs[sub.id] = fn
        args = ", ".join(["p", "tx"] + [f"r{x}" for x in sub.outer_slots])
        return f"{fn}({args})"

    # ------------------------------------------------------------ expressions
    def expr(self, e: B.BExpr) -> str:
        """Python expression computing ``e``'s SQL value."""
        depth = self._depth
        if depth >= _HOIST_DEPTH and e.children() and _hoistable(e):
            return self._hoist(e)
        self._depth = depth + 1
        try:
            return getattr(self, "_e_" + type(e).__name__)(e)
        finally:
            self._depth = depth

    def _hoist(self, e: B.BExpr) -> str:
        """A deep sub-expression as a call of a function of its own.

        Python refuses an expression nested about 200 parentheses deep, and each level of a
        SQL expression (``1 + 1 + ...``) costs a few; a fresh function starts from zero.
        """
        name = self.prog.fresh("deep")
        args = ", ".join(_free_names(e) + [f"r{s}" for s in sorted(e.slots())])
        saved = self._depth, self.w
        self._depth, self.w = 1, None  # no prelude there: uncorrelated subqueries run inline
        try:
            body = getattr(self, "_e_" + type(e).__name__)(e)
        finally:
            self._depth, self.w = saved
        self.prog.sources.append(f"def {name}({args}):\n    return {body}")
        return f"{name}({args})"

    def _e_NotExpired(self, e: B.NotExpired) -> str:
        now = self._now(e.cache)
        t = self.prog.fresh()
        return f"(({t} := r{e.slot}[{e.pos}]) is None or {t} > {now})"

    def _now(self, cache) -> str:
        """A local holding the cache clock's time, read once per execution."""
        var = f"now{id(cache)}"
        w = self.w
        if var not in w.prelude_vars:
            w.prelude.append(f"{var} = {self.prog.const(cache)}.clock()")
            w.prelude_vars.add(var)
        return var

    def truth(self, e: B.BExpr) -> str:
        """Python expression that is true exactly when ``e`` is SQL TRUE."""
        if isinstance(e, B.Logic):
            op = " and " if e.op == "AND" else " or "
            return f"({self.truth(e.left)}{op}{self.truth(e.right)})"
        if isinstance(e, B.UnaryOp) and e.op == "NOT":
            return self.falsity(e.operand)
        if isinstance(e, B.Op) and e.op in _CMP and _same_class(e.left, e.right):
            return self._compare_truth(e.op, e.left, e.right)
        if isinstance(e, (B.IsOp, B.NotExpired)):
            return self.expr(e)
        if isinstance(e, B.InList) and not e.negated:
            return self._in_truth(e)
        if isinstance(e, B.SubqueryExpr) and e.kind == "exists":
            return self.expr(e)
        if isinstance(e, B.Const):
            return "True" if R.truth(e.value) is True else "False"
        if e.type is not None and e.type.name == "BOOLEAN":
            return f"({self.expr(e)} is True)"
        return f"is_true({self.expr(e)})"

    def falsity(self, e: B.BExpr) -> str:
        """Python expression that is true exactly when ``e`` is SQL FALSE."""
        if isinstance(e, B.Logic):
            op = " or " if e.op == "AND" else " and "
            return f"({self.falsity(e.left)}{op}{self.falsity(e.right)})"
        if isinstance(e, B.UnaryOp) and e.op == "NOT":
            return self.truth(e.operand)
        if isinstance(e, B.Op) and e.op in _CMP and _same_class(e.left, e.right):
            return self._compare_truth(_NEGATE[e.op], e.left, e.right)
        if isinstance(e, B.IsOp):
            return f"(not {self.expr(e)})"
        if isinstance(e, B.SubqueryExpr) and e.kind == "exists":
            return f"(not {self.expr(e)})"
        if isinstance(e, B.Const):
            return "True" if R.truth(e.value) is False else "False"
        return f"is_false({self.expr(e)})"

    def _compare_truth(self, op: str, left: B.BExpr, right: B.BExpr) -> str:
        a, b = self.expr(left), self.expr(right)
        pyop = _CMP[op]
        checks = []
        # x == None is already False, so "=" needs a guard only when both sides may be NULL
        guard_left = left.nullable and (op != "=" or right.nullable)
        guard_right = right.nullable and op != "="
        if guard_left:
            t = self.prog.fresh()
            checks.append(f"({t} := {a}) is not None")
            a = t
        if guard_right:
            t = self.prog.fresh()
            checks.append(f"({t} := {b}) is not None")
            b = t
        return "(" + " and ".join(checks + [f"{a} {pyop} {b}"]) + ")"

    def _in_truth(self, e: B.InList) -> str:
        consts = [i for i in e.items if isinstance(i, B.Const)]
        if len(consts) == len(e.items) and all(
            i.value is None or _same_class(e.expr, i) for i in consts
        ):
            values = frozenset(i.value for i in consts if i.value is not None)
            return f"({self.expr(e.expr)} in {self.prog.const(values)})"
        return f"({self.expr(e)} is True)"

    def _e_Const(self, e: B.Const) -> str:
        return self.prog.const(e.value)

    def _e_ParamRef(self, e: B.ParamRef) -> str:
        return f"p[{e.index}]"

    def _e_ColRef(self, e: B.ColRef) -> str:
        return f"r{e.slot}[{e.pos}]"

    def _e_Op(self, e: B.Op) -> str:
        op = e.op
        a, b = self.expr(e.left), self.expr(e.right)
        if op in _CMP:
            if _same_class(e.left, e.right):
                return self._null_guard(e, f"{{a}} {_CMP[op]} {{b}}", a, b)
            return f"{_CMP_HELPER[op]}({a}, {b})"
        if op in ("+", "-", "*") and _numeric(e.left) and _numeric(e.right):
            return self._null_guard(e, self._fitted(f"{{a}} {op} {{b}}", e.type), a, b)
        return f"{_ARITH_HELPER[op]}({a}, {b})"

    def _null_guard(self, e: B.Op, template: str, a: str, b: str) -> str:
        checks = []
        if e.left.nullable:
            t = self.prog.fresh()
            checks.append(f"({t} := {a}) is None")
            a = t
        if e.right.nullable:
            t = self.prog.fresh()
            checks.append(f"({t} := {b}) is None")
            b = t
        body = template.format(a=a, b=b)
        if not checks:
            return f"({body})"
        return f"(None if {' or '.join(checks)} else {body})"

    def _fitted(self, body: str, type_) -> str:
        """``body`` (a number) checked inline as ``fit`` would: one chained comparison
        passes every in-range integer and finite float; NaN and overflow take the call."""
        t = self.prog.fresh()
        # -2**63 <= t < 2**63 is exact with int or float bounds; the static type picks the
        # faster kind, and literal bounds are constants of the code object
        if type_ is not None and type_.name == "REAL":
            low, high = -(2.0**63), 2.0**63
        else:
            low, high = R.INT_MIN, R.INT_MAX + 1
        return f"({t} if {low!r} <= ({t} := {body}) < {high!r} else fit({t}))"

    def _e_Logic(self, e: B.Logic) -> str:
        fn = "and3" if e.op == "AND" else "or3"
        return f"{fn}({self.expr(e.left)}, {self.expr(e.right)})"

    def _e_UnaryOp(self, e: B.UnaryOp) -> str:
        x = self.expr(e.operand)
        if e.op == "NOT":
            return f"not3({x})"
        if e.op == "-":
            if _numeric(e.operand) and not e.operand.nullable:
                return self._fitted(f"-{x}", e.type)
            return f"neg({x})"
        return f"bit_not({x})"

    def _e_IsOp(self, e: B.IsOp) -> str:
        a, b = e.left, e.right
        for x, y in ((a, b), (b, a)):
            if isinstance(y, B.Const) and y.value is None:
                return f"({self.expr(x)} is {'not ' if e.negated else ''}None)"
        s = f"is_({self.expr(a)}, {self.expr(b)})"
        return f"(not {s})" if e.negated else s

    def _e_InList(self, e: B.InList) -> str:
        x = self.expr(e.expr)
        consts = [i for i in e.items if isinstance(i, B.Const)]
        if len(consts) == len(e.items) and all(
            i.value is None or _same_class(e.expr, i) for i in consts
        ):
            values = self.prog.const(frozenset(i.value for i in consts if i.value is not None))
            has_null = any(i.value is None for i in consts)
            s = f"in_set({x}, {values}, {has_null})"
        else:
            s = f"in_values({x}, ({''.join(self.expr(i) + ', ' for i in e.items)}))"
        return f"not3({s})" if e.negated else s

    def _e_Like(self, e: B.Like) -> str:
        x = self.expr(e.expr)
        if e.glob:
            s = f"glob({x}, {self.expr(e.pattern)})"
        elif (
            isinstance(e.pattern, B.Const)
            and isinstance(e.pattern.value, str)
            and (e.escape is None or isinstance(e.escape, B.Const))
            and (e.escape is None or isinstance(e.escape.value, str) and len(e.escape.value) == 1)
        ):
            rx = self.prog.const(R.like_regex(e.pattern.value, e.escape and e.escape.value))
            t = self.prog.fresh()
            s = f"(None if ({t} := {x}) is None else {rx}.match(to_text({t})) is not None)"
        else:
            esc = self.expr(e.escape) if e.escape is not None else "None"
            s = f"like({x}, {self.expr(e.pattern)}, {esc})"
        return f"not3({s})" if e.negated else s

    def _e_Case(self, e: B.Case) -> str:
        out = self.expr(e.else_) if e.else_ is not None else "None"
        if e.operand is not None:
            t = self.prog.fresh()
            first = True
            parts = []
            for cond, result in e.whens:
                bind = f"({t} := {self.expr(e.operand)})" if first else t
                first = False
                parts.append((f"eq({bind}, {self.expr(cond)}) is True", self.expr(result)))
        else:
            parts = [(self.truth(c), self.expr(r)) for c, r in e.whens]
        # one flat chain (a if c1 else b if c2 else ...): Python's conditional expression
        # nests to the right by itself, and parentheses per WHEN would stop at about 200
        chain = "".join(f"({result}) if {cond} else " for cond, result in parts)
        return f"({chain}{out})"

    def _e_Cast(self, e: B.Cast) -> str:
        return f"{self.prog.const(e.fn)}({self.expr(e.expr)})"

    def _e_Func(self, e: B.Func) -> str:
        if e.special == "coalesce":  # a flat chain, as for CASE
            chain = []
            for a in e.args[:-1]:
                t = self.prog.fresh()
                chain.append(f"{t} if ({t} := {self.expr(a)}) is not None else ")
            return f"({''.join(chain)}{self.expr(e.args[-1])})"
        fn = self.prog.const(e.fn)
        return f"{fn}({', '.join(self.expr(a) for a in e.args)})"

    def _e_SubqueryExpr(self, e: B.SubqueryExpr) -> str:
        call = self._subquery_call(e.sub)
        if not e.sub.outer_slots and self.w is not None:
            # uncorrelated: run once per execution, before the rows are read
            var = f"sq{e.sub.id}"
            if e.kind == "in":
                if var not in self.w.prelude_vars:
                    self.w.prelude.append(f"{var} = row_set({call})")
                    self.w.prelude_vars.add(var)
                s = f"in_set({self.expr(e.expr)}, {var}[0], {var}[1])"
                return f"not3({s})" if e.negated else s
            if var not in self.w.prelude_vars:
                self.w.prelude.append(f"{var} = {call}")
                self.w.prelude_vars.add(var)
            call = var
        if e.kind == "exists":
            return f"(len({call}) > 0)"
        if e.kind == "scalar":
            return f"first_value({call})"
        s = f"in_rows({self.expr(e.expr)}, {call})"
        return f"not3({s})" if e.negated else s


def index_extreme(index, rows: dict, ts: int, me: int, largest: bool):
    """The smallest (or largest) non-NULL value of a sorted index's first column visible at
    ``ts``; None when there is none.  O(log n) plus stale or invisible entries skipped."""
    col = index.columns[0]
    low = None if index.raw else NOT_NULL
    for key, pk in index.scan(low, None, reverse=largest, nulls=False):
        v = rows.get(pk)
        row = None if v is None else visible(v, ts, me)
        if row is not None and row[col] is not None and index.row_key(row) == key:
            return row[col]
    return None


def _source_of(node, slot: int):
    """The source node binding ``slot`` under ``node`` (None if it is not a plain source)."""
    if isinstance(node, (Scan, Lookup, RowsSource, VirtualScan, IndexLookup, IndexRange)):
        return node if node.slot == slot else None
    if isinstance(node, Aggregate):
        return node if node.slot == slot else None
    for child in node.children():
        found = _source_of(child, slot)
        if found is not None:
            return found
    return None


def _width(src) -> int:
    if isinstance(src, (Scan, Lookup, IndexLookup, IndexRange)):
        return len(src.table.columns)
    if isinstance(src, RowsSource):
        return len(src.query.names)
    if isinstance(src, Aggregate):
        return len(src.groups) + len(src.extras)
    if isinstance(src, VirtualScan):
        return -1
    return -1


def _sort_key_function(i: int, type_, desc: bool, nulls_first):
    """Key for one ORDER BY term of (keys, row) pairs; NULLs first ascending by default."""
    # SQLite: NULL is the smallest value, so it comes first ascending and last descending;
    # the sort runs with reverse=desc, so an explicit NULLS FIRST/LAST flips with direction.
    null_low = True if nulls_first is None else (nulls_first != desc)
    typed = type_ is not None and type_.name != "ANY"
    if typed:
        if null_low:
            return lambda e: (e[0][i] is not None, e[0][i])
        return lambda e: (e[0][i] is None, e[0][i])
    sk = R.sort_key
    if null_low:
        return lambda e: sk(e[0][i])
    return lambda e: (e[0][i] is None, sk(e[0][i]))


def _slots_of(extras: list) -> list:
    """The extra each accumulator slot belongs to (avg and DISTINCT take two slots)."""
    out = []
    for ex in extras:
        n = 1
        if isinstance(ex, AggCall):
            n += ex.func == "avg"
            n += ex.distinct and not (ex.func == "count" and ex.star)
        out += [ex] * n
    return out


def _combined_key(keys: list):
    """One key function ordering by several ORDER BY terms of the same direction."""
    if len(keys) == 1:
        return keys[0]
    return lambda e: tuple(k(e) for k in keys)


def _aggregate_code(c: Compiler, agg: AggCall, i: int, inits, updates, finals) -> None:
    """Append the accumulator code of one aggregate call (slot ``i`` onwards)."""
    f = agg.func
    x = c.expr(agg.args[0]) if agg.args else None
    guard = ""
    if agg.distinct:
        inits.append("set()")
        d = i
        i += 1
        guard = f"v not in a[{d}] and not a[{d}].add(v) and "
    if f == "count" and agg.star:
        inits.append("0")
        updates.append(f"a[{i}] += 1")
        finals.append(f"a[{i}]")
        return
    updates.append(f"v = {x}")
    if f == "count":
        inits.append("0")
        updates.append(f"if v is not None and {guard}True: a[{i}] += 1")
        finals.append(f"a[{i}]")
    elif f == "sum":
        inits.append("None")
        updates.append(
            f"if v is not None and {guard}True: a[{i}] = num1(v) if a[{i}] is None else a[{i}] + num1(v)"
        )
        finals.append(f"fit(a[{i}])")
    elif f == "total":
        inits.append("0.0")
        updates.append(f"if v is not None and {guard}True: a[{i}] += num1(v)")
        finals.append(f"fit(float(a[{i}]))")
    elif f == "avg":
        inits += ["0", "0"]
        updates.append(f"if v is not None and {guard}True: a[{i}] += num1(v); a[{i + 1}] += 1")
        finals.append(f"(fit(a[{i}] / a[{i + 1}]) if a[{i + 1}] else None)")
    elif f in ("min", "max"):
        inits.append("None")
        better = "lt" if f == "min" else "gt"
        updates.append(
            f"if v is not None and (a[{i}] is None or {better}(v, a[{i}])) and {guard}True: a[{i}] = v"
        )
        finals.append(f"a[{i}]")
    elif f in ("group_concat", "string_agg"):
        inits.append("[]")
        sep = c.expr(agg.args[1]) if len(agg.args) > 1 else c.prog.const(",")
        updates.append(f"if v is not None and {guard}True: a[{i}].append(to_text(v))")
        # a NULL separator joins with nothing, as in SQLite
        finals.append(f"((to_text({sep}) or '').join(a[{i}]) if a[{i}] else None)")
    else:
        raise InternalError(f"unknown aggregate {f}")
