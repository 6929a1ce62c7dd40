"""The redo log: committed transactions appended to segment files, synced as configured.

Format (version 1, little-endian). A segment file ``wal-NNNNNNNN.log`` starts with the 8-byte
header ``b"MTWAL"`` + ``b"\\x00"`` + u16 version. Then records, one per committed transaction::

    u32 length        bytes of payload
    u32 crc32         CRC-32 of the next 8 bytes and the payload
    u64 commit_ts     the transaction's commit timestamp
    payload           UTF-8 JSON: a list of operations

Operations: ``["ddl", sql]`` (schema changes, as SQL), ``["view", name, query, columns]``
(a view, restored as defined without binding it again), ``["put", table, key, row]`` and
``["del", table, key]``. Values are JSON scalars (null, integers, floats, strings, booleans);
the others are objects: ``{"b": hex}`` bytes, ``{"d": "YYYY-MM-DD"}`` a date,
``{"t": iso}`` a timestamp, ``{"k": [...]}`` a composite key. Nothing here uses pickle,
marshal or eval.

Sync modes, like Redis ``appendfsync``: ``full`` (a commit returns after its record is on
disk; concurrent committers share one fsync — group commit), ``normal`` (records reach the
OS at commit, a background thread fsyncs about once a second), ``off`` (the OS decides).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import struct
import threading
import zlib
from pathlib import Path
from typing import Any, Iterator

from .errors import DatabaseError, OperationalError
from .types import naive_utc

MAGIC = b"MTWAL\x00"
VERSION = 1
HEADER = MAGIC + struct.pack("<H", VERSION)
_REC = struct.Struct("<IIQ")
_TS = struct.Struct("<Q")
SYNC_MODES = ("full", "normal", "off")


# ---------------------------------------------------------------- values
def encode_value(v: Any) -> Any:
    """A value in JSON form (scalars as they are, others tagged)."""
    t = type(v)
    if t is bytes:
        return {"b": v.hex()}
    if t is _dt.datetime:
        return {"t": v.isoformat()}
    if t is _dt.date:
        return {"d": v.isoformat()}
    if t is tuple:
        return {"k": [encode_value(x) for x in v]}
    return v


_SCALARS = frozenset({int, float, str, bool, type(None)})


def encode_row(row: tuple) -> list:
    for v in row:
        if type(v) not in _SCALARS:
            return [encode_value(x) for x in row]
    return list(row)


def _decode_object(obj: dict) -> Any:
    if "b" in obj:
        return bytes.fromhex(obj["b"])
    if "t" in obj:  # logs written before timestamps were normalised may hold offsets
        return naive_utc(_dt.datetime.fromisoformat(obj["t"]))
    if "d" in obj:
        return _dt.date.fromisoformat(obj["d"])
    if "k" in obj:
        return tuple(obj["k"])
    raise DatabaseError(f"unknown value tag in redo log: {sorted(obj)}")


#: JSON's non-finite constants; NaN is NULL, as it is on every other way in (see types.py)
NON_FINITE = {"NaN": None, "Infinity": float("inf"), "-Infinity": float("-inf")}.__getitem__


def decode_json(text: str | bytes) -> Any:
    """Values encoded by ``encode_value`` and written as JSON, decoded (snapshots use it too)."""
    return json.loads(text, object_hook=_decode_object, parse_constant=NON_FINITE)


def decode_payload(payload: bytes) -> list:
    """The operations of one record."""
    return decode_json(payload)


def frame(commit_ts: int, payload: bytes) -> bytes:
    """One record: length, CRC-32, commit timestamp, payload."""
    ts = _TS.pack(commit_ts)
    crc = zlib.crc32(payload, zlib.crc32(ts))
    return _REC.pack(len(payload), crc, commit_ts) + payload


# ---------------------------------------------------------------- reading
class Record:
    __slots__ = ("commit_ts", "payload", "path", "offset")

    def __init__(self, commit_ts: int, payload: bytes, path: Path, offset: int):
        self.commit_ts = commit_ts
        self.payload = payload
        self.path = path
        self.offset = offset


class ReadResult:
    """What reading the log found: records, and where a torn tail was cut."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.torn: list[tuple[Path, int]] = []  # (segment, offset) of cut-off tails
        self.corrupt: tuple[Path, int, str] | None = None


def segment_paths(directory: Path) -> list[Path]:
    """Segment files in order."""
    return sorted(directory.glob("wal-*.log"))


def segment_number(path: Path) -> int:
    return int(path.stem.split("-")[1])


def read_segments(paths: list[Path], stop_at_corruption: bool = False) -> ReadResult:
    """Every intact record of ``paths``; a torn record at the very end is cut off.

    A damaged record followed by more data is corruption: a DatabaseError naming the file
    and offset, unless ``stop_at_corruption`` (then reading stops there and it is reported).
    """
    out = ReadResult()
    for n, path in enumerate(paths):
        last_segment = n == len(paths) - 1
        data = path.read_bytes()
        if len(data) < len(HEADER):
            if last_segment:
                out.torn.append((path, 0))
                continue
            raise DatabaseError(f"{path}: truncated redo log segment header")
        if data[: len(MAGIC)] != MAGIC:
            raise DatabaseError(f"{path}: not a memtables redo log (bad magic)")
        (version,) = struct.unpack_from("<H", data, len(MAGIC))
        if version != VERSION:
            raise DatabaseError(f"{path}: redo log format version {version} is not supported")
        off = len(HEADER)
        size = len(data)
        while off < size:
            problem = None
            if size - off < _REC.size:
                problem = "truncated record header"
                end = size
            else:
                length, crc, ts = _REC.unpack_from(data, off)
                end = off + _REC.size + length
                if end > size:
                    problem = "truncated record"
                else:
                    payload = data[off + _REC.size : end]
                    if zlib.crc32(payload, zlib.crc32(_TS.pack(ts))) != crc:
                        problem = "checksum mismatch"
            if problem is not None:
                if last_segment and end >= size:
                    out.torn.append((path, off))  # a crash in the middle of the last write
                    break
                if stop_at_corruption:
                    out.corrupt = (path, off, problem)
                    return out
                raise DatabaseError(
                    f"{path}: corrupt redo log record at offset {off} ({problem}); "
                    "records after it are intact, so this is damage, not a torn write"
                )
            out.records.append(Record(ts, payload, path, off))
            off = end
    return out


# ---------------------------------------------------------------- writing
class WriteAheadLog:
    """Appends commit records to the current segment; implements txn's CommitLog."""

    def __init__(self, directory: Path, sync: str = "full", encode=None):
        if sync not in SYNC_MODES:
            raise OperationalError(f"unknown sync mode {sync!r} (use full, normal or off)")
        self.directory = directory
        self.sync = sync
        self.encode = encode  # changes -> payload bytes (or None when nothing is durable)
        self._cond = threading.Condition(threading.Lock())
        self._file = None
        self._segment = 0
        self._written = 0  # bytes appended (all segments): the log sequence number
        self._synced = 0
        self._syncing = False  # a thread is fsyncing outside the lock (see ``_retire``)
        self._retired: list = []  # old segments to close once that fsync is over
        self._closed = False
        self.bytes_written = 0
        self.bytes_since_checkpoint = 0
        self.records = 0
        self.fsyncs = 0
        self._flusher = None

    # ------------------------------------------------------------ segments
    def open_segment(self, number: int) -> None:
        """Start appending to a new segment file ``number``."""
        path = self.directory / f"wal-{number:08d}.log"
        f = open(path, "ab", buffering=1 << 16)
        if f.tell() == 0:
            f.write(HEADER)
            f.flush()
            os.fsync(f.fileno())
            fsync_path(self.directory)
        old, self._file, self._segment = self._file, f, number
        if old is not None:
            self._retire(old)
        if self.sync == "normal" and self._flusher is None:
            self._flusher = threading.Thread(
                target=self._flush_loop, name="memtables-wal-fsync", daemon=True
            )
            self._flusher.start()

    def _retire(self, old) -> None:
        """Sync and close a segment we no longer append to.  A thread may be fsyncing its
        descriptor outside the lock right now: closing it under that thread could make it
        sync a reused descriptor, so the close waits for that fsync to end."""
        old.flush()
        os.fsync(old.fileno())
        if self._syncing:
            self._retired.append(old)
        else:
            old.close()

    def _synced_outside(self) -> None:
        """Called under the lock when an fsync made outside it is over."""
        self._syncing = False
        while self._retired:
            self._retired.pop().close()
        self._cond.notify_all()

    @property
    def segment(self) -> int:
        return self._segment

    def rotate(self) -> int:
        """Continue in a new segment; return its number (older ones hold older commits)."""
        with self._cond:
            if self._closed:
                raise OperationalError("the database is closed")
            self.open_segment(self._segment + 1)
            self._synced = self._written
            return self._segment

    def drop_before(self, number: int) -> int:
        """Delete segments older than ``number``; return how many went."""
        n = 0
        for path in segment_paths(self.directory):
            if segment_number(path) < number:
                path.unlink()
                n += 1
        if n:
            fsync_path(self.directory)
        return n

    # ------------------------------------------------------------ CommitLog protocol
    def append(self, commit_ts: int, changes: list) -> int | None:
        """Write one committed transaction; return its log position for ``wait``."""
        payload = self.encode(changes) if self.encode is not None else None
        if payload is None:
            return None
        data = frame(commit_ts, payload)
        with self._cond:
            if self._closed:
                raise OperationalError("the database is closed")
            f = self._file
            f.write(data)
            if self.sync != "full":
                f.flush()  # reaches the OS now, so a crashed process loses nothing
            self._written += len(data)
            self.bytes_written += len(data)
            self.bytes_since_checkpoint += len(data)
            self.records += 1
            return self._written

    def wait(self, token: int | None) -> None:
        """In ``full`` mode, return once the record at ``token`` is on disk (group commit)."""
        if token is None or self.sync != "full":
            return
        cond = self._cond
        with cond:
            while self._synced < token:
                if self._syncing:
                    cond.wait()
                    continue
                self._syncing = True  # this thread syncs for everyone waiting
                target = self._written
                f = self._file
                f.flush()
                fd = f.fileno()
                cond.release()
                try:
                    os.fsync(fd)
                finally:
                    cond.acquire()
                    self._synced_outside()
                self.fsyncs += 1
                self._synced = max(self._synced, target)

    def _flush_loop(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                self._cond.wait(1.0)
                if self._closed:
                    return
                if self._syncing or self._synced >= self._written:
                    continue
                target = self._written
                f = self._file
                f.flush()
                fd = f.fileno()
                self._syncing = True
            try:
                os.fsync(fd)
            except OSError:
                with self._cond:
                    self._synced_outside()
                return
            with self._cond:
                self._synced_outside()
                self.fsyncs += 1
                self._synced = max(self._synced, target)

    def close(self) -> None:
        """Flush, sync and close the current segment."""
        with self._cond:
            if self._closed:
                return
            while self._syncing:  # its descriptor must stay open until it is done
                self._cond.wait()
            self._closed = True
            f = self._file
            if f is not None:
                f.flush()
                os.fsync(f.fileno())
                f.close()
            self._synced = self._written  # a committer still waiting has its record on disk
            self._cond.notify_all()

    # ------------------------------------------------------------ fork
    def hold_for_fork(self) -> None:
        """Before ``fork()``: empty the write buffer and keep appenders out until
        ``release_after_fork`` (a child must not inherit, and one day flush, half a buffer)."""
        self._cond.acquire()
        if not self._closed and self._file is not None:
            self._file.flush()

    def release_after_fork(self) -> None:
        """After ``fork()``, in the parent and in the child."""
        self._cond.release()


def fsync_path(path: Path) -> None:
    """Make a file's contents durable or, for a directory, a rename or new file in it."""
    if os.name == "nt" and path.is_dir():
        return  # Windows cannot open a directory to fsync it; NTFS journals its metadata
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def iter_ops(records: list[Record]) -> Iterator[tuple[int, list]]:
    """(commit_ts, operations) of each record."""
    for rec in records:
        try:
            yield rec.commit_ts, decode_payload(rec.payload)
        except (ValueError, UnicodeDecodeError) as e:
            raise DatabaseError(
                f"{rec.path}: undecodable redo log record at offset {rec.offset}: {e}"
            ) from None
