"""Splitting SQL text into statements, aware of quotes and comments."""

from __future__ import annotations


def split_statements(text: str) -> tuple[list[str], str]:
    """Complete ``;``-terminated statements in ``text`` and the unfinished rest.

    >>> split_statements("SELECT ';'; SELECT 2")
    (["SELECT ';'"], 'SELECT 2')
    """
    out: list[str] = []
    start = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"`":
            j = text.find(c, i + 1)
            while j != -1 and j + 1 < n and text[j + 1] == c:
                j = text.find(c, j + 2)
            if j == -1:
                break
            i = j + 1
            continue
        if c == "[":
            j = text.find("]", i + 1)
            if j == -1:
                break
            i = j + 1
            continue
        if c == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j == -1 else j + 1
            continue
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j == -1:
                break
            i = j + 2
            continue
        if c == ";":
            stmt = text[start:i].strip()
            if stmt:
                out.append(stmt)
            start = i + 1
        i += 1
    return out, text[start:].strip()


def is_complete(text: str) -> bool:
    """True when ``text`` ends a statement (the shell then runs it)."""
    done, rest = split_statements(text)
    return bool(done) and not rest or _only_comments(rest) and bool(done)


def _only_comments(text: str) -> bool:
    stmts, rest = split_statements(text + ";")
    return not stmts and not rest
