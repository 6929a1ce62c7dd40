"""Strict column types."""

from __future__ import annotations

import datetime as dt

import pytest

from memtables import types as T
from memtables.errors import DataError, ProgrammingError


@pytest.mark.parametrize(
    "declared, expected",
    [
        ("INTEGER", T.INTEGER),
        ("int", T.INTEGER),
        ("BIGINT", T.INTEGER),
        ("VARCHAR(20)", T.TEXT),
        ("character varying", T.TEXT),
        ("TEXT", T.TEXT),
        ("REAL", T.REAL),
        ("DOUBLE PRECISION", T.REAL),
        ("FLOAT", T.REAL),
        ("DECIMAL(10,2)", T.REAL),
        ("BOOLEAN", T.BOOLEAN),
        ("bool", T.BOOLEAN),
        ("BLOB", T.BLOB),
        ("bytea", T.BLOB),
        ("DATE", T.DATE),
        ("TIMESTAMP", T.TIMESTAMP),
        ("DATETIME", T.TIMESTAMP),
    ],
)
def test_type_names(declared, expected):
    assert T.type_from_name(declared) is expected


def test_unknown_type_name():
    with pytest.raises(ProgrammingError):
        T.type_from_name("WIDGET")


def test_integer():
    assert T.check_integer(5) == 5
    assert T.check_integer(True) == 1
    assert T.check_integer(5.0) == 5 and type(T.check_integer(5.0)) is int
    for bad in (5.5, "5", b"5", 2**63):
        with pytest.raises(DataError):
            T.check_integer(bad)


def test_real_widens_integers():
    assert T.check_real(3) == 3.0 and type(T.check_real(3)) is float
    with pytest.raises(DataError):
        T.check_real("3.0")


def test_text_blob_boolean():
    assert T.check_text("x") == "x"
    with pytest.raises(DataError):
        T.check_text(1)
    assert T.check_blob(bytearray(b"a")) == b"a"
    with pytest.raises(DataError):
        T.check_blob("a")
    assert T.check_boolean(1) is True and T.check_boolean(0) is False
    with pytest.raises(DataError):
        T.check_boolean(2)


def test_dates():
    assert T.check_date("2024-02-29") == dt.date(2024, 2, 29)
    assert T.check_timestamp("2024-02-29 10:11:12") == dt.datetime(2024, 2, 29, 10, 11, 12)
    assert T.check_timestamp(dt.date(2024, 1, 1)) == dt.datetime(2024, 1, 1)
    with pytest.raises(DataError, match="YYYY-MM-DD"):
        T.check_date("yesterday")
    with pytest.raises(DataError):
        T.check_date(20240101)


# ---------------------------------------------------------------- issue 12: values
# NaN, aware timestamps, lone surrogates, 64-bit overflow, -0.0 and the rowid counter.

import math  # noqa: E402

import memtables  # noqa: E402

NAN = float("nan")
UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))
INT_MAX = (1 << 63) - 1
INT_MIN = -(1 << 63)


def test_nan_becomes_null_under_primary_key_and_unique(conn):
    conn.execute("CREATE TABLE r (x REAL PRIMARY KEY, y REAL UNIQUE)")
    conn.execute("INSERT INTO r VALUES (1.0, ?)", (float("nan"),))
    conn.execute("INSERT INTO r VALUES (2.0, ?)", (float("nan"),))
    assert conn.execute("SELECT x, y FROM r ORDER BY x").fetchall() == [(1.0, None), (2.0, None)]
    with pytest.raises(memtables.IntegrityError):  # a NaN key is a NULL key
        conn.execute("INSERT INTO r VALUES (?, 3.0)", (float("nan"),))


def test_nan_every_way_in_is_null(conn):
    import pyarrow as pa

    conn.execute("CREATE TABLE s (k INTEGER PRIMARY KEY, x REAL, a ANY)")
    conn.execute("CREATE INDEX s_x ON s USING SORTED (x)")
    conn.execute("INSERT INTO s VALUES (1, 1e999 - 1e999, ?)", (NAN,))
    conn.executemany("INSERT INTO s VALUES (?, ?, ?)", [(2, NAN, NAN), (3, 2.0, 1)])
    conn.execute("UPDATE s SET x = ?, a = ? * 0 WHERE k = 3", (NAN, float("inf")))
    conn.from_arrow("s", pa.table({"k": [4], "x": [NAN], "a": [5]}), mode="append")
    conn.executemany("INSERT INTO s VALUES (?, ?, NULL)", [(5, 1.0), (6, 3.0), (7, 0.5)])
    rows = conn.execute("SELECT k, x, a FROM s WHERE k < 5 ORDER BY k").fetchall()
    assert rows == [(1, None, None), (2, None, None), (3, None, None), (4, None, 5)]
    assert conn.execute("SELECT x FROM s WHERE x > 0.9 ORDER BY x").fetchall() == [(1.0,), (3.0,)]
    assert conn.execute("SELECT min(x), max(x), count(x) FROM s").fetchone() == (0.5, 3.0, 3)


def test_nan_in_cache_table(conn):
    conn.execute("CREATE CACHE TABLE c (k TEXT PRIMARY KEY, v ANY)")
    kv = conn.cache("c")
    kv.set("a", NAN)
    assert kv.get("a") is None


def test_nan_results_are_null_and_sort(conn):
    conn.execute("CREATE TABLE n (x REAL)")
    conn.executemany("INSERT INTO n VALUES (?)", [(0.0,), (1.0,), (2.0,), (-1.0,)])
    inf = float("inf")
    assert conn.execute(
        "SELECT ?, ? * 0, ? - ?, ? / ?", (NAN, inf, inf, inf, inf, inf)
    ).fetchone() == (
        None,
        None,
        None,
        None,
    )
    got = conn.execute("SELECT x FROM n ORDER BY x * ?, x", (inf,)).fetchall()
    assert got == [(0.0,), (-1.0,), (1.0,), (2.0,)]  # 0 * inf is NULL, first
    sums = "SELECT sum(v), total(v), avg(v) FROM (SELECT ? AS v UNION ALL SELECT ?)"
    assert conn.execute(sums, (inf, -inf)).fetchone() == (None, None, None)
    # a NOT NULL column still gives NULL once its arithmetic is NaN; nothing assumes otherwise
    conn.execute("CREATE TABLE nn (r REAL NOT NULL, s REAL NOT NULL)")
    conn.execute("INSERT INTO nn VALUES (1e308, 1e999), (1.0, -1e999)")
    q = "SELECT r - r * 10 * 0, -(r * 10 * 0), r * 10 * 0 < 1, total(s) + 1 FROM nn"
    assert conn.execute(q).fetchone() == (None, None, None, None)


def test_aware_timestamps_become_naive_utc(conn):
    import pyarrow as pa

    conn.execute("CREATE TABLE ts (k INTEGER PRIMARY KEY, t TIMESTAMP, a ANY)")
    conn.execute("CREATE INDEX ts_t ON ts USING SORTED (t)")
    conn.execute("CREATE INDEX ts_a ON ts (a)")
    aware = dt.datetime(2020, 1, 1, 12, tzinfo=PLUS2)
    conn.execute("INSERT INTO ts VALUES (1, ?, ?)", (aware, aware))
    conn.execute("INSERT INTO ts VALUES (2, '2020-01-02 00:00:00+02:00', NULL)")
    conn.execute("INSERT INTO ts VALUES (3, ?, NULL)", (dt.datetime(2020, 1, 3),))
    conn.from_arrow(
        "ts", pa.table({"k": [4], "t": pa.array([aware], pa.timestamp("us", "UTC"))}), "append"
    )
    ten = dt.datetime(2020, 1, 1, 10)
    rows = conn.execute("SELECT k, t FROM ts WHERE t >= ? ORDER BY t, k", (aware,)).fetchall()
    assert rows == [
        (1, ten),
        (4, ten),
        (2, dt.datetime(2020, 1, 1, 22)),
        (3, dt.datetime(2020, 1, 3)),
    ]
    assert conn.execute("SELECT a FROM ts WHERE a = ?", (ten,)).fetchall() == [(ten,)]
    assert conn.execute(
        "SELECT count(*) FROM ts WHERE t > '2020-01-01 12:00+02:00'"
    ).fetchone() == (2,)
    assert conn.execute(
        "SELECT CAST('2020-01-01 12:00+02:00' AS TIMESTAMP), TIMESTAMP '2020-01-01 12:00+02:00'"
    ).fetchone() == (ten, ten)


def test_timestamp_compared_with_text_or_date(conn):
    conn.execute("CREATE TABLE ts (t TIMESTAMP, d DATE, s TEXT)")
    conn.execute("CREATE TABLE tsi (t TIMESTAMP, d DATE, s TEXT)")
    conn.execute("CREATE INDEX tsi_t ON tsi USING SORTED (t)")
    conn.execute("CREATE INDEX tsi_d ON tsi (d)")
    for table in ("ts", "tsi"):  # a scan and an index agree
        conn.execute(f"INSERT INTO {table} VALUES ('2020-01-01 10:00', '2020-01-01', 'x')")
        q = f"SELECT count(*) FROM {table} WHERE "
        assert conn.execute(q + "t > DATE '2020-01-01'").fetchone() == (1,)
        assert conn.execute(q + "t > ?", ("2020-01-01",)).fetchone() == (1,)
        assert conn.execute(q + "t > ?", ("2020-01-01 12:00+04:00",)).fetchone() == (1,)
        assert conn.execute(q + "t < ?", (dt.date(2020, 1, 2),)).fetchone() == (1,)
        assert conn.execute(q + "d = ?", ("2020-01-01",)).fetchone() == (1,)
        assert conn.execute(q + "d = ?", (dt.datetime(2020, 1, 1),)).fetchone() == (1,)
        assert conn.execute(q + "d < ?", (dt.datetime(2020, 1, 1, 1),)).fetchone() == (1,)
        assert conn.execute(q + "d > ?", (dt.datetime(2020, 1, 1, 1),)).fetchone() == (0,)
        # text that is no date: a clear error for a literal or parameter, class order
        # (text before dates, as in SQLite) between columns, so no row can make it fail
        for sql, params in ((q + "t > 'abc'", ()), (q + "t > ?", ("abc",))):
            with pytest.raises(memtables.DataError, match="cannot compare|invalid TIMESTAMP"):
                conn.execute(sql, params).fetchall()
        assert conn.execute(q + "t > s AND d > s AND s < t").fetchone() == (1,)


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "x" * 50 + "\udc80"])
def test_lone_surrogates_refused(conn, text):
    conn.execute("CREATE TABLE u (k INTEGER PRIMARY KEY, s TEXT, a ANY)")
    conn.execute("CREATE CACHE TABLE c (k TEXT PRIMARY KEY, v ANY)")
    for sql, params in [
        ("INSERT INTO u VALUES (1, ?, NULL)", (text,)),
        ("INSERT INTO u VALUES (1, NULL, ?)", (text,)),
        ("SELECT hex(?)", (text,)),
        ("SELECT CAST(? AS BLOB)", (text,)),
        (f"SELECT '{text}'", ()),
        (f"INSERT INTO u VALUES (1, '{text}', NULL)", ()),
    ]:
        with pytest.raises(memtables.DataError, match="not valid Unicode"):
            conn.execute(sql, params)
    with pytest.raises(memtables.DataError, match="not valid Unicode"):
        conn.executemany("INSERT INTO u VALUES (?, ?, NULL)", [(1, "ok"), (2, text)])
    with pytest.raises(memtables.DataError, match="not valid Unicode"):
        conn.cache("c").set("k", text)
    with pytest.raises(memtables.DataError, match="not valid Unicode"):
        conn.cache("c").set(text, 1)
    assert conn.execute("SELECT count(*) FROM u").fetchone() == (0,)
    conn.execute("INSERT INTO u VALUES (1, ?, ?)", ("\U0001f600 é", "ü"))  # valid text is fine
    assert conn.execute("SELECT hex(s) FROM u").fetchone() == ("F09F988020C3A9",)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 9223372036854775807 + 1",
        "SELECT -9223372036854775807 - 2",
        "SELECT 4611686018427387904 * 2",
        "SELECT -x FROM (SELECT -9223372036854775807 - 1 AS x)",
        "SELECT (-9223372036854775807 - 1) / -1",
        "SELECT abs(-9223372036854775807 - 1)",
        "SELECT sum(x) FROM (SELECT 9223372036854775807 AS x UNION ALL SELECT 1)",
        "SELECT x + 1 FROM big",
        "SELECT x * x FROM big",
        "SELECT -y FROM big",
        "SELECT sum(x) FROM (SELECT x FROM big UNION ALL SELECT x FROM big)",
    ],
)
def test_integer_overflow_raises(conn, sql):
    conn.execute("CREATE TABLE big (x INTEGER NOT NULL, y INTEGER)")
    conn.execute("INSERT INTO big VALUES (9223372036854775807, -9223372036854775807 - 1)")
    with pytest.raises(memtables.DataError, match="integer overflow"):
        conn.execute(sql).fetchall()


def test_integer_range_edges(conn):
    conn.execute("CREATE TABLE big (x INTEGER)")
    # like sqlite3: an integer literal out of range is REAL; total() and avg() are REAL
    assert conn.execute("SELECT 9223372036854775808, -9223372036854775808").fetchone() == (
        9223372036854775808.0,
        INT_MIN,
    )
    assert type(conn.execute("SELECT 9223372036854775808").fetchone()[0]) is float
    assert conn.execute("SELECT 9223372036854775807 + 1.0").fetchone() == (2.0**63,)
    q = "SELECT total(x), avg(x) FROM (SELECT 9223372036854775807 AS x UNION ALL SELECT 1)"
    assert conn.execute(q).fetchone() == (2.0**63, 2.0**62)
    assert conn.execute("SELECT CAST('99999999999999999999' AS INTEGER)").fetchone() == (INT_MAX,)
    # a constant that would overflow raises where it is evaluated, not in a branch never taken
    never = "SELECT CASE WHEN 0 THEN -CAST(-9223372036854775808 AS INTEGER) END"
    assert conn.execute(never).fetchone() == (None,)
    for bad in (1 << 63, INT_MIN - 1):
        with pytest.raises(memtables.DataError):
            conn.execute("INSERT INTO big VALUES (?)", (bad,))
        with pytest.raises(memtables.DataError):
            conn.execute("SELECT ?", (bad,))
    assert conn.execute("SELECT count(*) FROM big").fetchone() == (0,)


def test_arrow_export_never_overflows(conn):
    # nothing out of range can be produced any more; the export itself also refuses cleanly
    from memtables.arrow import column_array

    with pytest.raises(memtables.DataError):
        column_array([1 << 64], T.INTEGER)
    got = conn.execute("SELECT 9223372036854775808 AS x").fetch_arrow_table()
    assert got.column("x").to_pylist() == [2.0**63]


def test_negative_zero_constants_keep_their_sign(conn):
    a, b = conn.execute("SELECT -0.0, 0.0").fetchone()
    assert math.copysign(1, a) == -1 and math.copysign(1, b) == 1
    a, b = conn.execute("SELECT 0.0, -0.0").fetchone()
    assert math.copysign(1, a) == 1 and math.copysign(1, b) == -1
    assert conn.execute("SELECT 1, 1.0, TRUE").fetchone() == (1, 1.0, True)
    assert [type(v) for v in conn.execute("SELECT 1, 1.0, TRUE").fetchone()] == [int, float, bool]


def test_failed_insert_keeps_rowid_counter(tmp_path):
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE k (id INTEGER PRIMARY KEY, u TEXT UNIQUE)")
    conn.execute("CREATE TABLE h (u TEXT UNIQUE)")  # hidden rowid
    conn.execute("INSERT INTO k VALUES (9223372036854775806, 'a')")
    conn.execute("INSERT INTO h VALUES ('a')")
    conn.commit()
    for sql in (
        "INSERT INTO k (u) VALUES ('a')",
        "INSERT INTO k VALUES (9223372036854775807, 'a')",
    ):
        with pytest.raises(memtables.IntegrityError):
            conn.execute(sql)
    with pytest.raises(memtables.IntegrityError):  # the second row fails, the first is undone
        conn.execute("INSERT INTO h VALUES ('b'), ('a')")
    conn.execute("INSERT INTO k (u) VALUES ('b')")
    assert conn.execute("INSERT INTO h VALUES ('c')").lastrowid == 2
    conn.commit()
    live = conn.execute("SELECT id FROM k ORDER BY id").fetchall()
    assert live == [(INT_MAX - 1,), (INT_MAX,)]
    conn.close()
    conn = memtables.connect(path)  # the counter after a reopen is the same
    assert conn.execute("SELECT id FROM k ORDER BY id").fetchall() == live
    assert conn.execute("INSERT INTO h VALUES ('d')").lastrowid == 3
    conn.close()


def test_rolled_back_transaction_releases_rowids(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.commit()
    conn.execute("INSERT INTO t (v) VALUES ('a'), ('b')")
    conn.rollback()
    conn.execute("INSERT INTO t (v) VALUES ('c')")
    assert conn.execute("SELECT id FROM t").fetchall() == [(1,)]


def test_copy_from_csv_nan_is_null(conn, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("k,x\n1,nan\n2,2.5\n3,NaN\n")
    conn.execute("CREATE TABLE r (k INTEGER PRIMARY KEY, x REAL UNIQUE)")
    conn.execute(f"COPY r FROM '{path}'")
    assert conn.execute("SELECT k, x FROM r ORDER BY k").fetchall() == [
        (1, None),
        (2, 2.5),
        (3, None),
    ]


def test_redo_log_written_before_normalising_reads_back_normalised():
    # logs from before this rule may hold NaN and offsets; replay applies the rule
    from memtables import wal

    ops = wal.decode_payload(
        b'[["put", "t", 1, [NaN, Infinity, {"t": "2020-01-01T12:00:00+02:00"}]]]'
    )
    assert ops == [["put", "t", 1, [None, float("inf"), dt.datetime(2020, 1, 1, 10)]]]


def test_odd_values_reopen_equal(tmp_path):
    # stored normalised, so the log, a snapshot and the live database agree
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE v (k INTEGER PRIMARY KEY, r REAL, t TIMESTAMP, a ANY, s TEXT)")
    conn.execute("CREATE INDEX v_r ON v USING SORTED (r)")
    values = [
        (1, NAN, dt.datetime(2020, 1, 1, 12, tzinfo=PLUS2), NAN, "\U0001f600"),
        (2, -0.0, dt.datetime(2020, 1, 1, 12), dt.datetime(2020, 1, 1, tzinfo=UTC), ""),
        (3, float("inf"), None, -0.0, "ß"),
        (4, float("-inf"), None, INT_MIN, None),
    ]
    conn.executemany("INSERT INTO v VALUES (?, ?, ?, ?, ?)", values)
    conn.commit()
    query = "SELECT k, r, t, a, s, CAST(r AS TEXT) FROM v ORDER BY r, k"
    live = conn.execute(query).fetchall()
    assert live[0][:4] == (1, None, dt.datetime(2020, 1, 1, 10), None)
    conn.close()
    for step in ("log", "snapshot"):
        conn = memtables.connect(path)
        got = conn.execute(query).fetchall()
        assert got == live, step
        assert [math.copysign(1, r[1]) for r in got if r[1] == 0] == [-1.0]
        if step == "log":
            conn.execute("CHECKPOINT")
        conn.close()


def test_rowid_of_a_row_inserted_and_deleted_in_one_transaction_survives_reopen(tmp_path):
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.commit()
    conn.execute("INSERT INTO t VALUES (100, 'x')")
    conn.execute("DELETE FROM t WHERE id = 100")
    conn.commit()
    conn.close()
    conn = memtables.connect(path)  # the log says only "delete 100"; the number is taken
    assert conn.execute("INSERT INTO t (v) VALUES ('y')").lastrowid == 101
    conn.close()


def test_fold_is_not_kept_so_a_reopen_gives_back_what_was_read(tmp_path):
    # fold only disambiguates a local time in a zone; naive stored values drop it
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE f (k INTEGER PRIMARY KEY, t TIMESTAMP, a ANY)")
    folded = dt.datetime(2020, 11, 1, 1, 30, fold=1)
    conn.execute("INSERT INTO f VALUES (1, ?, ?)", (folded, folded))
    conn.execute("INSERT INTO f VALUES (2, ?, ?)", (dt.datetime(2020, 1, 1), folded))
    conn.commit()
    live = conn.execute("SELECT t, a FROM f ORDER BY k").fetchall()
    assert [v.fold for row in live for v in row] == [0, 0, 0, 0]
    conn.close()
    conn = memtables.connect(path)
    assert [tuple(repr(v) for v in r) for r in conn.execute("SELECT t, a FROM f ORDER BY k")] == [
        tuple(repr(v) for v in r) for r in live
    ]
    conn.close()
