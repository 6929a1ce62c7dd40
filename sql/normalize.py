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

# What the lexer (sql/lexer.py) would read as one token, where it matters here: literals,
# words, quoted names, comments, parameters, parentheses, signs and ";". A blob comes before
# a word (x'00' is not the name x), a comment before a sign. One capturing group, so that
# ``split`` gives [between, token, between, token, ..., between]: a C loop, no match
# objects, which is most of what scanning a statement costs.
_SPLIT = re.compile(
    r"""(
    [xX]'(?:[0-9A-Fa-f][0-9A-Fa-f])*'
  | [A-Za-z_][A-Za-z0-9_$]*
  | '[^']*(?:''[^']*)*'
  | (?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+
  | 0[xX][0-9A-Fa-f]+
  | [0-9]+
  | --[^\n]*|/\*(?:.|\n)*?\*/
  | "[^"]*(?:""[^"]*)*"|`[^`]*(?:``[^`]*)*`|\[[^\]]*\]
  | \?[0-9]*|[:@$][A-Za-z_]
  | [-+();]
    )""",
    re.VERBOSE,
).split
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_DIGITS = "0123456789."
_PARAMS = frozenset("?:@$")

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
_PATTERN = "pattern"  # the literal after this word stays: an index may use its prefix
_WORDS = {**_CLAUSES, **dict.fromkeys(("like", "glob", "regexp", "match", "escape"), _PATTERN)}
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
    parameterised (see the module's docstring). O(len(text)): one regular-expression split.

    >>> normalize("SELECT * FROM t WHERE id = 42 AND name = 'o''k'").text
    'SELECT * FROM t WHERE id = ? AND name = ?'
    """
    return _shape(_SPLIT(text), text)


def _shape(parts: list[str], text: str) -> Shape | None:
    """``normalize`` of a text already split by ``_SPLIT``: one pass over its tokens, the
    hot loop of a script of literal INSERTs (strings and numbers tested first)."""
    n = len(parts)
    head = 1
    while head < n and parts[head][:2] in ("--", "/*"):
        head += 2  # comments before the statement
    if head >= n or parts[head].lower() not in _STARTS:
        return None
    values: list = []
    kinds: list[str] = []
    on = False  # literals are values in the clause being scanned
    stack: list[bool] = []  # ``on`` outside each open parenthesis
    signed = pattern = False
    words = _WORDS
    for i in range(head, n, 2):
        tok = parts[i]
        c = tok[0]
        if c == "'":
            if on and not pattern:
                parts[i] = "?"
                values.append(tok[1:-1].replace("''", "'") if "''" in tok else tok[1:-1])
                kinds.append("s")
        elif c in _DIGITS:
            if on and not pattern and not signed:
                kind, value = _number(tok)
                if kind is not None:
                    parts[i] = "?"
                    values.append(value)
                    kinds.append(kind)
        elif c in _WORD and tok[-1] != "'":
            what = words.get(tok.lower())
            if what is not None:
                if what is _PATTERN:
                    pattern = True
                    signed = False
                    continue
                on = what
        elif c == "(":
            stack.append(on)
        elif c == ")":
            if stack:
                on = stack.pop()
        elif c == "-" or c == "+" or c == "/":
            if len(tok) == 1:
                signed = True
            continue  # a sign, or a comment, which changes nothing
        elif c in _PARAMS:
            return None
        elif c in "xX":  # a blob
            if on and not pattern:
                parts[i] = "?"
                values.append(bytes.fromhex(tok[2:-1]))
                kinds.append("b")
        signed = pattern = False
    if not values:
        return None
    shape = "".join(parts)
    return Shape(shape + "\x00" + "".join(kinds), shape, tuple(values), text)


def _number(tok: str) -> tuple:
    """(kind, value) of a number token, or (None, None) when it stays in the text."""
    if "." in tok or "e" in tok or "E" in tok:
        return "r", float(tok)
    if tok[1:2] in ("x", "X") or len(tok) > MAX_INT_DIGITS:
        return None, None  # hex, or an integer that may be too big for 64 bits: REAL
    return "i", int(tok)


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
def split_script(script: str) -> list | None:
    """``script`` cut at each ``;`` outside strings, names and comments: for each statement
    its ``Shape`` (``normalize``), or its text when it has none. None when a ``;`` may not
    end a statement (a CREATE TRIGGER's body has some inside). O(len(script)).
    """
    parts = _SPLIT(script)
    n = len(parts)
    find = parts.index  # a ";" between tokens is a token itself: never part of a between
    out: list = []
    start = 0  # index in parts of the between before the statement's first token
    while start < n - 1:
        try:
            end = find(";", start + 1)
        except ValueError:
            end = n - 1  # the last statement has no ";"
        first = parts[start + 1]
        if first[:2] in ("--", "/*") or first.lower() == "create":
            if any(t.lower() == "trigger" for t in parts[start + 1 : min(end, start + 14) : 2]):
                return None
        _add_statement(out, parts[start : end + 1])
        start = end + 1
    return out


def _add_statement(out: list, parts: list[str]) -> None:
    """Append the statement of ``parts`` (a slice of ``_SPLIT``'s list from a between)."""
    parts[0] = parts[0].lstrip()  # the same statement on another line: the same shape
    text = "".join(parts)
    out.append(_shape(parts, text) or text)
