"""Durable databases: a directory with a redo log, snapshots and an OS lock.

Layout of ``app.mtdb/``: ``LOCK`` (held with flock while open: it dies with the process, so
a crash needs no cleanup), ``wal/`` (redo log segments, see ``memtables.wal``) and
``snapshots/`` (see ``memtables.snapshot``). Opening recovers: the newest snapshot, then the
log after it. A checkpoint writes a snapshot while writers go on, then drops the log segments
it covers. This is part of the public face: it replays schema changes as SQL.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from . import wal as W
from .catalog import View
from .errors import DatabaseError, Error, OperationalError
from .filelock import try_lock, unlock
from .gcpause import gc_paused
from .readonly import READ_ONLY, RefusingLog, check_contiguous
from .snapshot import (
    arrow_to_rows,
    check_layout,
    drop_older,
    latest_snapshot,
    read_table_file,
    write_snapshot,
)

DEFAULT_CHECKPOINT_BYTES = 64 << 20
PROGRESS_STEP = 10_000  # rows between two calls of the progress callback
_log = logging.getLogger("memtables")


class Durability:
    """The durable side of one Database: lock, redo log, snapshots, recovery."""

    def __init__(
        self,
        db,
        path: str | os.PathLike,
        sync: str = "full",
        checkpoint_bytes: int | None = DEFAULT_CHECKPOINT_BYTES,
        on_corruption: str = "error",
        *,
        read_only: bool = False,
    ):
        if on_corruption not in ("error", "read_only"):
            raise OperationalError("on_corruption must be 'error' or 'read_only'")
        self.db = db
        self.engine = db.engine
        self.root = Path(path)
        self.on_corruption = on_corruption
        # opened with read_only=True: no lock, no new segment, nothing written (see recover)
        self.reader = read_only
        self.checkpoint_bytes = checkpoint_bytes
        # Lock order (ARCHITECTURE.md): a checkpoint holds this, then briefly the transaction
        # manager's lock; it never waits for a connection.
        self._checkpoint_lock = threading.Lock()
        self._auto = None
        self._closed = False
        self.stats = {
            "checkpoints": 0,
            "last_checkpoint_seconds": 0.0,
            "last_checkpoint_bytes": 0,
            "recovery_seconds": 0.0,
            "recovered_records": 0,
            "torn_records": 0,
            "checkpoint_failures": 0,
        }
        self._failures = 0  # automatic checkpoints failed in a row (they back off)
        self.checkpoint_error: str | None = None  # why the last automatic checkpoint failed
        self.wal = W.WriteAheadLog(self.root / "wal", sync, encode=self._encode)
        self.read_only: str | None = READ_ONLY if read_only else None
        self._lock_file = None
        if read_only:
            if not self.root.is_dir():
                raise OperationalError(f"unable to open database {self.root}: no such directory")
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "wal").mkdir(exist_ok=True)
        except OSError as e:
            raise OperationalError(f"cannot create database directory {self.root}: {e}") from None
        self._lock_file = open(self.root / "LOCK", "a+")
        if not try_lock(self._lock_file):
            self._lock_file.close()
            raise OperationalError(
                f"database {self.root} is in use by another process (its lock is held)"
            ) from None
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(f"{os.getpid()}\n")
        self._lock_file.flush()

    # ------------------------------------------------------------ recovery
    def recover(self) -> None:
        """Load the newest snapshot, replay the log after it, then start a new segment."""
        t0 = time.perf_counter()
        engine = self.engine
        start_segment = 0
        snap_ts = 0
        found = latest_snapshot(self.root / "snapshots")
        conn = self.db.connect(autocommit=True)
        try:
            with gc_paused():
                if found is not None:
                    path, manifest = found
                    snap_ts = manifest["timestamp"]
                    start_segment = manifest["wal_segment"]
                    _named(path / "manifest.json", self._load_snapshot, conn, path, manifest)
                paths = [
                    p
                    for p in W.segment_paths(self.root / "wal")
                    if W.segment_number(p) >= start_segment
                ]
                if self.reader:
                    check_contiguous(paths, start_segment if found is not None else None)
                read = W.read_segments(paths, stop_at_corruption=self.on_corruption == "read_only")
                for path, offset in read.torn:
                    self.stats["torn_records"] += 1
                    if self.reader:  # the writer may be appending it right now: not ours to cut
                        continue
                    _log.warning(
                        "%s: torn redo log record at %s offset %d (a write cut short by a crash): "
                        "dropped, it was never acknowledged",
                        self.root,
                        path.name,
                        offset,
                    )
                    if read.corrupt is None:
                        os.truncate(path, max(offset, len(W.HEADER)))
                if read.corrupt is not None:
                    path, offset, problem = read.corrupt
                    self.read_only = (
                        f"opened read-only: corrupt redo log record at {path} offset {offset} "
                        f"({problem}); later records were not applied"
                    )
                    _log.error("%s: %s", self.root, self.read_only)
                records = [r for r in read.records if r.commit_ts > snap_ts]
                _named(self.root / "wal", self._replay, conn, records)
                engine.txns.clock = max(
                    engine.txns.clock, snap_ts, max((r.commit_ts for r in records), default=0)
                )
        finally:
            conn.close()
        if self.read_only is None:
            last = max((W.segment_number(p) for p in W.segment_paths(self.root / "wal")), default=0)
            self.wal.open_segment(last + 1)
            engine.txns.commit_log = self.wal
        else:  # nothing is logged, and nothing durable may change (see RefusingLog)
            engine.txns.commit_log = RefusingLog(self.read_only)
        engine.extra_stats = self.stats_rows
        self.stats["recovery_seconds"] = time.perf_counter() - t0
        _log.info(
            "%s: opened in %.3f s (%s, %d redo log records replayed)",
            self.root,
            self.stats["recovery_seconds"],
            f"snapshot at timestamp {snap_ts}" if found is not None else "no snapshot",
            len(records),
        )

    def _load_snapshot(self, conn, path: Path, manifest: dict) -> None:
        engine = self.engine
        ts = manifest["timestamp"]
        total = sum(t.get("rows", 0) for t in manifest["tables"])
        done = 0
        for entry in manifest["tables"]:
            conn.execute(entry["sql"])
            table = engine.catalog.table(entry["name"])
            if entry.get("file"):
                fpath = path / entry["file"]
                data = read_table_file(fpath)
                check_layout(table, data, fpath)
                keys, rows = _named(fpath, arrow_to_rows, table, data)
                _named(fpath, engine.load_rows, table, keys, rows, ts)
                done += len(rows)
                self._report("snapshot", done, total)
            table.next_rowid = max(table.next_rowid, entry.get("next_rowid", 1))
        for sql in manifest["indexes"]:
            conn.execute(sql)
        for view in manifest["views"]:
            self._restore_view(view["name"], view["sql"], view["columns"])
        for sql in manifest.get("triggers", []):
            conn.execute(sql)

    def _restore_view(self, name: str, sql: str, columns) -> None:
        """Create a view as it was defined, without binding its query again: the tables it
        reads may have been dropped since (it then fails when used, as in SQLite) or come
        later in the manifest."""
        txn = self.engine.begin()
        try:
            self.engine.create_view(
                txn, View(name, sql, None if columns is None else tuple(columns))
            )
        except BaseException:
            txn.rollback()
            raise
        txn.commit()

    def _replay(self, conn, records: list) -> None:
        """Apply logged transactions in order.  The row path is inlined: replay speed is
        recovery speed."""
        engine = self.engine
        tables = engine.catalog.tables
        total = len(records)
        name = table = rows = None
        counting = False
        top = 0
        for n, (ts, ops) in enumerate(W.iter_ops(records)):
            rec = records[n]
            for op in ops:
                kind = op[0]
                if kind == "ddl" or kind == "view":
                    # the table written so far keeps its rowid counter past its largest key
                    if name is not None and counting and top >= table.next_rowid:
                        table.next_rowid = top + 1
                    where = f"{rec.path}: redo log record at offset {rec.offset}"
                    if kind == "ddl":
                        _named(where, conn.execute, op[1])
                    else:
                        _named(where, self._restore_view, op[1], op[2], op[3])
                    tables = engine.catalog.tables
                    name = None
                    continue
                if op[1] != name:
                    if name is not None and counting and top >= table.next_rowid:
                        table.next_rowid = top + 1
                    name = op[1]
                    table = tables.get(name.lower())
                    if table is None:
                        raise DatabaseError(f"redo log names unknown table {name!r}")
                    rows = table.rows
                    counting = table.key_of is None or table.schema.integer_key
                    top = 0
                key = op[2]
                # a deleted key counts too: it was inserted (perhaps in this very
                # transaction), and the live database never hands its number out again
                if counting and key > top:
                    top = key
                if kind == "put":
                    new = (tuple(op[3]), ts)
                    old = rows.get(key)
                    rows[key] = new
                    if table.indexes:
                        table.sync_indexes(key, old, new)
                    if table.cache is not None:
                        table.cache.on_put(key, new[0])
                elif kind == "del":
                    engine.apply_delete(table, key)
                else:
                    raise DatabaseError(f"redo log holds unknown operation {kind!r}")
            self.stats["recovered_records"] += 1
            if n % 1000 == 999:
                self._report("log", n + 1, total)
        if name is not None and counting and top >= table.next_rowid:
            table.next_rowid = top + 1
        if total:
            self._report("log", total, total)

    def _report(self, phase: str, done: int, total: int) -> None:
        progress = self.db.progress
        if progress is not None:
            try:
                progress(phase, done, total)
            except Exception as e:  # Ctrl-C (KeyboardInterrupt) passes as it is
                raise OperationalError(
                    f"{phase} stopped: the progress callback raised {type(e).__name__}: {e}"
                ) from e

    # ------------------------------------------------------------ logging
    def _encode(self, changes: list) -> bytes | None:
        """A transaction's changes as a redo log payload (None when nothing is durable)."""
        ops = []
        enc_value, enc_row = W.encode_value, W.encode_row
        for ch in changes:
            kind = ch[0]
            if kind == "ddl":
                op = self._ddl_op(ch[1])
                if op is not None:
                    ops.append(op)
                continue
            table = ch[1]
            # Changes come in the transaction's own order, so each names the table that held
            # the name at that point (even one dropped later in the same transaction).
            if not table.durable:
                continue
            if kind == "put":
                ops.append(["put", table.name, enc_value(ch[2]), enc_row(ch[3])])
            else:
                ops.append(["del", table.name, enc_value(ch[2])])
        if not ops:
            return None
        self._maybe_checkpoint()
        return json.dumps(ops, separators=(",", ":")).encode()

    @staticmethod
    def _ddl_op(record: tuple) -> list | None:
        """A schema change as a redo log operation; what is rendered is first read back."""
        from .sql.ddl import verify_rendered
        from .sql.render import create_index_sql, create_table_sql, name

        kind = record[0]
        if kind == "temporary":  # a connection's TEMP object: never logged
            return None
        if kind == "create_table":
            sql = create_table_sql(record[1])
            verify_rendered("table", sql)
            return ["ddl", sql]
        if kind == "drop_table":
            return ["ddl", f"DROP TABLE IF EXISTS {name(record[1])}"]
        if kind == "create_index":
            sql = create_index_sql(record[1], record[2])
            verify_rendered("index", sql, record[1], record[2])
            return ["ddl", sql]
        if kind == "drop_index":
            return ["ddl", f"DROP INDEX IF EXISTS {name(record[1])}"]
        if kind == "create_view":
            verify_rendered("view", record[2])
            return ["view", record[1], record[2], record[3]]
        if kind == "drop_view":
            return ["ddl", f"DROP VIEW IF EXISTS {name(record[1])}"]
        if kind == "alter_table":  # replayed as written: it rewrites views and indexes again
            return ["ddl", record[1]]
        if kind == "create_trigger":
            verify_rendered("trigger", record[1].sql)
            return ["ddl", record[1].sql]
        if kind == "drop_trigger":
            return ["ddl", f"DROP TRIGGER IF EXISTS {name(record[1])}"]
        return None

    # ------------------------------------------------------------ checkpoints
    def _maybe_checkpoint(self) -> None:
        limit = self.checkpoint_bytes
        # After failures, wait for twice as much log each time rather than retry every commit.
        if not limit or self._closed:
            return
        if self.wal.bytes_since_checkpoint < limit * (1 << min(self._failures, 10)):
            return
        if self._auto is not None and self._auto.is_alive():
            return
        self._auto = threading.Thread(
            target=self._auto_checkpoint, daemon=True, name="memtables-checkpoint"
        )
        self._auto.start()

    def _auto_checkpoint(self) -> None:
        try:
            self.checkpoint()
        except Exception as e:  # noqa: BLE001 - a background thread has no caller to raise to
            self._failures += 1
            self.stats["checkpoint_failures"] += 1
            self.checkpoint_error = f"automatic checkpoint failed: {type(e).__name__}: {e}"
            _log.error(
                "%s: %s (the redo log is kept; next try after %d more bytes of log)",
                self.root,
                self.checkpoint_error,
                self.checkpoint_bytes * (1 << min(self._failures, 10)),
            )

    def checkpoint(self) -> Path | None:
        """Write a snapshot of every durable table at one timestamp; drop covered log."""
        from .sql.render import create_table_sql

        if self.read_only is not None:
            raise OperationalError(self.read_only)
        with self._checkpoint_lock:
            if self._closed:
                raise OperationalError("cannot checkpoint: the database is closed")
            t0 = time.perf_counter()
            engine = self.engine
            txns = engine.txns
            last = latest_snapshot(self.root / "snapshots")  # read before taking the lock
            with txns.lock:
                if any(t.ddl for t in list(txns.active.values())):
                    raise OperationalError(
                        "cannot checkpoint while a transaction has uncommitted schema changes"
                    )
                if last is not None and last[1]["timestamp"] == txns.clock:
                    return last[0]  # nothing committed since: that snapshot is this one
                cat = engine.catalog
                tables = [
                    (t, create_table_sql(t.schema), t.next_rowid)
                    for t in sorted(cat.tables.values(), key=lambda t: t.name.lower())
                ]
                indexes = [(ix, t) for t, _s, _n in tables for ix in t.indexes if not ix.implicit]
                views = [
                    {"name": v.name, "sql": v.sql, "columns": v.columns} for v in cat.views.values()
                ]
                triggers = [t.sql for t in cat.triggers.values()]  # in order of creation
                # an upper bound of the rows to write: keys no snapshot sees are counted too
                total = sum(len(t.rows) for t, _s, _n in tables if t.durable)
                try:
                    segment = self.wal.rotate()  # under the lock: no commit falls in between
                except OSError as e:
                    raise OperationalError(f"checkpoint failed: {e}") from e
                self.wal.bytes_since_checkpoint = 0
                reader = engine.begin()  # last: nothing may interrupt us before ``try``
            try:
                ts = reader.ts
                index_sql = _verified_schema(tables, indexes, views, triggers)
                with gc_paused():
                    final, size = _write_snapshot(
                        self.root / "snapshots",
                        ts,
                        segment,
                        tables,
                        index_sql,
                        views,
                        self._reading(reader, total),
                        triggers,
                    )
                if total:
                    self._report("checkpoint", total, total)
            finally:
                reader.rollback()
            drop_older(self.root / "snapshots", final)
            self.wal.drop_before(segment)
            self.stats["checkpoints"] += 1
            self.stats["last_checkpoint_seconds"] = time.perf_counter() - t0
            self.stats["last_checkpoint_bytes"] = size
            self._failures, self.checkpoint_error = 0, None
            _log.info(
                "%s: checkpoint at timestamp %d written in %.3f s (%d bytes)",
                self.root,
                ts,
                self.stats["last_checkpoint_seconds"],
                size,
            )
            return final

    def _reading(self, reader, total: int) -> Callable:
        """How a checkpoint reads a table's rows: all at once, or counting them for the
        progress callback (every ``PROGRESS_STEP`` rows, and at each table's end)."""
        if self.db.progress is None:
            return lambda table: list(table.scan(reader))
        done = 0

        def read(table) -> list:
            nonlocal done
            rows = []
            append = rows.append
            for n, row in enumerate(table.scan(reader), 1):
                append(row)
                if n % PROGRESS_STEP == 0:
                    self._report("checkpoint", min(done + n, total), total)
            done += len(rows)
            self._report("checkpoint", min(done, total), total)
            return rows

        return read

    # ------------------------------------------------------------ the rest
    def stats_rows(self) -> list:
        w = self.wal
        rows = [
            ("log_bytes", w.bytes_written),
            ("log_records", w.records),
            ("fsyncs", w.fsyncs),
            ("log_bytes_since_checkpoint", w.bytes_since_checkpoint),
        ]
        for k, v in self.stats.items():
            rows.append((k, round(v, 6) if isinstance(v, float) else v))
        return rows

    def close(self) -> None:
        """Flush the log and release the lock (after a running checkpoint has finished)."""
        auto = self._auto
        if auto is not None and auto.is_alive():
            auto.join()
        with self._checkpoint_lock:  # an explicit checkpoint in another thread ends first
            if self._closed:
                return
            self._closed = True
            self.wal.close()
            if self._lock_file is None:  # opened read-only: no lock was taken
                return
            try:
                unlock(self._lock_file)
            finally:
                self._lock_file.close()


def _write_snapshot(*args):
    try:
        return write_snapshot(*args)
    except OSError as e:
        raise OperationalError(f"checkpoint failed, the redo log is kept: {e}") from e


def _verified_schema(tables: list, indexes: list, views: list, triggers: list) -> list[str]:
    """Read back every definition a snapshot will hold before it is written (the log it
    replaces goes once it is); return the indexes as SQL."""
    from .sql.ddl import verify_rendered
    from .sql.render import create_index_sql

    for _table, sql, _next in tables:
        verify_rendered("table", sql)
    out = []
    for index, table in indexes:
        sql = create_index_sql(index, table)
        verify_rendered("index", sql, index, table)
        out.append(sql)
    for view in views:
        verify_rendered("view", view["sql"])
    for sql in triggers:
        verify_rendered("trigger", sql)
    return out


def _named(where, fn: Callable, *args):
    """Call ``fn``; any failure becomes a DatabaseError that says where recovery was."""
    try:
        return fn(*args)
    except DatabaseError as e:
        if str(where) in str(e):
            raise
        raise DatabaseError(f"{where}: cannot recover: {e}") from e
    except Error as e:
        raise DatabaseError(f"{where}: cannot recover: {e}") from e
    except Exception as e:  # noqa: BLE001 - recovery reports damage as a PEP 249 error
        raise DatabaseError(f"{where}: cannot recover: {type(e).__name__}: {e}") from e


__all__ = ["Durability", "Any"]
