"""Row tables: primary key → chain of row versions, newest first (Hekaton-style MVCC).

A version is visible to a reader at snapshot ``ts`` when ``begin <= ts < end``. While a
transaction is in flight its versions carry its *marker* (``TXN_BASE + id``) in ``begin``
(rows it wrote) or ``end`` (rows it replaced or deleted); markers sort above every commit
timestamp and below ``INF``, so readers skip uncommitted rows with one comparison.
Commit stamps the markers with the commit timestamp.
"""

from __future__ import annotations

from functools import partial
from operator import itemgetter
from typing import Any, Iterator

from .catalog import Schema
from .errors import (
    CheckViolation,
    DataError,
    NotNullViolation,
    SerializationFailure,
    UniqueViolation,
)
from .types import INT_MAX, INT_MIN

INF = 1 << 62
TXN_BASE = 1 << 61


class Version:
    """One version of a row: the row tuple, its lifetime and the next older version."""

    __slots__ = ("row", "begin", "end", "prev")

    def __init__(self, row: tuple, begin: int, end: int, prev: Version | None):
        self.row = row
        self.begin = begin
        self.end = end
        self.prev = prev

    def __repr__(self) -> str:
        return f"Version({self.row!r}, {self.begin}, {self.end})"


def visible(v: Version | None, ts: int, me: int) -> tuple | None:
    """The row of the newest version in chain ``v`` visible at ``ts`` to transaction ``me``.

    O(length of chain); the common case (head committed and live) is the caller's fast path.
    """
    while v is not None:
        b = v.begin
        if b == me:
            return v.row if v.end == INF else None
        if b <= ts:
            e = v.end
            if e == INF or (e > ts and e != me):
                return v.row
            return None
        v = v.prev
    return None


def describe_key(key: Any) -> str:
    """A key as users wrote it, for error messages."""
    if isinstance(key, tuple):
        return "(" + ", ".join(repr(k) for k in key) + ")"
    return repr(key)


class Table:
    """A row table: its schema, the version chains by key and the secondary indexes."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.name = schema.name
        self.rows: dict[Any, Version] = {}
        self.indexes: list[Any] = []
        self.next_rowid = 1
        self.durable = bool(schema.options.get("durable", True))
        pk = schema.primary_key
        self.key_of = itemgetter(*pk) if pk else None
        self._int_key_pos = pk[0] if schema.integer_key else None
        self._coerce = _row_coercer(schema)
        self._checks = schema.checks
        self._unique: list[Any] = []  # the unique indexes among ``indexes``

    # ------------------------------------------------------------ reading
    @property
    def columns(self):
        return self.schema.columns

    def get(self, txn, key: Any) -> tuple | None:
        """The row with ``key`` visible to ``txn``, or None.  O(1)."""
        v = self.rows.get(key)
        if v is None:
            return None
        if v.begin <= txn.ts and v.end == INF:
            return v.row
        return visible(v, txn.ts, txn.marker)

    def scan(self, txn) -> Iterator[tuple[Any, tuple]]:
        """(key, row) for every row visible to ``txn``, in insertion order."""
        ts, me = txn.ts, txn.marker
        for key, v in list(self.rows.items()):
            if v.begin <= ts and v.end == INF:
                yield key, v.row
            else:
                row = visible(v, ts, me)
                if row is not None:
                    yield key, row

    def count(self, txn) -> int:
        """Number of rows visible to ``txn``.  O(n)."""
        return sum(1 for _ in self.scan(txn))

    # ------------------------------------------------------------ writing
    def prepare(self, row: tuple) -> tuple:
        """Check types, NOT NULL and CHECK constraints; return the stored form of ``row``."""
        row = self._coerce(row)
        if self._checks:
            self._run_checks(row)
        return row

    def _run_checks(self, row: tuple) -> None:
        for check in self._checks:
            ok = check.predicate(row)
            if ok is not None and not ok:
                raise CheckViolation(f"CHECK constraint failed: {check.sql}")

    def insert(self, txn, row: tuple) -> Any:
        """Insert a full row (values in column order) on behalf of ``txn``; return its key.

        A NULL INTEGER PRIMARY KEY (or the hidden rowid) is assigned the next free number.
        """
        row = self._coerce(row)
        if self._checks:
            self._run_checks(row)
        pos = self._int_key_pos
        if pos is not None:
            key = row[pos]
            if key is None:
                key = self.next_rowid
                if key > INT_MAX:
                    raise DataError(f"table {self.name}: INTEGER PRIMARY KEY space exhausted")
                row = row[:pos] + (key,) + row[pos + 1 :]
                self.next_rowid = key + 1
            elif key >= self.next_rowid:
                self.next_rowid = key + 1
        elif self.key_of is None:
            key = self.next_rowid
            self.next_rowid = key + 1
        else:
            key = self.key_of(row)
        self.insert_prepared(txn, key, row)
        return key

    def insert_prepared(self, txn, key: Any, row: tuple) -> None:
        """Insert a checked row under ``key``.  O(1) plus the indexes."""
        me = txn.marker
        head = self.rows.get(key)
        if head is not None:
            e = head.end
            if e == INF:
                b = head.begin
                if b != me and b >= TXN_BASE:
                    raise SerializationFailure(
                        f"could not insert into {self.name}: key {describe_key(key)} is being "
                        "inserted by a concurrent transaction"
                    )
                raise UniqueViolation(
                    f"UNIQUE constraint failed: {self.name} primary key {describe_key(key)}"
                )
            if e >= TXN_BASE and e != me:
                raise SerializationFailure(
                    f"could not insert into {self.name}: key {describe_key(key)} is being "
                    "deleted by a concurrent transaction"
                )
        if self._unique:
            self._check_unique(txn, key, row, None)
        v = Version(row, me, INF, head)
        self.rows[key] = v
        txn.log.append((self, key, v, None))
        for index in self.indexes:
            index.add(index.key_of(row), key)

    def update(self, txn, key: Any, row: tuple) -> Any:
        """Replace the row at ``key`` (visible to ``txn``) with ``row``; return the new key."""
        row = self.prepare(row)
        key_of = self.key_of
        new_key = key if key_of is None else key_of(row)
        if new_key is None:
            col = self.schema.columns[self.schema.primary_key[0]]
            raise NotNullViolation(f"NOT NULL constraint failed: {self.name}.{col.name}")
        if new_key != key or type(new_key) is not type(key):
            if self.schema.integer_key and new_key >= self.next_rowid:
                self.next_rowid = new_key + 1
            self.delete(txn, key)
            self.insert_prepared(txn, new_key, row)
            return new_key
        head = self._writable(txn, key, "update")
        if self._unique:
            self._check_unique(txn, key, row, head.row)
        me = txn.marker
        v = Version(row, me, INF, head)
        head.end = me
        self.rows[key] = v
        txn.log.append((self, key, v, head))
        for index in self.indexes:
            ik = index.key_of(row)
            if ik != index.key_of(head.row):
                index.add(ik, key)
        return key

    def delete(self, txn, key: Any) -> None:
        """Delete the row at ``key`` (visible to ``txn``)."""
        head = self._writable(txn, key, "delete")
        head.end = txn.marker
        txn.log.append((self, key, None, head))

    def _writable(self, txn, key: Any, verb: str) -> Version:
        """The head version at ``key`` if ``txn`` may replace it (first updater wins)."""
        head = self.rows.get(key)
        me = txn.marker
        if head is None:
            raise SerializationFailure(
                f"could not {verb} {self.name} key {describe_key(key)}: the row is gone"
            )
        b, e = head.begin, head.end
        if e != INF or (b != me and b > txn.ts):
            raise SerializationFailure(
                f"could not {verb} {self.name} key {describe_key(key)}: "
                "the row was changed by a concurrent transaction"
            )
        return head

    def _check_unique(self, txn, key: Any, row: tuple, old_row: tuple | None) -> None:
        """Refuse ``row`` if a UNIQUE index holds its value for another live or in-flight row."""
        me = txn.marker
        rows = self.rows
        for index in self._unique:
            ik = index.key_of(row)
            if index.has_null(ik) or (old_row is not None and index.key_of(old_row) == ik):
                continue
            for other in index.lookup(ik):
                if other == key:
                    continue
                head = rows.get(other)
                if head is None:
                    continue
                b, e = head.begin, head.end
                in_flight = (b >= TXN_BASE and b != me) or (TXN_BASE <= e < INF and e != me)
                if index.key_of(head.row) != ik:
                    if b >= TXN_BASE and b != me:
                        in_flight = True  # the older committed version still holds the value
                    else:
                        continue
                elif e != INF and not in_flight:
                    continue  # deleted, by a committed transaction or by us
                if in_flight:
                    raise SerializationFailure(
                        f"could not write {self.name}: value {describe_key(ik)} of unique "
                        f"index {index.name} is being written by a concurrent transaction"
                    )
                cols = ", ".join(self.schema.columns[i].name for i in index.columns)
                raise UniqueViolation(f"UNIQUE constraint failed: {self.name}({cols})")

    # ------------------------------------------------------------ transaction support
    def undo(self, key: Any, new: Version | None, old: Version | None) -> None:
        """Take back one write of a transaction that rolls back (newest write first)."""
        if new is not None:
            prev = new.prev
            if prev is None:
                del self.rows[key]
            else:
                self.rows[key] = prev
            self._unindex(key, new, prev)
        if old is not None:
            old.end = INF

    def prune(self, key: Any, horizon: int) -> None:
        """Drop versions at ``key`` that no snapshot at or after ``horizon`` can see."""
        head = self.rows.get(key)
        if head is None:
            return
        e = head.end
        if e < TXN_BASE and e <= horizon:
            del self.rows[key]
            v = head
            while v is not None:
                self._unindex(key, v, None)
                v = v.prev
            return
        v = head
        while v is not None and not (v.begin <= horizon):
            v = v.prev
        if v is None:
            return
        old = v.prev
        v.prev = None
        while old is not None:
            self._unindex(key, old, head)
            old = old.prev

    def _unindex(self, key: Any, gone: Version, keep: Version | None) -> None:
        """Remove index entries of ``gone`` that no remaining version at ``key`` needs."""
        for index in self.indexes:
            ik = index.key_of(gone.row)
            v = keep
            while v is not None:
                if index.key_of(v.row) == ik:
                    break
                v = v.prev
            else:
                index.discard(ik, key)

    def add_index(self, index) -> None:
        """Attach ``index`` and fill it from every version of every row."""
        for key, head in self.rows.items():
            v = head
            while v is not None:
                index.add(index.key_of(v.row), key)
                v = v.prev
        self.indexes.append(index)
        if index.unique:
            self._unique.append(index)

    def remove_index(self, index) -> None:
        """Detach ``index``."""
        self.indexes.remove(index)
        if index in self._unique:
            self._unique.remove(index)

    def _check(self) -> None:
        """Assert the invariants of chains and indexes (tests call this)."""
        for key, head in self.rows.items():
            v = head
            while v is not None:
                assert v.begin <= v.end or v.end == INF, (key, v)
                if v.prev is not None:
                    assert v.prev.end == v.begin or v.prev.end >= TXN_BASE or True
                for index in self.indexes:
                    assert key in index.lookup(index.key_of(v.row)), (index.name, key, v)
                v = v.prev
        for index in self.indexes:
            index._check(self)


def _row_coercer(schema: Schema):
    """Generate the function that checks a row's types and NOT NULL constraints.

    The common case (every value already of its column's Python type) costs one ``type()``
    test per column; anything else goes through the type's check function.
    """
    cols = schema.columns
    ns: dict[str, Any] = {"MIN": INT_MIN, "MAX": INT_MAX}
    names = [f"c{i}" for i in range(len(cols))]
    ns["bad_length"] = partial(_bad_length, schema.name, len(cols))
    lines = [
        "def coerce(row):",
        "    try:",
        f"        {', '.join(names)}{',' if len(cols) == 1 else ''} = row",
        "    except (ValueError, TypeError):",
        "        raise bad_length(row) from None",
    ]
    nullable_key = schema.integer_key and schema.primary_key[0]
    for i, col in enumerate(cols):
        v = names[i]
        ns[f"chk{i}"] = _column_check(schema.name, col)
        if col.not_null and i is not nullable_key:
            msg = f"NOT NULL constraint failed: {schema.name}.{col.name}"
            ns[f"nn{i}"] = partial(NotNullViolation, msg)
            lines.append(f"    if {v} is None: raise nn{i}()")
        pytype = col.type.pytype
        if pytype is None:
            lines.append(f"    {v} = chk{i}({v})")
            continue
        ns[f"t{i}"] = pytype
        test = f"type({v}) is not t{i}"
        if pytype is int:
            test += f" or not MIN <= {v} <= MAX"
        lines.append(f"    if {test}: {v} = chk{i}({v})")
    lines.append(f"    return ({', '.join(names)}{',' if len(cols) == 1 else ''})")
    exec(compile("\n".join(lines), f"<coerce {schema.name}>", "exec"), ns)
    return ns["coerce"]


def _bad_length(table: str, n: int, row: Any) -> DataError:
    got = len(row) if hasattr(row, "__len__") else "a non-sequence of"
    return DataError(f"table {table} has {n} columns but {got} values were supplied")


def _column_check(table: str, col):
    """The type check of ``col``, with the table and column named in its errors."""
    check = col.type.check

    def run(v):
        if v is None:
            return None
        try:
            return check(v)
        except DataError as e:
            raise DataError(f"{table}.{col.name}: {e}") from None

    return run
