"""What the fuzzer checks: the error contract, database digests, and invariants of indexes
and keys that must hold after every statement.

A ``Failure`` says what broke and where; its ``repro()`` is a Python snippet.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field

import memtables
from tests.fuzz_gen import quote

_SYS_TABLES = ("tables", "columns", "indexes", "views")


# ---------------------------------------------------------------------------- failures
@dataclass
class Failure:
    """One contract violation: what kind, where it was raised, and how to reproduce it."""

    kind: str
    where: str
    message: str
    backend: str
    steps: list = field(default_factory=list)
    seed: int | None = None
    count: int = 1

    @property
    def key(self) -> tuple:
        return (self.kind, self.where)

    def repro(self) -> str:
        """A Python snippet that reproduces the failure."""
        lines = ["import memtables"]
        if self.backend.startswith("durable"):
            lines += ["import tempfile", "path = tempfile.mkdtemp() + '/db'"]
            lines.append("conn = memtables.connect(path)")
        else:
            lines.append("conn = memtables.connect()")
        autocommit = self.backend.endswith("+autocommit")
        if autocommit:
            lines.append("conn.autocommit = True")
        for sql, params in self.steps:
            lines.extend(_step_source(sql, params))
            if sql == "<reopen>" and autocommit:
                lines.append("conn.autocommit = True")
        return "\n".join(lines)


def _step_source(sql: str, params) -> list[str]:
    """Python source lines for one step of a repro."""
    if sql == "<reopen>":
        return [
            "conn.commit(); conn.close(); conn = memtables.connect(path)",
            "conn.execute('CHECKPOINT'); conn.commit(); conn.close()",
            "conn = memtables.connect(path)",
        ]
    if sql == "<executemany>":
        return [f"conn.executemany({params[0]!r}, {params[1]!r})"]
    if sql == "<executescript>":
        return [f"conn.executescript({params[0]!r})"]
    if sql == "<fetch>":
        text, args, how, arg = params
        call = f"{how}({arg!r})" if arg is not None else f"{how}()"
        return [f"conn.execute({text!r}, {args!r}).{call}"]
    if sql == "<to_arrow>":
        return [f"conn.to_arrow({params[0]!r})"]
    if sql == "<kv>":
        table, method, args = params
        return [f"conn.cache({table!r}).{method}(*{args!r})"]
    if sql == "<from_arrow>":
        name, columns, mode, pk = params
        return [
            "import pyarrow as pa",
            f"conn.from_arrow({name!r}, pa.table({columns!r}), mode={mode!r}, primary_key={pk!r})",
        ]
    if params:
        return [f"conn.execute({sql!r}, {params!r})"]
    return [f"conn.execute({sql!r})"]


def where(exc: BaseException) -> str:
    """``Type@module:line`` of the innermost frame in memtables' code that raised ``exc``."""
    inner = exc
    if isinstance(exc, memtables.Error) and exc.__cause__ is not None:
        inner = exc.__cause__
    frames = traceback.extract_tb(inner.__traceback__)
    place = "?"
    for fr in frames:
        path = fr.filename.replace(os.sep, "/")
        for root in ("/memtables/", "/sql/", "/repl/", "<"):
            if root in path:
                place = f"{path.rsplit(root, 1)[-1] if root != '<' else path}:{fr.lineno}"
    return f"{type(inner).__name__}@{place}"


def classify(exc: BaseException) -> str | None:
    """The failure kind of an exception a statement raised, or None when it keeps the contract."""
    if isinstance(exc, memtables.InternalError):
        return "internal-error"
    if isinstance(exc, memtables.Error):
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, memtables.Error):
            return "wrapped-python-exception"
        return None
    return "raw-exception"


# ---------------------------------------------------------------------------- digest
def _canon(v):
    return (type(v).__name__, repr(v))


def digest(conn, durable_only: bool = False) -> dict:
    """Every table's rows (sorted, type-exact) and the ``sys.*`` schema, as a comparable dict.

    With ``durable_only`` the rows of tables declared ``durable = false`` are left out (and
    their row counts): a reopen is allowed to lose those.
    """
    out = {}
    volatile = set()
    for name, _kind, _rows, durable, *_ in conn.execute("SELECT * FROM sys.tables").fetchall():
        if durable_only and not durable:
            volatile.add(name)
    for name in _SYS_TABLES:
        rows = conn.execute(f"SELECT * FROM sys.{name}").fetchall()
        if name == "tables":
            rows = [r[:2] + (None if r[0] in volatile else r[2],) + r[3:] for r in rows]
        out[f"sys.{name}"] = sorted(tuple(_canon(v) for v in r) for r in rows)
    for (name,) in conn.execute("SELECT name FROM sys.tables").fetchall():
        if name in volatile:
            continue
        rows = conn.execute(f"SELECT * FROM {quote(name)}").fetchall()
        out[f"table {name!r}"] = sorted(tuple(_canon(v) for v in r) for r in rows)
    return out


def diff(a: dict, b: dict) -> str:
    """The first part of two digests that differs, for messages and deduplication."""
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            return f"{k}: {str(a.get(k))[:300]} != {str(b.get(k))[:300]}"
    return ""


def diff_part(a: dict, b: dict) -> str:
    text = diff(a, b)
    part = text.split(":", 1)[0]
    return "table data" if part.startswith("table ") else part


# ---------------------------------------------------------------------------- invariants
_PROBE_OPS = ("=", "<", ">", "<=", ">=")


def _rows(conn, sql: str, params=()) -> tuple:
    """(canonical sorted rows, None) or (None, error class name) for a query."""
    try:
        rows = conn.execute(sql, params).fetchall()
    except memtables.Error as e:
        return None, type(e).__name__
    return sorted(tuple(_canon(v) for v in r) for r in rows), None


def _index_check(conn, backend: str, table: str, column: str) -> Failure | None:
    """Answers through the index on ``column`` equal answers from a full scan.

    ``coalesce(c, NULL)`` has the value of ``c`` but no index can answer it, so the planner
    scans; both sides must agree on every probe value taken from the column itself.
    """
    t, c = quote(table), quote(column)
    values = [r[0] for r in conn.execute(f"SELECT DISTINCT {c} FROM {t} LIMIT 3").fetchall()]
    scan = f"coalesce({c}, NULL)"
    probes = [(f"SELECT {c} FROM {t} WHERE {c} {op} ?", f"{scan} {op} ?", op, v)
              for v in values for op in _PROBE_OPS]  # fmt: skip
    probes += [(f"SELECT min({c}), max({c}) FROM {t}", None, "min/max", None)]
    for indexed, scanned, op, v in probes:
        if scanned is None:
            a = _rows(conn, indexed)
            b = _rows(conn, f"SELECT min({scan}), max({scan}) FROM {t}")
        else:
            a = _rows(conn, indexed, (v,))
            b = _rows(conn, f"SELECT {c} FROM {t} WHERE {scanned}", (v,))
        if a != b:
            return Failure(
                "index-disagrees-with-scan",
                f"{op}",
                f"{table}.{column} {op} {v!r}: index {a} != scan {b}"[:600],
                backend,
            )
    return None


def _unique_check(conn, backend: str, table: str, columns: list[str], what: str):
    """No two rows share a value of a PRIMARY KEY or UNIQUE column set (NULLs aside)."""
    cols = ", ".join(quote(c) for c in columns)
    seen = set()
    for r in conn.execute(f"SELECT {cols} FROM {quote(table)}").fetchall():
        if any(v is None for v in r):
            continue
        key = tuple(_canon(v) for v in r)
        if key in seen:
            return Failure(
                "duplicate-key", what, f"{table} ({cols}) holds {r!r} twice"[:600], backend
            )
        seen.add(key)
    return None


def _split(names: str, columns: set) -> list[str] | None:
    """The column names in a ``sys.*`` list ("a, b"), or None when a name holds ", " itself."""
    if names in columns:
        return [names]
    parts = names.split(", ")
    return parts if all(p in columns for p in parts) else None


def invariants(conn, backend: str) -> Failure | None:
    """Check every index against a scan and every key for duplicates; the first failure."""
    try:
        columns: dict[str, set] = {}
        for table, name, *_ in conn.execute("SELECT * FROM sys.columns").fetchall():
            columns.setdefault(table, set()).add(name)
        indexes = conn.execute("SELECT * FROM sys.indexes").fetchall()
        for _name, table, names, unique, method, *_ in indexes:
            cols = _split(names, columns.get(table, set()))
            if cols is not None and len(cols) == 1:
                failure = _index_check(conn, backend, table, cols[0])
                if failure is not None:
                    return failure
            if cols is not None and unique:
                failure = _unique_check(conn, backend, table, cols, f"unique {method}")
                if failure is not None:
                    return failure
        for name, *_, pk in conn.execute("SELECT * FROM sys.tables").fetchall():
            cols = _split(pk, columns.get(name, set())) if pk else None
            if cols is not None:
                failure = _unique_check(conn, backend, name, cols, "primary key")
                if failure is not None:
                    return failure
    except Exception as e:
        kind = classify(e) or "invariant-query-fails"
        return Failure(kind, where(e), f"{type(e).__name__}: {e}"[:300], backend)
    return None
