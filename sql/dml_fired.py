"""The write loops of INSERT, UPDATE and DELETE on a table with triggers.

``dml.py`` keeps the fast loops of tables without triggers; a statement whose table has
triggers runs here instead, row by row, as SQLite does: BEFORE triggers, the write,
RETURNING (which sees the row as the statement wrote it), AFTER triggers. UPDATE and DELETE
read each target again when its turn comes, since a trigger fired by an earlier row may have
changed or deleted it.
"""

from __future__ import annotations


def insert_rows(stmt, conn, txn, rows: list, params) -> tuple:
    """INSERT ``rows``; an upsert's update fires the UPDATE triggers instead of AFTER
    INSERT, and OR REPLACE's deletes fire none (SQLite's recursive_triggers is off)."""
    table = stmt.table
    get = table.get
    fires = stmt.firing
    returning = stmt.returning
    out = [] if returning is not None else None
    count = 0
    key = None
    for row in rows:
        if fires.before and not fires.fire(fires.before, conn, txn, None, fires.proposed(row)):
            continue
        done, k, how = stmt.insert_resolving(conn, txn, row, params)
        if not done:
            continue
        count += 1
        if how == "insert":  # an upsert's update inserts no row id
            key = k
        if out is not None:
            out.append(returning(params, txn, get(txn, k)))
        if how == "insert" and fires.after:
            fires.fire(fires.after, conn, txn, None, get(txn, k))
    return (out, count, stmt.rowid_of(key))


def update_row(fires, conn, txn, table, key, old, new, assigned, written=None):
    """Update one row with its triggers: BEFORE, the write, ``written(row)``, AFTER; the
    row's key, or None when a BEFORE trigger skipped it or deleted the row.

    A BEFORE trigger may have changed the row: the columns the statement does not set
    (``assigned`` holds the positions it does) are read again after it, as SQLite does."""
    if fires.before:
        if not fires.fire(fires.before, conn, txn, old, new):
            return None
        now = table.get(txn, key)
        if now is None:
            return None
        if now != old:
            new = tuple(v if i in assigned else now[i] for i, v in enumerate(new))
    k = table.update(txn, key, new)
    stored = table.get(txn, k)
    if written is not None:
        written(stored)
    if fires.after:
        fires.fire(fires.after, conn, txn, old, stored)
    return k


def update_rows(stmt, conn, txn, params) -> tuple:
    """UPDATE every target of ``stmt``, each read again first."""
    table = stmt.table
    get = table.get
    newrow = stmt.newrow
    returning = stmt.returning
    out = [] if returning is not None else None
    written = None if out is None else (lambda row: out.append(returning(params, txn, row)))
    count = 0
    for key, _row in stmt.targets(params, txn):
        old = get(txn, key)
        if old is None:
            continue
        new = newrow(params, txn, old)
        k = update_row(stmt.firing, conn, txn, table, key, old, new, stmt.assigned, written)
        if k is not None:
            count += 1
    return (out, count, None)


def delete_rows(stmt, conn, txn, params) -> tuple:
    """DELETE every target of ``stmt`` still there, unless a BEFORE trigger skips it or
    deletes it itself."""
    table = stmt.table
    get = table.get
    fires = stmt.firing
    returning = stmt.returning
    out = [] if returning is not None else None
    count = 0
    for key, _row in stmt.targets(params, txn):
        old = get(txn, key)
        if old is None:
            continue
        if fires.before:
            if not fires.fire(fires.before, conn, txn, old, None):
                continue
            if get(txn, key) is None:
                continue
        table.delete(txn, key)
        count += 1
        if out is not None:
            out.append(returning(params, txn, old))
        if fires.after:
            fires.fire(fires.after, conn, txn, old, None)
    return (out, count, None)


__all__ = ["insert_rows", "update_row", "update_rows", "delete_rows"]
