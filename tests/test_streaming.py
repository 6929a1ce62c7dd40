"""Query results stream: rows are made as the cursor fetches them, under the statement's
snapshot (issue #20).

What a user touches: ``execute`` then ``fetchone``/``fetchmany``/``fetchall``/iteration,
``fetch_record_batch``, and everything else they may do while a large result is half read:
write on the connection, commit, roll back, execute again on the cursor, close it, close
the connection, or drop the cursor. Where sqlite3 has the same behaviour the test runs the
same calls on both and compares; where memtables differs on purpose (a statement reads as of
its start) the test says so.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
import tracemalloc

import pytest

import memtables
from tests.conftest import with_sqlite

N = 3000  # several chunks of a result (a chunk is 256 rows)
SCHEMA = [
    "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, s TEXT)",
    "CREATE INDEX t_x ON t (x)",
    "CREATE TABLE u (id INTEGER PRIMARY KEY, tid INTEGER, v INTEGER)",
]


def _fill(c) -> None:
    c.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, i % 97, f"s{i}") for i in range(N)])
    c.executemany("INSERT INTO u VALUES (?, ?, ?)", [(i, i // 2, i) for i in range(N)])
    c.commit()


@pytest.fixture
def pair(conn):
    """A memtables connection (in memory or durable) and sqlite3, same committed tables."""
    m, s = with_sqlite(conn, SCHEMA)
    _fill(m)
    _fill(s)
    yield m, s
    s.close()


QUERIES = [
    ("SELECT * FROM t ORDER BY id", ()),  # the primary key order
    ("SELECT id, x * 2, s || '!' FROM t WHERE x > ? ORDER BY id", (10,)),
    ("SELECT id FROM t WHERE x BETWEEN 5 AND 60 ORDER BY x, id", ()),
    ("SELECT id FROM t ORDER BY id LIMIT 255", ()),
    ("SELECT id FROM t ORDER BY id LIMIT 256", ()),
    ("SELECT id FROM t ORDER BY id LIMIT 257", ()),
    ("SELECT id FROM t ORDER BY id LIMIT 512 OFFSET 7", ()),
    ("SELECT id FROM t ORDER BY id LIMIT ? OFFSET ?", (1000, 1500)),
    ("SELECT t.id, u.v FROM t JOIN u ON u.tid = t.id ORDER BY u.id", ()),
    ("SELECT x, count(*) FROM t GROUP BY x ORDER BY x", ()),
    ("SELECT DISTINCT x FROM t ORDER BY x", ()),
    ("SELECT id FROM t UNION ALL SELECT id FROM u ORDER BY 1", ()),
]


def _in_steps(cur) -> list:
    """All rows of ``cur`` by every fetch method in turn, sizes crossing chunk boundaries."""
    out = [cur.fetchone()]
    out += cur.fetchmany(300)
    out.append(cur.fetchone())
    out += cur.fetchmany(1)
    out += cur.fetchmany(700)
    out += [row for _, row in zip(range(100), cur)]
    out += cur.fetchall()
    out.append(cur.fetchone())
    out += cur.fetchmany(5)
    return out


@pytest.mark.parametrize("sql, params", QUERIES)
def test_fetching_in_steps_agrees_with_sqlite(pair, sql, params):
    m, s = pair
    assert _in_steps(m.execute(sql, params)) == _in_steps(s.execute(sql, params))


@pytest.mark.parametrize("autocommit", [False, True])
def test_plain_scan_gives_every_row_once(autocommit):
    c = memtables.connect(autocommit=autocommit)
    c.execute(SCHEMA[0])
    c.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, i, None) for i in range(N)])
    c.commit()
    got = []
    cur = c.execute("SELECT id FROM t")
    while rows := cur.fetchmany(100):
        got += rows
    assert sorted(got) == [(i,) for i in range(N)]
    assert list(c.execute("SELECT id FROM t WHERE x % 2 = 0")) == [(i,) for i in range(0, N, 2)]


def test_rowcount_of_a_select_is_minus_one(pair):
    for c in pair:
        cur = c.execute("SELECT * FROM t")
        assert cur.rowcount == -1
        cur.fetchmany(1000)
        assert cur.rowcount == -1
        cur.fetchall()
        assert cur.rowcount == -1


def test_another_statement_on_the_cursor_resets_its_result(pair):
    results = []
    for c in pair:
        cur = c.cursor()
        cur.execute("SELECT id FROM t ORDER BY id")
        first = cur.fetchmany(10)
        cur.execute("SELECT v FROM u WHERE id < 3 ORDER BY id")
        results.append((first, cur.fetchall()))
    assert results[0] == results[1]


def test_commit_or_rollback_while_a_result_is_half_read(pair):
    """sqlite3 lets a statement go on across COMMIT and ROLLBACK; so do we, with every row."""
    results = []
    for c in pair:
        got = []
        for end in (c.commit, c.rollback):
            cur = c.execute("SELECT id, x FROM t ORDER BY id")
            head = cur.fetchmany(10)
            c.execute("INSERT INTO u VALUES (?, 0, 0)", (N + len(got),))
            end()
            got.append(head + cur.fetchall())
        results.append(got)
    assert results[0] == results[1]
    assert len(results[0][0]) == N


def test_writing_the_rows_being_read_row_by_row(pair):
    """The usual loop: read a table and update each row as it comes."""
    results = []
    for c in pair:
        seen = []
        for id_, x in c.execute("SELECT id, x FROM t ORDER BY id"):
            seen.append(x)
            c.execute("UPDATE t SET x = ? WHERE id = ?", (x + 1000, id_))
        c.commit()
        results.append((seen, c.execute("SELECT sum(x) FROM t").fetchone()))
    assert results[0] == results[1]


def test_rows_written_after_execute_are_not_seen():
    """Unlike sqlite3, whose scan may see rows the same connection adds behind it, a
    memtables statement reads the database as of its start (snapshot isolation)."""
    c = memtables.connect()
    c.execute(SCHEMA[0])
    c.executemany("INSERT INTO t VALUES (?, ?, 'a')", [(i, i) for i in range(N)])
    c.commit()
    for explicit in (False, True):
        if explicit:
            c.execute("BEGIN")
        cur = c.execute("SELECT id, x, s FROM t")
        head = cur.fetchmany(5)
        c.execute("INSERT INTO t VALUES (?, 0, 'new')", (N + 1,))
        c.execute("UPDATE t SET s = 'changed'")
        c.execute("DELETE FROM t WHERE id < 100")
        rows = head + cur.fetchall()
        assert len(rows) == N
        assert {r[2] for r in rows} == {"a"}
        c.rollback()
        c.execute("DELETE FROM t WHERE id > ?", (N,))
        c.execute("UPDATE t SET s = 'a'")
        c.commit()


def test_autocommit_stream_reads_its_snapshot_while_others_commit():
    db = memtables.open()
    reader = db.connect(autocommit=True)
    writer = db.connect(autocommit=True)
    reader.execute(SCHEMA[0])
    writer.executemany("INSERT INTO t VALUES (?, ?, NULL)", [(i, i) for i in range(N)])
    cur = reader.execute("SELECT id, x FROM t")
    got = cur.fetchmany(100)
    writer.execute("UPDATE t SET x = -1")
    writer.executemany("INSERT INTO t VALUES (?, 0, NULL)", [(N + i,) for i in range(500)])
    writer.execute("DELETE FROM t WHERE id % 3 = 0")
    reader.execute("INSERT INTO t VALUES (-5, 0, NULL)")  # the reader's own autocommit write
    got += cur.fetchall()
    assert sorted(got) == [(i, i) for i in range(N)]
    db.close()


def test_other_threads_writing_between_fetches():
    db = memtables.open()
    a = db.connect()
    a.execute(SCHEMA[0])
    a.executemany("INSERT INTO t VALUES (?, ?, NULL)", [(i, i) for i in range(N)])
    a.commit()
    cur = a.execute("SELECT id FROM t")
    got = cur.fetchmany(10)

    def write(base: int) -> None:
        b = db.connect(autocommit=True)
        for i in range(300):
            b.execute("INSERT INTO t VALUES (?, 0, NULL)", (base + i,))
        b.execute("DELETE FROM t WHERE id < 50")
        b.close()

    while rows := cur.fetchmany(97):
        got += rows
        if len(got) < 1000:
            t = threading.Thread(target=write, args=(10_000 * len(got),))
            t.start()
            t.join()
    assert sorted(got) == [(i,) for i in range(N)]
    db.close()


def _boom_at(n: int):
    def boom(x):
        if x == n:
            raise ValueError(f"boom at {n}")
        return x

    return boom


@pytest.mark.parametrize("at", [0, 1500])
def test_an_error_mid_stream_surfaces_at_fetch(pair, at):
    """An error in a row already made at execute() (the first) raises there; one further
    on raises at the fetch that reaches it, and the connection goes on."""
    outcomes = []
    for c in pair:
        c.create_function("boom", 1, _boom_at(at))
        where = "execute"
        try:
            cur = c.execute("SELECT id, boom(id) FROM t")  # no sort: rows made as fetched
            where = "fetch"
            while cur.fetchmany(100):
                pass
            outcome = "no error"
        except Exception as e:
            outcome = (where, isinstance(e, (memtables.OperationalError, sqlite3.OperationalError)))
        after = c.execute("SELECT count(*) FROM t").fetchone()
        c.execute("INSERT INTO u VALUES (?, 1, 1)", (N + 1,))
        c.commit()
        outcomes.append((outcome, after, c.execute("SELECT count(*) FROM u").fetchone()))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == ("execute" if at == 0 else "fetch", True)


def test_a_builtin_error_mid_stream_is_a_pep249_error(conn):
    conn.execute("CREATE TABLE j (id INTEGER PRIMARY KEY, doc TEXT)")
    conn.executemany(
        "INSERT INTO j VALUES (?, ?)", [(i, "{" if i == 2000 else "[1]") for i in range(N)]
    )
    conn.commit()
    cur = conn.execute("SELECT id, json(doc) FROM j")
    assert cur.fetchone() == (0, "[1]")
    with pytest.raises(memtables.DataError, match="malformed JSON"):
        cur.fetchall()
    assert cur.fetchone() is None  # the failed result is over
    assert conn.execute("SELECT count(*) FROM j").fetchone() == (N,)


def test_closing_the_cursor_or_connection_mid_stream(pair):
    for c in pair:
        cur = c.execute("SELECT * FROM t")
        cur.fetchmany(10)
        cur.close()
        with pytest.raises(c.ProgrammingError, match="(?i)closed cursor"):
            cur.fetchone()
        cur = c.execute("SELECT * FROM t")
        cur.fetchmany(10)
        c.close()
        with pytest.raises(c.ProgrammingError, match="(?i)closed"):
            cur.fetchmany(10)


def _active(db) -> int:
    watcher = db.connect(autocommit=True)
    try:
        stats = dict(watcher.execute("SELECT * FROM sys.stats").fetchall())
    finally:
        watcher.close()
    return stats["active_transactions"] - 1  # the watcher's own read


@pytest.mark.parametrize("how", ["exhausted", "closed", "re-executed", "dropped", "failed"])
def test_an_autocommit_stream_ends_its_read_transaction(how):
    """The snapshot an autocommit query reads is held while its rows are being made, and
    no longer: it would keep old row versions from being collected."""
    db = memtables.open()
    c = db.connect(autocommit=True)
    c.execute(SCHEMA[0])
    c.executemany("INSERT INTO t VALUES (?, ?, NULL)", [(i, i) for i in range(N)])
    c.create_function("boom", 1, _boom_at(2000))
    assert _active(db) == 0
    assert c.execute("SELECT id FROM t WHERE id < 10").fetchall()  # small: whole at once
    assert _active(db) == 0
    cur = c.execute("SELECT boom(id) FROM t" if how == "failed" else "SELECT * FROM t")
    cur.fetchmany(10)
    assert _active(db) == 1
    if how == "exhausted":
        cur.fetchall()
    elif how == "closed":
        cur.close()
    elif how == "re-executed":
        cur.execute("SELECT 1")
    elif how == "dropped":
        del cur
        gc.collect()
    else:
        with pytest.raises(memtables.OperationalError):
            cur.fetchall()
    assert _active(db) == 0
    db.close()


def test_closing_the_connection_ends_its_streams():
    db = memtables.open()
    c = db.connect(autocommit=True)
    c.execute(SCHEMA[0])
    c.executemany("INSERT INTO t VALUES (?, ?, NULL)", [(i, i) for i in range(N)])
    cur = c.execute("SELECT * FROM t")
    cur.fetchone()
    c.close()
    assert _active(db) == 0
    db.close()


def test_returning_runs_whole_at_execute(pair):
    counts = []
    for c in pair:
        cur = c.execute("INSERT INTO u SELECT id + ?, 0, 0 FROM t RETURNING id", (N,))
        other = c.execute("SELECT count(*) FROM u").fetchone()
        counts.append((other, cur.fetchone(), len(cur.fetchall())))
    assert counts[0] == counts[1]


def test_fetch_record_batch_streams_batches(pair):
    m, s = pair
    cur = m.execute("SELECT id, x, s FROM t ORDER BY id")
    cur.fetchmany(5)
    reader = cur.fetch_record_batch(1000)
    sizes = [b.num_rows for b in reader]
    assert sizes == [1000, 1000, 995]
    expected = s.execute("SELECT id, x, s FROM t ORDER BY id").fetchall()[5:]
    again = m.execute("SELECT id, x, s FROM t ORDER BY id")
    again.fetchmany(5)
    table = again.fetch_record_batch(700).read_all()
    assert [tuple(r.values()) for r in table.to_pylist()] == expected
    assert str(table.schema.field("x").type) == "int64"


def test_fetch_record_batch_of_untyped_columns_has_one_type(conn):
    """A column typed by its values (here mixed integers and text) gets one Arrow type for
    the whole stream, not one per batch."""
    conn.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, v ANY)")
    conn.executemany(
        "INSERT INTO m VALUES (?, ?)", [(i, i if i < 2000 else f"t{i}") for i in range(N)]
    )
    batches = list(conn.execute("SELECT v FROM m ORDER BY id").fetch_record_batch(1000))
    assert len({str(b.schema) for b in batches}) == 1
    assert sum(b.num_rows for b in batches) == N


def test_a_large_result_is_not_built_at_execute():
    """Fetching a large computed result in batches holds about a batch of made rows, not
    the whole result (which ``fetchall`` builds)."""
    c = memtables.connect()
    c.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, x INTEGER)")
    c.executemany("INSERT INTO big VALUES (?, ?)", [(i, i) for i in range(100_000)])
    c.commit()
    query = "SELECT id, x + 1000000, 'row ' || id FROM big"

    def peak(fetch) -> int:
        gc.collect()
        tracemalloc.start()
        try:
            fetch(c.execute(query))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def batches(cur) -> None:
        while cur.fetchmany(1000):
            pass

    whole = peak(lambda cur: cur.fetchall())
    streamed = peak(batches)
    assert streamed < whole / 4, (streamed, whole)


def test_now_is_the_statements_across_fetches(conn):
    """Every row of a statement sees one 'now', even rows made long after execute()."""
    conn.execute("CREATE TABLE n (id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(N)])
    conn.commit()
    cur = conn.execute("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') FROM n")
    seen = set()
    while rows := cur.fetchmany(500):
        seen.update(rows)
        time.sleep(0.01)
    assert len(seen) == 1


def test_row_factory_applies_to_streamed_rows(pair):
    m, s = pair
    m.row_factory = memtables.Row
    s.row_factory = sqlite3.Row
    got = []
    for c in pair:
        cur = c.execute("SELECT id, s FROM t WHERE x >= 0")
        rows = [cur.fetchone()] + cur.fetchmany(600) + list(cur)
        got.append([(r["id"], r["s"]) for r in rows])
    assert got[0] == got[1] and len(got[0]) == N


def test_converters_apply_to_every_chunk():
    """``detect_types`` converters reach rows made after execute() too."""
    got = []
    for mod in (memtables, sqlite3):
        c = mod.connect(":memory:", detect_types=mod.PARSE_COLNAMES)
        mod.register_converter("pair", lambda b: tuple(map(int, b.split(b","))))
        c.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT)")
        c.executemany("INSERT INTO p VALUES (?, ?)", [(i, f"{i},{i}") for i in range(N)])
        cur = c.execute('SELECT v AS "v [pair]" FROM p')
        got.append((cur.fetchmany(300) + cur.fetchall(), cur.description[0][0]))
        c.close()
    assert got[0] == got[1]
    assert got[0][0][-1] == ((N - 1, N - 1),)


def test_the_progress_handler_stops_a_stream_at_fetch():
    c = memtables.connect()
    c.execute(SCHEMA[0])
    c.executemany("INSERT INTO t VALUES (?, ?, NULL)", [(i, i) for i in range(N)])
    c.commit()
    cur = c.execute("SELECT id FROM t")
    assert len(cur.fetchmany(10)) == 10
    c.set_progress_handler(lambda: True, 100)
    with pytest.raises(memtables.OperationalError, match="interrupted"):
        cur.fetchall()
    c.set_progress_handler(None, 0)
    assert c.execute("SELECT count(*) FROM t").fetchone() == (N,)
