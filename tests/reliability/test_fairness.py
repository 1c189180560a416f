"""A loop of transactions does not starve other threads: one thread loops one-row transactions while four
threads loop an insert, an update, a select and a get on the same table (``benchmarks/fairness.py`` has the
measure, and prints the real figures). The lock serves waiting threads in arrival order and hands the lock
to them, so each thread makes its share of operations and no single one waits long.

The bounds are loose, for a loaded CI machine: on the development machine (2 cores) each thread makes
thousands of operations in 2 s and the worst wait is tens of milliseconds; a lock that let the releasing
thread take it straight back gave the select thread about 30 operations and waits of a quarter second.
"""

from __future__ import annotations

from benchmarks.fairness import contend

from tests.reliability.budget import scaled
from tests.reliability.figures import report

SECONDS = scaled(2, 30)
#: At least this many operations per thread, and no single one longer than this (seconds).
MIN_OPERATIONS = 10
MAX_WAIT = 2.0


def test_a_loop_of_transactions_does_not_starve_the_other_threads() -> None:
    figures = contend(SECONDS)
    for name, mine in figures.items():
        assert mine.operations >= MIN_OPERATIONS, (name, mine.operations)
        assert mine.worst < MAX_WAIT, (name, mine.worst)
    report(
        "fairness",
        seconds=SECONDS,
        **{f"{name} operations": mine.operations for name, mine in figures.items()},
        **{f"{name} worst wait ms": round(mine.worst * 1e3, 1) for name, mine in figures.items()},
    )
