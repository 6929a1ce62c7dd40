"""The engine API directly: version chains, visibility, rollback and collection."""

from __future__ import annotations

import pytest

from memtables.catalog import Column, Schema
from memtables.engine import Engine
from memtables.errors import (
    DataError,
    NotNullViolation,
    SerializationFailure,
    UniqueViolation,
)
from memtables.types import INTEGER, TEXT


def make(unique_name=False):
    eng = Engine()
    tx = eng.begin()
    schema = Schema(
        "t",
        [Column("id", INTEGER), Column("name", TEXT, not_null=True)],
        primary_key=(0,),
        uniques=((1,),) if unique_name else (),
    )
    table = eng.create_table(tx, schema)
    tx.commit()
    return eng, table


def test_insert_get_scan():
    eng, t = make()
    tx = eng.begin()
    assert t.insert(tx, (1, "a")) == 1
    assert t.insert(tx, (None, "b")) == 2  # INTEGER PRIMARY KEY assigned
    assert t.get(tx, 1) == (1, "a")
    assert sorted(t.scan(tx)) == [(1, (1, "a")), (2, (2, "b"))]
    tx.commit()
    t._check()


def test_uncommitted_rows_are_invisible_to_others():
    eng, t = make()
    w = eng.begin()
    t.insert(w, (1, "a"))
    r = eng.begin()
    assert t.get(r, 1) is None
    w.commit()
    assert t.get(r, 1) is None  # r's snapshot predates the commit
    assert t.get(eng.begin(), 1) == (1, "a")


def test_snapshot_keeps_old_version_while_writer_updates():
    eng, t = make()
    tx = eng.begin()
    t.insert(tx, (1, "a"))
    tx.commit()
    reader = eng.begin()
    w = eng.begin()
    t.update(w, 1, (1, "b"))
    assert t.get(w, 1) == (1, "b")
    assert t.get(reader, 1) == (1, "a")
    w.commit()
    assert t.get(reader, 1) == (1, "a")
    assert t.get(eng.begin(), 1) == (1, "b")
    reader.commit()
    eng.txns.collect()
    assert t.rows[1] == ((1, "b"), 3)  # collapsed to a stable row once no snapshot needs more
    t._check()


def test_first_updater_wins():
    eng, t = make()
    tx = eng.begin()
    t.insert(tx, (1, "a"))
    tx.commit()
    a, b = eng.begin(), eng.begin()
    t.update(a, 1, (1, "x"))
    with pytest.raises(SerializationFailure, match="t key 1"):
        t.update(b, 1, (1, "y"))
    a.commit()
    with pytest.raises(SerializationFailure):
        t.delete(b, 1)  # still a conflict: b's snapshot predates a's commit


def test_rollback_restores_everything():
    eng, t = make(unique_name=True)
    tx = eng.begin()
    t.insert(tx, (1, "a"))
    t.insert(tx, (2, "b"))
    tx.commit()
    tx = eng.begin()
    t.update(tx, 1, (1, "z"))
    t.delete(tx, 2)
    t.insert(tx, (3, "c"))
    tx.rollback()
    tx = eng.begin()
    assert sorted(t.scan(tx)) == [(1, (1, "a")), (2, (2, "b"))]
    assert all(type(e) is tuple for e in t.rows.values())  # every row stable again
    t._check()


def test_statement_savepoint():
    eng, t = make()
    tx = eng.begin()
    t.insert(tx, (1, "a"))
    mark = tx.savepoint()
    t.insert(tx, (2, "b"))
    t.update(tx, 1, (1, "c"))
    tx.rollback_to(mark)
    assert sorted(t.scan(tx)) == [(1, (1, "a"))]


def test_constraints():
    eng, t = make(unique_name=True)
    tx = eng.begin()
    t.insert(tx, (1, "a"))
    with pytest.raises(UniqueViolation):
        t.insert(tx, (1, "other"))
    with pytest.raises(UniqueViolation):
        t.insert(tx, (2, "a"))
    with pytest.raises(NotNullViolation):
        t.insert(tx, (3, None))
    with pytest.raises(DataError):
        t.insert(tx, ("x", "b"))
    with pytest.raises(DataError):
        t.insert(tx, (3,))


def test_unique_value_freed_by_delete_in_same_transaction():
    eng, t = make(unique_name=True)
    tx = eng.begin()
    t.insert(tx, (1, "a"))
    tx.commit()
    tx = eng.begin()
    t.delete(tx, 1)
    t.insert(tx, (2, "a"))
    tx.commit()
    t._check()


def test_concurrent_insert_of_same_key_is_a_conflict():
    eng, t = make()
    a, b = eng.begin(), eng.begin()
    t.insert(a, (1, "a"))
    with pytest.raises(SerializationFailure, match="concurrent"):
        t.insert(b, (1, "b"))


def test_chain_stays_short_under_many_updates():
    eng, t = make()
    tx = eng.begin()
    t.insert(tx, (1, "v0"))
    tx.commit()
    for i in range(1000):
        tx = eng.begin()
        t.update(tx, 1, (1, f"v{i}"))
        tx.commit()
    assert type(t.rows[1]) is tuple and t.rows[1][0] == (1, "v999")
    assert eng.txns.pending_garbage == 0


def test_deleted_rows_are_removed_once_invisible():
    eng, t = make()
    tx = eng.begin()
    t.insert(tx, (1, "a"))
    tx.commit()
    reader = eng.begin()
    tx = eng.begin()
    t.delete(tx, 1)
    tx.commit()
    assert 1 in t.rows and t.get(reader, 1) == (1, "a")
    reader.commit()
    eng.txns.collect()
    assert 1 not in t.rows


def test_old_versions_kept_for_a_reader_then_collected():
    eng, t = make()
    tx = eng.begin()
    t.insert(tx, (1, "v0"))
    tx.commit()
    reader = eng.begin()
    for i in range(1, 50):
        tx = eng.begin()
        t.update(tx, 1, (1, f"v{i}"))
        tx.commit()
    assert t.get(reader, 1) == (1, "v0")
    assert eng.txns.pending_garbage > 0
    reader.rollback()
    eng.txns.collect()
    assert t.rows[1][0] == (1, "v49") and eng.txns.pending_garbage == 0
    t._check()
