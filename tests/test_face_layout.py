"""The public face and the shell keep to their own private names, and import without cycles.

``test_layers`` catches ``module._name`` and ``from module import _name``; this also catches
the reach through an object: ``conn._txn`` in the cursor, ``db._release()`` in the connection.
A private name may be used only in the module that defines it (as a function, class, or an
attribute it assigns), so each module's API for the others is what has no underscore.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FACE = [
    "connection",
    "cursor",
    "database",
    "params",
    "kv",
    "retrying",
    "row",
    "__init__",
    "__main__",
    "snapshot",
    "wal",
    "arrow",
    "arrowio",
]
FILES = [ROOT / "memtables" / f"{m}.py" for m in FACE] + sorted((ROOT / "repl").glob("*.py"))


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def defined_names(tree: ast.AST) -> set[str]:
    """Names a module defines: functions, classes, assigned names and attributes, slots."""
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
            out.add(n.attr)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            out.add(n.value)  # __slots__ entries
    return out


def foreign_private_reads(source: str) -> list[tuple[int, str]]:
    """(line, name) of each ``something._name`` where ``_name`` is not this module's."""
    tree = ast.parse(source)
    mine = defined_names(tree)
    return sorted(
        (n.lineno, n.attr)
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and _private(n.attr) and n.attr not in mine
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_private_reach_through_objects(path):
    reaches = foreign_private_reads(path.read_text())
    assert not reaches, f"{path.parent.name}/{path.name} reads others' private names: {reaches}"


def test_the_check_sees_a_reach():
    source = "class C:\n    def f(self, conn):\n        self._mine = 1\n        return conn._txn\n"
    assert foreign_private_reads(source) == [(4, "_txn")]


def _imports(path: Path, package: str) -> set[str]:
    """Modules of ``package`` that ``path`` imports anywhere, function bodies included."""
    out = set()
    for n in ast.walk(ast.parse(path.read_text())):
        if isinstance(n, ast.ImportFrom) and n.level == 1:
            if n.module:
                out.add(n.module.split(".")[0])
            else:
                out.update(a.name for a in n.names)
        elif isinstance(n, ast.ImportFrom) and (n.module or "").startswith(package + "."):
            out.add(n.module[len(package) + 1 :].split(".")[0])
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every module from which an import path leads back to itself, with that path."""
    found = []
    for start in graph:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    found.append(path + [start])
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
    return found


def test_the_shell_imports_without_cycles():
    """Not even through a function-level import (the session and its dot-commands)."""
    graph = {p.stem: _imports(p, "memtables.repl") - {p.stem} for p in (ROOT / "repl").glob("*.py")}
    assert not cycles(graph), cycles(graph)


def test_the_cycle_check_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    assert not cycles({"a": {"b"}, "b": set()})
