"""pandas and polars with a bare DB-API connection (no SQLAlchemy engine).

pandas treats any DB-API connection that is not sqlite3's as sqlite3 (its ``SQLiteDatabase``
fallback, with a UserWarning): it asks ``sqlite_master`` whether a table exists and writes
with ``?`` placeholders. Each test runs the same pandas calls on a sqlite3 connection and on
a memtables one and compares. ``read_sql_table`` needs SQLAlchemy with any DB-API
connection, sqlite3's included; polars' ``write_database`` takes no DB-API connection at
all: both say so themselves, and the SQLAlchemy engine (``memtables://``) is the way.
"""

from __future__ import annotations

import sqlite3
import warnings

import pytest

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

pytestmark = pytest.mark.filterwarnings("ignore:pandas only supports SQLAlchemy:UserWarning")


def frame():
    """Every dtype to_sql maps: int, float with NaN, str with None, bool, datetime with NaT."""
    return pd.DataFrame(
        {
            "n": [1, 2, 3],
            "x": [1.5, np.nan, -2.25],
            "s": ["a", None, "c'q"],
            "ok": [True, False, True],
            "at": pd.to_datetime(["2024-01-01 00:00:00", "2024-02-03 04:05:06", None]),
        },
        index=pd.Index([10, 20, 30], name="id"),
    )


@pytest.fixture
def lite():
    c = sqlite3.connect(":memory:")
    yield c
    c.close()


def read(con, sql="SELECT * FROM t ORDER BY 1", **kw):
    # sqlite3 gives timestamps back as text, memtables as datetimes: parse both alike
    kw.setdefault("parse_dates", ["at"])
    return pd.read_sql_query(sql, con, **kw)


def test_to_sql_warns_that_pandas_falls_back(conn):
    with pytest.warns(UserWarning, match="pandas only supports SQLAlchemy"):
        frame().to_sql("t", conn)


@pytest.mark.parametrize("index", [True, False])
def test_to_sql_round_trip_as_sqlite(conn, lite, index):
    df = frame()
    assert df.to_sql("t", conn, index=index) == df.to_sql("t", lite, index=index) == 3
    got, want = read(conn), read(lite)
    pd.testing.assert_frame_equal(got, want)
    assert list(got.columns) == (["id"] if index else []) + list(df.columns)
    assert got["x"].isna().tolist() == [False, True, False]
    assert got["s"].isna().tolist() == [False, True, False]
    assert got["at"].isna().tolist() == [False, False, True]
    # the table pandas made, and its index on "id", are in sqlite_master as in SQLite
    names = "SELECT type, name FROM sqlite_master ORDER BY type, name"
    assert conn.execute(names).fetchall() == lite.execute(names).fetchall()


@pytest.mark.parametrize("mode", ["fail", "replace", "append", "delete_rows"])
def test_if_exists_modes_as_sqlite(conn, lite, mode):
    df = frame()
    for c in (conn, lite):
        df.to_sql("t", c, index=False)
    outcomes = []
    for c in (conn, lite):
        try:
            n = df.iloc[:2].to_sql("t", c, index=False, if_exists=mode)
            outcomes.append(("wrote", n, len(read(c))))
        except ValueError as e:
            outcomes.append(("refused", str(e), len(read(c))))
    assert outcomes[0] == outcomes[1]
    pd.testing.assert_frame_equal(read(conn), read(lite))


def test_chunks_multi_rows_dtype_and_index_label(conn, lite):
    df = frame()
    for c in (conn, lite):
        df.to_sql(
            "t",
            c,
            index_label="key",
            chunksize=2,
            method="multi",
            dtype={"n": "INTEGER", "s": "TEXT"},
        )
    pd.testing.assert_frame_equal(read(conn), read(lite))
    info = "PRAGMA table_info(t)"
    assert conn.execute(info).fetchall() == lite.execute(info).fetchall()


def test_read_sql_query_with_parameters_and_chunks(conn, lite):
    for c in (conn, lite):
        frame().to_sql("t", c, index=False)
    for sql, params in [
        ("SELECT n, s FROM t WHERE n >= ? ORDER BY n", (2,)),
        ("SELECT n, s FROM t WHERE n >= ? ORDER BY n", [2]),
        ("SELECT n, s FROM t WHERE n >= :low ORDER BY n", {"low": 2}),
    ]:
        got = pd.read_sql_query(sql, conn, params=params)
        pd.testing.assert_frame_equal(got, pd.read_sql_query(sql, lite, params=params))
        assert got["n"].tolist() == [2, 3]
    chunks = list(pd.read_sql_query("SELECT n FROM t ORDER BY n", conn, chunksize=2))
    assert [len(c) for c in chunks] == [2, 1]
    got = pd.read_sql("SELECT count(*) AS c FROM t", conn)  # read_sql with a query
    assert got["c"].tolist() == [3]


def test_has_table_reads_sqlite_master(conn, lite):
    for c in (conn, lite):
        frame().to_sql("t", c)
        assert pd.io.sql.has_table("t", c)
        assert not pd.io.sql.has_table("nope", c)


def test_read_sql_table_needs_sqlalchemy_as_with_sqlite(conn, lite):
    """pandas does not read a table by name through any DB-API connection; what it says
    is the same for both, and so is a missing table's error."""
    errors = []
    for c in (conn, lite):
        frame().to_sql("t", c)
        with pytest.raises(NotImplementedError) as e:
            pd.read_sql_table("t", c)
        errors.append(str(e.value))
        with pytest.raises(ValueError, match="Table nope not found"):
            pd.read_sql_table("nope", c)
    assert errors[0] == errors[1]
    assert "SQLAlchemy" in errors[0]


def test_read_sql_table_through_the_engine():
    sqlalchemy = pytest.importorskip("sqlalchemy")
    engine = sqlalchemy.create_engine("memtables://")
    df = frame().reset_index()
    df.to_sql("t", engine, index=False)
    got = pd.read_sql_table("t", engine)
    assert got["n"].tolist() == [1, 2, 3]
    assert got["s"].tolist()[2] == "c'q"
    engine.dispose()


# ---------------------------------------------------------------- polars
def test_polars_read_database_with_a_bare_connection(conn, lite):
    pl = pytest.importorskip("polars")
    for c in (conn, lite):
        frame().to_sql("t", c, index=False)
    sql = "SELECT n, x, s FROM t WHERE n > ? ORDER BY n"
    opts = {"parameters": [1]}
    got = pl.read_database(sql, conn, execute_options=opts)
    assert got.equals(pl.read_database(sql, lite, execute_options=opts))
    assert got["n"].to_list() == [2, 3]
    assert got["s"].to_list() == [None, "c'q"]


def test_polars_write_database_refuses_a_bare_connection_as_with_sqlite(conn, lite):
    """polars writes only through SQLAlchemy or ADBC: a bare connection is refused by polars
    itself, sqlite3's as well, with the same message."""
    pl = pytest.importorskip("polars")
    df = pl.DataFrame({"a": [1, 2], "b": ["x", None]})
    messages = []
    for c in (conn, lite):
        with pytest.raises(TypeError, match="unrecognised connection type") as e:
            df.write_database("t2", c)
        messages.append(str(e.value).replace("sqlite3.Connection", "X"))
    assert messages[0].replace("memtables.connection.Connection", "X") == messages[1]


def test_polars_write_database_through_the_engine():
    pl = pytest.importorskip("polars")
    sqlalchemy = pytest.importorskip("sqlalchemy")
    engine = sqlalchemy.create_engine("memtables://")
    df = pl.DataFrame({"a": [1, 2], "b": ["x", None]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert df.write_database("t2", engine) == 2
    assert pl.read_database("SELECT * FROM t2 ORDER BY a", engine).equals(df)
    engine.dispose()
