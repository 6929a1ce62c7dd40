"""``python -m bench streaming``: memory of fetching a large result in batches, beside sqlite3.

Each engine runs in a child process of its own, so one's memory never counts for the
other: it builds a table of ``--rows`` users (1M by default), takes its resident set size
(RSS) as the base, then executes a query and fetches it with ``fetchmany(1000)``, sampling
RSS after ``execute()`` and after every batch. The figure is the peak above the base: the
memory fetching needed beyond the table's own. The same run under ``tracemalloc`` gives the
peak of Python allocations (sqlite3's C allocations are not traced; its RSS figure is the
one to compare). ``fetchall`` is shown for contrast: that result is built whole.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc

from .harness import human
from .workloads import AGE_INDEX, USERS_DDL, connect, user_rows

QUERIES = {
    "scan, fetchmany(1000)": ("SELECT * FROM users", 1000),
    "filter + computed columns, fetchmany(1000)": (
        "SELECT id, age + 1, name || '!' FROM users WHERE score >= 10",
        1000,
    ),
    "scan, fetchall": ("SELECT * FROM users", 0),
}
ENGINES = ("memtables", "sqlite3")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss() -> int:
    """The process's resident set size in bytes (Linux /proc; else the peak so far)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _fetch(conn, sql: str, size: int, sample) -> int:
    """Run ``sql`` and fetch it in batches of ``size`` (0: fetchall); rows fetched."""
    cur = conn.execute(sql)
    sample()
    if not size:
        n = len(cur.fetchall())
        sample()
        return n
    n = 0
    while rows := cur.fetchmany(size):
        n += len(rows)
        sample()
    return n


def child(engine: str, n_rows: int) -> dict:
    """Build the table in this process, then measure each query; the figures as a dict."""
    conn = connect(engine)
    conn.execute(USERS_DDL)
    conn.execute(AGE_INDEX)
    step = 10_000
    for start in range(1, n_rows + 1, step):  # in slices: no million-tuple list lingers
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
            user_rows(min(step, n_rows + 1 - start), start),
        )
    conn.commit()
    out = {}
    for name, (sql, size) in QUERIES.items():
        gc.collect()
        base = rss()
        peak = [base]

        def sample(peak: list = peak) -> None:
            peak[0] = max(peak[0], rss())

        t0 = time.perf_counter()
        n = _fetch(conn, sql, size, sample)
        seconds = time.perf_counter() - t0
        gc.collect()
        tracemalloc.start()
        _fetch(conn, sql, size, lambda: None)
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[name] = {"rows": n, "rss": peak[0] - base, "traced": traced, "seconds": seconds}
    return out


def run(argv: list[str] | None = None) -> None:
    """Measure each engine in a child process and print the figures side by side."""
    parser = argparse.ArgumentParser(prog="python -m bench streaming")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args, _ = parser.parse_known_args(argv if argv is not None else sys.argv[2:])
    figures = {}
    for engine in ENGINES:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.streaming", engine, str(args.rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures[engine] = json.loads(proc.stdout)
    mb = 1024 * 1024
    print(f"fetching {args.rows:,} rows: peak memory above the table's (MB), time per row")
    head = f"{'query':44} {'engine':10} {'peak RSS':>9} {'tracemalloc':>12} {'per row':>9}"
    print(head)
    print("-" * len(head))
    for name in QUERIES:
        for engine in ENGINES:
            f = figures[engine][name]
            print(
                f"{name:44} {engine:10} {f['rss'] / mb:9.1f} {f['traced'] / mb:12.1f} "
                f"{human(f['seconds'] / max(f['rows'], 1)):>9}"
            )
        mt, sq = (figures[e][name]["seconds"] for e in ENGINES)
        print(f"{'':44} {'ratio':10} {'':9} {'':12} {mt / sq:8.2f}x")


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], int(sys.argv[2]))))
