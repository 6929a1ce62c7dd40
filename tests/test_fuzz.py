"""A short run of the SQL fuzzer (``tests.fuzz``) inside the suite: one fixed seed, one random.

``python -m tests.fuzz --minutes N`` is the long version. A failure here prints every
distinct contract violation with its seed and a shrunk repro.
"""

from __future__ import annotations

import random

import pytest

from tests.fuzz import Report, fuzz

#: Sessions per seed: about ten seconds each on a quiet machine.
SESSIONS = 40
FIXED_SEED = 20261203


def _run(seed: int) -> Report:
    report = Report(shrink_budget=2.0)
    return fuzz(seed, SESSIONS, report)


def _explain(report: Report, seed: int) -> str:
    lines = [
        f"seed {seed}: {len(report.failures)} distinct failures in {report.statements} steps "
        f"(rerun: python -m tests.fuzz --seed {seed} --minutes 1)"
    ]
    for f in sorted(report.failures.values(), key=lambda f: f.key):
        lines.append(f"\n=== {f.kind} at {f.where} ({f.backend}, seen {f.count}x)\n{f.message}")
        lines.append(f.repro())
    return "\n".join(lines)


@pytest.mark.parametrize("seed", [FIXED_SEED, random.randrange(2**32)])
def test_random_statements_keep_the_contract(seed):
    """Only PEP 249 errors escape (never InternalError), failed statements change nothing,
    and durable databases reopen equal."""
    report = _run(seed)
    assert report.statements >= SESSIONS * 10, "the fuzzer ran too few statements to mean much"
    if report.failures:
        pytest.fail(_explain(report, seed), pytrace=False)


# ---------------------------------------------------------------- type × operator matrix
MATRIX_DDL = (
    "CREATE TABLE m (i INTEGER, r REAL, t TEXT, b BOOLEAN, bl BLOB, d DATE, ts TIMESTAMP, a ANY)"
)
MATRIX_ROWS = [
    (1, 1.5, "a", True, b"\x00", "2024-01-01", "2024-01-01 10:00:00", "x"),
    (2**63 - 1, -0.0, "", False, b"", "0001-01-01", "9999-12-31 23:59:59", 1e308),
    (None,) * 8,
]
MATRIX_COLUMNS = ["i", "r", "t", "b", "bl", "d", "ts", "a"]
MATRIX_TYPES = ["INTEGER", "REAL", "TEXT", "BOOLEAN", "BLOB", "DATE", "TIMESTAMP", "ANY"]
#: Literal operands too: expressions over constants are folded when the statement is prepared,
#: a path of its own.
MATRIX_LITERALS = ["NULL", "1e400", "-0.0", "9223372036854775807", "'b'", "x'ff'", "TRUE",
                   "DATE '2024-02-29'", "TIMESTAMP '2024-01-01 10:00:00+02:00'"]  # fmt: skip


def _matrix_expressions():
    from tests.fuzz_cases import AGGREGATES, BINARY_OPS, FUNCTIONS

    cols = MATRIX_COLUMNS + MATRIX_LITERALS
    for x in cols:
        yield from (f"-{x}", f"~{x}", f"NOT {x}", f"{x} IS NULL", f"{x} COLLATE nocase")
        yield from (f"CAST({x} AS {ty})" for ty in MATRIX_TYPES)
        for y in cols:
            yield from (f"{x} {op} {y}" for op in BINARY_OPS)
            yield from (f"{x} BETWEEN {y} AND {y}", f"{x} IN ({y}, NULL)", f"{x} LIKE {y}")
            for fn in FUNCTIONS:
                yield from (f"{fn}({x})", f"{fn}({x}, {y})", f"{fn}({x}, {y}, {x})")
            yield from (f"{agg}({x}, {y})" for agg in ("group_concat", "string_agg"))
        yield from (f"{agg}({x})" for agg in AGGREGATES)


def test_every_type_operator_function_cast_and_aggregate_keeps_the_contract():
    """Every operator, function, CAST and aggregate over every column type (values, odd values
    and NULLs) either answers or raises a PEP 249 error that is not InternalError."""
    import memtables
    from tests.fuzz_check import classify, where

    conn = memtables.connect()
    conn.execute(MATRIX_DDL)
    conn.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?, ?)", MATRIX_ROWS)
    found: dict = {}
    for e in _matrix_expressions():
        try:
            conn.execute(f"SELECT {e} FROM m").fetchall()
        except Exception as exc:
            kind = classify(exc)
            if kind is not None:
                found.setdefault((kind, where(exc)), f"SELECT {e} FROM m  -> {exc!r}"[:200])
    assert not found, "\n".join(f"{k[0]} at {k[1]}: {v}" for k, v in sorted(found.items()))
