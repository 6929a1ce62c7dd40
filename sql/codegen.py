"""Code-emission plumbing: the namespace, constants and source text of one compiled statement.

A ``Program`` collects the functions the emitters write and compiles them together into one
namespace; a ``FunctionWriter`` writes one of those functions line by line. Literals never
appear in the source: every constant is a named binding in the program's namespace. Nothing
here knows about plans or SQL expressions (``emit_plan`` and ``emit_expr`` do).
"""

from __future__ import annotations

import itertools
from typing import Any

from .. import errors as E
from ..errors import InternalError
from ..versions import INF, visible
from . import runtime as R


class Program:
    """Namespace and source of one compiled statement."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {
            "INF": INF,
            "visible": visible,
            "R": R,
            "InternalError": InternalError,
        }
        for name in dir(R):
            if not name.startswith("_"):
                self.ns.setdefault(name, getattr(R, name))
        self.sources: list[str] = []
        self._consts: dict[Any, str] = {}
        self._n = itertools.count()

    def const(self, value: Any) -> str:
        """A name bound to ``value`` in the namespace."""
        if value is None or value is True or value is False:
            return repr(value)
        # equal is not enough: -0.0 == 0.0 (and (0.0,) == (-0.0,)), yet they print apart
        key = (type(value), value, repr(value)) if _hashable(value) else id(value)
        name = self._consts.get(key)
        if name is None:
            name = f"C{next(self._n)}"
            self._consts[key] = name
            self.ns[name] = value
        return name

    def fresh(self, prefix: str = "t") -> str:
        """A new local or function name, unique within the program."""
        return f"{prefix}{next(self._n)}"

    def build(self) -> dict[str, Any]:
        """Compile and run every source written so far; the namespace holding the functions.

        Shapes Python refuses to compile (too deep, too many nested loops) raise the PEP 249
        error the statement deserves; any other compile error is a bug here.
        """
        src = "\n\n".join(self.sources)
        try:
            code = compile(src, "<memtables plan>", "exec")
        except (RecursionError, MemoryError):
            raise E.OperationalError("statement too deeply nested") from None
        except SyntaxError as e:
            # Python refuses code nested about 200 levels deep, and more than 20 nested loops
            # (one per table of a join); both come from the statement's shape. Any other
            # SyntaxError is a bug in code generation.
            if "too many nested" in str(e) or "too complex" in str(e):
                raise E.OperationalError("statement too deeply nested") from None
            if "too many statically nested blocks" in str(e):
                raise E.NotSupportedError(
                    "a join of more than 20 tables is not supported (statement too complex)"
                ) from None
            raise InternalError(f"generated code does not compile: {e}\n{src}") from None
        exec(code, self.ns)
        self.ns["__source__"] = src
        return self.ns


def _hashable(v: Any) -> bool:
    try:
        hash(v)
        return True
    except TypeError:
        return False


class FunctionWriter:
    """Writes one generated function: lines at indentation levels, plus a prelude.

    The prelude runs once per call before the body; emitters put there what must be computed
    once per execution rather than once per row (the cache clock, uncorrelated subqueries).
    """

    def __init__(self, prog: Program, name: str, args: list[str]):
        self.prog = prog
        self.name = name
        self.args = args
        self.prelude: list[str] = []
        self.prelude_vars: set[str] = set()
        self.lines: list[str] = []
        self.depth = 1

    def emit(self, line: str) -> None:
        """Append ``line`` to the body at the current indentation."""
        self.lines.append("    " * self.depth + line)

    def finish(self) -> None:
        """Add the finished function to the program's sources."""
        head = f"def {self.name}({', '.join(self.args)}):"
        body = ["    " + p for p in self.prelude] + self.lines
        self.prog.sources.append("\n".join([head] + (body or ["    pass"])))
