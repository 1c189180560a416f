"""Hostile values and names in memory: records that contain themselves, NaN and unhashable values where a
key is needed, integers and strings of sizes no text format reads plainly, table names and paths with
``..`` and separators.

Each gets the documented error (docs/tables.md, docs/indexes.md, docs/aggregates.md, docs/persistence.md)
and changes nothing, in memory or on disk; or, where the docs promise it, round-trips exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dictdb import BackupManager, DictDB, Table
from dictdb.exceptions import UnsupportedValueError
from dictdb.query.aggregates import Count
from tests.reliability.budget import scaled
from tests.support.faults import temp_files


def state(db: DictDB) -> list[Any]:
    """Everything a failed call must leave as it was: tables, records (copies), counters, indexes and the
    change tracking. Values are compared by identity first, so NaNs and cycles compare."""
    return [
        (
            name,
            [(pk, dict(record)) for pk, record in table.records.items()],
            table._next_pk,
            {field: type(index).__name__ for field, index in table.indexes.items()},
            [record.get(table.primary_key) for record in table.get_dirty_records()],
            table.get_deleted_pks(),
        )
        for name, table in db.tables.items()
    ]


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def refuses(db: DictDB, call: Callable[[], Any], error: type[Exception], match: str) -> Exception:
    """``call()`` raises ``error`` matching ``match`` and ``db`` is as it was."""
    before = state(db)
    with pytest.raises(error, match=match) as caught:
        call()
    assert state(db) == before
    return caught.value


# --- records that contain themselves --------------------------------------------------------------------


def cycles() -> dict[str, tuple[dict[str, Any], str]]:
    """Records holding a value that contains itself, and the field that holds it."""
    me: dict[str, Any] = {"name": "me"}
    me["self"] = me
    loop: list[Any] = []
    loop.append(loop)
    tree: dict[str, Any] = {"children": []}
    tree["children"].append({"parent": tree})
    pair: tuple[list[Any]] = ([],)
    pair[0].append(pair)
    keyed: dict[Any, Any] = {}
    keyed[(1, "k")] = [keyed]
    return {
        "a dict holding itself": ({"doc": me}, "doc"),
        "a list holding itself": ({"items": loop}, "items"),
        "a tree with parent links": ({"tree": tree}, "tree"),
        "a tuple through a list": ({"pair": pair}, "pair"),
        "a dict with tuple keys": ({"index": keyed}, "index"),
    }


@pytest.mark.parametrize("name", sorted(cycles()))
def test_a_record_that_contains_itself_is_refused_by_json_before_writing(tmp_path: Path, name: str) -> None:
    record, field = cycles()[name]
    db = DictDB()
    table = db.create_table("t")
    table.insert({"plain": 1})
    path = tmp_path / "db.json"
    db.save(path, "json")
    before = files(tmp_path)
    table.insert(record)  # a table holds any value: only a file cannot
    error = refuses(db, lambda: db.save(path, "json"), UnsupportedValueError, "contains itself")
    assert isinstance(error, UnsupportedValueError)
    assert (error.table, error.pk, error.field, error.path) == ("t", 2, field, ())
    assert files(tmp_path) == before
    refuses(db, lambda: table.export_jsonl(tmp_path / "t.jsonl"), UnsupportedValueError, "contains itself")
    assert files(tmp_path) == before


@pytest.mark.parametrize("name", sorted(cycles()))
def test_a_record_that_contains_itself_fails_a_json_backup_and_is_kept_for_the_next(
    tmp_path: Path, name: str
) -> None:
    record, _ = cycles()[name]
    db = DictDB()
    table = db.create_table("t")
    reported: list[BaseException] = []
    manager = BackupManager(db, tmp_path, incremental=True, on_backup_failure=lambda e, n: reported.append(e))
    assert manager.backup_now() is not None
    before = files(tmp_path)
    pk = table.insert(record)
    memory = state(db)
    assert manager.backup_delta() is None
    assert [type(e) for e in reported] == [UnsupportedValueError]
    assert state(db) == memory  # the change is tracked still, for the next backup
    assert files(tmp_path) == before
    assert temp_files(tmp_path) == []
    table.delete(where=table.id == pk)
    assert manager.backup_delta() is not None
    assert BackupManager.restore(tmp_path).get_table("t").count() == 0


@pytest.mark.parametrize("name", sorted(cycles()))
def test_a_pickle_keeps_a_record_that_contains_itself(tmp_path: Path, name: str) -> None:
    record, field = cycles()[name]
    db = DictDB()
    db.create_table("t").insert(record)
    db.save(tmp_path / "db.pickle", "pickle")
    loaded = DictDB.load(tmp_path / "db.pickle", "pickle").get_table("t").get(1)
    assert repr(loaded[field]) == repr(record[field])  # repr shows a cycle as [...] or {...}


# --- NaN and unhashable values where a key is needed ----------------------------------------------------

NANS = {"float nan": math.nan, "Decimal nan": Decimal("NaN"), "negative nan": -math.nan}
UNHASHABLES = {
    "list": [1],
    "dict": {"a": 1},
    "set": {1},
    "bytearray": bytearray(b"k"),
    "tuple of a list": (1, [2]),
}


def keyed_db() -> tuple[DictDB, Table]:
    db = DictDB()
    table = db.create_table("t")
    table.insert([{"v": 1}, {"v": 2}])
    return db, table


def key_writes(table: Table, bad: Any) -> dict[str, Callable[[], Any]]:
    """Every way a bad primary key can arrive."""
    return {
        "insert": lambda: table.insert({"id": bad}),
        "a batch": lambda: table.insert([{"id": 10}, {"id": bad}]),
        "upsert": lambda: table.upsert({"id": bad, "v": 3}),
        "a re-key": lambda: table.update({"id": bad}, where=table.v == 1),
    }


@pytest.mark.parametrize("how", ["insert", "a batch", "upsert", "a re-key", "pk_generator"])
@pytest.mark.parametrize("nan", sorted(NANS))
def test_a_nan_primary_key_is_refused(nan: str, how: str) -> None:
    db, table = keyed_db()
    if how == "pk_generator":
        table = db.create_table("generated", pk_generator=lambda: NANS[nan])
        refuses(db, lambda: table.insert({"v": 1}), TypeError, "equals nothing")
        return
    refuses(db, key_writes(table, NANS[nan])[how], TypeError, "equals nothing")


@pytest.mark.parametrize("how", ["insert", "a batch", "upsert", "a re-key"])
@pytest.mark.parametrize("value", sorted(UNHASHABLES))
def test_an_unhashable_primary_key_is_refused(value: str, how: str) -> None:
    db, table = keyed_db()
    refuses(db, key_writes(table, UNHASHABLES[value])[how], TypeError, "must be hashable")


@pytest.mark.parametrize("how", ["insert", "a batch", "update", "create_index"])
@pytest.mark.parametrize("value", sorted(UNHASHABLES))
def test_an_unhashable_value_under_a_hash_index_is_refused(value: str, how: str) -> None:
    db, table = keyed_db()
    bad = UNHASHABLES[value]
    if how == "create_index":
        table.insert({"k": bad})
        refuses(db, lambda: table.create_index("k"), TypeError, "hash index on 'k' needs hashable values")
        return
    table.create_index("k")
    call = {
        "insert": lambda: table.insert({"k": bad}),
        "a batch": lambda: table.insert([{"k": 1}, {"k": bad}]),
        "update": lambda: table.update({"k": bad}, where=table.v == 1),
    }[how]
    refuses(db, call, TypeError, "hash index on 'k' needs hashable values")


@pytest.mark.parametrize("value", sorted(UNHASHABLES))
def test_an_unhashable_group_by_value_is_refused(value: str) -> None:
    db, table = keyed_db()
    table.update({"g": UNHASHABLES[value]}, where=table.v == 2)
    refuses(db, lambda: table.aggregate(group_by="g", n=Count()), TypeError, "cannot group by 'g'")


@pytest.mark.parametrize("kind", ["hash", "sorted"])
@pytest.mark.parametrize("unique", [False, True], ids=["plain", "unique"])
def test_nan_index_keys_are_nulls_that_match_nothing_and_round_trip(
    tmp_path: Path, kind: str, unique: bool
) -> None:
    # docs/indexes.md: NaN is in the null bucket, exempt from uniqueness, and equals nothing.
    db, table = keyed_db()
    table.create_index("k", kind, unique=unique)
    table.insert([{"k": math.nan}, {"k": Decimal("NaN")}, {"k": math.nan}, {"k": 1.5}])
    assert table.select(where=table.k == math.nan) == []
    assert [r["k"] for r in table.select(where=table.k == 1.5)] == [1.5]
    for file_format in ("json", "pickle"):
        db.save(tmp_path / f"db.{file_format}", file_format)
        loaded = DictDB.load(tmp_path / f"db.{file_format}", file_format).get_table("t")
        assert type(loaded.indexes["k"]) is type(table.indexes["k"])
        assert [repr(r.get("k")) for r in loaded.all()] == [repr(r.get("k")) for r in table.all()]


# --- sizes ------------------------------------------------------------------------------------------------


def test_huge_ints_and_strings_round_trip_through_every_format(tmp_path: Path) -> None:
    text = "é\U0001f600x" * scaled(2_000_000, 20_000_000)  # 6 MB of text (60 MB long), with surrogate pairs
    huge = {"past the int-str limit": 10**5000, "negative": -(7**20000), "a power of two": 2**70000}
    db = DictDB()
    table = db.create_table("t")
    table.insert({"id": 10**4400, "text": text, "in a list": [10**4400, {"deep": -(10**4400)}], **huge})
    table.create_index("a power of two", "sorted")
    manager = BackupManager(db, tmp_path / "backups", incremental=True)
    manager.backup_now()
    table.update({"text": text[::-1]}, where=table.id == 10**4400)
    assert manager.backup_now() is not None  # a delta
    db.save(tmp_path / "db.json", "json")
    db.save(tmp_path / "db.pickle", "pickle")
    table.export_jsonl(tmp_path / "t.jsonl")
    jsonl = DictDB()
    jsonl.import_jsonl(tmp_path / "t.jsonl", "t")
    for loaded in (
        DictDB.load(tmp_path / "db.json", "json"),
        DictDB.load(tmp_path / "db.pickle", "pickle"),
        BackupManager.restore(tmp_path / "backups"),
        jsonl,
    ):
        assert loaded.get_table("t").all() == table.all()
    assert DictDB.load(tmp_path / "db.json", "json").get_table("t")._next_pk == 10**4400 + 1


# --- names and paths --------------------------------------------------------------------------------------

NAMES = [
    "..",
    "../../outside",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "C:\\x",
    "",
    "\x00",
    "$tuple",
    "dictdb_backup_x.json",
]


def test_table_names_with_dots_and_separators_never_reach_a_path(tmp_path: Path) -> None:
    db = DictDB()
    for name in NAMES:
        db.create_table(name).insert({"name": name})
    folder = tmp_path / "in"
    folder.mkdir()
    manager = BackupManager(db, folder / "backups", incremental=True)
    manager.backup_now()
    db.get_table("..").insert({"again": True})
    manager.backup_now()
    db.save(folder / "db.json", "json")
    db.save(folder / "db.pickle", "pickle")
    for loaded in (
        DictDB.load(folder / "db.json", "json"),
        DictDB.load(folder / "db.pickle", "pickle"),
        BackupManager.restore(folder / "backups"),
    ):
        assert list(loaded.tables) == NAMES
        assert {name: t.all() for name, t in loaded.tables.items()} == {
            n: t.all() for n, t in db.tables.items()
        }
    # Every file is where it was asked for, under its own name: none named after a table, none outside.
    assert [p.name for p in tmp_path.iterdir()] == ["in"]
    assert sorted(p.name for p in folder.iterdir()) == ["backups", "db.json", "db.pickle"]
    assert [p.name.split("_")[1] for p in sorted((folder / "backups").iterdir())] == ["backup", "delta"]


def test_paths_with_dot_dot_mean_what_they_mean_to_open(tmp_path: Path) -> None:
    db, _ = keyed_db()
    (tmp_path / "sub").mkdir()
    db.save(tmp_path / "sub" / ".." / "db.json", "json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.json", "sub"]
    before = files(tmp_path)
    for path in (tmp_path / "missing" / ".." / "db.json", tmp_path / "missing" / ".." / "new.json"):
        refuses(db, lambda path=path: db.save(path, "json"), FileNotFoundError, "no such folder")
    assert files(tmp_path) == before
    manager = BackupManager(db, tmp_path / "sub" / ".." / "backups")
    assert manager.backup_now() is not None
    assert BackupManager.restore(tmp_path / "backups").get_table("t").all() == db.get_table("t").all()
