"""Column indexes (docs/indexes.md): the design's 3-clause scan and a group-by count + avg with their fields
column-indexed, at 100,000 and 1,000,000 rows, beside sqlite3, DuckDB (when installed) and the floor; and
what the column indexes add to inserts and updates.

DictDB column-indexes ``age``, ``dept`` and ``salary``; sqlite3 and DuckDB get their B-tree / ART indexes on
the same fields (``benchmarks.data.INDEXES``), the floor a comprehension over the dicts. Every contender
returns every matching record as a dict (DictDB: copies), and each result is checked. The 1,000,000-row
stores are built once for the module (~20 s) and measured with fewer rounds. The bytes a column costs per
row are measured by ``benchmarks/memory.py``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from benchmarks.bench_write import fresh, rounds
from benchmarks.conftest import label
from benchmarks.contenders import dictdb_table, floor, offering
from benchmarks.data import DEPT, INDEXES, SCAN, make_rows
from dictdb import Table

Rows = list[dict[str, Any]]

#: DictDB's indexes here: the three fields of the scan, as columns.
COLUMNS = {"age": "column", "dept": "column", "salary": "column"}
SIZES = (100_000, 1_000_000)


class Built:
    """The rows of one size and the contenders' stores over them, built on first use."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows = make_rows(n)
        self._stores: dict[str, Any] = {}

    def store(self, impl: ModuleType) -> Any:
        if impl.__name__ not in self._stores:
            indexes = COLUMNS if impl is dictdb_table else INDEXES
            self._stores[impl.__name__] = impl.build(self.rows, indexes)
        return self._stores[impl.__name__]


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n}")
def built(request: pytest.FixtureRequest) -> Built:
    # Module scope: pytest runs every benchmark of one size before building the next. The smoke pass of
    # ``make test`` (timings disabled) runs them on a hundredth of the rows: it checks results, not speed.
    smoke = request.config.getoption("benchmark_disable")
    return Built(request.param // 100 if smoke else request.param)


def timing(benchmark: Any, n: int, run: Any, *args: Any) -> Any:
    """``run(*args)`` measured: calibrated at 100,000 rows, five rounds at a million."""
    if n >= 1_000_000:
        return benchmark.pedantic(run, args=args, rounds=5, warmup_rounds=1, iterations=1)
    return benchmark(run, *args)


@pytest.mark.parametrize("impl", offering("select_scan"))
def test_scan_3_clauses_columns(benchmark: Any, impl: ModuleType, built: Built) -> None:
    label(benchmark, "select scan 3 clauses (column indexes)", built.n, impl.impl())
    store = built.store(impl)
    out = timing(
        benchmark, built.n, impl.select_scan, store, SCAN["age_min"], SCAN["dept"], SCAN["salary_max"]
    )
    expected = [
        r
        for r in built.rows
        if r["age"] >= SCAN["age_min"] and r["dept"] == SCAN["dept"] and r["salary"] < SCAN["salary_max"]
    ]
    assert out == expected


@pytest.mark.parametrize("impl", offering("group_count_avg"))
def test_group_by_columns(benchmark: Any, impl: ModuleType, built: Built) -> None:
    label(benchmark, "aggregate by column dept, count+avg (column indexes)", built.n, impl.impl())
    store = built.store(impl)
    out = timing(benchmark, built.n, impl.group_count_avg, store, "dept", "salary")
    expected = {g["dept"]: (g["n"], g["avg"]) for g in floor.count_avg(built.rows, "dept", "salary")}
    assert {g["dept"]: g["n"] for g in out} == {dept: n for dept, (n, _) in expected.items()}
    assert [g["avg"] for g in sorted(out, key=lambda g: g["dept"])] == pytest.approx(
        [avg for _, (_, avg) in sorted(expected.items())]
    )


def test_scan_3_clauses_columns_no_copy(benchmark: Any, built: Built) -> None:
    # The same scan returning the stored dicts (select(copy=False)): what copying ~2% of the records costs.
    label(benchmark, "select scan 3 clauses, copy=False (column indexes)", built.n)
    t = built.store(dictdb_table)
    where = (t.age >= SCAN["age_min"]) & (t.dept == SCAN["dept"]) & (t.salary < SCAN["salary_max"])
    out = timing(benchmark, built.n, lambda: t.select(where=where, copy=False))
    assert len(out) == t.count(where)


def test_count_where_columns(benchmark: Any, built: Built) -> None:
    label(benchmark, "count(where) 3 clauses (column indexes)", built.n)
    t = built.store(dictdb_table)
    where = (t.age >= SCAN["age_min"]) & (t.dept == SCAN["dept"]) & (t.salary < SCAN["salary_max"])
    out = timing(benchmark, built.n, t.count, where)
    assert out == sum(
        1
        for r in built.rows
        if r["age"] >= SCAN["age_min"] and r["dept"] == SCAN["dept"] and r["salary"] < SCAN["salary_max"]
    )


# -- what column indexes cost on writes (100,000 rows: DictDB against itself) ------------------------------


@pytest.fixture(scope="module")
def write_rows(request: pytest.FixtureRequest) -> Rows:
    return make_rows(1_000 if request.config.getoption("benchmark_disable") else 100_000)


@pytest.mark.parametrize("indexes", [{}, COLUMNS], ids=["none", "columns"])
def test_insert_one_by_one_columns(benchmark: Any, write_rows: Rows, indexes: dict[str, str]) -> None:
    what = "3 column indexes" if indexes else "no index"
    label(benchmark, f"write cost: insert one by one ({what})", len(write_rows))
    table = benchmark.pedantic(
        dictdb_table.insert_one_by_one, args=(write_rows, indexes), **rounds(len(write_rows))
    )
    assert len(table) == len(write_rows)


@pytest.mark.parametrize("indexes", [{}, COLUMNS], ids=["none", "columns"])
def test_bulk_insert_columns(benchmark: Any, write_rows: Rows, indexes: dict[str, str]) -> None:
    what = "3 column indexes" if indexes else "no index"
    label(benchmark, f"write cost: bulk insert ({what})", len(write_rows))
    table = benchmark.pedantic(
        dictdb_table.bulk_insert, args=(write_rows, indexes), **rounds(len(write_rows))
    )
    assert len(table) == len(write_rows)


@pytest.mark.parametrize("indexes", [{}, COLUMNS], ids=["none", "columns"])
def test_update_columns(benchmark: Any, write_rows: Rows, indexes: dict[str, str]) -> None:
    # 10% of the rows (one dept) get a new salary, a column-indexed field; found by a scan without indexes.
    what = "3 column indexes" if indexes else "no index"
    label(benchmark, f"write cost: update salary of 10% ({what})", len(write_rows))
    latest, setup = fresh(lambda: dictdb_table.bulk_insert(write_rows, indexes))

    def update(table: Table) -> int:
        return table.update({"salary": 1}, where=table.dept == DEPT)

    benchmark.pedantic(update, setup=setup, **rounds(len(write_rows)))
    assert latest[0].count(latest[0].salary == 1) == sum(1 for r in write_rows if r["dept"] == DEPT)


def test_create_column_index(benchmark: Any, write_rows: Rows) -> None:
    label(benchmark, "write cost: create_index column (salary)", len(write_rows))
    latest, setup = fresh(lambda: dictdb_table.bulk_insert(write_rows, {}))

    def create(table: Table) -> None:
        table.create_index("salary", "column")

    benchmark.pedantic(create, setup=setup, **rounds(len(write_rows)))
    assert latest[0].indexes["salary"].kind == "column"
