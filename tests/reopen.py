"""Shared by the durability tests: a closed durable database must reopen equal."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import memtables


def assert_reopens_equal(path: Path, state: Callable[[Any], Any], before: Any) -> None:
    """Reopen the closed database at ``path`` from its log, checkpoint, reopen from the
    snapshot: ``state(conn)`` must equal ``before`` each time."""
    for when in ("reopened from the log", "reopened from a snapshot"):
        conn = memtables.connect(path)
        assert state(conn) == before, when
        conn.execute("CHECKPOINT")
        conn.close()
