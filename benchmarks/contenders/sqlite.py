"""The stdlib's ``sqlite3``, in memory (``:memory:``), with the same indexes, rows returned as dicts.

The table declares the seven fields as typed columns, ``id INTEGER PRIMARY KEY`` (the rowid: a lookup by
key is a B-tree search), and one B-tree index per entry of ``INDEXES`` (sqlite has no hash index; its
B-tree serves equality and ranges). Inserts bind each record dict to named parameters (``:name``), the
usual way to write dicts; one-by-one inserts run in one transaction, committed at the end (as
``executemany`` does). Every query returns its rows as dicts built with ``dict(zip(names, row))`` over
``fetchall()``, the fastest of the usual ways (``sqlite3.Row`` then ``dict(row)``, or a ``row_factory``,
are 5-10% slower).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from benchmarks.data import FIELDS

IMPL_ID = "sqlite"
Record = dict[str, Any]

_TYPES = {"id": "INTEGER PRIMARY KEY", "age": "INTEGER", "salary": "INTEGER"}
_CREATE = "CREATE TABLE employees ({})".format(", ".join(f"{f} {_TYPES.get(f, 'TEXT')}" for f in FIELDS))
_INSERT = "INSERT INTO employees VALUES ({})".format(", ".join(f":{f}" for f in FIELDS))


def impl() -> str:
    return IMPL_ID


def _empty(indexes: Mapping[str, str]) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute(_CREATE)
    for field in indexes:
        con.execute(f"CREATE INDEX employees_{field} ON employees ({field})")
    return con


def _dicts(cursor: sqlite3.Cursor) -> list[Record]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]


def bulk_insert(rows: list[Record], indexes: Mapping[str, str]) -> sqlite3.Connection:
    con = _empty(indexes)
    con.executemany(_INSERT, rows)
    con.commit()
    return con


def insert_one_by_one(rows: list[Record], indexes: Mapping[str, str]) -> sqlite3.Connection:
    con = _empty(indexes)
    execute = con.execute
    for row in rows:
        execute(_INSERT, row)
    con.commit()
    return con


build = bulk_insert


def get_many(con: sqlite3.Connection, keys: list[Any]) -> list[Record]:
    execute = con.execute
    names = list(FIELDS)
    return [
        dict(zip(names, execute("SELECT * FROM employees WHERE id = ?", (key,)).fetchone(), strict=False))
        for key in keys
    ]


def select_range(con: sqlite3.Connection, field: str, low: Any, high: Any) -> list[Record]:
    return _dicts(con.execute(f"SELECT * FROM employees WHERE {field} BETWEEN ? AND ?", (low, high)))


def select_equal(con: sqlite3.Connection, field: str, value: Any) -> list[Record]:
    return _dicts(con.execute(f"SELECT * FROM employees WHERE {field} = ?", (value,)))


def select_scan(con: sqlite3.Connection, age_min: int, dept: str, salary_max: int) -> list[Record]:
    query = "SELECT * FROM employees WHERE age >= ? AND dept = ? AND salary < ?"
    return _dicts(con.execute(query, (age_min, dept, salary_max)))


def select_scan_arithmetic(
    con: sqlite3.Connection, product_min: int, age_min: int, dept: str
) -> list[Record]:
    query = "SELECT * FROM employees WHERE salary * age > ? AND age >= ? AND dept = ?"
    return _dicts(con.execute(query, (product_min, age_min, dept)))


def top_k(con: sqlite3.Connection, field: str, k: int) -> list[Record]:
    return _dicts(con.execute(f"SELECT * FROM employees ORDER BY {field} DESC LIMIT ?", (k,)))


def update_equal(con: sqlite3.Connection, field: str, value: Any, changes: Record) -> int:
    assignments = ", ".join(f"{name} = :set_{name}" for name in changes)
    params = {f"set_{name}": new for name, new in changes.items()} | {"value": value}
    count = con.execute(f"UPDATE employees SET {assignments} WHERE {field} = :value", params).rowcount
    con.commit()
    return count


def update_computed(con: sqlite3.Connection, field: str, value: Any, target: str) -> int:
    count = con.execute(f"UPDATE employees SET {target} = {target} - 1 WHERE {field} = ?", (value,)).rowcount
    con.commit()
    return count


def delete_equal(con: sqlite3.Connection, field: str, value: Any) -> int:
    count = con.execute(f"DELETE FROM employees WHERE {field} = ?", (value,)).rowcount
    con.commit()
    return count


def select_sorted(con: sqlite3.Connection, field: str) -> list[Record]:
    # Ties in insertion order, as DictDB (a stable sort) gives them: the rowid breaks them.
    return _dicts(con.execute(f"SELECT * FROM employees ORDER BY {field}, id"))


def select_distinct(con: sqlite3.Connection, fields: list[str]) -> list[Record]:
    return _dicts(con.execute(f"SELECT DISTINCT {', '.join(fields)} FROM employees"))


def group_count_avg(con: sqlite3.Connection, by: str, field: str) -> list[Record]:
    return _dicts(
        con.execute(f"SELECT {by}, count(*) AS n, avg({field}) AS avg FROM employees GROUP BY {by}")
    )
