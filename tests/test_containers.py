"""Containers and conveniences: a database and a table behave as the mappings they hold, ``insert`` takes any
iterable of dicts, and ``save``/``load`` infer the format from the file's suffix."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB, DuplicateKeyError, RecordNotFoundError, Table, TableNotFoundError


@pytest.fixture
def db() -> DictDB:
    db = DictDB()
    db.create_table("users").insert([{"name": "ada"}, {"name": "bob"}])
    db.create_table("staff")
    return db


def test_a_database_is_a_mapping_of_its_tables(db: DictDB) -> None:
    assert len(db) == 2
    assert list(db) == ["users", "staff"]
    assert db["users"] is db.get_table("users")
    assert "users" in db
    assert "nobody" not in db
    assert [] not in db  # an unhashable value names no table
    with pytest.raises(TableNotFoundError, match="no table 'nobody'") as caught:
        db["nobody"]
    assert isinstance(caught.value, KeyError)
    assert str(caught.value).startswith("no table 'nobody'")  # not quoted, as a KeyError's would be


def test_iterating_a_database_sees_the_tables_it_began_with(db: DictDB) -> None:
    names = iter(db)
    db.create_table("later")
    assert list(names) == ["users", "staff"]


def test_a_table_is_a_mapping_of_its_records(db: DictDB) -> None:
    users = db["users"]
    assert users[1] == {"name": "ada", "id": 1}
    assert 1 in users
    assert 3 not in users
    assert [1] not in users
    assert [record["name"] for record in users] == ["ada", "bob"]
    users[1]["name"] = "changed"  # a copy
    assert users[1]["name"] == "ada"
    with pytest.raises(RecordNotFoundError, match="no record with primary key 3") as caught:
        users[3]
    assert isinstance(caught.value, KeyError)


def test_iterating_a_table_sees_the_records_it_began_with(db: DictDB) -> None:
    users = db["users"]
    records = iter(users)
    users.insert({"name": "cy"})
    users.delete(where=users.name == "ada")
    assert [record["name"] for record in records] == ["ada", "bob"]


def test_insert_takes_any_iterable_of_dicts() -> None:
    t = Table("t")
    assert t.insert({"x": x} for x in range(3)) == [1, 2, 3]
    assert t.insert(iter([{"x": 9}])) == [4]
    assert t.insert(record for record in []) == []
    assert [r["x"] for r in t] == [0, 1, 2, 9]


def test_a_generator_batch_is_all_or_nothing() -> None:
    t = Table("t")
    t.insert({"id": 5})

    def batch() -> Iterator[dict[str, Any]]:
        yield {"x": 1}
        yield {"id": 5}

    with pytest.raises(DuplicateKeyError):
        t.insert(batch())
    assert t.select() == [{"id": 5}]

    def failing() -> Iterator[dict[str, Any]]:
        yield {"x": 1}
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        t.insert(failing())
    assert t.select() == [{"id": 5}]


@pytest.mark.parametrize("bad", ["abc", b"abc", 3, {"a": 1}.keys()])
def test_insert_names_what_is_not_records(bad: Any) -> None:
    t = Table("t")
    with pytest.raises(TypeError):
        t.insert(bad)
    assert len(t) == 0


@pytest.mark.parametrize("name", ["db.json", "db.JSON", "db.pkl", "db.pickle"])
def test_save_and_load_infer_the_format_from_the_suffix(db: DictDB, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    db.save(path)
    again = DictDB.load(path)
    assert again["users"].select() == db["users"].select()
    assert list(again) == ["users", "staff"]
    # The suffix names the format the file was written in.
    expected = "json" if name.lower().endswith(".json") else "pickle"
    assert DictDB.load(path, expected)["users"][2] == {"name": "bob", "id": 2}


def test_an_unknown_suffix_needs_a_format(db: DictDB, tmp_path: Path) -> None:
    path = tmp_path / "db.bin"
    with pytest.raises(ValueError, match=r"suffix '\.bin'"):
        db.save(path)
    assert not path.exists()
    with pytest.raises(ValueError, match="file_format="):
        DictDB.load(tmp_path / "db")
    db.save(path, "json")
    assert DictDB.load(path, "json")["users"][1]["name"] == "ada"


def test_async_save_and_load_infer_the_format(db: DictDB, tmp_path: Path) -> None:
    async def roundtrip() -> DictDB:
        await db.async_save(tmp_path / "db.pickle")
        return await DictDB.async_load(tmp_path / "db.pickle")

    assert asyncio.run(roundtrip())["users"][1] == {"name": "ada", "id": 1}
