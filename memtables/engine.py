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
from .versions import newest_row, reshaped


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
    def create_table(
        self, txn: Transaction, schema: Schema, catalog: Catalog | None = None
    ) -> Table:
        """Create a table (undone if ``txn`` rolls back) in ``catalog``: the main one, or a
        connection's temporary catalog, whose tables are never logged nor snapshotted."""
        cat = catalog or self.catalog
        self._claim_name(schema.name, cat)
        table = Table(schema)
        if cat.temporary:
            table.durable = False
            table.temporary = True
        opts = schema.options
        if opts.get("cache"):
            table.cache = Cache(
                opts.get("eviction", "noeviction"),
                opts.get("max_rows"),
                opts.get("max_memory"),
                opts.get("default_ttl"),
                clock=self.clock,  # fixed when the engine is made
                lfu_decay=opts.get("lfu_decay", 60.0),
            )
        low = schema.name.lower()
        with self.txns.lock:
            cat.tables[low] = table
            _add_unique_indexes(table)

            def undo() -> None:
                cat.tables.pop(low, None)
                cat.changed()

            txn.add_ddl(undo, _record(cat, "create_table", schema))
            cat.changed()
        return table

    def drop_table(self, txn: Transaction, name: str, catalog: Catalog | None = None) -> None:
        """Drop a table and its indexes (restored if ``txn`` rolls back)."""
        cat = catalog or self.catalog
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

            txn.add_ddl(undo, _record(cat, "drop_table", table.name))
            cat.changed()

    def create_view(self, txn: Transaction, view: View, catalog: Catalog | None = None) -> None:
        """Create a view."""
        cat = catalog or self.catalog
        self._claim_name(view.name, cat)
        low = view.name.lower()
        cat.views[low] = view

        def undo() -> None:
            cat.views.pop(low, None)
            cat.changed()

        txn.add_ddl(undo, _record(cat, "create_view", view.name, view.sql, view.columns))
        cat.changed()

    def drop_view(self, txn: Transaction, name: str, catalog: Catalog | None = None) -> None:
        """Drop a view."""
        cat = catalog or self.catalog
        low = name.lower()
        view = cat.views.get(low)
        if view is None:
            raise UndefinedTable(f"no such view: {name}")
        del cat.views[low]

        def undo() -> None:
            cat.views[low] = view
            cat.changed()

        txn.add_ddl(undo, _record(cat, "drop_view", view.name))
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

    def create_index(self, txn: Transaction, index: Any, catalog: Catalog | None = None) -> None:
        """Attach ``index`` to its table (in ``catalog``), built from the rows already there."""
        cat = catalog or self.catalog
        self._claim_name(index.name, cat)
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

            txn.add_ddl(undo, _record(cat, "create_index", index, table))
            cat.changed()

    def drop_index(self, txn: Transaction, name: str, catalog: Catalog | None = None) -> None:
        """Drop an index."""
        cat = catalog or self.catalog
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

            txn.add_ddl(undo, _record(cat, "drop_index", index.name))
            cat.changed()

    def alter_table(
        self,
        txn: Transaction,
        table: Table,
        schema: Schema,
        reshape,
        indexes,
        views,
        record,
        check_rows: bool = False,
    ) -> Table:
        """Replace ``table`` by a new table with ``schema`` (ALTER TABLE); undone if ``txn``
        rolls back.

        Every version of every row becomes ``reshape(row)``, so snapshots older than the
        change read their own rows in the new shape; the old table object is left as it was
        for statements compiled against it, which its barrier stops from writing.
        ``indexes`` are the new table's named indexes (filled here), ``views`` the views
        whose definitions change with it, ``record`` what the redo log keeps. With
        ``check_rows`` the rows' newest versions are checked against the new schema (types,
        NOT NULL, CHECK) before anything changes.  O(versions + index entries).
        """
        with self.txns.lock:
            self._refuse_if_busy(txn, table, "alter")
            if table.barrier is not None:
                table.barrier(txn)
            memo: dict = {}
            logged = _logged_entries(txn, table)

            def convert(e):
                return reshaped(e, reshape, memo, logged)

            new = _rebuilt(table, schema, convert, indexes, check_rows)
            swap = _CatalogSwap(self.catalog, table, new, indexes, views)

            def undo() -> None:
                back = {id(n): o for o, n in memo.values()}  # the log's entries included
                _move_writes(txn, new, table, lambda e: back.get(id(e), e))
                swap.undo()

            txn.add_ddl(undo, record)  # first: it logs earlier rows in their old shape
            for other in list(self.txns.active.values()):
                # what SERIALIZABLE readers of the old table read was compiled for its shape:
                # any later change to the new table conflicts with them
                if other.reads and any(r[0] is table for r in list(other.reads)):
                    other.reads.add((new, None, None))
            _move_writes(txn, table, new, convert)
            self.txns.carry_garbage(table, new)
            swap.apply()
            table.barrier = _retired(table.name)
            new.barrier = _altering(txn, new)
            self.catalog.changed()
        return new

    @staticmethod
    def _claim_name(name: str, cat: Catalog) -> None:
        kind = cat.name_taken(name)
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


def _record(cat: Catalog, *change) -> tuple:
    """What the redo log is told of a schema change: nothing, for a temporary object."""
    return ("temporary",) if cat.temporary else change


def _add_unique_indexes(table: Table, like: list | None = None) -> None:
    """The hash indexes that enforce a table's UNIQUE constraints (copied from ``like``, the
    same constraints' indexes in the table this one replaces)."""
    schema = table.schema
    for n, cols in enumerate(schema.uniques):
        index = HashIndex(f"{schema.name}_unique_{n + 1}", schema.name, cols, True)
        index.implicit = True
        table.add_index(index, None if like is None else like[n])


def _rebuilt(table: Table, schema: Schema, convert, indexes, check_rows: bool) -> Table:
    """A new table with ``schema`` holding ``table``'s entries, each ``convert``-ed, and its
    indexes (``indexes``: the named ones, new objects)."""
    new = Table(schema)
    new.rows = {k: convert(e) for k, e in table.rows.items()}
    if check_rows:
        for e in new.rows.values():
            row = newest_row(e)
            if row is not None:
                new.checked_row(row)
    new.next_rowid = table.next_rowid
    # the indexes hold the same values of the same rows: their entries are copied
    implicit = [ix for ix in table.indexes if ix.implicit]
    _add_unique_indexes(new, implicit if len(implicit) == len(schema.uniques) else None)
    named = {ix.name.lower(): ix for ix in table.indexes if not ix.implicit}
    for index in indexes:
        new.add_index(index, named.get(index.name.lower()))
    return new


class _CatalogSwap:
    """The catalog's side of ALTER TABLE: the new table, its indexes and rewritten views in
    place of the old ones (``apply``), and back (``undo``)."""

    def __init__(self, cat: Catalog, old: Table, new: Table, indexes, views: dict):
        self.cat, self.old, self.new = cat, old, new
        low = old.name.lower()
        self.old_indexes = {k: v for k, v in cat.indexes.items() if v.table_name.lower() == low}
        self.new_indexes = {ix.name.lower(): ix for ix in indexes}
        self.old_views = {k: cat.views[k] for k in views}
        self.new_views = views

    def apply(self) -> None:
        cat = self.cat
        del cat.tables[self.old.name.lower()]
        cat.tables[self.new.name.lower()] = self.new
        for k in self.old_indexes:
            del cat.indexes[k]
        cat.indexes.update(self.new_indexes)
        cat.views.update(self.new_views)

    def undo(self) -> None:
        cat = self.cat
        del cat.tables[self.new.name.lower()]
        cat.tables[self.old.name.lower()] = self.old
        for k in self.new_indexes:
            cat.indexes.pop(k, None)
        cat.indexes.update(self.old_indexes)
        cat.views.update(self.old_views)
        self.old.barrier = None
        self.new.barrier = _retired(self.new.name)
        cat.changed()


def _logged_entries(txn: Transaction, table: Table) -> set:
    """The ids of the entries ``txn``'s write log holds for ``table``."""
    log = txn.log
    out = set()
    for i in range(0, len(log), 5):
        if log[i] is table:
            out.update((id(log[i + 2]), id(log[i + 3])))
    return out


def _move_writes(txn: Transaction, old: Table, new: Table, convert) -> None:
    """Point ``txn``'s logged writes (and rowid moves) in ``old`` at ``new``, their entries
    converted, so undo and commit stamping find them where they now are."""
    log = txn.log
    for i in range(0, len(log), 5):
        if log[i] is old:
            log[i] = new
            log[i + 2] = convert(log[i + 2])
            log[i + 3] = convert(log[i + 3])
            log[i + 4] = convert(log[i + 4])
    r = txn.rowids
    for i in range(1, len(r), 4):
        if r[i] is old:
            r[i] = new


def _retired(name: str):
    def barrier(txn) -> None:
        raise OperationalError(
            f"table {name} was changed by ALTER TABLE after this statement was prepared; "
            "run it again"
        )

    return barrier


def _altering(owner: Transaction, table: Table):
    def barrier(txn) -> None:
        if txn is owner:
            return
        if owner.state == "committed":
            table.barrier = None
            return
        raise OperationalError(
            f"table {table.name} is being altered by a transaction that has not committed; "
            "try again when it ends"
        )

    return barrier
