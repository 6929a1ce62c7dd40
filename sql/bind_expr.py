"""Expression binding: AST expressions → bound expressions (``bound.py``).

Names resolve through a ``Scope`` (``scope.py``); constants are folded and compared
constants take the column's affinity, as in SQLite. A subquery inside an expression is handed
to the statement binder's ``bind_subquery``, which binds it and registers it as a ``SubPlan``.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotSupportedError, ProgrammingError, UndefinedColumn
from ..types import BOOLEAN, INTEGER, REAL, TEXT, type_from_name, type_of_value
from . import ast as A
from . import bound as B
from . import runtime as R
from . import udf
from .bind_window import bind_window_call
from .fn_json import (
    JSON_AGGREGATES,
    JSON_FUNCTIONS,
    JSON_VALUED,
    arrow,
    arrow2,
    extract_marked,
    mark,
)
from .functions import AGGREGATES, FUNCTIONS, SCALAR_MINMAX, SPECIAL
from .normalize import NotAValue, literal_type
from .plan import AggCall
from .scope import AggContext, ParamTable, Scope
from .trigger_raise import raiser
from .window import WINDOW_FUNCTIONS

_COMPARE = {"=", "!=", "<", "<=", ">", ">="}
_ARITH = {"+", "-", "*", "/", "%"}
_BITS = {"&", "|", "<<", ">>"}
_NUMERIC_TYPES = (INTEGER, REAL, BOOLEAN)


def is_aggregate_call(e: A.Expr) -> bool:
    """True for a call of an aggregate function (min/max with one argument), a user-defined
    one included (a user's scalar function of an aggregate's name hides the aggregate); a
    call with OVER is a window function, not an aggregate of the query."""
    if not isinstance(e, A.Call) or e.over is not None:
        return False
    if not e.star:
        user = udf.lookup(e.name, len(e.args))
        if user is not None:
            return user.aggregate
    if e.name not in AGGREGATES:
        return e.star and udf.defined(e.name)  # f(*) of the user's f: its arity is wrong
    if e.name in ("min", "max") and len(e.args) != 1:
        return False
    return True


def contains_aggregate(e: Any) -> bool:
    """True when ``e`` calls an aggregate outside any subquery."""
    if isinstance(e, A.Call) and is_aggregate_call(e):
        return True
    if isinstance(e, (A.Select, A.InSelect, A.Exists, A.ScalarSubquery)):
        if isinstance(e, A.InSelect):
            return contains_aggregate(e.expr)
        return False
    if isinstance(e, A.Call) and isinstance(e.over, A.WindowSpec):
        # sum(x) OVER (ORDER BY count(*)): the window's expressions are the query's too
        over = e.over
        if any(contains_aggregate(x) for x in over.partition + tuple(t.expr for t in over.order)):
            return True
    if isinstance(e, A.Expr):
        for f in e.__dataclass_fields__:
            v = getattr(e, f)
            if isinstance(v, A.Expr) and contains_aggregate(v):
                return True
            if isinstance(v, tuple):
                for x in v:
                    if isinstance(x, A.Expr) and contains_aggregate(x):
                        return True
                    if isinstance(x, tuple) and any(
                        isinstance(y, A.Expr) and contains_aggregate(y) for y in x
                    ):
                        return True
    return False


class ExprBinder:
    """Binds expressions; ``bind_subquery`` (the statement binder's) binds nested SELECTs."""

    def __init__(self, params: ParamTable, bind_subquery, schema: bool = False):
        self.params = params
        self.bind_subquery = bind_subquery
        # binding a CHECK or DEFAULT: the schema outlives the connection, so neither its
        # functions nor its counters may appear there
        self.schema = schema

    def bind(self, e: A.Expr, scope: Scope) -> B.BExpr:
        agg = scope.agg
        if agg is not None:
            hit = self._bind_aggregated(e, scope, agg)
            if hit is not None:
                return hit
        method = getattr(self, "_" + type(e).__name__, None)
        if method is None:
            raise NotSupportedError(f"expression {type(e).__name__} is not supported")
        return method(e, scope)

    # ------------------------------------------------------------ aggregation
    def _bind_aggregated(self, e: A.Expr, scope: Scope, agg: AggContext) -> B.BExpr | None:
        for i, g in enumerate(agg.group_asts):
            if e == g:
                b = agg.groups[i]
                return agg.ref(i, str(b), b.type, b.nullable)
        if isinstance(e, A.Call) and is_aggregate_call(e):
            return self._aggregate(e, agg)
        if isinstance(e, A.Column):
            try:
                b = agg.row_scope.resolve(e.name, e.table)
            except UndefinedColumn:
                alias = self._alias(e, scope)
                if alias is None:
                    raise
                return alias
            if b.slot not in agg.row_scope.slots():
                return b  # an outer reference: constant within this query
            return agg.bare(b)
        return None

    def _aggregate(self, e: A.Call, agg: AggContext) -> B.BExpr:
        n = len(e.args)
        user = None if e.star else udf.lookup(e.name, n)
        if user is not None:
            self._connection_only(f"user-defined aggregate {e.name}()")
            lo = hi = n
        elif e.name in AGGREGATES:
            lo, hi = AGGREGATES[e.name]
        else:
            raise ProgrammingError(f"wrong number of arguments to function {e.name}()")
        if e.star:
            if e.name != "count":
                raise ProgrammingError(f"wrong number of arguments to function {e.name}()")
        elif not lo <= n <= hi or (e.name == "count" and n == 0):
            raise ProgrammingError(f"wrong number of arguments to function {e.name}()")
        if e.distinct and n != 1:
            raise ProgrammingError("DISTINCT aggregates must have exactly one argument")
        args = []
        bind = self._json_arg if e.name in JSON_AGGREGATES else self.bind
        for a in e.args:
            if contains_aggregate(a):
                raise ProgrammingError(f"misuse of aggregate function {e.name}()")
            args.append(bind(a, agg.row_scope))
        filt = None
        if e.filter is not None:
            if contains_aggregate(e.filter):
                raise ProgrammingError(f"misuse of aggregate function {e.name}()")
            filt = self.bind(e.filter, agg.row_scope)
        key = (e.name, e.distinct, e.star, tuple(str(a) for a in args), str(filt))
        idx = agg.position(
            key, lambda: AggCall(e.name, args, e.distinct, e.star, user, filter_=filt)
        )
        call = agg.extras[idx - len(agg.groups)]
        if user is not None:
            return agg.ref(idx, str(call), None, True)
        nullable = e.name != "count"  # even total(): of inf and -inf it is NULL (NaN)
        return agg.ref(idx, str(call), _agg_type(e.name, args), nullable)

    # ------------------------------------------------------------ leaves
    def _Literal(self, e: A.Literal, scope: Scope) -> B.BExpr:
        v = e.value
        if type(v) is int and not R.INT_MIN <= v <= R.INT_MAX:
            v = _int_literal_as_real(v)
        return B.Const(v, type_of_value(v))

    def _Raise(self, e: A.Raise, scope: Scope) -> B.BExpr:
        # the parser lets RAISE through only inside CREATE TRIGGER
        return B.Func("raise", raiser(e.kind, e.message), (), None)

    def _Param(self, e: A.Param, scope: Scope) -> B.BExpr:
        i = self.params.index(e)
        return B.ParamRef(i, literal_type(i))

    def _Column(self, e: A.Column, scope: Scope) -> B.BExpr:
        try:
            return scope.resolve(e.name, e.table)
        except UndefinedColumn:
            alias = self._alias(e, scope)
            if alias is None:
                raise
            return alias

    def _alias(self, e: A.Column, scope: Scope) -> B.BExpr | None:
        """A select-list alias used where no column has that name (SQLite allows it)."""
        name = e.name.lower()
        if e.table is not None or name not in scope.aliases or name in scope.expanding:
            return None
        scope.expanding.add(name)
        try:
            return self.bind(scope.aliases[name], scope)
        finally:
            scope.expanding.discard(name)

    def _Default(self, e: A.Default, scope: Scope) -> B.BExpr:
        raise ProgrammingError("DEFAULT is only allowed as a value in INSERT ... VALUES")

    # ------------------------------------------------------------ operators
    def _Unary(self, e: A.Unary, scope: Scope) -> B.BExpr:
        x = self.bind(e.operand, scope)
        if e.op == "NOT":
            if isinstance(x, B.Const):
                return B.Const(R.not3(x.value), BOOLEAN)
            return B.UnaryOp("NOT", x, BOOLEAN)
        if e.op == "+":
            return x
        if e.op == "-":
            if isinstance(x, B.Const) and type(x.value) in (int, float) and x.value != R.INT_MIN:
                return B.Const(-x.value, x.type)  # -INT_MIN overflows when evaluated, if ever
            t = x.type if x.type in (INTEGER, REAL) else (INTEGER if x.type is BOOLEAN else None)
            return B.UnaryOp("-", x, t)
        return B.UnaryOp("~", x, INTEGER)

    def _Binary(self, e: A.Binary, scope: Scope) -> B.BExpr:
        op = e.op
        if op in _COMPARE:  # where a COLLATE on either side counts
            left, right = self._operand(e.left, scope), self._operand(e.right, scope)
        else:
            left, right = self.bind(e.left, scope), self.bind(e.right, scope)
        if op in ("AND", "OR"):
            return B.Logic(op, left, right)
        if op in _COMPARE:
            left, right = _apply_affinity(left, right)
            collated = self._compare_collated(e, left, right)
            if collated is not None:
                return collated
            return B.Op(op, left, right, BOOLEAN)
        if op in _ARITH:
            return B.Op(op, left, right, _arith_type(op, left.type, right.type))
        if op == "||":
            return B.Op(op, left, right, TEXT)
        if op in _BITS:
            return B.Op(op, left, right, INTEGER)
        if op == "->":
            return B.Func(op, arrow, (left, right), TEXT)
        if op == "->>":
            return B.Func(op, arrow2, (left, right), None)
        raise NotSupportedError(f"operator {op} is not supported")

    def _Is(self, e: A.Is, scope: Scope) -> B.BExpr:
        return B.IsOp(self.bind(e.left, scope), self.bind(e.right, scope), e.negated)

    def _Between(self, e: A.Between, scope: Scope) -> B.BExpr:
        x = self.bind(e.expr, scope)
        lo = self.bind(e.low, scope)
        hi = self.bind(e.high, scope)
        xl, lo = _apply_affinity(x, lo)
        xh, hi = _apply_affinity(x, hi)
        if e.negated:
            return B.Logic("OR", B.Op("<", xl, lo, BOOLEAN), B.Op(">", xh, hi, BOOLEAN))
        return B.Logic("AND", B.Op(">=", xl, lo, BOOLEAN), B.Op("<=", xh, hi, BOOLEAN))

    def _InList(self, e: A.InList, scope: Scope) -> B.BExpr:
        x = self.bind(e.expr, scope)
        items = []
        for item in e.items:
            b = self.bind(item, scope)
            _, b = _apply_affinity(x, b)
            items.append(b)
        return B.InList(x, tuple(items), e.negated)

    def _Like(self, e: A.Like, scope: Scope) -> B.BExpr:
        esc = self.bind(e.escape, scope) if e.escape is not None else None
        return B.Like(self.bind(e.expr, scope), self.bind(e.pattern, scope), esc, e.negated, e.glob)

    def _Case(self, e: A.Case, scope: Scope, bind_result=None) -> B.BExpr:
        bind_result = bind_result or self.bind
        operand = self.bind(e.operand, scope) if e.operand is not None else None
        whens = []
        for cond, result in e.whens:
            c = self.bind(cond, scope)
            if operand is not None:
                _, c = _apply_affinity(operand, c)
            whens.append((c, bind_result(result, scope)))
        else_ = bind_result(e.else_, scope) if e.else_ is not None else None
        results = [r for _, r in whens] + ([else_] if else_ is not None else [])
        types = {r.type for r in results if not (isinstance(r, B.Const) and r.value is None)}
        return B.Case(operand, tuple(whens), else_, types.pop() if len(types) == 1 else None)

    def _Cast(self, e: A.Cast, scope: Scope) -> B.BExpr:
        x = self.bind(e.expr, scope)
        name = e.type_name.upper()
        base = name.split("(")[0].strip()
        if base in ("NUMERIC", "DECIMAL"):
            fn, t = R.cast_numeric, None
        else:
            try:
                t = type_from_name(name)
            except ProgrammingError:
                raise ProgrammingError(f"unknown type in CAST: {e.type_name}") from None
            fn = getattr(R, "cast_" + t.name.lower())
        if isinstance(x, B.Const):
            v = _fold(fn, (x.value,))
            if v is not _DEFER:
                return B.Const(v, type_of_value(v))
        return B.Cast(x, name, fn, t)

    def _Collate(self, e: A.Collate, scope: Scope) -> B.BExpr:
        # A user collation works in a comparison (``_Binary`` unwraps it through
        # ``_operand``) and in ORDER BY (the binder unwraps it); anywhere else SQLite would
        # carry it along (GROUP BY, DISTINCT, min(), a subquery's column), and ignoring it
        # there would give wrong answers quietly.
        coll = self.collation(e.collation)
        if coll is not None:
            raise NotSupportedError(
                f"COLLATE {coll.name} is supported in comparisons (a = b COLLATE "
                f"{coll.name}) and in ORDER BY only"
            )
        return self.bind(e.expr, scope)

    def _operand(self, e: A.Expr, scope: Scope) -> B.BExpr:
        """A comparison's operand; its own COLLATE is read by ``_compare_collated``."""
        if isinstance(e, A.Collate):
            self.collation(e.collation)
            return self.bind(e.expr, scope)
        return self.bind(e, scope)

    def collation(self, name: str) -> udf.UserCollation | None:
        """The user collation called ``name``; None for BINARY; an error if there is none."""
        if name == "BINARY":
            return None
        coll = udf.collation(name)
        if coll is None:
            raise ProgrammingError(f"no such collation sequence: {name}")
        self._connection_only(f"collation {name}")
        return coll

    def _compare_collated(self, e: A.Binary, left: B.BExpr, right: B.BExpr):
        """``a op b`` under the collation the left operand names, else the right's, or None
        when neither names one (SQLite's precedence)."""
        for side in (e.left, e.right):
            if isinstance(side, A.Collate):
                coll = self.collation(side.collation)
                if coll is None:
                    return None
                fn = udf.comparison(coll, e.op)
                return B.Func(f"{e.op} COLLATE {coll.name}", fn, (left, right), BOOLEAN)
        return None

    def _connection_only(self, what: str) -> None:
        if self.schema:
            raise NotSupportedError(
                f"{what} belongs to one connection and cannot be used in a CHECK constraint "
                "or DEFAULT, which outlive it"
            )

    def _Call(self, e: A.Call, scope: Scope) -> B.BExpr:
        name = e.name
        if e.over is not None:
            return bind_window_call(e, scope, self.bind, _agg_type)
        if is_aggregate_call(e):
            raise ProgrammingError(f"misuse of aggregate function {name}()")
        if name in WINDOW_FUNCTIONS:
            raise ProgrammingError(f"misuse of window function {name}()")
        if e.filter is not None:
            raise ProgrammingError(f"FILTER may not be used with non-aggregate {name}()")
        if e.star or e.distinct:
            raise ProgrammingError(f"{name}() is not an aggregate function")
        bind = self._json_arg if name in JSON_FUNCTIONS else self.bind
        args = tuple(bind(a, scope) for a in e.args)
        user = udf.lookup(name, len(args))
        if user is not None:
            return self._user_call(user, args)
        if name in udf.SESSION_FUNCTIONS:
            return self._session_call(name, args)
        if name in SPECIAL:
            return self._special(name, args)
        f = FUNCTIONS.get(name)
        if f is None:
            if udf.defined(name):  # by the user, for other argument counts
                raise ProgrammingError(f"wrong number of arguments to function {name}()")
            raise ProgrammingError(f"no such function: {name}")
        if not f.min_args <= len(args) <= f.max_args:
            raise ProgrammingError(f"wrong number of arguments to function {name}()")
        t = f.type
        if t == "arg":
            t = args[0].type if args else None
            if name != "nullif" and t not in (INTEGER, REAL):  # abs, ceil, floor, trunc
                t = None
        if f.deterministic and all(isinstance(a, B.Const) for a in args):
            v = _fold(f.fn, [a.value for a in args])
            if v is not _DEFER:
                return B.Const(v, type_of_value(v) if t is None else t)
        return B.Func(name, f.fn, args, t)

    def _json_arg(self, a: A.Expr, scope: Scope) -> B.BExpr:
        """An argument of a JSON function: a JSON-valued call in it stays JSON (SQLite's
        JSON subtype), so ``json_array(json('[1]'))`` nests an array, not a string. As in
        SQLite, the mark passes through CASE, coalesce, ifnull, iif and COLLATE."""
        if isinstance(a, A.Case):
            return self._Case(a, scope, self._json_arg)
        if isinstance(a, A.Collate):
            return self._json_arg(a.expr, scope) if a.collation == "BINARY" else self.bind(a, scope)
        if isinstance(a, A.Call) and a.name in ("coalesce", "ifnull", "iif") and not a.star:
            if a.distinct:
                raise ProgrammingError(f"{a.name}() is not an aggregate function")
            args = [self._json_arg(x, scope) for x in a.args]
            if a.name == "iif" and args:
                args[0] = self.bind(a.args[0], scope)
            return self._special(a.name, tuple(args))
        if isinstance(a, A.Call) and a.name == "json_extract" and a.args and not a.star:
            if a.distinct:
                raise ProgrammingError("json_extract() is not an aggregate function")
            args = tuple(self.bind(x, scope) for x in a.args)
            return B.Func("json_extract", extract_marked, args, None)
        b = self.bind(a, scope)
        if (
            isinstance(a, A.Call)
            and a.name in JSON_VALUED
            or isinstance(a, A.Binary)
            and a.op == "->"
        ):
            return B.Func("json", mark, (b,), TEXT)
        return b

    def _user_call(self, f: udf.UserFunction, args: tuple) -> B.BExpr:
        self._connection_only(f"user-defined function {f.name}()")
        if f.deterministic and all(isinstance(a, B.Const) for a in args):
            v = _fold(f.call, [a.value for a in args])
            if v is not _DEFER:
                return B.Const(v, type_of_value(v))
        return B.Func(f.name, f.call, args, None)

    def _session_call(self, name: str, args: tuple) -> B.BExpr:
        """changes(), total_changes(), last_insert_rowid(): read at run time from the
        connection running the statement."""
        if args:
            raise ProgrammingError(f"wrong number of arguments to function {name}()")
        self._connection_only(f"{name}()")
        return B.Func(name, None, (), INTEGER, False, "session")

    def _special(self, name: str, args: tuple) -> B.BExpr:
        if name in ("coalesce", "ifnull"):
            if name == "ifnull" and len(args) != 2 or len(args) < 2:
                raise ProgrammingError(f"wrong number of arguments to function {name}()")
            types = {a.type for a in args if a.type is not None}
            t = types.pop() if len(types) == 1 else None
            return B.Func(name, None, args, t, all(a.nullable for a in args), "coalesce")
        if name == "iif":
            if len(args) != 3:
                raise ProgrammingError("wrong number of arguments to function iif()")
            return B.Case(None, ((args[0], args[1]),), args[2], None)
        fn = SCALAR_MINMAX[name]
        if len(args) < 2:
            raise ProgrammingError(f"wrong number of arguments to function {name}()")
        return B.Func(name, fn, args, None)

    # ------------------------------------------------------------ subqueries
    def _subquery(self, select: A.Select, scope: Scope, kind: str):
        sub = self.bind_subquery(select, scope, kind)
        if kind != "exists" and len(sub.bound.names) != 1:
            raise ProgrammingError(
                f"sub-select returns {len(sub.bound.names)} columns - expected 1"
            )
        return sub

    def _Exists(self, e: A.Exists, scope: Scope) -> B.BExpr:
        return B.SubqueryExpr("exists", self._subquery(e.select, scope, "exists"))

    def _ScalarSubquery(self, e: A.ScalarSubquery, scope: Scope) -> B.BExpr:
        sub = self._subquery(e.select, scope, "scalar")
        return B.SubqueryExpr("scalar", sub, type_=sub.bound.types[0])

    def _InSelect(self, e: A.InSelect, scope: Scope) -> B.BExpr:
        x = self.bind(e.expr, scope)
        sub = self._subquery(e.select, scope, "in")
        return B.SubqueryExpr("in", sub, x, e.negated)


def _arith_type(op: str, a, b):
    if a in _NUMERIC_TYPES and b in _NUMERIC_TYPES:
        if a is REAL or b is REAL:
            return REAL
        return INTEGER
    return None


def _agg_type(name: str, args: list):
    if name == "count":
        return INTEGER
    if name in ("avg", "total"):
        return REAL
    if name in ("group_concat", "string_agg") or name in JSON_AGGREGATES:
        return TEXT
    t = args[0].type if args else None
    if name == "sum":
        return t if t in (INTEGER, REAL) else (INTEGER if t is BOOLEAN else None)
    return t


_DEFER = object()


def _fold(fn, args) -> Any:
    """``fn(*args)`` computed now, or ``_DEFER`` when that fails.

    A failing constant is left for run time: then it raises exactly where and as an
    evaluated expression would (a branch never taken, or a query over no rows, never does).
    """
    try:
        return fn(*args)
    except Exception:
        return _DEFER


def _apply_affinity(left: B.BExpr, right: B.BExpr) -> tuple[B.BExpr, B.BExpr]:
    """Convert a constant compared with a column to the column's type, as SQLite does."""
    if isinstance(right, B.Const) and isinstance(left, B.ColRef):
        return left, _convert_const(right, left.type)
    if isinstance(left, B.Const) and isinstance(right, B.ColRef):
        return _convert_const(left, right.type), right
    if isinstance(right, B.ParamRef) and isinstance(left, B.ColRef):
        return left, _param_affinity(right, left.type)
    if isinstance(left, B.ParamRef) and isinstance(right, B.ColRef):
        return _param_affinity(left, right.type), right
    if isinstance(left, B.ColRef) and _iso_call(right):
        return left, _iso_affinity(right, left.type)
    if isinstance(right, B.ColRef) and _iso_call(left):
        return _iso_affinity(left, right.type), right
    return left, right


def _iso_call(e: B.BExpr) -> bool:
    return isinstance(e, B.Func) and e.name in ("date", "datetime")


def _iso_affinity(call: B.Func, target) -> B.BExpr:
    """date()/datetime() compared with a DATE or TIMESTAMP column: their ISO text read as the
    column's type, as a literal's is (a datetime() against a DATE column as a TIMESTAMP, so
    its time of day counts)."""
    if call.name == "datetime" and target is not None and target.name == "DATE":
        return B.Cast(call, "TIMESTAMP", R.timestamp_affinity, None)
    return _param_affinity(call, target)


def _param_affinity(p: B.ParamRef, target) -> B.BExpr:
    """A parameter compared with a DATE or TIMESTAMP column, its ISO text converted at run
    time as a literal's is now; typed unknown, as its value may be anything."""
    if isinstance(p, B.ParamRef) and p.literal:
        return _literal_affinity(p, target)
    fn = _AFFINITY.get(target.name) if target is not None else None
    return p if fn is None else B.Cast(p, target.name, fn, None)


def _literal_affinity(p: B.ParamRef, target) -> B.BExpr:
    """A parameter standing for a literal compared with a column: converted at run time
    exactly as ``_convert_const`` converts the literal itself."""
    if target is None:
        return p
    if target in (INTEGER, REAL) and p.type is TEXT:
        return B.Cast(p, target.name, _numeric_text, None)
    if target is TEXT and p.type in (INTEGER, REAL):
        return B.Cast(p, "TEXT", R.to_text, TEXT)
    if target.name in ("DATE", "TIMESTAMP") and p.type is TEXT:
        # the literal is checked when the statement is prepared, even if never compared
        raise NotAValue("a date literal compared with a column")
    return p


def _numeric_text(v: str):
    """Text that reads as a number becomes that number (``_convert_const``'s rule)."""
    s = v.strip()
    if s and R.NUM_PREFIX.fullmatch(s):
        return R.to_number(v)
    return v


_AFFINITY = {
    "DATE": R.date_affinity,
    "TIMESTAMP": R.timestamp_affinity,
}


def _convert_const(c: B.Const, target) -> B.Const:
    v = c.value
    if v is None or target is None:
        return c
    if target in (INTEGER, REAL) and type(v) is str:
        m = R.NUM_PREFIX.fullmatch(v.strip()) if v.strip() else None
        if m:
            n = R.to_number(v)
            return B.Const(n, type_of_value(n))
        return c
    if target is TEXT and type(v) in (int, float):
        return B.Const(R.to_text(v), TEXT)
    if target.name in ("DATE", "TIMESTAMP") and type(v) is str:
        n = target.check(v)
        return B.Const(n, target)
    return c


def _int_literal_as_real(v: int) -> float:
    """As in SQLite: an integer literal beyond 64 bits is REAL (infinite past ~1.8e308)."""
    try:
        return float(v)
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")
