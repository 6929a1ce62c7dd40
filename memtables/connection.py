"""The PEP 249 connection, and the statement wrapper every change goes through.

A ``Connection`` opens a transaction implicitly at its first statement (PEP 249) unless
``autocommit`` is on; ``with conn:`` commits on success and rolls back on error. Every
statement that may change data runs inside one wrapper (savepoint, engine lock, undo on
failure, autocommit): SQL through ``Connection.execute_prepared``, ``executemany``,
``from_arrow`` and key-value writes through ``Connection.run_statement``.

What cursors need from their connection is public but not PEP 249: ``Connection.state``
(read on every call), ``run_query``, ``stream_query``, ``execute_prepared``,
``run_statement``, ``run_read`` and ``end_implicit_transaction``.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from typing import Any, Callable, Iterable, Iterator, Sequence

from . import errors as E
from . import sql
from .catalog import SessionCatalog
from .cursor import Cursor, internal_error
from .errors import (
    Error,
    OperationalError,
    ProgrammingError,
    SerializationFailure,
    TriggerRaised,
)
from .sql import CHUNK, end_statement_clock, statement_clock
from .stream import Stream, settle
from .txn import SERIALIZABLE, SNAPSHOT

_ISOLATION = {"SNAPSHOT": SNAPSHOT, "SERIALIZABLE": SERIALIZABLE, "REPEATABLE READ": SNAPSHOT}


def _serialised(method):
    """Run a Connection method holding its lock."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self.state.lock:
            return method(self, *args, **kwargs)

    return run


_CONTROL = frozenset(
    {"begin", "commit", "rollback", "set_isolation", "savepoint", "release", "rollback_to"}
)
_NO_RESULT = (None, -1, None)  # (rows, rowcount, lastrowid) of a statement that returns nothing


class ConnectionState:
    """What a connection shares with its cursors, which read it on every call.

    ``lock`` serialises the connection's calls (re-entrant; first in the lock order, see
    ARCHITECTURE.md). ``txn`` is the open transaction, or None. ``closed`` turns true once,
    in ``close()``. ``row_factory`` is the one new cursors start with. ``prepare(sql)`` gives
    the compiled statement, from the database's cache or the connection's own (see
    ``Database.prepare_for``). ``catalog`` is the connection's view of the names (its TEMP
    objects over the database's); ``session`` holds the counters ``changes()`` & co. read
    (and the interrupt flag and progress handler running statements look at); ``functions``
    the user-defined functions and collations (None until the first); ``trace`` the trace
    callback cursors call before each statement (None: no tracing); ``detect_types`` the
    converters cursors apply to results (0: none); ``streams`` the query results its cursors
    are still making (``memtables.stream``). Only the connection writes them (and cursors
    the counters).
    """

    __slots__ = (
        "lock",
        "txn",
        "closed",
        "row_factory",
        "prepare",
        "catalog",
        "session",
        "functions",
        "trace",
        "detect_types",
        "streams",
        "slow",
    )

    def __init__(self, db):
        self.lock = threading.RLock()
        self.txn = None
        self.closed = False
        self.row_factory = None
        self.catalog = SessionCatalog(db.engine.catalog)
        # positional: a partial with a keyword costs half a microsecond on every execute
        self.prepare: Callable[[str], Any] = functools.partial(db.prepare_for, self.catalog, None)
        self.session = sql.Session()
        self.functions = None
        self.slow = db.slow_statement  # seconds: log statements this slow (None: don't time)
        self.trace: Callable[[str, Any, tuple], None] | None = None  # a callbacks.Tracer
        self.detect_types = 0  # sqlite3's PARSE_DECLTYPES | PARSE_COLNAMES (adapters.py)
        self.streams: dict = {}


def forked_error(parent: int) -> OperationalError:
    """The error a database or connection inherited through ``fork()`` raises when used."""
    return OperationalError(
        f"database was opened in another process (pid {parent}) before fork; "
        "open it again in this process"
    )


class Connection:
    """A PEP 249 connection.

    Threads may share one: its calls are serialised (each waits for the one running), so a
    transaction is never begun twice or closed under a running statement. Unknown
    attributes raise AttributeError, so a misspelt or unsupported setting never goes unseen.
    """

    __slots__ = (
        "state",
        "_db",
        "_engine",
        "_txns",
        "_explicit",
        "_forked_from",
        "_owns_db",
        "_autocommit",
        "_isolation_level",
        "__weakref__",
    )

    Warning = E.Warning
    Error = E.Error
    InterfaceError = E.InterfaceError
    DatabaseError = E.DatabaseError
    DataError = E.DataError
    OperationalError = E.OperationalError
    IntegrityError = E.IntegrityError
    InternalError = E.InternalError
    ProgrammingError = E.ProgrammingError
    NotSupportedError = E.NotSupportedError

    def __init__(self, db, isolation_level: str, autocommit: bool, owns_db=False):
        # Lock order (ARCHITECTURE.md): state.lock first; one connection's lock at a time.
        self.state = ConnectionState(db)
        self._db = db
        self._engine = db.engine
        self._txns = db.engine.txns
        self._explicit = False  # the open transaction was begun by BEGIN, not implicitly
        self._forked_from: int | None = None
        self._owns_db = owns_db
        self._autocommit = bool(autocommit)
        self._isolation_level = _isolation(isolation_level)

    # ------------------------------------------------------------ properties
    @property
    def database(self):
        """The Database this connection belongs to."""
        return self._db

    @property
    def autocommit(self) -> bool:
        """When true every statement commits on its own (unless BEGIN opened a transaction)."""
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        with self.state.lock:
            self.check_open()
            value = bool(value)
            if value and not self._autocommit and self.state.txn is not None:
                self.commit()
            self._autocommit = value

    @property
    def isolation_level(self) -> str:
        """SNAPSHOT or SERIALIZABLE: the level of the transactions this connection begins.

        Setting it takes effect at the next transaction. ``None`` (sqlite3's way of asking
        for autocommit) is refused with a ProgrammingError: set ``autocommit = True``.
        """
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, level: str) -> None:
        self._isolation_level = _isolation(level)

    @property
    def row_factory(self):
        """Called as ``row_factory(cursor, row)`` for each fetched row (sqlite3 semantics);
        None gives tuples. Cursors take the connection's factory when they are made.
        ``sqlite3.Row`` is accepted and gives ``memtables.Row`` objects."""
        return self.state.row_factory

    @row_factory.setter
    def row_factory(self, factory) -> None:
        self.state.row_factory = _check_row_factory(factory)

    @property
    def max_recursive_rows(self) -> int:
        """Rows a recursive CTE may produce before its statement fails with
        ``OperationalError`` (a guard against a missing stop condition); shared by every
        connection of the database. Default 1,000,000."""
        self.check_open()
        return self._txns.max_recursive_rows

    @max_recursive_rows.setter
    def max_recursive_rows(self, value: int) -> None:
        self.check_open()
        if type(value) is not int or value < 0:
            raise ProgrammingError("max_recursive_rows must be a non-negative integer")
        self._txns.max_recursive_rows = value

    @property
    def total_changes(self) -> int:
        """Rows inserted, updated or deleted by this connection's statements since it
        opened (sqlite3's ``total_changes``; rolled-back changes count too)."""
        self.check_open()
        return self.state.session.total_changes

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open on this connection."""
        return self.state.txn is not None

    @property
    def has_changes(self) -> bool:
        """True while the open transaction has written something (rows or schema)."""
        txn = self.state.txn
        return txn is not None and bool(txn.log or txn.ddl)

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran (or, in a child process, the connection came by fork)."""
        return self.state.closed

    # ------------------------------------------------------------ PEP 249
    def cursor(self) -> Cursor:
        """A new cursor on this connection."""
        self.check_open()
        return Cursor(self)

    def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        """Run one statement on a new cursor and return the cursor."""
        # not self.cursor(): the cursor's execute refuses a closed connection just the same,
        # and this is the hot path
        return Cursor(self).execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable) -> Cursor:
        """Run one statement once per parameter set on a new cursor."""
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script: str) -> Cursor:
        """Run several ``;``-separated statements (after committing any open transaction)."""
        return self.cursor().executescript(script)

    def iterdump(self, table: str | None = None) -> Iterator[str]:
        """The SQL statements that rebuild this database (or one table), as sqlite3's
        ``iterdump``: see ``memtables.dump``."""
        from .dump import iterdump

        self.check_open()
        return iterdump(self, table)

    def backup(
        self,
        target: Connection,
        *,
        pages: int = -1,
        progress: Callable[[int, int, int], object] | None = None,
        name: str = "main",
        sleep: float = 0.250,
    ) -> None:
        """Copy this database's committed tables (cache tables too), rows, indexes, views and
        triggers into ``target`` (another memtables connection, in memory or durable),
        replacing what it held (its temporary tables stay), in one transaction; as sqlite3's
        ``backup``.
        ``pages`` rows are copied per step (-1 or 0: all), ``progress(status, remaining,
        total)`` is called after each; ``sleep`` is accepted for sqlite3's sake (nothing
        here waits for a lock). See ``memtables.backup``."""
        from .backup import backup

        backup(self, target, pages=pages, progress=progress, name=name, sleep=sleep)

    def commit(self) -> None:
        """Commit the open transaction, if any."""
        self._end(_commit)

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        self._end(_rollback)

    def _end(self, finish: Callable[[Any], None]) -> None:
        with self.state.lock:
            self.check_open()
            if self.state.streams:  # they read in this transaction: they finish first
                settle(self.state.streams)
            txn = self.state.txn
            if txn is not None:
                self.state.txn = None
                self._explicit = False
                finish(txn)

    # ------------------------------------------------------------ user-defined (udf.py)
    def create_function(
        self, name: str, narg: int, func: Callable | None, *, deterministic: bool = False
    ) -> None:
        """Make ``func`` callable from SQL as ``name`` with ``narg`` arguments (-1: any),
        on this connection only, as sqlite3's ``create_function``.

        Definitions with different ``narg`` coexist; an exact count wins over -1, and a
        definition hides a built-in function of the same name. ``func`` None removes the
        definition. A ``deterministic`` function with constant arguments may be computed
        once, when the statement is prepared. Its exceptions reach the caller as
        ``OperationalError``; it returns int, float, str, bytes or None (see ``udf.py``).
        """
        self._define(lambda f: f.function(name, narg, func, bool(deterministic)))

    def create_aggregate(self, name: str, narg: int, aggregate_class: Callable | None) -> None:
        """Make ``aggregate_class`` an aggregate function ``name`` of ``narg`` arguments, as
        sqlite3's ``create_aggregate``: one instance per group, ``step(*args)`` per row,
        ``finalize()`` for the result (a group of no rows gives NULL without one). None
        removes it."""
        self._define(lambda f: f.aggregate(name, narg, aggregate_class))

    def create_window_function(
        self, name: str, num_params: int, aggregate_class: Callable | None, /
    ) -> None:
        """Make ``aggregate_class`` an aggregate window function ``name`` of ``num_params``
        arguments, as sqlite3's ``create_window_function``: one instance per frame run,
        ``step(*args)`` adds a row, ``inverse(*args)`` removes the oldest, ``value()`` is the
        current result and ``finalize()`` the last. Without OVER it is a plain aggregate
        (``step``, ``finalize``). None removes it."""
        self._define(lambda f: f.window(name, num_params, aggregate_class))

    def create_collation(self, name: str, callable: Callable | None) -> None:
        """Make ``callable(a, b)`` (two strings; negative, zero or positive) the collation
        ``name``, used by ``ORDER BY x COLLATE name`` and ``a = b COLLATE name``; None
        removes it. As sqlite3's ``create_collation``."""
        self._define(lambda f: f.collate(name, callable))

    def _define(self, change: Callable) -> None:
        with self.state.lock:
            self.check_open()
            functions = self.state.functions
            if functions is None:
                functions = sql.Functions()
            change(functions)  # checks its arguments first: a refused one changes nothing
            if self.state.functions is None:
                self.state.functions = functions
                self.state.prepare = functools.partial(
                    self._db.prepare_for, self.state.catalog, functions
                )

    # ------------------------------------------------------------ sqlite3's callbacks
    def set_trace_callback(self, trace_callback: Callable[[str], object] | None) -> None:
        """Call ``trace_callback(sql)`` as each statement starts, as sqlite3 does: with its
        parameters written in as literals; once per parameter set of ``executemany``; once
        per statement of ``executescript`` (its text as written there). Statements a trigger
        runs and the transactions PEP 249 opens implicitly are not traced. Its exceptions are
        ignored (see ``memtables.enable_callback_tracebacks``). None removes it."""
        from .callbacks import tracer

        self.check_open()
        self.state.trace = tracer(trace_callback)

    def set_progress_handler(self, progress_handler: Callable[[], object] | None, n: int) -> None:
        """Call ``progress_handler()`` before every ``n`` rows a statement's table scans
        visit (memtables' unit of work: point lookups by key visit none); a true return, or
        an exception, stops the statement with ``OperationalError("interrupted")`` and undoes
        what it changed (the transaction stays open). None, or ``n`` below 1, removes it."""
        from .callbacks import progress_handler as handler

        self.check_open()
        stop = handler(progress_handler, n)
        session = self.state.session
        session.progress = None  # never a handler with another's step
        session.progress_every = n if stop is not None else sql.WATCH_EVERY
        session.progress = stop

    def interrupt(self) -> None:
        """Stop the statement running on this connection (in another thread) with
        ``OperationalError("interrupted")``; its changes are undone. It stops within
        about a thousand rows scanned. Does nothing when no statement runs (one that begins
        at that very moment may be stopped instead, as in SQLite)."""
        self.check_open()
        state = self.state
        state.session.interrupted = True
        if state.lock.acquire(blocking=False):  # nothing runs (or this thread runs it)
            try:
                state.session.interrupted = False
            finally:
                state.lock.release()

    def cache(self, name: str):
        """The key-value face of cache table ``name`` (see ``memtables.kv``)."""
        from .kv import KeyValue

        return KeyValue(self, name)

    # ------------------------------------------------------------ Arrow (see arrowio.py)
    def to_arrow(self, source: str, parameters: Any = ()):
        """A table's rows, or a query's, as a ``pyarrow.Table`` read from one snapshot."""
        from .arrowio import to_arrow

        return to_arrow(self, source, parameters)

    @_serialised
    def from_arrow(
        self,
        name: str,
        data: Any,
        mode: str = "create",
        primary_key: str | Sequence[str] | None = None,
    ) -> int:
        """Load Arrow data (a pyarrow Table, RecordBatchReader, or anything with
        ``__arrow_c_stream__``) into table ``name``; return the number of rows.

        ``mode``: "create" (a new table typed from the data, with ``primary_key`` if given),
        "append" (to an existing table, columns matched by name) or "replace" (drop it and
        create it anew). The load is one statement: any error leaves the table as it was.
        """
        from .arrowio import from_arrow

        return from_arrow(self, name, data, mode, primary_key)

    def transaction(self, retries: int = 3, backoff: float = 0.002, isolation: str | None = None):
        """Run a block as one transaction, rerunning it on ``SerializationFailure``.

        Use as a decorator, as ``for attempt in conn.transaction(): with attempt: ...``, or
        as a plain ``with`` block (one attempt). See ``memtables.retrying``.
        """
        from .retrying import TransactionRunner

        self.check_open()
        return TransactionRunner(self, retries, backoff, isolation)

    def close(self) -> None:
        """Roll back any open transaction and close the connection.

        A call running in another thread finishes first. In a child process that inherited
        the connection through ``fork()`` this does nothing (it belongs to the parent).
        """
        with self.state.lock:
            if self.state.closed:
                return
            self.state.closed = True  # first: even an interrupted rollback leaves it closed
            txn, self.state.txn = self.state.txn, None
            try:
                settle(self.state.streams, everything=True)
                if txn is not None:
                    txn.rollback()
            finally:
                self.state.catalog.forget_temporary()  # gone with the connection
        # outside our lock: closing the database closes other connections (one lock at a time)
        self._db.connection_closed(self, self._owns_db)

    def __enter__(self) -> Connection:
        self.check_open()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.state.closed:
            return False
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.rollback()
                raise
        else:
            self.rollback()
        return False

    # ------------------------------------------------------------ internals
    def check_open(self) -> None:
        """Raise the PEP 249 error for a closed (or inherited through ``fork()``) connection."""
        if self.state.closed:
            raise self._closed_error()

    def _closed_error(self) -> Error:
        if self._forked_from is not None:
            return forked_error(self._forked_from)
        return ProgrammingError("cannot operate on a closed connection")

    def disown(self, parent: int) -> None:
        """In a child process after ``fork()``: unusable, and nothing of it is undone.

        Called by the database's fork hook; ``parent`` is the pid that opened it."""
        self.state.closed = True
        self._forked_from = parent
        self.state.lock = threading.RLock()  # a thread of the parent may have been in a call

    def _begin(self, isolation: str | None = None):
        txn = self._engine.begin(isolation or self._isolation_level)
        txn.session = self.state.session
        self.state.txn = txn
        return txn

    def _control(self, stmt) -> None:
        kind = stmt.kind
        if kind == "begin":
            level = _isolation(stmt.isolation) if stmt.isolation else None
            if self._begin_explicit(level) is not None:
                raise OperationalError("cannot start a transaction within a transaction")
        elif kind in ("savepoint", "release", "rollback_to"):
            self._savepoint(kind, stmt.name)
        elif kind == "commit":
            self.commit()
        elif kind == "rollback":
            self.rollback()
        elif kind == "set_isolation":
            level = _isolation(stmt.isolation)
            txn = self.state.txn
            if txn is not None and not (txn.log or txn.ddl):
                txn.set_isolation(level)
            else:
                self._isolation_level = level

    def _begin_explicit(self, isolation: str | None = None):
        """Begin a transaction as BEGIN does, unless one is already under way: an explicit
        one, or an implicit one that wrote something (that one is returned). An implicit
        transaction that wrote nothing is committed and replaced (sqlite3 would not have
        begun it yet). Returns None when it began one."""
        txn = self.state.txn
        if txn is not None:
            if self._explicit or txn.log or txn.ddl:
                return txn
            self.state.txn = None
            _commit(txn)
        self._begin(isolation)
        self._explicit = True
        return None

    def _savepoint(self, kind: str, name: str) -> None:
        """SAVEPOINT, RELEASE or ROLLBACK TO ``name``, as SQLite's: a SAVEPOINT outside a
        transaction begins one, which RELEASE of that savepoint commits."""
        if kind == "savepoint":
            txn = self._begin_explicit()
            if txn is None:
                self.state.txn.add_savepoint(name, True)
            else:
                txn.add_savepoint(name, False)
            return
        txn = self.state.txn
        if txn is None:
            raise OperationalError(f"no such savepoint: {name}")
        if kind == "release":
            if txn.release(name):
                self.commit()
        else:
            with self._txns.lock:
                txn.rollback_to_savepoint(name)

    # ------------------------------------------------------------ for cursors and kv.py
    # (not PEP 249). A cursor takes ``state.lock`` once per call, checks the connection is
    # open, and calls ``run_query`` (``stream_query``) or ``execute_prepared`` under it: the
    # hot path.
    def run_query(self, stmt, params: tuple) -> list:
        """The rows of the prepared query ``stmt``, one that is ``whole`` (a small result,
        made at once: the hot path); ``stream_query`` runs the others.

        It reads in the open transaction, or begins one that stays open (PEP 249), or, on an
        autocommit connection, reads in a transaction of its own. Errors other than PEP 249
        ones come out wrapped in one. The caller holds ``state.lock``.
        """
        clock = statement_clock()  # one 'now' for the whole query
        try:
            txn = self.state.txn
            if txn is None:
                if self._autocommit:
                    return self._read_alone(stmt.run, params)
                txn = self._begin()
            return stmt.run(params, txn)
        except Error:
            raise
        except Exception as e:
            raise internal_error(e) from e
        finally:
            end_statement_clock(clock)
            self.state.session.interrupted = False  # an interrupt() ends with its statement

    def stream_query(self, stmt, params: tuple) -> tuple[list, Stream | None]:
        """The rows of the prepared query ``stmt``: ``(rows, None)`` with all of them, or
        the first chunk and the ``Stream`` making the rest as they are fetched.

        It reads as ``run_query`` does, except that on an autocommit connection a stream
        keeps its transaction of its own until it ends. The caller holds ``state.lock``.
        """
        clock = statement_clock()  # one 'now' for the whole query, its fetches included
        txn = self.state.txn
        own = txn is None and self._autocommit
        try:
            if txn is None:
                txn = self._engine.begin(self._isolation_level) if own else self._begin()
                txn.session = self.state.session
            chunks = stmt.chunks(params, txn)
            rows = next(chunks)
            if len(rows) < CHUNK:  # the whole result after all
                if own:
                    txn.commit()
                return rows, None
            context = contextvars.copy_context()
            return rows, Stream(chunks, txn, own, context, self.state.streams)
        except BaseException as e:  # Ctrl-C too: a transaction of our own must not outlive it
            if own and txn is not None and txn.state == "active":
                txn.rollback()
            if isinstance(e, Error) or not isinstance(e, Exception):
                raise
            raise internal_error(e) from e
        finally:
            end_statement_clock(clock)
            self.state.session.interrupted = False  # an interrupt() ends with its statement

    def execute_prepared(self, stmt, params: tuple) -> tuple:
        """Run the prepared statement ``stmt`` (not a query) through the statement wrapper.

        Returns ``(rows, rowcount, lastrowid)``; rows is None unless the statement returns
        some (EXPLAIN, RETURNING). Transaction control and CHECKPOINT run outside the wrapper.
        The caller holds ``state.lock``.
        """
        if self.state.streams:  # queries reading in this transaction finish before it changes
            settle(self.state.streams)
        kind = stmt.kind
        if kind == "dml" or kind == "ddl":  # the common case first: this is the hot path
            if self._db.read_only and not stmt.readonly:  # COPY ... TO only reads
                raise OperationalError(self._db.read_only)
        elif kind in _CONTROL:
            self._control(stmt)
            return _NO_RESULT
        elif kind == "checkpoint":  # in no transaction, and under no lock but the connection's
            self._db.checkpoint()
            return _NO_RESULT
        result = self._statement(stmt.execute, params, stmt.engine_lock, False)
        if kind == "dml":  # completed: what changes() and last_insert_rowid() report
            # ``Session.record``, inlined: every INSERT, UPDATE and DELETE comes here
            session = self.state.session
            n = result[1]
            session.changes = n
            session.total_changes += n
            if stmt.inserts and result[2] is not None:
                session.last_rowid = result[2]
        return result

    def end_implicit_transaction(self) -> None:
        """Commit the transaction PEP 249 opened implicitly; one BEGIN opened stays open."""
        with self.state.lock:
            if self.state.txn is not None and not self._explicit:
                self.commit()

    def run_statement(
        self, fn: Callable[[Any], Any], engine_lock: bool = False, solo: bool = False
    ) -> Any:
        """``fn(txn)`` run as one statement of this connection: the statement wrapper.

        It runs in the open transaction, or in one begun for it. Its changes are all kept or,
        on any exception (Ctrl-C too), all undone; a conflict ends the transaction, as does the
        failure of a statement that commits on its own. That is a statement of an autocommit
        connection outside BEGIN, or a ``solo`` one (the key-value face: like a Redis command)
        run when no transaction was open. ``engine_lock`` holds the engine's lock around
        ``fn`` (writers need it; ``fn`` may take it itself, around only its writes). Errors
        other than PEP 249 ones come out wrapped in one. It runs under the connection's lock.
        """
        with self.state.lock:  # re-entrant: the cursor's callers already hold it
            self.check_open()
            if self._db.read_only:  # every caller writes: key-value writes, from_arrow ...
                raise OperationalError(self._db.read_only)
            if self.state.streams:
                settle(self.state.streams)
            return self._statement(_call, fn, engine_lock, solo)

    def run_read(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(txn)`` run in the open transaction, or in one of its own that ends with it.

        For reads that change nothing (the key-value face's): no savepoint, and exceptions
        come out as ``fn`` raised them (``KeyError`` from a dict-like lookup stays one).
        """
        with self.state.lock:
            self.check_open()
            txn = self.state.txn
            if txn is not None:
                return fn(txn)
            return self._read_alone(fn)

    def _read_alone(self, fn: Callable, *args: Any) -> Any:
        """``fn(*args, txn)`` in a transaction of its own, committed at once."""
        txn = self._engine.begin(self._isolation_level)
        txn.session = self.state.session
        try:
            result = fn(*args, txn)
            txn.commit()
        except BaseException:  # Ctrl-C too: the transaction must not outlive the call
            if txn.state == "active":
                txn.rollback()
            raise
        return result

    def _statement(self, body: Callable, arg: Any, engine_lock: bool, solo: bool) -> Any:
        """The statement wrapper: ``body(self, txn, arg)`` as one statement (see
        ``run_statement``). A SQL statement passes its ``execute`` and parameters: no closure
        to build on the hot path."""
        txn = self.state.txn
        own = False
        if txn is None:
            txn = self._begin()
            own = solo
        mark = txn.savepoint()
        clock = statement_clock()  # one 'now' for the whole statement
        try:
            if self.state.session.progress is not None:
                sql.watch(self.state.session)  # a change scanning no rows asks it too (DDL)
            if engine_lock:
                with self._txns.lock:
                    result = body(self, txn, arg)
            else:
                result = body(self, txn, arg)
        except BaseException as e:
            self._fail(txn, mark, e, own)
            if isinstance(e, Error) or not isinstance(e, Exception):
                raise
            raise internal_error(e) from e
        finally:
            end_statement_clock(clock)
            self.state.session.interrupted = False  # an interrupt() ends with its statement
        if own or (not solo and self._autocommit and not self._explicit):
            self.state.txn = None
            _commit(txn)
        return result

    def _fail(self, txn, mark, exc: BaseException, own: bool) -> None:
        """Undo a failed statement; a conflict or a statement on its own ends the txn.

        A trigger's RAISE says otherwise (``TriggerRaised.resolution``): FAIL undoes
        nothing (a statement on its own commits what it did), ROLLBACK ends the
        transaction."""
        if txn.state != "active":
            return
        alone = own or (self._autocommit and not self._explicit)
        resolution = getattr(exc, "resolution", None) if isinstance(exc, TriggerRaised) else None
        if resolution == "fail":
            if alone:
                if self.state.txn is txn:
                    self.state.txn = None
                    self._explicit = False
                _commit(txn)
            return
        if alone or isinstance(exc, SerializationFailure) or resolution == "rollback":
            if self.state.txn is txn:
                self.state.txn = None
                self._explicit = False
            txn.rollback()
        else:
            with self._txns.lock:
                txn.rollback_to(mark)

    def __repr__(self) -> str:
        state = "closed" if self.state.closed else ("in transaction" if self.state.txn else "idle")
        return f"<memtables.Connection {state}>"


def _call(conn: Connection, txn, fn: Callable[[Any], Any]) -> Any:
    """A ``run_statement`` body: ``fn(txn)``, called the way ``Statement.execute`` is."""
    return fn(txn)


def _rollback(txn) -> None:
    txn.rollback()


def _commit(txn) -> None:
    """Commit ``txn``; if that is interrupted before it took effect, roll it back."""
    try:
        txn.commit()
    except BaseException:
        if txn.state == "active":
            txn.rollback()
        raise


def _check_row_factory(factory):
    if factory is None:
        return None
    if not callable(factory):
        raise ProgrammingError(
            f"row_factory must be callable as factory(cursor, row), not {type(factory).__name__}"
        )
    return factory


def _isolation(level: str) -> str:
    if level is None:
        raise ProgrammingError(
            "isolation_level None (sqlite3's autocommit) is not supported: use autocommit=True; "
            "isolation levels are SNAPSHOT and SERIALIZABLE"
        )
    try:
        return _ISOLATION[str(level).upper()]
    except KeyError:
        raise ProgrammingError(
            f"unknown isolation level {level!r} (use SNAPSHOT or SERIALIZABLE)"
        ) from None
