"""Differential tests: random SQL over random tables, run in memtables and in stdlib sqlite3.

sqlite3 (``:memory:``) is the oracle for the dialect both share. The generators stay inside that
shared dialect on purpose; where the two legitimately differ they do not go:

- Every expression has a static type class (INT, REAL, TEXT, BOOL) and operators only combine
  compatible classes. SQLite converts between TEXT and numbers by affinity in comparisons and
  arithmetic, memtables is strictly typed, so TEXT is never compared with, or computed with,
  a number (CAST is the one explicit bridge).
- AND/OR/NOT and CASE WHEN take BOOL operands only (no "truthy" integers).
- ``||`` and text functions never see a REAL value: REAL-to-text formatting is a float-printing
  detail, not semantics. ``CAST(real AS TEXT)`` is avoided for the same reason.
- A REAL-typed expression always yields a float in SQLite too (no CASE/coalesce mixing an INT
  branch into a REAL result), so static and dynamic typing agree on ``/`` and ``%``.
- ``*`` always has a leaf operand and values are small, so no 64-bit overflow happens (SQLite
  turns an overflowing integer into REAL; that edge is out of scope here).
- typeof() and BOOL-to-TEXT casts are not generated (memtables has a BOOLEAN type for
  comparison results, sqlite3 returns 0/1).
- SQLite quirks left alone: an integer under unary signs in ORDER BY (``-1``) is a column
  position there; sqlite3 3.40 drops the only row of ``SELECT count(*) AND 0 FROM t``; a bare
  non-grouped column in an aggregate query takes an arbitrary row's value.

When sqlite3 raises, memtables must raise a ``memtables.Error`` too; any other exception from
memtables fails the test. Values compare with :func:`same_value`: floats approximately, bool equal to 1/0, otherwise
same type and value. Rows compare as sorted lists unless ORDER BY fixes the order.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3

from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

import memtables

# CI runs a fixed, derandomized set; MEMTABLES_DIFF_EXAMPLES=5000 explores with fresh seeds.
_EXPLORE = int(os.environ.get("MEMTABLES_DIFF_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=_EXPLORE or 200,
    deadline=None,
    derandomize=not _EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    report_multiple_bugs=False,
)

INT, REAL, TEXT, BOOL = "INT", "REAL", "TEXT", "BOOL"

# ---------------------------------------------------------------- schema and data

T_COLS = [
    ("id", INT),
    ("a", INT),
    ("b", INT),
    ("r", REAL),
    ("s", TEXT),
    ("w", TEXT),
    ("n", INT),
]
NOT_NULL = {"n"}  # besides the primary keys
U_COLS = [("id", INT), ("tid", INT), ("a", INT), ("y", TEXT), ("z", REAL)]
SQL_TYPES = {INT: "INTEGER", REAL: "REAL", TEXT: "TEXT"}

ints = st.one_of(st.integers(-5, 5), st.integers(-1000, 1000))
reals = st.one_of(
    st.integers(-400, 400).map(lambda k: k / 4),
    st.integers(-100_000, 100_000).map(lambda k: k / 100),
    st.integers(-20, 20),  # integers widen into a REAL column
)
TEXT_ALPHABET = "abAB _x%'é"  # é: case folding and LIKE are ASCII-only
texts = st.one_of(
    st.text(alphabet=TEXT_ALPHABET, max_size=4),
    st.sampled_from(["12", "-3", "1.5", "7x", " 4", "abc", "ABC", ""]),
)
VALUES = {INT: ints, REAL: reals, TEXT: texts}


@st.composite
def table_rows(draw, cols, min_size=0, max_size=10):
    keys = draw(st.lists(st.integers(1, 30), min_size=min_size, max_size=max_size, unique=True))
    rows = []
    for k in keys:
        row = [k]
        for name, typ in cols[1:]:
            # u.tid points at ids that t may hold, so joins find matches
            values = st.integers(1, 30) if name == "tid" else VALUES[typ]
            row.append(draw(values if name in NOT_NULL else st.none() | values))
        rows.append(tuple(row))
    return rows


@st.composite
def indexes(draw, cols):
    """Secondary indexes: ``(columns, memtables USING clause)``; sqlite3 gets plain ones."""
    names = [c for c, _ in cols[1:]]
    picked = draw(
        st.lists(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True), max_size=2)
    )
    return [(tuple(c), draw(st.sampled_from(["", " USING HASH", " USING SORTED"]))) for c in picked]


@st.composite
def table(draw, name, cols, min_size=0, max_size=10):
    rows = draw(table_rows(cols, min_size, max_size))
    return name, cols, rows, draw(indexes(cols)), draw(st.booleans())


def t_table(min_size=0, max_size=10):
    return table("t", T_COLS, min_size, max_size)


def u_table():
    return table("u", U_COLS, 0, 8)


def create_sql(name, cols):
    defs = ", ".join(
        f"{c} {SQL_TYPES[t]}{' PRIMARY KEY' if c == 'id' else ''}"
        f"{' NOT NULL' if c in NOT_NULL else ''}"
        for c, t in cols
    )
    return f"CREATE TABLE {name} ({defs})"


class Pair:
    """The same database in memtables and in sqlite3, from ``table`` specs."""

    def __init__(self, *tables):
        self.m = memtables.connect()
        self.s = sqlite3.connect(":memory:")
        for name, cols, rows, idx, index_first in tables:
            ddl = create_sql(name, cols)
            ins = f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})"
            self.both(ddl)
            note(f"{ddl}; -- rows: {rows!r}")
            if not index_first and rows:
                self.both(ins, rows)
            for i, (icols, using) in enumerate(idx):
                ix = f"CREATE INDEX ix_{name}_{i} ON {name}"
                self.m.execute(f"{ix}{using} ({', '.join(icols)})")
                self.s.execute(f"{ix} ({', '.join(icols)})")
                note(f"{ix}{using} ({', '.join(icols)});")
            if index_first and rows:
                self.both(ins, rows)

    def both(self, sql, rows=None):
        for conn in (self.m, self.s):
            if rows is None:
                conn.execute(sql)
            else:
                conn.executemany(sql, rows)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.m.close()
        self.s.close()

    def run(self, sql, params=None):
        """Run in both; ``(memtables_rows, sqlite_rows)``, or None when both raised."""
        params = params or {}
        note(f"SQL: {sql}   params: {params!r}")
        try:
            expected = self.s.execute(sql, params).fetchall()
            s_err = None
        except sqlite3.Error as e:
            s_err = e
        try:
            got = self.m.execute(sql, params).fetchall()
            m_err = None
        except memtables.Error as e:
            m_err = e
        except Exception as e:  # a raw Python exception is always a bug
            raise AssertionError(f"memtables raised raw {e!r}\nSQL: {sql}") from e
        if s_err is not None:
            assert m_err is not None, f"sqlite3 raised {s_err!r}, memtables returned {got!r}"
            return None
        if m_err is not None:
            raise AssertionError(
                f"memtables raised {m_err!r}; sqlite3 returned {expected!r}\nSQL: {sql}"
            ) from m_err
        return got, expected

    def check(self, sql, params=None, ordered=False):
        res = self.run(sql, params)
        if res is None:
            return
        got, expected = res
        if not ordered:
            got, expected = sorted(got, key=row_key), sorted(expected, key=row_key)
        assert same_rows(got, expected), (
            f"\nSQL: {sql}\nparams: {params!r}\nmemtables: {got!r}\nsqlite3:   {expected!r}"
        )


# ---------------------------------------------------------------- comparing results


def same_value(m, s) -> bool:
    if m is None or s is None:
        return m is None and s is None
    if isinstance(m, str) or isinstance(s, str):
        return type(m) is str and type(s) is str and m == s
    if isinstance(m, bytes) or isinstance(s, bytes):
        return m == s
    if isinstance(s, float) or isinstance(m, float):
        if not (isinstance(m, float) and isinstance(s, float)):
            return False  # INT where sqlite3 has REAL or the other way round
        return math.isclose(m, s, rel_tol=1e-9, abs_tol=1e-9)
    return int(m) == int(s)  # bool True/False equals 1/0


def same_rows(got, expected) -> bool:
    return len(got) == len(expected) and all(
        len(g) == len(e) and all(same_value(a, b) for a, b in zip(g, e))
        for g, e in zip(got, expected)
    )


def _value_key(v):
    if v is None:
        return (0, 0.0)
    if isinstance(v, str):
        return (2, v)
    if isinstance(v, bytes):
        return (3, v)
    return (1, float(f"{float(v):.9g}"))


def row_key(row):
    return tuple(_value_key(v) for v in row)


# ---------------------------------------------------------------- expression generator

# Precedence levels (SQLite's, highest binds tightest).
P_OR, P_AND, P_NOT, P_EQ, P_REL, P_ADD, P_MUL, P_CONCAT, P_UNARY, P_ATOM = range(10)


def wrap(node, min_prec):
    sql, prec = node
    return sql if prec >= min_prec else f"({sql})"


def sql_text(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def sql_literal(v) -> tuple[str, int]:
    if v is None:
        return "NULL", P_ATOM
    if isinstance(v, str):
        return sql_text(v), P_ATOM
    if v < 0:
        return neg_sql(sql_literal(-v)), P_UNARY
    return repr(v), P_ATOM


def neg_sql(node) -> str:
    inner = wrap(node, P_UNARY)
    return f"- {inner}" if inner.startswith("-") else f"-{inner}"


class Gen:
    """Draws typed SQL expressions.

    ``cols`` lists ``(sql_reference, type)`` pairs in scope. ``params`` (a dict) turns some
    literals into named parameters. Subclasses may override :meth:`column` (aggregates).
    """

    def __init__(self, draw, cols, params=None):
        self.draw = draw
        self.cols = cols
        self.params = params

    # -- leaves
    def literal(self, typ):
        d = self.draw
        if typ == BOOL:
            return d(st.sampled_from(["TRUE", "FALSE"])), P_ATOM
        v = d(VALUES[typ])
        if typ == REAL:
            v = float(v)
        if self.params is not None and d(st.integers(0, 3)) == 0:
            name = f"p{len(self.params)}"
            self.params[name] = v
            return f":{name}", P_ATOM
        return sql_literal(v)

    def column(self, typ):
        refs = [c for c, t in self.cols if t == typ]
        if not refs:
            return None
        return self.draw(st.sampled_from(refs)), P_ATOM

    def leaf(self, typ):
        d = self.draw
        choice = d(st.integers(0, 9))
        if choice == 0:
            return "NULL", P_ATOM
        if choice <= 5:
            col = self.column(typ)
            if col is not None:
                return col
        if typ == BOOL and choice <= 7:
            return self.comparison(0)
        return self.literal(typ)

    # -- dispatch
    def expr(self, typ, depth=3):
        if depth <= 0 or self.draw(st.integers(0, 3)) == 0:
            return self.leaf(typ)
        builders = getattr(self, "build_" + typ.lower())
        return builders(depth - 1)

    def num(self, depth):
        return self.expr(self.draw(st.sampled_from([INT, REAL])), depth)

    def shared(self, typ, depth):
        """Builders every type has: CASE (both forms), coalesce, nullif."""
        d = self.draw
        k = d(st.integers(0, 3))
        if k == 0:
            whens = d(st.integers(1, 3))
            parts = ["CASE"]
            for _ in range(whens):
                parts.append(f"WHEN {self.expr(BOOL, depth)[0]} THEN {self.expr(typ, depth)[0]}")
            if d(st.booleans()):
                parts.append(f"ELSE {self.expr(typ, depth)[0]}")
            return " ".join(parts + ["END"]), P_ATOM
        if k == 1:
            cls = self.comparable_class()
            parts = [f"CASE {self.of_class(cls, depth)[0]}"]
            for _ in range(d(st.integers(1, 3))):
                parts.append(f"WHEN {self.of_class(cls, depth)[0]} THEN {self.expr(typ, depth)[0]}")
            if d(st.booleans()):
                parts.append(f"ELSE {self.expr(typ, depth)[0]}")
            return " ".join(parts + ["END"]), P_ATOM
        if k == 2:
            args = [self.expr(typ, depth)[0] for _ in range(d(st.integers(2, 3)))]
            return f"coalesce({', '.join(args)})", P_ATOM
        other = self.num(depth) if typ in (INT, REAL) else self.expr(typ, depth)
        return f"nullif({self.expr(typ, depth)[0]}, {other[0]})", P_ATOM

    def arith(self, typ, depth):
        """``typ`` is INT (both sides INT) or REAL (at least one side REAL)."""
        d = self.draw
        op = d(st.sampled_from(["+", "-", "*", "/", "%"]))
        if typ == INT:
            lt, rt = INT, INT
        else:
            lt, rt = d(st.sampled_from([(REAL, REAL), (REAL, INT), (INT, REAL)]))
        left = self.expr(lt, depth)
        if op == "*" and left[1] != P_ATOM:
            right = self.leaf(rt)  # keep products small: no 64-bit overflow
        else:
            right = self.expr(rt, depth)
        prec = P_MUL if op in "*/%" else P_ADD
        return f"{wrap(left, prec)} {op} {wrap(right, prec + 1)}", prec

    def unary(self, typ, depth):
        d = self.draw
        operand = self.expr(typ, depth)
        k = d(st.integers(0, 3))
        if k == 0:
            return f"+{wrap(operand, P_UNARY)}", P_UNARY
        if k == 1:
            return neg_sql((neg_sql(operand), P_UNARY)), P_UNARY
        return neg_sql(operand), P_UNARY

    def build_int(self, depth):
        d = self.draw
        k = d(st.integers(0, 9))
        if k <= 2:
            return self.arith(INT, depth)
        if k == 3:
            return self.unary(INT, depth)
        if k == 4:
            return f"abs({self.expr(INT, depth)[0]})", P_ATOM
        if k == 5:
            arg = self.expr(d(st.sampled_from([TEXT, INT])), depth)
            return f"length({arg[0]})", P_ATOM
        if k == 6:
            src = d(st.sampled_from([REAL, TEXT, INT]))
            return f"CAST({self.expr(src, depth)[0]} AS INTEGER)", P_ATOM
        return self.shared(INT, depth)

    def build_real(self, depth):
        d = self.draw
        k = d(st.integers(0, 9))
        if k <= 2:
            return self.arith(REAL, depth)
        if k == 3:
            return self.unary(REAL, depth)
        if k == 4:
            return f"abs({self.expr(REAL, depth)[0]})", P_ATOM
        if k == 5:
            arg = self.num(depth)[0]
            if d(st.booleans()):
                return f"round({arg})", P_ATOM
            return f"round({arg}, {d(st.integers(0, 3))})", P_ATOM
        if k == 6:
            src = d(st.sampled_from([INT, TEXT, REAL]))
            return f"CAST({self.expr(src, depth)[0]} AS REAL)", P_ATOM
        return self.shared(REAL, depth)

    def build_text(self, depth):
        d = self.draw
        k = d(st.integers(0, 9))
        if k <= 1:
            left = self.expr(d(st.sampled_from([TEXT, TEXT, INT])), depth)
            right = self.expr(d(st.sampled_from([TEXT, TEXT, INT])), depth)
            return f"{wrap(left, P_CONCAT)} || {wrap(right, P_CONCAT + 1)}", P_CONCAT
        if k == 2:
            fn = d(st.sampled_from(["lower", "upper", "trim"]))
            return f"{fn}({self.expr(TEXT, depth)[0]})", P_ATOM
        if k == 3:
            s = self.expr(TEXT, depth)[0]
            start = d(st.integers(-5, 5))
            if d(st.booleans()):
                return f"substr({s}, {start})", P_ATOM
            return f"substr({s}, {start}, {d(st.integers(-3, 5))})", P_ATOM
        if k == 4:
            return f"CAST({self.expr(INT, depth)[0]} AS TEXT)", P_ATOM
        return self.shared(TEXT, depth)

    # -- booleans
    def comparable_class(self):
        return self.draw(st.sampled_from(["NUM", "NUM", TEXT, BOOL]))

    def of_class(self, cls, depth):
        return self.num(depth) if cls == "NUM" else self.expr(cls, depth)

    def comparison(self, depth):
        cls = self.comparable_class()
        op = self.draw(st.sampled_from(["=", "==", "!=", "<>", "<", "<=", ">", ">="]))
        prec = P_REL if op in ("<", "<=", ">", ">=") else P_EQ
        left, right = self.of_class(cls, depth), self.of_class(cls, depth)
        return f"{wrap(left, prec)} {op} {wrap(right, prec + 1)}", prec

    def build_bool(self, depth):
        d = self.draw
        k = d(st.integers(0, 12))
        if k <= 2:
            return self.comparison(depth)
        if k == 3:
            op = d(st.sampled_from(["AND", "OR"]))
            prec = P_AND if op == "AND" else P_OR
            left, right = self.expr(BOOL, depth), self.expr(BOOL, depth)
            return f"{wrap(left, prec)} {op} {wrap(right, prec + 1)}", prec
        if k == 4:
            nots = d(st.integers(1, 2))
            return "NOT " * nots + wrap(self.expr(BOOL, depth), P_NOT), P_NOT
        if k == 5:
            operand = self.expr(d(st.sampled_from([INT, REAL, TEXT, BOOL])), depth)
            suffix = d(st.sampled_from(["IS NULL", "IS NOT NULL", "ISNULL", "NOTNULL", "NOT NULL"]))
            return f"{wrap(operand, P_EQ + 1)} {suffix}", P_EQ
        if k == 6:
            cls = self.comparable_class()
            op = d(st.sampled_from(["IS", "IS NOT"]))
            left, right = self.of_class(cls, depth), self.of_class(cls, depth)
            return f"{wrap(left, P_EQ)} {op} {wrap(right, P_EQ + 1)}", P_EQ
        if k == 7:
            cls = self.comparable_class()
            x = self.of_class(cls, depth)
            items = [self.of_class(cls, depth)[0] for _ in range(d(st.integers(0, 4)))]
            op = d(st.sampled_from(["IN", "NOT IN"]))
            return f"{wrap(x, P_EQ + 1)} {op} ({', '.join(items)})", P_EQ
        if k == 8:
            cls = self.comparable_class()
            x, lo, hi = (self.of_class(cls, depth) for _ in range(3))
            op = d(st.sampled_from(["BETWEEN", "NOT BETWEEN"]))
            return (
                f"{wrap(x, P_EQ + 1)} {op} {wrap(lo, P_REL + 1)} AND {wrap(hi, P_REL + 1)}",
                P_EQ,
            )
        if k == 9:
            x = self.expr(TEXT, depth)
            if d(st.booleans()):
                pat = sql_text(d(st.text(alphabet="aAbB_% ", max_size=4))), P_ATOM
            else:
                pat = self.expr(TEXT, depth)
            op = d(st.sampled_from(["LIKE", "NOT LIKE"]))
            return f"{wrap(x, P_EQ + 1)} {op} {wrap(pat, P_REL + 1)}", P_EQ
        return self.shared(BOOL, depth)


class AggGen(Gen):
    """Expressions over groups: leaves are group keys or aggregate calls over ``row_gen``."""

    def __init__(self, draw, keys, row_gen, params=None):
        super().__init__(draw, keys, params)
        self.row_gen = row_gen

    def column(self, typ):
        d = self.draw
        keys = [c for c, t in self.cols if t == typ]
        if keys and d(st.booleans()):
            key = d(st.sampled_from(keys))
            return (f"({key})" if " " in key else key), P_ATOM
        rg = self.row_gen
        if typ == INT:
            k = d(st.integers(0, 5))
            if k == 0:
                return "count(*)", P_ATOM
            if k == 1:
                arg = rg.expr(d(st.sampled_from([INT, REAL, TEXT])), 1)[0]
                return f"count({arg})", P_ATOM
            if k == 2:
                arg = rg.expr(d(st.sampled_from([INT, REAL, TEXT])), 1)[0]
                return f"count(DISTINCT {arg})", P_ATOM
            fn = d(st.sampled_from(["sum", "min", "max"]))
            return f"{fn}({rg.expr(INT, 1)[0]})", P_ATOM
        if typ == REAL:
            fn = d(st.sampled_from(["avg", "total", "sum", "min", "max"]))
            arg = rg.expr(
                REAL if fn in ("sum", "min", "max") else d(st.sampled_from([INT, REAL])), 1
            )
            return f"{fn}({arg[0]})", P_ATOM
        if typ == TEXT:
            fn = d(st.sampled_from(["min", "max"]))
            return f"{fn}({rg.expr(TEXT, 1)[0]})", P_ATOM
        return None


# ---------------------------------------------------------------- category 1-3

# Table specs for the pinned @example regressions (cases this file found once).
ONE_T = ("t", T_COLS, [(1, 5, None, 0.5, "x", None, 0)], [], False)
EMPTY_U = ("u", U_COLS, [], [], False)

_SIGNED_INTEGER = re.compile(r"[-+() ]*\d+\)*")


def not_a_position(key: str) -> str:
    """SQLite reads an integer literal under any unary +/- (``-1``, ``+ -2``) in ORDER BY as a
    column position; memtables only a plain one. Keep generated constants constants."""
    return f"{key} + 0" if _SIGNED_INTEGER.fullmatch(key) else key


def simple_predicate(gen: Gen, cols) -> str:
    """Column-vs-constant terms of the kind a planner turns into key lookups or ranges."""
    d = gen.draw
    col, typ = d(st.sampled_from(cols))
    k = d(st.integers(0, 4))
    if k == 0:
        op = d(st.sampled_from(["=", "==", "<", "<=", ">", ">=", "!=", "IS"]))
        lit = gen.literal(typ if typ != REAL or d(st.booleans()) else INT)
        return (
            f"{col} {op} {wrap(lit, P_EQ + 1)}"
            if d(st.booleans())
            else f"{wrap(lit, P_EQ + 1)} {op} {col}"
        )
    if k == 1:
        items = [gen.literal(typ)[0] for _ in range(d(st.integers(0, 4)))]
        if d(st.integers(0, 4)) == 0:
            items.append("NULL")
        return f"{col} {d(st.sampled_from(['IN', 'NOT IN']))} ({', '.join(items)})"
    if k == 2:
        lo, hi = gen.literal(typ), gen.literal(typ)
        return f"{col} BETWEEN {wrap(lo, P_REL + 1)} AND {wrap(hi, P_REL + 1)}"
    if k == 3:
        return f"{col} {d(st.sampled_from(['IS NULL', 'IS NOT NULL']))}"
    return wrap(gen.expr(BOOL, 2), P_AND + 1)


def where_clause(gen: Gen, cols) -> str:
    d = gen.draw
    if d(st.integers(0, 2)) == 0:
        return gen.expr(BOOL, d(st.integers(1, 4)))[0]
    terms = [simple_predicate(gen, cols) for _ in range(d(st.integers(1, 3)))]
    op = d(st.sampled_from([" AND ", " AND ", " OR "]))
    return op.join(f"({t})" if op == " OR " else t for t in terms)


@st.composite
def scalar_case(draw):
    params = {} if draw(st.booleans()) else None
    gen = Gen(draw, T_COLS, params)
    exprs = [gen.expr(draw(st.sampled_from([INT, REAL, TEXT, BOOL])))[0] for _ in range(3)]
    return f"SELECT {', '.join(exprs)} FROM t", params


@st.composite
def rebound(draw, params):
    """New values for ``params``, each of its old type or NULL: the cached plan runs again."""
    if not params:
        return params
    kinds = {int: INT, float: REAL, str: TEXT}
    return {k: draw(st.none() | VALUES[kinds[type(v)]].map(type(v))) for k, v in params.items()}


@SETTINGS
@given(t_table(min_size=1, max_size=6), scalar_case(), st.data())
def test_scalar_expressions(t, case, data):
    sql, params = case
    with Pair(t) as p:
        p.check(sql, params)
        p.check(sql, data.draw(rebound(params)))


@st.composite
def where_case(draw):
    params = {} if draw(st.booleans()) else None
    gen = Gen(draw, T_COLS, params)
    cols = draw(st.sampled_from(["*", "id", "id, s, r", "a, b, w"]))
    return f"SELECT {cols} FROM t WHERE {where_clause(gen, T_COLS)}", params


@SETTINGS
@given(t_table(max_size=12), where_case())
@example(ONE_T, ("SELECT * FROM t WHERE id IN ()", None))
def test_where_clauses(t, case):
    sql, params = case
    with Pair(t) as p:
        p.check(sql, params)
        if params:  # same statement, new values: the cached plan must not depend on the old
            p.check(sql, {k: None if i % 2 else v for i, (k, v) in enumerate(params.items())})


@st.composite
def order_case(draw):
    gen = Gen(draw, T_COLS)
    extra = gen.expr(draw(st.sampled_from([INT, REAL, TEXT, BOOL])), 2)[0]
    select = f"SELECT id, a, b, r, s, w, {extra} AS e FROM t"
    if draw(st.booleans()):
        select += f" WHERE {where_clause(gen, T_COLS)}"
    keys = []
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(0, 4))
        if k == 0:
            key = draw(st.sampled_from(["a", "b", "r", "s", "w", "e", "t.a", "t.s"]))
        elif k == 1:
            key = str(draw(st.integers(1, 7)))  # output column position
        else:
            key = not_a_position(gen.expr(draw(st.sampled_from([INT, REAL, TEXT, BOOL])), 2)[0])
        key += draw(st.sampled_from(["", " ASC", " DESC"]))
        if draw(st.integers(0, 4)) == 0:
            key += draw(st.sampled_from([" NULLS FIRST", " NULLS LAST"]))
        keys.append(key)
    keys.append("id" + draw(st.sampled_from(["", " ASC", " DESC"])))  # a total order
    sql = f"{select} ORDER BY {', '.join(keys)}"
    if draw(st.booleans()):
        sql += f" LIMIT {draw(st.integers(0, 8))}"
        if draw(st.booleans()):
            sql += f" OFFSET {draw(st.integers(0, 8))}"
    return sql


@SETTINGS
@given(t_table(max_size=12), order_case())
def test_order_by_limit(t, sql):
    with Pair(t) as p:
        p.check(sql, ordered=True)


# ---------------------------------------------------------------- category 4

T1 = [(f"t1.{c}", t) for c, t in T_COLS]
T2 = [(f"t2.{c}", t) for c, t in T_COLS]
UU = [(f"u.{c}", t) for c, t in U_COLS]
TT = [(f"t.{c}", t) for c, t in T_COLS]


@st.composite
def join_case(draw):
    k = draw(st.integers(0, 6))
    cols = T1 + UU
    if k <= 1:  # [INNER] JOIN ... ON / LEFT JOIN ... ON
        kind = draw(st.sampled_from(["JOIN", "INNER JOIN", "LEFT JOIN", "LEFT OUTER JOIN"]))
        gen = Gen(draw, cols)
        on = draw(
            st.sampled_from(
                [
                    "t1.id = u.tid",
                    "u.tid = t1.id",
                    "u.id = t1.a",
                    "t1.a = u.a",
                    "t1.s = u.y",
                    "t1.r < u.z",
                    "t1.a + 1 = u.a",
                    "t1.id = u.tid AND t1.s = u.y",
                    "u.a = t1.n",
                    "t1.r = u.a",
                ]
            )
        )
        if draw(st.booleans()):  # may read one side only: must not filter a LEFT JOIN's left
            on += f" AND {simple_predicate(gen, cols)}"
        src = f"t AS t1 {kind} u ON {on}"
    elif k == 2:  # USING
        kind = draw(st.sampled_from(["JOIN", "LEFT JOIN"]))
        using = draw(st.sampled_from(["id", "a", "id, a"]))
        src = f"t AS t1 {kind} u USING ({using})"
    elif k == 3:  # CROSS / comma
        src = draw(st.sampled_from(["t AS t1 CROSS JOIN u", "t AS t1, u", "t t1, u"]))
    elif k == 4:  # self join
        cols = T1 + T2
        kind = draw(st.sampled_from(["JOIN", "LEFT JOIN"]))
        on = draw(
            st.sampled_from(
                [
                    "t1.a = t2.b",
                    "t1.s = t2.w",
                    "t1.id < t2.id",
                    "t1.r = t2.r",
                    "t2.id = t1.b",
                    "t1.n = t2.a",
                ]
            )
        )
        src = f"t AS t1 {kind} t AS t2 ON {on}"
    else:  # three tables
        cols = T1 + UU + T2
        kind1 = draw(st.sampled_from(["JOIN", "LEFT JOIN"]))
        kind2 = draw(st.sampled_from(["JOIN", "LEFT JOIN", ","]))
        tail = "t AS t2" if kind2 == "," else "t AS t2 ON t2.id = u.a"
        src = f"t AS t1 {kind1} u ON t1.id = u.tid {kind2} {tail}"
    gen = Gen(draw, cols)
    if draw(st.integers(0, 3)) == 0:
        items = "*"
    else:
        picked = draw(st.lists(st.sampled_from([c for c, _ in cols]), min_size=1, max_size=3))
        if draw(st.booleans()):  # an expression over columns that a LEFT JOIN may make NULL
            picked.append(gen.expr(draw(st.sampled_from([INT, REAL, TEXT, BOOL])), 1)[0])
        items = ", ".join(picked)
    sql = f"SELECT {items} FROM {src}"
    if draw(st.booleans()):
        sql += f" WHERE {where_clause(gen, cols)}"
    return sql


@SETTINGS
@given(t_table(max_size=8), u_table(), join_case())
@example(ONE_T, EMPTY_U, "SELECT u.id + 1, u.id = 1 FROM t AS t1 LEFT JOIN u ON t1.id = u.tid")
def test_joins(t, u, sql):
    with Pair(t, u) as p:
        p.check(sql)


GROUP_KEYS = [
    ("a", INT),
    ("b", INT),
    ("s", TEXT),
    ("w", TEXT),
    ("r", REAL),
    ("a % 3", INT),
    ("b / 4", INT),
    ("lower(s)", TEXT),
    ("substr(w, 1, 1)", TEXT),
    ("length(s)", INT),
    ("coalesce(a, b)", INT),
    ("abs(b)", INT),
    ("round(r)", REAL),
    ("n", INT),
]


@st.composite
def group_case(draw):
    row_gen = Gen(draw, T_COLS)
    grouped = draw(st.integers(0, 3)) > 0
    keys = (
        draw(st.lists(st.sampled_from(GROUP_KEYS), min_size=1, max_size=2, unique=True))
        if grouped
        else []
    )
    agg = AggGen(draw, keys, row_gen)
    # Without GROUP BY, a bare count(*) keeps the query an aggregate one: sqlite3 3.40 folds
    # e.g. ``count(*) AND 0`` to a constant and then returns no row at all (an SQLite bug).
    by_alias = grouped and draw(st.booleans())  # GROUP BY k0: a select-list alias
    items = [f"{k} AS k{i}" if by_alias else k for i, (k, _) in enumerate(keys)]
    if not grouped:
        items = ["count(*)"]
    items += [
        agg.expr(draw(st.sampled_from([INT, REAL, TEXT, BOOL])), 2)[0]
        for _ in range(draw(st.integers(1, 3)))
    ]
    sql = f"SELECT {', '.join(items)} FROM t"
    if draw(st.booleans()):
        sql += f" WHERE {where_clause(row_gen, T_COLS)}"
    if grouped:
        names = [f"k{i}" if by_alias else k for i, (k, _) in enumerate(keys)]
        sql += f" GROUP BY {', '.join(names)}"
        if draw(st.booleans()):
            sql += f" HAVING {agg.expr(BOOL, 2)[0]}"
    ordered = draw(st.booleans())
    if ordered:  # by every output column: ties are identical rows
        sql += " ORDER BY " + ", ".join(
            f"{i + 1}{draw(st.sampled_from(['', ' DESC']))}" for i in range(len(items))
        )
        if draw(st.booleans()):
            sql += f" LIMIT {draw(st.integers(0, 5))}"
    return sql, ordered


@SETTINGS
@given(t_table(max_size=12), group_case())
@example(ONE_T, ("SELECT a AS k0, count(*) FROM t GROUP BY k0", False))
def test_group_by_aggregates(t, case):
    sql, ordered = case
    with Pair(t) as p:
        p.check(sql, ordered=ordered)


@st.composite
def distinct_case(draw):
    gen = Gen(draw, T_COLS)
    items = [
        gen.expr(draw(st.sampled_from([INT, REAL, TEXT, BOOL])), 1)[0]
        for _ in range(draw(st.integers(1, 2)))
    ]
    sql = f"SELECT DISTINCT {', '.join(items)} FROM t"
    if draw(st.booleans()):
        sql += f" WHERE {where_clause(gen, T_COLS)}"
    return sql


@SETTINGS
@given(t_table(max_size=12), distinct_case())
def test_distinct(t, sql):
    with Pair(t) as p:
        p.check(sql)


@st.composite
def subquery_case(draw):
    inner = Gen(draw, UU + TT)  # u's columns plus the outer t's (correlation)
    outer = Gen(draw, TT)
    corr = draw(st.sampled_from(["", "u.tid = t.id", "u.a = t.a", "u.y = t.s", "u.id = t.b"]))
    cond = corr
    if draw(st.booleans()):
        extra = simple_predicate(inner, UU + TT)
        cond = f"{cond} AND {extra}" if cond else extra
    where = f" WHERE {cond}" if cond else ""
    k = draw(st.integers(0, 5))
    if k == 0:  # scalar subquery in the select list
        agg = draw(st.sampled_from(["count(*)", "max(u.a)", "min(u.y)", "sum(u.z)", "avg(u.a)"]))
        sub = f"(SELECT {agg} FROM u{where})"
        if draw(st.booleans()):
            sub = f"(SELECT u.a FROM u{where} ORDER BY u.a DESC, u.id LIMIT 1)"
        return f"SELECT t.id, {sub} FROM t"
    if k == 1:  # [NOT] IN (SELECT ...)
        typ = draw(st.sampled_from([INT, TEXT]))
        col = "u.a" if typ == INT else "u.y"
        op = draw(st.sampled_from(["IN", "NOT IN"]))
        lhs = wrap(outer.expr(typ, 1), P_EQ + 1)
        return f"SELECT t.id, t.a, t.s FROM t WHERE {lhs} {op} (SELECT {col} FROM u{where})"
    if k == 2:  # [NOT] EXISTS
        op = draw(st.sampled_from(["EXISTS", "NOT EXISTS"]))
        return f"SELECT t.id FROM t WHERE {op} (SELECT 1 FROM u{where})"
    if k == 3:  # comparison with a scalar subquery
        agg = draw(st.sampled_from(["avg(u.a)", "max(u.z)", "count(*)"]))
        op = draw(st.sampled_from(["<", ">=", "="]))
        return f"SELECT t.id, t.r FROM t WHERE t.a {op} (SELECT {agg} FROM u{where})"
    if k == 4:  # IN / EXISTS as values in the select list (NULL when IN is unknown)
        op = draw(st.sampled_from(["IN", "NOT IN"]))
        return (
            f"SELECT t.id, t.n {op} (SELECT u.a FROM u{where}), "
            f"EXISTS (SELECT 1 FROM u{where}) FROM t"
        )
    # two levels, the innermost correlated with the outermost query
    return (
        f"SELECT t.id FROM t WHERE EXISTS (SELECT 1 FROM u{where or ' WHERE 1'} AND u.a IN "
        f"(SELECT t2.b FROM t AS t2 WHERE t2.id <> t.id))"
    )


@SETTINGS
@given(t_table(max_size=8), u_table(), subquery_case())
def test_subqueries(t, u, sql):
    with Pair(t, u) as p:
        p.check(sql)


@st.composite
def compound_case(draw):
    shapes = draw(st.sampled_from([[INT], [TEXT], [INT, TEXT], [REAL, INT]]))
    t_gen, u_gen = Gen(draw, T_COLS), Gen(draw, U_COLS)
    arms = []
    for i in range(draw(st.integers(2, 3))):
        gen, name, cols = (t_gen, "t", T_COLS) if i % 2 == 0 else (u_gen, "u", U_COLS)
        items = ", ".join(gen.expr(typ, 1)[0] for typ in shapes)
        arm = f"SELECT {items} FROM {name}"
        if draw(st.booleans()):
            arm += f" WHERE {where_clause(gen, cols)}"
        arms.append(arm)
    sql = arms[0]
    for arm in arms[1:]:
        op = draw(st.sampled_from(["UNION", "UNION ALL", "EXCEPT", "INTERSECT"]))
        sql += f" {op} {arm}"
    ordered = draw(st.booleans())
    if ordered:  # every column, so the order is total
        dirs = [draw(st.sampled_from(["", " DESC"])) for _ in shapes]
        sql += " ORDER BY " + ", ".join(f"{i + 1}{d}" for i, d in enumerate(dirs))
        if draw(st.booleans()):
            sql += f" LIMIT {draw(st.integers(0, 6))}"
    return sql, ordered


@SETTINGS
@given(t_table(max_size=8), u_table(), compound_case())
@example(ONE_T, EMPTY_U, ("SELECT a FROM t UNION SELECT a FROM u WHERE id IN ()", False))
def test_compound_selects(t, u, case):
    sql, ordered = case
    with Pair(t, u) as p:
        p.check(sql, ordered=ordered)
