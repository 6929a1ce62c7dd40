"""Rows ↔ Arrow: the type mapping and column-wise conversions used by exports, imports,
COPY and snapshots.

memtables → Arrow: INTEGER int64, REAL float64, TEXT string, BOOLEAN bool, BLOB binary,
DATE date32, TIMESTAMP timestamp[us]; a column whose type is not known before running (an
expression over mixed types, an ANY column) is inferred from its values, or becomes string
when they do not agree. NULLs stay nulls.

Arrow → memtables: every integer type (uint64 checked to fit in 64 bits) INTEGER, floating
types REAL, string types TEXT, bool BOOLEAN, binary types BLOB, date32/date64 DATE,
timestamps of any unit TIMESTAMP (with a time zone: converted to UTC, then naive),
dictionary-encoded columns by their value type, a column of nulls TEXT. Decimal, time,
duration, list, struct, map and union columns are refused with NotSupportedError.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Iterable, Sequence

import pyarrow as pa

from .errors import DataError, NotSupportedError, ProgrammingError
from .gcpause import gc_paused
from .types import BLOB, BOOLEAN, DATE, INTEGER, REAL, TEXT, TIMESTAMP, SqlType, naive_utc

ARROW_TYPES = {
    "INTEGER": pa.int64(),
    "REAL": pa.float64(),
    "TEXT": pa.string(),
    "BOOLEAN": pa.bool_(),
    "BLOB": pa.binary(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}


def arrow_type(sql_type: SqlType | None) -> pa.DataType | None:
    """The Arrow type a column of ``sql_type`` exports as (None: inferred from values)."""
    if sql_type is None:
        return None
    return ARROW_TYPES.get(sql_type.name)


def column_array(values: Sequence, sql_type: SqlType | None) -> pa.Array:
    """One column of values as an Arrow array of its type."""
    t = arrow_type(sql_type)
    if t is not None:
        if t == pa.bool_() and any(type(v) is int for v in values):
            values = [None if v is None else bool(v) for v in values]
        try:
            return pa.array(values, type=t)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as e:
            # stored values always fit their type; this guards values computed by a query
            raise DataError(f"cannot export a value as Arrow {t}: {e}") from None
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        from .wal import encode_value

        return pa.array(
            [None if v is None else _text(encode_value(v)) for v in values], type=pa.string()
        )


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    import json

    return json.dumps(v)


def rows_to_table(names: Sequence[str], types: Sequence, rows: Sequence[tuple]) -> pa.Table:
    """Row tuples as an Arrow table: one transposition, then one array per column."""
    # one list per column through itemgetter: zip(*rows) builds huge tuples that the
    # cyclic collector then scans, seven times slower on 100,000 rows
    arrays = [column_array(list(map(itemgetter(i), rows)), t) for i, t in enumerate(types)]
    return pa.Table.from_arrays(arrays, names=list(names))


def rows_to_batches(names, types, rows: Sequence[tuple], size: int) -> pa.RecordBatchReader:
    """Row tuples as a stream of record batches of at most ``size`` rows.

    Columns are typed from all the rows at once: a column whose values disagree (an ANY
    column, mixed VALUES) gets one type for the whole stream, never one per batch.
    """
    _check_batch_size(size)
    table = rows_to_table(names, types, rows)
    size = min(size, max(len(rows), 1))  # Arrow takes a C long: 10**20 rows means "all"
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=size))


def batch_stream(names, types, batches, size: int) -> pa.RecordBatchReader | None:
    """A stream of record batches made as it is read: ``batches(size)`` gives lists of at
    most ``size`` row tuples. None when a column's Arrow type would come from its values
    (no declared type): one batch cannot fix it for the whole stream."""
    _check_batch_size(size)
    arrow_types = [arrow_type(t) for t in types]
    if any(t is None for t in arrow_types):
        return None
    schema = pa.schema([pa.field(n, t) for n, t in zip(names, arrow_types)])

    def made():
        for rows in batches(size):
            arrays = [column_array(list(map(itemgetter(i), rows)), t) for i, t in enumerate(types)]
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, made())


def _check_batch_size(size) -> None:
    if isinstance(size, bool) or not isinstance(size, int):
        raise ProgrammingError(f"rows_per_batch must be an integer, not {type(size).__name__}")
    if size <= 0:
        raise ProgrammingError("rows_per_batch must be positive")


# ---------------------------------------------------------------- Arrow → memtables
def sql_type(t: pa.DataType, column: str = "") -> SqlType:
    """The memtables type of an Arrow type (NotSupportedError when there is none)."""
    if pa.types.is_dictionary(t):
        return sql_type(t.value_type, column)
    if pa.types.is_integer(t):
        return INTEGER
    if pa.types.is_floating(t):
        return REAL
    if pa.types.is_string(t) or pa.types.is_large_string(t) or _is_view(t, "string"):
        return TEXT
    if pa.types.is_boolean(t):
        return BOOLEAN
    if (
        pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_fixed_size_binary(t)
        or (_is_view(t, "binary"))
    ):
        return BLOB
    if pa.types.is_date(t):
        return DATE
    if pa.types.is_timestamp(t):
        return TIMESTAMP
    if pa.types.is_null(t):
        return TEXT
    where = f" (column {column!r})" if column else ""
    raise NotSupportedError(f"Arrow type {t}{where} has no memtables type")


def _is_view(t: pa.DataType, kind: str) -> bool:
    fn = getattr(pa.types, f"is_{kind}_view", None)
    return bool(fn and fn(t))


def to_reader(data: Any) -> pa.RecordBatchReader:
    """Any Arrow tabular object as a RecordBatchReader (pyarrow Table or RecordBatch,
    a reader, or anything with ``__arrow_c_stream__``, such as a polars DataFrame)."""
    if isinstance(data, pa.RecordBatchReader):
        return data
    if isinstance(data, pa.Table):
        return pa.RecordBatchReader.from_batches(data.schema, data.to_batches())
    if isinstance(data, pa.RecordBatch):
        return pa.RecordBatchReader.from_batches(data.schema, [data])
    if hasattr(data, "__arrow_c_stream__"):
        try:  # the exporter converts here: a pandas object column of mixed values fails
            return pa.RecordBatchReader.from_stream(data)
        except (pa.ArrowException, TypeError, ValueError) as e:
            raise DataError(
                f"cannot read Arrow data from {type(data).__name__}: {_first_line(e)}"
            ) from None
    raise NotSupportedError(
        f"cannot read Arrow data from {type(data).__name__}: pass a pyarrow Table, "
        "RecordBatchReader, or an object with __arrow_c_stream__"
    )


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def batch_rows(batch: pa.RecordBatch, positions: Sequence[int] | None = None) -> Iterable[tuple]:
    """The rows of a record batch as Python tuples, column by column."""
    cols = []
    for i in range(batch.num_columns) if positions is None else positions:
        col = batch.column(i)
        t = col.type
        if pa.types.is_dictionary(t):
            col = col.dictionary_decode()
            t = col.type
        values = col.to_pylist()
        if pa.types.is_timestamp(t) and t.tz is not None:
            values = [None if v is None else naive_utc(v) for v in values]
        elif pa.types.is_integer(t) and t.bit_width == 64 and not pa.types.is_signed_integer(t):
            if any(v is not None and v >= 1 << 63 for v in values):
                raise DataError(f"column {batch.schema.names[i]!r}: uint64 value out of range")
        cols.append(values)
    return zip(*cols)


__all__ = [
    "ARROW_TYPES",
    "arrow_type",
    "column_array",
    "rows_to_table",
    "rows_to_batches",
    "sql_type",
    "to_reader",
    "batch_rows",
]


def load(table, txn, reader: pa.RecordBatchReader, insert=None) -> int:
    """Insert every row of ``reader`` into ``table`` within ``txn``; return the row count.

    ``insert(txn, row)`` replaces ``table.insert`` (the query layer's, which fires the
    table's triggers); a row it returns None for was skipped and is not counted.

    Arrow columns are matched to the table's by name; the table's other columns take their
    defaults. Values are checked like any insert, so a value that does not fit raises and
    the caller rolls the whole load back.
    """
    columns = table.columns
    positions = []
    for name in reader.schema.names:
        col = table.schema.column(name)
        if col is None or col.hidden:
            raise ProgrammingError(f"table {table.name} has no column named {name!r}")
        positions.append(col.position)
    if len(set(positions)) != len(positions):
        raise ProgrammingError("the Arrow data names a column more than once")
    for f in reader.schema:
        sql_type(f.type, f.name)  # refuse unsupported types before inserting anything
    fill = []
    for c in columns:
        if c.position in positions:
            continue
        if c.hidden and table.cache is not None and table.cache.default_ttl is not None:
            cache = table.cache
            fill.append((c.position, lambda cache=cache: cache.clock() + cache.default_ttl))
        elif c.default is not None:
            fill.append((c.position, c.default))
        else:
            fill.append((c.position, None))
    width = len(columns)
    insert = insert or table.insert
    n = 0
    simple = positions == list(range(width)) and not fill
    with gc_paused():
        try:
            n = _insert_batches(reader, insert, txn, simple, positions, fill, width)
        except pa.ArrowException as e:  # a stream that fails while being read
            raise DataError(f"cannot read Arrow data: {_first_line(e)}") from None
    return n


def _insert_batches(reader, insert, txn, simple, positions, fill, width) -> int:
    n = 0
    for batch in reader:
        for values in batch_rows(batch):
            if simple:
                row = values
            else:
                full = [None] * width
                for p, v in zip(positions, values):
                    full[p] = v
                for p, f in fill:
                    if f is not None:
                        full[p] = f()
                row = tuple(full)
            if insert(txn, row) is not None:
                n += 1
    return n
