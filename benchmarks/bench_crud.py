"""Table writes: bulk insert (explicit keys, generated keys, with a schema), update and delete 10% of rows.

Run once per mode (``make bench`` does both). The bulk-insert "floor" is the hand-written equivalent: a
dict comprehension that copies each row under its key. ``DICTDB_BENCH_LARGE=1`` adds 1,000,000 rows, which
shows bulk insert is linear (compare its time per row with the smaller sizes).

Each round gets a fresh table from ``setup``, which also frees the previous round's: freeing a million
records is not what these benchmarks measure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.conftest import label
from benchmarks.data import DEPTS
from dictdb import DictDB, Table

SCHEMA = {"id": int, "name": str, "age": int, "dept": str, "salary": int, "city": str, "email": str}
ROUNDS = {"rounds": 5, "warmup_rounds": 1, "iterations": 1}

Setup = Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]


def fresh(make: Callable[[], Any]) -> tuple[list[Any], Setup]:
    """A ``setup`` that hands each round a new ``make()``, and a list that holds the latest one."""
    latest: list[Any] = []

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        latest[:] = [make()]
        return (latest[0],), {}

    return latest, setup


def filled(rows: list[dict]) -> Callable[[], Table]:
    def make() -> Table:
        table = DictDB().create_table("employees")
        table.insert(rows)
        return table

    return make


def test_bulk_insert(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "bulk insert", size)
    latest, setup = fresh(lambda: DictDB().create_table("employees"))

    def insert(table: Table) -> None:
        table.insert(rows)

    benchmark.pedantic(insert, setup=setup, **ROUNDS)
    assert list(latest[0].records) == [row["id"] for row in rows]


def test_floor_bulk_insert(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "bulk insert", size, "floor")
    latest, setup = fresh(list)

    def insert(into: list[dict]) -> None:
        into.append({row["id"]: dict(row) for row in rows})

    benchmark.pedantic(insert, setup=setup, **ROUNDS)
    assert len(latest[0][0]) == size


def test_bulk_insert_with_schema(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "bulk insert, schema", size)
    latest, setup = fresh(lambda: DictDB().create_table("employees", schema=SCHEMA))

    def insert(table: Table) -> None:
        table.insert(rows)

    benchmark.pedantic(insert, setup=setup, **ROUNDS)
    assert len(latest[0]) == size


def test_bulk_insert_generated_keys(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "bulk insert, generated keys", size)
    keyless = [{k: v for k, v in row.items() if k != "id"} for row in rows]
    # Generated keys are written into the caller's dicts, so each round needs dicts without one.
    latest, setup = fresh(lambda: (DictDB().create_table("employees"), [dict(row) for row in keyless]))

    def insert(table_and_batch: tuple[Table, list[dict]]) -> None:
        table, batch = table_and_batch
        table.insert(batch)

    benchmark.pedantic(insert, setup=setup, **ROUNDS)
    assert list(latest[0][0].records) == list(range(1, size + 1))


def test_update_10_percent(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "update 10% of rows", size)
    latest, setup = fresh(filled(rows))

    def update(table: Table) -> None:
        table.update({"salary": 0}, where=table.dept == DEPTS[3])

    benchmark.pedantic(update, setup=setup, **ROUNDS)
    assert 0 < len(latest[0].select(where=latest[0].salary == 0)) < size // 5


def test_delete_10_percent(benchmark: Any, rows: list[dict], size: int) -> None:
    label(benchmark, "delete 10% of rows", size)
    latest, setup = fresh(filled(rows))

    def delete(table: Table) -> None:
        table.delete(where=table.dept == DEPTS[3])

    benchmark.pedantic(delete, setup=setup, **ROUNDS)
    assert size * 4 // 5 < len(latest[0]) < size
