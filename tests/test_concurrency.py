"""Concurrency and misuse: no hang, no orphaned transaction, a clear error for misuse.

Work that could hang runs in daemon threads; the test thread only waits with deadlines, so a
deadlock fails the test (with every thread's stack in the message) instead of hanging it.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sys
import threading
import time
import traceback

import pytest

import memtables
from memtables import persist

STALL = 20.0  # seconds without progress that count as a hang


def stacks() -> str:
    """Every thread's current stack, for the message of a stalled test."""
    names = {t.ident: t.name for t in threading.enumerate()}
    out = []
    for ident, frame in sys._current_frames().items():
        out.append(f"--- thread {names.get(ident, ident)}\n")
        out.extend(traceback.format_stack(frame))
    return "".join(out)


def join_all(threads, timeout: float = STALL) -> None:
    """Wait for ``threads``; fail with all stacks when one is still running at the deadline."""
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        pytest.fail(f"stalled: {stuck}\n{stacks()}")


def spawn(fn, *args, name: str | None = None) -> threading.Thread:
    """Start ``fn`` in a daemon thread; an exception it raises is kept on ``thread.error``."""

    def run():
        try:
            fn(*args)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            t.error = e

    t = threading.Thread(target=run, name=name or fn.__name__, daemon=True)
    t.error = None
    t.start()
    return t


def wait_until(cond, what: str, timeout: float = STALL) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}\n{stacks()}")
        time.sleep(0.001)


def in_function(thread: threading.Thread, name: str) -> bool:
    """True while ``thread`` is somewhere inside a function called ``name``."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name == name:
            return True
        frame = frame.f_back
    return False


def orphans(db) -> list:
    """Transactions still registered, other than the one reading the list."""
    c = db.connect(autocommit=True)
    try:
        return c.execute("SELECT id, writes FROM sys.transactions WHERE NOT current").fetchall()
    finally:
        c.close()


class Trap:
    """A cache-table clock that runs an action once when armed: a user hook that is called
    in the middle of executing a statement."""

    def __init__(self) -> None:
        self.armed = None

    def __call__(self) -> float:
        action, self.armed = self.armed, None
        if action is not None:
            action()
        return 1000.0


def interrupt() -> None:
    raise KeyboardInterrupt


def cache_db(trap: Trap, path=None):
    db = memtables.open(path, clock=trap)
    c = db.connect(autocommit=True)
    c.execute("CREATE CACHE TABLE kv (k INTEGER PRIMARY KEY, v TEXT) WITH (default_ttl = 60)")
    c.executemany("INSERT INTO kv VALUES (?, ?)", [(i, str(i)) for i in range(5)])
    return db, c


# ------------------------------------------------------------------ defect 7: no deadlock
def test_checkpoint_statement_while_an_automatic_checkpoint_runs(tmp_path, monkeypatch):
    started, go = threading.Event(), threading.Event()
    write = persist.write_snapshot

    def slow_write(*args, **kwargs):  # holds the automatic checkpoint in the middle
        if threading.current_thread().name == "memtables-checkpoint":
            started.set()
            go.wait(STALL)
        return write(*args, **kwargs)

    monkeypatch.setattr(persist, "write_snapshot", slow_write)
    db = memtables.open(tmp_path / "db", checkpoint_bytes=100)
    conn = db.connect(autocommit=True)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    try:
        for i in range(50):
            conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x" * 20))
            if started.is_set():
                break
        assert started.wait(STALL), "no automatic checkpoint started"
        other = db.connect(autocommit=True)
        explicit = spawn(other.execute, "CHECKPOINT", name="explicit-checkpoint")
        # the statement now waits for the automatic checkpoint; let that one finish
        wait_until(lambda: in_function(explicit, "checkpoint"), "CHECKPOINT waits its turn")
    finally:
        go.set()
    join_all([explicit])
    assert explicit.error is None
    n = conn.execute("SELECT count(*) FROM t").fetchone()[0]
    db.close()
    assert memtables.connect(tmp_path / "db").execute("SELECT count(*) FROM t").fetchone() == (n,)


# ------------------------------------------------------------------ defect 19: interrupts
def test_interrupted_autocommit_query_ends_its_transaction():
    trap = Trap()
    db, conn = cache_db(trap)
    trap.armed = interrupt
    with pytest.raises(KeyboardInterrupt):
        conn.execute("SELECT * FROM kv")
    assert orphans(db) == []
    assert conn.execute("SELECT count(*) FROM kv").fetchone() == (5,)


def test_interrupted_autocommit_write_changes_nothing():
    trap = Trap()
    db, conn = cache_db(trap)
    trap.armed = interrupt
    with pytest.raises(KeyboardInterrupt):
        conn.execute("UPDATE kv SET v = 'new'")
    assert orphans(db) == []
    assert conn.execute("SELECT count(*) FROM kv WHERE v = 'new'").fetchone() == (0,)


def rows_then_interrupt(n):
    for i in range(n):
        yield (100 + i, "g")
    raise KeyboardInterrupt


def test_interrupted_executemany_in_autocommit_rolls_back():
    db, conn = cache_db(Trap())
    with pytest.raises(KeyboardInterrupt):
        conn.executemany("INSERT INTO kv VALUES (?, ?)", rows_then_interrupt(3))
    assert orphans(db) == []
    assert conn.execute("SELECT count(*) FROM kv").fetchone() == (5,)


def test_interrupted_executemany_in_a_transaction_undoes_the_statement():
    db, conn = cache_db(Trap())
    conn.autocommit = False
    conn.execute("INSERT INTO kv VALUES (50, 'kept')")
    with pytest.raises(KeyboardInterrupt):
        conn.executemany("INSERT INTO kv VALUES (?, ?)", rows_then_interrupt(3))
    assert conn.in_transaction  # the transaction is the connection's, still open
    conn.commit()
    assert orphans(db) == []
    assert conn.execute("SELECT count(*) FROM kv").fetchone() == (6,)


def test_executemany_generator_runs_outside_the_engine_lock():
    """A parameter generator may wait for another thread that writes: no deadlock."""
    db, conn = cache_db(Trap())
    other = db.connect(autocommit=True)

    def rows():
        yield (200, "a")
        t = spawn(other.execute, "INSERT INTO kv VALUES (201, 'b')", name="other-writer")
        join_all([t])
        yield (202, "c")

    writer = spawn(conn.executemany, "INSERT INTO kv VALUES (?, ?)", rows(), name="executemany")
    join_all([writer])
    assert writer.error is None
    assert conn.execute("SELECT count(*) FROM kv").fetchone() == (8,)


def test_close_while_another_thread_executes_leaves_no_orphan():
    trap = Trap()
    db, conn = cache_db(trap)
    conn.autocommit = False
    inside, release = threading.Event(), threading.Event()

    def block():
        inside.set()
        release.wait(STALL)

    trap.armed = block
    writer = spawn(conn.execute, "UPDATE kv SET v = 'new'", name="writer")
    assert inside.wait(STALL)
    closer = spawn(conn.close, name="closer")
    try:
        wait_until(lambda: in_function(closer, "close"), "close called")
    finally:
        release.set()
    join_all([writer, closer])
    assert conn.closed
    assert orphans(db) == []
    c = db.connect()
    assert c.execute("SELECT count(*) FROM kv WHERE v = 'new'").fetchone() == (0,)
    c.execute("UPDATE kv SET v = 'again'")  # no leftover uncommitted version in the way
    c.commit()
    assert c.execute("SELECT count(*) FROM kv WHERE v = 'again'").fetchone() == (5,)


def test_threads_sharing_one_connection_leave_no_orphans():
    db = memtables.open()
    conn = db.connect()
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER)")
    conn.commit()

    def work(n):
        for i in range(200):
            try:
                conn.execute("INSERT INTO t VALUES (?, ?)", (n * 1000 + i, n))
                if i % 7 == 0:
                    conn.commit()
                if i % 31 == 0:
                    conn.execute("SELECT count(*) FROM t").fetchall()
            except memtables.OperationalError:
                pass
        conn.commit()

    threads = [spawn(work, n, name=f"sharer-{n}") for n in range(4)]
    join_all(threads)
    assert [t.error for t in threads] == [None] * 4
    assert orphans(db) == []
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (800,)


def test_interrupted_commit_finishes_once_logged(tmp_path, monkeypatch):
    """Ctrl-C in the middle of publishing a commit the redo log already holds: the commit
    stands, in memory as after a reopen, and no transaction is left behind."""
    from memtables.txn import TransactionManager

    conn = memtables.connect(tmp_path / "db")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.commit()
    stamp = TransactionManager._stamp
    calls = []

    def interrupted_stamp(txn, cts, alone):
        calls.append(cts)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return stamp(txn, cts, alone)

    monkeypatch.setattr(TransactionManager, "_stamp", staticmethod(interrupted_stamp))
    conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(KeyboardInterrupt):
        conn.commit()
    monkeypatch.undo()
    assert orphans(conn.database) == []
    assert conn.execute("SELECT id FROM t").fetchall() == [(1,)]
    conn.execute("INSERT INTO t VALUES (2)")
    conn.commit()
    conn.close()
    again = memtables.connect(tmp_path / "db")
    assert again.execute("SELECT id FROM t ORDER BY id").fetchall() == [(1,), (2,)]
    again.close()


# ------------------------------------------------------------------ defect 6: fork
def test_forked_child_cannot_use_the_parents_database(tmp_path):
    path = tmp_path / "db"
    trap = Trap()
    db = memtables.open(path, clock=trap)
    conn = db.connect()
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    conn.execute("CREATE CACHE TABLE c (k TEXT PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t VALUES (1, 'parent')")
    conn.commit()
    cur = conn.execute("SELECT id FROM t")
    kv = conn.cache("c")
    uses = {
        "execute": lambda: conn.execute("INSERT INTO t VALUES (2, 'child')"),
        "commit": conn.commit,
        "cursor": conn.cursor,
        "fetch": cur.fetchall,
        "cursor.execute": lambda: cur.execute("SELECT 1"),
        "kv.get": lambda: kv.get("k"),
        "kv.set": lambda: kv.set("k", "child"),
        "connect": db.connect,
        "checkpoint": db.checkpoint,
    }
    # a thread of the parent is in the middle of a call on the connection as it forks
    inside, release = threading.Event(), threading.Event()
    trap.armed = lambda: (inside.set(), release.wait(STALL))
    busy = spawn(conn.execute, "SELECT * FROM c", name="busy-at-fork")
    assert inside.wait(STALL)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports what each use did, then leaves without any cleanup
        try:
            lines = []
            for name, use in uses.items():
                try:
                    use()
                    lines.append(f"{name}: no error")
                except Exception as e:  # noqa: BLE001 - reported to the parent
                    lines.append(f"{name}: {type(e).__name__}: {e}")
            conn.close()  # a no-op in the child: nothing of the parent's is undone
            db.close()
            try:
                memtables.connect(path)
                lines.append("reopen: no error")
            except Exception as e:  # noqa: BLE001
                lines.append(f"reopen: {type(e).__name__}: {e}")
            os.write(write, "\n".join(lines).encode())
        finally:
            os._exit(0)
    os.close(write)
    release.set()
    ready, _w, _x = select.select([read], [], [], STALL)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the child hung on its inherited database")
    with os.fdopen(read) as f:
        report = f.read().splitlines()
    os.waitpid(pid, 0)
    join_all([busy])
    assert busy.error is None
    conn.rollback()
    expected = (
        f"OperationalError: database was opened in another process (pid {os.getpid()}) "
        "before fork; open it again in this process"
    )
    assert report[:-1] == [f"{name}: {expected}" for name in uses]
    assert report[-1].startswith("reopen: OperationalError") and "in use" in report[-1]
    # the parent goes on as if nothing happened
    conn.execute("INSERT INTO t VALUES (3, 'parent')")
    conn.commit()
    db.checkpoint()
    conn.execute("INSERT INTO t VALUES (4, 'parent')")
    conn.commit()
    db.close()
    conn = memtables.connect(path)
    assert conn.execute("SELECT id, who FROM t ORDER BY id").fetchall() == [
        (1, "parent"),
        (3, "parent"),
        (4, "parent"),
    ]
    conn.close()


# ------------------------------------------------------------------ stress under a watchdog
ACCOUNTS = 20
START = 1000
DURATION = 6.0  # seconds of mixed work; the watchdog allows STALL without progress


class Stress:
    """Writers, readers, explicit and automatic checkpoints and connection closes on one
    durable database; every operation that completes counts as progress."""

    def __init__(self, db, seed: int):
        self.db = db
        self.seed = seed
        self.end = time.monotonic() + DURATION
        self.progress = 0
        self.transfers = 0  # committed
        self.lock = threading.Lock()
        self.problems: list[str] = []

    def tick(self, transfers: int = 0) -> None:
        with self.lock:
            self.progress += 1
            self.transfers += transfers

    def running(self) -> bool:
        return time.monotonic() < self.end and not self.problems

    def transfer(self, n: int) -> None:
        rng = random.Random(self.seed * 100 + n)
        conn = self.db.connect()
        while self.running():
            a, b = rng.sample(range(ACCOUNTS), 2)
            amount = rng.randint(1, 50)
            try:
                conn.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, a))
                conn.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, b))
                conn.execute(
                    "INSERT INTO events (src, dst, amount) VALUES (?, ?, ?)", (a, b, amount)
                )
                roll = rng.random()
                if roll < 0.05:
                    conn.close()  # mid-transaction: rolled back
                    conn = self.db.connect()
                    self.tick()
                elif roll < 0.1:
                    conn.rollback()
                    self.tick()
                else:
                    conn.commit()
                    self.tick(1)
            except memtables.SerializationFailure:
                conn.rollback()
                self.tick()
        conn.close()

    def read(self, n: int) -> None:
        conn = self.db.connect(autocommit=n % 2 == 0)
        while self.running():
            total, count = conn.execute("SELECT sum(balance), count(*) FROM accounts").fetchone()
            if (total, count) != (ACCOUNTS * START, ACCOUNTS):
                self.problems.append(f"reader {n} saw sum {total} over {count} accounts")
            conn.execute("SELECT count(*) FROM events WHERE amount > 25").fetchall()
            if not conn.autocommit:
                conn.commit()
            self.tick()
        conn.close()

    def checkpoint(self, n: int) -> None:
        conn = self.db.connect(autocommit=True)
        while self.running():
            if n % 2:
                conn.execute("CHECKPOINT")
            else:
                self.db.checkpoint()
            self.tick()
            time.sleep(0.1)
        conn.close()

    def cache(self, n: int) -> None:
        """Key-value calls on bounded cache tables: readers touch keys writers evict."""
        rng = random.Random(self.seed * 10 + n)
        conn = self.db.connect()
        kvs = [conn.cache("hot_lru"), conn.cache("hot_lfu")]
        while self.running():
            kv = rng.choice(kvs)
            key = f"k{rng.randrange(200)}"
            try:
                if n % 2:
                    kv.get(key)
                    conn.execute(f"SELECT count(*) FROM {kv.name} WHERE v > 'a'").fetchall()
                    conn.commit()
                else:
                    kv.set(key, "v" * rng.randrange(1, 20))
            except memtables.SerializationFailure:
                conn.rollback()
            self.tick()
        conn.close()

    def share(self, n: int) -> None:
        """Two threads share one connection; a third closes it while they use it."""
        conn = self.db.connect()
        users = [spawn(self._use_shared, conn, i, name=f"stress-share-{n}-{i}") for i in range(2)]
        time.sleep(DURATION / 3)
        conn.close()
        for t in users:
            t.join(STALL)
            if t.error is not None:
                self.problems.append(f"shared user: {t.error!r}")

    def _use_shared(self, conn, i: int) -> None:
        rng = random.Random(self.seed * 1000 + i)
        while self.running():
            try:
                conn.execute(
                    "SELECT balance FROM accounts WHERE id = ?", (rng.randrange(ACCOUNTS),)
                )
                conn.execute("INSERT INTO scratch (v) VALUES (?)", (i,))
                if rng.random() < 0.3:
                    conn.commit()
                self.tick()
            except memtables.ProgrammingError:
                return  # closed under us: every later call says so
            except memtables.SerializationFailure:
                self.tick()


def snapshot_of(conn) -> tuple:
    return (
        conn.execute("SELECT * FROM accounts ORDER BY id").fetchall(),
        conn.execute("SELECT * FROM events ORDER BY id").fetchall(),
    )


def test_stress_under_a_watchdog(tmp_path, monkeypatch):
    seed = random.randrange(1 << 30)
    path = tmp_path / "db"
    automatic = []
    auto = persist.Durability._auto_checkpoint
    monkeypatch.setattr(
        persist.Durability, "_auto_checkpoint", lambda self: (automatic.append(1), auto(self))
    )
    db = memtables.open(path, checkpoint_bytes=4_000)
    setup = db.connect()
    setup.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
    setup.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER)"
    )
    setup.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, v INTEGER)")
    for policy in ("lru", "lfu"):
        setup.execute(
            f"CREATE CACHE TABLE hot_{policy} (k TEXT PRIMARY KEY, v TEXT) "
            f"WITH (max_rows = 50, eviction = 'allkeys-{policy}')"
        )
    setup.executemany("INSERT INTO accounts VALUES (?, ?)", [(i, START) for i in range(ACCOUNTS)])
    setup.commit()
    stress = Stress(db, seed)
    plan = [
        (stress.transfer, 3),
        (stress.read, 2),
        (stress.checkpoint, 2),
        (stress.share, 1),
        (stress.cache, 2),
    ]
    threads = [
        spawn(fn, n, name=f"stress-{fn.__name__}-{n}") for fn, count in plan for n in range(count)
    ]
    seen, last_change = -1, time.monotonic()
    while any(t.is_alive() for t in threads):  # the watchdog
        time.sleep(0.1)
        if stress.progress != seen:
            seen, last_change = stress.progress, time.monotonic()
        elif time.monotonic() - last_change > STALL:
            pytest.fail(f"stalled (seed {seed}) after {seen} operations\n{stacks()}")
    errors = [f"{t.name}: {t.error!r}" for t in threads if t.error is not None]
    assert errors + stress.problems == [], f"seed {seed}"
    stats = dict(setup.execute("SELECT * FROM sys.stats").fetchall())
    setup.rollback()
    assert stress.transfers > 0 and stats["checkpoints"] > len(automatic) > 0, stats
    assert orphans(db) == []
    before = snapshot_of(setup)
    assert sum(b for _i, b in before[0]) == ACCOUNTS * START
    assert len(before[1]) == stress.transfers
    db.close()
    again = memtables.connect(path)
    assert snapshot_of(again) == before, f"seed {seed}"
    again.close()


def test_from_arrow_reads_its_stream_outside_the_engine_lock():
    """A stream that waits for another thread's commit before its next batch: no deadlock."""
    import pyarrow as pa

    db = memtables.open()
    conn, other = db.connect(), db.connect(autocommit=True)
    other.execute("CREATE TABLE log (id INTEGER PRIMARY KEY)")
    schema = pa.schema([("id", pa.int64())])

    def batches():
        yield pa.record_batch([pa.array([1, 2])], schema=schema)
        t = spawn(other.execute, "INSERT INTO log VALUES (1)", name="other-writer")
        join_all([t])
        yield pa.record_batch([pa.array([3])], schema=schema)

    stream = pa.RecordBatchReader.from_batches(schema, batches())
    loader = spawn(conn.from_arrow, "t", stream, name="from_arrow")
    join_all([loader])
    assert loader.error is None
    conn.commit()
    assert conn.execute("SELECT id FROM t ORDER BY id").fetchall() == [(1,), (2,), (3,)]
    assert conn.execute("SELECT count(*) FROM log").fetchone() == (1,)


def test_executemany_whose_parameters_close_the_connection_writes_nothing():
    db = memtables.open()
    conn = db.connect()
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.commit()

    def rows():
        yield (1,)
        conn.close()
        yield (2,)

    with pytest.raises(memtables.ProgrammingError, match="closed"):
        conn.executemany("INSERT INTO t VALUES (?)", rows())
    assert orphans(db) == []
    other = db.connect()
    assert other.execute("SELECT count(*) FROM t").fetchone() == (0,)
    other.execute("INSERT INTO t VALUES (1), (2)")  # no uncommitted version in the way
    other.commit()
