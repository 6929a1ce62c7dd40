"""JSON documents as SQLite's JSON1 sees them: parsing, paths and minified text.

A parsed document keeps the source text of its numbers and strings, because SQLite does:
``json(' [1.50, "\\u0041"] ')`` is ``[1.50,"\\u0041"]``, and a path key matches an object
key by that text. Nodes are plain Python values:

* ``None``, ``True``, ``False`` for null, true, false;
* ``Num`` for a number (its text);
* ``str`` for a string: the text between the quotes, escapes left as written;
* ``list`` for an array and ``dict`` (key text → node) for an object.

A key written twice in one object is kept twice, as SQLite keeps it: the second one is a
``DupKey``, which no path matches (a path finds the first, as in SQLite).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import DataError

#: Deeper documents are malformed here (SQLite allows 2000): parsing, rendering and the
#: functions walk documents recursively, within Python's recursion limit.
MAX_DEPTH = 200

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"((?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*)"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?|(.))")
_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1


class Num:
    """A JSON number, kept as the text it was written as."""

    __slots__ = ("raw",)

    def __init__(self, raw: str):
        self.raw = raw

    def is_integer(self) -> bool:
        raw = self.raw
        return "." not in raw and "e" not in raw and "E" not in raw

    def value(self) -> int | float:
        """The SQL value: an INTEGER when it is written as one and fits in 64 bits."""
        if self.is_integer():
            n = int(self.raw)
            if _INT_MIN <= n <= _INT_MAX:
                return n
        return float(self.raw)


class DupKey(str):
    """An object key seen before in the same object: equal only to itself, so it stays a
    separate member and path lookups find the first one."""

    __slots__ = ()
    __hash__ = object.__hash__
    __eq__ = object.__eq__
    __ne__ = object.__ne__


class Malformed(DataError):
    """The text is not well-formed JSON."""

    def __init__(self) -> None:
        super().__init__("malformed JSON")


def parse(text: str) -> Any:
    """The document ``text`` as nodes; ``Malformed`` when it is not one JSON value."""
    pos = _WS.match(text, 0).end()
    node, pos = _value(text, pos, 0)
    pos = _WS.match(text, pos).end()
    if pos != len(text):
        raise Malformed()
    return node


def is_valid(text: str) -> bool:
    """True when ``text`` is one well-formed JSON value."""
    try:
        parse(text)
    except Malformed:
        return False
    return True


def _value(s: str, pos: int, depth: int) -> tuple[Any, int]:
    c = s[pos : pos + 1]
    if c == '"':
        m = _STRING.match(s, pos)
        if m is None:
            raise Malformed()
        return m.group(1), m.end()
    if c == "{" or c == "[":
        if depth >= MAX_DEPTH:
            raise Malformed()
        return (_object if c == "{" else _array)(s, pos + 1, depth + 1)
    if c == "-" or "0" <= c <= "9":
        m = _NUMBER.match(s, pos)
        if m is None:
            raise Malformed()
        return Num(m.group()), m.end()
    for word, node in (("null", None), ("true", True), ("false", False)):
        if s.startswith(word, pos):
            return node, pos + len(word)
    raise Malformed()


def _array(s: str, pos: int, depth: int) -> tuple[list, int]:
    out: list = []
    pos = _WS.match(s, pos).end()
    if s[pos : pos + 1] == "]":
        return out, pos + 1
    while True:
        node, pos = _value(s, pos, depth)
        out.append(node)
        pos = _WS.match(s, pos).end()
        c = s[pos : pos + 1]
        if c == "]":
            return out, pos + 1
        if c != ",":
            raise Malformed()
        pos = _WS.match(s, pos + 1).end()


def _object(s: str, pos: int, depth: int) -> tuple[dict, int]:
    out: dict = {}
    pos = _WS.match(s, pos).end()
    if s[pos : pos + 1] == "}":
        return out, pos + 1
    while True:
        m = _STRING.match(s, pos)
        if m is None:
            raise Malformed()
        pos = _WS.match(s, m.end()).end()
        if s[pos : pos + 1] != ":":
            raise Malformed()
        pos = _WS.match(s, pos + 1).end()
        key = m.group(1)
        if key in out:
            key = DupKey(key)
        out[key], pos = _value(s, pos, depth)
        pos = _WS.match(s, pos).end()
        c = s[pos : pos + 1]
        if c == "}":
            return out, pos + 1
        if c != ",":
            raise Malformed()
        pos = _WS.match(s, pos + 1).end()


# ---------------------------------------------------------------- strings
def escape(text: str) -> str:
    """``text`` as the inside of a JSON string, escaped as SQLite escapes it."""
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _NEEDS_ESCAPE.sub(lambda m: _SHORT.get(m.group()) or f"\\u{ord(m.group()):04x}", text)


def unescape(raw: str) -> str:
    """The text a JSON string stands for (a lone surrogate becomes U+FFFD)."""
    if "\\" not in raw:
        return str(raw)  # a DupKey's text is plain text
    return _ESCAPE.sub(_unescape_one, raw)


def _unescape_one(m: re.Match) -> str:
    hi, lo, ch = m.group(1), m.group(2), m.group(3)
    if ch is not None:
        return _SIMPLE.get(ch, ch)
    code = int(hi, 16)
    if 0xD800 <= code <= 0xDBFF and lo is not None:
        return chr(0x10000 + ((code - 0xD800) << 10) + (int(lo, 16) - 0xDC00))
    if 0xD800 <= code <= 0xDFFF:
        tail = "" if lo is None else "\ufffd"
        return "\ufffd" + tail
    return chr(code) + ("" if lo is None else "\ufffd")


# ---------------------------------------------------------------- text
def render(node: Any) -> str:
    """The minified text of ``node``, as SQLite writes it."""
    out: list[str] = []
    _render(node, out.append)
    return "".join(out)


def _render(node: Any, put) -> None:
    t = type(node)
    if t is str:
        put('"' + node + '"')
    elif t is Num:
        put(node.raw)
    elif t is list:
        put("[")
        for i, x in enumerate(node):
            if i:
                put(",")
            _render(x, put)
        put("]")
    elif t is dict:
        put("{")
        for i, (k, x) in enumerate(node.items()):
            put(',"' if i else '"')
            put(k)
            put('":')
            _render(x, put)
        put("}")
    else:
        put("null" if node is None else ("true" if node else "false"))


def type_name(node: Any) -> str:
    """json_type()'s name for a node."""
    t = type(node)
    if t is Num:
        return "integer" if node.is_integer() else "real"
    if t is str:
        return "text"
    if t is list:
        return "array"
    if t is dict:
        return "object"
    return "null" if node is None else ("true" if node else "false")


def sql_value(node: Any) -> Any:
    """The SQL value of a node: a number, text, 1/0 for true/false, NULL, or JSON text."""
    t = type(node)
    if t is Num:
        return node.value()
    if t is str:
        return unescape(node)
    if t is list or t is dict:
        return render(node)
    if node is None:
        return None
    return 1 if node else 0


def size(node: Any) -> int:
    """How many nodes SQLite's parse gives ``node`` (an object key counts as one): the
    ``id`` of json_each/json_tree rows is a position in that numbering."""
    t = type(node)
    if t is list:
        return 1 + sum(size(x) for x in node)
    if t is dict:
        return 1 + sum(1 + size(x) for x in node.values())
    return 1


__all__ = [
    "MAX_DEPTH",
    "DupKey",
    "Malformed",
    "Num",
    "escape",
    "is_valid",
    "parse",
    "render",
    "size",
    "sql_value",
    "type_name",
    "unescape",
]
