"""Saving and loading JSON files through DictDB: exact round trips, the documented layout, dctdb files,
faults during a save, and one documented error for every bad file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB
from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError, DictDBError, UnsupportedValueError
from dictdb.index import SortedIndex
from dictdb.storage.files import atomic
from tests.support.persistence_helpers import IndexedDB, NoIndexDB, assert_same_db, indexed_db, sample_db

DATA = Path(__file__).parent / "data"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "db.json"


def write_doc(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def v1(tables: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {"_meta": {"format": "dictdb", "version": 1, **meta}, "tables": tables}


def table_doc(records: list[Any], **overrides: Any) -> dict[str, Any]:
    return {"primary_key": "id", "schema": None, "indexes": {}, "next_pk": 1, "records": records, **overrides}


# --- round trips ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["json", "JSON", "Json"])
def test_every_value_type_schema_and_counter_round_trip(path: Path, file_format: str) -> None:
    db = sample_db()
    db.save(path, file_format)
    loaded = DictDB.load(str(path), file_format)
    assert type(loaded) is DictDB
    assert_same_db(db, loaded)


def test_loaded_tables_work_and_keep_counting(path: Path) -> None:
    sample_db().save(path, "json")
    everything = DictDB.load(path, "json").get_table("everything")
    assert everything.insert({"new": True}) == 11  # the counter was past the explicit key 10
    assert everything.select(["plain"], where=everything.plain == "record") == [{"plain": "record"}]


def test_an_empty_database_round_trips(path: Path) -> None:
    DictDB().save(path, "json")
    assert DictDB.load(path, "json").tables == {}


@pytest.mark.parametrize("names", [["$weird"], ["$weird", "plain"], ["$"]])
def test_table_names_shaped_like_tags_round_trip(path: Path, names: list[str]) -> None:
    db = DictDB()
    for name in names:
        db.create_table(name, primary_key="$id").insert({"v": {"$date": 1}})
    db.save(path, "json")
    assert_same_db(db, DictDB.load(path, "json"))


def test_index_definitions_are_kept_and_rebuilt(path: Path) -> None:
    db = indexed_db()
    db.save(path, "json")
    # A composite index's key is a tuple: the definitions are written in the pair form of non-string keys.
    assert json.loads(path.read_text())["tables"]["users"]["indexes"] == {
        "$dict": [["age", "sorted"], ["name", "hash"], [{"$tuple": ["name", "age"]}, "unique sorted"]]
    }
    loaded = IndexedDB.load(path, "json")
    assert type(loaded) is IndexedDB
    assert isinstance(loaded.get_table("users").indexes["age"], SortedIndex)
    assert_same_db(db, loaded)


def test_simple_index_definitions_stay_a_plain_object(path: Path) -> None:
    db = DictDB()
    users = db.create_table("users")
    users.create_index("age", "sorted")
    users.create_index("email", unique=True)
    db.save(path, "json")
    assert json.loads(path.read_text())["tables"]["users"]["indexes"] == {
        "age": "sorted",
        "email": "unique hash",
    }
    assert_same_db(db, DictDB.load(path, "json"))


def test_a_table_without_create_index_loads_its_records(path: Path) -> None:
    indexed_db().save(path, "json")
    users = NoIndexDB.load(path, "json").get_table("users")
    assert users.indexes == {}
    assert users.count() == 2


def test_a_loaded_v0_file_saves_as_v1(path: Path) -> None:
    db = DictDB.load(DATA / "dctdb_1.11.json", "json")
    db.save(path, "json")
    assert json.loads(path.read_text())["_meta"]["version"] == 1
    assert_same_db(db, DictDB.load(path, "json"))


# --- the file ---------------------------------------------------------------------------------------------


def test_the_file_has_the_documented_layout(path: Path) -> None:
    db = DictDB()
    users = db.create_table("users")
    users.insert({"name": "ada", "age": 36})
    users.insert({"name": "bob", "age": 17})
    db.save(path, "json")
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert set(doc) == {"_meta", "tables"}
    meta = doc["_meta"]
    assert (meta["format"], meta["version"]) == ("dictdb", 1)
    assert isinstance(meta["library_version"], str)
    assert meta["saved_at"].endswith("+00:00")
    assert doc["tables"] == {
        "users": {
            "primary_key": "id",
            "schema": None,
            "indexes": {},
            "next_pk": 3,
            "records": [{"name": "ada", "age": 36, "id": 1}, {"name": "bob", "age": 17, "id": 2}],
        }
    }
    # One record per line, so a file can be read (and diffed) by eye.
    assert '\n{"name": "ada", "age": 36, "id": 1},\n{"name": "bob", "age": 17, "id": 2}\n' in text
    assert text.endswith("}\n")


def test_schema_types_are_written_by_name(path: Path) -> None:
    sample_db().save(path, "json")
    schema = json.loads(path.read_text())["tables"]["typed"]["schema"]
    assert schema["when"] == "datetime"
    assert schema["price"] == "Decimal"
    assert schema["maybe"] == "Optional[int]"
    assert schema["maybe_too"] == "str | None"


def test_the_records_are_streamed_in_chunks(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = DictDB()
    table = db.create_table("big")
    for i in range(5000):
        table.insert({"n": i, "text": "x" * 20})
    chunks: list[int] = []
    real_fdopen = os.fdopen

    class Recording:
        def __init__(self, real: Any) -> None:
            self.real = real

        def write(self, data: str) -> int:
            chunks.append(len(data))
            written: int = self.real.write(data)
            return written

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            self.real.close()

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Recording(real_fdopen(*a, **k)))
    db.save(path, "json")
    assert sum(chunks) == len(path.read_text())
    assert len(chunks) > 5
    assert max(chunks) < sum(chunks) / 4


# --- nothing is written when a value cannot be saved ------------------------------------------------------


def test_an_unsupported_value_raises_before_any_byte_is_written(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample_db().save(path, "json")
    before = path.read_bytes()
    db = sample_db()
    db.create_table("last").insert({"id": 5, "ok": 1, "bad": {"deep": [object()]}})

    def no_temp_file(*args: Any) -> Any:
        raise AssertionError("a temp file was created before the value was checked")

    monkeypatch.setattr(atomic, "_create_temp", no_temp_file)
    with pytest.raises(UnsupportedValueError) as caught:
        db.save(path, "json")
    assert (caught.value.table, caught.value.pk, caught.value.field) == ("last", 5, "bad")
    assert "table 'last', record with primary key 5, field 'bad'['deep'][0]" in str(caught.value)
    assert path.read_bytes() == before


class Point:
    """A user class: a table can check it by isinstance, but a file cannot name it."""


def test_a_schema_type_without_a_name_is_refused(path: Path) -> None:
    db = DictDB()
    db.create_table("t", schema={"id": int, "where": Point})
    with pytest.raises(UnsupportedValueError, match=r"schema of table 't', field 'where'.*Point"):
        db.save(path, "json")
    assert not path.exists()


# --- faults during a save ----------------------------------------------------------------------------------


# --- files written by dctdb --------------------------------------------------------------------------------


def test_a_dctdb_file_loads_as_version_0() -> None:
    db = DictDB.load(DATA / "dctdb_1.11.json", "json")
    assert list(db.tables) == ["users", "notes"]
    users = db.get_table("users")
    assert users.primary_key == "id"
    assert users.schema == {
        "id": int,
        "name": str,
        "age": int,
        "tags": list,
        "meta": dict,
        "score": float,
        "active": bool,
    }
    assert users._next_pk == 8
    # A user dict that looks like a tag stays a dict: dctdb wrote no tags.
    assert users.records[1]["meta"] == {"$set": [1, 2]}
    assert users.records[7]["score"] == 0.0
    notes = db.get_table("notes")
    assert notes.primary_key == "key"
    assert notes.schema is None
    assert notes.records["k1"] == {"key": "k1", "text": "héllo", "nested": {"a": [1, {"b": None}]}}


def test_a_version_0_file_with_minimal_tables_loads(path: Path) -> None:
    write_doc(path, {"tables": {"t": {"primary_key": "id", "records": [{"id": 3, "x": {"$tuple": [1]}}]}}})
    table = DictDB.load(path, "json").get_table("t")
    assert table.records == {3: {"id": 3, "x": {"$tuple": [1]}}}
    assert table._next_pk == 4


# --- every bad file raises the documented error, naming the file -----------------------------------------


def test_a_missing_file(path: Path) -> None:
    with pytest.raises(DatabaseFileNotFoundError, match="no such file") as caught:
        DictDB.load(path, "json")
    assert isinstance(caught.value, FileNotFoundError)
    assert caught.value.path == str(path)


BAD_FILES: list[tuple[str, Any, str]] = [
    ("empty", "", "the file is empty"),
    ("truncated", '{"_meta": {"format": "dictdb", "version": 1}, "tables": {', "truncated"),
    ("not json", "hello", "not valid JSON: Expecting value at line 1, column 1"),
    ("a list", [], "not a DictDB file: it holds a list"),
    ("another json", {"name": "x"}, "neither '_meta' nor 'tables'"),
    ("wrong format", {"_meta": {"format": "tinydb", "version": 1}, "tables": {}}, "format 'tinydb'"),
    ("newer version", v1({}, version=2, library_version="9.0"), "newer DictDB.*upgrade cydictdb"),
    ("version as text", v1({}, version="1"), "invalid format version '1'"),
    ("meta not object", {"_meta": 1, "tables": {}}, "'_meta' must be an object"),
    ("tables not object", v1([]), "'tables' must be an object"),  # type: ignore[arg-type]
    ("table not object", v1({"t": []}), "table 't' must be an object"),
    ("table lacks keys", v1({"t": {"primary_key": "id", "records": []}}), "'schema', 'indexes', 'next_pk'"),
    ("records not list", v1({"t": table_doc({})}), "'records' must be an array"),
    ("record not object", v1({"t": table_doc([{"id": 1}, 5])}), "record #2 must be an object, not an int"),
    ("bad next_pk", v1({"t": table_doc([], next_pk=0)}), "'next_pk' must be a positive integer"),
    ("bad primary key", v1({"t": table_doc([], primary_key=5)}), "'primary_key' must be a string"),
    ("unknown schema type", v1({"t": table_doc([], schema={"x": "os.system"})}), "unknown schema type"),
    ("bad indexes", v1({"t": table_doc([], indexes={"x": 1})}), "'indexes' must map fields"),
    ("duplicate pk", v1({"t": table_doc([{"id": 1}, {"id": 1}])}), "record #2: its primary key 1 is taken"),
    ("missing pk", v1({"t": table_doc([{"id": 1}, {"x": 1}])}), "record #2 has no primary key field 'id'"),
    ("null pk", v1({"t": table_doc([{"id": None}])}), "record #1: its primary key is null"),
    (
        "unhashable pk",
        v1({"t": table_doc([{"id": [1]}])}),
        r"record #1: its primary key \[1\] is not hashable",
    ),
    (
        "unknown tag",
        v1({"t": table_doc([{"id": 1}, {"id": 2, "x": {"$nope": 1}}])}),
        "record #2: unknown tag",
    ),
    (
        "bad tag",
        v1({"t": table_doc([{"id": 1, "x": {"$date": "2024-99-99"}}])}),
        "record #1: malformed \\$date",
    ),
    ("bad tag in meta", v1({}, extra={"$date": 5}), "outside the tables"),
    (
        "bad index kind",
        v1({"users": table_doc([], indexes={"a": "btree"})}),
        "cannot rebuild the 'btree' index",
    ),
]


@pytest.mark.parametrize(("content", "message"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_raises_the_documented_error(path: Path, content: Any, message: str) -> None:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        write_doc(path, content)
    with pytest.raises(DatabaseFileError, match=message) as caught:
        IndexedDB.load(path, "json")
    err = caught.value
    assert err.path == str(path)
    assert str(err).startswith(f"cannot load {str(path)!r}: ")
    assert isinstance(err, DictDBError)
    assert isinstance(err, ValueError)


def test_bytes_that_are_not_text(path: Path) -> None:
    path.write_bytes(b'{"tables": "\xff\xfe"}')
    with pytest.raises(
        DatabaseFileError, match=r"not a JSON file: it is not UTF-8 text \(invalid start byte\)"
    ):
        DictDB.load(path, "json")


def test_a_pickle_file_is_not_json(path: Path, tmp_path: Path) -> None:
    sample_db().save(tmp_path / "db.pickle", "pickle")
    with pytest.raises(DatabaseFileError):
        DictDB.load(tmp_path / "db.pickle", "json")


def test_a_record_that_fails_its_schema(path: Path) -> None:
    write_doc(
        path, v1({"users": table_doc([{"id": 1, "age": 3}, {"id": 2, "age": "old"}], schema={"age": "int"})})
    )
    with pytest.raises(
        DatabaseFileError, match="table 'users', record with primary key 2: field 'age' must be int"
    ):
        IndexedDB.load(path, "json")


def test_a_byte_order_mark_is_fine(path: Path) -> None:
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(v1({"t": table_doc([{"id": 1}], next_pk=2)})).encode())
    assert DictDB.load(path, "json").get_table("t").get(1) == {"id": 1}


def test_a_file_nested_too_deeply_to_parse(path: Path) -> None:
    path.write_text('{"tables": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(DatabaseFileError, match="nested too deeply"):
        DictDB.load(path, "json")


def test_an_unknown_format_is_a_value_error(path: Path) -> None:
    with pytest.raises(ValueError, match="file_format must be 'json' or 'pickle'"):
        DictDB().save(path, "yaml")
    with pytest.raises(ValueError, match="cannot tell the format"):
        DictDB.load(path.with_suffix(".yaml"), None)
    assert not path.exists()


def test_a_read_error_other_than_a_missing_file_propagates(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError if os.name != "nt" else PermissionError):
        DictDB.load(tmp_path, "json")


def test_reading_does_not_touch_the_file(path: Path) -> None:
    shutil.copy(DATA / "dctdb_1.11.json", path)
    before = path.read_bytes()
    DictDB.load(path, "json")
    assert path.read_bytes() == before


def test_the_valid_document_the_bad_files_vary_loads(path: Path) -> None:
    # The bad files above each break one thing of this document.
    write_doc(
        path, v1({"users": table_doc([{"id": 1, "age": 3}], schema={"age": "int"}, indexes={"age": "hash"})})
    )
    users = IndexedDB.load(path, "json").get_table("users")
    assert users.records == {1: {"id": 1, "age": 3}}
    assert list(users.indexes) == ["age"]


def test_a_json_syntax_error_is_reported_once_with_its_place(path: Path) -> None:
    path.write_text('{"tables": {"a": "ab\u0001c"}}', encoding="utf-8")
    with pytest.raises(DatabaseFileError) as caught:
        DictDB.load(path, "json")
    message = str(caught.value)
    assert "Invalid control character at line 1, column 21" in message
    assert "at at" not in message
