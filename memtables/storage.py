"""Row tables: primary key → the row's versions (the entry format is in ``versions.py``),
the write path (insert, update, delete), undo, commit stamping and version collection.

Rows are checked against the schema by the code ``rowcheck.py`` generates; who may write a
key (first updater wins, free keys, UNIQUE values) is decided in ``conflicts.py``.
"""

from __future__ import annotations

from bisect import bisect_left
from operator import itemgetter
from typing import Any, Callable, Iterator

from .catalog import Schema
from .conflicts import check_unique, insert_base, writable_head
from .errors import DataError, NotNullViolation
from .rowcheck import row_coercer, run_checks, value_check
from .types import INT_MAX
from .versions import (
    INF,
    TXN_BASE,
    Version,
    chain,
    entry_rows,
    newest_row,
    visible,
)


class Table:
    """A row table: its schema, the row entries by key and the secondary indexes.

    Every write appends five items to the transaction's log: the table, the key, the entry
    before and after, and the version whose ``end`` the write set (or None). Undo puts the
    ``before`` entry back.
    """

    def __init__(self, schema: Schema):
        self.schema = schema
        self.name = schema.name
        self.rows: dict[Any, Any] = {}
        self.indexes: list[Any] = []
        self.next_rowid = 1
        self.durable = bool(schema.options.get("durable", True))
        self.temporary = False  # a connection's TEMP table (never logged): see Engine
        pk = schema.primary_key
        self.key_of = itemgetter(*pk) if pk else None
        self._int_key_pos = pk[0] if schema.integer_key else None
        #: keys are integers counted by ``next_rowid`` (INTEGER PRIMARY KEY or hidden rowid):
        #: whoever installs a committed row directly moves the counter past its key
        self.rowid_keys = self.key_of is None or schema.integer_key
        self._coerce = row_coercer(schema)
        self._checks = schema.checks
        #: ``checked_row`` in one call (the key-value face's writes call it per key)
        self.check_row: Callable[[tuple], tuple] = (
            self.checked_row if self._checks else self._coerce
        )
        self.unique_indexes: list[Any] = []  # the unique indexes among ``indexes``
        self.cache = None  # a memtables.cache.Cache for cache tables
        #: None, or ``barrier(txn)`` that raises when ``txn`` may not write here: the table
        #: was replaced by ALTER TABLE (a statement compiled before it), or an ALTER that has
        #: not committed yet made it. Write statements call it once per execution.
        self.barrier: Callable[[Any], None] | None = None

    # ------------------------------------------------------------ reading
    @property
    def columns(self):
        """The schema's columns, in order."""
        return self.schema.columns

    def get(self, txn, key: Any) -> tuple | None:
        """The row with ``key`` visible to ``txn``, or None.  O(1)."""
        e = self.rows.get(key)
        if e is None:
            return None
        if type(e) is tuple and e[1] <= txn.ts:
            return e[0]
        return visible(e, txn.ts, txn.marker)

    def scan(self, txn) -> Iterator[tuple[Any, tuple]]:
        """(key, row) for every row visible to ``txn``, in insertion order."""
        ts, me = txn.ts, txn.marker
        for key, e in list(self.rows.items()):
            if type(e) is tuple and e[1] <= ts:
                row = e[0]
            else:
                row = visible(e, ts, me)
            if row is not None:
                yield key, row

    def count(self, txn) -> int:
        """Number of rows visible to ``txn``.  O(n)."""
        return sum(1 for _ in self.scan(txn))

    # ------------------------------------------------------------ writing
    def checked_row(self, row: tuple) -> tuple:
        """``row`` in its stored form, once its length, types, NOT NULL and CHECK
        constraints pass; writes nothing."""
        row = self._coerce(row)
        if self._checks:
            run_checks(self._checks, row)
        return row

    def insert(self, txn, row: tuple) -> Any:
        """Insert a full row (values in column order) on behalf of ``txn``; return its key.

        A NULL INTEGER PRIMARY KEY (or the hidden rowid) is assigned the next free number.
        """
        row = self._coerce(row)  # ``checked_row``, inlined: every INSERT runs this
        if self._checks:
            run_checks(self._checks, row)
        pos = self._int_key_pos
        if pos is not None:
            key = row[pos]
            if key is None:
                key = self.next_rowid
                if key > INT_MAX:
                    raise DataError(f"table {self.name}: INTEGER PRIMARY KEY space exhausted")
                row = row[:pos] + (key,) + row[pos + 1 :]
        elif self.key_of is None:
            key = self.next_rowid
        else:
            key = self.key_of(row)
            self._insert_checked(txn, key, row)
            return key
        self._insert_checked(txn, key, row)
        if key >= self.next_rowid:  # only once the row is in: a failed insert takes no number
            self._move_rowid(txn, key + 1)
        return key

    def _move_rowid(self, txn, after: int) -> None:
        """Advance the rowid counter for a write ``txn`` has just logged; the transaction
        puts it back if that write is undone, so failed statements leave no gap."""
        before = self.next_rowid
        self.next_rowid = after
        txn.moved_rowid(self, before, after)

    def _insert_checked(self, txn, key: Any, row: tuple) -> None:
        """Insert a checked row under ``key``.  O(1) plus the indexes."""
        me = txn.marker
        head = self.rows.get(key)
        if head is not None and self.cache is not None:
            head = self._drop_expired(txn, key, head)
        if head is None:
            new = (row, me)
        elif type(head) is tuple and len(head) == 4 and head[1] == me and head[0] is None:
            new = (row, me, head[2], head[3])  # we deleted it in this transaction
        else:
            new = Version(row, me, INF, insert_base(self, txn, key, head))
        if self.unique_indexes:
            check_unique(self, txn, key, row, None)
        self.rows[key] = new
        txn.log += (self, key, head, new, None)
        for index in self.indexes:
            index.add(index.key_of(row), key)
        if self.cache is not None:
            self.cache.on_put(key, row)

    def _drop_expired(self, txn, key: Any, head: Any) -> Any:
        """A cache row whose TTL has passed gives way to a new row with its key."""
        row = visible(head, txn.ts, txn.marker)
        if row is None or row[-1] is None or row[-1] > self.cache.clock():
            return head
        self.delete(txn, key)
        self.cache.expirations += 1
        return self.rows.get(key)

    def update(self, txn, key: Any, row: tuple) -> Any:
        """Replace the row at ``key`` (visible to ``txn``) with ``row``; return the new key."""
        row = self.checked_row(row)
        key_of = self.key_of
        new_key = key if key_of is None else key_of(row)
        if new_key is None:
            col = self.schema.columns[self.schema.primary_key[0]]
            raise NotNullViolation(f"NOT NULL constraint failed: {self.name}.{col.name}")
        if new_key != key or type(new_key) is not type(key):
            self.delete(txn, key)
            self._insert_checked(txn, new_key, row)
            if self.schema.integer_key and new_key >= self.next_rowid:
                self._move_rowid(txn, new_key + 1)
            return new_key
        head = writable_head(self, txn, key, "update")
        me = txn.marker
        if type(head) is tuple:
            if head[1] != me:  # a committed row (see writable_head): keep it beside our change
                self._update_committed(txn, key, head, row)
                return key
            if self.unique_indexes:
                check_unique(self, txn, key, row, head[0])
            # our own insert (nobody else sees it) or our own update again
            new = (row, me) if len(head) == 2 else (row, me, head[2], head[3])
            self.rows[key] = new
            txn.log += (self, key, head, new, None)
            self.sync_indexes(key, head, new)
            if self.cache is not None:
                self.cache.on_put(key, row)
            return key
        old_row = head.row
        if self.unique_indexes:
            check_unique(self, txn, key, row, old_row)
        head.end = me
        new = Version(row, me, INF, head)
        self.rows[key] = new
        txn.log += (self, key, head, new, head)
        for index in self.indexes:
            ik = index.key_of(row)
            if ik != index.key_of(old_row):
                index.add(ik, key)
        if self.cache is not None:
            self.cache.on_put(key, row)
        return key

    def update_stable(self, txn, key: Any, head: tuple, row: tuple) -> None:
        """``update`` when the caller has already found the stable committed entry ``head``
        (a ``(row, begin)`` pair visible to ``txn``, see ``versions.stable_code``) at ``key``
        and checked the types of ``row``, which keeps the key: the write of an
        ``UPDATE ... WHERE key = ?``.  O(1) plus the indexes."""
        if self._checks:
            run_checks(self._checks, row)
        self._update_committed(txn, key, head, row)

    def _update_committed(self, txn, key: Any, head: tuple, row: tuple) -> None:
        """Write ``row`` beside the committed row of ``head``, which snapshots still read."""
        old_row = head[0]
        if self.unique_indexes:
            check_unique(self, txn, key, row, old_row)
        new = (row, txn.marker, old_row, head[1])
        self.rows[key] = new
        txn.log += (self, key, head, new, None)
        for index in self.indexes:
            ik = index.key_of(row)
            if ik != index.key_of(old_row):
                index.add(ik, key)
        if self.cache is not None:
            self.cache.on_put(key, row)

    def value_check(self, pos: int) -> Callable[[Any], Any]:
        """The check of one column's value (type and NOT NULL) that ``checked_row``
        applies."""
        return value_check(self.schema, pos)

    def delete(self, txn, key: Any) -> None:
        """Delete the row at ``key`` (visible to ``txn``)."""
        head = writable_head(self, txn, key, "delete")
        me = txn.marker
        rows = self.rows
        if type(head) is tuple:
            if head[1] != me:
                new = (None, me, head[0], head[1])
            elif len(head) == 2:  # our own insert: it simply goes
                new = None
            else:
                new = (None, me, head[2], head[3])
            if new is None:
                del rows[key]
            else:
                rows[key] = new
            txn.log += (self, key, head, new, None)
            if head[1] == me:
                self.sync_indexes(key, head, new)
        else:
            head.end = me
            txn.log += (self, key, head, head, head)
        if self.cache is not None:
            self.cache.on_remove(key)

    # ------------------------------------------------------------ transaction support
    def undo(self, key: Any, before: Any, after: Any, touched: Version | None) -> None:
        """Take back one write of a transaction (newest write first)."""
        if self.rows.get(key) is not after:
            # only when the write deleted our own insert: the key was free, and another
            # transaction's row now holds it
            return
        if before is None:
            self.rows.pop(key, None)
        else:
            self.rows[key] = before
        if touched is not None:
            touched.end = INF
        self.sync_indexes(key, after, before)
        if self.cache is not None:
            row = newest_row(before)
            if row is None:
                self.cache.on_remove(key)
            else:
                self.cache.on_put(key, row)

    def stamp(self, key: Any, me: int, cts: int) -> bool:
        """Replace ``me``'s markers at ``key`` by the commit timestamp ``cts``.

        Runs before the commit is published, so readers see either all of a transaction's
        changes or none. Returns True when superseded versions remain for ``prune``.
        """
        rows = self.rows
        e = rows.get(key)
        if e is None:
            return False
        if type(e) is tuple:
            if e[1] != me:
                return False
            if len(e) == 2:
                rows[key] = (e[0], cts)
                return False
            rows[key] = (e[0], cts, e[2], e[3])
            return True
        v = e
        while v is not None and (v.begin == me or v.end == me):
            if v.begin == me:
                v.begin = cts
            if v.end == me:
                v.end = cts
            v = v.prev
        return True

    def prune(self, key: Any, snapshots: list) -> int | None:
        """Drop the versions at ``key`` that none of the active ``snapshots`` reads.

        ``snapshots`` are the sorted snapshot timestamps of running transactions. Returns
        the timestamp after which the entry can be collapsed further, or None when nothing
        is left to collect.  O(chain length × log(snapshots)).
        """
        e = self.rows.get(key)
        if e is None:
            return None

        def read_by_snapshot(v: Version) -> bool:
            i = bisect_left(snapshots, v.begin)
            return i < len(snapshots) and snapshots[i] < v.end

        if type(e) is tuple:
            if len(e) == 2 or e[1] >= TXN_BASE:
                return None
            b = e[1]  # a committed update or delete: does a snapshot still read the old row?
            i = bisect_left(snapshots, e[3])
            if i < len(snapshots) and snapshots[i] < b:
                return b
            self.collapse(key, e, b)
            return None
        before = list(entry_rows(e)) if self.indexes else None

        if e.end < TXN_BASE and not any(read_by_snapshot(v) for v in chain(e)):
            del self.rows[key]  # deleted, and no snapshot reads any version
            if self.cache is not None:
                self.cache.on_remove(key)
            if before:
                self._sync_rows(key, before, [])
            return None
        last = e
        v = e.prev
        while v is not None:
            if v.end >= TXN_BASE or read_by_snapshot(v):
                last.prev = v
                last = v
            v = v.prev
        last.prev = None
        if e.prev is None and e.end == INF and e.begin < TXN_BASE:
            self.rows[key] = (e.row, e.begin)
            later = None
        elif e.begin >= TXN_BASE:
            later = None  # a writer is in flight; its commit queues the row again
        else:
            later = e.begin if e.end == INF else e.end
        if before:
            self._sync_rows(key, before, list(entry_rows(self.rows.get(key))))
        return later

    def collapse(self, key: Any, e: tuple, begin: int) -> None:
        """Drop the old row of update (or delete) entry ``e``, which no snapshot reads any
        more, leaving its new row committed at ``begin``."""
        row = e[0]
        if row is None:
            del self.rows[key]
            for index in self.indexes:
                index.discard(index.key_of(e[2]), key)
            if self.cache is not None:
                self.cache.on_remove(key)
            return
        self.rows[key] = (row, begin)
        old = e[2]
        for index in self.indexes:
            key_of = index.key_of
            ik = key_of(old)
            if ik != key_of(row):
                index.discard(ik, key)

    def sync_indexes(self, key: Any, old: Any, new: Any) -> None:
        """Make index entries for ``key`` reflect entry ``new`` where ``old`` was (either may
        be None); for writes that replace ``rows[key]`` directly.  O(versions × indexes)."""
        if self.indexes:
            self._sync_rows(key, list(entry_rows(old)), list(entry_rows(new)))

    def _sync_rows(self, key: Any, old_rows: list, new_rows: list) -> None:
        if len(new_rows) == 1 and len(old_rows) == 2 and old_rows[0] is new_rows[0]:
            row, gone = new_rows[0], old_rows[1]  # an update collapsing to its new version
            for index in self.indexes:
                ik = index.key_of(gone)
                if ik != index.key_of(row):
                    index.discard(ik, key)
            return
        for index in self.indexes:
            key_of = index.key_of
            old = {key_of(r) for r in old_rows}
            new = {key_of(r) for r in new_rows}
            for ik in old - new:
                index.discard(ik, key)
            for ik in new - old:
                index.add(ik, key)

    def add_index(self, index, like=None) -> None:
        """Attach ``index`` and fill it from every version of every row, or copy the
        entries of ``like``, an index of the same values in the table this one replaces."""
        if like is not None and _same_layout(index, like):
            index.take_entries(like)
        else:
            for key, e in self.rows.items():
                for row in entry_rows(e):
                    index.add(index.key_of(row), key)
        self.indexes.append(index)
        if index.unique:
            self.unique_indexes.append(index)

    def remove_index(self, index) -> None:
        """Detach ``index``."""
        self.indexes.remove(index)
        if index in self.unique_indexes:
            self.unique_indexes.remove(index)

    def _check(self) -> None:
        """Assert the invariants of entries, chains and indexes (tests call this)."""
        for key, e in self.rows.items():
            if type(e) is tuple:
                assert len(e) in (2, 4), (key, e)
            else:
                v = e
                while v is not None:
                    assert v.begin <= v.end or v.end == INF, (key, v)
                    v = v.prev
            for row in entry_rows(e):
                for index in self.indexes:
                    assert key in index.lookup(index.key_of(row)), (index.name, key, row)
        for index in self.indexes:
            index._check(self)


def _same_layout(index, like) -> bool:
    """Whether ``index`` keeps its entries as ``like`` does (kind, width, key encoding)."""
    return (
        type(index) is type(like)
        and len(index.columns) == len(like.columns)
        and getattr(index, "raw", None) == getattr(like, "raw", None)
        and getattr(index, "mixed_keys", None) == getattr(like, "mixed_keys", None)
    )
