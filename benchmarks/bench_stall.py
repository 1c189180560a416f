"""How long a save holds other work back: a save (``async_save`` on an event loop) of the benchmark employees
beside an event loop's 1 ms ticker, a thread reading with ``get`` and a thread writing with ``upsert``, and a
full backup beside a reader (``benchmarks/stall.py`` has the measures and says what they mean).

The time measured is the save's, beside the waiting task or thread; each round's **worst gap**, the longest
the waiter went without a step, is kept in ``extra_info["worst_gap"]`` (the median over the rounds, in
seconds), which ``ratios.py`` prints in a table of its own. DictDB runs once per core (``make bench`` runs
both); the figures that matter are at 1,000,000 rows (``DICTDB_BENCH_LARGE=1``, or ``python -m
benchmarks.stall``), where a save takes seconds: at 100,000 rows a save is short enough for even one long C
call to stay under the targets.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from benchmarks import ratios
from benchmarks.conftest import label
from benchmarks.stall import FORMATS, WAITERS, Measure, beside_thread, database_of, save_beside
from dictdb import BackupManager, DictDB

Rows = list[dict[str, Any]]


@pytest.fixture
def db_rows(request: pytest.FixtureRequest, rows: Rows) -> Rows:
    """The rows to save: the smoke pass of ``make test`` (timings disabled) saves a hundredth of them: it
    checks that the measures run, not what they measure."""
    return rows[: len(rows) // 100] if request.config.getoption("benchmark_disable") else rows


def rounds(size: int) -> dict[str, int]:
    return {"rounds": 3 if size >= 100_000 else 5, "warmup_rounds": 1, "iterations": 1}


def keep_gaps(benchmark: Any, runs: list[Measure]) -> None:
    """The median of the rounds' worst gaps, for ``ratios.py``; the warm-up round is left out."""
    gaps = [gap for _, gap in runs[1:]] or [gap for _, gap in runs]
    benchmark.extra_info["worst_gap"] = statistics.median(gaps)


@pytest.mark.parametrize("waiter", WAITERS)
@pytest.mark.parametrize("file_format", FORMATS)
def test_save_beside(
    benchmark: Any, db_rows: Rows, size: int, tmp_path: Path, file_format: str, waiter: str
) -> None:
    operation = "async_save" if waiter == "event loop" else "save"
    label(benchmark, f"{file_format} {operation} beside a {waiter}", size)
    db = database_of(db_rows)
    path = tmp_path / f"db.{file_format}"
    runs: list[Measure] = []
    benchmark.pedantic(lambda: runs.append(save_beside(db, waiter, path, file_format)), **rounds(size))
    keep_gaps(benchmark, runs)
    saved = DictDB.load(path, file_format).get_table("employees").records
    assert len(saved.keys() - {-1}) == len(db_rows)  # -1: the writer thread's record, if it wrote one first


@pytest.mark.parametrize("file_format", FORMATS)
def test_backup_beside(benchmark: Any, db_rows: Rows, size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} backup_full beside a reader thread", size)
    db = database_of(db_rows)
    manager = BackupManager(db, tmp_path, file_format=file_format, keep=2)
    manager.backup_full()  # the first drains the change tracking of every insert: not what is measured
    runs: list[Measure] = []
    benchmark.pedantic(
        lambda: runs.append(beside_thread(db, manager.backup_full, write=False)), **rounds(size)
    )
    keep_gaps(benchmark, runs)
    assert len(BackupManager.restore(tmp_path).get_table("employees").records) == len(db_rows)


def test_the_ratio_table_prints_the_gaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    op = "pickle save beside a reader thread"
    bench = {
        "extra_info": {"op": op, "size": 1_000, "impl": "cython", "worst_gap": 0.012},
        "stats": {"median": 1.0},
    }
    path = tmp_path / "compiled.json"
    path.write_text(json.dumps({"benchmarks": [bench]}), encoding="utf-8")
    assert ratios.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "Worst gaps" in out
    assert any(
        line.startswith(f"| {op}") and "12 ms" in line for line in out.split("Worst gaps")[1].splitlines()
    )
