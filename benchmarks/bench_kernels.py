"""Kernels of ``dictdb._core``, compiled vs pure in one run, over 1e3, 1e4 and 1e5 records."""

from __future__ import annotations

from types import SimpleNamespace

from benchmarks.conftest import label
from benchmarks.data import SCAN

SCAN_PLAN = (
    "and",
    (("ge", "age", SCAN["age_min"]), ("eq", "dept", SCAN["dept"]), ("lt", "salary", SCAN["salary_max"])),
)


def test_kernel_filter_3_clauses(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel filter 3 clauses", size, kernel.kind)
    predicate = kernel.predicate.compile_plan(SCAN_PLAN)
    out = benchmark(predicate.filter, rows)
    assert 0 < len(out) < size


def test_kernel_filter_or_not(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel filter or/not", size, kernel.kind)
    plan = ("or", (("eq", "city", "city7"), ("not", ("ge", "age", 20))))
    predicate = kernel.predicate.compile_plan(plan)
    out = benchmark(predicate.filter, rows)
    assert 0 < len(out) < size


def test_kernel_copy_records(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel copy records", size, kernel.kind)
    out = benchmark(kernel.records.copy_records, rows)
    assert len(out) == size


def test_kernel_project_3_columns(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel project 3 columns", size, kernel.kind)
    columns = [("id", "id"), ("who", "name"), ("pay", "salary")]
    out = benchmark(kernel.records.project, rows, columns)
    assert len(out) == size
