"""RAISE() in a trigger body: the function compiled code calls, and the signal it sends.

``RAISE(IGNORE)`` is control flow, not an error: ``IgnoreRow`` travels up to the point where
the trigger fired, which skips that row and goes on with the statement. The other kinds are
``TriggerRaised`` errors whose ``resolution`` tells the connection what to undo.
"""

from __future__ import annotations

from typing import Callable

from ..errors import TriggerRaised


class IgnoreRow(Exception):
    """RAISE(IGNORE): abandon the current row's trigger programs and skip its write."""


def raiser(kind: str, message: str | None) -> Callable[[], None]:
    """The function a RAISE expression compiles to: it never returns."""
    if kind == "ignore":

        def raise_ignore() -> None:
            raise IgnoreRow()

        return raise_ignore

    def raise_error() -> None:
        raise TriggerRaised(message or "", kind)

    return raise_error


__all__ = ["IgnoreRow", "raiser"]
