"""Pausing Python's cyclic garbage collector during bulk work.

Loading a snapshot, replaying the redo log or running ``executemany`` creates millions of
row tuples that are never cyclic garbage; the collector would still scan them over and over
as they age (measured: three quarters of recovery time). Reference counting frees
everything as usual meanwhile; only cycle detection waits until the bulk work ends.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable automatic cyclic collection inside the block (re-enabled if it was on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
