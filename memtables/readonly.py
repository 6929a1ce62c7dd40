"""What a database that must not change does differently: one opened with ``read_only=True``
(see ``memtables.open``), or one opened past a damaged redo log record.

``persist.Durability`` installs ``RefusingLog`` as such a database's commit log, and a
read-only opener, which takes no lock, checks with ``check_contiguous`` that no log segment
vanished under it while a writer checkpointed.
"""

from __future__ import annotations

from pathlib import Path

from . import wal as W
from .errors import DatabaseError, OperationalError

READ_ONLY = "attempt to write a readonly database"  # sqlite3's words, for the same refusal


class RefusingLog:
    """The commit log of a database that must not change.

    Connections refuse writes before they start (``Connection.execute_prepared`` and
    ``run_statement``); this is the engine's side of it. With a log in place the engine's
    fast paths (``TransactionManager.one_key_writer``) treat durable tables as logged and leave
    their writes to the connection, and a commit that would still change a durable table or
    the schema is refused whole. Deletes pass: reading a cache table drops its expired rows,
    which only tidies what no reader sees.
    """

    def __init__(self, reason: str):
        self.reason = reason

    def append(self, commit_ts: int, changes: list) -> None:
        """Refuse ``changes`` that put a durable row or change the schema."""
        for change in changes:
            kind = change[0]
            if (kind == "put" and change[1].durable) or (
                kind == "ddl" and change[1][0] != "temporary"
            ):
                raise OperationalError(self.reason)

    def wait(self, token: None) -> None:
        """Nothing was written: nothing to wait for."""


def check_contiguous(paths: list[Path], first: int | None) -> None:
    """Refuse a log with a segment missing (from ``first``, when a snapshot says where it
    starts): a checkpoint dropped it while a read-only opener was listing them."""
    numbers = [W.segment_number(p) for p in paths]
    if not numbers:
        return
    start = numbers[0] if first is None else first
    if numbers != list(range(start, start + len(numbers))):
        raise DatabaseError(f"redo log segments from {start} are missing (found {numbers})")
