"""Packaging and habits: type hints that users' type checkers read, the ``memtables`` logger,
a license, and file locking that is not POSIX-only."""

from __future__ import annotations

import importlib.resources
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import memtables
from memtables import wal as W

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_is_typed_and_the_examples_type_check_strictly():
    assert importlib.resources.files("memtables").joinpath("py.typed").is_file()
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
         str(ROOT / "examples")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert p.returncode == 0, p.stdout + p.stderr


def test_a_user_of_fetchone_and_cached_type_checks(tmp_path):
    # What users write: unpacking fetchone(), and a decorated function keeping its signature.
    src = tmp_path / "user.py"
    src.write_text(
        textwrap.dedent(
            """
            import memtables

            conn = memtables.connect()
            (n,) = conn.execute("select 1").fetchone()

            @memtables.cached(conn, ttl=60)
            def square(x: int) -> int:
                return x * x

            y: int = square(3)
            z: str = square(3)  # the one error: square returns int
            """
        )
    )
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
         str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "Found 1 error" in p.stdout, p.stdout
    assert 'user.py:12: error: Incompatible types in assignment (expression has type "int"' in (
        p.stdout
    )


def test_license_file_is_packaged_metadata():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert 'license = { file = "LICENSE" }' in (ROOT / "pyproject.toml").read_text()


def test_the_logger_reports_recovery_checkpoints_torn_records_and_evictions(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="memtables")
    path = tmp_path / "app.mtdb"
    conn = memtables.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.execute("CHECKPOINT")
    conn.execute("INSERT INTO t VALUES (2)")
    conn.commit()
    conn.close()
    log = [p for p in W.segment_paths(path / "wal") if p.stat().st_size > len(W.HEADER)][-1]
    log.write_bytes(log.read_bytes()[:-3])  # a crash in the middle of the last record
    conn = memtables.connect(path)
    conn.execute(
        "CREATE CACHE TABLE c (k TEXT PRIMARY KEY, v TEXT) WITH (max_rows = 1, eviction = 'allkeys-lru')"
    )
    conn.execute("INSERT INTO c VALUES ('a', 'x')")
    conn.execute("INSERT INTO c VALUES ('b', 'y')")
    conn.close()
    messages = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "memtables"]
    text = "\n".join(f"{lvl} {msg}" for lvl, msg in messages)
    assert "INFO" in text and "checkpoint at timestamp" in text
    assert any(
        lvl == "WARNING" and "torn redo log record" in msg and "never acknowledged" in msg
        for lvl, msg in messages
    ), text
    assert any(lvl == "INFO" and "opened in" in msg and "snapshot at timestamp" in msg
               for lvl, msg in messages), text  # fmt: skip
    assert any(lvl == "DEBUG" and "cache table c: evicted 'a'" in msg for lvl, msg in messages), (
        text
    )


def test_file_locking_uses_msvcrt_on_windows():
    # The Windows branch, run with a stand-in msvcrt that records its calls: it must lock
    # one byte without blocking, report a held lock as False, and unlock the same byte.
    script = textwrap.dedent(
        """
        import os, sys, types, io
        calls = []
        fake = types.ModuleType("msvcrt")
        fake.LK_NBLCK, fake.LK_UNLCK = 2, 0
        def locking(fd, mode, n):
            calls.append((mode, n))
            if len(calls) == 2:
                raise OSError("held")
        fake.locking = locking
        sys.modules["msvcrt"] = fake
        os.name = "nt"
        import importlib.util
        spec = importlib.util.spec_from_file_location("filelock", sys.argv[1])
        m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
        f = open(sys.argv[2], "a+")
        print(m.try_lock(f), m.try_lock(f)); m.unlock(f); print(calls)
        """
    )
    lock = ROOT / "memtables" / "filelock.py"
    p = subprocess.run(
        [sys.executable, "-c", script, str(lock), str(ROOT / "LICENSE")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert p.stdout.splitlines() == ["True False", "[(2, 1), (2, 1), (0, 1)]"], p.stderr


def test_slow_statements_are_logged_past_the_threshold(caplog):
    """``slow_statement`` (seconds) logs each execute/executemany at least that slow as a
    WARNING with its text; None (the default) times nothing."""
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (x INTEGER)")
    with caplog.at_level(logging.DEBUG, logger="memtables"):
        conn.execute("SELECT count(*) FROM t")
        assert not caplog.records  # off by default
        conn.database.slow_statement = 0  # every statement is slow
        conn.execute("SELECT count(*) FROM t WHERE x > 1")
        conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
        with pytest.raises(memtables.Error):  # slow and failed is still slow
            conn.execute("SELECT nope(1)")
        conn.database.slow_statement = 3600  # nothing here takes an hour
        conn.execute("SELECT 1")
    logged = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in logged] == ["WARNING"] * 3
    assert logged[0][1].startswith("slow statement (")
    assert logged[0][1].endswith("s): SELECT count(*) FROM t WHERE x > 1")
    assert logged[1][1].startswith("slow executemany (")
    assert logged[1][1].endswith("s): INSERT INTO t VALUES (?)")
    assert logged[2][1].endswith("s): SELECT nope(1)")
    # a connection made later sees the setting; nonsense is refused
    conn.database.slow_statement = 0
    with caplog.at_level(logging.WARNING, logger="memtables"):
        conn.database.connect().execute("SELECT 2")
    assert caplog.records[-1].getMessage().endswith("SELECT 2")
    for bad in (-1, "1", True):
        with pytest.raises(memtables.ProgrammingError):
            memtables.connect(slow_statement=bad)
