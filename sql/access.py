"""Access paths: how one table's rows are found, given the conditions that apply to it.

Rules in order of preference, as SQLite does without statistics: primary-key equality
(a dict probe), then the index that pins the most columns (a unique equality first; an
equality prefix plus a range counts half a column more than the prefix), an IN list over a
key or index, and last a full scan. Conditions an
access path answers exactly are dropped from the filters. ``ordered`` finds a sorted index
that yields rows already in ORDER BY order, so sorting (and with LIMIT, reading) stops early.
"""

from __future__ import annotations

from . import bound as B
from .plan import IndexLookup, IndexRange, Lookup, Scan

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


class Term:
    """A condition on one column of the table being accessed."""

    __slots__ = ("expr", "pos", "op", "value", "items", "exact")

    def __init__(self, expr, pos, op, value=None, items=None, exact=True):
        self.expr = expr  # the whole condition
        self.pos = pos  # column position
        self.op = op  # '=', '<', '<=', '>', '>=', 'in'
        self.value = value
        self.items = items
        self.exact = exact  # the index answers it exactly, so it need not be re-checked


def analyse(terms: list, slot: int, available: set, local: set) -> list[Term]:
    """The conditions among ``terms`` that an index on ``slot`` could answer."""
    out = []
    for t in terms:
        if isinstance(t, B.Op) and t.op in _FLIP:
            for col, other, op in ((t.left, t.right, t.op), (t.right, t.left, _FLIP[t.op])):
                if _usable(col, other, slot, available, local):
                    out.append(Term(t, col.pos, op, other, exact=_exact(op, col, other)))
                    break
        elif isinstance(t, B.InList) and not t.negated:
            col = t.expr
            if (
                isinstance(col, B.ColRef)
                and col.slot == slot
                and all(_usable(col, i, slot, available, local) for i in t.items)
            ):
                out.append(Term(t, col.pos, "in", items=t.items))
    return out


def _usable(col, other, slot: int, available: set, local: set) -> bool:
    if not (isinstance(col, B.ColRef) and col.slot == slot):
        return False
    other_slots = other.slots() & local
    if slot in other_slots or not other_slots <= available or B.contains_subquery(other):
        return False
    return _compatible(col, other)


def _compatible(col, other) -> bool:
    """A probe finds what the comparison would only when the types agree (or are unknown)."""
    if other.type is None or col.type is None or other.type is col.type:
        return True
    return col.type.numeric and other.type.numeric


def _exact(op: str, col, other) -> bool:
    """True when the index answers ``col op other`` exactly (no need to re-check it).

    A probe that finds a key found an equal one. Encoded ranges order values as SQLite does
    across types, except that a DATE or TIMESTAMP compared with text parses the text.
    """
    if op == "=" or other.type is col.type:
        return True
    if col.type is not None and col.type.name in ("DATE", "TIMESTAMP"):
        return False
    return other.type is None or col.type is None or (col.type.numeric and other.type.numeric)


def choose(src: Scan, terms: list, available: set, local: set):
    """The best access path for ``src`` under ``terms``; leftover terms become its filters."""
    table = src.table
    found = analyse(terms, src.slot, available, local)
    eq = {}
    for t in found:
        if t.op == "=" and t.pos not in eq:
            eq[t.pos] = t
    pk = table.schema.primary_key
    if pk and all(p in eq for p in pk):
        used = [eq[p] for p in pk]
        return _finish(Lookup(table, src.slot, src.alias, [t.value for t in used]), terms, used)
    best = None  # (score, path, used terms): the highest score wins
    for ix in table.indexes:
        cand = _index_candidate(src, ix, eq, found)
        if cand is not None and (best is None or cand[0] > best[0]):
            best = cand
    if pk and len(pk) == 1:
        for t in found:
            if t.op == "in" and t.pos == pk[0]:
                look = Lookup(table, src.slot, src.alias, [t.expr], many=True)
                cand = (1.0, look, [t])
                if best is None or cand[0] > best[0]:
                    best = cand
                break
    if best is None:
        src.filters = list(terms)
        return src
    _rank, path, used = best
    return _finish(path, terms, used)


def _index_candidate(src, ix, eq: dict, found: list):
    """(score, path, used terms) for one index; the score counts the columns it pins."""
    cols = ix.columns
    if all(c in eq for c in cols):
        used = [eq[c] for c in cols]
        score = len(cols) + (100 if ix.unique else 0) + 0.1
        return score, IndexLookup(src.table, src.slot, src.alias, ix, [t.value for t in used]), used
    if len(cols) == 1:
        for t in found:
            if t.op == "in" and t.pos == cols[0]:
                path = IndexLookup(src.table, src.slot, src.alias, ix, [t.expr], many=True)
                return 0.9, path, [t]
    if ix.method != "sorted":
        return None
    prefix = []
    for c in cols:
        if c not in eq:
            break
        prefix.append(eq[c])
    nxt = cols[len(prefix)] if len(prefix) < len(cols) else None
    low = high = None
    for t in found:
        if t.pos != nxt:
            continue
        if t.op in (">", ">=") and low is None:
            low = t
        elif t.op in ("<", "<=") and high is None:
            high = t
    if not prefix and low is None and high is None:
        return None
    path = IndexRange(src.table, src.slot, src.alias, ix, [t.value for t in prefix])
    if low is not None:
        path.low, path.low_open = low.value, low.op == ">"
    if high is not None:
        path.high, path.high_open = high.value, high.op == "<"
    used = prefix + [t for t in (low, high) if t is not None]
    score = len(prefix) + (0.5 if low is not None or high is not None else 0)
    score += 0.05 if low is not None and high is not None else 0
    return score, path, used


def _finish(path, terms: list, used: list):
    done = {id(t.expr) for t in used if t.exact}
    path.filters = [t for t in terms if id(t) not in done]
    return path


def ordered(src, keys: list[tuple[B.BExpr, bool, bool | None]]):
    """A source yielding rows in the order of ``keys`` (expr, desc, nulls_first), or None."""
    if not keys or not isinstance(src, (Scan, IndexRange)):
        return None
    desc = keys[0][1]
    positions = []
    for expr, d, nulls_first in keys:
        if d != desc or nulls_first is not None:
            return None
        if not (isinstance(expr, B.ColRef) and expr.slot == src.slot):
            return None
        positions.append(expr.pos)
    if isinstance(src, IndexRange):
        cols = src.index.columns
        m = len(src.prefix)
        if list(cols[m : m + len(positions)]) == positions or (
            list(cols[: len(positions)]) == positions
        ):
            src.reverse = desc
            return src
        return None
    for ix in src.table.indexes:
        if ix.method == "sorted" and list(ix.columns[: len(positions)]) == positions:
            path = IndexRange(src.table, src.slot, src.alias, ix, [])
            path.filters = src.filters
            path.need_key = src.need_key
            path.reverse = desc
            return path
    return None
