"""Agreement with sqlite3 over random queries (issue 14's measure).

``python -m tests.agree --queries 20000 [--seed S] [--family NAME] [--show N]``

Builds the same small random database in memtables and in stdlib ``sqlite3``, then runs random
statements from every family of the SQL that issue 14 covers — filters and expressions, the
scalar functions (math, text, date and time, JSON), multi-way joins written with commas and
WHERE equalities or with JOIN ... ON / LEFT JOIN, GROUP BY with FILTER, window functions with
every frame kind, CTEs (recursive too), compound selects, subqueries, and writes with RETURNING —
in both, and counts how often they agree.

Two runs agree when both raise, or both return the same rows (as multisets, or in order when
the ORDER BY is total), values compared as :func:`tests.test_differential.same_value` does.
The agreement rate is agreeing statements over all statements.

The generator stays inside the dialect both engines share, on purpose, for the differences
that are deliberate and documented in README ("What is deliberately different"); each is
named here so that a disagreement found by this harness is a bug, not a known difference:

- strict types: TEXT is never compared with or computed with a number (memtables raises
  where SQLite converts by affinity); CAST is the bridge;
- booleans: comparison results are BOOLEAN in memtables and 0/1 in SQLite (equal as values);
- integer overflow: values stay small (SQLite turns an overflowing integer into REAL,
  memtables raises);
- float formatting: REAL values never reach text functions or ``||``;
- order among peers: a window's ORDER BY ends with the primary key wherever the result depends
  on the order of peer rows (row_number, ntile, lag, lead, first/last/nth_value, ROWS frames,
  EXCLUDE), as the order of ties is unspecified in both engines;
- ``typeof()`` and bare non-aggregated columns in aggregate queries are not generated;
- ``min()``/``max()`` with FILTER as window functions: sqlite3 3.40 ignores the FILTER over a
  frame whose start moves (``max(x) FILTER (WHERE FALSE) OVER (ROWS CURRENT ROW)`` is x there),
  memtables applies it.

A raw (non-``memtables.Error``) exception from memtables is always counted, and reported, as a
bug. ``tests/test_agree.py`` runs a few hundred statements in the suite.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import memtables
from tests.test_differential import row_key, same_rows

INT, REAL, TEXT, BOOL = "INT", "REAL", "TEXT", "BOOL"

#: Columns of every table; ``d`` holds ISO dates/times as text, ``j`` JSON documents as text.
COLUMNS = [
    ("id", INT),
    ("a", INT),
    ("b", INT),
    ("r", REAL),
    ("s", TEXT),
    ("d", TEXT),
    ("j", TEXT),
    ("p", INT),  # a parent id (tree walks)
]
TYPE_SQL = {INT: "INTEGER", REAL: "REAL", TEXT: "TEXT"}
TABLES = ["t1", "t2", "t3", "t4", "t5", "t6"]
WORDS = ["", "a", "b", "ab", "Ab", "abc", "x_y", "x%y", "é", "zz", "a b"]
DATES = [
    "2020-01-31",
    "2020-02-29",
    "2021-12-31 23:59:59",
    "2000-03-01T12:30:00",
    "1999-12-31 00:00:00.500",
    "2024-06-15 08:05",
    "1970-01-01",
    "2038-01-19 03:14:07",
    "not a date",
]
JSONS = [
    '{"a":1,"b":[1,2,3],"c":{"d":"x"}}',
    '{"a":2.5,"b":[],"c":null}',
    '[1,2,[3,4],{"k":"v"}]',
    '{"a":"text","b":[true,false,null]}',
    "[]",
    "{}",
    '"just a string"',
    "42",
    '{"a":-7,"nested":{"deep":{"x":[10,20]}}}',
]


# ------------------------------------------------------------------------------ database
def make_rows(rng: random.Random, n: int) -> list[tuple]:
    rows = []
    for i in range(1, n + 1):

        def maybe(v, p=0.15):
            return None if rng.random() < p else v

        rows.append(
            (
                i,
                maybe(rng.randint(-4, 6)),
                maybe(rng.choice([0, 1, 2, 3, 10, 20])),
                maybe(rng.choice([0.5, -1.25, 2.0, 3.75, 10.0, 0.1, -0.0])),
                maybe(rng.choice(WORDS)),
                maybe(rng.choice(DATES)),
                maybe(rng.choice(JSONS)),
                maybe(rng.randint(0, i - 1) or None, 0.1),
            )
        )
    return rows


class Pair:
    """The same database in memtables and sqlite3."""

    def __init__(self, rng: random.Random) -> None:
        self.m = memtables.connect()
        self.s = sqlite3.connect(":memory:")
        self.sizes = {}
        cols = ", ".join(
            f"{c} {TYPE_SQL[t]}{' PRIMARY KEY' if c == 'id' else ''}" for c, t in COLUMNS
        )
        for name in TABLES:
            n = rng.choice([0, 1, 3, 5, 8, 10, 12])
            self.sizes[name] = n
            rows = make_rows(rng, n)
            for conn in (self.m, self.s):
                conn.execute(f"CREATE TABLE {name} ({cols})")
                if rows:
                    conn.executemany(
                        f"INSERT INTO {name} VALUES ({', '.join('?' * len(COLUMNS))})", rows
                    )
                if rng.random() < 0.5:
                    conn.execute(f"CREATE INDEX {name}_a ON {name} (a)")
        self.m.commit()
        self.s.commit()

    def close(self) -> None:
        self.m.close()
        self.s.close()


# ------------------------------------------------------------------------------ expressions
class Expr:
    """Random typed expressions over the columns in scope (``refs``: (sql, type) pairs)."""

    def __init__(self, rng: random.Random, refs: list[tuple[str, str]]) -> None:
        self.rng = rng
        self.refs = refs

    def pick(self, seq):
        return self.rng.choice(seq)

    def col(self, typ: str, name: str | None = None) -> str | None:
        refs = [r for r, t in self.refs if t == typ and (name is None or r.endswith("." + name))]
        return self.pick(refs) if refs else None

    def lit(self, typ: str) -> str:
        r = self.rng
        if typ == INT:
            return str(r.randint(-3, 12))
        if typ == REAL:
            return self.pick(["0.5", "1.25", "2.0", "-0.75", "3.5", "10.0"])
        if typ == TEXT:
            return "'" + self.pick(WORDS).replace("'", "''") + "'"
        return self.pick(["TRUE", "FALSE"])

    def leaf(self, typ: str) -> str:
        if self.rng.random() < 0.65:
            c = self.col(typ, self.pick(["a", "b", "r", "s", "id"]) if typ != BOOL else None)
            c = c or self.col(typ)
            if c and not c.endswith((".d", ".j")):
                return c
        if self.rng.random() < 0.05:
            return "NULL" if typ != BOOL else "(NULL IS NULL)"
        return self.lit(typ)

    def of(self, typ: str, depth: int = 2) -> str:
        if depth <= 0 or self.rng.random() < 0.3:
            return self.leaf(typ)
        return self.build(typ, depth - 1)

    #: Templates per result type. ``{I}`` ``{R}`` ``{T}`` ``{B}``: a deeper expression of that
    #: type; ``{i}`` ``{r}`` ``{t}``: a leaf; ``{s}``: a text literal; ``{n}``: -3..3; ``{m}``:
    #: 0..2; ``{a|b|c}``: one of the alternatives; ``{Q}``: a type picked once per template.
    TEMPLATES = {
        INT: [
            "({I} + {I})",
            "({I} - {i})",
            "({I} * {n})",
            "abs({I})",
            "length({T})",
            "coalesce({I}, {i})",
            "CASE WHEN {B} THEN {I} ELSE {i} END",
            "({I} % {2|3|5|-4})",
            "({I} / {2|3|-2})",
            "iif({B}, {i}, {i})",
            "instr({T}, {s})",
            "max({I}, {i})",
            "sign({I})",
            "unicode({T})",
        ],
        REAL: [
            "({R} + {R})",
            "({R} * {2.0|0.5|-1.5})",
            "round({R}, {m})",
            "CAST({I} AS REAL)",
            "sqrt(abs({R}))",
            "coalesce({R}, {r})",
            "floor({R})",
            "({R} / {2.0|4.0|-0.5})",
        ],
        TEXT: [
            "upper({T})",
            "({T} || {T})",
            "substr({T}, {n}, {m})",
            "replace({T}, {s}, {s})",
            "trim({T})",
            "printf('%d-%s', {I}, {T})",
            "quote({I})",
            "hex({T})",
            "coalesce({T}, {s})",
            "lower({T})",
            "CAST({I} AS TEXT)",
        ],
        BOOL: [
            "{Q} {=|<>|<|<=|>|>=} {Q}",
            "{Q} {=|<|>=} {Q}",
            "{Q} IS {|NOT }NULL",
            "{B} {AND|OR} {B}",
            "NOT ({B})",
            "{I} {|NOT }BETWEEN {i} AND {i}",
            "{Q} {|NOT }IN ({q}, {q})",
            "{Q} {|NOT }IN ({q})",
            "{T} LIKE {'a%'|'%b'|'_'|'%'|'A%'}",
            "{T} LIKE 'x!_y' ESCAPE '!'",
            "{T} GLOB {'a*'|'*b'|'?'|'[a-c]*'}",
            "{Q} IS {|NOT }DISTINCT FROM {Q}",
        ],
    }

    def build(self, typ: str, depth: int) -> str:
        """One template of ``typ``, its holes filled at ``depth``."""
        cls = self.pick([INT, INT, REAL, TEXT])  # the {Q}/{q} type of this template

        def fill(m: re.Match) -> str:
            tok = m.group(1)
            if "|" in tok:
                return self.pick(tok.split("|"))
            kinds = {"I": INT, "R": REAL, "T": TEXT, "B": BOOL, "Q": cls}
            if tok in kinds:
                return self.of(kinds[tok], depth)
            leaves = {"i": INT, "r": REAL, "t": TEXT, "q": cls}
            if tok in leaves:
                return self.leaf(leaves[tok])
            if tok == "s":
                return self.lit(TEXT)
            return str(self.rng.randint(-3, 3) if tok == "n" else self.rng.randint(0, 2))

        return re.sub(r"\{([^{}]*)\}", fill, self.pick(self.TEMPLATES[typ]))


# ------------------------------------------------------------------------------ statements
@dataclass
class Stmt:
    family: str
    sql: str
    ordered: bool = False
    writes: bool = False


def refs_of(aliases: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(f"{alias}.{c}", t) for _, alias in aliases for c, t in COLUMNS]


@dataclass
class Gen:
    rng: random.Random
    sizes: dict = field(default_factory=dict)

    def pick(self, seq):
        return self.rng.choice(seq)

    def tables(self, k: int) -> list[tuple[str, str]]:
        names = self.rng.sample(TABLES, min(k, len(TABLES)))
        while len(names) < k:
            names.append(self.pick(TABLES))
        return [(n, f"x{i}") for i, n in enumerate(names)]

    def order_total(self, e: Expr, key: str) -> tuple[str, bool]:
        """An ORDER BY (maybe) ending in ``key``, a unique column: then order is compared."""
        if self.rng.random() < 0.5:
            return "", False
        terms = [
            e.of(self.pick([INT, TEXT, REAL]), 1)
            + self.pick(["", " DESC", " ASC NULLS LAST", " DESC NULLS FIRST"])
            for _ in range(self.rng.randint(0, 2))
        ]
        terms.append(key + self.pick(["", " DESC"]))
        return " ORDER BY " + ", ".join(terms), True

    # --- families
    def filters(self) -> Stmt:
        ((t, x),) = self.tables(1)
        e = Expr(self.rng, refs_of([(t, x)]))
        cols = ", ".join(
            e.of(self.pick([INT, REAL, TEXT, BOOL]), 2) for _ in range(self.rng.randint(1, 3))
        )
        sql = f"SELECT {x}.id, {cols} FROM {t} AS {x}"
        if self.rng.random() < 0.8:
            sql += f" WHERE {e.of(BOOL, 3)}"
        order, ordered = self.order_total(e, f"{x}.id")
        sql += order
        if ordered and self.rng.random() < 0.4:
            sql += f" LIMIT {self.rng.randint(0, 6)} OFFSET {self.rng.randint(0, 3)}"
        return Stmt("filters", sql, ordered)

    def functions(self) -> Stmt:
        ((t, x),) = self.tables(1)
        d, j, a, s = f"{x}.d", f"{x}.j", f"{x}.a", f"{x}.s"
        mods = [
            "'+1 day'",
            "'-1 month'",
            "'+1 month'",
            "'start of month'",
            "'start of year'",
            "'weekday 0'",
            "'+2 hours'",
            "'-30 minutes'",
            "'+1 year'",
            "'start of day'",
            "'+1.5 days'",
            "'-10 seconds'",
        ]
        mod = ", ".join(self.rng.sample(mods, self.rng.randint(0, 2)))
        mod = (", " + mod) if mod else ""
        fmt = self.pick(
            [
                "'%Y-%m-%d'",
                "'%H:%M:%S'",
                "'%j'",
                "'%w'",
                "'%W'",
                "'%s'",
                "'%J'",
                "'%f'",
                "'%Y %m %d %H'",
                "'%%'",
            ]
        )
        path = self.pick(
            [
                "'$.a'",
                "'$.b'",
                "'$.b[1]'",
                "'$.c.d'",
                "'$[2][0]'",
                "'$'",
                "'$.nested.deep.x[#-1]'",
                "'$[#-1]'",
                "'$.zz'",
            ]
        )
        choices = [
            f"date({d}{mod})",
            f"time({d}{mod})",
            f"datetime({d}{mod})",
            f"julianday({d}{mod})",
            f"unixepoch({d}{mod})",
            f"strftime({fmt}, {d}{mod})",
            f"date({a} * 86400 + 1000000000, 'unixepoch'{mod})",
            f"datetime(2451545.0 + {a}, 'julianday')"
            if self.rng.random() < 0.5
            else f"datetime(2451545 + {a})",
            f"json_valid({j})",
            f"json({j})",
            f"json_extract({j}, {path})",
            f"{j} -> {path}",
            f"{j} ->> {path}",
            f"json_type({j}, {path})",
            f"json_array_length({j})",
            f"json_array({a}, {s}, {x}.r)",
            f"json_object('k', {a}, 's', {s})",
            f"json_set({j}, {path}, {a})",
            f"json_remove({j}, {path})",
            f"json_insert({j}, '$.new', {s})",
            f"json_replace({j}, {path}, json_array(1, 2))",
            f'json_patch({j}, \'{{"a":null,"z":9}}\')',
            f"json_quote({s})",
            f"char({a} + 70, 66)",
            f"printf('%5.2f|%-4s|%x', {x}.r, {s}, abs({a}))",
            f"pow(2, {a})",
            f"ln(abs({x}.r) + 1)",
            f"mod({a}, 3)",
            f"pi() * {a}",
            f"round(sin({a}) * 1000)",
        ]
        fns = self.rng.sample(choices, self.rng.randint(1, 3))
        return Stmt(
            "functions", f"SELECT {x}.id, {', '.join(fns)} FROM {t} AS {x} ORDER BY {x}.id", True
        )

    def joins(self) -> Stmt:
        k = self.rng.randint(2, 7)
        ts = self.tables(k)
        e = Expr(self.rng, refs_of(ts))
        links = []
        for i in range(1, k):
            # Chains, stars and random trees: table i links to an earlier one.
            j = self.pick(range(i)) if self.rng.random() < 0.5 else i - 1
            ci = self.pick(["a", "b", "id", "p"])
            cj = self.pick(["a", "b", "id", "p"])
            links.append(f"{ts[i][1]}.{ci} = {ts[j][1]}.{cj}")
        out = ", ".join(f"{x}.id" for _, x in ts)
        if self.rng.random() < 0.6:
            order = ts[:]
            self.rng.shuffle(order)
            from_ = ", ".join(f"{t} AS {x}" for t, x in order)
            conds = links[:]
            if self.rng.random() < 0.4:
                conds.append(e.of(BOOL, 1))
            self.rng.shuffle(conds)
            sql = f"SELECT {out} FROM {from_} WHERE {' AND '.join(conds)}"
        else:
            sql = f"SELECT {out} FROM {ts[0][0]} AS {ts[0][1]}"
            for i in range(1, k):
                kind = self.pick(["JOIN", "JOIN", "LEFT JOIN", "INNER JOIN"])
                sql += f" {kind} {ts[i][0]} AS {ts[i][1]} ON {links[i - 1]}"
            if self.rng.random() < 0.4:
                sql += f" WHERE {e.of(BOOL, 1)}"
        return Stmt("joins", sql)

    def aggregates(self) -> Stmt:
        ((t, x),) = self.tables(1)
        e = Expr(self.rng, refs_of([(t, x)]))
        key = self.pick([f"{x}.a", f"{x}.b", f"{x}.s", f"({x}.a % 3)", f"{x}.a IS NULL"])
        aggs = []
        for _ in range(self.rng.randint(1, 3)):
            fn = self.pick(["count", "sum", "total", "avg", "min", "max", "count_star"])
            arg = e.of(
                self.pick([INT, REAL])
                if fn in ("sum", "total", "avg")
                else self.pick([INT, TEXT, REAL]),
                1,
            )
            agg = "count(*)" if fn == "count_star" else f"{fn}({self.pick(['', 'DISTINCT '])}{arg})"
            if self.rng.random() < 0.35:
                agg += f" FILTER (WHERE {e.of(BOOL, 1)})"
            aggs.append(agg)
        sql = f"SELECT {key} AS k, {', '.join(aggs)} FROM {t} AS {x}"
        if self.rng.random() < 0.5:
            sql += f" WHERE {e.of(BOOL, 2)}"
        sql += " GROUP BY 1"
        if self.rng.random() < 0.3:
            sql += " HAVING count(*) > 1"
        return Stmt("aggregates", sql)

    def windows(self) -> Stmt:
        ((t, x),) = self.tables(1)
        e = Expr(self.rng, refs_of([(t, x)]))
        part = self.pick(
            ["", f"PARTITION BY {x}.a % 2", f"PARTITION BY {x}.s", f"PARTITION BY {x}.b"]
        )
        okey = self.pick(
            [f"{x}.a", f"{x}.b", f"{x}.r", f"{x}.s", f"{x}.a DESC", f"{x}.b NULLS LAST"]
        )
        fn = self.pick(
            [
                "row_number()",
                "rank()",
                "dense_rank()",
                "percent_rank()",
                "cume_dist()",
                "ntile(3)",
                f"lag({x}.a)",
                f"lead({x}.a, 2, -1)",
                f"first_value({x}.s)",
                f"last_value({x}.a)",
                f"nth_value({x}.a, 2)",
                f"sum({x}.a)",
                "count(*)",
                f"avg({x}.a)",
                f"min({x}.s)",
                f"max({x}.r)",
                f"total({x}.r)",
                f"count({x}.b)",
            ]
        )
        frame = ""
        if self.rng.random() < 0.6:
            unit = self.pick(["ROWS", "RANGE", "GROUPS"])
            n1, n2 = self.rng.randint(0, 2), self.rng.randint(0, 2)
            starts = ["UNBOUNDED PRECEDING", f"{n1} PRECEDING", "CURRENT ROW", f"{n1} FOLLOWING"]
            ends = [f"{n2} PRECEDING", "CURRENT ROW", f"{n2} FOLLOWING", "UNBOUNDED FOLLOWING"]
            frame = f" {unit} BETWEEN {self.pick(starts)} AND {self.pick(ends)}"
            if (
                unit == "RANGE"
                and "PRECEDING" in frame.replace("UNBOUNDED PRECEDING", "")
                or (unit == "RANGE" and "FOLLOWING" in frame.replace("UNBOUNDED FOLLOWING", ""))
            ):
                okey = self.pick([f"{x}.a", f"{x}.b DESC", f"{x}.r"])
            if self.rng.random() < 0.3:
                frame += " EXCLUDE " + self.pick(["NO OTHERS", "CURRENT ROW", "GROUP", "TIES"])
        order_sensitive = (
            fn.split("(")[0]
            in ("row_number", "ntile", "lag", "lead", "first_value", "last_value", "nth_value")
            or "ROWS" in frame
            or "EXCLUDE CURRENT" in frame
            or "TIES" in frame
        )
        if (
            order_sensitive
            and "RANGE" in frame
            and (
                " PRECEDING" in frame.replace("UNBOUNDED PRECEDING", "")
                or " FOLLOWING" in frame.replace("UNBOUNDED FOLLOWING", "")
            )
        ):
            frame = frame.replace("RANGE", "ROWS")
        over_order = f"ORDER BY {okey}" + (f", {x}.id" if order_sensitive else "")
        if "RANGE" in frame and (
            " PRECEDING" in frame.replace("UNBOUNDED PRECEDING", "")
            or " FOLLOWING" in frame.replace("UNBOUNDED FOLLOWING", "")
        ):
            over_order = f"ORDER BY {okey}"
        if (
            fn.startswith(("sum", "count", "avg", "total"))  # min/max: see the docstring
            and self.rng.random() < 0.2
        ):
            fn += f" FILTER (WHERE {e.of(BOOL, 1)})"
        if self.rng.random() < 0.15:
            sql = f"SELECT {x}.id, {fn} OVER w FROM {t} AS {x} WINDOW w AS ({part} {over_order}{frame})"
        else:
            sql = f"SELECT {x}.id, {fn} OVER ({part} {over_order}{frame}) FROM {t} AS {x}"
        if self.rng.random() < 0.3:
            sql += f" WHERE {e.of(BOOL, 1)}"
        return Stmt("windows", sql)

    def ctes(self) -> Stmt:
        k = self.rng.randint(0, 3)
        ((t, x),) = self.tables(1)
        if k == 0:
            n = self.rng.randint(0, 30)
            step = self.pick(["n + 1", "n + 2", "n * 2"])
            union = self.pick(["UNION ALL", "UNION"])
            return Stmt(
                "ctes",
                f"WITH RECURSIVE c(n) AS (SELECT 1 {union} SELECT {step} FROM c WHERE n < {n}) "
                "SELECT n, n % 3 FROM c",
            )
        if k == 1:
            return Stmt(
                "ctes",
                f"WITH RECURSIVE walk(id, depth) AS (SELECT id, 0 FROM {t} WHERE p IS NULL "
                f"{self.pick(['UNION', 'UNION ALL'])} SELECT c.id, w.depth + 1 FROM {t} AS c JOIN walk AS w "
                "ON c.p = w.id WHERE w.depth < 20) SELECT id, depth FROM walk",
            )
        e = Expr(self.rng, [(f"{x}.{c}", ty) for c, ty in COLUMNS])
        ((u, y),) = self.tables(1)
        return Stmt(
            "ctes",
            f"WITH f AS (SELECT {x}.id AS id, {x}.a AS a FROM {t} AS {x} WHERE {e.of(BOOL, 2)}), "
            f"g AS (SELECT a, count(*) AS n FROM f GROUP BY a) "
            f"SELECT f.id, g.n FROM f JOIN g ON f.a = g.a JOIN {u} AS {y} ON {y}.a = g.a",
        )

    def compound(self) -> Stmt:
        (t, x), (u, y) = self.tables(2)
        e1 = Expr(self.rng, refs_of([(t, x)]))
        e2 = Expr(self.rng, refs_of([(u, y)]))
        op = self.pick(["UNION", "UNION ALL", "INTERSECT", "EXCEPT"])
        return Stmt(
            "compound",
            f"SELECT {x}.a, {x}.s FROM {t} AS {x} WHERE {e1.of(BOOL, 1)} {op} "
            f"SELECT {y}.b, {y}.s FROM {u} AS {y} WHERE {e2.of(BOOL, 1)}",
        )

    def subqueries(self) -> Stmt:
        (t, x), (u, y) = self.tables(2)
        e = Expr(self.rng, refs_of([(t, x)]))
        k = self.rng.randint(0, 3)
        if k == 0:
            cond = f"{x}.a IN (SELECT {y}.b FROM {u} AS {y} WHERE {y}.a <> {x}.b)"
        elif k == 1:
            cond = f"{self.pick(['', 'NOT '])}EXISTS (SELECT 1 FROM {u} AS {y} WHERE {y}.a = {x}.a)"
        elif k == 2:
            cond = f"{x}.b > (SELECT count(*) FROM {u} AS {y} WHERE {y}.b = {x}.a)"
        else:
            cond = f"{x}.id IN (SELECT {y}.p FROM {u} AS {y}) AND {e.of(BOOL, 1)}"
        scalar = f"(SELECT max({y}.a) FROM {u} AS {y} WHERE {y}.p = {x}.id)"
        return Stmt("subqueries", f"SELECT {x}.id, {scalar} FROM {t} AS {x} WHERE {cond}")

    def values(self) -> Stmt:
        texts = ["NULL", "'a'", "'b'"]
        rows = ", ".join(
            f"({self.rng.randint(-2, 5)}, {self.pick(texts)})"
            for _ in range(self.rng.randint(1, 5))
        )
        ((t, x),) = self.tables(1)
        return Stmt(
            "values",
            f"SELECT v.column1, v.column2, {x}.id FROM (VALUES {rows}) AS v "
            f"LEFT JOIN {t} AS {x} ON {x}.a = v.column1",
        )

    def writes(self) -> Stmt:
        ((t, _),) = self.tables(1)
        e = Expr(self.rng, [(c, ty) for c, ty in COLUMNS])
        ret = self.pick(
            ["", " RETURNING *", " RETURNING id, a * 2, s", f" RETURNING {e.of(INT, 1)}"]
        )
        k = self.rng.randint(0, 3)
        if k == 0:
            v = self.rng.randint(100, 10**6)
            sql = f"INSERT INTO {t} (id, a, s) VALUES ({v}, {self.rng.randint(-3, 3)}, {e.lit(TEXT)}){ret}"
        elif k == 1:
            sql = (
                f"UPDATE {t} SET a = {e.of(INT, 1)}, s = {e.of(TEXT, 1)} WHERE {e.of(BOOL, 2)}{ret}"
            )
        elif k == 2:
            sql = f"DELETE FROM {t} WHERE {e.of(BOOL, 2)}{ret}"
        else:
            sql = (
                f"INSERT INTO {t} (id, a) VALUES ({self.rng.randint(1, 12)}, {self.rng.randint(0, 9)}) "
                f"ON CONFLICT (id) DO UPDATE SET a = excluded.a + 1{ret}"
            )
        return Stmt("writes", sql, writes=True)


FAMILIES = [
    "filters",
    "functions",
    "joins",
    "aggregates",
    "windows",
    "ctes",
    "compound",
    "subqueries",
    "values",
    "writes",
]


# ------------------------------------------------------------------------------ running
@dataclass
class Outcome:
    kind: str  # agree | rows | m_error | s_error | raw
    detail: str = ""


def _run(conn, sql: str, is_sqlite: bool):
    try:
        cur = conn.execute(sql)
        # A write without RETURNING has no result set: sqlite3 fetches [], PEP 249 may raise.
        return (cur.fetchall() if cur.description is not None else []), None
    except sqlite3.Error as exc:
        if is_sqlite:
            return None, exc
        raise
    except memtables.Error as exc:
        return None, exc


def _real_quirk(m, s):
    if type(m) is float and type(s) is int and m == s:
        return m
    return s


def compare(pair: Pair, stmt: Stmt) -> Outcome:
    """Run ``stmt`` in both engines; how they compare."""
    s_rows, s_err = _run(pair.s, stmt.sql, True)
    try:
        m_rows, m_err = _run(pair.m, stmt.sql, False)
    except Exception as exc:  # a raw Python exception: always a bug
        return Outcome("raw", f"{type(exc).__name__}: {exc}")
    if s_err is not None or m_err is not None:
        if s_err is not None and m_err is not None:
            return Outcome("agree")
        if m_err is not None:
            return Outcome("m_error", f"{type(m_err).__name__}: {m_err}")
        return Outcome("s_error", f"sqlite3: {s_err}; memtables gave {m_rows[:3]!r}")
    if not stmt.ordered:
        m_rows, s_rows = sorted(m_rows, key=row_key), sorted(s_rows, key=row_key)
    if stmt.writes:
        # sqlite3 3.40 quirk: RETURNING gives a REAL column's whole-number value as an int.
        if len(m_rows) == len(s_rows):
            s_rows = [tuple(map(_real_quirk, mr, sr)) for mr, sr in zip(m_rows, s_rows)]
        # The write's effect: every table must still be equal afterwards.
        for name in TABLES:
            q = f"SELECT * FROM {name} ORDER BY id"
            m_rows.append(("--", name))
            s_rows.append(("--", name))
            m_rows.extend(pair.m.execute(q).fetchall())
            s_rows.extend(pair.s.execute(q).fetchall())
    if same_rows(m_rows, s_rows):
        return Outcome("agree")
    return Outcome("rows", f"memtables {m_rows[:6]!r}\n      sqlite3   {s_rows[:6]!r}")


@dataclass
class Tally:
    total: Counter = field(default_factory=Counter)
    kinds: dict = field(default_factory=lambda: defaultdict(Counter))
    examples: dict = field(default_factory=lambda: defaultdict(list))

    def add(self, stmt: Stmt, out: Outcome) -> None:
        self.total[stmt.family] += 1
        self.kinds[stmt.family][out.kind] += 1
        if out.kind != "agree":
            self.examples[stmt.family].append((out.kind, stmt.sql, out.detail))

    @property
    def agreed(self) -> int:
        return sum(k["agree"] for k in self.kinds.values())

    @property
    def count(self) -> int:
        return sum(self.total.values())

    def rate(self) -> float:
        return self.agreed / self.count if self.count else 1.0

    def report(self, show: int = 3) -> str:
        lines = [f"{'family':<12} {'queries':>8} {'agree':>8} {'rate':>8}  disagreements"]
        for fam in FAMILIES:
            n = self.total[fam]
            if not n:
                continue
            k = self.kinds[fam]
            bad = ", ".join(f"{kind} {c}" for kind, c in k.items() if kind != "agree")
            lines.append(f"{fam:<12} {n:>8} {k['agree']:>8} {k['agree'] / n:>8.2%}  {bad}")
        lines.append(f"{'all':<12} {self.count:>8} {self.agreed:>8} {self.rate():>8.2%}")
        for fam, exs in self.examples.items():
            for kind, sql, detail in exs[:show]:
                lines.append(f"\n[{fam}/{kind}] {sql}\n      {detail}")
        return "\n".join(lines)


def run(queries: int, seed: int, families: list[str] | None = None, per_db: int = 50) -> Tally:
    """Run ``queries`` random statements (a fresh database every ``per_db``)."""
    rng = random.Random(seed)
    fams = families or FAMILIES
    tally = Tally()
    pair = None
    for i in range(queries):
        if i % per_db == 0:
            if pair:
                pair.close()
            pair = Pair(rng)
        stmt = getattr(Gen(rng), rng.choice(fams))()
        out = compare(pair, stmt)
        tally.add(stmt, out)
        if stmt.writes and out.kind != "agree":
            pair.close()
            pair = Pair(rng)  # the two databases may have diverged
    if pair:
        pair.close()
    return tally


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--family", action="append", choices=FAMILIES)
    ap.add_argument("--show", type=int, default=3, help="examples shown per family")
    args = ap.parse_args(argv)
    tally = run(args.queries, args.seed, args.family)
    print(f"sqlite3 {sqlite3.sqlite_version}, seed {args.seed}")
    print(tally.report(args.show))
    return 0 if tally.rate() >= 0.995 and not any(k["raw"] for k in tally.kinds.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
