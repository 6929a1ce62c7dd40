"""The rest of sqlite3's connection surface, driven as a user would, side by side with sqlite3
where it has the feature: ``set_trace_callback``, ``set_progress_handler``, ``interrupt``,
``enable_callback_tracebacks``, adapters and the parameter types sqlite3 users pass.

Ported from the behaviour CPython's ``Lib/test/test_sqlite3/test_hooks.py`` (TraceCallbackTests,
ProgressTests) and ``test_dbapi.py`` (interrupt) check, where it applies to memtables.
"""

from __future__ import annotations

import sqlite3
import sys
import threading

import pytest

import memtables


def pair(schema=()):
    """A memtables and a sqlite3 connection, both in autocommit (no implicit BEGIN traced)."""
    m = memtables.connect(autocommit=True)
    s = sqlite3.connect(":memory:", isolation_level=None)
    for text in schema:
        m.execute(text)
        s.execute(text)
    return m, s


def traced(conn, calls):
    out: list[str] = []
    conn.set_trace_callback(out.append)
    calls(conn)
    conn.set_trace_callback(None)
    return out


# ------------------------------------------------------------ set_trace_callback
@pytest.mark.parametrize(
    "calls",
    [
        lambda c: c.execute("SELECT 1"),
        lambda c: c.execute("CREATE TABLE u (a, b)"),
        lambda c: c.execute("SELECT * FROM t WHERE a = ? AND b = ?", (1, "x")),
        lambda c: c.execute("SELECT ?, ?, ?, ?, ?", (None, "it's", b"\x00\xff", 2.5, -7)),
        lambda c: c.execute("SELECT ?, ?, ?", (1 / 3, 1e20, 0.1)),
        lambda c: c.execute("SELECT :x, :y, :x", {"x": 1, "y": "two"}),
        lambda c: c.execute("SELECT ?2, ?1", (10, 20)),
        lambda c: c.execute("SELECT '?', ? -- ?\n", (5,)),
        lambda c: c.executemany("INSERT INTO t VALUES (?, ?)", [(1, "a"), (2, "b")]),
        lambda c: c.executescript("SELECT 1; select 2;\n  SELECT 3"),
        lambda c: c.executescript("-- lead\nSELECT 1;\n\n"),
        lambda c: c.executescript(
            "CREATE TABLE l (x); CREATE TRIGGER tr AFTER INSERT ON t BEGIN "
            "INSERT INTO l VALUES (CASE WHEN new.a > 0 THEN 1 ELSE 0 END); END; SELECT 4"
        ),
    ],
    ids=[
        "plain",
        "ddl",
        "positional",
        "literals",
        "reals",
        "named",
        "numbered",
        "param-in-string-and-comment",
        "executemany",
        "executescript",
        "script-comment",
        "script-trigger",
    ],
)
def test_trace_callback_sees_what_sqlite3_sees(calls):
    m, s = pair(["CREATE TABLE t (a, b)"])
    assert traced(m, calls) == traced(s, calls)


def test_trace_callback_none_removes_it_and_replacing_it_works():
    m, _ = pair()
    first: list[str] = []
    second: list[str] = []
    m.set_trace_callback(first.append)
    m.execute("SELECT 1")
    m.set_trace_callback(second.append)
    m.execute("SELECT 2")
    m.set_trace_callback(None)
    m.execute("SELECT 3")
    assert (first, second) == (["SELECT 1"], ["SELECT 2"])


def test_trace_callback_runs_on_implicit_transactions_without_tracing_begin():
    conn = memtables.connect()  # PEP 249: a transaction opens implicitly
    conn.execute("CREATE TABLE t (a)")
    out: list[str] = []
    conn.set_trace_callback(out.append)
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    assert out == ["INSERT INTO t VALUES (1)"]


def test_trace_callback_exception_is_ignored_unless_tracebacks_are_on(monkeypatch):
    for conn in pair():

        def boom(text):
            raise ValueError("boom")

        conn.set_trace_callback(boom)
        assert conn.execute("SELECT 5").fetchone() == (5,)
    m, _ = pair()
    m.set_trace_callback(boom)
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    memtables.enable_callback_tracebacks(True)
    try:
        assert m.execute("SELECT 6").fetchone() == (6,)
    finally:
        memtables.enable_callback_tracebacks(False)
    assert len(seen) == 1 and isinstance(seen[0].exc_value, ValueError)
    assert "trace callback" in seen[0].err_msg
    m.execute("SELECT 7")
    assert len(seen) == 1  # off again: dropped silently


def test_trace_callback_refuses_a_non_callable_and_a_closed_connection():
    conn = memtables.connect()
    with pytest.raises(memtables.ProgrammingError, match="callable"):
        conn.set_trace_callback(5)
    conn.close()
    with pytest.raises(memtables.ProgrammingError, match="closed"):
        conn.set_trace_callback(print)


def test_trace_of_a_statement_that_fails_to_bind_is_not_called():
    m, s = pair()
    for conn, err in ((m, memtables.ProgrammingError), (s, sqlite3.ProgrammingError)):
        out: list[str] = []
        conn.set_trace_callback(out.append)
        with pytest.raises(err):
            conn.execute("SELECT ?", (1, 2))
        assert out == []


# ------------------------------------------------------------ set_progress_handler
BIG = 5000


@pytest.fixture(params=["memory", "durable"])
def big(request, tmp_path):
    """A connection with table big(a) of BIG rows, committed."""
    path = None if request.param == "memory" else str(tmp_path / "db.mtdb")
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, a INTEGER)")
    conn.executemany("INSERT INTO big (a) VALUES (?)", [(i,) for i in range(BIG)])
    conn.commit()
    yield conn
    conn.close()


def test_progress_handler_is_called_per_n_rows_scanned(big):
    calls = []
    big.set_progress_handler(lambda: calls.append(1), 100)
    assert big.execute("SELECT count(*) FROM big").fetchone() == (BIG,)
    assert len(calls) == BIG // 100
    calls.clear()
    big.set_progress_handler(lambda: calls.append(1), 1000)
    big.execute("SELECT count(*) FROM big").fetchone()
    assert len(calls) == BIG // 1000  # a larger step: fewer calls (CPython's test_opcode_count)


def test_progress_handler_is_asked_by_ddl_and_writes_like_sqlite3():
    # CPython's test_progress_handler_used and test_cancel_operation, on both
    m, s = pair()
    calls: list[int] = []
    for conn, err in ((m, memtables.OperationalError), (s, sqlite3.OperationalError)):
        calls.clear()
        conn.set_progress_handler(lambda: calls.append(1), 1)
        conn.execute("CREATE TABLE foo (a, b)")
        assert calls
        conn.set_progress_handler(lambda: 1, 1)
        with pytest.raises(err, match="interrupted"):
            conn.execute("CREATE TABLE bar (a, b)")
        with pytest.raises(err, match="interrupted"):
            conn.execute("INSERT INTO foo VALUES (1, 2)")
        conn.set_progress_handler(None, 1)
        assert conn.execute("SELECT count(*) FROM foo").fetchone() == (0,)
        conn.execute("CREATE TABLE bar (a, b)")  # it was never made


def test_progress_handler_error_in_its_result_stops_the_statement():
    class BadBool:
        def __bool__(self):
            raise ZeroDivisionError

    conn = memtables.connect()
    conn.set_progress_handler(lambda: BadBool(), 1)
    with pytest.raises(memtables.OperationalError, match="interrupted"):
        conn.execute("CREATE TABLE foo (a, b)")


def test_progress_handler_removed_by_none_or_n_below_one(big):
    calls = []
    for handler, n in ((None, 1), (lambda: calls.append(1), 0), (lambda: calls.append(1), -1)):
        big.set_progress_handler(handler, n)
        big.execute("SELECT count(*) FROM big").fetchone()
    assert calls == []


def test_progress_handler_true_aborts_a_query_like_sqlite3(big):
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, a INTEGER)")
    lite.executemany("INSERT INTO big (a) VALUES (?)", [(i,) for i in range(BIG)])
    for conn, err in ((big, memtables.OperationalError), (lite, sqlite3.OperationalError)):
        conn.set_progress_handler(lambda: 1, 10)
        with pytest.raises(err, match="^interrupted$"):
            conn.execute("SELECT sum(a) FROM big").fetchall()
        conn.set_progress_handler(None, 10)
        assert conn.execute("SELECT count(*) FROM big").fetchone() == (BIG,)


def test_progress_handler_abort_leaves_no_half_applied_change(big):
    big.execute("INSERT INTO big (a) VALUES (-1)")  # the transaction's own earlier write
    calls = []

    def stop_late():
        calls.append(1)
        return len(calls) > 3  # after some rows were already updated

    big.set_progress_handler(stop_late, 100)
    with pytest.raises(memtables.OperationalError, match="interrupted"):
        big.execute("UPDATE big SET a = a + 1000000")
    big.set_progress_handler(None, 1)
    # the statement is undone, the transaction and its earlier write stay
    assert big.in_transaction
    assert big.execute("SELECT count(*), max(a), min(a) FROM big").fetchone() == (
        BIG + 1,
        BIG - 1,
        -1,
    )
    big.commit()


def test_progress_handler_exception_aborts_the_statement(big, monkeypatch):
    def boom():
        raise ZeroDivisionError

    big.set_progress_handler(boom, 10)
    with pytest.raises(memtables.OperationalError, match="interrupted"):
        big.execute("DELETE FROM big")
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    memtables.enable_callback_tracebacks(True)
    try:
        with pytest.raises(memtables.OperationalError, match="interrupted"):
            big.execute("SELECT * FROM big").fetchall()
    finally:
        memtables.enable_callback_tracebacks(False)
    assert [type(u.exc_value) for u in seen] == [ZeroDivisionError]
    big.set_progress_handler(None, 1)
    assert big.execute("SELECT count(*) FROM big").fetchone() == (BIG,)


def test_progress_handler_stops_a_runaway_recursive_query(big):
    big.max_recursive_rows = 10**12
    calls = []

    def enough():
        calls.append(1)
        return len(calls) >= 50

    big.set_progress_handler(enough, 1000)
    with pytest.raises(memtables.OperationalError, match="interrupted"):
        big.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        ).fetchall()
    assert len(calls) == 50


def test_progress_handler_refuses_bad_arguments():
    conn = memtables.connect()
    with pytest.raises(memtables.ProgrammingError, match="callable"):
        conn.set_progress_handler(5, 1)
    with pytest.raises(memtables.ProgrammingError, match="integer"):
        conn.set_progress_handler(print, "10")


# ------------------------------------------------------------ interrupt
def test_interrupt_when_nothing_runs_is_harmless():
    for conn in pair(["CREATE TABLE t (a)"]):
        conn.execute("INSERT INTO t VALUES (1)")
        conn.interrupt()
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_interrupt_on_a_closed_connection_is_refused():
    conn = memtables.connect()
    conn.close()
    with pytest.raises(memtables.ProgrammingError, match="closed"):
        conn.interrupt()


def interrupt_when_running(conn, sql, err):
    """Run ``sql`` (which calls started() per row); another thread interrupts it once it
    runs. Returns the exception the statement raised (None if it completed)."""
    running = threading.Event()

    def started(x):
        running.set()
        return 1

    conn.create_function("started", 1, started)

    def interrupter():
        running.wait(60)
        conn.interrupt()

    t = threading.Thread(target=interrupter)
    t.start()
    try:
        conn.execute(sql).fetchall()
    except err as e:
        return e
    finally:
        t.join()
    return None


def test_interrupt_from_another_thread_stops_a_long_query_like_sqlite3(big):
    lite = sqlite3.connect(":memory:", check_same_thread=False)
    lite.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, a INTEGER)")
    lite.executemany("INSERT INTO big (a) VALUES (?)", [(i,) for i in range(BIG)])
    # a nested loop of BIG * BIG rows: it finishes only if the interrupt is missed
    sql = "SELECT count(*) FROM big x, big y WHERE started(x.a + y.a) AND x.a <> y.a + 1"
    for conn, err in ((big, memtables.OperationalError), (lite, sqlite3.OperationalError)):
        e = interrupt_when_running(conn, sql, err)
        assert e is not None and str(e) == "interrupted"
        assert conn.execute("SELECT count(*) FROM big").fetchone() == (BIG,)  # then usable


def test_interrupt_stops_a_write_and_undoes_it(big):
    big.max_recursive_rows = 10**12
    sql = (
        "UPDATE big SET a = -a WHERE id IN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
        "SELECT x + 1 FROM c WHERE started(x)) SELECT x FROM c)"
    )
    e = interrupt_when_running(big, sql, memtables.OperationalError)
    assert str(e) == "interrupted"
    assert big.execute("SELECT min(a) FROM big").fetchone() == (0,)
    big.execute("UPDATE big SET a = a WHERE id = 1")  # the connection goes on
    big.commit()


# ------------------------------------------------------------ adapters and parameter types
@pytest.fixture
def clean_adapters(monkeypatch):
    """register_adapter is process-wide (as sqlite3's): each test gets an empty table."""
    import memtables.adapters

    monkeypatch.setattr(memtables.adapters, "_ADAPTERS", {})
    lite: dict = {}
    monkeypatch.setattr(sqlite3, "adapters", lite)


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def test_register_adapter_like_sqlite3(clean_adapters):
    m, s = pair()
    for module in (memtables, sqlite3):
        module.register_adapter(Point, lambda p: f"{p.x};{p.y}")
    for conn in (m, s):
        assert conn.execute("SELECT ?", (Point(1, 2),)).fetchone() == ("1;2",)
        assert conn.execute("SELECT :p", {"p": Point(3, 4)}).fetchone() == ("3;4",)
        conn.execute("CREATE TABLE pts (p TEXT)")
        conn.executemany("INSERT INTO pts VALUES (?)", [(Point(5, 6),), (Point(7, 8),)])
        assert conn.execute("SELECT p FROM pts ORDER BY p").fetchall() == [("5;6",), ("7;8",)]


def test_adapters_are_by_exact_type_and_may_return_any_storable_value(clean_adapters):
    import datetime as dt
    import decimal

    class Cents(decimal.Decimal):
        pass

    memtables.register_adapter(decimal.Decimal, float)
    memtables.register_adapter(Point, lambda p: dt.date(2000, p.x, p.y))
    conn = memtables.connect()
    assert conn.execute("SELECT ?, ?", (decimal.Decimal("1.5"), Point(2, 3))).fetchone() == (
        1.5,
        dt.date(2000, 2, 3),
    )
    with pytest.raises(memtables.ProgrammingError, match="Cents"):
        conn.execute("SELECT ?", (Cents("1"),))  # a subclass has no adapter of its own


def test_an_adapter_that_fails_is_a_programming_error_and_changes_nothing(clean_adapters):
    def refuse(p):
        raise ValueError("no points today")

    memtables.register_adapter(Point, refuse)
    conn = memtables.connect()
    conn.execute("CREATE TABLE pts (p TEXT)")
    conn.execute("INSERT INTO pts VALUES ('kept')")
    with pytest.raises(memtables.ProgrammingError, match="parameter 2.*no points today"):
        conn.execute("INSERT INTO pts VALUES (?), (?)", ("a", Point(1, 1)))
    assert conn.execute("SELECT p FROM pts").fetchall() == [("kept",)]
    memtables.register_adapter(Point, lambda p: object())
    with pytest.raises(memtables.ProgrammingError, match="'object' is not supported"):
        conn.execute("SELECT ?", (Point(1, 1),))


def test_register_adapter_refuses_bad_arguments():
    with pytest.raises(memtables.ProgrammingError, match="type"):
        memtables.register_adapter("Point", str)
    with pytest.raises(memtables.ProgrammingError, match="callable"):
        memtables.register_adapter(Point, "str")


@pytest.mark.parametrize("value", ["decimal", "uuid"])
def test_decimal_and_uuid_are_refused_as_sqlite3_does_with_the_way_out(value, clean_adapters):
    import decimal
    import uuid

    v = decimal.Decimal("1.10") if value == "decimal" else uuid.UUID(int=7)
    m, s = pair()
    with pytest.raises(sqlite3.ProgrammingError, match="not supported"):
        s.execute("SELECT ?", (v,))
    with pytest.raises(memtables.ProgrammingError, match="not supported.*register_adapter"):
        m.execute("SELECT ?", (v,))
    memtables.register_adapter(type(v), str)
    assert m.execute("SELECT ?", (v,)).fetchone() == (str(v),)


def test_numpy_scalars_bind_as_their_python_values():
    import numpy as np

    conn = memtables.connect()
    conn.execute("CREATE TABLE t (i INTEGER, r REAL, b BOOLEAN, s TEXT)")
    values = (np.int64(3), np.float64(2.5), np.bool_(True), np.str_("x"))
    conn.execute("INSERT INTO t VALUES (?, ?, ?, ?)", values)
    conn.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?)", [(np.int32(4), np.float32(0.5), np.bool_(False), "y")]
    )
    rows = conn.execute("SELECT i, r, b, s FROM t ORDER BY i").fetchall()
    assert rows == [(3, 2.5, True, "x"), (4, 0.5, False, "y")]
    assert [type(v) for v in rows[0]] == [int, float, bool, str]
    assert conn.execute("SELECT i FROM t WHERE i = ?", (np.int64(4),)).fetchone() == (4,)


def test_numpy_integer_too_large_is_a_data_error():
    import numpy as np

    conn = memtables.connect()
    with pytest.raises(memtables.DataError):
        conn.execute("SELECT ?", (np.uint64(2**64 - 1),))


# ------------------------------------------------------------ backup
SOURCE = [
    "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL)",
    "CREATE INDEX t_a ON t (a)",
    "CREATE TABLE log (x INTEGER)",
    "CREATE VIEW v1 AS SELECT * FROM t WHERE b > 1",
    "CREATE VIEW v2 AS SELECT count(*) AS n FROM v1",
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id); END",
]


def source_db(path=None):
    conn = memtables.connect(path)
    for text in SOURCE:
        conn.execute(text)
    conn.executemany("INSERT INTO t (a, b) VALUES (?, ?)", [(f"r{i}", i / 2) for i in range(1, 31)])
    conn.execute(
        "CREATE CACHE TABLE sessions (k TEXT PRIMARY KEY, v INTEGER) WITH (max_rows = 100)"
    )
    conn.execute("INSERT INTO sessions VALUES ('s1', 1), ('s2', 2)")
    conn.commit()
    return conn


def contents(conn):
    return (
        conn.execute("SELECT type, name, sql FROM sys.schema ORDER BY type, name").fetchall(),
        conn.execute("SELECT * FROM t ORDER BY id").fetchall(),
        conn.execute("SELECT * FROM log ORDER BY x").fetchall(),
        conn.execute("SELECT * FROM v2").fetchall(),
        conn.execute("SELECT * FROM sessions ORDER BY k").fetchall(),
    )


@pytest.mark.parametrize("kind", ["memory", "durable"])
def test_backup_copies_everything_and_replaces_the_target(kind, tmp_path):
    src = source_db()
    path = str(tmp_path / "copy.mtdb") if kind == "durable" else None
    dst = memtables.connect(path)
    dst.execute("CREATE TABLE t (old INTEGER)")  # the target's own objects are replaced
    dst.execute("CREATE TABLE gone (x)")
    dst.commit()
    src.backup(dst)
    assert contents(dst) == contents(src)
    assert "gone" not in {r[1] for r in contents(dst)[0]}
    dst.execute("INSERT INTO t (a, b) VALUES ('new', 9)")  # the trigger came along, and fires
    assert dst.execute("SELECT count(*) FROM log").fetchone() == (31,)
    assert dst.execute("SELECT * FROM t WHERE a = ?", ("r3",)).fetchone() == (3, "r3", 1.5)
    dst.rollback()
    if path:
        dst.close()
        again = memtables.connect(path)
        assert contents(again) == contents(src)
        again.close()


def test_backup_leaves_the_targets_temporary_tables_alone():
    src = source_db()
    dst = memtables.connect()
    dst.execute("CREATE TEMP TABLE t (mine TEXT)")
    dst.execute("INSERT INTO t VALUES ('scratch')")
    dst.commit()
    src.backup(dst)
    assert dst.execute("SELECT * FROM temp.t").fetchall() == [("scratch",)]
    assert dst.execute("SELECT count(*) FROM main.t").fetchone() == (30,)


def test_backup_like_sqlite3_both_sides_end_equal():
    schema = ["CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)", "CREATE INDEX ia ON t (a)"]
    m, s = pair(schema)
    for conn in (m, s):
        conn.executemany("INSERT INTO t (a) VALUES (?)", [("x",), ("y",), (None,)])
    m2 = memtables.connect()
    s2 = sqlite3.connect(":memory:")
    m.backup(m2)
    s.backup(s2)
    query = "SELECT id, a FROM t ORDER BY id"
    assert m2.execute(query).fetchall() == s2.execute(query).fetchall()


def test_backup_copies_committed_data_only_and_leaves_the_source_transaction_open():
    src = source_db()
    src.execute("DELETE FROM t")  # not committed
    dst = memtables.connect()
    src.backup(dst)
    assert dst.execute("SELECT count(*) FROM t").fetchone() == (30,)
    assert src.in_transaction
    src.rollback()
    assert contents(src) == contents(dst)


def test_backup_progress_is_called_per_step_and_last_with_done():
    src = source_db()
    calls = []
    src.backup(memtables.connect(), pages=10, progress=lambda *a: calls.append(a))
    total = calls[0][2]
    assert total == len(contents(src)[0]) + 30 + 30 + 2  # objects and rows
    assert [c[2] for c in calls] == [total] * len(calls)
    assert [c[1] for c in calls] == list(range(total - 10, 0, -10)) + [0]
    assert [c[0] for c in calls] == [0] * (len(calls) - 1) + [memtables.backup.DONE]
    one = []
    src.backup(memtables.connect(), progress=lambda *a: one.append(a))
    assert one == [(101, 0, total)]  # pages=-1: a single step, as sqlite3


def test_backup_failing_progress_leaves_the_target_as_it_was():
    src = source_db()
    dst = memtables.connect()
    dst.execute("CREATE TABLE mine (x)")
    dst.execute("INSERT INTO mine VALUES (1)")
    dst.commit()

    def boom(status, remaining, total):
        if remaining < total / 2:
            raise RuntimeError("disk full")

    with pytest.raises(memtables.OperationalError, match="RuntimeError: disk full"):
        src.backup(dst, pages=5, progress=boom)
    assert not dst.in_transaction
    assert dst.execute("SELECT name FROM sys.schema").fetchall() == [("mine",)]
    assert dst.execute("SELECT * FROM mine").fetchall() == [(1,)]


def test_backup_refusals():
    src = source_db()
    dst = memtables.connect()
    with pytest.raises(memtables.ProgrammingError, match="same connection"):
        src.backup(src)
    with pytest.raises(memtables.ProgrammingError, match="same database"):
        src.backup(src.database.connect())
    with pytest.raises(memtables.ProgrammingError, match="memtables Connection"):
        src.backup(sqlite3.connect(":memory:"))
    with pytest.raises(memtables.OperationalError, match="unknown database nope"):
        src.backup(dst, name="nope")
    with pytest.raises(memtables.ProgrammingError, match="progress"):
        src.backup(dst, progress=5)
    dst.execute("CREATE TABLE pending (x)")
    with pytest.raises(memtables.OperationalError, match="uncommitted"):
        src.backup(dst)
    assert dst.execute("SELECT name FROM sys.schema").fetchall() == [("pending",)]
    dst.close()
    with pytest.raises(memtables.ProgrammingError, match="closed"):
        src.backup(dst)


# ------------------------------------------------------------ converters and detect_types
@pytest.fixture
def clean_converters(monkeypatch):
    import memtables.adapters

    monkeypatch.setattr(memtables.adapters, "_CONVERTERS", {})
    monkeypatch.setattr(sqlite3, "converters", {})


def both(detect_types, schema=()):
    m = memtables.connect(detect_types=detect_types)
    s = sqlite3.connect(":memory:", detect_types=detect_types)
    for text in schema:
        m.execute(text)
        s.execute(text)
    return m, s


def test_parse_colnames_like_sqlite3(clean_converters):
    for module in (memtables, sqlite3):
        module.register_converter("point", lambda b: ("P", b))
        module.register_converter("Other", lambda b: ("O", b))
    m, s = both(memtables.PARSE_COLNAMES, ["CREATE TABLE t (a TEXT, i INTEGER, r REAL, b BLOB)"])
    for conn in (m, s):
        conn.execute("INSERT INTO t VALUES (?, ?, ?, ?)", ("1;2", 5, 1.5, b"\x00\xff"))
        conn.execute("INSERT INTO t VALUES (?, ?, ?, ?)", ("é", -3, 0.1, None))
    sql = (
        'SELECT a AS "a [point]", i AS "i [POINT]", r AS "r [other]", b AS "b [point]", '
        'a AS "plain", a AS "n [nope]", a AS "two  [point]", i + 1 AS "[point]" '
        "FROM t ORDER BY i"
    )
    got = [m.execute(sql), s.execute(sql)]
    assert got[0].fetchall() == got[1].fetchall()
    assert [d[0] for d in got[0].description] == [d[0] for d in got[1].description]


def test_parse_decltypes_by_memtables_type_names(clean_converters):
    import datetime as dt

    for module in (memtables, sqlite3):
        module.register_converter("timestamp", lambda b: ("T", b.decode()))
        module.register_converter("date", lambda b: dt.date.fromisoformat(b.decode()))
    m, s = both(memtables.PARSE_DECLTYPES, ["CREATE TABLE t (d DATE, ts TIMESTAMP, n TEXT)"])
    m.execute(
        "INSERT INTO t VALUES (?, ?, NULL)",
        (dt.date(2024, 2, 29), dt.datetime(2024, 1, 2, 3, 4, 5)),
    )
    s.execute("INSERT INTO t VALUES (?, ?, NULL)", ("2024-02-29", "2024-01-02 03:04:05"))
    sql = "SELECT d, ts, n FROM t"
    assert m.execute(sql).fetchall() == s.execute(sql).fetchall()
    assert m.execute(sql).fetchall() == [(dt.date(2024, 2, 29), ("T", "2024-01-02 03:04:05"), None)]


def test_no_detect_types_no_conversion(clean_converters):
    memtables.register_converter("point", lambda b: "converted")
    conn = memtables.connect()
    cur = conn.execute('SELECT 1 AS "x [point]"')
    assert (cur.description[0][0], cur.fetchall()) == ("x [point]", [(1,)])


def test_converter_errors_and_bad_arguments(clean_converters):
    def bad(b):
        raise ValueError("cannot read")

    memtables.register_converter("bad", bad)
    conn = memtables.connect(detect_types=memtables.PARSE_COLNAMES)
    with pytest.raises(memtables.OperationalError, match="column 1 raised ValueError: cannot read"):
        conn.execute('SELECT 1 AS "x [bad]"')
    with pytest.raises(memtables.ProgrammingError, match="callable"):
        memtables.register_converter("x", 5)
    with pytest.raises(memtables.ProgrammingError, match="detect_types"):
        memtables.connect(detect_types=8)
    with pytest.raises(memtables.ProgrammingError, match="detect_types"):
        memtables.connect(detect_types="yes")


def test_converters_apply_to_returning_rows(clean_converters):
    memtables.register_converter("point", lambda b: tuple(int(x) for x in b.split(b";")))
    conn = memtables.connect(detect_types=memtables.PARSE_COLNAMES)
    conn.execute("CREATE TABLE t (p TEXT)")
    cur = conn.execute("""INSERT INTO t VALUES ('1;2') RETURNING p AS "p [point]" """)
    assert (cur.description[0][0], cur.fetchall()) == ("p", [((1, 2),)])


def test_interrupt_stops_executemany_and_undoes_all_of_it():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    running = threading.Event()

    def rows():  # never ends on its own
        i = 0
        while True:
            i += 1
            if i == 1000:
                running.set()
            yield (i,)

    t = threading.Thread(target=lambda: (running.wait(60), conn.interrupt()))
    t.start()
    try:
        with pytest.raises(memtables.OperationalError, match="interrupted"):
            conn.executemany("INSERT INTO t VALUES (?)", rows())
    finally:
        t.join()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_backup_into_a_read_only_database_is_refused(tmp_path):
    path = str(tmp_path / "ro.mtdb")
    memtables.connect(path).close()
    target = memtables.connect(path, read_only=True)
    with pytest.raises(memtables.OperationalError):
        source_db().backup(target)
    assert target.execute("SELECT count(*) FROM sys.schema").fetchone() == (0,)
    target.close()


def test_an_interrupt_during_a_fetch_ends_with_that_fetch():
    """interrupt() while a streamed result's later rows are being made stops that fetch;
    the next statement on the connection runs normally."""
    import threading

    conn = memtables.connect()
    conn.execute("CREATE TABLE big (a INTEGER)")
    conn.executemany("INSERT INTO big VALUES (?)", [(i,) for i in range(5000)])

    def f(a):
        if a == 3000:  # another thread interrupts while this statement runs
            t = threading.Thread(target=conn.interrupt)
            t.start()
            t.join()
        return a

    conn.create_function("f", 1, f)
    cur = conn.execute("SELECT f(a) FROM big")
    assert len(cur.fetchmany(10)) == 10  # the first chunk: row 3000 is not made yet
    with pytest.raises(memtables.OperationalError, match="interrupted"):
        cur.fetchall()
    assert conn.execute("SELECT count(*) FROM big").fetchone() == (5000,)
