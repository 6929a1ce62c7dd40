"""Timing helpers: best-of-N per-operation times, printed side by side as ratios."""

from __future__ import annotations

import gc
import json
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Figure:
    """One workload's per-operation times by engine (seconds) and its unit of work."""

    name: str
    unit: str
    times: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def ratio(self, engine: str = "memtables", reference: str = "sqlite3") -> float | None:
        a, b = self.times.get(engine), self.times.get(reference)
        if a is None or b is None or b == 0:
            return None
        return a / b


def best_time(fn: Callable[[], int], repeat: int = 3) -> float:
    """Best per-operation time of ``fn`` (which returns how many operations it did)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        n = fn()
        dt = time.perf_counter() - t0
        best = min(best, dt / max(n, 1))
    return best


def human(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def table(figures: list[Figure], engines: list[str]) -> str:
    """Figures as an aligned text table with the memtables / sqlite3 ratio."""
    head = ["workload", "unit"] + engines + ["ratio vs sqlite3"]
    rows = []
    for f in figures:
        r = f.ratio()
        rows.append(
            [f.name, f.unit]
            + [human(f.times[e]) if e in f.times else "-" for e in engines]
            + [f"{r:.2f}x" if r is not None else "-"]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths))
    out = [line, "-" * len(line)]
    for row in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    return "\n".join(out)


def write_json(figures: list[Figure], path: str) -> None:
    data = [
        {
            "workload": f.name,
            "unit": f.unit,
            "seconds": f.times,
            "ratio_vs_sqlite3": f.ratio(),
            "note": f.note,
        }
        for f in figures
    ]
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2)


def write_png(figures: list[Figure], engines: list[str], path: str) -> bool:
    """A bar chart of ratios (needs matplotlib, the ``bench`` extra); False when missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [f.name for f in figures if f.ratio() is not None]
    ratios = [f.ratio() for f in figures if f.ratio() is not None]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(names) + 1.5))
    ax.barh(names, ratios, color=["#2a7" if r <= 1 else "#d73" for r in ratios])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("time relative to sqlite3 :memory: (smaller is faster)")
    ax.invert_yaxis()
    for i, r in enumerate(ratios):
        ax.text(r, i, f" {r:.2f}x", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True
