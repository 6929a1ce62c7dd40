"""The catalog: table definitions (columns, keys, constraints), views and indexes by name."""

from __future__ import annotations

from collections import ChainMap, OrderedDict
from typing import Any, Callable

from .errors import ProgrammingError, UndefinedTable
from .types import INTEGER, SqlType


class Column:
    """One column of a table: name, type and constraints."""

    __slots__ = (
        "name",
        "type",
        "not_null",
        "default",
        "default_sql",
        "position",
        "collation",
        "hidden",
        "declared",
    )

    def __init__(
        self,
        name: str,
        type: SqlType,
        *,
        not_null: bool = False,
        default: Callable[[], Any] | None = None,
        default_sql: str | None = None,
        collation: str | None = None,
        declared: str | None = None,
    ):
        self.name = name
        self.type = type
        self.not_null = not_null
        self.default = default
        self.default_sql = default_sql
        self.position = -1
        self.collation = collation
        self.hidden = False  # not part of SELECT * or a column-less INSERT (_expires_at)
        # the type as CREATE TABLE wrote it (VARCHAR(20)): kept for DDL and reflection, as
        # SQLite keeps it; ``type`` is what memtables checks and stores
        self.declared = declared

    def __repr__(self) -> str:
        return f"Column({self.name!r}, {self.type.name})"


class Check:
    """A CHECK constraint: its SQL text and a compiled predicate over a row tuple."""

    __slots__ = ("sql", "predicate", "name")

    def __init__(self, sql: str, predicate: Callable[[tuple], Any], name: str | None = None):
        self.sql = sql
        self.predicate = predicate
        self.name = name  # its CONSTRAINT name, when it has one


class Schema:
    """The definition of a table.

    ``primary_key`` holds column positions; an empty key means the table has a hidden rowid.
    ``uniques`` holds the position tuples of UNIQUE constraints and ``unique_names`` their
    CONSTRAINT names (None for an unnamed one).
    """

    def __init__(
        self,
        name: str,
        columns: list[Column],
        primary_key: tuple[int, ...] = (),
        uniques: tuple[tuple[int, ...], ...] = (),
        checks: tuple[Check, ...] = (),
        options: dict | None = None,
        unique_names: tuple[str | None, ...] = (),
    ):
        seen = set()
        for i, col in enumerate(columns):
            if "\x00" in col.name:  # e.g. a name derived from a text expression: no SQL names it
                raise ProgrammingError(
                    f"a column name cannot contain a NUL character: {col.name!r}"
                )
            low = col.name.lower()
            if low in seen:
                raise ProgrammingError(f"duplicate column name {col.name!r} in table {name!r}")
            seen.add(low)
            col.position = i
        self.name = name
        self.columns = columns
        self.primary_key = tuple(primary_key)
        for i in self.primary_key:
            columns[i].not_null = True
        self.uniques = tuple(tuple(u) for u in uniques)
        self.unique_names = tuple(unique_names) or (None,) * len(self.uniques)
        self.checks = tuple(checks)
        self.options = dict(options or {})
        self._by_name = {c.name.lower(): c for c in columns}

    @property
    def has_rowid(self) -> bool:
        """True when rows are keyed by a hidden rowid."""
        return not self.primary_key

    @property
    def integer_key(self) -> bool:
        """True for a single INTEGER PRIMARY KEY column, which is assigned when NULL."""
        pk = self.primary_key
        return len(pk) == 1 and self.columns[pk[0]].type is INTEGER

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (case-insensitive), or None."""
        return self._by_name.get(name.lower())

    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]


class View:
    """A named SELECT kept as text; the query layer binds it where it is used."""

    __slots__ = ("name", "sql", "columns", "temporary")

    def __init__(
        self,
        name: str,
        sql: str,
        columns: tuple[str, ...] | None = None,
        temporary: bool = False,
    ):
        self.name = name
        self.sql = sql
        self.columns = columns
        # a TEMP view reads the connection's temporary objects first; any other view sees
        # only the main schema, since it outlives the connection (and may be logged)
        self.temporary = temporary


class Trigger:
    """A row trigger on a table, kept as its CREATE TRIGGER text and parsed definition.

    The catalog only stores it: the query layer binds and runs the body where the trigger
    fires (``node`` is its parsed statement, ``program`` the query layer's compiled form,
    rebuilt whenever ``version`` no longer matches the catalog's).
    """

    __slots__ = ("name", "table", "timing", "event", "columns", "sql", "node", "program")

    def __init__(self, name: str, table: str, timing: str, event: str, columns, sql: str, node):
        self.name = name
        self.table = table
        self.timing = timing  # 'before' or 'after'
        self.event = event  # 'insert', 'update' or 'delete'
        self.columns = columns  # UPDATE OF columns (lower-cased), or None
        self.sql = sql
        self.node = node
        self.program: Any = None  # (catalog version, compiled body), filled on first firing


class Catalog:
    """Tables, views, indexes and triggers by lower-cased name; ``version`` counts schema
    changes.

    The database has one main catalog; each connection may have a ``temporary`` one of its
    own (CREATE TEMP TABLE), whose objects are never logged nor written to snapshots.
    """

    def __init__(self, temporary: bool = False) -> None:
        self.tables: dict[str, Any] = {}
        self.views: dict[str, View] = {}
        self.indexes: dict[str, Any] = {}
        self.triggers: dict[str, Trigger] = {}  # their own namespace, as in SQLite
        self.version = 0
        self.temporary = temporary
        self._listeners: list[Callable[[], None]] = []

    @property
    def main(self) -> Catalog:
        """The catalog the database's own (non-temporary) names live in: this one."""
        return self

    @property
    def temp(self) -> Catalog | None:
        """The temporary objects in reach: none, on its own."""
        return None

    def scoped(self, schema: str | None) -> Catalog | None:
        """The catalog a ``schema.name`` qualifier means (None: unknown schema)."""
        if schema is None or schema.lower() == "main":
            return self
        return None

    def owner(self, name: str, kind: str) -> Catalog | None:
        """This catalog if it holds the ``kind`` ("tables", "views", "indexes") ``name``."""
        return self if name.lower() in getattr(self, kind) else None

    def home(self, name: str) -> Catalog | None:
        """This catalog if it has a table or view called ``name``."""
        low = name.lower()
        return self if low in self.tables or low in self.views else None

    def relation(self, name: str) -> Any:
        """The table or ``View`` called ``name``, or None."""
        low = name.lower()
        table = self.tables.get(low)  # not ``or``: an empty table has no truth value to test
        return self.views.get(low) if table is None else table

    def has_objects(self) -> bool:
        """True when any table, view or index is defined here."""
        return bool(self.tables or self.views or self.indexes)

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every schema change (statement caches clear themselves)."""
        self._listeners.append(listener)

    def changed(self) -> None:
        """Record a schema change."""
        self.version += 1
        for listener in self._listeners:
            listener()

    def table(self, name: str) -> Any:
        """The table called ``name`` or UndefinedTable."""
        t = self.tables.get(name.lower())
        if t is None:
            raise UndefinedTable(f"no such table: {name}")
        return t

    def triggers_on(self, table: str, event: str) -> list[Trigger]:
        """The triggers of ``table`` for ``event``, newest first (the order SQLite fires
        them in)."""
        low = table.lower()
        triggers = list(self.triggers.values())  # one atomic copy: DDL may run meanwhile
        found = [t for t in triggers if t.table.lower() == low and t.event == event]
        found.reverse()
        return found

    def name_taken(self, name: str) -> str | None:
        """What kind of object already uses ``name``, if any."""
        low = name.lower()
        if low in self.tables:
            return "table"
        if low in self.views:
            return "view"
        if low in self.indexes:
            return "index"
        return None


class SessionCatalog:
    """A connection's view of the names: its temporary catalog over the database's main one.

    As in SQLite an unqualified name finds a temporary object first, and ``main.x`` and
    ``temp.x`` pick one side. It reads like a ``Catalog`` (``tables``, ``views``, ``indexes``,
    ``table``, ``name_taken``); changes go to one side through the engine. ``statements``
    is the connection's own statement cache, used while it has temporary objects (compiled
    statements may then mean something else than the same text on another connection).
    """

    def __init__(self, main: Catalog) -> None:
        self.main = main
        self.temp = Catalog(temporary=True)
        self.tables = ChainMap(self.temp.tables, main.tables)
        self.views = ChainMap(self.temp.views, main.views)
        self.indexes = ChainMap(self.temp.indexes, main.indexes)
        self.statements: OrderedDict = OrderedDict()
        self.statements_stamp: tuple = ()  # (main schema version, functions version) of them
        #: whether ``temp`` holds anything: read on every statement a connection prepares
        self.has_temporary = False
        self.temp.on_change(self._temp_changed)

    def _temp_changed(self) -> None:
        self.statements.clear()
        self.has_temporary = self.temp.has_objects()

    def forget_temporary(self) -> None:
        """Let go of every temporary object (the connection closed; its transaction, the
        only one that could still use them, is rolled back)."""
        temp = self.temp
        temp.tables.clear()
        temp.views.clear()
        temp.indexes.clear()
        self._temp_changed()

    def table(self, name: str) -> Any:
        """The table called ``name`` (a temporary one first) or UndefinedTable."""
        t = self.tables.get(name.lower())
        if t is None:
            raise UndefinedTable(f"no such table: {name}")
        return t

    def name_taken(self, name: str) -> str | None:
        """What kind of object already uses ``name`` on either side, if any."""
        return self.temp.name_taken(name) or self.main.name_taken(name)

    def scoped(self, schema: str | None) -> Catalog | SessionCatalog | None:
        """The catalog a ``schema.name`` qualifier means: both sides when there is none."""
        if schema is None:
            return self
        low = schema.lower()
        return self.main if low == "main" else self.temp if low == "temp" else None

    def owner(self, name: str, kind: str) -> Catalog | None:
        """The side that holds the ``kind`` ("tables", "views", "indexes") called ``name``:
        the temporary one first, as name resolution goes."""
        return self.temp.owner(name, kind) or self.main.owner(name, kind)

    def home(self, name: str) -> Catalog | None:
        """The side a bare ``name`` of a table or view resolves to: the temporary one first
        (tables and views share one namespace per side, so a temporary table hides a main
        view of the same name)."""
        return self.temp.home(name) or self.main.home(name)

    def relation(self, name: str) -> Any:
        """The table or ``View`` a bare ``name`` means, or None."""
        home = self.home(name)
        return None if home is None else home.relation(name)
