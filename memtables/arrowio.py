"""``Connection.to_arrow`` and ``Connection.from_arrow``: Arrow data out of and into tables.

Both go through the connection's public interface: ``to_arrow`` runs a query,
``from_arrow`` is one statement of the connection's (``run_statement``) whose CREATE or DROP
is part of the same transaction as the rows. Imported on first use: it imports pyarrow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from . import arrow as AR
from .cache import enforce
from .errors import ProgrammingError, UndefinedTable
from .sql import bulk_inserter
from .sql.render import name as quote

_MODES = ("create", "append", "replace")


def to_arrow(conn, source: str, parameters: Any = ()):
    """The rows of table ``source``, or of the query ``source``, as a ``pyarrow.Table``."""
    if not isinstance(source, str):
        raise ProgrammingError(
            f"to_arrow takes a table name or a query, not {type(source).__name__}"
        )
    text = source.strip()
    if not _looks_like_query(text):
        text = f"SELECT * FROM {quote(text)}"
    return conn.execute(text, parameters).fetch_arrow_table()


def from_arrow(conn, name: str, data: Any, mode: str, primary_key) -> int:
    """Load ``data`` into table ``name`` as one statement of ``conn`` (see
    ``Connection.from_arrow``); the number of rows loaded."""
    if mode not in _MODES:
        raise ProgrammingError(f"mode must be 'create', 'append' or 'replace', not {mode!r}")
    if not isinstance(name, str):
        raise ProgrammingError(f"table name must be a str, not {type(name).__name__}")
    primary_key = _key_columns(primary_key)
    conn.check_open()
    reader = AR.to_reader(data)
    db = conn.database
    engine = db.engine

    def load(txn) -> int:
        drained = _drained(reader)  # a stream may run user code: read it before the lock
        conn.check_open()  # that code may even have closed the connection
        with engine.txns.lock:
            exists = name.lower() in engine.catalog.tables
            if mode == "create" and exists:
                raise ProgrammingError(f"table {name} already exists (use mode='append')")
            if mode == "append" and not exists:
                raise UndefinedTable(f"no such table: {name}")
            if mode != "append":
                # the DDL is part of this one statement's transaction: never autocommitted
                # on its own, so a failed load leaves the table as it was
                if exists:
                    db.prepare(f"DROP TABLE {quote(name)}").execute(conn, txn, ())
                create = _create_from_arrow(name, drained.schema, primary_key)
                db.prepare(create).execute(conn, txn, ())
            table = engine.catalog.table(name)
            n = AR.load(table, txn, drained, bulk_inserter(engine, table, conn))
            if table.cache is not None:
                enforce(table, txn)
        return n

    return conn.run_statement(load)


def _looks_like_query(text: str) -> bool:
    head = text.lstrip("( \n\t").split(None, 1)
    return bool(head) and head[0].upper() in ("SELECT", "VALUES", "WITH", "EXPLAIN")


def _drained(reader):
    """The rest of ``reader``, read now, as a reader over the batches in memory."""
    return pa.RecordBatchReader.from_batches(reader.schema, list(reader))


def _create_from_arrow(name: str, schema, primary_key) -> str:
    """CREATE TABLE typed from an Arrow schema."""
    cols = [f"{quote(f.name)} {AR.sql_type(f.type, f.name).name}" for f in schema]
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
