"""Splitting SQL text into statements, aware of quotes and comments.

The shell and scripts share one scanner: ``split_script`` cuts text into SQL statements and
dot-command lines, ``split_statements`` into statements only, and ``is_complete`` is the rule
the shell's Enter key follows (run the input, or open a continuation line).
"""

from __future__ import annotations

SQL = "sql"
DOT = "dot"


def _skip(text: str, i: int) -> int:
    """The index after the quoted token or comment starting at ``i``; ``i`` when there is
    none there; ``-1`` when it is left open (an unterminated string or block comment)."""
    c = text[i]
    if c in "'\"`":
        j = text.find(c, i + 1)
        while j != -1 and j + 1 < len(text) and text[j + 1] == c:
            j = text.find(c, j + 2)
        return -1 if j == -1 else j + 1
    if c == "[":
        j = text.find("]", i + 1)
        return -1 if j == -1 else j + 1
    if c == "-" and text.startswith("--", i):
        j = text.find("\n", i)
        return len(text) if j == -1 else j + 1
    if c == "/" and text.startswith("/*", i):
        j = text.find("*/", i + 2)
        return -1 if j == -1 else j + 2
    return i


def _blank(text: str) -> bool:
    """True when ``text`` holds only whitespace and comments."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "-/" and (text.startswith("--", i) or text.startswith("/*", i)):
            i = _skip(text, i)
            if i == -1:
                return False
        else:
            return False
    return True


def split_script(text: str, dot_commands: bool = True) -> tuple[list[tuple[str, str]], str]:
    """Complete items of ``text`` as (kind, text) pairs, and the unfinished rest.

    A statement ends at ``;``. With ``dot_commands``, a line that starts with ``.`` where a
    statement could start is a dot-command, complete at the end of its line (or of the text).

    >>> split_script(".tables\\nSELECT ';'; SELECT 2")
    ([('dot', '.tables'), ('sql', "SELECT ';'")], 'SELECT 2')
    """
    out: list[tuple[str, str]] = []
    start = 0
    i, n = 0, len(text)
    body = _TriggerBody()
    while i < n:
        c = text[i]
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            body.word(text[i:j])
            i = j
            continue
        if dot_commands and c == "." and _blank(text[start:i]):
            line_start = text.rfind("\n", 0, i) + 1
            if not text[line_start:i].strip():
                j = text.find("\n", i)
                j = n if j == -1 else j
                out.append((DOT, text[i:j].strip()))
                start = i = j
                continue
        j = _skip(text, i)
        if j == -1:
            break
        if j != i:
            i = j
            continue
        if c == ";" and body.open():
            i += 1  # a statement inside CREATE TRIGGER ... BEGIN ... END
            continue
        if c == ";":
            body = _TriggerBody()
            stmt = text[start:i].strip()
            if stmt and not _blank(stmt):
                out.append((SQL, stmt))
            start = i + 1
        i += 1
    rest = text[start:].strip()
    return out, "" if _blank(rest) else rest


class _TriggerBody:
    """Whether a ``;`` ends the statement: not inside CREATE TRIGGER's BEGIN ... END, whose
    body holds statements of its own (CASE ... END nests inside it)."""

    def __init__(self) -> None:
        self.words: list[str] = []  # the statement's first words, up to TRIGGER
        self.trigger = False
        self.depth = 0  # BEGIN and CASE open, END closes
        self.begun = False

    def word(self, w: str) -> None:
        w = w.upper()
        if not self.trigger:
            if len(self.words) < 3:
                self.words.append(w)
                first = self.words[0] == "CREATE"
                self.trigger = first and w == "TRIGGER" and len(self.words) in (2, 3)
                if len(self.words) == 3 and self.words[1] not in ("TEMP", "TEMPORARY"):
                    self.trigger = False
            return
        if w == "BEGIN" or (w == "CASE" and self.begun):
            self.begun = True
            self.depth += 1
        elif w == "END" and self.begun:
            self.depth -= 1

    def open(self) -> bool:
        return self.trigger and (not self.begun or self.depth > 0)


def split_statements(text: str) -> tuple[list[str], str]:
    """Complete ``;``-terminated statements in ``text`` and the unfinished rest.

    A rest of only comments counts as nothing left.

    >>> split_statements("SELECT ';'; SELECT 2")
    (["SELECT ';'"], 'SELECT 2')
    """
    items, rest = split_script(text, dot_commands=False)
    return [t for _, t in items], rest


def is_complete(text: str) -> bool:
    """True when the shell should run ``text`` on Enter rather than open another line.

    Empty input, a dot-command, and input whose every statement ends with ``;`` (trailing
    comments allowed) are complete; an open string, comment or statement is not.

    >>> is_complete("SELECT 1"), is_complete("SELECT 1;"), is_complete(".tables")
    (False, True, True)
    """
    return split_script(text)[1] == ""
