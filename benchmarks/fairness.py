"""Whether a loop of transactions starves other threads, and what the lock costs when nobody waits.

Usage: python -m benchmarks.fairness [--seconds S] [--repeat R]
(default 2 s, 3 runs; prints two Markdown tables)

**Contention.** One thread loops one-row transactions (``with db.transaction(): t.update(...)``), the
tightest way to take every write lock again as soon as it was released, while four threads loop an
``insert``, an ``update``, a ``select`` and a ``get`` on the same table, for ``S`` seconds. Each thread counts
its operations and keeps its longest single operation (its **worst wait**: the operation's time, nearly all
of it spent queued for the lock). A fair lock serves each thread in turn: every thread makes thousands of
operations and no wait is much above the GIL's switch interval (5 ms). A lock that lets the releasing
thread take it straight back lets the loop run alone.

**Uncontended.** The paths nobody waits on, best of many runs (``timeit``): ``get(pk)`` x 1,000, a one-row
insert, and a select of 10 rows by a scan of 1,000. Run it against another checkout
(``PYTHONPATH=other/src``) to compare.

``tests/reliability/test_fairness.py`` runs the contention measure and asserts loose bounds on it.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import timeit
from collections.abc import Callable
from typing import Any

import dictdb
from dictdb import DictDB, Table

#: The threads beside the transaction loop, by what they repeat.
OTHERS = ("insert", "update", "select", "get")
ROWS = 1_000


class Figures:
    """One thread's count of operations and its longest one, in seconds."""

    __slots__ = ("operations", "worst")

    def __init__(self) -> None:
        self.operations = 0
        self.worst = 0.0


def table_of(rows: int = ROWS) -> tuple[DictDB, Table]:
    """A database with one table ``t`` of ``rows`` records ``{"n": i, "v": 0}`` (primary keys 1..rows)."""
    db = DictDB()
    table = db.create_table("t")
    table.insert([{"n": i, "v": 0} for i in range(rows)])
    return db, table


def operations(db: DictDB, table: Table) -> dict[str, Callable[[int], object]]:
    """What each thread repeats, called with its step number."""

    def transaction(step: int) -> None:
        with db.transaction():
            table.update({"v": step}, where=table.id == 1 + step % ROWS)

    return {
        "transactions": transaction,
        "insert": lambda step: table.insert({"n": -step, "v": 0}),
        "update": lambda step: table.update({"v": -step}, where=table.id == 1 + (7 * step) % ROWS),
        "select": lambda step: table.select(where=table.n < 10),
        "get": lambda step: table.get(1 + (13 * step) % ROWS),
    }


def contend(seconds: float) -> dict[str, Figures]:
    """Run the transaction loop beside the four other threads for ``seconds``: each thread's figures."""
    db, table = table_of()
    work = operations(db, table)
    figures = {name: Figures() for name in work}
    start = threading.Barrier(len(work) + 1)
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop(name: str) -> None:
        run, mine = work[name], figures[name]
        clock = time.perf_counter
        start.wait()
        try:
            step = 0
            while not stop.is_set():
                began = clock()
                run(step)
                took = clock() - began
                step += 1
                mine.operations = step
                if took > mine.worst:
                    mine.worst = took
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(name,), name=f"fairness-{name}") for name in work]
    for thread in threads:
        thread.start()
    start.wait()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(60)
    if errors or any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"a thread failed or hung: {errors}")
    return figures


def uncontended(repeat: int = 50) -> dict[str, float]:
    """The best time of each uncontended path, in seconds: ``get`` x 1,000, an insert, a 10-row select."""
    db, table = table_of()
    spare = db.create_table("spare")
    keys = list(range(1, ROWS + 1))

    def gets() -> None:
        get = table.get
        for pk in keys:
            get(pk)

    where = table.n < 10
    cases: dict[str, tuple[Callable[[], object], int]] = {
        "get(pk) x 1,000": (gets, 20),
        "insert one row": (lambda: spare.insert({"n": 1, "v": 0}), 1_000),
        "select 10 of 1,000 rows (scan)": (lambda: table.select(where=where), 100),
    }
    return {
        name: min(timeit.repeat(run, number=number, repeat=repeat)) / number
        for name, (run, number) in cases.items()
    }


def contention_table(runs: list[dict[str, Figures]], seconds: float) -> str:
    lines = [
        f"Contention, {seconds:g} s per run, {len(runs)} runs (core: {dictdb.core_implementation()})",
        "",
        "| thread | operations (min / median / max) | worst wait, ms (median / max) |",
        "|---|---|---|",
    ]
    for name in runs[0]:
        ops = sorted(run[name].operations for run in runs)
        worst = sorted(run[name].worst * 1e3 for run in runs)
        lines.append(
            f"| {name} | {ops[0]:,} / {ops[len(ops) // 2]:,} / {ops[-1]:,} "
            f"| {worst[len(worst) // 2]:.1f} / {worst[-1]:.1f} |"
        )
    return "\n".join(lines)


def uncontended_table(best: dict[str, float]) -> str:
    lines = [f"Uncontended, best of many (core: {dictdb.core_implementation()})", ""]
    lines += ["| path | µs |", "|---|---|"]
    lines += [f"| {name} | {seconds * 1e6:.2f} |" for name, seconds in best.items()]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    args: Any = parser.parse_args(argv)
    runs = [contend(args.seconds) for _ in range(args.repeat)]
    print(contention_table(runs, args.seconds))
    print()
    print(uncontended_table(uncontended()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
