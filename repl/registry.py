"""The registry of dot-commands: name -> ``Command``, filled by ``@command``.

The session looks commands up here and ``commands.py``, which needs the session, registers
them: no import cycle. The package's ``__init__`` imports ``commands`` once, which fills the
registry before any session runs a command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence


class CommandError(Exception):
    """A dot-command used wrongly; the message says how to use it."""


@dataclass(frozen=True)
class Command:
    """One dot-command: ``run(session, args)`` and what ``.help`` and completion show."""

    name: str
    run: Callable[[Any, list[str]], None]  # (the Session, the arguments)
    help: str
    usage: str = ""  # the arguments, as .help shows them
    args: tuple[str, ...] = ()  # argument kinds, for completion: table, path, mode, onoff
    min_args: int = 0
    max_args: int = 0

    def check(self, args: Sequence[str]) -> None:
        """Raise CommandError unless the argument count fits."""
        if not self.min_args <= len(args) <= self.max_args:
            raise CommandError(f"usage: {self.synopsis}")

    @property
    def synopsis(self) -> str:
        """The name and its arguments, as ``.help`` shows them."""
        return f"{self.name} {self.usage}".strip()


COMMANDS: dict[str, Command] = {}


def command(
    names: str, help: str, usage: str = "", args: tuple[str, ...] = (), nargs: tuple = (0, 0)
) -> Callable:
    """Register the decorated function under each of the space-separated ``names``."""

    def register(fn: Callable[[Any, list[str]], None]) -> Callable:
        for name in names.split():
            COMMANDS[name] = Command(name, fn, help, usage, args, *nargs)
        return fn

    return register
