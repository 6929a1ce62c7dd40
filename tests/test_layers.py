"""Imports go one way: repl → memtables face → sql → engine → types, errors."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = {
    "errors",
    "types",
    "catalog",
    "versions",
    "rowcheck",
    "conflicts",
    "storage",
    "indexes",
    "txn",
    "engine",
    "dbapi",
}
FACE = {
    "connection",
    "cursor",
    "database",
    "arrowio",
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
        assert path.stem in ENGINE | ENGINE_EXTRA | {"cache", "eviction", "arrow"}, path
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


# ---------------------------------------------------------------- the shell sees only the face
def test_repl_imports_only_the_public_face():
    """The shell is a client like any other: ``memtables`` and nothing below it."""
    for path in (ROOT / "repl").glob("*.py"):
        bad = {
            m for m in imports_of(path) if m != "memtables" and not m.startswith("memtables.repl")
        }
        assert not bad, f"repl/{path.name} imports {bad}"


def test_repl_reads_no_private_attributes():
    """No ``conn._explicit``: what the shell needs from a connection is public."""
    for path in (ROOT / "repl").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                raise AssertionError(f"repl/{path.name}:{node.lineno} reads .{node.attr}")


# ---------------------------------------------------------------- no private reaches
PACKAGES = {"memtables": "memtables", "sql": "memtables.sql", "repl": "memtables.repl"}

#: (module, the module it reaches into, name): reaches that predate the check.
#: To remove with issue 13; a NEW reach fails the test.
ALLOWED_REACHES = {
    ("memtables.sql.binder", "memtables.sql.runtime", "_NUM_PREFIX"),
}


def _private(attr: str) -> bool:
    return attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__"))


def _module_path(dotted: str, root: Path) -> Path | None:
    """The file or package directory of one of our modules, or None."""
    for folder, pkg in PACKAGES.items():
        if dotted == pkg:
            return root / folder
        if dotted.startswith(pkg + ".") and "." not in dotted[len(pkg) + 1 :]:
            path = root / folder / f"{dotted[len(pkg) + 1 :]}.py"
            if path.exists():
                return path
    return None


def _dotted(path: Path) -> str:
    pkg = PACKAGES[path.parent.name]
    return pkg if path.stem == "__init__" else f"{pkg}.{path.stem}"


def private_reaches(path: Path, root: Path = ROOT) -> set[tuple[str, str, str]]:
    """(this module, other module, name) for every ``other._name`` and ``from other import
    _name`` in ``path``, where ``other`` is another module of ours."""
    tree = ast.parse(path.read_text())
    me, pkg = _dotted(path), PACKAGES[path.parent.name]
    modules: dict[str, str] = {}  # local name -> our module it is bound to
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("memtables"):
                    # ``import memtables.x`` binds ``memtables``; ``import memtables.x as y``, x
                    modules[a.asname or "memtables"] = a.name if a.asname else "memtables"
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("memtables"):
                continue
            for a in node.names:
                if _module_path(f"{mod}.{a.name}", root) is not None:
                    modules[a.asname or a.name] = f"{mod}.{a.name}"
                elif _private(a.name) and mod != me:
                    out.add((me, mod, a.name))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
            and modules[node.value.id] != me
        ):
            out.add((me, modules[node.value.id], node.attr))
    return out


def all_reaches() -> set[tuple[str, str, str]]:
    return {
        r for folder in PACKAGES for p in (ROOT / folder).glob("*.py") for r in private_reaches(p)
    }


def test_no_new_private_reaches_across_modules():
    new = all_reaches() - ALLOWED_REACHES
    assert not new, f"modules reach into other modules' private names: {sorted(new)}"


def test_the_allow_list_only_shrinks():
    """An entry whose reach is gone must leave the list, so it cannot come back unnoticed."""
    gone = ALLOWED_REACHES - all_reaches()
    assert not gone, f"remove from ALLOWED_REACHES: {sorted(gone)}"


def test_the_reach_check_sees_reaches(tmp_path):
    """The checker itself: a module that reads another's private name is caught."""
    pkg = tmp_path / "sql"
    pkg.mkdir()
    (pkg / "render.py").write_text("_X = 1\n")
    (pkg / "user.py").write_text(
        "from . import render\nfrom .render import _X\nimport memtables.sql.render as r\n"
        "a = render._X\nb = r._Y\nc = render.__name__\n"
    )
    assert private_reaches(pkg / "user.py", tmp_path) == {
        ("memtables.sql.user", "memtables.sql.render", "_X"),
        ("memtables.sql.user", "memtables.sql.render", "_Y"),
    }


def test_sql_and_repl_write_no_private_attributes_of_others():
    """State one layer keeps for another (the system tables the query layer builds once per
    engine) lives in a public slot, not in ``engine._something``."""
    for folder in ("sql", "repl"):
        for path in (ROOT / folder).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.ctx, ast.Store)
                    and _private(node.attr)
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                ):
                    raise AssertionError(f"{folder}/{path.name}:{node.lineno} sets .{node.attr}")
