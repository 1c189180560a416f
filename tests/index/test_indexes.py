"""Table indexes through the public API: create, drop, kinds, composite, unique, the read API, persistence."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB, DuplicateKeyError, Table
from dictdb.index import HashIndex, SortedIndex


@pytest.fixture
def people() -> Table:
    t = Table("people")
    t.insert(
        [
            {"name": "ada", "dept": "ops", "city": "Oslo", "age": 36},
            {"name": "bob", "dept": "dev", "city": "Rome", "age": 17},
            {"name": "cy", "dept": "ops", "city": "Rome", "age": 52},
            {"name": "di", "dept": "dev", "city": "Oslo", "age": None},
            {"name": "ed", "city": "Oslo", "age": 36.0},
        ]
    )
    return t


# --- create and drop --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index_type", "cls"), [("hash", HashIndex), ("SORTED", SortedIndex), ("Hash", HashIndex)]
)
def test_create_index_kinds_any_case(people: Table, index_type: str, cls: type) -> None:
    people.create_index("dept", index_type)
    index = people.indexes["dept"]
    assert type(index) is cls
    assert index.kind == index_type.lower()
    assert index.fields == ("dept",)
    assert index.field == "dept"
    assert index.unique is False
    assert index.definition == index_type.lower()
    assert len(index) == 5
    assert people.has_index("dept")
    assert people.indexed_fields() == ["dept"]


def test_default_is_hash(people: Table) -> None:
    people.create_index("dept")
    assert people.indexes["dept"].kind == "hash"


@pytest.mark.parametrize("bad", ["btree", "", "column ", 3, None])
def test_unknown_index_type_is_a_value_error(people: Table, bad: Any) -> None:
    with pytest.raises(ValueError, match="unknown index type"):
        people.create_index("dept", bad)
    assert people.indexes == {}


def test_again_with_the_same_definition_does_nothing(people: Table) -> None:
    people.create_index("age", "sorted")
    index = people.indexes["age"]
    people.create_index("age", "SORTED")
    people.create_index(["age"], "sorted", unique=False)
    assert people.indexes["age"] is index
    assert index.kind == "sorted"
    assert index.unique is False


def test_drop_index(people: Table) -> None:
    people.create_index("dept")
    people.create_index(["dept", "city"], "sorted")
    people.drop_index("dept")
    assert people.indexed_fields() == [("dept", "city")]
    people.drop_index(("dept", "city"))
    assert people.indexes == {}
    assert people.select(where=people.dept == "ops") == [people.get(1), people.get(3)]


def test_drop_a_missing_index_names_the_indexes(people: Table) -> None:
    people.create_index("dept")
    with pytest.raises(ValueError, match=r"no index on 'age'; its indexes: \['dept'\]"):
        people.drop_index("age")


def test_indexes_mapping_is_read_only(people: Table) -> None:
    people.create_index("dept")
    with pytest.raises(TypeError):
        people.indexes["age"] = people.indexes["dept"]  # type: ignore[index]


def test_an_index_created_then_dropped_then_created_again(people: Table) -> None:
    people.create_index("age", "sorted")
    people.drop_index("age")
    people.insert({"name": "fi", "age": 3})
    people.create_index("age", "sorted")
    assert people.indexes["age"].range(high=20) == [6, 2]


@pytest.mark.parametrize("fields", [[], ["a", "a"]])
def test_bad_composite_field_lists(people: Table, fields: list[str]) -> None:
    with pytest.raises(ValueError, match="field"):
        people.create_index(fields)


def test_a_field_name_must_be_hashable(people: Table) -> None:
    with pytest.raises(TypeError, match="index field"):
        people.create_index([["a"]])


# --- hash -------------------------------------------------------------------------------------------------


def test_hash_search_follows_python_equality(people: Table) -> None:
    people.create_index("age")
    index = people.indexes["age"]
    assert index.search(36) == [1, 5]  # 36 == 36.0: one key
    assert index.search(Decimal(36)) == [1, 5]
    assert index.search(None) == [4]
    assert index.count(36) == 2
    assert 17 in index
    assert 99 not in index
    assert index.distinct_count() == 4
    assert index.values() == [36, 17, 52, None]
    assert index.search([1]) == []  # an unhashable value equals no key here


def test_hash_search_with_an_unhashable_value_equal_to_a_key() -> None:
    t = Table("t")
    t.insert([{"tags": frozenset({"a"})}, {"tags": b"x"}])
    t.create_index("tags")
    index = t.indexes["tags"]
    assert index.search({"a"}) == [1]  # a set equals the frozenset of its items
    assert index.search(bytearray(b"x")) == [2]


def test_a_shared_hash_key_and_back() -> None:
    t = Table("t")
    t.insert([{"k": "a"}, {"k": "b"}])
    t.create_index("k")
    t.insert({"k": "a"})  # "a" goes from one holder to two
    t.update({"k": "a"}, where=t.id == 2)
    assert t.indexes["k"].search("a") == [1, 2, 3]
    t.delete(where=t.id.is_in([1, 3]))  # and back to one
    t.update({"k": "c"}, where=t.id == 2)
    assert (t.indexes["k"].search("a"), t.indexes["k"].search("c"), len(t.indexes["k"])) == ([], [2], 1)


def test_hash_index_keeps_insertion_order_after_updates() -> None:
    t = Table("t")
    t.insert([{"k": "a"}, {"k": "b"}, {"k": "a"}])
    t.create_index("k")
    t.update({"k": "a"}, where=t.id == 2)  # record 2 joins the bucket last, but sits between 1 and 3
    assert t.indexes["k"].search("a") == [1, 2, 3]
    assert [r["id"] for r in t.select(where=t.k == "a")] == [1, 2, 3]


def test_unhashable_value_refused_by_a_hash_index_changes_nothing(people: Table) -> None:
    people.create_index("city")
    before = people.copy()
    with pytest.raises(
        TypeError, match=r"hash index on 'city' needs hashable values.*has an unhashable list"
    ):
        people.insert({"city": ["Oslo"]})
    with pytest.raises(TypeError, match="hashable"):
        people.insert([{"city": "Paris"}, {"city": {"x": 1}}])
    with pytest.raises(TypeError, match="hashable"):
        people.update({"city": ["Rome"]}, where=people.name == "ada")
    with pytest.raises(TypeError, match="hashable"):
        people.upsert({"id": 2, "city": {"x"}})
    assert people.copy() == before
    assert people.indexes["city"].search("Oslo") == [1, 4, 5]
    assert people._next_pk == 6


def test_create_a_hash_index_over_an_unhashable_value_creates_nothing(people: Table) -> None:
    people.insert({"city": ["x"]})
    with pytest.raises(TypeError, match="primary key 6"):
        people.create_index("city")
    assert people.indexes == {}
    people.create_index("city", "sorted")  # a sorted index takes any value
    assert people.indexes["city"].search(["x"]) == [6]


# --- sorted -----------------------------------------------------------------------------------------------


def test_sorted_read_api(people: Table) -> None:
    people.create_index("age", "sorted")
    index = people.indexes["age"]
    assert index.search(36) == [1, 5]
    assert index.range(17, 36) == [2, 1, 5]
    assert index.range(17, 36, include_low=False, include_high=False) == []
    assert index.range(low=36, reverse=True) == [3, 1, 5]
    assert index.range(limit=2) == [2, 1]
    assert index.count_range(low=30) == 3
    assert index.first(2) == [4, 2]  # None first
    assert index.last(2) == [3, 1]
    assert index.nulls() == [4]
    assert (index.min_value(), index.max_value()) == (17, 52)
    assert index.memory_bytes() > 0


def test_sorted_prefix() -> None:
    t = Table("t")
    t.insert([{"w": "apple"}, {"w": "ape"}, {"w": "bee"}, {"w": 3}, {"w": "ap"}])
    t.create_index("w", "sorted")
    assert t.indexes["w"].prefix("ap") == [5, 2, 1]
    assert t.indexes["w"].prefix("") == [5, 2, 1, 3]


# --- composite --------------------------------------------------------------------------------------------


def test_composite_keys_are_tuples(people: Table) -> None:
    people.create_index(["dept", "city"])
    index = people.indexes[("dept", "city")]
    assert index.fields == ("dept", "city")
    assert index.field == ("dept", "city")
    assert index.composite
    assert index.search(("ops", "Rome")) == [3]
    assert index.search((None, "Oslo")) == [5]  # a missing field is None
    assert people.has_index(["dept", "city"])
    assert people.has_index(("dept", "city"))
    assert not people.has_index("dept")
    assert index.key_of({"city": "x"}) == (None, "x")


def test_sorted_composite_ranges_over_tuples(people: Table) -> None:
    people.create_index(["dept", "age"], "sorted")
    index = people.indexes[("dept", "age")]
    assert index.range(("ops", 0), ("ops", 100)) == [1, 3]
    assert index.range(("dev",), ("dev", 20)) == [4, 2]  # (dev, None) first: None before numbers
    assert index.first(1) == [5]  # (None, 36.0)


def test_a_list_of_one_field_is_that_field(people: Table) -> None:
    people.create_index(["age"], "sorted")
    assert people.indexed_fields() == ["age"]
    assert people.has_index(["age"])


# --- unique -----------------------------------------------------------------------------------------------


def test_unique_refuses_a_duplicate_and_names_field_and_value(people: Table) -> None:
    people.create_index("name", unique=True)
    people.clear_dirty_tracking()
    before = people.copy()
    with pytest.raises(DuplicateKeyError, match=r"unique hash index on 'name' already holds value 'ada'"):
        people.insert({"name": "ada"})
    assert people.copy() == before
    assert people._next_pk == 6
    assert not people.has_changes()


def test_unique_follows_python_equality() -> None:
    t = Table("t")
    t.create_index("n", "sorted", unique=True)
    t.insert({"n": 1})
    for duplicate in (1.0, True, Decimal("1.00")):
        with pytest.raises(DuplicateKeyError):
            t.insert({"n": duplicate})
    t.insert({"n": 2})
    assert len(t) == 2


@pytest.mark.parametrize("index_type", ["hash", "sorted"])
def test_nulls_are_exempt_from_uniqueness(index_type: str) -> None:
    t = Table("t")
    t.create_index("email", index_type, unique=True)
    t.insert([{"email": None}, {}, {"email": None}, {"email": math.nan}, {"email": Decimal("NaN")}])
    t.insert({"email": math.nan})
    assert len(t) == 6
    t.create_index(["login", "x"], index_type, unique=True)
    t.insert([{"login": "a", "x": None}, {"login": "a", "x": None}])  # a null in the tuple: exempt
    with pytest.raises(DuplicateKeyError):
        t.insert([{"login": "b", "x": 1}, {"login": "b", "x": 1}])


def test_unique_create_index_over_duplicates_creates_nothing(people: Table) -> None:
    with pytest.raises(DuplicateKeyError, match="value 36"):
        people.create_index("age", "sorted", unique=True)
    assert people.indexes == {}


def test_unique_in_one_batch_and_one_update(people: Table) -> None:
    people.create_index("name", "sorted", unique=True)
    with pytest.raises(DuplicateKeyError, match="'zed'"):
        people.insert([{"name": "zed"}, {"name": "yan"}, {"name": "zed"}])
    with pytest.raises(DuplicateKeyError, match="'same'"):
        people.update({"name": "same"}, where=people.dept == "ops")
    people.update({"name": "ada"}, where=people.name == "ada")  # keeps its own value
    assert len(people) == 5


def test_unique_sorted_index_with_unhashable_values() -> None:
    t = Table("t")
    t.create_index("tags", "sorted", unique=True)
    t.insert([{"tags": [1, 2]}, {"tags": [2]}])
    with pytest.raises(DuplicateKeyError, match=r"\[1, 2\]"):
        t.insert({"tags": [1, 2]})
    with pytest.raises(DuplicateKeyError):
        t.insert([{"tags": [3]}, {"tags": [3]}])
    assert len(t) == 2


def test_unique_composite(people: Table) -> None:
    people.create_index(["dept", "city"], unique=True)
    assert people.indexes[("dept", "city")].definition == "unique hash"
    with pytest.raises(DuplicateKeyError, match=r"values \('ops', 'Oslo'\)"):
        people.insert({"dept": "ops", "city": "Oslo"})
    people.insert({"dept": "ops", "city": "Lima"})


def test_a_hash_index_costs_under_64_bytes_per_entry() -> None:
    # A key one record has is held without a container: a unique index costs one dict slot per record.
    t = Table("t")
    t.insert([{"email": f"u{i}@x.org", "dept": f"d{i % 10}"} for i in range(20_000)])
    t.create_index("email", unique=True)
    t.create_index("dept")
    for name in ("email", "dept"):
        index = t.indexes[name]
        assert len(index) == 20_000
        assert index.memory_bytes() / len(index) <= 64, name
    t.delete(where=t.dept != "d1")  # shared keys that drop to one holder go back to a bare pk
    assert t.indexes["dept"].search("d1") == list(range(2, 20_001, 10))


def test_repr(people: Table) -> None:
    people.create_index("name", unique=True)
    assert repr(people.indexes["name"]) == "<unique HashIndex on 'name' of table 'people': 5 entries>"


# --- persistence ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["json", "pickle"])
def test_every_kind_of_index_round_trips(tmp_path: Path, people: Table, file_format: str) -> None:
    db = DictDB()
    db.tables["people"] = people
    people.create_index("age", "sorted")
    people.create_index("name", unique=True)
    people.create_index(["dept", "city"], "sorted")
    people.create_index(["name", "city"], unique=True)
    path = tmp_path / f"db.{file_format}"
    db.save(path, file_format)
    loaded = DictDB.load(path, file_format).get_table("people")
    assert {name: (type(i), i.definition) for name, i in loaded.indexes.items()} == {
        "age": (SortedIndex, "sorted"),
        "name": (HashIndex, "unique hash"),
        ("dept", "city"): (SortedIndex, "sorted"),
        ("name", "city"): (HashIndex, "unique hash"),
    }
    assert loaded.indexes["age"].range(17, 36) == [2, 1, 5]
    with pytest.raises(DuplicateKeyError):
        loaded.insert({"name": "bob"})


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_table_has_indexes_of_its_own(people: Table, how: str) -> None:
    import copy
    import pickle

    people.create_index("age", "sorted")
    people.create_index("dept")
    people.create_index(["dept", "city"], unique=True)
    clone = copy.deepcopy(people) if how == "deepcopy" else pickle.loads(pickle.dumps(people))
    clone.insert({"dept": "ops", "city": "Lima", "age": 36})
    clone.update({"age": 1}, where=clone.id == 1)
    assert people.indexes["age"].search(36) == [1, 5]
    assert clone.indexes["age"].search(36) == [5, 6]
    assert people.indexes["dept"].search("ops") == [1, 3]
    assert clone.indexes["dept"].search("ops") == [1, 3, 6]
    assert clone.indexes["age"].first(6) == [4, 1, 2, 5, 6, 3]  # None first; 1 moved to age 1
    with pytest.raises(DuplicateKeyError):
        clone.insert({"dept": "ops", "city": "Lima"})
    people.insert({"dept": "ops", "city": "Lima"})  # the original does not have it


@pytest.mark.parametrize("value", ["a", "A", 1, 0, 2**70, "x"])
def test_an_equality_answered_by_a_hash_bucket_keeps_what_the_predicate_keeps(value: Any) -> None:
    # str and int equalities are answered by the bucket without testing each candidate: the same records
    # as a scan, in the same order, copies or not.
    values = ["a", "A", 1, 1.0, True, 0, False, 0.0, None, float("nan"), 2**70, float(2**70), "b", b"a", (1,)]
    plain, indexed = Table("p"), Table("i")
    for table in (plain, indexed):
        table.insert([{"v": v, "n": i} for i, v in enumerate(values * 2)])
    indexed.create_index("v")
    for limit in (None, 0, 1, 3):
        expected = plain.select(where=plain.v == value, limit=limit)
        assert indexed.select(where=indexed.v == value, limit=limit) == expected
        assert [r["n"] for r in indexed.select(where=indexed.v == value, limit=limit, copy=False)] == [
            r["n"] for r in expected
        ]
    assert indexed.count(where=indexed.v == value) == plain.count(where=plain.v == value)
