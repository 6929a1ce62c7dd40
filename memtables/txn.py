"""Transactions: the logical clock, begin/commit/rollback, and version collection.

Commit happens under one lock: validate, take the next timestamp, hand the changes to the
commit log (the redo log implements the ``CommitLog`` protocol; ``txn`` never imports it),
stamp the versions, then publish the timestamp so new snapshots include the commit. Readers
never take the lock.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from typing import Any, Callable, Protocol

from .errors import InternalError, OperationalError, SerializationFailure
from .gcpause import gc_paused
from .versions import TXN_BASE, visible

SNAPSHOT = "SNAPSHOT"
SERIALIZABLE = "SERIALIZABLE"


def visible_row(entry, me: int):
    """The row transaction ``me`` sees at an entry it wrote (None when it deleted it)."""
    return None if entry is None else visible(entry, -1, me)


def committed_row(entry):
    """The newest committed row of an entry as it was before a transaction wrote to it."""
    return None if entry is None else visible(entry, TXN_BASE - 1, -1)


class CommitLog(Protocol):
    """Where committed changes go before they become visible (the redo log)."""

    def append(self, commit_ts: int, changes: list) -> Any:
        """Record one committed transaction; return a token for ``wait``."""

    def wait(self, token: Any) -> None:
        """Return once the record behind ``token`` is as durable as the sync mode promises."""


class Transaction:
    """One transaction: its snapshot timestamp, its marker, its write log and (SERIALIZABLE
    only) what it read, as (table, predicate, parameters) to check at commit."""

    __slots__ = (
        "id",
        "ts",
        "marker",
        "log",
        "isolation",
        "state",
        "manager",
        "ddl",
        "reads",
        "started",
        "rowids",
        "named",
        "_rowid_floor",
        "session",
        "__weakref__",
    )

    def __init__(self, manager: TransactionManager, tid: int, ts: int, isolation: str):
        self.manager = manager
        self.id = tid
        self.ts = ts
        self.marker = TXN_BASE + tid
        self.log: list = []
        self.ddl: list = []
        self.isolation = isolation
        self.reads: set | None = set() if isolation == SERIALIZABLE else None
        self.state = "active"
        self.started = time.time()
        # per run of rowid moves: log position, table, counter before, counter after; flat,
        # like ``log``, so that a long transaction adds no objects for the collector
        self.rowids: list = []
        self._rowid_floor = 0  # a run never extends back across a savepoint
        # SQL's named savepoints, oldest first: (lower-case name, mark, opened the
        # transaction); None until the first, so a one-statement transaction builds no list
        self.named: list | None = None
        # whatever the connection running this transaction hands its compiled statements
        # (its counters, for changes() and last_insert_rowid()); opaque to the engine
        self.session: Any = None

    @property
    def active(self) -> bool:
        return self.state == "active"

    def set_isolation(self, isolation: str) -> None:
        """Change the isolation level before the transaction has done anything."""
        self.isolation = isolation
        self.reads = set() if isolation == SERIALIZABLE else None

    def savepoint(self) -> tuple[int, int]:
        """A mark to roll back to if the current statement fails."""
        self._rowid_floor = n = len(self.log)
        return n, len(self.ddl)

    def add_savepoint(self, name: str, opens: bool) -> None:
        """SAVEPOINT ``name``: a mark kept until released or the transaction ends.
        ``opens``: the savepoint began the transaction, so releasing it commits."""
        if self.named is None:
            self.named = []
        self.named.append((name.lower(), self.savepoint(), opens))

    def release(self, name: str) -> bool:
        """RELEASE ``name``: forget it and every newer savepoint, keeping their changes.
        True when it began the transaction: the caller then commits."""
        i = self._find_savepoint(name)
        opens = self.named[i][2]
        del self.named[i:]
        return opens

    def rollback_to_savepoint(self, name: str) -> None:
        """ROLLBACK TO ``name``: undo everything since it, forget newer savepoints and keep
        this one (it can be rolled back to again). Call under the manager's lock."""
        i = self._find_savepoint(name)
        del self.named[i + 1 :]
        self.rollback_to(self.named[i][1])

    def _find_savepoint(self, name: str) -> int:
        """Position of the newest savepoint called ``name`` (case-insensitive)."""
        low = name.lower()
        named = self.named or ()
        for i in range(len(named) - 1, -1, -1):
            if named[i][0] == low:
                return i
        raise OperationalError(f"no such savepoint: {name}")

    def add_ddl(self, undo: Callable[[], None], record: tuple) -> None:
        """Note a schema change made now: how to undo it and what to log.  The rows written
        since the previous schema change are captured as they stand, so the redo log can
        replay rows and schema changes in the order they happened (a DELETE of duplicates
        must come before the CREATE UNIQUE INDEX that follows it)."""
        start = self.ddl[-1].pos if self.ddl else 0
        pos = len(self.log)
        log = self.log
        rows = _row_changes(zip(log[start:pos:5], log[start + 1 : pos : 5]), self.marker)
        self.ddl.append(DDLChange(undo, record, pos, rows))

    def moved_rowid(self, table, before: int, after: int) -> None:
        """Note that the write just logged moved ``table``'s rowid counter.  O(1): a run of
        inserts into one table since the last savepoint shares one note."""
        r = self.rowids
        if r and r[-1] == before and r[-3] is table and r[-4] >= self._rowid_floor:
            r[-1] = after
            return
        r += (len(self.log) - 5, table, before, after)

    def rollback_to(self, mark: tuple[int, int]) -> None:
        """Undo every write and schema change made after ``mark`` (a failed statement, or
        ROLLBACK TO), newest first: rows and schema changes are undone in the reverse of the
        order they were made, so a row written while an index existed is taken out of that
        index before a later DROP INDEX is undone."""
        n, d = mark
        ddl = self.ddl
        while len(ddl) > d:
            self._undo_writes(max(ddl[-1].pos, n))
            ddl.pop().undo()
        self._undo_writes(n)

    def _undo_writes(self, n: int) -> None:
        """Undo the row writes from write-log position ``n`` on, and their rowid moves."""
        log = self.log
        while len(log) > n:
            table, key, before, after, touched = log[-5:]
            table.undo(key, before, after, touched)  # then forget it: an interrupted
            del log[-5:]  # rollback that runs again undoes the rest, and nothing twice
        r = self.rowids
        while r and r[-4] >= n:
            table, before, after = r[-3:]
            del r[-4:]
            if table.next_rowid == after:  # nobody has taken a number since
                table.next_rowid = before

    def commit(self) -> int:
        """Make the changes visible and durable; return the commit timestamp."""
        return self.manager.commit(self)

    def rollback(self) -> None:
        """Discard every change of the transaction."""
        self.manager.rollback(self)

    def __repr__(self) -> str:
        return f"<Transaction {self.id} ts={self.ts} {self.isolation} {self.state}>"


class DDLChange:
    """A schema change inside a transaction: how to undo it and how to log it."""

    __slots__ = ("undo", "record", "pos", "rows")

    def __init__(self, undo: Callable[[], None], record: tuple, pos: int, rows: list):
        self.undo = undo
        self.record = record
        self.pos = pos  # where in the transaction's write log it happened
        self.rows = rows  # the row changes logged before it, as they stood then


def _row_changes(written, me: int) -> list:
    """("put", table, key, row) or ("del", table, key) for each (table, key) in ``written``,
    once each in the order first given, with the row as transaction ``me`` sees it now."""
    out = []
    for table, key in dict.fromkeys(written):
        row = visible_row(table.rows.get(key), me)
        if row is None:
            out.append(("del", table, key))
        else:
            out.append(("put", table, key, row))
    return out


# log entries (five per write) above which a commit pauses the cyclic collector
BULK_COMMIT = 5 * 1000


class TransactionManager:
    """The clock, the set of active transactions and the commit protocol.

    SERIALIZABLE transactions are validated at commit (optimistic, backward validation): a
    writer fails if a transaction that committed after its snapshot changed a row matching
    anything it read. A read-only transaction needs no check; it is serialized at its
    snapshot, as PostgreSQL does.
    """

    def __init__(self) -> None:
        self.clock = 0  # newest published commit timestamp
        self._ids = itertools.count(1)
        self.active: dict[int, Transaction] = {}
        self.lock = threading.RLock()
        self.commit_log: CommitLog | None = None
        self._garbage: deque = deque()  # (commit_ts, table, key) awaiting collection
        self._queued: set = set()  # (table, key) in _garbage
        self._recent: deque = deque()  # (commit_ts, writes) kept for SERIALIZABLE checks
        self._committing = False  # a commit is stamping rows (see ``begin``)
        self.commits = 0
        self.aborts = 0
        self.conflicts = 0
        # rows a recursive CTE may make before its statement fails (Connection.max_recursive_rows)
        self.max_recursive_rows = 1_000_000

    def begin(self, isolation: str = SNAPSHOT) -> Transaction:
        """Start a transaction reading the newest published snapshot."""
        tid = next(self._ids)
        txn = Transaction(self, tid, self.clock, isolation)
        self.active[tid] = txn
        # Registered first, then the flag, then the clock: a commit that raised the flag
        # before we registered may not have seen us (it may drop rows our provisional,
        # older snapshot would read), so we wait for it to publish; one that raises it later
        # sees us active and keeps what that snapshot reads.
        if self._committing:
            with self.lock:
                txn.ts = self.clock
        else:
            txn.ts = self.clock
        return txn

    def commit(self, txn: Transaction) -> int:
        """Validate, stamp ``txn``'s versions with a new timestamp and publish it."""
        if txn.state != "active":
            raise InternalError(f"commit of a transaction that is {txn.state}")
        if not txn.log and not txn.ddl:
            self._finish(txn, "committed")
            return self.clock
        if len(txn.log) > BULK_COMMIT:  # stamping allocates a tuple or two per row
            with gc_paused():
                return self._commit(txn)
        return self._commit(txn)

    def _commit(self, txn: Transaction) -> int:
        token = None
        with self.lock:
            # A transaction that begins from here on waits for this commit's timestamp (see
            # ``begin``): the set of running transactions read below cannot grow under it.
            self._committing = True
            try:
                if txn.reads:
                    self._validate(txn)
                cts = self.clock + 1
                # Decided once, now that the flag is up: a transaction registering from here
                # on reads this commit (see ``begin``), so it neither needs the rows this one
                # replaces nor its row images.
                alone = self._alone(txn)
                serial = not alone and self._serializable_running(txn)
                written = self._written(txn) if self.commit_log is not None or serial else None
                if self.commit_log is not None:
                    token = self.commit_log.append(cts, self._changes(txn, written))
            except BaseException as e:
                self._committing = False
                txn.rollback_to((0, 0))
                self._finish(txn, "aborted")
                if isinstance(e, SerializationFailure):
                    self.conflicts += 1
                if isinstance(e, OSError):
                    raise OperationalError(f"commit failed, nothing was applied: {e}") from e
                raise
            try:
                later = self._publish(txn, cts, written if serial else None, alone)
            except BaseException:
                # Interrupted (Ctrl-C) after the log took the record: the commit stands, so
                # it is finished before the exception goes on (stamping skips what is done).
                self._publish(txn, cts, written if serial else None, alone)
                raise
            if later:  # drop what no running snapshot reads; keep the rest for later
                snapshots = sorted({t.ts for t in list(self.active.values())})
                for table, key, e in later:
                    if e is not None and not snapshots:
                        table.collapse(key, e, cts)  # nobody reads the old row
                        continue
                    when = table.prune(key, snapshots)
                    if when is not None and (table, key) not in self._queued:
                        self._queued.add((table, key))
                        self._garbage.append((when, table, key))
            self.collect()
        if token is not None:
            self.commit_log.wait(token)
        return cts

    def _publish(self, txn: Transaction, cts: int, written: dict | None, alone: bool) -> list:
        """Stamp ``txn``'s rows with ``cts`` and publish it; safe to run twice.  ``written``
        is given when SERIALIZABLE transactions will need this commit's row images.  When
        ``alone`` (no other transaction was running as the commit began), no snapshot can
        want the rows this one replaced, so they are dropped as the new ones are stamped."""
        try:
            if written is not None and not (self._recent and self._recent[-1][0] == cts):
                self._recent.append((cts, self._images(txn, written)))
            later = self._stamp(txn, cts, alone)
            self.clock = cts  # published: new snapshots include this commit
        finally:
            self._committing = False
        if txn.state == "active":
            self._finish(txn, "committed")
        return later

    def one_key_writer(self, table) -> Callable[[Any, tuple], bool]:
        """``write(key, row)`` for ``table``: write one row and commit it at once, without a
        Transaction, when that is plainly safe: the key holds no uncommitted change, the
        table has no unique index and is not logged, and (for a cache table) no eviction or
        expiry is due. It returns False, having changed nothing, when the caller must use a
        transaction instead. The key-value face writes through it: it is the whole cost of
        ``kv.set``, so what it reads is bound once here.

        The row replaces the key's version in place unless a transaction is running (its
        snapshot may read the old row, which is then kept, as a commit would keep it, until
        version collection finds no reader).  O(1) (O(log(n)) for a row with a TTL).
        """
        rows, lock, active, mgr = table.rows, self.lock, self.active, self
        unique, indexes = table.unique_indexes, table.indexes  # lists, changed in place
        check_row, key_of, durable = table.check_row, table.key_of, table.durable
        cache = table.cache
        admit = cache.admit if cache is not None else None
        queued, garbage = self._queued, self._garbage

        def write(key: Any, row: tuple) -> bool:
            if unique or (durable and mgr.commit_log is not None):
                return False
            if active and mgr._serializable_running(None):
                return False  # SERIALIZABLE validation needs this write's images
            with lock:
                old = rows.get(key)
                if old is not None and (
                    type(old) is not tuple or len(old) != 2 or old[1] >= TXN_BASE
                ):
                    return False
                row = check_row(row)
                if key_of(row) != key:
                    return False
                victim = None
                if admit is not None and not admit(key, row):
                    # one eviction makes room (a new key at the row bound), else the full path
                    victim = cache.evictee(key, row)
                    ve = None if victim is None else rows.get(victim)
                    if ve is None or type(ve) is not tuple or len(ve) != 2 or ve[1] >= TXN_BASE:
                        return False
                cts = mgr.clock + 1
                # A reader beginning from here on waits for cts (see ``begin``); one that
                # began before is in ``active``, read below.
                mgr._committing = True
                try:
                    if victim is not None:
                        mgr._evict_now(table, victim, cts)
                        if not admit(key, row):  # room was made and nothing is due
                            raise InternalError(f"cache table {table.name}: eviction made no room")
                    if old is not None and active:
                        new = (row, cts, old[0], old[1])
                        if (table, key) not in queued:
                            queued.add((table, key))
                            garbage.append((cts, table, key))
                    else:
                        new = (row, cts)
                    rows[key] = new
                    if indexes:
                        table.sync_indexes(key, old, new)
                    if table.rowid_keys and key >= table.next_rowid:
                        table.next_rowid = key + 1
                    mgr.clock = cts
                    mgr.commits += 1
                finally:
                    mgr._committing = False
                return True

        return write

    def _evict_now(self, table, key: Any, cts: int) -> None:
        """Evict the committed row at ``key`` of cache table ``table`` as part of the one-key
        write committing at ``cts`` (kept for running snapshots, like any delete)."""
        rows = table.rows
        old = rows[key]
        if self.active:
            new = rows[key] = (None, cts, old[0], old[1])
            if (table, key) not in self._queued:
                self._queued.add((table, key))
                self._garbage.append((cts, table, key))
        else:
            new = None
            del rows[key]
        if table.indexes:
            table.sync_indexes(key, old, new)
        cache = table.cache
        cache.on_remove(key)
        cache.evictions += 1

    def rollback(self, txn: Transaction) -> None:
        """Undo every write of ``txn``."""
        if txn.state != "active":
            return
        with self.lock:
            txn.rollback_to((0, 0))
            self._finish(txn, "aborted")

    def _finish(self, txn: Transaction, state: str) -> None:
        self.active.pop(txn.id, None)  # first: a state set by an interrupted call is final
        txn.state = state
        if state == "committed":
            self.commits += 1
        else:
            self.aborts += 1
        if self._recent and not any(t.reads is not None for t in list(self.active.values())):
            self._recent.clear()

    @staticmethod
    def _stamp(txn: Transaction, cts: int, alone: bool) -> list:
        """Stamp ``txn``'s writes with ``cts``; return the (table, key, entry) that keep old
        versions.  When ``alone``, replaced rows are dropped on the way instead.

        Each key is stamped through the entry its last write made (earlier writes' entries
        are no longer current). New rows, the bulk of most transactions, are rewritten here
        without a method call.
        """
        log = txn.log
        me = txn.marker
        later = []
        for i in range(0, len(log), 5):
            after = log[i + 3]
            if after is None:
                continue
            table = log[i]
            rows = table.rows
            key = log[i + 1]
            if rows.get(key) is not after:
                continue
            if type(after) is tuple:
                if len(after) == 2:
                    rows[key] = (after[0], cts)
                elif alone:
                    table.collapse(key, after, cts)
                else:
                    rows[key] = e = (after[0], cts, after[2], after[3])
                    later.append((table, key, e))
            elif table.stamp(key, me, cts):
                later.append((table, key, None))
        return later

    def _alone(self, txn: Transaction) -> bool:
        """No transaction but ``txn`` is running.  O(1) in the common case."""
        active = self.active
        n = len(active)
        if n == 1:
            return txn.id in active
        return n == 0 or all(t is txn for t in list(active.values()))

    # ------------------------------------------------------------ SERIALIZABLE
    def _serializable_running(self, txn: Transaction) -> bool:
        return any(t.reads is not None and t is not txn for t in list(self.active.values()))

    @staticmethod
    def _images(txn: Transaction, written: dict) -> list:
        """(table, before row, after row) of each row ``txn`` changed."""
        log = txn.log
        first = {}
        for i in range(0, len(log), 5):
            first.setdefault((log[i], log[i + 1]), log[i + 2])
        me = txn.marker
        out = []
        for (table, key), before in first.items():
            out.append((table, committed_row(before), visible_row(table.rows.get(key), me)))
        return out

    def _validate(self, txn: Transaction) -> None:
        """Fail ``txn`` if a later commit changed a row matching something it read."""
        reads = txn.reads
        by_table: dict = {}
        for table, pred, params in reads:
            by_table.setdefault(table, []).append((pred, params))
        for cts, images in self._recent:
            if cts <= txn.ts:
                continue
            for table, before, after in images:
                checks = by_table.get(table)
                if not checks:
                    continue
                for pred, params in checks:
                    for row in (before, after):
                        if row is not None and (pred is None or pred(row, params)):
                            raise SerializationFailure(
                                f"could not serialize access: table {table.name} was changed "
                                "by a concurrent transaction after this one read it"
                            )

    def _trim_recent(self) -> None:
        serial = [t.ts for t in list(self.active.values()) if t.reads is not None]
        if not serial:
            self._recent.clear()
            return
        oldest = min(serial)
        recent = self._recent
        while recent and recent[0][0] <= oldest:
            recent.popleft()

    @staticmethod
    def _written(txn: Transaction) -> dict:
        """(table, key) of every row ``txn`` wrote, in the order first written."""
        log = txn.log
        return dict.fromkeys(zip(log[0::5], log[1::5]))

    @staticmethod
    def _changes(txn: Transaction, written: dict) -> list:
        """The logical changes of ``txn`` for the redo log, in the order they happened:
        ("ddl", record) per schema change, after the row changes made before it, then
        ("put", table, key, row) or ("del", table, key) per row written since."""
        if txn.ddl:
            out = []
            for d in txn.ddl:
                out += d.rows
                out.append(("ddl", d.record))
            log = txn.log
            start = txn.ddl[-1].pos
            return out + _row_changes(zip(log[start::5], log[start + 1 :: 5]), txn.marker)
        return _row_changes(written, txn.marker)

    # ------------------------------------------------------------ invariants
    def _check(self) -> None:
        """Assert the manager's invariants (tests call it after each step).

        Every registered transaction is active and registered under its own id; no snapshot
        is newer than the clock, so the horizon is at most every active snapshot and the
        clock; ids only grow; the recent-writes list is in commit order and none of it is
        newer than the clock; no commit is half-way.
        """
        active = list(self.active.items())
        for tid, txn in active:
            assert txn.id == tid, f"transaction {txn.id} registered as {tid}"
            assert txn.state == "active", f"transaction {tid} is {txn.state} but registered"
            assert txn.manager is self, f"transaction {tid} belongs to another manager"
            assert 0 <= txn.ts <= self.clock, f"transaction {tid} reads ts {txn.ts} > clock"
        horizon = self.horizon()
        assert horizon <= self.clock, f"horizon {horizon} is past the clock {self.clock}"
        assert all(horizon <= t.ts for _, t in active), "horizon past an active snapshot"
        if active:
            newest = max(tid for tid, _ in active)
            nxt = next(self._ids)  # consumes an id: ids need only be unique and growing
            assert nxt > newest, f"next id {nxt} is not past active id {newest}"
        stamps = [cts for cts, _ in self._recent]
        assert stamps == sorted(stamps), "recent writes out of commit order"
        assert not stamps or stamps[-1] <= self.clock, "recent writes newer than the clock"
        assert not self._committing, "a commit is half-way"

    # ------------------------------------------------------------ version collection
    def horizon(self) -> int:
        """The oldest snapshot any active transaction reads."""
        active = self.active
        if not active:
            return self.clock
        return min(t.ts for t in list(active.values()))

    def collect(self) -> int:
        """Finish collecting chains whose old versions no snapshot needs; return how many."""
        garbage = self._garbage
        if self._recent:
            self._trim_recent()
        if not garbage:
            return 0
        horizon = self.horizon()
        snapshots = sorted({t.ts for t in list(self.active.values())})
        n = 0
        with self.lock:
            while garbage and garbage[0][0] <= horizon:
                _cts, table, key = garbage.popleft()
                self._queued.discard((table, key))
                later = table.prune(key, snapshots)
                if later is not None:  # versions newer than the horizon remain
                    self._queued.add((table, key))
                    garbage.append((later, table, key))
                n += 1
        return n

    def carry_garbage(self, old, new) -> None:
        """Queue for table ``new`` the keys queued for ``old``, which ALTER TABLE rebuilt
        into it with every version; call under the lock."""
        for when, table, key in list(self._garbage):
            if table is old and (new, key) not in self._queued:
                self._queued.add((new, key))
                self._garbage.append((when, new, key))

    @property
    def pending_garbage(self) -> int:
        """Rows whose superseded versions wait for old snapshots to end."""
        return len(self._garbage)
