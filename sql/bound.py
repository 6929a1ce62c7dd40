"""Bound expressions: names resolved to row slots and column positions, types inferred.

Every node has ``type`` (a ``SqlType`` or None when unknown until run time) and
``nullable``; ``str()`` renders it for EXPLAIN.
"""

from __future__ import annotations

from typing import Any

from ..types import BOOLEAN, SqlType


class BExpr:
    """Base of bound expressions."""

    __slots__ = ("type", "nullable")

    def children(self) -> tuple:
        return ()

    def slots(self) -> set[int]:
        """Row slots this expression reads (outer references included)."""
        out: set[int] = set()
        _collect_slots(self, out)
        return out


def _collect_slots(e: BExpr, out: set[int]) -> None:
    if isinstance(e, ColRef):
        out.add(e.slot)
        return
    if isinstance(e, (SubqueryExpr,)):
        out.update(e.sub.outer_slots)
    for c in e.children():
        if c is not None:
            _collect_slots(c, out)


class Const(BExpr):
    __slots__ = ("value",)

    def __init__(self, value: Any, type_: SqlType | None):
        self.value = value
        self.type = type_
        self.nullable = value is None

    def __str__(self) -> str:
        v = self.value
        if v is None:
            return "NULL"
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        return repr(v) if not isinstance(v, (int, float)) else str(v)


class ParamRef(BExpr):
    """A parameter; ``literal`` when it stands for a literal the statement's text had
    (``normalize.py``): then ``type`` is the literal's and it is never NULL."""

    __slots__ = ("index", "literal")

    def __init__(self, index: int, literal_type: SqlType | None = None):
        self.index = index
        self.type = literal_type
        self.literal = literal_type is not None
        self.nullable = literal_type is None

    def __str__(self) -> str:
        return f"?{self.index + 1}"


class ColRef(BExpr):
    __slots__ = ("slot", "pos", "name")

    def __init__(self, slot: int, pos: int, name: str, type_: SqlType | None, nullable: bool):
        self.slot = slot
        self.pos = pos
        self.name = name
        self.type = type_
        self.nullable = nullable

    def __str__(self) -> str:
        return self.name


class Op(BExpr):
    """Binary operators: arithmetic, comparison, ``||`` and bit operators."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: BExpr, right: BExpr, type_: SqlType | None):
        self.op = op
        self.left = left
        self.right = right
        self.type = type_
        # "/" and "%" by zero are NULL; so is a REAL result that is NaN (inf - inf)
        real = op in ("+", "-", "*") and (type_ is None or type_.name == "REAL")
        self.nullable = left.nullable or right.nullable or op in ("/", "%") or real

    def children(self) -> tuple:
        return (self.left, self.right)

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


class Logic(BExpr):
    """AND / OR with three-valued logic."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: BExpr, right: BExpr):
        self.op = op
        self.left = left
        self.right = right
        self.type = BOOLEAN
        self.nullable = left.nullable or right.nullable

    def children(self) -> tuple:
        return (self.left, self.right)

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


class UnaryOp(BExpr):
    """NOT, unary minus/plus and bitwise complement."""

    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: BExpr, type_: SqlType | None):
        self.op = op
        self.operand = operand
        self.type = type_
        self.nullable = operand.nullable

    def children(self) -> tuple:
        return (self.operand,)

    def __str__(self) -> str:
        sep = " " if self.op == "NOT" else ""
        return f"{self.op}{sep}{self.operand}"


class IsOp(BExpr):
    """``a IS [NOT] b``: null-safe (in)equality, never NULL."""

    __slots__ = ("left", "right", "negated")

    def __init__(self, left: BExpr, right: BExpr, negated: bool):
        self.left = left
        self.right = right
        self.negated = negated
        self.type = BOOLEAN
        self.nullable = False

    def children(self) -> tuple:
        return (self.left, self.right)

    def __str__(self) -> str:
        return f"{self.left} IS {'NOT ' if self.negated else ''}{self.right}"


class InList(BExpr):
    __slots__ = ("expr", "items", "negated")

    def __init__(self, expr: BExpr, items: tuple, negated: bool):
        self.expr = expr
        self.items = items
        self.negated = negated
        self.type = BOOLEAN
        self.nullable = expr.nullable or any(i.nullable for i in items)

    def children(self) -> tuple:
        return (self.expr, *self.items)

    def __str__(self) -> str:
        items = ", ".join(str(i) for i in self.items)
        return f"{self.expr} {'NOT ' if self.negated else ''}IN ({items})"


class Like(BExpr):
    __slots__ = ("expr", "pattern", "escape", "negated", "glob")

    def __init__(self, expr, pattern, escape, negated: bool, glob: bool):
        self.expr = expr
        self.pattern = pattern
        self.escape = escape
        self.negated = negated
        self.glob = glob
        self.type = BOOLEAN
        self.nullable = expr.nullable or pattern.nullable

    def children(self) -> tuple:
        return (self.expr, self.pattern, self.escape)

    def __str__(self) -> str:
        op = "GLOB" if self.glob else "LIKE"
        return f"{self.expr} {'NOT ' if self.negated else ''}{op} {self.pattern}"


class Case(BExpr):
    __slots__ = ("operand", "whens", "else_")

    def __init__(self, operand, whens: tuple, else_, type_: SqlType | None):
        self.operand = operand
        self.whens = whens
        self.else_ = else_
        self.type = type_
        self.nullable = else_ is None or else_.nullable or any(r.nullable for _, r in whens)

    def children(self) -> tuple:
        out = [self.operand]
        for w, r in self.whens:
            out += [w, r]
        return (*out, self.else_)

    def __str__(self) -> str:
        parts = ["CASE"]
        if self.operand is not None:
            parts.append(str(self.operand))
        for w, r in self.whens:
            parts.append(f"WHEN {w} THEN {r}")
        if self.else_ is not None:
            parts.append(f"ELSE {self.else_}")
        return " ".join(parts + ["END"])


class Cast(BExpr):
    __slots__ = ("expr", "target", "fn")

    def __init__(self, expr: BExpr, target: str, fn, type_: SqlType | None):
        self.expr = expr
        self.target = target
        self.fn = fn
        self.type = type_
        self.nullable = expr.nullable

    def children(self) -> tuple:
        return (self.expr,)

    def __str__(self) -> str:
        return f"CAST({self.expr} AS {self.target})"


class Func(BExpr):
    """A scalar function call; ``name`` is for display, ``fn`` does the work."""

    __slots__ = ("name", "fn", "args", "special")

    def __init__(self, name: str, fn, args: tuple, type_, nullable: bool = True, special=None):
        self.name = name
        self.fn = fn
        self.args = args
        self.type = type_
        self.nullable = nullable
        self.special = special

    def children(self) -> tuple:
        return self.args

    def __str__(self) -> str:
        return f"{self.name}({', '.join(str(a) for a in self.args)})"


class SubqueryExpr(BExpr):
    """EXISTS, IN (SELECT ...) and scalar subqueries; ``sub`` is a ``SubPlan``."""

    __slots__ = ("kind", "sub", "expr", "negated")

    def __init__(self, kind: str, sub, expr=None, negated: bool = False, type_=None):
        self.kind = kind  # 'exists', 'in', 'scalar'
        self.sub = sub
        self.expr = expr
        self.negated = negated
        self.type = BOOLEAN if kind != "scalar" else type_
        self.nullable = kind != "exists"

    def children(self) -> tuple:
        return (self.expr,) if self.expr is not None else ()

    def __str__(self) -> str:
        if self.kind == "exists":
            return f"{'NOT ' if self.negated else ''}EXISTS(subquery {self.sub.id})"
        if self.kind == "in":
            return f"{self.expr} {'NOT ' if self.negated else ''}IN (subquery {self.sub.id})"
        return f"(subquery {self.sub.id})"


class NotExpired(BExpr):
    """A cache table row whose TTL has not passed (an implicit filter of every read)."""

    __slots__ = ("slot", "pos", "cache")

    def __init__(self, slot: int, pos: int, cache):
        self.slot = slot
        self.pos = pos
        self.cache = cache
        self.type = BOOLEAN
        self.nullable = False

    def slots(self) -> set[int]:
        return {self.slot}

    def __str__(self) -> str:
        return "not expired"


def conjuncts(e: BExpr | None) -> list[BExpr]:
    """Split ``a AND b AND c`` into its parts."""
    if e is None:
        return []
    if isinstance(e, Logic) and e.op == "AND":
        return conjuncts(e.left) + conjuncts(e.right)
    return [e]


def contains_subquery(e: BExpr) -> bool:
    """True when evaluating ``e`` runs a subquery."""
    if isinstance(e, SubqueryExpr):
        return True
    return any(c is not None and contains_subquery(c) for c in e.children())
