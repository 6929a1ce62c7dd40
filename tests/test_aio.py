"""memtables.aio: the asyncio face, driven with ``asyncio.run`` as an application would."""

from __future__ import annotations

import asyncio
import threading

import pytest

import memtables
from memtables import aio


def run(coro):
    return asyncio.run(coro)


def test_connect_execute_fetch_and_iterate():
    async def main():
        async with aio.connect() as conn:
            await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
            cur = await conn.executemany(
                "INSERT INTO t (name) VALUES (?)", [("a",), ("b",), ("c",)]
            )
            assert cur.rowcount == 3
            await conn.commit()
            cur = await conn.execute("SELECT id, name FROM t ORDER BY id")
            assert cur.description[0][0] == "id"
            assert await cur.fetchone() == (1, "a")
            assert await cur.fetchmany(1) == [(2, "b")]
            assert await cur.fetchall() == [(3, "c")]
            cur = await conn.execute("SELECT name FROM t ORDER BY id")
            cur.arraysize = 2
            assert [row async for row in cur] == [("a",), ("b",), ("c",)]
            cur = await conn.execute("INSERT INTO t (name) VALUES ('d')")
            assert cur.lastrowid == 4
            return await (await conn.execute("SELECT count(*) FROM t")).fetchone()

    assert run(main()) == (4,)


def test_await_connect_then_close():
    async def main():
        conn = await aio.connect(autocommit=True)
        await conn.executescript("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
        rows = await (await conn.execute("SELECT x FROM t")).fetchall()
        await conn.close()
        await conn.close()  # a second close does nothing, as in sqlite3
        with pytest.raises(memtables.ProgrammingError):
            await conn.execute("SELECT 1")
        return rows

    assert run(main()) == [(1,)]


def test_transaction_commits_or_rolls_back():
    async def main():
        async with aio.connect() as conn:
            await conn.execute("CREATE TABLE t (x INTEGER)")
            await conn.commit()
            async with conn.transaction():
                await conn.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(ZeroDivisionError):
                async with conn.transaction():
                    await conn.execute("INSERT INTO t VALUES (2)")
                    raise ZeroDivisionError
            assert not conn.in_transaction
            await conn.execute("INSERT INTO t VALUES (3)")  # an implicit transaction, not committed
            with pytest.raises(memtables.ProgrammingError, match="uncommitted changes"):
                async with conn.transaction():
                    pass
            await conn.rollback()
            assert await conn.run(lambda c: c.execute("SELECT count(*) FROM t").fetchone()) == (1,)
            return await (await conn.execute("SELECT x FROM t")).fetchall()

    assert run(main()) == [(1,)]


def test_errors_are_memtables_errors():
    async def main():
        async with aio.connect() as conn:
            with pytest.raises(memtables.SQLSyntaxError):
                await conn.execute("SELEC 1")
            with pytest.raises(memtables.UndefinedTable):
                await conn.execute("SELECT * FROM missing")
            assert await (await conn.execute("SELECT 1")).fetchone() == (1,)

    run(main())


def test_a_long_query_does_not_block_the_event_loop():
    async def main():
        async with aio.connect() as conn:
            query = asyncio.create_task(
                conn.execute(
                    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                    "WHERE n < 200000) SELECT sum(n) FROM c"
                )
            )
            ticks = 0
            while not query.done():
                ticks += 1
                await asyncio.sleep(0)
            # Run on the loop's thread, the query would finish inside one step: a tick or two.
            assert ticks > 10
            return await query.result().fetchone()

    assert run(main()) == (200000 * 200001 // 2,)


def test_concurrent_tasks_share_one_database(tmp_path):
    async def worker(db, k):
        async with db.connect() as conn:
            for i in range(25):
                async with conn.transaction():
                    await conn.execute("INSERT INTO t VALUES (?, ?)", (k * 100 + i, k))

    async def main():
        db = await aio.open(str(tmp_path / "app.mtdb"))
        async with db.connect(autocommit=True) as conn:
            await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER)")
            await asyncio.gather(*(worker(db, k) for k in range(4)))
            rows = await (await conn.execute("SELECT k, count(*) FROM t GROUP BY k")).fetchall()
        await db.close()
        return sorted(rows)

    assert run(main()) == [(0, 25), (1, 25), (2, 25), (3, 25)]
    conn = memtables.connect(str(tmp_path / "app.mtdb"))  # durable: all 100 rows are there
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (100,)
    conn.close()


def test_functions_aggregates_and_collations_as_aiosqlite():
    class Total:
        def __init__(self):
            self.n = 0

        def step(self, x):
            self.n += x

        def finalize(self):
            return self.n

    async def main():
        async with aio.connect() as conn:
            await conn.create_function("twice", 1, lambda x: 2 * x, deterministic=True)
            await conn.create_aggregate("total", 1, Total)
            await conn.create_collation("backwards", lambda a, b: (a < b) - (a > b))
            await conn.executescript(
                "CREATE TABLE t (x INTEGER, s TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');"
            )
            one = await (await conn.execute("SELECT twice(x) FROM t ORDER BY x")).fetchall()
            two = await (await conn.execute("SELECT total(x) FROM t")).fetchone()
            three = await (
                await conn.execute("SELECT s FROM t ORDER BY s COLLATE backwards")
            ).fetchall()
            return one, two, three

    assert run(main()) == ([(2,), (4,)], (3,), [("b",), ("a",)])


def test_trace_callback_and_progress_handler_as_aiosqlite():
    async def main():
        async with aio.connect() as conn:
            traced: list[str] = []
            await conn.set_trace_callback(traced.append)
            await conn.execute("SELECT ?", (1,))
            await conn.set_trace_callback(None)
            await conn.execute("SELECT 2")
            await conn.execute("CREATE TABLE t (x INTEGER)")
            await conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(3000)])
            await conn.set_progress_handler(lambda: True, 1000)
            with pytest.raises(memtables.OperationalError, match="interrupted"):
                await conn.execute("SELECT sum(x) FROM t")
            await conn.set_progress_handler(None, 0)
            total = await (await conn.execute("SELECT sum(x) FROM t")).fetchone()
            return traced, total

    assert run(main()) == (["SELECT 1"], (sum(range(3000)),))


def test_interrupt_cancels_the_running_query_from_the_event_loop():
    running = threading.Event()

    def started(n):
        running.set()
        return 1

    async def main():
        async with aio.connect() as conn:
            await conn.run(lambda c: setattr(c, "max_recursive_rows", 10**12))
            await conn.create_function("started", 1, started)
            query = asyncio.create_task(
                conn.execute(  # never ends on its own
                    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                    "WHERE started(n)) SELECT count(*) FROM c"
                )
            )
            await asyncio.get_running_loop().run_in_executor(None, running.wait)
            await conn.interrupt()  # not queued behind the query: it stops it
            with pytest.raises(memtables.OperationalError, match="interrupted"):
                await query
            return await (await conn.execute("SELECT 1")).fetchone()

    assert run(main()) == (1,)


def test_iterdump_and_backup_as_aiosqlite(tmp_path):
    async def main():
        async with aio.connect() as src, aio.connect(str(tmp_path / "copy.mtdb")) as dst:
            await src.executescript(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT); INSERT INTO t VALUES (1, 'a');"
            )
            await src.commit()  # backup copies committed data
            lines = [line async for line in src.iterdump()]
            await src.backup(dst)
            copied = await (await dst.execute("SELECT * FROM t")).fetchall()
            return lines, copied

    lines, copied = run(main())
    assert lines == [
        "BEGIN TRANSACTION;",
        "CREATE TABLE t (id INTEGER, s TEXT, PRIMARY KEY (id));",
        "INSERT INTO t VALUES(1,'a');",
        "COMMIT;",
    ]
    assert copied == [(1, "a")]


def test_connect_with_detect_types(monkeypatch):
    import memtables.adapters

    monkeypatch.setattr(memtables.adapters, "_CONVERTERS", {})
    memtables.register_converter("upper", lambda b: b.decode().upper())

    async def main():
        async with aio.connect(detect_types=memtables.PARSE_COLNAMES) as conn:
            cur = await conn.execute("""SELECT 'ada' AS "name [upper]" """)
            return cur.description[0][0], await cur.fetchall()

    assert run(main()) == ("name", [("ADA",)])
