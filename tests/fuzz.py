"""SQL fuzzing against memtables' contract (issue 12).

After every random statement (valid or broken):

- only ``memtables.Error`` subclasses escape, and ``InternalError`` never;
- a failed statement leaves the database's digest (every table's sorted rows plus the
  ``sys.*`` schema) unchanged;
- after a statement that succeeded, every single-column index answers like a full scan and
  no PRIMARY KEY or UNIQUE holds a value twice;
- a durable database, committed, closed and reopened (from the log, then from a CHECKPOINT
  snapshot), has the same digest.

Statements come from ``fuzz_gen`` (grammar- and schema-aware, with token-level mutations);
a few steps go through the other doors instead: ``executemany``, ``executescript``, the
fetch methods, ``to_arrow``/``from_arrow`` and the key-value face.

Failures are deduplicated by kind, exception type and the line that raised it, and each new
one is shrunk to a short list of statements that still reproduces it.

Long runs: ``python -m tests.fuzz --minutes 30 [--seed S]``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

import memtables
from tests.fuzz_check import Failure, classify, diff, diff_part, digest, invariants, where
from tests.fuzz_gen import Gen, Model

#: Statements per session, and how often a durable session is closed and reopened.
SESSION_STATEMENTS = 30
REOPEN_EVERY = 10
#: A statement running longer than this is reported as a stall and the run stops.
STALL_SECONDS = 60


# ---------------------------------------------------------------------------- targets
class _Skip(Exception):
    """A step that could not be set up (input pyarrow itself refuses): not a finding."""


class Target:
    """One database under test: in memory, or durable in a temporary directory.

    ``backend`` is "memory" or "durable", with "+autocommit" when the connection runs in
    autocommit mode (a failed statement then ends its own transaction).
    """

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.autocommit = backend.endswith("+autocommit")
        durable = backend.startswith("durable")
        self.dir = tempfile.mkdtemp(prefix="mtfuzz-") if durable else None
        self.path = os.path.join(self.dir, "db") if self.dir else None
        self.conn = self._connect()

    def _connect(self):
        conn = memtables.connect(self.path) if self.path else memtables.connect()
        conn.autocommit = self.autocommit
        return conn

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:
            pass
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, sql: str, params) -> BaseException | None:
        """Run one step (a statement or a DB-API call); return the exception it raised."""
        try:
            self._call(sql, params)
        except _Skip:
            return None
        except Exception as e:
            return e
        return None

    def _call(self, sql: str, params) -> None:
        conn = self.conn
        if sql == "<executemany>":
            conn.executemany(params[0], params[1])
        elif sql == "<executescript>":
            conn.executescript(params[0])
        elif sql == "<fetch>":
            text, args, how, arg = params
            cur = conn.execute(text, args)
            result = getattr(cur, how)(arg) if arg is not None else getattr(cur, how)()
            if how == "fetch_record_batch":
                result.read_all()
        elif sql == "<to_arrow>":
            conn.to_arrow(params[0])
        elif sql == "<kv>":
            table, method, args = params
            try:
                getattr(conn.cache(table), method)(*args)
            except KeyError:
                if method != "ttl":  # kv.ttl(missing) raises KeyError, like a dict
                    raise
        elif sql == "<from_arrow>":
            import pyarrow as pa

            name, columns, mode, pk = params
            try:
                data = pa.table(columns)
            except Exception:
                raise _Skip from None  # pyarrow's own refusal, not ours to judge
            conn.from_arrow(name, data, mode=mode, primary_key=pk)
        else:
            cur = conn.execute(sql, params)
            if cur.description is not None:
                cur.fetchall()

    def reopen_check(self) -> Failure | None:
        """Commit, close, reopen from the log, then CHECKPOINT and reopen from the snapshot."""
        for stage in ("log", "snapshot"):
            try:
                self.conn.commit()
                if stage == "snapshot":
                    self.conn.execute("CHECKPOINT")
                    self.conn.commit()
                before = digest(self.conn, durable_only=True)
                self.conn.close()
            except Exception as e:
                return Failure(f"close-{stage}", where(e), str(e)[:300], self.backend)
            try:
                self.conn = self._connect()
                after = digest(self.conn, durable_only=True)
            except Exception as e:
                return Failure(f"reopen-{stage}", where(e), str(e)[:300], self.backend)
            if before != after:
                return Failure(
                    f"differs-after-{stage}",
                    diff_part(before, after),
                    diff(before, after),
                    self.backend,
                )
        return None


def check_statement(target: Target, sql: str, params, before: dict) -> Failure | None:
    """Run a statement and check the contract; ``before`` is the digest taken before it."""
    exc = target.run(sql, params)
    if exc is None:
        return invariants(target.conn, target.backend)
    kind = classify(exc)
    if kind is not None:
        return Failure(kind, where(exc), f"{type(exc).__name__}: {exc}"[:300], target.backend)
    if sql == "<executescript>":
        return None  # a script's earlier statements stand when a later one fails (sqlite3 too)
    try:
        after = digest(target.conn)
    except Exception as e:
        return Failure("digest-fails", where(e), str(e)[:300], target.backend)
    if after != before:
        return Failure(
            "failed-statement-changed-state",
            f"{type(exc).__name__}|{diff_part(before, after)}",
            f"{exc} -- {diff(before, after)}"[:600],
            target.backend,
        )
    return None


# ---------------------------------------------------------------------------- shrinking
def _reproduces(failure: Failure, steps: list) -> bool:
    target = Target(failure.backend)
    try:
        *prefix, last = steps
        for sql, params in prefix:
            if sql == "<reopen>":
                if target.reopen_check() is not None:
                    return False
            else:
                target.run(sql, params)
        if last[0] == "<reopen>":
            got = target.reopen_check()
        else:
            try:
                before = digest(target.conn)
            except Exception:
                return False
            got = check_statement(target, last[0], last[1], before)
        return got is not None and got.key == failure.key
    finally:
        target.close()


def _groups(sql: str) -> list[tuple[int, int]]:
    """Spans of parenthesised groups and long digit runs in ``sql``, longest first."""
    spans, stack = [], []
    for i, ch in enumerate(sql):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            spans.append((stack.pop(), i + 1))
    spans += [(m.start(), m.end()) for m in re.finditer(r"[0-9]{25,}", sql)]
    return sorted(spans, key=lambda s: s[0] - s[1])


def _simplify(failure: Failure, steps: list, k: int, stop: float) -> list:
    """Replace parts of statement ``k`` by a plain literal while the failure reproduces."""
    sql, params = steps[k]
    tried: set = set()
    changed = True
    while changed and time.monotonic() < stop:
        changed = False
        for a, b in _groups(sql):
            if time.monotonic() >= stop:
                break
            first = sql[:a].count("?")
            inner = sql[a:b].count("?")
            for lit in ("1", "(1)", "NULL"):
                new_sql = sql[:a] + lit + sql[b:]
                if new_sql in tried or len(new_sql) >= len(sql):
                    continue
                tried.add(new_sql)
                new_params = list(params[:first]) + list(params[first + inner :])
                cand = steps[:k] + [(new_sql, new_params)] + steps[k + 1 :]
                if _reproduces(failure, cand):
                    sql, params, steps, changed = new_sql, new_params, cand, True
                    break
            if changed:
                break
    return steps


_TOKEN = re.compile(
    r"[xX]'[0-9A-Fa-f]*'|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|"
    r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|\w+|<=|>=|<>|!=|==|\|\||<<|>>|\S"
)


def _drop_tokens(failure: Failure, steps: list, k: int, stop: float) -> list:
    """Delete runs of tokens from statement ``k`` (halving run lengths) while it reproduces."""
    sql, params = steps[k]
    tokens = _TOKEN.findall(sql)

    def attempt(toks: list) -> list | None:
        text = " ".join(toks)
        n = sum(t == "?" for t in toks)
        cand = steps[:k] + [(text, list(params[:n]))] + steps[k + 1 :]
        return cand if _reproduces(failure, cand) else None

    best = attempt(tokens)
    if best is None:
        return steps
    chunk = max(1, len(tokens) // 2)
    while chunk >= 1:
        i = 0
        while i < len(tokens) and time.monotonic() < stop:
            cand = attempt(tokens[:i] + tokens[i + chunk :])
            if cand is not None:
                tokens, best = tokens[:i] + tokens[i + chunk :], cand
            else:
                i += chunk
        chunk //= 2
    return best


def shrink(failure: Failure, steps: list, budget: float = 20.0) -> list:
    """Drop statements, then simplify the rest, while the failure still reproduces."""
    stop = time.monotonic() + budget
    if not _reproduces(failure, steps):
        return steps
    steps = _drop_steps(failure, steps, stop)
    for k in range(len(steps) - 1, -1, -1):
        if not steps[k][0].startswith("<"):
            steps = _simplify(failure, steps, k, stop)
            steps = _drop_tokens(failure, steps, k, stop)
    return steps


def _drop_steps(failure: Failure, steps: list, stop: float) -> list:
    """Drop statements, in halving chunks, keeping the last (the one that fails)."""
    chunk = max(1, (len(steps) - 1) // 2)
    while chunk >= 1:
        i = 0
        while i < len(steps) - 1 and time.monotonic() < stop:
            candidate = steps[:i] + steps[i + chunk :]
            if (
                len(candidate) >= 1
                and candidate[-1] == steps[-1]
                and _reproduces(failure, candidate)
            ):
                steps = candidate
            else:
                i += chunk
        chunk //= 2
    return steps


# ---------------------------------------------------------------------------- the run
@dataclass
class Report:
    """What a fuzz run found: statements run and failures by (kind, location)."""

    statements: int = 0
    sessions: int = 0
    reopens: int = 0
    failures: dict = field(default_factory=dict)
    shrink_budget: float = 20.0
    on_new: object = None

    def add(self, failure: Failure, steps: list, seed: int | None) -> None:
        old = self.failures.get(failure.key)
        if old is not None:
            old.count += 1
            return
        failure.seed = seed
        failure.steps = shrink(failure, steps, self.shrink_budget)
        self.failures[failure.key] = failure
        if callable(self.on_new):
            self.on_new(failure)


class _Watchdog:
    """Reports a statement that runs for more than STALL_SECONDS, then ends the process."""

    def __init__(self) -> None:
        self.current: tuple | None = None
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while True:
            time.sleep(1)
            cur = self.current
            if cur is not None and time.monotonic() - cur[0] > STALL_SECONDS:
                print(f"STALL: {cur[1]!r} ran for over {STALL_SECONDS}s", file=sys.stderr)
                os._exit(3)


def run_session(draw, report: Report, seed: int | None, watchdog: _Watchdog | None) -> None:
    """One session: a fresh database, a run of random statements, reopen checks if durable."""
    backend = draw(st.sampled_from(["memory", "durable"]))
    if draw(st.integers(0, 4)) == 0:
        backend += "+autocommit"
    target = Target(backend)
    model = Model()
    gen = Gen(draw, model)
    steps: list = []
    report.sessions += 1
    try:
        before = digest(target.conn)
        for i in range(SESSION_STATEMENTS):
            if gen.chance(0.12):
                sql, params = gen.door()
            else:
                sql, params = gen.statement()
            report.statements += 1
            if watchdog:
                watchdog.current = (time.monotonic(), sql)
            failure = check_statement(target, sql, params, before)
            if watchdog:
                watchdog.current = None
            steps.append((sql, params))
            if failure is not None:
                report.add(failure, steps, seed)
            try:
                model.refresh(target.conn)
                before = digest(target.conn)
            except Exception as e:
                report.add(Failure("digest-fails", where(e), str(e), backend), steps, seed)
                return
            if target.path and (i + 1) % REOPEN_EVERY == 0:
                report.reopens += 1
                steps.append(("<reopen>", []))
                failure = target.reopen_check()
                if failure is not None:
                    # Go on with a fresh database: one reopen bug must not end the session.
                    report.add(failure, steps, seed)
                    target.close()
                    target, steps = Target(backend), []
                    model.refresh(target.conn)
                before = digest(target.conn)
    finally:
        target.close()
        gen.close()


def fuzz(seed: int, sessions: int, report: Report, watchdog: _Watchdog | None = None) -> Report:
    """Run ``sessions`` random sessions drawn by hypothesis from ``seed``."""

    @settings(
        max_examples=sessions,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def session(data):
        run_session(data.draw, report, seed, watchdog)

    hypothesis_seed(seed)(session)()
    return report


def print_failure(f: Failure) -> None:
    print(f"\n=== {f.kind} at {f.where} ({f.backend}, seed {f.seed}, seen {f.count}x)")
    print(f"    {f.message}")
    print("    repro:")
    for line in f.repro().splitlines():
        print("      " + line)


def main(argv: list[str] | None = None) -> int:
    """Command line: fuzz for some minutes and print what was found."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=None, help="first seed (random when left out)")
    ap.add_argument("--quiet", action="store_true", help="print failures only at the end")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    report = Report(on_new=None if args.quiet else print_failure)
    watchdog = _Watchdog()
    stop = time.monotonic() + args.minutes * 60
    print(f"fuzzing for {args.minutes} min from seed {seed}")
    chunk = 0
    while time.monotonic() < stop:
        fuzz(seed + chunk, 10, report, watchdog)
        chunk += 1
    print(
        f"\n{report.statements} statements in {report.sessions} sessions "
        f"({report.reopens} reopen checks), seeds {seed}..{seed + chunk - 1}: "
        f"{len(report.failures)} distinct failures"
    )
    for f in sorted(report.failures.values(), key=lambda f: f.key):
        if args.quiet:
            print_failure(f)
        else:
            print(f"  {f.count:5d}x {f.kind} at {f.where}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
