"""The key-value face of a cache table, and the cache-aside decorator.

::

    kv = conn.cache("sessions")      # a CACHE TABLE with one key column
    kv.set("k", "v", ttl=60)
    kv.get("k")                      # 'v' (a tuple when the table has several value columns)
    kv.ttl("k"); kv.expire("k", 5); kv.persist("k"); kv.incr("hits"); kv.delete("k")

Each call runs in the connection's open transaction if there is one, else in a transaction
of its own that commits at once, like a Redis command.

Bad arguments raise PEP 249 errors and change nothing: a key that does not fit the key
column's type (or cannot be a key at all) and a TTL that is not a finite, non-negative number
of seconds raise ``DataError``; arguments of the wrong shape raise ``ProgrammingError``. Like
a dict, ``ttl()`` of an absent key raises ``KeyError``.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any, Callable, Iterable, Mapping, ParamSpec, TypeVar

from .cache import enforce, is_expired
from .errors import DataError, ProgrammingError
from .txn import committed_row
from .versions import TXN_BASE

_MISSING = object()
_LONGEST = 1e300  # a TTL in seconds that needs no further check (finite, and so is now + it)


class KeyValue:
    """Redis-like access to one cache table (values are its non-key columns)."""

    def __init__(self, conn, name: str):
        conn.check_open()
        if not isinstance(name, str):
            raise ProgrammingError(f"cache table name must be a str, not {type(name).__name__}")
        self.conn = conn
        engine = conn.database.engine
        self._txns = engine.txns  # its lock guards writes
        table = engine.catalog.table(name)
        if table.cache is None:
            raise ProgrammingError(f"{name} is not a cache table (use CREATE CACHE TABLE)")
        pk = table.schema.primary_key
        if len(pk) != 1:
            raise ProgrammingError(f"cache table {name} needs a single-column primary key")
        self.table = table
        self.cache = table.cache
        self.name = table.name
        self._key_pos = pk[0]
        self._value_pos = [
            c.position for c in table.columns if not c.hidden and c.position != pk[0]
        ]
        if not self._value_pos:
            raise ProgrammingError(f"cache table {name} has no value column")
        self._width = len(table.columns)
        key_type = table.columns[self._key_pos].type
        self._check_key = key_type.check
        self._key_pytype = key_type.pytype  # keys of exactly this type need no conversion
        # (key, value, _expires_at): the common layout, built without a list
        self._pair = self._key_pos == 0 and self._value_pos == [1] and self._width == 3
        # what the one-key paths of get and set read on every call, bound once
        self._state = conn.state
        self._rows = table.rows
        self._clock = self.cache.clock
        self._touch = self.cache.touch_or_raise
        self._write_now = engine.txns.one_key_writer(table)

    # ------------------------------------------------------------ transactions
    def _run(self, fn: Callable, write: bool = False) -> Any:
        # a write is a statement (all or nothing, under the engine's lock); a read is a query
        if write:
            return self.conn.run_statement(fn, engine_lock=True, solo=True)
        return self.conn.run_read(fn)

    # ------------------------------------------------------------ arguments
    def _key(self, key: Any, write: bool = False) -> Any:
        """``key`` as the key column stores it. Writing a key that does not fit the column's
        type is a DataError (a NULL one, the table's NotNullViolation); looking one up finds
        nothing, as in a dict. A key that cannot be hashed is a DataError either way."""
        if type(key) is self._key_pytype:
            return key
        try:
            k = self._check_key(key)
        except DataError as e:
            if write:
                raise DataError(f"cache {self.name}: bad key: {e}") from None
            k = key
        try:
            hash(k)
        except TypeError:
            raise DataError(
                f"cache {self.name}: a {type(k).__name__} cannot be a key (not hashable)"
            ) from None
        return k

    def _keys(self, keys: Any) -> list:
        if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable):
            raise ProgrammingError(f"keys must be an iterable of keys, not {type(keys).__name__}")
        return [self._key(k) for k in keys]

    # ------------------------------------------------------------ rows and values
    def _row(self, key: Any, value: Any, expires: Any) -> tuple:
        if self._pair:
            return (key, value, expires)
        row = [None] * self._width
        row[self._key_pos] = key
        vp = self._value_pos
        if len(vp) == 1:
            row[vp[0]] = value
        else:
            if not isinstance(value, (tuple, list)) or len(value) != len(vp):
                raise DataError(f"cache table {self.name} takes {len(vp)} values per key")
            for p, v in zip(vp, value):
                row[p] = v
        row[-1] = expires
        return tuple(row)

    def _value(self, row: tuple) -> Any:
        vp = self._value_pos
        if len(vp) == 1:
            return row[vp[0]]
        return tuple(row[p] for p in vp)

    def _live(self, txn, key: Any) -> tuple | None:
        """The row at ``key`` unless absent or expired (an expired one is removed)."""
        row = self.table.get(txn, key)
        if row is None:
            return None
        if is_expired(row, self.cache.clock()):
            try:
                with self._txns.lock:
                    self.table.delete(txn, key)
                self.cache.expirations += 1
            except Exception:  # noqa: BLE001 - a concurrent writer has it; it stays hidden
                pass
            return None
        return row

    def _expiry(self, ttl: Any) -> Any:
        if ttl is None:
            d = self.cache.default_ttl
            return None if d is None else self.cache.clock() + d
        return self.cache.expires_in(ttl)  # finite: checked before anything is written

    # ------------------------------------------------------------ reads
    def get(self, key: Any, default: Any = None) -> Any:
        """The value at ``key``, or ``default`` when it is absent or expired.  O(1)."""
        if type(key) is not self._key_pytype:
            key = self._key(key)
        state = self._state
        if state.txn is None and not state.closed:
            # Outside a transaction one key's newest committed row is the answer: no
            # snapshot to take, nothing for version collection to protect. A committed
            # stable entry, the usual one, is read here; the rest through committed_row.
            e = self._rows.get(key)
            if e is None:
                self.cache.misses += 1
                return default
            row = e[0] if type(e) is tuple and e[1] < TXN_BASE else committed_row(e)
            if row is None:
                self.cache.misses += 1
                return default
            exp = row[-1]
            if exp is None or exp > self._clock():
                self.cache.hits += 1
                try:
                    self._touch(key)
                except KeyError:  # outside the policy's domain, or evicted meanwhile
                    pass
                return row[1] if self._pair else self._value(row)
            # expired: the transactional path below removes it

        def run(txn):
            row = self._live(txn, key)
            if row is None:
                self.cache.miss()
                return default
            self.cache.hit(key)
            return self._value(row)

        return self._run(run)

    def get_many(self, keys: Iterable[Any]) -> dict:
        """{key: value} for the keys present."""
        keys = self._keys(keys)

        def run(txn):
            out = {}
            for key in keys:
                row = self._live(txn, key)
                if row is None:
                    self.cache.miss()
                else:
                    self.cache.hit(key)
                    out[key] = self._value(row)
            return out

        return self._run(run)

    def __contains__(self, key: Any) -> bool:
        key = self._key(key)
        return self._run(lambda txn: self._live(txn, key) is not None)

    def __len__(self) -> int:
        now = self.cache.clock()
        return self._run(
            lambda txn: sum(1 for _k, r in self.table.scan(txn) if not is_expired(r, now))
        )

    def ttl(self, key: Any) -> float | None:
        """Seconds until ``key`` expires; None when it has no TTL.

        Raises ``KeyError`` when ``key`` is absent or expired, as a dict lookup would.
        """
        key = self._key(key)

        def run(txn):
            row = self._live(txn, key)
            if row is None:
                raise KeyError(key)
            exp = row[-1]
            return None if exp is None else max(0.0, exp - self.cache.clock())

        return self._run(run)

    # ------------------------------------------------------------ writes
    def _put(self, txn, key: Any, value: Any, expires: Any) -> None:
        row = self._row(key, value, expires)
        if self._live(txn, key) is None:
            self.table.insert(txn, row)
        else:
            self.table.update(txn, key, row)

    def set(self, key: Any, value: Any, ttl: float | None = None, keepttl: bool = False) -> None:
        """Store ``value`` at ``key``; ``ttl`` in seconds (None: the table's default TTL, if
        any); ``keepttl`` keeps an existing key's expiry instead."""
        if type(key) is not self._key_pytype:
            key = self._key(key, write=True)
        state = self._state
        if state.txn is None and not keepttl and not state.closed:
            # Outside a transaction: committed at once (one_key_writer) when no eviction or sweep
            # is due (no statement, no savepoint, no log record for a non-durable table).
            if ttl is None:
                expires = None if self.cache.default_ttl is None else self._expiry(None)
            elif (type(ttl) is float or type(ttl) is int) and 0 <= ttl <= _LONGEST:
                expires = self._clock() + ttl  # a plain TTL; the rest are checked below
            else:
                expires = self._expiry(ttl)
            row = (key, value, expires) if self._pair else self._row(key, value, expires)
            if self._write_now(key, row):
                return

        def run(txn):
            expires = self._expiry(ttl)
            if keepttl:
                old = self._live(txn, key)
                if old is not None:
                    expires = old[-1]
            self._put(txn, key, value, expires)
            enforce(self.table, txn, {key})

        self._run(run, write=True)

    def set_many(self, mapping: Mapping[Any, Any], ttl: float | None = None) -> None:
        """Store every pair of ``mapping`` (or of an iterable of (key, value) pairs, as
        ``dict.update`` takes) in one transaction: all of them or, on an error, none."""
        if not isinstance(mapping, Mapping):
            try:
                mapping = dict(mapping)
            except (TypeError, ValueError):
                raise ProgrammingError(
                    "set_many takes a mapping or an iterable of (key, value) pairs, "
                    f"not {type(mapping).__name__}"
                ) from None
        pairs = [(self._key(k, write=True), v) for k, v in mapping.items()]

        def run(txn):
            expires = self._expiry(ttl)
            for key, value in pairs:
                self._put(txn, key, value, expires)
            enforce(self.table, txn, {k for k, _ in pairs})

        self._run(run, write=True)

    def delete(self, key: Any) -> bool:
        """Remove ``key``; True when it was there."""
        key = self._key(key)

        def run(txn):
            if self._live(txn, key) is None:
                return False
            self.table.delete(txn, key)
            return True

        return self._run(run, write=True)

    def expire(self, key: Any, seconds: float) -> bool:
        """Give ``key`` a TTL of ``seconds``; False when it is absent."""
        return self._retime(self._key(key), self._expiry(seconds))

    def persist(self, key: Any) -> bool:
        """Remove ``key``'s TTL; False when it is absent."""
        return self._retime(self._key(key), None)

    def _retime(self, key: Any, expires: Any) -> bool:
        def run(txn):
            row = self._live(txn, key)
            if row is None:
                return False
            self.table.update(txn, key, row[:-1] + (expires,))
            return True

        return self._run(run, write=True)

    def incr(self, key: Any, n: int | float = 1) -> Any:
        """Add ``n`` to the number at ``key`` (absent counts as 0); keeps its TTL."""
        if len(self._value_pos) != 1:
            raise ProgrammingError(f"incr needs a single value column; {self.name} has several")
        key = self._key(key, write=True)
        if (
            isinstance(n, bool)
            or not isinstance(n, (int, float))
            or (type(n) is float and not math.isfinite(n))
        ):
            raise DataError(f"incr takes a finite number, not {n!r}")

        def run(txn):
            row = self._live(txn, key)
            if row is None:
                value, expires = n, self._expiry(None)
            else:
                old = self._value(row)
                if old is None or isinstance(old, bool) or not isinstance(old, (int, float)):
                    raise DataError(f"value at {key!r} is not a number: {old!r}")
                value, expires = old + n, row[-1]
            self._put(txn, key, value, expires)
            enforce(self.table, txn, {key})
            return value

        return self._run(run, write=True)

    # ------------------------------------------------------------ statistics
    def stats(self) -> dict:
        """Hits, misses, hit rate, evictions, expirations, rows, memory bytes, bounds."""
        return self.cache.stats()

    def reset_stats(self) -> None:
        """Zero the hit, miss, eviction and expiration counters."""
        self.cache.reset_stats()

    def __repr__(self) -> str:
        return f"<memtables cache {self.name} ({self.cache.policy})>"


P = ParamSpec("P")
R = TypeVar("R")


def cached(
    conn, table: str = "memtables_cache", ttl: float | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache-aside in one line: ``@memtables.cached(conn, ttl=60)`` above a slow function.

    The key is the function's qualified name and its arguments as JSON; results must be
    JSON-serialisable (tuples come back as lists). The cache table (``key TEXT PRIMARY KEY,
    value TEXT``) is created when it does not exist.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            kv = _cache_table(conn, table)
            key = name + ":" + json.dumps([args, kwargs], sort_keys=True, default=repr)
            hit = kv.get(key, _MISSING)
            if hit is not _MISSING:
                return json.loads(hit)  # type: ignore[no-any-return]  # R, as JSON keeps it
            result = fn(*args, **kwargs)
            try:
                text = json.dumps(result)
            except TypeError as e:
                raise DataError(f"cannot cache the result of {name}: {e}") from None
            kv.set(key, text, ttl=ttl)
            return result

        return wrapper

    return decorate


def _cache_table(conn, table: str) -> KeyValue:
    if table.lower() not in conn.database.engine.catalog.tables:
        standalone = not conn.in_transaction
        from .sql.render import name as quote

        conn.execute(
            f"CREATE CACHE TABLE IF NOT EXISTS {quote(table)} (key TEXT PRIMARY KEY, value TEXT)"
        )
        if standalone:
            conn.commit()
    return conn.cache(table)
