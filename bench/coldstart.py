"""Cold start figures: a whole new process to its first result, beside sqlite3.

``python -m bench coldstart`` times, best of N, a fresh ``python -c`` that imports the engine,
connects to an in-memory database and fetches ``SELECT 1``, for memtables and for the stdlib
sqlite3 module; then the same reading a small table on disk (memtables: a durable database
whose redo log holds it, sqlite3: a database file); then the shell reading ``select 1;`` from
a pipe (``memtables`` beside the ``sqlite3`` command-line shell, when installed). An empty
interpreter (``python -c pass``) is shown as the floor both stand on.

Processes run as after ``pip install``, with bytecode: the environment's
``PYTHONDONTWRITEBYTECODE`` is dropped and a first untimed round writes the ``.pyc`` files an
editable install lacks (compiling memtables' modules from source would double the figure,
and the stdlib sqlite3 is always precompiled).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .harness import Figure, human, table

REPEAT = 10
ENGINES = ["memtables", "sqlite3"]


def first_result_code(module: str, path: str | None = None, sql: str = "select 1") -> str:
    """``python -c`` source that prints the first result of ``module`` (memtables, sqlite3)
    on an in-memory database, or on the database at ``path``."""
    if path is not None:
        target = repr(path)
    else:
        target = "':memory:'" if module == "sqlite3" else ""
    return f"import {module}; print({module}.connect({target}).execute({sql!r}).fetchall())"


def durable_files(root: Path) -> dict[str, str]:
    """A small table on disk for each engine (memtables: a redo log, no snapshot yet)."""
    import sqlite3

    import memtables

    paths = {"memtables": str(root / "app.mtdb"), "sqlite3": str(root / "app.sqlite")}
    for module, connect in (("memtables", memtables.connect), ("sqlite3", sqlite3.connect)):
        conn = connect(paths[module])
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO users VALUES (?, ?)", [(i, f"u{i}") for i in range(100)])
        conn.commit()
        conn.close()
    return paths


def best_process_times(commands: dict, repeat: int = REPEAT) -> dict[str, tuple[float, float]]:
    """Best wall time and best CPU time (user + system), in seconds, of each
    ``name: (argv, stdin)`` run to its exit (it must succeed). The commands take turns within
    each round, so a busy machine slows them alike; CPU time hardly depends on how busy the
    machine is, wall time does."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    best = {name: (float("inf"), float("inf")) for name in commands}
    for i in range(repeat + 1):
        for name, (argv, stdin) in commands.items():
            before = _children_cpu()
            t0 = time.perf_counter()
            subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True, env=env)
            wall = time.perf_counter() - t0
            cpu = _children_cpu() - before
            if i:  # the first round writes the bytecode
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def memtables_shell() -> list[str]:
    """The ``memtables`` command installed beside this interpreter (else ``-m memtables``)."""
    script = Path(sys.executable).with_name("memtables")
    return [str(script)] if script.exists() else [sys.executable, "-m", "memtables"]


def figures(root: Path, repeat: int = REPEAT) -> list[Figure]:
    """The cold start workloads, each beside its sqlite3 counterpart: wall time, then CPU
    time (user + system, the child's own). ``root``: a scratch directory."""
    py = sys.executable
    files = durable_files(root)
    query = "SELECT name FROM users WHERE id = 42"
    workloads = {
        "cold start to first result (python -c)": {
            m: ([py, "-c", first_result_code(m)], None) for m in ENGINES
        },
        "cold start to first result, a database on disk": {
            m: ([py, "-c", first_result_code(m, files[m], query)], None) for m in ENGINES
        },
        "import only (python -c 'import X')": {
            m: ([py, "-c", f"import {m}"], None) for m in ENGINES
        },
        "shell: echo 'select 1;' | memtables / sqlite3": {
            "memtables": (memtables_shell(), "select 1;\n")
        },
    }
    sqlite_cli = shutil.which("sqlite3")
    if sqlite_cli:
        workloads["shell: echo 'select 1;' | memtables / sqlite3"]["sqlite3"] = (
            [sqlite_cli],
            "select 1;\n",
        )
    out = []
    for name, commands in workloads.items():
        wall, cpu = Figure(name, "process"), Figure(f"{name}, CPU", "process")
        for engine, (w, c) in best_process_times(commands, repeat).items():
            wall.times[engine], cpu.times[engine] = w, c
        out += [wall, cpu]
    return out


def run() -> None:
    """Print the cold start table (``python -m bench coldstart``)."""
    wall, cpu = best_process_times({"python": ([sys.executable, "-c", "pass"], None)})["python"]
    print(
        f"best of {REPEAT} whole processes, taking turns; an empty interpreter: {human(wall)} "
        f"({human(cpu)} CPU)"
    )
    root = Path(tempfile.mkdtemp(prefix="memtables-bench-"))
    try:
        print(table(figures(root), ENGINES))
    finally:
        shutil.rmtree(root, ignore_errors=True)
