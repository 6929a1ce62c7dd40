"""A query result made as the cursor fetches it: a stream of row chunks.

``Connection.stream_query`` makes the first chunk at ``execute()``. A result that fits in
it is returned whole, as before; a larger one becomes a ``Stream``: the statement's generator
(``QueryStatement.chunks``), the transaction it reads in, and the statement's context (its
clock for 'now'), so each later chunk reads the same snapshot with the same 'now'.

A stream reads either in its connection's open transaction (shared) or, on an autocommit
connection, in a read transaction of its own, which ends with the stream: exhausted,
failed, its cursor closed or re-executed or dropped, or its connection closed. While it
is open that transaction's snapshot keeps the row versions it reads from being collected.

A statement reads the rows as of its start. A shared stream could see later writes of its
own transaction, so before the connection writes, commits or rolls back, ``settle`` has
each of its shared streams make the rest of its rows at once and hold them.
"""

from __future__ import annotations

import weakref

from .cursor import internal_error
from .errors import Error
from .sql import CHUNK


class Stream:
    """The rest of a query's rows, made a chunk at a time (see the module docstring).

    ``streams`` is the connection's registry of its open streams (id → weak reference);
    the caller holds the connection's lock for every method but ``__del__``.
    """

    __slots__ = (
        "_chunks",
        "_held",
        "_error",
        "txn",
        "own",
        "_context",
        "_streams",
        "__weakref__",
    )

    def __init__(self, chunks, txn, own: bool, context, streams: dict):
        self._chunks = chunks
        self._held: list | None = None  # rows made ahead by ``hold``, not yet handed out
        self._error: Error | None = None  # what stopped ``hold``: raised after those rows
        self.txn = txn
        self.own = own
        self._context = context
        self._streams = streams
        streams[id(self)] = weakref.ref(self)

    @property
    def open(self) -> bool:
        """True while rows may remain (made or still to make)."""
        return self._chunks is not None or self._held is not None

    def next_chunk(self) -> list:
        """The next rows: up to ``CHUNK`` of them; an empty list once there are no more.

        An error making them ends the stream and comes out as a PEP 249 error."""
        held = self._held
        if held is not None:
            self._held = None
            return held
        chunks = self._chunks
        if chunks is None:
            error, self._error = self._error, None
            if error is not None:
                raise error
            return []
        try:
            rows = self._context.run(next, chunks)
        except StopIteration:
            rows = []
        except BaseException as e:  # Ctrl-C too: the generator is finished either way
            self.end(failed=True)
            if isinstance(e, Error) or not isinstance(e, Exception):
                raise
            raise internal_error(e) from e
        if len(rows) < CHUNK:  # the generator's last chunk is short
            self.end()
        return rows

    def hold(self) -> None:
        """Make every remaining row now and hold them (the reading ends here). An error
        doing so is kept, and raised when the fetches reach it, as it would have been."""
        if self._chunks is None:
            return
        rows = self._held or []
        self._held = None
        try:
            while self._chunks is not None:
                rows += self.next_chunk()
        except Error as e:
            self._error = e
        self._held = rows

    def end(self, failed: bool = False) -> None:
        """Stop making rows: forget the generator, and finish a transaction of our own
        (committed; rolled back when the stream failed). Rows already held stay."""
        chunks, self._chunks = self._chunks, None
        if chunks is None:
            return
        self._streams.pop(id(self), None)
        txn = self.txn
        if self.own and txn.state == "active":
            if failed:
                txn.rollback()
            else:
                txn.commit()  # read-only: it only leaves the set of active transactions

    def close(self) -> None:
        """End the stream and drop the rows it holds."""
        self._held = self._error = None
        self.end()

    def __del__(self) -> None:
        # a cursor dropped mid-result must not keep its snapshot alive forever
        if self._chunks is not None:
            try:
                self.end()
            except Exception:  # noqa: BLE001 - a finalizer has no caller (interpreter exit)
                pass


def settle(streams: dict, everything: bool = False) -> None:
    """Make the streams reading in the connection's transaction hold the rest of their rows
    (``everything``: end every stream, as closing the connection does)."""
    for ref in list(streams.values()):
        stream = ref()
        if stream is None:
            continue
        if everything:
            stream.close()
        elif not stream.own:
            stream.hold()
