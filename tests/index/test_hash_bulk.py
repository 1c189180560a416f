"""Hash indexes built and edited a batch at a time (``create_index``, a load, a delete or update of many
records) answer exactly as the same index built one record at a time: the same keys, the same primary keys in
insertion order, ties included, and the same errors for a key that breaks the index's rules."""

from __future__ import annotations

import math
import random
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from dictdb import DatabaseFileError, DictDB, Table
from dictdb.index import HashIndex
from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot, restore

NAN = math.nan
#: Values equal but not identical (1, 1.0, True), nulls, a NaN object, strings and tuples.
VALUES: list[Any] = [1, 1.0, True, 0, False, 2, None, NAN, "a", "b", (1, "a"), (1.0, "a")]


def records(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, count + 1):
        row: dict[str, Any] = {"id": i, "n": rng.choice(VALUES), "dept": rng.choice(["ops", "dev", "qa"])}
        if rng.random() < 0.2:
            del row["n"]  # a missing field is indexed under None
        rows.append(row)
    return rows


def answers(index: Any, table: Table) -> dict[str, Any]:
    """Everything the index says: its keys in order, each key's primary keys, its sizes."""
    return {
        "values": [repr(value) for value in index.values()],
        "search": {repr(value): index.search(value) for value in [*VALUES, "ops", "dev", "qa"]},
        "len": len(index),
        "distinct": index.distinct_count(),
    }


def expected_search(table: Table, field: str, value: Any) -> list[Any]:
    """The primary keys whose ``field`` equals ``value``, in insertion order (a scan, the long way)."""
    out = []
    for pk, record in table.records.items():
        key = record.get(field)
        if key is value or key == value:
            out.append(pk)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_create_index_answers_as_one_insert_at_a_time(seed: int) -> None:
    rows = records(300, seed)
    bulk = Table("t")
    bulk.insert([dict(row) for row in rows])
    bulk.create_index("n")
    single = Table("t")
    single.create_index("n")
    for row in rows:
        single.insert(dict(row))
    assert answers(bulk.indexes["n"], bulk) == answers(single.indexes["n"], single)
    for value in VALUES:
        assert bulk.indexes["n"].search(value) == expected_search(bulk, "n", value)


def test_create_index_composite_and_unique_nulls() -> None:
    t = Table("t")
    t.insert([{"a": 1, "b": None}, {"a": 1.0, "b": None}, {"a": None}, {"a": NAN}, {"a": NAN}, {"a": 2}])
    t.create_index(["a", "b"], unique=True)  # every shared key holds a null: allowed
    t.create_index("a", unique=False)
    assert t.indexes[("a", "b")].search((1, None)) == [1, 2]
    assert t.indexes["a"].search(True) == [1, 2]
    assert t.indexes["a"].search(None) == [3]
    assert t.indexes["a"].search(NAN) == [4, 5]  # the one NaN object: one key


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            ["x", "y", "y", "x"],
            "already holds value 'y' (the record with primary key 2), so the record with "
            "primary key 3 cannot have it",
        ),
        (
            [1, None, 1.0, None],
            "already holds value 1.0 (the record with primary key 1), so the record with "
            "primary key 3 cannot have it",
        ),
    ],
)
def test_unique_create_index_names_the_first_duplicate(values: list[Any], message: str) -> None:
    t = Table("t")
    t.insert([{"email": value} for value in values])
    with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)")):
        t.create_index("email", unique=True)
    assert not t.has_index("email")


def test_unhashable_value_refused_by_create_index() -> None:
    t = Table("t")
    t.insert([{"tags": "x"}, {"tags": ["y"]}])
    with pytest.raises(TypeError, match="the record with primary key 2 has an unhashable list"):
        t.create_index("tags")
    assert not t.has_index("tags")


@pytest.mark.parametrize("file_format", ["pickle", "json"])
def test_load_rebuilds_the_indexes_as_they_were(tmp_path: Path, file_format: str) -> None:
    rows = [row for row in records(400, 7) if not isinstance(row.get("n"), (tuple, float))]
    db = DictDB()
    t = db.create_table("t")
    t.insert(rows)
    t.delete(where=t.id.is_in(list(range(5, 400, 7))))  # sequence numbers with gaps
    t.create_index("n")
    t.create_index("dept")
    t.create_index(["dept", "n"])
    t.create_index("id", unique=True)
    path = tmp_path / f"db.{file_format}"
    db.save(path, file_format)
    loaded = DictDB.load(path, file_format).get_table("t")
    assert list(loaded.indexes) == ["n", "dept", ("dept", "n"), "id"]
    for name in ("n", "dept"):
        assert answers(loaded.indexes[name], loaded) == answers(t.indexes[name], t)
    pairs = {(record.get("dept"), record.get("n")) for record in t.records.values()}
    for pair in pairs:
        assert loaded.indexes[("dept", "n")].search(pair) == t.indexes[("dept", "n")].search(pair)


def snapshot_of(rows: list[dict[str, Any]], indexes: dict[Any, str]) -> DatabaseSnapshot:
    return DatabaseSnapshot([TableSnapshot("t", "id", None, indexes, None, rows)])


def test_load_refuses_a_duplicate_under_a_unique_index_with_the_same_error() -> None:
    rows = [
        {"id": 1, "email": "a"},
        {"id": 2, "email": "b"},
        {"id": 3, "email": "b"},
        {"id": 4, "email": "a"},
    ]
    with pytest.raises(DatabaseFileError) as caught:
        restore(snapshot_of(rows, {"email": "unique hash"}), DictDB, "db.json")
    assert str(caught.value).endswith(
        "table 't': cannot rebuild the 'unique hash' index on 'email': table 't': the unique hash index on "
        "'email' already holds value 'b' (the record with primary key 2), so the record with primary key 3 "
        "cannot have it; nothing was changed"
    )


def test_load_refuses_an_unhashable_value_under_a_hash_index() -> None:
    rows = [{"id": 1, "tags": "x"}, {"id": 2, "tags": ["y"]}]
    with pytest.raises(DatabaseFileError, match="record with primary key 2 has an unhashable list"):
        restore(snapshot_of(rows, {"tags": "hash"}), DictDB, "db.json")


def test_load_without_a_schema_still_refuses_a_record_that_is_not_a_dict() -> None:
    rows: list[Any] = [{"id": 1}, MappingProxyType({"id": 2})]
    with pytest.raises(TypeError, match="a record must be a dict, not mappingproxy"):
        restore(snapshot_of(rows, {}), DictDB, "db.pickle")


def test_load_with_a_schema_checks_each_record() -> None:
    snap = DatabaseSnapshot(
        [TableSnapshot("t", "id", {"id": int, "age": int}, {}, None, [{"id": 1, "age": "x"}])]
    )
    with pytest.raises(DatabaseFileError, match="record with primary key 1"):
        restore(snap, DictDB, "db.json")


@pytest.mark.parametrize("seed", range(4))
def test_delete_and_update_many_answer_as_a_fresh_index(seed: int) -> None:
    rng = random.Random(seed)
    t = Table("t")
    t.insert(records(300, seed))
    t.create_index("n")
    t.create_index("dept")
    for _ in range(4):
        doomed = rng.sample(sorted(t.records), 30)
        t.delete(where=t.id.is_in(doomed))
        moved = rng.sample(sorted(t.records), 60)
        t.update({"n": rng.choice(VALUES), "dept": rng.choice(["ops", "dev"])}, where=t.id.is_in(moved))
        t.update({"n": 1.0}, where=t.n == 1)  # equal keys: every record stays where it is
        fresh = Table("t")
        fresh.insert([dict(record) for record in t.records.values()])
        fresh.create_index("n")
        fresh.create_index("dept")
        for name in ("n", "dept"):
            index, rebuilt = t.indexes[name], fresh.indexes[name]
            assert isinstance(index, HashIndex)
            for value in [*VALUES, "ops", "dev", "qa"]:
                assert index.search(value) == expected_search(t, name, value)
                assert rebuilt.search(value) == expected_search(fresh, name, value)
            assert len(index) == len(rebuilt) == len(t.records)
            assert index.distinct_count() == rebuilt.distinct_count()
            for value in rebuilt.values():  # the same keys (each may keep another of its equal forms)
                assert index.search(value) == rebuilt.search(value)
            for holders in index._buckets.values():
                assert type(holders) is not dict or len(holders) >= 2


def test_create_index_after_a_primary_key_change_keeps_insertion_order() -> None:
    t = Table("t")
    t.insert([{"id": i, "dept": "ops"} for i in range(1, 6)])
    t.create_index("city")  # the catalog (and its sequence numbers) exists from here
    t.update({"id": 10}, where=t.id == 2)  # moves last in insertion order
    t.create_index("dept")
    assert t.indexes["dept"].search("ops") == [1, 3, 4, 5, 10] == list(t.records)
