"""An exclusive, non-blocking lock on an open file, on POSIX (``fcntl``) and Windows (``msvcrt``).

A durable database holds one on its ``LOCK`` file for as long as it is open, so a second
process opening the same directory is refused instead of corrupting it. The lock goes with
the process: a crashed holder leaves nothing to clean up.
"""

from __future__ import annotations

import os
from typing import IO

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def try_lock(f: IO) -> bool:
        """Lock ``f`` for this process; False when another process holds it."""
        f.seek(0)
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(f: IO) -> None:
        """Give the lock back."""
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def try_lock(f: IO) -> bool:
        """Lock ``f`` for this process; False when another process holds it."""
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(f: IO) -> None:
        """Give the lock back."""
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
