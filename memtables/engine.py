"""The engine: catalog, tables and transactions behind a small programmatic API.

The query layer compiles against this API and tests can drive it directly::

    eng = Engine()
    txn = eng.begin()
    t = eng.create_table(txn, Schema("t", [Column("id", INTEGER)], primary_key=(0,)))
    t.insert(txn, (1,))
    txn.commit()
"""

from __future__ import annotations

import time
from typing import Any

from .cache import Cache
from .catalog import Catalog, Schema, Trigger, View
from .conflicts import refuse_duplicates
from .errors import OperationalError, ProgrammingError, UndefinedTable
from .indexes import HashIndex
from .storage import Table
from .txn import SNAPSHOT, Transaction, TransactionManager


class Engine:
    """One database's data: catalog, tables and the transaction manager."""

    def __init__(self, clock=None) -> None:
        self.catalog = Catalog()
        self.txns = TransactionManager()
        #: seconds, as time.time gives them; TTLs of cache tables are measured with it
        self.clock = clock or time.time
        #: the query layer's ``sys.*`` tables for this engine, built by it on first use (the
        #: engine never reads them; it only keeps them for as long as it lives)
        self.system_tables: dict | None = None

    # ------------------------------------------------------------ transactions
    def begin(self, isolation: str = SNAPSHOT) -> Transaction:
        """Start a transaction."""
        return self.txns.begin(isolation)

    # ------------------------------------------------------------ recovery
    def apply_put(self, table: Table, key: Any, row: tuple, ts: int) -> None:
        """Install a committed row directly (redo log replay, snapshot load)."""
        rows = table.rows
        old = rows.get(key)
        new = rows[key] = (row, ts)
        if table.indexes:
            table.sync_indexes(key, old, new)
        if table.cache is not None:
            table.cache.on_put(key, row)
        if table.rowid_keys and key >= table.next_rowid:
            table.next_rowid = key + 1

    def apply_delete(self, table: Table, key: Any) -> None:
        """Remove a committed row directly (redo log replay)."""
        old = table.rows.pop(key, None)
        if old is not None and table.indexes:
            table.sync_indexes(key, old, None)
        if old is not None and table.cache is not None:
            table.cache.on_remove(key)

    def load_rows(self, table: Table, keys: list, rows: list, ts: int) -> None:
        """Bulk-install committed rows into an empty table (snapshot load)."""
        stamped = [(r, ts) for r in rows]
        table.rows.update(zip(keys, stamped))
        for index in table.indexes:  # those made for UNIQUE constraints already exist
            key_of, add = index.key_of, index.add
            for k, r in zip(keys, rows):
                add(key_of(r), k)
        if table.cache is not None:
            for k, r in zip(keys, rows):
                table.cache.on_put(k, r)
        if keys and table.rowid_keys:
            table.next_rowid = max(table.next_rowid, max(keys) + 1)

    # ------------------------------------------------------------ DDL
    def create_table(self, txn: Transaction, schema: Schema) -> Table:
        """Create a table (undone if ``txn`` rolls back)."""
        self._claim_name(schema.name)
        table = Table(schema)
        opts = schema.options
        if opts.get("cache"):
            table.cache = Cache(
                opts.get("eviction", "noeviction"),
                opts.get("max_rows"),
                opts.get("max_memory"),
                opts.get("default_ttl"),
                clock=lambda: self.clock(),
                lfu_decay=opts.get("lfu_decay", 60.0),
            )
        low = schema.name.lower()
        cat = self.catalog
        with self.txns.lock:
            cat.tables[low] = table
            for n, cols in enumerate(schema.uniques):
                index = HashIndex(f"{schema.name}_unique_{n + 1}", schema.name, cols, True)
                index.implicit = True
                table.add_index(index)

            def undo() -> None:
                cat.tables.pop(low, None)
                cat.changed()

            txn.add_ddl(undo, ("create_table", schema))
            cat.changed()
        return table

    def drop_table(self, txn: Transaction, name: str) -> None:
        """Drop a table and its indexes (restored if ``txn`` rolls back)."""
        cat = self.catalog
        low = name.lower()
        table = cat.table(name)
        with self.txns.lock:
            self._refuse_if_busy(txn, table, "drop")
            del cat.tables[low]
            dropped = {k: v for k, v in cat.indexes.items() if v.table_name.lower() == low}
            for k in dropped:
                del cat.indexes[k]
            triggers = dict(cat.triggers)  # a table's triggers go with it, as in SQLite
            for k, trig in triggers.items():
                if trig.table.lower() == low:
                    del cat.triggers[k]

            def undo() -> None:
                cat.tables[low] = table
                cat.indexes.update(dropped)
                cat.triggers.clear()
                cat.triggers.update(triggers)  # in their order of creation, as before
                cat.changed()

            txn.add_ddl(undo, ("drop_table", table.name))
            cat.changed()

    def create_view(self, txn: Transaction, view: View) -> None:
        """Create a view."""
        self._claim_name(view.name)
        cat = self.catalog
        low = view.name.lower()
        cat.views[low] = view

        def undo() -> None:
            cat.views.pop(low, None)
            cat.changed()

        txn.add_ddl(undo, ("create_view", view.name, view.sql, view.columns))
        cat.changed()

    def drop_view(self, txn: Transaction, name: str) -> None:
        """Drop a view."""
        cat = self.catalog
        low = name.lower()
        view = cat.views.get(low)
        if view is None:
            raise UndefinedTable(f"no such view: {name}")
        del cat.views[low]

        def undo() -> None:
            cat.views[low] = view
            cat.changed()

        txn.add_ddl(undo, ("drop_view", view.name))
        cat.changed()

    def create_trigger(self, txn: Transaction, trigger: Trigger) -> None:
        """Add a trigger to its table (removed if ``txn`` rolls back)."""
        cat = self.catalog
        low = trigger.name.lower()
        if low in cat.triggers:
            raise ProgrammingError(f"trigger {trigger.name} already exists")
        cat.table(trigger.table)
        with self.txns.lock:
            cat.triggers[low] = trigger

            def undo() -> None:
                cat.triggers.pop(low, None)
                cat.changed()

            txn.add_ddl(undo, ("create_trigger", trigger))
            cat.changed()

    def drop_trigger(self, txn: Transaction, name: str) -> None:
        """Drop a trigger (restored, in its place among the others, if ``txn`` rolls back)."""
        cat = self.catalog
        low = name.lower()
        if low not in cat.triggers:
            raise ProgrammingError(f"no such trigger: {name}")
        with self.txns.lock:
            before = dict(cat.triggers)
            trigger = cat.triggers.pop(low)

            def undo() -> None:
                cat.triggers.clear()
                cat.triggers.update(before)
                cat.changed()

            txn.add_ddl(undo, ("drop_trigger", trigger.name))
            cat.changed()

    def create_index(self, txn: Transaction, index: Any) -> None:
        """Attach ``index`` to its table, built from the rows already there."""
        self._claim_name(index.name)
        cat = self.catalog
        table = cat.table(index.table_name)
        low = index.name.lower()
        with self.txns.lock:
            if index.unique:
                refuse_duplicates(table, index, txn)
            table.add_index(index)
            cat.indexes[low] = index

            def undo() -> None:
                cat.indexes.pop(low, None)
                table.remove_index(index)
                cat.changed()

            txn.add_ddl(undo, ("create_index", index, table))
            cat.changed()

    def drop_index(self, txn: Transaction, name: str) -> None:
        """Drop an index."""
        cat = self.catalog
        low = name.lower()
        index = cat.indexes.get(low)
        if index is None:
            raise ProgrammingError(f"no such index: {name}")
        table = cat.tables.get(index.table_name.lower())
        with self.txns.lock:
            del cat.indexes[low]
            if table is not None:
                table.remove_index(index)

            def undo() -> None:
                cat.indexes[low] = index
                if table is not None:
                    table.add_index(index)
                cat.changed()

            txn.add_ddl(undo, ("drop_index", index.name))
            cat.changed()

    def _claim_name(self, name: str) -> None:
        kind = self.catalog.name_taken(name)
        if kind is not None:
            raise ProgrammingError(f"{kind} {name} already exists")

    def _refuse_if_busy(self, txn: Transaction, table: Table, verb: str) -> None:
        """Refuse DDL on a table that another transaction has uncommitted writes in."""
        for other in list(self.txns.active.values()):
            if other is not txn and any(t is table for t in other.log[0::5]):
                raise OperationalError(
                    f"cannot {verb} table {table.name}: a concurrent transaction has "
                    "uncommitted changes in it"
                )
