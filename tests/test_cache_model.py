"""Cache tables against a plain dict model, under every policy, odd keys and TTLs.

A hypothesis state machine writes through SQL (INSERT, UPDATE, DELETE, upserts, each with or
without TTL) and the key-value face, advances a ``ManualClock``, commits and rolls back, keeps
old row versions alive with a second (reading) connection and, on disk, reopens. After
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
        rows = self.conn.execute("SELECT k, v, _expires_at FROM c").fetchall()
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
        """Another connection starts reading: old row versions stay, entries become chains."""
        self.reader = self.conn.database.connect()
        self.reader.execute("SELECT count(*) FROM c").fetchall()

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


TestCacheModel = CacheModel.TestCase
TestCacheModel.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None, derandomize=True
)
