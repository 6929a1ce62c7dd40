"""Imports go one way: repl → memtables face → sql → engine → types, errors."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = {"errors", "types", "catalog", "storage", "indexes", "txn", "engine", "dbapi"}
FACE = {
    "connection",
    "cursor",
    "database",
    "params",
    "retrying",
    "persist",
    "kv",
    "row",
    "__init__",
    "__main__",
}
ENGINE_EXTRA = {"wal", "snapshot", "gcpause"}


def imports_of(path: Path) -> set[str]:
    """Module names a file imports at module level, resolved to memtables-relative names."""
    tree = ast.parse(path.read_text())
    pkg = {"memtables": "memtables", "sql": "memtables.sql", "repl": "memtables.repl"}[
        path.parent.name
    ]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                out.add(mod)
                if not node.module:
                    out.update(f"{mod}.{a.name}" for a in node.names)
            else:
                out.add(node.module)
    return {m for m in out if m.startswith("memtables")}


def test_engine_never_imports_sql_or_repl():
    for path in (ROOT / "memtables").glob("*.py"):
        if path.stem in FACE:
            continue
        assert path.stem in ENGINE | ENGINE_EXTRA | {"cache", "arrow"}, path
        bad = {m for m in imports_of(path) if m.startswith(("memtables.sql", "memtables.repl"))}
        assert not bad, f"{path.name} imports {bad}"


def test_sql_never_imports_repl_or_the_face():
    for path in (ROOT / "sql").glob("*.py"):
        bad = {
            m
            for m in imports_of(path)
            if m.startswith("memtables.repl") or m in ("memtables.connection",)
        }
        assert not bad, f"sql/{path.name} imports {bad}"


def test_only_the_face_imports_sql():
    for path in (ROOT / "memtables").glob("*.py"):
        uses_sql = any(m.startswith("memtables.sql") for m in imports_of(path))
        assert not uses_sql or path.stem in FACE, path.name
