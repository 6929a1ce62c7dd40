"""``Row``: a result row reachable by position and by column name, like ``sqlite3.Row``.

>>> import memtables
>>> conn = memtables.connect()
>>> conn.row_factory = memtables.Row
>>> row = conn.execute("SELECT 1 AS id, 'ada' AS name").fetchone()
>>> row["name"], row[0], row.keys()
('ada', 1, ['id', 'name'])
"""

from __future__ import annotations

from typing import Any, Iterator


class Row:
    """One row, made by a cursor whose ``row_factory`` is ``Row`` (or ``sqlite3.Row``).

    Indexing by integer or slice gives values; by string, the value of the first column of
    that name, compared case-insensitively for ASCII letters (as sqlite3 does). Two rows
    are equal when their column names and values are.
    """

    __slots__ = ("_names", "_values")

    def __init__(self, cursor: Any, values: tuple):
        desc = cursor.description or ()
        self._names = tuple(d[0] for d in desc)
        self._values = tuple(values)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._names)

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, str):
            want = _fold(key)
            for i, name in enumerate(self._names):
                if _fold(name) == want:
                    return self._values[i]
            raise IndexError(f"no item with that key: {key!r}")
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return self._names == other._names and self._values == other._values

    def __hash__(self) -> int:
        return hash((self._names, self._values))

    def __repr__(self) -> str:
        pairs = ", ".join(f"{n}={v!r}" for n, v in zip(self._names, self._values))
        return f"<memtables.Row {pairs}>"


def _fold(name: str) -> str:
    """ASCII-only case folding, as sqlite3 matches column names."""
    return name.translate(_UPPER_TO_LOWER)


_UPPER_TO_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
