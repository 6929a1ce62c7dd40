"""The query layer: SQL text → AST → bound plan → compiled program → rows.

``prepare`` is the whole pipeline in one place::

    node = parse_one(text)                  # Lark LALR grammar → immutable AST
    stmt = build(node, engine, systables)   # bind names, plan, generate Python, compile
    stmt.execute(session, txn, params)      # run against the engine's tables

Preparation is wrapped once, here: whatever goes wrong in it reaches the caller as a PEP 249
error, never as a raw Python exception.
"""

from __future__ import annotations

from ..errors import Error, InternalError, OperationalError
from . import ast as A
from . import parser as _parser
from .parser import parse_one
from .render import grammar_keywords, keywords
from .statements import Result, Statement, build
from .systables import system_tables

TOO_DEEP = "statement too deeply nested"


def prepare(text: str, engine) -> Statement:
    """Compile one SQL statement for ``engine``."""
    return _guarded(lambda: build(parse_one(text), engine, _systables(engine)))


def prepare_node(node, engine) -> Statement:
    """Compile an already parsed statement (scripts parse once, then compile in turn)."""
    return _guarded(lambda: build(node, engine, _systables(engine)))


def parse(text: str) -> list:
    """Parse a script of ``;``-separated statements into a list of AST nodes."""
    return _guarded(lambda: _parser.parse(text))


def uses_parameters(node) -> bool:
    """True when a parsed statement has a ``?`` or ``:name`` anywhere in it."""
    return _parser.find_node(node, A.Param) is not None


def _guarded(step):
    """Run one preparation step so that only ``memtables.Error`` subclasses come out.

    Every pass over a statement is recursive, so nesting deeper than Python's stack allows
    (hundreds of NOTs, a hundred nested subqueries) ends as a clear OperationalError, the
    class sqlite3 uses for its own depth limit. Anything else unexpected is a bug of ours.
    """
    try:
        return step()
    except Error:
        raise
    except RecursionError:
        raise OperationalError(TOO_DEEP) from None
    except MemoryError:
        raise OperationalError("out of memory preparing the statement") from None
    except Exception as e:
        raise InternalError(f"cannot prepare statement: {type(e).__name__}: {e}") from e


def _systables(engine):
    """The engine's system tables, built on first use and kept in its public slot."""
    st = engine.system_tables
    if st is None:
        st = engine.system_tables = system_tables(engine)
    return st


__all__ = [
    "prepare",
    "prepare_node",
    "parse",
    "parse_one",
    "uses_parameters",
    "keywords",
    "grammar_keywords",
    "Result",
    "Statement",
    "TOO_DEEP",
]
