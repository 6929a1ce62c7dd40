"""The version format: what an entry in ``Table.rows`` is and how to read it (Hekaton-style
MVCC).

An entry is one of:

- ``(row, begin)``: one version, alive; almost every row. ``begin`` is a commit timestamp, or
  the marker of the transaction that inserted it and has not committed yet;
- ``(row, begin, old_row, old_begin)``: an update, or with ``row`` None a delete;
  ``begin`` is the writer's marker until it commits, then its commit timestamp, until no
  snapshot reads ``old_row`` any more;
- a ``Version`` chain, newest first, when older versions must outlive a commit because a
  running snapshot still reads them. A version is visible at
snapshot ``ts`` when ``begin <= ts < end``. While a transaction is in flight its versions
carry its *marker* (``TXN_BASE + id``) in ``begin`` (rows it wrote) or ``end`` (rows it
replaced or deleted); markers sort above every commit timestamp and below ``INF``, so readers
skip uncommitted rows with one comparison. Commit stamps the markers with the commit
timestamp and collapses chains that nobody needs back into stable tuples.

Stable entries are plain tuples so that a million rows cost the cyclic garbage collector
nothing: tuples of scalars are untracked, ``Version`` objects are not.
"""

from __future__ import annotations

from typing import Any, Iterator

INF = 1 << 62
TXN_BASE = 1 << 61


class Version:
    """One version of a row in a chain: the row tuple, its lifetime, the next older one."""

    __slots__ = ("row", "begin", "end", "prev")

    def __init__(self, row: tuple, begin: int, end: int, prev: Version | None):
        self.row = row
        self.begin = begin
        self.end = end
        self.prev = prev

    def __repr__(self) -> str:
        return f"Version({self.row!r}, {self.begin}, {self.end})"


def visible(e: Any, ts: int, me: int) -> tuple | None:
    """The row of entry ``e`` visible at ``ts`` to transaction ``me``, or None.

    O(length of chain); compiled code handles committed stable rows itself and calls this
    for the rest.
    """
    if type(e) is tuple:
        b = e[1]
        if b == me or b <= ts:
            return e[0]
        if len(e) == 4 and e[3] <= ts:
            return e[2]  # the version this uncommitted or later change replaced
        return None
    v = e
    while v is not None:
        b = v.begin
        if b == me:
            return v.row if v.end == INF else None
        if b <= ts:
            end = v.end
            if end == INF or (end > ts and end != me):
                return v.row
            return None
        v = v.prev
    return None


def entry_rows(e: Any) -> Iterator[tuple]:
    """Every row version held by an entry."""
    if e is None:
        return
    if type(e) is tuple:
        if e[0] is not None:
            yield e[0]
        if len(e) == 4:
            yield e[2]
        return
    while e is not None:
        yield e.row
        e = e.prev


def newest_row(e: Any) -> tuple | None:
    """The newest row of an entry, committed or not (None when it is deleted)."""
    if e is None:
        return None
    if type(e) is tuple:
        return e[0]
    # a version that ends at all is deleted, whether the delete is committed or in flight
    return e.row if e.end == INF else None


def as_chain(e: Any) -> Version:
    """The entry as a Version chain (for the rare paths that walk versions)."""
    if type(e) is not tuple:
        return e
    if len(e) == 2:
        return Version(e[0], e[1], INF, None)
    old = Version(e[2], e[3], e[1], None)
    return old if e[0] is None else Version(e[0], e[1], INF, old)


def chain(v: Version | None) -> Iterator[Version]:
    """The versions of a chain, newest first."""
    while v is not None:
        yield v
        v = v.prev


def read_visible_code(v: str, r: str) -> list[str]:
    """Source lines for compiled code: set ``r`` to the row of entry ``v`` visible at ``ts``
    to transaction ``me`` (names in the compiled function's scope, with ``visible`` bound),
    or None.  The common case, a stable committed row, is read inline; the rest calls
    ``visible``.  The one place outside this module that knows the entry layout."""
    return [
        f"if type({v}) is tuple and {v}[1] <= ts: {r} = {v}[0]",
        f"else: {r} = visible({v}, ts, me)",
    ]


def stable_code(v: str) -> str:
    """A condition for compiled code: entry ``v`` is a single committed version visible at
    ``ts``, with no change in flight (what ``Table.update_stable`` requires)."""
    return f"type({v}) is tuple and len({v}) == 2 and {v}[1] <= ts"


def reshaped(e: Any, reshape, memo: dict, logged: set) -> Any:
    """Entry ``e`` with every row version passed through ``reshape`` (ALTER TABLE), keeping
    every timestamp and marker, so each snapshot reads the same rows in the new shape.

    ``memo`` maps ``id`` of versions, and of the entries whose ids are in ``logged`` (those a
    transaction's write log holds), to ``(old, new)``: each converts to one object, which
    undo and commit stamping find by identity.  O(versions).
    """
    if e is None:
        return None
    if type(e) is tuple:
        if logged and id(e) in logged:
            hit = memo.get(id(e))
            if hit is not None:
                return hit[1]
        if len(e) == 2:
            new = (reshape(e[0]), e[1])
        else:
            row = None if e[0] is None else reshape(e[0])
            new = (row, e[1], None if e[2] is None else reshape(e[2]), e[3])
        if logged and id(e) in logged:
            memo[id(e)] = (e, new)
        return new
    hit = memo.get(id(e))
    if hit is not None:
        return hit[1]
    olds = list(chain(e))  # a loop, not recursion: chains can be long under old snapshots
    prev = None
    for v in reversed(olds):
        hit = memo.get(id(v))
        if hit is not None:
            prev = hit[1]
            continue
        prev = Version(None if v.row is None else reshape(v.row), v.begin, v.end, prev)
        memo[id(v)] = (v, prev)
    return prev
