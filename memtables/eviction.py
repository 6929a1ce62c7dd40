"""Redis's eviction policies for cache tables: one small class each, behind one interface.

A policy keeps the order it evicts by and nothing else; the ``Cache`` keeps sizes, memory,
the expiry index and statistics. The cache tells the policy which keys enter and leave its
*domain* (every key for ``allkeys-*``, the keys with a TTL for ``volatile-*``) and which keys
are accessed; the policy answers with eviction candidates. The interface (``Policy``):

- ``volatile``: the domain is the keys with a TTL (else every key);
- ``add(key)`` / ``remove(key)``: ``key`` enters / leaves the domain;
- ``touch(key)``: ``key`` was read or rewritten (ignored when outside the domain);
- ``touch_or_raise(key)``: ``touch``, or KeyError when ``key`` is outside the domain (LRU's
  is the ordered dict's own ``move_to_end``: the key-value face's reads call it);
- ``victims()``: keys of the domain to evict, best candidate first;
- ``_check(keys)``: assert the order is well formed and holds exactly ``keys``.

LRU and LFU are exact and O(1) per change. No order ever compares two keys: keys of any
types mix in one cache table.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from itertools import islice
from typing import Any, Callable, Iterable, Iterator


class Policy:
    """The interface, and the policy that keeps no order (``noeviction``): nothing is evicted,
    so a write past the bound fails."""

    name = "noeviction"
    volatile = False

    def add(self, key: Any) -> None:
        """``key`` entered the domain.  O(1)."""

    def remove(self, key: Any) -> None:
        """``key`` left the domain (absent keys are ignored).  O(1)."""

    def touch(self, key: Any) -> None:
        """``key`` was accessed (keys outside the domain are ignored).  O(1)."""

    def touch_or_raise(self, key: Any) -> None:
        """``touch``, allowed to raise KeyError for a key outside the domain.  O(1)."""
        self.touch(key)

    def victims(self) -> Iterable:
        """Keys to evict, best candidate first."""
        return iter(())

    def _check(self, keys: set) -> None:
        """Assert the order is well formed and holds exactly ``keys`` (for tests)."""


class LRU(Policy):
    """Least recently used first: an ordered dict, most recent access at the end."""

    def __init__(self, volatile: bool):
        self.name = "volatile-lru" if volatile else "allkeys-lru"
        self.volatile = volatile
        self.order: OrderedDict = OrderedDict()
        self.touch_or_raise = self.order.move_to_end  # no Python frame on a read

    def add(self, key: Any) -> None:
        self.order[key] = None

    def remove(self, key: Any) -> None:
        self.order.pop(key, None)

    def touch(self, key: Any) -> None:
        try:
            self.order.move_to_end(key)
        except KeyError:  # outside the domain, or evicted meanwhile by a writer in another thread
            pass

    def victims(self) -> Iterable:
        # A short copy of the head is enough for the one or two victims an eviction takes
        # (copied: readers touch keys without the engine's lock); the rest only when the
        # head is all protected or busy.  O(1) for the usual eviction.
        head = list(islice(self.order, 8))
        yield from head
        if len(head) == 8:
            yield from list(self.order)[8:]

    def _check(self, keys: set) -> None:
        assert set(self.order) == keys, f"{self.name} order does not hold its keys"


class LFU(Policy):
    """Least frequently used first, least recently used first among equal counts.

    Keys sit in frequency buckets (ordered dicts); every count halves once per ``decay``
    seconds of ``clock``, so old popularity fades. Readers touch keys without the engine's
    lock, so each change takes this order's own lock (a leaf: see ARCHITECTURE.md).
    """

    def __init__(self, volatile: bool, clock: Callable[[], float], decay: float):
        self.name = "volatile-lfu" if volatile else "allkeys-lfu"
        self.volatile = volatile
        self.count: dict[Any, int] = {}
        self.buckets: dict[int, OrderedDict] = {}
        self.lock = threading.Lock()
        self.clock = clock
        self.decay_period = decay
        self._next_decay: float | None = None

    def _unlink(self, key: Any) -> int | None:
        """Take ``key`` out of its bucket (not out of the counts); its count, None when absent."""
        c = self.count.get(key)
        if c is not None:
            bucket = self.buckets[c]
            del bucket[key]
            if not bucket:
                del self.buckets[c]
        return c

    def _link(self, key: Any, c: int) -> None:
        # A count set in place keeps the key's place in ``count``: ``decay`` files keys of
        # equal count in the order they were first added (pinned by the tests).
        self.count[key] = c
        bucket = self.buckets.get(c)
        if bucket is None:
            bucket = self.buckets[c] = OrderedDict()
        bucket[key] = None

    def add(self, key: Any) -> None:
        with self.lock:
            c = self._unlink(key)  # already there (a racing writer): counts as an access
            self._link(key, 1 if c is None else c + 1)

    def remove(self, key: Any) -> None:
        with self.lock:
            if self._unlink(key) is not None:
                del self.count[key]

    def touch(self, key: Any) -> None:
        with self.lock:
            c = self._unlink(key)
            if c is not None:
                self._link(key, c + 1)
        now = self.clock()
        if self._next_decay is None:
            self._next_decay = now + self.decay_period
        elif now >= self._next_decay:
            self.decay()
            self._next_decay = now + self.decay_period

    def decay(self) -> None:
        """Halve every count (keeping the order within each new bucket).  O(n log(n))."""
        with self.lock:
            order = sorted(self.count.items(), key=lambda kv: kv[1])
            self.count.clear()
            self.buckets.clear()
            for key, c in order:
                self._link(key, max(1, c // 2))

    def victims(self) -> Iterable:
        if not self.count:
            return
        for c in sorted(self.buckets):
            bucket = self.buckets.get(c)  # a reader's touch may have emptied it meanwhile
            if bucket:
                yield from list(bucket)

    def _check(self, keys: set) -> None:
        in_buckets = [k for b in self.buckets.values() for k in b]
        assert len(in_buckets) == len(self.count), "LFU buckets and counts differ"
        for c, bucket in self.buckets.items():
            assert bucket, f"empty LFU bucket {c}"
            for k in bucket:
                assert self.count[k] == c, f"LFU key {k!r} in bucket {c}, count {self.count[k]}"
        assert set(self.count) == keys, f"{self.name} order does not hold its keys"


class Random(Policy):
    """Any key, uniformly: a list and each key's position in it, for O(1) add and remove."""

    def __init__(self, volatile: bool, seed: int | None):
        self.name = "volatile-random" if volatile else "allkeys-random"
        self.volatile = volatile
        self.items: list = []
        self.pos: dict[Any, int] = {}
        self.rnd = random.Random(seed)

    def add(self, key: Any) -> None:
        if key not in self.pos:
            self.pos[key] = len(self.items)
            self.items.append(key)

    def remove(self, key: Any) -> None:
        i = self.pos.pop(key, None)
        if i is None:
            return
        last = self.items.pop()
        if i < len(self.items):  # move the last key into the hole
            self.items[i] = last
            self.pos[last] = i

    def victims(self) -> Iterable:
        items = list(self.items)
        self.rnd.shuffle(items)
        return iter(items)

    def _check(self, keys: set) -> None:
        assert len(self.items) == len(self.pos), "random set list and positions differ"
        for i, k in enumerate(self.items):
            assert self.pos[k] == i, f"random set position of {k!r} is stale"
        assert set(self.pos) == keys, f"{self.name} order does not hold its keys"


class NearestExpiry(Policy):
    """``volatile-ttl``: the key that expires soonest first. Its order is the cache's own
    expiry index, read (through ``expiry_order``, soonest first), never written here."""

    name = "volatile-ttl"
    volatile = True

    def __init__(self, expiry_order: Callable[[], Iterator]):
        self.expiry_order = expiry_order

    def victims(self) -> Iterable:
        return self.expiry_order()

    def _check(self, keys: set) -> None:
        assert set(self.expiry_order()) == keys, "volatile-ttl order is not the TTL keys"


# name -> a maker taking (clock, lfu_decay, seed, expiry_order); the order is the documented one
_MAKERS: dict[str, Callable[..., Policy]] = {
    "noeviction": lambda clock, decay, seed, order: Policy(),
    "allkeys-lru": lambda clock, decay, seed, order: LRU(False),
    "allkeys-lfu": lambda clock, decay, seed, order: LFU(False, clock, decay),
    "allkeys-random": lambda clock, decay, seed, order: Random(False, seed),
    "volatile-lru": lambda clock, decay, seed, order: LRU(True),
    "volatile-lfu": lambda clock, decay, seed, order: LFU(True, clock, decay),
    "volatile-random": lambda clock, decay, seed, order: Random(True, seed),
    "volatile-ttl": lambda clock, decay, seed, order: NearestExpiry(order),
}
POLICIES = tuple(_MAKERS)

#: stands in for the policy where it does not listen (see ``Cache``)
IGNORED = Policy()


def make_policy(
    name: str,
    clock: Callable[[], float],
    lfu_decay: float,
    seed: int | None,
    expiry_order: Callable[[], Iterator],
) -> Policy:
    """The policy called ``name`` (one of ``POLICIES``; KeyError otherwise).

    ``clock`` and ``lfu_decay`` drive LFU decay, ``seed`` the random policies, and
    ``expiry_order()`` gives the keys with a TTL, soonest expiry first: what ``volatile-ttl``
    evicts by.
    """
    return _MAKERS[name](clock, lfu_decay, seed, expiry_order)
