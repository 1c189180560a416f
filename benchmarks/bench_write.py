"""Writes through each contender: insert one by one, bulk insert, update and delete 10% of the rows, all
with the same indexes (``benchmarks.data.INDEXES``); plus DictDB's own variants (a schema, generated keys).

Each round gets a fresh store from ``setup``, untimed, which also frees the previous round's: freeing a
million records is not what these benchmarks measure. DictDB runs once per core (``make bench`` runs both),
the others once. ``DICTDB_BENCH_LARGE=1`` adds 1,000,000 rows, which shows that bulk insert is linear
(compare its time per row with the smaller sizes).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from benchmarks.conftest import label
from benchmarks.contenders import offering
from benchmarks.data import DEPT, INDEXES
from dictdb import DictDB, Table

Rows = list[dict[str, Any]]
SCHEMA = {"id": int, "name": str, "age": int, "dept": str, "salary": int, "city": str, "email": str}
Setup = Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]


def rounds(size: int) -> dict[str, int]:
    return {"rounds": 3 if size >= 100_000 else 5, "warmup_rounds": 1, "iterations": 1}


def fresh(make: Callable[[], Any]) -> tuple[list[Any], Setup]:
    """A ``setup`` that hands each round a new ``make()``, and a list that holds the latest one."""
    latest: list[Any] = []

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        latest[:] = [None]  # the previous round's store goes first
        latest[:] = [make()]
        return (latest[0],), {}

    return latest, setup


def indexed() -> str:
    return f"{len(INDEXES)} indexes" if INDEXES else "no index"


@pytest.mark.parametrize("impl", offering("insert_one_by_one"))
def test_insert_one_by_one(benchmark: Any, impl: ModuleType, rows: Rows, size: int) -> None:
    label(benchmark, f"insert one by one ({indexed()})", size, impl.impl())
    store = benchmark.pedantic(impl.insert_one_by_one, args=(rows, INDEXES), **rounds(size))
    assert impl.get_many(store, [size]) == [rows[-1]]


@pytest.mark.parametrize("impl", offering("bulk_insert"))
def test_bulk_insert(benchmark: Any, impl: ModuleType, rows: Rows, size: int) -> None:
    label(benchmark, f"bulk insert ({indexed()})", size, impl.impl())
    store = benchmark.pedantic(impl.bulk_insert, args=(rows, INDEXES), **rounds(size))
    assert impl.get_many(store, [1, size]) == [rows[0], rows[-1]]


def test_bulk_insert_with_schema(benchmark: Any, rows: Rows, size: int) -> None:
    label(benchmark, "bulk insert, schema", size)
    latest, setup = fresh(lambda: DictDB().create_table("employees", schema=SCHEMA))

    def insert(table: Table) -> None:
        table.insert(rows)

    benchmark.pedantic(insert, setup=setup, **rounds(size))
    assert len(latest[0]) == size


def test_bulk_insert_generated_keys(benchmark: Any, rows: Rows, size: int) -> None:
    label(benchmark, "bulk insert, generated keys", size)
    keyless = [{k: v for k, v in row.items() if k != "id"} for row in rows]
    # Generated keys are written into the caller's dicts, so each round needs dicts without one.
    latest, setup = fresh(lambda: (DictDB().create_table("employees"), [dict(row) for row in keyless]))

    def insert(table_and_batch: tuple[Table, Rows]) -> None:
        table, batch = table_and_batch
        table.insert(batch)

    benchmark.pedantic(insert, setup=setup, **rounds(size))
    assert list(latest[0][0].records) == list(range(1, size + 1))


@pytest.mark.parametrize("impl", offering("update_equal"))
def test_update_10_percent(benchmark: Any, impl: ModuleType, rows: Rows, size: int) -> None:
    label(benchmark, f"update 10% of rows ({indexed()})", size, impl.impl())
    latest, setup = fresh(lambda: impl.build(rows, INDEXES))
    count = benchmark.pedantic(
        impl.update_equal, setup=lambda: ((*setup()[0], "dept", DEPT, {"salary": 0}), {}), **rounds(size)
    )
    assert count == sum(1 for r in rows if r["dept"] == DEPT)
    assert impl.select_equal(latest[0], "salary", 0) == impl.select_equal(latest[0], "dept", DEPT)


@pytest.mark.parametrize("impl", offering("update_computed"))
def test_update_computed(benchmark: Any, impl: ModuleType, rows: Rows, size: int) -> None:
    # salary = salary - 1 on one dept in ten; only dept is indexed (the where's path), so the update itself
    # is what is measured: reading each old value, computing, storing.
    label(benchmark, "update 10%, computed salary - 1 (dept index)", size, impl.impl())
    latest, setup = fresh(lambda: impl.build(rows, {"dept": "hash"}))
    count = benchmark.pedantic(
        impl.update_computed, setup=lambda: ((*setup()[0], "dept", DEPT, "salary"), {}), **rounds(size)
    )
    assert count == sum(1 for r in rows if r["dept"] == DEPT)
    expected = sorted(r["salary"] - (r["dept"] == DEPT) for r in rows)
    assert sorted(r["salary"] for r in impl.select_sorted(latest[0], "salary")) == expected


@pytest.mark.parametrize("impl", offering("delete_equal"))
def test_delete_10_percent(benchmark: Any, impl: ModuleType, rows: Rows, size: int) -> None:
    label(benchmark, f"delete 10% of rows ({indexed()})", size, impl.impl())
    latest, setup = fresh(lambda: impl.build(rows, INDEXES))
    count = benchmark.pedantic(
        impl.delete_equal, setup=lambda: ((*setup()[0], "dept", DEPT), {}), **rounds(size)
    )
    assert count == sum(1 for r in rows if r["dept"] == DEPT)
    assert impl.select_equal(latest[0], "dept", DEPT) == []
