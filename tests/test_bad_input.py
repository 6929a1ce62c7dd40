"""Bad input on every door gets the exact PEP 249 error and changes nothing (issue 12).

Each case is a bad call on one door (the key-value face, ``from_arrow``, COPY, executemany,
parameters, fetching, closed objects). The database digest (every table's rows, the schema)
is taken before and after through the same connection, so an uncommitted partial change
would show too. Runs on an in-memory and on a durable database.
"""

from __future__ import annotations

import math
import weakref

import pyarrow as pa
import pytest

import memtables
from memtables import (
    DataError,
    NotNullViolation,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    UndefinedTable,
    UniqueViolation,
)

LONG = "x" * 300
FILES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # conn -> its tmp_path


@pytest.fixture(params=["memory", "durable"])
def db(request, tmp_path):
    """A connection with a plain table ``t``, a cache ``kv`` and a counter cache ``n``."""
    conn = memtables.connect(str(tmp_path / "db") if request.param == "durable" else None)
    conn.executescript(
        """
        CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT NOT NULL, r REAL);
        CREATE CACHE TABLE kv (key TEXT PRIMARY KEY, value TEXT);
        CREATE CACHE TABLE n (key TEXT PRIMARY KEY, value INTEGER);
        INSERT INTO t VALUES (1, 'one', 1.5), (2, 'two', NULL);
        """
    )
    conn.commit()
    conn.cache("kv").set("a", "v")
    conn.cache("kv").set("b", "w", ttl=60)
    conn.cache("n").set("hits", 5)
    (tmp_path / "bad.csv").write_text("id,s,r\nx,a,1.0\n")
    (tmp_path / "dup.csv").write_text("id,s,r\n7,seven,7.0\n1,again,1.0\n")
    (tmp_path / "bad.parquet").write_text("this is not parquet")
    FILES[conn] = tmp_path  # a Connection takes no new attributes
    yield conn
    conn.close()


def digest(conn) -> dict:
    """Every table's rows (sorted) and the schema, as this connection sees them."""
    out = {"columns": conn.execute("SELECT * FROM sys.columns").fetchall()}
    for (name,) in conn.execute("SELECT name FROM sys.tables ORDER BY name").fetchall():
        quoted = '"' + name.replace('"', '""') + '"'
        out[name] = sorted(conn.execute(f"SELECT * FROM {quoted}").fetchall(), key=repr)
    return out


def check(conn, error: type, call) -> None:
    """``call(conn)`` raises exactly ``error`` and leaves the digest as it was."""
    before = digest(conn)
    with pytest.raises(memtables.Error) as info:
        call(conn)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert str(info.value)  # a message, not a bare class
    assert digest(conn) == before


def _arrow(**cols) -> pa.Table:
    return pa.table(cols)


# ---------------------------------------------------------------- key-value face (#16)
KV_CASES = {
    "unhashable key (get)": (DataError, lambda c: c.cache("kv").get([1])),
    "unhashable key (contains)": (DataError, lambda c: {} in c.cache("kv")),
    "unhashable key (delete)": (DataError, lambda c: c.cache("kv").delete({"a": 1})),
    "key of the wrong type (set)": (DataError, lambda c: c.cache("kv").set(1, "v")),
    "NULL key (set)": (NotNullViolation, lambda c: c.cache("kv").set(None, "v")),
    "NULL key (incr)": (NotNullViolation, lambda c: c.cache("n").incr(None)),
    "value of the wrong type": (DataError, lambda c: c.cache("kv").set("a", 5)),
    "huge ttl": (DataError, lambda c: c.cache("kv").set("a", "z", ttl=10**400)),
    "NaN ttl": (DataError, lambda c: c.cache("kv").set("a", "z", ttl=math.nan)),
    "infinite ttl": (DataError, lambda c: c.cache("kv").set("a", "z", ttl=math.inf)),
    "negative ttl": (DataError, lambda c: c.cache("kv").set("a", "z", ttl=-1)),
    "text ttl": (DataError, lambda c: c.cache("kv").set("a", "z", ttl="10")),
    "bool ttl": (DataError, lambda c: c.cache("kv").set("a", "z", ttl=True)),
    "NaN expire": (DataError, lambda c: c.cache("kv").expire("a", math.nan)),
    "get_many(None)": (ProgrammingError, lambda c: c.cache("kv").get_many(None)),
    "get_many(int)": (ProgrammingError, lambda c: c.cache("kv").get_many(5)),
    "get_many(str)": (ProgrammingError, lambda c: c.cache("kv").get_many("ab")),
    "get_many unhashable": (DataError, lambda c: c.cache("kv").get_many([[1]])),
    "set_many(None)": (ProgrammingError, lambda c: c.cache("kv").set_many(None)),
    "set_many(int)": (ProgrammingError, lambda c: c.cache("kv").set_many(5)),
    "set_many short pair": (ProgrammingError, lambda c: c.cache("kv").set_many([("a",)])),
    "set_many bad key": (DataError, lambda c: c.cache("kv").set_many({"c": "x", 5: "y"})),
    "set_many bad value": (DataError, lambda c: c.cache("kv").set_many({"c": "x", "d": 5})),
    "set_many NaN ttl": (DataError, lambda c: c.cache("kv").set_many({"c": "x"}, ttl=math.nan)),
    "incr key of the wrong type": (DataError, lambda c: c.cache("n").incr(1, 1)),
    "incr by text": (DataError, lambda c: c.cache("n").incr("hits", "x")),
    "incr by NaN": (DataError, lambda c: c.cache("n").incr("hits", math.nan)),
    "incr past 64 bits": (DataError, lambda c: c.cache("n").incr("hits", 2**63)),
    "incr by a huge int": (DataError, lambda c: c.cache("n").incr("hits", 10**400)),
    "incr by infinity": (DataError, lambda c: c.cache("n").incr("hits", -math.inf)),
    "incr of text": (DataError, lambda c: c.cache("kv").incr("a")),
    "cache(None)": (ProgrammingError, lambda c: c.cache(None)),
    "cache(int)": (ProgrammingError, lambda c: c.cache(5)),
    "cache of a missing table": (UndefinedTable, lambda c: c.cache("nope")),
    "cache of a plain table": (ProgrammingError, lambda c: c.cache("t")),
}


@pytest.mark.parametrize("case", KV_CASES)
def test_key_value_face(db, case):
    error, call = KV_CASES[case]
    check(db, error, call)


def test_key_value_reads_of_a_key_of_another_type_find_nothing(db):
    kv = db.cache("kv")
    assert kv.get(1, "dflt") == "dflt" and 1 not in kv and kv.delete(1) is False
    assert kv.get_many([1, "a"]) == {"a": "v"}


def test_key_value_ttl_of_a_missing_key_is_a_key_error(db):
    # documented: like a dict lookup
    with pytest.raises(KeyError):
        db.cache("kv").ttl("missing")


def test_set_many_takes_pairs_like_dict_update(db):
    db.cache("kv").set_many([("c", "x"), ("d", "y")])
    assert db.cache("kv").get_many(["c", "d"]) == {"c": "x", "d": "y"}


# ---------------------------------------------------------------- from_arrow (#17)
def _pandas_mixed():
    import pandas as pd

    return pd.DataFrame({"id": [1, "x", None]})


ARROW_CASES = {
    "name None": (ProgrammingError, lambda c: c.from_arrow(None, _arrow(id=[5]))),
    "name int": (ProgrammingError, lambda c: c.from_arrow(5, _arrow(id=[5]))),
    "primary_key int": (
        ProgrammingError,
        lambda c: c.from_arrow("new", _arrow(id=[5]), primary_key=5),
    ),
    "primary_key empty": (
        ProgrammingError,
        lambda c: c.from_arrow("new", _arrow(id=[5]), primary_key=[]),
    ),
    "primary_key of a missing column": (
        ProgrammingError,
        lambda c: c.from_arrow("new", _arrow(id=[5]), primary_key="nope"),
    ),
    "pandas object column": (DataError, lambda c: c.from_arrow("new", _pandas_mixed())),
    "data None": (NotSupportedError, lambda c: c.from_arrow("new", None)),
    "list column": (NotSupportedError, lambda c: c.from_arrow("new", _arrow(a=[[1], [2]]))),
    "bad mode": (ProgrammingError, lambda c: c.from_arrow("new", _arrow(id=[5]), mode="x")),
    "create over a table": (ProgrammingError, lambda c: c.from_arrow("t", _arrow(id=[5]))),
    "append to a missing table": (
        UndefinedTable,
        lambda c: c.from_arrow("nope", _arrow(id=[5]), mode="append"),
    ),
    "append a value of the wrong type": (
        DataError,
        lambda c: c.from_arrow("t", _arrow(id=[7], s=[b"x"]), mode="append"),
    ),
    "append a duplicate key": (
        UniqueViolation,
        lambda c: c.from_arrow("t", _arrow(id=[7, 1], s=["a", "b"]), mode="append"),
    ),
    "append an unknown column": (
        ProgrammingError,
        lambda c: c.from_arrow("t", _arrow(id=[7], nope=[1]), mode="append"),
    ),
    "replace with bad data": (
        UniqueViolation,
        lambda c: c.from_arrow("t", _arrow(id=[7, 7]), mode="replace", primary_key="id"),
    ),
    "to_arrow(None)": (ProgrammingError, lambda c: c.to_arrow(None)),
    "to_arrow of a missing table": (UndefinedTable, lambda c: c.to_arrow("nope")),
}


@pytest.mark.parametrize("case", ARROW_CASES)
def test_from_arrow(db, case):
    error, call = ARROW_CASES[case]
    check(db, error, call)


# ---------------------------------------------------------------- COPY (#17)
COPY_CASES = {
    "FROM a 300-character name": (OperationalError, f"COPY t FROM '{LONG}.csv'"),
    "FROM a missing file": (OperationalError, "COPY t FROM '{tmp}/missing.csv'"),
    "FROM a directory": (OperationalError, "COPY t FROM '{tmp}' WITH (FORMAT csv)"),
    "FROM a CSV of the wrong types": (DataError, "COPY t FROM '{tmp}/bad.csv'"),
    "FROM a CSV with a duplicate key": (UniqueViolation, "COPY t FROM '{tmp}/dup.csv'"),
    "FROM a file that is not Parquet": (DataError, "COPY t FROM '{tmp}/bad.parquet'"),
    "TO a 300-character name": (OperationalError, f"COPY t TO '{LONG}.csv'"),
    "TO a missing directory": (OperationalError, "COPY t TO '{tmp}/no/such/dir/x.csv'"),
    "TO an unknown extension": (ProgrammingError, "COPY t TO '{tmp}/x.unknown'"),
    "an unknown format": (ProgrammingError, "COPY t FROM '{tmp}/bad.csv' WITH (FORMAT xml)"),
    "an unknown option": (ProgrammingError, "COPY t FROM '{tmp}/bad.csv' WITH (colour 1)"),
    "FROM into a missing table": (UndefinedTable, "COPY nope FROM '{tmp}/bad.csv'"),
    "a HEADER that is not a boolean": (ProgrammingError, "COPY t TO '{tmp}/h.csv' WITH (HEADER 5)"),
}


@pytest.mark.parametrize("case", COPY_CASES)
def test_copy(db, case):
    error, sql = COPY_CASES[case]
    check(db, error, lambda c: c.execute(sql.replace("{tmp}", str(FILES[c]))))


def test_copy_header_flags_mean_what_they_say(db):
    out = FILES[db] / "h.csv"
    for flag, header in (("false", False), ("'false'", False), ("'off'", False), ("1", True)):
        db.execute(f"COPY t TO '{out}' WITH (HEADER {flag})")
        assert out.read_text().startswith('"id"') is header, flag


# ---------------------------------------------------------------- executemany and parameters
INSERT = "INSERT INTO t VALUES (?, ?, ?)"
EXECUTE_CASES = {
    "executemany: a short row after a good one": (
        ProgrammingError,
        lambda c: c.executemany(INSERT, [(10, "a", 1.0), (11, "b")]),
    ),
    "executemany: a duplicate after a good one": (
        UniqueViolation,
        lambda c: c.executemany(INSERT, [(10, "a", 1.0), (1, "dup", 0.0)]),
    ),
    "executemany: a bad type after a good one": (
        DataError,
        lambda c: c.executemany(INSERT, [(10, "a", 1.0), (11, "b", "x")]),
    ),
    "executemany: None": (ProgrammingError, lambda c: c.executemany(INSERT, None)),
    "executemany: a string": (ProgrammingError, lambda c: c.executemany(INSERT, "abc")),
    "executemany: a row that is an int": (ProgrammingError, lambda c: c.executemany(INSERT, [5])),
    "executemany: a query": (ProgrammingError, lambda c: c.executemany("SELECT ?", [(1,)])),
    "too few parameters": (ProgrammingError, lambda c: c.execute("SELECT ?", ())),
    "too many parameters": (ProgrammingError, lambda c: c.execute("SELECT ?", (1, 2))),
    "parameters as a string": (ProgrammingError, lambda c: c.execute("SELECT ?", "a")),
    "parameters as an int": (ProgrammingError, lambda c: c.execute("SELECT ?", 5)),
    "a parameter of an odd type": (ProgrammingError, lambda c: c.execute("SELECT ?", (object(),))),
    "a list parameter": (ProgrammingError, lambda c: c.execute("SELECT ?", ([1],))),
    "a missing name": (ProgrammingError, lambda c: c.execute("SELECT :a", {"b": 1})),
    "names given a tuple": (ProgrammingError, lambda c: c.execute("SELECT :a", (1,))),
    "an integer past 64 bits": (DataError, lambda c: c.execute(INSERT, (2**70, "x", 1.0))),
    "bytes into TEXT": (DataError, lambda c: c.execute(INSERT, (50, b"x", 1.0))),
    "an UPDATE failing half way": (DataError, lambda c: c.execute("UPDATE t SET r = ?", ("x",))),
    "SQL as a list": (ProgrammingError, lambda c: c.execute(["SELECT 1"])),
    "a script with a parameter": (
        ProgrammingError,
        lambda c: c.executescript("INSERT INTO t VALUES (9, 'n', 9.0); SELECT ?"),
    ),
    "a script that is not a string": (ProgrammingError, lambda c: c.executescript(5)),
    "a name with a NUL": (ProgrammingError, lambda c: c.execute('CREATE TABLE "a\x00b" (x REAL)')),
    "a view with a parameter": (ProgrammingError, lambda c: c.execute("CREATE VIEW v AS SELECT ?")),
    "CREATE TABLE AS given a dict": (
        ProgrammingError,
        lambda c: c.execute("CREATE TABLE x AS SELECT ? AS y", {"a": 1}),
    ),
}


@pytest.mark.parametrize("case", EXECUTE_CASES)
def test_execute(db, case):
    error, call = EXECUTE_CASES[case]
    check(db, error, call)


# ---------------------------------------------------------------- fetching (#15)
FETCH_CASES = {
    "fetchmany('2')": (ProgrammingError, lambda cur: cur.fetchmany("2")),
    "fetchmany(-1)": (ProgrammingError, lambda cur: cur.fetchmany(-1)),
    "fetchmany(1.5)": (ProgrammingError, lambda cur: cur.fetchmany(1.5)),
    "fetch_record_batch(0)": (ProgrammingError, lambda cur: cur.fetch_record_batch(0)),
    "fetch_record_batch('1')": (ProgrammingError, lambda cur: cur.fetch_record_batch("1")),
}


@pytest.mark.parametrize("case", FETCH_CASES)
def test_fetch(db, case):
    error, call = FETCH_CASES[case]
    cur = db.execute("SELECT id FROM t ORDER BY id")
    check(db, error, lambda c: call(cur))
    assert cur.fetchall() == [(1,), (2,)]  # the result is still there, unconsumed


def test_fetchmany_with_a_text_arraysize(db):
    cur = db.execute("SELECT id FROM t")
    cur.arraysize = "2"
    check(db, ProgrammingError, lambda c: cur.fetchmany())


def test_record_batches_over_mixed_values_share_one_type(db):
    cur = db.execute("VALUES (1), ('a'), (2.5)")
    table = cur.fetch_record_batch(rows_per_batch=1).read_all()
    assert table.column(0).to_pylist() == ["1", "a", "2.5"]


def test_record_batches_of_a_huge_size_hold_everything(db):
    reader = db.execute("SELECT id FROM t ORDER BY id").fetch_record_batch(10**20)
    assert reader.read_all().column(0).to_pylist() == [1, 2]


def test_fetch_after_a_statement_without_rows(db):
    cur = db.execute("UPDATE t SET r = r")
    check(db, ProgrammingError, lambda c: cur.fetchall())


# ---------------------------------------------------------------- closed objects
CLOSED_CURSOR = {
    "execute": lambda cur: cur.execute("SELECT 1"),
    "executemany": lambda cur: cur.executemany(INSERT, [(9, "n", 9.0)]),
    "executescript": lambda cur: cur.executescript("SELECT 1"),
    "fetchone": lambda cur: cur.fetchone(),
    "fetchall": lambda cur: cur.fetchall(),
    "fetchmany": lambda cur: cur.fetchmany(1),
}


@pytest.mark.parametrize("case", CLOSED_CURSOR)
def test_closed_cursor(db, case):
    cur = db.execute("SELECT id FROM t")
    cur.close()
    check(db, ProgrammingError, lambda c: CLOSED_CURSOR[case](cur))


CLOSED_CONNECTION = {
    "execute": lambda other, kv: other.execute("SELECT 1"),
    "cursor": lambda other, kv: other.cursor(),
    "executemany": lambda other, kv: other.executemany(INSERT, [(9, "n", 9.0)]),
    "executescript": lambda other, kv: other.executescript("SELECT 1"),
    "commit": lambda other, kv: other.commit(),
    "from_arrow": lambda other, kv: other.from_arrow("new", _arrow(id=[1])),
    "cache": lambda other, kv: other.cache("kv"),
    "kv.get": lambda other, kv: kv.get("a"),
    "kv.set": lambda other, kv: kv.set("a", "z"),
    "kv.incr": lambda other, kv: kv.incr("c"),
}


@pytest.mark.parametrize("case", CLOSED_CONNECTION)
def test_closed_connection(db, case):
    other = db.database.connect()
    kv = other.cache("kv")
    other.close()
    check(db, ProgrammingError, lambda c: CLOSED_CONNECTION[case](other, kv))
