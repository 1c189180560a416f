"""Pages deep in a sorted index: ``select(order_by="salary", offset=k, limit=10)`` at the start (k = 0), the
middle (n / 2) and the end (n - 10) of the benchmark data set, ascending and descending, against sqlite3's
``SELECT * FROM employees ORDER BY salary LIMIT 10 OFFSET k`` over an index on ``salary``.

DictDB reads the page from its position in the index (``SortedIndex.page``), so its time hardly depends on
the offset; sqlite3 steps over the first ``k`` entries of its index. The table and the sqlite3 database are
built once per size. ``DICTDB_BENCH_LARGE=1`` adds the 1,000,000-row headline.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from benchmarks.bench_indexes import indexed, sqlite_table
from benchmarks.conftest import label
from dictdb import Table

PAGE = 10
#: Where each page starts, from the table's size.
WHERE = {"start": lambda n: 0, "middle": lambda n: n // 2, "end": lambda n: n - PAGE}
ORDERS = {"asc": ("salary", "ASC"), "desc": ("-salary", "DESC")}

_built: dict[tuple[str, int], Any] = {}


def _once(kind: str, size: int, rows: list[dict[str, Any]]) -> Any:
    """The indexed table or the sqlite3 database of ``size`` rows, built once (a new size drops the old)."""
    if (kind, size) not in _built:
        for key in [key for key in _built if key[0] == kind]:
            del _built[key]
        _built[kind, size] = indexed(rows) if kind == "dictdb" else sqlite_table(rows)
    return _built[kind, size]


def _op(where: str, order: str) -> str:
    return f"index: page of {PAGE} at the {where}, order_by salary {order}"


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("where", list(WHERE))
def test_page(benchmark: Any, rows: list[dict[str, Any]], size: int, where: str, order: str) -> None:
    label(benchmark, _op(where, order), size)
    table: Table = _once("dictdb", size, rows)
    offset, order_by = WHERE[where](size), ORDERS[order][0]
    plan = table.explain(order_by=order_by, limit=PAGE, offset=offset)["order"]
    assert plan["method"] == "index walk", plan
    assert plan.get("skips", "by position") == "by position", plan  # no key at offset 0
    out = benchmark(table.select, order_by=order_by, offset=offset, limit=PAGE)
    salaries = sorted((r["salary"] for r in rows), reverse=order == "desc")
    assert [r["salary"] for r in out] == salaries[offset : offset + PAGE]


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("where", list(WHERE))
def test_sqlite_page(benchmark: Any, rows: list[dict[str, Any]], size: int, where: str, order: str) -> None:
    label(benchmark, _op(where, order), size, "sqlite")
    con: sqlite3.Connection = _once("sqlite", size, rows)
    offset = WHERE[where](size)
    query = f"SELECT * FROM employees ORDER BY salary {ORDERS[order][1]} LIMIT ? OFFSET ?"
    plan = " ".join(str(row) for row in con.execute("EXPLAIN QUERY PLAN " + query, (PAGE, offset)))
    assert "INDEX by_salary" in plan, plan
    out = benchmark(lambda: con.execute(query, (PAGE, offset)).fetchall())
    assert len(out) == PAGE
