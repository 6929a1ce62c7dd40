"""Snapshots: every durable table at one MVCC timestamp, as Arrow IPC files plus a manifest.

A snapshot is a directory ``snap-<timestamp>`` holding ``manifest.json`` and one
``table-<n>.arrow`` per table. It is written under a temporary name, each file is fsynced,
and the directory is renamed into place and the parent fsynced: a ``snap-*`` directory is
always complete. The Arrow files open with plain pyarrow, polars or DuckDB.

Column types map as: INTEGER int64, REAL float64, TEXT string, BOOLEAN bool, BLOB binary,
DATE date32, TIMESTAMP timestamp[us]; an ANY column is a string of the redo log's JSON
encoding of each value; a table without a primary key gets a ``__rowid__`` int64 column.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.ipc as ipc

from .arrow import ARROW_TYPES
from .errors import DatabaseError
from .wal import _fsync_dir, encode_value

FORMAT = 1
ROWID = "__rowid__"

SNAPSHOT_TYPES = {**ARROW_TYPES, "ANY": pa.string()}  # ANY: the redo log's JSON of each value


def arrow_schema(table) -> pa.Schema:
    """The Arrow schema of a table's snapshot file."""
    fields = [
        pa.field(c.name, SNAPSHOT_TYPES[c.type.name], nullable=not c.not_null)
        for c in table.columns
    ]
    if table.schema.has_rowid:
        fields.append(pa.field(ROWID, pa.int64(), nullable=False))
    return pa.schema(fields, metadata={"memtables.table": table.name})


def rows_to_arrow(table, keyed_rows: list[tuple[Any, tuple]]) -> pa.Table:
    """(key, row) pairs as an Arrow table with the snapshot's column types."""
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


def arrow_to_rows(table, data: pa.Table) -> tuple[list, list]:
    """Keys and row tuples of a snapshot file, in column order."""
    from .wal import NON_FINITE, _decode_object

    cols = table.columns
    columns = []
    for c in cols:
        values = data.column(c.name).to_pylist()
        if c.type.name == "ANY":
            values = [
                None
                if v is None
                else json.loads(v, object_hook=_decode_object, parse_constant=NON_FINITE)
                for v in values
            ]
        elif c.type.name == "REAL":  # NaN is NULL (files written before that was the rule)
            values = [None if v != v else v for v in values]
        columns.append(values)
    rows = list(zip(*columns)) if columns else []
    if table.schema.has_rowid:
        keys = data.column(ROWID).to_pylist()
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
) -> tuple[Path, int]:
    """Write a snapshot at timestamp ``ts``; return its directory and size in bytes.

    ``tables`` are (table, create_sql, next_rowid); ``read(table)`` gives its (key, row)
    pairs at ``ts``.
    """
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"snap-{ts:020d}"
    tmp = root / f"tmp-{ts:020d}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    manifest = {
        "format": FORMAT,
        "timestamp": ts,
        "wal_segment": wal_segment,
        "created": time.time(),
        "tables": [],
        "indexes": indexes,
        "views": views,
    }
    size = 0
    for n, (table, sql, next_rowid) in enumerate(tables):
        entry = {"name": table.name, "sql": sql, "next_rowid": next_rowid, "file": None}
        if table.durable:
            fname = f"table-{n}.arrow"
            data = rows_to_arrow(table, read(table))
            path = tmp / fname
            with pa.OSFile(str(path), "wb") as sink:
                with ipc.new_file(sink, data.schema) as writer:
                    writer.write_table(data)
            _fsync_file(path)
            size += path.stat().st_size
            entry.update(file=fname, rows=data.num_rows)
        manifest["tables"].append(entry)
    mpath = tmp / "manifest.json"
    mpath.write_text(json.dumps(manifest, indent=1))
    _fsync_file(mpath)
    size += mpath.stat().st_size
    _fsync_dir(tmp)
    os.rename(tmp, final)
    _fsync_dir(root)
    return final, size


def latest_snapshot(root: Path) -> tuple[Path, dict] | None:
    """The newest complete snapshot and its manifest, or None."""
    if not root.exists():
        return None
    for path in sorted(root.glob("snap-*"), reverse=True):
        mpath = path / "manifest.json"
        try:
            manifest = json.loads(mpath.read_text())
        except (OSError, ValueError) as e:
            raise DatabaseError(f"{mpath}: unreadable snapshot manifest: {e}") from None
        if manifest.get("format") != FORMAT:
            raise DatabaseError(f"{mpath}: snapshot format {manifest.get('format')} unsupported")
        return path, manifest
    return None


def read_table_file(path: Path) -> pa.Table:
    """One table file of a snapshot."""
    try:
        with pa.memory_map(str(path), "r") as source:
            return ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid) as e:
        raise DatabaseError(f"{path}: unreadable snapshot table file: {e}") from None


def drop_older(root: Path, keep: Path) -> None:
    """Remove snapshots older than ``keep`` and leftovers of interrupted checkpoints."""
    for path in root.glob("snap-*"):
        if path.name < keep.name:
            shutil.rmtree(path, ignore_errors=True)
    for path in root.glob("tmp-*"):
        shutil.rmtree(path, ignore_errors=True)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
