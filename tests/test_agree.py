"""A short run of ``tests.agree`` (random statements from every issue-14 family, in memtables
and sqlite3): no raw exception, and agreement at the issue's bar of 99.5%. Long runs:
``python -m tests.agree --queries 20000 --seed S``."""

from __future__ import annotations

from tests.agree import FAMILIES, run


def test_random_statements_agree_with_sqlite3():
    tally = run(queries=600, seed=14)
    report = tally.report(show=5)
    assert not any(k["raw"] for k in tally.kinds.values()), report
    assert set(tally.total) == set(FAMILIES), report
    assert tally.rate() >= 0.995, report
