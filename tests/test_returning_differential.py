"""RETURNING against sqlite3: random INSERT (plain and upsert), UPDATE and DELETE statements
with random RETURNING lists over random tables, run in both. The returned rows, their column
names, ``rowcount`` and then the whole table must agree; when sqlite3 refuses a statement
(a constraint), memtables must refuse it too and leave the table as sqlite3 does.

The expressions come from ``tests.test_differential.Gen``, inside the dialect both share (see
that module's docstring). Rows of UPDATE and DELETE compare as sorted lists: the order a
statement visits rows in is unspecified in both.

One sqlite3 quirk is left alone: INSERT and UPDATE ... RETURNING give a REAL column's value
that reaches the output unchanged (bare, or through coalesce, CASE, ...) as an int when it is a
whole number (``typeof`` says 'real', a SELECT gives a float); memtables returns the float it
stored. Only there may an int from sqlite3 match an equal float. Another is avoided: there,
sqlite3 compares a TEXT column holding a number-like string ('12') as a number ('' < w is
false), unlike in a SELECT; so the text values here never look like numbers.
"""

from __future__ import annotations

import re
import sqlite3

from hypothesis import given, note
from hypothesis import strategies as st

import memtables
from tests.test_differential import (
    BOOL,
    NOT_NULL,
    P_ATOM,
    SETTINGS,
    T_COLS,
    TEXT,
    VALUES,
    Gen,
    Pair,
    indexes,
    row_key,
    same_rows,
    sql_literal,
    sql_text,
    texts,
    where_clause,
)

_NUMBER_LIKE = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
WORDS = texts.filter(lambda v: not _NUMBER_LIKE.fullmatch(v))
VALUES = {**VALUES, TEXT: WORDS}


class WordGen(Gen):
    """``Gen`` whose text literals never look like numbers (see the module docstring)."""

    def literal(self, typ):
        if typ == TEXT:
            return sql_text(self.draw(WORDS)), P_ATOM
        return super().literal(typ)


@st.composite
def t_table(draw):
    """Table t with up to 8 rows of ``VALUES`` (number-like texts left out) and indexes."""
    keys = draw(st.lists(st.integers(1, 30), max_size=8, unique=True))
    rows = []
    for k in keys:
        row = [k]
        for name, typ in T_COLS[1:]:
            values = VALUES[typ] if name in NOT_NULL else st.none() | VALUES[typ]
            row.append(draw(values))
        rows.append(tuple(row))
    return "t", T_COLS, rows, draw(indexes(T_COLS)), draw(st.booleans())


@st.composite
def returning_list(draw, gen: Gen) -> tuple[str, list[str] | None]:
    """``RETURNING ...`` text and the column names it must produce (None: not checked)."""
    if draw(st.integers(0, 4)) == 0:
        return " RETURNING *", [c for c, _ in T_COLS]
    items, names = [], []
    for i in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            col = draw(st.sampled_from([c for c, _ in T_COLS]))
            items.append(col)
            names.append(col)
        else:
            expr = gen.expr(draw(st.sampled_from(list(VALUES) + [BOOL])), 2)[0]
            items.append(f"{expr} AS c{i}")
            names.append(f"c{i}")
    return " RETURNING " + ", ".join(items), names


@st.composite
def assignments(draw, gen: Gen, cols) -> str:
    """``col = expr, ...``, each expression of its column's type (memtables is strict)."""
    picked = draw(st.lists(st.sampled_from(cols[1:]), min_size=1, max_size=3, unique=True))
    return ", ".join(f"{c} = {gen.expr(t, 2)[0]}" for c, t in picked)


@st.composite
def value_rows(draw) -> str:
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        row = [str(draw(st.integers(1, 30)))]
        for name, typ in T_COLS[1:]:
            values = VALUES[typ] if name in NOT_NULL else st.none() | VALUES[typ]
            row.append(sql_literal(draw(values))[0])
        rows.append("(" + ", ".join(row) + ")")
    return ", ".join(rows)


@st.composite
def write_case(draw) -> tuple[str, list[str] | None, bool]:
    """(statement, expected column names, whether its rows come in a defined order)."""
    gen = WordGen(draw, T_COLS)
    ret, names = draw(returning_list(gen))
    kind = draw(st.sampled_from(["insert", "upsert", "update", "delete"]))
    if kind == "update":
        where = f" WHERE {where_clause(gen, T_COLS)}" if draw(st.booleans()) else ""
        return f"UPDATE t SET {draw(assignments(gen, T_COLS))}{where}{ret}", names, False
    if kind == "delete":
        where = f" WHERE {where_clause(gen, T_COLS)}" if draw(st.booleans()) else ""
        return f"DELETE FROM t{where}{ret}", names, False
    sql = f"INSERT INTO t VALUES {draw(value_rows())}"
    if kind == "upsert":
        both = T_COLS + [(f"excluded.{c}", t) for c, t in T_COLS]
        up = WordGen(draw, both)
        if draw(st.integers(0, 3)) == 0:
            sql += " ON CONFLICT (id) DO NOTHING"
        else:
            sql += f" ON CONFLICT (id) DO UPDATE SET {draw(assignments(up, T_COLS))}"
            if draw(st.booleans()):
                sql += f" WHERE {up.expr(BOOL, 2)[0]}"
    return sql + ret, names, True


def sqlite_real_quirk(got: list, want: list, sql: str) -> list:
    """``want`` with the ints that stand for whole REAL values (see above) as floats, where
    memtables has that float."""
    if sql.startswith("DELETE") or len(got) != len(want):
        return want
    return [
        tuple(
            float(w) if type(w) is int and type(g) is float and g == w else w
            for g, w in zip(grow, wrow)
        )
        for grow, wrow in zip(got, want)
    ]


def run_both(p: Pair, sql: str):
    """The statement in both: ``((rows, names, rowcount), same for sqlite3)``, or None when
    both refused it."""
    note(f"SQL: {sql}")
    try:
        cur = p.s.execute(sql)
        expected = (cur.fetchall(), [d[0] for d in cur.description], cur.rowcount)
    except sqlite3.Error as e:
        expected = e
    try:
        cur = p.m.execute(sql)
        got = (cur.fetchall(), [d[0] for d in cur.description], cur.rowcount)
    except memtables.Error as e:
        got = e
    except Exception as e:  # a raw Python exception is always a bug
        raise AssertionError(f"memtables raised raw {e!r}\nSQL: {sql}") from e
    if isinstance(expected, Exception):
        assert isinstance(got, Exception), f"sqlite3 raised {expected!r}, memtables gave {got!r}"
        return None
    assert not isinstance(got, Exception), f"memtables raised {got!r}; sqlite3 gave {expected!r}"
    return got, expected


@SETTINGS
@given(t_table(), st.lists(write_case(), min_size=1, max_size=4))
def test_returning_agrees_with_sqlite3(t, cases):
    with Pair(t) as p:
        for sql, names, ordered in cases:
            res = run_both(p, sql)
            if res is not None:
                (rows, got_names, count), (want, want_names, want_count) = res
                if not ordered:
                    rows, want = sorted(rows, key=row_key), sorted(want, key=row_key)
                want = sqlite_real_quirk(rows, want, sql)
                assert same_rows(rows, want), f"\n{sql}\nmemtables: {rows}\nsqlite3:   {want}"
                assert got_names == want_names == names
                assert count == want_count == len(want)
            p.check("SELECT * FROM t", ordered=False)
