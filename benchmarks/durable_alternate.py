"""The transfer of ``bench_durable.py``, DictDB and sqlite3 run alternately, which cancels drift.

Usage: python -m benchmarks.durable_alternate [--rows N] [--blocks B] [--per-block K] [--modes M,M]

pytest-benchmark runs one variant after the other. An fsync's cost depends on what the disk is doing at the
moment (other jobs on a shared machine, the host's write-back), so ``sync="full"`` and sqlite3's
``synchronous=FULL``, measured a minute apart, can differ tenfold for reasons of neither. Here each pair of
the targets (DictDB ``memory`` / sqlite3 ``:memory:``, ``sync="normal"`` / WAL ``NORMAL``,
``sync="full"`` / WAL ``FULL``) runs in alternating blocks of ``K`` transfers on the same tables, and the
median, 10th and 90th percentiles of the single transfers are printed. Also timed, in the same blocks: a bare
``os.write`` + ``os.fsync`` of a 150-byte record to a file of its own, the floor of any ``full`` commit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import accounts
from dictdb import DictDB

PAIRS = {
    "memory": ("memory", "memory"),
    "normal": ("normal", "wal-normal"),
    "full": ("full", "wal-full"),
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=30)
    parser.add_argument("--per-block", type=int, default=20)
    parser.add_argument("--modes", default="memory,normal,full")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="dictdb-alternate-"))
    try:
        return run_all(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_all(args: argparse.Namespace, folder: Path) -> int:
    pairs = accounts.transfer_pairs(args.rows)
    runs: dict[str, Callable[[], object]] = {}
    opened: list[DictDB] = []
    connections: list[sqlite3.Connection] = []
    files: list[int] = []
    for mode in args.modes.split(","):
        kind, sqlite_mode = PAIRS[mode]
        if kind == "memory":
            db = DictDB()
            table = accounts.fill(db, args.rows)
        else:
            db = accounts.opened(folder / f"dictdb-{kind}", args.rows, kind)
            table = db.get_table(accounts.TABLE)
            opened.append(db)
        synchronous = accounts.SQLITE_MODES[sqlite_mode]
        path = None if synchronous is None else folder / f"sqlite-{sqlite_mode}.db"
        con = accounts.sqlite_accounts(path, synchronous, args.rows)
        connections.append(con)
        runs[f"DictDB {'memory' if kind == 'memory' else 'sync=' + kind}"] = accounts.dictdb_transfer(
            db, table, pairs
        )
        runs[f"sqlite3 {sqlite_mode}"] = accounts.sqlite_transfer(con, pairs)
    if "full" in args.modes.split(","):
        fd = os.open(folder / "bare", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        record = b"x" * 150

        def bare() -> None:
            os.write(fd, record)
            os.fsync(fd)

        runs["bare os.write + os.fsync"] = bare
        files.append(fd)
    times: dict[str, list[float]] = {name: [] for name in runs}
    clock = time.perf_counter
    for _ in range(args.blocks):
        for name, run in runs.items():
            for _ in range(args.per_block):
                start = clock()
                run()
                times[name].append(clock() - start)
    print(f"{args.rows:,} rows, {args.blocks} alternating blocks of {args.per_block} transfers, in {folder}")
    print(f"{'':28} {'median':>10} {'p10':>10} {'p90':>10}")
    for name, found in times.items():
        found.sort()
        cells = [statistics.median(found), found[len(found) // 10], found[len(found) * 9 // 10]]
        print(f"{name:28} " + " ".join(f"{cell * 1e6:8.1f}µs" for cell in cells))
    for db in opened:
        accounts.release(db)
    for con in connections:
        con.close()
    for fd in files:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
