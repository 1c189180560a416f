"""Revenue per month with a HAVING: group 200,000 orders by a computed value and sum a computed value.

``Table.aggregate(group_by={"month": t.created.month}, revenue=Sum(t.price * t.qty), n=Count(),
having=Field("n") > K)`` runs once per core (``make bench`` does both); beside it, sqlite3 with the dates
stored as ISO text, as its users store them (``strftime('%m', created)``, ``SUM(price * qty)``, ``COUNT(*)``,
``GROUP BY``, ``HAVING``), and the floor, the same loop written by hand in Python. The kernel
(``dictdb._core.aggregate.aggregate_values``) runs in both cores in one run, beside what the same answer
cost without computed aggregates: a ``select`` of the computed columns, then an aggregate of those fields.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from types import SimpleNamespace
from typing import Any

import pytest

from benchmarks.conftest import label
from dictdb import Count, Field, Sum, Table

SIZE = 200_000
#: Orders spread evenly over 2024: the 31-day months hold about 16,940 orders, the others fewer.
HAVING = 16_500
Rows = list[dict[str, Any]]

MONTH = ("month", ("field", "created"))
REVENUE = ("mul", ("field", "price"), ("field", "qty"))
GROUPS = [("month", MONTH)]
SPECS = [("revenue", "sum", REVENUE), ("n", "count_rows", None)]
SQL = (
    "SELECT CAST(strftime('%m', created) AS INTEGER) AS month, SUM(price * qty) AS revenue, COUNT(*) AS n "
    "FROM orders GROUP BY month HAVING n > ?"
)


@pytest.fixture(scope="module")
def orders() -> Rows:
    rng = random.Random(2024)
    start = dt.date(2024, 1, 1)
    return [
        {
            "id": i,
            "created": start + dt.timedelta(days=rng.randrange(366)),
            "price": round(rng.uniform(1, 200), 2),
            "qty": rng.randint(1, 5),
        }
        for i in range(1, SIZE + 1)
    ]


@pytest.fixture(scope="module")
def expected(orders: Rows) -> Rows:
    return floor_revenue(orders)


def floor_revenue(orders: Rows) -> Rows:
    """The plain-Python loop: one dict per month, then the months past the HAVING bound."""
    revenue: dict[int, float] = {}
    counts: dict[int, int] = {}
    for order in orders:
        month = order["created"].month
        revenue[month] = revenue.get(month, 0) + order["price"] * order["qty"]
        counts[month] = counts.get(month, 0) + 1
    return [{"month": m, "revenue": revenue[m], "n": n} for m, n in counts.items() if n > HAVING]


def by_month(rows: Rows) -> list[tuple[int, int]]:
    return sorted((row["month"], row["n"]) for row in rows)


def test_revenue_per_month_having(benchmark: Any, orders: Rows, expected: Rows) -> None:
    label(benchmark, "revenue per month + having", SIZE)
    table = Table("orders")
    table.insert([dict(order) for order in orders])
    out = benchmark(
        table.aggregate,
        group_by={"month": table.created.month},
        revenue=Sum(table.price * table.qty),
        n=Count(),
        having=Field("n") > HAVING,
    )
    assert by_month(out) == by_month(expected)
    assert [row["revenue"] for row in out] == pytest.approx([row["revenue"] for row in expected])


def test_revenue_per_month_having_sqlite(benchmark: Any, orders: Rows, expected: Rows) -> None:
    label(benchmark, "revenue per month + having", SIZE, "sqlite")
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, created TEXT, price REAL, qty INTEGER)")
    con.executemany(
        "INSERT INTO orders VALUES (:id, :created, :price, :qty)",
        [{**order, "created": order["created"].isoformat()} for order in orders],
    )
    con.commit()

    def query() -> Rows:
        cursor = con.execute(SQL, (HAVING,))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    out = benchmark(query)
    assert by_month(out) == by_month(expected)


def test_revenue_per_month_having_floor(benchmark: Any, orders: Rows, expected: Rows) -> None:
    label(benchmark, "revenue per month + having", SIZE, "floor")
    out = benchmark(floor_revenue, orders)
    assert out == expected


def test_kernel_revenue_per_month(
    benchmark: Any, kernel: SimpleNamespace, orders: Rows, expected: Rows
) -> None:
    label(benchmark, "kernel revenue per month", SIZE, kernel.kind)
    out = benchmark(kernel.aggregate.aggregate_values, orders, GROUPS, SPECS)
    assert by_month([row for row in out if row["n"] > HAVING]) == by_month(expected)


def test_kernel_revenue_per_month_via_select(
    benchmark: Any, kernel: SimpleNamespace, orders: Rows, expected: Rows
) -> None:
    """The same answer without computed aggregates: compute the two columns per record, then aggregate
    those plain fields."""
    label(benchmark, "kernel revenue per month via computed columns", SIZE, kernel.kind)
    month = kernel.value.compile_value(MONTH)
    revenue = kernel.value.compile_value(REVENUE)

    def two_steps() -> Rows:
        rows = [
            {"month": m, "revenue": r}
            for m, r in zip(month.values(orders), revenue.values(orders), strict=True)
        ]
        return kernel.aggregate.aggregate(
            rows, ["month"], [("revenue", "sum", "revenue"), ("n", "count_rows", None)]
        )

    out = benchmark(two_steps)
    assert by_month([row for row in out if row["n"] > HAVING]) == by_month(expected)
