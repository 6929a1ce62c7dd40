"""memtables: an embeddable, pure-Python, in-memory OLTP database with a DB-API 2.0 face.

>>> import memtables
>>> conn = memtables.connect()
>>> conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)").rowcount
-1
>>> conn.execute("INSERT INTO t (name) VALUES (?)", ("ada",)).lastrowid
1
>>> conn.execute("SELECT name FROM t WHERE id = ?", (1,)).fetchone()
('ada',)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .adapters import (
    PARSE_COLNAMES,
    PARSE_DECLTYPES,
    check_detect_types,
    register_adapter,
    register_converter,
)
from .cache import ManualClock
from .callbacks import enable_callback_tracebacks
from .connection import Connection
from .cursor import Cursor
from .database import Database, connect_owning, open_database
from .dbapi import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
    apilevel,
    paramstyle,
    threadsafety,
)
from .errors import (
    CheckViolation,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotNullViolation,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    SerializationFailure,
    SQLSyntaxError,
    TriggerRaised,
    UndefinedColumn,
    UndefinedTable,
    UniqueViolation,
    Warning,
)
from .row import Row

if TYPE_CHECKING:
    from typing import Callable

    from .kv import P, R

__version__ = "0.1.0"


def cache_policies() -> tuple:
    """The eviction policies a cache table accepts."""
    from .cache import POLICIES

    return POLICIES


def quote_identifier(name: str) -> str:
    """``name`` as SQL text that always reads back as that name: bare when it is a plain word
    that is no keyword of the grammar, else double-quoted.

    >>> quote_identifier("users"), quote_identifier("check")
    ('users', '"check"')
    """
    from .sql.render import name as quote

    return quote(name)


def keywords(*, reserved: bool = False) -> frozenset[str]:
    """The keywords of memtables' SQL, upper-case, read from its grammar (the one list).

    With ``reserved`` only those that must be quoted to stand as names; the others (``KEY``,
    ``DATE``, ``TTL`` ...) are names wherever a name may stand.

    >>> "SELECT" in keywords(), "KEY" in keywords(), "KEY" in keywords(reserved=True)
    (True, True, False)
    """
    from .sql import grammar_keywords
    from .sql import keywords as reserved_keywords

    words = reserved_keywords() if reserved else grammar_keywords()
    return frozenset(w.upper() for w in words)


def cached(
    conn, table: str = "memtables_cache", ttl: float | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache-aside decorator: ``@memtables.cached(conn, ttl=60)`` (see ``memtables.kv``)."""
    from .kv import cached as _cached

    return _cached(conn, table, ttl)


def open(path: str | None = None, **options) -> Database:  # noqa: A001 - mirrors DESIGN.md
    """A Database whose ``connect()`` hands out connections to the same data.

    With ``path`` the database is durable, kept in that directory (created when missing);
    opening the same path again in this process returns the same Database. Options:
    ``sync`` ("full", "normal" or "off"), ``checkpoint_bytes`` (redo log size that triggers
    an automatic checkpoint; 0 turns it off), ``progress`` (a callback ``(phase, done,
    total)`` during recovery, ``CHECKPOINT`` and ``COPY ... FROM``; see below),
    ``on_corruption`` ("error", or "read_only" to open what precedes a damaged log record,
    refusing writes), ``read_only`` and ``clock`` (a function returning seconds, which
    cache-table TTLs are measured with; ``memtables.ManualClock`` for tests).

    ``read_only=True`` opens an existing directory for reading, as sqlite3's
    ``mode=ro``: it recovers what was committed at that moment into memory without taking
    the directory's lock (so another process may have it open for writing) and writes
    nothing; every write raises ``OperationalError("attempt to write a readonly database")``.
    Each read-only open is a private copy, never the one shared in this process. An
    in-memory database cannot be read-only (``ProgrammingError``).

    ``progress`` is called as ``progress(phase, done, total)`` with ``done`` growing to
    ``total``: phases "snapshot" and "log" (rows and log records recovered on open),
    "checkpoint" (rows written to a snapshot) and "copy" (rows a ``COPY ... FROM`` loaded,
    called under the engine's lock: it must be quick and must not use the database). The
    ``Database.progress`` attribute may be set later. An exception it raises abandons the
    work (a COPY is undone, a checkpoint keeps the redo log).
    """
    return open_database(path, **options)


def connect(
    path: str | None = None,
    *,
    isolation_level: str = "SNAPSHOT",
    autocommit: bool = False,
    detect_types: int = 0,
    **options,
) -> Connection:
    """A connection to a new private in-memory database (no ``path``, or ``":memory:"``), or
    to the durable one at ``path`` (``options`` as for ``memtables.open``; with
    ``read_only=True`` it reads what was committed when it opened and refuses writes).
    ``detect_types`` (``PARSE_DECLTYPES``, ``PARSE_COLNAMES``) turns on sqlite3's
    converters (``register_converter``)."""
    detect_types = check_detect_types(detect_types)
    conn = connect_owning(path, isolation_level, autocommit, **options)
    conn.state.detect_types = detect_types
    return conn


__all__ = [
    "connect",
    "open",
    "cached",
    "quote_identifier",
    "keywords",
    "ManualClock",
    "enable_callback_tracebacks",
    "register_adapter",
    "register_converter",
    "PARSE_DECLTYPES",
    "PARSE_COLNAMES",
    "Database",
    "Connection",
    "Cursor",
    "Row",
    "apilevel",
    "threadsafety",
    "paramstyle",
    "STRING",
    "BINARY",
    "NUMBER",
    "DATETIME",
    "ROWID",
    "Date",
    "Time",
    "Timestamp",
    "DateFromTicks",
    "TimeFromTicks",
    "TimestampFromTicks",
    "Binary",
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
    "SQLSyntaxError",
    "UndefinedTable",
    "UndefinedColumn",
    "UniqueViolation",
    "NotNullViolation",
    "CheckViolation",
    "TriggerRaised",
    "SerializationFailure",
]
