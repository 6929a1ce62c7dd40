"""A writer for the crash tests: commits numbered transactions and reports each one.

Usage: python crash_child.py DIR START [CHECKPOINT_BYTES]. Every transaction n inserts
(n, 'a') into ``a`` and (n, 'b') into ``b`` and sets ``counter`` to n; after ``commit``
returns it prints n. The parent kills this process at a random moment.
"""

import sys

import memtables

path, start = sys.argv[1], int(sys.argv[2])
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 0
conn = memtables.connect(path, sync="full", checkpoint_bytes=limit)
conn.execute("CREATE TABLE IF NOT EXISTS a (n INTEGER PRIMARY KEY, v TEXT)")
conn.execute("CREATE TABLE IF NOT EXISTS b (n INTEGER PRIMARY KEY, v TEXT)")
conn.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER)")
conn.execute("INSERT OR IGNORE INTO counter VALUES (1, 0)")
conn.commit()
print("ready", flush=True)
n = start
while True:
    conn.execute("INSERT INTO a VALUES (?, 'a')", (n,))
    conn.execute("INSERT INTO b VALUES (?, ?)", (n, "b" * (n % 50)))
    conn.execute("UPDATE counter SET n = ? WHERE id = 1", (n,))
    conn.commit()
    print(n, flush=True)
    n += 1
