"""Cache tables: bounds, TTL bookkeeping, hit statistics, and eviction by policy.

A cache table is a row table with a hidden last column ``_expires_at`` (absolute expiry in
seconds of the engine clock, NULL for no TTL; never infinite or NaN: TTLs, ``default_ttl``
and ``_expires_at`` must be finite) and a ``Cache`` that tracks its keys. Keys of any types
mix in one table: no order here ever compares two keys. The table
reports every change of a key's newest row (``on_put``/``on_remove``), readers report hits
and misses, and writers ask for eviction victims when a bound is exceeded.

The eight policies have Redis's meaning (``noeviction`` fails a write past the bound; the
``volatile-*`` ones only evict keys with a TTL, failing as Redis does when there are none);
each is a small object in ``memtables.eviction`` that keeps only its own order.

The expiry index is a binary heap of ``(expiry, seq, key)`` entries, each key *filed* under
one of them (``filed[key]``) no later than its expiry (``expiry[key]``). A TTL pushed later,
the usual rewrite of a cache key, only changes ``expiry``; the key is filed again under its
real expiry when its old entry reaches the top of the heap (a sooner TTL is pushed at once).
Entries of keys filed elsewhere or gone are stale: dropped when they reach the top, or all at
once when they outnumber the live ones. No write removes anything from the heap.

Memory is estimated per row as ``ROW_OVERHEAD + 8 * columns + sum(sys.getsizeof(v))`` over
the row's values (NULL and booleans, which are shared objects, count 0): the Python objects
a row keeps alive, measured the same way for every row.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import sys
import time
from typing import Any, Callable, Iterator

from .errors import DataError, OperationalError, ProgrammingError, SerializationFailure
from .eviction import IGNORED, POLICIES, make_policy
from .versions import newest_row

_log = logging.getLogger("memtables")

ROW_OVERHEAD = 120  # the entry tuple, the dict slot, the key's hash entry
EXPIRES = "_expires_at"
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
_getsizeof = sys.getsizeof
_INF = math.inf
# Types the cyclic GC does not track: for them ``sys.getsizeof(v)`` is ``v.__sizeof__()``,
# which skips getsizeof's slow generic lookup (a third of a key-value write, measured).
_UNTRACKED = frozenset({str, int, float, bytes})


def row_bytes(row: tuple) -> int:
    """The documented memory estimate of one row.  O(columns)."""
    n = ROW_OVERHEAD + 8 * len(row)
    for v in row:
        if type(v) in _UNTRACKED:
            n += v.__sizeof__()
        elif v is not None and v is not True and v is not False:
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


class Cache:
    """Bookkeeping of one cache table: the keys it holds, their sizes and the memory they
    take, the expiry index and the statistics. The eviction order is the policy's own
    (``self.eviction``, from ``memtables.eviction``), told of every key of its domain."""

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
        self.max_rows, self.max_memory = max_rows, max_memory
        self.default_ttl = default_ttl
        self.clock = clock
        self.sizes: dict[Any, int] = {}
        self.expiry: dict[Any, tuple] = {}  # key -> its (expiry, seq, key)
        self.memory = 0
        # A heap of (expiry, seq, key): for each key with a TTL the one it is filed under
        # (``filed``, never later than its expiry), and stale ones (see the module docstring).
        # The sequence number breaks ties between equal expiries (one statement's rows share
        # one), so keys, which need not be comparable with each other (1 and 'a'), are never
        # compared.
        self.by_expiry: list[tuple] = []
        self.filed: dict[Any, tuple] = {}
        self._seq = itertools.count()
        self.hits = self.misses = self.evictions = self.expirations = 0
        self.eviction = make_policy(policy, clock, lfu_decay, seed, self.expiry_order)
        # The policy hears of the keys of its domain only: every key, or the keys with a TTL.
        volatile = self.eviction.volatile
        self._every_key = IGNORED if volatile else self.eviction
        self._ttl_keys = self.eviction if volatile else IGNORED
        # An access goes straight to the policy: ``touch`` is on the hot path of every read.
        self.touch: Callable[[Any], None] = self.eviction.touch
        self.touch_or_raise: Callable[[Any], None] = self.eviction.touch_or_raise

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
            self._every_key.add(key)
        else:
            self.touch(key)
        self._set_expiry(key, exp)

    def admit(self, key: Any, row: tuple) -> bool:
        """``on_put`` for the key-value fast path, when writing ``row`` at ``key`` needs no
        eviction and no expiry is due; else False, having changed nothing (the write takes
        a transaction, which sweeps and evicts).  O(1) amortised; O(log(n)) with a TTL."""
        exp = row[-1]
        if exp is not None and (type(exp) is not float or not -_INF < exp < _INF):
            check_expiry(exp)
        size = ROW_OVERHEAD + 8 * len(row)  # row_bytes(row), inline on this path
        for v in row:
            if type(v) in _UNTRACKED:
                size += v.__sizeof__()
            elif v is not None and v is not True and v is not False:
                size += _getsizeof(v)
        sizes = self.sizes
        old = sizes.get(key)
        if old is None:
            if self.max_rows is not None and len(sizes) >= self.max_rows:
                return False
            old = 0
        if self.max_memory is not None and self.memory + size - old > self.max_memory:
            return False
        heap = self.by_expiry
        if heap and heap[0][0] <= self.clock() and self.due():
            return False
        self.memory += size - old
        sizes[key] = size
        if old:
            try:
                self.touch_or_raise(key)
            except KeyError:  # outside the policy's domain
                pass
        else:
            self._every_key.add(key)
        expiry = self.expiry
        entry = expiry.get(key)
        if exp is None:
            if entry is not None:
                self._set_expiry(key, None)
        elif entry is None or entry[0] == exp:
            self._set_expiry(key, exp)
        else:  # a new expiry for a key that had one, the usual TTL write: _set_expiry inline
            entry = expiry[key] = (exp, next(self._seq), key)
            if exp < self.filed[key][0]:
                self._file(entry)
        return True

    def evictee(self, key: Any, row: tuple) -> Any:
        """When ``admit(key, row)`` failed only because a new key found the row bound
        reached, the one key whose eviction makes room (the policy's first victim); else
        None (the write takes a transaction, which sweeps and evicts).  O(1) for LRU and LFU;
        O(n) for the random and volatile-ttl orders."""
        if self.max_rows is None or self.max_memory is not None or key in self.sizes:
            return None
        if len(self.sizes) != self.max_rows or (self.by_expiry and self.due()):
            return None
        exp = row[-1]
        if exp is not None and (type(exp) is not float or not -_INF < exp < _INF):
            check_expiry(exp)  # refused before anything is evicted
        for victim in self.victims():
            _log.debug("cache table: evicting %r (%s)", victim, self.policy)
            return victim
        return None

    def _set_expiry(self, key: Any, exp: Any) -> None:
        """Make ``exp`` (None: no TTL) the expiry of ``key``, a key of the table."""
        expiry = self.expiry
        old_entry = expiry.get(key)
        if old_entry is None:
            if exp is None:
                return
            self._ttl_keys.add(key)
        else:
            if old_entry[0] == exp:
                return
            if exp is None:
                del expiry[key]
                del self.filed[key]  # its entry in the heap is stale from now on
                self._ttl_keys.remove(key)
                return
        entry = expiry[key] = (exp, next(self._seq), key)
        if old_entry is None or exp < self.filed[key][0]:
            self._file(entry)

    def _file(self, entry: tuple) -> None:
        """File ``entry``'s key under it.  O(log(n)) amortised."""
        self.filed[entry[2]] = entry
        heap = self.by_expiry
        heapq.heappush(heap, entry)
        if len(heap) > 2 * len(self.filed) + 64:
            self._compact()

    def on_remove(self, key: Any) -> None:
        """``key`` no longer holds a row."""
        size = self.sizes.pop(key, None)
        if size is None:
            return
        self.memory -= size
        self._every_key.remove(key)
        if self.expiry.pop(key, None) is not None:
            del self.filed[key]  # its entry in the heap is stale from now on
            self._ttl_keys.remove(key)

    def expires_in(self, ttl: Any) -> float:
        """The absolute expiry of a row written now with ``ttl`` seconds to live (DataError
        unless ``ttl`` is a finite, non-negative number)."""
        return self.clock() + ttl_seconds(ttl)

    # ------------------------------------------------------------ accesses
    # ``touch(key)``, an access of ``key`` (for LRU and LFU), is the policy's own: see __init__.

    def hit(self, key: Any) -> None:
        """A read found ``key``."""
        self.hits += 1
        self.touch(key)

    def miss(self) -> None:
        """A read found nothing."""
        self.misses += 1

    # ------------------------------------------------------------ bounds and eviction
    @property
    def rows(self) -> int:
        return len(self.sizes)

    def over(self) -> bool:
        """True when the table holds more than its bounds allow."""
        return (self.max_rows is not None and len(self.sizes) > self.max_rows) or (
            self.max_memory is not None and self.memory > self.max_memory
        )

    def due(self) -> bool:
        """True when some key's TTL has passed (its row awaits a sweep).  O(1) amortised."""
        return self._top(self.clock()) is not None

    def _top(self, now: float) -> tuple | None:
        """The soonest expiry entry when it is due at ``now``, else None. On the way, stale
        entries are dropped and keys filed too early are filed under their expiry. Like every
        change of the expiry index, under the engine's lock.  O(log(n)) amortised."""
        heap, expiry, filed = self.by_expiry, self.expiry, self.filed
        while heap:
            top = heap[0]
            if top[0] > now:
                return None
            key = top[2]
            if filed.get(key) is not top:
                heapq.heappop(heap)
                continue
            entry = expiry[key]
            if entry is top:
                return top
            filed[key] = entry  # its TTL moved on since it was filed
            heapq.heapreplace(heap, entry)
        return None

    def expiry_order(self) -> Iterator:
        """The keys with a TTL, soonest expiry first, as they stand at the first ``next``.
        O(n) to start, then O(log(n)) per key: an eviction takes one or two."""
        live = list(self.expiry.values())
        heapq.heapify(live)
        while live:
            yield heapq.heappop(live)[2]

    def _compact(self) -> None:
        self.by_expiry[:] = self.filed.values()
        heapq.heapify(self.by_expiry)

    def would_exceed(self, extra_rows: int, extra_bytes: int) -> bool:
        return (self.max_rows is not None and len(self.sizes) + extra_rows > self.max_rows) or (
            self.max_memory is not None and self.memory + extra_bytes > self.max_memory
        )

    def victims(self):
        """Keys to evict, best candidate first (empty for noeviction)."""
        return self.eviction.victims()

    def expired(self, now: float, limit: int = 1000) -> list:
        """Keys whose TTL has passed, soonest first (at most ``limit``).  O(k log(n)) for k
        keys, amortised."""
        heap = self.by_expiry
        taken = []
        while len(taken) < limit:
            top = self._top(now)
            if top is None:
                break
            taken.append(heapq.heappop(heap))
        for entry in taken:  # still filed there until their rows are deleted
            heapq.heappush(heap, entry)
        return [e[2] for e in taken]

    # ------------------------------------------------------------ invariants
    def _check(self, table: Any = None, bounded: bool = False) -> None:
        """Assert the bookkeeping is consistent (for tests, after random operations).

        Always: memory is the sum of the row sizes; the expiry index is sorted and matches
        ``expiry``; the policy's own ``_check`` finds its order well formed and holding exactly
        the keys of its domain (``volatile-*``: the keys with a TTL). With ``table``: the tracked keys, sizes and expiries are those
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
        heap = self.by_expiry
        for i in range(1, len(heap)):
            assert heap[(i - 1) // 2] <= heap[i], "the expiry heap is out of order"
        held = {id(e) for e in heap}
        assert set(self.filed) == set(self.expiry), "filed keys are not the keys with a TTL"
        for key, entry in self.filed.items():
            assert id(entry) in held, f"{key!r} is filed under an entry not in the heap"
            assert entry[2] is key or entry[2] == key, f"{key!r} is filed under another key"
            assert entry[0] <= self.expiry[key][0], f"{key!r} is filed after it expires"
        self.eviction._check(set(self.expiry) if self.eviction.volatile else keys)
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
        if cache.by_expiry and cache.due():
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
            _log.debug("cache table %s: evicted %r (%s)", table.name, key, cache.policy)
            break
        else:
            bound = []
            if cache.max_rows is not None:
                bound.append(f"max_rows={cache.max_rows}")
            if cache.max_memory is not None:
                bound.append(f"max_memory={cache.max_memory}")
            message = (
                f"cache table {table.name} is full ({', '.join(bound)}) and eviction policy "
                f"{cache.policy} finds nothing to evict: the write was refused"
            )
            _log.debug("%s", message)  # the caller gets the error; no need to shout
            raise OperationalError(message)
