"""The command line: -c, scripts on stdin, errors with a non-zero exit status."""

from __future__ import annotations

import subprocess
import sys


def run(*args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "memtables", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_dash_c_prints_an_aligned_table():
    p = run("-c", "SELECT 1 AS a, 'x' AS name; SELECT 2 + 2")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[:5] == [
        "+---+------+",
        "| a | name |",
        "+---+------+",
        "| 1 | x    |",
        "+---+------+",
    ]
    assert "(1 row)" in p.stdout
    assert "| 2 + 2 |" in p.stdout and "|     4 |" in p.stdout


def test_script_on_stdin():
    script = """
    CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
    INSERT INTO t VALUES (1, 'a'), (2, NULL);
    SELECT * FROM t ORDER BY id;
    """
    p = run(stdin=script)
    assert p.returncode == 0, p.stderr
    assert "|  2 | NULL |" in p.stdout
    assert "(2 rows)" in p.stdout


def test_error_is_one_line_and_exit_status_is_nonzero():
    p = run("-c", "SELECT * FROM missing")
    assert p.returncode == 1
    assert p.stderr.strip() == "Error (UndefinedTable): no such table: missing"
    assert "Traceback" not in p.stderr


def test_syntax_error_shows_caret():
    p = run(stdin="SELECT 1;\nSELEC 2;\n")
    assert p.returncode == 1
    assert "(1 row)" in p.stdout
    assert "syntax error at line 1, column 1" in p.stderr
    assert "^" in p.stderr


def test_version():
    p = run("--version")
    assert p.returncode == 0 and p.stdout.strip()
