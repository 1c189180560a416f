"""Several BackupManagers on one database: each tracks the changes since its own last backup, so every
manager's folder restores the whole database however their backups interleave; a stopped or
garbage-collected manager stops costing the tables anything."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest

from dictdb import BackupManager, DictDB, UnsupportedValueError
from dictdb.storage.files import persistence
from dictdb.table import Table
from tests.support.persistence_helpers import assert_same_db


@pytest.fixture
def db() -> DictDB:
    db = DictDB()
    db.create_table("users").insert([{"name": "ada"}, {"name": "bob"}, {"name": "cy"}])
    return db


def incremental(made: list[BackupManager], db: DictDB, folder: Path, **options: Any) -> BackupManager:
    manager = BackupManager(db, folder, incremental=True, max_deltas_before_full=50, **options)
    made.append(manager)
    return manager


def kinds(*paths: Path | None) -> list[str]:
    return [path.name.split("_")[1] if path is not None else "none" for path in paths]


def live_views(table: Table) -> int:
    """How many managers' views the table still tells of its writes."""
    return sum(ref() is not None for ref in table._tracker.views)


def test_two_incremental_managers_each_restore_everything(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    users = db.get_table("users")
    local = incremental(managers, db, tmp_path / "local")
    remote = incremental(managers, db, tmp_path / "remote")
    assert kinds(local.backup_now(), remote.backup_now()) == ["backup", "backup"]

    users.insert({"name": "dee"})
    assert kinds(local.backup_now()) == ["delta"]  # takes the insert; remote must still see it
    users.update({"name": "bo"}, where=users.name == "bob")
    users.delete(where=users.name == "cy")
    assert kinds(remote.backup_now()) == ["delta"]
    db.create_table("orders").insert({"user": 1, "total": 5})
    users.delete(where=users.name == "ada")
    users.insert({"id": 1, "name": "ada again"})  # deleted, then inserted again: moved to the end
    assert kinds(local.backup_now(), local.backup_now(), remote.backup_now()) == ["delta", "none", "delta"]
    db.drop_table("orders")
    assert kinds(remote.backup_now(), local.backup_now()) == ["delta", "delta"]

    assert local.deltas_since_full == 3
    assert remote.deltas_since_full == 3
    assert_same_db(db, BackupManager.restore(tmp_path / "local"))
    assert_same_db(db, BackupManager.restore(tmp_path / "remote"))


def test_a_manager_added_later_restores_everything_and_takes_nothing_from_the_others(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    users = db.get_table("users")
    first = incremental(managers, db, tmp_path / "first")
    second = incremental(managers, db, tmp_path / "second")
    first.backup_now()
    second.backup_now()
    users.insert({"name": "dee"})
    first.backup_now()

    users.update({"name": "C"}, where=users.name == "cy")
    third = incremental(managers, db, tmp_path / "third")
    assert kinds(third.backup_now()) == ["backup"]  # a new manager's first backup is a full one
    users.delete(where=users.name == "ada")
    for manager in (third, second, first):
        assert kinds(manager.backup_now()) == ["delta"]

    for folder in ("first", "second", "third"):
        assert_same_db(db, BackupManager.restore(tmp_path / folder))
    assert live_views(users) == 3


def test_clearing_the_tables_tracking_takes_nothing_from_a_manager(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    users = db.get_table("users")
    manager = incremental(managers, db, tmp_path)
    manager.backup_now()
    users.insert({"name": "dee"})
    assert [r["name"] for r in users.get_dirty_records()] == ["dee"]
    users.clear_dirty_tracking()  # a direct user of the tracking: its meaning is unchanged
    assert users.has_changes() is False
    assert kinds(manager.backup_now()) == ["delta"]
    assert_same_db(db, BackupManager.restore(tmp_path))


def test_a_backup_still_clears_the_tables_own_tracking(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    users = db.get_table("users")
    first = incremental(managers, db, tmp_path / "first")
    second = incremental(managers, db, tmp_path / "second")
    first.backup_now()
    second.backup_now()
    users.insert({"name": "dee"})
    first.backup_now()
    assert users.has_changes() is False
    assert kinds(second.backup_now()) == ["delta"]
    assert_same_db(db, BackupManager.restore(tmp_path / "second"))


def test_a_failed_backup_puts_back_only_its_own_managers_changes(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    users = db.get_table("users")
    failing = incremental(managers, db, tmp_path / "failing")
    other = incremental(managers, db, tmp_path / "other")
    failing.backup_now()
    other.backup_now()
    users.insert({"name": "dee", "blob": object()})  # no file format holds an object()
    assert failing.backup_delta() is None
    assert other.backup_delta() is None
    assert (failing.consecutive_failures, other.consecutive_failures) == (1, 1)
    assert [r["name"] for r in users.get_dirty_records()] == ["dee"]  # put back too
    users.update({"blob": None}, where=users.name == "dee")
    assert kinds(failing.backup_delta(), other.backup_delta()) == ["delta", "delta"]
    for folder in ("failing", "other"):
        assert_same_db(db, BackupManager.restore(tmp_path / folder))


def test_a_failed_full_backup_loses_nothing_for_the_next_delta(
    db: DictDB, tmp_path: Path, managers: list[BackupManager], monkeypatch: pytest.MonkeyPatch
) -> None:
    users = db.get_table("users")
    manager = incremental(managers, db, tmp_path)
    manager.backup_now()
    users.insert({"name": "dee"})
    with monkeypatch.context() as patch:

        def failing(*args: Any) -> None:
            raise UnsupportedValueError("the disk said no")

        patch.setattr(persistence, "write_snapshot", failing)
        assert manager.backup_full() is None
    assert kinds(manager.backup_delta()) == ["delta"]
    assert_same_db(db, BackupManager.restore(tmp_path))


def test_a_stopped_manager_releases_its_views_and_backs_up_in_full_next(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    users = db.get_table("users")
    kept = incremental(managers, db, tmp_path / "kept")
    stopped = incremental(managers, db, tmp_path / "stopped")
    kept.backup_now()
    stopped.start()
    stopped.backup_now()
    users.insert({"name": "dee"})
    kept.backup_now()  # takes the insert from its own view only
    assert live_views(users) == 2
    stopped.stop()  # its final backup holds the insert
    assert_same_db(db, BackupManager.restore(tmp_path / "stopped"))
    assert live_views(users) == 1

    users.insert({"name": "eve"})
    assert kinds(stopped.backup_now(), kept.backup_now()) == ["backup", "delta"]
    for folder in ("kept", "stopped"):
        assert_same_db(db, BackupManager.restore(tmp_path / folder))


def test_a_garbage_collected_manager_stops_costing_the_tables_anything(db: DictDB, tmp_path: Path) -> None:
    users = db.get_table("users")
    manager = BackupManager(db, tmp_path, incremental=True)
    manager.backup_now()
    gone = weakref.ref(manager)
    del manager
    gc.collect()
    assert gone() is None
    users.insert({"name": "dee"})  # the first write after it drops the dead view
    assert users._tracker.views == ()


def test_a_dropped_table_a_caller_still_holds_is_forgotten_at_the_next_backup(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    manager = incremental(managers, db, tmp_path)
    old = db.create_table("old")
    manager.backup_now()
    assert live_views(old) == 1
    db.drop_table("old")
    manager.backup_now()
    assert live_views(old) == 0
    old.insert({"x": 1})  # writes to it track nothing for the manager
    assert old._tracker.views == ()


def test_stop_backs_up_what_another_managers_backup_took(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    users = db.get_table("users")
    other = incremental(managers, db, tmp_path / "other")
    running = incremental(managers, db, tmp_path / "running")
    other.backup_now()
    running.start()
    running.backup_now()
    users.insert({"name": "dee"})
    other.backup_now()
    running.stop()  # its final backup is due: its own view still holds the insert
    assert_same_db(db, BackupManager.restore(tmp_path / "running"))


def test_two_managers_on_an_opened_database(tmp_path: Path, managers: list[BackupManager]) -> None:
    with DictDB.open(tmp_path / "data") as db:
        users = db.create_table("users")
        users.insert([{"name": "ada"}, {"name": "bob"}])
        local = incremental(managers, db, tmp_path / "local")
        remote = incremental(managers, db, tmp_path / "remote")
        local.backup_now()
        remote.backup_now()
        with db.transaction():
            users.insert({"name": "cy"})
            users.delete(where=users.name == "ada")
        local.backup_now()
        db.checkpoint()
        users.update({"name": "bo"}, where=users.name == "bob")
        assert kinds(remote.backup_now(), local.backup_now()) == ["delta", "delta"]
        for folder in ("local", "remote"):
            assert_same_db(db, BackupManager.restore(tmp_path / folder))
