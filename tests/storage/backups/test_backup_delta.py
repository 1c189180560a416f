"""Delta files: taking changes out of a database, writing and reading them exactly, applying them in order,
and the errors a bad delta raises (naming the file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dictdb import DatabaseFileError, DictDB, UnsupportedValueError
from dictdb.exceptions import DatabaseFileNotFoundError
from dictdb.storage.backups.changes import TableChanges, Views, take_delta, take_full
from dictdb.storage.backups.delta import Delta, Restoring, read_delta, write_delta
from dictdb.storage.files import snapshot
from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot
from tests.support.persistence_helpers import EVERY_TYPE, assert_same_db, sample_db
from tests.support.value_strategies import assert_same


def write(tmp_path: Path, delta: Delta, name: str = "delta.json") -> Path:
    path = tmp_path / name
    write_delta(delta, path)
    return path


def change(
    name: Any, records: list[dict[str, Any]], *, created: bool = False, delete: Any = ()
) -> TableChanges:
    return TableChanges(TableSnapshot(name, "id", None, {}, 10, records), created, list(delete))


def test_take_delta_is_empty_when_nothing_changed() -> None:
    db = sample_db()
    views = Views()
    _, _, registry = take_full(db, views)
    assert take_delta(db, registry, views).is_empty()


def test_take_delta_holds_changes_creations_and_drops() -> None:
    db = sample_db()
    views = Views()
    _, _, registry = take_full(db, views)
    keyed = db.get_table("keyed")
    keyed.update({"label": "B!"}, where=keyed.code == "b")
    keyed.delete(where=keyed.code == "c")
    db.drop_table("empty")
    db.create_table("new").insert({"x": 1})
    taken = take_delta(db, registry, views)
    assert taken.dropped == ["empty"]
    assert [(c.table.name, c.created, c.delete, c.table.records) for c in taken.tables] == [
        ("keyed", False, ["c"], [{"code": "b", "label": "B!"}]),
        ("new", True, [], [{"x": 1, "id": 1}]),
    ]
    assert not keyed.has_changes()
    assert list(taken.registry) == ["everything", "typed", "keyed", "new"]


def test_a_table_dropped_and_created_again_under_its_name_is_dropped_then_created() -> None:
    db = DictDB()
    db.create_table("t").insert([{"v": 1}, {"v": 2}])
    views = Views()
    _, _, registry = take_full(db, views)
    db.drop_table("t")
    db.create_table("t", primary_key="key").insert({"v": 3})
    taken = take_delta(db, registry, views)
    assert taken.dropped == ["t"]
    assert [(c.created, c.table.primary_key, c.table.records) for c in taken.tables] == [
        (True, "key", [{"v": 3, "key": 1}])
    ]


def test_put_back_after_take_delta_gives_the_changes_to_the_next_delta() -> None:
    db = DictDB()
    t = db.create_table("t")
    t.insert({"v": 1})
    views = Views()
    _, _, registry = take_full(db, views)
    t.insert({"v": 2})
    failed = take_delta(db, registry, views)
    failed.drained.put_back()
    t.insert({"v": 3})
    again = take_delta(db, registry, views)
    assert [c.table.records for c in again.tables] == [[{"v": 2, "id": 2}, {"v": 3, "id": 3}]]


def test_every_value_type_and_key_type_round_trips(tmp_path: Path) -> None:
    record = {"id": (1, "a"), **EVERY_TYPE}
    delta = Delta("base.json", 3, ["gone"], [change("t", [record], delete=[(2, "b"), b"k", 5])])
    read = read_delta(write(tmp_path, delta))
    assert (read.base, read.sequence, read.dropped) == ("base.json", 3, ["gone"])
    assert read.tables[0].delete == [(2, "b"), b"k", 5]
    assert_same(read.tables[0].table.records, [record], "records")


@pytest.mark.parametrize("name", ["$date", "$x"])
def test_a_table_named_like_a_tag_round_trips(tmp_path: Path, name: str) -> None:
    read = read_delta(write(tmp_path, Delta("b.json", 1, [name], [change(name, [{"id": 1}], created=True)])))
    assert read.dropped == [name]
    assert [(c.table.name, c.created) for c in read.tables] == [(name, True)]


def test_the_file_is_readable_json_with_meta_first(tmp_path: Path) -> None:
    path = write(tmp_path, Delta("b.json", 1, [], [change("t", [{"id": 1}, {"id": 2}])]))
    doc = json.loads(path.read_text())
    assert list(doc) == ["_meta", "dropped", "tables"]
    assert doc["_meta"]["format"] == "dictdb-delta"
    assert doc["_meta"]["version"] == 1
    assert list(doc["tables"]["t"]) == [
        "created",
        "primary_key",
        "schema",
        "indexes",
        "next_pk",
        "deletes",
        "records",
    ]


def test_an_unsupported_value_raises_before_anything_is_written(tmp_path: Path) -> None:
    delta = Delta("b.json", 1, [], [change("t", [{"id": 1, "bad": object()}])])
    with pytest.raises(UnsupportedValueError, match="table 't', record with primary key 1, field 'bad'"):
        write(tmp_path, delta)
    assert list(tmp_path.iterdir()) == []


def bad(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "dictdb_delta_x.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


META = {"format": "dictdb-delta", "version": 1, "base": "b.json", "sequence": 1}
ENTRY = {"created": False, "primary_key": "id", "schema": None, "indexes": {}, "next_pk": 2, "deletes": []}


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ("", "the file is empty"),
        ('{"_meta": {"format": "dictdb-delta", ', "the file is truncated"),
        ("[1, 2]", "not a DictDB backup delta"),
        ({"_meta": {**META, "format": "dictdb"}, "dropped": [], "tables": {}}, "says format 'dictdb'"),
        ({"_meta": {**META, "version": 2}, "dropped": [], "tables": {}}, "written by a newer DictDB"),
        ({"_meta": {**META, "version": "1"}, "dropped": [], "tables": {}}, "invalid delta format version"),
        ({"_meta": {**META, "sequence": 0}, "dropped": [], "tables": {}}, "'sequence'"),
        ({"_meta": META, "tables": {}}, "'dropped' must be an array"),
        ({"_meta": META, "dropped": [], "tables": []}, "'tables' must be an object"),
        ({"_meta": META, "dropped": [], "tables": {"t": 1}}, "table 't' must be an object"),
        (
            {"_meta": META, "dropped": [], "tables": {"t": {**ENTRY, "records": [], "created": 1}}},
            "'created'",
        ),
        (
            {"_meta": META, "dropped": [], "tables": {"t": {**ENTRY, "records": [], "deletes": 1}}},
            "'deletes'",
        ),
        ({"_meta": META, "dropped": [], "tables": {"t": ENTRY}}, "table 't' lacks 'records'"),
        (
            {"_meta": META, "dropped": [], "tables": {"t": {**ENTRY, "records": [{"id": {"$nope": 1}}]}}},
            "tag",
        ),
    ],
)
def test_a_bad_delta_raises_database_file_error_naming_the_file(
    tmp_path: Path, doc: Any, reason: str
) -> None:
    path = bad(tmp_path, doc)
    with pytest.raises(DatabaseFileError, match=reason) as caught:
        read_delta(path)
    assert caught.value.path == str(path)


def test_a_missing_delta_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(DatabaseFileNotFoundError):
        read_delta(tmp_path / "nope.json")


def restoring(*tables: TableSnapshot) -> Restoring:
    return Restoring(DatabaseSnapshot(list(tables)), "full.json")


def test_apply_drops_creates_deletes_and_stores_in_order() -> None:
    state = restoring(
        TableSnapshot("a", "id", None, {}, 4, [{"id": 1}, {"id": 2}, {"id": 3}]),
        TableSnapshot("gone", "id", None, {}, 1, []),
    )
    state.apply(
        Delta(
            "full.json",
            1,
            ["gone"],
            [
                change(
                    "a", [{"id": 2, "v": "changed"}, {"id": 1, "v": "moved"}, {"id": 9}], delete=[3, 1, 42]
                ),
                change("new", [{"id": 1}], created=True),
            ],
        ),
        "delta.json",
    )
    db = snapshot.restore(state.snapshot(), DictDB, "folder")
    assert db.list_tables() == ["a", "new"]
    assert db.get_table("a").all() == [{"id": 2, "v": "changed"}, {"id": 1, "v": "moved"}, {"id": 9}]
    assert db.get_table("a")._next_pk == 10


@pytest.mark.parametrize(
    ("delta", "reason"),
    [
        (Delta("f", 1, ["nope"], []), "drops table 'nope', which the backups before it lack"),
        (Delta("f", 1, [], [change("nope", [])]), "changes table 'nope', which the backups before it lack"),
        (
            Delta("f", 1, [], [change("a", [], created=True)]),
            "creates table 'a', which the backups before it have",
        ),
        (
            Delta("f", 1, [], [TableChanges(TableSnapshot("a", "key", None, {}, 1, []), False, [])]),
            "primary key or schema differs",
        ),
        (Delta("f", 1, [], [change("a", [], delete=[[1]])]), "deleted key \\[1\\] is not hashable"),
        (Delta("f", 1, [], [change("a", [{"v": 1}])]), "has no primary key field 'id'"),
    ],
)
def test_a_delta_that_does_not_fit_raises_naming_it(delta: Delta, reason: str) -> None:
    state = restoring(TableSnapshot("a", "id", None, {}, 2, [{"id": 1}]))
    with pytest.raises(DatabaseFileError, match=reason) as caught:
        state.apply(delta, "delta.json")
    assert caught.value.path == "delta.json"


def test_restoring_a_full_snapshot_without_deltas_gives_the_database_back() -> None:
    db = sample_db()
    state = Restoring(snapshot.take(db), "full.json")
    assert_same_db(db, snapshot.restore(state.snapshot(), DictDB, "folder"))


@pytest.mark.parametrize("kind", ["hash", "sorted", "column"])
def test_an_index_created_or_dropped_alone_is_a_change_a_delta_carries(tmp_path: Path, kind: str) -> None:
    # No record changes between the backups: only the index definitions do (found by the soak test).
    from dictdb import BackupManager

    db = DictDB()
    users = db.create_table("users")
    users.insert([{"age": 30}, {"age": 40}])
    manager = BackupManager(db, tmp_path, incremental=True)
    assert manager.backup_full() is not None
    users.create_index("age", kind)
    assert manager.backup_delta() is not None
    assert BackupManager.restore(tmp_path).get_table("users").indexes["age"].kind == kind
    assert manager.backup_delta() is None  # nothing changed since
    users.drop_index("age")
    assert manager.backup_delta() is not None
    assert BackupManager.restore(tmp_path).get_table("users").indexed_fields() == []


def test_an_index_dropped_and_created_again_comes_last_after_a_restore_too(tmp_path: Path) -> None:
    # The same definitions in another order (found by the soak test): the delta and the last backup of
    # stop() carry it, so the restored table lists its indexes as the live one does.
    from dictdb import BackupManager

    db = DictDB()
    users = db.create_table("users")
    users.insert([{"age": 30, "name": "ada"}])
    users.create_index("age", "sorted")
    users.create_index("name", "hash")
    manager = BackupManager(db, tmp_path, incremental=True)
    manager.start()
    assert manager.backup_full() is not None
    users.drop_index("age")
    users.create_index("age", "sorted")
    assert users.indexed_fields()[-1] == "age"
    assert manager._has_unsaved_changes()
    manager.stop()  # its last backup: a delta of the new order alone
    restored = BackupManager.restore(tmp_path).get_table("users")
    assert restored.indexed_fields() == users.indexed_fields()
