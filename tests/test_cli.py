"""The command line: -c, scripts on stdin, errors with a non-zero exit status."""

from __future__ import annotations

import io
import re
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


# ---------------------------------------------------------------- -readonly
def _tree(path) -> dict:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_readonly_reads_and_refuses_writes(tmp_path):
    import memtables

    path = tmp_path / "app.mtdb"
    writer = memtables.connect(path)  # holds the directory's lock while the shell runs
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.execute("INSERT INTO t VALUES (1), (2)")
    writer.commit()
    try:
        before = _tree(path)
        p = run("-readonly", "-csv", "-noheader", str(path), "select sum(x) from t")
        assert p.returncode == 0, p.stderr
        assert p.stdout == "3\n"
        p = run("-readonly", str(path), stdin="insert into t values (3);\nselect 1 as ok;\n")
        assert p.returncode == 1
        assert p.stderr.strip() == "Error (OperationalError): attempt to write a readonly database"
        assert "ok" in p.stdout  # a script goes on after the error, as sqlite3's does
        p = run("-readonly", "-bail", str(path), stdin="checkpoint;\nselect 1 as ok;\n")
        assert p.returncode == 1 and p.stdout == ""
        assert _tree(path) == before
    finally:
        writer.close()


def test_readonly_needs_an_existing_database(tmp_path):
    p = run("-readonly", "-c", "select 1")
    assert p.returncode == 1
    assert "read_only needs a database path" in p.stderr and "Traceback" not in p.stderr
    p = run("-readonly", str(tmp_path / "missing.mtdb"), "-c", "select 1")
    assert p.returncode == 1 and "unable to open database" in p.stderr
    assert not (tmp_path / "missing.mtdb").exists()


def test_dot_open_readonly(tmp_path):
    db = str(tmp_path / "app.mtdb")
    assert run(db, "create table t (x integer); insert into t values (7);").returncode == 0
    script = f".open --readonly {db}\nselect x from t;\ninsert into t values (8);\n"
    p = run("-csv", "-noheader", stdin=script)
    assert p.returncode == 1 and p.stdout == "7\n"
    assert "attempt to write a readonly database" in p.stderr


# ---------------------------------------------------------------- progress bars
def _big_csv(path, n: int = 30_000) -> None:
    path.write_text("x\n" + "".join(f"{i}\n" for i in range(n)))


def test_no_progress_bar_on_pipes(tmp_path):
    _big_csv(tmp_path / "big.csv")
    db = str(tmp_path / "app.mtdb")
    sql = f"create table t (x integer); copy t from '{tmp_path / 'big.csv'}'; checkpoint;"
    p = run(db, sql)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "" and p.stderr == ""
    p = run(db, "-csv", "-noheader", "select count(*) from t")  # recovery: still silent
    assert p.stdout == "30000\n" and p.stderr == ""


def test_progress_bars_on_a_terminal(tmp_path):
    """stderr on a pseudo-terminal: COPY, CHECKPOINT and recovery draw a bar there, and
    the results on stdout (a pipe) stay as they are."""
    import os
    import pty

    _big_csv(tmp_path / "big.csv")
    db = str(tmp_path / "app.mtdb")

    def on_terminal(*args) -> tuple[str, str]:
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "memtables", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        out = proc.stdout.read()
        assert proc.wait(timeout=60) == 0
        os.close(master)
        return out, b"".join(chunks).decode()

    sql = f"create table t (x integer); copy t from '{tmp_path / 'big.csv'}'; checkpoint;"
    out, err = on_terminal(db, sql)
    assert out == ""
    assert "COPY" in err and "checkpoint" in err and "100%" in err and "30,000/30,000" in err
    assert re.search("\r(?!\n)", err) and "Error" not in err  # redrawn in place
    out, err = on_terminal("-csv", "-noheader", db, "select count(*) from t")
    assert out == "30000\n"
    assert "loading snapshot" in err and "100%" in err


def test_terminal_bar_redraws_its_line_and_gives_way_to_errors():
    """The bar with its terminal check forced: a StringIO stands for stderr."""
    from memtables.repl.progress import TerminalBar
    from memtables.repl.session import Session

    import memtables

    err = io.StringIO()
    bar = TerminalBar(err, min_total=100)
    bar("copy", 10, 50)  # too little work for a bar
    assert err.getvalue() == ""
    for done in range(0, 1001, 5):
        bar("copy", done, 1000)
    drawn = err.getvalue()
    assert drawn.count("\r") == 101 and drawn.endswith("100% 1,000/1,000\x1b[K\n")
    err.truncate(0)
    err.seek(0)
    session = Session(memtables.connect(), out=io.StringIO(), err=err, bar=bar)
    bar("checkpoint", 300, 1000)
    session.run_sql("select * from missing")
    assert err.getvalue() == (
        "\rcheckpoint [#########.....................]  30% 300/1,000\x1b[K"
        "\r\x1b[K"  # erased before the error, which gets a line of its own
        "Error (UndefinedTable): no such table: missing\n"
    )


def test_ctrl_c_stops_a_running_statement_through_interrupt(tmp_path):
    """SIGINT while a statement runs stops it through Connection.interrupt(): the shell
    prints one error line, runs nothing after it, exits 1, and the write is undone."""
    import os
    import signal
    import time

    db = str(tmp_path / "app.mtdb")
    setup = (
        "CREATE TABLE t (x INTEGER); CREATE TABLE u (x INTEGER);"
        "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
        " WHERE x < 3000) SELECT x FROM c;"
    )
    assert run(db, setup).returncode == 0
    # 27 billion rows to write: it runs until it is stopped
    script = ".print ready\nINSERT INTO u SELECT a.x FROM t a, t b, t c;\nSELECT 'after';\n"
    proc = subprocess.Popen(
        [sys.executable, "-m", "memtables", db],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    proc.stdin.write(script)
    proc.stdin.close()
    proc.stdin = None  # written whole: communicate() only reads
    assert proc.stdout.readline().strip() == "ready"  # the INSERT is about to run
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    # stopped by the engine (Connection.interrupt), not by a KeyboardInterrupt wherever it fell
    assert "OperationalError): interrupted" in err and "Traceback" not in err
    assert "after" not in out
    assert run(db, "-csv", "-noheader", "SELECT count(*) FROM u").stdout.strip() == "0"
