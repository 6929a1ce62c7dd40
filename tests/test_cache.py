"""Cache tables: eviction policies against reference models, TTLs on every read path,
memory bounds, statistics, the key-value face and the cache-aside decorator."""

from __future__ import annotations

import datetime
import random
from collections import OrderedDict

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import memtables


def cache_db(policy="allkeys-lru", max_rows=3, extra="", clock=None):
    clock = clock or memtables.ManualClock(1000)
    conn = memtables.connect(clock=clock)
    bounds = f"max_rows = {max_rows}, " if max_rows is not None else ""
    conn.execute(
        f"CREATE CACHE TABLE c (k INTEGER PRIMARY KEY, v TEXT) "
        f"WITH ({bounds}eviction = '{policy}'{extra})"
    )
    return conn, clock, conn.cache("c")


def keys(conn):
    return sorted(r[0] for r in conn.execute("SELECT k FROM c"))


# ---------------------------------------------------------------- policies
def test_allkeys_lru_evicts_least_recently_used():
    conn, _clock, kv = cache_db("allkeys-lru", 3)
    for k in (1, 2, 3):
        kv.set(k, "x")
    kv.get(1)  # 2 is now the least recently used
    kv.set(4, "x")
    assert keys(conn) == [1, 3, 4]
    conn.execute("SELECT v FROM c WHERE k = 3").fetchall()  # an SQL lookup is an access too
    kv.set(5, "x")
    assert keys(conn) == [3, 4, 5]
    assert kv.stats()["evictions"] == 2


def test_allkeys_lfu_evicts_least_frequently_used_with_lru_ties():
    conn, _clock, kv = cache_db("allkeys-lfu", 3)
    for k in (1, 2, 3):
        kv.set(k, "x")
    for _ in range(3):
        kv.get(1)
    kv.get(2)
    kv.set(4, "x")  # 3 has the lowest count
    assert keys(conn) == [1, 2, 4]
    kv.set(5, "x")  # 4 (count 1) goes before 2 (count 2)
    assert keys(conn) == [1, 2, 5]


def test_lfu_counts_decay():
    clock = memtables.ManualClock(0)
    conn, _c, kv = cache_db("allkeys-lfu", 2, ", lfu_decay = 10", clock)
    kv.set(1, "x")
    for _ in range(8):
        kv.get(1)  # popular a while ago
    kv.set(2, "x")
    clock.advance(11)
    kv.get(2)  # triggers the decay: 1 halves to 4, 2 is at 2 (then 3 after this hit)
    for _ in range(3):
        clock.advance(11)
        kv.get(2)
    kv.set(3, "x")  # 1 decayed below 2 and goes
    assert keys(conn) == [2, 3]


def test_lfu_decay_keeps_equal_counts_in_the_order_keys_first_came():
    # Pinned so that a change of the LFU structure cannot reorder ties (issue 13): a decay
    # refiles every key by its halved count, ties in the order the keys were first added,
    # not the order of their last access.
    clock = memtables.ManualClock(0)
    conn, _c, kv = cache_db("allkeys-lfu", 3, ", lfu_decay = 10", clock)
    kv.set(1, "x")
    kv.set(2, "x")
    kv.get(2)  # count 2, and the decay period starts
    kv.get(1)  # count 2, accessed after 2
    kv.set(3, "x")
    clock.advance(10)
    kv.get(3)  # count 2, then the decay: every count back to 1, in the order 1, 2, 3
    kv.set(4, "x")
    assert keys(conn) == [2, 3, 4]


def test_allkeys_random_keeps_the_bound():
    conn, _clock, kv = cache_db("allkeys-random", 5)
    for k in range(50):
        kv.set(k, "x")
    assert len(keys(conn)) == 5 and 49 in keys(conn)  # the key just written is kept
    assert kv.stats()["evictions"] == 45


def test_volatile_policies_evict_only_keys_with_a_ttl():
    for policy in ("volatile-lru", "volatile-lfu", "volatile-random"):
        conn, _clock, kv = cache_db(policy, 3)
        kv.set(1, "x")  # no TTL: never evicted
        kv.set(2, "x", ttl=100)
        kv.set(3, "x", ttl=100)
        kv.set(4, "x")
        assert 1 in keys(conn) and 4 in keys(conn), policy
        assert len(keys(conn)) == 3


def test_volatile_ttl_evicts_nearest_expiry():
    conn, _clock, kv = cache_db("volatile-ttl", 3)
    kv.set(1, "x", ttl=300)
    kv.set(2, "x", ttl=100)
    kv.set(3, "x", ttl=200)
    kv.set(4, "x")
    assert keys(conn) == [1, 3, 4]


def test_volatile_without_ttl_keys_refuses_like_noeviction():
    conn, _clock, kv = cache_db("volatile-lru", 2)
    kv.set(1, "x")
    kv.set(2, "x")
    with pytest.raises(memtables.OperationalError, match="finds nothing to evict"):
        kv.set(3, "x")
    assert keys(conn) == [1, 2]


def test_noeviction_refuses_the_write_and_changes_nothing():
    conn, _clock, kv = cache_db("noeviction", 2)
    conn.execute("INSERT INTO c VALUES (1, 'a'), (2, 'b')")
    conn.commit()
    with pytest.raises(memtables.OperationalError, match="full"):
        conn.execute("INSERT INTO c VALUES (3, 'c')")
    with pytest.raises(memtables.OperationalError):
        conn.execute("INSERT INTO c VALUES (4, 'd'), (5, 'e')")
    assert keys(conn) == [1, 2]
    conn.execute("UPDATE c SET v = 'z' WHERE k = 1")  # staying within the bound is fine
    conn.commit()


def test_memory_bound_holds_within_five_percent():
    conn = memtables.connect()
    conn.execute(
        "CREATE CACHE TABLE m (k INTEGER PRIMARY KEY, v TEXT) "
        "WITH (max_memory = '64KB', eviction = 'allkeys-lru')"
    )
    kv = conn.cache("m")
    rnd = random.Random(3)
    limit = 64 * 1024
    for _ in range(3000):
        op = rnd.random()
        k = rnd.randrange(500)
        if op < 0.6:
            kv.set(k, "v" * rnd.randrange(1, 400))
        elif op < 0.9:
            kv.get(k)
        else:
            kv.delete(k)
        assert kv.stats()["memory_bytes"] <= limit * 1.05
    assert kv.stats()["evictions"] > 0
    # the estimate is recomputable from the rows themselves
    from memtables.cache import row_bytes

    table = conn.database.engine.catalog.table("m")
    assert kv.stats()["memory_bytes"] == sum(row_bytes(e[0]) for e in table.rows.values())


# ---------------------------------------------------------------- TTL on every read path
@pytest.mark.parametrize("offset, visible", [(-1, True), (0, False), (1, False)])
def test_expired_rows_are_invisible_on_every_read_path(offset, visible):
    clock = memtables.ManualClock(1000)
    conn = memtables.connect(clock=clock)
    conn.executescript(
        """
        CREATE CACHE TABLE s (k TEXT PRIMARY KEY, user_id INTEGER, v TEXT);
        CREATE INDEX s_user ON s (user_id);
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO users VALUES (7, 'ada');
        """
    )
    conn.execute("INSERT INTO s VALUES ('tok', 7, 'data') TTL 60")
    conn.execute("INSERT INTO s VALUES ('keep', 8, 'data')")
    conn.commit()
    clock.now = 1060 + offset
    n = 1 if visible else 0
    assert len(conn.execute("SELECT * FROM s WHERE k = 'tok'").fetchall()) == n  # key lookup
    assert len([r for r in conn.execute("SELECT k FROM s") if r[0] == "tok"]) == n  # scan
    assert len(conn.execute("SELECT k FROM s WHERE user_id = 7").fetchall()) == n  # index
    q = "SELECT u.name FROM users u JOIN s ON s.user_id = u.id"
    assert len(conn.execute(q).fetchall()) == n  # join
    assert conn.execute("SELECT count(*) FROM s").fetchone() == (1 + n,)  # aggregate
    assert conn.execute("SELECT count(*) FROM s WHERE v = 'data'").fetchone() == (1 + n,)
    kv = conn.cache("s")
    assert (kv.get("tok") is not None) == visible  # key-value face
    assert ("tok" in kv) == visible
    assert conn.execute("UPDATE s SET v = 'x' WHERE k = 'tok'").rowcount == n
    if not visible:
        conn.execute("INSERT INTO s VALUES ('tok', 9, 'new')")  # the key is free again
        assert conn.execute("SELECT user_id FROM s WHERE k = 'tok'").fetchone() == (9,)


def test_ttl_in_sql_default_refresh_keep_and_remove():
    clock = memtables.ManualClock(0)
    conn = memtables.connect(clock=clock)
    conn.execute("CREATE CACHE TABLE s (k TEXT PRIMARY KEY, v INTEGER) WITH (default_ttl = 100)")
    conn.execute("INSERT INTO s VALUES ('a', 1)")  # default TTL
    conn.execute("INSERT INTO s VALUES ('b', 1) TTL 10")
    conn.execute("INSERT INTO s VALUES ('c', 1) TTL NULL")  # no TTL at all
    got = dict(conn.execute("SELECT k, _expires_at FROM s").fetchall())
    assert got == {"a": 100.0, "b": 10.0, "c": None}
    assert "_expires_at" not in [d[0] for d in conn.execute("SELECT * FROM s").description]
    clock.advance(5)
    up = "INSERT INTO s VALUES ('b', 2) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    conn.execute(up)  # keeps the TTL
    assert conn.execute("SELECT _expires_at FROM s WHERE k = 'b'").fetchone() == (10.0,)
    conn.execute(up + " TTL 30")  # refreshes it
    assert conn.execute("SELECT _expires_at FROM s WHERE k = 'b'").fetchone() == (35.0,)
    conn.execute("UPDATE s SET v = 3 WHERE k = 'b'")  # keeps
    conn.execute("UPDATE s SET v = 4 WHERE k = 'a' TTL 1")  # refreshes
    assert conn.execute(
        "SELECT k, _expires_at - 5 FROM s WHERE k IN ('a', 'b') ORDER BY k"
    ).fetchall() == [("a", 1.0), ("b", 30.0)]
    conn.execute("UPDATE s SET _expires_at = NULL WHERE k = 'a'")  # removes it
    clock.advance(1000)
    assert [r[0] for r in conn.execute("SELECT k FROM s ORDER BY k")] == ["a", "c"]
    with pytest.raises(memtables.DataError, match="TTL"):
        conn.execute("INSERT INTO s VALUES ('d', 1) TTL -5")
    with pytest.raises(memtables.ProgrammingError, match="cache tables"):
        conn.execute("CREATE TABLE plain (k INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO plain VALUES (1) TTL 5")


def test_sweep_removes_dead_rows_on_writes():
    conn, clock, kv = cache_db("allkeys-lru", None)
    for k in range(100):
        kv.set(k, "x", ttl=10)
    clock.advance(20)
    kv.set(1000, "y")  # writes sweep what has expired
    stats = kv.stats()
    assert stats["expirations"] == 100 and stats["rows"] == 1
    assert len(conn.database.engine.catalog.table("c").rows) == 1


# ---------------------------------------------------------------- key-value face
def test_key_value_face():
    conn, clock, kv = cache_db("allkeys-lru", 100)
    assert kv.get("nope", "dflt") == "dflt"
    kv.set(1, "one", ttl=30)
    assert kv.get(1) == "one" and 1 in kv and len(kv) == 1
    assert kv.ttl(1) == 30.0
    kv.expire(1, 5)
    assert kv.ttl(1) == 5.0
    kv.persist(1)
    assert kv.ttl(1) is None
    with pytest.raises(KeyError):
        kv.ttl(2)
    kv.set_many({2: "two", 3: "three"}, ttl=10)
    assert kv.get_many([1, 2, 3, 4]) == {1: "one", 2: "two", 3: "three"}
    assert kv.delete(2) is True and kv.delete(2) is False
    kv.set(3, "new", keepttl=True)
    assert kv.ttl(3) == 10.0
    clock.advance(10)
    assert kv.get(3) is None and len(kv) == 1
    conn.execute("CREATE CACHE TABLE counters (k TEXT PRIMARY KEY, n INTEGER)")
    counters = conn.cache("counters")
    assert counters.incr("hits") == 1 and counters.incr("hits", 10) == 11
    with pytest.raises(memtables.ProgrammingError, match="not a cache table"):
        conn.execute("CREATE TABLE plain (k INTEGER PRIMARY KEY, v TEXT)")
        conn.cache("plain")


def test_key_value_face_with_several_value_columns_and_transactions():
    conn = memtables.connect()
    conn.execute("CREATE CACHE TABLE p (id INTEGER PRIMARY KEY, name TEXT, score REAL)")
    conn.commit()
    kv = conn.cache("p")
    kv.set(1, ("ada", 9.5))
    assert kv.get(1) == ("ada", 9.5)
    with pytest.raises(memtables.DataError):
        kv.set(2, "only one value")
    conn.execute("BEGIN")
    kv.set(2, ("bob", 1.0))  # part of the open transaction
    conn.rollback()
    assert kv.get(2) is None


def test_stats_match_a_model_and_reset():
    conn, _clock, kv = cache_db("allkeys-lru", 10)
    rnd = random.Random(5)
    model = {"hits": 0, "misses": 0}
    present = set()
    for _ in range(500):
        k = rnd.randrange(15)
        if rnd.random() < 0.5:
            kv.set(k, "x")
            present.add(k)
            while len(present) > 10:
                present = set(keys(conn))
        else:
            got = kv.get(k)
            model["hits" if k in present else "misses"] += 1
            assert (got is not None) == (k in present)
    stats = kv.stats()
    assert (stats["hits"], stats["misses"]) == (model["hits"], model["misses"])
    assert stats["hit_rate"] == pytest.approx(model["hits"] / (model["hits"] + model["misses"]))
    row = conn.execute("SELECT hits, misses, rows FROM sys.cache_stats WHERE name = 'c'").fetchone()
    assert row == (model["hits"], model["misses"], 10)
    kv.reset_stats()
    assert kv.stats()["hits"] == 0 and kv.stats()["rows"] == 10


def test_cached_decorator():
    conn = memtables.connect(clock=memtables.ManualClock(0))
    calls = []

    @memtables.cached(conn, ttl=60)
    def slow_square(x, scale=1):
        calls.append(x)
        return {"x": x, "square": x * x * scale}

    assert slow_square(3) == {"x": 3, "square": 9}
    assert slow_square(3) == {"x": 3, "square": 9}
    assert slow_square(3, scale=2) == {"x": 3, "square": 18}
    assert calls == [3, 3]
    stats = conn.cache("memtables_cache").stats()
    assert stats["hits"] == 1 and stats["misses"] == 2


def test_durable_cache_table_keeps_ttls(tmp_path):
    clock = memtables.ManualClock(500)
    path = tmp_path / "c.mtdb"
    conn = memtables.connect(path, clock=clock)
    conn.execute("CREATE CACHE TABLE s (k TEXT PRIMARY KEY, v TEXT) WITH (max_rows = 10)")
    conn.execute("INSERT INTO s VALUES ('a', 'x') TTL 100")
    conn.execute("INSERT INTO s VALUES ('b', 'y')")
    conn.commit()
    conn.execute("CHECKPOINT")
    conn.execute("INSERT INTO s VALUES ('c', 'z') TTL 50")
    conn.commit()
    conn.close()
    conn = memtables.connect(path, clock=clock)
    assert conn.execute("SELECT k, _expires_at FROM s ORDER BY k").fetchall() == [
        ("a", 600.0),
        ("b", None),
        ("c", 550.0),
    ]
    clock.advance(60)
    assert [r[0] for r in conn.execute("SELECT k FROM s ORDER BY k")] == ["a", "b"]
    assert conn.execute("SELECT max_rows, policy FROM sys.cache_stats").fetchone() == (
        10,
        "noeviction",
    )
    conn.close()


def test_cache_aside_example_runs():
    import subprocess
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "examples" / "cache_aside.py"
    out = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "miss" in out.stdout and "hit" in out.stdout


# ---------------------------------------------------------------- a model of TTL + LRU
class TtlLruModel(RuleBasedStateMachine):
    """A cache of at most 4 rows with TTLs and LRU eviction, against a plain model."""

    def __init__(self):
        super().__init__()
        self.clock = memtables.ManualClock(0)
        self.conn = memtables.connect(clock=self.clock)
        self.conn.execute(
            "CREATE CACHE TABLE c (k INTEGER PRIMARY KEY, v INTEGER) "
            "WITH (max_rows = 4, eviction = 'allkeys-lru')"
        )
        self.kv = self.conn.cache("c")
        self.model: OrderedDict = OrderedDict()  # key -> (value, expiry), LRU order

    def _expire(self):
        now = self.clock()
        for k in [k for k, (_v, e) in self.model.items() if e is not None and e <= now]:
            del self.model[k]

    @rule(k=st.integers(0, 6), v=st.integers(0, 9), ttl=st.one_of(st.none(), st.integers(1, 5)))
    def set(self, k, v, ttl):
        self.kv.set(k, v, ttl=ttl)
        self._expire()
        self.model.pop(k, None)
        self.model[k] = (v, None if ttl is None else self.clock() + ttl)
        while len(self.model) > 4:
            self.model.popitem(last=False)

    @rule(k=st.integers(0, 6))
    def get(self, k):
        got = self.kv.get(k)
        self._expire()
        if k in self.model:
            assert got == self.model[k][0]
            self.model.move_to_end(k)
        else:
            assert got is None

    @rule(k=st.integers(0, 6))
    def delete(self, k):
        self._expire()
        assert self.kv.delete(k) == (k in self.model)
        self.model.pop(k, None)

    @rule(dt=st.integers(1, 3))
    def advance(self, dt):
        self.clock.advance(dt)

    @invariant()
    def same_keys(self):
        self._expire()
        got = sorted(r[0] for r in self.conn.execute("SELECT k FROM c"))
        assert got == sorted(self.model)
        self.kv.cache._check(self.kv.table, bounded=True)


TestTtlLruModel = TtlLruModel.TestCase
TestTtlLruModel.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None, derandomize=True
)


# ---------------------------------------------------------------- odd TTLs and keys (issue 12)
MIXED_KEYS = [1, "a", b"x", 2.5, datetime.date(2020, 10, 30), datetime.datetime(2020, 11, 3)]


@pytest.mark.parametrize("policy", memtables.cache_policies())
def test_equal_expiries_never_compare_keys(policy):
    # One statement's rows share one expiry: the expiry order must not fall back on the keys,
    # which need not be comparable (1 and 'a'); before, a raw TypeError escaped mid-rollback.
    clock = memtables.ManualClock(1000)
    conn = memtables.connect(clock=clock)
    conn.execute(
        "CREATE CACHE TABLE c (k PRIMARY KEY, v) "
        f"WITH (default_ttl = 60, max_rows = 4, eviction = '{policy}')"
    )
    kv = conn.cache("c")
    marks = ", ".join("(?, 0)" for _ in MIXED_KEYS[:4])
    conn.execute(f"INSERT INTO c VALUES {marks}", MIXED_KEYS[:4])
    kv.cache._check(kv.table, bounded=True)
    conn.execute("UPDATE c SET v = 1 TTL 30")  # every row again at one new expiry
    kv.cache._check(kv.table, bounded=True)
    if policy != "noeviction":
        conn.execute("INSERT INTO c VALUES (?, 2), (?, 2)", MIXED_KEYS[4:])  # evicts two
        kv.cache._check(kv.table, bounded=True)
    assert conn.execute("SELECT count(*) FROM c").fetchone() == (4,)
    clock.advance(60)  # past the update's TTL and the default one
    assert conn.execute("SELECT * FROM c").fetchall() == []
    conn.execute("INSERT INTO c VALUES ('late', 3)")  # the write sweeps the expired rows
    assert conn.execute("SELECT k FROM c").fetchall() == [("late",)]
    kv.cache._check(kv.table, bounded=True)


def test_infinite_default_ttl_with_mixed_keys_is_refused_at_create():
    conn = memtables.connect()
    with pytest.raises(memtables.ProgrammingError, match="default_ttl.*finite"):
        conn.execute("CREATE CACHE TABLE c (k PRIMARY KEY) WITH (default_ttl = 1e400)")
    with pytest.raises(memtables.ProgrammingError, match="default_ttl"):
        conn.execute("CREATE CACHE TABLE c (k PRIMARY KEY) WITH (default_ttl = 'NaN')")
    conn.execute("CREATE CACHE TABLE c (k PRIMARY KEY) WITH (default_ttl = 1e300)")
    conn.execute("INSERT INTO c VALUES (1), ('a')")  # far future, still finite
    assert conn.execute("SELECT count(*) FROM c").fetchone() == (2,)


NON_FINITE = [
    ("INSERT INTO c VALUES (3, 'z'), ('b', 'z') TTL 1e400", ()),
    ("INSERT INTO c VALUES (3, 'z') TTL '1e400'", ()),
    ("INSERT INTO c VALUES (3, 'z') TTL ?", (float("inf"),)),
    ("INSERT INTO c VALUES (3, 'z') TTL ?", (float("-inf"),)),
    ("INSERT INTO c VALUES (3, 'z') TTL ?", (10**400,)),
    ("UPDATE c SET v = 'z' TTL 1e400", ()),
    ("INSERT INTO c VALUES (1, 'z') ON CONFLICT (k) DO UPDATE SET v = 'z' TTL 1e400", ()),
    ("UPDATE c SET _expires_at = ?", (float("-inf"),)),
    ("UPDATE c SET _expires_at = 1e400", ()),
    ("INSERT INTO c (k, v, _expires_at) VALUES (3, 'z', 1e400), ('b', 'z', 1e400)", ()),
]


@pytest.mark.parametrize("sql, params", NON_FINITE)
def test_non_finite_ttl_is_a_data_error_and_changes_nothing(sql, params):
    # (a NaN TTL is not here: NaN parameters and results are SQL NULL, which means no TTL)
    conn = memtables.connect(clock=memtables.ManualClock(1000))
    conn.execute("CREATE CACHE TABLE c (k PRIMARY KEY, v) WITH (max_rows = 10)")
    conn.execute("INSERT INTO c VALUES (1, 'x'), ('a', 'y') TTL 60")
    conn.commit()
    kv = conn.cache("c")
    before = conn.execute("SELECT k, v, _expires_at FROM c ORDER BY v").fetchall()
    with pytest.raises(memtables.DataError, match="finite|out of range"):
        conn.execute(sql, params)
    assert conn.execute("SELECT k, v, _expires_at FROM c ORDER BY v").fetchall() == before
    kv.cache._check(kv.table, bounded=True)


@pytest.mark.parametrize("in_transaction", [False, True])
@pytest.mark.parametrize("ttl", [float("nan"), float("inf")])
def test_key_value_face_refuses_a_non_finite_ttl(ttl, in_transaction):
    # outside a transaction kv.set writes and commits at once: a refusal must come first
    conn = memtables.connect(clock=memtables.ManualClock(1000))
    conn.execute("CREATE CACHE TABLE c (k PRIMARY KEY, v)")
    if not in_transaction:
        conn.commit()
    kv = conn.cache("c")
    kv.set(1, "x", ttl=5)
    with pytest.raises(memtables.DataError, match="finite"):
        kv.set("a", "y", ttl=ttl)
    with pytest.raises(memtables.DataError, match="finite"):
        kv.expire(1, ttl)
    assert kv.ttl(1) == 5.0 and "a" not in kv and len(kv) == 1
    kv.cache._check(kv.table)


def _misfile_lfu_key(cache):
    cache.eviction.count[1] += 1  # the count moves, the key stays in its old bucket


def _stale_random_position(cache):
    pos = cache.eviction.pos
    pos[1], pos[2] = pos[2], pos[1]


@pytest.mark.parametrize(
    "policy, corrupt",
    [
        ("allkeys-lru", lambda cache: setattr(cache, "memory", cache.memory + 1)),
        ("allkeys-lru", lambda cache: cache.by_expiry.pop(0)),
        ("allkeys-lru", lambda cache: cache.eviction.order.popitem(last=False)),
        ("allkeys-lru", lambda cache: cache.sizes.__setitem__(2, cache.sizes[2] + 8)),
        ("allkeys-lru", lambda cache: cache.expiry.pop(1)),
        ("volatile-lru", lambda cache: cache.eviction.add(3)),  # a key without a TTL
        ("allkeys-lfu", _misfile_lfu_key),
        ("volatile-lfu", lambda cache: cache.eviction.remove(2)),
        ("allkeys-random", _stale_random_position),
        ("volatile-random", lambda cache: cache.eviction.items.append(1)),
        ("volatile-ttl", lambda cache: cache.expiry.__setitem__(3, (1e9, -1, 3))),
        ("volatile-ttl", lambda cache: cache.by_expiry.append((-1.0, -1, 9))),  # heap order
    ],
)
def test_invariant_checker_sees_corruption(policy, corrupt):
    conn, _clock, kv = cache_db(policy, 3)
    kv.set(1, "x", ttl=5)
    kv.set(2, "y", ttl=5)
    kv.set(3, "z")
    kv.cache._check(kv.table, bounded=True)
    corrupt(kv.cache)
    with pytest.raises(AssertionError):
        kv.cache._check(kv.table)


def test_a_failed_insert_over_a_row_deleted_in_the_transaction_leaves_no_phantom():
    # The statement's rollback told the cache the deleted row was back, so the empty table
    # counted as full. (Row versions kept alive by a reader make the entry a version chain.)
    conn = memtables.connect()
    conn.execute("CREATE CACHE TABLE c (k PRIMARY KEY, v) WITH (max_rows = 2)")
    conn.execute("INSERT INTO c VALUES ('a', 1)")
    conn.commit()
    reader = conn.database.connect()
    reader.execute("SELECT * FROM c").fetchall()
    conn.execute("UPDATE c SET v = 2 WHERE k = 'a'")
    conn.commit()
    conn.execute("UPDATE c SET v = 3 WHERE k = 'a'")
    conn.execute("DELETE FROM c WHERE k = 'a'")
    with pytest.raises(memtables.IntegrityError):
        conn.execute("INSERT INTO c VALUES ('a', 5), ('a', 6)")
    kv = conn.cache("c")
    kv.cache._check(kv.table)
    conn.execute("INSERT INTO c VALUES ('b', 1), ('c', 1)")  # was: "c is full"
    assert conn.execute("SELECT k FROM c ORDER BY k").fetchall() == [("b",), ("c",)]
    conn.commit()
    reader.close()
