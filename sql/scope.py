"""What names can see while a statement is bound: row sources, scopes and parameters.

A ``Scope`` lists the row sources visible to a query block (each bound to a slot) and points
at the enclosing block's scope, so correlated references resolve outward and are recorded.
Aggregate queries bind their output expressions through an ``AggContext``, which maps group
expressions and aggregate calls to positions in the aggregate's output slot.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import ProgrammingError, UndefinedColumn
from . import ast as A
from . import bound as B
from .plan import BareColumn


class SourceInfo:
    """A row source as names see it: alias, columns (name, type, nullable) and slot.

    A table known by its own name also answers to ``main.name`` or ``temp.name`` (its
    ``schema``), so ``main.t.k`` and ``temp.t.k`` tell apart two tables both called t.
    """

    def __init__(self, alias: str, columns: list[tuple[str, Any, bool]], slot: int, table=None):
        self.alias = alias
        self.columns = columns
        self.slot = slot
        self.table = table
        self.schema = None
        if table is not None and alias.lower() == table.name.lower():
            self.schema = "temp" if table.temporary else "main"
        self.hidden: set[str] = set()  # USING columns shown once, by the left side
        self.unlisted: set[str] = set()  # resolvable by name but not part of SELECT *
        if table is not None:
            self.unlisted = {c.name.lower() for c in table.columns if c.hidden}
        self._pos = {}
        for i, (name, _t, _n) in enumerate(columns):
            self._pos.setdefault(name.lower(), i)

    def named(self, qualifier: str) -> bool:
        """Whether a column qualifier (``t`` or ``main.t``) means this source."""
        low = qualifier.lower()
        if low == self.alias.lower():
            return True
        return self.schema is not None and low == f"{self.schema}.{self.alias}".lower()

    def find(self, name: str) -> int | None:
        """The position of column ``name`` (any case), or None."""
        return self._pos.get(name.lower())


class AggContext:
    """Binding state of an aggregate query's output side."""

    def __init__(self, row_scope: Scope, group_asts: list, groups: list, slot: int):
        self.row_scope = row_scope
        self.group_asts = group_asts
        self.groups = groups
        self.extras: list = []
        self.slot = slot
        self._calls: dict = {}

    def ref(self, index: int, name: str, type_, nullable: bool) -> B.ColRef:
        """A reference to position ``index`` of the aggregate's output row."""
        return B.ColRef(self.slot, index, name, type_, nullable)

    def position(self, key: Any, make: Callable[[], Any]) -> int:
        """The output position of the computed value ``key``; ``make()`` builds it (an
        ``AggCall``) the first time, so equal calls are computed once."""
        idx = self._calls.get(key)
        if idx is None:
            idx = self._calls[key] = len(self.groups) + len(self.extras)
            self.extras.append(make())
        return idx

    def bare(self, b: B.ColRef) -> B.ColRef:
        """A column outside any aggregate: its value in the group's first row (NULL when
        there are no rows), read from the aggregate's output slot."""
        idx = self.position(("bare", b.slot, b.pos), lambda: BareColumn(b))
        return self.ref(idx, b.name, b.type, True)


class WindowContext:
    """Binding state of a query block's window functions: the named windows of its WINDOW
    clause and the calls found so far, each a position in the window output slot."""

    def __init__(self, slot: int, named: dict):
        self.slot = slot
        self.named = named  # lower-case name → ast.WindowSpec
        self.funcs: list = []  # plan.WindowFunc per position
        self._calls: dict = {}

    def position(self, key: Any, make: Callable[[], Any]) -> int:
        """The position of the window call ``key``; ``make()`` builds its ``WindowFunc``
        the first time, so equal calls are computed once."""
        idx = self._calls.get(key)
        if idx is None:
            idx = self._calls[key] = len(self.funcs)
            self.funcs.append(make())
        return idx


class Scope:
    """Sources visible to one query block, and the enclosing block's scope."""

    def __init__(self, parent: Scope | None = None):
        self.parent = parent
        self.sources: list[SourceInfo] = []
        self.outer_refs: set[int] = set()
        self.agg: AggContext | None = None
        self.win: WindowContext | None = None  # set where window functions may appear
        self.aliases: dict[str, A.Expr] = {}  # select-list aliases: names when no column is
        self.expanding: set[str] = set()  # aliases being bound now (stops alias loops)
        self.ctes: dict[str, A.CTE] = {}  # WITH names this scope introduces (lower case)

    def find_cte(self, name: str) -> tuple[A.CTE, Scope] | None:
        """The nearest common table expression called ``name`` and the scope holding it."""
        scope: Scope | None = self
        low = name.lower()
        while scope is not None:
            cte = scope.ctes.get(low)
            if cte is not None:
                return cte, scope
            scope = scope.parent
        return None

    def slots(self) -> set[int]:
        """The slots of this block's own sources."""
        return {s.slot for s in self.sources}

    def add(self, src: SourceInfo) -> None:
        """Make ``src`` visible; two sources may not share an alias."""
        low = src.alias.lower()
        for s in self.sources:
            if s.alias.lower() != low:
                continue
            # main.t beside temp.t is fine, as in SQLite: main.t.k and temp.t.k tell them apart
            if s.schema is None or src.schema is None or s.schema == src.schema:
                raise ProgrammingError(f"ambiguous table name {src.alias!r}: give it an alias")
        self.sources.append(src)

    def resolve(self, name: str, table: str | None) -> B.ColRef:
        """Bind a column name, searching enclosing scopes for correlated references."""
        scope: Scope | None = self
        crossed: list[Scope] = []
        while scope is not None:
            ref = scope._local(name, table)
            if ref is not None:
                agg = scope.agg
                if crossed and agg is not None and ref.slot in agg.row_scope.slots():
                    # a subquery in an aggregate query's output sees the group, not
                    # whatever row the scan happened to stop at
                    ref = agg.bare(ref)
                for s in crossed:
                    s.outer_refs.add(ref.slot)
                return ref
            crossed.append(scope)
            scope = scope.parent
        what = f"{table}.{name}" if table else name
        raise UndefinedColumn(f"no such column: {what}")

    def _local(self, name: str, table: str | None) -> B.ColRef | None:
        hits = []
        for src in self.sources:
            if table is not None and not src.named(table):
                continue
            pos = src.find(name)
            if pos is None or (table is None and name.lower() in src.hidden):
                continue
            hits.append((src, pos))
        if not hits:
            return None
        if len(hits) > 1:
            raise ProgrammingError(f"ambiguous column name: {name}")
        src, pos = hits[0]
        cname, ctype, nullable = src.columns[pos]
        label = f"{src.alias}.{cname}" if len(self.sources) > 1 else cname
        return B.ColRef(src.slot, pos, label, ctype, nullable)


class ParamTable:
    """Placeholders of one statement: positional count and named parameters."""

    def __init__(self) -> None:
        self.count = 0
        self.names: list[str] = []
        self.positional = False

    def index(self, p: A.Param) -> int:
        """The position of parameter ``p`` in the values a statement runs with."""
        if p.name is None:
            if self.names:
                raise ProgrammingError("cannot mix named and positional parameters")
            self.positional = True
            self.count = max(self.count, p.index + 1)
            return p.index
        if self.positional:
            raise ProgrammingError("cannot mix named and positional parameters")
        if p.name not in self.names:
            self.names.append(p.name)
        self.count = len(self.names)
        return self.names.index(p.name)
