"""Secondary indexes: index key → primary keys of rows that have (or had) that value.

Entries may be stale under MVCC (an older version still carries the value); readers check
the visible row against the entry, and version collection removes entries no version needs.
Writers change an index only while holding the engine's write lock; a sorted index also
takes its own short lock so readers can copy a slice of entries consistently.
"""

from __future__ import annotations

import datetime as _dt
import threading
from operator import itemgetter
from typing import Any, Iterable, Iterator

from sortedcontainers import SortedKeyList, SortedList

from .versions import entry_rows

_MISSING = object()


class HashIndex:
    """Equality index: dict of index key → set of primary keys.  O(1) lookups."""

    method = "hash"

    def __init__(self, name: str, table_name: str, columns: tuple[int, ...], unique: bool):
        self.name = name
        self.table_name = table_name
        self.columns = tuple(columns)
        self.unique = unique
        self.implicit = False  # made for a UNIQUE constraint rather than CREATE INDEX
        self.constraint: str | None = None  # that constraint's name, when it has one
        self.key_of = itemgetter(*columns)
        self.map: dict[Any, set] = {}

    def take_entries(self, other: HashIndex) -> None:
        """Fill this new index with the entries of ``other``, an index on the same values of
        the same rows that ALTER TABLE moved to other column positions.  O(n)."""
        self.map = {k: set(v) if type(v) is set else v for k, v in other.map.items()}

    def has_null(self, ik: Any) -> bool:
        """True when the index key contains NULL (NULLs never collide in UNIQUE)."""
        if len(self.columns) == 1:
            return ik is None
        return None in ik

    def add(self, ik: Any, pk: Any) -> None:
        """Record that row ``pk`` has a version with value ``ik``.  O(1)."""
        m = self.map
        cur = m.get(ik, _MISSING)
        if cur is _MISSING:
            m[ik] = pk  # one key: the key itself, no set (fewer objects for the GC)
        elif type(cur) is set:
            cur.add(pk)
        elif cur != pk:
            m[ik] = {cur, pk}

    def discard(self, ik: Any, pk: Any) -> None:
        """Forget the pair (``ik``, ``pk``).  O(1)."""
        m = self.map
        cur = m.get(ik, _MISSING)
        if cur is _MISSING:
            return
        if type(cur) is set:
            cur.discard(pk)
            if len(cur) == 1:
                m[ik] = next(iter(cur))
            elif not cur:
                del m[ik]
        elif cur == pk:
            del m[ik]

    def lookup(self, ik: Any) -> tuple:
        """Primary keys of rows that may have value ``ik``.  O(1)."""
        cur = self.map.get(ik, _MISSING)
        if cur is _MISSING:
            return ()
        if type(cur) is set:
            return tuple(cur)
        return (cur,)

    def probe(self, ik: Any) -> tuple:
        """``lookup`` for a query's ``=``: a date equals its midnight in SQL but not in a
        dict, and an ANY column may hold both forms, so a date looks up both.  O(1)."""
        t = type(ik)
        if t is not _dt.date and t is not _dt.datetime:
            cur = self.map.get(ik, _MISSING)  # lookup's body: this is a hot path
            if cur is _MISSING:
                return ()
            return tuple(cur) if type(cur) is set else (cur,)
        other = _other_form(ik)
        if other is None:
            return self.lookup(ik)
        return tuple(dict.fromkeys(self.lookup(ik) + self.lookup(other)))

    def holds(self, ik: Any, pk: Any) -> bool:
        """True when the pair (``ik``, ``pk``) is in the index."""
        cur = self.map.get(ik, _MISSING)
        if cur is _MISSING:
            return False
        if type(cur) is set:
            return pk in cur
        return cur == pk

    def distinct_keys(self) -> int:
        """How many different values the index holds (for the planner's estimates)."""
        return len(self.map)

    def entry_count(self) -> int:
        return sum(len(v) if type(v) is set else 1 for v in self.map.values())

    def _check(self, table) -> None:
        """Assert every entry points at a row with a version carrying that value."""
        for ik in list(self.map):
            for pk in self.lookup(ik):
                e = table.rows.get(pk)
                assert e is not None, (self.name, ik, pk)
                assert any(self.key_of(r) == ik for r in entry_rows(e)), (self.name, ik, pk)


def _other_form(v: Any) -> Any:
    """The datetime of a date, the date of a datetime at midnight, else None."""
    if type(v) is _dt.date:
        return _dt.datetime(v.year, v.month, v.day)
    if v.time() == _dt.time() and v.tzinfo is None:
        return v.date()
    return None


def same_key(a: Any, b: Any) -> bool:
    """Index keys equal as SQL compares them (a date equals its midnight); ``a != b`` is
    the fast test, this the slow one when that says they differ."""
    if a == b:
        return True
    ta = type(a)
    if (ta is _dt.date or ta is _dt.datetime) and type(b) in (_dt.date, _dt.datetime):
        return _other_form(a) == b
    return False


_RANKS = {bool: 1, int: 1, float: 1, str: 2, bytes: 3}
#: Sorts after every encoded column: the open end of a prefix range.
TOP = (9,)
#: Sorts after an encoded NULL and before every other encoded value.
NOT_NULL = (1,)
_NULL = (0, 0)
#: Column types whose values are mutually comparable, so keys can be the values themselves.
RAW_TYPES = frozenset({"INTEGER", "REAL", "BOOLEAN", "TEXT", "BLOB", "DATE", "TIMESTAMP"})


def encode_value(v: Any) -> tuple:
    """One value as (rank, value): SQLite's order NULL, numbers, text, blobs, then dates."""
    r = _RANKS.get(type(v))
    if r is not None:
        return (r, v)
    if v is None:
        return _NULL
    if isinstance(v, _dt.datetime):
        return (4, v)
    if isinstance(v, _dt.date):
        return (4, _dt.datetime(v.year, v.month, v.day))
    return (5, repr(v))


class _Above:
    """Compares greater than any value: (key, ABOVE) sorts after every (key, pk) entry."""

    __slots__ = ()

    def __lt__(self, other: Any) -> bool:
        return False

    def __gt__(self, other: Any) -> bool:
        return True

    def __eq__(self, other: Any) -> bool:
        return other is self

    __hash__ = object.__hash__


ABOVE = _Above()


def _entry_order(entry: tuple) -> tuple:
    """The sort key of an (index key, primary key) entry whose primary keys may mix types."""
    pk = entry[1]
    if type(pk) is tuple:
        return (entry[0], sum((encode_value(v) for v in pk), ()))
    return (entry[0], encode_value(pk))


def _value_class(v: Any) -> int:
    r = _RANKS.get(type(v))
    if r is not None:
        return r
    if isinstance(v, _dt.date):
        return 4
    return 5


def _convert_date(v: Any, target: type) -> Any:
    """A date bound for a TIMESTAMP column, or a timestamp bound for a DATE column."""
    if target is _dt.datetime:
        return _dt.datetime(v.year, v.month, v.day)
    return v.date()


class SortedIndex(HashIndex):
    """Ordered index: sorted (key, primary key) entries beside the equality map.

    For one column of a concrete type the key is the value itself (NULLs are kept apart,
    since they compare with nothing); otherwise it is a flat tuple of (rank, value) pairs
    that orders any mix of values as SQLite does.  Equality is O(1) through the map;
    ranges, prefixes of composite keys and ordered scans are O(log n + k).
    """

    method = "sorted"
    CHUNK = 256

    def __init__(
        self,
        name: str,
        table_name: str,
        columns: tuple[int, ...],
        unique: bool,
        types: tuple = (),
        mixed_keys: bool = False,
    ):
        super().__init__(name, table_name, columns, unique)
        # entries with equal index keys are ordered by primary key; when the table's key may
        # mix types (an ANY key column), that order goes through the encoded key, never a
        # comparison of, say, an int with a str
        self.mixed_keys = mixed_keys
        self.entries = SortedKeyList(key=_entry_order) if mixed_keys else SortedList()
        self.pending: set = set()  # added entries not yet sorted into ``entries``
        self.descending: tuple[bool, ...] = ()
        self.lock = threading.Lock()
        self.raw = len(columns) == 1 and bool(types) and types[0].name in RAW_TYPES
        self.nulls: set = set()
        self.value_type = types[0].pytype if self.raw else None
        self.value_class = (
            _value_class(self.value_type())
            if self.raw and types[0].name not in ("DATE", "TIMESTAMP")
            else 4
        )
        if self.raw:
            (col,) = columns
            self.row_key = itemgetter(col)
        elif len(columns) == 1:
            (col,) = columns
            self.row_key = lambda row: encode_value(row[col])
        else:
            self.row_key = lambda row: sum((encode_value(row[c]) for c in columns), ())

    def take_entries(self, other: HashIndex) -> None:
        """``HashIndex.take_entries``, the sorted entries included (they sort as they did:
        same values, same types).  O(n)."""
        HashIndex.take_entries(self, other)
        with other.lock:
            self.entries = other.entries.copy()
            self.pending = set(other.pending)
            self.nulls = set(other.nulls)

    def sort_key(self, ik: Any) -> Any:
        """The entry key of an index key (the value itself, or its encoded form)."""
        if self.raw:
            return ik
        if len(self.columns) == 1:
            return encode_value(ik)
        return sum((encode_value(v) for v in ik), ())

    def add(self, ik: Any, pk: Any) -> None:
        """O(1): new entries wait in ``pending`` until the next ordered read sorts them in.

        A pair the map already holds adds nothing, equal keys of other types included (1,
        1.0 and TRUE are one dict key, so one row): the sorted entries count what the map
        counts, and one ``discard`` takes the pair out of both.
        """
        m = self.map
        cur = m.get(ik, _MISSING)
        if cur is _MISSING:
            m[ik] = pk
        elif type(cur) is set:
            if pk in cur:
                return
            cur.add(pk)
        elif cur == pk:
            return
        else:
            m[ik] = {cur, pk}
        with self.lock:
            if self.raw:
                if ik is None:
                    self.nulls.add(pk)
                else:
                    self.pending.add((ik, pk))
            else:
                self.pending.add((self.sort_key(ik), pk))

    def discard(self, ik: Any, pk: Any) -> None:
        """O(log n)."""
        # ``holds`` then ``HashIndex.discard``, with one lookup: every DELETE and every
        # update of an indexed column comes here, at commit if not before
        m = self.map
        cur = m.get(ik, _MISSING)
        if cur is _MISSING:
            return
        if type(cur) is set:
            if pk not in cur:
                return
            cur.discard(pk)
            if len(cur) == 1:
                m[ik] = next(iter(cur))
            elif not cur:
                del m[ik]
        elif cur == pk:
            del m[ik]
        else:
            return
        with self.lock:
            if self.raw:
                if ik is None:
                    self.nulls.discard(pk)
                    return
                entry = (ik, pk)
            else:
                entry = (self.sort_key(ik), pk)
            if entry in self.pending:
                self.pending.discard(entry)
            else:
                self.entries.discard(entry)

    def _merge(self) -> None:
        """Sort pending entries in (the caller holds the lock).  O(p log(n + p))."""
        pending = self.pending
        if pending:
            if len(pending) > 32:
                self.entries.update(pending)
            else:
                add = self.entries.add
                for e in pending:
                    add(e)
            pending.clear()

    def scan(
        self,
        low: Any = None,
        high: Any = None,
        low_open: bool = False,
        high_open: bool = False,
        reverse: bool = False,
        nulls: bool = True,
    ) -> Iterable[tuple]:
        """(key, primary key) entries between two bounds, in key order (NULLs first).

        Bounds are entry keys; for an encoded index they may be prefixes of the key (leading
        columns), None means unbounded.  Entries are copied a chunk at a time under the index
        lock and the scan resumes after the last entry it saw, so concurrent writers never
        disturb it; a range that fits in one chunk comes back as a plain list.  O(log n + k).
        """
        if self.raw:
            bounds = self._raw_bounds(low, high)
            if bounds is None:
                return ()
            # a bound that fell between two values decides its own openness (_raw_bounds)
            low_open = low_open if bounds[2] is None else bounds[2]
            high_open = high_open if bounds[3] is None else bounds[3]
            lo = None if bounds[0] is None else ((bounds[0], ABOVE) if low_open else (bounds[0],))
            hi = None if bounds[1] is None else ((bounds[1],) if high_open else (bounds[1], ABOVE))
        else:
            lo = None if low is None else ((low + TOP,) if low_open else (low,))
            hi = None if high is None else ((high,) if high_open else (high + TOP,))
        with_nulls = nulls and self.raw and low is None and high is None and bool(self.nulls)
        first = self._chunk(lo, hi, reverse, None)
        if len(first) < self.CHUNK and not with_nulls:
            return first
        return self._scan_rest(lo, hi, reverse, first, with_nulls)

    def _chunk(self, lo, hi, reverse: bool, last) -> list:
        """Up to CHUNK entries of the range after ``last`` (in scan order)."""
        ents = self.entries
        chunk = self.CHUNK
        with self.lock:
            self._merge()
            if self.mixed_keys:  # bounds are keys already; entries are turned into keys
                left, right = ents.bisect_key_left, ents.bisect_key_right
                last = None if last is None else _entry_order(last)
            else:
                left, right = ents.bisect_left, ents.bisect_right
            start = 0 if lo is None else left(lo)
            stop = len(ents) if hi is None else left(hi)
            if reverse:
                if last is not None:
                    stop = min(stop, left(last))
                part = ents[max(start, stop - chunk) : stop] if stop > start else []
                part.reverse()
            else:
                if last is not None:
                    start = max(start, right(last))
                part = ents[start : min(stop, start + chunk)] if stop > start else []
        return part

    def _scan_rest(self, lo, hi, reverse: bool, part: list, with_nulls: bool) -> Iterator[tuple]:
        if with_nulls and not reverse:
            with self.lock:
                yield from [(None, pk) for pk in self.nulls]
        while True:
            yield from part
            if len(part) < self.CHUNK:
                break
            part = self._chunk(lo, hi, reverse, part[-1])
        if with_nulls and reverse:
            with self.lock:
                yield from [(None, pk) for pk in self.nulls]

    def _raw_bounds(self, low: Any, high: Any) -> tuple | None:
        """Bounds comparable with the column's values, or None when nothing can match.

        A bound of another class (text against numbers, say) keeps SQLite's cross-type
        order: it either admits every value or none. Returns (low, high, low_open,
        high_open), the last two None unless a bound changed openness: a timestamp past
        midnight bounding a DATE column lies strictly between two dates.
        """
        cls = self.value_class
        out = []
        opens: list = [None, None]
        for bound, is_low in ((low, True), (high, False)):
            if bound is None:
                out.append(None)
                continue
            bcls = _value_class(bound)
            if bcls == cls:
                if cls == 4 and type(bound) is not self.value_type:
                    if self.value_type is _dt.date and bound.time() != _dt.time():
                        opens[not is_low] = is_low  # d > ts: d > its date; d < ts: d <= it
                    bound = _convert_date(bound, self.value_type)
                out.append(bound)
            elif (bcls > cls) == is_low:
                return None  # every value lies on the wrong side of this bound
            else:
                out.append(None)  # every value satisfies this bound
        return out[0], out[1], opens[0], opens[1]

    def _check(self, table) -> None:
        super()._check(table)
        with self.lock:
            self._merge()
        total = len(self.entries) + len(self.nulls)
        assert total == self.entry_count(), self.name
        for ik in self.map:
            for pk in self.lookup(ik):
                if self.raw and ik is None:
                    assert pk in self.nulls, (self.name, pk)
                else:
                    assert (self.sort_key(ik), pk) in self.entries, (self.name, ik, pk)
