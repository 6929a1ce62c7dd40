"""Cold start figures: a whole new process to its first result, beside sqlite3.

``python -m bench coldstart`` times, best of N, a fresh ``python -c`` that imports the engine,
connects to an in-memory database and fetches ``SELECT 1``, for memtables and for the stdlib
sqlite3 module; then the shell reading ``select 1;`` from a pipe (``memtables`` beside the
``sqlite3`` command-line shell, when installed). An empty interpreter (``python -c pass``)
is shown as the floor both stand on.

Processes run as after ``pip install``, with bytecode: the environment's
``PYTHONDONTWRITEBYTECODE`` is dropped and a first untimed round writes the ``.pyc`` files an
editable install lacks (compiling memtables' modules from source would double the figure,
and the stdlib sqlite3 is always precompiled).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .harness import Figure, human, table

REPEAT = 10
ENGINES = ["memtables", "sqlite3"]


def first_result_code(module: str) -> str:
    """``python -c`` source that prints the first result of ``module`` (memtables, sqlite3)."""
    target = "':memory:'" if module == "sqlite3" else ""
    return f"import {module}; print({module}.connect({target}).execute('select 1').fetchall())"


def best_process_times(commands: dict, repeat: int = REPEAT) -> dict[str, float]:
    """Best wall time, in seconds, of each ``name: (argv, stdin)`` run to its exit (it must
    succeed). The commands take turns within each round, so a busy machine slows them alike."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    best = dict.fromkeys(commands, float("inf"))
    for i in range(repeat + 1):
        for name, (argv, stdin) in commands.items():
            t0 = time.perf_counter()
            subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True, env=env)
            if i:  # the first round writes the bytecode
                best[name] = min(best[name], time.perf_counter() - t0)
    return best


def memtables_shell() -> list[str]:
    """The ``memtables`` command installed beside this interpreter (else ``-m memtables``)."""
    script = Path(sys.executable).with_name("memtables")
    return [str(script)] if script.exists() else [sys.executable, "-m", "memtables"]


def figures(repeat: int = REPEAT) -> list[Figure]:
    """The cold start workloads, each beside its sqlite3 counterpart."""
    py = sys.executable
    workloads = {
        "cold start to first result (python -c)": {
            m: ([py, "-c", first_result_code(m)], None) for m in ENGINES
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
        fig = Figure(name, "process")
        fig.times.update(best_process_times(commands, repeat))
        out.append(fig)
    return out


def run() -> None:
    """Print the cold start table (``python -m bench coldstart``)."""
    floor = best_process_times({"python": ([sys.executable, "-c", "pass"], None)})["python"]
    print(f"best of {REPEAT} whole processes, taking turns; an empty interpreter: {human(floor)}")
    print(table(figures(), ENGINES))
