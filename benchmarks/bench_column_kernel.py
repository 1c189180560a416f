"""The column store kernel (``dictdb._core.column``), compiled vs pure in one run: the design's
3-clause scan answered from the column vectors of age, dept and salary, the group-by count + avg read
from them, and the cost of appending a row.

Each store is built once per core and size. ``extra_info`` also records ``bytes_per_row``: what the three
columns hold per row (``memory_bytes``: the vector, tags, str dictionary and a share of the row map).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from benchmarks.bench_aggregate import SPECS
from benchmarks.conftest import label
from benchmarks.data import SCAN

SCAN_PLAN = (
    "and",
    (("ge", "age", SCAN["age_min"]), ("eq", "dept", SCAN["dept"]), ("lt", "salary", SCAN["salary_max"])),
)
COLUMNS = ("age", "dept", "salary")

Rows = list[dict[str, Any]]

_stores: dict[tuple[str, int], Any] = {}


def column_store(kernel: SimpleNamespace, rows: Rows) -> Any:
    """A store over ``rows`` (keyed by ``id``) with the three columns, built once per core and size."""
    key = (kernel.kind, len(rows))
    if key not in _stores:
        if len(_stores) > 2:  # two cores of one size at a time
            _stores.clear()
        store = kernel.column.ColumnStore()
        table = {row["id"]: row for row in rows}
        for field in COLUMNS:
            store.add_field(field, table)
        _stores[key] = store
    return _stores[key]


def bytes_per_row(store: Any) -> float:
    return round(sum(store.memory_bytes(field) for field in COLUMNS) / store.rows, 1)


def test_kernel_column_match_3_clauses(
    benchmark: Any, kernel: SimpleNamespace, rows: Rows, size: int
) -> None:
    label(benchmark, "kernel column match 3 clauses", size, kernel.kind)
    store = column_store(kernel, rows)
    benchmark.extra_info["bytes_per_row"] = bytes_per_row(store)
    pks, exact = benchmark(store.match, SCAN_PLAN)
    expected = [row["id"] for row in kernel.predicate.compile_plan(SCAN_PLAN).filter(rows)]
    assert exact
    assert pks == expected


def test_kernel_column_count_3_clauses(
    benchmark: Any, kernel: SimpleNamespace, rows: Rows, size: int
) -> None:
    label(benchmark, "kernel column count 3 clauses", size, kernel.kind)
    store = column_store(kernel, rows)
    out = benchmark(store.count, SCAN_PLAN)
    assert out == kernel.predicate.compile_plan(SCAN_PLAN).count(rows)


def test_kernel_column_group_by_count_avg(
    benchmark: Any, kernel: SimpleNamespace, rows: Rows, size: int
) -> None:
    label(benchmark, "kernel column group-by count+avg", size, kernel.kind)
    store = column_store(kernel, rows)
    out = benchmark(store.aggregate, None, ("dept",), SPECS)
    assert out == kernel.aggregate.aggregate(rows, ["dept"], SPECS)


def test_kernel_column_append(benchmark: Any, kernel: SimpleNamespace, rows: Rows, size: int) -> None:
    """A store of the three columns filled by one ``append`` per row: the write cost a column index adds."""
    label(benchmark, "kernel column append (3 columns)", size, kernel.kind)

    def fill() -> Any:
        store = kernel.column.ColumnStore()
        for field in COLUMNS:
            store.add_field(field, {})
        for row in rows:
            store.append(row["id"], row)
        return store

    store = benchmark(fill)
    assert store.rows == size
