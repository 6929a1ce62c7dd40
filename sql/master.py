"""SQLite's names for its schema tables (``sqlite_master``, ``sqlite_schema``,
``sqlite_temp_master``, ``sqlite_temp_schema``) and what they mean here.

Their rows are system tables of ``systables.py`` under keys no ``sys.`` name reaches; the
binder finds them by these bare names before any table of the user's (SQLite reserves them),
and the write paths refuse them as SQLite does.
"""

from __future__ import annotations

from ..errors import OperationalError
from ..types import INTEGER, TEXT

MASTER_COLUMNS = [
    ("type", TEXT),
    ("name", TEXT),
    ("tbl_name", TEXT),
    ("rootpage", INTEGER),
    ("sql", TEXT),
]
# bare name → (the side it describes, its canonical name)
MASTER_NAMES = {
    "sqlite_master": ("main", "sqlite_master"),
    "sqlite_schema": ("main", "sqlite_master"),
    "sqlite_temp_master": ("temp", "sqlite_temp_master"),
    "sqlite_temp_schema": ("temp", "sqlite_temp_master"),
}
MASTER_KEYS = {"main": "sqlite:master", "temp": "sqlite:temp_master"}
#: the ``systables`` key of the factory of SQLite's table-valued pragma functions
#: (``pragma_table_info('t')``): ``make(name)`` → (rows function, least and most arguments,
#: column names, hidden column names), or None for another name
PRAGMA_FUNCTIONS = "pragma:functions"


def master_source(name: str, schema: str | None) -> tuple[str, str] | None:
    """For a table reference ``schema.name`` that means one of SQLite's schema tables: the
    ``systables`` key of its rows and its canonical name (for messages); else None.
    ``temp.sqlite_master`` is ``sqlite_temp_master``, as in SQLite."""
    found = MASTER_NAMES.get(name.lower())
    if found is None:
        return None
    side, canonical = found
    if schema is not None:
        low = schema.lower()
        if low == "temp":
            side, canonical = "temp", "sqlite_temp_master"
        elif low != "main" or side == "temp":
            return None
    return MASTER_KEYS[side], canonical


def pragma_side(catalog, schema: str | None):
    """The names a PRAGMA's ``schema.`` prefix picks: the connection's ``catalog`` (both
    sides, temporary first) when there is none; an unknown schema is refused as in SQLite."""
    side = catalog.scoped(schema)
    if side is None:
        raise OperationalError(f"unknown database {schema}")
    return side
