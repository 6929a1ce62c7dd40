"""A contextual SQL lexer for the Lark LALR parser.

One compiled regular expression splits the text; words become keywords only where the parser
can accept that keyword (otherwise they are names, so ``key`` or ``replace`` work as column
and function names). Lark's generic contextual lexer does the same per parser state but
costs several times more per token, which dominated the time to compile a statement.
"""

from __future__ import annotations

import re
from typing import Iterator

from lark import Token
from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer

_MASTER = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*(?:.|\n)*?\*/)
  | (?P<BLOB>[xX]'(?:[0-9A-Fa-f][0-9A-Fa-f])*')
  | (?P<FLOAT>(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)
  | (?P<HEX>0[xX][0-9A-Fa-f]+)
  | (?P<INT>[0-9]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<STRING>'(?:[^']|'')*')
  | (?P<QUOTED_NAME>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<PARAM>\?[0-9]*|[:@$][A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>->>|->|\|\||<<|>>|<=|>=|==|!=|<>|[-+*/%<>=&|~(),.;])
    """,
    re.VERBOSE,
)

# Operators whose terminals the grammar names itself.
_NAMED_OPS = {
    "||": "CONCAT_OP",
    "->": "ARROW_OP",
    "->>": "ARROW_OP",
    "<<": "SHL",
    ">>": "SHR",
    "<=": "LE",
    ">=": "GE",
    "==": "EQ_OP",
    "!=": "NE_OP",
    "<>": "NE2_OP",
    "<": "LT",
    ">": "GT",
    "=": "EQ",
    "&": "AMP",
    "|": "PIPE",
    "+": "ADD_OP",
    "-": "ADD_OP",
    "*": "STAR",
    "/": "MUL_OP",
    "%": "MUL_OP",
    "~": "UNARY_OP",
}


class SQLLexer(Lexer):
    """Lark custom lexer (interface 2: it sees the parser state)."""

    __future_interface__ = 2

    def __init__(self, lexer_conf):
        self.keywords: dict[str, str] = {}
        self.ops = dict(_NAMED_OPS)
        for t in lexer_conf.terminals:
            if t.pattern.type != "str":
                continue
            value = t.pattern.value
            if value[:1].isalpha():
                self.keywords[value.lower()] = t.name
            elif value not in self.ops:
                self.ops[value] = t.name  # punctuation: "(" is LPAR, "," is COMMA ...

    def lex(self, lexer_state, parser_state) -> Iterator[Token]:
        text = lexer_state.text
        if not isinstance(text, str):
            text = text.text
        states = parser_state.parse_conf.states
        keywords = self.keywords
        ops = self.ops
        match = _MASTER.match
        pos, n = 0, len(text)
        line, line_start = 1, 0
        while pos < n:
            m = match(text, pos)
            if m is None:
                raise UnexpectedCharacters(text, pos, line, pos - line_start + 1)
            kind = m.lastgroup
            value = m.group()
            end = m.end()
            if kind == "ws" or kind == "comment":
                nl = value.count("\n")
                if nl:
                    line += nl
                    line_start = pos + value.rfind("\n") + 1
                pos = end
                continue
            if kind == "word":
                kind = "NAME"
                kw = keywords.get(value.lower())
                if kw is not None:
                    accepts = states[parser_state.position]
                    if kw in accepts or "NAME" not in accepts:
                        kind = kw
            elif kind == "op":
                kind = ops[value]
            col = pos - line_start + 1
            yield Token(kind, value, pos, line, col, line, col + len(value), end)
            if kind in ("STRING", "QUOTED_NAME") and "\n" in value:
                line += value.count("\n")
                line_start = pos + value.rfind("\n") + 1
            pos = end


def token_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """``(kind, start, end)`` of each token of ``text``, whitespace and comments left out.

    Kinds are the lexer's own (``PARAM``, ``STRING``, ``word``, ``op`` ...); the spans end at
    the first character no token begins with. For tools that need the text's pieces, not
    its meaning: where the parameters are, where a script's statements end.
    """
    match = _MASTER.match
    pos, n = 0, len(text)
    while pos < n:
        m = match(text, pos)
        if m is None:
            return
        kind = m.lastgroup
        if kind != "ws" and kind != "comment":
            yield kind, pos, m.end()
        pos = m.end()


__all__ = ["SQLLexer", "token_spans"]
