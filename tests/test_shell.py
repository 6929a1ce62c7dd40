"""The interactive shell: pure rules (statement completeness, completion, output modes,
schema, CSV), a Session driven with text, the prompt-toolkit shell driven through a pipe,
and once in a real terminal under tmux."""

from __future__ import annotations

import doctest
import io
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest
from memtables.repl import (
    commands,
    completion,
    csvio,
    metadata,
    output,
    progress,
    session,
    shell,
    splitter,
    sqltokens,
)
from memtables.repl import main as cli
from memtables.repl.completion import Metadata, complete, suggest
from memtables.repl.session import Session
from memtables.repl.splitter import is_complete, split_script, split_statements

import memtables


@pytest.mark.parametrize(
    "module",
    [completion, csvio, metadata, output, progress, session, shell, splitter, sqltokens],
    ids=lambda m: m.__name__,
)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# ---------------------------------------------------------------- when Enter runs the input
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "SELECT 1;",
        "SELECT 1;  ",
        "SELECT 1; -- done",
        "SELECT 1; /* done */",
        "SELECT\n  1\n;",
        "SELECT ';' ;",
        "SELECT 1; SELECT 2;",
        ".tables",
        "  .mode csv",
        "-- a note\n.tables",
        "SELECT 1;\n.tables",
    ],
)
def test_complete_input(text):
    assert is_complete(text)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT 1",
        "SELECT 1 -- not yet;",
        "SELECT ';",
        "SELECT 'it''s;",
        'SELECT "a;',
        "SELECT 1 /* ; */",
        "SELECT 1; SELECT 2",
        "CREATE TABLE t (\n  a INTEGER,",
        "/* open comment ;",
        "SELECT\n.5",
    ],
)
def test_incomplete_input(text):
    assert not is_complete(text)


def test_split_script_mixes_statements_and_dot_commands():
    items, rest = split_script(".mode csv\nSELECT 1; SELECT '.x';\n.tables\nSELECT")
    assert items == [
        ("dot", ".mode csv"),
        ("sql", "SELECT 1"),
        ("sql", "SELECT '.x'"),
        ("dot", ".tables"),
    ]
    assert rest == "SELECT"


def test_split_statements_keeps_its_contract():
    assert split_statements("SELECT ';'; SELECT 2") == (["SELECT ';'"], "SELECT 2")
    assert split_statements("SELECT 1; -- trailing note") == (["SELECT 1"], "")
    assert split_statements("SELECT [a;b] FROM t;") == (["SELECT [a;b] FROM t"], "")
    assert split_statements("/* nothing */; SELECT 1;") == (["SELECT 1"], "")
    assert split_statements(".tables") == ([], ".tables")  # scripts have no dot-commands


# ---------------------------------------------------------------- completion
META = Metadata(
    tables={
        "users": ["id", "name", "email"],
        "orders": ["id", "user_id", "total"],
        "my table": ["a b"],
    },
    views=["big_spenders"],
    indexes=["orders_by_user"],
    commands={
        ".mode": ("Output mode", ("mode",)),
        ".schema": ("Show", ("table",)),
        ".read": ("Run FILE", ("path",)),
        ".tables": ("List", ()),
    },
    choices={"mode": ("table", "csv", "json")},
)


def texts(before, full=None, explicit=True):
    return [c.text for c in complete(before, META, full, explicit)[1]]


def texts_of(before, meta, full=None):
    return [c.text for c in complete(before, meta, full, True)[1]]


@pytest.mark.parametrize(
    "before, kinds",
    [
        ("", ("statement",)),
        ("SELECT ", ("column", "function", "keyword")),
        ("SELECT a, ", ("column", "function", "keyword")),
        ("SELECT a FROM t WHERE ", ("column", "function", "keyword")),
        ("SELECT a FROM t WHERE x = 1 AND ", ("column", "function", "keyword")),
        ("SELECT * FROM a JOIN b ON ", ("column", "function", "keyword")),
        ("SELECT a FROM t ORDER BY ", ("column", "function", "keyword")),
        ("SELECT a FROM t GROUP BY a, ", ("column", "function", "keyword")),
        ("UPDATE t SET ", ("column", "function", "keyword")),
        ("UPDATE t SET a = 1, ", ("column", "function", "keyword")),
        ("SELECT * FROM ", ("table", "view")),
        ("SELECT * FROM a, ", ("table", "view")),
        ("SELECT * FROM a JOIN ", ("table", "view")),
        ("INSERT INTO ", ("table",)),
        ("UPDATE ", ("table",)),
        ("DELETE FROM ", ("table", "view")),
        ("DROP TABLE ", ("table",)),
        ("DROP INDEX ", ("index",)),
        ("DROP VIEW ", ("view",)),
        ("CREATE INDEX i ON ", ("table",)),
        ("CREATE TABLE ", ()),
        ("CREATE TABLE t (a ", ("type",)),
        ("CREATE TABLE t (a INTEGER PRIMARY KEY, b ", ("type",)),
        ("CREATE TABLE t (a INTEGER NOT NULL, ", ()),
        ("SELECT a AS ", ()),
        ("SELECT * FROM t ", ("keyword",)),
        ("SELECT 1; ", ("statement",)),
        ("SELECT 'abc", ()),
        ("SELECT 1 -- note", ()),
    ],
)
def test_suggest_by_context(before, kinds):
    assert suggest(before).kinds == kinds


def test_columns_come_from_the_tables_the_statement_names():
    assert texts("SELECT ", "SELECT  FROM users")[:3] == ["id", "name", "email"]
    assert "user_id" not in texts("SELECT ", "SELECT  FROM users")
    got = complete("SELECT * FROM orders WHERE t", META)[1]
    assert [(c.text, c.kind) for c in got][:4] == [
        ("total", "column"),
        ("total", "function"),
        ("trim", "function"),
        ("typeof", "function"),
    ]
    assert "then" in [c.text for c in got]  # the case typed
    # no table named yet: every column, each once
    cols = [c.text for c in complete("SELECT ", META)[1] if c.kind == "column"]
    assert cols == ["id", "name", "email", "user_id", "total", '"a b"']


def test_qualified_columns_follow_aliases():
    full = "SELECT u.n FROM users u JOIN orders o ON o.user_id = u.id"
    assert texts("SELECT u.n", full) == ["name"]
    assert texts("SELECT * FROM users u JOIN orders o ON o.", None) == ["id", "user_id", "total"]
    assert texts("SELECT users.e") == ["email"]
    assert texts("SELECT nope.") == []


def test_insert_and_index_column_lists_offer_that_tables_columns():
    assert texts("INSERT INTO orders (") == ["id", "user_id", "total"]
    assert texts("INSERT INTO orders (id, u") == ["user_id"]
    assert texts("CREATE INDEX i ON users (") == ["id", "name", "email"]


def test_table_completion_and_replacement_offset():
    assert complete("SELECT * FROM us", META)[0] == -2
    assert texts("SELECT * FROM us") == ["users"]
    assert texts("select * from ") == ['"my table"', "orders", "users", "big_spenders"]
    assert texts("SELECT * FROM my") == ['"my table"']
    assert texts("SELECT * FROM sys.t") == ["tables", "transactions"]
    assert "sys.tables" in texts("SELECT * FROM sy")
    assert texts("DROP INDEX o") == ["orders_by_user"]


def test_keywords_match_the_case_typed():
    assert texts("sel") == ["select"]
    assert texts("SEL") == ["SELECT"]
    assert "WHERE" in texts("SELECT * FROM t W")
    assert texts("SELECT * FROM t whe") == ["where", "when"]


def test_bare_keyword_lists_wait_for_tab():
    assert complete("SELECT * FROM t ", META, explicit=False) == (0, [])
    assert texts("SELECT * FROM t ", explicit=True)[0] == "WHERE"  # common keywords first
    assert texts("SELECT ", explicit=False)[0] == "id"  # columns show while typing


def test_dot_command_completion():
    assert texts(".") == [".mode", ".read", ".schema", ".tables"]
    assert texts(".sc") == [".schema"]
    assert texts(".mode c") == ["csv"]
    assert texts(".schema ") == ['"my table"', "orders", "users"]
    assert texts(".tables ") == []
    start, cands = complete(".read ~/sc", META)
    assert (start, cands[0].kind, cands[0].text) == (-4, "path", "~/sc")


def test_shell_completer_yields_prompt_toolkit_completions(tmp_path):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    comp = shell.ShellCompleter(lambda: META)
    got = list(comp.get_completions(Document("SELECT * FROM or"), CompleteEvent(True)))
    assert [(c.text, c.start_position) for c in got] == [("orders", -2)]
    (tmp_path / "script.sql").write_text("")
    doc = Document(f".read {tmp_path}/scr")
    assert [c.text for c in comp.get_completions(doc, CompleteEvent(True))] == ["ipt.sql"]


# ---------------------------------------------------------------- output modes
ROWS = [(1, "ada", None), (2, "bo,b", 2.5)]


def test_output_modes():
    names = ["id", "name", "score"]
    assert output.render_table(names, ROWS).splitlines()[3] == "|  1 | ada  | NULL  |"
    assert output.render_csv(names, ROWS) == 'id,name,score\n1,ada,\n2,"bo,b",2.5'
    assert output.render_json(names, ROWS).splitlines()[0] == (
        '[{"id": 1, "name": "ada", "score": null},'
    )
    assert output.render_markdown(names, ROWS).splitlines()[1] == "|----:|------|------:|"
    assert output.render_line(names, ROWS[:1]) == "   id = 1\n name = ada\nscore = NULL"


def test_long_results_are_cut_with_a_note():
    rows = [(i,) for i in range(10)]
    text = output.render_result(["n"], rows, "table", maxrows=3, elapsed=0.5)
    assert "| 2 |" in text and "| 3 |" not in text
    assert "(showing the first 3 rows of 10;" in text
    assert text.endswith("(10 rows, 500.0 ms)")
    assert output.render_result(["n"], rows, "csv", maxrows=0).count("\n") == 10


# ---------------------------------------------------------------- schema and CSV
@pytest.fixture
def conn(conn):
    """The shared connection (in memory and durable) with a small schema, in autocommit."""
    c = conn
    c.autocommit = True
    c.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, "
        "age INTEGER DEFAULT 0, score REAL)"
    )
    c.execute("CREATE INDEX users_age ON users USING SORTED (age)")
    c.execute("CREATE TABLE pairs (a INTEGER, b TEXT, PRIMARY KEY (a, b))")
    c.execute("CREATE VIEW adults AS SELECT name FROM users WHERE age >= 18")
    c.execute("INSERT INTO users (name, email, age, score) VALUES ('ada', 'a@x', 36, 1.5)")
    c.execute("INSERT INTO users (name, email, age, score) VALUES ('bob', NULL, 12, NULL)")
    return c


def test_schema_rebuilds_the_database(conn):
    text = metadata.schema(conn)
    assert "CREATE TABLE users (id INTEGER, name TEXT NOT NULL, email TEXT," in text
    assert "CREATE INDEX users_age ON users USING SORTED (age);" in text
    assert "PRIMARY KEY (a, b)" in text
    copy = memtables.connect()
    for stmt in split_statements(text)[0]:
        copy.execute(stmt)
    assert metadata.schema(copy) == text
    with pytest.raises(memtables.ProgrammingError):
        metadata.schema(conn, "nope")


def test_schema_shows_the_create_text_the_engine_logs():
    """``.schema`` prints the statements the redo log would hold: CHECK, DEFAULT, UNIQUE,
    composite keys, collations, index order and a cache table's options all survive."""
    c = memtables.connect()
    c.autocommit = True
    c.execute(
        "CREATE TABLE items (shop INTEGER, sku TEXT COLLATE NOCASE, qty INTEGER NOT NULL "
        "DEFAULT 1 CHECK (qty >= 0), code TEXT UNIQUE, note TEXT, PRIMARY KEY (shop, sku), "
        "UNIQUE (shop, code), CHECK (note <> ''))"
    )
    c.execute("CREATE INDEX items_qty ON items USING SORTED (qty DESC, note)")
    c.execute(
        "CREATE CACHE TABLE sessions (k TEXT PRIMARY KEY, v TEXT) "
        "WITH (max_rows = 100, eviction = 'allkeys-lru', default_ttl = 60)"
    )
    c.execute('CREATE VIEW "order" (s, n) AS SELECT shop, count(*) FROM items GROUP BY shop')
    text, _ = run(c, ".schema")
    assert text == (
        "CREATE TABLE items (shop INTEGER, sku TEXT COLLATE NOCASE, qty INTEGER NOT NULL "
        "DEFAULT (1), code TEXT, note TEXT, PRIMARY KEY (shop, sku), UNIQUE (shop, code), "
        "UNIQUE (code), CHECK (qty >= 0), CHECK (note != ''));\n"
        "CREATE INDEX items_qty ON items USING SORTED (qty DESC, note);\n"
        "CREATE CACHE TABLE sessions (k TEXT, v TEXT, PRIMARY KEY (k)) "
        "WITH (default_ttl = 60.0, eviction = 'allkeys-lru', max_rows = 100);\n"
        'CREATE VIEW "order" (s, n) AS SELECT shop, count(*) FROM items GROUP BY shop;\n'
    )
    # the same text is public, in sys.schema (like sqlite_master)
    rows = c.execute("SELECT type, name, table_name, sql FROM sys.schema").fetchall()
    assert [r[:3] for r in rows] == [
        ("table", "items", "items"),
        ("index", "items_qty", "items"),
        ("table", "sessions", "sessions"),
        ("view", "order", "order"),
    ]
    assert "".join(r[3] + ";\n" for r in rows) == text
    # and it rebuilds the same database
    copy = memtables.connect()
    for stmt in split_statements(text)[0]:
        copy.execute(stmt)
    assert run(copy, ".schema")[0] == text
    assert run(c, ".schema order")[0].startswith('CREATE VIEW "order"')


def test_completion_quotes_names_as_sql_reads_them():
    meta = Metadata({"order": ["select", "key", "my col"]})
    assert texts_of("SELECT * FROM ord", meta) == ['"order"']
    assert texts_of("SELECT ", meta, 'SELECT  FROM "order"')[:3] == ['"select"', "key", '"my col"']


def test_completion_knows_every_keyword_of_the_grammar():
    assert "FIRST" in texts("SELECT a FROM t ORDER BY a NULLS ")
    assert "BTREE" in texts("CREATE INDEX i ON t USING ")
    assert set(memtables.keywords()) <= {c.upper() for c in texts("SELECT * FROM t ")}


def test_keyword_like_names_do_not_end_the_table_list():
    # soft keywords (KEY, DATE ...) are names wherever a name may stand
    assert suggest("SELECT key, ").kinds == ("column", "function", "keyword")
    assert suggest("CREATE TABLE t (key ").kinds == ("type",)
    assert suggest("INSERT INTO t VALUES (1) ON CONFLICT (").kinds == ("column",)


def test_metadata_load(conn):
    meta = metadata.load(conn)
    assert meta.tables == {"pairs": ["a", "b"], "users": ["id", "name", "email", "age", "score"]}
    assert (meta.views, meta.indexes) == (["adults"], ["users_age"])


def test_csv_round_trip_keeps_types_in_a_typed_table(conn, tmp_path):
    path = str(tmp_path / "users.csv")
    assert csvio.export_csv(conn, "users", path) == 2
    assert open(path).read().splitlines() == [
        "id,name,email,age,score",
        "1,ada,a@x,36,1.5",
        "2,bob,,12,",
    ]
    conn.execute(
        "CREATE TABLE users2 (id INTEGER PRIMARY KEY, name TEXT, email TEXT, "
        "age INTEGER, score REAL)"
    )
    seen = []

    def progress(items, total, label):
        seen.append((total, label))
        return items

    assert csvio.import_csv(conn, path, "users2", progress) == (2, False)
    assert seen == [(2, "import users2")]
    rows = conn.execute("SELECT * FROM users2 ORDER BY id").fetchall()
    assert rows == [(1, "ada", "a@x", 36, 1.5), (2, "bob", "", 12, None)]


def test_csv_import_creates_a_text_table_and_fails_as_a_whole(conn, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("code,the name\nx1,one\nx2,two\n")
    assert csvio.import_csv(conn, str(path), "codes") == (2, True)
    assert conn.execute('SELECT "the name" FROM codes ORDER BY code').fetchall() == [
        ("one",),
        ("two",),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,email,age,score\n7,eve,e@x,40,1\n8,fay,f@x,old,2\n")
    with pytest.raises(memtables.DataError, match="line 3"):
        csvio.import_csv(conn, str(bad), "users")
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (2,)
    short = tmp_path / "short.csv"
    short.write_text("id,name\n1\n")
    with pytest.raises(memtables.DataError, match="line 2: 1 fields, expected 2"):
        csvio.import_csv(conn, str(short), "other")
    assert "other" not in metadata.load(conn).tables  # the CREATE TABLE was rolled back too


def test_csv_import_of_keyword_headers_into_a_durable_database(tmp_path):
    path = tmp_path / "kw.csv"
    path.write_text("check,primary,current_date,my col\n1,a,x,y\n2,b,z,w\n")
    db = tmp_path / "db.mtdb"
    conn = memtables.connect(db)
    out = io.StringIO()
    s = Session(conn, None, out)
    s.settings.timer = False
    s.run_input(f".import {path} select")
    assert "imported 2 rows into select" in out.getvalue()
    conn.close()
    conn = memtables.connect(db)  # the logged CREATE TABLE reads back
    rows = conn.execute('SELECT "check", "primary", "current_date" FROM "select"').fetchall()
    assert sorted(rows) == [("1", "a", "x"), ("2", "b", "z")]
    assert memtables.quote_identifier("primary") == '"primary"'
    conn.close()


# ---------------------------------------------------------------- a Session, driven with text
def run(conn, *inputs, **settings):
    out = io.StringIO()
    s = Session(conn, None, out)
    s.settings.timer = False
    for k, v in settings.items():
        setattr(s.settings, k, v)
    for text in inputs:
        s.run_input(text)
    return out.getvalue(), s


def test_session_runs_statements_and_reports_changes(conn):
    text, _ = run(conn, "UPDATE users SET age = age + 1; DELETE FROM users WHERE id = 2;")
    assert text == "OK (2 rows updated)\nOK (1 row deleted)\n"


def test_session_errors_are_one_line_and_the_rest_goes_on(conn):
    text, _ = run(conn, "SELECT * FROM missing; SELECT count(*) FROM users;")
    assert text.splitlines()[0] == "Error (UndefinedTable): no such table: missing"
    assert "|        2 |" in text


def test_engine_bugs_do_not_show_a_traceback(conn, monkeypatch):
    class Broken:
        in_transaction = False

        def execute(self, *a):
            raise AttributeError("oops")

    out = io.StringIO()
    s = Session(conn, None, out)
    s.conn = Broken()
    s.run_input("SELECT 1;")
    assert out.getvalue() == "Error (internal AttributeError): oops\n"


def test_ctrl_c_during_a_query_is_reported(conn):
    class Slow:
        in_transaction = False

        def execute(self, *a):
            raise KeyboardInterrupt

    out = io.StringIO()
    s = Session(conn, None, out)
    s.conn = Slow()
    assert s.run_input("SELECT 1; SELECT 2;") is False
    assert out.getvalue() == "interrupted\n"


def test_dot_commands(conn, tmp_path):
    script = tmp_path / "s.sql"
    script.write_text("CREATE TABLE t (x INTEGER);\n.mode line\nINSERT INTO t VALUES (5);\n")
    text, s = run(
        conn,
        ".indexes users",
        ".explain on",
        "SELECT name FROM users WHERE id = 1;",
        ".explain off",
        f".read {script}",
        "SELECT x FROM t;",
        ".nope",
        ".mode",
        ".mode xml",
        ".import only-one-argument",
        ".stats",
        ".checkpoint",
        ".show",
    )
    assert "| users_age      | users      | age     | false  | sorted | false    |" in text
    assert "PRIMARY KEY LOOKUP users" in text
    assert "x = 5\n(1 row)" in text
    assert "Error: unknown command .nope; '.help' lists the commands" in text
    assert "mode is line" in text
    assert (
        "Error: unknown mode xml; modes: table, box, csv, json, markdown, line, list, tabs" in text
    )
    assert "Error: usage: .import FILE TABLE" in text
    assert "name = commits" in text
    assert "checkpoint done" in text
    assert "database: an in-memory database\nmode: line" in text
    assert s.metadata_stale


def test_read_stops_at_the_first_error(conn, tmp_path):
    script = tmp_path / "s.sql"
    script.write_text("SELECT 1;\nSELEC 2;\nCREATE TABLE never (x INTEGER);\n")
    text, _ = run(conn, f".read {script}", ".read no-such-file.sql")
    assert "syntax error at line 1, column 1" in text
    assert f"Error: {script}: stopped at the first error" in text
    assert "Error: No such file or directory: no-such-file.sql" in text
    assert "never" not in metadata.load(conn).tables


def test_cache_command_explains_when_there_are_no_cache_stats(conn):
    text, _ = run(conn, ".cache")
    try:
        conn.execute("SELECT * FROM sys.cache_stats")
    except memtables.ProgrammingError:
        assert text.startswith("Error: cache statistics are not available in this database")
    else:
        assert text.startswith("+")


def test_open_switches_databases(conn):
    text, s = run(conn, ".open", "SELECT count(*) FROM sys.tables;")
    assert "opened an in-memory database" in text and "|        0 |" in text
    assert conn.closed and s.conn is not conn
    s.close()
    assert s.conn.closed


def test_registry_has_help_for_every_command():
    for name, cmd in commands.COMMANDS.items():
        assert name.startswith(".") and cmd.help and cmd.run
    text, _ = run(memtables.connect(), ".help .import", ".help")
    assert text.startswith(".import FILE TABLE\n    Load CSV FILE into TABLE")
    assert ".exit, .quit" in text


def test_metadata_refreshes_after_ddl(conn):
    _, s = run(conn)
    s.refresh_metadata()
    assert not s.metadata_stale and ".mode" in s.metadata.commands
    s.run_input("CREATE TABLE fresh (x INTEGER);")
    assert s.metadata_stale
    s.refresh_metadata()
    assert s.metadata.tables["fresh"] == ["x"]


def test_history_location(tmp_path, monkeypatch):
    assert shell.history_path("h.txt", {"MEMTABLES_HISTORY": "x"}) == "h.txt"
    assert shell.history_path(None, {"MEMTABLES_HISTORY": "x"}) == "x"
    assert shell.history_path(None, {"MEMTABLES_HISTORY": ""}) is None
    monkeypatch.setenv("HOME", str(tmp_path))
    assert shell.history_path(None, {}) == str(tmp_path / ".memtables_history")


# ---------------------------------------------------------------- the shell through a pipe
def drive(keys: str, conn=None, history: str = "") -> str:
    """Type ``keys`` into the shell (Ctrl-D at the end) and return what it printed."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    out = io.StringIO()
    with create_pipe_input() as inp:
        inp.send_text(keys + "\x04")
        status = shell.run_shell(
            conn or memtables.connect(),
            None,
            input=inp,
            output=DummyOutput(),
            stdout=out,
            history=history,
        )
    assert status == 0
    return out.getvalue()


def test_shell_runs_a_query_over_several_lines():
    text = drive(
        ".timer off\rCREATE TABLE t (id INTEGER, name TEXT);\r"
        "INSERT INTO t VALUES (1, 'ada');\rSELECT id,\r  name\rFROM t\r;\r"
    )
    assert "memtables 0.1.0 on an in-memory database" in text
    assert (
        "+----+------+\n| id | name |\n+----+------+\n|  1 | ada  |\n+----+------+\n(1 row)" in text
    )


def test_shell_shows_syntax_errors_with_a_caret():
    text = drive("SELEC 1;\r")
    assert "Error (SQLSyntaxError): syntax error at line 1, column 1: unexpected 'SELEC'\n" in text
    assert "  SELEC 1\n  ^\n" in text
    assert "Traceback" not in text


def test_shell_tables_help_and_csv_mode(conn):
    text = drive(".tables\r.help\r.mode csv\rSELECT id, name FROM users ORDER BY id;\r", conn)
    assert "| adults | view  | NULL |" in text
    assert "| users  | table |    2 |" in text
    assert ".import FILE TABLE  Load CSV FILE into TABLE" in text
    assert "mode is csv\nid,name\n1,ada\n2,bob\n" in text


def test_shell_import_export_round_trip(conn, tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("sku,qty\nA-1,3\nB-2,\n")
    text = drive(
        f".timer off\r.import {src} stock\r.export stock {dst}\rSELECT count(*) FROM stock;\r", conn
    )
    assert "created table stock, imported 2 rows into stock" in text
    assert f"exported 2 rows to {dst}" in text
    assert dst.read_text().splitlines() == ["sku,qty", "A-1,3", "B-2,"]


def test_shell_ctrl_c_cancels_input_and_history_is_kept(conn, tmp_path):
    history = tmp_path / "hist"
    text = drive(
        "SELECT * FROM nowhere\x03.timer off\rSELECT count(*)\rFROM users;\r", conn, str(history)
    )
    assert "nowhere" not in text
    assert "|        2 |" in text
    assert "+SELECT count(*)\n+FROM users;" in history.read_text()  # one multi-line entry


def test_shell_exits_on_quit():
    assert drive(".quit\rSELECT 'not run';\r").count("not run") == 0


def test_main_passes_the_history_option(monkeypatch):
    seen = {}

    def fake_shell(conn, db, history=None, **options):
        seen.update(db=db, history=history)
        return 0

    monkeypatch.setattr(shell, "run_shell", fake_shell)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    assert cli.main(["--history", "h.txt"]) == 0
    assert seen == {"db": None, "history": "h.txt"}


# ---------------------------------------------------------------- a real terminal
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_shell_in_a_real_terminal_under_tmux(tmp_path):
    sock = f"memtables-test-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", sock, "-f", os.devnull]
    # HOME is the test's directory, so the default history file goes there
    command = (
        f"cd {tmp_path} && env -u MEMTABLES_HISTORY HOME={tmp_path} {sys.executable} -m memtables"
    )
    subprocess.run([*tmux, "new-session", "-d", "-x", "100", "-y", "50", command], check=True)

    def pane() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-S", "-200"], capture_output=True, text=True
        ).stdout

    def wait_for(text: str, timeout: float = 10) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = pane()
            if text in got:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear in:\n{pane()}")

    def type_line(text: str) -> None:
        # tmux reads a trailing ';' as a command separator: escape it
        subprocess.run([*tmux, "send-keys", "-l", text.replace(";", "\\;")], check=True)
        subprocess.run([*tmux, "send-keys", "Enter"], check=True)

    try:
        wait_for("memtables>")
        type_line(".timer off")
        type_line("CREATE TABLE inventory (id INTEGER PRIMARY KEY, item TEXT);")
        wait_for("OK")
        type_line("INSERT INTO inventory (item) VALUES ('apple'), ('pear');")
        wait_for("OK (2 rows inserted)")
        subprocess.run([*tmux, "send-keys", "-l", "SELECT item FROM inv"], check=True)
        wait_for("inventory  table")  # the completion menu, while typing
        subprocess.run([*tmux, "send-keys", "Tab"], check=True)
        wait_for("SELECT item FROM inventory")
        subprocess.run([*tmux, "send-keys", "Enter"], check=True)  # takes the completion
        type_line(" ORDER BY id;")
        got = wait_for("(2 rows)")
        assert "| apple |\n| pear  |" in got
        type_line("SELEC 1;")
        got = wait_for("^")
        assert "syntax error at line 1, column 1: unexpected 'SELEC'" in got
        type_line(".tables")
        got = wait_for("| inventory | table |    2 |")
        assert "Traceback" not in got
        subprocess.run([*tmux, "send-keys", "C-d"], check=True)  # exits, and the session ends
        end = time.monotonic() + 10
        while time.monotonic() < end and subprocess.run([*tmux, "has-session"]).returncode == 0:
            time.sleep(0.05)
        history = (tmp_path / ".memtables_history").read_text()
        assert "+SELECT item FROM inventory ORDER BY id;" in history
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
