"""``Connection.backup(target)``: the committed database copied into another connection's.

As sqlite3's ``backup``, the target's database ends up holding what the source's held, and
nothing else: its own tables, views, indexes and triggers are dropped first. Everything
happens in one transaction on the target's database, so a failure (or a progress callback that raises)
leaves the target as it was. The source is read through one snapshot of a connection of its
own, so only committed data is copied (the source connection's open transaction is not),
and writers of the source go on meanwhile.

sqlite3 counts its steps in pages; memtables has no pages, so a "page" here is a row (each
schema object counts as one too): ``pages`` rows are copied per step, and ``progress(status,
remaining, total)`` is called after each step, with status 0 while more remains and 101
(SQLite's DONE) after the last. As for a dump, hidden rowids of tables without a primary key
and the remaining TTLs of cache-table rows are not kept.
"""

from __future__ import annotations

import itertools
from typing import Callable

from .dump import ordered_schema
from .errors import NotSupportedError, OperationalError, ProgrammingError

DONE = 101  # SQLite's SQLITE_DONE: the status of the last step
_STEP = 0  # SQLITE_OK: more steps follow
_DROP = {"table": "TABLE", "view": "VIEW", "index": "INDEX", "trigger": "TRIGGER"}


def backup(
    source,
    target,
    *,
    pages: int = -1,
    progress: Callable[[int, int, int], object] | None = None,
    name: str = "main",
    sleep: float = 0.250,
) -> None:
    """Copy ``source``'s committed database into ``target`` (see the module docstring)."""
    _check(source, target, pages, progress, name, sleep)
    reader = source.database.connect()  # a snapshot of committed data, whatever source does
    try:
        reader.execute("BEGIN")
        objects = ordered_schema(reader)
        counts = {
            obj: reader.execute(f"SELECT count(*) FROM {_quote(obj)}").fetchone()[0]
            for kind, obj, _ in objects
            if kind == "table"
        }
        total = len(objects) + sum(counts.values())
        step = total if pages <= 0 else pages
        meter = _Meter(progress, step, total)
        _write(reader, target, objects, meter)
    finally:
        reader.close()


def _check(source, target, pages, progress, name, sleep) -> None:
    source.check_open()
    if not isinstance(target, type(source)):  # a memtables Connection
        raise ProgrammingError(
            f"backup target must be a memtables Connection, not {type(target).__name__}"
        )
    if target is source:
        raise ProgrammingError("target cannot be the same connection instance")
    target.check_open()
    if target.database is source.database:
        raise ProgrammingError("target is a connection to the same database as the source")
    if isinstance(pages, bool) or not isinstance(pages, int):
        raise ProgrammingError(f"pages must be an integer, not {type(pages).__name__}")
    if progress is not None and not callable(progress):
        raise ProgrammingError("progress must be callable or None")
    if isinstance(sleep, bool) or not isinstance(sleep, (int, float)):
        raise ProgrammingError(f"sleep must be a number of seconds, not {type(sleep).__name__}")
    if name.lower() == "temp":
        raise NotSupportedError("backup of the temp database is not supported (only main)")
    if name.lower() != "main":
        raise OperationalError(f"unknown database {name}")
    if target.database.read_only:
        raise OperationalError(target.database.read_only)
    if target.has_changes:
        raise OperationalError("target is in a transaction with uncommitted changes")


def _quote(name: str) -> str:
    from .sql.render import name as quote

    return quote(name)


class _Meter:
    """Counts copied units and calls ``progress`` after each ``step`` of them."""

    def __init__(self, progress, step: int, total: int) -> None:
        self.progress = progress
        self.step = step
        self.total = total
        self.done = 0
        self.due = step

    def add(self, n: int) -> None:
        self.done += n
        while self.progress is not None and self.done >= self.due and self.due < self.total:
            self._call(_STEP, self.total - self.due)
            self.due += self.step

    def finish(self) -> None:
        if self.progress is not None:
            self._call(DONE, 0)

    def _call(self, status: int, remaining: int) -> None:
        try:
            self.progress(status, remaining, self.total)
        except Exception as e:
            raise OperationalError(
                f"backup stopped: the progress callback raised {type(e).__name__}: {e}"
            ) from e


def _write(reader, target, objects: list, meter: _Meter) -> None:
    """Replace ``target``'s database with ``objects`` and the rows ``reader`` sees, in one
    transaction, written through a connection of its own: the target's temporary tables
    must neither be dropped nor catch the rows (a bare name finds them first)."""
    target.rollback()  # an open transaction that wrote nothing (checked): start afresh
    writer = target.database.connect()
    try:
        _replace(reader, writer, objects, meter)
    finally:
        writer.close()


def _replace(reader, target, objects: list, meter: _Meter) -> None:
    target.execute("BEGIN")
    try:
        old = ordered_schema(target)
        for kind, obj, _ in reversed(old):
            if kind != "index":  # an index goes with its table
                target.execute(f"DROP {_DROP[kind]} IF EXISTS main.{_quote(obj)}")
        for kind, obj, sql in objects:
            target.execute(sql)
            meter.add(1)
            if kind == "table":
                _copy_rows(reader, target, obj, meter)
        meter.finish()
    except BaseException:
        target.rollback()
        raise
    target.commit()


def _copy_rows(reader, target, table: str, meter: _Meter) -> None:
    cur = reader.execute(f"SELECT * FROM {_quote(table)}")
    width = len(cur.description)
    insert = f"INSERT INTO main.{_quote(table)} VALUES ({', '.join(['?'] * width)})"
    rows = iter(cur.fetchall())
    while batch := list(itertools.islice(rows, max(1, min(meter.step, 10_000)))):
        target.executemany(insert, batch)
        meter.add(len(batch))


__all__ = ["backup", "DONE"]
