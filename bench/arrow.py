"""Arrow figures: exporting the 100,000-row users table to a pyarrow Table beside sqlite3
(fetchall + Table.from_pylist) and DuckDB, and importing 1,000,000 rows from Parquet."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import memtables

from .harness import best_time, human
from .workloads import USERS_DDL, user_rows

NAMES = ["id", "name", "email", "age", "score"]


def export_figures(n: int = 100_000) -> dict:
    rows = user_rows(n)
    out = {}
    mt = memtables.connect()
    mt.execute(USERS_DDL)
    mt.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", rows)
    mt.commit()
    out["memtables conn.to_arrow('users')"] = best_time(lambda: mt.to_arrow("users").num_rows)
    sq = sqlite3.connect(":memory:")
    sq.execute(USERS_DDL)
    sq.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", rows)
    sq.commit()

    def sqlite_export() -> int:
        fetched = sq.execute("SELECT * FROM users").fetchall()
        return pa.Table.from_pylist([dict(zip(NAMES, r)) for r in fetched]).num_rows

    out["sqlite3 fetchall + Table.from_pylist"] = best_time(sqlite_export)
    try:
        import duckdb
    except ImportError:
        return out
    dk = duckdb.connect()
    dk.execute(USERS_DDL)
    dk.register("src", mt.to_arrow("users"))
    dk.execute("INSERT INTO users SELECT * FROM src")
    rel = dk.sql("SELECT * FROM users")
    method = "to_arrow_table" if hasattr(rel, "to_arrow_table") else "arrow"

    def duck_export() -> int:
        return getattr(dk.sql("SELECT * FROM users"), method)().num_rows

    out[f"duckdb sql(...).{method}()"] = best_time(duck_export)
    return out


def parquet_import(n: int = 1_000_000) -> float:
    root = Path(tempfile.mkdtemp(prefix="memtables-bench-"))
    try:
        path = root / "users.parquet"
        cols = list(zip(*user_rows(n)))
        pq.write_table(pa.table(dict(zip(NAMES, cols))), path)
        conn = memtables.connect()
        conn.execute(USERS_DDL)
        conn.commit()
        t0 = time.perf_counter()
        count = conn.execute(f"COPY users FROM '{path}'").rowcount
        conn.commit()
        elapsed = time.perf_counter() - t0
        assert count == n
        return n / elapsed
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run() -> None:
    figs = export_figures()
    base = figs["sqlite3 fetchall + Table.from_pylist"]
    print("Export of the 100,000-row users table to a pyarrow Table:")
    for name, t in figs.items():
        print(f"  {name:40} {human(t):>10}  {t / base:5.2f}x of sqlite3")
    print(f"Parquet import of 1,000,000 rows: {parquet_import():,.0f} rows/s")
