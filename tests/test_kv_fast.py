"""The key-value face's one-key path (``kv.get``/``kv.set`` outside a transaction): what a
user sees must be what the transactional path shows. Snapshots other connections hold keep
their rows, bad values change nothing, TTLs and the LRU order hold, and an eviction made by a
plain ``kv.set`` is as visible (or as invisible) as one made by SQL."""

from __future__ import annotations

import pytest

import memtables


def lru_db(max_rows=3, clock=None, columns="k TEXT PRIMARY KEY, v INTEGER", path=None):
    clock = clock or memtables.ManualClock(1000)
    db = memtables.open(path, clock=clock) if path else memtables.open(clock=clock)
    conn = db.connect()
    conn.execute(
        f"CREATE CACHE TABLE c ({columns}) WITH (max_rows = {max_rows}, eviction = 'allkeys-lru')"
    )
    conn.commit()
    return db, conn, clock, conn.cache("c")


def rows(conn):
    return dict(conn.execute("SELECT k, v FROM c").fetchall())


def test_a_reader_snapshot_keeps_its_rows_while_kv_writes_go_on():
    db, conn, _clock, kv = lru_db(max_rows=3)
    kv.set("a", 1)
    kv.set("b", 2)
    reader = db.connect()
    assert rows(reader) == {"a": 1, "b": 2}  # its snapshot is taken here
    kv.set("a", 10)  # an update
    kv.set("c", 3)  # a new key
    kv.set("d", 4)  # past the bound: evicts "b", the least recently used
    kv.set("a", 100)  # the same key twice while the snapshot is open
    assert rows(reader) == {"a": 1, "b": 2}
    assert kv.get("a") == 100 and kv.get("b") is None
    assert rows(conn) == {"a": 100, "c": 3, "d": 4}
    reader.commit()
    assert rows(reader) == {"a": 100, "c": 3, "d": 4}
    assert kv.stats()["evictions"] == 1


def test_a_transaction_sees_its_own_kv_writes_and_others_see_them_at_commit():
    db, conn, _clock, kv = lru_db(max_rows=5)
    kv.set("a", 1)
    other = db.connect()
    conn.execute("UPDATE c SET v = 2 WHERE k = 'a'")  # conn is now in a transaction
    kv.set("b", 3)  # runs in that transaction
    assert kv.get("a") == 2 and kv.get("b") == 3
    assert other.cache("c").get("a") == 1 and other.cache("c").get("b") is None
    conn.rollback()
    assert kv.get("a") == 1 and kv.get("b") is None
    assert other.cache("c").get("a") == 1


def test_lru_eviction_by_kv_set_follows_reads():
    _db, conn, _clock, kv = lru_db(max_rows=3)
    for k in "abc":
        kv.set(k, 1)
    kv.get("a")  # "b" is now the least recently used
    kv.set("d", 1)
    assert sorted(rows(conn)) == ["a", "c", "d"]
    kv.set("c", 2)  # a write is a use too: "a" goes next
    kv.set("e", 1)
    assert sorted(rows(conn)) == ["c", "d", "e"]
    assert kv.stats()["evictions"] == 2
    kv.cache._check(kv.table, bounded=True)


def test_ttl_and_statistics_on_the_one_key_path():
    _db, conn, clock, kv = lru_db(max_rows=10)
    kv.set("a", 1, ttl=5)
    kv.set("b", 2)
    assert kv.get("a") == 1 and kv.ttl("a") == 5
    clock.advance(5)
    assert kv.get("a", "gone") == "gone"  # expired exactly at its deadline
    assert kv.get("b") == 2 and kv.get("zzz") is None
    assert rows(conn) == {"b": 2}
    stats = kv.stats()
    assert (stats["hits"], stats["misses"]) == (2, 2)  # ttl() counts neither
    kv.set("b", 3, ttl=1)  # a TTL on a key that had none, then removed again
    kv.set("b", 4)
    clock.advance(2)
    assert kv.get("b") == 4 and kv.ttl("b") is None
    kv.set("b", 5, ttl=2.5)
    assert conn.execute("SELECT _expires_at FROM c WHERE k = 'b'").fetchone() == (1009.5,)
    kv.cache._check(kv.table, bounded=True)


@pytest.mark.parametrize(
    "value, error",
    [
        ("x", memtables.DataError),
        (2.5, memtables.DataError),
        (None, memtables.IntegrityError),
        (-1, memtables.IntegrityError),
        (1 << 70, memtables.DataError),
    ],
)
def test_a_bad_value_is_refused_and_changes_nothing(value, error):
    db, conn, _clock, kv = lru_db(
        max_rows=2, columns="k TEXT PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0)"
    )
    kv.set("a", 1)
    kv.set("b", 2)
    reader = db.connect()
    rows(reader)
    for key in ("a", "new"):  # an update, and a new key that would evict
        with pytest.raises(error):
            kv.set(key, value)
        assert rows(conn) == {"a": 1, "b": 2}
        assert kv.stats()["evictions"] == 0
    kv.cache._check(kv.table, bounded=True)
    kv.set("a", 2.0)  # an integral float is stored as the integer, as SQL stores it
    assert conn.execute("SELECT v, typeof(v) FROM c WHERE k = 'a'").fetchone() == (2, "integer")


def test_a_key_of_another_type_is_converted_or_refused():
    _db, conn, _clock, kv = lru_db(max_rows=3, columns="k INTEGER PRIMARY KEY, v TEXT")
    kv.set(1, "one")
    kv.set(2.0, "two")  # stored under the integer 2, as an INSERT would
    assert kv.get(2) == "two" and kv.get(2.0) == "two" and kv.get("1") is None
    with pytest.raises(memtables.DataError):
        kv.set("x", "no")
    with pytest.raises(memtables.DataError):
        kv.get([1])  # not hashable
    assert rows(conn) == {1: "one", 2: "two"}


def test_noeviction_refuses_a_kv_write_past_the_bound():
    conn = memtables.connect()
    conn.execute("CREATE CACHE TABLE c (k TEXT PRIMARY KEY, v INTEGER) WITH (max_rows = 1)")
    kv = conn.cache("c")
    kv.set("a", 1)
    kv.set("a", 2)  # an update fits
    with pytest.raises(memtables.OperationalError, match="is full"):
        kv.set("b", 1)
    assert rows(conn) == {"a": 2}


def test_a_durable_cache_table_keeps_kv_writes(tmp_path):
    path = str(tmp_path / "db")
    db, conn, _clock, kv = lru_db(max_rows=2, path=path)
    for k in "abc":
        kv.set(k, ord(k), ttl=60)
    db.close()
    db = memtables.open(path, clock=memtables.ManualClock(1000))
    assert rows(db.connect()) == {"b": 98, "c": 99}
    db.close()


def test_kv_calls_on_a_closed_connection_are_refused():
    _db, conn, _clock, kv = lru_db()
    kv.set("a", 1)
    conn.close()
    with pytest.raises(memtables.ProgrammingError):
        kv.get("a")
    with pytest.raises(memtables.ProgrammingError):
        kv.set("a", 2)


def test_a_table_with_an_index_keeps_it_in_step():
    db, conn, _clock, kv = lru_db(max_rows=2)
    conn.execute("CREATE INDEX c_v ON c (v)")
    conn.commit()
    reader = db.connect()
    assert rows(reader) == {}  # its snapshot is taken here
    kv.set("a", 1)
    kv.set("b", 2)
    assert reader.execute("SELECT k FROM c WHERE v = 1").fetchall() == []
    kv.set("a", 3)
    kv.set("c", 1)  # evicts "b"
    assert conn.execute("SELECT k FROM c WHERE v = 1").fetchall() == [("c",)]
    assert conn.execute("SELECT k FROM c WHERE v = 2").fetchall() == []
    assert conn.execute("SELECT k FROM c WHERE v = 3").fetchall() == [("a",)]
    reader.commit()
    assert reader.execute("SELECT k FROM c WHERE v = 3").fetchall() == [("a",)]
    kv.table._check()
