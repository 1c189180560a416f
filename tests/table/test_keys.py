"""Primary keys: the auto counter, explicit keys, pk_generator, and keys that are refused."""

from __future__ import annotations

import enum
import itertools
import uuid
from typing import Any

import pytest

from dictdb import DictDB, DuplicateKeyError, SchemaValidationError, Table
from tests.support.snapshots import next_auto_pk, snapshot


class Code(enum.IntEnum):
    BIG = 40


def test_the_counter_gives_1_2_3_per_table() -> None:
    db = DictDB()
    a, b = db.create_table("a"), db.create_table("b")
    assert [a.insert({}) for _ in range(3)] == [1, 2, 3]
    assert b.insert({}) == 1


def test_an_explicit_int_at_or_above_the_counter_moves_it_past() -> None:
    table = Table("t")
    assert table.insert({"id": 10}) == 10
    assert table.insert({}) == 11
    assert table.insert({"id": 11 + 1}) == 12
    assert table.insert({}) == 13


def test_an_explicit_key_below_the_counter_does_not_move_it() -> None:
    table = Table("t")
    table.insert({"id": 10})
    table.insert({"id": 3})
    assert table.insert({}) == 11


def test_the_counter_skips_keys_already_taken() -> None:
    table = Table("t")
    table.insert({"id": 2.0})  # a float key does not move the counter, but 2 == 2.0 is taken
    table.insert({"id": True})  # True == 1 is taken too (dict equality)
    assert table.insert([{}, {}]) == [3, 4]


def test_the_counter_never_overwrites_a_record_however_it_got_there() -> None:
    table = Table("t")
    table.records[1] = {"id": 1, "planted": True}  # written straight into the public dict
    table.records[2] = {"id": 2, "planted": True}
    assert table.insert({"x": 1}) == 3
    assert table.insert([{"x": 2}]) == [4]
    assert table.get(1) == {"id": 1, "planted": True}


def test_a_deleted_key_is_not_given_again() -> None:
    table = Table("t")
    table.insert([{}, {}, {}])
    table.delete(where=table.id == 3)
    assert table.insert({}) == 4


def test_bool_keys_do_not_move_the_counter_and_int_subclasses_do() -> None:
    table = Table("t")
    table.insert({"id": False})  # 0
    assert next_auto_pk(table) == 1
    table.insert({"id": Code.BIG})
    assert table.insert({}) == 41
    batch = Table("b")
    assert batch.insert([{"id": True}, {"id": Code.BIG}, {}]) == [True, Code.BIG, 41]


@pytest.mark.parametrize(
    "key", ["abc", (1, "a"), uuid.UUID(int=5), 2.5, b"k", frozenset({1})], ids=lambda k: type(k).__name__
)
def test_any_hashable_value_is_a_key(key: Any) -> None:
    table = Table("t")
    assert table.insert({"id": key, "v": 1}) == key
    assert table.get(key) == {"id": key, "v": 1}
    assert next_auto_pk(table) == 1


def test_a_custom_primary_key_field() -> None:
    table = DictDB().create_table("users", primary_key="uid")
    record = {"name": "ada"}
    assert table.insert(record) == 1
    assert record == {"name": "ada", "uid": 1}
    assert table.primary_key_name() == "uid"
    assert table.insert({"id": 1, "name": "bob"}) == 2  # "id" is just a field here


@pytest.mark.parametrize("bad", [[1], {"a": 1}, {1}], ids=["list", "dict", "set"])
def test_an_unhashable_key_is_refused(bad: Any) -> None:
    table = Table("t")
    table.insert({"x": 0})
    before = snapshot(table)
    message = f"primary key 'id' of table 't' must be hashable, got {type(bad).__name__}"
    with pytest.raises(TypeError, match=message):
        table.insert({"id": bad})
    with pytest.raises(TypeError, match=message):
        table.upsert({"id": bad})
    with pytest.raises(TypeError, match=f"record 0 of the batch: {message}"):
        table.insert([{"id": bad}])
    assert snapshot(table) == before


def test_none_as_a_key_is_refused() -> None:
    table = Table("t")
    before = snapshot(table)
    for write in (table.insert, table.upsert):
        with pytest.raises(TypeError, match="primary key 'id' of table 't' is None; leave 'id' out"):
            write({"id": None, "x": 1})
    with pytest.raises(TypeError, match="record 0 of the batch: primary key 'id' of table 't' is None"):
        table.insert([{"id": None}])
    assert snapshot(table) == before


def test_a_duplicate_key_is_refused_and_says_what_to_do() -> None:
    table = Table("t")
    table.insert({"id": 1, "x": 1})
    before = snapshot(table)
    with pytest.raises(DuplicateKeyError) as caught:
        table.insert({"id": 1, "x": 2})
    assert str(caught.value) == (
        "table 't' already has a record with primary key 1; use upsert() to replace it, "
        "or leave 'id' out of the record to get a new key"
    )
    with pytest.raises(DuplicateKeyError, match="primary key 1"):
        table.insert({"id": 1.0})  # equal keys are one key, as in a dict
    assert snapshot(table) == before


def test_pk_generator_makes_keys_for_records_without_one() -> None:
    table = DictDB().create_table("events", schema={"id": uuid.UUID, "kind": str}, pk_generator=uuid.uuid4)
    record = {"kind": "login"}
    pk = table.insert(record)
    assert isinstance(pk, uuid.UUID)
    assert record == {"kind": "login", "id": pk}
    pks = table.insert([{"kind": "a"}, {"kind": "b"}])
    assert len(set(pks)) == 2
    assert all(isinstance(k, uuid.UUID) for k in pks)
    assert table.upsert({"kind": "c"})[1] == "inserted"
    assert table.count() == 4


def test_pk_generator_is_not_called_for_an_explicit_key() -> None:
    calls = itertools.count()
    table = Table("t", pk_generator=lambda: f"k{next(calls)}")
    assert table.insert({"id": "mine"}) == "mine"
    assert table.insert([{"id": "also"}, {}]) == ["also", "k0"]
    assert table.insert({}) == "k1"


def test_a_failing_pk_generator_changes_nothing() -> None:
    calls = itertools.count()

    def flaky() -> str:
        n = next(calls)
        if n == 2:
            raise RuntimeError("key service down")
        return f"k{n}"

    table = Table("t", pk_generator=flaky)
    table.insert({"x": 0})
    before = snapshot(table, counter=False)
    batch = [{"x": 1}, {"x": 2}]
    with pytest.raises(RuntimeError, match="key service down"):  # the generator's own error, unchanged
        table.insert(batch)
    assert batch == [{"x": 1}, {"x": 2}]  # the key made for the first record was not written back
    assert snapshot(table, counter=False) == before
    single = {"x": 3}
    assert table.insert(single) == "k3"


@pytest.mark.parametrize(
    ("made", "error", "message"),
    [
        (None, TypeError, "primary key 'id' of table 't' is None"),
        ([1], TypeError, "must be hashable, pk_generator returned list"),
        ("dup", DuplicateKeyError, "pk_generator of table 't' returned 'dup', a primary key already taken"),
    ],
)
def test_a_pk_generator_returning_a_bad_key_is_refused(
    made: Any, error: type[Exception], message: str
) -> None:
    table = Table("t", pk_generator=lambda: made)
    table.insert({"id": "dup"})
    before = snapshot(table, counter=False)
    with pytest.raises(error, match=message):
        table.insert({"x": 1})
    with pytest.raises(error, match=message):
        table.insert([{"id": "other"}, {"x": 1}])
    assert snapshot(table, counter=False) == before


def test_a_pk_generator_repeating_a_key_within_a_batch_is_refused() -> None:
    table = Table("t", pk_generator=lambda: "same")
    with pytest.raises(DuplicateKeyError, match="returned 'same', a primary key already taken"):
        table.insert([{}, {}])
    assert table.count() == 0


def test_a_non_int_key_type_without_generator_needs_explicit_keys() -> None:
    table = Table("t", primary_key="code", schema={"code": str, "n": int})
    assert table.insert({"code": "a", "n": 1}) == "a"
    before = snapshot(table)
    message = "table 't' cannot make a primary key: its schema types 'code' so that the counter's ints"
    with pytest.raises(SchemaValidationError, match=message):
        table.insert({"n": 2})
    with pytest.raises(SchemaValidationError, match="pk_generator="):
        table.insert([{"code": "b", "n": 2}, {"n": 3}])
    assert snapshot(table) == before


def test_a_float_or_union_key_type_still_gets_counter_keys() -> None:
    assert Table("t", schema={"id": float}).insert({}) == 1
    assert Table("t", schema={"id": int | str}).insert({}) == 1


def test_a_pk_generator_needs_the_key_type_in_the_schema() -> None:
    db = DictDB()
    with pytest.raises(
        TypeError, match=r"has no type for its primary key 'id'; with a pk_generator, declare it"
    ):
        db.create_table("t", schema={"name": str}, pk_generator=uuid.uuid4)
    assert db.list_tables() == []


def test_table_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="a table name must be a str, not int"):
        Table(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="primary_key must be a field name"):
        Table("t", primary_key=("a", "b"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pk_generator must be a function of no arguments"):
        Table("t", pk_generator="uuid4")  # type: ignore[arg-type]
