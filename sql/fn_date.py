"""SQLite's date and time functions: date, time, datetime, julianday, unixepoch, strftime,
and CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP (the calendar is in ``date_calc``).

'now' is read once per statement: ``statement_clock`` starts a statement's clock, and every
'now', CURRENT_DATE, CURRENT_TIME and CURRENT_TIMESTAMP in that statement see the same
millisecond (SQLite keeps it per statement too).
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import re
import time as _time
from typing import Any

from .date_calc import (
    UNIX_EPOCH_MS,
    InvalidTime,
    Moment,
    date_text,
    idiv,
    imod,
    read_moment,
    text_arg,
    time_text,
)

# ------------------------------------------------------------------ the statement's clock
# A cell per statement, filled on first use: a statement that never asks for the time pays
# one ContextVar.set. Outside any statement (a bare call) each call reads the wall clock.
_NOW: contextvars.ContextVar[list | None] = contextvars.ContextVar("memtables_now", default=None)


def statement_clock() -> contextvars.Token:
    """Start a statement's clock; hand the token to ``end_statement_clock`` when it ends."""
    return _NOW.set([None])


def end_statement_clock(token: contextvars.Token) -> None:
    """Give back the clock that was running before ``statement_clock`` (a nested statement's
    end must not end the outer one's)."""
    _NOW.reset(token)


def _now_jd() -> int:
    """The statement's 'now' as a julian day in milliseconds (UTC)."""
    cell = _NOW.get()
    if cell is None:
        return _time.time_ns() // 1_000_000 + UNIX_EPOCH_MS
    if cell[0] is None:
        cell[0] = _time.time_ns() // 1_000_000 + UNIX_EPOCH_MS
    return cell[0]


# ------------------------------------------------------------------ the SQL functions
def f_date(*args: Any) -> str | None:
    """date(time-value, modifier, ...): 'YYYY-MM-DD', or NULL."""
    try:
        return date_text(read_moment(args, _now_jd))
    except InvalidTime:
        return None


def f_time(*args: Any) -> str | None:
    """time(time-value, modifier, ...): 'HH:MM:SS', or NULL."""
    try:
        return time_text(read_moment(args, _now_jd))
    except InvalidTime:
        return None


def f_datetime(*args: Any) -> str | None:
    """datetime(time-value, modifier, ...): 'YYYY-MM-DD HH:MM:SS', or NULL."""
    try:
        p = read_moment(args, _now_jd)
        return f"{date_text(p)} {time_text(p)}"
    except InvalidTime:
        return None


def f_julianday(*args: Any) -> float | None:
    """julianday(time-value, modifier, ...): days since noon UTC, 24 November 4714 BC."""
    try:
        return read_moment(args, _now_jd).jd / 86400000.0
    except InvalidTime:
        return None


def f_unixepoch(*args: Any) -> int | None:
    """unixepoch(time-value, modifier, ...): whole seconds since 1970-01-01 UTC."""
    try:
        return read_moment(args, _now_jd).jd // 1000 - UNIX_EPOCH_MS // 1000
    except InvalidTime:
        return None


def _days_into_year(p: Moment) -> int:
    jan1 = p.copy()
    jan1.valid_jd = False
    jan1.M = jan1.D = 1
    jan1.compute_jd()
    return idiv(p.jd - jan1.jd + 43200000, 86400000)


def _fmt_fraction(p: Moment) -> str:
    return f"{min(p.s, 59.999):06.3f}"


def _fmt_week(p: Moment) -> str:
    days = _days_into_year(p)
    monday_based = imod(idiv(p.jd + 43200000, 86400000), 7)
    return f"{idiv(days + 7 - monday_based, 7):02d}"


#: strftime's conversions in SQLite 3.40 (later versions add %e %F %I %k %l %p %P %R %T %u
#: %G %g %U %V; 3.40 answers NULL for them, and so do we)
_STRFTIME = {
    "d": lambda p: f"{p.D:02d}",
    "f": _fmt_fraction,
    "H": lambda p: f"{p.h:02d}",
    "j": lambda p: f"{_days_into_year(p) + 1:03d}",
    "J": lambda p: f"{p.jd / 86400000.0:.16g}",
    "m": lambda p: f"{p.M:02d}",
    "M": lambda p: f"{p.m:02d}",
    "s": lambda p: str(p.jd // 1000 - UNIX_EPOCH_MS // 1000),
    "S": lambda p: f"{int(p.s):02d}",
    "w": lambda p: str(imod(idiv(p.jd + 129600000, 86400000), 7)),
    "W": _fmt_week,
    "Y": lambda p: f"{p.Y:04d}",
    "%": lambda p: "%",
}
_CONVERSION = re.compile(r"%(.|\Z)", re.S)


def f_strftime(fmt: Any = None, *args: Any) -> str | None:
    """strftime(format, time-value, modifier, ...): the format with its %-conversions
    replaced; NULL for an unknown conversion, as SQLite 3.40."""
    if fmt is None:
        return None
    fmt = text_arg(fmt)
    codes = _CONVERSION.findall(fmt)
    if any(c not in _STRFTIME for c in codes):
        return None
    try:
        p = read_moment(args, _now_jd)
        p.compute_all()
    except InvalidTime:
        return None
    return _CONVERSION.sub(lambda m: _STRFTIME[m.group(1)](p), fmt)


def f_current_date() -> _dt.date:
    """CURRENT_DATE: today in UTC at the statement's clock, as a DATE."""
    p = read_moment((), _now_jd)
    p.compute_ymd()
    return _dt.date(p.Y, p.M, p.D)


def f_current_time() -> str:
    """CURRENT_TIME: 'HH:MM:SS' in UTC at the statement's clock (TEXT, as in SQLite)."""
    return time_text(read_moment((), _now_jd))


def f_current_timestamp() -> _dt.datetime:
    """CURRENT_TIMESTAMP: the statement's clock in UTC to the second, as a TIMESTAMP."""
    p = read_moment((), _now_jd)
    p.compute_all()
    return _dt.datetime(p.Y, p.M, p.D, p.h, p.m, int(p.s))


_MANY = 1 << 30
#: name → (function, min args, max args, result type name); none is deterministic: any
#: argument may be 'now' or ask for local time
DATE_FUNCTIONS = {
    "date": (f_date, 0, _MANY, "TEXT"),
    "time": (f_time, 0, _MANY, "TEXT"),
    "datetime": (f_datetime, 0, _MANY, "TEXT"),
    "julianday": (f_julianday, 0, _MANY, "REAL"),
    "unixepoch": (f_unixepoch, 0, _MANY, "INTEGER"),
    "strftime": (f_strftime, 0, _MANY, "TEXT"),
}
