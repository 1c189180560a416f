"""Table.insert: one dict or a list, copies, generated keys written back, all-or-nothing batches."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest

from dictdb import DuplicateKeyError, SchemaValidationError, Table
from tests.support.snapshots import snapshot

SCHEMA = {"id": int, "name": str, "age": int}


@pytest.fixture
def table() -> Table:
    table = Table("people", schema=SCHEMA)
    table.insert([{"name": "ada", "age": 36}, {"name": "bob", "age": 17}])
    table.clear_dirty_tracking()
    return table


def test_insert_one_returns_its_pk() -> None:
    table = Table("t")
    assert table.insert({"x": 1}) == 1
    assert table.insert({"id": "k", "x": 2}) == "k"
    assert table.all() == [{"x": 1, "id": 1}, {"id": "k", "x": 2}]


def test_insert_list_returns_the_pks_in_order() -> None:
    table = Table("t")
    assert table.insert([{"x": 1}, {"id": 7, "x": 2}, {"x": 3}]) == [1, 7, 8]
    assert [r["x"] for r in table.all()] == [1, 2, 3]


def test_insert_tuple_is_a_batch_too() -> None:
    table = Table("t")
    assert table.insert(({"x": 1}, {"x": 2})) == [1, 2]


def test_insert_empty_list_returns_empty_list_and_changes_nothing() -> None:
    table = Table("t")
    before = snapshot(table)
    assert table.insert([]) == []
    assert snapshot(table) == before


def test_insert_stores_a_copy_of_each_record() -> None:
    table = Table("t")
    one = {"x": 1}
    many = [{"x": 2}, {"x": 3}]
    table.insert(one)
    table.insert(many)
    one["x"] = many[0]["x"] = 99
    assert [r["x"] for r in table.all()] == [1, 2, 3]
    assert table.records[1] is not one


def test_insert_stores_a_plain_dict_for_a_dict_subclass() -> None:
    table = Table("t")
    table.insert(OrderedDict(x=1))
    assert type(table.records[1]) is dict


def test_generated_pk_is_written_into_the_callers_dict() -> None:
    table = Table("t")
    one = {"x": 1}
    batch = [{"x": 2}, {"id": 10, "x": 3}, {"x": 4}]
    table.insert(one)
    table.insert(batch)
    assert one == {"x": 1, "id": 1}
    assert batch == [{"x": 2, "id": 2}, {"id": 10, "x": 3}, {"x": 4, "id": 11}]


def test_explicit_pk_leaves_the_callers_dict_alone() -> None:
    table = Table("t")
    record = {"id": 5, "x": 1}
    table.insert(record)
    assert record == {"id": 5, "x": 1}


def test_insert_refuses_what_is_not_a_dict_or_a_list() -> None:
    table = Table("t")
    with pytest.raises(TypeError, match="insert takes a dict or an iterable of dicts, not str"):
        table.insert("x")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="record 0 of the batch must be a dict, not list"):
        table.insert([[("id", 1)]])  # type: ignore[list-item]
    assert table.count() == 0


def test_batch_is_keyed_as_if_inserted_one_by_one() -> None:
    table = Table("t")
    # The first record takes 1 from the counter, so a later explicit 1 is a duplicate, as one by one.
    with pytest.raises(DuplicateKeyError, match="record 1 of the batch repeats primary key 1"):
        table.insert([{"x": 1}, {"id": 1}])
    assert table.insert([{"id": 5}, {"x": 1}]) == [5, 6]


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (
            {"name": "eve", "age": "old"},
            SchemaValidationError,
            "record 2 of the batch: field 'age' expects int",
        ),
        ({"name": "eve"}, SchemaValidationError, "record 2 of the batch: field 'age' is missing"),
        (
            {"name": "eve", "age": 1, "x": 0},
            SchemaValidationError,
            "record 2 of the batch: field 'x' is not in",
        ),
        ({"id": 1, "name": "eve", "age": 1}, DuplicateKeyError, "already has a record with primary key 1"),
        (
            {"id": 20, "name": "eve", "age": 1},
            DuplicateKeyError,
            "record 2 of the batch repeats primary key 20",
        ),
        (
            {"id": None, "name": "eve", "age": 1},
            TypeError,
            "record 2 of the batch: primary key 'id' .* is None",
        ),
        (["not", "a", "dict"], TypeError, "record 2 of the batch must be a dict, not list"),
    ],
    ids=[
        "wrong type",
        "missing field",
        "extra field",
        "dup vs table",
        "dup in batch",
        "None pk",
        "not a dict",
    ],
)
def test_a_bad_record_anywhere_in_a_batch_stores_nothing(
    table: Table, bad: Any, error: type[Exception], message: str
) -> None:
    before = snapshot(table)
    batch = [{"name": "cy", "age": 52}, {"id": 20, "name": "dee", "age": 17}, bad, {"name": "fay", "age": 3}]
    pristine = [dict(r) if isinstance(r, dict) else r for r in batch]
    with pytest.raises(error, match=message):
        table.insert(batch)
    assert snapshot(table) == before
    assert batch == pristine  # no generated key was left in the caller's dicts


def test_unhashable_or_none_pk_in_a_batch_without_schema_stores_nothing() -> None:
    table = Table("t")
    table.insert({"x": 0})
    before = snapshot(table)
    with pytest.raises(
        TypeError, match=r"record 1 of the batch: primary key 'id' .* must be hashable, got list"
    ):
        table.insert([{"id": 2}, {"id": [3]}])
    with pytest.raises(TypeError, match="record 2 of the batch: primary key 'id' of table 't' is None"):
        table.insert([{"id": 2}, {"id": 3}, {"id": None}])
    with pytest.raises(TypeError, match=r"record 1 of the batch: primary key 'id' .* is None"):
        table.insert([{"x": 1}, {"id": None}])  # the one-by-one path (a record without a key)
    assert snapshot(table) == before


@pytest.mark.parametrize("batch_size", [None, 1, 2, 3, 100])
def test_batch_size_chunks_the_work_but_not_the_result(batch_size: int | None) -> None:
    table = Table("t")
    batch = [{"x": i} for i in range(5)] + [{"id": 50}, {"x": 5}]
    assert table.insert(batch, batch_size=batch_size) == [1, 2, 3, 4, 5, 50, 51]
    assert [r["id"] for r in batch] == [1, 2, 3, 4, 5, 50, 51]


@pytest.mark.parametrize("batch_size", [1, 2])
def test_a_batch_failing_in_its_last_chunk_stores_nothing_of_earlier_chunks(batch_size: int) -> None:
    table = Table("t")
    table.insert({"id": 3})
    before = snapshot(table)
    batch = [{"x": 1}, {"x": 2}, {"id": 3}]
    with pytest.raises(DuplicateKeyError, match="record 2 of the batch: table 't' already has"):
        table.insert(batch, batch_size=batch_size)
    assert snapshot(table) == before
    assert batch == [{"x": 1}, {"x": 2}, {"id": 3}]


def test_a_key_repeated_across_chunks_is_a_duplicate() -> None:
    table = Table("t")
    with pytest.raises(DuplicateKeyError, match="record 2 of the batch repeats primary key 1"):
        table.insert([{"id": 1}, {"id": 2}, {"id": 1}], batch_size=2)
    assert table.count() == 0


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, "2", True])
def test_batch_size_must_be_a_positive_int(batch_size: Any) -> None:
    table = Table("t")
    with pytest.raises(ValueError, match="batch_size must be a positive int or None"):
        table.insert([{"x": 1}], batch_size=batch_size)
    assert table.count() == 0


def test_skip_validation_skips_the_schema_only(table: Table) -> None:
    assert table.insert({"name": 1, "age": "x", "extra": True}, skip_validation=True) == 3
    assert table.insert([{"name": None}], skip_validation=True) == [4]
    with pytest.raises(DuplicateKeyError, match="primary key 1"):
        table.insert({"id": 1}, skip_validation=True)
    with pytest.raises(DuplicateKeyError, match="primary key 2"):
        table.insert([{"id": 2}], skip_validation=True)
    with pytest.raises(TypeError, match="must be hashable"):
        table.insert({"id": {}}, skip_validation=True)


def test_key_errors_come_before_schema_errors(table: Table) -> None:
    with pytest.raises(TypeError, match="primary key 'id' of table 'people' is None"):
        table.insert({"id": None, "name": "eve", "age": 1})
    with pytest.raises(DuplicateKeyError, match="primary key 1"):
        table.insert({"id": 1, "name": 5})
    with pytest.raises(DuplicateKeyError, match="primary key 1"):
        table.insert([{"id": 1, "name": 5}])


def test_a_failed_single_insert_changes_nothing(table: Table) -> None:
    before = snapshot(table)
    record = {"name": "eve", "age": 1.5}
    with pytest.raises(SchemaValidationError, match="field 'age' expects int, got float"):
        table.insert(record)
    assert record == {"name": "eve", "age": 1.5}  # the generated key was not written back
    with pytest.raises(DuplicateKeyError):
        table.insert({"id": 2, "name": "eve", "age": 1})
    assert snapshot(table) == before


def test_bulk_insert_of_many_records_with_explicit_pks() -> None:
    table = Table("t")
    batch = [{"id": i, "v": i % 7} for i in range(20_000, 0, -1)]
    assert table.insert(batch) == list(range(20_000, 0, -1))
    assert table.count() == 20_000
    assert table.insert({"v": 0}) == 20_001
