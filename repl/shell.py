"""The interactive shell: prompt-toolkit wiring around a ``Session``.

Everything that decides something lives elsewhere and is tested without a terminal: when
Enter runs the input (``splitter.is_complete``), what completes (``completion.complete``),
what a line does (``session.Session``, ``commands``). This module only connects them to a
``PromptSession`` with history, search, auto-suggestion, highlighting and completion.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Iterable, Mapping, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import Completer, Completion, PathCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.shortcuts import ProgressBar
from prompt_toolkit.styles import Style

import memtables

from .completion import Metadata, complete
from .csvio import no_progress
from .progress import TerminalBar
from .session import Session, Settings
from .splitter import is_complete

HISTORY_ENV = "MEMTABLES_HISTORY"
HISTORY_FILE = "~/.memtables_history"
#: Work shorter than this many rows gets no progress bar: it would only flicker.
PROGRESS_MIN_ROWS = 5000


def history_path(option: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """Where history goes: ``--history``, else ``$MEMTABLES_HISTORY``, else
    ``~/.memtables_history``; an empty value means no history file.

    >>> history_path("h.txt", {}), history_path(None, {"MEMTABLES_HISTORY": ""})
    ('h.txt', None)
    """
    env = os.environ if environ is None else environ
    value = option if option is not None else env.get(HISTORY_ENV, HISTORY_FILE)
    return os.path.expanduser(value) if value else None


def _history(path: str | None, warn: Callable[[str], None]) -> History:
    if path is None:
        return InMemoryHistory()
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        warn(f"history is not kept: cannot write {path} ({e.strerror})")
        return InMemoryHistory()
    return FileHistory(path)


def terminal_progress(items: Iterable, total: int, label: str) -> Iterable:
    """A prompt-toolkit progress bar around ``items`` (for work worth one)."""
    if total < PROGRESS_MIN_ROWS:
        return items

    def run():
        with ProgressBar() as bar:
            yield from bar(items, label=label + " ", total=total)

    return run()


class ShellCompleter(Completer):
    """Adapts the pure completion engine to prompt-toolkit; ``metadata`` gives the current
    ``Metadata`` (the session refreshes it after DDL)."""

    def __init__(self, metadata: Callable[[], Metadata]):
        self.metadata = metadata
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, event) -> Iterable[Completion]:
        start, cands = complete(
            document.text_before_cursor, self.metadata(), document.text, event.completion_requested
        )
        if cands and cands[0].kind == "path":
            word = cands[0].text
            yield from self.paths.get_completions(Document(word, len(word)), event)
            return
        for c in cands:
            yield Completion(c.text, start, display_meta=c.meta)


def _lexer() -> PygmentsLexer | None:
    """SQL highlighting with pygments (prompt-toolkit does not require it: none without)."""
    try:
        from pygments.lexers.sql import SqlLexer
    except ImportError:
        return None
    return PygmentsLexer(SqlLexer)


def _key_bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter")
    @kb.add("c-j")
    def _enter(event) -> None:
        """Run complete input; otherwise open a continuation line."""
        buf = event.current_buffer
        state = buf.complete_state
        if state is not None and state.current_completion is not None:
            buf.complete_state = None  # Enter takes the highlighted completion
        elif is_complete(buf.text):
            buf.validate_and_handle()
        else:
            buf.insert_text("\n")

    return kb


def _continuation(width: int, line_number: int, is_soft_wrap: bool) -> Any:
    return [("class:continuation", "...> ".rjust(width))]


def run_shell(
    conn: memtables.Connection,
    db_name: str | None = None,
    *,
    input: Any = None,
    output: Any = None,
    stdout: TextIO | None = None,
    history: str | None = None,
    settings: Settings | None = None,
    commands: Iterable[str] = (),
    bar: TerminalBar | None = None,
) -> int:
    """Read-eval-print loop; returns the exit status.

    ``input`` and ``output`` are prompt-toolkit ``Input``/``Output`` objects (a terminal when
    left out; tests pass ``create_pipe_input()`` and ``DummyOutput()``); results go to
    ``stdout``; ``history`` is the history file (see ``history_path``); ``commands`` (``-cmd``)
    run before the first prompt; ``bar`` is the database's progress bar, if it has one.
    """
    out = stdout if stdout is not None else sys.stdout
    terminal = input is None and output is None and out.isatty()
    session = Session(
        conn,
        db_name,
        out,
        progress=terminal_progress if terminal else no_progress,
        color=terminal,
        settings=settings,
        bar=bar,
    )
    prompt = PromptSession(
        history=_history(history_path(history), session.error),
        auto_suggest=AutoSuggestFromHistory(),
        enable_history_search=False,  # Up walks the history; Ctrl-R searches it
        search_ignore_case=True,
        lexer=_lexer(),
        completer=ShellCompleter(lambda: session.metadata),
        complete_while_typing=True,
        multiline=True,
        prompt_continuation=_continuation,
        key_bindings=_key_bindings(),
        style=Style.from_dict({"prompt": "ansigreen bold", "continuation": "ansigreen"}),
        input=input,
        output=output,
    )
    session.write(f"memtables {memtables.__version__} on {session.where()}")
    session.write("End SQL statements with ';'. Type .help for commands, Ctrl-D to exit.")
    for command in commands:
        session.run_input(command)
    try:
        while not session.done:
            if session.metadata_stale:
                session.refresh_metadata()
            try:
                text = prompt.prompt([("class:prompt", session.prompt())])
            except KeyboardInterrupt:
                continue  # Ctrl-C drops the input being typed
            except EOFError:
                break
            session.run_input(text)
    finally:
        session.close()
    return 0
