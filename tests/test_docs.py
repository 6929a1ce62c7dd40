"""Every Python block in the README runs, and prints what its comments say it prints.

Expected output is written as a trailing ``# ...`` comment on a line that calls ``print``,
or as ``# ...`` lines right after a statement whose body prints.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


def expected_output(block: str) -> list[str]:
    out: list[str] = []
    lines = block.splitlines()
    printing = False
    for line in lines:
        if line.startswith("# ") or line == "#":
            if printing:
                out.append(line[2:])
            continue
        code, _, comment = line.partition("  # ")
        if "print(" in code:
            printing = not comment
            if comment:
                out.append(comment.strip())
        elif line and not line[0].isspace():
            printing = False
    return out


def test_readme_has_python_blocks():
    assert len(python_blocks(README.read_text())) >= 4


def test_readme_blocks_run_and_print_what_they_say():
    ns: dict = {}
    for i, block in enumerate(python_blocks(README.read_text())):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(block, f"README block {i + 1}", "exec"), ns)
        got = [line.rstrip() for line in buf.getvalue().splitlines()]
        assert got == expected_output(block), f"README block {i + 1}"


def test_readme_starts_with_install_and_test_commands():
    text = README.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    assert blocks[0].strip() == "pip install -e . && memtables"
    assert blocks[1].strip() == "pip install -e '.[test]' && python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1].strip() in ci


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_run(path):
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip(), "an example should show what it did"
