"""asyncio face: ``await memtables.aio.connect(...)``, statements run off the event loop.

Each ``AsyncConnection`` owns one worker thread and runs every call of its connection there,
in order, so a long query never blocks the loop and the connection is only ever used from
one thread (the way aiosqlite does it). Results come back whole, as from the synchronous
cursor; ``async for`` walks them in ``arraysize`` batches::

    async with memtables.aio.connect("app.mtdb") as conn:
        await conn.execute("INSERT INTO users (name) VALUES (?)", ("ada",))
        await conn.commit()
        async with conn.transaction():          # BEGIN ... COMMIT, or ROLLBACK on error
            await conn.execute("UPDATE users SET name = upper(name)")
        async for row in await conn.execute("SELECT * FROM users"):
            print(row)

Several tasks use one database through their own connections: ``db = memtables.aio.open()``
then ``await db.connect()`` for each (a connection runs one call at a time, like a sync one).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from typing import Any, AsyncIterator, Callable, Generator, Iterable, TypeVar

from .adapters import check_detect_types
from .connection import Connection
from .cursor import Cursor
from .database import Database, connect_owning, open_database
from .errors import ProgrammingError
from .retrying import begin

T = TypeVar("T")


class _Worker:
    """One thread that runs a connection's calls, in the order they were made."""

    def __init__(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="memtables-aio")
        self.stopped = False

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self.stopped:
            raise ProgrammingError("cannot operate on a closed connection")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def stop(self) -> None:
        self.stopped = True
        self._pool.shutdown(wait=False)


class AsyncCursor:
    """A cursor whose fetches are awaited; ``async for row in cursor`` walks the rows."""

    def __init__(self, cursor: Cursor, worker: _Worker) -> None:
        self._cursor = cursor
        self._worker = worker

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, n: int) -> None:
        self._cursor.arraysize = n

    async def execute(self, sql: str, parameters: Any = ()) -> AsyncCursor:
        """Run one statement on this cursor."""
        await self._worker.run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Iterable) -> AsyncCursor:
        """Run one statement once per parameter set (drawn in the worker thread)."""
        await self._worker.run(self._cursor.executemany, sql, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return await self._worker.run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` (default ``arraysize``) further rows."""
        return await self._worker.run(self._cursor.fetchmany, size)

    async def fetchall(self) -> list[Any]:
        """All remaining rows."""
        return await self._worker.run(self._cursor.fetchall)

    async def close(self) -> None:
        await self._worker.run(self._cursor.close)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        while rows := await self.fetchmany():
            for row in rows:
                yield row

    async def __aenter__(self) -> AsyncCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _Transaction:
    """``async with conn.transaction():`` BEGIN, then COMMIT — or ROLLBACK when it raises."""

    def __init__(self, conn: AsyncConnection, isolation: str | None) -> None:
        self._conn = conn
        self._isolation = isolation

    async def __aenter__(self) -> AsyncConnection:
        await self._conn.run(functools.partial(begin, isolation=self._isolation))
        return self._conn

    async def __aexit__(self, exc_type: type | None, *exc: object) -> None:
        if exc_type is None:
            await self._conn.commit()
        else:
            await self._conn.rollback()


class AsyncConnection:
    """A memtables connection whose calls are awaited and run in its own worker thread."""

    def __init__(self, conn: Connection, worker: _Worker) -> None:
        self._conn = conn
        self._worker = worker

    @property
    def sync(self) -> Connection:
        """The synchronous connection underneath (use it only from the worker, or after
        ``close``: it is not for the event loop's thread)."""
        return self._conn

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def autocommit(self) -> bool:
        return self._conn.autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._conn.autocommit = value

    @property
    def row_factory(self) -> Any:
        return self._conn.row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._conn.row_factory = factory

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """``fn(connection)`` in the worker thread: several synchronous calls in one go."""
        return await self._worker.run(fn, self._conn)

    async def cursor(self) -> AsyncCursor:
        """A new cursor."""
        return AsyncCursor(await self._worker.run(self._conn.cursor), self._worker)

    async def execute(self, sql: str, parameters: Any = ()) -> AsyncCursor:
        """Run one statement on a new cursor."""
        cur = await self._worker.run(self._conn.execute, sql, parameters)
        return AsyncCursor(cur, self._worker)

    async def executemany(self, sql: str, seq_of_parameters: Iterable) -> AsyncCursor:
        """Run one statement once per parameter set on a new cursor."""
        cur = await self._worker.run(self._conn.executemany, sql, seq_of_parameters)
        return AsyncCursor(cur, self._worker)

    async def executescript(self, script: str) -> AsyncCursor:
        """Run several ``;``-separated statements."""
        cur = await self._worker.run(self._conn.executescript, script)
        return AsyncCursor(cur, self._worker)

    async def commit(self) -> None:
        await self._worker.run(self._conn.commit)

    async def rollback(self) -> None:
        await self._worker.run(self._conn.rollback)

    def transaction(self, isolation: str | None = None) -> _Transaction:
        """``async with conn.transaction():`` one transaction (no retries: for retrying
        serialization failures, catch ``memtables.SerializationFailure`` and run it again)."""
        return _Transaction(self, isolation)

    # sqlite3's connection hooks, as aiosqlite has them: set up in the worker, between calls
    async def create_function(
        self, name: str, num_params: int, func: Callable | None, *, deterministic: bool = False
    ) -> None:
        """``Connection.create_function`` in the worker (``func`` runs there too)."""
        await self._worker.run(
            self._conn.create_function, name, num_params, func, deterministic=deterministic
        )

    async def create_aggregate(self, name: str, num_params: int, aggregate_class: Any) -> None:
        """``Connection.create_aggregate`` in the worker."""
        await self._worker.run(self._conn.create_aggregate, name, num_params, aggregate_class)

    async def create_collation(self, name: str, callable: Callable | None) -> None:
        """``Connection.create_collation`` in the worker."""
        await self._worker.run(self._conn.create_collation, name, callable)

    async def set_trace_callback(self, handler: Callable[[str], object] | None) -> None:
        """``Connection.set_trace_callback``: ``handler`` is called in the worker thread."""
        await self._worker.run(self._conn.set_trace_callback, handler)

    async def set_progress_handler(self, handler: Callable[[], object] | None, n: int) -> None:
        """``Connection.set_progress_handler``: ``handler`` is called in the worker thread."""
        await self._worker.run(self._conn.set_progress_handler, handler, n)

    async def interrupt(self) -> None:
        """Stop the statement the worker is running (``Connection.interrupt``): called at
        once, from the event loop's thread, not queued behind that statement."""
        self._conn.interrupt()

    async def iterdump(self) -> AsyncIterator[str]:
        """The statements of ``Connection.iterdump``, made in the worker."""
        lines = await self._worker.run(lambda: list(self._conn.iterdump()))
        for line in lines:
            yield line

    async def backup(self, target: Any, **options: Any) -> None:
        """``Connection.backup`` in the worker; ``target`` is a ``memtables.Connection`` or
        an ``AsyncConnection`` (its synchronous connection is used)."""
        if isinstance(target, AsyncConnection):
            target = target.sync
        await self._worker.run(self._conn.backup, target, **options)

    async def to_arrow(self, source: str, parameters: Any = ()) -> Any:
        """``Connection.to_arrow`` in the worker."""
        return await self._worker.run(self._conn.to_arrow, source, parameters)

    async def close(self) -> None:
        """Roll back an open transaction, close the connection and stop its worker (a second
        close does nothing)."""
        if self._worker.stopped:
            return
        try:
            await self._worker.run(self._conn.close)
        finally:
            self._worker.stop()

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _Connecting:
    """What ``connect`` returns: await it for the connection, or ``async with`` it (the
    connection closes at the end, as aiosqlite's)."""

    def __init__(self, make: Callable[[], Connection]) -> None:
        self._make = make
        self._conn: AsyncConnection | None = None

    async def _open(self) -> AsyncConnection:
        worker = _Worker()
        try:
            conn = await worker.run(self._make)
        except BaseException:
            worker.stop()
            raise
        return AsyncConnection(conn, worker)

    def __await__(self) -> Generator[Any, None, AsyncConnection]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncConnection:
        self._conn = await self._open()
        return self._conn

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            await self._conn.close()


def connect(
    path: str | None = None,
    *,
    isolation_level: str = "SNAPSHOT",
    autocommit: bool = False,
    detect_types: int = 0,
    **options: Any,
) -> _Connecting:
    """``await connect(...)`` (or ``async with connect(...) as conn``): an async connection
    to a new private in-memory database, or to the durable one at ``path`` (the arguments
    of ``memtables.connect``)."""
    detect_types = check_detect_types(detect_types)

    def make() -> Connection:
        conn = connect_owning(path, isolation_level, autocommit, **options)
        conn.state.detect_types = detect_types
        return conn

    return _Connecting(make)


class AsyncDatabase:
    """One database shared by several async connections (``open``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def sync(self) -> Database:
        return self._db

    def connect(self, isolation_level: str = "SNAPSHOT", autocommit: bool = False) -> _Connecting:
        """A new async connection to this database."""
        return _Connecting(functools.partial(self._db.connect, isolation_level, autocommit))

    async def close(self) -> None:
        """Close the database and every connection to it."""
        await asyncio.get_running_loop().run_in_executor(None, self._db.close)


async def open(path: str | None = None, **options: Any) -> AsyncDatabase:  # noqa: A001
    """A database whose ``connect()`` hands out async connections to the same data."""
    loop = asyncio.get_running_loop()
    db = await loop.run_in_executor(None, functools.partial(open_database, path, **options))
    return AsyncDatabase(db)
