"""Workloads: each sets up a database and times one kind of operation on it.

Every workload runs the same SQL on memtables and on sqlite3 ``:memory:`` in this process.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Callable

import memtables

from .harness import Figure, best_time

USERS_DDL = (
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, score REAL)"
)


def user_rows(n: int, seed: int = 1) -> list[tuple]:
    rnd = random.Random(seed)
    return [
        (i, f"user{i}", f"user{i}@example.com", rnd.randint(18, 90), round(rnd.random() * 100, 2))
        for i in range(1, n + 1)
    ]


def connect(engine: str):
    if engine == "memtables":
        return memtables.connect()
    return sqlite3.connect(":memory:")


def users_db(engine: str, n: int):
    conn = connect(engine)
    conn.execute(USERS_DDL)
    conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", user_rows(n))
    conn.commit()
    return conn


def point_select(n_rows: int, ops: int) -> Callable[[str], float]:
    def run(engine: str) -> float:
        conn = users_db(engine, n_rows)
        cur = conn.cursor()
        keys = [random.Random(7).randint(1, n_rows) for _ in range(ops)]
        sql = "SELECT * FROM users WHERE id = ?"

        def go() -> int:
            for k in keys:
                cur.execute(sql, (k,))
                cur.fetchone()
            return len(keys)

        return best_time(go)

    return run


WORKLOADS: dict[str, tuple[str, Callable[[str], float]]] = {
    "point select (100k rows)": ("execute+fetchone", point_select(100_000, 100_000)),
}


def run_workloads(names: list[str] | None, engines: list[str]) -> list[Figure]:
    figures = []
    for name, (unit, fn) in WORKLOADS.items():
        if names and not any(n in name for n in names):
            continue
        fig = Figure(name, unit)
        for engine in engines:
            fig.times[engine] = fn(engine)
        figures.append(fig)
    return figures
