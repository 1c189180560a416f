"""Indexed tables: the benchmark data set with a hash index on ``dept`` and sorted indexes on ``age`` and
``salary``; selects served by the planner, ``order_by`` + ``limit`` walking an index, and writes keeping the
three indexes up to date.

Run once per mode (``make bench`` does both). Each operation has two references:

- ``floor``: hand-written Python doing the same work over plain data: a comprehension copying the matching
  dicts, a dict lookup by pk, bisect on a sorted list, a heap for the top 10; for writes, a dict of records
  plus a dict of lists for ``dept`` and two ``sortedcontainers.SortedKeyList``s for ``age`` and ``salary``;
- ``sqlite3``: the standard library's sqlite3, ``:memory:``, the same table and the same three indexes, rows
  returned as dicts (a row factory), inserts in one transaction.
"""

from __future__ import annotations

import heapq
import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from operator import itemgetter
from typing import Any

import pytest
from sortedcontainers import SortedKeyList

from benchmarks.conftest import label
from benchmarks.data import DEPTS
from dictdb import DictDB, Table

# Salaries are uniform in 30,000..150,000: a window of 360 holds ~0.3% of the rows, one of 19,200 ~16%.
NARROW = (60_000, 60_360)
WIDE = (60_000, 79_200)
DEPT = DEPTS[3]  # ~10% of the rows
TWO_DEPTS = DEPTS[1:3]  # ~20%

COLUMNS = ("id", "name", "age", "dept", "salary", "city", "email")
ROUNDS = {"rounds": 5, "warmup_rounds": 1, "iterations": 1}
INSERT = "INSERT INTO employees VALUES (?, ?, ?, ?, ?, ?, ?)"

Setup = Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]


def indexed(rows: list[dict[str, Any]] | None = None) -> Table:
    table = DictDB().create_table("employees")
    table.create_index("dept")
    table.create_index("age", "sorted")
    table.create_index("salary", "sorted")
    if rows:
        table.insert(rows)
    return table


def sqlite_table(rows: list[dict[str, Any]]) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute(
        "CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT, age INTEGER, dept TEXT, salary INTEGER, "
        "city TEXT, email TEXT)"
    )
    con.execute("CREATE INDEX by_dept ON employees (dept)")
    con.execute("CREATE INDEX by_age ON employees (age)")
    con.execute("CREATE INDEX by_salary ON employees (salary)")
    with con:
        con.executemany(
            "INSERT INTO employees VALUES (?, ?, ?, ?, ?, ?, ?)",
            [tuple(row[c] for c in COLUMNS) for row in rows],
        )
    con.row_factory = _as_dict
    return con


def _as_dict(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    # The columns of SELECT * (the other queries here select a leading part of them).
    return dict(zip(COLUMNS, row, strict=False))


class Floor:
    """Plain data: the records by pk, a dict of pk lists by dept, sorted lists of (value, pk) for age and
    salary, and for reads the records sorted by salary with their salaries (for bisect)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.by_pk: dict[Any, dict[str, Any]] = {}
        self.by_dept: dict[Any, list[Any]] = {}
        self.by_age = SortedKeyList(key=itemgetter(0))
        self.by_salary = SortedKeyList(key=itemgetter(0))
        self.add_many(rows)
        ordered = sorted(self.by_pk.values(), key=itemgetter("salary"))
        self.sorted_rows = ordered
        self.salaries = [row["salary"] for row in ordered]

    def add(self, row: dict[str, Any]) -> None:
        pk = row["id"]
        self.by_pk[pk] = dict(row)
        self.by_dept.setdefault(row["dept"], []).append(pk)
        self.by_age.add((row["age"], pk))
        self.by_salary.add((row["salary"], pk))

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        self.by_pk.update({row["id"]: dict(row) for row in rows})
        for row in rows:
            self.by_dept.setdefault(row["dept"], []).append(row["id"])
        self.by_age.update([(row["age"], row["id"]) for row in rows])
        self.by_salary.update([(row["salary"], row["id"]) for row in rows])


def _fresh(make: Callable[[], Any]) -> tuple[list[Any], Setup]:
    latest: list[Any] = []

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        latest[:] = [make()]
        return (latest[0],), {}

    return latest, setup


# --- selects ------------------------------------------------------------------------------------------------

SELECTS = {
    "index: range select ~0.3% (sorted)": lambda t: t.salary.between(*NARROW),
    "index: range select ~16% (sorted)": lambda t: t.salary.between(*WIDE),
    "index: equality select ~10% (hash)": lambda t: t.dept == DEPT,
    "index: is_in select ~20% (hash)": lambda t: t.dept.is_in(TWO_DEPTS),
}


@pytest.mark.parametrize("op", list(SELECTS))
def test_select(benchmark: Any, rows: list[dict[str, Any]], size: int, op: str) -> None:
    label(benchmark, op, size)
    table = indexed(rows)
    where = SELECTS[op](table)
    assert table.explain(where)["access"]["op"] == "index"
    out = benchmark(table.select, where=where)
    assert 0 < len(out) < size


def _floor_select(rows: list[dict[str, Any]], op: str) -> Callable[[], list[dict[str, Any]]]:
    floor = Floor(rows)
    if "range" in op:
        low, high = NARROW if "0.3%" in op else WIDE
        salaries, ordered = floor.salaries, floor.sorted_rows

        def by_bisect() -> list[dict[str, Any]]:
            return [dict(r) for r in ordered[bisect_left(salaries, low) : bisect_right(salaries, high)]]

        return by_bisect
    wanted = {DEPT} if "equality" in op else set(TWO_DEPTS)

    def by_comprehension() -> list[dict[str, Any]]:
        return [dict(r) for r in rows if r["dept"] in wanted]

    return by_comprehension


@pytest.mark.parametrize("op", list(SELECTS))
def test_floor_select(benchmark: Any, rows: list[dict[str, Any]], size: int, op: str) -> None:
    label(benchmark, op, size, "floor")
    assert 0 < len(benchmark(_floor_select(rows, op))) < size


SQL_SELECTS = {
    "index: range select ~0.3% (sorted)": ("salary BETWEEN ? AND ?", NARROW),
    "index: range select ~16% (sorted)": ("salary BETWEEN ? AND ?", WIDE),
    "index: equality select ~10% (hash)": ("dept = ?", (DEPT,)),
    "index: is_in select ~20% (hash)": ("dept IN (?, ?)", tuple(TWO_DEPTS)),
}


@pytest.mark.parametrize("op", list(SQL_SELECTS))
def test_sqlite_select(benchmark: Any, rows: list[dict[str, Any]], size: int, op: str) -> None:
    label(benchmark, op, size, "sqlite")
    con = sqlite_table(rows)
    condition, args = SQL_SELECTS[op]
    query = f"SELECT * FROM employees WHERE {condition}"
    plan = " ".join(str(row) for row in con.execute("EXPLAIN QUERY PLAN " + query, args))
    assert "INDEX" in plan, plan
    out = benchmark(lambda: con.execute(query, args).fetchall())
    assert 0 < len(out) < size


def test_top_10(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: top 10 by salary (walk)", size)
    table = indexed(rows)
    assert table.explain(order_by="-salary", limit=10)["order"]["method"] == "index walk"
    out = benchmark(table.select, order_by="-salary", limit=10)
    assert [r["salary"] for r in out] == sorted((r["salary"] for r in rows), reverse=True)[:10]


def test_floor_top_10(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: top 10 by salary (walk)", size, "floor")

    def top() -> list[dict[str, Any]]:
        return [dict(r) for r in heapq.nlargest(10, rows, key=itemgetter("salary"))]

    assert len(benchmark(top)) == 10


def test_sqlite_top_10(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: top 10 by salary (walk)", size, "sqlite")
    con = sqlite_table(rows)
    query = "SELECT * FROM employees ORDER BY salary DESC LIMIT 10"
    assert len(benchmark(lambda: con.execute(query).fetchall())) == 10


def _keys(rows: list[dict[str, Any]], size: int) -> list[Any]:
    return [row["id"] for row in rows[:: max(1, size // 1000)]][:1000]


def test_get(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: get(pk) x1000, 3 indexes", size)
    table = indexed(rows)
    keys = _keys(rows, size)

    def get_all() -> int:
        get = table.get
        return sum(1 for key in keys if get(key) is not None)

    assert benchmark(get_all) == len(keys)


def test_floor_get(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: get(pk) x1000, 3 indexes", size, "floor")
    by_pk = {row["id"]: row for row in rows}
    keys = _keys(rows, size)

    def get_all() -> int:
        return sum(1 for key in keys if dict(by_pk[key]) is not None)

    assert benchmark(get_all) == len(keys)


def test_sqlite_get(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: get(pk) x1000, 3 indexes", size, "sqlite")
    con = sqlite_table(rows)
    keys = _keys(rows, size)
    query = "SELECT * FROM employees WHERE id = ?"

    def get_all() -> int:
        execute = con.execute
        return sum(1 for key in keys if execute(query, (key,)).fetchone() is not None)

    assert benchmark(get_all) == len(keys)


# --- writes -------------------------------------------------------------------------------------------------


def test_insert_one_by_one(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: insert one by one, 3 indexes", size)
    latest, setup = _fresh(indexed)

    def insert(table: Table) -> None:
        for row in rows:
            table.insert(row)

    benchmark.pedantic(insert, setup=setup, **ROUNDS)
    assert len(latest[0].indexes["salary"]) == size


def test_floor_insert_one_by_one(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: insert one by one, 3 indexes", size, "floor")
    latest, setup = _fresh(lambda: Floor([]))

    def insert(floor: Floor) -> None:
        for row in rows:
            floor.add(row)

    benchmark.pedantic(insert, setup=setup, **ROUNDS)
    assert len(latest[0].by_salary) == size


def test_sqlite_insert_one_by_one(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: insert one by one, 3 indexes", size, "sqlite")
    latest, setup = _fresh(lambda: sqlite_table([]))

    def insert(con: sqlite3.Connection) -> None:
        with con:
            execute = con.execute
            for row in rows:
                execute(INSERT, (row["id"], row["name"], row["age"], row["dept"], row["salary"], row["city"],
                                row["email"]))  # fmt: skip

    benchmark.pedantic(insert, setup=setup, **ROUNDS)
    assert len(latest[0].execute("SELECT id FROM employees").fetchall()) == size


def test_bulk_insert(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: bulk insert, 3 indexes", size)
    latest, setup = _fresh(indexed)
    benchmark.pedantic(Table.insert, setup=lambda: ((setup()[0][0], rows), {}), **ROUNDS)
    assert len(latest[0].indexes["age"]) == size


def test_floor_bulk_insert(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: bulk insert, 3 indexes", size, "floor")
    latest, setup = _fresh(lambda: Floor([]))
    benchmark.pedantic(Floor.add_many, setup=lambda: ((setup()[0][0], rows), {}), **ROUNDS)
    assert len(latest[0].by_age) == size


def test_sqlite_bulk_insert(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: bulk insert, 3 indexes", size, "sqlite")
    latest, setup = _fresh(lambda: sqlite_table([]))

    def insert(con: sqlite3.Connection) -> None:
        with con:
            con.executemany(INSERT, [tuple(row[c] for c in COLUMNS) for row in rows])

    benchmark.pedantic(insert, setup=setup, **ROUNDS)
    assert len(latest[0].execute("SELECT id FROM employees").fetchall()) == size


def test_update_10_percent(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: update 10% (salary, sorted)", size)
    latest, setup = _fresh(lambda: indexed(rows))

    def update(table: Table) -> None:
        table.update({"salary": 0}, where=table.dept == DEPT)

    benchmark.pedantic(update, setup=setup, **ROUNDS)
    assert 0 < len(latest[0].indexes["salary"].search(0)) < size // 5


def test_floor_update_10_percent(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: update 10% (salary, sorted)", size, "floor")
    latest, setup = _fresh(lambda: Floor(rows))

    def update(floor: Floor) -> None:
        by_pk, by_salary = floor.by_pk, floor.by_salary
        for pk in floor.by_dept[DEPT]:
            row = by_pk[pk]
            by_salary.remove((row["salary"], pk))
            by_pk[pk] = {**row, "salary": 0}
            by_salary.add((0, pk))

    benchmark.pedantic(update, setup=setup, **ROUNDS)
    assert latest[0].by_salary[0][0] == 0


def test_sqlite_update_10_percent(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: update 10% (salary, sorted)", size, "sqlite")
    latest, setup = _fresh(lambda: sqlite_table(rows))

    def update(con: sqlite3.Connection) -> None:
        with con:
            con.execute("UPDATE employees SET salary = 0 WHERE dept = ?", (DEPT,))

    benchmark.pedantic(update, setup=setup, **ROUNDS)
    assert latest[0].execute("SELECT id FROM employees WHERE salary = 0").fetchall()


def test_delete_10_percent(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: delete 10%", size)
    latest, setup = _fresh(lambda: indexed(rows))

    def delete(table: Table) -> None:
        table.delete(where=table.dept == DEPT)

    benchmark.pedantic(delete, setup=setup, **ROUNDS)
    assert size * 4 // 5 < len(latest[0].indexes["age"]) < size


def test_floor_delete_10_percent(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: delete 10%", size, "floor")
    latest, setup = _fresh(lambda: Floor(rows))

    def delete(floor: Floor) -> None:
        by_pk = floor.by_pk
        for pk in floor.by_dept.pop(DEPT):
            row = by_pk.pop(pk)
            floor.by_age.remove((row["age"], pk))
            floor.by_salary.remove((row["salary"], pk))

    benchmark.pedantic(delete, setup=setup, **ROUNDS)
    assert size * 4 // 5 < len(latest[0].by_pk) < size


def test_sqlite_delete_10_percent(benchmark: Any, rows: list[dict[str, Any]], size: int) -> None:
    label(benchmark, "index: delete 10%", size, "sqlite")
    latest, setup = _fresh(lambda: sqlite_table(rows))

    def delete(con: sqlite3.Connection) -> None:
        with con:
            con.execute("DELETE FROM employees WHERE dept = ?", (DEPT,))

    benchmark.pedantic(delete, setup=setup, **ROUNDS)
    assert size * 4 // 5 < len(latest[0].execute("SELECT id FROM employees").fetchall()) < size
