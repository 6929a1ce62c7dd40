"""Secondary indexes: index key → primary keys of rows that have (or had) that value.

Entries may be stale under MVCC (an older version still carries the value); readers check
the visible row against the entry, and version collection removes entries no version needs.
Writers change an index only while holding the engine's write lock; a sorted index also
takes its own short lock so readers can copy a slice of entries consistently.
"""

from __future__ import annotations

import datetime as _dt
import threading
from itertools import islice
from operator import itemgetter
from typing import Any, Iterable, Iterator

from sortedcontainers import SortedList


class HashIndex:
    """Equality index: dict of index key → set of primary keys.  O(1) lookups."""

    method = "hash"

    def __init__(self, name: str, table_name: str, columns: tuple[int, ...], unique: bool):
        self.name = name
        self.table_name = table_name
        self.columns = tuple(columns)
        self.unique = unique
        self.implicit = False  # made for a UNIQUE constraint rather than CREATE INDEX
        self.key_of = itemgetter(*columns)
        self.map: dict[Any, set] = {}

    def has_null(self, ik: Any) -> bool:
        """True when the index key contains NULL (NULLs never collide in UNIQUE)."""
        if len(self.columns) == 1:
            return ik is None
        return None in ik

    def add(self, ik: Any, pk: Any) -> None:
        """Record that row ``pk`` has a version with value ``ik``.  O(1)."""
        s = self.map.get(ik)
        if s is None:
            self.map[ik] = {pk}
        else:
            s.add(pk)

    def discard(self, ik: Any, pk: Any) -> None:
        """Forget the pair (``ik``, ``pk``).  O(1)."""
        s = self.map.get(ik)
        if s is not None:
            s.discard(pk)
            if not s:
                del self.map[ik]

    def lookup(self, ik: Any) -> Iterable[Any]:
        """Primary keys of rows that may have value ``ik``.  O(1)."""
        s = self.map.get(ik)
        return tuple(s) if s else ()

    def distinct_keys(self) -> int:
        """How many different values the index holds (for the planner's estimates)."""
        return len(self.map)

    def _check(self, table) -> None:
        """Assert every entry points at a row with a version carrying that value."""
        for ik, pks in self.map.items():
            assert pks, ik
            for pk in pks:
                v = table.rows.get(pk)
                assert v is not None, (self.name, ik, pk)
                while v is not None and self.key_of(v.row) != ik:
                    v = v.prev
                assert v is not None, (self.name, ik, pk)


_RANKS = {bool: 1, int: 1, float: 1, str: 2, bytes: 3}
#: Sorts after every encoded value: the open end of a prefix range.
TOP = (9,)
#: Sorts after NULL and before every other encoded value.
NOT_NULL = (1,)


def encode_value(v: Any) -> tuple:
    """A totally ordered form of one value, in SQLite's order: NULL, numbers, text, blobs."""
    r = _RANKS.get(type(v))
    if r is not None:
        return (r, v)
    if v is None:
        return (0,)
    if isinstance(v, _dt.datetime):
        return (4, v)
    if isinstance(v, _dt.date):
        return (4, _dt.datetime(v.year, v.month, v.day))
    return (5, repr(v))


class SortedIndex(HashIndex):
    """Ordered index: a SortedList of (encoded key, primary key) beside the equality map.

    Equality is O(1) through the map; ranges, prefixes of composite keys and ordered scans
    are O(log n + k) through the sorted entries.  An encoded key is a tuple with one
    ``encode_value`` per column.
    """

    method = "sorted"
    CHUNK = 256

    def __init__(self, name: str, table_name: str, columns: tuple[int, ...], unique: bool):
        super().__init__(name, table_name, columns, unique)
        self.entries = SortedList()
        self.descending: tuple[bool, ...] = ()
        self.lock = threading.Lock()
        if len(columns) == 1:
            (col,) = columns
            self.encode_row = lambda row: (encode_value(row[col]),)
        else:
            self.encode_row = lambda row: tuple(encode_value(row[c]) for c in columns)

    def encode(self, ik: Any) -> tuple:
        """The encoded form of an index key (a value, or a tuple for several columns)."""
        if len(self.columns) == 1:
            return (encode_value(ik),)
        return tuple(encode_value(v) for v in ik)

    def add(self, ik: Any, pk: Any) -> None:
        """O(log n)."""
        s = self.map.get(ik)
        if s is None:
            self.map[ik] = {pk}
        elif pk in s:
            return
        else:
            s.add(pk)
        with self.lock:
            self.entries.add((self.encode(ik), pk))

    def discard(self, ik: Any, pk: Any) -> None:
        """O(log n)."""
        s = self.map.get(ik)
        if s is None or pk not in s:
            return
        s.discard(pk)
        if not s:
            del self.map[ik]
        with self.lock:
            self.entries.discard((self.encode(ik), pk))

    def scan(
        self,
        low: tuple | None,
        high: tuple | None,
        low_open: bool = False,
        high_open: bool = False,
        reverse: bool = False,
    ) -> Iterator[tuple]:
        """(encoded key, primary key) entries between two encoded key prefixes, in order.

        ``low``/``high`` are tuples of encoded column values (a prefix of the key), None for
        unbounded; ``*_open`` excludes keys equal to the bound on its columns.  Entries are
        copied a chunk at a time under the index lock, resuming after the last one seen, so
        concurrent writers never disturb the iteration.  O(log n + k).
        """
        lo = None if low is None else ((low + (TOP,),) if low_open else (low,))
        hi = None if high is None else ((high,) if high_open else (high + (TOP,),))
        inclusive = [True, True]
        entries = self.entries
        chunk_size = self.CHUNK
        while True:
            with self.lock:
                chunk = list(islice(entries.irange(lo, hi, tuple(inclusive), reverse), chunk_size))
            yield from chunk
            if len(chunk) < chunk_size:
                return
            if reverse:
                hi, inclusive[1] = chunk[-1], False
            else:
                lo, inclusive[0] = chunk[-1], False

    def _check(self, table) -> None:
        super()._check(table)
        assert len(self.entries) == sum(len(s) for s in self.map.values()), self.name
        for ik, pks in self.map.items():
            enc = self.encode(ik)
            for pk in pks:
                assert (enc, pk) in self.entries, (self.name, ik, pk)
