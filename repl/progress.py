"""A one-line progress bar on stderr for long COPY, CHECKPOINT and recovery.

The database calls ``progress(phase, done, total)`` (see ``memtables.open``); the shell
passes a ``TerminalBar`` only when stderr is a terminal, so scripts and pipes see nothing.
The bar redraws its line with ``\\r`` and erases it when the work is done or when something
else is about to be printed (``clear``).
"""

from __future__ import annotations

from typing import TextIO

#: Work shorter than this gets no bar: it would only flicker.
MIN_TOTAL = 5000
LABELS = {
    "snapshot": "loading snapshot",
    "log": "replaying redo log",
    "checkpoint": "checkpoint",
    "copy": "COPY",
}


def render(phase: str, done: int, total: int, width: int = 30) -> str:
    """The bar's line for ``done`` out of ``total``.

    >>> render("copy", 2500, 10000, width=10)
    'COPY [##........]  25% 2,500/10,000'
    """
    share = min(max(done / total, 0.0), 1.0) if total else 1.0
    filled = int(share * width)
    label = LABELS.get(phase, phase)
    return f"{label} [{'#' * filled}{'.' * (width - filled)}] {int(share * 100):3d}% {done:,}/{total:,}"


class TerminalBar:
    """A progress callback drawing on ``stream`` (a terminal): only when the percentage
    changes, so a million calls cost a hundred writes."""

    def __init__(self, stream: TextIO, min_total: int = MIN_TOTAL):
        self.stream = stream
        self.min_total = min_total
        self.shown: tuple[str, int] | None = None  # (phase, percent) on the line now

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total < self.min_total:
            return
        percent = done * 100 // total
        if self.shown == (phase, percent):
            return
        self.shown = (phase, percent)
        self.stream.write("\r" + render(phase, done, total) + "\x1b[K")
        if done >= total:
            self.stream.write("\n")  # the finished bar stays, as a record of the work
            self.shown = None
        self.stream.flush()

    def clear(self) -> None:
        """Erase a bar left unfinished (the work failed or was interrupted)."""
        if self.shown is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = None
