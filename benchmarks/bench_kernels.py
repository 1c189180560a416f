"""Kernels of ``dictdb._core``, compiled vs pure in one run, over 1e3, 1e4 and 1e5 records: predicate
evaluation (LIKE and is_in included), copying, projection, sorting, top-k and distinct."""

from __future__ import annotations

from types import SimpleNamespace

from benchmarks.conftest import label
from benchmarks.data import CITIES, SCAN

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


def test_kernel_sort_records(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel sort by age, salary desc", size, kernel.kind)
    out = benchmark(kernel.records.sort_records, rows, [("age", True), ("salary", True)])
    assert len(out) == size


def test_kernel_top_k(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel top 10 by salary", size, kernel.kind)
    out = benchmark(kernel.records.sort_records, rows, [("salary", True)], 10)
    assert len(out) == 10


def test_kernel_sort_mixed_types(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel sort mixed types (None, int, str)", size, kernel.kind)
    mixed = [{"v": None if i % 10 == 0 else (str(i) if i % 3 == 0 else i)} for i in range(size)]
    out = benchmark(kernel.records.sort_records, mixed, [("v", False)])
    assert len(out) == size


def test_kernel_like(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel filter like '%7@example%'", size, kernel.kind)
    predicate = kernel.predicate.compile_plan(("like", "email", "%7@example%", None, False))
    out = benchmark(predicate.filter, rows)
    assert 0 < len(out) < size


def test_kernel_ilike(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel filter ilike 'USER1_%'", size, kernel.kind)
    predicate = kernel.predicate.compile_plan(("like", "name", "USER1_%", None, True))
    out = benchmark(predicate.filter, rows)
    assert 0 < len(out) < size


def test_kernel_is_in(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel filter is_in 5 cities", size, kernel.kind)
    predicate = kernel.predicate.compile_plan(("in", "city", tuple(CITIES[:5])))
    out = benchmark(predicate.filter, rows)
    assert 0 < len(out) < size


def test_kernel_distinct(benchmark, kernel: SimpleNamespace, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel distinct 2 columns", size, kernel.kind)
    projected = kernel.records.project(rows, [("dept", "dept"), ("city", "city")])
    out = benchmark(kernel.records.distinct, projected)
    assert len(out) <= 500
