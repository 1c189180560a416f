"""DuckDB in memory, when installed (``pip install -r requirements/bench.txt``): the same indexes, rows as
dicts.

The table declares the seven fields as typed columns with ``id`` the primary key, and ``CREATE INDEX`` (an
ART index) per entry of ``INDEXES``. DuckDB is a columnar engine built for analytics: a bulk load goes in as
columns (the record dicts turned into one list per field, then ``unnest``-ed in one ``INSERT ... SELECT``,
the transposing counted in the time), and it has no row-at-a-time insert worth measuring (``executemany`` of
100,000 rows takes ~30 s), so it offers none. Queries return their rows as dicts built with
``dict(zip(names, row))`` over ``fetchall()``. DuckDB may use both cores of the machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from benchmarks.data import FIELDS

IMPL_ID = "duckdb"
Record = dict[str, Any]

_TYPES = {"id": "BIGINT PRIMARY KEY", "age": "BIGINT", "salary": "BIGINT"}
_CREATE = "CREATE TABLE employees ({})".format(", ".join(f"{f} {_TYPES.get(f, 'VARCHAR')}" for f in FIELDS))
_INSERT = "INSERT INTO employees SELECT {}".format(", ".join(f"unnest(${i + 1})" for i in range(len(FIELDS))))


def impl() -> str:
    return IMPL_ID


def _dicts(result: Any) -> list[Record]:
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=False)) for row in result.fetchall()]


def bulk_insert(rows: list[Record], indexes: Mapping[str, str]) -> Any:
    con = duckdb.connect(":memory:")
    con.execute(_CREATE)
    for field in indexes:
        con.execute(f"CREATE INDEX employees_{field} ON employees ({field})")
    con.execute(_INSERT, [[row[field] for row in rows] for field in FIELDS])
    return con


build = bulk_insert


def get_many(con: Any, keys: list[Any]) -> list[Record]:
    execute = con.execute
    names = list(FIELDS)
    return [
        dict(zip(names, execute("SELECT * FROM employees WHERE id = ?", [key]).fetchone(), strict=False))
        for key in keys
    ]


def select_range(con: Any, field: str, low: Any, high: Any) -> list[Record]:
    return _dicts(con.execute(f"SELECT * FROM employees WHERE {field} BETWEEN ? AND ?", [low, high]))


def select_equal(con: Any, field: str, value: Any) -> list[Record]:
    return _dicts(con.execute(f"SELECT * FROM employees WHERE {field} = ?", [value]))


def select_scan(con: Any, age_min: int, dept: str, salary_max: int) -> list[Record]:
    query = "SELECT * FROM employees WHERE age >= ? AND dept = ? AND salary < ?"
    return _dicts(con.execute(query, [age_min, dept, salary_max]))


def top_k(con: Any, field: str, k: int) -> list[Record]:
    return _dicts(con.execute(f"SELECT * FROM employees ORDER BY {field} DESC LIMIT ?", [k]))


def update_equal(con: Any, field: str, value: Any, changes: Record) -> int:
    assignments = ", ".join(f"{name} = ?" for name in changes)
    result = con.execute(
        f"UPDATE employees SET {assignments} WHERE {field} = ?", [*changes.values(), value]
    ).fetchone()
    return int(result[0])


def delete_equal(con: Any, field: str, value: Any) -> int:
    return int(con.execute(f"DELETE FROM employees WHERE {field} = ?", [value]).fetchone()[0])


def select_sorted(con: Any, field: str) -> list[Record]:
    # DuckDB's sort is not stable: the primary key breaks ties in insertion order, as DictDB's does.
    return _dicts(con.execute(f"SELECT * FROM employees ORDER BY {field}, id"))


def select_distinct(con: Any, fields: list[str]) -> list[Record]:
    return _dicts(con.execute(f"SELECT DISTINCT {', '.join(fields)} FROM employees"))


def group_count_avg(con: Any, by: str, field: str) -> list[Record]:
    return _dicts(
        con.execute(f"SELECT {by}, count(*) AS n, avg({field}) AS avg FROM employees GROUP BY {by}")
    )
