"""The PEP 249 cursor: runs a statement on its connection and fetches the rows.

A cursor prepares the statement and keeps its result; its connection runs it
(``Connection.run_query`` or ``stream_query``, or the statement wrapper for everything
else), under the connection's lock, which the cursor takes once per call.

A query's result is ``_rows`` (the rows in hand, read from ``_pos``) and, for a large
result, ``_stream`` (``memtables.stream.Stream``), which makes the next chunk of rows when
those run out: fetching takes the connection's lock only then.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import time
from collections.abc import Mapping
from typing import Any, Iterable, Iterator

from . import sql as query_layer
from .adapters import converted
from .callbacks import log_if_slow, script_texts
from .errors import DataError, Error, InternalError, OperationalError, ProgrammingError
from .gcpause import gc_paused
from .params import adapt_params
from .types import plain_values, valid_text

_NO_LOCK = contextlib.nullcontext()
_BATCH = 256  # executemany parameter sets run per turn of the engine lock


def _serialised(method):
    """Run a Cursor method holding its connection's lock."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._conn.state.lock:
            return method(self, *args, **kwargs)

    return run


def internal_error(e: Exception) -> Error:
    """Wrap an unexpected Python exception so users only ever see PEP 249 errors."""
    if isinstance(e, (TypeError, ValueError, OverflowError, ZeroDivisionError)):
        return DataError(f"{type(e).__name__}: {e}")
    if isinstance(e, RecursionError):
        return OperationalError("statement too deeply nested")
    if isinstance(e, MemoryError):
        return OperationalError("out of memory")
    return InternalError(f"{type(e).__name__}: {e}")


def describe(stmt) -> tuple | None:
    """PEP 249 description of a statement's result columns (None when it has none)."""
    if stmt.names is None:
        return None
    return tuple(
        (name, t.name if t is not None else None, None, None, None, None, None)
        for name, t in zip(stmt.names, stmt.types)
    )


def _script_steps(script: str, db) -> list[tuple]:
    """A script's statements, each checked: ``(shape, None)`` for one that auto-
    parameterises (``sql.normalize``) and is known to parse, else ``(None, node)``.

    Parsing a dump of a million INSERTs as one text would take minutes; cut into statements,
    each new shape is parsed once. A syntax error is reported as parsing the whole script
    reports it (its line and column in the script).
    """
    sql = query_layer
    pieces = sql.split_script(script) if db.auto_parameterize else None
    if pieces is None:
        return [(None, node) for node in sql.parse(script)]
    valid_text(script)
    steps: list[tuple] = []
    for piece in pieces:
        if type(piece) is not str and db.parses(piece):
            steps.append((piece, None))
            continue
        try:
            nodes = sql.parse(piece if type(piece) is str else piece.source)
        except Error:
            return [(None, node) for node in sql.parse(script)]  # raises, with its position
        steps.extend((None, node) for node in nodes)
    return steps


def _row_maker(factory):
    """The callable that makes a row: ``sqlite3.Row`` (which only takes sqlite3's own cursors)
    stands for ``memtables.Row``, which behaves the same."""
    if getattr(factory, "__module__", None) == "sqlite3" and factory.__name__ == "Row":
        from .row import Row

        return Row
    return factory


class Cursor:
    """A PEP 249 cursor: runs statements and fetches their rows.

    Unknown attributes raise AttributeError. ``row_factory`` starts as the connection's.
    """

    __slots__ = (
        "_conn",
        "_rows",
        "_pos",
        "_stream",
        "_convert",
        "_closed",
        "description",
        "rowcount",
        "lastrowid",
        "arraysize",
        "row_factory",
    )

    def __init__(self, conn):
        self._conn = conn
        self._rows: list | None = None
        self._pos = 0
        self._stream = None
        self._convert = None  # sqlite3's converters for a stream's later chunks (detect_types)
        self._closed = False
        self.description: tuple | None = None
        self.rowcount = -1
        self.lastrowid: Any = None
        self.arraysize = 1
        self.row_factory = conn.state.row_factory

    @property
    def connection(self):
        """The Connection this cursor runs on."""
        return self._conn

    # ------------------------------------------------------------ execution
    def _refuse_if_closed(self) -> None:
        self._conn.check_open()
        if self._closed:
            raise ProgrammingError("cannot operate on a closed cursor")

    def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        """Run one statement with ``parameters`` (a sequence for ?, a dict for :name)."""
        conn = self._conn
        state = conn.state
        lock = state.lock
        lock.acquire()  # not ``with``: this is the hot path, and acquire() is cheaper
        slow = state.slow  # the database's slow_statement (None: not timed)
        if slow is not None:
            start = time.perf_counter()
        try:
            if self._closed or state.closed:
                self._refuse_if_closed()
            stmt = state.prepare(sql)
            p = parameters
            if (
                type(p) is not tuple
                or len(p) != stmt.n_params
                or stmt.param_names is not None
                or not plain_values(p)
            ):
                p = adapt_params(stmt, p)
            if state.trace is not None:
                state.trace(sql, stmt, p)
            self._run(conn, stmt, p)
            return self
        finally:
            lock.release()
            if slow is not None:  # preparing included; failing too: slow and failed is slow
                log_if_slow(sql, slow, start)

    def _run(self, conn, stmt, p: tuple) -> None:
        """Run a prepared statement and keep its result; the caller holds the lock."""
        if self._stream is not None:  # a new statement resets the cursor, as sqlite3's
            self._stream.close()
            self._stream = None
        if stmt.kind == "query":
            if stmt.whole:
                self._rows = conn.run_query(stmt, p)
            else:
                self._rows, self._stream = conn.stream_query(stmt, p)
            self._pos = 0
            self.rowcount = -1
            self.description = stmt.description
            self._convert = None
            if conn.state.detect_types:  # sqlite3's converters (adapters.py)
                if self._stream is not None:
                    self._convert = functools.partial(
                        converted, conn.state.detect_types, self.description
                    )
                self.description, self._rows = converted(
                    conn.state.detect_types, self.description, self._rows
                )
            return
        self._rows = None
        self.description = None
        self.rowcount = -1
        rows, rowcount, lastrowid = conn.execute_prepared(stmt, p)
        if rows is not None:
            self._rows = rows
            self._pos = 0
            self.description = stmt.description
            if conn.state.detect_types:
                self.description, self._rows = converted(
                    conn.state.detect_types, self.description, rows
                )
        self.rowcount = rowcount
        if lastrowid is not None or stmt.inserts:
            self.lastrowid = lastrowid

    def executemany(self, sql: str, seq_of_parameters: Iterable) -> Cursor:
        """Run one statement once per parameter set; ``rowcount`` is the total.

        Rows a RETURNING clause produces are not kept (sqlite3 drops them too): fetching
        gives no rows.

        Parameter sets are drawn outside the engine's lock: a generator may take its time,
        or wait for another thread that writes.
        """
        conn = self._conn
        with conn.state.lock:
            if self._closed or conn.state.closed:
                self._refuse_if_closed()
            stmt = conn.state.prepare(sql)
            if stmt.kind != "dml":
                raise ProgrammingError("executemany() can only execute INSERT, UPDATE and DELETE")
            if isinstance(seq_of_parameters, (str, bytes, Mapping)) or not isinstance(
                seq_of_parameters, Iterable
            ):
                raise ProgrammingError(
                    "executemany() takes a sequence of parameter sets, "
                    f"not {type(seq_of_parameters).__name__}"
                )
            db = conn.database
            if db.read_only:
                raise OperationalError(db.read_only)
            names = stmt.param_names
            n = stmt.n_params
            run = stmt.execute
            record = conn.state.session.record  # each run completes a statement, as in sqlite3
            inserts = stmt.inserts
            engine_lock = db.engine.txns.lock if stmt.engine_lock else _NO_LOCK
            trace = conn.state.trace
            session = conn.state.session

            def run_all(txn) -> tuple:
                total = 0
                result = (None, 0, None)
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
                                params = adapt_params(stmt, params)
                            batch.append(params)
                        if not batch:
                            return total, result
                        if conn.closed:  # by the iterable itself: its transaction is gone
                            conn.check_open()
                        if session.interrupted:  # interrupt(): inserts scan no rows
                            raise OperationalError("interrupted")
                        with engine_lock:
                            for params in batch:
                                if trace is not None:  # as sqlite3: once per parameter set
                                    trace(sql, stmt, params)
                                result = run(conn, txn, params)
                                total += result[1]
                                record(result[1], result[2] if inserts else None)

            slow = conn.state.slow
            start = time.perf_counter()
            try:
                total, result = conn.run_statement(run_all)
            finally:
                if slow is not None:
                    log_if_slow(sql, slow, start, "executemany")
            self._rows = None
            self.description = None
            if stmt.names is not None:  # RETURNING: its rows are dropped, as sqlite3 does
                self._rows = []
                self._pos = 0
                self.description = stmt.description
            self.rowcount = total
            if total and stmt.inserts:
                self.lastrowid = result[2]
            return self

    @_serialised
    def executescript(self, script: str) -> Cursor:
        """Commit any open transaction, then run each statement of ``script`` in turn."""
        conn = self._conn
        if self._closed or conn.state.closed:
            self._refuse_if_closed()
        sql = query_layer
        # the whole script is parsed and checked first: a syntax error or a parameter
        # anywhere runs nothing; then each statement compiles just before it runs
        if type(script) is not str:
            raise ProgrammingError(f"script must be a str, not {type(script).__name__}")
        steps = _script_steps(script, conn.database)
        if any(node is not None and sql.uses_parameters(node) for _, node in steps):
            raise ProgrammingError("scripts cannot use parameters")  # before anything runs
        conn.end_implicit_transaction()
        db = conn.database
        state = conn.state
        texts = script_texts(state.trace, script, len(steps))
        for (shape, node), text in zip(steps, texts):
            stmt = None
            if shape is not None:  # a SQL dump's INSERTs: one plan for all, mostly
                stmt = db.prepare_shape_for(state.catalog, state.functions, shape)
                if stmt is None:
                    node = sql.parse_one(shape.source)
            if stmt is None:
                stmt = sql.prepare_node(node, db.engine, state.catalog, state.functions)
                stmt.description = describe(stmt)
            if state.trace is not None:
                state.trace(text, stmt, ())
            self._run(conn, stmt, ())
        return self

    # ------------------------------------------------------------ fetching
    def _result(self) -> list:
        rows = self._rows
        if rows is None or self._conn.state.closed:
            self._refuse_if_closed()  # PEP 249: a closed connection's cursors are unusable
            raise ProgrammingError(
                "no results to fetch: the last statement produced no result set "
                "(its cursor.description is None)"
            )
        return rows

    def _more(self) -> list:
        """The stream's next chunk, now the rows in hand are used up ([] at the end)."""
        stream = self._stream
        state = self._conn.state
        with state.lock:
            self._refuse_if_closed()
            try:
                rows = stream.next_chunk()
            except BaseException:
                self._rows, self._pos, self._stream = [], 0, None
                state.session.interrupted = False  # an interrupt() ends with what it stopped
                raise
            if not stream.open:
                self._stream = None
                state.session.interrupted = False  # ... or with the stream it came too late for
            if self._convert is not None and rows:
                rows = self._convert(rows)[1]
        self._rows = rows
        self._pos = 0
        return rows

    def _rest(self) -> list:
        """Every row not yet fetched (the stream made to the end); they count as fetched."""
        rows = self._result()
        i = self._pos
        out = rows[i:] if i else list(rows)
        self._pos = len(rows)
        while self._stream is not None:
            more = self._more()
            out += more
            self._pos = len(more)
        return out

    def _made(self, rows: list) -> list:
        """``rows`` through the row factory, when there is one."""
        factory = self.row_factory
        if factory is None:
            return rows
        make = _row_maker(factory)
        return [make(self, r) for r in rows]

    # Rows are tuples, or whatever ``row_factory`` makes of them: typed ``Any``, as
    # typeshed types sqlite3's, so ``count, = cur.fetchone()`` type-checks.
    def fetchone(self) -> Any:
        """The next row, or None when the result is exhausted."""
        rows = self._rows
        if rows is None or self._conn.state.closed:
            rows = self._result()
        i = self._pos
        if i >= len(rows):
            if self._stream is None:
                return None
            rows = self._more()
            if not rows:
                return None
            i = 0
        self._pos = i + 1
        if self.row_factory is None:
            return rows[i]
        return _row_maker(self.row_factory)(self, rows[i])

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` (default ``arraysize``) further rows."""
        n = self.arraysize if size is None else size
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            self._result()  # a closed cursor says so first
            raise ProgrammingError(f"fetchmany size must be a non-negative integer, not {n!r}")
        return self._made(self._take(n))

    def _take(self, n: int) -> list:
        """Up to ``n`` further rows, as tuples."""
        rows = self._result()
        i = self._pos
        out = rows[i : i + n]
        self._pos = i + len(out)
        while len(out) < n and self._stream is not None:
            more = self._more()
            take = more[: n - len(out)]
            out += take
            self._pos = len(take)
        return out

    def fetchall(self) -> list[Any]:
        """All remaining rows."""
        return self._made(self._rest())

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
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

        rows = self._rest()
        names, types = self._arrow_columns()
        return rows_to_table(names, types, rows)

    # DuckDB's conveniences on a result: the remaining rows as Arrow, pandas or polars.
    def arrow(self):
        """The remaining rows as a ``pyarrow.Table`` (``fetch_arrow_table``)."""
        return self.fetch_arrow_table()

    def df(self):
        """The remaining rows as a pandas ``DataFrame`` (through Arrow; pandas required)."""
        return self.fetch_arrow_table().to_pandas()

    def pl(self):
        """The remaining rows as a polars ``DataFrame`` (through Arrow; polars required)."""
        import polars

        return polars.from_arrow(self.fetch_arrow_table())

    def fetch_record_batch(self, rows_per_batch: int = 1_000_000):
        """The remaining rows as a ``pyarrow.RecordBatchReader`` of batches of that size.

        When every column has a declared type the batches are made as the reader is read,
        each from that many fetched rows; otherwise (a column typed by its values) the rows
        are fetched at once, so the whole stream has one type per column."""
        from .arrow import batch_stream, rows_to_batches

        self._result()  # a cursor without a result (or closed) says so now
        names, types = self._arrow_columns()
        reader = batch_stream(names, types, self._batches, rows_per_batch)
        if reader is not None:
            return reader
        return rows_to_batches(names, types, self._rest(), rows_per_batch)

    def _batches(self, size: int):
        """Lists of up to ``size`` further rows (tuples), until none remain."""
        while True:
            rows = self._take(size)
            if not rows:
                return
            yield rows

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule stream protocol: polars, pandas and DuckDB read a cursor.

        The remaining rows are exported without being consumed (DuckDB asks twice): a
        streamed result is made to the end first, and held.
        """
        from .arrow import rows_to_table

        rest = self._rest()
        self._rows, self._pos = rest, 0
        names, types = self._arrow_columns()
        table = rows_to_table(names, types, rest)
        return table.__arrow_c_stream__(requested_schema)

    # ------------------------------------------------------------ the rest of PEP 249
    def close(self) -> None:
        """Close the cursor; further use raises ProgrammingError. A result still being
        made is dropped (and a read transaction of its own ends)."""
        self._closed = True
        self._rows = None
        stream, self._stream = self._stream, None
        if stream is not None:
            with self._conn.state.lock:
                stream.close()

    def setinputsizes(self, sizes: Any) -> None:
        """Accepted and ignored (PEP 249 allows it)."""

    def setoutputsize(self, size: int, column: int | None = None) -> None:
        """Accepted and ignored (PEP 249 allows it)."""

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
