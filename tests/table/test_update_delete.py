"""Table.update and Table.delete: counts, RecordNotFoundError, validation before change, re-keying."""

from __future__ import annotations

import pytest

from dictdb import DuplicateKeyError, RecordNotFoundError, SchemaValidationError, Table
from tests.support.snapshots import next_auto_pk, snapshot


@pytest.fixture
def people() -> Table:
    table = Table("people", schema={"name": str, "age": int, "note": str | None})
    table.insert([{"name": "ada", "age": 36}, {"name": "bob", "age": 17}, {"name": "cy", "age": 52}])
    table.clear_dirty_tracking()
    return table


def names(table: Table) -> list[str]:
    return [r["name"] for r in table.all()]


# -- update ---------------------------------------------------------------------------------------------


def test_update_returns_the_count_and_changes_the_matches(people: Table) -> None:
    assert people.update({"note": "adult"}, where=people.age >= 18) == 2
    assert [r.get("note") for r in people.all()] == ["adult", None, "adult"]


def test_update_without_where_changes_every_record(people: Table) -> None:
    assert people.update({"age": 1}) == 3
    assert {r["age"] for r in people.all()} == {1}


def test_update_keeps_insertion_order(people: Table) -> None:
    people.update({"age": 99}, where=people.name == "ada")
    assert names(people) == ["ada", "bob", "cy"]


def test_update_with_no_match_raises_and_changes_nothing(people: Table) -> None:
    before = snapshot(people)
    with pytest.raises(
        RecordNotFoundError, match=r"no record of table 'people' matches .*; nothing was updated"
    ):
        people.update({"age": 1}, where=people.age > 100)
    with pytest.raises(RecordNotFoundError, match="table 'empty' is empty; nothing was updated"):
        Table("empty").update({"age": 1})
    assert snapshot(people) == before


def test_update_validates_every_merged_record_before_changing_any(people: Table) -> None:
    people.insert({"name": "dee", "age": "?"}, skip_validation=True)  # already bad: found by the merge
    before = snapshot(people)
    with pytest.raises(
        SchemaValidationError, match=r"table 'people': record id=4: field 'age' expects int, got str"
    ):
        people.update({"note": "x"})
    with pytest.raises(SchemaValidationError, match="field 'age' expects int, got float"):
        people.update({"age": 1.5}, where=people.name == "cy")
    # An unknown field is named before the merge (UnknownFieldError, still a SchemaValidationError).
    with pytest.raises(SchemaValidationError, match=r"unknown field 'nick' in table 'people' \(update\)"):
        people.update({"nick": "a"})
    assert snapshot(people) == before


def test_update_refuses_changes_that_are_not_a_dict_and_bad_where(people: Table) -> None:
    before = snapshot(people)
    with pytest.raises(TypeError, match="changes must be a dict of field -> new value, not list"):
        people.update([("age", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"where must be a predicate .* not function"):
        people.update({"age": 1}, where=lambda r: True)
    assert snapshot(people) == before


def test_update_replaces_stored_dicts_instead_of_mutating_them(people: Table) -> None:
    held = people.select(where=people.name == "ada", copy=False)[0]
    people.update({"age": 37}, where=people.name == "ada")
    assert held["age"] == 36  # a copy=False result is a stable snapshot
    assert people.get(1)["age"] == 37


def test_changing_the_pk_rekeys_the_record(people: Table) -> None:
    assert people.update({"id": 10, "age": 18}, where=people.name == "bob") == 1
    assert people.get(2) is None
    assert people.get(10) == {"name": "bob", "age": 18, "id": 10}
    assert list(people.records) == [1, 3, 10]  # a re-keyed record comes last
    assert next_auto_pk(people) == 11  # an int key above the counter moves it, as on insert


def test_setting_the_pk_to_its_own_value_is_a_plain_update(people: Table) -> None:
    assert people.update({"id": 2, "age": 18}, where=people.name == "bob") == 1
    assert list(people.records) == [1, 2, 3]
    assert people.get(2) == {"name": "bob", "age": 18, "id": 2}


def test_rekeying_to_a_taken_key_raises_and_changes_nothing(people: Table) -> None:
    before = snapshot(people)
    with pytest.raises(DuplicateKeyError, match="already has a record with primary key 3"):
        people.update({"id": 3}, where=people.name == "bob")
    with pytest.raises(
        DuplicateKeyError, match="update would give 2 records of table 'people' the same primary key 9"
    ):
        people.update({"id": 9}, where=people.age > 18)
    assert snapshot(people) == before


def test_rekeying_validates_first(people: Table) -> None:
    before = snapshot(people)
    with pytest.raises(SchemaValidationError, match="field 'id' expects int, got str"):
        people.update({"id": "x"}, where=people.name == "bob")
    with pytest.raises(TypeError, match="primary key 'id' of table 'people' is None"):
        people.update({"id": None}, where=people.name == "bob")
    with pytest.raises(TypeError, match="must be hashable"):
        people.update({"id": [4]}, where=people.name == "bob")
    assert snapshot(people) == before


def test_rekeying_without_schema_accepts_any_hashable_key() -> None:
    table = Table("t")
    table.insert({"x": 1})
    table.update({"id": "one"})
    assert table.copy() == {"one": {"x": 1, "id": "one"}}


# -- delete ---------------------------------------------------------------------------------------------


def test_delete_returns_the_count_and_removes_the_matches(people: Table) -> None:
    assert people.delete(where=people.age < 40) == 2
    assert names(people) == ["cy"]


def test_delete_without_where_removes_everything(people: Table) -> None:
    assert people.delete() == 3
    assert people.count() == 0
    assert people.insert({"name": "new", "age": 1}) == 4


def test_delete_with_no_match_raises_and_changes_nothing(people: Table) -> None:
    before = snapshot(people)
    with pytest.raises(
        RecordNotFoundError, match=r"no record of table 'people' matches .*; nothing was deleted"
    ):
        people.delete(where=people.name == "zed")
    with pytest.raises(TypeError, match="not str"):
        people.delete(where="name == 'ada'")
    assert snapshot(people) == before
    with pytest.raises(RecordNotFoundError, match="table 't' is empty; nothing was deleted"):
        Table("t").delete()


def test_delete_all_then_where_is_not_found(people: Table) -> None:
    people.delete()
    with pytest.raises(RecordNotFoundError):
        people.delete(where=people.age > 0)
