"""The PEP 249 exception hierarchy and the more specific errors memtables raises.

This module imports nothing of ours, so every layer can raise these classes directly.
"""

from __future__ import annotations


class Warning(Exception):  # noqa: A001 - the name is fixed by PEP 249
    """Important warnings, such as data truncation."""


class Error(Exception):
    """Base class of every memtables error (PEP 249)."""

    #: SQLSTATE-like code where one applies; psycopg users look for it.
    sqlstate: str | None = None


class InterfaceError(Error):
    """Misuse of the interface rather than a database problem."""


class DatabaseError(Error):
    """Errors related to the database."""


class DataError(DatabaseError):
    """A value does not fit: wrong type, out of range."""

    sqlstate = "22000"


class OperationalError(DatabaseError):
    """Problems of operation: locks held, resources, transaction conflicts."""


class IntegrityError(DatabaseError):
    """A constraint would be violated."""

    sqlstate = "23000"


class InternalError(DatabaseError):
    """The database found itself in an inconsistent state (a bug)."""


class ProgrammingError(DatabaseError):
    """Bad SQL: syntax errors, unknown names, wrong parameter counts, closed objects."""


class NotSupportedError(DatabaseError):
    """A feature memtables does not provide."""


class SQLSyntaxError(ProgrammingError):
    """Malformed SQL; ``line``, ``column`` and ``token`` say where."""

    sqlstate = "42601"

    def __init__(self, message: str, line: int = 0, column: int = 0, token: str = ""):
        super().__init__(message)
        self.line = line
        self.column = column
        self.token = token


class UndefinedTable(ProgrammingError):
    """A table or view name that does not exist."""

    sqlstate = "42P01"


class UndefinedColumn(ProgrammingError):
    """A column name that does not exist."""

    sqlstate = "42703"


class UniqueViolation(IntegrityError):
    """A duplicate primary key or UNIQUE value."""

    sqlstate = "23505"


class NotNullViolation(IntegrityError):
    """NULL written to a NOT NULL column."""

    sqlstate = "23502"


class CheckViolation(IntegrityError):
    """A CHECK constraint evaluated to false."""

    sqlstate = "23514"


class TriggerRaised(IntegrityError):
    """A trigger ran ``RAISE(ABORT|FAIL|ROLLBACK, message)``.

    ``resolution`` says what is undone, as in SQLite: "abort" the statement, "fail" nothing
    (the statement's earlier changes stay), "rollback" the whole transaction.
    """

    sqlstate = "23000"

    def __init__(self, message: str, resolution: str = "abort"):
        super().__init__(message)
        self.resolution = resolution


class SerializationFailure(OperationalError):
    """A transaction conflicted with a concurrent one; rerunning it may succeed."""

    sqlstate = "40001"
    retryable = True


__all__ = [
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
