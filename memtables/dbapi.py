"""PEP 249 module globals, type objects and constructors."""

from __future__ import annotations

import datetime as _dt
import time as _time

apilevel = "2.0"
#: Threads may share the module, a Database and connections: a connection serialises its
#: calls (each waits for the one running). One connection per thread still runs in parallel
#: best; cursors should not be shared (see ARCHITECTURE.md, "Lock order").
threadsafety = 2
paramstyle = "qmark"  # ":name" placeholders are accepted too


class DBAPITypeObject:
    """Compares equal to every type code of its group (PEP 249 type objects)."""

    def __init__(self, name: str, *codes: str):
        self.name = name
        self.codes = frozenset(codes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self is other
        return other in self.codes

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return self.name


STRING = DBAPITypeObject("STRING", "TEXT")
BINARY = DBAPITypeObject("BINARY", "BLOB")
NUMBER = DBAPITypeObject("NUMBER", "INTEGER", "REAL", "BOOLEAN")
DATETIME = DBAPITypeObject("DATETIME", "DATE", "TIMESTAMP")
ROWID = DBAPITypeObject("ROWID", "ROWID")

Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime


def DateFromTicks(ticks: float) -> _dt.date:
    """The local date of a Unix timestamp."""
    return Date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> _dt.time:
    """The local time of day of a Unix timestamp."""
    return Time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> _dt.datetime:
    """The local date and time of a Unix timestamp."""
    return Timestamp(*_time.localtime(ticks)[:6])


def Binary(data: bytes | bytearray | memoryview | str) -> bytes:
    """A value for a BLOB column."""
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)
