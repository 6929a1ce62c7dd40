"""Opening a durable database read-only: ``memtables.connect(path, read_only=True)``.

A read-only opener recovers the directory into memory without taking the writer's lock and
without writing anything, so it works while another process has the database open for
writing; every write is refused as sqlite3 refuses one on a ``mode=ro`` database.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest

import memtables
from memtables import wal as W

READONLY = "attempt to write a readonly database"


def _make(path, rows: int = 3) -> None:
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE CACHE TABLE kv (k TEXT PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"v{i}") for i in range(1, rows + 1)])
    conn.commit()
    conn.close()


def _tree(path) -> dict:
    """Every file under ``path`` with a hash of its bytes: what a reader must not change."""
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    } | {str(p.relative_to(path)) + "/": "dir" for p in path.rglob("*") if p.is_dir()}


def test_reads_what_was_committed(tmp_path):
    path = tmp_path / "db.mtdb"
    _make(path)
    conn = memtables.connect(path, read_only=True)
    assert conn.execute("SELECT id, v FROM t ORDER BY id").fetchall() == [
        (1, "v1"),
        (2, "v2"),
        (3, "v3"),
    ]
    conn.close()


def test_after_a_checkpoint_too(tmp_path):
    path = tmp_path / "db.mtdb"
    _make(path)
    conn = memtables.connect(path)
    conn.execute("CHECKPOINT")
    conn.execute("INSERT INTO t VALUES (4, 'after')")
    conn.commit()
    conn.close()
    ro = memtables.connect(path, read_only=True)
    assert ro.execute("SELECT count(*), max(v) FROM t").fetchone() == (4, "v3")
    ro.close()


WRITES = [
    "INSERT INTO t VALUES (9, 'no')",
    "UPDATE t SET v = 'no'",
    "DELETE FROM t",
    "CREATE TABLE u (a INTEGER)",
    "DROP TABLE t",
    "CREATE INDEX t_v ON t (v)",
    "ALTER TABLE t ADD COLUMN w TEXT",
    "CREATE VIEW w AS SELECT 1",
    "CHECKPOINT",
]


@pytest.mark.parametrize("sql", WRITES)
def test_every_write_is_refused_and_changes_nothing(tmp_path, sql):
    path = tmp_path / "db.mtdb"
    _make(path)
    before = _tree(path)
    conn = memtables.connect(path, read_only=True)
    with pytest.raises(memtables.OperationalError, match=READONLY):
        conn.execute(sql)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)
    conn.close()
    assert _tree(path) == before


def test_refusal_matches_sqlite3(tmp_path):
    """The same calls on a sqlite3 ``mode=ro`` database and on ours: same class, same text."""
    lite_path = tmp_path / "lite.db"
    lite = sqlite3.connect(lite_path)
    lite.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    lite.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"v{i}") for i in range(1, 4)])
    lite.commit()
    lite.close()
    path = tmp_path / "db.mtdb"
    _make(path)
    ro_lite = sqlite3.connect(f"file:{lite_path}?mode=ro", uri=True)
    ours = memtables.connect(path, read_only=True)
    for conn in (ro_lite, ours):
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)
        for sql in ("INSERT INTO t VALUES (9, 'x')", "UPDATE t SET v = 'x'", "DELETE FROM t"):
            with pytest.raises(conn.OperationalError) as info:
                conn.execute(sql)
            assert str(info.value) == READONLY
        with pytest.raises(conn.OperationalError, match=READONLY):
            conn.executemany("INSERT INTO t VALUES (?, ?)", [(10, "a"), (11, "b")])
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)
        conn.close()


def test_api_writes_are_refused(tmp_path):
    """Key-value writes, from_arrow, executemany and Database.checkpoint: the same refusal."""
    path = tmp_path / "db.mtdb"
    _make(path)
    before = _tree(path)
    db = memtables.open(path, read_only=True)
    conn = db.connect()
    kv = conn.cache("kv")
    with pytest.raises(memtables.OperationalError, match=READONLY):
        kv.set("a", "b")
    with pytest.raises(memtables.OperationalError, match=READONLY):
        kv.incr("n")
    with pytest.raises(memtables.OperationalError, match=READONLY):
        conn.from_arrow("t", pa.table({"id": [7], "v": ["x"]}), mode="append")
    with pytest.raises(memtables.OperationalError, match=READONLY):
        conn.from_arrow("fresh", pa.table({"id": [7]}))
    with pytest.raises(memtables.OperationalError, match=READONLY):
        conn.executemany("DELETE FROM t WHERE id = ?", [(1,)])
    with pytest.raises(memtables.OperationalError, match=READONLY):
        db.checkpoint()
    assert kv.get("a") is None
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)
    assert db.read_only == READONLY
    db.close()
    assert _tree(path) == before


def test_copy_from_is_refused_but_copy_to_and_reads_work(tmp_path):
    path = tmp_path / "db.mtdb"
    _make(path)
    out = tmp_path / "t.csv"
    conn = memtables.connect(path, read_only=True)
    assert conn.execute(f"COPY t TO '{out}'").rowcount == 3  # writes a file, not the database
    with pytest.raises(memtables.OperationalError, match=READONLY):
        conn.execute(f"COPY t FROM '{out}'")
    conn.execute("BEGIN")
    assert conn.execute("SELECT v FROM t WHERE id = 2").fetchone() == ("v2",)
    assert "SCAN" in " ".join(r[0] for r in conn.execute("EXPLAIN SELECT * FROM t"))
    conn.execute("COMMIT")  # a reading transaction ends normally
    conn.close()


def test_writes_nothing_not_even_a_torn_tail(tmp_path):
    """A torn record at the end of the log (a writer mid-append, or a crash) is skipped,
    not cut off: cutting is the writer's job."""
    path = tmp_path / "db.mtdb"
    _make(path)
    last = W.segment_paths(path / "wal")[-1]
    with open(last, "ab") as f:
        f.write(b"\x40\x00\x00\x00partial")
    before = _tree(path)
    conn = memtables.connect(path, read_only=True)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)
    conn.close()
    assert _tree(path) == before


def test_missing_directory_is_not_created(tmp_path):
    path = tmp_path / "nothing.mtdb"
    with pytest.raises(memtables.OperationalError, match="unable to open database"):
        memtables.connect(path, read_only=True)
    assert not path.exists()


def test_in_memory_read_only_is_a_programming_error():
    for path in (None, ":memory:"):
        with pytest.raises(memtables.ProgrammingError, match="read_only needs a database path"):
            memtables.connect(path, read_only=True)


def test_read_only_and_writable_opens_in_one_process_are_separate(tmp_path):
    path = tmp_path / "db.mtdb"
    _make(path)
    writer = memtables.open(path)
    reader = memtables.open(path, read_only=True)
    assert reader is not writer and writer.read_only is None
    assert memtables.open(path, read_only=True) is not reader  # each one recovers its own
    w = writer.connect()
    w.execute("INSERT INTO t VALUES (4, 'new')")
    w.commit()
    r = reader.connect()
    assert r.execute("SELECT count(*) FROM t").fetchone() == (3,)  # as it was at open time
    reader.close()
    assert memtables.open(path) is writer  # closing the reader left the writer registered
    w.execute("INSERT INTO t VALUES (5, 'still')")
    w.commit()
    writer.close()
    again = memtables.connect(path, read_only=True)
    assert again.execute("SELECT count(*) FROM t").fetchone() == (5,)
    again.close()


WRITER = textwrap.dedent(
    """
    import sys
    import memtables

    conn = memtables.connect(sys.argv[1], checkpoint_bytes=int(sys.argv[2]))
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, batch INTEGER)")
    conn.commit()
    n = 0
    for line in sys.stdin:
        for _ in range(int(line)):  # that many transactions of ten rows each
            conn.executemany(
                "INSERT INTO t VALUES (?, ?)", [(n * 10 + i, n) for i in range(10)]
            )
            conn.commit()
            n += 1
        print(n, flush=True)
    conn.close()
    """
)


def _writer(path, checkpoint_bytes: int = 0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(checkpoint_bytes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _ask(proc: subprocess.Popen, transactions: int) -> int:
    proc.stdin.write(f"{transactions}\n")
    proc.stdin.flush()
    return int(proc.stdout.readline())


def test_reads_while_another_process_writes(tmp_path):
    path = tmp_path / "db.mtdb"
    proc = _writer(path)
    try:
        assert _ask(proc, 3) == 3
        with pytest.raises(memtables.OperationalError, match="in use by another process"):
            memtables.connect(path)  # the writer holds the lock ...
        ro = memtables.connect(path, read_only=True)  # ... and a reader needs none
        assert ro.execute("SELECT count(*) FROM t").fetchone() == (30,)
        assert _ask(proc, 2) == 5
        assert ro.execute("SELECT count(*) FROM t").fetchone() == (30,)  # open-time view
        with pytest.raises(memtables.OperationalError, match=READONLY):
            ro.execute("INSERT INTO t VALUES (-1, -1)")
        ro.close()
        ro = memtables.connect(path, read_only=True)
        assert ro.execute("SELECT count(*) FROM t").fetchone() == (50,)
        ro.close()
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    conn = memtables.connect(path)  # the writer's database is intact and writable
    conn.execute("INSERT INTO t VALUES (-1, -1)")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (51,)
    conn.close()


def test_opens_consistently_while_the_writer_checkpoints(tmp_path):
    """Snapshots are replaced and log segments dropped under a reader's feet: each open
    still sees whole transactions, and every one before the last it sees."""
    path = tmp_path / "db.mtdb"
    proc = _writer(path, checkpoint_bytes=4096)  # a checkpoint every few transactions
    assert _ask(proc, 1) == 1
    proc.stdin.write("100000\n")  # keep writing until stdin closes
    proc.stdin.flush()
    try:
        seen = 0
        for _ in range(25):
            ro = memtables.connect(path, read_only=True)
            try:
                count, batches, top = ro.execute(
                    "SELECT count(*), count(DISTINCT batch), coalesce(max(id), -1) FROM t"
                ).fetchone()
            finally:
                ro.close()
            assert count % 10 == 0 and count == batches * 10 == top + 1
            assert count >= seen
            seen = count
        assert seen > 0
    finally:
        proc.kill()
        proc.wait(timeout=60)


def test_a_damaged_log_refuses_the_same_writes(tmp_path):
    """on_corruption="read_only" shares the refusal: key-value writes and from_arrow too
    (they used to change the in-memory copy, unlogged)."""
    path = tmp_path / "db.mtdb"
    _make(path)
    conn = memtables.connect(path)
    for i in range(3):
        conn.execute("INSERT INTO t VALUES (?, 'later')", (10 + i,))
        conn.commit()
    conn.close()
    log = W.segment_paths(path / "wal")[-1]
    victim = W.read_segments([log]).records[1]
    data = bytearray(log.read_bytes())
    data[victim.offset + 20] ^= 0xFF
    log.write_bytes(bytes(data))
    conn = memtables.connect(path, on_corruption="read_only")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (4,)
    for write in (
        lambda: conn.cache("kv").set("a", "b"),
        lambda: conn.from_arrow("t", pa.table({"id": [99], "v": ["x"]}), mode="append"),
        lambda: conn.execute("INSERT INTO t VALUES (99, 'x')"),
    ):
        with pytest.raises(memtables.OperationalError, match="opened read-only: corrupt"):
            write()
    assert conn.cache("kv").get("a") is None
    conn.close()
