"""Who may write a key: the write-write conflict and uniqueness rules of the Table write path.

- An update or delete needs the row's newest version to be visible to the writer and not
  replaced by anyone else (first updater wins); otherwise SerializationFailure.
- An insert needs the key free: no live row (UniqueViolation) and no change in flight or
  committed after the writer's snapshot (SerializationFailure).
- A value of a UNIQUE index may be held by one live row only; a concurrent writer of the same
  value is a conflict, not a duplicate; an index is not built over rows that break it.

Each rule reads the entry format of ``versions.py`` and raises a PEP 249 error naming the
table and key; none of them writes a row.
"""

from __future__ import annotations

from typing import Any

from .errors import SerializationFailure, UniqueViolation
from .versions import INF, TXN_BASE, Version, as_chain


def describe_key(key: Any) -> str:
    """A key as users wrote it, for error messages."""
    if isinstance(key, tuple):
        return "(" + ", ".join(repr(k) for k in key) + ")"
    return repr(key)


def writable_head(table, txn, key: Any, verb: str) -> Any:
    """The entry at ``key`` if ``txn`` may replace its row (first updater wins), as a chain
    when a committed update's old row is still read.  O(1)."""
    rows = table.rows
    head = rows.get(key)
    me = txn.marker
    if head is not None:
        if type(head) is tuple:
            b = head[1]
            if b == me:
                if head[0] is not None:
                    return head
            elif b <= txn.ts:
                if len(head) == 4:  # the new version goes on top of both rows
                    head = rows[key] = as_chain(head)
                return head
        else:
            b = head.begin
            if head.end == INF and (b == me or b <= txn.ts):
                return head
    what = "the row is gone" if head is None else "the row was changed by a concurrent transaction"
    raise SerializationFailure(f"could not {verb} {table.name} key {describe_key(key)}: {what}")


def insert_base(table, txn, key: Any, head: Any) -> Version:
    """The chain a new row at ``key`` goes on top of, given the entry ``head`` there; raise
    if a live row holds the key or a concurrent transaction is changing it.  O(1)."""
    me = txn.marker
    name = table.name
    if type(head) is tuple:
        if len(head) == 4 and head[0] is None:
            if head[1] <= txn.ts:  # deleted before our snapshot: the key is free
                return as_chain(head)
            raise SerializationFailure(
                f"could not insert into {name}: key {describe_key(key)} was deleted "
                "by a concurrent transaction"
            )
        b, end = head[1], INF
    else:
        b, end = head.begin, head.end
    if end == INF:
        if b != me and b > txn.ts:  # in flight, or committed after our snapshot
            raise SerializationFailure(
                f"could not insert into {name}: key {describe_key(key)} was written "
                "by a concurrent transaction"
            )
        raise UniqueViolation(f"UNIQUE constraint failed: {name} primary key {describe_key(key)}")
    if end >= TXN_BASE and end != me:
        raise SerializationFailure(
            f"could not insert into {name}: key {describe_key(key)} is being "
            "deleted by a concurrent transaction"
        )
    return head


def check_unique(table, txn, key: Any, row: tuple, old_row: tuple | None) -> None:
    """Refuse ``row`` at ``key`` if a UNIQUE index of ``table`` holds its value for another
    live or in-flight row; ``old_row`` is the row it replaces (its values are ours).
    O(unique indexes × rows holding the value)."""
    me = txn.marker
    rows = table.rows
    for index in table.unique_indexes:
        ik = index.key_of(row)
        if index.has_null(ik) or (old_row is not None and index.key_of(old_row) == ik):
            continue
        for other in index.lookup(ik):
            if other == key:
                continue
            head = rows.get(other)
            if head is None:
                continue
            head = as_chain(head)
            b, e = head.begin, head.end
            # in flight, or committed after our snapshot: a conflict, not a duplicate
            in_flight = (b > txn.ts and b != me) or (TXN_BASE <= e < INF and e != me)
            if index.key_of(head.row) != ik:
                if b >= TXN_BASE and b != me:
                    in_flight = True  # the older committed version still holds the value
                else:
                    continue
            elif e != INF and not in_flight:
                continue  # deleted, by a committed transaction or by us
            if in_flight:
                raise SerializationFailure(
                    f"could not write {table.name}: value {describe_key(ik)} of unique "
                    f"index {index.name} was written by a concurrent transaction"
                )
            cols = ", ".join(table.schema.columns[i].name for i in index.columns)
            raise UniqueViolation(f"UNIQUE constraint failed: {table.name}({cols})")


def refuse_duplicates(table, index, txn) -> None:
    """Refuse to build the UNIQUE ``index`` over the rows of ``table`` visible to ``txn``
    when two of them already hold one value (NULLs never clash).  O(rows)."""
    seen: dict[Any, Any] = {}
    for key, row in table.scan(txn):
        ik = index.key_of(row)
        if index.has_null(ik):
            continue
        if ik in seen:
            cols = ", ".join(table.schema.columns[i].name for i in index.columns)
            raise UniqueViolation(
                f"cannot create unique index {index.name}: duplicate values in {table.name}({cols})"
            )
        seen[ik] = key
