"""Expression codegen: a bound SQL expression → the text of one Python expression.

``expr`` writes an expression computing the SQL value (NULL is None, three-valued logic by
the runtime helpers); ``truth`` and ``falsity`` write the cheaper test a WHERE or CASE needs,
comparing with Python's own operators where the static types allow. Expressions nested
deeper than Python accepts move into functions of their own (``_hoist``). A subquery is
compiled by the plan emitter, which this module reaches only through the function it is given.
"""

from __future__ import annotations

from typing import Callable

from . import bound as B
from . import runtime as R
from .codegen import FunctionWriter, Program
from .plan import Query
from .udf import SESSION_FUNCTIONS

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
    if any(_needs_tx(x) for x in _nodes(e)):
        return ["p", "tx"]
    if any(isinstance(x, B.ParamRef) for x in _nodes(e)):
        return ["p"]
    return []


def _needs_tx(x: B.BExpr) -> bool:
    """Subqueries read through the transaction, and the connection's counters hang off it."""
    return isinstance(x, B.SubqueryExpr) or (isinstance(x, B.Func) and x.special == "session")


#: ``compile_subquery(exprs, query, name)`` writes ``query``'s plan as function ``name`` into
#: ``exprs.prog``, its expressions by ``exprs``; the plan emitter provides it.
SubqueryCompiler = Callable[["ExprEmitter", Query, str], str]


class ExprEmitter:
    """Writes the Python text of bound expressions into one Program.

    ``w`` is the function being written, whose prelude receives what runs once per
    execution; None where there is no prelude (CHECK, DEFAULT, hoisted functions), and then
    uncorrelated subqueries run inline.
    """

    def __init__(self, prog: Program, compile_subquery: SubqueryCompiler):
        self.prog = prog
        self.w: FunctionWriter | None = None
        # a plain function, not a bound method of the plan emitter: that would make the two
        # emitters a reference cycle, left to the cyclic collector after every statement
        self._compile_subquery = compile_subquery
        self._subs: dict[int, str] = {}  # subquery id -> its function, compiled once
        self._depth = 0  # nesting of the expression being written (see ``_hoist``)

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
        if e.special == "session":  # the running connection's counter (sql/udf.py Session)
            return f"tx.session.{SESSION_FUNCTIONS[e.name]}"
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

    def _subquery_call(self, sub) -> str:
        """A call of the subquery's function (compiled on first use) with its arguments."""
        fn = self._subs.get(sub.id)
        if fn is None:
            fn = self._compile_subquery(self, sub.query, f"sub{sub.id}")
            self._subs[sub.id] = fn
        args = ", ".join(["p", "tx"] + [f"r{x}" for x in sub.outer_slots])
        return f"{fn}({args})"
