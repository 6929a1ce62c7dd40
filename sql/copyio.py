"""COPY: tables and query results to Parquet, Arrow IPC or CSV files, and back.

::

    COPY users TO 'users.parquet';
    COPY (SELECT id, name FROM users WHERE age > 30) TO 'adults.csv' WITH (HEADER true);
    COPY users FROM 'more_users.csv';

The format comes from the file's extension (.parquet/.pq, .arrow/.feather/.ipc, .csv) or
``WITH (FORMAT parquet | arrow | csv)``. CSV files have a header unless ``HEADER false``; an
empty CSV field is NULL, and BLOB values are written as hexadecimal. The cursor's rowcount
says how many rows were copied. COPY FROM appends to an existing table as one statement: a
bad file leaves the table as it was.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from ..arrow import ARROW_TYPES, load, rows_to_table
from ..cache import enforce
from ..errors import DataError, OperationalError, ProgrammingError, UndefinedTable
from . import ast as A
from .dml import build_write
from .statements import QueryStatement, Result, Statement, query_statement
from .trigger import row_inserter

PROGRESS_STEP = 10_000  # rows between two calls of the database's progress callback
_EXTENSIONS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".csv": "csv",
}


class CopyStatement(Statement):
    """COPY ... TO / FROM a file."""

    kind = "dml"
    engine_lock = False  # file I/O: the engine's lock is taken only to load the rows

    def __init__(self, node: A.Copy, engine, systables, catalog):
        self._write_lock = engine.txns.lock
        self.path = node.path
        opts = {k.lower(): v for k, v in node.options.items()}
        unknown = set(opts) - {"format", "header"}
        if unknown:
            raise ProgrammingError(f"unknown COPY option {sorted(unknown)[0]!r}")
        fmt = opts.get("format") or _EXTENSIONS.get(Path(node.path).suffix.lower())
        if fmt is None:
            raise ProgrammingError(
                f"cannot tell the format of {node.path!r}: use WITH (FORMAT parquet | arrow | csv)"
            )
        self.format = str(fmt).lower()
        if self.format not in ("parquet", "arrow", "csv"):
            raise ProgrammingError(f"unknown COPY format {fmt!r} (use parquet, arrow or csv)")
        self.header = _flag("HEADER", opts.get("header", True))
        self.to_file = node.to_file
        self.readonly = node.to_file  # writes a file, not the database
        if node.to_file:
            select = node.target
            if isinstance(select, A.TableRef):
                select = A.Select(A.SelectCore((A.Star(),), select))
            self.query = query_statement(select, catalog, systables)
            self._take_counts(self.query)
        else:
            self.table = _copy_target(catalog, node.target)
            self.n_params = 0
            self._catalog, self._systables = engine.catalog, systables

    def _take_counts(self, q: QueryStatement) -> None:
        self.n_params = q.n_params
        self.param_names = q.param_names

    def execute(self, conn, txn, params) -> tuple:
        if self.to_file:
            q = self.query
            rows = q.run(params, txn)
            _write(rows_to_table(q.names, q.types, rows), self.path, self.format, self.header)
            return Result(None, len(rows))
        data = _read(self.path, self.format, self.header, self.table)  # all read here
        reader = pa.RecordBatchReader.from_batches(data.schema, data.to_batches())
        progress = conn.database.progress
        with self._write_lock:
            try:
                insert = row_inserter(self.table, conn, self._catalog, self._systables, build_write)
                if progress is not None:
                    insert = _counting(insert or self.table.insert, progress, data.num_rows)
                n = load(self.table, txn, reader, insert)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
                raise DataError(f"{self.path}: {e}") from None
            if self.table.cache is not None:
                enforce(self.table, txn)
        return Result(None, n)

    def explain(self) -> list[str]:
        way = "TO" if self.to_file else "FROM"
        return [f"COPY {way} {self.path} ({self.format})"]


_FLAGS = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}


def _copy_target(catalog, ref: A.TableRef):
    """The table COPY ... FROM loads: ``temp.t`` and ``main.t`` pick a side."""
    cat = catalog.scoped(ref.schema)
    if cat is None:
        raise UndefinedTable(f"no such table: {ref.schema}.{ref.name}")
    return cat.table(ref.name)


def _flag(option: str, value) -> bool:
    """A boolean COPY option: TRUE/FALSE, 1/0, or 'on'/'off', 'yes'/'no' (as PostgreSQL)."""
    if isinstance(value, bool):
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _FLAGS:
        return _FLAGS[value.lower()]
    raise ProgrammingError(f"COPY option {option} must be true or false, not {value!r}")


def _write(table: pa.Table, path: str, fmt: str, header: bool) -> None:
    try:
        if fmt == "parquet":
            pq.write_table(table, path)
        elif fmt == "arrow":
            with pa.OSFile(path, "wb") as sink, ipc.new_file(sink, table.schema) as w:
                w.write_table(table)
        else:
            cols = [
                pa.array([None if v is None else v.hex() for v in c.to_pylist()], pa.string())
                if pa.types.is_binary(c.type)
                else c
                for c in table.columns
            ]
            table = pa.Table.from_arrays(cols, names=table.column_names)
            pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=header))
    except pa.ArrowException as e:
        if isinstance(e, OSError):
            raise OperationalError(f"cannot write {_shown(path)}: {_reason(e)}") from None
        raise DataError(f"cannot write {_shown(path)}: {e}") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
        raise OperationalError(f"cannot write {_shown(path)}: {_reason(e)}") from None


def _shown(path: str) -> str:
    """A file name for a message: long ones are cut in the middle."""
    return path if len(path) <= 80 else path[:38] + "..." + path[-38:]


def _reason(e: Exception) -> str:
    return getattr(e, "strerror", None) or str(e)


def _counting(insert, progress, total: int):
    """``insert`` that calls ``progress("copy", rows, total)`` every ``PROGRESS_STEP`` rows
    and after the last. It runs under the engine's lock, row by row: only when asked for."""
    done = 0

    def counted(txn, row):
        nonlocal done
        result = insert(txn, row)
        done += 1
        if done % PROGRESS_STEP == 0 or done == total:
            try:
                progress("copy", done, total)
            except Exception as e:  # Ctrl-C (KeyboardInterrupt) passes as it is
                raise OperationalError(
                    f"COPY stopped: the progress callback raised {type(e).__name__}: {e}"
                ) from e
        return result

    return counted


def _read(path: str, fmt: str, header: bool, table) -> pa.Table:
    try:
        found = Path(path).is_file()
    except (OSError, ValueError) as e:  # a name too long for the file system, a NUL byte
        raise OperationalError(f"cannot read {_shown(path)}: {_reason(e)}") from None
    if not found:
        raise OperationalError(f"cannot read {_shown(path)}: no such file")
    try:
        if fmt == "parquet":
            data = pq.read_table(path)
        elif fmt == "arrow":
            with pa.memory_map(path, "r") as source:
                data = ipc.open_file(source).read_all()
        else:
            data = _read_csv(path, header, table)
    except pa.ArrowException as e:  # before OSError: ArrowIOError is both
        raise DataError(f"{_shown(path)}: {e}") from None
    except OSError as e:
        raise OperationalError(f"cannot read {_shown(path)}: {_reason(e)}") from None
    return data


def _read_csv(path: str, header: bool, table) -> pa.Table:
    visible = [c for c in table.columns if not c.hidden]
    types = {}
    blobs = []
    for c in visible:
        t = ARROW_TYPES.get(c.type.name)
        if c.type.name == "BLOB":
            t = pa.string()
            blobs.append(c.name)
        if t is not None:
            types[c.name] = t
    read = pacsv.ReadOptions(
        column_names=None if header else [c.name for c in visible],
    )
    convert = pacsv.ConvertOptions(column_types=types, strings_can_be_null=True)
    data = pacsv.read_csv(path, read_options=read, convert_options=convert)
    for name in blobs:
        if name in data.column_names:
            i = data.column_names.index(name)
            try:
                raw = [None if v is None else bytes.fromhex(v) for v in data.column(i).to_pylist()]
            except ValueError as e:
                raise DataError(f"{path}: column {name}: not hexadecimal ({e})") from None
            data = data.set_column(i, name, pa.array(raw, pa.binary()))
    return data
