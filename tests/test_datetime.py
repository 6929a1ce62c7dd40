"""Date and time functions against sqlite3 3.40: date, time, datetime, julianday, unixepoch,
strftime, their time values and modifiers, CURRENT_DATE/TIME/TIMESTAMP, and 'now'.

Hypothesis draws time values (ISO text with and without ``T``, seconds, fractions and time
zones, time-only text, julian day and unix numbers, numeric text, malformed text, edge dates:
leap days, month ends, years 0000 and 9999, negative years) and chains of modifiers (units,
``±HH:MM``, ``start of``, ``weekday``, ``unixepoch``, ``julianday``, ``auto``, ``utc``,
``localtime``, malformed ones); every call must give the same value of the same type as
sqlite3, NULL included. 'now' cannot be compared with another process's clock: it is tested
by properties (one value per statement, later in a later statement, within the wall clock).

Deliberate differences:

- ``CURRENT_DATE`` is a DATE and ``CURRENT_TIMESTAMP`` a TIMESTAMP (sqlite3: TEXT), so that
  ``DEFAULT CURRENT_TIMESTAMP`` fills a TIMESTAMP column; their text (``CAST(... AS TEXT)``)
  is sqlite3's, ``date('now')`` and ``datetime('now')``. ``CURRENT_TIME`` is TEXT in both.
- DATE and TIMESTAMP arguments are read as their ISO text (sqlite3 has no such types), and
  ``date(...)``/``datetime(...)`` compared with a DATE or TIMESTAMP column are converted to
  the column's type, as a text literal is (sqlite3 compares text).
- One ``executemany`` call is one statement: its rows share one 'now'.
- 'now', 'localtime' and 'utc' in a CHECK constraint are evaluated, not refused.
- 'utc' or 'localtime' on a moment their arithmetic carries out of 0000-01-01..9999-12-31
  (within hours of either end, or after a modifier already left the range): sqlite3 3.40
  goes on from an out-of-range intermediate value and may answer an unrelated date;
  memtables may answer NULL or another date. Not generated here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memtables
from memtables import ProgrammingError
from tests.test_functions import literal

SETTINGS = settings(
    max_examples=int(os.environ.get("MEMTABLES_FN_EXAMPLES", "300")),
    deadline=None,
    derandomize="MEMTABLES_FN_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FUNCS = ["date", "time", "datetime", "julianday", "unixepoch"]


def check(dbs, expr: str) -> None:
    m, s = dbs
    got = m.execute("SELECT " + expr).fetchone()[0]
    want = s.execute("SELECT " + expr).fetchone()[0]
    assert type(got) is type(want) and got == want, (expr, got, want)


# ------------------------------------------------------------------ generated time values
def _two(lo: int, hi: int):
    return st.integers(lo, hi).map(lambda n: f"{n:02d}")


years = st.one_of(
    st.sampled_from([0, 1, 1582, 1900, 1969, 1970, 2000, 2004, 2023, 2024, 2038, 2100, 9999]),
    st.integers(0, 9999),
).map(lambda y: f"{y:04d}")
months = st.one_of(_two(1, 12), st.sampled_from(["00", "13", "1"]))
days = st.one_of(st.sampled_from(["28", "29", "30", "31"]), _two(1, 31), st.just("32"))
hours = st.one_of(_two(0, 23), st.sampled_from(["24", "25"]))
fraction = st.one_of(
    st.just(""), st.text("0123456789", min_size=1, max_size=7).map(lambda f: "." + f)
)
seconds = st.one_of(st.just(""), st.tuples(_two(0, 59), fraction).map(lambda t: ":" + "".join(t)))
zone = st.sampled_from(
    ["", "", "", "Z", "z", "+05:30", "-08:00", " +01:00", "+14:00", "+15:00", "-00:00", "+1:00"]
)
clock = st.tuples(hours, st.just(":"), _two(0, 59), seconds, zone).map("".join)
sep = st.sampled_from([" ", "T", "  ", " T ", "t", ""])


@st.composite
def iso_text(draw) -> str:
    date = f"{draw(st.sampled_from(['', '', '', '-']))}{draw(years)}-{draw(months)}-{draw(days)}"
    if draw(st.booleans()):
        date += draw(sep) + draw(clock)
    return date + draw(st.sampled_from(["", "", "", " ", "x"]))


numbers = st.one_of(
    st.floats(-1e6, 6e6, allow_nan=False),
    st.integers(-(10**12), 10**12),
    st.sampled_from([0, 0.0, 2451544.5, 5373484.4999, 5373484.5, -1, 1e10, 253402300799, -1e300]),
)
time_values = st.one_of(
    iso_text(),
    clock,
    numbers,
    numbers.map(lambda n: f" {n} "),
    st.sampled_from(["", "garbage", "2020-01-01 12", "12", "1e", ".5", "2020-01-01T", None]),
)


units = st.sampled_from(["days", "day", "hours", "minute", "seconds", "months", "years", "DAYS"])
number_mods = st.tuples(
    st.one_of(
        st.integers(-400, 400),
        st.floats(-50, 50, allow_nan=False).map(lambda f: round(f, 3)),
        st.sampled_from([176546, 14713, 5373485, 1e300]),
    ),
    units,
    st.sampled_from(["+", "", ""]),
).map(lambda t: f"{'+' if t[2] and t[0] >= 0 else ''}{t[0]} {t[1]}")
hm_mods = st.tuples(st.sampled_from(["+", "-", ""]), hours, _two(0, 59), seconds).map(
    lambda t: f"{t[0]}{t[1]}:{t[2]}{t[3]}"
)
modifiers = st.one_of(
    number_mods,
    hm_mods,
    st.sampled_from(
        [
            "start of month",
            "start of year",
            "start of day",
            "START OF MONTH",
            "start of week",
            "weekday 0",
            "weekday 3",
            "weekday 6",
            "weekday 7",
            "weekday 1.5",
            "Weekday 2 ",
            "unixepoch",
            "julianday",
            "auto",
            "utc",
            "localtime",
            "UTC",
            "",
            "+1 fortnight",
            " +1 day",
            "+1 day ",
            "1 day",
            "+1day",
            "-1e1 days",
            "+.5 days",
        ]
    ),  # fmt: skip
)


@SETTINGS
@given(st.sampled_from(FUNCS), time_values, st.lists(modifiers, max_size=4))
def test_functions_agree_with_sqlite(dbs, fn, value, mods):
    check(dbs, f"{fn}({', '.join(literal(a) for a in [value, *mods])})")


@SETTINGS
@given(
    st.sampled_from(["auto", "unixepoch", "julianday"]), numbers, st.lists(modifiers, max_size=2)
)
def test_numeric_time_values_agree_with_sqlite(dbs, first, value, mods):
    check(dbs, f"datetime({', '.join(literal(a) for a in [value, first, *mods])})")


codes = st.sampled_from(list("dfHjJmMsSwWY%") + list("eFIklpPRTuGgUVz") + ["", "-", " "])


@SETTINGS
@given(st.lists(codes, max_size=6), st.booleans(), time_values, st.lists(modifiers, max_size=2))
def test_strftime_agrees_with_sqlite(dbs, parts, trailing, value, mods):
    fmt = "".join("%" + p if len(p) == 1 and p not in " -" else p for p in parts)
    fmt += "%" if trailing and not parts else ""
    check(dbs, f"strftime({', '.join(literal(a) for a in [fmt, value, *mods])})")


# ------------------------------------------------------------------ chosen cases
@pytest.mark.parametrize(
    "expr, want",
    [
        ("date('2020-01-31', '+1 month')", "2020-03-02"),
        ("date('2024-02-29', '+1 year')", "2025-03-01"),
        ("date('2024-03-31', '-1 month')", "2024-03-02"),
        ("date('2023-02-31')", "2023-02-31"),
        ("date('2023-02-31', '+0 days')", "2023-03-03"),
        ("datetime('2020-01-01 10:00+05:30')", "2020-01-01 04:30:00"),
        ("datetime('2020-01-01T10:00:00.999Z')", "2020-01-01 10:00:00"),
        ("time('24:00')", "24:00:00"),
        ("date('0000-01-01', '-1 day')", "-0001-12-31"),
        ("date('9999-12-31', '+1 day')", None),
        ("datetime(0, 'unixepoch')", "1970-01-01 00:00:00"),
        ("datetime(1e10)", None),
        ("datetime(1e10, 'auto')", "2286-11-20 17:46:40"),
        ("datetime(2459000.5, 'auto')", "2020-05-31 00:00:00"),
        ("datetime(2459000.5, '+1 day', 'unixepoch')", None),
        ("date('2020-01-01', 'weekday 0')", "2020-01-05"),
        ("date('2020-01-05', 'weekday 0')", "2020-01-05"),
        ("date('2020-05-17', 'start of month', '+1 month', '-1 day')", "2020-05-31"),
        ("datetime('2020-01-01', '+01:30:15.5')", "2020-01-01 01:30:15"),
        ("datetime('2020-01-01', '-25:00')", None),
        ("julianday('2000-01-01 12:00')", 2451545.0),
        ("unixepoch('1969-12-31 23:59:59.5')", -1),
        ("strftime('%Y-%m-%dT%H:%M:%f', '2020-01-05 12:34:56.789')", "2020-01-05T12:34:56.789"),
        ("strftime('%j %W %w %s', '2021-01-03')", "003 00 0 1609632000"),
        ("strftime('%e', '2020-01-05')", None),
        ("strftime('100%')", None),
        ("date('2020-01-01', NULL)", None),
        ("date(NULL)", None),
        ("date('now ')", None),
        ("date('2020-01-01', 'bogus')", None),
        ("date('2020-01-01', 5)", None),
    ],
)
def test_chosen_cases(dbs, expr, want):
    assert dbs[0].execute("SELECT " + expr).fetchone()[0] == want
    assert dbs[1].execute("SELECT " + expr).fetchone()[0] == want


def test_names_are_case_insensitive_and_arity_is_checked(dbs):
    m = dbs[0]
    assert m.execute("SELECT DATE('2020-01-01'), StrFTime('%Y', 0)").fetchone() == (
        "2020-01-01",
        "-4713",
    )
    assert m.execute("SELECT strftime(), strftime(NULL)").fetchone() == (None, None)
    with pytest.raises(ProgrammingError, match="no such function"):
        m.execute("SELECT timediffs('2020-01-01', '2020-01-02')")


# ------------------------------------------------------------------ DATE and TIMESTAMP values
def test_typed_values_read_as_their_iso_text(conn):
    conn.execute("CREATE TABLE ev (id INTEGER PRIMARY KEY, d DATE, ts TIMESTAMP)")
    rows = [
        (1, dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 23, 59, 59, 999000)),
        (2, dt.date(2023, 1, 31), dt.datetime(2023, 1, 31, 0, 0, 0, 123456)),
        (3, dt.date(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59)),
        (4, None, None),
    ]
    conn.executemany("INSERT INTO ev VALUES (?, ?, ?)", rows)
    conn.commit()
    exprs = ", ".join(
        [
            "date({d}, '+1 month')",
            "datetime({ts}, '+1 year', 'start of month')",
            "julianday({ts}) - julianday({d})",
            "strftime('%Y %j %W %f', {ts})",
            "unixepoch({ts})",
            "time({ts}, '+0.5 seconds')",
        ]
    )
    s = sqlite3.connect(":memory:")
    for id_, d, ts in rows:
        got = conn.execute(f"SELECT {exprs.format(d='d', ts='ts')} FROM ev WHERE id = ?", (id_,))
        d_text = None if d is None else d.isoformat()
        ts_text = None if ts is None else ts.isoformat(sep=" ")
        want = s.execute(f"SELECT {exprs.format(d='?1', ts='?2')}", (d_text, ts_text))
        assert got.fetchone() == want.fetchone(), id_
    s.close()


def test_date_functions_compare_with_typed_columns(conn):
    conn.execute("CREATE TABLE ev (id INTEGER PRIMARY KEY, d DATE, ts TIMESTAMP)")
    conn.execute("INSERT INTO ev VALUES (1, '2024-01-31', '2024-01-31 10:00:00')")
    conn.execute("INSERT INTO ev VALUES (2, '2024-03-02', '2024-03-02 00:00:00')")
    q = "SELECT id FROM ev WHERE {} ORDER BY id"
    assert conn.execute(q.format("d = date('2024-01-31', '+1 month')")).fetchall() == [(2,)]
    assert conn.execute(q.format("ts < datetime('2024-03-02', '-1 day')")).fetchall() == [(1,)]
    assert conn.execute(q.format("datetime('2024-03-01 23:00') <= ts")).fetchall() == [(2,)]
    assert conn.execute(q.format("d BETWEEN date('2024-01-01') AND date('now')")).fetchall() == [
        (1,),
        (2,),
    ]
    assert conn.execute(q.format("d = date(NULL)")).fetchall() == []
    conn.execute(
        "INSERT INTO ev VALUES (3, date('2024-02-29', '+1 year'), datetime(0, 'unixepoch'))"
    )
    assert conn.execute("SELECT d, ts FROM ev WHERE id = 3").fetchone() == (
        dt.date(2025, 3, 1),
        dt.datetime(1970, 1, 1),
    )


def test_current_values_are_typed_and_durable(conn, tmp_path):
    conn.execute(
        "CREATE TABLE log (id INTEGER PRIMARY KEY, d DATE DEFAULT CURRENT_DATE,"
        " ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP, t TEXT DEFAULT CURRENT_TIME)"
    )
    before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    conn.execute("INSERT INTO log (id) VALUES (1)")
    conn.commit()
    after = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    d, ts, t = conn.execute("SELECT d, ts, t FROM log").fetchone()
    assert type(d) is dt.date and type(ts) is dt.datetime and type(t) is str
    assert before <= ts <= after
    assert d == ts.date() and t == ts.time().isoformat()


def test_defaults_from_date_functions_survive_a_reopen(tmp_path):
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.execute(
        "CREATE TABLE e (id INTEGER PRIMARY KEY, at TEXT DEFAULT (datetime('now')),"
        " day DATE DEFAULT (date('now', 'start of month')), ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
    )
    conn.execute("INSERT INTO e (id) VALUES (1), (2), (3)")
    conn.commit()
    conn.close()
    conn = memtables.connect(path)
    conn.execute("INSERT INTO e (id) VALUES (4)")
    conn.commit()
    rows = conn.execute("SELECT at, day, ts FROM e ORDER BY id").fetchall()
    conn.close()
    assert len({r for r in rows[:3]}) == 1  # one statement, one 'now'
    for at, day, ts in rows:
        assert at == ts.isoformat(sep=" ") and day == ts.date().replace(day=1)


# ------------------------------------------------------------------ 'now'
@pytest.fixture
def ticking(monkeypatch):
    """A wall clock that moves 1.5 s each time it is read: two reads never agree."""
    t = [1_700_000_000_000_000_000]

    def time_ns():
        t[0] += 1_500_000_000
        return t[0]

    monkeypatch.setattr(time, "time_ns", time_ns)
    return t


NOW_EXPRS = (
    "julianday('now')",
    "unixepoch()",
    "datetime()",
    "strftime('%s', 'now')",
    "CAST(CURRENT_TIMESTAMP AS TEXT)",
    "CAST(CURRENT_DATE AS TEXT)",
    "CURRENT_TIME",
)


def test_now_is_one_value_per_statement(conn, ticking):
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(50)])
    for e in NOW_EXPRS:
        n = conn.execute(f"SELECT count(DISTINCT {e}) FROM t").fetchone()[0]
        assert n == 1, e
    (a, b, c, d, e, f, g) = conn.execute(f"SELECT {', '.join(NOW_EXPRS)}").fetchone()
    assert str(b) == d and c == e and e == f"{f} {g}"
    assert abs((a - 2440587.5) * 86400 - b) < 1
    assert c == dt.datetime.fromtimestamp(b, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    # a statement that writes: every row inserted gets the same time
    conn.execute("CREATE TABLE stamps (x INTEGER, at TEXT)")
    conn.execute("INSERT INTO stamps SELECT x, strftime('%Y-%m-%d %H:%M:%f', 'now') FROM t")
    assert conn.execute("SELECT count(DISTINCT at) FROM stamps").fetchone()[0] == 1


def test_now_moves_between_statements(conn, ticking):
    first = conn.execute("SELECT julianday('now')").fetchone()[0]
    second = conn.execute("SELECT julianday('now')").fetchone()[0]
    assert second > first
    cur = conn.cursor()
    cur.execute("SELECT unixepoch('now')")
    assert cur.fetchone()[0] == ticking[0] // 10**9


def test_now_is_within_the_wall_clock(conn):
    before = int(time.time())
    row = conn.execute("SELECT unixepoch(), datetime('now'), date(), time()").fetchone()
    after = int(time.time())
    assert before <= row[0] <= after
    assert row[1] == dt.datetime.fromtimestamp(row[0], dt.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert row[1] == f"{row[2]} {row[3]}"


@contextlib.contextmanager
def zone(tz: str):
    """The process's local time zone set to ``tz`` for a while (both libraries read it)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


#: Eastern time with daylight saving time, spelled out so no zone database is needed.
EASTERN = "EST5EDT,M3.2.0,M11.1.0"


def test_localtime_follows_the_c_library(dbs):
    with zone(EASTERN):
        assert dbs[0].execute("SELECT datetime('2020-07-01 12:00', 'localtime')").fetchone() == (
            "2020-07-01 08:00:00",
        )
        assert dbs[0].execute("SELECT datetime('2020-01-01 12:00', 'localtime')").fetchone() == (
            "2020-01-01 07:00:00",
        )
        check(dbs, "datetime('2020-07-01 12:00Z', 'utc')")
        check(dbs, "datetime('2020-07-01 12:00+02:00', 'utc')")


@SETTINGS
@given(
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 12, 31)),
    st.sampled_from(["'localtime'", "'utc'", "'localtime', 'utc'", "'utc', 'localtime'"]),
)
def test_local_time_agrees_with_sqlite(dbs, moment, mods):
    with zone(EASTERN):
        check(dbs, f"datetime('{moment.isoformat(sep=' ')}', {mods})")
        check(dbs, f"strftime('%Y-%m-%d %H:%M:%f', '{moment.isoformat(sep=' ')}', {mods})")


@SETTINGS
@given(st.datetimes(dt.datetime(1971, 1, 1), dt.datetime(2037, 12, 31)))
def test_localtime_is_the_local_wall_clock(dbs, moment):
    text = moment.replace(microsecond=0).isoformat(sep=" ")
    with zone(EASTERN):
        local = dt.datetime.fromtimestamp(moment.replace(tzinfo=dt.timezone.utc).timestamp())
        got = dbs[0].execute(f"SELECT datetime('{text}', 'localtime')").fetchone()[0]
    assert got == local.replace(microsecond=0).isoformat(sep=" ")
