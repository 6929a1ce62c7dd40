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
