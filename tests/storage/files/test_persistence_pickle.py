"""Pickle files: plain data only, exact round trips, dctdb's pickles, and a loader that a corpus of hostile
pickles cannot make run anything."""

from __future__ import annotations

import datetime as dt
import enum
import pickle
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB
from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError, UnsupportedValueError
from dictdb.index import SortedIndex
from dictdb.storage.files import atomic, pickle_safe
from tests.support.persistence_helpers import IndexedDB, assert_same_db, indexed_db, sample_db

DATA = Path(__file__).parent / "data"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "db.pickle"


def meta(**overrides: Any) -> dict[str, Any]:
    return {"format": "dictdb", "version": 1, "library_version": "0.1.0", "saved_at": "", **overrides}


# --- round trips ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["pickle", "PICKLE", "Pickle"])
def test_every_value_type_schema_and_counter_round_trip(path: Path, file_format: str) -> None:
    db = sample_db()
    db.save(path, file_format)
    assert_same_db(db, DictDB.load(str(path), file_format))


def test_index_definitions_are_kept_and_rebuilt(path: Path) -> None:
    db = indexed_db()
    db.save(path, "pickle")
    loaded = IndexedDB.load(path, "pickle")
    assert isinstance(loaded.get_table("users").indexes["age"], SortedIndex)
    assert_same_db(db, loaded)


def test_the_file_holds_plain_data_and_names_only_value_types(path: Path) -> None:
    sample_db().save(path, "pickle")
    named: list[tuple[str, str]] = []

    class Recording(pickle_safe.SafeUnpickler):
        def find_class(self, module: str, name: str) -> Any:
            named.append((module, name))
            return super().find_class(module, name)

    # Version 2: the document with record counts, then each table's records, one pickle per chunk.
    pickles = []
    with open(path, "rb") as f:
        while f.peek(1):
            pickles.append(Recording(f).load())
    assert set(named) == {
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("decimal", "Decimal"),
        ("uuid", "UUID"),
    } | (
        {("zoneinfo", "ZoneInfo")}
        if "Europe/Paris" in __import__("zoneinfo").available_timezones()
        else set()
    )
    doc, *chunks = pickles
    assert set(doc) == {"_meta", "tables"}
    assert doc["_meta"]["format"] == "dictdb"
    assert doc["_meta"]["version"] == 2
    assert list(doc["tables"]) == ["everything", "typed", "keyed", "empty"]
    assert doc["tables"]["keyed"] == {
        "primary_key": "code",
        "schema": None,
        "indexes": {},
        "next_pk": 1,
        "records": 3,
    }
    # A table without records has no chunk.
    assert [len(chunk) for chunk in chunks] == [3, 1, 3]
    assert doc["tables"]["empty"]["records"] == 0
    keyed = [{"code": "b", "label": "B"}, {"code": "a", "label": "A"}, {"code": "c", "label": "C"}]
    assert chunks[-1] == keyed


def test_pickle_also_keeps_deep_and_self_containing_values(path: Path) -> None:
    deep: Any = 0
    for _ in range(150):
        deep = [deep]
    loop: list[Any] = [1]
    loop.append(loop)
    db = DictDB()
    db.create_table("t").insert({"deep": deep, "loop": loop})
    db.save(path, "pickle")
    record = DictDB.load(path, "pickle").get_table("t").records[1]
    assert record["deep"] == deep
    assert record["loop"][1] is record["loop"]


class Color(enum.Enum):
    RED = 1


class Plain:
    pass


@pytest.mark.parametrize(
    "bad", [Plain(), Color.RED, bytearray(b"x"), pickle.PickleBuffer(b"x"), len, Plain, 1j], ids=repr
)
def test_a_value_outside_plain_data_is_refused_before_writing(
    path: Path, monkeypatch: pytest.MonkeyPatch, bad: Any
) -> None:
    db = sample_db()
    db.create_table("last").insert({"id": 3, "value": {"inner": [bad]}})

    def no_temp_file(*args: Any) -> Any:
        raise AssertionError("a temp file was created before the value was checked")

    monkeypatch.setattr(atomic, "_create_temp", no_temp_file)
    with pytest.raises(
        UnsupportedValueError, match=r"table 'last', record with primary key 3, field 'value'"
    ):
        db.save(path, "pickle")
    assert not path.exists()


# --- dctdb's pickles ----------------------------------------------------------------------------------------


def test_a_dctdb_pickle_loads_as_version_0() -> None:
    db = DictDB.load(DATA / "dctdb_1.11.pickle", "pickle")
    assert_same_db(DictDB.load(DATA / "dctdb_1.11.json", "json"), db)


def test_a_dctdb_class_inside_a_dictdb_pickle_is_refused(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A pickle naming dctdb's Table, made with a stand-in module of that name.
    module = types.ModuleType("dictdb.core.table")
    module.Table = type("Table", (), {"__module__": "dictdb.core.table"})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dictdb.core.table", module)
    path.write_bytes(pickle.dumps({"_meta": meta(), "tables": {"t": module.Table()}}))
    with pytest.raises(DatabaseFileError, match="holds a dctdb object"):
        DictDB.load(path, "pickle")


# --- bad files ----------------------------------------------------------------------------------------------


def test_a_missing_file(path: Path) -> None:
    with pytest.raises(DatabaseFileNotFoundError, match="no such file"):
        DictDB.load(path, "pickle")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "ends early"),
        (b"not a pickle at all", "not a valid DictDB pickle"),
        (b'{"tables": {}}', "not a valid DictDB pickle"),
        (pickle.dumps([1, 2]), "not a DictDB file: it holds a list"),
        (pickle.dumps({"_meta": meta(format="other"), "tables": {}}), "format 'other'"),
        (pickle.dumps({"_meta": meta(version=7), "tables": {}}), "newer DictDB"),
        (pickle.dumps({"_meta": meta(), "tables": {"t": {"primary_key": "id"}}}), "lacks 'schema'"),
        (
            pickle.dumps(
                {
                    "_meta": meta(),
                    "tables": {
                        "t": {
                            "primary_key": "id",
                            "schema": None,
                            "indexes": {},
                            "next_pk": 1,
                            "records": [{"id": 1}] * 2,
                        }
                    },
                }
            ),
            "record #2: its primary key 1 is taken",
        ),
        (pickle.dumps(dt.datetime(2024, 1, 1))[:-1] + b"\x00.", "not a valid DictDB pickle"),
    ],
    ids=[
        "empty",
        "garbage",
        "json",
        "a list",
        "wrong format",
        "newer",
        "lacks keys",
        "duplicate pk",
        "bad opcode",
    ],
)
def test_a_bad_file_raises_the_documented_error(path: Path, content: bytes, message: str) -> None:
    path.write_bytes(content)
    with pytest.raises(DatabaseFileError, match=message) as caught:
        DictDB.load(path, "pickle")
    assert caught.value.path == str(path)


# --- the allow-list (the hostile pickles are in tests/reliability/test_hostile.py) ------------------------


def test_the_allow_list_holds_only_inert_names() -> None:
    assert set(pickle_safe.ALLOWED_GLOBALS) == {
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("decimal", "Decimal"),
        ("uuid", "UUID"),
        ("zoneinfo", "ZoneInfo"),
        ("dictdb.storage.database", "DictDB"),
        ("dictdb.core.table", "Table"),
        ("builtins", "int"),
        ("builtins", "str"),
        ("builtins", "float"),
        ("builtins", "bool"),
        ("builtins", "list"),
        ("builtins", "dict"),
    }
    stand_ins = [
        pickle_safe.ALLOWED_GLOBALS[("dictdb.storage.database", "DictDB")],
        pickle_safe.ALLOWED_GLOBALS[("dictdb.core.table", "Table")],
    ]
    for stand_in in stand_ins:
        assert [name for name in vars(stand_in) if not name.startswith("__")] == []


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([3, 10, 7], 11),  # ints: their max
        ([3, 10.5, 7], 8),  # a larger float does not count
        ([3, True, "x"], 4),  # types that do not compare: the ints picked out
        (["a", "b"], 5),  # no int key: the saved counter
        ([False, True], 5),  # bools are not int keys
    ],
)
def test_a_loaded_counter_never_lands_on_an_int_key(tmp_path: Path, keys: list[Any], expected: int) -> None:
    db = DictDB()
    table = db.create_table("t")
    for key in keys:
        table.insert({"id": key})
    table._next_pk = 5  # what the file says, below some keys (an edited file)
    db.save(tmp_path / "db.pickle", "pickle")
    assert DictDB.load(tmp_path / "db.pickle", "pickle").get_table("t")._next_pk == max(expected, 5)
