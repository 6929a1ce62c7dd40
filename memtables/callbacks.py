"""The connection's callbacks as sqlite3 has them: the trace callback and the progress handler.

``Tracer`` calls ``set_trace_callback``'s function with each statement's text as it starts,
its parameters written in as SQL literals (sqlite3's "expanded SQL"); ``script_pieces``
cuts a script into the statement texts ``executescript`` traces. ``progress_handler``
wraps a progress handler for the statement runtime (``sql.plan_runtime.watched``);
``log_if_slow`` reports a statement for the database's ``slow_statement`` threshold.

A callback's exception never reaches the statement: a trace callback's is ignored, a
progress handler's stops the statement (as a true return does). Either is reported through
``sys.unraisablehook`` after ``enable_callback_tracebacks(True)``, as in sqlite3.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Callable

from .errors import ProgrammingError
from .sql.lexer import token_spans
from .sql.render import literal

_tracebacks = [False]  # a list: one module-wide flag, set by enable_callback_tracebacks


def enable_callback_tracebacks(flag: bool, /) -> None:
    """Report exceptions raised in trace callbacks, progress handlers (and their kin) through
    ``sys.unraisablehook`` (by default they are silently dropped), as sqlite3's function."""
    _tracebacks[0] = bool(flag)


def _report(exc: BaseException, what: str) -> None:
    if _tracebacks[0]:
        sys.unraisablehook(
            _Unraisable(type(exc), exc, exc.__traceback__, f"Exception ignored in {what}", None)
        )


class _Unraisable:
    """What ``sys.unraisablehook`` expects (the attributes of ``sys.UnraisableHookArgs``)."""

    def __init__(self, exc_type, exc_value, exc_traceback, err_msg, obj) -> None:
        self.exc_type = exc_type
        self.exc_value = exc_value
        self.exc_traceback = exc_traceback
        self.err_msg = err_msg
        self.object = obj


def _check_callable(fn: Any, what: str) -> None:
    if fn is not None and not callable(fn):
        raise ProgrammingError(f"{what} must be callable or None, not {type(fn).__name__}")


class Tracer:
    """A trace callback: ``tracer(text, stmt, params)`` before a statement runs."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[str], object]) -> None:
        self.fn = fn

    def __call__(self, text: str, stmt: Any, params: tuple) -> None:
        try:
            self.fn(expanded(text, stmt, params) if params else text)
        except Exception as e:  # sqlite3 ignores it: tracing must not change what runs
            _report(e, "trace callback")


def tracer(fn: Callable[[str], object] | None) -> Tracer | None:
    """The connection's tracer for ``set_trace_callback(fn)``; None removes it."""
    _check_callable(fn, "trace callback")
    return None if fn is None else Tracer(fn)


def progress_handler(fn: Callable[[], object] | None, n: int) -> Callable[[], bool] | None:
    """What the statement runtime calls for ``set_progress_handler(fn, n)``: True to stop.

    None when ``fn`` is None or ``n`` is below 1 (sqlite3 then calls nothing)."""
    _check_callable(fn, "progress handler")
    if isinstance(n, bool) or not isinstance(n, int):
        raise ProgrammingError(f"n must be an integer, not {type(n).__name__}")
    if fn is None or n < 1:
        return None

    def stop() -> bool:
        try:
            return bool(fn())
        except Exception as e:  # a failing handler stops the statement, as in sqlite3
            _report(e, "progress handler")
            return True

    return stop


def expanded(text: str, stmt: Any, params: tuple) -> str:
    """``text`` with each parameter replaced by its value as an SQL literal.

    ``params`` is the statement's positional tuple (``stmt.param_names`` orders the named
    ones). Literals are written as SQLite writes them (``x'0a'`` blobs, 15 significant
    digits for reals), so traces read the same as sqlite3's.
    """
    names = stmt.param_names
    out: list[str] = []
    pos = 0
    anonymous = 0
    for kind, start, end in token_spans(text):
        if kind != "PARAM":
            continue
        token = text[start:end]
        if token == "?":
            i = anonymous
            anonymous += 1
        elif token[0] == "?":
            i = int(token[1:]) - 1
        else:
            i = names.index(token[1:]) if names and token[1:] in names else -1
        if not 0 <= i < len(params):
            return text  # a text we cannot follow: give it as it was written
        out.append(text[pos:start])
        out.append(_sqlite_literal(params[i]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _sqlite_literal(v: Any) -> str:
    if isinstance(v, bytes):
        return "x'" + v.hex() + "'"
    if type(v) is float and v == v and v not in (float("inf"), float("-inf")):
        r = format(v, ".15g")
        mantissa, e, exponent = r.partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        return mantissa + e + exponent
    return literal(v)


def script_pieces(script: str) -> list[str]:
    """The statement texts of a script as sqlite3 traces them: each runs from the end of the
    one before it through its ``;`` (a trigger's body keeps its own). Text after the last
    ``;`` that holds a statement is one more piece."""
    pieces: list[str] = []
    begin = 0
    words: list[str] = []  # the first words of the statement under way
    depth = 0  # BEGIN/CASE ... END nesting inside CREATE TRIGGER
    for kind, start, end in token_spans(script):
        token = script[start:end]
        if kind == "word":
            word = token.lower()
            if len(words) < 4:
                words.append(word)
            if "trigger" in words and words[0] == "create":
                if word in ("begin", "case"):
                    depth += 1
                elif word == "end" and depth:
                    depth -= 1
        elif token == ";" and not depth:
            pieces.append(script[begin:end])
            begin = end
            words = []
    if script[begin:].strip():
        pieces.append(script[begin:])
    return pieces


def script_texts(trace: Any, script: str, count: int) -> list[str]:
    """The texts to trace for a script's ``count`` statements (the whole script for each
    when its pieces cannot be told apart; nothing to cut when no one traces)."""
    if trace is None:
        return [script] * count
    pieces = script_pieces(script)
    return pieces if len(pieces) == count else [script] * count


_log = logging.getLogger("memtables")
_SHOWN = 500  # characters of a slow statement's text in the log


def log_if_slow(sql: str, limit: float, start: float, what: str = "statement") -> None:
    """Log ``sql`` as a WARNING on the ``memtables`` logger when it ran for ``limit`` seconds
    or more since ``start`` (a ``time.perf_counter()``)."""
    elapsed = time.perf_counter() - start
    if elapsed >= limit:
        text = sql if len(sql) <= _SHOWN else sql[:_SHOWN] + "..."
        _log.warning("slow %s (%.3f s): %s", what, elapsed, text)
