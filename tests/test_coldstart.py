"""Cold start: a fresh process reaches its first result without building the parser or
loading what the statement does not need, and the shipped parser tables are never stale."""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import lark
import pytest
from lark import Transformer
from lark.exceptions import UnexpectedInput
from memtables.sql import lalr_tables

TESTS = Path(__file__).resolve().parent
HEAVY = ("pyarrow", "numpy", "pandas", "polars", "prompt_toolkit", "pygments", "sqlalchemy")


def fresh(code: str) -> str:
    """Run ``code`` in a new interpreter; its stdout."""
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=TESTS
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


# ---------------------------------------------------------------- what a fresh process loads
def test_sql_on_an_in_memory_database_loads_no_heavy_module():
    out = fresh(
        "import sys, memtables\n"
        "c = memtables.connect()\n"
        "c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')\n"
        "c.execute('INSERT INTO t VALUES (1, ?), (2, NULL)', ('a',))\n"
        "print(c.execute('SELECT id, v FROM t ORDER BY id DESC').fetchall())\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    assert out.splitlines() == ["[(2, None), (1, 'a')]", "[]"]


def test_a_durable_database_without_a_snapshot_opens_without_pyarrow(tmp_path):
    db = str(tmp_path / "db")
    fresh(
        f"import memtables; c = memtables.connect({db!r})\n"
        "c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')\n"
        "c.execute(\"INSERT INTO t VALUES (1, 'a')\"); c.commit(); c.close()\n"
    )
    out = fresh(
        f"import sys, memtables; c = memtables.connect({db!r})\n"
        "print(c.execute('SELECT * FROM t').fetchall(), 'pyarrow' in sys.modules)\n"
        "c.execute('CHECKPOINT')\n"
        "print('pyarrow' in sys.modules)\n"
    )
    assert out.splitlines() == ["[(1, 'a')] False", "True"]


def test_copy_and_durable_databases_still_load_pyarrow_when_used(tmp_path):
    out = fresh(
        "import sys, memtables\n"
        f"c = memtables.connect({str(tmp_path / 'db')!r})\n"
        "c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')\n"
        "c.execute(\"INSERT INTO t VALUES (1, 'a'), (2, NULL)\")\n"
        f"c.execute(\"COPY t TO '{tmp_path / 't.parquet'}'\")\n"
        "c.execute('CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT)')\n"
        f"print(c.execute(\"COPY u FROM '{tmp_path / 't.parquet'}'\").rowcount)\n"
        "c.commit(); c.execute('CHECKPOINT'); c.close()\n"
        f"c = memtables.connect({str(tmp_path / 'db')!r})\n"
        "print(c.execute('SELECT * FROM u ORDER BY id').fetchall())\n"
        "print('pyarrow' in sys.modules)\n"
    )
    assert out.splitlines() == ["2", "[(1, 'a'), (2, None)]", "True"]


def test_the_first_result_of_a_fresh_process_agrees_with_sqlite3():
    sql = "SELECT 1, 'x' || 'y', 7 / 2, abs(-3.5), coalesce(NULL, 'z')"
    code = "import {m}; print({m}.connect({arg}).execute({sql!r}).fetchall())"
    ours = fresh(code.format(m="memtables", arg="", sql=sql))
    theirs = fresh(code.format(m="sqlite3", arg="':memory:'", sql=sql))
    assert ours == theirs == "[(1, 'xy', 3, 3.5, 'z')]\n"


def test_a_parser_built_for_another_lark_still_answers():
    """Tables shipped for one Lark are not used with another: the grammar is built instead."""
    out = fresh(
        "import lark; lark.__version__ = '0.0.1'\n"
        "import memtables\n"
        "from memtables.sql import lalr_tables\n"
        "from lark import Transformer\n"
        "print(lalr_tables.load(Transformer()))\n"
        "print(memtables.connect().execute('SELECT 6 * 7').fetchone())\n"
    )
    assert out.splitlines() == ["None", "(42,)"]


# ---------------------------------------------------------------- the shipped tables
def test_the_shipped_tables_match_the_grammar_and_lark():
    head = json.loads(lalr_tables.TABLES.read_bytes().split(b"\n")[0])
    assert head["key"] == lalr_tables.key(lalr_tables.GRAMMAR.read_text()), (
        "sql/grammar_tables.json is stale: run python -m memtables.sql.lalr_tables"
    )
    assert lalr_tables.load(Transformer()) is not None


def test_the_shipped_tables_are_packaged():
    text = (TESTS.parent / "pyproject.toml").read_text()
    assert '"grammar_tables.json"' in text


def sql_strings() -> list[str]:
    """Every string constant of the test suite that reads like a SQL statement, syntax
    errors included: a corpus of the dialect as the tests use it."""
    starts = (
        "select", "insert", "update", "delete", "create", "drop", "alter", "with", "values",
        "explain", "begin", "commit", "rollback", "savepoint", "release", "copy", "set",
        "checkpoint", "replace", "end",
    )  # fmt: skip
    found = set()
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words = node.value.split(None, 1)
                if words and words[0].lower().rstrip(";") in starts:
                    found.add(node.value)
    return sorted(found)


def outcome(parser, text: str):
    """What parsing ``text`` gives: the tree, or the error's kind, place and expectations.
    (Trees compare by value: a rule named by a string equals one named by a ``Token``.)"""
    try:
        return parser.parse(text)
    except UnexpectedInput as e:
        expected = sorted(getattr(e, "expected", None) or getattr(e, "allowed", None) or ())
        return (type(e).__name__, e.line, e.column, str(getattr(e, "token", "")), expected)


def test_the_loaded_parser_parses_the_test_corpus_like_the_built_one():
    corpus = sql_strings()
    assert len(corpus) > 1000
    loaded, built = lalr_tables.load(Transformer()), lalr_tables.build(Transformer())
    assert loaded is not None
    differ = [t for t in corpus if outcome(loaded, t) != outcome(built, t)]
    assert not differ, differ[:5]
    errors = sum(isinstance(outcome(built, t), tuple) for t in corpus)
    assert 0 < errors < len(corpus)  # both kinds of outcome were compared


# ---------------------------------------------------------------- never a stale or damaged one
@pytest.fixture(scope="module")
def good_tables(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("tables") / "t.json"
    lalr_tables.dump(lalr_tables.build(Transformer()), path)
    assert lalr_tables.load(Transformer(), path) is not None
    return path.read_bytes()


def test_tables_of_another_grammar_are_not_used(tmp_path, monkeypatch, good_tables):
    path = tmp_path / "t.json"
    path.write_bytes(good_tables)
    grammar = tmp_path / "grammar.lark"
    grammar.write_text(lalr_tables.GRAMMAR.read_text() + "\n// one more line\n")
    monkeypatch.setattr(lalr_tables, "GRAMMAR", grammar)
    assert lalr_tables.load(Transformer(), path) is None


def test_tables_of_another_lark_are_not_used(tmp_path, monkeypatch, good_tables):
    path = tmp_path / "t.json"
    path.write_bytes(good_tables)
    monkeypatch.setattr(lark, "__version__", "9.9.9")
    assert lalr_tables.load(Transformer(), path) is None


def with_digest(head: dict, body: bytes) -> bytes:
    head = dict(head, sha256=hashlib.sha256(body).hexdigest())
    return json.dumps(head).encode() + b"\n" + body + b"\n"


def edited(good: bytes, edit) -> bytes:
    """``good`` with ``edit`` applied to its tables, under a digest that matches again: what
    only a loader that checks the content itself can refuse."""
    header, body, _ = good.split(b"\n")
    tables = json.loads(body)
    tables = edit(tables) or tables  # an edit in place returns None
    return with_digest(json.loads(header), json.dumps(tables).encode())


def _drop_states(t):
    del t["data"]["parser"]["parser"]["states"]


def _drop_rules(t):
    t["memo"] = t["memo"][:10]


def _no_rules(t):
    t["memo"] = []


DAMAGE = {
    "empty": lambda good: b"",
    "header only": lambda good: good.split(b"\n")[0] + b"\n",
    "truncated": lambda good: good[: len(good) // 2],
    "no final newline": lambda good: good[:-1],
    "one byte changed": lambda good: good[:-100] + bytes([good[-100] ^ 1]) + good[-99:],
    "not json": lambda good: b"\x00\xff garbage\n\x00\n",
    "a list for a header": lambda good: b"[]\n" + good.split(b"\n")[1] + b"\n",
    "tables of null": lambda good: with_digest(json.loads(good.split(b"\n")[0]), b"null"),
    "tables without states": lambda good: edited(good, _drop_states),
    "rules missing": lambda good: edited(good, _drop_rules),
    "no rules at all": lambda good: edited(good, _no_rules),
    "tables in a list": lambda good: edited(good, lambda t: [t]),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_tables_are_not_used(tmp_path, good_tables, case):
    path = tmp_path / "t.json"
    path.write_bytes(DAMAGE[case](good_tables))
    assert lalr_tables.load(Transformer(), path) is None


def test_a_directory_in_place_of_the_tables_is_not_used(tmp_path):
    (tmp_path / "t.json").mkdir()
    assert lalr_tables.load(Transformer(), tmp_path / "t.json") is None


def test_missing_tables_are_not_used(tmp_path):
    assert lalr_tables.load(Transformer(), tmp_path / "nowhere.json") is None


def test_dump_replaces_the_file_whole(tmp_path, good_tables):
    """A reader racing a regeneration sees the old file or the new one, never half."""
    path = tmp_path / "t.json"
    path.write_bytes(b"old")
    lalr_tables.dump(lalr_tables.load(Transformer(), _written(tmp_path, good_tables)), path)
    assert lalr_tables.load(Transformer(), path) is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.json", "t.json"]


def _written(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "good.json"
    path.write_bytes(content)
    return path


def test_the_cold_start_bench_runs_the_same_first_result_on_both_engines():
    from bench.coldstart import first_result_code

    for module in ("memtables", "sqlite3"):
        out = subprocess.run(
            [sys.executable, "-c", first_result_code(module)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=TESTS.parent,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout == "[(1,)]\n"
