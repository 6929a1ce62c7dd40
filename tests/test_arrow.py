"""Arrow in and out: exports, imports, COPY to and from files, and the analytics tools."""

from __future__ import annotations

import datetime as dt
import threading

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import memtables

ROWS = [
    (
        1,
        10,
        1.5,
        "text",
        True,
        b"\x00\xff",
        dt.date(2024, 2, 29),
        dt.datetime(2024, 1, 2, 3, 4, 5, 6),
    ),
    (2, None, None, None, None, None, None, None),
    (3, -(2**63), -0.0, "", False, b"", dt.date(1970, 1, 1), dt.datetime(1999, 12, 31, 23, 59)),
]
DDL = (
    "CREATE TABLE all_types (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BOOLEAN, "
    "bl BLOB, d DATE, ts TIMESTAMP)"
)


@pytest.fixture
def db(conn):
    """The shared connection (in memory and durable) with one row of every type committed."""
    conn.execute(DDL)
    conn.executemany("INSERT INTO all_types VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ROWS)
    conn.commit()
    return conn


def test_export_is_typed_and_keeps_nulls(db):
    table = db.to_arrow("all_types")
    assert table.schema.types == [
        pa.int64(),
        pa.int64(),
        pa.float64(),
        pa.string(),
        pa.bool_(),
        pa.binary(),
        pa.date32(),
        pa.timestamp("us"),
    ]
    assert [tuple(r.values()) for r in table.to_pylist()] == ROWS
    q = db.to_arrow("SELECT id, i * 2 AS twice FROM all_types WHERE id < ?", (3,))
    assert q.column_names == ["id", "twice"] and q.column("twice").to_pylist() == [20, None]


def test_arrow_round_trip_every_type(db):
    assert db.from_arrow("copy", db.to_arrow("all_types"), primary_key="id") == 3
    assert db.execute("SELECT * FROM copy ORDER BY id").fetchall() == ROWS
    types = db.execute("SELECT name, type FROM sys.columns WHERE table_name = 'copy'").fetchall()
    assert [t for _n, t in types] == [
        "INTEGER",
        "INTEGER",
        "REAL",
        "TEXT",
        "BOOLEAN",
        "BLOB",
        "DATE",
        "TIMESTAMP",
    ]


@pytest.mark.parametrize("name", ["x.parquet", "x.arrow", "x.csv", "x.data"])
def test_copy_round_trip_every_type(db, tmp_path, name):
    path = tmp_path / name
    fmt = " WITH (FORMAT parquet)" if name.endswith(".data") else ""
    assert db.execute(f"COPY all_types TO '{path}'{fmt}").rowcount == 3
    db.execute("CREATE TABLE back AS SELECT * FROM all_types WHERE 0 = 1")
    assert db.execute(f"COPY back FROM '{path}'{fmt}").rowcount == 3
    got = db.execute("SELECT * FROM back ORDER BY id").fetchall()
    if name.endswith(".csv"):
        # CSV has one empty field for NULL and for '' (and b''): empty comes back as NULL
        want = [ROWS[0], ROWS[1], ROWS[2][:3] + (None, False, None) + ROWS[2][6:]]
        assert got == want
    else:
        assert got == ROWS


def test_copy_query_to_csv_with_and_without_header(db, tmp_path):
    path = tmp_path / "q.csv"
    db.execute(f"COPY (SELECT id, t FROM all_types WHERE id <> 2 ORDER BY id) TO '{path}'")
    assert path.read_text().splitlines() == ['"id","t"', '1,"text"', '3,""']
    db.execute(f"COPY (SELECT id FROM all_types ORDER BY id) TO '{path}' WITH (HEADER false)")
    assert path.read_text().split() == ["1", "2", "3"]


def test_analytics_tools_read_exports(db, tmp_path):
    path = tmp_path / "all.parquet"
    db.execute(f"COPY all_types TO '{path}'")
    assert duckdb.sql(f"SELECT count(*), sum(i) FROM '{path}'").fetchall() == [(3, 10 - 2**63)]
    cur = db.execute("SELECT id, t FROM all_types ORDER BY id")  # noqa: F841 - DuckDB reads it
    assert duckdb.sql("SELECT id FROM cur WHERE t IS NOT NULL ORDER BY id").fetchall() == [
        (1,),
        (3,),
    ]
    frame = pl.DataFrame(db.execute("SELECT id, r FROM all_types ORDER BY id"))
    assert frame["id"].to_list() == [1, 2, 3] and frame["r"].null_count() == 1
    assert pl.from_arrow(db.to_arrow("all_types")).shape == (3, 8)
    pdf = db.to_arrow("all_types").to_pandas()
    assert list(pdf["id"]) == [1, 2, 3] and pd.isna(pdf["t"][1])
    assert pq.read_table(path).num_rows == 3


def test_record_batches(db):
    cur = db.execute("SELECT id FROM all_types ORDER BY id")
    reader = cur.fetch_record_batch(rows_per_batch=2)
    assert [b.num_rows for b in reader] == [2, 1]
    cur = db.execute("SELECT id FROM all_types ORDER BY id")
    cur.fetchone()
    assert cur.fetch_arrow_table().column("id").to_pylist() == [2, 3]


def test_from_arrow_modes_and_sources(db):
    data = pa.table({"k": [1, 2], "v": ["a", "b"]})
    assert db.from_arrow("kv", data, primary_key="k") == 2
    with pytest.raises(memtables.ProgrammingError, match="already exists"):
        db.from_arrow("kv", data)
    more = pa.table({"k": [3], "v": ["c"]})
    assert (
        db.from_arrow(
            "kv", pa.RecordBatchReader.from_batches(more.schema, more.to_batches()), mode="append"
        )
        == 1
    )
    assert db.from_arrow("kv", pl.DataFrame({"k": [4], "v": ["d"]}), mode="append") == 1
    assert db.execute("SELECT count(*) FROM kv").fetchone() == (4,)
    assert db.from_arrow("kv", pa.table({"other": [1.5]}), mode="replace") == 1
    assert db.execute("SELECT * FROM kv").fetchall() == [(1.5,)]
    with pytest.raises(memtables.ProgrammingError, match="no such table"):
        db.from_arrow("nope", data, mode="append")


def test_from_arrow_refuses_unsupported_types_and_bad_data(db):
    with pytest.raises(memtables.NotSupportedError, match="list"):
        db.from_arrow("bad", pa.table({"x": [[1, 2]]}))
    assert db.execute("SELECT count(*) FROM sys.tables WHERE name = 'bad'").fetchone() == (0,)
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    db.commit()
    with pytest.raises(memtables.IntegrityError):
        db.from_arrow("t", pa.table({"k": [1, 2, 1], "v": ["a", "b", "c"]}), mode="append")
    with pytest.raises(memtables.IntegrityError):
        db.from_arrow("t", pa.table({"k": [5, 6], "v": ["a", None]}), mode="append")
    with pytest.raises(memtables.DataError):
        db.from_arrow("t", pa.table({"k": [7], "v": [3]}), mode="append")
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)  # nothing of any load
    stamped = pa.table(
        {"ts": pa.array([dt.datetime(2024, 1, 1, 12)], pa.timestamp("s", tz="+02:00"))}
    )
    db.from_arrow("tz", stamped)
    assert db.execute("SELECT ts FROM tz").fetchone() == (dt.datetime(2024, 1, 1, 12),)


def test_bad_files_give_clear_errors_and_change_nothing(db, tmp_path):
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    db.execute("INSERT INTO t VALUES (1, 'keep')")
    db.commit()
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("k,v\n2,a\n3\n")
    with pytest.raises(memtables.DataError, match="ragged.csv.*Expected 2 columns"):
        db.execute(f"COPY t FROM '{ragged}'")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("k,v\n2,a\nthree,b\n")
    with pytest.raises(memtables.DataError, match="wrong.csv"):
        db.execute(f"COPY t FROM '{wrong}'")
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"k": [2, 3], "v": ["a", "b"]}), good)
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(good.read_bytes()[:40])
    with pytest.raises(memtables.DataError, match="truncated.parquet"):
        db.execute(f"COPY t FROM '{truncated}'")
    with pytest.raises(memtables.OperationalError, match="no such file"):
        db.execute(f"COPY t FROM '{tmp_path / 'missing.csv'}'")
    with pytest.raises(memtables.ProgrammingError, match="format"):
        db.execute(f"COPY t TO '{tmp_path / 'x.unknown'}'")
    dup = tmp_path / "dup.parquet"
    pq.write_table(pa.table({"k": [5, 1], "v": ["x", "y"]}), dup)
    with pytest.raises(memtables.IntegrityError):
        db.execute(f"COPY t FROM '{dup}'")
    assert db.execute("SELECT * FROM t").fetchall() == [(1, "keep")]
    assert db.execute(f"COPY t FROM '{good}'").rowcount == 2


def test_export_is_snapshot_consistent_under_a_concurrent_writer():
    db = memtables.open()
    setup = db.connect()
    setup.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER)")
    setup.executemany("INSERT INTO acct VALUES (?, 100)", [(i,) for i in range(2000)])
    setup.commit()
    stop = threading.Event()

    def writer():
        conn = db.connect(autocommit=True)
        i = 0
        while not stop.is_set():
            a, b = i % 2000, (i * 7 + 1) % 2000
            conn.execute("BEGIN")
            conn.execute("UPDATE acct SET bal = bal - 1 WHERE id = ?", (a,))
            conn.execute("UPDATE acct SET bal = bal + 1 WHERE id = ?", (b,))
            conn.execute("COMMIT")
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        reader = db.connect(autocommit=True)
        for _ in range(20):
            table = reader.to_arrow("acct")
            assert sum(table.column("bal").to_pylist()) == 200_000
    finally:
        stop.set()
        t.join()


def test_cache_table_export_hides_expired_rows_and_the_ttl_column():
    clock = memtables.ManualClock(0)
    conn = memtables.connect(clock=clock)
    conn.execute("CREATE CACHE TABLE c (k INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO c VALUES (1, 'stays')")
    conn.execute("INSERT INTO c VALUES (2, 'goes') TTL 10")
    clock.advance(10)
    table = conn.to_arrow("c")
    assert table.column_names == ["k", "v"] and table.column("k").to_pylist() == [1]


def test_from_arrow_on_an_autocommit_connection_is_one_statement():
    conn = memtables.connect()
    conn.autocommit = True
    assert conn.from_arrow("w", pa.table({"a": [1, 2]})) == 2
    assert conn.execute("SELECT a FROM w ORDER BY a").fetchall() == [(1,), (2,)]
    assert not conn.in_transaction
    # a replace that fails while loading leaves the old table, columns and rows alike
    with pytest.raises(memtables.IntegrityError):
        conn.from_arrow("w", pa.table({"b": ["x", "x"]}), mode="replace", primary_key="b")
    assert conn.execute("SELECT a FROM w ORDER BY a").fetchall() == [(1,), (2,)]
    running = conn.execute("SELECT count(*) FROM sys.transactions").fetchone()[0]
    assert running == 1  # only the query asking


def test_duckdb_style_arrow_df_and_pl_on_a_result():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, day DATE)")
    conn.execute("INSERT INTO t VALUES (1, 'a', DATE '2024-01-02'), (2, NULL, NULL)")
    q = "SELECT id, name, day FROM t ORDER BY id"
    table = conn.execute(q).arrow()
    assert table.schema.field("day").type == pa.date32()
    assert table.to_pylist()[1] == {"id": 2, "name": None, "day": None}
    frame = conn.execute(q).df()
    assert isinstance(frame, pd.DataFrame) and frame["id"].tolist() == [1, 2]
    assert pd.isna(frame["name"][1])
    plf = conn.execute(q).pl()
    assert isinstance(plf, pl.DataFrame)
    assert plf.to_dict(as_series=False) == {
        "id": [1, 2],
        "name": ["a", None],
        "day": [dt.date(2024, 1, 2), None],
    }
    cur = conn.execute(q)
    assert cur.fetchone() == (1, "a", dt.date(2024, 1, 2))
    assert cur.pl()["id"].to_list() == [2]  # what is left of the result, as fetch_arrow_table
