"""Group by one field with a count and a mean (a design target: "group by one field, count + avg").

The kernel (``dictdb._core.aggregate``) runs in both cores in one run, beside the floor's hand-written loop
(``contenders.floor.count_avg``: two dict accumulations, then one row per group). ``Table.aggregate`` runs
once per core (``make bench`` does both), beside each contender's ``group_count_avg`` on the same rows
(``GROUP BY`` for sqlite3 and DuckDB, rows as dicts).
"""

from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from benchmarks.conftest import Stores, label
from benchmarks.contenders import floor, offering
from benchmarks.data import INDEXES

SPECS = [("n", "count_rows", None), ("avg", "avg", "salary")]
Rows = list[dict[str, Any]]


def by_dept(groups: Rows) -> Rows:
    return sorted(groups, key=lambda group: group["dept"])


def test_kernel_group_by_count_avg(benchmark: Any, kernel: SimpleNamespace, rows: Rows, size: int) -> None:
    label(benchmark, "kernel group-by count+avg", size, kernel.kind)
    out = benchmark(kernel.aggregate.aggregate, rows, ["dept"], SPECS)
    assert out == floor.count_avg(rows, "dept", "salary")


def test_floor_kernel_group_by_count_avg(benchmark: Any, rows: Rows, size: int) -> None:
    label(benchmark, "kernel group-by count+avg", size, floor.impl())
    out = benchmark(floor.count_avg, rows, "dept", "salary")
    assert sum(group["n"] for group in out) == size


@pytest.mark.parametrize("impl", offering("group_count_avg"))
def test_group_by_count_avg(benchmark: Any, impl: ModuleType, stores: Stores, rows: Rows, size: int) -> None:
    label(benchmark, "aggregate group-by count+avg", size, impl.impl())
    store = stores.get(impl, size, INDEXES)
    out = benchmark(impl.group_count_avg, store, "dept", "salary")
    expected = by_dept(floor.count_avg(rows, "dept", "salary"))
    assert [(g["dept"], g["n"]) for g in by_dept(out)] == [(g["dept"], g["n"]) for g in expected]
    assert [g["avg"] for g in by_dept(out)] == pytest.approx([g["avg"] for g in expected])
