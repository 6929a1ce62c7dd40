"""Durable databases: redo log, snapshots, recovery, locking, and crashes of real processes."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.ipc as ipc
import pytest

import memtables
from memtables import wal as W

HERE = Path(__file__).resolve().parent

ROWS = [
    (
        1,
        10,
        1.5,
        "text",
        True,
        b"\x00\xff",
        dt.date(2024, 2, 29),
        dt.datetime(2024, 1, 2, 3, 4, 5, 6),
        7,
    ),
    (2, None, None, None, None, None, None, None, None),
    (3, -(2**63), float("inf"), "", False, b"", dt.date(1, 1, 1), dt.datetime(9999, 12, 31), "any"),
]


def make_schema(conn):
    conn.executescript(
        """
        CREATE TABLE all_types (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BOOLEAN,
                                bl BLOB, d DATE, ts TIMESTAMP, a);
        CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'anon',
                             age INTEGER CHECK (age >= 0), email TEXT UNIQUE);
        CREATE INDEX people_age ON people (age);
        CREATE INDEX people_name ON people USING HASH (name);
        CREATE TABLE scratch (k INTEGER) WITH (durable = false);
        CREATE VIEW adults AS SELECT name FROM people WHERE age >= 18;
        CREATE TABLE keyless (v TEXT);
        """
    )
    conn.executemany("INSERT INTO all_types VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ROWS)
    conn.executemany(
        "INSERT INTO people (id, name, age, email) VALUES (?, ?, ?, ?)",
        [(1, "ada", 36, "a@x"), (2, "bob", 12, None), (3, "cy", 40, "c@x")],
    )
    conn.execute("INSERT INTO people (id, age) VALUES (4, 20)")
    conn.execute("INSERT INTO scratch VALUES (1)")
    conn.execute("INSERT INTO keyless VALUES ('x'), ('y')")
    conn.commit()
    conn.execute("UPDATE people SET age = 37 WHERE id = 1")
    conn.execute("DELETE FROM keyless WHERE v = 'x'")
    conn.commit()


def check_schema(conn):
    assert conn.execute("SELECT * FROM all_types ORDER BY id").fetchall() == ROWS
    assert conn.execute("SELECT id, name, age, email FROM people ORDER BY id").fetchall() == [
        (1, "ada", 37, "a@x"),
        (2, "bob", 12, None),
        (3, "cy", 40, "c@x"),
        (4, "anon", 20, None),
    ]
    assert conn.execute("SELECT name FROM adults ORDER BY name").fetchall() == [
        ("ada",),
        ("anon",),
        ("cy",),
    ]
    assert conn.execute("SELECT count(*) FROM scratch").fetchone() == (0,)  # not durable
    assert conn.execute("SELECT v FROM keyless").fetchall() == [("y",)]
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN SELECT * FROM people WHERE age = 12"))
    assert "INDEX LOOKUP people USING people_age" in plan
    with pytest.raises(memtables.IntegrityError):
        conn.execute("INSERT INTO people (id, age, email) VALUES (9, 1, 'a@x')")
    with pytest.raises(memtables.IntegrityError):
        conn.execute("INSERT INTO people (id, age) VALUES (9, -1)")
    conn.execute("INSERT INTO keyless VALUES ('z')")  # the hidden rowid continues
    conn.rollback()
    conn.database.engine.catalog.table("people")._check()


@pytest.mark.parametrize("checkpoint", [False, True])
def test_round_trip_every_type_and_constraint(tmp_path, checkpoint):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    make_schema(conn)
    if checkpoint:
        conn.execute("CHECKPOINT")
        conn.execute("UPDATE people SET name = 'ADA' WHERE id = 1")
        conn.execute("UPDATE people SET name = 'ada' WHERE id = 1")
        conn.commit()
    conn.close()
    conn = memtables.connect(path)
    check_schema(conn)
    conn.close()


def test_directory_is_created_and_same_path_is_the_same_database(tmp_path):
    path = tmp_path / "nested" / "db.mtdb"
    db = memtables.open(path)
    assert path.is_dir() and (path / "LOCK").exists()
    assert memtables.open(path) is db
    assert memtables.open(str(path)) is db
    db.close()
    assert memtables.open(path) is not db
    memtables.open(path).close()


def test_second_process_gets_a_clear_error_and_lock_dies_with_process(tmp_path):
    path = tmp_path / "db.mtdb"
    code = f"import memtables, time; memtables.connect({str(path)!r}); print('open', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(memtables.OperationalError, match="in use by another process"):
            memtables.connect(path)
    finally:
        holder.kill()
        holder.wait()
    conn = memtables.connect(path)  # the lock died with its process: no cleanup needed
    conn.close()


def test_snapshot_files_open_with_pyarrow(tmp_path):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    make_schema(conn)
    conn.database.checkpoint()
    snap = sorted((path / "snapshots").glob("snap-*"))[-1]
    import json

    manifest = json.loads((snap / "manifest.json").read_text())
    files = {t["name"]: t["file"] for t in manifest["tables"]}
    people = ipc.open_file(str(snap / files["people"])).read_all()
    rows = [tuple(r.values()) for r in people.to_pylist()]
    assert rows == conn.execute("SELECT * FROM people").fetchall()
    assert files["scratch"] is None
    conn.close()


def test_non_durable_table_is_empty_after_restart_with_schema_kept(tmp_path):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE s (k INTEGER PRIMARY KEY, v TEXT) WITH (durable = false)")
    conn.execute("INSERT INTO s VALUES (1, 'x')")
    conn.commit()
    conn.close()
    conn = memtables.connect(path)
    assert conn.execute("SELECT * FROM s").fetchall() == []
    assert conn.execute("SELECT durable FROM sys.tables WHERE name = 's'").fetchone() == (False,)
    conn.close()


def _log_path(path: Path) -> Path:
    return W.segment_paths(path / "wal")[-1]


def _committed_db(tmp_path) -> tuple[Path, int]:
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.commit()
    for i in range(5):
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x" * i))
        conn.commit()
    conn.close()
    log = W.segment_paths(path / "wal")
    return path, len(log)


def test_every_truncation_of_the_last_record_recovers_the_previous_commit(tmp_path):
    path, _ = _committed_db(tmp_path)
    log = [p for p in W.segment_paths(path / "wal") if p.stat().st_size > len(W.HEADER)][-1]
    data = log.read_bytes()
    last = W.read_segments([log]).records[-1].offset
    for cut in range(last + 1, len(data)):
        copy = tmp_path / f"cut{cut}"
        shutil.copytree(path, copy)
        target = copy / "wal" / log.name
        target.write_bytes(data[:cut])
        for p in W.segment_paths(copy / "wal"):
            if p.name > log.name:
                p.unlink()  # the cut segment must be the last one
        conn = memtables.connect(copy)
        assert conn.execute("SELECT max(id) FROM t").fetchone() == (3,), cut
        stats = dict(conn.execute("SELECT name, value FROM sys.stats").fetchall())
        assert stats["torn_records"] == 1
        conn.execute("INSERT INTO t VALUES (4, 'again')")  # and it keeps working
        conn.commit()
        conn.close()
        conn = memtables.connect(copy)
        assert conn.execute("SELECT v FROM t WHERE id = 4").fetchone() == ("again",)
        conn.close()
        shutil.rmtree(copy)


def test_flipped_byte_in_the_middle_is_reported_with_its_offset(tmp_path):
    path, _ = _committed_db(tmp_path)
    log = [p for p in W.segment_paths(path / "wal") if p.stat().st_size > len(W.HEADER)][-1]
    records = W.read_segments([log]).records
    victim = records[2]
    data = bytearray(log.read_bytes())
    data[victim.offset + 20] ^= 0xFF
    log.write_bytes(bytes(data))
    with pytest.raises(memtables.DatabaseError, match=f"offset {victim.offset}") as info:
        memtables.connect(path)
    assert log.name in str(info.value)
    conn = memtables.connect(path, on_corruption="read_only")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)  # what preceded it
    with pytest.raises(memtables.OperationalError, match="read-only"):
        conn.execute("INSERT INTO t VALUES (9, 'no')")
    conn.close()


@pytest.mark.parametrize("mode", ["full", "normal", "off"])
def test_sync_modes(tmp_path, mode):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path, sync=mode)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    conn.commit()
    stats = dict(conn.execute("SELECT name, value FROM sys.stats").fetchall())
    assert stats["log_records"] == 1  # one transaction: the table and its rows
    assert (stats["fsyncs"] >= 1) if mode == "full" else True
    conn.close()
    conn = memtables.connect(path)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (100,)
    conn.close()
    with pytest.raises(memtables.OperationalError, match="sync mode"):
        memtables.connect(tmp_path / "other", sync="sometimes")


def test_group_commit_shares_fsyncs(tmp_path):
    db = memtables.open(tmp_path / "db.mtdb", sync="full")
    setup = db.connect()
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, w INTEGER)")
    setup.commit()
    per_thread = 200

    def writer(w):
        conn = db.connect()
        for i in range(per_thread):
            conn.execute("INSERT INTO t VALUES (?, ?)", (w * per_thread + i, w))
            conn.commit()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = dict(setup.execute("SELECT name, value FROM sys.stats").fetchall())
    assert setup.execute("SELECT count(*) FROM t").fetchone() == (8 * per_thread,)
    assert stats["fsyncs"] < stats["log_records"]  # committers shared fsyncs
    db.close()


def test_automatic_checkpoint_and_progress(tmp_path):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path, checkpoint_bytes=20_000)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    for i in range(300):
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, "v" * 100))
        conn.commit()
    conn.database._durable._auto.join()
    stats = dict(conn.execute("SELECT name, value FROM sys.stats").fetchall())
    assert stats["checkpoints"] >= 1
    conn.close()
    assert len(list((path / "snapshots").glob("snap-*"))) == 1
    seen = []
    conn = memtables.connect(path, progress=lambda *a: seen.append(a))
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (300,)
    assert seen and seen[-1][1] == seen[-1][2]
    conn.close()


def test_checkpoint_while_writers_run_is_consistent(tmp_path):
    path = tmp_path / "db.mtdb"
    db = memtables.open(path)
    setup = db.connect()
    setup.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER)")
    setup.executemany("INSERT INTO acct VALUES (?, 100)", [(i,) for i in range(50)])
    setup.commit()
    stop = threading.Event()

    def mover():
        conn = db.connect()
        rnd = random.Random(1)
        while not stop.is_set():
            a, b = rnd.sample(range(50), 2)
            try:
                conn.execute("UPDATE acct SET bal = bal - 1 WHERE id = ?", (a,))
                conn.execute("UPDATE acct SET bal = bal + 1 WHERE id = ?", (b,))
                conn.commit()
            except memtables.SerializationFailure:
                conn.rollback()

    t = threading.Thread(target=mover)
    t.start()
    try:
        for _ in range(3):
            db.checkpoint()
    finally:
        stop.set()
        t.join()
    snap = sorted((path / "snapshots").glob("snap-*"))[-1]
    data = ipc.open_file(str(snap / "table-0.arrow")).read_all()
    assert sum(data.column("bal").to_pylist()) == 5000  # one consistent snapshot
    db.close()
    conn = memtables.connect(path)
    assert conn.execute("SELECT sum(bal) FROM acct").fetchone() == (5000,)
    conn.close()


# ---------------------------------------------------------------- real crashes
def _run_and_kill(path: Path, start: int, delay: float, limit: int) -> list[int]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "crash_child.py"), str(path), str(start), str(limit)],
        stdout=subprocess.PIPE,
        text=True,
    )
    acked = []
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.time() + delay
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for line in proc.stdout:  # acknowledged before the kill landed
        if line.strip().isdigit():
            acked.append(int(line))
    return acked


@pytest.mark.parametrize("limit", [0, 4000])  # 4000: checkpoints keep running during writes
def test_killed_writer_loses_no_acknowledged_commit(tmp_path, limit):
    rnd = random.Random(limit)
    path = tmp_path / "db.mtdb"
    next_n = 0
    for _round in range(5):
        acked = _run_and_kill(path, next_n, rnd.uniform(0.05, 0.4), limit)
        conn = memtables.connect(path)
        a = {r[0] for r in conn.execute("SELECT n FROM a")}
        b = {r[0] for r in conn.execute("SELECT n FROM b")}
        (counter,) = conn.execute("SELECT n FROM counter").fetchone()
        conn.close()
        assert set(acked) <= a, "an acknowledged commit was lost"
        assert a == b, "a transaction was half applied"
        if a:
            assert counter == max(a)
            assert a == set(range(min(a), max(a) + 1))
            next_n = max(a) + 1


def test_closing_the_database_of_a_connect_connection_closes_it_once(tmp_path):
    db = memtables.connect(str(tmp_path / "db")).database
    c = db.connect()
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    c.commit()
    db.close()
    assert db.closed and c.closed
    again = memtables.connect(str(tmp_path / "db"))  # the lock was released
    assert again.execute("SELECT count(*) FROM t").fetchone() == (0,)
    again.close()


# ---------------------------------------------------------------- issue 12: reopen, equal
def reopen(path, checkpoint: bool, **options):
    """Close the database at ``path`` (after a CHECKPOINT when asked) and open it again."""
    conn = memtables.connect(path, **options)
    if checkpoint:
        conn.execute("CHECKPOINT")
    conn.close()
    return memtables.connect(path, **options)


def grammar_keywords() -> list[str]:
    text = (HERE.parent / "sql" / "grammar.lark").read_text()
    return sorted({w.lower() for w in re.findall(r'"([A-Za-z_]+)"i', text)})


@pytest.mark.parametrize("checkpoint", [False, True])
def test_keyword_names_reopen(tmp_path, checkpoint):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    conn.execute('CREATE TABLE "if" ("constraint" INTEGER PRIMARY KEY, "select" TEXT)')
    conn.execute("INSERT INTO \"if\" VALUES (1, 'x')")
    words = grammar_keywords()
    assert {"select", "current_date", "key", "primary", "check"} <= set(words)
    cols = ", ".join(f'"{w}" INTEGER' for w in words)
    conn.execute(
        f'CREATE TABLE "table" ("order" INTEGER PRIMARY KEY, {cols.replace("order", "_o")})'
    )
    conn.execute('CREATE INDEX "index" ON "table" ("select", "from")')
    conn.execute('INSERT INTO "table" ("order", "current_date", "key") VALUES (1, 5, 6)')
    conn.execute('CREATE TABLE c (a TEXT COLLATE "no case", "current_time" TEXT)')
    conn.execute("INSERT INTO c VALUES ('a', 't')")
    conn.execute('CREATE VIEW "view" AS SELECT "current_date", "key" FROM "table"')
    conn.execute('CREATE VIEW v2 AS SELECT "current_time" AS "current_timestamp" FROM c')
    assert conn.execute('SELECT * FROM "view"').fetchall() == [(5, 6)]  # a column, not the clock
    conn.commit()
    conn.close()
    conn = reopen(path, checkpoint)
    assert conn.execute('SELECT * FROM "if"').fetchall() == [(1, "x")]
    assert conn.execute('SELECT * FROM "view"').fetchall() == [(5, 6)]
    assert conn.execute("SELECT * FROM v2").fetchall() == [("t",)]
    assert conn.execute("SELECT a FROM c").fetchall() == [("a",)]
    names = [r[0] for r in conn.execute("SELECT name FROM sys.columns WHERE table_name = 'table'")]
    assert names == ["order"] + [w if w != "order" else "_o" for w in words]
    conn.close()


@pytest.mark.parametrize("checkpoint", [False, True])
def test_non_finite_numbers_reopen(tmp_path, checkpoint):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    conn.executescript(
        """
        CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL DEFAULT 1e400 CHECK (a > -1e400),
                        b REAL DEFAULT -1e400, c REAL DEFAULT (1e400 - 1e400));
        CREATE VIEW v AS SELECT 1e400 AS x, -1e400 AS y, a FROM t WHERE a < 1e999;
        CREATE CACHE TABLE k (key TEXT PRIMARY KEY, v TEXT) WITH (default_ttl = 1e300);
        INSERT INTO t (id) VALUES (1);
        INSERT INTO t (id, a) VALUES (2, 2.5);
        """
    )
    conn.commit()
    before = conn.execute("SELECT id, a, b, c IS NULL OR c <> c FROM t ORDER BY id").fetchall()
    conn.close()
    conn = reopen(path, checkpoint)
    assert (
        conn.execute("SELECT id, a, b, c IS NULL OR c <> c FROM t ORDER BY id").fetchall() == before
    )
    assert conn.execute("SELECT * FROM v").fetchall() == [(math.inf, -math.inf, 2.5)]
    conn.execute("INSERT INTO t (id) VALUES (3)")
    assert conn.execute("SELECT a, b FROM t WHERE id = 3").fetchone() == (math.inf, -math.inf)
    with pytest.raises(memtables.IntegrityError):
        conn.execute("INSERT INTO t (id, a) VALUES (4, -1e400)")
    conn.close()


def test_view_over_a_dropped_table_survives_a_checkpoint(tmp_path):
    # As in SQLite, a table may be dropped under a view; the view then fails when used.
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    conn.executescript(
        """
        CREATE TABLE t (a INTEGER);
        CREATE VIEW v AS SELECT a FROM t;
        DROP TABLE t;
        CREATE VIEW base AS SELECT 1 AS x;
        CREATE VIEW top AS SELECT x FROM base;
        DROP VIEW base;
        CREATE VIEW base AS SELECT 2 AS x;
        """
    )
    conn.commit()
    conn.close()
    for checkpoint in (True, False, True):
        conn = reopen(path, checkpoint)
        assert [r[0] for r in conn.execute("SELECT name FROM sys.views")] == ["base", "top", "v"]
        assert conn.execute("SELECT * FROM top").fetchall() == [(2,)]
        with pytest.raises(memtables.ProgrammingError, match="no such table: t"):
            conn.execute("SELECT * FROM v")
        conn.execute("CREATE TABLE t (a INTEGER)")
        conn.execute("INSERT INTO t VALUES (7)")
        assert conn.execute("SELECT * FROM v").fetchall() == [(7,)]
        conn.rollback()
        conn.close()


def test_a_column_named_like_the_hidden_rowid(tmp_path):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    conn.execute('CREATE TABLE t (__rowid__ INTEGER, "___ROWID___" TEXT, v TEXT)')
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(7, "a", "x"), (7, "b", None)])
    conn.commit()
    conn.execute("CHECKPOINT")
    conn.close()
    (snap,) = (path / "snapshots").glob("snap-*")
    (arrow_file,) = snap.glob("table-*.arrow")
    table = ipc.open_file(str(arrow_file)).read_all()  # still a plain Arrow file
    assert table.column_names[:3] == ["__rowid__", "___ROWID___", "v"]
    conn = memtables.connect(path)
    assert sorted(conn.execute("SELECT * FROM t").fetchall(), key=str) == [
        (7, "a", "x"),
        (7, "b", None),
    ]
    conn.execute("INSERT INTO t VALUES (8, 'c', 'y')")  # the rowid counter came back too
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)
    conn.close()


def damage_manifest(path, change):
    (snap,) = (path / "snapshots").glob("snap-*")
    manifest_path = snap / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    change(manifest, snap)
    manifest_path.write_text(json.dumps(manifest))
    return manifest_path


def _swap_files(manifest, snap):
    a, b = manifest["tables"][0], manifest["tables"][1]
    a["file"], b["file"] = b["file"], a["file"]


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda m, s: m.update(tables=5), "manifest.json"),
        (lambda m, s: m["tables"][0].update(sql="CREATE TABLE ("), "manifest.json"),
        (lambda m, s: m["tables"][0].pop("name"), "manifest.json"),
        (lambda m, s: m["views"].append({"name": "v"}), "manifest.json"),
        (lambda m, s: (s / m["tables"][0]["file"]).write_bytes(b"not arrow"), ".arrow"),
        (_swap_files, ".arrow"),
    ],
)
def test_a_damaged_snapshot_is_a_database_error_naming_the_file(tmp_path, change, where):
    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE a (x INTEGER PRIMARY KEY, y TEXT)")
    conn.execute("CREATE TABLE b (z TEXT)")
    conn.execute("INSERT INTO a VALUES (1, 'one')")
    conn.execute("INSERT INTO b VALUES ('zed')")
    conn.commit()
    conn.execute("CHECKPOINT")
    conn.close()
    damage_manifest(path, change)
    with pytest.raises(memtables.DatabaseError, match=re.escape(where)) as info:
        memtables.connect(path)
    assert str(path / "snapshots") in str(info.value)
    with pytest.raises(memtables.DatabaseError, match=re.escape(where)):
        memtables.connect(path)  # the same error again: the failed open released its lock


def test_a_failed_automatic_checkpoint_is_reported_kept_and_backs_off(tmp_path, caplog):
    path = tmp_path / "db.mtdb"
    limit = 2_000
    conn = memtables.connect(path, checkpoint_bytes=limit)
    (path / "snapshots").write_text("a file where the snapshots directory should be")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    for i in range(300):
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, "v" * 100))
        conn.commit()
    db = conn.database
    db._durable._auto.join()
    stats = dict(conn.execute("SELECT name, value FROM sys.stats").fetchall())
    failures = stats["checkpoint_failures"]
    log_bytes = stats["log_bytes"]
    # Each retry waits for twice as much log as the one before.
    assert 1 <= failures <= math.log2(log_bytes / limit + 1)
    assert "automatic checkpoint failed" in db.checkpoint_error
    assert str(path / "snapshots") in db.checkpoint_error
    assert any("automatic checkpoint failed" in r.getMessage() for r in caplog.records)
    with pytest.raises(memtables.OperationalError, match="cannot write a snapshot"):
        conn.execute("CHECKPOINT")  # an explicit checkpoint tries again, and says why it fails
    (path / "snapshots").unlink()
    conn.execute("CHECKPOINT")
    assert db.checkpoint_error is None
    conn.close()
    conn = memtables.connect(path)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (300,)  # nothing was lost
    conn.close()


@pytest.mark.parametrize(
    "option",
    ["max_memory = 'inf'", "max_memory = 1e400", "max_memory = '-5'", "max_rows = 1e400"],
)
def test_cache_options_without_a_finite_value_are_refused(option):
    conn = memtables.connect()
    with pytest.raises(memtables.ProgrammingError, match="finite"):
        conn.execute(f"CREATE CACHE TABLE k (a TEXT PRIMARY KEY) WITH ({option})")
    conn.close()


def test_rendered_schema_is_read_back_before_the_log_or_a_checkpoint_relies_on_it(
    tmp_path, monkeypatch
):
    # A renderer that forgets to quote keywords: the fault must stop the commit or the
    # checkpoint, never leave a database that cannot reopen.
    from memtables.sql import render

    path = tmp_path / "db.mtdb"
    conn = memtables.connect(path)
    conn.execute('CREATE TABLE "select" ("primary" INTEGER PRIMARY KEY)')
    conn.execute('INSERT INTO "select" VALUES (1)')
    conn.commit()
    monkeypatch.setattr(render, "keywords", lambda: frozenset())
    conn.execute('CREATE TABLE "if" (a INTEGER)')
    with pytest.raises(memtables.InternalError, match="does not read back"):
        conn.commit()
    with pytest.raises(memtables.InternalError, match="does not read back"):
        conn.execute("CHECKPOINT")
    assert not list((path / "snapshots").glob("snap-*"))
    conn.close()
    monkeypatch.undo()
    conn = memtables.connect(path)
    assert conn.execute('SELECT * FROM "select"').fetchall() == [(1,)]
    assert [r[0] for r in conn.execute("SELECT name FROM sys.tables")] == ["select"]
    conn.close()
