"""AST → SQL text: names result columns, and stores views and defaults in a canonical form.

``to_sql(parse_one(text))`` parses back to an equal AST, so views survive a round trip.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
from pathlib import Path
from typing import Any

from . import ast as A

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# a declared type that reads back as itself: plain words, then at most two numbers
_DECLARED = re.compile(r"([A-Z_][A-Z0-9_]*(?: [A-Z_][A-Z0-9_]*)*)(\([+-]?\d+(?:,[+-]?\d+)?\))?\Z")
# A keyword of the grammar is a case-insensitive string terminal such as "SELECT"i.
_KEYWORD_TERMINAL = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"i')
_SOFT_RULE = re.compile(r"^_soft_keyword:(.*)$", re.MULTILINE)
_GRAMMAR = Path(__file__).with_name("grammar.lark")


@functools.cache
def _grammar_words() -> tuple[frozenset[str], frozenset[str]]:
    """(every keyword of ``grammar.lark``, its soft keywords), lower-cased."""
    text = _GRAMMAR.read_text()
    words = frozenset(w.lower() for w in _KEYWORD_TERMINAL.findall(text))
    soft = set()
    for terminal in _SOFT_RULE.search(text).group(1).split("|"):
        m = re.search(rf"^{terminal.strip()}: {_KEYWORD_TERMINAL.pattern}$", text, re.MULTILINE)
        soft.add(m.group(1).lower())
    return words, frozenset(soft)


def grammar_keywords() -> frozenset[str]:
    """Every word the grammar spells as a keyword, lower-cased: the one keyword list.

    The shell completes from it; ``keywords()`` is the part of it that must be quoted.
    """
    return _grammar_words()[0]


@functools.cache
def keywords() -> frozenset[str]:
    """The words that must be quoted to be read as names, lower-cased, from ``grammar.lark``.

    Every word the grammar spells as a keyword, except its soft keywords (``key``, ``date``,
    ``text`` ...: the ``_soft_keyword`` rule makes them names wherever a name may stand), so
    result columns such as ``max(date)`` keep their plain names. Derived rather than kept by
    hand: a keyword added to the grammar is quoted at once, and rendered DDL and views parse
    back.
    """
    words, soft = _grammar_words()
    return words - soft


def name(n: str) -> str:
    """An identifier as SQL text: bare when it is a plain word that is no keyword, else quoted.

    The one quoting function for everything memtables renders (the redo log, snapshots, views,
    the shell). A quoted name is always read as a name, whatever it spells.

    >>> name("users"), name("select"), name("my table"), name("date")
    ('users', '"select"', '"my table"', 'date')
    """
    if _PLAIN_NAME.match(n) and n.lower() not in keywords():
        return n
    return '"' + n.replace('"', '""') + '"'


def literal(v: Any) -> str:
    """A value as an SQL literal that parses back to an equal value.

    Infinities have no literal of their own; ``1e999`` overflows to one when it is read. NaN
    is written as an expression that computes it (it is only ever equal to itself by identity).
    """
    if v is None:
        return "NULL"
    if v is True:
        return "TRUE"
    if v is False:
        return "FALSE"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, bytes):
        return "X'" + v.hex().upper() + "'"
    if isinstance(v, _dt.datetime):
        return f"TIMESTAMP '{v.isoformat(sep=' ')}'"
    if isinstance(v, _dt.date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, float):
        if math.isinf(v):
            return "1e999" if v > 0 else "-1e999"
        if math.isnan(v):
            return "(1e999 - 1e999)"
        r = repr(v)
        return r if ("." in r or "e" in r) else r + ".0"
    return str(v)


def to_sql(node: Any) -> str:
    """Render an expression or a SELECT."""
    fn = _RENDER.get(type(node))
    if fn is None:
        raise TypeError(f"cannot render {type(node).__name__}")
    return fn(node)


def _e(node: Any) -> str:
    """Render a sub-expression, parenthesised unless it is atomic."""
    s = to_sql(node)
    if isinstance(node, (A.Literal, A.Param, A.Column, A.Call, A.Cast, A.Case)):
        if not (
            isinstance(node, A.Literal) and isinstance(node.value, (int, float)) and node.value < 0
        ):
            return s
    if isinstance(node, (A.ScalarSubquery, A.Exists)):
        return s
    return "(" + s + ")"


def _param(p: A.Param) -> str:
    if p.name is not None:
        return ":" + p.name
    return f"?{p.index + 1}"


def _column(c: A.Column) -> str:
    if c.table is None:
        return name(c.name)
    return ".".join(name(x) for x in c.table.split(".")) + "." + name(c.name)


def _unary(u: A.Unary) -> str:
    if u.op == "NOT":
        return "NOT " + _e(u.operand)
    return u.op + _e(u.operand)


def _binary(b: A.Binary) -> str:
    return f"{_e(b.left)} {b.op} {_e(b.right)}"


def _is(n: A.Is) -> str:
    return f"{_e(n.left)} IS {'NOT ' if n.negated else ''}{_e(n.right)}"


def _between(n: A.Between) -> str:
    neg = "NOT " if n.negated else ""
    return f"{_e(n.expr)} {neg}BETWEEN {_e(n.low)} AND {_e(n.high)}"


def _in_list(n: A.InList) -> str:
    items = ", ".join(to_sql(i) for i in n.items)
    return f"{_e(n.expr)} {'NOT ' if n.negated else ''}IN ({items})"


def _in_select(n: A.InSelect) -> str:
    return f"{_e(n.expr)} {'NOT ' if n.negated else ''}IN ({to_sql(n.select)})"


def _like(n: A.Like) -> str:
    op = "GLOB" if n.glob else "LIKE"
    s = f"{_e(n.expr)} {'NOT ' if n.negated else ''}{op} {_e(n.pattern)}"
    if n.escape is not None:
        s += f" ESCAPE {_e(n.escape)}"
    return s


def _case(n: A.Case) -> str:
    parts = ["CASE"]
    if n.operand is not None:
        parts.append(to_sql(n.operand))
    for w, r in n.whens:
        parts.append(f"WHEN {to_sql(w)} THEN {to_sql(r)}")
    if n.else_ is not None:
        parts.append(f"ELSE {to_sql(n.else_)}")
    parts.append("END")
    return " ".join(parts)


_KEYWORD_CALLS = {"current_date", "current_time", "current_timestamp"}


def _call(c: A.Call) -> str:
    if c.name in _KEYWORD_CALLS and not c.args:
        return c.name.upper()
    if c.star:
        return f"{c.name}(*)" + _window_suffix(c)
    args = ", ".join(to_sql(a) for a in c.args)
    out = f"{c.name}({'DISTINCT ' if c.distinct else ''}{args})"
    return out + _window_suffix(c)


def _window_suffix(c: A.Call) -> str:
    out = ""
    if c.filter is not None:
        out += f" FILTER (WHERE {to_sql(c.filter)})"
    if isinstance(c.over, str):
        out += f" OVER {name(c.over)}"
    elif c.over is not None:
        out += f" OVER ({window_spec(c.over)})"
    return out


def _order_terms(terms) -> str:
    out = []
    for t in terms:
        term = to_sql(t.expr) + (" DESC" if t.desc else "")
        if t.nulls_first is not None:
            term += " NULLS FIRST" if t.nulls_first else " NULLS LAST"
        out.append(term)
    return ", ".join(out)


def window_spec(w: A.WindowSpec) -> str:
    """The text inside the parentheses of ``OVER (...)`` or ``WINDOW name AS (...)``."""
    parts = []
    if w.base is not None:
        parts.append(name(w.base))
    if w.partition:
        parts.append("PARTITION BY " + ", ".join(to_sql(e) for e in w.partition))
    if w.order:
        parts.append("ORDER BY " + _order_terms(w.order))
    if w.units is not None:
        parts.append(f"{w.units} BETWEEN {_bound(w.start)} AND {_bound(w.end)}")
        if w.exclude != "NO OTHERS":
            parts.append("EXCLUDE " + w.exclude)
    return " ".join(parts)


def _bound(b: A.FrameBound) -> str:
    if b.offset is None:
        return b.kind.upper()
    return f"{to_sql(b.offset)} {b.kind.upper()}"


def _select(s: A.Select) -> str:
    out = _body(s.body)
    if s.with_ is not None:
        out = _with(s.with_) + out
    if s.order_by:
        out += " ORDER BY " + _order_terms(s.order_by)
    if s.limit is not None:
        out += " LIMIT " + to_sql(s.limit)
    if s.offset is not None:
        out += " OFFSET " + to_sql(s.offset)
    return out


def _with(w: A.With) -> str:
    parts = []
    for c in w.ctes:
        cols = "(" + ", ".join(name(n) for n in c.columns) + ")" if c.columns else ""
        parts.append(f"{name(c.name)}{cols} AS ({_select(c.select)})")
    return "WITH " + ("RECURSIVE " if w.recursive else "") + ", ".join(parts) + " "


def _body(b: Any) -> str:
    if isinstance(b, A.CompoundCore):
        right = _body(b.right)
        if isinstance(b.right, A.CompoundCore):
            right = "SELECT * FROM (" + right + ")"
        return f"{_body(b.left)} {b.op} {right}"
    if isinstance(b, A.ValuesCore):
        return "VALUES " + ", ".join("(" + ", ".join(to_sql(e) for e in r) + ")" for r in b.rows)
    parts = ["SELECT"]
    if b.distinct:
        parts.append("DISTINCT")
    items = []
    for it in b.items:
        if isinstance(it, A.Star):
            items.append("*" if it.table is None else f"{name(it.table)}.*")
        else:
            items.append(to_sql(it.expr) + (f" AS {name(it.alias)}" if it.alias else ""))
    parts.append(", ".join(items))
    if b.from_ is not None:
        parts.append("FROM " + _from(b.from_))
    if b.where is not None:
        parts.append("WHERE " + to_sql(b.where))
    if b.group_by:
        parts.append("GROUP BY " + ", ".join(to_sql(g) for g in b.group_by))
    if b.having is not None:
        parts.append("HAVING " + to_sql(b.having))
    if b.windows:
        defs = ", ".join(f"{name(n)} AS ({window_spec(w)})" for n, w in b.windows)
        parts.append("WINDOW " + defs)
    return " ".join(parts)


def _from(f: Any) -> str:
    if isinstance(f, A.TableRef):
        s = name(f.name) if f.schema is None else f"{name(f.schema)}.{name(f.name)}"
        return s + (f" AS {name(f.alias)}" if f.alias else "")
    if isinstance(f, A.SubqueryRef):
        return f"({to_sql(f.select)})" + (f" AS {name(f.alias)}" if f.alias else "")
    if isinstance(f, A.TableFunction):
        args = ", ".join(to_sql(a) for a in f.args)
        return f"{name(f.name)}({args})" + (f" AS {name(f.alias)}" if f.alias else "")
    kind = {"inner": " JOIN", "left": " LEFT JOIN", "cross": " CROSS JOIN", "comma": ","}[f.kind]
    right = _from(f.right)
    if isinstance(f.right, A.Join):
        right = "(" + right + ")"
    s = f"{_from(f.left)}{kind} {right}"
    if f.on is not None:
        s += " ON " + to_sql(f.on)
    if f.using:
        s += " USING (" + ", ".join(name(u) for u in f.using) + ")"
    return s


_RENDER = {
    A.Literal: lambda n: literal(n.value),
    A.Param: _param,
    A.Column: _column,
    A.Unary: _unary,
    A.Binary: _binary,
    A.Is: _is,
    A.Between: _between,
    A.InList: _in_list,
    A.InSelect: _in_select,
    A.Exists: lambda n: f"EXISTS ({to_sql(n.select)})",
    A.ScalarSubquery: lambda n: f"({to_sql(n.select)})",
    A.Like: _like,
    A.Case: _case,
    A.Cast: lambda n: f"CAST({to_sql(n.expr)} AS {n.type_name})",
    A.Call: _call,
    A.Collate: lambda n: f"{_e(n.expr)} COLLATE {name(n.collation)}",
    A.Default: lambda n: "DEFAULT",
    A.Raise: lambda n: (
        "RAISE(IGNORE)" if n.message is None else f"RAISE({n.kind.upper()}, {literal(n.message)})"
    ),
    A.Select: _select,
}


# ---------------------------------------------------------------- trigger bodies
_VERBS = {"abort": "INSERT", "replace": "INSERT OR REPLACE", "ignore": "INSERT OR IGNORE"}


def _assignments(items) -> str:
    return ", ".join(f"{name(col)} = {to_sql(e)}" for col, e in items)


def _target(t: A.TableRef) -> str:
    return name(t.name) + (f" AS {name(t.alias)}" if t.alias else "")


def write_sql(node: Any) -> str:
    """Render one statement of a trigger's body: INSERT, UPDATE, DELETE or SELECT."""
    if isinstance(node, A.Select):
        return _select(node)
    if isinstance(node, A.Insert):
        out = f"{_VERBS[node.on_conflict]} INTO {name(node.table.name)}"
        if node.columns:
            out += " (" + ", ".join(name(c) for c in node.columns) + ")"
        out += " DEFAULT VALUES" if node.source is None else " " + _select(node.source)
        up = node.upsert
        if up is not None:
            out += " ON CONFLICT"
            if up.columns:
                out += " (" + ", ".join(name(c) for c in up.columns) + ")"
            if up.assignments is None:
                out += " DO NOTHING"
            else:
                out += " DO UPDATE SET " + _assignments(up.assignments)
                if up.where is not None:
                    out += " WHERE " + to_sql(up.where)
    elif isinstance(node, A.Update):
        out = f"UPDATE {_target(node.table)} SET {_assignments(node.assignments)}"
        if node.where is not None:
            out += " WHERE " + to_sql(node.where)
    else:
        out = f"DELETE FROM {_target(node.table)}"
        if node.where is not None:
            out += " WHERE " + to_sql(node.where)
    if getattr(node, "ttl", None) is not None:
        out += " TTL " + to_sql(node.ttl)
    return out


def create_trigger_sql(node: A.CreateTrigger) -> str:
    """CREATE TRIGGER in canonical form: what the catalog, the redo log and snapshots keep."""
    event = node.event.upper()
    if node.columns:
        event += " OF " + ", ".join(name(c) for c in node.columns)
    out = f"CREATE TRIGGER {name(node.name)} {node.timing.upper()} {event} ON {name(node.table)}"
    out += " FOR EACH ROW"
    if node.when is not None:
        out += " WHEN " + to_sql(node.when)
    body = " ".join(write_sql(s) + ";" for s in node.body)
    return f"{out} BEGIN {body} END"


# ---------------------------------------------------------------- catalog objects as DDL
def type_sql(col) -> str:
    """A column's type as CREATE TABLE declared it (``VARCHAR(20)``, ``NUMERIC(10,2)``), or
    memtables' own name for it when the declaration would not read back as the same text.

    >>> from memtables.types import TEXT
    >>> from memtables.catalog import Column
    >>> type_sql(Column("a", TEXT, declared="VARCHAR(20)")), type_sql(Column("b", TEXT))
    ('VARCHAR(20)', 'TEXT')
    """
    d = col.declared
    if d:
        m = _DECLARED.match(d)
        if m and all(name(w) == w for w in m.group(1).split()):
            return d
    return col.type.name


def create_table_sql(schema) -> str:
    """CREATE TABLE for a schema: what the redo log and snapshots store to recreate it."""
    cols = schema.columns
    parts = []
    for c in cols:
        if c.hidden:
            continue
        p = f"{name(c.name)} {type_sql(c)}"
        if c.not_null and c.position not in schema.primary_key:
            p += " NOT NULL"
        if c.default_sql is not None:
            p += f" DEFAULT ({c.default_sql})"
        if c.collation:
            p += f" COLLATE {name(c.collation)}"
        parts.append(p)
    if schema.primary_key:
        parts.append(
            "PRIMARY KEY (" + ", ".join(name(cols[i].name) for i in schema.primary_key) + ")"
        )
    for u, cname in zip(schema.uniques, schema.unique_names):
        named = "" if cname is None else f"CONSTRAINT {name(cname)} "
        parts.append(named + "UNIQUE (" + ", ".join(name(cols[i].name) for i in u) + ")")
    for chk in schema.checks:
        named = "" if chk.name is None else f"CONSTRAINT {name(chk.name)} "
        parts.append(f"{named}CHECK ({chk.sql})")
    head = "CREATE CACHE TABLE" if schema.options.get("cache") else "CREATE TABLE"
    sql = f"{head} {name(schema.name)} (" + ", ".join(parts) + ")"
    opts = {k: v for k, v in schema.options.items() if k != "cache"}
    if opts:
        sql += (
            " WITH ("
            + ", ".join(f"{name(k)} = {literal(v)}" for k, v in sorted(opts.items()))
            + ")"
        )
    return sql


def create_index_sql(index, table) -> str:
    """CREATE INDEX for an index of ``table``."""
    desc = getattr(index, "descending", ()) or ()
    cols = ", ".join(
        name(table.columns[i].name) + (" DESC" if n < len(desc) and desc[n] else "")
        for n, i in enumerate(index.columns)
    )
    unique = "UNIQUE " if index.unique else ""
    return (
        f"CREATE {unique}INDEX {name(index.name)} ON {name(table.name)} "
        f"USING {index.method.upper()} ({cols})"
    )


def create_view_sql(view) -> str:
    """CREATE VIEW for a view."""
    cols = "" if not view.columns else " (" + ", ".join(name(c) for c in view.columns) + ")"
    return f"CREATE VIEW {name(view.name)}{cols} AS {view.sql}"
