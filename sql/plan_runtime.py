"""Run-time helpers the plan emitters bind into generated code as constants.

``index_extreme`` answers MIN/MAX from a sorted index without a scan; the sort-key builders
make the key functions ``sort_rows`` and ``top_rows`` (in ``runtime``) order ORDER BY
buffers with. They run when a statement executes, not when it compiles.
"""

from __future__ import annotations

from collections import deque
from itertools import chain

from ..errors import OperationalError
from ..indexes import NOT_NULL
from ..versions import visible
from . import runtime as R
from .udf import WATCH_EVERY


def index_extreme(index, rows: dict, ts: int, me: int, largest: bool):
    """The smallest (or largest) non-NULL value of a sorted index's first column visible at
    ``ts``; None when there is none.  O(log n) plus stale or invisible entries skipped."""
    col = index.columns[0]
    low = None if index.raw else NOT_NULL
    for key, pk in index.scan(low, None, reverse=largest, nulls=False):
        v = rows.get(pk)
        row = None if v is None else visible(v, ts, me)
        if row is not None and row[col] is not None and index.row_key(row) == key:
            return row[col]
    return None


def sort_key_function(i: int, type_, desc: bool, nulls_first):
    """Key for one ORDER BY term of (keys, row) pairs; NULLs first ascending by default."""
    # SQLite: NULL is the smallest value, so it comes first ascending and last descending;
    # the sort runs with reverse=desc, so an explicit NULLS FIRST/LAST flips with direction.
    null_low = True if nulls_first is None else (nulls_first != desc)
    typed = type_ is not None and type_.name != "ANY"
    if typed:
        if null_low:
            return lambda e: (e[0][i] is not None, e[0][i])
        return lambda e: (e[0][i] is None, e[0][i])
    sk = R.sort_key
    if null_low:
        return lambda e: sk(e[0][i])
    return lambda e: (e[0][i] is None, sk(e[0][i]))


def combined_key(keys: list):
    """One key function ordering by several ORDER BY terms of the same direction."""
    if len(keys) == 1:
        return keys[0]
    return lambda e: tuple(k(e) for k in keys)


def watched(tx, rows: list):
    """The rows a scan visits, with the brakes of the connection that runs it applied.

    Before every ``session.progress_every`` rows (1024, or the progress handler's step) it
    raises ``OperationalError("interrupted")`` when ``Connection.interrupt()`` was called or
    the progress handler returns true. The one place a running statement looks at them: a
    short scan with no handler costs one look, a long one a look per step and nothing per
    row (the rows are handed on in slices, by ``itertools.chain``).
    """
    session = tx.session
    if session is None:  # an engine transaction of its own (checkpoint, export)
        return rows
    every = session.progress_every
    if session.progress is None and len(rows) <= every:
        if session.interrupted:
            raise OperationalError("interrupted")
        return rows
    return chain.from_iterable(_slices(session, rows, every))


def _slices(session, rows: list, every: int):
    for i in range(0, len(rows), every):
        watch(session)
        yield rows[i : i + every]


def watch(session) -> None:
    """Raise ``OperationalError("interrupted")`` if the statement must stop."""
    if session.interrupted or (session.progress is not None and session.progress()):
        raise OperationalError("interrupted")


def recursive_rows(
    tx, name: str, distinct: bool, first: list, arms: tuple, lim: int = -1, off: int = 0
) -> list:
    """The rows of a recursive CTE, as SQLite makes them: a queue starts with ``first``;
    each row taken from it is output and handed (as a one-row table) to every arm, whose
    rows join the queue. With ``distinct`` (UNION) a row seen before is dropped, so a
    cycle ends. The CTE's own LIMIT ``lim`` (after ``off`` rows) stops the recursion.
    More rows than the database's ``max_recursive_rows`` raise ``OperationalError``
    instead of running on.  O(rows × arm cost)."""
    limit = tx.manager.max_recursive_rows
    session = tx.session
    every = WATCH_EVERY if session is None else session.progress_every
    if lim == 0:
        return []
    stop = off + lim if lim > 0 else -1
    out: list = []
    seen: set = set()
    queue: deque = deque()
    for row in _chain(first, queue, arms):
        if distinct:
            if row in seen:
                continue
            seen.add(row)
        if len(out) >= limit:
            raise OperationalError(
                f"recursive query {name} passed {limit} rows (max_recursive_rows); "
                "add a stop condition, or raise the limit if the rows are intended"
            )
        out.append(row)
        if session is not None and not len(out) % every:
            watch(session)
        queue.append(row)
        if len(out) == stop:
            break
    return out[off:] if off > 0 else out


def _chain(first: list, queue: deque, arms: tuple):
    """The initial rows, then the arms' rows for each queued row, as the queue grows."""
    yield from first
    while queue:
        work = (queue.popleft(),)
        for arm in arms:
            yield from arm(work)
