"""A SQLAlchemy 2.x dialect: ``create_engine("memtables://")`` (in memory) or
``create_engine("memtables:///path/app.mtdb")`` (durable), registered by entry point.

memtables speaks SQLite's SQL with strict types, so the dialect is SQLite's compiler with a
different driver underneath: reflection reads ``sys.*`` tables instead of PRAGMAs, dates and
timestamps come back as Python objects (no string parsing), BOOLEAN is a real type, and
isolation levels are memtables' (``SNAPSHOT``, ``SERIALIZABLE``, ``AUTOCOMMIT``).

Reflection covers tables, views and the connection's TEMP ones (``sys.temp_*``), columns
with their declared types (``VARCHAR(20)`` keeps its length), primary keys, indexes, and
UNIQUE and CHECK constraints with their names. Deliberate gaps, each declared with its reason
in ``tests/sqla_suite/requirements.py`` (SQLAlchemy's compliance suite): foreign keys are not
kept (the DDL leaves them out; memtables, like SQLite by default, never enforced them), there
are no schemas besides ``main``, no comments, and no TIME type (a ``Time`` column is TEXT, as
SQLite stores it).

An in-memory URL gives one database per engine: every pooled connection sees the same data
(with sqlite3, each ``:memory:`` connection would be a database of its own).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from sqlalchemy import exc, util
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.sqlite.base import (
    SQLiteDDLCompiler,
    SQLiteDialect,
    SQLiteTypeCompiler,
    ischema_names,
)
from sqlalchemy.engine import default, reflection

import memtables

#: memtables' column types (``sys.columns.type``) as SQLAlchemy types, for reflection.
TYPES = {
    "INTEGER": sqltypes.INTEGER,
    "REAL": sqltypes.REAL,
    "TEXT": sqltypes.TEXT,
    "BOOLEAN": sqltypes.BOOLEAN,
    "BLOB": sqltypes.BLOB,
    "DATE": sqltypes.DATE,
    "TIMESTAMP": sqltypes.TIMESTAMP,
    "ANY": sqltypes.NullType,
}

#: the SQLAlchemy types a declared type may reflect as, by the memtables type it stores as
_FAMILIES = {
    "INTEGER": sqltypes.Integer,
    "REAL": sqltypes.Numeric,  # FLOAT, DOUBLE, NUMERIC(p, s), DECIMAL
    "TEXT": sqltypes.String,  # VARCHAR(n), CHAR(n), CLOB
    "BLOB": sqltypes.LargeBinary,
}

_DECLARED = re.compile(r"([A-Z][A-Z0-9_ ]*?)\s*(?:\(([+-]?\d+)(?:,([+-]?\d+))?\))?\Z")

ISOLATION_LEVELS = ("AUTOCOMMIT", "SNAPSHOT", "SERIALIZABLE")


class _NativeDateTime(sqltypes.DateTime):
    """memtables stores and returns ``datetime`` objects: nothing to convert."""

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        return None


class _NativeDate(sqltypes.Date):
    """memtables stores and returns ``date`` objects; a ``datetime`` bound to a Date column
    is cut to its date, as SQLAlchemy's other dialects store it (DATE refuses a datetime)."""

    def bind_processor(self, dialect):
        def process(value):
            return value.date() if isinstance(value, datetime.datetime) else value

        return process

    def result_processor(self, dialect, coltype):
        return None


class MemtablesTypeCompiler(SQLiteTypeCompiler):
    """Type names memtables reads (no TIME: SQLite keeps times as text, so do we)."""

    def visit_TIME(self, type_, **kw):
        return "TEXT"

    def visit_DATETIME(self, type_, **kw):
        return "TIMESTAMP"

    def visit_TIMESTAMP(self, type_, **kw):
        return "TIMESTAMP"


class MemtablesDDLCompiler(SQLiteDDLCompiler):
    """SQLite's DDL without foreign key clauses, which memtables does not keep."""

    def visit_foreign_key_constraint(self, constraint, **kw):
        return None


class MemtablesDialect(SQLiteDialect):
    """SQLAlchemy dialect for memtables (see the module docstring)."""

    name = "memtables"
    driver = "memtables"
    supports_statement_cache = True
    supports_native_boolean = True
    supports_schemas = False
    default_paramstyle = "qmark"
    colspecs = util.update_copy(
        SQLiteDialect.colspecs, {sqltypes.DateTime: _NativeDateTime, sqltypes.Date: _NativeDate}
    )
    type_compiler_cls = MemtablesTypeCompiler
    ddl_compiler = MemtablesDDLCompiler

    def __init__(self, json_serializer=None, json_deserializer=None, **kwargs: Any) -> None:
        # SQLiteDialect.__init__ reads the sqlite3 library's version; there is none here.
        default.DefaultDialect.__init__(self, **kwargs)
        self._json_serializer = json_serializer
        self._json_deserializer = json_deserializer
        self.native_datetime = True
        self._memory_db: memtables.Database | None = None

    @classmethod
    def import_dbapi(cls):
        return memtables

    @classmethod
    def get_pool_class(cls, url):
        from sqlalchemy import pool

        return pool.QueuePool

    def _get_server_version_info(self, connection):
        return tuple(int(p) for p in memtables.__version__.split(".")[:3])

    def create_connect_args(self, url):
        path = url.database or None
        if path == ":memory:":
            path = None
        return [path], dict(url.query)

    def connect(self, path=None, **options):
        """A DB-API connection; in memory, one shared database per engine."""
        if path is not None:
            return memtables.connect(path, **options)
        if self._memory_db is None or self._memory_db.closed:
            self._memory_db = memtables.open(None, **options)
        return self._memory_db.connect()

    def on_connect(self):
        return None

    # ---------------------------------------------------------------- isolation
    def get_isolation_level_values(self, dbapi_connection):
        return list(ISOLATION_LEVELS)

    def set_isolation_level(self, dbapi_connection, level):
        if level == "AUTOCOMMIT":
            dbapi_connection.autocommit = True
            return
        dbapi_connection.autocommit = False
        dbapi_connection.isolation_level = level

    def get_isolation_level(self, dbapi_connection):
        if dbapi_connection.autocommit:
            return "AUTOCOMMIT"
        return dbapi_connection.isolation_level

    def detect_autocommit_setting(self, dbapi_conn):
        return dbapi_conn.autocommit

    def is_disconnect(self, e, connection, cursor):
        return isinstance(e, memtables.ProgrammingError) and "closed" in str(e)

    # ---------------------------------------------------------------- reflection
    def _rows(self, connection, sql, *params):
        return connection.exec_driver_sql(sql, tuple(params)).fetchall()

    @reflection.cache
    def get_schema_names(self, connection, **kw):
        return ["main"]

    def _get_default_schema_name(self, connection):
        return "main"

    @reflection.cache
    def get_table_names(self, connection, schema=None, **kw):
        if schema not in (None, "main"):
            return []  # no schema but main (TEMP objects have their own calls)
        return [r[0] for r in self._rows(connection, "SELECT name FROM sys.tables ORDER BY name")]

    @reflection.cache
    def get_view_names(self, connection, schema=None, **kw):
        if schema not in (None, "main"):
            return []
        return [r[0] for r in self._rows(connection, "SELECT name FROM sys.views ORDER BY name")]

    @reflection.cache
    def get_temp_table_names(self, connection, **kw):
        return self._temp_names(connection, "table")

    @reflection.cache
    def get_temp_view_names(self, connection, **kw):
        return self._temp_names(connection, "view")

    def _temp_names(self, connection, kind: str) -> list:
        # the connection's own CREATE TEMP objects, as SQLite's dialect reads sqlite_temp_master
        sql = "SELECT name FROM sys.temp_schema WHERE type = ? ORDER BY name"
        return [r[0] for r in self._rows(connection, sql, kind)]

    @reflection.cache
    def has_table(self, connection, table_name, schema=None, **kw):
        if schema not in (None, "main"):
            return False
        sql = (
            "SELECT 1 FROM sys.tables WHERE lower(name) = lower(?) "
            "UNION ALL SELECT 1 FROM sys.views WHERE lower(name) = lower(?) "
            "UNION ALL SELECT 1 FROM sys.temp_schema "
            "WHERE type IN ('table', 'view') AND lower(name) = lower(?)"
        )
        return bool(self._rows(connection, sql, table_name, table_name, table_name))

    def _check_exists(self, connection, table_name, schema, **kw):
        if not self.has_table(connection, table_name, schema, **kw):
            raise exc.NoSuchTableError(table_name)

    def _sys(self, connection, table_name: str, what: str) -> str:
        """The system table describing ``what`` (tables, columns, indexes) of the table a bare
        ``table_name`` names: the connection's TEMP table of that name hides the main one."""
        sql = "SELECT 1 FROM sys.temp_tables WHERE lower(name) = lower(?)"
        return f"sys.temp_{what}" if self._rows(connection, sql, table_name) else f"sys.{what}"

    @reflection.cache
    def get_view_definition(self, connection, view_name, schema=None, **kw):
        rows = self._rows(
            connection,
            "SELECT sql FROM sys.temp_schema WHERE type = 'view' AND lower(name) = lower(?) "
            "UNION ALL SELECT sql FROM sys.schema WHERE type = 'view' AND lower(name) = lower(?)",
            view_name,
            view_name,
        )
        if not rows:
            raise exc.NoSuchTableError(view_name)
        return rows[0][0]

    @reflection.cache
    def get_columns(self, connection, table_name, schema=None, **kw):
        self._check_exists(connection, table_name, schema)
        rows = self._rows(
            connection,
            'SELECT name, type, not_null, "default", primary_key, declared_type FROM '
            f"{self._sys(connection, table_name, 'columns')} "
            "WHERE lower(table_name) = lower(?) ORDER BY position",
            table_name,
        )
        if not rows:
            return self._view_columns(connection, table_name)
        pk = [r for r in rows if r[4]]
        out = []
        for name, type_, not_null, dflt, is_pk, declared in rows:
            col = {
                "name": name,
                "type": self._reflected_type(type_, declared),
                "nullable": not not_null,
                "default": dflt,
                "primary_key": bool(is_pk),
            }
            if is_pk and len(pk) == 1 and type_ == "INTEGER":
                col["autoincrement"] = True  # an INTEGER PRIMARY KEY is assigned when NULL
            out.append(col)
        return out

    def _reflected_type(self, type_: str, declared: str):
        """The SQLAlchemy type of a column: what CREATE TABLE declared (``VARCHAR(20)``,
        ``NUMERIC(10, 2)``, ``BIGINT``) when it is of the family memtables stores it as, so
        lengths and precisions survive; otherwise memtables' own type."""
        if declared != type_ and type_ in _FAMILIES:
            t = _declared_type(declared)
            if isinstance(t, _FAMILIES[type_]):
                return t
        return TYPES.get(type_, sqltypes.NullType)()

    def _view_columns(self, connection, view_name):
        quoted = self.identifier_preparer.quote_identifier(view_name)
        cur = connection.exec_driver_sql(f"SELECT * FROM {quoted} LIMIT 0").cursor
        return [
            {
                "name": d[0],
                "type": TYPES.get(d[1], sqltypes.NullType)(),
                "nullable": True,
                "default": None,
            }
            for d in cur.description
        ]

    @reflection.cache
    def get_pk_constraint(self, connection, table_name, schema=None, **kw):
        self._check_exists(connection, table_name, schema)
        rows = self._rows(
            connection,
            f"SELECT primary_key FROM {self._sys(connection, table_name, 'tables')} "
            "WHERE lower(name) = lower(?)",
            table_name,
        )
        if not rows:  # a view
            return {"constrained_columns": [], "name": None}
        cols = [c.strip() for c in (rows[0][0] or "").split(",") if c.strip()]
        return {"constrained_columns": cols, "name": None}

    @reflection.cache
    def get_foreign_keys(self, connection, table_name, schema=None, **kw):
        self._check_exists(connection, table_name, schema)
        return []

    def _index_rows(self, connection, table_name):
        return self._rows(
            connection,
            "SELECT name, columns, unique, implicit, constraint_name FROM "
            f"{self._sys(connection, table_name, 'indexes')} "
            "WHERE lower(table_name) = lower(?) ORDER BY name",
            table_name,
        )

    @reflection.cache
    def get_indexes(self, connection, table_name, schema=None, **kw):
        self._check_exists(connection, table_name, schema)
        return [
            {"name": name, "column_names": _columns(cols), "unique": bool(unique)}
            for name, cols, unique, implicit, _ in self._index_rows(connection, table_name)
            if not implicit
        ]

    @reflection.cache
    def get_unique_constraints(self, connection, table_name, schema=None, **kw):
        self._check_exists(connection, table_name, schema)
        pk = self.get_pk_constraint(connection, table_name, schema)["constrained_columns"]
        # a UNIQUE constraint's index is implicit; it has the constraint's name, if any
        return [
            {"name": constraint, "column_names": _columns(cols)}
            for _, cols, unique, implicit, constraint in self._index_rows(connection, table_name)
            if implicit and unique and _columns(cols) != pk
        ]

    @reflection.cache
    def get_check_constraints(self, connection, table_name, schema=None, **kw):
        self._check_exists(connection, table_name, schema)
        rows = self._rows(
            connection,
            f"SELECT name, sql FROM {self._sys(connection, table_name, 'checks')} "
            "WHERE lower(table_name) = lower(?)",
            table_name,
        )
        return [{"name": name, "sqltext": sql} for name, sql in rows]

    @reflection.cache
    def get_table_options(self, connection, table_name, schema=None, **kw):
        self._check_exists(connection, table_name, schema)
        return {}


def _declared_type(declared: str):
    """``VARCHAR(20)`` as ``sqltypes.VARCHAR(20)``, by SQLite's dialect's names; None for a
    name it does not know or arguments its type does not take."""
    m = _DECLARED.match(declared)
    cls = ischema_names.get(m.group(1)) if m else None
    if cls is None:
        return None
    try:
        return cls(*(int(a) for a in m.group(2, 3) if a is not None))
    except TypeError:
        return None


def _columns(text: str) -> list[str]:
    return [c.strip() for c in text.split(",")]


dialect = MemtablesDialect

try:  # Alembic finds a migration implementation by dialect name: SQLite's fits
    from alembic.ddl.sqlite import SQLiteImpl
except ImportError:  # Alembic is optional
    pass
else:

    class MemtablesImpl(SQLiteImpl):
        """Alembic's SQLite implementation for memtables (transactional DDL, ALTER TABLE
        ADD/DROP/RENAME COLUMN natively)."""

        __dialect__ = "memtables"
        transactional_ddl = True
