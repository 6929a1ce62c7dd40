"""Dot-commands, each registered with its help text in ``registry.COMMANDS``.

A command is a function of the session and its arguments, registered with ``@command``;
``.help`` and completion read the registry, so adding a command is adding one function.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Sequence

import memtables

from . import csvio
from . import metadata as md
from .output import MODES, plural
from .registry import COMMANDS, CommandError, command
from .session import Session


def _on_off(s: Session, args: list[str], attr: str, label: str) -> None:
    if args:
        value = args[0].lower()
        if value not in ("on", "off"):
            raise CommandError(f"usage: .{attr} on|off")
        setattr(s.settings, attr, value == "on")
    (s.say if args else s.write)(f"{label} is {'on' if getattr(s.settings, attr) else 'off'}")


def _query(s: Session, sql: str, params: Sequence = ()) -> None:
    start = time.perf_counter()
    cur = s.conn.execute(sql, tuple(params))
    rows = cur.fetchall()
    s.show([d[0] for d in cur.description], rows, time.perf_counter() - start)


# ---------------------------------------------------------------- help and settings
@command(".help", "Show the commands, or the help of one", "[COMMAND]", ("command",), (0, 1))
def cmd_help(s: Session, args: list[str]) -> None:
    if args:
        name = args[0] if args[0].startswith(".") else "." + args[0]
        cmd = COMMANDS.get(name.lower())
        if cmd is None:
            raise CommandError(f"unknown command {name}")
        s.write(f"{cmd.synopsis}\n    {cmd.help}")
        return
    lines: dict[Callable, list[str]] = {}  # aliases share a function and one line
    for name in sorted(COMMANDS):
        lines.setdefault(COMMANDS[name].run, []).append(COMMANDS[name].synopsis)
    heads = [(", ".join(names), COMMANDS[names[0].split()[0]].help) for names in lines.values()]
    width = max(len(h) for h, _ in heads)
    for head, text in heads:
        s.write(f"{head.ljust(width)}  {text}")
    s.write(
        "\nEnd SQL statements with ';' (Enter on an unfinished one opens a new line). "
        "Tab completes, Ctrl-R searches the history, Ctrl-C cancels, Ctrl-D exits."
    )


@command(".timer", "Show how long each statement took", "[on|off]", ("onoff",), (0, 1))
def cmd_timer(s: Session, args: list[str]) -> None:
    _on_off(s, args, "timer", "timer")


@command(
    ".explain", "Show the plan of each query instead of running it", "[on|off]", ("onoff",), (0, 1)
)
def cmd_explain(s: Session, args: list[str]) -> None:
    _on_off(s, args, "explain", "explain")


@command(".mode", "Output mode: " + ", ".join(MODES), "[MODE]", ("mode",), (0, 1))
def cmd_mode(s: Session, args: list[str]) -> None:
    if args:
        if args[0].lower() not in MODES:
            raise CommandError(f"unknown mode {args[0]}; modes: {', '.join(MODES)}")
        s.settings.mode = args[0].lower()
    (s.say if args else s.write)(f"mode is {s.settings.mode}")


@command(".maxrows", "Show at most N rows of a result (0: all)", "[N]", (), (0, 1))
def cmd_maxrows(s: Session, args: list[str]) -> None:
    if args:
        if not args[0].isdigit():
            raise CommandError("usage: .maxrows N (a whole number; 0 shows every row)")
        s.settings.maxrows = int(args[0])
    n = s.settings.maxrows
    (s.say if args else s.write)(f"maxrows is {n}" + (" (no limit)" if n == 0 else ""))


@command(
    ".headers",
    "Column names above csv, list and tabs output",
    "[on|off]",
    ("onoff",),
    (0, 1),
)
def cmd_headers(s: Session, args: list[str]) -> None:
    _on_off(s, args, "headers", "headers")


@command(".bail", "Stop a script at the first error", "[on|off]", ("onoff",), (0, 1))
def cmd_bail(s: Session, args: list[str]) -> None:
    _on_off(s, args, "bail", "bail")


@command(".echo", "Print each statement before running it", "[on|off]", ("onoff",), (0, 1))
def cmd_echo(s: Session, args: list[str]) -> None:
    _on_off(s, args, "echo", "echo")


@command(".nullvalue", "Text shown for NULL (no argument: each mode's own)", "[TEXT]", (), (0, 1))
def cmd_nullvalue(s: Session, args: list[str]) -> None:
    s.settings.nullvalue = args[0] if args else None


@command(".separator", "Column separator of list mode", "SEP", (), (1, 1))
def cmd_separator(s: Session, args: list[str]) -> None:
    s.settings.separator = _unescape(args[0])


def _unescape(text: str) -> str:
    """``\\t`` and ``\\n`` as a tab and a newline, as sqlite3 reads its separators."""
    return text.replace("\\t", "\t").replace("\\n", "\n")


@command(".print", "Print the arguments", "[TEXT ...]", (), (0, 64))
def cmd_print(s: Session, args: list[str]) -> None:
    s.write(" ".join(args))


@command(".show", "Show the current settings", "", (), (0, 0))
def cmd_show(s: Session, args: list[str]) -> None:
    st = s.settings
    s.write(f"database: {s.where()}")
    s.write(f"mode: {st.mode}\ntimer: {'on' if st.timer else 'off'}")
    s.write(f"explain: {'on' if st.explain else 'off'}\nmaxrows: {st.maxrows}")
    s.write(f"headers: {'on' if st.headers else 'off'}\nseparator: {st.separator!r}")
    s.write(f"nullvalue: {'(mode default)' if st.nullvalue is None else repr(st.nullvalue)}")
    s.write(f"bail: {'on' if st.bail else 'off'}\necho: {'on' if st.echo else 'off'}")


# ---------------------------------------------------------------- the catalog
@command(".tables", "List the tables and views", "", (), (0, 0))
def cmd_tables(s: Session, args: list[str]) -> None:
    rows = [(r["name"], r["kind"], r["rows"]) for r in md.query(s.conn, "SELECT * FROM sys.tables")]
    rows += [(r["name"], "view", None) for r in md.query(s.conn, "SELECT name FROM sys.views")]
    rows.sort(key=lambda r: r[0].lower())
    s.show(["name", "kind", "rows"], rows)


@command(
    ".schema", "Show CREATE statements of every table, or of one", "[TABLE]", ("table",), (0, 1)
)
def cmd_schema(s: Session, args: list[str]) -> None:
    text = md.schema(s.conn, args[0] if args else None)
    s.write(text or "-- no tables")


@command(".indexes", "List the indexes, of every table or of one", "[TABLE]", ("table",), (0, 1))
def cmd_indexes(s: Session, args: list[str]) -> None:
    sql = "SELECT name, table_name, columns, unique, method, implicit FROM sys.indexes"
    if args:
        _query(s, sql + " WHERE lower(table_name) = lower(?)", args)
    else:
        _query(s, sql)


@command(".stats", "Database statistics (sys.stats)", "", (), (0, 0))
def cmd_stats(s: Session, args: list[str]) -> None:
    _query(s, "SELECT * FROM sys.stats")


@command(".cache", "Cache table statistics (sys.cache_stats)", "", (), (0, 0))
def cmd_cache(s: Session, args: list[str]) -> None:
    try:
        _query(s, "SELECT * FROM sys.cache_stats")
    except memtables.ProgrammingError as e:
        raise CommandError(f"cache statistics are not available in this database ({e})") from None


# ---------------------------------------------------------------- files and databases
@command(
    ".read",
    "Run the SQL and dot-commands in FILE (stops at the first error)",
    "FILE",
    ("path",),
    (1, 1),
)
def cmd_read(s: Session, args: list[str]) -> None:
    with open(os.path.expanduser(args[0]), encoding="utf-8") as f:
        text = f.read()
    s.metadata_stale = True
    if not s.run_input(text, stop_on_error=True):
        raise CommandError(f"{args[0]}: stopped at the first error")


@command(
    ".import",
    "Load CSV FILE into TABLE (created with TEXT columns when missing)",
    "FILE TABLE",
    ("path", "table"),
    (2, 2),
)
def cmd_import(s: Session, args: list[str]) -> None:
    path, table = os.path.expanduser(args[0]), args[1]
    start = time.perf_counter()
    n, created = csvio.import_csv(s.conn, path, table, s.progress)
    s.metadata_stale = True
    what = f"created table {table}, " if created else ""
    s.write(s.timed(f"{what}imported {plural(n)} into {table}", time.perf_counter() - start))


@command(
    ".export", "Write TABLE to CSV FILE, header first", "TABLE FILE", ("table", "path"), (2, 2)
)
def cmd_export(s: Session, args: list[str]) -> None:
    table, path = args[0], os.path.expanduser(args[1])
    start = time.perf_counter()
    n = csvio.export_csv(s.conn, table, path, s.progress)
    s.write(s.timed(f"exported {plural(n)} to {args[1]}", time.perf_counter() - start))


@command(
    ".output",
    "Send results to FILE from now on (no FILE: back to the screen)",
    "[FILE]",
    ("path",),
    (0, 1),
)
def cmd_output(s: Session, args: list[str]) -> None:
    s.send_output_to(os.path.expanduser(args[0]) if args else None)


@command(".once", "Send only the next result to FILE", "FILE", ("path",), (1, 1))
def cmd_once(s: Session, args: list[str]) -> None:
    s.send_output_to(os.path.expanduser(args[0]), once=True)


@command(
    ".dump",
    "Print SQL that rebuilds the database (or one table): tables, rows, indexes, views",
    "[TABLE]",
    ("table",),
    (0, 1),
)
def cmd_dump(s: Session, args: list[str]) -> None:
    for line in s.conn.iterdump(args[0] if args else None):
        s.write(line)


@command(".checkpoint", "Write a snapshot of the durable tables now", "", (), (0, 0))
def cmd_checkpoint(s: Session, args: list[str]) -> None:
    start = time.perf_counter()
    s.conn.database.checkpoint()
    s.say(s.timed("checkpoint done", time.perf_counter() - start))


@command(
    ".open",
    "Close this database and open DB (a new in-memory one without DB); "
    "'.open --readonly DB' only reads it",
    "[DB]",
    ("path",),
    (0, 2),
)
def cmd_open(s: Session, args: list[str]) -> None:
    read_only = bool(args) and args[0] == "--readonly"
    if read_only:
        args = args[1:]
    if len(args) > 1 or (args and args[0].startswith("--")):
        raise CommandError("usage: .open [--readonly] [DB]")
    path = os.path.expanduser(args[0]) if args else None
    old = s.conn
    options = {"progress": old.database.progress, "read_only": read_only}
    if path is not None and path == s.db_name:
        old.close()  # the same database: let go of it before opening it again
        try:
            s.switch(memtables.connect(path, **options), path)
        except memtables.Error:
            s.switch(memtables.connect(None, progress=options["progress"]), None)
            s.write("now on a new in-memory database")
            raise
    else:
        s.switch(memtables.connect(path, **options), path)  # on failure the old one stays
        old.close()
    s.say(f"opened {s.where()}{' (read-only)' if read_only else ''}")


@command(".quit .exit", "Leave the shell (Ctrl-D does too)", "", (), (0, 0))
def cmd_quit(s: Session, args: list[str]) -> None:
    s.done = True
