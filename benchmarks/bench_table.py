"""End-to-end table operations. Run once per mode (``make bench`` does both), with the plain-Python
"floor" (hand-written code over a list of dicts doing the same work) as a reference."""

from __future__ import annotations

from benchmarks.conftest import label
from benchmarks.data import SCAN
from dictdb import DictDB, Table


def build_table(rows: list[dict]) -> Table:
    table = DictDB().create_table("employees")
    for row in rows:
        table.insert(row)
    return table


def test_table_insert_one_by_one(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "insert one by one", size)
    table = benchmark.pedantic(build_table, args=(rows,), rounds=3, iterations=1)
    assert len(table) == size


def test_table_get_by_pk(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "get(pk) x1000", size)
    table = build_table(rows)
    keys = [row["id"] for row in rows[:: max(1, size // 1000)]][:1000]

    def get_all() -> int:
        get = table.get
        return sum(1 for key in keys if get(key) is not None)

    assert benchmark(get_all) == len(keys)


def test_table_scan_3_clauses(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "select scan 3 clauses", size)
    table = build_table(rows)
    t = table
    where = (t.age >= SCAN["age_min"]) & (t.dept == SCAN["dept"]) & (t.salary < SCAN["salary_max"])
    out = benchmark(table.select, where=where)
    assert 0 < len(out) < size


def test_floor_scan_3_clauses(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "select scan 3 clauses", size, "floor")
    age_min, dept, salary_max = SCAN["age_min"], SCAN["dept"], SCAN["salary_max"]

    def scan() -> list[dict]:
        return [
            dict(r) for r in rows if r["age"] >= age_min and r["dept"] == dept and r["salary"] < salary_max
        ]

    assert 0 < len(benchmark(scan)) < size


def test_floor_get_by_pk(benchmark, rows: list[dict], size: int) -> None:
    label(benchmark, "get(pk) x1000", size, "floor")
    by_pk = {row["id"]: row for row in rows}
    keys = [row["id"] for row in rows[:: max(1, size // 1000)]][:1000]

    def get_all() -> int:
        return sum(1 for key in keys if dict(by_pk[key]) is not None)

    assert benchmark(get_all) == len(keys)
