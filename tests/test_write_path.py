"""The write path as users drive it: keyed UPDATE and DELETE, indexed columns, commits
with and without other snapshots running, and the counters, beside sqlite3."""

from __future__ import annotations

import random
import sqlite3

import memtables

DDL = "CREATE TABLE t (id INTEGER PRIMARY KEY, age INTEGER, score REAL)"
INDEXES = ("CREATE INDEX t_age ON t (age)", "CREATE INDEX t_age_score ON t (age, score)")
QUERIES = (
    "SELECT id, age FROM t WHERE age BETWEEN 3 AND 6 ORDER BY age, id",
    "SELECT id FROM t WHERE age IS NULL ORDER BY id",
    "SELECT count(*), sum(age) FROM t WHERE age > 5",
    "SELECT id, age, score FROM t ORDER BY age DESC, id LIMIT 20",
    "SELECT id FROM t WHERE age = 4 AND score > 50 ORDER BY id",
)


def both():
    out = []
    for conn in (memtables.connect(), sqlite3.connect(":memory:")):
        conn.execute(DDL)
        for ddl in INDEXES:
            conn.execute(ddl)
        out.append(conn)
    return out


def same(m, s) -> None:
    for q in QUERIES:
        assert m.execute(q).fetchall() == s.execute(q).fetchall(), q


def test_keyed_writes_keep_indexes_equal_to_sqlite3():
    """Keyed UPDATE (of indexed and unindexed columns) and DELETE, with duplicate and NULL
    index values, some keys written twice in one transaction, committed in batches."""
    m, s = both()
    rnd = random.Random(3)
    rows = [(i, rnd.choice([None, *range(10)]), round(rnd.random() * 100, 1)) for i in range(300)]
    for conn in (m, s):
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        conn.commit()
    ops = []
    for _ in range(600):
        k = rnd.randrange(320)  # some keys are missing: no change
        ops.append(
            rnd.choice(
                [
                    ("UPDATE t SET score = ? WHERE id = ?", (rnd.random() * 100, k)),
                    ("UPDATE t SET age = ? WHERE id = ?", (rnd.choice([None, 1, 4, 5, 9]), k)),
                    ("DELETE FROM t WHERE id = ?", (k,)),
                    ("INSERT OR REPLACE INTO t VALUES (?, ?, ?)", (k, rnd.randrange(10), 1.5)),
                ]
            )
        )
    for i, (sql, params) in enumerate(ops):
        counts = []
        for conn in (m, s):
            cur = conn.execute(sql, params)
            counts.append((cur.rowcount, conn.total_changes))
        assert counts[0] == counts[1], (sql, params)
        if i % 37 == 0:
            m.commit()
            s.commit()
            same(m, s)
    same(m, s)
    m.commit()
    s.commit()
    same(m, s)


def test_snapshot_keeps_rows_a_later_commit_replaces():
    """A reader's snapshot still reads the rows that keyed writes committed after it began
    replace or delete; a reader beginning after those commits reads the new rows."""
    db = memtables.Database()
    w = db.connect()
    w.execute(DDL)
    w.execute(INDEXES[0])
    w.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, i % 5, float(i)) for i in range(10)])
    w.commit()
    r = db.connect()
    before = r.execute("SELECT * FROM t WHERE age = 2 ORDER BY id").fetchall()
    assert before == [(2, 2, 2.0), (7, 2, 7.0)]
    for _ in range(3):  # several commits, each on its own
        w.execute("UPDATE t SET age = 3, score = score + 1 WHERE id = ?", (2,))
        w.execute("DELETE FROM t WHERE id = ?", (7,))
        w.commit()
    assert r.execute("SELECT * FROM t WHERE age = 2 ORDER BY id").fetchall() == before
    assert r.execute("SELECT score FROM t WHERE id = 2").fetchall() == [(2.0,)]
    r.commit()
    assert r.execute("SELECT * FROM t WHERE age = 2 ORDER BY id").fetchall() == []
    assert r.execute("SELECT * FROM t WHERE id IN (2, 7)").fetchall() == [(2, 3, 5.0)]


def test_single_statement_transactions_agree_with_sqlite3():
    """BEGIN; UPDATE/DELETE/INSERT by key; COMMIT (or ROLLBACK) again and again: results,
    rowcount, changes() and lastrowid as sqlite3's."""
    m, s = both()
    rnd = random.Random(8)
    for conn in (m, s):
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, i % 7, 0.0) for i in range(50)])
        conn.commit()
    for _ in range(200):
        k = rnd.randrange(60)
        sql, params = rnd.choice(
            [
                ("UPDATE t SET score = score + ? WHERE id = ?", (1.0, k)),
                ("DELETE FROM t WHERE id = ?", (k,)),
                ("INSERT OR IGNORE INTO t (id, age) VALUES (?, ?)", (k, k % 7)),
            ]
        )
        end = rnd.choice(["commit", "commit", "rollback"])
        seen = []
        for conn in (m, s):
            conn.execute("BEGIN")
            cur = conn.execute(sql, params)
            changes = conn.execute("SELECT changes()").fetchone()
            # lastrowid after an INSERT that inserted (after an ignored one sqlite3 reports
            # the connection's last rowid, memtables None: a known difference)
            inserted = "INSERT" in sql and cur.rowcount == 1
            seen.append((cur.rowcount, changes, cur.lastrowid if inserted else None))
            getattr(conn, end)()
        assert seen[0] == seen[1], (sql, params)
    same(m, s)
