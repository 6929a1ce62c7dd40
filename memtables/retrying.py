"""``conn.transaction(retries=3)``: run a block as one transaction, rerunning it on conflict.

Three ways to use it::

    @conn.transaction(retries=3)          # a decorator reruns the whole function
    def transfer(src, dst, amount): ...

    for attempt in conn.transaction(retries=3):   # a loop reruns the block
        with attempt:
            ...

    with conn.transaction():              # one attempt: commit, or roll back and raise
        ...

A ``SerializationFailure`` rolls the transaction back; the block runs again after a short,
growing, randomised pause, up to ``retries`` more times, then the failure propagates.
"""

from __future__ import annotations

import functools
import random
import time
from typing import Any, Callable, Iterator

from .errors import ProgrammingError, SerializationFailure


class Attempt:
    """One try of the block: a context manager that commits, or rolls back on error."""

    def __init__(self, runner: TransactionRunner, number: int):
        self.runner = runner
        self.number = number
        self.failed = False

    def __enter__(self) -> Attempt:
        self.runner._begin()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        conn = self.runner.conn
        if exc_type is None:
            try:
                conn.commit()
                return False
            except SerializationFailure:
                conn.rollback()
                if self.number >= self.runner.retries:
                    raise
                self.failed = True
                return False
        conn.rollback()
        if issubclass(exc_type, SerializationFailure) and self.number < self.runner.retries:
            self.failed = True
            return True  # swallowed: the loop runs the block again
        return False


def begin(conn, isolation: str | None = None) -> None:
    """BEGIN on ``conn`` for ``conn.transaction()``: an implicit transaction with nothing in
    it yet is let go of; one holding changes is the caller's to finish first."""
    if conn.in_transaction:
        if conn.has_changes:
            raise ProgrammingError(
                "conn.transaction() cannot start while the connection has uncommitted "
                "changes; commit or roll back first"
            )
        conn.rollback()
    conn.execute("BEGIN" + (f" ISOLATION LEVEL {isolation}" if isolation else ""))


class TransactionRunner:
    """What ``Connection.transaction`` returns (see the module docstring)."""

    def __init__(self, conn, retries: int = 3, backoff: float = 0.002, isolation=None):
        if retries < 0:
            raise ProgrammingError("retries must be >= 0")
        self.conn = conn
        self.retries = retries
        self.backoff = backoff
        self.isolation = isolation
        self._single: Attempt | None = None

    def _begin(self) -> None:
        begin(self.conn, self.isolation)

    def _pause(self, attempt: int) -> None:
        time.sleep(self.backoff * (2**attempt) * random.uniform(0.5, 1.5))

    def __iter__(self) -> Iterator[Attempt]:
        for number in range(self.retries + 1):
            attempt = Attempt(self, number)
            yield attempt
            if not attempt.failed:
                return
            self._pause(number)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            for attempt in self:
                with attempt:
                    result = fn(*args, **kwargs)
                if not attempt.failed:
                    return result
            return None  # not reached: the last failure propagates

        return run

    def __enter__(self) -> Any:
        self._single = Attempt(self, self.retries)  # a single try: nothing is swallowed
        self._single.__enter__()
        return self.conn

    def __exit__(self, *exc) -> bool:
        return self._single.__exit__(*exc)
