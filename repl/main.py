"""``memtables [DB] [-c SQL]``: run SQL from an argument, a script on stdin, or the shell."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import memtables

from .format import format_table
from .output import error_line
from .splitter import split_statements


def run_sql(conn: memtables.Connection, text: str, out: TextIO) -> None:
    """Execute every statement in ``text``, printing each result set.

    The connection is put in autocommit mode: each statement commits on its own unless BEGIN
    opened a transaction, which stays open for the statements that follow.
    """
    stmts, rest = split_statements(text)
    if rest:
        stmts.append(rest)
    conn.autocommit = True
    cur = conn.cursor()
    for stmt in stmts:
        cur.execute(stmt)
        if cur.description is not None:
            names = [d[0] for d in cur.description]
            print(format_table(names, cur.fetchall()), file=out)


def main(argv: list[str] | None = None) -> int:
    """The ``memtables`` command."""
    parser = argparse.ArgumentParser(
        prog="memtables",
        description="memtables: an in-memory SQL database. With no SQL to run and a terminal "
        "on stdin, opens the interactive shell.",
    )
    parser.add_argument("db", nargs="?", help="database directory (in-memory when left out)")
    parser.add_argument("-c", "--command", help="SQL to run, then exit")
    parser.add_argument(
        "--history",
        metavar="FILE",
        help="the shell's history file (default: $MEMTABLES_HISTORY or ~/.memtables_history; "
        "an empty value keeps no history)",
    )
    parser.add_argument("--version", action="version", version=memtables.__version__)
    args = parser.parse_args(argv)
    try:
        conn = memtables.connect(args.db)
    except memtables.Error as e:
        print(error_line(e), file=sys.stderr)
        return 1
    try:
        if args.command is not None:
            return _run_text(conn, args.command)
        if sys.stdin.isatty():
            from .shell import run_shell

            return run_shell(conn, args.db, history=args.history)
        return _run_text(conn, sys.stdin.read())
    finally:
        conn.close()


def _run_text(conn: memtables.Connection, text: str) -> int:
    try:
        run_sql(conn, text, sys.stdout)
    except memtables.Error as e:
        print(error_line(e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
