"""A sqllogictest runner for memtables.

Usage::

    python -m tests.slt FILES_OR_DIRS...      # per-file table: run, passed, failed, seconds
    python -m tests.slt --check               # the shared corpus against tests/slt_expected.json

Records skipped for ``sqlite`` (``skipif sqlite``) or meant for another engine
(``onlyif mysql`` ...) are not run: our dialect follows SQLite. The corpus lives outside the
repository (``../shared/conformance/slt`` next to a checkout, or ``$MEMTABLES_SLT``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from memtables.sql.runtime import to_number, to_text

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).resolve().parent / "slt_expected.json"
ENGINE = "sqlite"


@dataclass
class Record:
    kind: str  # 'statement' or 'query'
    sql: str
    line: int
    expect_error: bool = False
    types: str = ""
    sort: str = "nosort"
    label: str | None = None
    expected: list[str] = field(default_factory=list)


@dataclass
class FileResult:
    path: str
    run: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def parse_file(text: str) -> tuple[list, int]:
    """Records (and 'hash-threshold'/'halt' directives) of a test file, in order."""
    lines = text.split("\n")
    out: list = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i].rstrip("\r")
        if not line.strip() or line.startswith("#"):
            i += 1
            continue
        start = i + 1
        conditions = []
        while line.startswith(("skipif", "onlyif")):
            parts = line.split()
            conditions.append((parts[0], parts[1]))
            i += 1
            line = lines[i].rstrip("\r")
        words = line.split()
        if words[0] == "hash-threshold":
            out.append(("threshold", int(words[1])))
            i += 1
            continue
        if words[0] == "halt":
            out.append(("halt", conditions))
            i += 1
            continue
        i += 1
        body = []
        while i < n and lines[i].strip() and lines[i].strip() != "----":
            body.append(lines[i].rstrip("\r"))
            i += 1
        rec = Record(words[0], "\n".join(body), start)
        if words[0] == "statement":
            rec.expect_error = words[1] == "error"
        elif words[0] == "query":
            rec.types = words[1]
            rec.sort = words[2] if len(words) > 2 else "nosort"
            rec.label = words[3] if len(words) > 3 else None
            if i < n and lines[i].strip() == "----":
                i += 1
                while i < n and lines[i].strip():
                    rec.expected.append(lines[i].rstrip("\r"))
                    i += 1
        else:
            raise ValueError(f"line {start}: unknown record type {words[0]!r}")
        out.append((rec, conditions))
    return out, 8


def applies(conditions) -> bool:
    """True when a record is meant for us (SQLite semantics)."""
    for kind, engine in conditions:
        if kind == "skipif" and engine == ENGINE:
            return False
        if kind == "onlyif" and engine != ENGINE:
            return False
    return True


_NON_PRINTABLE = re.compile(r"[^ -~]")


def render(value, type_char: str) -> str:
    """A value as the reference harness prints it for column type I, R or T."""
    if value is None:
        return "NULL"
    tp = type(value)
    if type_char == "I":
        if tp is int:
            return str(value)
        if tp is str or tp is bytes:
            value = to_number(value)
        return str(int(value))
    if type_char == "R":
        if tp is str or tp is bytes:
            value = to_number(value)
        return f"{float(value):.3f}"
    text = value if tp is str else to_text(value)
    if text == "":
        return "(empty)"
    return _NON_PRINTABLE.sub("@", text)


def run_file(path: str) -> FileResult:
    import memtables

    t0 = time.perf_counter()
    res = FileResult(path)
    items, threshold = parse_file(Path(path).read_text())
    conn = memtables.connect(autocommit=True)
    labels: dict[str, str] = {}
    for item in items:
        if item[0] == "threshold":
            threshold = item[1]
            continue
        if item[0] == "halt":
            if applies(item[1]):
                break
            continue
        rec, conditions = item
        if not applies(conditions):
            res.skipped += 1
            continue
        res.run += 1
        problem = run_record(conn, rec, threshold, labels)
        if problem is None:
            res.passed += 1
        else:
            res.failed += 1
            res.failures.append(f"{path}:{rec.line}: {problem}")
    conn.close()
    res.seconds = time.perf_counter() - t0
    return res


def run_record(conn, rec: Record, threshold: int, labels: dict) -> str | None:
    """None when the record passes, else what went wrong."""
    import memtables

    if rec.kind == "statement":
        try:
            conn.execute(rec.sql)
        except memtables.Error as e:
            return None if rec.expect_error else f"statement failed: {e} -- {rec.sql!r}"
        except Exception as e:  # a raw Python exception is always a bug
            return f"raw {type(e).__name__}: {e} -- {rec.sql!r}"
        return f"statement should have failed -- {rec.sql!r}" if rec.expect_error else None
    try:
        rows = conn.execute(rec.sql).fetchall()
    except memtables.Error as e:
        return f"query failed: {type(e).__name__}: {e} -- {rec.sql!r}"
    except Exception as e:
        return f"raw {type(e).__name__}: {e} -- {rec.sql!r}"
    types = rec.types
    if rows and len(rows[0]) != len(types):
        return f"expected {len(types)} columns, got {len(rows[0])} -- {rec.sql!r}"
    pairs = list(enumerate(types))
    table = [[render(r[i], t) for i, t in pairs] for r in rows]
    if rec.sort == "rowsort":
        table.sort()
    values = [v for r in table for v in r]
    if rec.sort == "valuesort":
        values.sort()
    if threshold and len(values) > threshold:
        digest = hashlib.md5("".join(v + "\n" for v in values).encode()).hexdigest()
        got = [f"{len(values)} values hashing to {digest}"]
    else:
        got = values
    if rec.label is not None:
        key = rec.label
        prev = labels.setdefault(key, "\n".join(got))
        if prev != "\n".join(got):
            return f"label {key} differs from its first result -- {rec.sql!r}"
    expected = rec.expected
    if got != expected:
        if len(expected) == 1 and len(got) == 1 and "hashing" in expected[0]:
            return f"got {got[0]!r}, expected {expected[0]!r} -- {rec.sql!r}"
        return f"got {got[:10]}, expected {expected[:10]} -- {rec.sql!r}"
    return None


def corpus_root() -> Path | None:
    """The shared corpus: $MEMTABLES_SLT, else shared/conformance/slt beside a checkout."""
    env = os.environ.get("MEMTABLES_SLT")
    if env:
        return Path(env)
    for parent in ROOT.parents:
        cand = parent / "shared" / "conformance" / "slt"
        if cand.is_dir():
            return cand
    return None


def collect(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        pp = Path(p)
        if pp.is_dir():
            out += sorted(str(f) for f in pp.rglob("*.test"))
        else:
            out.append(str(pp))
    return out


def run_all(files: list[str], jobs: int) -> list[FileResult]:
    if jobs <= 1 or len(files) <= 1:
        return [run_file(f) for f in files]
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(run_file, files))


def report(results: list[FileResult], base: Path | None, out=sys.stdout) -> None:
    def name(p: str) -> str:
        return str(Path(p).relative_to(base)) if base else p

    width = max([len(name(r.path)) for r in results] + [5])
    print(f"{'file'.ljust(width)}  {'run':>7} {'passed':>7} {'failed':>7} {'seconds':>8}", file=out)
    for r in results:
        print(
            f"{name(r.path).ljust(width)}  {r.run:7d} {r.passed:7d} {r.failed:7d} {r.seconds:8.1f}",
            file=out,
        )
    run = sum(r.run for r in results)
    passed = sum(r.passed for r in results)
    secs = sum(r.seconds for r in results)
    rate = 100.0 * passed / run if run else 0.0
    print(
        f"{'TOTAL'.ljust(width)}  {run:7d} {passed:7d} {run - passed:7d} {secs:8.1f}   "
        f"pass rate {rate:.2f}%",
        file=out,
    )


def check(
    results: list[FileResult], base: Path, expected_path: Path | None = None, whole: bool = True
) -> list[str]:
    """Why the run falls short of the recorded expectation: files whose pass count fell, files
    run with no figure recorded and, when the ``whole`` corpus ran, recorded files that were
    not run (missing from the corpus). An empty list means the check passed."""
    expected_path = EXPECTED if expected_path is None else expected_path
    try:
        expected = json.loads(expected_path.read_text())
    except FileNotFoundError:
        return [f"{expected_path}: the expected figures are missing (record them with --record)"]
    except ValueError as e:
        return [f"{expected_path}: not valid JSON ({e})"]
    if not isinstance(expected, dict) or not expected:
        return [f"{expected_path}: no expected figures recorded"]
    problems = []
    seen = set()
    for r in results:
        key = Path(r.path).relative_to(base).as_posix()
        seen.add(key)
        want = expected.get(key)
        if want is None:
            problems.append(f"{key}: no expected figure recorded")
        elif r.passed < want:
            problems.append(f"{key}: {r.passed} passed, expected at least {want}")
    for key in sorted(set(expected) - seen) if whole else ():
        problems.append(f"{key}: missing from the corpus (expected {expected[key]} passes)")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Run the corpus (or the given files); with --check, 0 only when it meets the record."""
    parser = argparse.ArgumentParser(prog="python -m tests.slt", description=__doc__)
    parser.add_argument("paths", nargs="*", help="test files or directories")
    parser.add_argument("--check", action="store_true", help="compare with slt_expected.json")
    parser.add_argument("--record", action="store_true", help="write slt_expected.json")
    parser.add_argument("--failures", type=int, default=0, help="print up to N failures")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    base = corpus_root()
    paths = args.paths
    if base is None or not base.is_dir():
        if args.check or not paths:
            # a check that cannot find its corpus has checked nothing: that is a failure
            print(
                f"SLT corpus not found{f' at {base}' if base else ''}: set MEMTABLES_SLT "
                "or place shared/conformance/slt beside the checkout",
                file=sys.stderr,
            )
            return 2
        base = None
    if not paths:
        paths = [str(base)]
    files = collect(paths)
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        print(f"no such test file: {missing[0]}", file=sys.stderr)
        return 2
    in_base = base is not None and all(Path(f).is_relative_to(base) for f in files)
    if args.check and not in_base:
        print(f"--check compares files of the corpus at {base}; these are not", file=sys.stderr)
        return 2
    results = run_all(files, args.jobs)
    report(results, base if in_base else None)
    if args.failures:
        shown = 0
        for r in results:
            for f in r.failures:
                if shown < args.failures:
                    print(f, file=sys.stderr)
                    shown += 1
    if args.record and in_base:
        data = {Path(r.path).relative_to(base).as_posix(): r.passed for r in results}
        EXPECTED.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    if args.check:
        problems = check(results, base, whole=not args.paths)
        for p in problems:
            print(f"REGRESSION {p}", file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
