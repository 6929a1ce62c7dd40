"""The engine API directly: version chains, visibility, rollback and collection."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from memtables.catalog import Check, Column, Schema
from memtables.engine import Engine
from memtables.errors import (
    CheckViolation,
    DataError,
    NotNullViolation,
    SerializationFailure,
    UniqueViolation,
)
from memtables.types import INTEGER, REAL, TEXT


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


# ---------------------------------------------------------------- the Table's public face
def make_checked():
    """A table with a REAL column, NOT NULL and a CHECK (score >= 0)."""
    eng = Engine()
    tx = eng.begin()
    schema = Schema(
        "s",
        [Column("id", INTEGER), Column("score", REAL, not_null=True)],
        primary_key=(0,),
        checks=(Check("score >= 0", lambda row: row[1] >= 0),),
    )
    table = eng.create_table(tx, schema)
    tx.commit()
    return eng, table


def test_checked_row_gives_the_stored_form_or_a_pep249_error():
    eng, t = make_checked()
    assert t.checked_row((1, 2)) == (1, 2.0) and type(t.checked_row((1, 2))[1]) is float
    with pytest.raises(NotNullViolation, match=r"s\.score"):
        t.checked_row((1, None))
    with pytest.raises(CheckViolation, match="score >= 0"):
        t.checked_row((1, -1.0))
    with pytest.raises(DataError, match=r"s\.score"):
        t.checked_row((1, "many"))
    with pytest.raises(DataError, match="2 columns but 3 values"):
        t.checked_row((1, 2.0, 3))
    assert t.rows == {}  # checking a row writes nothing


def test_update_stable_writes_beside_the_committed_row_and_runs_checks():
    eng, t = make_checked()
    tx = eng.begin()
    t.insert(tx, (1, 1.0))
    tx.commit()
    reader, w = eng.begin(), eng.begin()
    head = t.rows[1]
    with pytest.raises(CheckViolation):
        t.update_stable(w, 1, head, (1, -5.0))
    assert t.rows[1] is head  # refused before anything changed
    t.update_stable(w, 1, head, (1, 7.0))
    assert t.get(w, 1) == (1, 7.0) and t.get(reader, 1) == (1, 1.0)
    w.commit()
    assert t.get(eng.begin(), 1) == (1, 7.0) and t.get(reader, 1) == (1, 1.0)
    t._check()


def test_unique_indexes_and_rowid_keys_are_public():
    _, plain = make()
    _, unique = make(unique_name=True)
    assert plain.unique_indexes == [] and plain.rowid_keys
    assert [i.columns for i in unique.unique_indexes] == [(1,)]
    eng = Engine()
    tx = eng.begin()
    text_key = eng.create_table(tx, Schema("k", [Column("k", TEXT)], primary_key=(0,)))
    rowid = eng.create_table(tx, Schema("r", [Column("v", TEXT)]))
    assert not text_key.rowid_keys and rowid.rowid_keys


def test_sync_indexes_follows_entries_installed_directly():
    eng, t = make(unique_name=True)
    (index,) = t.unique_indexes
    new = t.rows[1] = ((1, "a"), 1)
    t.sync_indexes(1, None, new)
    assert set(index.lookup("a")) == {1}
    t._check()
    newer = t.rows[1] = ((1, "b"), 2)
    t.sync_indexes(1, new, newer)
    assert not index.lookup("a") and set(index.lookup("b")) == {1}
    del t.rows[1]
    t.sync_indexes(1, newer, None)
    assert not index.lookup("b")
    t._check()


def test_other_modules_use_only_the_public_face_of_table():
    # private names of Table (methods and attributes) that no other module may touch
    root = Path(__file__).resolve().parent.parent
    tree = ast.parse((root / "memtables" / "storage.py").read_text())
    (table,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Table"]
    private = {
        n.attr if isinstance(n, ast.Attribute) else n.name
        for n in ast.walk(table)
        if (isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store))
        or isinstance(n, ast.FunctionDef)
    }
    private = {p for p in private if p.startswith("_") and not p.startswith("__")}
    private.discard("_check")  # the invariant checker every structure has
    reaches = []
    for path in [p for d in ("memtables", "sql", "repl") for p in (root / d).glob("*.py")]:
        if path.name == "storage.py" and path.parent.name == "memtables":
            continue
        tree = ast.parse(path.read_text())
        own = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        own |= {
            n.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
        }
        reaches += [
            f"{path.name}:{n.lineno} .{n.attr}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and n.attr in private - own
        ]
    assert not reaches, reaches
