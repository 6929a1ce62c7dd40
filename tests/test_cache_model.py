"""Cache tables against a plain dict model, under every policy, odd keys and TTLs.

A hypothesis state machine writes through SQL (INSERT, UPDATE, DELETE, upserts, each with or
without TTL) and the key-value face, advances a ``ManualClock``, commits and rolls back, keeps
old row versions alive with a second (reading) connection whose snapshot must not move, and,
on disk, reopens. After
every step the cache's own invariant checker runs (``Cache._check``) and the visible rows
must be the model's live rows, less the rows the cache says it evicted: never an expired row,
never a row the policy may not evict.
"""

from __future__ import annotations

import datetime
import os
import tempfile

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import memtables

# keys of several types that are not comparable with each other (and none equal to another)
KEYS = st.sampled_from(
    [0, 1, 2, "a", "b", b"x", datetime.date(2020, 10, 30), datetime.datetime(2020, 11, 3)]
)
VALUES = st.integers(-3, 9)
TTLS = st.one_of(st.none(), st.integers(0, 4), st.sampled_from([0.5, 2.5]))
BOUNDS = st.sampled_from(["max_rows = 3", "max_rows = 5", "max_memory = 1200", None])


class CacheModel(RuleBasedStateMachine):
    """One cache table, one connection; ``model`` and ``committed`` map key -> (v, expiry)."""

    @initialize(
        policy=st.sampled_from(memtables.cache_policies()),
        bound=BOUNDS,
        default_ttl=st.sampled_from([None, 3, 1.5]),
        durable=st.booleans(),
    )
    def create(self, policy, bound, default_ttl, durable):
        self.clock = memtables.ManualClock(1000)
        self.dir = tempfile.TemporaryDirectory() if durable else None
        self.path = os.path.join(self.dir.name, "db") if durable else None
        self.conn = memtables.connect(self.path, clock=self.clock)
        options = [f"eviction = '{policy}'"]
        if bound:
            options.append(bound)
        if default_ttl is not None:
            options.append(f"default_ttl = {default_ttl}")
        if policy.endswith("lfu"):
            options.append("lfu_decay = 2")  # counts halve within a run
        self.conn.execute(f"CREATE CACHE TABLE c (k PRIMARY KEY, v) WITH ({', '.join(options)})")
        self.conn.commit()
        self.kv = self.conn.cache("c")
        self.policy, self.bounded, self.default_ttl = policy, bound is not None, default_ttl
        self.model: dict = {}
        self.committed: dict = {}
        self.evictions = 0
        self.reader = None

    # ------------------------------------------------------------ helpers
    def _expiry(self, ttl, given=True):
        if not given:
            ttl = self.default_ttl
        return None if ttl is None else self.clock() + ttl

    def _live(self, model=None) -> dict:
        now = self.clock()
        model = self.model if model is None else model
        return {k: r for k, r in model.items() if r[1] is None or r[1] > now}

    def _write(self, action, wrote, change, allowed=()):
        """Run ``action``; on success apply ``change`` to the model, on an allowed error
        check that nothing changed. ``wrote`` are the keys the action writes (never evicted)."""
        before = self._visible()
        try:
            action()
        except allowed:
            assert self._visible() == before, "a failed write changed the table"
            # (its evictions were undone with it, though the statistics still count them)
            self.evictions = self.kv.stats()["evictions"]
            return
        change()
        self._reconcile(wrote)

    def _reconcile(self, wrote):
        """Drop from the model the rows the cache evicted, checking they were fair game."""
        evictions = self.kv.stats()["evictions"]
        gone = set(self._live()) - set(self._visible())
        assert len(gone) == evictions - self.evictions, (gone, evictions - self.evictions)
        self.evictions = evictions
        if gone:
            assert self.policy != "noeviction", f"noeviction lost {gone}"
            assert not gone & set(wrote), "a row just written was evicted"
        for k in gone:
            if self.policy.startswith("volatile"):
                assert self.model[k][1] is not None, f"{self.policy} evicted {k!r} without TTL"
            del self.model[k]
        if not self.conn.in_transaction:  # the write committed on its own (the kv face)
            self.committed = dict(self.model)

    def _visible(self) -> dict:
        # a look that begins no transaction, so the key-value face's calls that follow take
        # their one-key path (outside a transaction) whenever the rules left none open
        opened = not self.conn.in_transaction
        rows = self.conn.execute("SELECT k, v, _expires_at FROM c").fetchall()
        if opened:
            self.conn.commit()
        out = {k: (v, e) for k, v, e in rows}
        assert len(out) == len(rows), "a key appears twice"
        return out

    def _ttl_clause(self, ttl):
        return "" if ttl is False else " TTL NULL" if ttl is None else f" TTL {ttl}"

    # ------------------------------------------------------------ SQL writes
    @rule(k=KEYS, v=VALUES, ttl=st.one_of(st.just(False), TTLS))
    def insert(self, k, v, ttl):
        live = k in self._live()

        def change():
            assert not live, "INSERT over a live key succeeded"
            self.model[k] = (v, self._expiry(ttl, ttl is not False))

        self._write(
            lambda: self.conn.execute(
                f"INSERT INTO c VALUES (?, ?){self._ttl_clause(ttl)}", (k, v)
            ),
            (k,),
            change,
            (memtables.IntegrityError, memtables.OperationalError),
        )

    @rule(k=KEYS, v=VALUES, ttl=st.one_of(st.just(False), TTLS))
    def upsert(self, k, v, ttl):
        def change():
            old = self._live().get(k)
            if ttl is not False:
                exp = self._expiry(ttl)
            elif old is not None:
                exp = old[1]
            else:
                exp = self._expiry(None, False)
            self.model[k] = (v, exp)

        sql = (
            "INSERT INTO c VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
            + self._ttl_clause(ttl)
        )
        self._write(
            lambda: self.conn.execute(sql, (k, v)), (k,), change, memtables.OperationalError
        )

    @rule(k=KEYS, dv=VALUES, ttl=st.one_of(st.just(False), TTLS))
    def update(self, k, dv, ttl):
        def change():
            old = self._live().get(k)
            if old is not None:
                exp = old[1] if ttl is False else self._expiry(ttl)
                self.model[k] = (old[0] + dv, exp)

        sql = f"UPDATE c SET v = v + ? WHERE k = ?{self._ttl_clause(ttl)}"
        self._write(
            lambda: self.conn.execute(sql, (dv, k)), (k,), change, memtables.OperationalError
        )

    @rule(keys=st.lists(KEYS, min_size=2, max_size=4, unique=True), v=VALUES, ttl=TTLS)
    def insert_many(self, keys, v, ttl):
        """One statement, several rows, one expiry: the rows tie in the expiry order."""
        live = set(self._live())

        def change():
            assert not live & set(keys), "INSERT over a live key succeeded"
            for k in keys:
                self.model[k] = (v, self._expiry(ttl))

        marks = ", ".join("(?, ?)" for _ in keys)
        params = [x for k in keys for x in (k, v)]
        self._write(
            lambda: self.conn.execute(
                f"INSERT INTO c VALUES {marks}{self._ttl_clause(ttl)}", params
            ),
            keys,
            change,
            (memtables.IntegrityError, memtables.OperationalError),
        )

    @rule(k=KEYS, new=KEYS)
    def rekey(self, k, new):
        """An UPDATE that moves a row to another key (keeping its value and expiry)."""
        live = self._live()

        def change():
            if k in live and new != k:
                assert new not in live, "UPDATE onto a live key succeeded"
                self.model[new] = self.model.pop(k)

        self._write(
            lambda: self.conn.execute("UPDATE c SET k = ? WHERE k = ?", (new, k)),
            (new,),
            change,
            (memtables.IntegrityError, memtables.OperationalError),
        )

    @rule(below=VALUES)
    def delete_many(self, below):
        def change():
            for k, (v, _e) in self._live().items():
                if v < below:
                    del self.model[k]

        self._write(lambda: self.conn.execute("DELETE FROM c WHERE v < ?", (below,)), (), change)

    @rule(k=KEYS)
    def delete(self, k):
        self._write(
            lambda: self.conn.execute("DELETE FROM c WHERE k = ?", (k,)),
            (k,),
            lambda: self.model.pop(k, None),
        )

    @rule(ttl=st.sampled_from([1e400, float("-inf"), -1, 10**400]))
    def bad_ttl_is_refused(self, ttl):
        before = self._visible()
        attempts = [lambda: self.conn.execute("INSERT INTO c VALUES ('new', 1) TTL ?", (ttl,))]
        if before:  # an UPDATE of no row computes no expiry
            attempts.append(lambda: self.conn.execute("UPDATE c SET v = v TTL ?", (ttl,)))
            if ttl != -1:  # a past expiry is a fine _expires_at, not a fine TTL
                attempts.append(lambda: self.conn.execute("UPDATE c SET _expires_at = ?", (ttl,)))
        for attempt in attempts:
            try:
                attempt()
            except memtables.DataError:
                pass
            else:
                raise AssertionError(f"TTL {ttl!r} was accepted")
            assert self._visible() == before

    # ------------------------------------------------------------ the key-value face
    @rule(k=KEYS, v=VALUES, ttl=TTLS)
    def kv_set(self, k, v, ttl):
        def change():
            self.model[k] = (v, self._expiry(ttl, ttl is not None))

        self._write(lambda: self.kv.set(k, v, ttl=ttl), (k,), change, memtables.OperationalError)

    @rule(ks=st.lists(KEYS, min_size=2, max_size=6, unique=True), v=VALUES, ttl=TTLS)
    def kv_set_burst(self, ks, v, ttl):
        """Commit, then kv.set several keys in a row: outside a transaction each takes the
        one-key path, and past a row bound each new key evicts another there, in place,
        while a pinned reader may still read it."""
        self.commit()
        for k in ks:
            self.kv_set(k, v, ttl)

    @rule(k=KEYS)
    def kv_get(self, k):
        live = self._live().get(k)
        assert self.kv.get(k, "absent") == ("absent" if live is None else live[0])

    @rule(k=KEYS, seconds=st.integers(0, 4))
    def kv_expire(self, k, seconds):
        live = k in self._live()
        assert self.kv.expire(k, seconds) == live
        if live:
            self.model[k] = (self.model[k][0], self.clock() + seconds)
        self._reconcile((k,))

    @rule(k=KEYS)
    def kv_persist(self, k):
        live = k in self._live()
        assert self.kv.persist(k) == live
        if live:
            self.model[k] = (self.model[k][0], None)
        self._reconcile((k,))

    @rule(k=KEYS, n=st.integers(-2, 2))
    def kv_incr(self, k, n):
        old = self._live().get(k)

        def change():
            if old is None:
                self.model[k] = (n, self._expiry(None, False))
            else:
                self.model[k] = (old[0] + n, old[1])

        self._write(lambda: self.kv.incr(k, n), (k,), change, memtables.OperationalError)

    @rule(k=KEYS, v=VALUES)
    def insert_twice(self, k, v):
        """A statement that writes a row and then fails: its rollback must undo the row."""
        self._write(
            lambda: self.conn.execute("INSERT INTO c VALUES (?, ?), (?, ?)", (k, v, k, v)),
            (k,),
            lambda: pytest.fail("a key inserted twice in one statement"),
            (memtables.IntegrityError, memtables.OperationalError),
        )

    # ------------------------------------------------------------ time and transactions
    @precondition(lambda self: self.reader is None)
    @rule()
    def pin(self):
        """Another connection starts reading: old row versions stay, entries become chains,
        and what it sees must stay the committed rows of this moment (less those that expire)
        whatever the writer does meanwhile, the key-value face's one-key path included."""
        self.reader = self.conn.database.connect()
        self.reader.execute("SELECT count(*) FROM c").fetchall()
        self.pinned = dict(self.committed)

    @precondition(lambda self: self.reader is not None)
    @rule()
    def unpin(self):
        self.reader.close()
        self.reader = None

    @rule(dt=st.sampled_from([0.5, 1, 2, 5]))
    def advance(self, dt):
        self.clock.advance(dt)

    @rule()
    def commit(self):
        self.conn.commit()
        self.committed = dict(self.model)

    @precondition(lambda self: self.conn.in_transaction)
    @rule()
    def rollback(self):
        self.conn.rollback()
        self.model = dict(self.committed)

    @precondition(lambda self: self.path is not None)
    @rule()
    def reopen(self):
        """Close (dropping what is not committed) and reopen from the log."""
        if self.reader is not None:
            self.unpin()
        self.conn.close()
        self.conn = memtables.connect(self.path, clock=self.clock)
        self.kv = self.conn.cache("c")
        self.model = dict(self.committed)
        self.evictions = 0

    def teardown(self):
        if getattr(self, "reader", None) is not None:
            self.reader.close()
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()
        if getattr(self, "dir", None) is not None:
            self.dir.cleanup()

    # ------------------------------------------------------------ after every step
    @invariant()
    def consistent(self):
        cache, table = self.kv.cache, self.kv.table
        cache._check(table, bounded=self.bounded)
        assert self._visible() == self._live()
        assert len(self.kv) == len(self._live())
        if self.reader is not None:
            seen = self.reader.execute("SELECT k, v, _expires_at FROM c").fetchall()
            assert {k: (v, e) for k, v, e in seen} == self._live(self.pinned), "snapshot moved"


TestCacheModel = CacheModel.TestCase
TestCacheModel.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None, derandomize=True
)


# ---------------------------------------------------------------- exact eviction orders (issue 13)
LFU = ["allkeys-lfu", "volatile-lfu"]
ORDERED = [p for p in memtables.cache_policies() if not p.endswith(("random", "lfu"))]
DECAY = 4  # lfu_decay, in seconds of the manual clock
MAX_ROWS = 3


class ExactOrderModel(RuleBasedStateMachine):
    """Every policy that is not random, through the key-value face, against a reference model
    of its exact eviction order and statistics: LRU; LFU with least recently used first among
    equal counts and counts halved once per decay period (re-filed by count, ties in the
    order keys were first added); nearest expiry first. So a change of the policy objects
    cannot change which key goes.

    ``rows`` is every key the table holds, expired or not, with its value and expiry (an
    expired row stays until a read finds it or a write sweeps it). Among the keys of the
    policy's domain (every key, or for ``volatile-*`` the keys with a TTL), ``lru`` is the
    access order, ``count`` the access counts (in the order keys were filed: by a first add
    or by a decay) and ``filed`` when each key entered its count; ``ttl_seq`` orders keys of
    equal expiry by when the expiry was set.
    """

    @initialize(policy=st.sampled_from(ORDERED))
    def create(self, policy):
        self._create(policy)

    def _create(self, policy):
        self.clock = memtables.ManualClock(0)
        self.conn = memtables.connect(clock=self.clock)
        self.conn.execute(
            "CREATE CACHE TABLE c (k INTEGER PRIMARY KEY, v INTEGER) WITH "
            f"(max_rows = {MAX_ROWS}, eviction = '{policy}', lfu_decay = {DECAY})"
        )
        self.conn.commit()
        self.kv = self.conn.cache("c")
        self.policy = policy
        self.rows: dict = {}
        self.lru: dict = {}
        self.count: dict = {}
        self.filed: dict = {}
        self.ttl_seq: dict = {}
        self.seq = 0
        self.next_decay = None
        self.stats = dict.fromkeys(("hits", "misses", "evictions", "expirations"), 0)

    def teardown(self):
        if getattr(self, "conn", None) is not None:
            self.conn.close()

    # ------------------------------------------------------------ the reference model
    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _in_domain(self, exp) -> bool:
        return exp is not None or not self.policy.startswith("volatile")

    def _enter(self, k):
        self.lru[k] = None
        self.count[k] = 1
        self.filed[k] = self._next()

    def _leave(self, k):
        for order in (self.lru, self.count, self.filed):
            order.pop(k, None)

    def _touch(self, k):
        if k in self.count:
            self.lru[k] = self.lru.pop(k)
            self.count[k] += 1
            self.filed[k] = self._next()
        if self.policy.endswith("lfu"):  # the decay clock runs on every access
            now = self.clock()
            if self.next_decay is None:
                self.next_decay = now + DECAY
            elif now >= self.next_decay:
                by_count = sorted(self.count.items(), key=lambda kc: kc[1])
                self.count.clear()
                for key, c in by_count:
                    self.count[key] = max(1, c // 2)
                    self.filed[key] = self._next()
                self.next_decay = now + DECAY

    def _dead(self, k) -> bool:
        exp = self.rows[k][1]
        return exp is not None and exp <= self.clock()

    def _drop(self, k):
        del self.rows[k]
        self._leave(k)
        self.ttl_seq.pop(k, None)

    def _expire(self, k):
        self._drop(k)
        self.stats["expirations"] += 1

    def _retime(self, k, v, exp):
        """A live key gets a new row: an access, and maybe a new expiry."""
        old = self.rows[k][1]
        self._touch(k)
        self.rows[k] = (v, exp)
        if old == exp:
            return
        if self._in_domain(exp) and not self._in_domain(old):
            self._enter(k)
        elif not self._in_domain(exp):
            self._leave(k)
        if exp is None:
            self.ttl_seq.pop(k)
        else:
            self.ttl_seq[k] = self._next()

    def _victim(self, protect):
        keys = [k for k in self.count if k != protect]
        if not keys or self.policy == "noeviction":
            return None
        if self.policy.endswith("lru"):
            return next(k for k in self.lru if k != protect)
        if self.policy.endswith("lfu"):
            return min(keys, key=lambda k: (self.count[k], self.filed[k]))
        return min(keys, key=lambda k: (self.rows[k][1], self.ttl_seq[k]))

    def _live_value(self, k):
        """The value at ``k`` as a read sees it (an expired row is removed on the way)."""
        if k not in self.rows:
            return None
        if self._dead(k):
            self._expire(k)
            return None
        return self.rows[k][0]

    # ------------------------------------------------------------ rules
    @rule(k=st.integers(0, 5), v=VALUES, ttl=st.one_of(st.none(), st.integers(1, 6)))
    def set(self, k, v, ttl):
        now = self.clock()
        live = [key for key in self.rows if not self._dead(key)]
        over = len(live) + (k not in live) > MAX_ROWS
        if over and self._victim(k) is None:
            return  # the write would be refused and rolled back: not what this model is for
        self.kv.set(k, v, ttl=ttl)
        for key in [key for key in self.rows if self._dead(key)]:
            self._expire(key)  # the key itself first, then the sweep
        exp = None if ttl is None else now + ttl
        if k in self.rows:
            self._retime(k, v, exp)
        else:
            self.rows[k] = (v, exp)
            if self._in_domain(exp):
                self._enter(k)
            if exp is not None:
                self.ttl_seq[k] = self._next()
        if over:
            self._drop(self._victim(k))
            self.stats["evictions"] += 1

    @rule(k=st.integers(0, 5))
    def get(self, k):
        want = self._live_value(k)
        assert self.kv.get(k) == want
        if want is None:
            self.stats["misses"] += 1
        else:
            self.stats["hits"] += 1
            self._touch(k)

    @rule(k=st.integers(0, 5))
    def delete(self, k):
        present = self._live_value(k) is not None
        assert self.kv.delete(k) == present
        if present:
            self._drop(k)

    @rule(k=st.integers(0, 5), ttl=st.one_of(st.none(), st.integers(1, 6)))
    def expire_or_persist(self, k, ttl):
        present = self._live_value(k) is not None
        done = self.kv.persist(k) if ttl is None else self.kv.expire(k, ttl)
        assert done == present
        if present:
            self._retime(k, self.rows[k][0], None if ttl is None else self.clock() + ttl)

    @rule(dt=st.integers(1, 3))
    def advance(self, dt):
        self.clock.advance(dt)

    @invariant()
    def same_rows_and_stats(self):
        if not hasattr(self, "kv"):
            return
        got = dict(self.conn.execute("SELECT k, v FROM c").fetchall())
        assert got == {k: r[0] for k, r in self.rows.items() if not self._dead(k)}
        stats = self.kv.stats()
        assert {name: stats[name] for name in self.stats} == self.stats
        self.kv.cache._check(self.kv.table, bounded=True)


class ExactLfuModel(ExactOrderModel):
    """The same for LFU, on its own: equal counts re-filed by a decay take more examples
    to reach."""

    @initialize(policy=st.sampled_from(LFU))
    def create(self, policy):
        self._create(policy)


TestExactOrderModel = ExactOrderModel.TestCase
TestExactOrderModel.settings = settings(
    max_examples=150, stateful_step_count=50, deadline=None, derandomize=True
)
TestExactLfuModel = ExactLfuModel.TestCase
TestExactLfuModel.settings = settings(
    max_examples=300, stateful_step_count=50, deadline=None, derandomize=True
)
