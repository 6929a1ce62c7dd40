"""The query layer: SQL text → AST → bound plan → compiled program → rows.

``prepare`` is the whole pipeline in one place::

    node = parse_one(text)                  # Lark LALR grammar → immutable AST
    stmt = build(node, engine, systables)   # bind names, plan, generate Python, compile
    stmt.execute(session, txn, params)      # run against the engine's tables
"""

from __future__ import annotations

from .parser import parse, parse_one
from .statements import Result, Statement, build
from .systables import system_tables


def prepare(text: str, engine) -> Statement:
    """Compile one SQL statement for ``engine``."""
    return build(parse_one(text), engine, _systables(engine))


def prepare_node(node, engine) -> Statement:
    """Compile an already parsed statement (scripts parse once, then compile in turn)."""
    return build(node, engine, _systables(engine))


def _systables(engine):
    st = getattr(engine, "_systables", None)
    if st is None:
        st = engine._systables = system_tables(engine)
    return st


__all__ = ["prepare", "prepare_node", "parse", "parse_one", "Result", "Statement"]
