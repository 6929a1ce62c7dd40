"""The progress hook: ``memtables.open(..., progress=fn)`` (or ``Database.progress``) is
called as ``fn(phase, done, total)`` while recovery, CHECKPOINT and COPY ... FROM run."""

from __future__ import annotations

import pytest

import memtables


class Calls:
    """A progress callback that remembers its calls, by phase."""

    def __init__(self, stop_after: int | None = None):
        self.calls: list[tuple[str, int, int]] = []
        self.stop_after = stop_after

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.calls.append((phase, done, total))
        if self.stop_after is not None and len(self.calls) >= self.stop_after:
            raise KeyboardInterrupt  # what Ctrl-C in the shell's bar looks like

    def of(self, phase: str) -> list[tuple[int, int]]:
        return [(d, t) for p, d, t in self.calls if p == phase]


def _grows_to_total(pairs: list[tuple[int, int]], total: int) -> None:
    assert len(pairs) >= 2, pairs  # more than one step: something a bar can show
    assert {t for _d, t in pairs} == {total}
    done = [d for d, _t in pairs]
    assert done == sorted(done) and done[0] > 0 and done[-1] == total


def _csv(path, n: int) -> None:
    path.write_text("id,v\n" + "".join(f"{i},v{i}\n" for i in range(n)))


def test_copy_from_reports_rows_loaded(tmp_path):
    _csv(tmp_path / "big.csv", 25_000)
    calls = Calls()
    conn = memtables.open(progress=calls).connect()
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    assert conn.execute(f"COPY t FROM '{tmp_path / 'big.csv'}'").rowcount == 25_000
    _grows_to_total(calls.of("copy"), 25_000)
    assert [p for p, _d, _t in calls.calls] == ["copy"] * len(calls.calls)


def test_copy_to_and_small_statements_report_nothing(tmp_path):
    calls = Calls()
    conn = memtables.open(progress=calls).connect()
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, "x") for i in range(100)])
    conn.execute(f"COPY t TO '{tmp_path / 'out.csv'}'")
    conn.execute("SELECT * FROM t").fetchall()
    assert calls.calls == []


def test_an_exception_from_the_callback_undoes_the_copy(tmp_path):
    _csv(tmp_path / "big.csv", 25_000)
    calls = Calls(stop_after=1)
    db = memtables.open(progress=calls)
    conn = db.connect()
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.commit()
    with pytest.raises(KeyboardInterrupt):
        conn.execute(f"COPY t FROM '{tmp_path / 'big.csv'}'")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    db.progress = None  # set after opening: taken from then on
    assert conn.execute(f"COPY t FROM '{tmp_path / 'big.csv'}'").rowcount == 25_000


def _durable(path, tables: int = 3, rows: int = 10_000):
    db = memtables.open(path, checkpoint_bytes=0)
    conn = db.connect()
    for n in range(tables):
        conn.execute(f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY, v TEXT)")
        conn.executemany(f"INSERT INTO t{n} VALUES (?, ?)", [(i, "x") for i in range(rows)])
    conn.commit()
    return db, conn


def test_checkpoint_reports_rows_written(tmp_path):
    db, conn = _durable(tmp_path / "db.mtdb")
    calls = Calls()
    db.progress = calls
    conn.execute("CHECKPOINT")
    _grows_to_total(calls.of("checkpoint"), 30_000)
    db.close()


def test_an_exception_from_the_callback_keeps_the_log(tmp_path):
    path = tmp_path / "db.mtdb"
    db, conn = _durable(path)
    db.progress = Calls(stop_after=1)
    with pytest.raises(KeyboardInterrupt):
        db.checkpoint()
    assert not list((path / "snapshots").glob("snap-*"))
    db.progress = None
    db.close()
    conn = memtables.connect(path)
    assert conn.execute("SELECT count(*) FROM t2").fetchone() == (10_000,)
    conn.close()


def test_recovery_reports_the_snapshot_and_the_log(tmp_path):
    path = tmp_path / "db.mtdb"
    db, conn = _durable(path)
    db.checkpoint()
    for i in range(2_500):  # one log record each
        conn.execute("INSERT INTO t0 VALUES (?, 'y')", (10_000 + i,))
        conn.commit()
    db.close()
    calls = Calls()
    memtables.open(path, progress=calls).close()
    _grows_to_total(calls.of("snapshot"), 30_000)
    _grows_to_total(calls.of("log"), 2_500)


def test_a_failing_callback_is_an_operational_error(tmp_path):
    def broken(phase, done, total):
        raise ValueError("no terminal")

    _csv(tmp_path / "big.csv", 25_000)
    db, conn = _durable(tmp_path / "db.mtdb", tables=1)
    db.progress = broken
    conn.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, v TEXT)")
    with pytest.raises(memtables.OperationalError, match="COPY stopped: .* ValueError: no term"):
        conn.execute(f"COPY c FROM '{tmp_path / 'big.csv'}'")
    assert conn.execute("SELECT count(*) FROM c").fetchone() == (0,)
    conn.commit()
    with pytest.raises(memtables.OperationalError, match="checkpoint stopped: .* ValueError"):
        conn.execute("CHECKPOINT")
    db.close()
