"""Context-aware completion for the shell, as pure functions of text and metadata.

``suggest`` reads the statement around the cursor and says what fits there (columns after
SELECT/WHERE/ON/BY/SET, tables after FROM/JOIN/INTO/UPDATE/TABLE, ...); ``complete`` turns that
into candidates from a ``Metadata`` value. Nothing here touches a connection or a terminal,
so the rules are tested directly; ``repl/shell.py`` adapts them to prompt-toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import memtables

from .sqltokens import (
    CLAUSE_WORDS,
    KEYWORDS,
    Token,
    current_statement,
    open_at_end,
    table_scope,
    tokenize,
)

#: Keywords offered first: the ones that most often come next.
COMMON_KEYWORDS = (
    "WHERE JOIN LEFT INNER ON GROUP ORDER BY HAVING LIMIT OFFSET AS FROM AND OR NOT IN IS NULL "
    "LIKE BETWEEN SET VALUES DESC ASC UNION"
).split()
STATEMENT_KEYWORDS = (
    "BEGIN CHECKPOINT COMMIT COPY CREATE DELETE DROP EXPLAIN INSERT RELEASE ROLLBACK SAVEPOINT "
    "SELECT UPDATE VALUES"
).split()
TYPES = ("ANY", "BLOB", "BOOLEAN", "DATE", "INTEGER", "REAL", "TEXT", "TIMESTAMP")
FUNCTIONS = tuple(
    sorted(
        """abs avg coalesce count current_date current_time current_timestamp group_concat hex
        ifnull iif instr length lower ltrim max min now nullif random replace round rtrim sign
        string_agg substr substring sum total trim typeof upper""".split()
    )
)
SYSTEM_TABLES = (
    "cache_stats",
    "columns",
    "indexes",
    "schema",
    "stats",
    "tables",
    "transactions",
    "views",
)

#: Keywords after which a column (or an expression) comes.
COLUMN_CONTEXT = frozenset(
    "SELECT WHERE ON BY SET HAVING AND OR NOT DISTINCT WHEN THEN ELSE CASE BETWEEN LIKE IS ALL "
    "RETURNING".split()
)
#: Keywords after which a table name comes.
TABLE_CONTEXT = frozenset("FROM JOIN INTO UPDATE TABLE".split())

_KEYWORDS_BY_USE = tuple(COMMON_KEYWORDS) + tuple(k for k in KEYWORDS if k not in COMMON_KEYWORDS)
#: Names are offered as SQL reads them (``"order"``, ``"my col"``): the one quoting function.
_quote = memtables.quote_identifier


@dataclass(frozen=True)
class Metadata:
    """What the database holds, as completion needs it."""

    tables: Mapping[str, Sequence[str]] = field(default_factory=dict)  # table -> columns
    views: Sequence[str] = ()
    indexes: Sequence[str] = ()
    functions: Sequence[str] = FUNCTIONS
    #: dot-command name -> (help line, argument kinds: "table", "path", "mode", "onoff", ...)
    commands: Mapping[str, tuple[str, Sequence[str]]] = field(default_factory=dict)
    #: argument kind -> fixed choices (for example "mode" -> the output modes)
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    """What fits at the cursor: kinds of things, the word typed so far, and the scope."""

    kinds: tuple[str, ...]
    word: str = ""
    qualifier: str | None = None  # the ``x`` of ``x.word``
    scope: tuple[tuple[str, str | None], ...] = ()  # (table, alias) named in the statement
    table: str | None = None  # the one table whose columns fit (INSERT INTO t (...)


@dataclass(frozen=True)
class Candidate:
    text: str
    kind: str
    meta: str = ""


def _clause_keyword(before: Sequence[Token]) -> tuple[str, int]:
    """The keyword that governs a comma-separated list ending here, and its position."""
    depth = 0
    for i in range(len(before) - 1, -1, -1):
        t = before[i]
        if t.text == ")":
            depth += 1
        elif t.text == "(":
            if depth == 0:
                return "(", i
            depth -= 1
        elif depth == 0 and t.upper in CLAUSE_WORDS:
            return t.upper, i
    return "", -1


def _after_keyword(kw: str, stmt: Sequence[Token], pos: int) -> tuple[str, ...]:
    words = [t.upper for t in stmt[:pos]]
    first = next((w for w in words if w and w != "EXPLAIN"), "")
    if kw == "TABLE":
        return ("table",) if first == "DROP" else ()
    if kw in TABLE_CONTEXT or kw == "COPY":
        return ("table", "view") if kw in ("FROM", "JOIN") else ("table",)
    if kw == "VIEW":
        return ("view",) if first == "DROP" else ()
    if kw == "INDEX":
        return ("index",) if first == "DROP" else ()
    if kw == "ON" and first == "CREATE" and "INDEX" in words and "SELECT" not in words:
        return ("table",)
    if kw in COLUMN_CONTEXT:
        return ("column", "function", "keyword")
    if kw == "AS":
        return ()
    return ("keyword",)


def _after_paren(stmt: Sequence[Token], pos: int) -> tuple[tuple[str, ...], str | None]:
    """What comes after the ``(`` at ``pos``: a column list of one table, or an expression."""
    prev = stmt[pos - 1] if pos else None
    if prev is not None and prev.upper in ("VALUES", "ON", "CONFLICT"):
        return ((), None) if prev.upper == "VALUES" else (("column",), None)
    if prev is not None and prev.kind in ("word", "qname") and prev.upper not in CLAUSE_WORDS:
        before = stmt[pos - 2].upper if pos >= 2 else ""
        if before in ("INTO", "ON"):
            return ("column",), prev.name
        if before == "TABLE":
            return (), None
        return ("column", "function", "keyword"), None
    return ("column", "function", "keyword"), None


def suggest(text_before: str, full_text: str | None = None) -> Suggestion:
    """What fits at the end of ``text_before`` (the text up to the cursor).

    ``full_text`` (the whole input) lets the scope include tables named after the cursor,
    as in ``SELECT na| FROM users``.

    >>> suggest("SELECT id FROM us").kinds
    ('table', 'view')
    >>> s = suggest("SELECT u.na", "SELECT u.na FROM users u")
    >>> s.kinds, s.word, s.qualifier, s.scope
    (('column',), 'na', 'u', (('users', 'u'),))
    """
    if text_before.lstrip().startswith(".") and "\n" not in text_before.strip():
        return _suggest_command(text_before.lstrip())
    tokens = tokenize(text_before)
    if tokens and open_at_end(tokens[-1]):
        return Suggestion(())
    stmt = current_statement(tokens)
    word = ""
    if stmt and stmt[-1].kind == "word" and not text_before[-1:].isspace():
        word = stmt[-1].text
        stmt = stmt[:-1]
    qualifier = None
    head = text_before[: len(text_before) - len(word)]
    if head.endswith(".") and len(stmt) >= 2 and stmt[-2].kind in ("word", "qname"):
        qualifier = stmt[-2].name
        stmt = stmt[:-2]
    full_stmt = stmt
    if full_text is not None:
        full_stmt = current_statement(tokenize(_statement_around(full_text, len(text_before))))
    scope = table_scope(full_stmt)
    if qualifier is not None:
        prev = stmt[-1].upper if stmt else ""
        if qualifier.lower() == "sys" and prev in TABLE_CONTEXT:
            return Suggestion(("system_table",), word, qualifier, scope)
        return Suggestion(("column",), word, qualifier, scope)
    if not stmt:
        return Suggestion(("statement",), word, None, scope)
    last = stmt[-1]
    if last.upper in CLAUSE_WORDS:
        return Suggestion(_after_keyword(last.upper, stmt, len(stmt) - 1), word, None, scope)
    if last.text in ("(", ",") and _in_create_table(stmt, len(stmt) - 1):
        return Suggestion((), word, None, scope)  # a new column's name
    if last.text == "(":
        kinds, table = _after_paren(stmt, len(stmt) - 1)
        return Suggestion(kinds, word, None, scope, table)
    if last.text == ",":
        kw, pos = _clause_keyword(stmt[:-1])
        if kw == "(":
            kinds, table = _after_paren(stmt, pos)
            return Suggestion(kinds, word, None, scope, table)
        return Suggestion(_after_keyword(kw, stmt, pos), word, None, scope)
    if last.kind == "op" and last.text not in (")", "*"):
        return Suggestion(("column", "function", "keyword"), word, None, scope)
    if len(stmt) >= 2 and stmt[-2].text in ("(", ",") and _in_create_table(stmt, len(stmt) - 2):
        return Suggestion(("type",), word, None, scope)
    return Suggestion(("keyword",), word, None, scope)


def _in_create_table(stmt: Sequence[Token], pos: int) -> bool:
    """True when the ``(`` or ``,`` at ``pos`` is in the column list of CREATE TABLE."""
    depth = 0
    for p in range(pos if stmt[pos].text == "(" else pos - 1, -1, -1):
        t = stmt[p].text
        if t == ")":
            depth += 1
        elif t == "(":
            if depth == 0:
                break
            depth -= 1
    else:
        return False
    words = [t.upper for t in stmt[:p]]
    return len(words) >= 3 and words[0] == "CREATE" and "TABLE" in words and words[-1] != "AS"


def _statement_around(text: str, cursor: int) -> str:
    end = text.find(";", cursor)
    return text if end == -1 else text[:end]


def _suggest_command(text: str) -> Suggestion:
    parts = text.split()
    if len(parts) <= 1 and not text[-1:].isspace():
        return Suggestion(("command",), text.strip())
    argn = len(parts) - 1 if text[-1:].isspace() else len(parts) - 2
    word = "" if text[-1:].isspace() else parts[-1]
    return Suggestion((f"arg:{parts[0]}:{argn}",), word)


def _columns_in_scope(s: Suggestion, meta: Metadata) -> list[Candidate]:
    tables = {t.lower(): (t, cols) for t, cols in meta.tables.items()}

    def cols_of(name: str) -> list[Candidate]:
        t = tables.get(name.lower())
        return [Candidate(_quote(c), "column", f"column of {t[0]}") for c in t[1]] if t else []

    if s.table is not None:
        return cols_of(s.table)
    if s.qualifier is not None:
        q = s.qualifier.lower()
        for table, alias in s.scope:
            if (alias or "").lower() == q:
                return cols_of(table)
        return cols_of(s.qualifier)
    known = [t for t, _ in s.scope if t.lower() in tables]
    names = known or list(meta.tables)
    out, seen = [], set()
    for t in names:
        for c in cols_of(t):
            if c.text not in seen:
                seen.add(c.text)
                out.append(c)
    return out


def _candidates(s: Suggestion, meta: Metadata) -> list[Candidate]:
    upper = not s.word or not s.word.islower()
    out: list[Candidate] = []
    for kind in s.kinds:
        if kind == "column":
            out += _columns_in_scope(s, meta)
        elif kind == "table":
            out += [Candidate(_quote(t), "table", "table") for t in sorted(meta.tables)]
            if s.word and "sys".startswith(s.word.lower()[:3]):
                out += [Candidate(f"sys.{t}", "table", "system table") for t in SYSTEM_TABLES]
        elif kind == "system_table":
            out += [Candidate(t, "table", "system table") for t in SYSTEM_TABLES]
        elif kind == "view":
            out += [Candidate(_quote(v), "view", "view") for v in sorted(meta.views)]
        elif kind == "index":
            out += [Candidate(_quote(i), "index", "index") for i in sorted(meta.indexes)]
        elif kind == "function":
            out += [Candidate(f, "function", "function") for f in meta.functions]
        elif kind in ("keyword", "statement", "type"):
            words = {"keyword": _KEYWORDS_BY_USE, "statement": STATEMENT_KEYWORDS, "type": TYPES}[
                kind
            ]
            out += [Candidate(w if upper else w.lower(), "keyword", kind) for w in words]
        elif kind == "command":
            out += [Candidate(n, "command", h) for n, (h, _) in sorted(meta.commands.items())]
        elif kind.startswith("arg:"):
            out += _argument_candidates(kind, s.word, meta)
    return out


def _argument_candidates(kind: str, word: str, meta: Metadata) -> list[Candidate]:
    _, name, argn = kind.split(":")
    spec = meta.commands.get(name)
    if spec is None or int(argn) >= len(spec[1]):
        return []
    arg = spec[1][int(argn)]
    if arg == "table":
        return [Candidate(_quote(t), "table", "table") for t in sorted(meta.tables)]
    if arg == "path":
        return [Candidate(word, "path")]
    return [Candidate(c, arg) for c in meta.choices.get(arg, ())]


def complete(
    text_before: str,
    meta: Metadata,
    full_text: str | None = None,
    explicit: bool = False,
) -> tuple[int, list[Candidate]]:
    """Candidates for the word at the cursor and where it starts (a negative offset).

    ``explicit`` is true when the user asked (Tab); without it, bare keyword lists after a
    space are left out so the menu does not pop up after every word.

    >>> meta = Metadata({"users": ["id", "name"], "orders": ["id", "user_id"]})
    >>> complete("SELECT na", meta, "SELECT na FROM users")
    (-2, [Candidate(text='name', kind='column', meta='column of users')])
    >>> [c.text for c in complete("select * from u", meta)[1]]
    ['users']
    """
    s = suggest(text_before, full_text)
    if not explicit and not s.word and s.kinds in (("keyword",), ("statement",)):
        return 0, []
    cands = _candidates(s, meta)
    if s.kinds and s.kinds[0].startswith("arg:") and cands and cands[0].kind == "path":
        return -len(s.word), cands
    w = s.word.lower()
    out, seen = [], set()
    for c in cands:
        key = (c.text.lower(), c.kind)
        if key in seen:
            continue
        bare = c.text.strip('"').lower()
        if bare.startswith(w):
            seen.add(key)
            out.append(c)
    return -len(s.word), out
