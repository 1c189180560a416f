"""Time the same table operations in the compiled and the pure core, and print them side by side.

Each core runs in its own process (the core is chosen once, at import, by ``DICTDB_NO_EXTENSIONS``).
Usage: ``python benchmarks/compare.py [--rows N]``; ``make demo`` runs it with 100,000 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(rows: int) -> dict[str, object]:
    """Run in the child: build a table of ``rows`` records and time operations on it."""
    sys.path.insert(0, str(HERE.parent))
    import dictdb
    from benchmarks.data import SCAN, make_rows

    data = make_rows(rows)
    table = dictdb.DictDB().create_table("employees")

    def insert_all() -> None:
        table.records.clear()
        for row in data:
            table.insert(row)

    t = table
    where = (t.age >= SCAN["age_min"]) & (t.dept == SCAN["dept"]) & (t.salary < SCAN["salary_max"])
    either = (t.city == "city7") | ~(t.age >= 20)
    keys = [row["id"] for row in data[:: max(1, rows // 10_000)]]
    timings = {
        f"insert {rows:,} one by one": best_of(3, insert_all),
        "select, 3-clause scan": best_of(5, lambda: table.select(where=where)),
        "select, or/not scan": best_of(5, lambda: table.select(where=either)),
        "select, 2 columns of all rows": best_of(3, lambda: table.select(["name", "age"])),
        f"get(pk) x {len(keys):,}": best_of(5, lambda: [table.get(k) for k in keys]),
    }
    return {"core": dictdb.core_implementation(), "timings": timings}


def run_child(rows: int, pure: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "DICTDB_NO_EXTENSIONS"}
    if pure:
        env["DICTDB_NO_EXTENSIONS"] = "1"
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--rows", str(rows)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.rows)))
        return 0
    compiled, pure = run_child(args.rows, pure=False), run_child(args.rows, pure=True)
    if compiled["core"] != "cython":
        print("the compiled core is not built: run `make demo` (or `make build`) first", file=sys.stderr)
        return 1
    ctimes, ptimes = compiled["timings"], pure["timings"]
    assert isinstance(ctimes, dict)
    assert isinstance(ptimes, dict)
    width = max(len(op) for op in ctimes)
    print(
        f"\nDictDB, {args.rows:,} records: compiled (Cython) core vs pure-Python core, best of several runs\n"
    )
    print(f"{'operation'.ljust(width)}  {'compiled':>12}  {'pure':>12}  {'speed-up':>8}")
    print(f"{'-' * width}  {'-' * 12}  {'-' * 12}  {'-' * 8}")
    for op, c in ctimes.items():
        p = ptimes[op]
        print(f"{op.ljust(width)}  {fmt(c):>12}  {fmt(p):>12}  {p / c:>7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
