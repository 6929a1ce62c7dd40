"""Workloads: each builds its data and times one kind of operation, per engine.

Every workload runs the same SQL on memtables and on sqlite3 ``:memory:`` in this process.
Tables: ``users(id INTEGER PRIMARY KEY, name, email, age, score)`` with an index on age, and
``orders(id, user_id, amount)``. Ages are spread over 2,000 values so that a two-value range
returns about 100 of 100,000 rows.
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
AGE_INDEX = "CREATE INDEX users_age ON users (age)"
ORDERS_DDL = "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, amount REAL)"
AGES = 2000


def user_rows(n: int, start: int = 1, seed: int = 1) -> list[tuple]:
    rnd = random.Random(seed)
    return [
        (i, f"user{i}", f"user{i}@example.com", rnd.randrange(AGES), round(rnd.random() * 100, 2))
        for i in range(start, start + n)
    ]


def order_rows(n: int, users: int, seed: int = 2) -> list[tuple]:
    rnd = random.Random(seed)
    return [(i, rnd.randint(1, users), round(rnd.random() * 500, 2)) for i in range(1, n + 1)]


def connect(engine: str):
    if engine == "memtables":
        return memtables.connect()
    return sqlite3.connect(":memory:")


_cache: dict = {}


def users_db(engine: str, n: int, orders: int = 0):
    """A database with ``n`` users (and ``orders`` orders), built once per engine and size."""
    key = (engine, n, orders)
    conn = _cache.get(key)
    if conn is None:
        conn = connect(engine)
        conn.execute(USERS_DDL)
        conn.execute(AGE_INDEX)
        conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", user_rows(n))
        if orders:
            conn.execute(ORDERS_DDL)
            conn.executemany("INSERT INTO orders VALUES (?, ?, ?)", order_rows(orders, n))
        conn.commit()
        _cache[key] = conn
    return conn


def release() -> None:
    """Drop the cached databases (the 1M-row ones are large)."""
    for conn in _cache.values():
        conn.close()
    _cache.clear()


def fresh_users(engine: str):
    conn = connect(engine)
    conn.execute(USERS_DDL)
    conn.execute(AGE_INDEX)
    conn.commit()
    return conn


# ---------------------------------------------------------------- workloads
def insert_each(engine: str) -> float:
    rows = user_rows(20_000)

    def go() -> int:
        conn = fresh_users(engine)
        cur = conn.cursor()
        for r in rows:
            cur.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?)", r)
        conn.commit()
        conn.close()
        return len(rows)

    return best_time(go)


def insert_many(engine: str) -> float:
    rows = user_rows(100_000)

    def go() -> int:
        conn = fresh_users(engine)
        conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", rows)
        conn.commit()
        conn.close()
        return len(rows)

    return best_time(go)


def point_select(n_rows: int, ops: int = 100_000) -> Callable[[str], float]:
    def run(engine: str) -> float:
        conn = users_db(engine, n_rows)
        cur = conn.cursor()
        rnd = random.Random(7)
        keys = [rnd.randint(1, n_rows) for _ in range(ops)]
        sql = "SELECT * FROM users WHERE id = ?"

        def go() -> int:
            for k in keys:
                cur.execute(sql, (k,))
                cur.fetchone()
            return len(keys)

        return best_time(go)

    return run


def age_range(engine: str) -> float:
    conn = users_db(engine, 100_000)
    cur = conn.cursor()
    rnd = random.Random(3)
    starts = [rnd.randrange(AGES - 2) for _ in range(2_000)]
    sql = "SELECT * FROM users WHERE age BETWEEN ? AND ?"

    def go() -> int:
        n = 0
        for a in starts:
            cur.execute(sql, (a, a + 1))
            n += len(cur.fetchall())
        assert 50 < n / len(starts) < 150, n / len(starts)
        return len(starts)

    return best_time(go)


def group_by_age(engine: str) -> float:
    conn = users_db(engine, 100_000)
    sql = "SELECT age, count(*), avg(score) FROM users GROUP BY age"

    def go() -> int:
        for _ in range(5):
            rows = conn.execute(sql).fetchall()
        assert len(rows) == AGES
        return 5

    return best_time(go)


def join_group_by(engine: str) -> float:
    conn = users_db(engine, 100_000, orders=200_000)
    sql = (
        "SELECT u.age, count(*), sum(o.amount) FROM orders o JOIN users u ON u.id = o.user_id "
        "GROUP BY u.age"
    )

    def go() -> int:
        rows = conn.execute(sql).fetchall()
        assert len(rows) == AGES
        return 1

    return best_time(go)


def _scratch_users(engine: str, n: int = 100_000):
    conn = fresh_users(engine)
    conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", user_rows(n))
    conn.commit()
    return conn


def update_by_key(engine: str) -> float:
    conn = _scratch_users(engine)
    cur = conn.cursor()
    rnd = random.Random(11)
    ops = [(rnd.random() * 100, rnd.randint(1, 100_000)) for _ in range(20_000)]

    def go() -> int:
        for score, k in ops:
            cur.execute("UPDATE users SET score = ? WHERE id = ?", (score, k))
        conn.commit()
        return len(ops)

    t = best_time(go)
    conn.close()
    return t


def delete_by_key(engine: str) -> float:
    def go() -> int:
        conn = _scratch_users(engine, 30_000)
        cur = conn.cursor()
        keys = list(range(1, 30_001, 2))
        random.Random(5).shuffle(keys)
        import time

        t0 = time.perf_counter()
        for k in keys:
            cur.execute("DELETE FROM users WHERE id = ?", (k,))
        conn.commit()
        elapsed = time.perf_counter() - t0
        conn.close()
        return elapsed / len(keys)

    return min(go() for _ in range(3))


def small_transactions(engine: str) -> float:
    conn = _scratch_users(engine, 10_000)
    cur = conn.cursor()
    rnd = random.Random(13)
    ops = [(rnd.random(), rnd.randint(1, 10_000)) for _ in range(10_000)]

    def go() -> int:
        for score, k in ops:
            cur.execute("UPDATE users SET score = ? WHERE id = ?", (score, k))
            conn.commit()
        return len(ops)

    t = best_time(go)
    conn.close()
    return t


def _linked_tables(engine: str, fact: bool):
    """Ten 10-row tables: a chain (t<i>.nxt = t<i+1>.id) or a star (fact.d<i> = d<i>.id)."""
    conn = connect(engine)
    if fact:
        cols = ", ".join(f"d{i} INTEGER" for i in range(1, 10))
        conn.execute(f"CREATE TABLE fact (id INTEGER, {cols}, qty INTEGER)")
        rows = [(k, *((k * i + 1) % 10 for i in range(1, 10)), k) for k in range(10)]
        conn.executemany(f"INSERT INTO fact VALUES ({', '.join('?' * 11)})", rows)
        names = [f"d{i}" for i in range(1, 10)]
    else:
        names = [f"t{i}" for i in range(10)]
    for i, name in enumerate(names):
        conn.execute(f"CREATE TABLE {name} (id INTEGER, nxt INTEGER, v INTEGER)")
        rows = [(k, (k * 3 + i) % 10, k % 3) for k in range(10)]
        conn.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)", rows)
    conn.commit()
    return conn


CHAIN_JOIN = (
    "SELECT count(*), sum(t9.v) FROM t0, t2, t4, t6, t8, t1, t3, t5, t7, t9 WHERE "
    + " AND ".join(f"t{i}.nxt = t{i + 1}.id" for i in range(9))
)
STAR_JOIN = (
    "SELECT count(*), sum(fact.qty) FROM "
    + ", ".join(f"d{i}" for i in range(1, 10))
    + ", fact WHERE "
    + " AND ".join(f"fact.d{i} = d{i}.id" for i in range(1, 10))
)


def linked_join(fact: bool) -> Callable[[str], float]:
    """A 10-table comma join of 10-row tables linked by WHERE equalities, written in an
    order that joins unrelated tables first (a chain every other table; a star's fact last)."""

    def run(engine: str) -> float:
        conn = _linked_tables(engine, fact)
        sql = STAR_JOIN if fact else CHAIN_JOIN

        def go() -> int:
            for _ in range(5):
                rows = conn.execute(sql).fetchall()
            assert rows[0][0] == 10, rows
            return 5

        t = best_time(go)
        conn.close()
        return t

    return run


# ------------------------------------------------------------ literals inlined in the text
# ORMs, hand-written scripts and SQL dumps put values into the text: every statement is new.
def unique_literal_select(engine: str) -> float:
    conn = users_db(engine, 100_000)
    cur = conn.cursor()
    rnd = random.Random(17)
    picks = [(rnd.randrange(AGES), round(rnd.random() * 50, 3)) for _ in range(2_000)]

    def go() -> int:
        for a, s in picks:
            cur.execute(
                "SELECT age, count(*), avg(score) FROM users "
                f"WHERE age = {a} AND score > {s} "
                "GROUP BY age ORDER BY age DESC LIMIT 10"
            )
            assert cur.fetchall()
        return len(picks)

    return best_time(go)


def _insert_texts(n: int, start: int = 1) -> list[str]:
    return [
        f"INSERT INTO users VALUES ({i}, '{name}', '{email}', {age}, {score})"
        for i, name, email, age, score in user_rows(n, start)
    ]


def unique_literal_insert(engine: str) -> float:
    texts = _insert_texts(20_000)

    def go() -> int:
        conn = fresh_users(engine)
        cur = conn.cursor()
        for t in texts:
            cur.execute(t)
        conn.commit()
        conn.close()
        return len(texts)

    return best_time(go)


def insert_script(engine: str) -> float:
    script = ";\n".join(_insert_texts(5_000)) + ";\n"

    def go() -> int:
        conn = fresh_users(engine)
        conn.executescript(script)
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 5_000
        conn.close()
        return 5_000

    return best_time(go)


WORKLOADS: dict[str, tuple[str, Callable[[str], float]]] = {
    "insert, one row per execute": ("row", insert_each),
    "insert, executemany": ("row", insert_many),
    "point select by key (100k rows)": ("execute+fetchone", point_select(100_000)),
    "range on age index (~100 rows)": ("query", age_range),
    "GROUP BY age, count and avg": ("query", group_by_age),
    "join orders to users + GROUP BY": ("query", join_group_by),
    "UPDATE by key": ("statement", update_by_key),
    "DELETE by key": ("statement", delete_by_key),
    "committed single-UPDATE transaction": ("transaction", small_transactions),
    "10-table chain join, comma list in bad order": ("query", linked_join(False)),
    "10-table star join, fact table listed last": ("query", linked_join(True)),
    "point select at 10k rows": ("execute+fetchone", point_select(10_000)),
    "point select at 1M rows": ("execute+fetchone", point_select(1_000_000)),
    "SELECT + GROUP BY with new literals each time": ("execute+fetchall", unique_literal_select),
    "INSERT with new literals each time": ("row", unique_literal_insert),
    "executescript of 5,000 literal INSERTs": ("statement", insert_script),
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
        if "1M" in name:
            release()
    return figures
