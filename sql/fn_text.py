"""SQLite's string and blob functions beyond the basics: quote, char, unicode, unhex, concat,
concat_ws, randomblob, zeroblob."""

from __future__ import annotations

import os
from typing import Any

from ..errors import DataError
from .fn_printf import f_printf
from .runtime import cast_integer, real_text, to_text

#: The longest blob randomblob()/zeroblob() make (SQLite's limit is 1e9 bytes; ours is lower
#: because the blob is materialised in memory at once).
MAX_BLOB = 100_000_000
_HEX = frozenset("0123456789abcdefABCDEF")


def _int_arg(v: Any) -> int:
    if v is None:
        return 0
    if type(v) in (int, float, bool, str, bytes):
        return cast_integer(v)
    return cast_integer(to_text(v))


def f_quote(v: Any) -> str:
    """quote(X): X as an SQL literal (NULL, a number, 'text' or X'blob')."""
    if v is None:
        return "NULL"
    t = type(v)
    if t is bool or t is int:
        return str(int(v))
    if t is float:
        if v == 0.0:
            return "0.0"
        s = real_text(v)
        if s in ("Inf", "-Inf", "NaN") or float(s) == v:
            return s
        return f_printf("%!.20e", v)  # 15 digits do not round-trip: print 21
    if t is bytes:
        return "X'" + v.hex().upper() + "'"
    return "'" + to_text(v).replace("'", "''") + "'"


def f_char(*codes: Any) -> str:
    """char(X1, X2, ...): the characters with those code points (invalid ones as U+FFFD)."""
    out = []
    for c in codes:
        n = _int_arg(c)
        if n < 0 or n > 0x10FFFF or 0xD800 <= n <= 0xDFFF:
            n = 0xFFFD
        out.append(chr(n))
    return "".join(out)


def f_unicode(v: Any) -> Any:
    """unicode(X): the code point of X's first character; NULL for NULL or ''."""
    if v is None:
        return None
    s = to_text(v)
    return ord(s[0]) if s and s[0] != "\x00" else None  # SQLite stops at a NUL


def f_unhex(v: Any, ignore: Any = "") -> Any:
    """unhex(X [, Y]): the blob X spells in hex pairs; characters of Y may separate pairs; any
    other character makes the result NULL."""
    if v is None or ignore is None:
        return None
    s, skip = to_text(v), set(to_text(ignore)) - _HEX
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in _HEX:
            if i + 1 >= n or s[i + 1] not in _HEX:
                return None
            out.append(int(s[i : i + 2], 16))
            i += 2
        elif c in skip:
            i += 1
        else:
            return None
    return bytes(out)


def f_concat(*args: Any) -> str:
    """concat(X, ...): the text of every non-NULL argument, joined."""
    return "".join(to_text(a) for a in args if a is not None)


def f_concat_ws(sep: Any, *args: Any) -> Any:
    """concat_ws(SEP, X, ...): the non-NULL arguments joined by SEP; NULL when SEP is."""
    if sep is None:
        return None
    return to_text(sep).join(to_text(a) for a in args if a is not None)


def _blob_size(v: Any, name: str) -> int:
    n = _int_arg(v)
    if n > MAX_BLOB:
        raise DataError(f"{name}(): {n} bytes is too big (at most {MAX_BLOB})")
    return n


def f_randomblob(n: Any) -> bytes:
    """randomblob(N): N random bytes (at least 1)."""
    return os.urandom(max(1, _blob_size(n, "randomblob")))


def f_zeroblob(n: Any) -> bytes:
    """zeroblob(N): N zero bytes (none when N < 1)."""
    return bytes(max(0, _blob_size(n, "zeroblob")))


_MANY = 1 << 30
#: name → (function, min args, max args, result type name, deterministic)
TEXT_FUNCTIONS = {
    "printf": (f_printf, 1, _MANY, "TEXT", True),
    "format": (f_printf, 1, _MANY, "TEXT", True),
    "quote": (f_quote, 1, 1, "TEXT", True),
    "char": (f_char, 0, _MANY, "TEXT", True),
    "unicode": (f_unicode, 1, 1, "INTEGER", True),
    "unhex": (f_unhex, 1, 2, "BLOB", True),
    "concat": (f_concat, 1, _MANY, "TEXT", True),
    "concat_ws": (f_concat_ws, 2, _MANY, "TEXT", True),
    "randomblob": (f_randomblob, 1, 1, "BLOB", False),
    "zeroblob": (f_zeroblob, 1, 1, "BLOB", True),
}
