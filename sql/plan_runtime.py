"""Run-time helpers the plan emitters bind into generated code as constants.

``index_extreme`` answers MIN/MAX from a sorted index without a scan; the sort-key builders
make the key functions ``sort_rows`` and ``top_rows`` (in ``runtime``) order ORDER BY
buffers with. They run when a statement executes, not when it compiles.
"""

from __future__ import annotations

from ..indexes import NOT_NULL
from ..versions import visible
from . import runtime as R


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
