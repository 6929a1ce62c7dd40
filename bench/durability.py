"""Durability figures: commit rates per sync mode (beside sqlite3 on disk in WAL mode),
checkpoint time and size, and recovery time from a snapshot or from the redo log."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import memtables

from .harness import human
from .workloads import USERS_DDL, user_rows

SQLITE_SYNC = {"full": "FULL", "normal": "NORMAL", "off": "OFF"}


def _commits(make_conn, writers: int, per_writer: int) -> float:
    """Commits per second of ``writers`` threads each committing ``per_writer`` inserts."""
    conns = [make_conn() for _ in range(writers)]
    barrier = threading.Barrier(writers + 1)

    def work(w: int) -> None:
        conn = conns[w]
        barrier.wait()
        base = (w + 1) * 10_000_000
        for i in range(per_writer):
            conn.execute("INSERT INTO t VALUES (?, ?)", (base + i, "x" * 20))
            conn.commit()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    return writers * per_writer / elapsed


def commit_rates(root: Path) -> list[tuple[str, int, float, float]]:
    """(sync mode, writers, memtables commits/s, sqlite3 commits/s)."""
    out = []
    for mode in ("full", "normal", "off"):
        for writers in (1, 8):
            n = 300 if mode == "full" else 2000
            mpath = root / f"mt-{mode}-{writers}"
            db = memtables.open(mpath, sync=mode, checkpoint_bytes=0)
            setup = db.connect()
            setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            setup.commit()
            mt = _commits(db.connect, writers, n // writers if writers > 1 else n)
            db.close()
            spath = root / f"sq-{mode}-{writers}.db"
            init = sqlite3.connect(spath)
            init.execute("PRAGMA journal_mode=WAL")
            init.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            init.commit()
            init.close()

            def sqlite_conn(p=spath, m=mode):
                c = sqlite3.connect(p, timeout=60, check_same_thread=False)
                c.execute(f"PRAGMA synchronous={SQLITE_SYNC[m]}")
                return c

            sq = _commits(sqlite_conn, writers, n // writers if writers > 1 else n)
            out.append((mode, writers, mt, sq))
    return out


def checkpoint_and_recovery(root: Path, n: int = 1_000_000) -> dict:
    """Checkpoint and recovery times for ``n`` users rows."""
    rows = user_rows(n)
    out = {}
    log_path = root / "from-log"
    conn = memtables.connect(log_path, sync="off", checkpoint_bytes=0)
    conn.execute(USERS_DDL)
    conn.commit()
    for i in range(0, n, 10_000):
        conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", rows[i : i + 10_000])
        conn.commit()
    conn.close()
    t0 = time.perf_counter()
    conn = memtables.connect(log_path)
    out["recovery from log"] = time.perf_counter() - t0
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (n,)
    t0 = time.perf_counter()
    conn.execute("CHECKPOINT")
    out["checkpoint"] = time.perf_counter() - t0
    snap = sorted((log_path / "snapshots").glob("snap-*"))[-1]
    out["snapshot bytes"] = sum(p.stat().st_size for p in snap.iterdir())
    conn.close()
    t0 = time.perf_counter()
    conn = memtables.connect(log_path)
    out["recovery from snapshot"] = time.perf_counter() - t0
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (n,)
    conn.close()
    out["rows"] = n
    return out


def run() -> None:
    root = Path(tempfile.mkdtemp(prefix="memtables-bench-"))
    try:
        print("Commits per second (each commit one INSERT), memtables beside sqlite3 on disk")
        print("(journal_mode=WAL, synchronous matching the mode):")
        print(f"{'sync':8} {'writers':>7} {'memtables':>12} {'sqlite3':>12} {'ratio':>7}")
        for mode, writers, mt, sq in commit_rates(root):
            print(f"{mode:8} {writers:7d} {mt:12,.0f} {sq:12,.0f} {mt / sq:6.2f}x")
        fig = checkpoint_and_recovery(root)
        n = fig["rows"]
        print(
            f"\n{n:,} rows: checkpoint {human(fig['checkpoint'])}, "
            f"snapshot {fig['snapshot bytes'] / 1e6:.1f} MB"
        )
        for k in ("recovery from log", "recovery from snapshot"):
            print(f"{k}: {human(fig[k])} ({n / fig[k]:,.0f} rows/s)")
    finally:
        shutil.rmtree(root, ignore_errors=True)
