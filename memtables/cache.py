"""Cache tables: bounds, Redis's eviction policies, TTL bookkeeping and hit statistics.

A cache table is a row table with a hidden last column ``_expires_at`` (absolute expiry in
seconds of the engine clock, NULL for no TTL; never infinite or NaN: TTLs, ``default_ttl``
and ``_expires_at`` must be finite) and a ``Cache`` that tracks its keys. Keys of any types
mix in one table: no order here ever compares two keys. The table
reports every change of a key's newest row (``on_put``/``on_remove``), readers report hits
and misses, and writers ask for eviction victims when a bound is exceeded.

Policies, with Redis's meaning: ``noeviction`` (a write past the bound fails),
``allkeys-lru``, ``allkeys-lfu``, ``allkeys-random``, and the ``volatile-*`` variants that
only evict keys with a TTL (falling back to failing, as Redis does, when there are none),
plus ``volatile-ttl`` (nearest expiry first). LRU and LFU are exact and O(1): LRU is an
ordered dict; LFU keeps keys in frequency buckets (least recently used first within a
bucket) and halves every count once per decay period, so old popularity fades.

Memory is estimated per row as ``ROW_OVERHEAD + 8 * columns + sum(sys.getsizeof(v))`` over
the row's values (NULL and booleans, which are shared objects, count 0): the Python objects
a row keeps alive, measured the same way for every row.
"""

from __future__ import annotations

import itertools
import math
import random
import sys
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from sortedcontainers import SortedList

from .errors import DataError, OperationalError, ProgrammingError, SerializationFailure
from .versions import newest_row

POLICIES = (
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
)
ROW_OVERHEAD = 120  # the entry tuple, the dict slot, the key's hash entry
EXPIRES = "_expires_at"
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
_getsizeof = sys.getsizeof
_INF = math.inf


def row_bytes(row: tuple) -> int:
    """The documented memory estimate of one row."""
    n = ROW_OVERHEAD + 8 * len(row)
    for v in row:
        if v is not None and v is not True and v is not False:
            n += _getsizeof(v)
    return n


def parse_size(value: Any) -> int:
    """``'64MB'``, ``'512KB'``, ``1048576`` → bytes."""
    if isinstance(value, bool):
        raise ProgrammingError(f"invalid memory size {value!r}")
    if isinstance(value, (int, float)):
        size = value
    else:
        text = str(value).strip().upper().replace(" ", "")
        num = text.rstrip("KMGB")
        unit = text[len(num) :]
        if unit not in _SIZE_UNITS or not num:
            raise ProgrammingError(f"invalid memory size {value!r} (use bytes, or e.g. '64MB')")
        try:
            size = float(num) * _SIZE_UNITS[unit]
        except ValueError:
            raise ProgrammingError(f"invalid memory size {value!r}") from None
    if not math.isfinite(size) or size < 0:  # no byte count to keep, and none to log
        raise ProgrammingError(f"invalid memory size {value!r} (a finite number of bytes)")
    return int(size)


def ttl_seconds(ttl: Any) -> float:
    """A TTL as a finite, non-negative number of seconds, or DataError.

    An infinite TTL is refused rather than read as "no expiry": NULL already says that, and
    a deadline that never comes would sit in the expiry order forever.
    """
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise DataError(f"TTL must be a number of seconds, not {_shown(ttl)}")
    try:
        seconds = float(ttl)
    except OverflowError:  # an int past float range
        seconds = math.inf
    if not math.isfinite(seconds) or seconds < 0:
        raise DataError(f"TTL must be a finite, non-negative number of seconds, not {_shown(ttl)}")
    return seconds


def check_expiry(exp: Any) -> None:
    """Refuse an ``_expires_at`` that is not NULL or a finite number (DataError)."""
    if exp is not None and not (type(exp) in (int, float) and -math.inf < exp < math.inf):
        raise DataError(f"{EXPIRES} must be NULL or a finite number of seconds, not {_shown(exp)}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else "a huge number"


class _LFU:
    """Exact least-frequently-used order in O(1): frequency buckets of LRU-ordered keys.

    Readers touch keys without the engine's lock, so each change takes the LFU's own lock
    (a leaf: see ARCHITECTURE.md).
    """

    def __init__(self) -> None:
        self.count: dict[Any, int] = {}
        self.buckets: dict[int, OrderedDict] = {}
        self.low = 1
        self.lock = threading.Lock()

    def add(self, key: Any) -> None:
        with self.lock:
            if key in self.count:
                self._touch(key)
                return
            self.count[key] = 1
            self.buckets.setdefault(1, OrderedDict())[key] = None
            self.low = 1

    def touch(self, key: Any) -> None:
        with self.lock:
            self._touch(key)

    def _touch(self, key: Any) -> None:
        c = self.count.get(key)
        if c is None:
            return
        b = self.buckets[c]
        del b[key]
        if not b:
            del self.buckets[c]
            if self.low == c:
                self.low = c + 1
        self.count[key] = c + 1
        self.buckets.setdefault(c + 1, OrderedDict())[key] = None

    def remove(self, key: Any) -> None:
        with self.lock:
            c = self.count.pop(key, None)
            if c is None:
                return
            b = self.buckets[c]
            del b[key]
            if not b:
                del self.buckets[c]

    def candidates(self):
        """Keys from least to most frequent (least recently used first among equals)."""
        if not self.count:
            return
        for c in sorted(self.buckets):
            b = self.buckets.get(c)  # a reader's touch may have emptied it meanwhile
            if b:
                yield from list(b)

    def decay(self) -> None:
        """Halve every count (old popularity fades)."""
        with self.lock:
            order = sorted(self.count.items(), key=lambda kv: kv[1])
            self.count.clear()
            self.buckets.clear()
            for key, c in order:
                c = max(1, c // 2)
                self.count[key] = c
                self.buckets.setdefault(c, OrderedDict())[key] = None
            self.low = min(self.buckets, default=1)


class _RandomSet:
    """A set with O(1) add, remove and uniform random choice."""

    def __init__(self) -> None:
        self.items: list = []
        self.pos: dict[Any, int] = {}

    def add(self, key: Any) -> None:
        if key not in self.pos:
            self.pos[key] = len(self.items)
            self.items.append(key)

    def remove(self, key: Any) -> None:
        i = self.pos.pop(key, None)
        if i is None:
            return
        last = self.items.pop()
        if i < len(self.items):
            self.items[i] = last
            self.pos[last] = i

    def candidates(self, rnd: random.Random):
        items = list(self.items)
        rnd.shuffle(items)
        return items


def _keys_of(order) -> set:
    """The keys an eviction order holds, checking its own structure on the way."""
    if type(order) is OrderedDict:
        return set(order)
    if isinstance(order, _LFU):
        in_buckets = [k for b in order.buckets.values() for k in b]
        assert len(in_buckets) == len(order.count), "LFU buckets and counts differ"
        for c, bucket in order.buckets.items():
            assert bucket, f"empty LFU bucket {c}"
            for k in bucket:
                assert order.count[k] == c, f"LFU key {k!r} in bucket {c}, count {order.count[k]}"
        return set(order.count)
    assert len(order.items) == len(order.pos), "random set list and positions differ"
    for i, k in enumerate(order.items):
        assert order.pos[k] == i, f"random set position of {k!r} is stale"
    return set(order.pos)


def _add(order, key: Any) -> None:
    if type(order) is OrderedDict:
        order[key] = None
    else:
        order.add(key)


def _remove(order, key: Any) -> None:
    if type(order) is OrderedDict:
        order.pop(key, None)
    else:
        order.remove(key)


class Cache:
    """Bookkeeping of one cache table: which keys it holds, in which eviction order."""

    def __init__(
        self,
        policy: str = "noeviction",
        max_rows: int | None = None,
        max_memory: int | None = None,
        default_ttl: float | None = None,
        clock: Callable[[], float] = time.time,
        lfu_decay: float = 60.0,
        seed: int | None = None,
    ):
        if policy not in POLICIES:
            raise ProgrammingError(
                f"unknown eviction policy {policy!r}; use one of: {', '.join(POLICIES)}"
            )
        if default_ttl is not None:
            try:
                default_ttl = ttl_seconds(default_ttl)
            except DataError as e:
                raise ProgrammingError(f"cache option default_ttl: {e}") from None
        self.policy = policy
        self.max_rows = max_rows
        self.max_memory = max_memory
        self.default_ttl = default_ttl
        self.clock = clock
        self.lfu_decay = lfu_decay
        self._next_decay = None
        self._rnd = random.Random(seed)
        self.sizes: dict[Any, int] = {}
        self.expiry: dict[Any, tuple] = {}  # key -> its entry (expiry, seq, key) in by_expiry
        self.memory = 0
        # only the order the policy evicts by is kept (None for the others)
        self.lru = OrderedDict() if policy == "allkeys-lru" else None
        self.vlru = OrderedDict() if policy == "volatile-lru" else None
        self.lfu = _LFU() if policy == "allkeys-lfu" else None
        self.vlfu = _LFU() if policy == "volatile-lfu" else None
        self.rand = _RandomSet() if policy == "allkeys-random" else None
        self.vrand = _RandomSet() if policy == "volatile-random" else None
        self._all = [x for x in (self.lru, self.lfu, self.rand) if x is not None]
        self._volatile = [x for x in (self.vlru, self.vlfu, self.vrand) if x is not None]
        # (expiry, seq, key) of every key with a TTL. The sequence number breaks ties between
        # equal expiries (one statement's rows share one), so keys, which need not be
        # comparable with each other (1 and 'a'), are never compared.
        self.by_expiry = SortedList()
        self._seq = itertools.count()
        self.hits = self.misses = self.evictions = self.expirations = 0

    # ------------------------------------------------------------ what the table holds
    def on_put(self, key: Any, row: tuple, size: int | None = None) -> None:
        """The newest row at ``key`` is now ``row`` (its expiry is its last value).

        An expiry that is not NULL or finite is refused (DataError) before anything changes,
        so the statement that wrote it rolls back cleanly.  O(log(n)).
        """
        exp = row[-1]
        if exp is not None and (type(exp) is not float or not -_INF < exp < _INF):
            check_expiry(exp)
        if size is None:
            size = row_bytes(row)
        old = self.sizes.get(key)
        self.memory += size - (old or 0)
        self.sizes[key] = size
        if old is None:
            for order in self._all:
                _add(order, key)
        else:
            self.touch(key)
        old_entry = self.expiry.get(key)
        if old_entry is None:
            if exp is None:
                return
            for order in self._volatile:
                _add(order, key)
        else:
            if old_entry[0] == exp:
                return
            self.by_expiry.remove(old_entry)
            if exp is None:
                del self.expiry[key]
                for order in self._volatile:
                    _remove(order, key)
                return
        entry = (exp, next(self._seq), key)
        self.expiry[key] = entry
        self.by_expiry.add(entry)

    def on_remove(self, key: Any) -> None:
        """``key`` no longer holds a row."""
        size = self.sizes.pop(key, None)
        if size is None:
            return
        self.memory -= size
        for order in self._all:
            _remove(order, key)
        entry = self.expiry.pop(key, None)
        if entry is not None:
            self.by_expiry.remove(entry)
            for order in self._volatile:
                _remove(order, key)

    def expires_in(self, ttl: Any) -> float:
        """The absolute expiry of a row written now with ``ttl`` seconds to live (DataError
        unless ``ttl`` is a finite, non-negative number)."""
        return self.clock() + ttl_seconds(ttl)

    # ------------------------------------------------------------ accesses
    def touch(self, key: Any) -> None:
        """Record an access of ``key`` for LRU and LFU.  O(1)."""
        lru = self.lru if self.lru is not None else self.vlru
        if lru is not None:
            try:
                lru.move_to_end(key)
            except KeyError:  # absent, or evicted meanwhile by a writer in another thread
                pass
            return
        lfu = self.lfu if self.lfu is not None else self.vlfu
        if lfu is not None:
            lfu.touch(key)
            self._maybe_decay()

    def hit(self, key: Any) -> None:
        self.hits += 1
        self.touch(key)

    def miss(self) -> None:
        self.misses += 1

    def _maybe_decay(self) -> None:
        now = self.clock()
        if self._next_decay is None:
            self._next_decay = now + self.lfu_decay
        elif now >= self._next_decay:
            (self.lfu if self.lfu is not None else self.vlfu).decay()
            self._next_decay = now + self.lfu_decay

    # ------------------------------------------------------------ bounds and eviction
    @property
    def rows(self) -> int:
        return len(self.sizes)

    def over(self) -> bool:
        """True when the table holds more than its bounds allow."""
        return (self.max_rows is not None and len(self.sizes) > self.max_rows) or (
            self.max_memory is not None and self.memory > self.max_memory
        )

    def fits(self, key: Any, new_key: bool, size: int) -> bool:
        """True when writing a row of ``size`` bytes at ``key`` needs no eviction and no
        expiry is due (the key-value fast path).  O(1)."""
        sizes = self.sizes
        if self.max_rows is not None and new_key and len(sizes) >= self.max_rows:
            return False
        if self.max_memory is not None and (
            self.memory + size - sizes.get(key, 0) > self.max_memory
        ):
            return False
        if self.expiry:
            now = self.clock()
            if self.by_expiry[0][0] <= now:
                return False
        return True

    def would_exceed(self, extra_rows: int, extra_bytes: int) -> bool:
        return (self.max_rows is not None and len(self.sizes) + extra_rows > self.max_rows) or (
            self.max_memory is not None and self.memory + extra_bytes > self.max_memory
        )

    def victims(self):
        """Keys to evict, best candidate first (empty for noeviction)."""
        p = self.policy
        if p == "noeviction":
            return iter(())
        if p == "allkeys-lru":
            return iter(list(self.lru))
        if p == "volatile-lru":
            return iter(list(self.vlru))
        if p == "allkeys-lfu":
            return self.lfu.candidates()
        if p == "volatile-lfu":
            return self.vlfu.candidates()
        if p == "allkeys-random":
            return iter(self.rand.candidates(self._rnd))
        if p == "volatile-random":
            return iter(self.vrand.candidates(self._rnd))
        return (k for _exp, _seq, k in list(self.by_expiry))

    def expired(self, now: float, limit: int = 1000) -> list:
        """Keys whose TTL has passed, soonest first (at most ``limit``)."""
        out = []
        for exp, _seq, key in self.by_expiry:
            if exp > now or len(out) >= limit:
                break
            out.append(key)
        return out

    # ------------------------------------------------------------ invariants
    def _check(self, table: Any = None, bounded: bool = False) -> None:
        """Assert the bookkeeping is consistent (for tests, after random operations).

        Always: memory is the sum of the row sizes; every eviction order holds exactly the
        keys it should (``volatile-*`` ones only keys with a TTL); the expiry index is sorted
        and matches ``expiry``. With ``table``: the tracked keys, sizes and expiries are those
        of the table's newest rows, committed or not. With ``bounded``: no bound is exceeded.
        O(n log(n)).
        """
        keys = set(self.sizes)
        assert self.memory == sum(self.sizes.values()), "memory is not the sum of row sizes"
        assert set(self.expiry) <= keys, "an expiry for a key that holds no row"
        for key, entry in self.expiry.items():
            exp = entry[0]
            assert entry[2] is key or entry[2] == key, f"expiry entry of {key!r} names another key"
            assert -_INF < exp < _INF, f"non-finite expiry {exp!r} at {key!r}"
        assert len(self.by_expiry) == len(self.expiry), "expiry index and expiries differ in size"
        assert set(self.by_expiry) == set(self.expiry.values()), "expiry index out of step"
        self.by_expiry._check()
        for order in self._all:
            assert _keys_of(order) == keys, f"{self.policy} order does not hold every key"
        for order in self._volatile:
            assert _keys_of(order) == set(self.expiry), f"{self.policy} order is not the TTL keys"
        if bounded:
            assert not self.over(), f"bounds exceeded: {self.stats()}"
        if table is not None:
            newest = {}
            for key, e in list(table.rows.items()):
                row = newest_row(e)
                if row is not None:
                    newest[key] = row
            assert keys == set(newest), "tracked keys are not the table's keys"
            for key, row in newest.items():
                assert self.sizes[key] == row_bytes(row), f"stale size at {key!r}"
                entry = self.expiry.get(key)
                exp = None if entry is None else entry[0]
                assert exp == row[-1] and (exp is None) == (row[-1] is None), (
                    f"expiry of {key!r} is {exp!r}, its row says {row[-1]!r}"
                )

    # ------------------------------------------------------------ statistics
    def stats(self) -> dict:
        total = self.hits + self.misses
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": (self.hits / total) if total else 0.0,
            "evictions": self.evictions,
            "expirations": self.expirations,
            "rows": len(self.sizes),
            "memory_bytes": self.memory,
            "max_rows": self.max_rows,
            "max_memory": self.max_memory,
            "policy": self.policy,
        }

    def reset_stats(self) -> None:
        self.hits = self.misses = self.evictions = self.expirations = 0


class ManualClock:
    """A clock for tests and simulations: time moves only when you say so.

    >>> clock = ManualClock(100.0)
    >>> clock.advance(5); clock()
    105.0
    """

    def __init__(self, start: float = 0.0):
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def is_expired(row: tuple | None, now: float) -> bool:
    """True when a cache table row's TTL has passed (the hidden last column)."""
    return row is not None and row[-1] is not None and row[-1] <= now


def sweep(table, txn, limit: int = 1000) -> int:
    """Delete rows whose TTL has passed (as seen by ``txn``); return how many went."""
    cache = table.cache
    now = cache.clock()
    n = 0
    for key in cache.expired(now, limit):
        row = table.get(txn, key)
        if not is_expired(row, now):
            continue
        try:
            table.delete(txn, key)
        except SerializationFailure:
            continue  # a concurrent writer has it; it will be swept later
        cache.expirations += 1
        n += 1
    return n


def enforce(table, txn, protect=()) -> None:
    """Bring ``table`` back within its bounds by sweeping, then evicting by policy.

    Keys in ``protect`` (those the current statement wrote) are never evicted. When nothing
    may be evicted (``noeviction``, or a ``volatile-*`` policy with no TTL keys) the write
    fails, as in Redis.
    """
    cache = table.cache
    if not cache.over():
        if cache.by_expiry and cache.by_expiry[0][0] <= cache.clock():
            sweep(table, txn, limit=100)
        return
    sweep(table, txn)
    while cache.over():
        for key in cache.victims():
            if key in protect:
                continue
            try:
                table.delete(txn, key)
            except SerializationFailure:
                continue
            cache.evictions += 1
            break
        else:
            bound = []
            if cache.max_rows is not None:
                bound.append(f"max_rows={cache.max_rows}")
            if cache.max_memory is not None:
                bound.append(f"max_memory={cache.max_memory}")
            raise OperationalError(
                f"cache table {table.name} is full ({', '.join(bound)}) and eviction policy "
                f"{cache.policy} finds nothing to evict: the write was refused"
            )
