"""BackupManager.restore: the newest full backup plus the deltas after it gives the database back exactly
(records and their order, settings, pk counters), a delta whose write fails loses nothing, a bad folder or
chain raises a clear error, and backups running beside writers keep every committed write."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dictdb import BackupManager, DatabaseFileError, DictDB
from dictdb.exceptions import DatabaseFileNotFoundError
from dictdb.storage.backups import files as backup_files
from dictdb.storage.backups.restore import restore_folder
from dictdb.storage.files import atomic
from tests.support.persistence_helpers import IndexedDB, assert_same_db, sample_db

WAIT = 5.0


def restored(folder: Path) -> DictDB:
    return BackupManager.restore(folder)


def deltas(folder: Path) -> list[Path]:
    return [found.path for found in backup_files.list_backups(folder) if found.kind == "delta"]


def test_restore_follows_inserts_updates_deletes_and_tables_across_deltas(tmp_path: Path) -> None:
    db = sample_db()
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=100)
    manager.backup_now()
    everything, keyed = db.get_table("everything"), db.get_table("keyed")

    steps: list[Callable[[], object]] = [
        lambda: everything.insert([{"n": n} for n in range(5)]),
        lambda: everything.update({"n": -1}, where=everything.n == 2),
        lambda: everything.delete(where=everything.n == 3),
        lambda: keyed.update({"code": "z"}, where=keyed.code == "a"),  # re-keyed: moves to the end
        lambda: keyed.delete(where=keyed.code == "b"),
        lambda: keyed.insert({"code": "b", "label": "back"}),  # deleted then inserted: at the end now
        lambda: db.drop_table("empty"),
        lambda: db.create_table("new", primary_key="key", schema={"key": str, "x": int}),
        lambda: db.get_table("new").insert({"key": "k", "x": 1}),
        lambda: db.drop_table("typed"),
        lambda: db.create_table("typed").insert({"replaced": True}),  # another table under an old name
        lambda: everything.delete(),
        lambda: everything.insert({"id": 1, "back": "with an old key"}),
    ]
    for step in steps:
        step()
        assert manager.backup_now() is not None
        assert_same_db(db, restored(tmp_path))
    assert manager.deltas_since_full == len(steps)


def test_several_changes_to_one_record_between_backups_restore_to_the_last(tmp_path: Path) -> None:
    db = DictDB()
    t = db.create_table("t")
    t.insert([{"v": n} for n in range(6)])
    manager = BackupManager(db, tmp_path, incremental=True)
    manager.backup_now()
    t.delete(where=t.id == 2)
    t.insert({"id": 2, "v": "again"})
    t.update({"v": "changed"}, where=t.id == 2)
    t.delete(where=t.id == 4)
    t.insert({"v": "new"})
    t.delete(where=t.v == "new")
    t.insert({"v": "newer"})
    t.delete()
    t.insert([{"id": 5}, {"id": 1}, {"id": 3}])  # a reload in another order
    manager.backup_now()
    assert_same_db(db, restored(tmp_path))


def test_a_table_created_and_changed_between_two_deltas(tmp_path: Path) -> None:
    db = DictDB()
    manager = BackupManager(db, tmp_path, incremental=True)
    manager.backup_now()
    db.create_table("t", schema={"v": int}).insert({"v": 1})
    manager.backup_now()
    db.get_table("t").insert({"v": 2})
    db.create_table("u")
    db.drop_table("u")  # created and dropped between backups: never seen
    manager.backup_now()
    assert_same_db(db, restored(tmp_path))
    assert restored(tmp_path).get_table("t").schema == {"v": int, "id": int}


def test_restore_rebuilds_the_indexes_a_delta_lists(tmp_path: Path) -> None:
    db = IndexedDB()
    users = db.create_table("users")
    manager = BackupManager(db, tmp_path, incremental=True)
    manager.backup_now()
    users.insert({"name": "ada", "age": 36})
    users.create_index("age", "sorted")
    manager.backup_now()
    assert_same_db(db, restore_folder(tmp_path, IndexedDB))


def test_a_restored_database_can_be_backed_up_again(tmp_path: Path) -> None:
    db = sample_db()
    manager = BackupManager(db, tmp_path, incremental=True)
    manager.backup_now()
    db.get_table("keyed").insert({"code": "d"})
    manager.backup_now()
    again = restored(tmp_path)
    assert not any(table.has_changes() for table in again.tables.values())
    second = BackupManager(again, tmp_path, incremental=True)
    again.get_table("keyed").insert({"code": "e"})
    second.backup_now()  # a new manager's first backup is full
    assert_same_db(again, restored(tmp_path))


def test_restore_of_a_missing_folder_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(DatabaseFileNotFoundError, match="no such backup folder") as caught:
        restored(tmp_path / "nope")
    assert isinstance(caught.value, FileNotFoundError)


def test_restore_of_a_folder_without_a_full_backup_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a backup")
    (tmp_path / "dictdb_delta_20260101T000000_000000.json").write_text("{}")
    with pytest.raises(DatabaseFileNotFoundError, match="holds no full backup") as caught:
        restored(tmp_path)
    assert caught.value.path == str(tmp_path)


def chain(tmp_path: Path, count: int) -> tuple[DictDB, list[Path]]:
    """A full backup and ``count`` deltas of a database that changes before each."""
    db = sample_db()
    manager = BackupManager(db, tmp_path, incremental=True)
    manager.backup_now()
    for n in range(count):
        db.get_table("keyed").insert({"code": f"n{n}"})
        manager.backup_now()
    return db, deltas(tmp_path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"_meta": {"format": "dictdb-delta", "version": 1, "base"', "truncated"),
        ("not json at all", "not valid JSON"),
        ('{"_meta": {"format": "dictdb-delta", "version": 9, "base": "b", "sequence": 1}}', "newer DictDB"),
        (
            '{"_meta": {"format": "dictdb-delta", "version": 1, "base": "b", "sequence": 2, "previous": 1}}',
            "'previous' must name the delta before",
        ),
    ],
)
def test_a_corrupt_delta_raises_naming_it(tmp_path: Path, content: str, reason: str) -> None:
    _, written = chain(tmp_path, 3)
    written[1].write_text(content)
    with pytest.raises(DatabaseFileError, match=reason) as caught:
        restored(tmp_path)
    assert caught.value.path == str(written[1])


def test_a_missing_delta_breaks_the_chain_with_a_clear_error(tmp_path: Path) -> None:
    _, written = chain(tmp_path, 3)
    os.remove(written[1])
    with pytest.raises(DatabaseFileError, match=r"delta #3 after .*, but delta #2 is missing") as caught:
        restored(tmp_path)
    assert caught.value.path == str(written[2])


def test_a_delta_of_another_chain_after_the_newest_full_is_refused(tmp_path: Path) -> None:
    db = sample_db()
    first = BackupManager(db, tmp_path, incremental=True)
    first.backup_now()
    BackupManager(db, tmp_path, incremental=True).backup_now()  # a second manager on the same folder
    db.get_table("keyed").insert({"code": "d"})
    stray = first.backup_now()
    assert stray is not None
    with pytest.raises(DatabaseFileError, match="it follows the full backup 'dictdb_backup_") as caught:
        restored(tmp_path)
    assert caught.value.path == str(stray)


def test_a_failed_delta_left_behind_is_superseded_by_the_one_that_replaced_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = sample_db()
    manager = BackupManager(db, tmp_path, incremental=True)
    manager.backup_now()
    keyed = db.get_table("keyed")
    keyed.insert({"code": "d"})

    def failing(path: Any) -> None:
        raise OSError(5, "I/O error")

    with monkeypatch.context() as patch:  # the rename is done, then the folder sync and the cleanup fail
        patch.setattr(atomic, "_fsync_folder", failing)
        patch.setattr(os, "remove", failing)
        assert manager.backup_now() is None
    assert len(deltas(tmp_path)) == 1  # left behind, as delta #1
    keyed.delete(where=keyed.code == "d")
    keyed.insert({"code": "e"})
    manager.backup_delta()  # delta #1 again, holding the put-back changes and the new ones
    assert len(deltas(tmp_path)) == 2
    assert_same_db(db, restored(tmp_path))


def test_writers_and_backups_together_lose_no_committed_write(tmp_path: Path) -> None:
    db = DictDB()
    tables = [db.create_table("a"), db.create_table("b")]
    manager = BackupManager(
        db, tmp_path, backup_interval=0.01, incremental=True, max_deltas_before_full=4, min_backup_interval=0
    )
    manager.backup_now()
    manager.start()
    stop = threading.Event()
    problems: list[BaseException] = []
    restores = 0

    def writer(table: Any) -> None:
        try:
            pks: list[Any] = []
            for n in range(30_000):
                if stop.is_set():
                    return
                pks.append(table.insert({"v": 0}))
                table.upsert({"id": pks[n // 2], "v": n})  # versions only grow
        except BaseException as exc:
            problems.append(exc)

    def reader() -> None:
        nonlocal restores
        try:
            while not stop.is_set():
                for table in restored(tmp_path).tables.values():
                    # A state the writer went through: keys 1..k in order; record p holds 0, or the
                    # version n that wrote it (p == n // 2 + 1).
                    assert list(table.records) == list(range(1, len(table) + 1))
                    assert all(r["v"] in (0, 2 * pk - 2, 2 * pk - 1) for pk, r in table.records.items())
                restores += 1
        except BaseException as exc:
            problems.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in tables] + [threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 0.8
    while time.monotonic() < deadline and manager._attempts < 12:
        manager._wait_for_attempts(manager._attempts + 1, 0.1)
    stop.set()
    for thread in threads:
        thread.join(WAIT)
    manager.stop()  # the final backup holds every write, all of them committed before it
    assert problems == []
    assert restores > 0
    assert manager._attempts >= 3
    assert sum(len(t) for t in tables) > 100
    assert_same_db(db, restored(tmp_path))
