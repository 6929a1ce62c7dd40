"""Row triggers where they fire: binding a trigger's body to NEW and OLD, and running it.

A write statement asks for a ``Firing`` of its table and event when it is built; it calls
``fire`` for each row it writes, before and after the write. A trigger's body is compiled
the first time it fires (and again after any schema change): each ``NEW.col`` and
``OLD.col`` becomes a parameter of the body statement, filled from the row being written,
so the body is an ordinary prepared statement. Compiling it on first use rather than with
the statement that fires it keeps a trigger whose body writes its own table from compiling
itself forever, and lets a body name a table created after the trigger, as SQLite does.

SQLite's rules, with its ``recursive_triggers`` off (the default): a trigger already running
further up does not fire again, so nesting ends; ``RAISE(IGNORE)`` skips the row that fired
the trigger (``IgnoreRow``, caught in ``fire``); the other RAISE kinds are errors.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable

from ..errors import Error, OperationalError, UndefinedColumn
from . import ast as A
from .statements import query_statement
from .trigger_raise import IgnoreRow

#: How deep triggers may nest (each level is a trigger fired by a write of the one above).
#: Without recursive triggers the depth is bounded by the number of triggers anyway; this
#: keeps a long chain from exhausting Python's stack.
MAX_DEPTH = 32

# The triggers running in this thread, innermost last. Bodies run synchronously, under the
# transaction manager's lock of their database, in the thread of the statement that fired.
_running = threading.local()


def _stack() -> list:
    stack = getattr(_running, "stack", None)
    if stack is None:
        stack = _running.stack = []
    return stack


class Firing:
    """The triggers one write statement fires on its table for one event.

    ``build(node, catalog, systables)`` prepares an INSERT, UPDATE or DELETE of a body (the
    write statements' module passes it: it is the one that imports this one). ``assigned``
    are the lower-cased columns an UPDATE sets: an ``UPDATE OF`` trigger fires only when it
    names one of them.
    """

    def __init__(self, catalog, systables, table, event: str, build: Callable, assigned=None):
        # triggers live in the main catalog, on its tables only (never on a connection's
        # temporary table of the same name), and their bodies name its objects
        catalog = catalog.main
        found = []
        if catalog.tables.get(table.name.lower()) is table:
            found = catalog.triggers_on(table.name, event)
        if assigned is not None:
            found = [t for t in found if t.columns is None or set(t.columns) & assigned]
        self.before = [t for t in found if t.timing == "before"]
        self.after = [t for t in found if t.timing == "after"]
        self.any = bool(found)
        self._checks = None  # the columns' value checks, for ``proposed``
        self._catalog = catalog
        self._systables = systables
        self._build = build
        self._table = table

    def proposed(self, row: tuple) -> tuple:
        """NEW for a BEFORE INSERT trigger: ``row`` converted as it will be stored (a DATE
        column's text becomes a date), value by value; a value that will not fit stays as
        given (the write refuses it after the trigger, as in SQLite), and an INTEGER PRIMARY
        KEY not numbered yet reads -1, SQLite's placeholder."""
        table = self._table
        checks = self._checks
        if checks is None:
            checks = self._checks = [table.value_check(i) for i in range(len(table.columns))]
        out = []
        for check, v in zip(checks, row):
            try:
                out.append(check(v))
            except Error:
                out.append(v)
        schema = table.schema
        if schema.integer_key and row[schema.primary_key[0]] is None:
            out[schema.primary_key[0]] = -1
        return tuple(out)

    def fire(self, triggers: list, conn, txn, old: tuple | None, new: tuple | None) -> bool:
        """Run ``triggers`` (``before`` or ``after``) for one row; False when one of them
        said RAISE(IGNORE), and the row is to be skipped."""
        stack = _stack()
        for trigger in triggers:
            if trigger in stack:  # no recursive triggers, as in SQLite by default
                continue
            if len(stack) >= MAX_DEPTH:
                raise OperationalError(
                    f"too many levels of trigger recursion (more than {MAX_DEPTH} triggers "
                    f"nested, at trigger {trigger.name})"
                )
            program = self._program(trigger)
            stack.append(trigger)
            try:
                program.run(conn, txn, old, new)
            except IgnoreRow:
                return False
            finally:
                stack.pop()
        return True

    def _program(self, trigger) -> _Program:
        cat = self._catalog
        cached = trigger.program
        if cached is not None and cached[0] == cat.version:
            return cached[1]
        program = _Program(trigger, self._table, cat, self._systables, self._build)
        trigger.program = (cat.version, program)
        return program


def row_inserter(table, conn, catalog, systables, build: Callable) -> Callable | None:
    """For the bulk loads (COPY FROM, ``from_arrow``): ``insert(txn, row)`` that fires the
    table's INSERT triggers around each row, as an INSERT would, and returns the row's key
    (None for a row a BEFORE trigger skipped); None when the table has no such trigger."""
    fires = Firing(catalog, systables, table, "insert", build)
    if not fires.any:
        return None

    def insert(txn, row: tuple):
        if fires.before and not fires.fire(fires.before, conn, txn, None, fires.proposed(row)):
            return None
        key = table.insert(txn, row)
        if fires.after:
            fires.fire(fires.after, conn, txn, None, table.get(txn, key))
        return key

    return insert


class _Program:
    """A trigger's WHEN and body, compiled: statements whose parameters are NEW/OLD."""

    def __init__(self, trigger, table, catalog, systables, build: Callable):
        node: A.CreateTrigger = trigger.node
        columns = {c.name.lower(): c.position for c in table.columns}
        self.when = None
        if node.when is not None:
            test = A.Select(A.SelectCore((A.SelectItem(A.Literal(1), None),), where=node.when))
            self.when = self._prepare(test, trigger.event, columns, catalog, systables, build)
        self.body = [
            self._prepare(s, trigger.event, columns, catalog, systables, build) for s in node.body
        ]

    @staticmethod
    def _prepare(node, event: str, columns: dict, catalog, systables, build) -> tuple:
        """(statement, picks): ``picks`` say where each parameter comes from, as
        (from NEW?, column position)."""
        node = _rewrite(node, _row_refs(event, columns))
        if isinstance(node, A.Select):
            stmt = query_statement(node, catalog, systables)
        else:
            stmt = build(node, catalog, systables)
        picks = []
        for name in stmt.param_names or ():
            which, col = name.split(".", 1)
            picks.append((which == "new", columns[col]))
        return stmt, picks

    def run(self, conn, txn, old: tuple | None, new: tuple | None) -> None:
        """Run the body for one row (if WHEN holds)."""
        if self.when is not None:
            stmt, picks = self.when
            if not stmt.run(_params(picks, old, new), txn):
                return
        for stmt, picks in self.body:
            stmt.execute(conn, txn, _params(picks, old, new))


def _params(picks: list, old, new) -> tuple:
    return tuple(new[i] if is_new else old[i] for is_new, i in picks)


def _row_refs(event: str, columns: dict) -> Callable[[Any], Any]:
    """The rewrite of ``NEW.col``/``OLD.col`` into parameters named ``new.col``/``old.col``;
    where SQLite has no such row (NEW in DELETE, OLD in INSERT) or column, its error."""
    rows = {"insert": ("new",), "update": ("new", "old"), "delete": ("old",)}[event]

    def refs(node):
        if not isinstance(node, A.Column) or node.table is None:
            return None
        which = node.table.lower()
        if which not in ("new", "old"):
            return None
        col = node.name.lower()
        if which not in rows or col not in columns:
            raise UndefinedColumn(f"no such column: {node.table}.{node.name}")
        return A.Param(None, f"{which}.{col}")

    return refs


def _rewrite(node, fn: Callable[[Any], Any]):
    """``node`` with every sub-node ``x`` for which ``fn(x)`` is not None replaced by it."""
    got = fn(node)
    if got is not None:
        return got
    if isinstance(node, tuple):
        items = tuple(_rewrite(x, fn) for x in node)
        return node if all(a is b for a, b in zip(items, node)) else items
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {}
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            new = _rewrite(value, fn)
            if new is not value:
                changes[f.name] = new
        return dataclasses.replace(node, **changes) if changes else node
    return node


__all__ = ["Firing", "MAX_DEPTH", "row_inserter"]
