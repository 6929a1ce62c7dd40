"""memtables.aio: the asyncio face, driven with ``asyncio.run`` as an application would."""

from __future__ import annotations

import asyncio

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
