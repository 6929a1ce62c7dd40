"""PRAGMA: SQLite's statement for reading the schema and a few settings, as sqlite3 users
and their tools (pandas, SQLAlchemy's sqlite dialect, migration scripts) send it.

- The schema pragmas (``table_info``, ``table_xinfo``, ``index_list``, ``index_info``,
  ``index_xinfo``, ``foreign_key_list``, ``table_list``, ``database_list``) return SQLite's
  columns and values (``pragma_schema.py``); a name that is not found gives no rows, as
  in SQLite.
- ``user_version`` is read and set like SQLite's: a 32-bit integer, set inside the current
  transaction and kept durably with the schema.
- Settings are answered with the truth. Setting one is accepted when it changes nothing
  memtables promises (``foreign_keys``: there are no foreign keys to enforce;
  ``read_uncommitted``: a transaction reads its snapshot, as SQLAlchemy's sqlite dialect
  asks on connecting;
  ``journal_mode``: the redo log is what it is, and the mode in force is returned, as SQLite
  does when it cannot change it) and refused when it would (``synchronous`` of a durable
  database other than its own mode, ``query_only``).
- Any other pragma is ignored: no rows, no error, as SQLite ignores a pragma it does not know.

Rows are computed when the statement runs, from the catalog as it is then.
"""

from __future__ import annotations

import os
import re

from ..errors import NotSupportedError, OperationalError
from . import ast as A
from . import pragma_schema as S
from .master import pragma_side
from .statements import Result, Statement

# settings that read as one value, in a column named after the pragma
_SETTINGS = ("user_version", "foreign_keys", "journal_mode", "synchronous", "encoding",
             "schema_version", "query_only", "read_uncommitted")  # fmt: skip
_SYNC_LEVELS = {"off": 0, "normal": 1, "full": 2}
_TRUE = {"1", "on", "yes", "true"}
_FALSE = {"0", "off", "no", "false"}


class PragmaStatement(Statement):
    """One PRAGMA, bound to the preparing connection's names (never shared between
    connections: its kind is not cached)."""

    kind = "pragma"
    engine_lock = False

    def __init__(self, node: A.Pragma, engine, systables, catalog):
        self.pragma = node.name.lower()
        self.value = node.value
        self.engine = engine
        self.systables = systables
        self.catalog = catalog
        self.side = pragma_side(catalog, node.schema)
        if self.pragma in S.COLUMNS:
            self.names = list(S.COLUMNS[self.pragma])
        elif self.pragma in _SETTINGS and (self.value is None or self.pragma == "journal_mode"):
            self.names = ["user_version" if self.pragma == "user_version" else self.pragma]
        if self.names is not None:
            self.types = [None] * len(self.names)
        if self.pragma == "user_version" and self.value is not None:
            self.engine_lock = True  # a write: a schema change of the transaction

    def execute(self, conn, txn, params) -> tuple:
        if self.pragma in S.COLUMNS:
            return Result(self._schema_rows(conn))
        if self.pragma in _SETTINGS:
            return self._setting(conn, txn)
        return Result()  # unknown to memtables: ignored, as SQLite ignores unknown pragmas

    def explain(self) -> list[str]:
        return [f"PRAGMA {self.pragma}"]

    # ------------------------------------------------------------ schema pragmas
    def _schema_rows(self, conn) -> list[tuple]:
        if self.pragma == "database_list":
            path = conn.database.path
            rows = [(0, "main", "" if path is None else os.path.abspath(path))]
            if self.catalog.temp is not None and self.catalog.temp.has_objects():
                rows.append((1, "temp", ""))
            return rows
        return S.schema_pragma(self.pragma, self.value, self.side, self.catalog, self.systables)

    # ------------------------------------------------------------ settings
    def _setting(self, conn, txn) -> tuple:
        p, value, db = self.pragma, self.value, conn.database
        if p == "user_version":
            if self.side is not self.catalog and self.side is not self.catalog.main:
                raise NotSupportedError("PRAGMA temp.user_version is not supported")
            if value is None:
                return Result([(self.engine.user_version,)])
            if db.read_only:
                raise OperationalError(db.read_only)
            self.engine.set_user_version(txn, _int32(value))
            return Result()
        if p == "journal_mode":  # it cannot change: the mode in force, as SQLite answers
            return Result([("memory" if db.path is None else "wal",)])
        if p == "synchronous":
            level = 0 if db.sync is None else _SYNC_LEVELS[db.sync]
            if value is None:
                return Result([(level,)])
            if db.sync is not None and _sync_level(value) != level:
                raise NotSupportedError(
                    f"PRAGMA synchronous cannot change the redo log's sync mode ({db.sync}); "
                    "open the database with memtables.connect(path, sync='full'|'normal'|'off')"
                )
            return Result()
        if p == "query_only":
            if value is None:
                return Result([(int(bool(db.read_only)),)])
            if _flag(value):
                raise NotSupportedError("PRAGMA query_only = ON is not supported")
            return Result()
        if value is not None:
            # foreign_keys: there are none to enforce; read_uncommitted: a transaction reads
            # its snapshot whatever it says (SQLite too ignores it outside shared-cache mode)
            return Result()
        if p == "encoding":
            return Result([("UTF-8",)])
        if p == "schema_version":
            return Result([(self.engine.catalog.version,)])
        return Result([(0,)])  # foreign_keys, read_uncommitted: off, whatever was set


def build_pragma(node: A.Pragma, engine, systables, catalog) -> PragmaStatement:
    """The statement for a PRAGMA (an unknown schema name is refused, as in SQLite)."""
    return PragmaStatement(node, engine, systables, catalog)


def _int32(value) -> int:
    """A value as SQLite's PRAGMA reads a 32-bit integer (``sqlite3GetInt32``): an optional
    sign, then decimal digits (or ``0x`` and hex digits) up to the first other character;
    0 when there are none or the number does not fit in 32 bits."""
    text = repr(value) if isinstance(value, float) else str(value)
    m = re.match(r"0[xX]([0-9A-Fa-f]{1,8})(?![0-9A-Fa-f])", text)
    if m:
        n = int(m.group(1), 16)
        return n - (1 << 32) if n >= 1 << 31 else n
    m = re.match(r"([+-]?)(\d+)", text)
    if m is None:
        return 0
    n = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
    return n if -(1 << 31) <= n < 1 << 31 else 0


def _flag(value) -> bool:
    """A boolean pragma value (ON, yes, 1 ...); anything else is refused clearly."""
    text = str(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise OperationalError(f"not a boolean pragma value: {value}")


def _sync_level(value) -> int:
    """PRAGMA synchronous's value as a level: 0 OFF, 1 NORMAL, 2 FULL (3 EXTRA is FULL)."""
    text = str(value).lower()
    names = {**_SYNC_LEVELS, "extra": 3}
    if text in names:
        return min(names[text], 2)
    if re.fullmatch(r"[0-3]", text):
        return min(int(text), 2)
    raise OperationalError(f"not a synchronous level: {value}")
