"""Scalar functions against sqlite3 3.40: math, printf/format, quote, char, unicode, hex ...

Each function is called on hypothesis-drawn arguments (integers, reals, numeric and other
text, blobs, NULL, edge values) written as SQL literals, in memtables and in sqlite3; the
results must be the same value of the same type. REAL results compare exactly: both sides
use the platform's C math library.

Deliberate differences, not generated here and tested on their own below:

- DATE/TIMESTAMP arguments to math functions are a ``DataError`` (strict types; sqlite3 has
  no such types).
- ``char()`` of a surrogate code point gives U+FFFD (sqlite3 writes invalid UTF-8).
- ``printf('%.Ns')`` never cuts a character in half (sqlite3 counts bytes and may).
- ``quote()``/``printf()`` of a REAL: memtables rounds the double's exact decimal value (half
  away from zero, at most 16 significant digits, 26 with ``!``); sqlite3 3.40 computes the
  digits in x87 long double, so past the 15th significant digit, and at exact decimal ties
  after scaling (``printf('%.5g', 986115000000000.0)``), its last digit can differ.
- ``unhex``, ``concat``, ``concat_ws`` are newer than sqlite3 3.40 (3.41/3.44): they follow
  SQLite's documentation.
- ``randomblob``/``zeroblob`` refuse more than 100 MB (SQLite: 1 GB).
"""

from __future__ import annotations

import math
import os
import sqlite3
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import memtables

SETTINGS = settings(
    max_examples=int(os.environ.get("MEMTABLES_FN_EXAMPLES", "150")),
    deadline=None,
    derandomize="MEMTABLES_FN_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

MATH1 = [
    "sqrt", "exp", "ln", "log", "log10", "log2", "sin", "cos", "tan", "asin", "acos", "atan",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "degrees", "radians", "ceil", "ceiling",
    "floor", "trunc", "sign", "abs",
]  # fmt: skip
MATH2 = ["pow", "power", "atan2", "mod", "log"]
TEXT1 = ["quote", "unicode", "hex", "length", "lower", "upper", "typeof"]


def literal(v) -> str:
    """``v`` as an SQL literal both dialects read the same way."""
    if v is None:
        return "NULL"
    if isinstance(v, bytes):
        return "X'" + v.hex() + "'"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("1e999" if v > 0 else "-1e999")
    return str(v)


def same(m, s) -> bool:
    if isinstance(m, float) and isinstance(s, float):
        return m == s or (math.isnan(m) and math.isnan(s)) or math.isclose(m, s, rel_tol=1e-15)
    return type(m) is type(s) and m == s


def check(dbs, expr: str) -> None:
    """``SELECT expr`` gives the same value in memtables and sqlite3 (or both fail)."""
    m, s = dbs
    try:
        want = s.execute(f"SELECT {expr}").fetchone()[0]
    except sqlite3.Error:
        with pytest.raises(memtables.Error):
            m.execute(f"SELECT {expr}").fetchone()
        return
    got = m.execute(f"SELECT {expr}").fetchone()[0]
    assert same(got, want), (expr, got, want)


INTS = st.one_of(
    st.integers(-10, 10),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63), 2**53, 255, 1000]),
)
INTS_SMALL = st.integers(-999999, 999999)
REALS = st.one_of(
    st.floats(-10, 10, allow_nan=False),
    st.floats(allow_nan=False),
    st.sampled_from([0.0, -0.0, 0.5, -0.5, 1.5, 2.5, 1.0, -1.0, 1e308, 5e-324, 3.14159]),
)
NUMERIC_TEXT = st.from_regex(
    r"[ ]?[+-]?(\d{1,4}(\.\d{0,3})?|\.\d{1,3})([eE][+-]?\d{1,2})?[ ]?", fullmatch=True
)
PLAIN_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
TEXTS = st.one_of(
    NUMERIC_TEXT, PLAIN_TEXT, st.sampled_from(["", "abc", "12abc", "0x10", "1e", "'"])
)
BLOBS = st.binary(max_size=6)
UTF8_BLOBS = PLAIN_TEXT.map(str.encode)  # sqlite3's module cannot decode other blobs as text
VALUES = st.one_of(st.none(), INTS, REALS, TEXTS, BLOBS)


@SETTINGS
@given(fn=st.sampled_from(MATH1), x=VALUES)
def test_math_one_argument(dbs, fn, x):
    check(dbs, f"{fn}({literal(x)})")


@SETTINGS
@given(fn=st.sampled_from(MATH2), x=VALUES, y=VALUES)
def test_math_two_arguments(dbs, fn, x, y):
    check(dbs, f"{fn}({literal(x)}, {literal(y)})")


@SETTINGS
@given(fn=st.sampled_from(TEXT1), x=st.one_of(st.none(), INTS, TEXTS, UTF8_BLOBS))
def test_text_functions(dbs, fn, x):
    check(dbs, f"{fn}({literal(x)})")


@SETTINGS
@given(
    codes=st.lists(st.one_of(st.none(), st.integers(-5, 0x10FFFF + 5), NUMERIC_TEXT), max_size=4)
)
def test_char(dbs, codes):
    codes = [c for c in codes if not (isinstance(c, int) and 0xD800 <= c <= 0xDFFF)]
    check(dbs, f"char({', '.join(literal(c) for c in codes)})")


@SETTINGS
@given(x=st.one_of(st.none(), INTS, REALS, TEXTS, BLOBS))
def test_quote(dbs, x):
    if isinstance(x, float) and float(f"{x:.15g}") != x:
        x = float(f"{x:.15g}")  # 15 digits round-trip: no long double digits involved
    check(dbs, f"quote({literal(x)})")


# ---------------------------------------------------------------- printf
FLAGS = st.lists(st.sampled_from("-+ 0#"), max_size=3, unique=True).map("".join)
WIDTH = st.one_of(st.just(""), st.integers(0, 15).map(str))
PRECISION = st.one_of(st.just(""), st.integers(0, 12).map(lambda p: f".{p}"))
CONVERSIONS = {
    "d": INTS | NUMERIC_TEXT | st.none(),
    "i": INTS,
    "u": INTS,
    "x": INTS,
    "X": INTS,
    "o": INTS,
    "f": st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: float(f"{f:.6g}")) | INTS_SMALL,
    # no decimal ties past the point: sqlite3 rounds those in long double (see the docstring)
    "e": st.floats(allow_nan=False, allow_infinity=False),
    "g": st.floats(allow_nan=False, allow_infinity=False),
    "E": st.floats(-1e6, 1e6, allow_nan=False),
    "G": st.floats(-1e6, 1e6, allow_nan=False),
    "s": st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=6) | INTS,
    "q": st.text(st.sampled_from("ab'\" "), max_size=6) | st.none(),
    "Q": st.text(st.sampled_from("ab'\" "), max_size=6) | st.none(),
    "w": st.text(st.sampled_from("ab'\" "), max_size=6) | st.none(),
    "c": st.text(st.sampled_from("abc"), min_size=1, max_size=3),
    "r": st.integers(-200, 200),
}


def decimal_tie(x: float, digits: int) -> bool:
    """Whether rounding ``x`` to ``digits`` significant digits is an exact tie (…5 after)."""
    t = Decimal(x).normalize().as_tuple()
    return len(t.digits) == digits + 1 and t.digits[-1] == 5


@st.composite
def printf_calls(draw):
    fmt, args = [], []
    for _ in range(draw(st.integers(1, 3))):
        fmt.append(draw(st.sampled_from(["", "x", " ", "%%", "<"])))
        conv = draw(st.sampled_from(sorted(CONVERSIONS)))
        precision = draw(PRECISION)
        if conv in "feEgG" and precision[1:] and int(precision[1:]) > 8:
            precision = ".8"  # past 15 digits sqlite3's long double digits are not exact
        fmt.append(f"%{draw(FLAGS)}{draw(WIDTH)}{precision}{conv}")
        args.append(draw(CONVERSIONS[conv]))
        if conv in "eEgG":
            p = int(precision[1:] or 6) if precision else 6
            assume(not decimal_tie(args[-1], p + 1 if conv in "eE" else max(p, 1)))
    return "printf(" + ", ".join(literal(a) for a in ["".join(fmt), *args]) + ")"


@SETTINGS
@given(call=printf_calls())
def test_printf(dbs, call):
    check(dbs, call)


@pytest.mark.parametrize(
    "expr",
    [
        "printf(NULL)", "printf('')", "printf('%s', '')", "printf('%.0s', 'a')", "printf('%d')", "printf('%s')", "printf('abc%')", "printf(123)",
        "printf('%y', 1)", "printf('ab%yc')", "printf('%d%y', 5)", "printf('%s%y', '')", "printf('%5y')", "printf('a''b%_')", "printf('%5.2f|%-5d|%05d|%+d|% d', 3.14159, 4, 5, 6, 7)",
        "printf('%x %X %o %u', -1, 255, 8, -5)", "printf('%q %Q %Q %w', 'it''s', 'a', NULL, 'x\"y')",
        "printf('%q|%w', NULL, NULL)", "printf('%c|%.3c', 'hello', 'x')", "printf('%.20f', 0.1)",
        "printf('%.20f', 0.1234567890123456789)", "printf('%!.16f', 0.1)", "printf('%+ d|% +d|%+ f', 1, 2, 3.0)", "log(1, NULL)", "log(2, '8x')", "log(2, x'38')", "log('2', 'a')", "printf('%#x|%#o', 255, 8)",
        "printf('%,d', -1234567)", "printf('%*d|%-*d|%.*f', 5, 1, 4, 2, 2, 1.5)",
        "printf('%.0f %.0f %.0f', 0.5, 1.5, 2.5)", "printf('%f', 1e300)", "printf('%e', 0)",
        "printf('%#g', 1.0)", "printf('%-05d|', 3)", "printf('%.1e', 9.96)", "printf('%G', 1e-10)",
        "printf('%x', 1.9)", "printf('%d', x'3132')", "printf('%05s|%+s', 'a', 'b')",
        "printf('%+.3q', 'abcdef')", "printf('%n|%p', 10)", "printf('%lld', 5)",
        "printf('%r %r %r %r %r', 1, 2, 3, 11, 22)", "format('%s-%s', 'a', 1.5)",
        "printf('%.3s|%5s|', 'héllo', 'héllo')", "printf('%f', 9e999)", "printf('%+f', 9e999)",
        "printf('%d', 9223372036854775807)", "printf('%d', -9223372036854775808)",
    ],
)  # fmt: skip
def test_printf_examples(dbs, expr):
    check(dbs, expr)


@pytest.mark.parametrize(
    "expr",
    [
        "pi()", "sqrt(-1)", "ln(0)", "log(1, 8)", "log(0.5, 8)", "log(2, 0)", "log(4, 2)",
        "pow(0, -1)", "pow(-8, 1.0/3)", "pow(2, 1024)", "pow(-2, 1025)", "exp(1000)",
        "atanh(1)", "atanh(-1)", "sinh(-1000)", "cosh(1000)", "acos(2)", "sin(1e999)",
        "ceil(-0.5)", "ceil('3')", "ceil(9223372036854775807)", "floor(1e300)", "trunc(-1e999)",
        "mod(7, 0)", "mod(-7, 3)", "mod(7.5, 2)", "mod('a', 2)", "sign('abc')", "sign(x'31')",
        "sign(-0.0)", "sqrt(TRUE)", "sqrt(' 4 ')", "sqrt('0x10')", "degrees(pi())",
        "quote(0.1)", "quote(1e100)", "quote(1e999)", "quote(-1e999)", "quote(x'00ff')",
        "quote(-0.0)", "quote(1.5e-7)", "quote(123456789012345678)", "char()", "char(NULL)",
        "char(-1, 1114112, 65.9, '66')", "unicode('')", "unicode(65)", "hex(1.5)", "hex(NULL)",
        "zeroblob(-1)", "zeroblob('3')", "zeroblob(NULL)", "length(randomblob(0))",
        "length(randomblob(-5))", "length(randomblob(NULL))", "typeof(randomblob(3))",
        "iif(1 > 2, 'a', 'b')", "substr('abcdef', -3, 2)", "ltrim('xxaxx', 'x')",
        "rtrim('xxaxx', 'x')", "instr('abcabc', 'ca')", "replace('aaa', 'a', 'bb')",
    ],
)  # fmt: skip
def test_examples(dbs, expr):
    check(dbs, expr)


# ---------------------------------------------------------------- newer than sqlite3 3.40
@pytest.mark.parametrize(
    "expr, want",
    [
        ("unhex('414243')", b"ABC"),
        ("unhex('4a4B')", b"JK"),
        ("unhex('')", b""),
        ("unhex('41 42', ' ')", b"AB"),
        ("unhex('4 142', ' ')", None),  # a pair may not be split
        ("unhex('41-42')", None),
        ("unhex('414')", None),
        ("unhex('41x42', 'x4')", b"AB"),  # a hex digit in Y is not ignored, x is
        ("unhex(NULL)", None),
        ("unhex('41', NULL)", None),
        ("concat('a', NULL, 1, 2.5, x'43')", "a12.5C"),
        ("concat(NULL, NULL)", ""),
        ("concat_ws(', ', 'a', NULL, 'b', 3)", "a, b, 3"),
        ("concat_ws(NULL, 'a', 'b')", None),
        ("concat_ws('-', NULL, NULL)", ""),
        ("char(55296)", "\ufffd"),
        ("printf('%.2s|', 'héllo')", "h|"),
        ("printf('%!.2s|%!5s|', 'héllo', 'é')", "hé|    é|"),
    ],
)
def test_documented_behaviour(expr, want):
    with memtables.connect() as m:
        got = m.execute(f"SELECT {expr}").fetchone()[0]
    assert type(got) is type(want) and got == want


def test_quote_of_a_real_round_trips():
    with memtables.connect() as m:
        for x in (0.1 + 0.2, 1 / 3, 2.0**0.5, 1e-300 / 3):
            text = m.execute("SELECT quote(?)", (x,)).fetchone()[0]
            assert float(text) == x


# ---------------------------------------------------------------- on stored rows
def test_functions_over_columns(conn):
    conn.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB)")
    rows = [(1, 4, 2.25, "9", b"\x01"), (2, -3, -0.5, "x'y", b""), (3, None, None, None, None)]
    conn.executemany("INSERT INTO v VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()
    sql = (
        "SELECT sqrt(i), ceil(r), floor(i), sign(r), pow(i, 2), mod(i, 3), quote(s), "
        "hex(b), printf('%d:%.1f:%s', i, r, s), concat_ws('/', i, s), unicode(s) "
        "FROM v ORDER BY id"
    )
    s = sqlite3.connect(":memory:")
    s.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB)")
    s.executemany("INSERT INTO v VALUES (?, ?, ?, ?, ?)", rows)
    want = s.execute(sql.replace("concat_ws('/', i, s)", "NULL")).fetchall()
    got = conn.execute(sql).fetchall()
    want_ws = ["4/9", "-3/x'y", ""]
    for g, w, ws in zip(got, want, want_ws):
        assert all(same(a, b) for a, b in zip(g[:9], w[:9])), (g, w)
        assert g[9] == ws and same(g[10], w[10])
    # ceil and floor keep the argument's type in the result's description too
    cur = conn.execute("SELECT ceil(i), ceil(r), sqrt(i), printf('%d', i) FROM v")
    assert [d[1] for d in cur.description] == ["INTEGER", "REAL", "REAL", "TEXT"]


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "expr, error",
    [
        ("sqrt(1, 2)", memtables.ProgrammingError),
        ("pi(1)", memtables.ProgrammingError),
        ("pow(2)", memtables.ProgrammingError),
        ("log(1, 2, 3)", memtables.ProgrammingError),
        ("concat()", memtables.ProgrammingError),
        ("concat_ws('-')", memtables.ProgrammingError),
        ("printf()", memtables.ProgrammingError),
        ("unhex('41', ' ', 1)", memtables.ProgrammingError),
        ("zeroblob(1000000000)", memtables.DataError),
        ("randomblob(9223372036854775807)", memtables.DataError),
        ("sqrt(DATE '2024-01-01')", memtables.DataError),
        ("ceil(TIMESTAMP '2024-01-01 10:00:00')", memtables.DataError),
    ],
)
def test_bad_arguments(expr, error):
    with memtables.connect() as m:
        with pytest.raises(error) as info:
            m.execute(f"SELECT {expr}").fetchall()
    assert str(info.value)


def test_randomblob_is_random():
    with memtables.connect() as m:
        a, b = m.execute("SELECT randomblob(16), randomblob(16)").fetchone()
    assert len(a) == len(b) == 16 and a != b
