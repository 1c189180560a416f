"""The cost curve of the compiled sorted index over its block size (``load``), for docs/indexes.md.

Usage: python benchmarks/index_load.py [n]   (default 100,000 entries keyed by salary, the benchmark data set)

Prints a Markdown table: per-operation times (best of several runs) and bytes per entry measured with
tracemalloc, for a bulk-built index and for one built by random inserts.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks.data import make_rows
from dictdb._core import _index

LOADS = (32, 64, 128, 256, 512, 1024, 2048)


def best(run: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def bytes_per_entry(build: Callable[[], Any], n: int) -> float:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    index = build()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(index) == n
    return used / n


def measure(load: int, pairs: list[tuple[Any, Any]]) -> dict[str, float]:
    n = len(pairs)
    doomed = pairs[::10]
    window = (60_000, 60_360)  # ~0.3% of the salaries

    def build() -> Any:
        return _index.SortedEntries(pairs, load=load)

    def insert_all() -> Any:
        index = _index.SortedEntries(load=load)
        for value, pk in pairs:
            index.insert(value, pk)
        return index

    def remove(index: Any) -> None:
        for value, pk in doomed:
            index.remove(value, pk)

    built = build()
    removals = []
    for _ in range(3):
        fresh = build()
        start = time.perf_counter()
        remove(fresh)
        removals.append(time.perf_counter() - start)
    return {
        "build ms": best(build) * 1e3,
        "insert µs": best(insert_all, 3) / n * 1e6,
        "remove µs": min(removals) / len(doomed) * 1e6,
        "range 0.3% µs": best(lambda: [built.range(*window) for _ in range(100)]) / 100 * 1e6,
        "first(10) ns": best(lambda: [built.first(10) for _ in range(1000)]) / 1000 * 1e9,
        "B/entry built": bytes_per_entry(build, n),
        "B/entry inserted": bytes_per_entry(insert_all, n),
    }


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 100_000
    pairs = [(row["salary"], row["id"]) for row in make_rows(n)]
    rows = [(load, measure(load, pairs)) for load in LOADS]
    columns = list(rows[0][1])
    print(f"n = {n:,}\n")
    print("| load | " + " | ".join(columns) + " |")
    print("|---:|" + "---:|" * len(columns))
    for load, figures in rows:
        print(f"| {load} | " + " | ".join(f"{figures[c]:.3g}" for c in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
