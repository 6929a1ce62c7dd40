"""The shell's state and its evaluation step, with no terminal in sight.

A ``Session`` runs what the user typed (SQL statements and dot-commands), times it, renders
results in the current output mode, and turns every error into one readable line. The
prompt-toolkit wiring in ``shell.py`` only reads input and hands it here; tests drive a
``Session`` (or the whole shell) with plain text.
"""

from __future__ import annotations

import shlex
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Sequence, TextIO

import memtables

from . import metadata as _metadata
from .completion import Metadata
from .csvio import Progress, no_progress
from .output import MODES, Style, error_line, format_duration, plural, render_result
from .progress import TerminalBar
from .registry import COMMANDS, CommandError
from .splitter import DOT, split_script
from .sqltokens import tokenize

#: Statements ``.explain on`` prefixes with EXPLAIN.
EXPLAINABLE = frozenset({"SELECT", "VALUES", "INSERT", "UPDATE", "DELETE"})
#: Statements after which the tables, columns or indexes may have changed.
CHANGES_SCHEMA = frozenset({"CREATE", "DROP", "ALTER", "ROLLBACK", "COPY"})
_VERBS = {"INSERT": "inserted", "UPDATE": "updated", "DELETE": "deleted"}


@dataclass
class Settings:
    """What the dot-commands (and the command line's flags) switch.

    A script (stdin that is no terminal, ``-c``) starts with ``script()``: no timing, no
    ``OK`` line after a write, every row shown — only the data, as sqlite3 prints it.
    """

    mode: str = "table"
    timer: bool = True
    explain: bool = False
    maxrows: int = 1000
    headers: bool = True
    separator: str = "|"
    nullvalue: str | None = None
    bail: bool = False
    echo: bool = False
    status: bool = True  # print "OK (n rows inserted)" after a statement without rows

    @classmethod
    def script(cls) -> Settings:
        """The settings a non-interactive run starts with."""
        return cls(timer=False, maxrows=0, status=False)

    def style(self) -> Style:
        return Style(self.headers, self.separator, self.nullvalue)


def first_word(sql: str) -> str:
    """The statement's first keyword, upper-cased, skipping comments and parentheses.

    >>> first_word("  -- hi\\n(select 1)")
    'SELECT'
    """
    for tok in tokenize(sql):
        if tok.kind == "word":
            return tok.text.upper()
        if tok.kind not in ("comment", "op"):
            return ""
    return ""


class Session:
    """One shell session: a connection, settings, and where output goes."""

    def __init__(
        self,
        conn: memtables.Connection,
        db_name: str | None = None,
        out: TextIO | None = None,
        progress: Progress = no_progress,
        color: bool = False,
        settings: Settings | None = None,
        err: TextIO | None = None,
        bar: TerminalBar | None = None,
    ):
        self.conn = conn
        self.bar = bar  # the database's progress bar, erased when a statement fails
        conn.autocommit = True  # each statement commits on its own, unless BEGIN
        self.db_name = db_name
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else self.out  # errors never go to .output's file
        self.redirect: TextIO | None = None  # .output / .once
        self.once = False
        self.progress = progress
        self.color = color
        self.settings = settings if settings is not None else Settings()
        self.failed = False  # some statement or command failed (a script's exit status)
        self.metadata = Metadata()
        self.metadata_stale = True
        self.done = False
        self.cancelled = False  # Ctrl-C stopped the statement that ran last
        self.opened: list[memtables.Connection] = []  # connections .open made, to close

    # ------------------------------------------------------------ output
    def write(self, text: str = "") -> None:
        target = self.redirect or self.out
        target.write(text + "\n")
        target.flush()

    def say(self, text: str) -> None:
        """A confirmation (``mode is csv``): shown in the shell, silent in a script."""
        if self.settings.status:
            self.write(text)

    def error(self, e: BaseException | str) -> None:
        self.failed = True
        if self.bar is not None:  # not after half a bar: on a line of its own
            self.bar.clear()
        line = e if isinstance(e, str) else error_line(e)
        self.err.write((f"\x1b[31m{line}\x1b[0m" if self.color else line) + "\n")
        self.err.flush()

    def show(self, names: Sequence[str], rows: Sequence[Sequence[Any]], elapsed=None) -> None:
        """Print a result set in the current mode with its row count (and time)."""
        s = self.settings
        elapsed = elapsed if s.timer else None
        self.write(render_result(names, rows, s.mode, s.maxrows, elapsed, s.style()))

    def send_output_to(self, path: str | None, once: bool = False) -> None:
        """Results go to the file at ``path`` from now on (``.output``), or only the next
        result (``.once``); None: back to the terminal or stdout."""
        if self.redirect is not None:
            self.redirect.close()
        self.redirect = open(path, "w", encoding="utf-8") if path is not None else None
        self.once = once and path is not None

    # ------------------------------------------------------------ input
    def prompt(self) -> str:
        """The prompt: ``memtables>``, with a star inside an open transaction."""
        return "memtables*> " if self.conn.in_transaction else "memtables> "

    def run_input(self, text: str, stop_on_error: bool = False) -> bool:
        """Run every statement and dot-command in ``text``; False when one failed.

        Ctrl-C (KeyboardInterrupt) stops the running statement and drops the rest.
        """
        items, rest = split_script(text)
        if rest:
            items.append(("sql", rest))
        ok = True
        for kind, item in items:
            if self.settings.echo:
                self.write(item if kind == DOT or item.endswith(";") else item + ";")
            once = self.once  # set before this item: its output was the one to redirect
            try:
                done = self.run_command(item) if kind == DOT else self.run_sql(item)
            except KeyboardInterrupt:
                # in a dot-command (SQL statements are stopped by the engine: run_sql)
                self.error("interrupted")
                return False
            finally:
                if once:
                    self.send_output_to(None)
            if self.cancelled:  # Ctrl-C stopped a statement: the rest of the input is dropped
                self.cancelled = False
                return False
            ok = ok and done
            if self.done or (not done and (stop_on_error or self.settings.bail)):
                break
        return ok

    def run_sql(self, sql: str) -> bool:
        """Run one statement and print its result; errors become one line."""
        verb = first_word(sql)
        if self.settings.explain and verb in EXPLAINABLE:
            sql = "EXPLAIN " + sql
        if verb in CHANGES_SCHEMA:
            self.metadata_stale = True
        start = time.perf_counter()
        try:
            cur, rows = self.cancellable(sql)
        except Exception as e:  # never a traceback: a bug in the engine is shown as one line
            self.error(e)
            return False
        elapsed = time.perf_counter() - start
        if rows is not None:
            self.show([d[0] for d in cur.description], rows, elapsed)
        elif self.settings.status:
            self.write(self._status(verb, cur.rowcount, elapsed))
        return True

    def cancellable(self, sql: str) -> tuple:
        """Run ``sql`` and fetch its rows in a worker thread, so that Ctrl-C here stops it
        through ``Connection.interrupt()``: the engine stops at its next check and undoes
        the statement (a KeyboardInterrupt raised between any two bytecodes could land in
        the middle of the engine's bookkeeping). (cursor, rows or None)."""
        outcome: list = []
        finished = threading.Event()  # not Thread.join: an interrupted join can leave the
        # thread looking finished while it still runs

        def work() -> None:
            try:
                cur = self.conn.execute(sql)
                outcome.append((cur, cur.fetchall() if cur.description is not None else None))
            except BaseException as e:  # handed to the main thread
                outcome.append(e)
            finally:
                finished.set()

        threading.Thread(target=work, name="memtables-shell-statement", daemon=True).start()
        while not finished.is_set():
            try:
                # a timed wait: the kernel may hand SIGINT to the worker's thread, and Python
                # runs the handler (raising KeyboardInterrupt) only when this thread wakes
                finished.wait(0.05)
            except KeyboardInterrupt:
                self.cancelled = True
                self.conn.interrupt()  # from this thread, not the worker's: it takes effect
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _status(self, verb: str, rowcount: int, elapsed: float) -> str:
        parts = []
        if rowcount >= 0:
            parts.append(f"{plural(rowcount)} {_VERBS.get(verb, 'affected')}")
        if self.settings.timer:
            parts.append(format_duration(elapsed))
        return "OK" + (f" ({', '.join(parts)})" if parts else "")

    def run_command(self, line: str) -> bool:
        """Run one dot-command line."""
        try:
            args = shlex.split(line)
        except ValueError as e:
            self.error(f"Error: {e}")
            return False
        cmd = COMMANDS.get(args[0].lower())
        if cmd is None:
            self.error(f"Error: unknown command {args[0]}; '.help' lists the commands")
            return False
        try:
            cmd.check(args[1:])
            cmd.run(self, args[1:])
        except CommandError as e:
            self.error(f"Error: {e}")
            return False
        except Exception as e:
            self.error(e)
            return False
        return True

    # ------------------------------------------------------------ state
    def refresh_metadata(self) -> None:
        """Re-read tables, columns, views and indexes for completion."""
        commands = {n: (c.help, c.args) for n, c in COMMANDS.items()}
        choices = {"mode": tuple(MODES), "onoff": ("on", "off")}
        try:
            self.metadata = _metadata.load(self.conn, commands=commands, choices=choices)
        except memtables.Error:
            return  # an aborted transaction, say: keep what we had
        self.metadata_stale = False

    def switch(self, conn: memtables.Connection, db_name: str | None) -> None:
        """Make ``conn`` the session's connection (``.open``)."""
        conn.autocommit = True
        self.conn, self.db_name = conn, db_name
        self.opened.append(conn)
        self.metadata_stale = True

    def close(self) -> None:
        """Close the connections this session opened itself, and an ``.output`` file."""
        self.send_output_to(None)
        for conn in self.opened:
            conn.close()
        self.opened.clear()

    def where(self) -> str:
        return self.db_name or "an in-memory database"

    def timed(self, label: str, elapsed: float) -> str:
        return f"{label} ({format_duration(elapsed)})" if self.settings.timer else label
