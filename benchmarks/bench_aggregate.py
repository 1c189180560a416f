"""Group by one field with a count and a mean (DESIGN.md: "group by one field, count + avg").

The kernel (``dictdb._core.aggregate``) runs in both cores in one run; ``Table.aggregate`` runs once per mode
(``make bench`` does both). The "floor" is the same work hand-written in Python over a list of dicts: two dict
accumulations, then one row per group. ``sqlite`` is the stdlib's ``sqlite3`` in memory, the rows as dicts
(``ratios.py`` leaves it out of its table; the JSON file has it).
"""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace
from typing import Any

from benchmarks.conftest import label
from dictdb import Avg, Count, DictDB

SPECS = [("n", "count_rows", None), ("avg", "avg", "salary")]


def floor_group_by(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[Any, int] = {}
    totals: dict[Any, Any] = {}
    seen: dict[Any, int] = {}
    for row in rows:
        dept = row.get("dept")
        counts[dept] = counts.get(dept, 0) + 1
        salary = row.get("salary")
        if salary is not None:
            totals[dept] = totals.get(dept, 0) + salary
            seen[dept] = seen.get(dept, 0) + 1
    return [
        {"dept": dept, "n": n, "avg": totals[dept] / seen[dept] if seen.get(dept) else None}
        for dept, n in counts.items()
    ]


def test_kernel_group_by_count_avg(
    benchmark: Any, kernel: SimpleNamespace, rows: list[dict], size: int
) -> None:
    label(benchmark, "kernel group-by count+avg", size, kernel.kind)
    out = benchmark(kernel.aggregate.aggregate, rows, ["dept"], SPECS)
    assert sum(group["n"] for group in out) == size


def test_floor_kernel_group_by_count_avg(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "kernel group-by count+avg", size, "floor")
    out = benchmark(floor_group_by, rows)
    assert sum(group["n"] for group in out) == size


def test_table_group_by_count_avg(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "aggregate group-by count+avg", size)
    table = DictDB().create_table("employees")
    table.insert(rows)
    out = benchmark(table.aggregate, group_by="dept", n=Count(), avg=Avg("salary"))
    assert out == floor_group_by(rows)


def test_floor_table_group_by_count_avg(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "aggregate group-by count+avg", size, "floor")
    out = benchmark(floor_group_by, rows)
    assert len(out) == 10


def test_sqlite_group_by_count_avg(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "aggregate group-by count+avg", size, "sqlite")
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE employees (id INTEGER PRIMARY KEY, name, age, dept, salary, city, email)")
    db.executemany("INSERT INTO employees VALUES (:id, :name, :age, :dept, :salary, :city, :email)", rows)
    db.execute("CREATE INDEX employees_dept ON employees (dept)")
    query = "SELECT dept, count(*) AS n, avg(salary) AS avg FROM employees GROUP BY dept"

    def group_by() -> list[dict[str, Any]]:
        cursor = db.execute(query)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    out = benchmark(group_by)
    assert sum(group["n"] for group in out) == size
    db.close()
