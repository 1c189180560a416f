"""Select options: order_by + limit (top-k), full order_by, distinct; and the kernels behind them, LIKE and
is_in included. Table benchmarks run once per mode with a hand-written floor; kernels compare both cores in
one run."""

from __future__ import annotations

import heapq
from operator import itemgetter
from types import SimpleNamespace

from benchmarks.bench_table import build_table
from benchmarks.conftest import label
from benchmarks.data import CITIES


def test_table_top_10_by_salary(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "select order_by -salary limit 10", size)
    table = build_table(rows)
    out = benchmark(table.select, order_by="-salary", limit=10)
    assert [r["salary"] for r in out] == sorted((r["salary"] for r in rows), reverse=True)[:10]


def test_floor_top_10_by_salary(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "select order_by -salary limit 10", size, "floor")

    def top() -> list[dict]:
        return [dict(r) for r in heapq.nlargest(10, rows, key=itemgetter("salary"))]

    assert len(benchmark(top)) == 10


def test_table_order_by_age(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "select order_by age (full sort)", size)
    table = build_table(rows)
    out = benchmark(table.select, order_by="age")
    assert len(out) == size


def test_floor_order_by_age(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "select order_by age (full sort)", size, "floor")

    def ordered() -> list[dict]:
        return [dict(r) for r in sorted(rows, key=itemgetter("age"))]

    assert len(benchmark(ordered)) == size


def test_table_distinct_dept_city(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "select distinct dept, city", size)
    table = build_table(rows)
    out = benchmark(table.select, ["dept", "city"], distinct=True)
    assert len(out) <= 500


def test_floor_distinct_dept_city(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "select distinct dept, city", size, "floor")

    def distinct() -> list[dict]:
        seen = dict.fromkeys((r["dept"], r["city"]) for r in rows)
        return [{"dept": dept, "city": city} for dept, city in seen]

    assert len(benchmark(distinct)) <= 500


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
