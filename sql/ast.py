"""Immutable syntax-tree nodes produced by the parser and consumed by the binder."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_node = dataclass(frozen=True, slots=True)


# ---------------------------------------------------------------- expressions
class Expr:
    """Base class of expression nodes."""

    __slots__ = ()


@_node
class Literal(Expr):
    value: Any


@_node
class Param(Expr):
    """A placeholder: ``index`` for ``?``/``?N``, ``name`` for ``:name``."""

    index: int | None
    name: str | None
    pos: int = field(default=0, compare=False)


@_node
class Column(Expr):
    name: str
    table: str | None = None


@_node
class Unary(Expr):
    op: str  # '-', '+', '~', 'NOT'
    operand: Expr


@_node
class Binary(Expr):
    op: str  # arithmetic, comparison, '||', 'AND', 'OR', bit operators
    left: Expr
    right: Expr


@_node
class Is(Expr):
    left: Expr
    right: Expr
    negated: bool


@_node
class Between(Expr):
    expr: Expr
    low: Expr
    high: Expr
    negated: bool


@_node
class InList(Expr):
    expr: Expr
    items: tuple[Expr, ...]
    negated: bool


@_node
class InSelect(Expr):
    expr: Expr
    select: Select
    negated: bool


@_node
class Exists(Expr):
    select: Select


@_node
class ScalarSubquery(Expr):
    select: Select


@_node
class Like(Expr):
    expr: Expr
    pattern: Expr
    escape: Expr | None
    negated: bool
    glob: bool = False


@_node
class Case(Expr):
    operand: Expr | None
    whens: tuple[tuple[Expr, Expr], ...]
    else_: Expr | None


@_node
class Cast(Expr):
    expr: Expr
    type_name: str


@_node
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    distinct: bool = False
    star: bool = False
    filter: Expr | None = None  # FILTER (WHERE ...) of an aggregate
    over: WindowSpec | str | None = None  # OVER (...) or OVER name: a window function


@_node
class FrameBound:
    """One end of a window frame: ``kind`` is 'unbounded preceding', 'preceding',
    'current row', 'following' or 'unbounded following'; ``offset`` the n of n PRECEDING."""

    kind: str
    offset: Expr | None = None


@_node
class WindowSpec:
    """``(base PARTITION BY ... ORDER BY ... frame)`` of an OVER clause or WINDOW definition.

    ``units`` is 'ROWS', 'RANGE', 'GROUPS' or None (no frame written); ``exclude`` is
    'NO OTHERS', 'CURRENT ROW', 'GROUP' or 'TIES'.
    """

    base: str | None = None
    partition: tuple[Expr, ...] = ()
    order: tuple[OrderTerm, ...] = ()
    units: str | None = None
    start: FrameBound | None = None
    end: FrameBound | None = None
    exclude: str = "NO OTHERS"


@_node
class Collate(Expr):
    expr: Expr
    collation: str


@_node
class Default(Expr):
    """The DEFAULT keyword inside INSERT ... VALUES."""


@_node
class Raise(Expr):
    """``RAISE(IGNORE)`` or ``RAISE(ROLLBACK|ABORT|FAIL, 'message')``, inside a trigger."""

    kind: str  # 'ignore', 'rollback', 'abort', 'fail'
    message: str | None = None


# ---------------------------------------------------------------- SELECT
@_node
class SelectItem:
    expr: Expr
    alias: str | None


@_node
class Star:
    table: str | None = None


@_node
class TableRef:
    name: str
    schema: str | None = None
    alias: str | None = None


@_node
class SubqueryRef:
    select: Select
    alias: str | None


@_node
class TableFunction:
    """A table-valued function in FROM (``json_each(doc, path)``)."""

    name: str
    args: tuple
    alias: str | None = None


@_node
class Join:
    left: Any  # TableRef | SubqueryRef | TableFunction | Join
    right: Any
    kind: str  # 'inner', 'left', 'cross' (CROSS JOIN), 'comma'
    on: Expr | None = None
    using: tuple[str, ...] | None = None


@_node
class OrderTerm:
    expr: Expr
    desc: bool = False
    nulls_first: bool | None = None


@_node
class SelectCore:
    items: tuple[SelectItem | Star, ...]
    from_: Any = None
    where: Expr | None = None
    group_by: tuple[Expr, ...] = ()
    having: Expr | None = None
    distinct: bool = False
    windows: tuple[tuple[str, WindowSpec], ...] = ()  # WINDOW name AS (...), ...


@_node
class ValuesCore:
    rows: tuple[tuple[Expr, ...], ...]


@_node
class CompoundCore:
    op: str  # 'UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT'
    left: Any
    right: Any


@_node
class Select:
    body: Any  # SelectCore | ValuesCore | CompoundCore
    order_by: tuple[OrderTerm, ...] = ()
    limit: Expr | None = None
    offset: Expr | None = None
    with_: With | None = None  # WITH clause whose names the whole statement sees


# ---------------------------------------------------------------- DML
@_node
class Upsert:
    columns: tuple[str, ...] | None
    assignments: tuple[tuple[str, Expr], ...] | None  # None means DO NOTHING
    where: Expr | None = None


@_node
class Insert:
    table: TableRef
    columns: tuple[str, ...] | None
    source: Select | None  # None means DEFAULT VALUES
    on_conflict: str = "abort"  # 'abort', 'replace', 'ignore'
    upsert: Upsert | None = None
    ttl: Expr | None = None
    returning: tuple | None = None  # RETURNING's items (SelectItem, Star), None without it


@_node
class Update:
    table: TableRef
    assignments: tuple[tuple[str, Expr], ...]
    where: Expr | None
    ttl: Expr | None = None
    returning: tuple | None = None


@_node
class Delete:
    table: TableRef
    where: Expr | None
    returning: tuple | None = None


# ---------------------------------------------------------------- DDL
@_node
class ColumnDef:
    name: str
    type_name: str | None
    primary_key: bool = False
    pk_desc: bool = False
    autoincrement: bool = False
    not_null: bool = False
    unique: bool = False
    default: Expr | None = None
    default_sql: str | None = None
    checks: tuple[Expr, ...] = ()
    collation: str | None = None
    check_names: tuple[str | None, ...] = ()  # CONSTRAINT names, one per ``checks`` entry


@_node
class CreateTable:
    name: str
    columns: tuple[ColumnDef, ...]
    primary_key: tuple[str, ...] = ()
    uniques: tuple[tuple[str, ...], ...] = ()
    checks: tuple[Expr, ...] = ()
    if_not_exists: bool = False
    cache: bool = False
    options: dict = field(default_factory=dict, hash=False)
    as_select: Select | None = None
    schema: str | None = None
    temporary: bool = False
    unique_names: tuple[str | None, ...] = ()  # CONSTRAINT names, one per ``uniques`` entry
    check_names: tuple[str | None, ...] = ()  # and one per ``checks`` entry


@_node
class DropTable:
    name: str
    if_exists: bool = False
    schema: str | None = None


@_node
class CreateIndex:
    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    method: str = "sorted"
    if_not_exists: bool = False
    descending: tuple[bool, ...] = ()
    table_schema: str | None = None


@_node
class DropIndex:
    name: str
    if_exists: bool = False


@_node
class CreateView:
    name: str
    select: Select
    sql: str
    columns: tuple[str, ...] | None = None
    if_not_exists: bool = False
    schema: str | None = None
    temporary: bool = False


@_node
class DropView:
    name: str
    if_exists: bool = False
    schema: str | None = None


@_node
class AlterTable:
    """ALTER TABLE: ``action`` is "add" (``column``), "drop" (``old``), "rename_column"
    (``old`` to ``new``) or "rename_table" (to ``new``)."""

    name: str
    action: str
    column: ColumnDef | None = None
    old: str | None = None
    new: str | None = None
    schema: str | None = None


@_node
class CreateTrigger:
    """CREATE TRIGGER: a row trigger on a table; ``sql`` is its canonical text."""

    name: str
    table: str
    timing: str  # 'before', 'after', 'instead of'
    event: str  # 'insert', 'update', 'delete'
    columns: tuple[str, ...] | None  # UPDATE OF columns
    when: Expr | None
    body: tuple  # Insert | Update | Delete | Select
    if_not_exists: bool = False
    sql: str = field(default="", compare=False)


@_node
class DropTrigger:
    name: str
    if_exists: bool = False


# ---------------------------------------------------------------- control
@_node
class Begin:
    isolation: str | None = None


@_node
class Commit:
    pass


@_node
class Rollback:
    pass


@_node
class SetIsolation:
    isolation: str


@_node
class Explain:
    statement: Any
    analyze: bool = False  # EXPLAIN ANALYZE: run the query, show rows and time per node


@_node
class Checkpoint:
    pass


@_node
class Pragma:
    """PRAGMA [schema.]name [= value | (value)]; ``value`` is None when only read."""

    name: str
    schema: str | None = None
    value: Any = None  # int, float or str (a word such as ON is its text)


@_node
class Copy:
    target: TableRef | Select
    path: str
    to_file: bool
    options: dict = field(default_factory=dict, hash=False)


# ---------------------------------------------------------------- common table expressions
@_node
class CTE:
    """``name [(columns)] AS (select)``: one common table expression of a WITH clause."""

    name: str
    columns: tuple[str, ...] | None
    select: Select


@_node
class With:
    """``WITH [RECURSIVE] cte, ...``; ``recursive`` records only that the keyword was written."""

    ctes: tuple[CTE, ...]
    recursive: bool = False


# ---------------------------------------------------------------- savepoints
@_node
class Savepoint:
    """SAVEPOINT name."""

    name: str


@_node
class Release:
    """RELEASE [SAVEPOINT] name."""

    name: str


@_node
class RollbackTo:
    """ROLLBACK [TRANSACTION] TO [SAVEPOINT] name."""

    name: str
