"""Prepared statements: what a parsed, bound, planned and compiled statement does when run.

``Statement.execute(conn, txn, params)`` runs it inside transaction ``txn`` for connection
``conn`` and returns a ``Result``. Queries also expose ``run(params, txn)`` so the cursor's
hot path makes one call. Transaction control statements only carry their kind; the
connection acts on them. The statement kinds of other modules (``dml``, ``ddl``,
``copyio``) subclass ``Statement``; ``stages.py`` picks the class for each statement.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from . import ast as A
from .binder import bind_select
from .compiler import Compiler
from .plan import (
    Aggregate,
    Distinct,
    Filter,
    IndexMinMax,
    Limit,
    Lookup,
    Project,
    Query,
    SelectPlan,
    Single,
    Sort,
    Values,
    Window,
)
from .planner import plan_select

# rows per chunk of a query's result: a result shorter than this is made whole at execute()
CHUNK = 256


class Result(NamedTuple):
    """What a statement produced: rows (or None), row count (-1: not counted) and the last
    inserted row id (or None). The one-row INSERT and UPDATE paths return a plain tuple of
    the same shape: building a named tuple costs them several percent."""

    rows: list | None = None
    rowcount: int = -1
    lastrowid: Any = None


class Statement:
    """Base of prepared statements."""

    kind = "other"
    readonly = False
    n_params = 0
    param_names: list[str] | None = None
    names: list[str] | None = None
    types: list | None = None
    tables: frozenset = frozenset()
    ddl = False
    inserts = False  # an INSERT: its last row id becomes the cursor's lastrowid
    # bound to its connection's user-defined functions or collations: cached for that
    # connection only (``Database.prepare``)
    uses_udf = False
    # A query whose ``run(params, txn)`` makes all its rows at once; False: a large result
    # is better made a chunk at a time by ``chunks(params, txn)`` (``QueryStatement``).
    whole = True
    # Run under the transaction manager's lock: storage writes check and then act. A
    # statement that waits or does I/O says False and takes the lock only around its writes.
    engine_lock = True

    def execute(self, conn, txn, params) -> tuple:
        """Run inside transaction ``txn`` of connection ``conn``; a ``Result``."""
        raise NotImplementedError

    def explain(self) -> list[str]:
        """The plan as lines of text, for EXPLAIN."""
        return [type(self).__name__.replace("Statement", "").upper()]

    def take_params(self, bound) -> None:
        """Keep what binding counted (``bound``: a ``Binder`` or a plan made from its work):
        the number and names of parameters, and the tables used."""
        params = bound.params
        self.n_params = params.count
        self.param_names = list(params.names) if params.names else None
        self.tables = frozenset(bound.tables)


class QueryStatement(Statement):
    """A SELECT: one compiled function from (params, transaction) to its rows.

    Most queries compile to a generator, ``chunks(params, txn)``, that makes the rows as
    they are asked for, ``CHUNK`` at a time, and ends with a shorter list (maybe empty):
    the cursor streams a large result, and has a small one whole from the first chunk.
    A query that cannot give more than a chunk (a primary key lookup, an aggregate without
    GROUP BY) is ``whole``: it compiles to a plain function returning its list, which
    saves making a generator on the hottest path. ``run(params, txn)`` is the list of all
    rows either way.
    """

    kind = "query"
    readonly = True

    def __init__(self, plan: SelectPlan):
        self.query: Query = plan.query
        self.whole = _one_chunk(self.query.root)
        compiler = Compiler()
        if self.whole:
            compiler.query_function(self.query, "run", ["p", "tx"])
        else:
            compiler.query_function(self.query, "chunks", ["p", "tx"], CHUNK)
        ns = compiler.prog.build()
        if self.whole:
            self.run = ns["run"]
        else:
            self.chunks = ns["chunks"]
        self.source = ns["__source__"]
        self.names = self.query.names
        self.types = self.query.types
        self.take_params(plan)

    def run(self, params, txn) -> list:
        """Every row of the query, in one list."""
        chunks = self.chunks(params, txn)
        rows = next(chunks)
        if len(rows) == CHUNK:  # the chunks are ours: the generator starts a new list each
            for more in chunks:
                rows += more
        return rows

    def execute(self, conn, txn, params) -> tuple:
        return Result(self.run(params, txn))

    def explain(self) -> list[str]:
        return self.query.explain()


def _one_chunk(node) -> bool:
    """True when plan ``node`` gives at most ``CHUNK`` rows, whatever the data and the
    parameters."""
    if isinstance(node, (Project, Filter, Sort, Distinct, Limit, Window)):
        return _one_chunk(node.child)  # never more rows than their child
    if isinstance(node, Lookup):
        return not node.many or len(node.keys[0].items) <= CHUNK
    if isinstance(node, Aggregate):
        return not node.groups
    if isinstance(node, Values):
        return len(node.rows) <= CHUNK
    return isinstance(node, (Single, IndexMinMax))


class WithLiterals(Statement):
    """A statement compiled from a shape (``normalize.py``), run with the literals of one
    text: it takes no parameters of its own. Cheap to make: one per execution of a text
    that was not cached itself."""

    __slots__ = (
        "base",
        "values",
        "kind",
        "readonly",
        "names",
        "types",
        "tables",
        "inserts",
        "engine_lock",
        "description",
        "whole",
    )

    def __init__(self, base: Statement, values: tuple):
        self.base = base
        self.values = values
        self.kind = base.kind
        self.readonly = base.readonly
        self.names = base.names
        self.types = base.types
        self.tables = base.tables
        self.inserts = base.inserts
        self.engine_lock = base.engine_lock
        self.description = base.description
        self.whole = base.whole

    def run(self, params, txn) -> list:
        """The query's rows, for the literals this text had."""
        return self.base.run(self.values, txn)

    def chunks(self, params, txn):
        """The query's rows a chunk at a time (a streamed result), for this text's literals."""
        return self.base.chunks(self.values, txn)

    def execute(self, conn, txn, params) -> tuple:
        return self.base.execute(conn, txn, self.values)

    def explain(self) -> list[str]:
        return self.base.explain()


def query_statement(select: A.Select, catalog, systables) -> QueryStatement:
    """A SELECT inside another statement (CREATE TABLE AS, COPY TO): bound, planned and
    compiled as a statement of its own."""
    return QueryStatement(plan_select(bind_select(select, catalog, systables)))


class ControlStatement(Statement):
    """BEGIN, COMMIT, ROLLBACK, SET TRANSACTION, SAVEPOINT, RELEASE, ROLLBACK TO: carried
    out by the connection. ``name`` is a savepoint's name as written (the transaction
    compares them case-insensitively, as SQLite does)."""

    def __init__(self, kind: str, isolation: str | None = None, name: str | None = None):
        self.kind = kind
        self.isolation = isolation
        self.name = name

    def explain(self) -> list[str]:
        head = self.kind.replace("_", " ").upper()
        return [head if self.name is None else f"{head} {self.name}"]


class CheckpointStatement(Statement):
    """CHECKPOINT: a snapshot of the durable tables, taken by the database."""

    kind = "checkpoint"
    engine_lock = False  # it takes the checkpoint lock, which comes first (ARCHITECTURE.md)

    def execute(self, conn, txn, params) -> tuple:
        conn.database.checkpoint()
        return Result()


class ExplainStatement(Statement):
    """EXPLAIN <statement>: the plan as rows of one text column."""

    kind = "query"
    readonly = True

    def __init__(self, inner: Statement):
        self.inner = inner
        self.names = ["plan"]
        self.types = [None]
        self.n_params = inner.n_params
        self.param_names = inner.param_names
        lines = inner.explain()
        self._rows = [(line,) for line in lines]

    def run(self, params, txn) -> list:
        """The plan's lines, whatever the parameters."""
        return list(self._rows)

    def execute(self, conn, txn, params) -> tuple:
        return Result(self.run(params, txn))
