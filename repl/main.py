"""``memtables [options] [DB] [SQL]``: run SQL and dot-commands from an argument, a script on
stdin, or the interactive shell — scriptable like sqlite3's command line."""

from __future__ import annotations

import argparse
import sys

import memtables

from .output import MODES, error_line
from .progress import TerminalBar
from .session import Session, Settings


def parser() -> argparse.ArgumentParser:
    """The command line's options; sqlite3's single-dash spellings (``-csv``) work."""
    p = argparse.ArgumentParser(
        prog="memtables",
        description="memtables: an in-memory SQL database. Runs SQL given as an argument, or "
        "the SQL and dot-commands read from stdin; with neither and a terminal on stdin, opens "
        "the interactive shell.",
    )
    p.add_argument("db", nargs="?", help="database directory (in-memory when left out)")
    p.add_argument("sql", nargs="?", help="SQL (and dot-commands) to run, then exit")
    p.add_argument("-c", "--command", help="SQL to run, then exit (as the SQL argument)")
    modes = p.add_mutually_exclusive_group()
    for mode in MODES:
        modes.add_argument(
            f"-{mode}", f"--{mode}", dest="mode", action="store_const", const=mode,
            help=f"output mode {mode}",
        )  # fmt: skip
    headers = p.add_mutually_exclusive_group()
    headers.add_argument(
        "-header", "-headers", "--header", dest="headers", action="store_true", default=None,
        help="column names above csv, list and tabs output (the default)",
    )  # fmt: skip
    headers.add_argument(
        "-noheader", "--noheader", dest="headers", action="store_false",
        help="no column names above csv, list and tabs output",
    )  # fmt: skip
    p.add_argument("-separator", "--separator", metavar="SEP", help="separator of list mode")
    p.add_argument("-nullvalue", "--nullvalue", metavar="TEXT", help="text shown for NULL")
    p.add_argument(
        "-cmd", "--cmd", action="append", default=[], metavar="COMMAND",
        help="run COMMAND (SQL or a dot-command) first; may be repeated",
    )  # fmt: skip
    p.add_argument("-bail", "--bail", action="store_true", help="stop at the first error")
    p.add_argument(
        "-readonly", "--readonly", action="store_true",
        help="open DB for reading only: no lock taken, nothing written, writes refused",
    )  # fmt: skip
    p.add_argument("-echo", "--echo", action="store_true", help="print each statement first")
    p.add_argument(
        "--history",
        metavar="FILE",
        help="the shell's history file (default: $MEMTABLES_HISTORY or ~/.memtables_history; "
        "an empty value keeps no history)",
    )
    p.add_argument("-version", "--version", action="version", version=memtables.__version__)
    return p


def settings_from(args: argparse.Namespace, interactive: bool) -> Settings:
    """The session's starting settings: the script or shell defaults, then the flags."""
    st = Settings() if interactive else Settings.script()
    if args.mode:
        st.mode = args.mode
    if args.headers is not None:
        st.headers = args.headers
    if args.separator is not None:
        st.separator = args.separator.replace("\\t", "\t").replace("\\n", "\n")
    if args.nullvalue is not None:
        st.nullvalue = args.nullvalue
    st.bail, st.echo = args.bail, args.echo
    return st


def main(argv: list[str] | None = None) -> int:
    """The ``memtables`` command. Exit status 1 when a statement or command failed."""
    args = parser().parse_intermixed_args(argv)
    if args.command is not None and args.sql is not None:
        print("Error: give the SQL either as an argument or with -c, not both", file=sys.stderr)
        return 2
    text = args.command if args.command is not None else args.sql
    interactive = text is None and sys.stdin.isatty()
    # progress bars only where a person watches: a script's stderr stays clean
    bar = TerminalBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        conn = memtables.connect(args.db, read_only=args.readonly, progress=bar)
    except memtables.Error as e:
        if bar is not None:
            bar.clear()
        print(error_line(e), file=sys.stderr)
        return 1
    try:
        if interactive:
            from .shell import run_shell

            return run_shell(
                conn, args.db, history=args.history, settings=settings_from(args, True),
                commands=args.cmd, bar=bar,
            )  # fmt: skip
        session = Session(
            conn, args.db, sys.stdout, settings=settings_from(args, False), err=sys.stderr,
            bar=bar,
        )  # fmt: skip
        try:
            for cmd in args.cmd:
                if not session.run_input(cmd) and session.settings.bail:
                    return 1
            session.run_input(text if text is not None else sys.stdin.read())
        finally:
            session.close()
        return 1 if session.failed else 0
    finally:
        conn.close()


if __name__ == "__main__":
    raise SystemExit(main())
