"""Snapshots: every durable table at one MVCC timestamp, as Arrow IPC files plus a manifest.

A snapshot is a directory ``snap-<timestamp>-<log segment>`` holding ``manifest.json`` and one
``table-<n>.arrow`` per table. It is written under a temporary name, each file is fsynced,
and the directory is renamed into place and the parent fsynced: a ``snap-*`` directory is
always complete. The Arrow files open with plain pyarrow, polars or DuckDB.

Column types map as: INTEGER int64, REAL float64, TEXT string, BOOLEAN bool, BLOB binary,
DATE date32, TIMESTAMP timestamp[us]; an ANY column is a string of the redo log's JSON
encoding of each value; a table without a primary key gets a last int64 column holding its
hidden rowid, called ``__rowid__`` unless a column of the table has that name (then it gets
more underscores; the schema's ``memtables.rowid`` metadata names it). Columns are read back by
position, so no column name can be mistaken for another.

The manifest lists tables as their CREATE TABLE text, indexes as CREATE INDEX text, and views
as records (name, query text, column names): a view is stored as defined, without binding it
again, so a view whose table was dropped (it fails when used, as in SQLite) or a view over a
view created later restores as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import DatabaseError, DataError, OperationalError
from .wal import decode_json, encode_value, fsync_path

if TYPE_CHECKING:
    import pyarrow as pa

FORMAT = 2  # 2: views as records, rowid field named in the schema's metadata
ROWID = "__rowid__"


# pyarrow (a third of a process's start) is imported by the functions that read or write
# table files, not here: opening a database whose redo log holds everything never needs it.


def snapshot_types() -> dict:
    """Arrow type by column type name; ANY is a string of the redo log's JSON of each value."""
    import pyarrow as pa

    from .arrow import ARROW_TYPES

    return {**ARROW_TYPES, "ANY": pa.string()}


def rowid_field(table) -> str:
    """The name of the hidden rowid's field: ``__rowid__``, padded until no column has it."""
    taken = {c.name.lower() for c in table.columns}
    field = ROWID
    while field.lower() in taken:
        field = f"_{field}_"
    return field


def arrow_schema(table) -> pa.Schema:
    """The Arrow schema of a table's snapshot file."""
    import pyarrow as pa

    types = snapshot_types()
    fields = [pa.field(c.name, types[c.type.name], nullable=not c.not_null) for c in table.columns]
    metadata = {"memtables.table": table.name}
    if table.schema.has_rowid:
        metadata["memtables.rowid"] = rowid_field(table)
        fields.append(pa.field(metadata["memtables.rowid"], pa.int64(), nullable=False))
    return pa.schema(fields, metadata=metadata)


def rows_to_arrow(table, keyed_rows: list[tuple[Any, tuple]]) -> pa.Table:
    """(key, row) pairs as an Arrow table with the snapshot's column types."""
    import pyarrow as pa

    schema = arrow_schema(table)
    cols = table.columns
    n = len(cols)
    if keyed_rows:
        data = list(zip(*(r for _k, r in keyed_rows)))
    else:
        data = [()] * n
    arrays = []
    for i, c in enumerate(cols):
        values = data[i]
        if c.type.name == "ANY":
            values = [None if v is None else json.dumps(encode_value(v)) for v in values]
        arrays.append(pa.array(values, type=schema.field(i).type))
    if table.schema.has_rowid:
        arrays.append(pa.array([k for k, _r in keyed_rows], type=pa.int64()))
    return pa.Table.from_arrays(arrays, schema=schema)


def check_layout(table, data: pa.Table, path: Path) -> None:
    """Refuse a table file whose fields are not the ones ``table`` needs, in its order."""
    expected = arrow_schema(table)
    if not data.schema.remove_metadata().equals(expected.remove_metadata()):
        raise DatabaseError(
            f"{path}: snapshot table file does not match table {table.name}: "
            f"expected fields {expected.names}, found {data.schema.names}"
        )


def arrow_to_rows(table, data: pa.Table) -> tuple[list, list]:
    """Keys and row tuples of a snapshot file, in column order (fields are read by position)."""
    cols = table.columns
    columns = []
    for i, c in enumerate(cols):
        values = data.column(i).to_pylist()
        if c.type.name == "ANY":
            values = [None if v is None else decode_json(v) for v in values]
        elif c.type.name == "REAL":  # NaN is NULL (files written before that was the rule)
            values = [None if v != v else v for v in values]
        columns.append(values)
    rows = list(zip(*columns)) if columns else []
    if table.schema.has_rowid:
        keys = data.column(len(cols)).to_pylist()
    else:
        key_of = table.key_of
        keys = [key_of(r) for r in rows]
    return keys, rows


def write_snapshot(
    root: Path,
    ts: int,
    wal_segment: int,
    tables: list,
    indexes: list,
    views: list,
    read: Callable[[Any], list],
    triggers: list = (),
) -> tuple[Path, int]:
    """Write a snapshot at timestamp ``ts``; return its directory and size in bytes.

    ``tables`` are (table, create_sql, next_rowid); ``views`` are dicts (name, sql, columns);
    ``triggers`` are CREATE TRIGGER texts, restored after everything else (a manifest without
    them, from before triggers existed, has none);
    ``read(table)`` gives a table's (key, row) pairs at ``ts``. Everything written is read back
    and checked before the snapshot is published, since publishing lets the log it covers go.
    """
    # The log segment is in the name: a checkpoint with no commit since the last one has the
    # same timestamp, and must not replace a published snapshot in place.
    final = root / f"snap-{ts:020d}-{wal_segment:08d}"
    tmp = root / f"tmp-{ts:020d}-{wal_segment:08d}-{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
    except OSError as e:
        raise OperationalError(f"{root}: cannot write a snapshot: {e}") from e
    try:
        size, manifest, written = _write_files(
            tmp, ts, wal_segment, tables, indexes, views, read, triggers
        )
        _verify(tmp, manifest, written)
        fsync_path(tmp)
        os.rename(tmp, final)
        fsync_path(root)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OperationalError(f"{tmp}: cannot write a snapshot: {e}") from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, size


def _write_files(tmp: Path, ts, wal_segment, tables, indexes, views, read, triggers) -> tuple:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    manifest = {
        "format": FORMAT,
        "timestamp": ts,
        "wal_segment": wal_segment,
        "created": time.time(),
        "tables": [],
        "indexes": indexes,
        "views": views,
        "triggers": list(triggers),
    }
    size = 0
    written = []  # (table, file path, schema, rows) to check once all is written
    for n, (table, sql, next_rowid) in enumerate(tables):
        entry = {"name": table.name, "sql": sql, "next_rowid": next_rowid, "file": None}
        if table.durable:
            fname = f"table-{n}.arrow"
            data = _table_data(table, read(table))
            path = tmp / fname
            with pa.OSFile(str(path), "wb") as sink:
                with ipc.new_file(sink, data.schema) as writer:
                    writer.write_table(data)
            fsync_path(path)
            size += path.stat().st_size
            entry.update(file=fname, rows=data.num_rows)
            written.append((table, path, data.num_rows))
        manifest["tables"].append(entry)
    mpath = tmp / "manifest.json"
    mpath.write_text(json.dumps(manifest, indent=1))
    fsync_path(mpath)
    size += mpath.stat().st_size
    return size, manifest, written


def _table_data(table, keyed_rows: list) -> pa.Table:
    import pyarrow as pa

    try:
        return rows_to_arrow(table, keyed_rows)
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as e:
        raise DataError(f"cannot write table {table.name} to a snapshot: {e}") from e


def _verify(tmp: Path, manifest: dict, written: list) -> None:
    """Read back what a checkpoint wrote: the manifest, and every file's fields and row count."""
    mpath = tmp / "manifest.json"
    if read_manifest(mpath) != json.loads(json.dumps(manifest)):
        raise DatabaseError(f"{mpath}: the manifest read back differs from the one written")
    for table, path, rows in written:
        data = read_table_file(path)
        check_layout(table, data, path)
        if data.num_rows != rows:
            raise DatabaseError(f"{path}: {data.num_rows} rows read back, {rows} written")


def read_manifest(mpath: Path) -> dict:
    """A snapshot's manifest, checked for the entries recovery needs."""
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, ValueError) as e:
        raise DatabaseError(f"{mpath}: unreadable snapshot manifest: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise DatabaseError(f"{mpath}: snapshot format {found} unsupported")
    for key, kind in _MANIFEST_KEYS.items():
        if not isinstance(manifest.get(key), kind):
            raise DatabaseError(f"{mpath}: snapshot manifest lacks a valid {key!r}")
    if not isinstance(manifest.get("triggers", []), list):
        raise DatabaseError(f"{mpath}: snapshot manifest lacks a valid 'triggers'")
    return manifest


_MANIFEST_KEYS = {
    "timestamp": int,
    "wal_segment": int,
    "tables": list,
    "indexes": list,
    "views": list,
}


def latest_snapshot(root: Path) -> tuple[Path, dict] | None:
    """The newest complete snapshot and its manifest, or None."""
    if not root.exists():
        return None
    for path in sorted(root.glob("snap-*"), reverse=True):
        return path, read_manifest(path / "manifest.json")
    return None


def read_table_file(path: Path) -> pa.Table:
    """One table file of a snapshot."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        with pa.memory_map(str(path), "r") as source:
            return ipc.open_file(source).read_all()
    except (OSError, pa.ArrowException) as e:
        raise DatabaseError(f"{path}: unreadable snapshot table file: {e}") from None


def drop_older(root: Path, keep: Path) -> None:
    """Remove snapshots older than ``keep`` and leftovers of interrupted checkpoints."""
    for path in root.glob("snap-*"):
        if path.name < keep.name:
            shutil.rmtree(path, ignore_errors=True)
    for path in root.glob("tmp-*"):
        shutil.rmtree(path, ignore_errors=True)
