"""DictDB through its public API, in whichever core this process runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dictdb
from dictdb import Avg, Count, DictDB, Table

IMPL_ID = "dictdb"
Record = dict[str, Any]


def impl() -> str:
    """``cython`` or ``python``: a DictDB result is labelled with its core."""
    return dictdb.core_implementation()


def _empty(indexes: Mapping[str, str]) -> Table:
    table = DictDB().create_table("employees")
    for field, kind in indexes.items():
        table.create_index(field, kind)
    return table


def bulk_insert(rows: list[Record], indexes: Mapping[str, str]) -> Table:
    table = _empty(indexes)
    table.insert(rows)
    return table


def insert_one_by_one(rows: list[Record], indexes: Mapping[str, str]) -> Table:
    table = _empty(indexes)
    insert = table.insert
    for row in rows:
        insert(row)
    return table


build = bulk_insert


def get_many(table: Table, keys: list[Any]) -> list[Record]:
    get = table.get
    return [get(key) for key in keys]


def select_range(table: Table, field: str, low: Any, high: Any) -> list[Record]:
    return table.select(where=table.field(field).between(low, high))


def select_equal(table: Table, field: str, value: Any) -> list[Record]:
    return table.select(where=table.field(field) == value)


def select_scan(table: Table, age_min: int, dept: str, salary_max: int) -> list[Record]:
    t = table
    return t.select(where=(t.age >= age_min) & (t.dept == dept) & (t.salary < salary_max))


def select_scan_arithmetic(table: Table, product_min: int, age_min: int, dept: str) -> list[Record]:
    t = table
    return t.select(where=(t.salary * t.age > product_min) & (t.age >= age_min) & (t.dept == dept))


def top_k(table: Table, field: str, k: int) -> list[Record]:
    return table.select(order_by=f"-{field}", limit=k)


def update_equal(table: Table, field: str, value: Any, changes: Record) -> int:
    return table.update(changes, where=table.field(field) == value)


def update_computed(table: Table, field: str, value: Any, target: str) -> int:
    """``target -= 1`` on the records whose ``field`` equals ``value``, computed per record."""
    return table.update({target: table.field(target) - 1}, where=table.field(field) == value)


def delete_equal(table: Table, field: str, value: Any) -> int:
    return table.delete(where=table.field(field) == value)


def select_sorted(table: Table, field: str) -> list[Record]:
    return table.select(order_by=field)


def select_distinct(table: Table, fields: list[str]) -> list[Record]:
    return table.select(fields, distinct=True)


def group_count_avg(table: Table, by: str, field: str) -> list[Record]:
    rows: list[Record] = table.aggregate(group_by=by, n=Count(), avg=Avg(field))
    return rows
