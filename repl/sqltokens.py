"""A small SQL tokenizer for the shell: enough to see where the cursor is, not to parse.

It keeps comments, strings and quoted names whole (and notices when the text ends inside
one), so completion and the statement scope never look into them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import memtables

#: Every keyword of the grammar, for completion: read from the query layer's one list.
KEYWORDS = tuple(sorted(memtables.keywords()))
#: Keywords that stand for a value, not for a clause: ``SELECT NULL, |`` is still a select list.
VALUE_WORDS = frozenset(
    {"NULL", "TRUE", "FALSE", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP"}
)
#: Keywords that can never be names, so they end a table list and open a clause. Soft
#: keywords (KEY, DATE, TTL ...) are left out: they are names wherever a name may stand.
CLAUSE_WORDS = memtables.keywords(reserved=True) - VALUE_WORDS
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
      | (?P<string>'(?:[^']|'')*'?)
      | (?P<qname>"(?:[^"]|"")*"?|`[^`]*`?|\[[^\]]*\]?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
      | (?P<number>\d+(?:\.\d*)?)
      | (?P<op>\|\||[<>!=]=?|\S)""",
    re.X | re.S,
)


@dataclass(frozen=True)
class Token:
    kind: str  # word, qname, string, number, op
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def name(self) -> str:
        """The identifier a word or quoted name stands for."""
        if self.kind == "qname":
            q = self.text[0]
            inner = self.text[1:-1] if len(self.text) > 1 else ""
            return inner.replace(q * 2, q) if q in '"`' else inner
        return self.text


def tokenize(text: str) -> list[Token]:
    """Significant tokens of ``text`` (no whitespace); comments are kept as tokens."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind != "ws":
            out.append(Token(kind, m.group()))
    return out


def open_at_end(tok: Token) -> bool:
    """True when the text ends inside this string, quoted name or comment."""
    t = tok.text
    if tok.kind == "string":
        return t.count("'") % 2 == 1
    if tok.kind == "comment":
        return t.startswith("--") or not t.endswith("*/")
    if tok.kind == "qname":
        return len(t) == 1 or t[-1] != {"[": "]"}.get(t[0], t[0])
    return False


def current_statement(tokens: list[Token]) -> list[Token]:
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i].kind == "op" and tokens[i].text == ";":
            return tokens[i + 1 :]
    return tokens


def table_scope(tokens: Sequence[Token]) -> tuple[tuple[str, str | None], ...]:
    """(table, alias) pairs a statement names after FROM, JOIN, UPDATE and INTO.

    >>> table_scope(tokenize("SELECT * FROM users u JOIN orders AS o ON u.id = o.uid"))
    (('users', 'u'), ('orders', 'o'))
    >>> table_scope(tokenize("SELECT * FROM a, sys.tables t WHERE"))
    (('a', None), ('sys.tables', 't'))
    """
    out = []
    i, n = 0, len(tokens)
    while i < n:
        if tokens[i].upper not in ("FROM", "JOIN", "UPDATE", "INTO"):
            i += 1
            continue
        i += 1
        while i < n and tokens[i].kind in ("word", "qname") and tokens[i].upper not in CLAUSE_WORDS:
            name = tokens[i].name
            i += 1
            if i + 1 < n and tokens[i].text == "." and tokens[i + 1].kind in ("word", "qname"):
                name += "." + tokens[i + 1].name
                i += 2
            if i < n and tokens[i].upper == "AS":
                i += 1
            alias = None
            if (
                i < n
                and tokens[i].kind in ("word", "qname")
                and tokens[i].upper not in CLAUSE_WORDS
            ):
                alias = tokens[i].name
                i += 1
            out.append((name, alias))
            if i < n and tokens[i].text == ",":
                i += 1
            else:
                break
    return tuple(out)
