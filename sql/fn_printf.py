"""SQLite's printf()/format(): its conversions, flags, widths and digit rules.

SQLite formats numbers itself rather than with C's printf: integers are 64-bit (``%x`` of a
negative number is its two's complement), ``%.Nf`` rounds half away from zero, and a REAL
yields at most 16 significant digits (26 with the ``!`` flag), later digits print as 0.
Widths and precisions of ``%s`` count bytes of UTF-8 unless the ``!`` flag is given.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from .runtime import cast_integer, cast_real, to_text

_SPEC = re.compile(r"%([-+ 0#!,]*)(\*|\d+)?(?:\.(\*|\d*))?(l{0,2})(.?)", re.S)
_INTS = "diuxXopr"
_REALS = "feEgG"
_TEXTS = "sz"
_MAX_PRECISION = 100_000  # bounds what one conversion may allocate


class _Args:
    """The arguments after the format, consumed left to right; missing ones are NULL."""

    def __init__(self, args: tuple):
        self.args = args
        self.i = 0

    def next(self) -> Any:
        if self.i >= len(self.args):
            return None
        self.i += 1
        return self.args[self.i - 1]


def _int_of(v: Any) -> int:
    if v is None:
        return 0
    if type(v) in (int, float, bool, str, bytes):
        return cast_integer(v)
    return cast_integer(to_text(v))


def _real_of(v: Any) -> float:
    if v is None:
        return 0.0
    if type(v) in (int, float, bool, str, bytes):
        return cast_real(v)
    return cast_real(to_text(v))


def f_printf(fmt: Any, *args: Any) -> Any:
    """printf(FORMAT, ...): SQLite's formatting; an unknown conversion ends the text."""
    if fmt is None:
        return None
    fmt = to_text(fmt)
    if not fmt:  # SQLite: an empty format gives NULL (an empty result of '%s' does not)
        return None
    out = []
    pos = 0
    source = _Args(args)
    for m in _SPEC.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        piece = _convert(m, source)
        if piece is None:  # SQLite stops at an unknown conversion: NULL if it comes first
            return "".join(out) if m.start() else None
        out.append(piece)
    out.append(fmt[pos:])
    return "".join(out)


def _convert(m: re.Match, source: _Args) -> str | None:
    flags, width, precision, _, conv = m.groups()
    if conv == "":  # a lone '%' at the end is printed as is
        return "%"
    if conv == "%":
        return "%"
    left = "-" in flags
    if width == "*":
        w = _int_of(source.next())
        if w < 0:
            left, w = True, -w
        width = min(w, _MAX_PRECISION)
    else:
        width = min(int(width), _MAX_PRECISION) if width else 0
    if precision == "*":
        p = _int_of(source.next())
        precision = min(-p if p < 0 else p, _MAX_PRECISION)
    elif precision is not None:
        precision = min(int(precision or 0), _MAX_PRECISION)
    if conv == "n":
        return ""
    if conv in _INTS:
        body = _integer(conv, flags, width, precision, _int_of(source.next()))
        return _pad(body, width, left, False, flags)
    if conv in _REALS:
        body = _real(conv, flags, precision, _real_of(source.next()))
        return _pad(body, width, left, "0" in flags and body[-1] not in "fN", flags)
    if conv in _TEXTS or conv in "qQwc":
        body = _text(conv, flags, precision, source.next())
        return _pad(body, width, left, False, flags, by_bytes="!" not in flags)
    return None


def _pad(body: str, width: int, left: bool, zeros: bool, flags: str, by_bytes=False) -> str:
    size = len(body.encode("utf-8", "surrogatepass")) if by_bytes else len(body)
    n = width - size
    if n <= 0:
        return body
    if left:
        return body + " " * n
    if zeros:  # after the sign
        sign = body[0] if body[0] in "+- " else ""
        return sign + "0" * n + body[len(sign) :]
    return " " * n + body


def _sign_flag(flags: str) -> str:
    """The sign a positive number gets: of '+' and ' ', the last given wins (as in SQLite)."""
    return flags[max(flags.rfind("+"), flags.rfind(" "))] if "+" in flags or " " in flags else ""


def _integer(conv: str, flags: str, width: int, precision, v: int) -> str:
    if conv == "p":
        conv = "X"
    prefix = ""
    if conv in "dir":
        if v < 0:
            prefix, v = "-", -v
        else:
            prefix = _sign_flag(flags)
    elif v < 0:
        v += 1 << 64
    if conv in "diur":
        digits = str(v)
    elif conv == "o":
        digits = format(v, "o")
    else:
        digits = format(v, conv)
    if conv == "r":
        suffix = "th" if v % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(v % 10, "th")
        digits += suffix
    if "," in flags and conv in "di":
        digits = format(v, ",")
    p = precision or 0
    if "0" in flags and p < width - (1 if prefix else 0):
        p = width - (1 if prefix else 0)  # SQLite turns zero padding into a precision
    if len(digits) < p:
        digits = "0" * (p - len(digits)) + digits
    if "#" in flags and v != 0:
        digits = {"o": "0", "x": "0x", "X": "0X"}.get(conv, "") + digits
    return prefix + digits


def _real(conv: str, flags: str, precision, x: float) -> str:
    if precision is None:
        precision = 6
    sign = "-" if x < 0 else _sign_flag(flags)
    if x != x:
        return "NaN"
    x = abs(x)
    if x == float("inf"):
        return sign + "Inf"
    digits = 26 if "!" in flags else 16
    with localcontext() as ctx:
        ctx.prec = 800 + precision
        d = Decimal(x)
        if conv == "f":
            body = _fixed(d, precision, digits)
        elif conv in "eE":
            body = _exponent(d, precision, digits, conv)
        else:
            body = _general(d, precision, digits, "e" if conv == "g" else "E")
    return sign + _tidy(body, flags, conv in "gG")


def _tidy(body: str, flags: str, general: bool) -> str:
    """SQLite's decimal point rules: ``#`` and ``!`` always print one; trailing zeros go
    for %g (unless ``#``) and for any conversion with ``!``, which keeps one digit after it."""
    cut = max(body.find("e"), body.find("E"))
    mant, exp = (body[:cut], body[cut:]) if cut >= 0 else (body, "")
    if ("#" in flags or "!" in flags) and "." not in mant:
        mant += "."
    if ("#" not in flags if general else "!" in flags) and "." in mant:
        mant = mant.rstrip("0")
        if mant.endswith("."):
            mant = mant + "0" if "!" in flags else mant[:-1]
    return mant + exp


def _significant(d: Decimal, digits: int) -> Decimal:
    """``d`` with digits past the first ``digits`` significant ones dropped (SQLite prints
    them as 0)."""
    if not d:
        return d
    return d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1), rounding=ROUND_DOWN)


def _fixed(d: Decimal, precision: int, digits: int) -> str:
    q = d.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
    q = _significant(q, digits).quantize(Decimal(1).scaleb(-precision))
    return f"{q:f}"


def _exponent(d: Decimal, precision: int, digits: int, conv: str) -> str:
    e = d.adjusted() if d else 0
    m = d.scaleb(-e).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
    if m >= 10:
        e += 1
        m = d.scaleb(-e).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
    m = _significant(m, digits).quantize(Decimal(1).scaleb(-precision))
    return f"{m:f}{conv}{'-' if e < 0 else '+'}{abs(e):02d}"


def _general(d: Decimal, precision: int, digits: int, conv: str) -> str:
    p = precision or 1
    e = d.adjusted() if d else 0
    r = d.scaleb(-e).quantize(Decimal(1).scaleb(1 - p), rounding=ROUND_HALF_UP)
    if r >= 10:
        e += 1
    if e < -4 or e >= p:
        return _exponent(d, p - 1, digits, conv)
    return _fixed(d, p - 1 - e, digits)


def _text(conv: str, flags: str, precision, v: Any) -> str:
    if conv == "c":
        ch = to_text(v)[:1] if v is not None else ""
        ch = ch or "\x00"
        return ch * (precision if precision else 1)
    if v is None:  # %Q prints the keyword; it is cut by the precision as text would be
        text = {"Q": "NULL", "q": "(NULL)", "w": "(NULL)"}.get(conv, "")
        return _cut(text, precision, "!" in flags)
    s = _cut(to_text(v), precision, "!" in flags)
    if conv == "q":
        return s.replace("'", "''")
    if conv == "Q":
        return "'" + s.replace("'", "''") + "'"
    if conv == "w":
        return s.replace('"', '""')
    return s


def _cut(s: str, precision, by_chars: bool) -> str:
    """The first ``precision`` bytes of ``s`` (characters with ``!``), never half a
    character."""
    if precision is None:
        return s
    if by_chars:
        return s[:precision]
    b = s.encode("utf-8", "surrogatepass")
    if len(b) <= precision:
        return s
    return b[:precision].decode("utf-8", "ignore")
