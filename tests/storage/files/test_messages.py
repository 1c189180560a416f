"""Error messages that say what happened: a file cut inside a string is truncated, a duplicate key is named
for what the caller did (an update, an import), and a deep value's path is written short."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dictdb import DatabaseFileError, DictDB, DuplicateKeyError, UnsupportedValueError


def test_a_json_file_cut_inside_a_string_is_truncated(tmp_path: Path) -> None:
    db = DictDB()
    db.create_table("notes").insert({"text": "x" * 200})
    path = tmp_path / "db.json"
    db.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"xxxx") + 50])
    with pytest.raises(DatabaseFileError, match=r"ends inside a string .* the file is truncated"):
        DictDB.load(path)


def test_an_update_to_a_taken_key_does_not_suggest_upsert() -> None:
    t = DictDB().create_table("t")
    t.insert([{"id": 1}, {"id": 2}])
    with pytest.raises(DuplicateKeyError) as caught:
        t.update({"id": 2}, where=t.id == 1)
    message = str(caught.value)
    assert "already has a record with primary key 2" in message
    assert "a value no record has" in message
    assert "upsert" not in message


def test_an_import_with_a_key_twice_names_the_file_not_upsert(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,name\n1,ada\n2,bob\n1,cy\n", encoding="utf-8")
    db = DictDB()
    with pytest.raises(DuplicateKeyError) as caught:
        db.import_csv(path, "people")
    message = str(caught.value)
    assert "line 4" in message
    assert "primary key 1 is in the file more than once" in message
    assert "upsert" not in message
    assert "people" not in db


def test_a_value_nested_too_deep_names_its_path_briefly(tmp_path: Path) -> None:
    value: dict[str, Any] = {}
    inner = value
    for _ in range(150):
        inner["c"] = {}
        inner = inner["c"]
    db = DictDB()
    db.create_table("t").insert({"x": value})
    with pytest.raises(UnsupportedValueError) as caught:
        db.save(tmp_path / "db.json")
    message = str(caught.value)
    assert "field 'x'(['c'] x 99)" in message
    assert len(message) < 300
