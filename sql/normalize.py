"""Auto-parameterisation: statements that differ only in their literals share one plan.

``WHERE id = 1`` and ``WHERE id = 2`` compile once (SQL Server's simple parameterisation,
PostgreSQL's query fingerprints). ``normalize`` scans the text once with a regular expression,
without the parser, and replaces each literal that stands for a value by a ``?``: the
shape's text, plus the literals' types, is the cache key; the literals are the values the
cached plan runs with.

Only values are replaced, and only where a parameter means exactly what the literal meant:

- in SELECT, INSERT, UPDATE and DELETE (never DDL, PRAGMA, EXPLAIN, triggers or views, whose
  text is stored), and only without ``?``/``:name`` parameters of their own;
- in WHERE, ON, SET and VALUES, not in select lists or RETURNING (column names and types
  come from their text), GROUP BY/ORDER BY (``ORDER BY 1`` is an ordinal), HAVING, LIMIT,
  OFFSET, window frames, type names (after AS) or after LIKE/GLOB (an index may use a
  constant prefix);
- not a number written with a sign (``-1`` is one literal to the parser), nor an integer of
  19 digits or more (it may be REAL), nor a hex integer.

``literals_are_values`` checks the parsed shape again (a column named ``values`` could fool
the scan), and the binder types each such parameter as its literal (``literal_types``), so
plans, affinities and descriptions stay those of the literal text.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

from ..errors import ProgrammingError
from ..types import BLOB, INTEGER, REAL, TEXT
from . import ast as A
from .parser import find_node, find_nodes

# The same alternatives, in the same order, as the lexer's (sql/lexer.py), so both split a
# text at the same places; whitespace and operators need no token here.
_TOKENS = re.compile(
    r"""
    (?P<skip>--[^\n]*|/\*(?:.|\n)*?\*/|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<blob>[xX]'(?:[0-9A-Fa-f][0-9A-Fa-f])*')
  | (?P<real>(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)
  | (?P<hex>0[xX][0-9A-Fa-f]+)
  | (?P<int>[0-9]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<str>'(?:[^']|'')*')
  | (?P<param>\?|[:@$][A-Za-z_])
  | (?P<open>\()
  | (?P<close>\))
  | (?P<sign>[-+])
  | (?P<end>;)
    """,
    re.VERBOSE,
)

_STARTS = frozenset({"select", "insert", "update", "delete", "replace", "with"})
# a keyword that starts a clause: True where its literals are values, False where not
_CLAUSES = {
    "where": True,
    "on": True,
    "set": True,
    "values": True,
    "select": False,
    "from": False,
    "join": False,
    "group": False,
    "order": False,
    "having": False,
    "limit": False,
    "offset": False,
    "window": False,
    "returning": False,
    "union": False,
    "intersect": False,
    "except": False,
    "as": False,
    "over": False,
    "ttl": False,
    "into": False,
}
_PATTERNS = frozenset({"like", "glob", "regexp", "match", "escape"})
_KIND_TYPE = {"i": INTEGER, "r": REAL, "s": TEXT, "b": BLOB}
MAX_INT_DIGITS = 18  # below 2**63 whatever the digits: never REAL, as 19 digits may be


class Shape(NamedTuple):
    """A statement with its value literals taken out: ``key`` (cache key: the text with
    ``?`` for each literal, and the literals' kinds), ``text`` (what is compiled),
    ``values`` (what it runs with) and ``source`` (the text as written)."""

    key: str
    text: str
    values: tuple
    source: str


def normalize(text: str) -> Shape | None:
    """The shape of ``text``, or None when it has no literal to take out or must not be
    parameterised (see the module's docstring). O(len(text)), one regular-expression scan.

    >>> normalize("SELECT * FROM t WHERE id = 42 AND name = 'o''k'").text
    'SELECT * FROM t WHERE id = ? AND name = ?'
    """
    pieces: list[str] = []
    values: list = []
    kinds: list[str] = []
    on = False  # literals are values in the clause being scanned
    stack: list[bool] = []  # ``on`` outside each open parenthesis
    signed = pattern = False
    last = 0
    first = True
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup
        if kind == "skip":
            continue
        if first:
            if kind != "word" or m.group().lower() not in _STARTS:
                return None
            first = False
        if kind == "word":
            word = m.group().lower()
            clause = _CLAUSES.get(word)
            if clause is not None:
                on = clause
            pattern = word in _PATTERNS
            signed = False
            continue
        if kind == "open":
            stack.append(on)
        elif kind == "close":
            if stack:
                on = stack.pop()
        elif kind == "param":
            return None
        elif kind == "sign":
            signed = True
            continue
        elif on and not pattern and kind != "end" and kind != "hex":
            value = _value(kind, m.group(), signed)
            if value is not None:
                pieces.append(text[last : m.start()])
                pieces.append("?")
                last = m.end()
                values.append(value)
                kinds.append(kind[0])
        signed = pattern = False
    if not values:
        return None
    pieces.append(text[last:])
    shape = "".join(pieces)
    return Shape(shape + "\x00" + "".join(kinds), shape, tuple(values), text)


def _value(kind: str, token: str, signed: bool):
    """The value of a literal token, or None when it stays in the text."""
    if kind == "str":
        return token[1:-1].replace("''", "'")
    if signed:  # "-1" is a literal of its own to the parser; "x - 1" is rare enough
        return None
    if kind == "int":
        return int(token) if len(token) <= MAX_INT_DIGITS else None
    if kind == "real":
        return float(token)
    return bytes.fromhex(token[2:-1])


def kinds_of(shape: Shape) -> tuple:
    """The SQL types of a shape's literals, in order (for ``literal_types``)."""
    return tuple(_KIND_TYPE[k] for k in shape.key[len(shape.text) + 1 :])


# ---------------------------------------------------------------- checking the parsed shape
def literals_are_values(node) -> bool:
    """True when no parameter of the parsed shape ``node`` sits where a literal is more than
    a value: a select list, RETURNING, GROUP BY, ORDER BY, HAVING, LIMIT, OFFSET, a window."""
    for n in find_nodes(node, (A.Select, A.SelectCore, A.Insert, A.Update, A.Delete, A.Call)):
        if isinstance(n, A.Select):
            parts = (n.order_by, n.limit, n.offset)
        elif isinstance(n, A.SelectCore):
            parts = (n.items, n.group_by, n.having, n.windows)
        elif isinstance(n, A.Call):
            parts = (n.over,)
        elif isinstance(n, A.Delete):
            parts = (n.returning,)
        else:
            parts = (n.returning, n.ttl)
        if any(p is not None and find_node(p, A.Param) is not None for p in parts):
            return False
    return True


class NotAValue(ProgrammingError):
    """Raised while binding a shape where its literal would not be a plain value."""


# ---------------------------------------------------------------- what the binder reads
_literal_types: ContextVar[tuple | None] = ContextVar("literal_types", default=None)


@contextmanager
def literal_types(types: tuple | None):
    """While a shape is prepared: the types of its literals, by parameter index."""
    token = _literal_types.set(types)
    try:
        yield
    finally:
        _literal_types.reset(token)


def literal_type(index: int):
    """The type of the literal parameter ``index`` stands for; None when it is a caller's."""
    types = _literal_types.get()
    return None if types is None else types[index]


# ---------------------------------------------------------------- scripts
def split_script(script: str) -> list[str] | None:
    """``script`` cut at each ``;`` outside strings, names and comments, or None when that
    may not be where its statements end (a CREATE TRIGGER's body has ``;`` inside)."""
    out = []
    start = 0
    words = 0  # words read in the current statement
    for m in _TOKENS.finditer(script):
        kind = m.lastgroup
        if kind == "end":
            out.append(script[start : m.end()])
            start = m.end()
            words = 0
        elif kind == "word" and words < 6:
            words += 1
            if m.group().lower() == "trigger":
                return None
    if script[start:].strip():
        out.append(script[start:])
    return out
