"""Joins: 100,000 orders joined with 1,000 customers, every row returned, through the customers' primary key
and through a hash index on another field.

Two references, as for the other operations:

- ``floor``: a hand-written dict-lookup loop building the same merged dicts (the order's fields, then the
  customer's, a clashing name as ``"customers.<field>"``);
- ``sqlite3``: ``SELECT ... FROM orders JOIN customers ON ...`` on ``:memory:`` tables (the customers' key
  an ``INTEGER PRIMARY KEY``, the other field indexed), rows returned as dicts by a row factory.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from benchmarks.conftest import label
from dictdb import DictDB, Table

ORDERS, CUSTOMERS = 100_000, 1_000
OP = "join orders x customers"
ORDER_FIELDS = ("id", "cid", "code", "amount")
CUSTOMER_FIELDS = ("id", "code", "name", "country")
ROUNDS = {"rounds": 5, "warmup_rounds": 1, "iterations": 1}
Record = dict[str, Any]


@pytest.fixture(scope="module")
def data() -> tuple[list[Record], list[Record]]:
    customers = [
        {"id": i, "code": f"C{i:05}", "name": f"customer {i}", "country": ("FR", "DE", "IT")[i % 3]}
        for i in range(1, CUSTOMERS + 1)
    ]
    orders = [
        {"id": i, "cid": 1 + i * 7 % CUSTOMERS, "code": f"C{1 + i * 7 % CUSTOMERS:05}", "amount": i % 500}
        for i in range(1, ORDERS + 1)
    ]
    return orders, customers


@pytest.fixture(scope="module")
def tables(data: tuple[list[Record], list[Record]]) -> tuple[Table, Table]:
    db = DictDB()
    orders, customers = db.create_table("orders"), db.create_table("customers")
    orders.insert(data[0])
    customers.insert(data[1])
    customers.create_index("code")
    return orders, customers


@pytest.mark.parametrize("via", ["pk", "hash index"])
def test_join(benchmark: Any, tables: tuple[Table, Table], via: str) -> None:
    label(benchmark, f"{OP} ({via})", ORDERS)
    orders, customers = tables
    on = ("cid", "id") if via == "pk" else "code"
    rows = benchmark.pedantic(orders.join, (customers, on), **ROUNDS)
    assert len(rows) == ORDERS


def floor_join(orders: list[Record], by_key: dict[Any, Record], field: str) -> list[Record]:
    rows = []
    for order in orders:
        customer = by_key.get(order[field])
        if customer is not None:
            row = dict(order)
            for name, value in customer.items():
                row["customers." + name if name in order else name] = value
            rows.append(row)
    return rows


@pytest.mark.parametrize("via", ["pk", "hash index"])
def test_floor_join(benchmark: Any, data: tuple[list[Record], list[Record]], via: str) -> None:
    label(benchmark, f"{OP} ({via})", ORDERS, "floor")
    orders, customers = data
    field, key = ("cid", "id") if via == "pk" else ("code", "code")
    by_key = {customer[key]: customer for customer in customers}
    rows = benchmark.pedantic(floor_join, (orders, by_key, field), **ROUNDS)
    assert len(rows) == ORDERS


@pytest.mark.parametrize("via", ["pk", "hash index"])
def test_sqlite_join(benchmark: Any, data: tuple[list[Record], list[Record]], via: str) -> None:
    label(benchmark, f"{OP} ({via})", ORDERS, "sqlite")
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, cid INTEGER, code TEXT, amount INTEGER)")
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, code TEXT, name TEXT, country TEXT)")
    con.execute("CREATE INDEX by_code ON customers (code)")
    with con:
        con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", [tuple(r.values()) for r in data[0]])
        con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", [tuple(r.values()) for r in data[1]])
    names = [*ORDER_FIELDS, *(f"customers.{f}" if f in ORDER_FIELDS else f for f in CUSTOMER_FIELDS)]
    con.row_factory = lambda cursor, row: dict(zip(names, row, strict=True))
    on = "o.cid = c.id" if via == "pk" else "o.code = c.code"
    query = f"SELECT o.*, c.* FROM orders o JOIN customers c ON {on} ORDER BY o.id"
    rows = benchmark.pedantic(lambda: con.execute(query).fetchall(), **ROUNDS)
    assert len(rows) == ORDERS
