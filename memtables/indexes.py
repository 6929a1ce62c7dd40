"""Secondary indexes: index key → primary keys of rows that have (or had) that value.

Entries may be stale under MVCC (an older version still carries the value); readers check
the visible row, and version collection removes entries no version needs.
"""

from __future__ import annotations

import datetime as _dt
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


def _encode_value(v: Any) -> tuple:
    """A totally ordered form of one value: NULL first, then numbers, text, blobs, dates."""
    if v is None:
        return (0,)
    r = _RANKS.get(type(v))
    if r is None:
        if isinstance(v, _dt.datetime):
            return (4, v)
        if isinstance(v, _dt.date):
            return (4, _dt.datetime(v.year, v.month, v.day))
        return (5, repr(v))
    return (r, v)


class SortedIndex(HashIndex):
    """Ordered index over a SortedList of (encoded key, primary key) entries.

    Answers equality in O(log n) and ranges, prefixes and ordered scans in O(log n + k).
    """

    method = "sorted"

    def __init__(self, name: str, table_name: str, columns: tuple[int, ...], unique: bool):
        super().__init__(name, table_name, columns, unique)
        self.entries = SortedList()
        self.descending: tuple[bool, ...] = ()
        if len(columns) == 1:
            self.encode = _encode_value
        else:
            self.encode = lambda ik: tuple(_encode_value(v) for v in ik)

    def add(self, ik: Any, pk: Any) -> None:
        """O(log n)."""
        s = self.map.get(ik)
        if s is None:
            self.map[ik] = {pk}
        elif pk in s:
            return
        else:
            s.add(pk)
        self.entries.add((self.encode(ik), pk))

    def discard(self, ik: Any, pk: Any) -> None:
        """O(log n)."""
        s = self.map.get(ik)
        if s is None or pk not in s:
            return
        s.discard(pk)
        if not s:
            del self.map[ik]
        self.entries.discard((self.encode(ik), pk))

    def range(
        self,
        low: Any = None,
        high: Any = None,
        low_inclusive: bool = True,
        high_inclusive: bool = True,
        reverse: bool = False,
        prefix: int = 0,
    ) -> Iterator:
        """Primary keys whose index key lies between the encoded bounds, in index order.

        ``low``/``high`` are encoded keys (or prefixes of them when ``prefix`` columns are
        given); None means unbounded.  O(log n + k).
        """
        entries = self.entries
        lo = None if low is None else ((low,) if prefix == 0 else (low,))
        hi = None if high is None else ((high,) if prefix == 0 else (high,))
        for enc, pk in entries.irange(lo, hi, (True, True), reverse=reverse):
            k = enc if prefix == 0 else enc[:prefix]
            if low is not None and not low_inclusive and k == low:
                continue
            if high is not None and k == high and not high_inclusive:
                continue
            if high is not None and k > high:
                if reverse:
                    continue
                break
            if low is not None and k < low:
                if reverse:
                    break
                continue
            yield pk

    def _check(self, table) -> None:
        super()._check(table)
        assert len(self.entries) == sum(len(s) for s in self.map.values()), self.name
        for enc, pk in self.entries:
            assert pk in self.map.get(self._decode_key(enc), ()), (self.name, enc, pk)

    def _decode_key(self, enc: tuple) -> Any:
        def one(e):
            if e[0] == 0:
                return None
            return e[1]

        if len(self.columns) == 1:
            return one(enc)
        return tuple(one(e) for e in enc)
