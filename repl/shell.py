"""The interactive shell: read statements until ``;``, run them, print tables."""

from __future__ import annotations

import sys

import memtables

from .main import error_line, run_sql
from .splitter import split_statements


def run_shell(conn: memtables.Connection, db_name: str | None) -> int:
    """Read-eval-print loop on a terminal; returns the exit status."""
    from prompt_toolkit import PromptSession

    session: PromptSession = PromptSession()
    where = db_name or "in-memory database"
    print(f"memtables {memtables.__version__} on {where}. End statements with ';'. Ctrl-D exits.")
    buffer = ""
    while True:
        try:
            line = session.prompt("memtables> " if not buffer else "      ...> ")
        except KeyboardInterrupt:
            buffer = ""
            continue
        except EOFError:
            print()
            return 0
        if not buffer and line.strip() in (".quit", ".exit"):
            return 0
        buffer += line + "\n"
        done, rest = split_statements(buffer)
        if not done:
            continue
        buffer = rest + "\n" if rest else ""
        try:
            run_sql(conn, ";\n".join(done), sys.stdout)
        except memtables.Error as e:
            print(error_line(e))
