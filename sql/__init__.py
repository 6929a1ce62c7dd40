"""The query layer: SQL text → AST → bound tree → plan → compiled program → rows.

``prepare`` is the whole pipeline, one stage a line; ``stages.py`` says what each stage does
for each kind of statement. The result is a ``Statement``: the cursor runs it with
``stmt.execute(conn, txn, params)`` (a query: ``stmt.run(params, txn)``, the list of rows).

Preparation is wrapped once, here: whatever goes wrong in it reaches the caller as a PEP 249
error, never as a raw Python exception.
"""

from __future__ import annotations

from contextlib import contextmanager

from ..errors import Error, InternalError, OperationalError
from . import ast as A
from . import parser as _parser
from .dml import build_write
from .fn_date import end_statement_clock, statement_clock
from .normalize import Shape, kinds_of, literal_types, literals_are_values, normalize, split_script
from .parser import parse_one
from .plan_runtime import watch
from .render import grammar_keywords, keywords
from .stages import bind_statement, compile_statement, plan_statement
from .statements import CHUNK, Result, Statement, WithLiterals
from .systables import session_tables, system_tables
from .trigger import row_inserter
from .udf import WATCH_EVERY, Functions, Session, preparing

TOO_DEEP = "statement too deeply nested"


def prepare(text: str, engine, catalog=None, functions: Functions | None = None) -> Statement:
    """Compile one SQL statement for ``engine``, as one connection means it: names of tables
    and views looked up in ``catalog`` (its ``SessionCatalog``, temporary objects first;
    default: the main catalog), of functions and collations through ``functions`` (its own,
    see ``udf.py``) before the built-ins."""
    with _preparing(), preparing(functions) as prep:
        node = parse_one(text)  # text → AST: the Lark LALR grammar, immutable nodes
        cat = catalog or engine.catalog
        systables = session_tables(_systables(engine), cat)
        bound = bind_statement(node, cat, systables)  # names → slots, types
        planned = plan_statement(bound)  # access paths, join methods, aggregation, order
        stmt = compile_statement(planned, engine, systables, cat)  # plan → Python → Statement
        if prep.used:
            stmt.uses_udf = True
        return stmt


def prepare_shape(shape: Shape, engine) -> Statement | None:
    """Compile a shape (``normalize``) for the main catalog: its literals are parameters
    typed as they were; None when one of them is more than a value there. Errors are the
    shape's, not the text's: callers fall back to ``prepare`` of the text."""
    with _preparing(), preparing(None), literal_types(kinds_of(shape)):
        node = parse_one(shape.text)
        if not literals_are_values(node):
            return None
        systables = session_tables(_systables(engine), engine.catalog)
        bound = bind_statement(node, engine.catalog, systables)
        stmt = compile_statement(plan_statement(bound), engine, systables, engine.catalog)
        if stmt.kind not in ("query", "dml") or stmt.param_names is not None:
            return None
        if stmt.n_params != len(shape.values):
            return None
        return stmt


def prepare_node(node, engine, catalog=None, functions: Functions | None = None) -> Statement:
    """``prepare`` for an already parsed statement (a script parses all of its statements
    first, then compiles each just before it runs)."""
    with _preparing(), preparing(functions) as prep:
        cat = catalog or engine.catalog
        systables = session_tables(_systables(engine), cat)
        bound = bind_statement(node, cat, systables)
        stmt = compile_statement(plan_statement(bound), engine, systables, cat)
        if prep.used:
            stmt.uses_udf = True
        return stmt


def parse(text: str) -> list:
    """Parse a script of ``;``-separated statements into a list of AST nodes."""
    with _preparing():
        return _parser.parse(text)


def uses_parameters(node) -> bool:
    """True when a parsed statement has a ``?`` or ``:name`` anywhere in it."""
    return _parser.find_node(node, A.Param) is not None


@contextmanager
def _preparing():
    """Let only ``memtables.Error`` subclasses out of a preparation step.

    Every pass over a statement is recursive, so nesting deeper than Python's stack allows
    (hundreds of NOTs, a hundred nested subqueries) ends as a clear OperationalError, the
    class sqlite3 uses for its own depth limit. Anything else unexpected is a bug of ours.
    """
    try:
        yield
    except Error:
        raise
    except RecursionError:
        raise OperationalError(TOO_DEEP) from None
    except MemoryError:
        raise OperationalError("out of memory preparing the statement") from None
    except Exception as e:
        raise InternalError(f"cannot prepare statement: {type(e).__name__}: {e}") from e


def bulk_inserter(engine, table, conn):
    """``insert(txn, row)`` firing ``table``'s INSERT triggers, for a bulk load through the
    engine (``from_arrow``); None when it has none."""
    return row_inserter(table, conn, engine.catalog, _systables(engine), build_write)


def _systables(engine):
    """The engine's system tables, built on first use and kept in its public slot."""
    st = engine.system_tables
    if st is None:
        st = engine.system_tables = system_tables(engine)
    return st


__all__ = [
    "prepare",
    "prepare_node",
    "prepare_shape",
    "normalize",
    "split_script",
    "Shape",
    "WithLiterals",
    "parse",
    "parse_one",
    "uses_parameters",
    "bulk_inserter",
    "keywords",
    "grammar_keywords",
    "Result",
    "Statement",
    "CHUNK",
    "TOO_DEEP",
    "statement_clock",
    "end_statement_clock",
    "Functions",
    "Session",
    "WATCH_EVERY",
    "watch",
]
