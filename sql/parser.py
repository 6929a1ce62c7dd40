"""SQL text → AST: the Lark LALR parser and a Transformer that builds ``sql.ast`` nodes.

Syntax errors become ``SQLSyntaxError`` with line, column, the offending token and a caret
excerpt of the line.
"""

from __future__ import annotations

import dataclasses
import threading

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from .. import errors as E
from ..errors import Error, SQLSyntaxError
from ..types import valid_text
from . import ast as A
from . import lalr_tables
from .cte_push import push_with
from .render import create_trigger_sql, to_sql

_lock = threading.Lock()
_parser: Lark | None = None


def _lark() -> Lark:
    global _parser
    if _parser is None:
        with _lock:
            if _parser is None:
                # The builder runs inside the parser (no intermediate tree): about a third
                # faster, which matters for one-off statements. It keeps no state.
                _parser = lalr_tables.parser(_Builder())
    return _parser


def parse(text: str) -> list:
    """Parse a script of ``;``-separated statements into a list of AST nodes."""
    valid_text(text)  # a lone surrogate in a literal or a name could never be stored
    try:
        stmts = _lark().parse(text)
    except UnexpectedInput as e:
        raise _syntax_error(text, e) from None
    except VisitError as e:
        if isinstance(e.orig_exc, Error):
            raise e.orig_exc from None
        raise
    if "?" in text:
        for stmt in stmts:
            _number_params(stmt)
    if "raise" in text.lower():
        for stmt in stmts:
            if not isinstance(stmt, A.CreateTrigger) and find_node(stmt, A.Raise) is not None:
                raise E.ProgrammingError("RAISE() may only be used within a trigger program")
    return stmts


def _number_params(node) -> None:
    """Give each anonymous ``?`` its index, in textual order, as SQLite does."""
    params: list[A.Param] = []
    _collect_params(node, params)
    if not params:
        return
    params.sort(key=lambda p: p.pos)
    top = 0
    for p in params:
        if p.name is not None:
            continue
        if p.index is None:
            object.__setattr__(p, "index", top)
            top += 1
        else:
            top = max(top, p.index + 1)


def _collect_params(node, out: list) -> None:
    out.extend(_walk(node, A.Param))


def _walk(node, kinds):
    """Every node of one of ``kinds`` inside ``node`` (depth first, with a stack of our own:
    a statement can be deeper than Python's recursion limit, hundreds of UNION ALL arms)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, kinds):
            yield node
        if isinstance(node, tuple):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
        elif hasattr(node, "__dataclass_fields__"):
            stack.extend(getattr(node, f) for f in reversed(list(node.__dataclass_fields__)))


_SUBQUERIES = (A.Select, A.ScalarSubquery, A.Exists, A.InSelect)


def find_nodes(node, kinds):
    """Every node of one of ``kinds`` inside ``node``, outermost first."""
    return _walk(node, kinds)


def find_node(node, kinds):
    """The first node of one of ``kinds`` inside ``node``, or None."""
    return next(_walk(node, kinds), None)


def _refuse(e, where: str) -> None:
    """Schema expressions are stored and rerun on every write: they cannot take a
    statement's parameters, nor read other rows (SQLite's rules)."""
    if find_node(e, A.Param) is not None:
        raise E.ProgrammingError(f"parameters are not allowed in {where}")
    if find_node(e, _SUBQUERIES) is not None:
        raise E.ProgrammingError(f"subqueries are not allowed in {where}")


def parse_one(text: str):
    """Parse exactly one statement."""
    stmts = parse(text)
    if not stmts:
        raise SQLSyntaxError("empty statement: nothing to execute", 1, 1, "")
    if len(stmts) > 1:
        raise E.ProgrammingError(
            "you can only execute one statement at a time (use executescript for several)"
        )
    return stmts[0]


def _syntax_error(text: str, e: UnexpectedInput) -> SQLSyntaxError:
    line, col = getattr(e, "line", 0) or 0, getattr(e, "column", 0) or 0
    if isinstance(e, UnexpectedCharacters):
        token = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        what = f"unexpected character {token!r}"
    elif isinstance(e, UnexpectedEOF) or getattr(e, "token", None) is None:
        token = ""
        what = "unexpected end of input"
    else:
        tok = e.token
        if tok.type == "$END":
            token, what = "", "unexpected end of input"
        else:
            token = str(tok)
            what = f"unexpected {token!r}"
    lines = text.splitlines() or [""]
    if line <= 0:
        line = len(lines)
        col = len(lines[-1]) + 1
    src = lines[line - 1] if line - 1 < len(lines) else ""
    caret = " " * (max(col, 1) - 1) + "^"
    msg = f"syntax error at line {line}, column {col}: {what}\n  {src}\n  {caret}"
    return SQLSyntaxError(msg, line, col, token)


def _unquote_string(tok: str) -> str:
    return tok[1:-1].replace("''", "'")


def _unquote_name(tok: str) -> str:
    q = tok[0]
    if q == "[":
        return tok[1:-1]
    return tok[1:-1].replace(q + q, q)


_INT_LIMIT = 1 << 63  # kept exact so that -9223372036854775808 is the smallest INTEGER


def _integer(text: str) -> int | float:
    """An integer literal: beyond 64 bits it is REAL, as in SQLite (even past 4,300 digits,
    where Python's ``int()`` refuses to convert)."""
    digits = text.lstrip("0")
    if len(digits) > 19:
        return float(text)
    v = int(text)
    return float(text) if v > _INT_LIMIT else v


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


_OPS = {"==": "=", "<>": "!="}


@v_args(inline=True)
class _Builder(Transformer):
    """Turns the parse tree into AST nodes (one method per grammar rule or alias)."""

    # ------------------------------------------------------------ script
    def start(self, *stmts):
        return [s for s in stmts if s is not None]

    # ------------------------------------------------------------ names and literals
    def ident(self, tok):
        return str(tok)

    def quoted_ident(self, tok):
        name = _unquote_name(str(tok))
        if "\x00" in name:  # names become file and code labels, where NUL cannot go
            raise E.ProgrammingError(f"a name cannot contain a NUL character: {name!r}")
        return name

    def qualified_name(self, a, b):
        return (None, a) if b is None else (a, b)

    def name_list(self, *names):
        return tuple(names)

    def integer(self, tok):
        return A.Literal(_integer(str(tok)))

    def hex_integer(self, tok):
        v = int(str(tok), 16)
        if v >= 1 << 64:
            raise SQLSyntaxError(f"hex literal too big: {_clip(str(tok))}")
        if v >= 1 << 63:
            v -= 1 << 64
        return A.Literal(v)

    def real(self, tok):
        return A.Literal(float(tok))

    def signed_integer(self, sign, tok):
        v = _integer(str(tok))
        return A.Literal(-v if sign == "-" else v)

    def signed_real(self, sign, tok):
        v = float(tok)
        return A.Literal(-v if sign == "-" else v)

    def string(self, tok):
        return A.Literal(_unquote_string(str(tok)))

    def blob(self, tok):
        return A.Literal(bytes.fromhex(str(tok)[2:-1]))

    def null(self):
        return A.Literal(None)

    def true(self):
        return A.Literal(True)

    def false(self):
        return A.Literal(False)

    def current_date(self):
        return A.Call("current_date", ())

    def current_time(self):
        return A.Call("current_time", ())

    def current_timestamp(self):
        return A.Call("current_timestamp", ())

    def date_literal(self, tok):
        from ..types import check_date

        return A.Literal(check_date(_unquote_string(str(tok))))

    def timestamp_literal(self, tok):
        from ..types import check_timestamp

        return A.Literal(check_timestamp(_unquote_string(str(tok))))

    def param(self, tok):
        s = str(tok)
        if s[0] == "?":
            if len(s) > 1:
                n = int(s[1:])
                if n < 1:
                    raise SQLSyntaxError(f"parameter {s} out of range: numbering starts at ?1")
                return A.Param(n - 1, None, tok.start_pos)
            return A.Param(None, None, tok.start_pos)
        return A.Param(None, s[1:], tok.start_pos)

    def default(self):
        return A.Default()

    # ------------------------------------------------------------ expressions
    def expr(self, *items):
        return _climb(items)

    def pre_not(self):
        return _NOT

    def pre_sign(self, tok):
        return _Op("prefix", str(tok), 10)

    def in_or(self):
        return _OR

    def in_and(self):
        return _AND

    def in_op(self, tok):
        op = str(tok)
        return _Op("infix", _OPS.get(op, op), _BINARY_BP[op])

    def in_is(self):
        return _Op("is", False, 4)

    def in_is_not(self):
        return _Op("is", True, 4)

    def in_like(self, tok):
        return _Op("like", (False, str(tok).upper() == "GLOB"), 4)

    def in_not_like(self, tok):
        return _Op("like", (True, str(tok).upper() == "GLOB"), 4)

    def in_escape(self):
        return _ESCAPE

    def in_between(self):
        return _Op("between", False, 4)

    def in_not_between(self):
        return _Op("between", True, 4)

    def post_isnull(self):
        return _Op("postfix", lambda e: A.Is(e, A.Literal(None), False), 4)

    def post_notnull(self):
        return _Op("postfix", lambda e: A.Is(e, A.Literal(None), True), 4)

    def post_in_list(self, items):
        return _Op("postfix", lambda e: A.InList(e, tuple(items or ()), False), 4)

    def post_not_in_list(self, items):
        return _Op("postfix", lambda e: A.InList(e, tuple(items or ()), True), 4)

    def post_in_select(self, sel):
        return _Op("postfix", lambda e: A.InSelect(e, sel, False), 4)

    def post_not_in_select(self, sel):
        return _Op("postfix", lambda e: A.InSelect(e, sel, True), 4)

    def post_collate(self, name):
        return _Op("postfix", lambda e: A.Collate(e, name.upper()), 10)

    def column(self, name):
        return A.Column(name)

    def qualified_column(self, table, name):
        return A.Column(name, table)

    def schema_column(self, schema, table, name):
        return A.Column(name, f"{schema}.{table}")

    def scalar_subquery(self, sel):
        return A.ScalarSubquery(sel)

    def exists(self, sel):
        return A.Exists(sel)

    def expr_list(self, *items):
        return tuple(items)

    def call(self, name, args, filter_, over):
        return A.Call(name.lower(), tuple(args or ()), filter=filter_, over=over)

    def call_distinct(self, name, args, filter_, over):
        return A.Call(name.lower(), tuple(args), True, filter=filter_, over=over)

    def call_star(self, name, _star, filter_, over):
        return A.Call(name.lower(), (), star=True, filter=filter_, over=over)

    # ------------------------------------------------------------ window functions
    def filter_clause(self, e):
        return e

    def over_name(self, name):
        return name

    def over_clause(self, spec):
        return spec

    def window_clause(self, *defs):
        return tuple(defs)

    def window_def(self, name, spec):
        return (name, spec)

    def window_spec(self, base, partition, order, frame):
        units, start, end, exclude = frame if frame is not None else (None, None, None, None)
        return A.WindowSpec(
            base, partition or (), order or (), units, start, end, exclude or "NO OTHERS"
        )

    def partition_by(self, *es):
        return tuple(es)

    def frame_single(self, units, start, exclude):
        # a lone bound is the start; the frame ends at the current row
        return (units, start, A.FrameBound("current row"), exclude)

    def frame_between(self, units, start, end, exclude):
        return (units, start, end, exclude)

    def units_rows(self):
        return "ROWS"

    def units_range(self):
        return "RANGE"

    def units_groups(self):
        return "GROUPS"

    def bound_unbounded_preceding(self):
        return A.FrameBound("unbounded preceding")

    def bound_unbounded_following(self):
        return A.FrameBound("unbounded following")

    def bound_current_row(self):
        return A.FrameBound("current row")

    def bound_preceding(self, e):
        return A.FrameBound("preceding", e)

    def bound_following(self, e):
        return A.FrameBound("following", e)

    def exclude_no_others(self):
        return "NO OTHERS"

    def exclude_current_row(self):
        return "CURRENT ROW"

    def exclude_group(self):
        return "GROUP"

    def exclude_ties(self):
        return "TIES"

    def cast(self, e, type_name):
        return A.Cast(e, type_name)

    def type_name(self, *parts):
        *words, n1, n2 = parts
        name = " ".join(words).upper()
        if n1 is not None:
            args = [str(n1.value)] + ([str(n2.value)] if n2 is not None else [])
            name += "(" + ",".join(args) + ")"
        return name

    def case(self, operand, *rest):
        *whens, else_ = rest
        return A.Case(operand, tuple(whens), else_)

    def when_clause(self, cond, result):
        return (cond, result)

    # ------------------------------------------------------------ SELECT
    def select_stmt(self, with_, body, order_by, limit):
        lim, off = limit if limit is not None else (None, None)
        return A.Select(body, order_by or (), lim, off, with_)

    def with_clause(self, recursive, *ctes):
        return A.With(tuple(ctes), recursive is not None)

    def with_dml(self, with_, stmt):
        return push_with(stmt, with_)

    def cte_recursive(self):
        return True

    def cte(self, name, columns, select):
        return A.CTE(name, columns, select)

    def compound_select(self, left, op, right):
        return A.CompoundCore(op, left, right)

    def op_union(self):
        return "UNION"

    def op_union_all(self):
        return "UNION ALL"

    def op_except(self):
        return "EXCEPT"

    def op_intersect(self):
        return "INTERSECT"

    def select_core(self, quant, items, from_, where, group_by, having, windows):
        return A.SelectCore(items, from_, where, group_by or (), having, bool(quant), windows or ())

    def values_core(self, *rows):
        return A.ValuesCore(tuple(rows))

    def value_row(self, *items):
        return tuple(items)

    def distinct(self):
        return True

    def all(self):
        return False

    def result_columns(self, *items):
        return tuple(items)

    def star(self, _tok):
        return A.Star(None)

    def table_star(self, name, _tok):
        return A.Star(name)

    def select_item(self, expr, alias):
        if isinstance(alias, Token):
            alias = _unquote_string(str(alias))
        return A.SelectItem(expr, alias)

    def alias(self, name):
        return name

    def from_clause(self, src):
        return src

    def table_ref(self, qname, alias):
        schema, name = qname
        if isinstance(alias, Token):
            alias = _unquote_string(str(alias))
        return A.TableRef(name, schema, alias)

    def subquery_ref(self, sel, alias):
        if isinstance(alias, Token):
            alias = _unquote_string(str(alias))
        return A.SubqueryRef(sel, alias)

    def table_function(self, name, args, alias):
        if isinstance(alias, Token):
            alias = _unquote_string(str(alias))
        return A.TableFunction(name.lower(), tuple(args or ()), alias)

    def paren_join(self, j):
        return j

    def join(self, left, kind, right, constraint):
        on = using = None
        if constraint is not None:
            if constraint[0] == "on":
                on = constraint[1]
            else:
                using = constraint[1]
        return A.Join(left, right, kind, on, using)

    def join_comma(self):
        return "comma"

    def join_inner(self):
        return "inner"

    def join_cross(self):
        return "cross"

    def join_left(self):
        return "left"

    def join_on(self, e):
        return ("on", e)

    def join_using(self, names):
        return ("using", names)

    def where_clause(self, e):
        return e

    def group_by(self, *es):
        return tuple(es)

    def having(self, e):
        return e

    def order_by(self, *terms):
        return tuple(terms)

    def ordering_term(self, e, direction, nulls):
        return A.OrderTerm(e, direction == "desc", nulls)

    def asc(self):
        return "asc"

    def desc(self):
        return "desc"

    def nulls_first(self):
        return True

    def nulls_last(self):
        return False

    def limit_offset(self, lim, off):
        return (lim, off)

    def limit_comma(self, off, lim):
        return (lim, off)

    # ------------------------------------------------------------ DML
    def insert_stmt(self, verb, qname, _alias, columns, source, upsert, ttl, returning):
        table = A.TableRef(qname[1], qname[0])
        return A.Insert(table, columns, source, verb, upsert, ttl, returning)

    def verb_insert(self):
        return "abort"

    def verb_replace(self):
        return "replace"

    def verb_ignore(self):
        return "ignore"

    def insert_source(self, sel):
        return sel

    def default_values(self):
        return None

    def upsert(self, columns, action):
        assignments, where = action
        return A.Upsert(columns, assignments, where)

    def do_nothing(self):
        return (None, None)

    def do_update(self, assignments, where):
        return (assignments, where)

    def ttl_clause(self, e):
        return e

    def update_stmt(self, qname, alias, assignments, where, ttl, returning):
        if isinstance(alias, Token):
            alias = _unquote_string(str(alias))
        table = A.TableRef(qname[1], qname[0], alias)
        return A.Update(table, assignments, where, ttl, returning)

    def assignments(self, *items):
        return tuple(items)

    def assignment(self, name, _eq, e):
        return (name, e)

    def delete_stmt(self, qname, alias, where, returning):
        if isinstance(alias, Token):
            alias = _unquote_string(str(alias))
        return A.Delete(A.TableRef(qname[1], qname[0], alias), where, returning)

    def returning(self, items):
        return items

    # ------------------------------------------------------------ DDL
    def create_table(self, temp, cache, ine, qname, *rest):
        *elements, options = rest
        cols, pk, uniques, checks = [], (), [], []
        for el in elements:
            if isinstance(el, A.ColumnDef):
                cols.append(el)
            elif el[0] == "pk":
                pk = el[1]
            elif el[0] == "unique":
                uniques.append(el[1])
            elif el[0] == "check":
                checks.append(el[1])
        return A.CreateTable(
            qname[1],
            tuple(cols),
            pk,
            tuple(uniques),
            tuple(checks),
            bool(ine),
            bool(cache),
            options or {},
            None,
            qname[0],
            bool(temp),
        )

    def create_table_as(self, temp, cache, ine, qname, options, sel):
        return A.CreateTable(
            qname[1],
            (),
            (),
            (),
            (),
            bool(ine),
            bool(cache),
            options or {},
            sel,
            qname[0],
            bool(temp),
        )

    def cache_kw(self):
        return True

    def temp_kw(self, _word):
        return True

    def if_not_exists(self):
        return True

    def if_exists(self):
        return True

    def column_def(self, name, type_name, *constraints):
        kw = {}
        checks = []
        for c in constraints:
            kind = c[0]
            if kind == "pk":
                kw.update(primary_key=True, pk_desc=c[1], autoincrement=c[2])
            elif kind == "not_null":
                kw["not_null"] = True
            elif kind == "unique":
                kw["unique"] = True
            elif kind == "default":
                kw.update(default=c[1], default_sql=c[2])
            elif kind == "check":
                checks.append(c[1])
            elif kind == "collate":
                kw["collation"] = c[1]
        return A.ColumnDef(name, type_name, checks=tuple(checks), **kw)

    def column_constraint(self, _name, cons):
        return cons

    def table_constraint(self, _name, cons):
        return cons

    def c_primary_key(self, direction, autoinc):
        return ("pk", direction == "desc", bool(autoinc))

    def autoincrement(self):
        return True

    def c_not_null(self):
        return ("not_null",)

    def c_null(self):
        return ("null",)

    def c_unique(self):
        return ("unique",)

    def c_default(self, e):
        _refuse(e, "a DEFAULT value")
        return ("default", e, to_sql(e))

    def default_value(self, e):
        return e

    def c_check(self, e):
        _refuse(e, "CHECK constraints")
        return ("check", e)

    def c_collate(self, name):
        return ("collate", name.upper())

    def t_primary_key(self, *cols):
        return ("pk", tuple(c[0] for c in cols))

    def t_unique(self, *cols):
        return ("unique", tuple(c[0] for c in cols))

    def t_check(self, e):
        _refuse(e, "CHECK constraints")
        return ("check", e)

    def indexed_column(self, name, direction):
        return (name, direction == "desc")

    def with_options(self, *options):
        return dict(options)

    def option(self, name, _eq, value):
        if isinstance(value, A.Literal):
            value = value.value
        elif isinstance(value, Token):
            value = _unquote_string(str(value)) if value.type == "STRING" else str(value)
        return (name.lower(), value)

    def drop_table(self, ie, qname):
        return A.DropTable(qname[1], bool(ie), qname[0])

    def create_index(self, unique, ine, name, qname, method, *cols):
        return A.CreateIndex(
            name,
            qname[1],
            tuple(c[0] for c in cols),
            bool(unique),
            method or "sorted",
            bool(ine),
            tuple(c[1] for c in cols),
            qname[0],
        )

    def unique_kw(self):
        return True

    def using_hash(self):
        return "hash"

    def using_sorted(self):
        return "sorted"

    def drop_index(self, ie, name):
        return A.DropIndex(name, bool(ie))

    def create_view(self, temp, ine, qname, columns, sel):
        if find_node(sel, A.Param) is not None:
            raise E.ProgrammingError("parameters are not allowed in views")
        return A.CreateView(qname[1], sel, to_sql(sel), columns, bool(ine), qname[0], bool(temp))

    def drop_view(self, ie, qname):
        return A.DropView(qname[1], bool(ie), qname[0])

    def alter_table(self, qname, action):
        kind, column, old, new = action
        return A.AlterTable(qname[1], kind, column, old, new, qname[0])

    # the optional COLUMN keyword leaves a placeholder or nothing: the names come last
    def alter_add(self, *items):
        return ("add", items[-1], None, None)

    def alter_drop(self, *items):
        return ("drop", None, items[-1], None)

    def alter_rename_table(self, new):
        return ("rename_table", None, None, new)

    def alter_rename_column(self, *items):
        return ("rename_column", None, items[-2], items[-1])

    # ------------------------------------------------------------ triggers
    def create_trigger(self, ine, qname, timing, event, table, _each, when, body):
        if qname[0] is not None and qname[0].lower() != "main":
            raise E.ProgrammingError(f"unknown database {qname[0]}")
        if table[0] is not None:
            raise E.ProgrammingError(
                "the table of a trigger must be named without a schema (it is in main)"
            )
        kind, columns = event
        node = A.CreateTrigger(
            qname[1], table[1], timing or "before", kind, columns, when, body, bool(ine)
        )
        for part in (when, body):
            if find_node(part, A.Param) is not None:
                raise E.ProgrammingError("parameters are not allowed in triggers")
        for stmt in body:
            if getattr(stmt, "returning", None) is not None:
                raise E.ProgrammingError("cannot use RETURNING in a trigger")
            if not isinstance(stmt, A.Select) and stmt.table.schema is not None:
                raise E.ProgrammingError(
                    "qualified table names are not allowed on INSERT, UPDATE, and DELETE "
                    "statements within triggers"
                )
        return dataclasses.replace(node, sql=create_trigger_sql(node))

    def t_before(self):
        return "before"

    def t_after(self):
        return "after"

    def t_instead_of(self):
        return "instead of"

    def ev_insert(self):
        return ("insert", None)

    def ev_delete(self):
        return ("delete", None)

    def ev_update(self, columns):
        return ("update", columns)

    def for_each_row(self):
        return True

    def trigger_when(self, e):
        return e

    def trigger_body(self, *stmts):
        return tuple(stmts)

    def drop_trigger(self, ie, qname):
        return A.DropTrigger(qname[1], bool(ie))

    def raise_ignore(self):
        return A.Raise("ignore")

    def raise_error(self, kind, message):
        return A.Raise(kind, _unquote_string(str(message)))

    def rk_rollback(self):
        return "rollback"

    def rk_abort(self):
        return "abort"

    def rk_fail(self):
        return "fail"

    # ------------------------------------------------------------ control
    def begin_stmt(self, *items):
        # "BEGIN [kind] [TRANSACTION]" fills a placeholder for its kind; "START TRANSACTION"
        # has none, so the isolation level is always the last item
        return A.Begin(items[-1])

    def begin_kind(self):
        return None

    def iso_snapshot(self):
        return "SNAPSHOT"

    def iso_serializable(self):
        return "SERIALIZABLE"

    def commit_stmt(self, _t=None):
        return A.Commit()

    def rollback_stmt(self, _t=None):
        return A.Rollback()

    def savepoint(self, name):
        return A.Savepoint(name)

    # savepoint names compare case-insensitively (as SQLite's), quoted or not

    def release(self, *items):
        return A.Release(items[-1])

    def rollback_to(self, *items):
        return A.RollbackTo(items[-1])

    def set_isolation(self, iso):
        return A.SetIsolation(iso)

    def explain_stmt(self, stmt):
        return A.Explain(stmt)

    def explain_analyze(self, stmt):
        return A.Explain(stmt, analyze=True)

    def checkpoint_stmt(self):
        return A.Checkpoint()

    def copy_table(self, qname, direction, path, options):
        return A.Copy(
            A.TableRef(qname[1], qname[0]),
            _unquote_string(str(path)),
            direction == "to",
            options or {},
        )

    def copy_query(self, sel, path, options):
        return A.Copy(sel, _unquote_string(str(path)), True, options or {})

    def copy_to(self):
        return "to"

    def copy_from(self):
        return "from"


class _Op:
    """An operator in a flat expression run: its kind, payload and binding power."""

    __slots__ = ("kind", "op", "bp")

    def __init__(self, kind: str, op, bp: int):
        self.kind = kind
        self.op = op
        self.bp = bp


# Binding powers follow SQLite's precedence, loosest first.
_BINARY_BP = {
    "=": 4,
    "==": 4,
    "!=": 4,
    "<>": 4,
    "<": 5,
    "<=": 5,
    ">": 5,
    ">=": 5,
    "&": 6,
    "|": 6,
    "<<": 6,
    ">>": 6,
    "+": 7,
    "-": 7,
    "*": 8,
    "/": 8,
    "%": 8,
    "||": 9,
    "->": 9,
    "->>": 9,
}
_NOT_BP = 3  # prefix NOT binds looser than comparisons, tighter than AND
_UNARY_BP = 10
_NOT = _Op("prefix", "NOT", _NOT_BP)
_OR = _Op("infix", "OR", 1)
_AND = _Op("infix", "AND", 2)
_ESCAPE = _Op("escape", None, 0)  # only LIKE consumes it


def _climb(items: tuple):
    """Build the AST of a flat expression run by precedence climbing."""
    n = len(items)
    pos = 0

    def parse(min_bp: int):
        nonlocal pos
        it = items[pos]
        pos += 1
        if type(it) is _Op:
            if it.op == "NOT":
                left = A.Unary("NOT", parse(_NOT_BP))
            else:
                operand = parse(_UNARY_BP)
                left = _unary(it.op, operand)
        else:
            left = it
        while pos < n:
            op = items[pos]
            bp = op.bp
            if bp <= min_bp:
                break
            pos += 1
            kind = op.kind
            if kind == "infix":
                name = op.op
                if name in _ASSOCIATIVE:
                    left = _chain(name, left, parse(bp), bp)
                else:
                    left = A.Binary(name, left, parse(bp))
            elif kind == "postfix":
                left = op.op(left)
            elif kind == "is":
                left = A.Is(left, parse(bp), op.op)
            elif kind == "between":
                low = parse(bp)
                if pos >= n or items[pos] is not _AND:
                    raise SQLSyntaxError("syntax error: BETWEEN without AND")
                pos += 1
                left = A.Between(left, low, parse(bp), op.op)
            elif kind == "like":
                pattern = parse(bp)
                escape = None
                if pos < n and items[pos] is _ESCAPE:
                    pos += 1
                    escape = parse(bp)
                negated, glob = op.op
                left = A.Like(left, pattern, escape, negated, glob)
            else:
                raise SQLSyntaxError("syntax error: ESCAPE without LIKE")
        return left

    def _chain(name: str, first, second, bp: int):
        # a run of one associative operator (a OR b OR c ...) becomes a balanced tree, so
        # that a few hundred terms stay a few levels deep for every recursive pass after us
        nonlocal pos
        terms = [first, second]
        while (
            pos < n
            and type(items[pos]) is _Op
            and items[pos].kind == "infix"
            and items[pos].op == name
        ):
            pos += 1
            terms.append(parse(bp))
        return _balanced(name, terms)

    tree = parse(0)
    if pos != n:
        what = "ESCAPE without LIKE" if items[pos] is _ESCAPE else "misplaced operator"
        raise SQLSyntaxError(f"syntax error: {what}")
    return tree


# AND and OR are associative in SQL's three-valued logic and || is string concatenation;
# + and * are not (floating point rounding), so they keep their left-to-right shape.
_ASSOCIATIVE = frozenset({"AND", "OR", "||"})


def _balanced(name: str, terms: list):
    """``terms`` joined by ``name`` as a balanced tree, leaves kept in textual order."""
    if len(terms) == 1:
        return terms[0]
    mid = len(terms) // 2
    return A.Binary(name, _balanced(name, terms[:mid]), _balanced(name, terms[mid:]))


def _unary(op: str, operand):
    if op == "-" and isinstance(operand, A.Literal) and type(operand.value) in (int, float):
        return A.Literal(-operand.value)
    return A.Unary(op, operand)
