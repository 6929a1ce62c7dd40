"""The house rules ARCHITECTURE.md states, checked: imports go one way (repl → memtables face
→ sql → engine → types, errors), no two modules import each other (not even inside a
function), and a private name (``_x``) is used only in the module that defines it."""

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
    "dump",
    "aio",
    "dialect",
    "callbacks",
    "adapters",
    "backup",
    "__init__",
    "__main__",
}
ENGINE_EXTRA = {"wal", "snapshot", "gcpause", "filelock", "readonly"}


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
    found = all_reaches()
    assert not found, f"modules reach into other modules' private names: {sorted(found)}"


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


# ---------------------------------------------------------------- private means this module
def private_names_defined(tree: ast.AST) -> set[str]:
    """Every ``_name`` a module defines: functions, classes, assignments (``self._x = ...``
    included), parameters and ``__slots__`` strings."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            out.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.add(node.value)  # a name in __slots__
    return {n for n in out if _private(n)}


def attribute_reaches(path: Path) -> list[str]:
    """``file:line .name`` for every ``anything._name`` read where ``_name`` is not defined
    in the module itself: an object's private state used from another module (``conn._txn``,
    ``planner._access_path``).  A module may use the private names of its own classes on any
    instance of them."""
    tree = ast.parse(path.read_text())
    mine = private_names_defined(tree)
    return [
        f"{path.parent.name}/{path.name}:{node.lineno} .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in mine
    ]


def test_private_attributes_are_used_only_where_they_are_defined():
    bad = [
        r
        for folder in PACKAGES
        for p in sorted((ROOT / folder).glob("*.py"))
        for r in attribute_reaches(p)
    ]
    assert not bad, "private names used outside their module:\n" + "\n".join(bad)


def test_the_attribute_check_sees_reaches(tmp_path):
    """The checker itself: a private attribute defined elsewhere is caught; one defined here
    (on self, in __slots__, as a method) is not."""
    path = tmp_path / "sql" / "user.py"
    path.parent.mkdir()
    path.write_text(
        "class A:\n    __slots__ = ('_s',)\n    def _m(self, other):\n"
        "        return other._m(self) + other._s\n"
        "def f(conn, planner):\n    return conn._txn, planner._access_path(), conn.__class__\n"
    )
    assert attribute_reaches(path) == ["sql/user.py:6 ._txn", "sql/user.py:6 ._access_path"]


# ---------------------------------------------------------------- no import cycles
def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Our modules → the modules of ours each imports, at module level or inside a function
    (``from . import x`` counts as importing ``x``, not the package)."""
    files = {_dotted(p): p for folder in PACKAGES for p in (root / folder).glob("*.py")}

    def ours(dotted: str) -> str | None:
        while dotted and dotted not in files:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    graph = {}
    for me, path in files.items():
        pkg = PACKAGES[path.parent.name].split(".")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps.update(ours(a.name) for a in node.names if a.name.startswith("memtables"))
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(pkg[: len(pkg) - node.level + 1]) if node.level else ""
                mod = ".".join(x for x in (base, node.module or "") if x)
                if mod.startswith("memtables"):
                    deps.update(
                        f"{mod}.{a.name}" if f"{mod}.{a.name}" in files else ours(mod)
                        for a in node.names
                    )
        graph[me] = deps - {me, None}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_even_inside_functions():
    found = cycles(import_graph())
    assert not found, f"modules that import each other (perhaps inside a function): {found}"


def test_the_cycle_check_sees_function_level_cycles(tmp_path):
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "a.py").write_text("from . import b\n")
    (tmp_path / "sql" / "b.py").write_text("def f():\n    from .a import g\n")
    (tmp_path / "sql" / "c.py").write_text("from .a import b\n")
    assert cycles(import_graph(tmp_path)) == [["memtables.sql.a", "memtables.sql.b"]]
