"""The conformance runner's --check must be able to fail (issue 12, #22)."""

from __future__ import annotations

import json

import pytest

from tests import slt

_FILE = """\
statement ok
CREATE TABLE t1 (a INTEGER)

statement ok
INSERT INTO t1 VALUES (1)

query I nosort
SELECT a FROM t1
----
1
"""


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    """A one-file corpus and its expected figures, in place of the shared ones."""
    root = tmp_path / "slt"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "one.test").write_text(_FILE)
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps({"sub/one.test": 3}))
    monkeypatch.setenv("MEMTABLES_SLT", str(root))
    monkeypatch.setattr(slt, "EXPECTED", expected)
    return root, expected


def test_check_passes_when_the_corpus_meets_the_record(corpus, capsys):
    assert slt.main(["--check", "-j", "1"]) == 0


def test_check_fails_when_the_corpus_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MEMTABLES_SLT", str(tmp_path / "nowhere"))
    assert slt.main(["--check", "-j", "1"]) != 0
    assert "corpus not found" in capsys.readouterr().err


def test_check_fails_when_the_expected_figures_are_missing(corpus, capsys):
    _root, expected = corpus
    expected.unlink()
    assert slt.main(["--check", "-j", "1"]) != 0
    assert "expected figures are missing" in capsys.readouterr().err


def test_check_fails_when_a_recorded_file_is_missing(corpus, capsys):
    _root, expected = corpus
    expected.write_text(json.dumps({"sub/one.test": 3, "sub/gone.test": 5}))
    assert slt.main(["--check", "-j", "1"]) != 0
    assert "sub/gone.test: missing from the corpus" in capsys.readouterr().err


def test_check_fails_when_fewer_records_pass(corpus, capsys):
    root, _expected = corpus
    (root / "sub" / "one.test").write_text(_FILE.replace("\n1\n", "\n2\n"))
    assert slt.main(["--check", "-j", "1"]) != 0
    assert "2 passed, expected at least 3" in capsys.readouterr().err


def test_check_fails_on_a_named_file_that_does_not_exist(corpus, capsys):
    root, _expected = corpus
    assert slt.main(["--check", "-j", "1", str(root / "sub" / "nope.test")]) != 0
