"""Join ordering: the order in which a query block's FROM items are joined.

The planner builds left-deep joins; this module only decides their order. Inner joins (comma
lists, ``JOIN ... ON``) commute, so their ON conditions join the WHERE conjuncts and the tables
are ordered by cost: a dynamic program over subsets of up to ``DP_LIMIT`` tables, greedy
beyond. Two kinds of step keep their place, as SQLite does: a LEFT JOIN (its right side joins
after everything written before it) and a CROSS JOIN (written on purpose as an order hint:
what comes before it is joined first). Between those barriers each run of inner joins is
ordered on its own.

The cost model needs no statistics, like SQLite's without ANALYZE: a table has as many rows
as it has now; an equality with a constant keeps a tenth of them (one row on a unique key),
a range a third, other conditions half; an equi-join matches one row per key on a unique
column, else a few. Reading the next table costs a probe per outer row when a key or index
answers the join; for a hash join, a build (dearer per row than a probe) plus a probe per
row; for a nested loop, the whole table per outer row. The cost of an order is what it reads
plus the rows it makes. Sizes are those when the statement is prepared.
"""

from __future__ import annotations

from . import bound as B
from .bound_query import BoundFunction, BoundTable

DP_LIMIT = 10  # up to this many tables per run: exact (2^n subsets); beyond: greedy
UNKNOWN_ROWS = 100.0  # a subquery, view or system table: size unknown when planning

_RANGE = {"<", "<=", ">", ">="}


def order_steps(steps: list, where: list, local: set) -> tuple[list, list]:
    """Reorder join ``steps`` ``(source, kind, on)``; return them and the WHERE conjuncts.

    ON conditions of the inner joins that were reordered move to the returned conjuncts
    (for an inner join, ON and WHERE mean the same); LEFT JOIN steps keep their own.
    """
    runs: list = []  # lists of inner steps, or a single LEFT JOIN step
    for k, step in enumerate(steps):
        kind = step[1]
        if kind == "left":
            runs.append(step)
        elif (
            k == 0
            or kind == "cross"
            or isinstance(step[0], BoundFunction)  # its arguments may read the steps before it
            or not isinstance(runs[-1], list)
        ):
            runs.append([step])
        else:
            runs[-1].append(step)
    if all(not isinstance(r, list) or len(r) == 1 for r in runs):
        return steps, where  # nothing to reorder
    terms = list(where)
    for run in runs:
        if isinstance(run, list):
            for _src, _kind, on in run:
                terms += B.conjuncts(on)
    model = _Model([s[0] for s in steps], terms, local)
    out: list = []
    done = 0  # bitmask of the sources joined so far
    rows = 1.0
    for run in runs:
        if not isinstance(run, list):
            out.append(run)
            done |= model.bit[run[0].slot]
            continue
        members = [model.bit[src.slot] for src, _kind, _on in run]
        order, rows = model.best_order(done, rows, members)
        by_bit = {model.bit[s[0].slot]: s for s in run}
        for k, b in enumerate(order):
            src, kind = by_bit[b][0], by_bit[b][1]
            # a run opened by CROSS JOIN shows it where the run starts
            kind = "cross" if k == 0 and run[0][1] == "cross" and out else "inner"
            out.append((src, kind, None))
        done |= sum(members)
    return out, terms


class _Term:
    """A conjunct as the cost model sees it: the sources it reads and its selectivity."""

    __slots__ = ("mask", "sel", "eq")

    def __init__(self, mask: int, sel: float, eq: list):
        self.mask = mask
        self.sel = sel
        self.eq = eq  # (bit, column position) of each side that is a plain column, for '='


class _Model:
    """Estimates for one query block's sources and conditions."""

    def __init__(self, sources: list, terms: list, local: set):
        self.bit = {src.slot: 1 << i for i, src in enumerate(sources)}
        self.sources = {self.bit[src.slot]: src for src in sources}
        self.total = {b: _table_rows(src) for b, src in self.sources.items()}
        self.single: dict[int, float] = dict(self.total)  # rows after its own filters
        self.keyed: dict[int, bool] = {b: False for b in self.sources}  # a constant key
        self.joins: dict[int, list[_Term]] = {b: [] for b in self.sources}
        self.linked: dict[int, int] = {b: 0 for b in self.sources}  # sources a term joins to
        self.probes: dict[tuple, float] = {}
        for t in terms:
            slots = t.slots() & local
            mask = 0
            for s in slots:
                mask |= self.bit.get(s, 0)
            if mask == 0:
                continue
            term = self._term(t, mask)
            if mask & (mask - 1) == 0:  # one source: a filter on it
                self.single[mask] *= term.sel
                if term.eq and term.sel * self.total[mask] <= 1.0:
                    self.keyed[mask] = True
            else:
                for b in self.sources:
                    if mask & b:
                        self.joins[b].append(term)
                        self.linked[b] |= mask & ~b
        for b in self.single:
            self.single[b] = max(self.single[b], 1.0)

    # ------------------------------------------------------------ estimates
    def _term(self, t, mask: int) -> _Term:
        if isinstance(t, B.Op) and t.op == "=":
            sides = []
            for e in (t.left, t.right):
                if isinstance(e, B.ColRef) and e.slot in self.bit:
                    sides.append((self.bit[e.slot], e.pos))
            distinct = [self._distinct(b, pos) for b, pos in sides]
            if mask & (mask - 1) == 0:  # a column = constant
                sel = 1.0 / distinct[0] if distinct else 0.1
                return _Term(mask, min(sel, 0.1), sides)
            return _Term(mask, 1.0 / max(distinct + [2.0]), sides)
        if isinstance(t, B.Op) and t.op in _RANGE:
            return _Term(mask, 1 / 3, [])
        if isinstance(t, B.Op) and t.op in ("<>", "!="):
            return _Term(mask, 0.9, [])
        return _Term(mask, 0.5, [])

    def _distinct(self, b: int, pos: int) -> float:
        """Distinct values guessed for a column: all rows on a unique key, else a few each."""
        n = self.total[b]
        return n if self._unique(b, (pos,)) else max(1.0, n / 2)

    def _unique(self, b: int, cols: tuple) -> bool:
        src = self.sources[b]
        if not isinstance(src, BoundTable):
            return False
        table = src.table
        pk = table.schema.primary_key
        if pk and set(pk) <= set(cols):
            return True
        return any(ix.unique and set(ix.columns) <= set(cols) for ix in table.indexes)

    def _probe(self, b: int, cols: frozenset) -> float:
        """The cost of one probe when a key (1) or an index (1.5) of ``b`` answers
        equalities on ``cols``; 0 when none does."""
        key = (b, cols)
        cost = self.probes.get(key)
        if cost is None:
            cost = self.probes[key] = self._probe_cost(b, cols)
        return cost

    def _probe_cost(self, b: int, cols: frozenset) -> float:
        src = self.sources[b]
        if not isinstance(src, BoundTable) or not cols:
            return 0.0
        table = src.table
        pk = table.schema.primary_key
        if pk and set(pk) <= cols:
            return 1.0
        return 1.5 if any(set(ix.columns) <= cols for ix in table.indexes) else 0.0

    def step(self, done: int, rows: float, b: int) -> tuple[float, float]:
        """(cost, rows out) of joining source ``b`` to ``rows`` rows of sources ``done``."""
        out = rows * self.single[b]
        eq_cols = []
        joined = done | b
        for t in self.joins[b]:
            if t.mask & ~joined:
                continue  # needs a source not joined yet
            out *= t.sel
            if t.eq and t.mask & done:
                eq_cols += [pos for bit, pos in t.eq if bit == b]
        out = max(out, 1.0) if rows >= 1.0 else out
        probe = self._probe(b, frozenset(eq_cols)) if eq_cols else 0.0
        if done == 0:
            read = self.single[b] if self.keyed[b] else self.total[b]
        elif probe:
            read = rows * probe
        elif eq_cols:
            read = 2.0 * self.total[b] + rows  # hash join: build once, probe per row
        elif self.keyed[b]:
            read = rows
        else:
            read = rows * self.total[b]
        return read + out, out

    # ------------------------------------------------------------ search
    def best_order(self, done: int, rows: float, members: list[int]) -> tuple[list[int], float]:
        """The cheapest order of ``members`` after ``done``; and the rows it makes."""
        if len(members) > DP_LIMIT:
            return self._greedy(done, rows, members)
        # best[mask] = (cost, rows, order): the cheapest way to join the members in mask
        best: dict[int, tuple[float, float, list[int]]] = {0: (0.0, rows, [])}
        for _ in range(len(members)):
            nxt: dict[int, tuple[float, float, list[int]]] = {}
            for mask, (cost, r, order) in best.items():
                for b in self._candidates(done | mask, members):
                    c, out = self.step(done | mask, r, b)
                    key = mask | b
                    cand = (cost + c, out, order + [b])
                    old = nxt.get(key)
                    if old is None or cand[0] < old[0] * (1 - 1e-9):
                        nxt[key] = cand
            best = nxt
        ((_cost, out, order),) = best.values()
        return order, out

    def _candidates(self, done: int, members: list[int]) -> list[int]:
        """The members worth joining next, in FROM order (ties keep what was written): any
        to start with; then those a condition links to what is joined, or found by a
        constant key (one row); any when none is (a cross product cannot be avoided)."""
        left = [b for b in members if not done & b]
        if done == 0:
            return left
        linked = [b for b in left if self.linked[b] & done or self.keyed[b]]
        return linked or left

    def _greedy(self, done: int, rows: float, members: list[int]) -> tuple[list[int], float]:
        order: list[int] = []
        left = list(members)
        while left:
            scored = [(self.step(done, rows, b), b) for b in self._candidates(done, left)]
            (_c, out), b = min(scored, key=lambda x: x[0][0])
            order.append(b)
            left.remove(b)
            done |= b
            rows = out
        return order, rows


def _table_rows(src) -> float:
    if isinstance(src, BoundTable):
        return float(max(len(src.table.rows), 1))
    return UNKNOWN_ROWS
