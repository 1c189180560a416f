"""ORs whose branches different kinds of index serve: a hash index on ``dept``, a sorted one on ``age`` and a
column index on ``salary``, over the benchmark data set.

- ``(dept == v & age >= 75) | salary < 30,600`` (~1.5% of the rows): the union of an intersection (hash and
  sorted) and a column match;
- ``dept == v & (age >= 79 | salary < 32,000)`` (~0.3%): a hash lookup narrowed by that union.

Each against two references: the same select on the table without indexes (the scan a planner that unions
only when every branch has an index path ran), and sqlite3 (``:memory:``) with an index on each of the three
fields (its planner picks a scan for the first query, the index on ``dept`` for the second: the
benchmark records its plan in ``extra_info["plan"]``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.conftest import label
from benchmarks.data import DEPT, FIELDS
from dictdb import DictDB, Table
from dictdb._core import IMPLEMENTATION

Rows = list[dict[str, Any]]

#: op -> (the where, built on a table; the SQL condition and its arguments)
QUERIES: dict[str, tuple[Callable[[Table], Any], str, tuple[Any, ...]]] = {
    "mixed OR: (hash AND sorted) OR column ~1.5%": (
        lambda t: ((t.dept == DEPT) & (t.age >= 75)) | (t.salary < 30_600),
        "(dept = ? AND age >= ?) OR salary < ?",
        (DEPT, 75, 30_600),
    ),
    "mixed OR: hash AND (sorted OR column) ~0.3%": (
        lambda t: (t.dept == DEPT) & ((t.age >= 79) | (t.salary < 32_000)),
        "dept = ? AND (age >= ? OR salary < ?)",
        (DEPT, 79, 32_000),
    ),
}
SCAN_SUFFIX = ", scan (no index)"


def table(rows: Rows, indexed: bool) -> Table:
    t = DictDB().create_table("employees")
    t.insert(rows)
    if indexed:
        t.create_index("dept")
        t.create_index("age", "sorted")
        t.create_index("salary", "column")
    return t


def expected(rows: Rows, op: str) -> list[Any]:
    """The ids the query matches, computed over the plain rows."""
    plain = table(rows, indexed=False)
    return [r["id"] for r in plain.select(where=QUERIES[op][0](plain))]


@pytest.mark.parametrize("op", list(QUERIES))
def test_mixed_or(benchmark: Any, rows: Rows, size: int, op: str) -> None:
    label(benchmark, op, size)
    t = table(rows, indexed=True)
    where = QUERIES[op][0](t)
    # Not a scan in the compiled core. The pure one's pass over the vectors costs more, so it takes the hash
    # index alone for the second query, and below 100,000 rows it may scan for the first.
    access = t.explain(where)["access"]["op"]
    benchmark.extra_info["access"] = access
    if IMPLEMENTATION == "cython":
        assert access != "scan"
    out = benchmark(t.select, where=where)
    assert [r["id"] for r in out] == expected(rows, op)


@pytest.mark.parametrize("op", list(QUERIES))
def test_mixed_or_scan(benchmark: Any, rows: Rows, size: int, op: str) -> None:
    label(benchmark, op + SCAN_SUFFIX, size)
    t = table(rows, indexed=False)
    where = QUERIES[op][0](t)
    assert t.explain(where)["access"]["op"] == "scan"
    out = benchmark(t.select, where=where)
    assert [r["id"] for r in out] == expected(rows, op)


def _as_dict(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(FIELDS, row, strict=False))  # EXPLAIN QUERY PLAN rows are shorter


@pytest.mark.parametrize("op", list(QUERIES))
def test_mixed_or_sqlite(benchmark: Any, rows: Rows, size: int, op: str) -> None:
    label(benchmark, op, size, "sqlite")
    con = sqlite3.connect(":memory:")
    con.execute(
        "CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT, age INTEGER, dept TEXT, salary INTEGER, "
        "city TEXT, email TEXT)"
    )
    for field in ("dept", "age", "salary"):
        con.execute(f"CREATE INDEX by_{field} ON employees ({field})")
    with con:
        con.executemany(
            "INSERT INTO employees VALUES (?, ?, ?, ?, ?, ?, ?)", [tuple(r[f] for f in FIELDS) for r in rows]
        )
    con.row_factory = _as_dict
    condition, args = QUERIES[op][1:]
    query = f"SELECT * FROM employees WHERE {condition} ORDER BY id"
    # sqlite3 picks its own path: a scan for the first query, the index on dept for the second.
    plan = " ".join(str(row.get("dept")) for row in con.execute("EXPLAIN QUERY PLAN " + query, args))
    benchmark.extra_info["plan"] = plan
    out = benchmark(lambda: con.execute(query, args).fetchall())
    assert [r["id"] for r in out] == expected(rows, op)
