"""Transactions: the logical clock, begin/commit/rollback, and version collection.

Commit happens under one lock: validate, take the next timestamp, hand the changes to the
commit log (the redo log implements the ``CommitLog`` protocol; ``txn`` never imports it),
stamp the versions, then publish the timestamp so new snapshots include the commit. Readers
never take the lock.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable, Protocol

from .errors import InternalError
from .storage import TXN_BASE, visible

SNAPSHOT = "SNAPSHOT"
SERIALIZABLE = "SERIALIZABLE"


def visible_row(entry, me: int):
    """The row transaction ``me`` sees at an entry it wrote (None when it deleted it)."""
    return None if entry is None else visible(entry, -1, me)


class CommitLog(Protocol):
    """Where committed changes go before they become visible (the redo log)."""

    def append(self, commit_ts: int, changes: list) -> Any:
        """Record one committed transaction; return a token for ``wait``."""

    def wait(self, token: Any) -> None:
        """Return once the record behind ``token`` is as durable as the sync mode promises."""


class Transaction:
    """One transaction: its snapshot timestamp, its marker and its write log."""

    __slots__ = ("id", "ts", "marker", "log", "isolation", "state", "manager", "ddl", "__weakref__")

    def __init__(self, manager: TransactionManager, tid: int, ts: int, isolation: str):
        self.manager = manager
        self.id = tid
        self.ts = ts
        self.marker = TXN_BASE + tid
        self.log: list = []
        self.ddl: list = []
        self.isolation = isolation
        self.state = "active"

    @property
    def active(self) -> bool:
        return self.state == "active"

    def savepoint(self) -> tuple[int, int]:
        """A mark to roll back to if the current statement fails."""
        return len(self.log), len(self.ddl)

    def rollback_to(self, mark: tuple[int, int]) -> None:
        """Undo every write made after ``mark`` (statement-level atomicity)."""
        n, d = mark
        log = self.log
        while len(log) > n:
            table, key, before, after, touched = log[-5:]
            del log[-5:]
            table.undo(key, before, after, touched)
        ddl = self.ddl
        while len(ddl) > d:
            ddl.pop().undo()

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

    __slots__ = ("undo", "record")

    def __init__(self, undo: Callable[[], None], record: tuple):
        self.undo = undo
        self.record = record


class TransactionManager:
    """The clock, the set of active transactions and the commit protocol."""

    def __init__(self) -> None:
        self.clock = 0  # newest published commit timestamp
        self._next_id = 1
        self.active: dict[int, Transaction] = {}
        self.lock = threading.RLock()
        self.commit_log: CommitLog | None = None
        self._garbage: deque = deque()  # (commit_ts, table, key) awaiting collection
        self.commits = 0
        self.aborts = 0

    def begin(self, isolation: str = SNAPSHOT) -> Transaction:
        """Start a transaction reading the newest published snapshot."""
        tid = self._next_id
        self._next_id = tid + 1
        txn = Transaction(self, tid, self.clock, isolation)
        self.active[tid] = txn
        return txn

    def commit(self, txn: Transaction) -> int:
        """Stamp ``txn``'s versions with a new timestamp and publish it."""
        if txn.state != "active":
            raise InternalError(f"commit of a transaction that is {txn.state}")
        log = txn.log
        if not log and not txn.ddl:
            self._finish(txn, "committed")
            return self.clock
        token = None
        with self.lock:
            cts = self.clock + 1
            written = self._written(txn)
            if self.commit_log is not None:
                token = self.commit_log.append(cts, self._changes(txn, written))
            me = txn.marker
            garbage = self._garbage
            alone = len(self.active) == 1  # no snapshot but ours: old versions go now
            for table, key in written:
                if table.stamp(key, me, cts, alone):
                    garbage.append((cts, table, key))
            self.clock = cts
            self._finish(txn, "committed")
            self.collect()
        if token is not None:
            self.commit_log.wait(token)
        return cts

    def rollback(self, txn: Transaction) -> None:
        """Undo every write of ``txn``."""
        if txn.state != "active":
            return
        with self.lock:
            txn.rollback_to((0, 0))
            self._finish(txn, "aborted")

    def _finish(self, txn: Transaction, state: str) -> None:
        txn.state = state
        self.active.pop(txn.id, None)
        if state == "committed":
            self.commits += 1
        else:
            self.aborts += 1

    @staticmethod
    def _written(txn: Transaction) -> dict:
        """(table, key) of every row ``txn`` wrote, in the order first written."""
        log = txn.log
        return dict.fromkeys(zip(log[0::5], log[1::5]))

    @staticmethod
    def _changes(txn: Transaction, written: dict) -> list:
        """The logical changes of ``txn``: DDL records, then each written row's final state."""
        out = [d.record for d in txn.ddl]
        me = txn.marker
        for table, key in written:
            if not table.durable:
                continue
            row = visible_row(table.rows.get(key), me)
            if row is None:
                out.append(("delete", table.name, key))
            else:
                out.append(("put", table.name, key, row))
        return out

    # ------------------------------------------------------------ version collection
    def horizon(self) -> int:
        """The oldest snapshot any active transaction reads."""
        active = self.active
        if not active:
            return self.clock
        return min(t.ts for t in list(active.values()))

    def collect(self) -> int:
        """Prune chains whose old versions no active snapshot can see; return how many."""
        garbage = self._garbage
        if not garbage:
            return 0
        horizon = self.horizon()
        n = 0
        with self.lock:
            while garbage and garbage[0][0] <= horizon:
                _cts, table, key = garbage.popleft()
                table.prune(key, horizon)
                n += 1
        return n

    @property
    def pending_garbage(self) -> int:
        """Superseded versions waiting for old snapshots to end."""
        return len(self._garbage)
