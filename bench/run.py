"""``python -m bench``: run the workloads side by side and print the ratio table."""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
import time

from .harness import table, write_json, write_png
from .workloads import WORKLOADS, run_workloads

ENGINES = ["memtables", "sqlite3"]


def _flatness(figures) -> float | None:
    by = {f.name: f.times.get("memtables") for f in figures}
    small, big = by.get("point select at 10k rows"), by.get("point select at 1M rows")
    return big / small if small and big else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "suite",
        nargs="?",
        default="sql",
        choices=["sql", "durability", "cache", "arrow", "coldstart"],
        help="sql: SQL workloads beside sqlite3 (default); durability: commit rates, "
        "checkpoint and recovery; cache: the key-value face beside Redis, policy hit rates; "
        "arrow: export beside sqlite3 and DuckDB, Parquet import; coldstart: a new process "
        "to its first result, and the shell, beside sqlite3",
    )
    parser.add_argument("--only", nargs="*", help="run workloads whose name contains these")
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    parser.add_argument("--png", help="also write a bar chart of the ratios (needs matplotlib)")
    parser.add_argument("--list", action="store_true", help="list workloads and exit")
    args = parser.parse_args(argv)
    if args.suite in ("durability", "cache", "arrow", "coldstart"):
        import importlib

        suite = importlib.import_module(f"bench.{args.suite}")
        if args.suite == "cache":
            suite.run(args.only)  # its tables: cachetools, redis, zipf
        else:
            suite.run()
        return 0
    if args.list:
        for name, (unit, _fn) in WORKLOADS.items():
            print(f"{name}  [{unit}]")
        return 0
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"sqlite {sqlite3.sqlite_version}; best of 3, per operation"
    )
    t0 = time.perf_counter()
    figures = run_workloads(args.only, ENGINES)
    print(table(figures, ENGINES))
    flat = _flatness(figures)
    if flat is not None:
        print(f"point select at 1M rows / at 10k rows (memtables): {flat:.2f}x")
    print(f"({time.perf_counter() - t0:.1f} s)")
    if args.json:
        write_json(figures, args.json)
    if args.png and not write_png(figures, ENGINES, args.png):
        print("no PNG: install matplotlib (pip install -e '.[bench]')", file=sys.stderr)
    return 0
