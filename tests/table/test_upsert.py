"""Table.upsert: insert; or update, ignore or error on a taken key. A failed validation changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB, DuplicateKeyError, SchemaValidationError, Table
from tests.support.snapshots import snapshot


@pytest.fixture
def table() -> Table:
    table = Table("t", schema={"name": str, "age": int})
    table.insert({"name": "ada", "age": 36})
    table.clear_dirty_tracking()
    return table


def test_upsert_inserts_a_new_key(table: Table) -> None:
    assert table.upsert({"id": 5, "name": "bob", "age": 17}) == (5, "inserted")
    assert table.get(5) == {"id": 5, "name": "bob", "age": 17}
    assert table.get_dirty_records() == [{"id": 5, "name": "bob", "age": 17}]


def test_upsert_without_a_key_inserts_with_a_generated_one(table: Table) -> None:
    record = {"name": "bob", "age": 17}
    assert table.upsert(record) == (2, "inserted")
    assert record["id"] == 2


def test_upsert_update_merges_into_the_stored_record(table: Table) -> None:
    caller = {"id": 1, "age": 37}
    assert table.upsert(caller) == (1, "updated")
    assert table.get(1) == {"name": "ada", "age": 37, "id": 1}
    assert caller == {"id": 1, "age": 37}
    assert table.get_dirty_records() == [{"name": "ada", "age": 37, "id": 1}]


def test_upsert_ignore_keeps_the_stored_record(table: Table) -> None:
    before = snapshot(table)
    assert table.upsert({"id": 1, "age": 99}, on_conflict="ignore") == (1, "ignored")
    assert snapshot(table) == before


def test_upsert_error_raises_on_a_taken_key(table: Table) -> None:
    before = snapshot(table)
    with pytest.raises(DuplicateKeyError, match="already has a record with primary key 1"):
        table.upsert({"id": 1, "age": 99}, on_conflict="error")
    assert snapshot(table) == before
    assert table.upsert({"id": 2, "name": "bob", "age": 1}, on_conflict="error") == (2, "inserted")


@pytest.mark.parametrize(
    "record",
    [{"id": 1, "age": "old"}, {"id": 1, "nick": "a"}, {"id": 2, "name": "bob"}, {"name": 5, "age": 1}],
    ids=["update wrong type", "update extra field", "insert missing field", "insert wrong type"],
)
def test_a_failed_validation_changes_nothing(table: Table, record: dict[str, Any]) -> None:
    before = snapshot(table)
    pristine = dict(record)
    with pytest.raises(SchemaValidationError):
        table.upsert(record)
    assert snapshot(table) == before
    assert record == pristine


def test_upsert_checks_its_arguments(table: Table) -> None:
    before = snapshot(table)
    with pytest.raises(ValueError, match="on_conflict must be 'update', 'ignore' or 'error', not 'replace'"):
        table.upsert({"id": 1}, on_conflict="replace")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a record must be a dict, not list"):
        table.upsert([{"id": 1}])  # type: ignore[arg-type]
    assert snapshot(table) == before


def test_upsert_stores_a_copy(table: Table) -> None:
    record = {"id": 9, "name": "x", "age": 1}
    table.upsert(record)
    record["age"] = 2
    table.upsert({"id": 9, "name": "y"})
    assert table.get(9) == {"id": 9, "name": "y", "age": 1}


def test_an_equal_key_of_another_type_keeps_the_stored_key(tmp_path: Path) -> None:
    db = DictDB()
    t = db.create_table("t")
    t.insert({"x": 0})
    t.upsert({"id": 3.0, "x": 1})
    t.upsert({"id": 3, "x": 2})  # updates the record of 3.0: its key stays 3.0
    t.update({"id": 3, "x": 3}, where=t.x == 2)
    assert [type(r["id"]) for r in t.all()] == [int, float]
    db.save(tmp_path / "db.json", "json")
    again = DictDB.load(tmp_path / "db.json", "json").get_table("t")
    assert again.all() == t.all()
    assert again.insert({}) == t.insert({}) == 2  # a save and load change no key and no counter
