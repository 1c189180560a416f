"""Reads through each contender (DictDB, sqlite3, DuckDB when installed, the floor): lookups by key, index
ranges, equality, a 3-clause scan (and one with arithmetic), top 10, a full sort and distinct, every result a
list of dicts.

Every contender works on the same rows with the same indexes (``benchmarks.data.INDEXES``); each label says
whether the field it filters on is indexed. DictDB runs once per core (``make bench`` runs both), the others
once. Each benchmark checks its result against a plain computation over the rows.
"""

from __future__ import annotations

from operator import itemgetter
from types import ModuleType
from typing import Any

import pytest

from benchmarks.conftest import Stores, label
from benchmarks.contenders import offering
from benchmarks.data import DEPT, FIELDS, INDEXES, NARROW, SCAN, SCAN_ARITHMETIC, WIDE, sample_keys

Rows = list[dict[str, Any]]


def on(field: str) -> str:
    """How the field a query filters on is indexed, for its label."""
    kind = INDEXES.get(field)
    return f"{kind} index" if kind else "no index"


def same_records(out: Rows, expected: Rows) -> bool:
    """The same records, whole, in any order (an index range may return them in index order)."""
    return len(out) == len(expected) and sorted(out, key=itemgetter("id")) == expected


def whole(out: Rows) -> bool:
    """Every record has all its fields."""
    return all(set(record) == set(FIELDS) for record in out)


@pytest.mark.parametrize("impl", offering("get_many"))
def test_get_by_key(benchmark: Any, impl: ModuleType, stores: Stores, rows: Rows, size: int) -> None:
    label(benchmark, "get(pk) x1000", size, impl.impl())
    store = stores.get(impl, size, INDEXES)
    keys = sample_keys(size)
    out = benchmark(impl.get_many, store, keys)
    assert out == [rows[key - 1] for key in keys]


@pytest.mark.parametrize(("window", "share"), [(NARROW, "~0.3%"), (WIDE, "~16%")])
@pytest.mark.parametrize("impl", offering("select_range"))
def test_range(
    benchmark: Any,
    impl: ModuleType,
    stores: Stores,
    rows: Rows,
    size: int,
    window: tuple[int, int],
    share: str,
) -> None:
    label(benchmark, f"select salary range {share} ({on('salary')})", size, impl.impl())
    store = stores.get(impl, size, INDEXES)
    out = benchmark(impl.select_range, store, "salary", *window)
    low, high = window
    assert same_records(out, [r for r in rows if low <= r["salary"] <= high])


@pytest.mark.parametrize("impl", offering("select_equal"))
def test_equal(benchmark: Any, impl: ModuleType, stores: Stores, rows: Rows, size: int) -> None:
    label(benchmark, f"select dept == v ~10% ({on('dept')})", size, impl.impl())
    store = stores.get(impl, size, INDEXES)
    out = benchmark(impl.select_equal, store, "dept", DEPT)
    assert same_records(out, [r for r in rows if r["dept"] == DEPT])


@pytest.mark.parametrize("impl", offering("select_scan"))
def test_scan_3_clauses(benchmark: Any, impl: ModuleType, stores: Stores, rows: Rows, size: int) -> None:
    label(benchmark, "select scan 3 clauses (no index)", size, impl.impl())
    store = stores.get(impl, size, {})
    out = benchmark(impl.select_scan, store, SCAN["age_min"], SCAN["dept"], SCAN["salary_max"])
    expected = [
        r
        for r in rows
        if r["age"] >= SCAN["age_min"] and r["dept"] == SCAN["dept"] and r["salary"] < SCAN["salary_max"]
    ]
    assert out == expected


@pytest.mark.parametrize("impl", offering("select_scan_arithmetic"))
def test_scan_3_clauses_arithmetic(
    benchmark: Any, impl: ModuleType, stores: Stores, rows: Rows, size: int
) -> None:
    label(benchmark, "select scan 3 clauses, arithmetic (no index)", size, impl.impl())
    store = stores.get(impl, size, {})
    query = SCAN_ARITHMETIC
    out = benchmark(impl.select_scan_arithmetic, store, query["product_min"], query["age_min"], query["dept"])
    expected = [
        r
        for r in rows
        if r["salary"] * r["age"] > query["product_min"]
        and r["age"] >= query["age_min"]
        and r["dept"] == query["dept"]
    ]
    assert out == expected


@pytest.mark.parametrize("impl", offering("top_k"))
def test_top_10(benchmark: Any, impl: ModuleType, stores: Stores, rows: Rows, size: int) -> None:
    label(benchmark, f"select top 10 by salary ({on('salary')})", size, impl.impl())
    store = stores.get(impl, size, INDEXES)
    out = benchmark(impl.top_k, store, "salary", 10)
    assert [r["salary"] for r in out] == sorted((r["salary"] for r in rows), reverse=True)[:10]
    assert whole(out)


@pytest.mark.parametrize("impl", offering("select_sorted"))
def test_order_by_all(benchmark: Any, impl: ModuleType, stores: Stores, rows: Rows, size: int) -> None:
    label(benchmark, f"select all order_by age ({on('age')})", size, impl.impl())
    store = stores.get(impl, size, INDEXES)
    out = benchmark(impl.select_sorted, store, "age")
    assert out == sorted(rows, key=itemgetter("age"))


@pytest.mark.parametrize("impl", offering("select_distinct"))
def test_distinct(benchmark: Any, impl: ModuleType, stores: Stores, rows: Rows, size: int) -> None:
    label(benchmark, "select distinct dept, city", size, impl.impl())
    store = stores.get(impl, size, INDEXES)
    out = benchmark(impl.select_distinct, store, ["dept", "city"])
    assert sorted(tuple(r.values()) for r in out) == sorted({(r["dept"], r["city"]) for r in rows})
