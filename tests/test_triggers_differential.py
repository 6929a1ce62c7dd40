"""Triggers against sqlite3: random trigger sets on three tables, then random writes; every
statement must succeed or fail alike (RAISE messages included) and leave all tables equal.

The generator stays where SQLite's behaviour is defined and the two engines agree:

- Tables have no declared key: rows are compared as multisets of their values, since SQLite
  numbers a rowid table's new rows from its largest rowid and memtables never reuses one.
- BEFORE triggers write only to ``log`` (which has no triggers) or RAISE: SQLite leaves the
  result undefined when a BEFORE trigger changes the rows its statement is about to write.
- INSERT ... SELECT reads only its own table (SQLite then reads all rows before writing, as
  memtables always does); UPDATE and DELETE visit rows in rowid order in SQLite, which is
  the order memtables scans them in.
"""

from __future__ import annotations

import sqlite3

from hypothesis import given, note
from hypothesis import strategies as st

import memtables
from tests.test_differential import SETTINGS

TABLES = ["t1", "t2", "t3"]
SCHEMA = [f"CREATE TABLE {t} (a INTEGER, b INTEGER)" for t in TABLES] + [
    "CREATE TABLE log (x TEXT, v INTEGER)"
]
small = st.integers(-3, 6)


@st.composite
def row_value(draw, rows: tuple[str, ...]) -> str:
    """An integer expression of the row that fired the trigger (NEW/OLD) or a constant."""
    options = [str(draw(small))]
    for which in rows:
        options += [f"{which}.a", f"{which}.b", f"{which}.a + {draw(small)}"]
    return draw(st.sampled_from(options))


@st.composite
def condition(draw, rows: tuple[str, ...]) -> str:
    left = draw(row_value(rows))
    op = draw(st.sampled_from(["=", "<", ">", "<>", "IS NOT"]))
    return f"{left} {op} {draw(small)}"


@st.composite
def body_statement(draw, name: str, timing: str, rows: tuple[str, ...]) -> str:
    kinds = (
        ["log", "raise"] if timing == "BEFORE" else ["log", "raise", "insert", "update", "delete"]
    )
    kind = draw(st.sampled_from(kinds))
    value = draw(row_value(rows))
    if kind == "log":
        return f"INSERT INTO log VALUES ('{name}', {value})"
    if kind == "raise":
        how = draw(st.sampled_from(["IGNORE", "ABORT", "FAIL", "ROLLBACK"]))
        what = "RAISE(IGNORE)" if how == "IGNORE" else f"RAISE({how}, '{name} says no')"
        return f"SELECT {what} WHERE {draw(condition(rows))}"
    table = draw(st.sampled_from(TABLES))
    if kind == "insert":
        return f"INSERT INTO {table} (a, b) VALUES ({value}, {draw(row_value(rows))})"
    if kind == "update":
        return f"UPDATE {table} SET b = b + 1 WHERE a = {value}"
    return f"DELETE FROM {table} WHERE a = {value}"


@st.composite
def trigger(draw, n: int) -> str:
    name = f"tr{n}"
    timing = draw(st.sampled_from(["BEFORE", "AFTER"]))
    event = draw(st.sampled_from(["INSERT", "UPDATE", "UPDATE OF a", "UPDATE OF b", "DELETE"]))
    rows = {"INSERT": ("NEW",), "DELETE": ("OLD",)}.get(event, ("NEW", "OLD"))
    when = f" WHEN {draw(condition(rows))}" if draw(st.booleans()) else ""
    body = draw(st.lists(body_statement(name, timing, rows), min_size=1, max_size=3))
    table = draw(st.sampled_from(TABLES))
    stmts = "".join(s + "; " for s in body)
    return f"CREATE TRIGGER {name} {timing} {event} ON {table}{when} BEGIN {stmts}END"


@st.composite
def write(draw) -> str:
    t = draw(st.sampled_from(TABLES))
    kind = draw(st.sampled_from(["values", "select", "update", "delete"]))
    if kind == "values":
        rows = draw(st.lists(st.tuples(small, small), min_size=1, max_size=4))
        return f"INSERT INTO {t} VALUES " + ", ".join(f"({a}, {b})" for a, b in rows)
    if kind == "select":
        return f"INSERT INTO {t} SELECT b, a + 1 FROM {t} WHERE a < {draw(small)}"
    if kind == "update":
        col = draw(st.sampled_from(["a", "b"]))
        return f"UPDATE {t} SET {col} = {col} + {draw(small)} WHERE b > {draw(small)}"
    return f"DELETE FROM {t} WHERE a = {draw(small)}"


def _outcome(conn, sql: str, error) -> tuple:
    try:
        cur = conn.execute(sql)
        return ("ok", cur.rowcount)
    except error as e:
        integrity = isinstance(e, (memtables.IntegrityError, sqlite3.IntegrityError))
        return ("error", str(e) if integrity else "other")


def _contents(conn) -> dict:
    """Every table's rows; ``log``'s in the order they were written (both scan a rowid table
    in insertion order there), which shows the order triggers fired in."""
    out = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    out["log"] = conn.execute("SELECT * FROM log").fetchall()
    return out


@SETTINGS
@given(
    triggers=st.integers(1, 4).flatmap(lambda n: st.tuples(*(trigger(i) for i in range(n)))),
    writes=st.lists(write(), min_size=1, max_size=8),
    autocommit=st.booleans(),
)
def test_random_triggers_agree_with_sqlite(triggers, writes, autocommit):
    mt = memtables.connect(autocommit=autocommit)
    lite = sqlite3.connect(":memory:", isolation_level=None)
    for sql in SCHEMA + [f"INSERT INTO {t} VALUES (1, 1), (2, 3), (4, 0)" for t in TABLES]:
        mt.execute(sql)
        lite.execute(sql)
    for sql in triggers:
        note(sql)
        mt.execute(sql)
        lite.execute(sql)
    mt.commit()
    if not autocommit:
        lite.execute("BEGIN")
    for sql in writes:
        note(sql)
        got, want = _outcome(mt, sql, memtables.Error), _outcome(lite, sql, sqlite3.Error)
        assert got == want, sql
        if not autocommit and not lite.in_transaction:  # RAISE(ROLLBACK) ended it
            lite.execute("BEGIN")
        assert _contents(mt) == _contents(lite), sql
