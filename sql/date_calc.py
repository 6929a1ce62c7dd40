"""SQLite's calendar: time values, modifiers and the julian day arithmetic under its date
and time functions (``fn_date`` turns them into the SQL functions).

It follows SQLite 3.40's ``date.c`` step by step, because the answers are defined by that
algorithm rather than by a calendar library: a moment is a julian day in milliseconds
(``jd``) with, beside it, broken-down fields that may or may not be current (``valid_*``),
and each modifier moves one or the other. Dates run from 0000-01-01 to 9999-12-31 (Gregorian
throughout); what SQLite cannot read or represent gives NULL, never an error. Even SQLite's
error state is kept as it is (a moment whose arithmetic failed is zeroed and flagged, and
'utc' and 'localtime' clear the flag), since later modifiers can see it.
"""

from __future__ import annotations

import re
import time as _time
from typing import Any, Callable

from .runtime import to_text

#: Milliseconds between julian day 0 and the unix epoch (1970-01-01 is JD 2440587.5).
UNIX_EPOCH_MS = 210866760000000
#: The largest julian day in milliseconds SQLite accepts: 9999-12-31 23:59:59.999.
MAX_JD = 464269060799999
_SPACE = " \t\n\v\f\r"
_DIGITS = "0123456789"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# sqlite3AtoF: the whole text (blanks around allowed) must be one decimal number
_NUMBER = re.compile(
    r"[ \t\n\v\f\r]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\n\v\f\r]*"
)
# unit name → (largest magnitude accepted, milliseconds per unit)
_UNITS = {
    "second": (464269060800.0, 1000.0),
    "minute": (7737817680.0, 60000.0),
    "hour": (128963628.0, 3600000.0),
    "day": (5373485.0, 86400000.0),
    "month": (176546.0, 2592000000.0),
    "year": (14713.0, 31536000000.0),
}


class InvalidTime(Exception):
    """The time value or a modifier cannot be read or leaves the range: the result is NULL."""


# ------------------------------------------------------------------ C arithmetic
def idiv(a: int, b: int) -> int:
    """C's integer division, truncating toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def imod(a: int, b: int) -> int:
    """C's remainder, with the sign of the dividend."""
    return a - b * idiv(a, b)


def _ch(z: str, i: int) -> str:
    return z[i] if i < len(z) else "\0"


# ------------------------------------------------------------------ the moment
class Moment:
    """SQLite's DateTime: a julian day in ms and broken-down fields, each valid or not."""

    __slots__ = (
        "jd", "Y", "M", "D", "h", "m", "s", "tz",
        "valid_jd", "valid_ymd", "valid_hms", "valid_tz", "tz_set", "raw_s", "error",
    )  # fmt: skip

    def __init__(self) -> None:
        self.jd = self.Y = self.M = self.D = self.h = self.m = self.tz = 0
        self.s = 0.0
        self.valid_jd = self.valid_ymd = self.valid_hms = False
        self.valid_tz = self.tz_set = self.raw_s = self.error = False

    def fail(self) -> None:
        """SQLite's datetimeError: every field zero and the error flag up; modifiers go on
        with the zeroed moment, and only 'utc' and 'localtime' lower the flag again."""
        self.__init__()
        self.error = True

    def copy(self) -> Moment:
        c = Moment()
        for name in self.__slots__:
            setattr(c, name, getattr(self, name))
        return c

    def clear_fields(self) -> None:
        """The broken-down fields are stale after ``jd`` moved."""
        self.valid_ymd = self.valid_hms = self.valid_tz = False

    def set_raw_number(self, r: float) -> None:
        """A number: a julian day when in range; kept raw for 'unixepoch' and 'auto'."""
        self.s = r
        self.raw_s = True
        if 0.0 <= r < 5373484.5:
            self.jd = int(r * 86400000.0 + 0.5)
            self.valid_jd = True

    def compute_jd(self) -> None:
        """Julian day from the fields (Meeus p. 61); no date means 2000-01-01."""
        if self.valid_jd:
            return
        Y, M, D = (self.Y, self.M, self.D) if self.valid_ymd else (2000, 1, 1)
        if Y < -4713 or Y > 9999 or self.raw_s:
            self.fail()
            return
        if M <= 2:
            Y -= 1
            M += 12
        A = idiv(Y, 100)
        B = 2 - A + idiv(A, 4)
        X1 = idiv(36525 * (Y + 4716), 100)
        X2 = idiv(306001 * (M + 1), 10000)
        self.jd = int((X1 + X2 + D + B - 1524.5) * 86400000)
        self.valid_jd = True
        if self.valid_hms:
            self.jd += self.h * 3600000 + self.m * 60000 + int(self.s * 1000 + 0.5)
            if self.valid_tz:
                self.jd -= self.tz * 60000
                self.valid_ymd = self.valid_hms = self.valid_tz = False

    def compute_ymd(self) -> None:
        if self.valid_ymd:
            return
        if not self.valid_jd:
            self.Y, self.M, self.D = 2000, 1, 1
        elif not 0 <= self.jd <= MAX_JD:
            self.fail()
            return
        else:
            Z = (self.jd + 43200000) // 86400000
            A = int((Z - 1867216.25) / 36524.25)
            A = Z + 1 + A - idiv(A, 4)
            B = A + 1524
            C = int((B - 122.1) / 365.25)
            D = (36525 * (C & 32767)) // 100
            E = int((B - D) / 30.6001)
            self.D = B - D - int(30.6001 * E)
            self.M = E - 1 if E < 14 else E - 13
            self.Y = C - 4716 if self.M > 2 else C - 4715
        self.valid_ymd = True

    def compute_hms(self) -> None:
        if self.valid_hms:
            return
        self.compute_jd()
        ms = imod(self.jd + 43200000, 86400000)
        s = ms / 1000.0
        whole = int(s)
        self.h = idiv(whole, 3600)
        whole -= self.h * 3600
        self.m = idiv(whole, 60)
        self.s = s - int(s) + (whole - self.m * 60)
        self.raw_s = False
        self.valid_hms = True

    def compute_all(self) -> None:
        self.compute_ymd()
        self.compute_hms()


# ------------------------------------------------------------------ reading time values
def _digits(z: str, i: int, spec: tuple) -> list[int]:
    """Fixed-width numbers at ``z[i:]``: ``spec`` is (width, min, max, next char) per number,
    next char "\\0" for the last. As many values as were read before one failed."""
    out = []
    for width, lo, hi, sep in spec:
        part = z[i : i + width]
        if len(part) < width or any(c not in _DIGITS for c in part):
            break
        v = int(part)
        i += width
        if v < lo or v > hi or (sep != "\0" and _ch(z, i) != sep):
            break
        out.append(v)
        i += 1
    return out


_HM = ((2, 0, 24, ":"), (2, 0, 59, "\0"))
_TZ_HM = ((2, 0, 14, ":"), (2, 0, 59, "\0"))
_YMD = ((4, 0, 9999, "-"), (2, 1, 12, "-"), (2, 1, 31, "\0"))


def _parse_timezone(z: str, i: int, p: Moment) -> bool:
    """An optional ``Z`` or ``±HH:MM`` ending the text; True when the text is malformed."""
    n = len(z)
    while i < n and z[i] in _SPACE:
        i += 1
    p.tz = 0
    c = _ch(z, i)
    if c == "Z" or c == "z":
        i += 1
    elif c in "+-":
        hm = _digits(z, i + 1, _TZ_HM)
        if len(hm) != 2:
            return True
        i += 6
        p.tz = (hm[1] + hm[0] * 60) * (-1 if c == "-" else 1)
    else:
        return i < n
    while i < n and z[i] in _SPACE:
        i += 1
    p.tz_set = True
    return i < n


def _parse_hms(z: str, i: int, p: Moment) -> bool:
    """``HH:MM[:SS[.FFF]]`` and an optional time zone; True when malformed."""
    hm = _digits(z, i, _HM)
    if len(hm) != 2:
        return True
    i += 5
    s, frac = 0, 0.0
    if _ch(z, i) == ":":
        sec = _digits(z, i + 1, ((2, 0, 59, "\0"),))
        if not sec:
            return True
        s = sec[0]
        i += 3
        if _ch(z, i) == "." and _ch(z, i + 1) in _DIGITS:
            i += 1
            scale = 1.0
            while _ch(z, i) in _DIGITS:
                frac = frac * 10.0 + (ord(z[i]) - 48)
                scale *= 10.0
                i += 1
            frac /= scale
    p.valid_jd = False
    p.raw_s = False
    p.valid_hms = True
    p.h, p.m, p.s = hm[0], hm[1], s + frac
    if _parse_timezone(z, i, p):
        return True
    p.valid_tz = p.tz != 0
    return False


def _parse_ymd(z: str, p: Moment) -> bool:
    """``[-]YYYY-MM-DD`` then an optional time (after blanks or ``T``); True when malformed."""
    neg = z[:1] == "-"
    i = 1 if neg else 0
    ymd = _digits(z, i, _YMD)
    if len(ymd) != 3:
        return True
    i += 10
    while i < len(z) and (z[i] in _SPACE or z[i] == "T"):
        i += 1
    if _parse_hms(z, i, p):
        if i < len(z):
            return True
        p.valid_hms = False
    p.valid_jd = False
    p.valid_ymd = True
    p.Y, p.M, p.D = (-ymd[0] if neg else ymd[0]), ymd[1], ymd[2]
    if p.valid_tz:
        p.compute_jd()
    return False


def _parse_text(z: str, p: Moment, now: Callable[[], int]) -> None:
    """A time value given as text: ISO date/time, 'now', or a number."""
    if not _parse_ymd(z, p) or not _parse_hms(z, 0, p):  # each is True when z is not its form
        return
    if z.translate(_ASCII_LOWER) == "now":
        p.jd = now()
        p.valid_jd = True
        return
    if _NUMBER.fullmatch(z):
        p.set_raw_number(float(z))
        return
    raise InvalidTime


# ------------------------------------------------------------------ modifiers
def _to_localtime(p: Moment) -> None:
    """Move ``p``, taken as UTC, to local time by the C library's localtime(); a moment
    outside 1970-2038, where localtime() may not reach, is first moved by whole years to
    2000-2003 (same leap-year place) and moved back after."""
    p.compute_jd()
    if p.jd < 210866760000000 or p.jd > 213014145600000:
        x = p.copy()
        x.compute_all()
        year_diff = 2000 + imod(x.Y, 4) - x.Y
        x.Y += year_diff
        x.valid_jd = False
        x.compute_jd()
        t = idiv(x.jd, 1000) - UNIX_EPOCH_MS // 1000
    else:
        year_diff = 0
        t = idiv(p.jd, 1000) - UNIX_EPOCH_MS // 1000
    try:
        lt = _time.localtime(t)
    except (OverflowError, OSError, ValueError):
        raise InvalidTime from None
    p.Y = lt.tm_year - year_diff
    p.M, p.D, p.h, p.m = lt.tm_mon, lt.tm_mday, lt.tm_hour, lt.tm_min
    p.s = lt.tm_sec + imod(p.jd, 1000) * 0.001
    p.valid_ymd = p.valid_hms = True
    p.valid_jd = p.raw_s = p.valid_tz = p.error = False


def _to_utc(p: Moment) -> None:
    """Move ``p``, taken as local time, to UTC: guess, convert back, correct (up to three
    times, for daylight saving time's gaps); a moment with a time zone is UTC already."""
    if p.tz_set:
        return
    p.compute_jd()
    guess = orig = p.jd
    err = tries = 0
    while True:
        probe = Moment()
        guess -= err
        probe.jd = guess
        probe.valid_jd = True
        _to_localtime(probe)
        probe.compute_jd()
        err = probe.jd - orig
        if not err or tries >= 3:
            break
        tries += 1
    p.__init__()
    p.jd = guess
    p.valid_jd = p.tz_set = True


def _add_months(p: Moment, months: int) -> None:
    p.compute_all()
    p.M += months
    x = idiv(p.M - 1, 12) if p.M > 0 else idiv(p.M - 12, 12)
    p.Y += x
    p.M -= x * 12
    p.valid_jd = False


def _modify_number(p: Moment, z: str) -> None:
    """``±NNN unit[s]`` or ``±HH:MM[:SS[.FFF]]``."""
    n = 1
    while n < len(z) and z[n] != ":" and z[n] not in _SPACE:
        n += 1
    if not _NUMBER.fullmatch(z[:n]):
        raise InvalidTime
    r = float(z[:n])
    if _ch(z, n) == ":":
        z2 = z if z[0] in _DIGITS else z[1:]
        tx = Moment()
        if _parse_hms(z2, 0, tx):
            raise InvalidTime
        tx.compute_jd()
        tx.jd -= 43200000
        tx.jd -= idiv(tx.jd, 86400000) * 86400000
        if z[0] == "-":
            tx.jd = -tx.jd
        p.compute_jd()
        p.clear_fields()
        p.jd += tx.jd
        return
    unit = z[n:].lstrip(_SPACE)
    if not 3 <= len(unit) <= 10:
        raise InvalidTime
    unit = unit.translate(_ASCII_LOWER)
    if unit[-1] == "s":
        unit = unit[:-1]
    p.compute_jd()
    spec = _UNITS.get(unit)
    if spec is None or not -spec[0] < r < spec[0]:
        raise InvalidTime
    if unit == "month":
        _add_months(p, int(r))
        r -= int(r)
    elif unit == "year":
        p.compute_all()
        p.Y += int(r)
        p.valid_jd = False
        r -= int(r)
    p.compute_jd()
    p.jd += int(r * spec[1] + (-0.5 if r < 0 else 0.5))
    p.clear_fields()


def _modify(p: Moment, z: str, idx: int) -> None:
    """Apply modifier ``z`` (the ``idx``-th argument after the time value) to ``p``."""
    low = z.translate(_ASCII_LOWER)
    first = low[:1]
    if low == "auto":
        if idx > 1:
            raise InvalidTime
        if not p.raw_s or p.valid_jd:
            p.raw_s = False
        elif -210866760000 <= p.s <= 253402300799:
            p.clear_fields()
            p.jd = int(p.s * 1000.0 + UNIX_EPOCH_MS + 0.5)
            p.valid_jd, p.raw_s = True, False
        else:
            raise InvalidTime
    elif low == "julianday":
        if idx > 1 or not (p.valid_jd and p.raw_s):
            raise InvalidTime
        p.raw_s = False
    elif low == "localtime":
        _to_localtime(p)
    elif low == "unixepoch":
        if not p.raw_s or idx > 1:
            raise InvalidTime
        r = p.s * 1000.0 + UNIX_EPOCH_MS
        if not 0.0 <= r < 464269060800000.0:
            raise InvalidTime
        p.clear_fields()
        p.jd = int(r + 0.5)
        p.valid_jd, p.raw_s = True, False
    elif low == "utc":
        _to_utc(p)
    elif low.startswith("weekday "):
        _weekday(p, z[8:])
    elif low.startswith("start of "):
        _start_of(p, low[9:])
    elif first and first in "+-0123456789":
        _modify_number(p, z)
    else:
        raise InvalidTime


def _weekday(p: Moment, arg: str) -> None:
    """Forward to the next day that is weekday N (0 = Sunday), staying if already on one."""
    if not _NUMBER.fullmatch(arg):
        raise InvalidTime
    r = float(arg)
    if not (0.0 <= r < 7.0 and int(r) == r):
        raise InvalidTime
    n = int(r)
    p.compute_all()
    p.valid_tz = False
    p.valid_jd = False
    p.compute_jd()
    z = imod(idiv(p.jd + 129600000, 86400000), 7)
    if z > n:
        z -= 7
    p.jd += (n - z) * 86400000
    p.clear_fields()


def _start_of(p: Moment, what: str) -> None:
    if not (p.valid_jd or p.valid_ymd or p.valid_hms):
        raise InvalidTime
    p.compute_ymd()
    p.valid_hms = True
    p.h = p.m = 0
    p.s = 0.0
    p.raw_s = False
    p.valid_tz = False
    p.valid_jd = False
    if what == "month":
        p.D = 1
    elif what == "year":
        p.M = p.D = 1
    elif what != "day":
        raise InvalidTime


def text_arg(v: Any) -> str:
    """An argument as the text SQLite's functions read (a C string ends at NUL)."""
    if type(v) is bytes:
        v = v.decode("utf-8", "replace")
    return to_text(v).split("\0", 1)[0]


def read_moment(args: tuple, now: Callable[[], int]) -> Moment:
    """The time value ``args[0]`` (none means 'now': a julian day in ms from ``now()``) moved
    by the modifiers after it; ``InvalidTime`` when the result is NULL."""
    p = Moment()
    if not args:
        p.jd = now()
        p.valid_jd = True
        return p
    v = args[0]
    if v is None:
        raise InvalidTime
    t = type(v)
    if t is int or t is float or t is bool:
        try:
            p.set_raw_number(float(v))
        except OverflowError:  # beyond a double: SQLite would have an infinity
            p.set_raw_number(float("inf") if v > 0 else float("-inf"))
    else:
        _parse_text(text_arg(v), p, now)
    for idx in range(1, len(args)):
        m = args[idx]
        if m is None:
            raise InvalidTime
        _modify(p, text_arg(m), idx)
    p.compute_jd()
    if p.error or not 0 <= p.jd <= MAX_JD:
        raise InvalidTime
    return p


def _year_text(y: int) -> str:
    return f"-{-y:04d}" if y < 0 else f"{y:04d}"


def date_text(p: Moment) -> str:
    p.compute_ymd()
    return f"{_year_text(p.Y)}-{p.M:02d}-{p.D:02d}"


def time_text(p: Moment) -> str:
    p.compute_hms()
    return f"{p.h:02d}:{p.m:02d}:{int(p.s):02d}"
