"""Window functions at run time: partitions, peers, frames and the functions over them.

The ``Window`` plan node's generated code buffers its input rows, each with the values its
window functions need (partition and order keys, arguments, FILTER conditions), and calls
``run_windows``. Rows are sorted once per distinct window (PARTITION BY + ORDER BY); every
function of that window is then computed partition by partition. Frames follow SQLite:
``ROWS``, ``RANGE`` and ``GROUPS`` with offsets, ``EXCLUDE``, and the default frame
``RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`` (all peers of the current row).

Aggregates (``window_agg.py``) slide over their frames: rows entering are stepped, rows
leaving are inverted, so a running sum or a sliding ``ROWS`` sum is O(n) per partition;
aggregates without an inverse (min, max, group_concat) recompute a frame whose start moves.
"""

from __future__ import annotations

from ..errors import DataError, InternalError
from . import runtime as R

# name: (fewest, most arguments) of the functions that exist only as window functions
WINDOW_FUNCTIONS = {
    "row_number": (0, 0),
    "rank": (0, 0),
    "dense_rank": (0, 0),
    "percent_rank": (0, 0),
    "cume_dist": (0, 0),
    "ntile": (1, 1),
    "lag": (1, 3),
    "lead": (1, 3),
    "first_value": (1, 1),
    "last_value": (1, 1),
    "nth_value": (2, 2),
}

_sort_key = R.sort_key


def run_windows(buf: list, groups: tuple, offsets: tuple, width: int) -> list:
    """The buffered rows ``buf`` — ``(slots, inputs)`` pairs — each paired with its window
    values: ``(slots, values)``, in the order of the first window's sort.

    ``groups`` holds one ``(spec, funcs)`` per distinct window, in the order written;
    ``offsets`` the frame offsets, evaluated once per execution.  O(n log n) per window to
    sort, then O(n) per function for ranking functions and invertible aggregates."""
    n = len(buf)
    out = [[None] * width for _ in range(n)]
    order = list(range(n))
    # SQLite runs its windows last written first, each sorting the rows the previous one
    # left (stably): ties reach a window in that order, and leave in the first one's
    for spec, funcs in reversed(groups):
        order = _sorted(buf, spec, order)
        for part in _partitions(buf, order, spec[0]):
            frames = _Frames(buf, part, spec, offsets)
            for pos, name, args, filt, cls in funcs:
                vals = _compute(buf, part, frames, name, args, filt, cls)
                for i, v in zip(part, vals):
                    out[i][pos] = v
    return [(buf[i][0], tuple(out[i])) for i in order]


# ---------------------------------------------------------------- sorting and partitions
def _term_key(idx: int, desc: bool, nulls_first):
    """A sort key for one ORDER BY term; the sort runs with reverse=desc, so an explicit
    NULLS FIRST/LAST flips with the direction (NULL is the smallest value otherwise)."""
    null_low = True if nulls_first is None else (nulls_first != desc)
    if null_low:
        return lambda e: _sort_key(e[1][idx])
    return lambda e: (e[1][idx] is None, _sort_key(e[1][idx]))


def _sorted(buf: list, spec, ix: list[int]) -> list[int]:
    """Row indices ``ix`` ordered by partition, then by the window's ORDER BY (stable)."""
    part_idx, order = spec[0], spec[1]
    ix = list(ix)
    for idx, desc, nulls_first in reversed(order):
        key = _term_key(idx, desc, nulls_first)
        ix.sort(key=lambda i: key(buf[i]), reverse=desc)
    if part_idx:
        ix.sort(key=lambda i: tuple(_sort_key(buf[i][1][j]) for j in part_idx))
    return ix


def _partitions(buf: list, order: list[int], part_idx: tuple):
    """Runs of ``order`` with equal partition keys."""
    if not order:
        return
    if not part_idx:
        yield order
        return
    start, prev = 0, None
    for k, i in enumerate(order):
        key = tuple(_sort_key(buf[i][1][j]) for j in part_idx)
        if k and key != prev:
            yield order[start:k]
            start = k
        prev = key
    yield order[start:]


# ---------------------------------------------------------------- frames
class _Frames:
    """Peer groups and frame bounds of one partition (positions 0..n-1 in window order)."""

    def __init__(self, buf: list, part: list[int], spec, offsets: tuple):
        _parts, order, units, start, end, exclude = spec
        self.n = n = len(part)
        self.exclude = exclude
        gid = [0] * n
        starts = [0]
        prev = None
        for k, i in enumerate(part):
            key = tuple(_sort_key(buf[i][1][idx]) for idx, _d, _nf in order)
            if k and key != prev:
                starts.append(k)
            gid[k] = len(starts) - 1
            prev = key
        self.gid = gid
        self.gstart = starts
        self.gend = [s - 1 for s in starts[1:]] + [n - 1]
        self.units = units
        self.start = (start[0], _offset(offsets, start[1], units, "starting"))
        self.end = (end[0], _offset(offsets, end[1], units, "ending"))
        if units == "RANGE" and (self.start[1] is not None or self.end[1] is not None):
            idx, desc, nulls_first = order[0]
            self.keys = keys = [buf[i][1][idx] for i in part]
            self.desc = desc
            nulls = sum(1 for v in keys if v is None)  # one run, at one end
            lead = nulls if nulls and keys[0] is None else 0
            self.valued = (lead, n - nulls + lead)

    def bounds(self, k: int) -> tuple[int, int]:
        """First and last position of row ``k``'s frame (first > last: empty)."""
        return self._bound(k, *self.start, True), self._bound(k, *self.end, False)

    def _bound(self, k: int, kind: str, off, is_start: bool) -> int:
        if kind == "unbounded preceding":
            return 0
        if kind == "unbounded following":
            return self.n - 1
        units = self.units
        if kind == "current row":
            if units == "ROWS":
                return k
            g = self.gid[k]
            return self.gstart[g] if is_start else self.gend[g]
        sign = -1 if kind == "preceding" else 1
        if units == "ROWS":
            return k + sign * off
        if units == "GROUPS":
            g = self.gid[k] + sign * off
            if g < 0:
                return 0 if is_start else -1
            if g >= len(self.gstart):
                return self.n if is_start else self.n - 1
            return self.gstart[g] if is_start else self.gend[g]
        return self._range_bound(k, sign * off, is_start)

    def _range_bound(self, k: int, delta, is_start: bool) -> int:
        """RANGE n PRECEDING/FOLLOWING: the rows whose ORDER BY value lies within ``delta``
        of the current row's (ORDER BY ... DESC counts the other way). A NULL current
        value frames its NULL peers; a text or blob value is its own bound (SQLite's).
        NULLs lie beyond every value, on the side they sort to.  O(log n)."""
        cur = self.keys[k]
        g = self.gid[k]
        if cur is None:
            return self.gstart[g] if is_start else self.gend[g]
        target = cur
        if type(cur) in (int, float):
            target = cur - delta if self.desc else cur + delta
        keys, cmp, desc = self.keys, R.compare, self.desc
        lo, hi = self.valued
        if is_start:  # the first valued row not before target, in window order
            while lo < hi:
                mid = (lo + hi) // 2
                c = cmp(keys[mid], target)
                if (c > 0) if desc else (c < 0):
                    lo = mid + 1
                else:
                    hi = mid
            return lo
        while lo < hi:  # one past the last valued row not after target
            mid = (lo + hi) // 2
            c = cmp(keys[mid], target)
            if (c < 0) if desc else (c > 0):
                hi = mid
            else:
                lo = mid + 1
        return lo - 1

    def segments(self, k: int) -> list[tuple[int, int]]:
        """Row ``k``'s frame after EXCLUDE, as inclusive position ranges in order."""
        s, e = self.bounds(k)
        s = max(s, 0)
        e = min(e, self.n - 1)
        if s > e:
            return []
        ex = self.exclude
        if ex == "NO OTHERS":
            return [(s, e)]
        if ex == "CURRENT ROW":
            xs = xe = k
        else:
            g = self.gid[k]
            xs, xe = self.gstart[g], self.gend[g]
        out = []
        if s < xs:
            out.append((s, min(e, xs - 1)))
        if ex == "TIES" and s <= k <= e:
            out.append((k, k))
        if e > xe:
            out.append((max(s, xe + 1), e))
        return out


def _offset(offsets: tuple, pos, units: str, which: str):
    """Frame offset ``pos`` of ``offsets`` (None: the bound has none), checked."""
    return None if pos is None else check_offset(offsets[pos], units, which)


def check_offset(v, units: str, which: str):
    """A frame offset as SQLite takes it: for ROWS and GROUPS a non-negative integer, for
    RANGE a non-negative number (``which`` is 'starting' or 'ending', for the message)."""
    if type(v) is str:
        v = R.to_number(v) if R.NUM_PREFIX.fullmatch(v.strip()) else None
    if units == "RANGE":
        if type(v) in (int, float) and v >= 0:
            return v
        raise DataError(f"frame {which} offset must be a non-negative number")
    if type(v) is float and v.is_integer():
        v = int(v)
    if type(v) is int and v >= 0:
        return v
    raise DataError(f"frame {which} offset must be a non-negative integer")


# ---------------------------------------------------------------- the functions
def _compute(buf, part, frames: _Frames, name, args, filt, cls) -> list:
    """The values of one window function for the rows of one partition, in order."""
    if cls is not None:
        return _aggregate(buf, part, frames, args, filt, cls)
    fn = _RANKING.get(name)
    if fn is not None:
        return fn(frames)
    vals = [[buf[i][1][a] for a in args] for i in part]
    if name in ("lag", "lead"):
        return _lag_lead(vals, name == "lead")
    if name == "ntile":
        return _ntile(frames, vals[0][0] if vals else None)
    if name in ("first_value", "last_value", "nth_value"):
        return _nth(frames, vals, name)
    raise InternalError(f"unknown window function {name}")


def _row_number(f: _Frames) -> list:
    return list(range(1, f.n + 1))


def _rank(f: _Frames) -> list:
    return [f.gstart[g] + 1 for g in f.gid]


def _dense_rank(f: _Frames) -> list:
    return [g + 1 for g in f.gid]


def _percent_rank(f: _Frames) -> list:
    if f.n < 2:
        return [0.0] * f.n
    return [f.gstart[g] / (f.n - 1) for g in f.gid]


def _cume_dist(f: _Frames) -> list:
    return [(f.gend[g] + 1) / f.n for g in f.gid]


_RANKING = {
    "row_number": _row_number,
    "rank": _rank,
    "dense_rank": _dense_rank,
    "percent_rank": _percent_rank,
    "cume_dist": _cume_dist,
}


def _int_arg(v):
    """An integer argument as SQLite's int64 conversion reads it (text by its prefix)."""
    v = R.to_number(v)
    if v is None:
        return 0
    return int(v)


def _lag_lead(vals: list, lead: bool) -> list:
    """lag(x [, offset [, default]]): x of the row ``offset`` rows back (lead: ahead)."""
    n = len(vals)
    out = []
    for k, row in enumerate(vals):
        off = _int_arg(row[1]) if len(row) > 1 else 1
        t = k + off if lead else k - off
        if 0 <= t < n:
            out.append(vals[t][0])
        else:
            out.append(row[2] if len(row) > 2 else None)
    return out


def _ntile(f: _Frames, arg) -> list:
    """ntile(N): bucket numbers 1..N, the first buckets one row larger (SQLite's)."""
    buckets = _int_arg(arg)
    if buckets <= 0:
        raise DataError("argument of ntile must be a positive integer")
    n = f.n
    size = n // buckets
    if size == 0:
        return list(range(1, n + 1))
    large = n - buckets * size
    small_start = large * (size + 1)
    return [
        1 + k // (size + 1) if k < small_start else 1 + large + (k - small_start) // size
        for k in range(n)
    ]


def _nth_arg(v) -> int:
    v = R.to_number(v)
    if type(v) is float and v.is_integer():
        v = int(v)
    if type(v) is not int or v <= 0:
        raise DataError("second argument to nth_value must be a positive integer")
    return v


def _nth(f: _Frames, vals: list, name: str) -> list:
    """first_value, last_value, nth_value over each row's frame (after EXCLUDE)."""
    out = []
    for k in range(f.n):
        segs = f.segments(k)
        if name == "first_value":
            out.append(vals[segs[0][0]][0] if segs else None)
        elif name == "last_value":
            out.append(vals[segs[-1][1]][0] if segs else None)
        else:
            want = _nth_arg(vals[k][1]) - 1
            hit = None
            for s, e in segs:
                if want <= e - s:
                    hit = vals[s + want][0]
                    break
                want -= e - s + 1
            out.append(hit)
    return out


def _aggregate(buf, part, frames: _Frames, args, filt, cls) -> list:
    """An aggregate over each row's frame. Contiguous frames slide: rows entering are
    stepped, rows leaving inverted (or, without an inverse, the frame is recomputed when
    its start moves); frames with EXCLUDE are recomputed."""
    rows = [tuple(buf[i][1][a] for a in args) for i in part]
    if filt is not None:
        keep = [buf[i][1][filt] for i in part]
    else:
        keep = None
    out = []
    if frames.exclude != "NO OTHERS":  # each frame on its own, to its final value
        for k in range(frames.n):
            acc = cls()
            for s, e in frames.segments(k):
                _step(acc, rows, keep, s, e + 1)
            out.append(acc.finalize())
        return out
    invertible = getattr(cls, "inverse", None) is not None
    acc = cls()
    cs = ce = 0  # acc holds rows [cs, ce)
    empty = None
    n = frames.n
    for k in range(n):
        s, e = frames.bounds(k)
        s, e = max(s, 0), min(e, n - 1) + 1
        if s >= e:
            if empty is None:
                empty = (cls().value(),)
            out.append(empty[0])
            continue
        if invertible and cs <= s and ce <= e:
            # as SQLite: rows leave by inverse even when none stay (a REAL once summed
            # keeps the sum REAL for the rest of the partition there too)
            inv = acc.inverse
            for j in range(cs, min(s, ce)):
                if keep is None or keep[j]:
                    inv(*rows[j])
            _step(acc, rows, keep, max(s, ce), e)
        elif s == cs and ce <= e:
            _step(acc, rows, keep, ce, e)
        else:
            acc.finalize()
            acc = cls()
            _step(acc, rows, keep, s, e)
        cs, ce = s, e
        out.append(acc.value())
    acc.finalize()
    return out


def _step(acc, rows: list, keep, lo: int, hi: int) -> None:
    step = acc.step
    if keep is None:
        for j in range(lo, hi):
            step(*rows[j])
    else:
        for j in range(lo, hi):
            if keep[j]:
                step(*rows[j])


__all__ = ["WINDOW_FUNCTIONS", "check_offset", "run_windows"]
