"""The public face: Database, Connection and Cursor (PEP 249).

A ``Database`` owns the engine and the statement cache shared by its connections. A
``Connection`` opens a transaction implicitly at its first statement (PEP 249) unless
``autocommit`` is on; ``with conn:`` commits on success and rolls back on error.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import itertools
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Iterable, Iterator, Sequence

from . import errors as E
from .engine import Engine
from .errors import (
    Error,
    InterfaceError,
    InternalError,
    OperationalError,
    ProgrammingError,
    SerializationFailure,
    UndefinedTable,
)
from .gcpause import gc_paused
from .txn import SERIALIZABLE, SNAPSHOT
from .types import bind_value, plain_values

STATEMENT_CACHE_SIZE = 512
_OPEN: dict[str, Database] = {}  # durable databases open in this process, by real path
_OPEN_LOCK = threading.Lock()
_LIVE: weakref.WeakSet = weakref.WeakSet()  # durable databases, for the fork hooks below


def _serialised(method):
    """Run a Connection or Cursor method holding its connection's lock."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        conn = self if isinstance(self, Connection) else self._conn
        with conn._lock:
            return method(self, *args, **kwargs)

    return run


def _registry_key(path: str) -> str:
    return os.path.realpath(path)


def open_database(path=None, **options) -> Database:
    """The Database at ``path`` (the one already open in this process, if any)."""
    if path is None:
        return Database(None, **options)
    key = _registry_key(path)
    with _OPEN_LOCK:
        db = _OPEN.get(key)
        if db is None or db.closed:
            db = Database(path, **options)
            _OPEN[key] = db
        return db


def connect_owning(path, isolation_level: str, autocommit: bool, **options) -> Connection:
    """A connection that owns its Database: closing the last such connection closes it."""
    while True:
        db = open_database(path, **options)
        conn = Connection(db, isolation_level, autocommit, owns_db=True)
        with db._state_lock:
            if db.closed:  # its last owner closed it just now: open it again
                continue
            db._owners += 1
            db._connections.add(conn)
        return conn


_held_logs: list = []  # redo logs held still while this process forks


def _before_fork() -> None:
    # No thread may be half-way through writing a log buffer the child inherits: a buffer the
    # child flushed at exit would append the parent's records to the log a second time.
    _held_logs[:] = [db._durable.wal for db in list(_LIVE)]  # closing ones too: mid-flush
    for log in _held_logs:
        log.hold_for_fork()


def _after_fork_in_parent() -> None:
    for log in _held_logs:
        log.release_after_fork()
    _held_logs.clear()


def _after_fork_in_child() -> None:
    global _OPEN_LOCK
    _after_fork_in_parent()
    _OPEN_LOCK = threading.Lock()  # a thread of the parent may have held it: not ours to wait
    parent = os.getppid()
    for db in list(_LIVE):
        db._disown(parent)


def _forked_error(parent: int) -> OperationalError:
    return OperationalError(
        f"database was opened in another process (pid {parent}) before fork; "
        "open it again in this process"
    )


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )

_ISOLATION = {"SNAPSHOT": SNAPSHOT, "SERIALIZABLE": SERIALIZABLE, "REPEATABLE READ": SNAPSHOT}
_NO_LOCK = contextlib.nullcontext()
_BATCH = 256  # executemany parameter sets run per turn of the engine lock
_PARAM_TYPES = frozenset({int, float, str, bytes, bool, type(None), _dt.date, _dt.datetime})


class Database:
    """A database shared by the connections made from it: in memory, or durable in a
    directory (redo log plus snapshots) when ``path`` is given."""

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        sync: str = "full",
        checkpoint_bytes: int | None = None,
        progress=None,
        on_corruption: str = "error",
        clock=None,
    ):
        self.path = None if path is None else os.fspath(path)
        self.engine = Engine(clock)
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_lock = threading.Lock()  # a leaf: nothing else is taken while it is held
        self._schema_version = 0  # bumped by every schema change (see ``prepare``)
        self.statements_compiled = 0  # cache misses: parses and compilations
        self.engine.catalog.on_change(self._schema_changed)
        self.closed = False
        self._forked_from: int | None = None  # the parent's pid, in a child process
        self._state_lock = threading.Lock()  # a leaf: guards closed, _connections, _owners
        self._connections: set = set()
        self._owners = 0
        # the public face is the only part of memtables that imports the query layer
        from . import sql

        self._sql = sql
        self._durable = None
        if path is not None:
            from .persist import DEFAULT_CHECKPOINT_BYTES, Durability

            limit = DEFAULT_CHECKPOINT_BYTES if checkpoint_bytes is None else checkpoint_bytes
            durable = Durability(self, path, sync, limit, progress, on_corruption)
            try:
                durable.recover()
            except BaseException:
                durable.close()
                raise
            self._durable = durable
            _LIVE.add(self)

    @property
    def read_only(self) -> str | None:
        """Why the database refuses writes (a damaged redo log), or None."""
        return None if self._durable is None else self._durable.read_only

    @property
    def checkpoint_error(self) -> str | None:
        """Why the last automatic checkpoint failed, until a checkpoint succeeds; else None.

        Failures are also logged (logger ``memtables``) and counted in ``sys.stats``; the
        redo log is kept meanwhile, and retries wait for twice as much log each time.
        """
        return None if self._durable is None else self._durable.checkpoint_error

    # ------------------------------------------------------------ statements
    def prepare(self, text: str):
        """The compiled statement for ``text``, from the cache when it is there."""
        cache = self._cache
        if type(text) is not str:  # first: a list or dict is not even a cache key
            raise ProgrammingError(f"SQL must be a str, not {type(text).__name__}")
        stmt = cache.get(text)
        if stmt is not None:
            try:
                cache.move_to_end(text)
            except KeyError:  # a schema change emptied the cache meanwhile: still usable
                pass
            return stmt
        version = self._schema_version
        stmt = self._sql.prepare(text, self.engine)
        self.statements_compiled += 1
        stmt._description = _description(stmt)
        if stmt.kind in ("query", "dml"):
            with self._cache_lock:
                # compiled against a catalog another thread changed since: use it once,
                # never cache it
                if version == self._schema_version:
                    cache[text] = stmt
                    if len(cache) > STATEMENT_CACHE_SIZE:
                        cache.popitem(last=False)
        return stmt

    def _schema_changed(self) -> None:
        with self._cache_lock:
            self._schema_version += 1
            self._cache.clear()

    # ------------------------------------------------------------ connections
    def connect(self, isolation_level: str = "SNAPSHOT", autocommit: bool = False) -> Connection:
        """A new connection to this database."""
        conn = Connection(self, isolation_level, autocommit)
        with self._state_lock:
            self._check_open()
            self._connections.add(conn)
        return conn

    def checkpoint(self) -> None:
        """Write a snapshot of the durable tables and drop the redo log it covers.

        Writers keep running meanwhile. An in-memory database has nothing to write.
        """
        self._check_open()
        if self._durable is not None:
            self._durable.checkpoint()

    def close(self) -> None:
        """Close every connection (rolling back their open transactions) and the database.

        A connection busy in another thread finishes its current call first. In a child
        process that inherited the database through ``fork()`` this does nothing: the
        database, its log and its lock belong to the parent.
        """
        with self._state_lock:
            if self.closed:
                return
            self.closed = True  # first: closing a connection from connect() comes back here
            conns = list(self._connections)
        for conn in conns:
            conn.close()
        if self._durable is not None:
            self._durable.close()
            _OPEN.pop(_registry_key(self.path), None)

    def _release(self) -> None:
        """One owner (a connection made by ``memtables.connect``) is done with it."""
        with self._state_lock:
            self._owners -= 1
            last = self._owners <= 0
        if last:
            self.close()

    def _check_open(self) -> None:
        if self.closed:
            if self._forked_from is not None:
                raise _forked_error(self._forked_from)
            raise ProgrammingError("cannot operate on a closed database")

    def _disown(self, parent: int) -> None:
        """In a child process after ``fork()``: every use raises from here on.

        The parent owns the log, the snapshots and the directory lock; the child must neither
        write nor close them (closing would release the parent's lock).
        """
        if self.closed or self._durable is None:
            return
        self.closed = True
        self._forked_from = parent
        self._state_lock = threading.Lock()  # a thread of the parent may have held it
        for conn in list(self._connections):
            conn._disown(parent)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.path or ":memory:"
        return f"<memtables.Database {where}{' closed' if self.closed else ''}>"


class Connection:
    """A PEP 249 connection.

    Threads may share one: its calls are serialised (each waits for the one running), so a
    transaction is never begun twice or closed under a running statement. Unknown
    attributes raise AttributeError, so a misspelt or unsupported setting never goes unseen.
    """

    __slots__ = (
        "_db",
        "_engine",
        "_txns",
        "_txn",
        "_explicit",
        "_closed",
        "_forked_from",
        "_owns_db",
        "_autocommit",
        "_isolation_level",
        "_row_factory",
        "_prepare",
        "_lock",
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

    def __init__(self, db: Database, isolation_level: str, autocommit: bool, owns_db=False):
        self._db = db
        self._engine = db.engine
        self._txns = db.engine.txns
        self._txn = None
        self._explicit = False
        self._closed = False
        self._forked_from: int | None = None
        self._owns_db = owns_db
        self._autocommit = bool(autocommit)
        self._isolation_level = _isolation(isolation_level)
        self._row_factory = None
        self._prepare = db.prepare
        # Lock order (ARCHITECTURE.md): first; one connection's lock at a time.
        self._lock = threading.RLock()

    # ------------------------------------------------------------ properties
    @property
    def database(self) -> Database:
        return self._db

    @property
    def autocommit(self) -> bool:
        """When true every statement commits on its own (unless BEGIN opened a transaction)."""
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        with self._lock:
            self._check()
            value = bool(value)
            if value and not self._autocommit and self._txn is not None:
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
        return self._row_factory

    @row_factory.setter
    def row_factory(self, factory) -> None:
        self._row_factory = _check_row_factory(factory)

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open on this connection."""
        return self._txn is not None

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------ PEP 249
    def cursor(self) -> Cursor:
        """A new cursor on this connection."""
        self._check()
        return Cursor(self)

    def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        """Run one statement on a new cursor and return the cursor."""
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable) -> Cursor:
        """Run one statement once per parameter set on a new cursor."""
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script: str) -> Cursor:
        """Run several ``;``-separated statements (after committing any open transaction)."""
        return self.cursor().executescript(script)

    def commit(self) -> None:
        """Commit the open transaction, if any."""
        with self._lock:
            self._check()
            txn = self._txn
            if txn is not None:
                self._txn = None
                self._explicit = False
                _commit(txn)

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        with self._lock:
            self._check()
            txn = self._txn
            if txn is not None:
                self._txn = None
                self._explicit = False
                txn.rollback()

    def cache(self, name: str):
        """The key-value face of cache table ``name`` (see ``memtables.kv``)."""
        from .kv import KeyValue

        return KeyValue(self, name)

    # ------------------------------------------------------------ Arrow
    def to_arrow(self, source: str, parameters: Any = ()):
        """A table's rows, or a query's, as a ``pyarrow.Table`` read from one snapshot."""
        if not isinstance(source, str):
            raise ProgrammingError(
                f"to_arrow takes a table name or a query, not {type(source).__name__}"
            )
        text = source.strip()
        if not _looks_like_query(text):
            from .sql.render import name as quote

            text = f"SELECT * FROM {quote(text)}"
        return self.execute(text, parameters).fetch_arrow_table()

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
        from . import arrow as AR
        from .sql.render import name as quote

        if mode not in ("create", "append", "replace"):
            raise ProgrammingError(f"mode must be 'create', 'append' or 'replace', not {mode!r}")
        if not isinstance(name, str):
            raise ProgrammingError(f"table name must be a str, not {type(name).__name__}")
        primary_key = _key_columns(primary_key)
        self._check()
        reader = AR.to_reader(data)
        txn = self._txn or self._begin()
        mark = txn.savepoint()
        try:
            reader = _drained(reader)  # a stream may run user code: read it before the lock
            self._check()  # that code may even have closed us
            with self._txns.lock:
                exists = name.lower() in self._engine.catalog.tables
                if mode == "create" and exists:
                    raise ProgrammingError(f"table {name} already exists (use mode='append')")
                if mode == "append" and not exists:
                    raise UndefinedTable(f"no such table: {name}")
                if mode != "append":
                    # the DDL is part of this one statement's transaction: never autocommitted
                    # on its own, so a failed load leaves the table as it was
                    if exists:
                        self._db.prepare(f"DROP TABLE {quote(name)}").execute(self, txn, ())
                    create = _create_from_arrow(name, reader.schema, primary_key)
                    self._db.prepare(create).execute(self, txn, ())
                table = self._engine.catalog.table(name)
                n = AR.load(table, txn, reader)
                if table.cache is not None:
                    from .cache import enforce

                    enforce(table, txn)
        except BaseException as e:
            self._fail(txn, mark, e)
            if isinstance(e, Error) or not isinstance(e, Exception):
                raise
            raise _internal(e) from e
        if self._autocommit and not self._explicit:
            self._txn = None
            _commit(txn)
        return n

    def transaction(self, retries: int = 3, backoff: float = 0.002, isolation: str | None = None):
        """Run a block as one transaction, rerunning it on ``SerializationFailure``.

        Use as a decorator, as ``for attempt in conn.transaction(): with attempt: ...``, or
        as a plain ``with`` block (one attempt). See ``memtables.retrying``.
        """
        from .retrying import TransactionRunner

        self._check()
        return TransactionRunner(self, retries, backoff, isolation)

    def close(self) -> None:
        """Roll back any open transaction and close the connection.

        A call running in another thread finishes first. In a child process that inherited
        the connection through ``fork()`` this does nothing (it belongs to the parent).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True  # first: even an interrupted rollback leaves it closed
            txn, self._txn = self._txn, None
            if txn is not None:
                txn.rollback()
        # outside our lock: closing the database closes other connections (one lock at a time)
        self._db._connections.discard(self)
        if self._owns_db:
            self._db._release()

    def __enter__(self) -> Connection:
        self._check()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self._closed:
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
    def _check(self) -> None:
        if self._closed:
            raise self._closed_error()

    def _closed_error(self) -> Error:
        if self._forked_from is not None:
            return _forked_error(self._forked_from)
        return ProgrammingError("cannot operate on a closed connection")

    def _disown(self, parent: int) -> None:
        """In a child process after ``fork()``: unusable, and nothing of it is undone."""
        self._closed = True
        self._forked_from = parent
        self._lock = threading.RLock()  # a thread of the parent may have been in a call

    def _begin(self, isolation: str | None = None):
        txn = self._engine.begin(isolation or self._isolation_level)
        self._txn = txn
        return txn

    def _control(self, stmt) -> None:
        kind = stmt.kind
        if kind == "begin":
            txn = self._txn
            if txn is not None:
                if self._explicit or txn.log or txn.ddl:
                    raise OperationalError("cannot start a transaction within a transaction")
                self._txn = None
                _commit(txn)
            self._begin(_isolation(stmt.isolation) if stmt.isolation else None)
            self._explicit = True
        elif kind == "commit":
            self.commit()
        elif kind == "rollback":
            self.rollback()
        elif kind == "set_isolation":
            level = _isolation(stmt.isolation)
            txn = self._txn
            if txn is not None and not (txn.log or txn.ddl):
                txn.set_isolation(level)
            else:
                self._isolation_level = level

    def _fail(self, txn, mark, exc: BaseException) -> None:
        """Undo a failed statement; a conflict or an autocommit statement ends the txn."""
        if txn.state != "active":
            return
        if isinstance(exc, SerializationFailure) or (self._autocommit and not self._explicit):
            if self._txn is txn:
                self._txn = None
                self._explicit = False
            txn.rollback()
        else:
            with self._txns.lock:
                txn.rollback_to(mark)

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("in transaction" if self._txn else "idle")
        return f"<memtables.Connection {state}>"


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


def _row_maker(factory):
    """The callable that makes a row: ``sqlite3.Row`` (which only takes sqlite3's own cursors)
    stands for ``memtables.Row``, which behaves the same."""
    if getattr(factory, "__module__", None) == "sqlite3" and factory.__name__ == "Row":
        from .row import Row

        return Row
    return factory


def _looks_like_query(text: str) -> bool:
    head = text.lstrip("( \n\t").split(None, 1)
    return bool(head) and head[0].upper() in ("SELECT", "VALUES", "WITH", "EXPLAIN")


def _drained(reader):
    """The rest of ``reader``, read now, as a reader over the batches in memory."""
    import pyarrow as pa

    return pa.RecordBatchReader.from_batches(reader.schema, list(reader))


def _create_from_arrow(name: str, schema, primary_key) -> str:
    """CREATE TABLE typed from an Arrow schema."""
    from .arrow import sql_type
    from .sql.render import name as quote

    cols = [f"{quote(f.name)} {sql_type(f.type, f.name).name}" for f in schema]
    if primary_key:
        cols.append("PRIMARY KEY (" + ", ".join(quote(k) for k in primary_key) + ")")
    return f"CREATE TABLE {quote(name)} ({', '.join(cols)})"


def _key_columns(primary_key) -> list[str] | None:
    """``from_arrow``'s primary_key as a list of column names (None: no key)."""
    if primary_key is None:
        return None
    keys = [primary_key] if isinstance(primary_key, str) else primary_key
    if isinstance(keys, (bytes, Mapping)) or not isinstance(keys, Iterable):
        raise ProgrammingError(
            "primary_key must be a column name or a sequence of column names, "
            f"not {type(primary_key).__name__}"
        )
    keys = list(keys)
    if not keys or not all(isinstance(k, str) for k in keys):
        raise ProgrammingError(f"primary_key must name one or more columns, not {primary_key!r}")
    return keys


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


def _adapt_params(stmt, params: Any) -> Sequence:
    """Check and convert parameters to the positional tuple the statement expects."""
    names = stmt.param_names
    if names is not None:
        if not isinstance(params, Mapping):
            raise ProgrammingError(
                "this statement uses named parameters (:name); pass a dict of values"
            )
        try:
            values = [params[n] for n in names]
        except KeyError as e:
            raise ProgrammingError(
                f"you did not supply a value for binding parameter :{e.args[0]}"
            ) from None
    else:
        if isinstance(params, Mapping):
            if stmt.n_params == 0:
                return ()  # like sqlite3, a dict is fine for a statement without parameters
            raise ProgrammingError(
                "this statement uses positional parameters (?); pass a sequence of values"
            )
        if isinstance(params, (str, bytes)) or not isinstance(params, (Sequence, list, tuple)):
            raise ProgrammingError(
                f"parameters must be a sequence (tuple or list), not {type(params).__name__}"
            )
        values = list(params)
        if len(values) != stmt.n_params:
            raise ProgrammingError(
                f"incorrect number of bindings supplied: the statement uses {stmt.n_params}, "
                f"and there are {len(values)} supplied"
            )
    for i, v in enumerate(values):
        if not plain_values((v,)):
            if type(v) not in _PARAM_TYPES:
                v = _adapt_value(v, i)
            try:
                values[i] = bind_value(v)
            except E.DataError as e:
                raise E.DataError(f"parameter {i + 1}: {e}") from None
    return tuple(values)


def _adapt_value(v: Any, i: int) -> Any:
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, _dt.datetime):
        return _dt.datetime.fromisoformat(v.isoformat())
    if isinstance(v, _dt.date):
        return _dt.date(v.year, v.month, v.day)
    if isinstance(v, _dt.time):
        return v.isoformat()
    for t in (bool, int, float, str, bytes):
        if isinstance(v, t):
            return t(v)
    raise ProgrammingError(
        f"error binding parameter {i + 1}: type {type(v).__name__!r} is not supported"
    )


def _description(stmt) -> tuple | None:
    """PEP 249 description of a statement's result columns (None when it has none)."""
    if stmt.names is None:
        return None
    return tuple(
        (name, t.name if t is not None else None, None, None, None, None, None)
        for name, t in zip(stmt.names, stmt.types)
    )


class Cursor:
    """A PEP 249 cursor: runs statements and fetches their rows.

    Unknown attributes raise AttributeError. ``row_factory`` starts as the connection's.
    """

    __slots__ = (
        "_conn",
        "_rows",
        "_pos",
        "_closed",
        "description",
        "rowcount",
        "lastrowid",
        "arraysize",
        "row_factory",
    )

    def __init__(self, conn: Connection):
        self._conn = conn
        self._rows: list | None = None
        self._pos = 0
        self._closed = False
        self.description: tuple | None = None
        self.rowcount = -1
        self.lastrowid: Any = None
        self.arraysize = 1
        self.row_factory = conn._row_factory

    @property
    def connection(self) -> Connection:
        return self._conn

    # ------------------------------------------------------------ execution
    def _refuse_if_closed(self) -> None:
        if self._conn._closed:
            raise self._conn._closed_error()
        if self._closed:
            raise ProgrammingError("cannot operate on a closed cursor")

    def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        """Run one statement with ``parameters`` (a sequence for ?, a dict for :name)."""
        conn = self._conn
        lock = conn._lock
        lock.acquire()  # not ``with``: this is the hot path, and acquire() is cheaper
        try:
            if self._closed or conn._closed:
                self._refuse_if_closed()
            stmt = conn._prepare(sql)
            p = parameters
            if (
                type(p) is not tuple
                or len(p) != stmt.n_params
                or stmt.param_names is not None
                or not plain_values(p)
            ):
                p = _adapt_params(stmt, p)
            if stmt.kind == "query":
                txn = conn._txn
                if txn is None:
                    if conn._autocommit:
                        return self._autocommit_query(stmt, p)
                    txn = conn._begin()
                try:
                    rows = stmt.run(p, txn)
                except Error:
                    raise
                except Exception as e:
                    raise _internal(e) from e
                self._rows = rows
                self._pos = 0
                self.rowcount = -1
                self.description = stmt._description
                return self
            return self._execute_other(stmt, p)
        finally:
            lock.release()

    def _autocommit_query(self, stmt, p) -> Cursor:
        conn = self._conn
        txn = conn._engine.begin(conn._isolation_level)
        try:
            rows = stmt.run(p, txn)
            txn.commit()
        except BaseException as e:  # Ctrl-C too: the transaction must not outlive the call
            if txn.state == "active":
                txn.rollback()
            if isinstance(e, Error) or not isinstance(e, Exception):
                raise
            raise _internal(e) from e
        self._rows = rows
        self._pos = 0
        self.rowcount = -1
        self.description = _description(stmt)
        return self

    def _execute_other(self, stmt, p) -> Cursor:
        conn = self._conn
        kind = stmt.kind
        self._rows = None
        self.description = None
        self.rowcount = -1
        if kind in ("begin", "commit", "rollback", "set_isolation"):
            conn._control(stmt)
            return self
        db = conn._db
        if kind == "checkpoint":  # in no transaction, and under no lock but the connection's
            db.checkpoint()
            return self
        if db._durable is not None and db.read_only and kind in ("dml", "ddl"):
            raise OperationalError(db.read_only)
        txn = conn._txn or conn._begin()
        mark = txn.savepoint()
        try:
            if stmt.engine_lock:
                with conn._txns.lock:
                    rows, rowcount, lastrowid = stmt.execute(conn, txn, p)
            else:
                rows, rowcount, lastrowid = stmt.execute(conn, txn, p)
        except BaseException as e:
            conn._fail(txn, mark, e)
            if isinstance(e, Error) or not isinstance(e, Exception):
                raise
            raise _internal(e) from e
        if conn._autocommit and not conn._explicit:
            conn._txn = None
            _commit(txn)
        if rows is not None:
            self._rows = rows
            self._pos = 0
            self.description = stmt._description
        self.rowcount = rowcount
        if lastrowid is not None or stmt.inserts:
            self.lastrowid = lastrowid
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable) -> Cursor:
        """Run one statement once per parameter set; ``rowcount`` is the total.

        Parameter sets are drawn outside the engine's lock: a generator may take its time,
        or wait for another thread that writes.
        """
        conn = self._conn
        with conn._lock:
            if self._closed or conn._closed:
                self._refuse_if_closed()
            stmt = conn._prepare(sql)
            if stmt.kind != "dml":
                raise ProgrammingError("executemany() can only execute INSERT, UPDATE and DELETE")
            if isinstance(seq_of_parameters, (str, bytes, Mapping)) or not isinstance(
                seq_of_parameters, Iterable
            ):
                raise ProgrammingError(
                    "executemany() takes a sequence of parameter sets, "
                    f"not {type(seq_of_parameters).__name__}"
                )
            db = conn._db
            if db._durable is not None and db.read_only:
                raise OperationalError(db.read_only)
            txn = conn._txn or conn._begin()
            mark = txn.savepoint()
            total = 0
            result = (None, 0, None)
            run = stmt.execute
            names = stmt.param_names
            lock = conn._txns.lock if stmt.engine_lock else _NO_LOCK
            n = stmt.n_params
            try:
                with gc_paused():
                    source = iter(seq_of_parameters)
                    while True:
                        batch = []  # drawn and checked outside the lock, run under it
                        for params in itertools.islice(source, _BATCH):
                            if (
                                type(params) is not tuple
                                or len(params) != n
                                or names is not None
                                or not plain_values(params)
                            ):
                                params = _adapt_params(stmt, params)
                            batch.append(params)
                        if not batch:
                            break
                        if conn._closed:  # by the iterable itself: its transaction is gone
                            raise conn._closed_error()
                        with lock:
                            for params in batch:
                                result = run(conn, txn, params)
                                total += result[1]
            except BaseException as e:
                conn._fail(txn, mark, e)
                if isinstance(e, Error) or not isinstance(e, Exception):
                    raise
                raise _internal(e) from e
            if conn._autocommit and not conn._explicit:
                conn._txn = None
                _commit(txn)
            self._rows = None
            self.description = None
            self.rowcount = total
            if total and stmt.inserts:
                self.lastrowid = result[2]
            return self

    @_serialised
    def executescript(self, script: str) -> Cursor:
        """Commit any open transaction, then run each statement of ``script`` in turn."""
        conn = self._conn
        if self._closed or conn._closed:
            self._refuse_if_closed()
        sql = conn._db._sql
        # the whole script is parsed and checked first: a syntax error or a parameter
        # anywhere runs nothing; then each statement compiles just before it runs
        if type(script) is not str:
            raise ProgrammingError(f"script must be a str, not {type(script).__name__}")
        nodes = sql.parse(script)
        if any(sql.uses_parameters(node) for node in nodes):  # before anything runs
            raise ProgrammingError("scripts cannot use parameters")
        if conn._txn is not None and not conn._explicit:
            conn.commit()
        for node in nodes:
            stmt = sql.prepare_node(node, conn._engine)
            stmt._description = _description(stmt)
            self._run_prepared(stmt)
        return self

    def _run_prepared(self, stmt) -> None:
        if stmt.kind != "query":
            self._execute_other(stmt, ())
            return
        conn = self._conn
        txn = conn._txn or conn._begin()
        try:
            rows = stmt.run((), txn)
        except Error:
            raise
        except Exception as e:
            raise _internal(e) from e
        self._rows = rows
        self._pos = 0
        self.rowcount = -1
        self.description = stmt._description

    # ------------------------------------------------------------ fetching
    def _result(self) -> list:
        rows = self._rows
        if rows is None or self._conn._closed:
            self._refuse_if_closed()  # PEP 249: a closed connection's cursors are unusable
            raise ProgrammingError("no results to fetch: the last statement returned no rows")
        return rows

    def _made(self, rows: list) -> list:
        """``rows`` through the row factory, when there is one."""
        factory = self.row_factory
        if factory is None:
            return rows
        make = _row_maker(factory)
        return [make(self, r) for r in rows]

    def fetchone(self) -> tuple | None:
        """The next row, or None when the result is exhausted."""
        rows = self._rows
        if rows is None or self._conn._closed:
            rows = self._result()
        i = self._pos
        if i < len(rows):
            self._pos = i + 1
            if self.row_factory is None:
                return rows[i]
            return _row_maker(self.row_factory)(self, rows[i])
        return None

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        """Up to ``size`` (default ``arraysize``) further rows."""
        rows = self._result()
        n = self.arraysize if size is None else size
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ProgrammingError(f"fetchmany size must be a non-negative integer, not {n!r}")
        i = self._pos
        out = rows[i : i + n]
        self._pos = i + len(out)
        return self._made(out)

    def fetchall(self) -> list[tuple]:
        """All remaining rows."""
        rows = self._result()
        i = self._pos
        self._pos = len(rows)
        return self._made(rows[i:] if i else list(rows))

    def __iter__(self) -> Iterator[tuple]:
        return self

    def __next__(self) -> tuple:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    # ------------------------------------------------------------ Arrow
    def _arrow_columns(self) -> tuple[list, list]:
        from .types import by_name

        desc = self.description or ()
        names = [d[0] for d in desc]
        types = [by_name(d[1]) if d[1] else None for d in desc]
        return names, types

    def fetch_arrow_table(self):
        """The remaining rows of the result as a ``pyarrow.Table`` (typed by the columns)."""
        from .arrow import rows_to_table

        rows = self._result()
        i = self._pos
        self._pos = len(rows)
        names, types = self._arrow_columns()
        return rows_to_table(names, types, rows[i:] if i else rows)

    def fetch_record_batch(self, rows_per_batch: int = 1_000_000):
        """The remaining rows as a ``pyarrow.RecordBatchReader`` of batches of that size."""
        from .arrow import rows_to_batches

        rows = self._result()
        i = self._pos
        names, types = self._arrow_columns()
        reader = rows_to_batches(names, types, rows[i:] if i else rows, rows_per_batch)
        self._pos = len(rows)  # consumed only once the batches exist
        return reader

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule stream protocol: polars, pandas and DuckDB read a cursor.

        The remaining rows are exported without being consumed (DuckDB asks twice).
        """
        from .arrow import rows_to_table

        rows = self._result()
        names, types = self._arrow_columns()
        table = rows_to_table(names, types, rows[self._pos :] if self._pos else rows)
        return table.__arrow_c_stream__(requested_schema)

    # ------------------------------------------------------------ the rest of PEP 249
    def close(self) -> None:
        """Close the cursor; further use raises ProgrammingError."""
        self._closed = True
        self._rows = None

    def setinputsizes(self, sizes: Any) -> None:
        """Accepted and ignored (PEP 249 allows it)."""

    def setoutputsize(self, size: int, column: int | None = None) -> None:
        """Accepted and ignored (PEP 249 allows it)."""

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _internal(e: Exception) -> Error:
    """Wrap an unexpected Python exception so users only ever see PEP 249 errors."""
    if isinstance(e, (TypeError, ValueError, OverflowError, ZeroDivisionError)):
        return E.DataError(f"{type(e).__name__}: {e}")
    if isinstance(e, RecursionError):
        return OperationalError("statement too deeply nested")
    if isinstance(e, MemoryError):
        return OperationalError("out of memory")
    return InternalError(f"{type(e).__name__}: {e}")


__all__ = ["Database", "Connection", "Cursor", "InterfaceError"]
