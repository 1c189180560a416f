"""How long a save, an async save or a full backup holds everything else back (docs/performance.md).

Usage: python -m benchmarks.stall [--rows N] [--repeat R]
(default 1,000,000 of the benchmark employees, 5 runs of each row; prints a Markdown table)

Each row runs one operation on a database of one table of ``N`` employees while something else measures how
long it is kept waiting, as the **worst gap**: the longest time between two consecutive steps of

- an event loop: an asyncio task sleeping 1 ms in a loop, while ``await db.async_save(...)`` runs on the same
  loop (a gap includes the 1 ms sleep);
- a reader thread: another thread calling ``table.get(pk)`` in a loop, while this thread runs ``db.save(...)``
  or ``BackupManager.backup_full()``;
- a writer thread: another thread calling ``table.upsert(...)`` on one record in a loop, while this thread
  runs ``db.save(...)``: it also waits for the locks a save holds while it takes its snapshot.

Two threads share the GIL: a thread that wants it gets it within the switch interval (5 ms) of asking,
unless the other is inside one long C call, which keeps it until the call returns. So a few ms is the floor
of this measure with two busy threads, and anything well above it is one long call, a lock held, or the
machine running something else (the ``idle`` rows: the same measure with nothing else running in this
process, for as long as the longest operation). ``total`` is the operation's own time, with nothing else
running (``alone``) and beside the task or thread (a thread that never waits takes half the GIL, so a save
beside one takes about twice as long). Each row is run ``R`` times: the table gives the median of the
totals, and the median and the largest of the worst gaps.

``bench_stall.py`` runs the same measures under pytest-benchmark, at the benchmark sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dictdb
from benchmarks.data import make_rows
from dictdb import BackupManager, DictDB

FORMATS = ("pickle", "json")
TABLE = "employees"
#: What waits, by the name the tables give it.
WAITERS = ("event loop", "reader thread", "writer thread")

Measure = tuple[float, float]  # (total, worst gap), in seconds


def database_of(rows: list[dict[str, Any]]) -> DictDB:
    """One table, ``employees``, holding copies of ``rows``."""
    db = DictDB()
    db.create_table(TABLE).insert(rows)
    return db


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def beside_event_loop(run: Callable[[], Any]) -> Measure:
    """``(total, worst gap)`` of an asyncio task sleeping 1 ms in a loop while ``await run()`` runs on the
    same event loop."""

    async def main() -> Measure:
        done = False
        worst = 0.0

        async def tick() -> None:
            nonlocal worst
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                worst = max(worst, now - last)
                last = now

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0.02)  # the ticker is running
        worst = 0.0
        start = time.perf_counter()
        await run()
        total = time.perf_counter() - start
        done = True
        await ticker
        return total, worst

    return asyncio.run(main())


def beside_thread(db: DictDB, run: Callable[[], object], *, write: bool) -> Measure:
    """``(total, worst gap)`` of another thread reading (``get``) or writing (``upsert``) the table in a
    loop while this thread calls ``run()``."""
    table = db.get_table(TABLE)
    keys = list(table.records)[:: max(1, len(table.records) // 1000)] or [0]
    stop = threading.Event()
    started = threading.Event()
    worst = [0.0]

    def loop() -> None:
        step = 0
        last = time.perf_counter()
        started.set()
        while not stop.is_set():
            if write:
                table.upsert({"id": -1, "name": "probe", "step": step})
            else:
                table.get(keys[step % len(keys)])
            now = time.perf_counter()
            worst[0] = max(worst[0], now - last)
            last = now
            step += 1

    other = threading.Thread(target=loop, daemon=True)
    other.start()
    started.wait()
    time.sleep(0.02)
    worst[0] = 0.0
    total = timed(run)
    stop.set()
    other.join()
    if write:
        table.delete(where=table.id == -1)
    return total, worst[0]


def save_beside(db: DictDB, waiter: str, path: Path, file_format: str) -> Measure:
    """One save of ``db`` to ``path`` beside ``waiter`` (one of ``WAITERS``)."""
    if waiter == "event loop":
        return beside_event_loop(lambda: db.async_save(path, file_format))
    return beside_thread(db, lambda: db.save(path, file_format), write=waiter == "writer thread")


def idle_gaps(db: DictDB, seconds: float = 0.5) -> dict[str, float]:
    """The worst gap of the event loop's ticker and of the reader thread with nothing else running."""
    return {
        "event loop": beside_event_loop(lambda: asyncio.sleep(seconds))[1],
        "reader thread": beside_thread(db, lambda: time.sleep(seconds), write=False)[1],
    }


Row = dict[str, Any]


def row(what: str, runs: list[Measure]) -> Row:
    return {
        "what": what,
        "total": statistics.median(total for total, _ in runs),
        "gap": statistics.median(gap for _, gap in runs),
        "worst gap": max(gap for _, gap in runs),
    }


def measure(n: int, repeat: int = 5) -> list[Row]:
    """Every row of the table."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        db = database_of(make_rows(n))
        found: list[Row] = []
        # First, while the table's change tracking still holds every insert: the first backup drains it.
        manager = BackupManager(db, folder / "backups", file_format="pickle", keep=2)
        first = beside_thread(db, manager.backup_full, write=False)
        found.append(row("pickle backup_full, the first: reader thread", [first]))
        for file_format in FORMATS:
            path = folder / f"db.{file_format}"
            alone = [(timed(lambda path=path, f=file_format: db.save(path, f)), 0.0) for _ in range(repeat)]
            found.append({**row(f"{file_format} save, alone", alone), "gap": None, "worst gap": None})
            for waiter in WAITERS:
                runs = [save_beside(db, waiter, path, file_format) for _ in range(repeat)]
                operation = "async_save" if waiter == "event loop" else "save"
                found.append(row(f"{file_format} {operation}: {waiter}", runs))
            manager = BackupManager(db, folder / f"backups-{file_format}", file_format=file_format, keep=2)
            runs = [beside_thread(db, manager.backup_full, write=False) for _ in range(repeat)]
            found.append(row(f"{file_format} backup_full: reader thread", runs))
        # The floor: the same waiters with nothing else running in this process, for as long as the longest
        # operation took (at most 10 s): a busy machine stalls a process now and then, and the longer a
        # run, the likelier it catches a long stall.
        seconds = min(10.0, max(r["total"] for r in found if r["total"] is not None))
        for _ in range(repeat):
            for waiter, gap in idle_gaps(db, seconds).items():
                found.append({"what": f"idle for {seconds:.1f} s: {waiter}", "total": None, "gap": gap})
        return merge_idle(found)


def merge_idle(found: list[Row]) -> list[Row]:
    """One row per idle waiter: the median and the largest of its runs' worst gaps."""
    rows: dict[str, Row] = {}
    for r in found:
        if r["what"].startswith("idle"):
            gaps = rows.setdefault(r["what"], {"what": r["what"], "total": None, "gaps": []})["gaps"]
            gaps.append(r["gap"])
        else:
            rows[r["what"]] = r
    for r in rows.values():
        gaps = r.pop("gaps", None)
        if gaps is not None:
            r.update(gap=statistics.median(gaps), **{"worst gap": max(gaps)})
    return list(rows.values())


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:,.1f} ms"


def table(found: list[Row], n: int) -> str:
    lines = [
        f"n = {n:,}, {dictdb.core_implementation()} core, Python {sys.version.split()[0]}\n",
        "| operation: what waits | total (median) | worst gap (median) | worst gap (largest) |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {r['what']} | {ms(r['total'])} | {ms(r['gap'])} | {ms(r['worst gap'])} |" for r in found]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(table(measure(args.rows, args.repeat), args.rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
