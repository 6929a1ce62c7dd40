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


# ---------------------------------------------------------------- scripting like sqlite3
def test_dot_commands_on_stdin_csv_with_headers():
    p = run(stdin=".mode csv\n.headers on\nselect 1 as a;\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "a\n1\n"


def test_headers_off_and_null_value():
    p = run(stdin=".mode csv\n.headers off\n.nullvalue -\nselect 1 as a, null as b;\n")
    assert p.stdout == "1,-\n"


def test_single_dash_mode_flags():
    sql = "select 1 as a, null as b, 'x' as c"
    assert run("-csv", "-c", sql).stdout == "a,b,c\n1,,x\n"
    assert run("-csv", "-noheader", "-c", sql).stdout == "1,,x\n"
    assert run("-list", "-c", sql).stdout == "a|b|c\n1||x\n"
    assert run("-list", "-separator", ";", "-nullvalue", "NULL", "-c", sql).stdout == (
        "a;b;c\n1;NULL;x\n"
    )
    assert run("-tabs", "-noheader", "-c", sql).stdout == "1\t\tx\n"
    assert run("-json", "-c", sql).stdout == '[{"a": 1, "b": null, "c": "x"}]\n'
    assert run("-line", "-c", sql).stdout.splitlines() == ["a = 1", "b = NULL", "c = x", "(1 row)"]
    assert run("-markdown", "-c", sql).stdout.splitlines()[:2] == [
        "| a   | b    | c   |",
        "|----:|-----:|-----|",
    ]
    assert run("-box", "-c", sql).stdout.splitlines() == [
        "┌───┬──────┬───┐",
        "│ a │ b    │ c │",
        "├───┼──────┼───┤",
        "│ 1 │ NULL │ x │",
        "└───┴──────┴───┘",
        "(1 row)",
    ]


def test_sql_as_second_argument_and_cmd(tmp_path):
    db = str(tmp_path / "app.mtdb")
    p = run(db, "create table t (x integer); insert into t values (1), (2);")
    assert p.returncode == 0 and p.stdout == "", p.stderr  # writes print nothing in a script
    p = run("-cmd", ".mode csv", "-cmd", ".headers off", db, "select x from t order by x")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "1\n2\n"
    p = run(db, "select 1", "-c", "select 2")
    assert p.returncode == 2 and "not both" in p.stderr


def test_errors_go_on_and_bail_stops():
    script = "select 1 as a;\nselect * from missing;\nselect 2 as b;\n"
    p = run("-csv", "-noheader", stdin=script)
    assert p.returncode == 1
    assert p.stdout == "1\n2\n"  # sqlite3 goes on after an error, and exits with 1
    assert p.stderr.strip() == "Error (UndefinedTable): no such table: missing"
    p = run("-csv", "-noheader", "-bail", stdin=script)
    assert p.returncode == 1 and p.stdout == "1\n"
    p = run("-csv", "-noheader", stdin=".bail on\n" + script)
    assert p.returncode == 1 and p.stdout == "1\n"


def test_echo_prints_each_statement():
    p = run("-echo", "-csv", stdin="select 1 as a;\n.print hello world\n")
    assert p.stdout == "select 1 as a;\na\n1\n.print hello world\nhello world\n"


def test_output_and_once_send_results_to_files(tmp_path):
    out, once = tmp_path / "out.csv", tmp_path / "once.txt"
    script = (
        f".mode csv\n.output {out}\nselect 1 as a;\nselect 2 as b;\n.output\n"
        f"select 3 as c;\n.once {once}\nselect 4 as d;\nselect 5 as e;\n"
    )
    p = run(stdin=script)
    assert p.returncode == 0, p.stderr
    assert out.read_text() == "a\n1\nb\n2\n"
    assert once.read_text() == "d\n4\n"
    assert p.stdout == "c\n3\ne\n5\n"


def test_dump_replays_into_a_new_database(tmp_path):
    db = str(tmp_path / "a.mtdb")
    setup = """
    CREATE TABLE "order" (id INTEGER PRIMARY KEY, note TEXT DEFAULT 'n/a', day DATE,
                          at TIMESTAMP, raw BLOB, price REAL, paid BOOLEAN);
    INSERT INTO "order" VALUES (1, 'it''s', DATE '2024-02-29', TIMESTAMP '2024-01-01 10:00:00',
                                x'00ff', 1.5, TRUE), (2, NULL, NULL, NULL, NULL, -0.25, FALSE);
    CREATE INDEX order_day ON "order" (day);
    CREATE VIEW b AS SELECT id FROM a;
    """
    # a view that reads a view created later: the dump must order them
    p = run(
        db,
        stdin="CREATE VIEW a AS SELECT 1 AS id;\n"
        + setup.replace("CREATE VIEW b", "CREATE VIEW b"),
    )
    assert p.returncode == 0, p.stderr
    dump = run(db, ".dump")
    assert dump.returncode == 0, dump.stderr
    assert dump.stdout.startswith("BEGIN TRANSACTION;\n") and dump.stdout.endswith("COMMIT;\n")
    copy = str(tmp_path / "b.mtdb")
    p = run(copy, stdin=dump.stdout)
    assert p.returncode == 0, p.stderr
    assert run(copy, ".dump").stdout == dump.stdout
    rows = run(copy, "-csv", "-noheader", 'select id, note, day, paid from "order" order by id')
    assert rows.stdout == "1,it's,2024-02-29,true\n2,,,false\n"
    one = run(db, ".dump order")
    assert "CREATE VIEW" not in one.stdout and "order_day" in one.stdout
