"""Transactions: the Hermitage anomaly tests, conflicts, retries, version collection, threads.

Each Hermitage scenario (github.com/ept/hermitage) runs on ``test(id, value)`` holding
(1, 10), (2, 20), one connection per transaction. Under SNAPSHOT the outcomes are those of
PostgreSQL's REPEATABLE READ, under SERIALIZABLE those of PostgreSQL's SERIALIZABLE; where
PostgreSQL makes a writer wait for a conflicting one, memtables fails it at once.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import memtables
from memtables import SerializationFailure

LEVELS = ["SNAPSHOT", "SERIALIZABLE"]


@pytest.fixture
def db():
    d = memtables.open()
    c = d.connect()
    c.execute("CREATE TABLE test (id INTEGER PRIMARY KEY, value INTEGER)")
    c.execute("INSERT INTO test (id, value) VALUES (1, 10), (2, 20)")
    c.commit()
    c.close()
    yield d
    d.close()


def txns(db, level, n=2):
    out = []
    for _ in range(n):
        c = db.connect(isolation_level=level)
        c.execute("BEGIN")
        out.append(c)
    return out


def rows(c, sql="SELECT * FROM test ORDER BY id"):
    return c.execute(sql).fetchall()


def final(db):
    c = db.connect()
    try:
        return rows(c)
    finally:
        c.close()


@pytest.mark.parametrize("level", LEVELS)
def test_g0_write_cycles(db, level):
    t1, t2 = txns(db, level)
    t1.execute("UPDATE test SET value = 11 WHERE id = 1")
    with pytest.raises(SerializationFailure, match="test key 1"):
        t2.execute("UPDATE test SET value = 12 WHERE id = 1")
    assert not t2.in_transaction  # a conflict ends the transaction
    t1.execute("UPDATE test SET value = 21 WHERE id = 2")
    t1.commit()
    assert final(db) == [(1, 11), (2, 21)]


@pytest.mark.parametrize("level", LEVELS)
def test_g1a_aborted_reads(db, level):
    t1, t2 = txns(db, level)
    t1.execute("UPDATE test SET value = 101 WHERE id = 1")
    assert rows(t2) == [(1, 10), (2, 20)]
    t1.rollback()
    assert rows(t2) == [(1, 10), (2, 20)]
    t2.commit()


@pytest.mark.parametrize("level", LEVELS)
def test_g1b_intermediate_reads(db, level):
    t1, t2 = txns(db, level)
    t1.execute("UPDATE test SET value = 101 WHERE id = 1")
    assert rows(t2) == [(1, 10), (2, 20)]
    t1.execute("UPDATE test SET value = 11 WHERE id = 1")
    t1.commit()
    assert rows(t2) == [(1, 10), (2, 20)]
    t2.commit()  # read-only: commits under SERIALIZABLE too


@pytest.mark.parametrize("level", LEVELS)
def test_g1c_circular_information_flow(db, level):
    t1, t2 = txns(db, level)
    t1.execute("UPDATE test SET value = 11 WHERE id = 1")
    t2.execute("UPDATE test SET value = 22 WHERE id = 2")
    assert rows(t1, "SELECT * FROM test WHERE id = 2") == [(2, 20)]
    assert rows(t2, "SELECT * FROM test WHERE id = 1") == [(1, 10)]
    t1.commit()
    if level == "SERIALIZABLE":
        # t2 read row 1, which t1 changed and committed first: t2 cannot be serialized
        with pytest.raises(SerializationFailure):
            t2.commit()
        assert final(db) == [(1, 11), (2, 20)]
    else:
        t2.commit()
        assert final(db) == [(1, 11), (2, 22)]


@pytest.mark.parametrize("level", LEVELS)
def test_otv_observed_transaction_vanishes(db, level):
    t1, t2, t3 = txns(db, level, 3)
    t1.execute("UPDATE test SET value = 11 WHERE id = 1")
    t1.execute("UPDATE test SET value = 19 WHERE id = 2")
    with pytest.raises(SerializationFailure):
        t2.execute("UPDATE test SET value = 12 WHERE id = 1")
    t1.commit()
    t3.rollback()
    assert rows(t3) == [(1, 11), (2, 19)]
    t3.commit()


@pytest.mark.parametrize("level", LEVELS)
def test_pmp_predicate_many_preceders(db, level):
    t1, t2 = txns(db, level)
    assert rows(t1, "SELECT * FROM test WHERE value = 30") == []
    t2.execute("INSERT INTO test (id, value) VALUES (3, 30)")
    t2.commit()
    assert rows(t1, "SELECT * FROM test WHERE value % 3 = 0") == []
    t1.commit()  # read-only: commits under SERIALIZABLE too


@pytest.mark.parametrize("level", LEVELS)
def test_pmp_write(db, level):
    t1, t2 = txns(db, level)
    t1.execute("UPDATE test SET value = value + 10")
    assert rows(t2, "SELECT * FROM test WHERE value = 20") == [(2, 20)]
    with pytest.raises(SerializationFailure):
        t2.execute("DELETE FROM test WHERE value = 20")
    t1.commit()
    assert final(db) == [(1, 20), (2, 30)]


@pytest.mark.parametrize("level", LEVELS)
def test_p4_lost_update(db, level):
    t1, t2 = txns(db, level)
    assert rows(t1, "SELECT * FROM test WHERE id = 1") == [(1, 10)]
    assert rows(t2, "SELECT * FROM test WHERE id = 1") == [(1, 10)]
    t1.execute("UPDATE test SET value = 11 WHERE id = 1")
    with pytest.raises(SerializationFailure):
        t2.execute("UPDATE test SET value = 11 WHERE id = 1")
    t1.commit()
    assert final(db) == [(1, 11), (2, 20)]


@pytest.mark.parametrize("level", LEVELS)
def test_g_single_read_skew(db, level):
    t1, t2 = txns(db, level)
    assert rows(t1, "SELECT * FROM test WHERE id = 1") == [(1, 10)]
    assert rows(t2, "SELECT * FROM test WHERE id = 1") == [(1, 10)]
    assert rows(t2, "SELECT * FROM test WHERE id = 2") == [(2, 20)]
    t2.execute("UPDATE test SET value = 12 WHERE id = 1")
    t2.execute("UPDATE test SET value = 18 WHERE id = 2")
    t2.commit()
    assert rows(t1, "SELECT * FROM test WHERE id = 2") == [(2, 20)]
    t1.commit()  # read-only: commits under SERIALIZABLE too


@pytest.mark.parametrize("level", LEVELS)
def test_g_single_with_predicate(db, level):
    t1, t2 = txns(db, level)
    assert rows(t1, "SELECT * FROM test WHERE value % 5 = 0") == [(1, 10), (2, 20)]
    t2.execute("UPDATE test SET value = 12 WHERE value = 10")
    t2.commit()
    assert rows(t1, "SELECT * FROM test WHERE value % 3 = 0") == []
    t1.commit()


@pytest.mark.parametrize("level", LEVELS)
def test_g_single_write_1(db, level):
    t1, t2 = txns(db, level)
    assert rows(t1, "SELECT * FROM test WHERE id = 1") == [(1, 10)]
    assert rows(t2) == [(1, 10), (2, 20)]
    t2.execute("UPDATE test SET value = 12 WHERE id = 1")
    t2.execute("UPDATE test SET value = 18 WHERE id = 2")
    t2.commit()
    with pytest.raises(SerializationFailure):
        t1.execute("DELETE FROM test WHERE value = 20")
    assert final(db) == [(1, 12), (2, 18)]


@pytest.mark.parametrize("level", LEVELS)
def test_g_single_write_2(db, level):
    t1, t2 = txns(db, level)
    assert rows(t1, "SELECT * FROM test WHERE id = 1") == [(1, 10)]
    assert rows(t2) == [(1, 10), (2, 20)]
    t2.execute("UPDATE test SET value = 12 WHERE id = 1")
    t1.execute("DELETE FROM test WHERE value = 20")
    with pytest.raises(SerializationFailure):
        t2.execute("UPDATE test SET value = 18 WHERE id = 2")
    t1.commit()
    assert final(db) == [(1, 10)]


@pytest.mark.parametrize("level", LEVELS)
def test_g2_item_write_skew(db, level):
    t1, t2 = txns(db, level)
    assert rows(t1, "SELECT * FROM test WHERE id IN (1, 2)") == [(1, 10), (2, 20)]
    assert rows(t2, "SELECT * FROM test WHERE id IN (1, 2)") == [(1, 10), (2, 20)]
    t1.execute("UPDATE test SET value = 11 WHERE id = 1")
    t2.execute("UPDATE test SET value = 21 WHERE id = 2")
    t1.commit()
    if level == "SERIALIZABLE":
        with pytest.raises(SerializationFailure, match="concurrent"):
            t2.commit()
        assert final(db) == [(1, 11), (2, 20)]
    else:
        t2.commit()
        assert final(db) == [(1, 11), (2, 21)]


@pytest.mark.parametrize("level", LEVELS)
def test_g2_anti_dependency_cycles(db, level):
    t1, t2 = txns(db, level)
    assert rows(t1, "SELECT * FROM test WHERE value % 3 = 0") == []
    assert rows(t2, "SELECT * FROM test WHERE value % 3 = 0") == []
    t1.execute("INSERT INTO test (id, value) VALUES (3, 30)")
    t2.execute("INSERT INTO test (id, value) VALUES (4, 42)")
    t1.commit()
    if level == "SERIALIZABLE":
        with pytest.raises(SerializationFailure):
            t2.commit()
        assert final(db) == [(1, 10), (2, 20), (3, 30)]
    else:
        t2.commit()
        assert final(db) == [(1, 10), (2, 20), (3, 30), (4, 42)]


def test_serializable_per_transaction_syntax(db):
    t1 = db.connect()
    t1.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
    assert t1.execute("SELECT isolation FROM sys.transactions WHERE current").fetchone() == (
        "SERIALIZABLE",
    )
    t1.rollback()
    t1.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
    assert t1.execute("SELECT isolation FROM sys.transactions WHERE current").fetchone() == (
        "SERIALIZABLE",
    )
    t1.commit()
    with pytest.raises(memtables.ProgrammingError, match="isolation level"):
        db.connect(isolation_level="CHAOS")


def test_unique_checks_see_concurrent_inserts(db):
    t1, t2 = txns(db, "SNAPSHOT")
    t1.execute("INSERT INTO test VALUES (5, 50)")
    with pytest.raises(SerializationFailure, match="concurrent"):
        t2.execute("INSERT INTO test VALUES (5, 55)")
    t1.commit()
    t3 = db.connect()
    with pytest.raises(memtables.IntegrityError):
        t3.execute("INSERT INTO test VALUES (5, 56)")


def test_own_uncommitted_writes_are_visible_through_scans_and_indexes(db):
    c = db.connect()
    c.execute("CREATE INDEX test_value ON test (value)")
    c.commit()
    c.execute("INSERT INTO test VALUES (3, 30)")
    c.execute("UPDATE test SET value = 99 WHERE id = 1")
    assert rows(c) == [(1, 99), (2, 20), (3, 30)]
    assert rows(c, "SELECT id FROM test WHERE value = 99") == [(1,)]
    assert rows(c, "SELECT id FROM test WHERE value BETWEEN 25 AND 35") == [(3,)]
    other = db.connect()
    assert rows(other) == [(1, 10), (2, 20)]
    assert rows(other, "SELECT id FROM test WHERE value = 99") == []


def test_keyed_update_of_a_missing_row_is_a_read_under_serializable(db):
    # T1 finds no row 3 and writes 4; T2 finds no row 4 and writes 3: a cycle.
    t1, t2 = txns(db, "SERIALIZABLE")
    assert t1.execute("UPDATE test SET value = 99 WHERE id = 3").rowcount == 0
    t1.execute("INSERT INTO test VALUES (4, 40)")
    assert t2.execute("UPDATE test SET value = 99 WHERE id = 4").rowcount == 0
    t2.execute("INSERT INTO test VALUES (3, 30)")
    t2.commit()
    with pytest.raises(SerializationFailure):
        t1.commit()
    assert final(db) == [(1, 10), (2, 20), (3, 30)]


# ---------------------------------------------------------------- retries
def test_transaction_decorator_retries_conflicts(db):
    c1, c2 = db.connect(), db.connect()
    calls = []

    @c1.transaction(retries=3)
    def bump():
        calls.append(1)
        (v,) = c1.execute("SELECT value FROM test WHERE id = 1").fetchone()
        if len(calls) == 1:  # a concurrent writer gets in first
            c2.execute("UPDATE test SET value = value + 100 WHERE id = 1")
            c2.commit()
        c1.execute("UPDATE test SET value = ? WHERE id = 1", (v + 1,))
        return v + 1

    assert bump() == 111
    assert len(calls) == 2
    assert final(db)[0] == (1, 111)


def test_transaction_loop_and_exhausted_retries(db):
    c1, c2 = db.connect(), db.connect()
    attempts = 0
    with pytest.raises(SerializationFailure):
        for attempt in c1.transaction(retries=2, backoff=0):
            with attempt:
                attempts += 1
                c1.execute("SELECT value FROM test WHERE id = 2").fetchone()
                c2.execute("UPDATE test SET value = value + 1 WHERE id = 2")
                c2.commit()
                c1.execute("UPDATE test SET value = 0 WHERE id = 2")
    assert attempts == 3
    with c1.transaction():
        c1.execute("UPDATE test SET value = 7 WHERE id = 1")
    assert final(db)[0] == (1, 7)


# ---------------------------------------------------------------- version collection
def test_chain_stays_short_after_many_updates(db):
    c = db.connect(autocommit=True)
    for i in range(100_000 // 20):
        c.execute("UPDATE test SET value = ? WHERE id = 1", (i,))
    table = db.engine.catalog.table("test")
    assert type(table.rows[1]) is tuple  # one version left
    assert db.engine.txns.pending_garbage == 0


def test_long_reader_keeps_its_snapshot_and_memory_stays_bounded(db):
    reader = db.connect()
    assert rows(reader) == [(1, 10), (2, 20)]
    writer = db.connect(autocommit=True)
    for i in range(2000):
        writer.execute("UPDATE test SET value = ? WHERE id = 1", (i,))
    assert rows(reader) == [(1, 10), (2, 20)]
    table = db.engine.catalog.table("test")
    chain, v = 0, table.rows[1]
    while v is not None:
        chain, v = chain + 1, v.prev
    assert chain <= 3  # the newest version, and the one the reader's snapshot needs
    reader.commit()
    writer.execute("UPDATE test SET value = 0 WHERE id = 2")
    assert type(table.rows[1]) is tuple
    assert db.engine.txns.pending_garbage == 0
    table._check()


def test_sys_transactions_and_stats(db):
    a, b = db.connect(), db.connect(isolation_level="SERIALIZABLE")
    a.execute("UPDATE test SET value = 0 WHERE id = 1")
    b.execute("SELECT * FROM test")
    got = b.execute("SELECT isolation, writes FROM sys.transactions ORDER BY id").fetchall()
    assert got == [("SNAPSHOT", 1), ("SERIALIZABLE", 0)]
    a.commit()
    stats = dict(b.execute("SELECT name, value FROM sys.stats").fetchall())
    assert stats["commits"] >= 2 and "aborts" in stats and "serialization_failures" in stats


# ---------------------------------------------------------------- threads
def _reader_during(monkeypatch, method: str, db, sql: str, calls: int = 1) -> list:
    """Run ``sql`` in a new transaction on another thread when the writer reaches
    ``Table.<method>`` for the ``calls``-th time (holding the commit lock), giving that
    reader 0.3 s to finish meanwhile; return what it saw once the writer is done."""
    from memtables.storage import Table

    original = getattr(Table, method)
    seen, threads, count = [], [], []

    def read():
        c = db.connect()
        c.execute("BEGIN")
        seen.append(c.execute(sql).fetchone())
        c.rollback()

    def hooked(self, *args):
        count.append(1)
        if len(count) == calls:
            t = threading.Thread(target=read)
            threads.append(t)
            t.start()
            t.join(0.3)  # a reader that must wait for this commit cannot finish here
        return original(self, *args)

    monkeypatch.setattr(Table, method, hooked)
    return seen, threads


def test_a_snapshot_begun_during_a_commit_sees_none_or_all_of_it(monkeypatch):
    db = memtables.open()
    c = db.connect()
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, gen INTEGER NOT NULL)")
    c.executemany("INSERT INTO t VALUES (?, 0)", [(i,) for i in range(10)])
    c.commit()
    c.execute("UPDATE t SET gen = 1")
    seen, threads = _reader_during(
        monkeypatch, "collapse", db, "SELECT count(*), min(gen), max(gen) FROM t", calls=5
    )
    c.commit()  # alone: replaced rows are dropped while stamping
    threads[0].join()
    assert seen in ([(10, 0, 0)], [(10, 1, 1)])


def test_a_snapshot_begun_during_a_one_row_write_sees_the_key(monkeypatch):
    db = memtables.open()
    c = db.connect(autocommit=True)
    c.execute("CREATE CACHE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER)")
    c.execute("CREATE INDEX kv_v ON kv (v)")
    c.execute("INSERT INTO kv VALUES (1, 0)")
    seen, threads = _reader_during(monkeypatch, "sync_indexes", db, "SELECT v FROM kv WHERE k = 1")
    c.cache("kv").set(1, 5)  # committed without a transaction (TransactionManager.one_key_writer)
    threads[0].join()
    assert seen in ([(0,)], [(5,)])


def test_rollback_after_deleting_own_insert_keeps_another_transactions_row(db):
    a, b = db.connect(), db.connect()
    a.execute("INSERT INTO test VALUES (3, 30)")
    a.execute("DELETE FROM test WHERE id = 3")  # the key is free again
    b.execute("INSERT INTO test VALUES (3, 33)")
    a.rollback()
    b.commit()
    assert final(db) == [(1, 10), (2, 20), (3, 33)]


def test_serializable_transaction_begun_inside_a_commit_is_validated_against_it(db):
    # C reads row 2 and writes row 1; T begins while C commits, reads row 1 (C's old value
    # if its snapshot predates C) and writes row 2: T must see C or fail
    c = db.connect(isolation_level="SERIALIZABLE")
    c.execute("BEGIN")
    c.execute("SELECT value FROM test WHERE id = 2").fetchone()
    c.execute("UPDATE test SET value = 11 WHERE id = 1")
    t = db.connect(isolation_level="SERIALIZABLE")
    manager = c._txns
    original = manager._serializable_running

    def begin_t_meanwhile(txn):
        running = original(txn)  # decided before T exists
        th = threading.Thread(target=lambda: t.execute("BEGIN"))  # takes T's snapshot
        th.start()
        th.join(0.3)  # a transaction that must wait for this commit cannot begin here
        return running

    manager._serializable_running = begin_t_meanwhile
    try:
        c.commit()
    finally:
        del manager._serializable_running
    (v,) = t.execute("SELECT value FROM test WHERE id = 1").fetchone()
    t.execute("UPDATE test SET value = 21 WHERE id = 2")
    if v == 11:
        t.commit()  # serialized after C
    else:
        with pytest.raises(SerializationFailure):
            t.commit()


def test_kv_writes_take_part_in_serializable_validation():
    db = memtables.open()
    s = db.connect(autocommit=True)
    s.execute("CREATE CACHE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER)")
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    s.execute("INSERT INTO kv VALUES (1, 0)")
    s.execute("INSERT INTO t VALUES (1, 0), (2, 0)")
    t1 = db.connect(isolation_level="SERIALIZABLE")
    t2 = db.connect(isolation_level="SERIALIZABLE")
    t1.execute("BEGIN")
    assert t1.execute("SELECT v FROM kv WHERE k = 1").fetchone() == (0,)
    db.connect(autocommit=True).cache("kv").set(1, 5)  # T1 -rw-> this write
    t2.execute("BEGIN")
    assert t2.execute("SELECT v FROM kv WHERE k = 1").fetchone() == (5,)  # write -wr-> T2
    t2.execute("SELECT v FROM t WHERE id = 1").fetchone()
    t2.execute("UPDATE t SET v = 1 WHERE id = 2")
    t2.commit()
    t1.execute("UPDATE t SET v = 1 WHERE id = 1")  # T2 -rw-> T1: a cycle
    with pytest.raises(SerializationFailure):
        t1.commit()


def test_a_commit_whose_log_write_fails_is_rolled_back_and_ends(tmp_path, monkeypatch):
    db = memtables.open(str(tmp_path / "db"), sync="normal")
    c = db.connect()
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    c.execute("INSERT INTO t VALUES (1, 0)")
    c.commit()
    log = c._txns.commit_log

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(log, "append", disk_full)
    c.execute("UPDATE t SET v = 1 WHERE id = 1")
    with pytest.raises(memtables.OperationalError, match="No space left"):
        c.commit()
    monkeypatch.undo()
    assert not c.in_transaction
    assert c.execute("SELECT v FROM t").fetchall() == [(0,)]
    c.execute("UPDATE t SET v = 2 WHERE id = 1")  # no stale marker blocks the row
    c.commit()
    assert c.execute("SELECT v FROM t").fetchall() == [(2,)]
    db.close()


def test_bank_transfers_keep_the_total(tmp_path):
    db = memtables.open()
    setup = db.connect()
    setup.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
    setup.executemany("INSERT INTO accounts VALUES (?, 1000)", [(i,) for i in range(100)])
    setup.commit()
    total = 100 * 1000
    stop = time.time() + 2.0
    errors: list = []
    done = [0]

    def mover(seed: int) -> None:
        rnd = random.Random(seed)
        conn = db.connect()

        @conn.transaction(retries=50, backoff=0.0005)
        def move(a: int, b: int, amount: int) -> None:
            (bal,) = conn.execute("SELECT balance FROM accounts WHERE id = ?", (a,)).fetchone()
            if bal >= amount:
                conn.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, a))
                conn.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, b))

        try:
            while time.time() < stop:
                a, b = rnd.sample(range(100), 2)
                move(a, b, rnd.randint(1, 50))
                done[0] += 1
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    def auditor() -> None:
        conn = db.connect()
        try:
            while time.time() < stop:
                (s,) = conn.execute("SELECT sum(balance) FROM accounts").fetchone()
                if s != total:
                    errors.append(AssertionError(f"snapshot total {s}"))
                conn.commit()
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=mover, args=(i,)) for i in range(8)]
    threads.append(threading.Thread(target=auditor))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert done[0] > 100
    check = db.connect()
    assert check.execute("SELECT sum(balance) FROM accounts").fetchone() == (total,)
    assert check.execute("SELECT count(*) FROM accounts WHERE balance < 0").fetchone() == (0,)
    db.engine.catalog.table("accounts")._check()


# ---------------------------------------------------------------- a model of the semantics
KEYS = st.integers(0, 4)
CONNS = st.integers(0, 2)


class TransactionModel(RuleBasedStateMachine):
    """Interleaved transactions on three connections against a model of snapshot isolation
    with first-updater-wins."""

    def __init__(self):
        super().__init__()
        self.db = memtables.open()
        c = self.db.connect()
        c.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER)")
        c.commit()
        self.conns = [self.db.connect() for _ in range(3)]
        self.committed: dict[int, int] = {}
        self.version: dict[int, int] = {}  # key -> clock of its last commit
        self.clock = 0
        self.txn: list = [None] * 3  # (snapshot clock, snapshot copy, own writes)

    def _view(self, i):
        if self.txn[i] is None:
            self.txn[i] = (self.clock, dict(self.committed), {})
        return self.txn[i]

    def _visible(self, i):
        _clock, snap, own = self._view(i)
        view = dict(snap)
        for k, v in own.items():
            if v is None:
                view.pop(k, None)
            else:
                view[k] = v
        return view

    def _conflict(self, i, k) -> bool:
        clock, _snap, _own = self._view(i)
        others = any(t is not None and k in t[2] for j, t in enumerate(self.txn) if j != i)
        return others or self.version.get(k, 0) > clock

    @rule(i=CONNS, k=KEYS, v=st.integers(0, 9))
    def write(self, i, k, v):
        view = self._visible(i)
        c = self.conns[i]
        sql, params = (
            ("UPDATE kv SET v = ? WHERE k = ?", (v, k))
            if k in view
            else ("INSERT INTO kv VALUES (?, ?)", (k, v))
        )
        if self._conflict(i, k):
            with pytest.raises(SerializationFailure):
                c.execute(sql, params)
            self.txn[i] = None
            return
        c.execute(sql, params)
        self._view(i)[2][k] = v

    @rule(i=CONNS, k=KEYS)
    def delete(self, i, k):
        view = self._visible(i)
        c = self.conns[i]
        if k not in view:
            assert c.execute("DELETE FROM kv WHERE k = ?", (k,)).rowcount == 0
            return
        if self._conflict(i, k):
            with pytest.raises(SerializationFailure):
                c.execute("DELETE FROM kv WHERE k = ?", (k,))
            self.txn[i] = None
            return
        c.execute("DELETE FROM kv WHERE k = ?", (k,))
        _clock, snap, own = self._view(i)
        if k in snap:
            own[k] = None
        else:
            own.pop(k)  # our own insert, undone: it never existed for anyone else

    @rule(i=CONNS)
    def read(self, i):
        got = dict(self.conns[i].execute("SELECT k, v FROM kv").fetchall())
        assert got == self._visible(i)

    @rule(i=CONNS)
    def commit(self, i):
        self.conns[i].commit()
        t = self.txn[i]
        if t is None:
            return
        if t[2]:
            self.clock += 1
            for k, v in t[2].items():
                if v is None:
                    self.committed.pop(k, None)
                else:
                    self.committed[k] = v
                self.version[k] = self.clock
        self.txn[i] = None

    @rule(i=CONNS)
    def rollback(self, i):
        self.conns[i].rollback()
        self.txn[i] = None

    @invariant()
    def storage_invariants(self):
        self.db.engine.catalog.table("kv")._check()
        self.db.engine.txns._check()

    def teardown(self):
        self.db.close()


TestTransactionModel = TransactionModel.TestCase
TestTransactionModel.settings = settings(
    max_examples=80, stateful_step_count=40, deadline=None, derandomize=True
)


def test_transaction_manager_check_catches_a_corrupt_state():
    db = memtables.open()
    c = db.connect()
    c.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    c.execute("INSERT INTO t VALUES (1)")  # a transaction is open and registered
    manager = db.engine.txns
    manager._check()
    (txn,) = manager.active.values()
    txn.state = "committed"  # finished, yet still registered
    with pytest.raises(AssertionError, match="registered"):
        manager._check()
    txn.state = "active"
    txn.ts = manager.clock + 1  # a snapshot from the future
    with pytest.raises(AssertionError, match="clock"):
        manager._check()
    txn.ts = manager.clock
    manager._check()
    db.close()
