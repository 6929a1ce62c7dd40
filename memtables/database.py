"""A Database, the registry of durable databases open in this process, and the fork hooks.

A ``Database`` owns the engine and the statement cache shared by its connections. Opening a
durable database's path twice in one process gives the same Database (``open_database``);
after ``fork()`` the child's copies of durable databases refuse every use.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict
from typing import Any

from . import sql
from .connection import Connection, forked_error
from .cursor import describe
from .engine import Engine
from .errors import DatabaseError, Error, ProgrammingError
from .persist import DEFAULT_CHECKPOINT_BYTES, Durability

STATEMENT_CACHE_SIZE = 512
READ_ONLY_ATTEMPTS = 5  # recoveries a read-only open tries while a writer checkpoints
_OPEN: dict[str, Database] = {}  # durable databases open in this process, by real path
_OPEN_LOCK = threading.Lock()
_LIVE: weakref.WeakSet = weakref.WeakSet()  # durable databases, for the fork hooks below
_UNSEEN = object()


def _registry_key(path: str) -> str:
    return os.path.realpath(path)


# what sqlite3 calls an in-memory database; as a directory name it would surprise everyone
IN_MEMORY = ":memory:"


def open_database(path=None, **options) -> Database:
    """The Database at ``path`` (the one already open in this process, if any).  No path, or
    ``":memory:"`` as sqlite3 users write it, is a new private in-memory database."""
    if path is None or path == IN_MEMORY:
        return Database(None, **options)
    if options.get("read_only"):  # a private copy of what was committed: never shared
        return Database(path, **options)
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


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


class Database:
    """A database shared by the connections made from it: in memory, or durable in a
    directory (redo log plus snapshots) when ``path`` is given.

    ``auto_parameterize`` (True by default): statements that differ only in literal values
    share one compiled plan (``sql/normalize.py``); False compiles each new text on its own.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        sync: str = "full",
        checkpoint_bytes: int | None = None,
        progress=None,
        on_corruption: str = "error",
        clock=None,
        read_only: bool = False,
        slow_statement: float | None = None,
    ):
        if read_only and path is None:
            raise ProgrammingError(
                "read_only needs a database path: an in-memory database opened read-only "
                "would stay empty"
            )
        self.path = None if path is None else os.fspath(path)
        #: the redo log's sync mode (None in memory): what PRAGMA synchronous reports
        self.sync: str | None = None if path is None else sync
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._shapes: OrderedDict[str, Any] = OrderedDict()  # see ``_from_shape``
        # texts recently run through a shape, with their statements: the same literal text
        # again (a poll) skips normalising; kept apart so new literals don't flood _cache
        self._literal_texts: OrderedDict[str, Any] = OrderedDict()
        self._parsed: OrderedDict[str, bool] = OrderedDict()  # shapes known to parse
        self.auto_parameterize = True  # see the class docstring and ``_from_shape``
        self._cache_lock = threading.Lock()  # a leaf: nothing else is taken while it is held
        self._schema_version = 0  # bumped by every schema change (see ``prepare``)
        self.statements_compiled = 0  # cache misses: parses and compilations
        self._new_engine(clock)
        # called as progress(phase, done, total) during recovery ("snapshot", "log"),
        # CHECKPOINT ("checkpoint") and COPY ... FROM ("copy"); None shows nothing
        self.progress = progress
        self.closed = False
        self._forked_from: int | None = None  # the parent's pid, in a child process
        self._state_lock = threading.Lock()  # a leaf: guards closed, _connections, _owners
        self._connections: set = set()
        self._owners = 0
        self._slow: float | None = None
        self.slow_statement = slow_statement
        self._sql = sql  # the public face is the only part of memtables that imports it
        self._durable = None
        # why the database refuses writes (a damaged redo log), or None: known once it is
        # open, and read by every statement, so an attribute rather than a property
        self.read_only: str | None = None
        if path is not None:
            limit = DEFAULT_CHECKPOINT_BYTES if checkpoint_bytes is None else checkpoint_bytes
            self._durable = self._recover(clock, read_only, (path, sync, limit, on_corruption))
            self.read_only = self._durable.read_only
            if not read_only:  # a reader holds no log or lock a forked child could disturb
                _LIVE.add(self)

    def _new_engine(self, clock) -> None:
        self.engine = Engine(clock)
        self.engine.catalog.on_change(self._schema_changed)

    def _recover(self, clock, read_only: bool, args: tuple) -> Durability:
        """Open the directory and recover it into this database's engine.

        A read-only opener holds no lock, so the writer may checkpoint meanwhile: drop the
        snapshot or log segments being read, or leave a segment's last record half-flushed
        as it rotates. What it read may then be incomplete; it starts again on a new engine
        (a few times, then reports the error).
        """
        for attempt in range(1, READ_ONLY_ATTEMPTS + 1):
            durable = Durability(self, *args, read_only=read_only)
            try:
                durable.recover()
                return durable
            except DatabaseError:
                durable.close()
                if not read_only or attempt == READ_ONLY_ATTEMPTS:
                    raise
            except BaseException:
                durable.close()
                raise
            time.sleep(0.01 * attempt)  # let the checkpoint in progress finish
            self._new_engine(clock)
        raise AssertionError("unreachable")

    @property
    def checkpoint_error(self) -> str | None:
        """Why the last automatic checkpoint failed, until a checkpoint succeeds; else None.

        Failures are also logged (logger ``memtables``) and counted in ``sys.stats``; the
        redo log is kept meanwhile, and retries wait for twice as much log each time.
        """
        return None if self._durable is None else self._durable.checkpoint_error

    # ------------------------------------------------------------ statements
    def prepare(self, text: str):
        """The compiled statement for ``text`` (main objects only), cached when it can be."""
        return self.prepare_for(None, None, text)

    def prepare_for(self, session, functions, text: str):
        """The compiled statement for ``text`` as one connection means it (``session``, its
        ``SessionCatalog``; ``functions``, its ``sql.Functions`` or None), from a cache when
        it is there.

        The database's cache is shared by every connection, so it only holds statements
        that mean the same on all of them. While the connection has temporary objects, the
        same text may name other tables than on another connection; a statement that uses
        the connection's own functions or collations may not run elsewhere; and once a
        definition hides a built-in, no shared statement (bound to the built-ins) is for
        this connection. Those statements go to the connection's own cache instead.
        Cursors call this on every execute (through ``ConnectionState.prepare``): keep the
        common path, a cache hit, short.
        """
        cache = self._cache
        if type(text) is not str:  # first: a list or dict is not even a cache key
            raise ProgrammingError(f"SQL must be a str, not {type(text).__name__}")
        if functions is not None or (session is not None and session.has_temporary):
            return self._prepare_own(text, session, functions)
        stmt = cache.get(text)
        if stmt is not None:
            try:
                cache.move_to_end(text)
            except KeyError:  # a schema change emptied the cache meanwhile: still usable
                pass
            return stmt
        if self.auto_parameterize:
            literal_texts = self._literal_texts
            stmt = literal_texts.get(text)
            if stmt is not None:
                try:
                    literal_texts.move_to_end(text)
                except KeyError:  # a schema change emptied the cache meanwhile
                    pass
                return stmt
            shape = self._sql.normalize(text)
            if shape is not None:
                version = self._schema_version
                stmt = self._from_shape(shape)
                if stmt is not None:
                    with self._cache_lock:
                        if version == self._schema_version:
                            literal_texts[text] = stmt
                            if len(literal_texts) > STATEMENT_CACHE_SIZE:
                                literal_texts.popitem(last=False)
                    return stmt
        version = self._schema_version
        stmt = self._compile(text, session, None)
        self._share(text, stmt, version)
        return stmt

    def prepare_shape_for(self, session, functions, shape):
        """``prepare_for`` of a text already normalised to ``shape`` (a script's statement);
        None when the text must be compiled on its own."""
        if not self.auto_parameterize or functions is not None:
            return None
        if session is not None and session.has_temporary:
            return None
        return self._from_shape(shape)

    def parses(self, shape) -> bool:
        """True when ``shape`` is known to be one valid statement (compiled already, or
        parsed once): a script checks every statement before it runs the first."""
        if self._shapes.get(shape.key) is not None or shape.key in self._parsed:
            return True
        try:
            ok = len(self._sql.parse(shape.text)) == 1
        except Error:
            ok = False
        if ok:
            with self._cache_lock:
                self._parsed[shape.key] = True
                if len(self._parsed) > STATEMENT_CACHE_SIZE:
                    self._parsed.popitem(last=False)
        return ok

    def _from_shape(self, shape):
        """``shape``'s statement run with its literals, or None when the text must compile
        on its own: ``WHERE id = 1`` and ``WHERE id = 2`` share one plan (auto-
        parameterisation, ``sql/normalize.py``).

        Shapes are cached beside the texts, with None for those that cannot be parameters;
        the statement for one text is not cached under that text, so a stream of new
        literals does not push every other statement out of the text cache.
        """
        shapes = self._shapes
        base = shapes.get(shape.key, _UNSEEN)
        if base is _UNSEEN:
            version = self._schema_version
            try:
                base = self._sql.prepare_shape(shape, self.engine)
            except Error:  # the text's own compilation says what is wrong, and how
                base = None
            if base is not None:
                self.statements_compiled += 1
                base.description = describe(base)
            with self._cache_lock:
                if version == self._schema_version:
                    shapes[shape.key] = base
                    if len(shapes) > STATEMENT_CACHE_SIZE:
                        shapes.popitem(last=False)
        else:
            try:
                shapes.move_to_end(shape.key)
            except KeyError:  # a schema change emptied the cache meanwhile
                pass
        if base is None:
            return None
        return self._sql.WithLiterals(base, shape.values)

    def _prepare_own(self, text: str, session, functions):
        """``prepare_for`` a connection with temporary objects or its own definitions.

        Its cache (``session.statements``) is emptied when its temporary objects change (by
        the session), and here when the main schema or its definitions have changed since
        it was filled (``session.statements_stamp``).
        """
        own = session.statements
        version = self._schema_version
        stamp = (version, 0 if functions is None else functions.version)
        if session.statements_stamp != stamp:
            own.clear()
            session.statements_stamp = stamp
        stmt = own.get(text)
        if stmt is not None:
            own.move_to_end(text)
            return stmt
        shareable = not session.has_temporary and not (functions is not None and functions.shadows)
        if shareable:
            stmt = self._cache.get(text)
            if stmt is not None:
                return stmt
        stmt = self._compile(text, session, functions)
        if shareable and not stmt.uses_udf:
            self._share(text, stmt, version)
        elif stmt.kind in ("query", "dml") and version == self._schema_version:
            own[text] = stmt
            if len(own) > STATEMENT_CACHE_SIZE:
                own.popitem(last=False)
        return stmt

    def _compile(self, text: str, catalog, functions):
        stmt = self._sql.prepare(text, self.engine, catalog, functions)
        self.statements_compiled += 1
        stmt.description = describe(stmt)  # what cursors report, computed once
        return stmt

    def _share(self, text: str, stmt, version: int) -> None:
        """Put ``stmt``, compiled at schema ``version``, in the database's cache."""
        if stmt.kind not in ("query", "dml"):
            return
        with self._cache_lock:
            # compiled against a catalog another thread changed since: use it once,
            # never cache it
            if version == self._schema_version:
                cache = self._cache
                cache[text] = stmt
                if len(cache) > STATEMENT_CACHE_SIZE:
                    cache.popitem(last=False)

    def _schema_changed(self) -> None:
        with self._cache_lock:
            self._schema_version += 1
            self._cache.clear()
            self._shapes.clear()
            self._literal_texts.clear()

    @property
    def slow_statement(self) -> float | None:
        """Seconds: an ``execute``/``executemany`` taking at least this long is logged as a
        WARNING on the ``memtables`` logger with its text (None: not measured)."""
        return self._slow

    @slow_statement.setter
    def slow_statement(self, seconds: float | None) -> None:
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0
        ):
            raise ProgrammingError(f"slow_statement must be seconds >= 0 or None, not {seconds!r}")
        with self._state_lock:
            self._slow = seconds
            for conn in self._connections:  # cursors read it from their connection's state
                conn.state.slow = seconds

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
            key = _registry_key(self.path)
            if _OPEN.get(key) is self:  # not a read-only one: the writer may be registered
                del _OPEN[key]

    def connection_closed(self, conn: Connection, owner: bool) -> None:
        """``conn`` closed: forget it. When it was the last ``owner`` (a connection made by
        ``memtables.connect``), close the database too."""
        with self._state_lock:
            self._connections.discard(conn)
            if not owner:
                return
            self._owners -= 1
            last = self._owners <= 0
        if last:
            self.close()

    def _check_open(self) -> None:
        if self.closed:
            if self._forked_from is not None:
                raise forked_error(self._forked_from)
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
            conn.disown(parent)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.path or ":memory:"
        return f"<memtables.Database {where}{' closed' if self.closed else ''}>"
