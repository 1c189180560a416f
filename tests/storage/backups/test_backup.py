"""BackupManager: settings, start/stop, the files each kind of backup writes, debounced notifications,
failures and their counters, incremental rotation, retention and auto_notify. Waits are bounded: they wait
on the manager's own condition, never on a bare sleep."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from dictdb import BackupManager, DictDB
from dictdb.storage.backups import files as backup_files
from dictdb.storage.backups import manager as backup
from dictdb.storage.files import persistence

FULL = re.compile(r"dictdb_backup_\d{8}T\d{6}_\d{6}\.(json|pickle)")
DELTA = re.compile(r"dictdb_delta_\d{8}T\d{6}_\d{6}\.json")

#: Generous bounds for waits that normally end in milliseconds (2 shared cores).
WAIT = 5.0


@pytest.fixture
def db() -> DictDB:
    db = DictDB()
    db.create_table("users").insert([{"name": "ada"}, {"name": "bob"}])
    return db


def make(managers: list[BackupManager], db: DictDB, folder: Path, **options: Any) -> BackupManager:
    manager = BackupManager(db, folder, **options)
    managers.append(manager)
    return manager


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def kinds(folder: Path) -> list[str]:
    return [found.kind for found in backup_files.list_backups(folder)]


def fail_writes(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """Make every full backup's file write raise ``error``."""

    def failing(*args: Any) -> None:
        raise error

    monkeypatch.setattr(persistence, "write_snapshot", failing)


# -- settings -----------------------------------------------------------------------------------------------


def test_the_defaults_are_dctdbs_and_the_folder_is_created(db: DictDB, tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    manager = BackupManager(db, folder)
    assert folder.is_dir()
    assert (manager.backup_interval, manager.file_format, manager.min_backup_interval) == (300, "json", 5.0)
    assert (manager.incremental, manager.max_deltas_before_full, manager.keep) == (False, 10, None)
    assert (manager.consecutive_failures, manager.deltas_since_full) == (0, 0)
    assert repr(manager) == f"<BackupManager {str(folder)!r}: full, json, stopped>"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"file_format": "xml"}, ValueError, "file_format must be 'json' or 'pickle'"),
        ({"backup_interval": 0}, ValueError, "backup_interval must be a finite number of seconds > 0"),
        ({"backup_interval": float("nan")}, ValueError, "backup_interval"),
        ({"min_backup_interval": -1}, ValueError, "min_backup_interval must be .* >= 0"),
        ({"max_deltas_before_full": -1}, ValueError, "max_deltas_before_full"),
        ({"keep": 0}, ValueError, "keep must be None"),
        ({"on_backup_failure": "alert"}, TypeError, "on_backup_failure must be a function"),
    ],
)
def test_bad_settings_raise(
    db: DictDB, tmp_path: Path, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        BackupManager(db, tmp_path, **options)


def test_the_format_is_case_insensitive(db: DictDB, tmp_path: Path) -> None:
    path = BackupManager(db, tmp_path, file_format="PICKLE").backup_now()
    assert path is not None
    assert FULL.fullmatch(path.name)
    assert path.suffix == ".pickle"


# -- start and stop ---------------------------------------------------------------------------------------


def test_start_and_stop_out_of_order_raise(db: DictDB, tmp_path: Path, managers: list[BackupManager]) -> None:
    manager = make(managers, db, tmp_path)
    with pytest.raises(RuntimeError, match="not running: call start"):
        manager.stop()
    manager.start()
    with pytest.raises(RuntimeError, match="already running"):
        manager.start()
    manager.stop(final_backup=False)
    with pytest.raises(RuntimeError, match="not running"):
        manager.stop()
    manager.start()  # a stopped manager can run again
    manager.stop(final_backup=False)


def test_stop_returns_promptly_and_makes_a_final_backup(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    manager = make(managers, db, tmp_path, backup_interval=300)
    manager.start()
    started = time.monotonic()
    manager.stop()
    assert time.monotonic() - started < 2.0  # the thread waits on an Event, not a sleep
    assert kinds(tmp_path) == ["backup"]
    assert manager._thread is None


def test_stop_makes_no_final_backup_when_nothing_changed_or_when_told_not_to(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    manager = make(managers, db, tmp_path)
    manager.backup_now()
    manager.start()
    manager.stop()
    assert kinds(tmp_path) == ["backup"]
    manager.start()
    db.get_table("users").insert({"name": "cy"})
    manager.stop(final_backup=False)
    assert kinds(tmp_path) == ["backup"]


def test_the_periodic_thread_backs_up_every_interval(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    manager = make(managers, db, tmp_path, backup_interval=0.02)
    manager.start()
    assert manager._wait_for_attempts(3, WAIT)
    manager.stop(final_backup=False)
    assert len(kinds(tmp_path)) >= 3
    assert repr(manager).endswith("stopped>")


# -- files --------------------------------------------------------------------------------------------------


def test_backup_full_writes_a_loadable_database_file(db: DictDB, tmp_path: Path) -> None:
    path = BackupManager(db, tmp_path).backup_full()
    assert path is not None
    assert path.parent == tmp_path
    assert FULL.fullmatch(path.name)
    assert DictDB.load(path, "json").get_table("users").all() == db.get_table("users").all()


def test_backup_delta_writes_a_delta_after_a_full_one(db: DictDB, tmp_path: Path) -> None:
    manager = BackupManager(db, tmp_path)
    first = manager.backup_delta()  # nothing to follow yet: a full one
    assert first is not None
    assert FULL.fullmatch(first.name)
    assert manager.backup_delta() is None  # nothing changed: no file
    db.get_table("users").insert({"name": "cy"})
    second = manager.backup_delta()
    assert second is not None
    assert DELTA.fullmatch(second.name)
    assert manager.deltas_since_full == 1
    assert names(tmp_path) == sorted([first.name, second.name])


def test_names_sort_in_time_order_and_are_unique_within_one_second(db: DictDB, tmp_path: Path) -> None:
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=1000)
    users = db.get_table("users")
    written = []
    for n in range(30):
        users.insert({"n": n})
        path = manager.backup_now()
        assert path is not None
        written.append(path.name)
    assert len(set(written)) == 30
    stamps = [name.split("_", 2)[2].rsplit(".", 1)[0] for name in written]
    assert stamps == sorted(stamps)


def test_a_new_manager_never_writes_a_name_older_than_the_folders(db: DictDB, tmp_path: Path) -> None:
    future = tmp_path / "dictdb_backup_29991231T235959_999990.json"
    future.write_text("")
    path = BackupManager(db, tmp_path).backup_now()
    assert path is not None
    assert path.name == "dictdb_backup_29991231T235959_999991.json"


# -- incremental --------------------------------------------------------------------------------------------


def test_incremental_writes_a_full_then_deltas_then_a_full_again(db: DictDB, tmp_path: Path) -> None:
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=2)
    users = db.get_table("users")
    seen = []
    for n in range(7):
        users.insert({"n": n})
        manager.backup_now()
        seen.append(manager.deltas_since_full)
    assert seen == [0, 1, 2, 0, 1, 2, 0]
    assert kinds(tmp_path) == ["backup", "delta", "delta", "backup", "delta", "delta", "backup"]


def test_after_a_failed_delta_backup_now_writes_a_full_backup(
    db: DictDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=100)
    manager.backup_now()
    db.get_table("users").insert({"name": "cy"})

    def failing(*args: Any) -> None:
        raise OSError(28, "disk full")

    with monkeypatch.context() as patch:
        patch.setattr(backup, "write_delta", failing)
        assert manager.backup_now() is None
        assert manager.backup_now() is not None  # a full one: deltas still fail
    assert kinds(tmp_path) == ["backup", "backup"]
    db.get_table("users").insert({"name": "dee"})
    assert manager.backup_now() is not None  # success resets: deltas again
    assert kinds(tmp_path) == ["backup", "backup", "delta"]


def test_max_deltas_zero_makes_every_backup_full(db: DictDB, tmp_path: Path) -> None:
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=0)
    for n in range(3):
        db.get_table("users").insert({"n": n})
        manager.backup_now()
    assert kinds(tmp_path) == ["backup"] * 3


def test_non_incremental_backup_now_is_always_full(db: DictDB, tmp_path: Path) -> None:
    manager = BackupManager(db, tmp_path)
    manager.backup_now()
    manager.backup_now()
    assert kinds(tmp_path) == ["backup", "backup"]


# -- failures -----------------------------------------------------------------------------------------------


def test_a_failure_is_counted_reported_and_reset_by_a_success(
    db: DictDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[tuple[Exception, int]] = []
    manager = BackupManager(db, tmp_path, on_backup_failure=lambda exc, n: reported.append((exc, n)))
    error = OSError(28, "No space left on device")
    with monkeypatch.context() as patch:
        fail_writes(patch, error)
        assert manager.backup_now() is None
        assert manager.backup_full() is None
        assert manager.backup_delta() is None  # no full yet: it tries a full one
    assert reported == [(error, 1), (error, 2), (error, 3)]
    assert manager.consecutive_failures == 3
    assert names(tmp_path) == []
    assert manager.backup_now() is not None
    assert manager.consecutive_failures == 0


def test_a_failed_full_backup_loses_no_change_for_the_next_delta(
    db: DictDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=1)
    users = db.get_table("users")
    manager.backup_now()
    users.insert({"name": "cy"})
    manager.backup_now()  # delta 1 of 1: the next is full
    users.insert({"name": "dee"})
    with monkeypatch.context() as patch:
        fail_writes(patch, OSError(28, "disk full"))
        assert manager.backup_now() is None
    assert users.has_changes()  # put back
    assert manager.deltas_since_full == 1
    users.insert({"name": "eve"})
    manager.backup_now()
    assert [r["name"] for r in BackupManager.restore(tmp_path).get_table("users").all()] == [
        "ada",
        "bob",
        "cy",
        "dee",
        "eve",
    ]


def test_a_callback_that_raises_is_ignored_and_the_thread_survives(
    db: DictDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, managers: list[BackupManager]
) -> None:
    calls: list[int] = []

    def alert(exc: Exception, failures: int) -> None:
        calls.append(failures)
        raise RuntimeError("the alerting service is down too")

    fail_writes(monkeypatch, OSError(5, "I/O error"))
    manager = make(managers, db, tmp_path, backup_interval=0.02, on_backup_failure=alert)
    manager.start()
    assert manager._wait_for_attempts(3, WAIT)
    assert manager._thread is not None
    assert manager._thread.is_alive()
    manager.stop(final_backup=False)
    assert calls[:3] == [1, 2, 3]


def test_an_unsupported_value_is_a_failure_not_an_exception(db: DictDB, tmp_path: Path) -> None:
    reported: list[Exception] = []
    db.get_table("users").insert({"bad": object()})
    manager = BackupManager(db, tmp_path, on_backup_failure=lambda exc, n: reported.append(exc))
    assert manager.backup_now() is None
    assert type(reported[0]).__name__ == "UnsupportedValueError"
    assert names(tmp_path) == []


# -- notify_change ------------------------------------------------------------------------------------------


def test_notify_change_backs_up_in_the_background_at_once(db: DictDB, tmp_path: Path) -> None:
    manager = BackupManager(db, tmp_path, min_backup_interval=60)
    manager.notify_change()
    assert manager._wait_for_attempts(1, WAIT)
    assert kinds(tmp_path) == ["backup"]


def test_notify_change_is_debounced_and_loses_no_change(db: DictDB, tmp_path: Path) -> None:
    quiet = 0.2
    manager = BackupManager(db, tmp_path, min_backup_interval=quiet, incremental=True)
    users = db.get_table("users")
    manager.notify_change()
    assert manager._wait_for_attempts(1, WAIT)
    first = manager._last_attempt
    for n in range(20):  # within the quiet period: one backup for all, when it ends
        users.insert({"n": n})
        manager.notify_change()
    assert manager._wait_for_attempts(2, WAIT)
    assert manager._last_attempt - first >= quiet * 0.99
    assert not manager._wait_for_attempts(3, quiet * 1.5)  # nothing more was notified
    assert kinds(tmp_path) == ["backup", "delta"]
    assert BackupManager.restore(tmp_path).get_table("users").count() == 22


def test_a_notified_backup_waits_out_a_quiet_period_started_by_another_backup(
    db: DictDB, tmp_path: Path
) -> None:
    quiet = 0.2
    manager = BackupManager(db, tmp_path, min_backup_interval=quiet)
    manager.notify_change()
    assert manager._wait_for_attempts(1, WAIT)
    db.get_table("users").insert({"name": "cy"})
    manager.notify_change()  # scheduled at the end of the quiet period...
    manager.backup_now()  # ...which this explicit backup starts again
    explicit = manager._last_attempt
    db.get_table("users").insert({"name": "dee"})
    assert manager._wait_for_attempts(3, WAIT)
    assert manager._last_attempt - explicit >= quiet * 0.99
    assert BackupManager.restore(tmp_path).get_table("users").count() == 4


def test_a_notified_backup_is_skipped_when_another_saved_everything(db: DictDB, tmp_path: Path) -> None:
    manager = BackupManager(db, tmp_path, min_backup_interval=0.05)
    manager.backup_now()
    manager.notify_change()  # nothing changed since that backup
    manager.backup_now()
    assert not manager._wait_for_attempts(3, 0.3)
    assert kinds(tmp_path) == ["backup", "backup"]


def test_notifications_behind_a_slow_backup_start_one_thread_and_lose_no_change(
    db: DictDB, tmp_path: Path
) -> None:
    manager = BackupManager(db, tmp_path, min_backup_interval=0, incremental=True)
    manager.backup_now()
    users = db.get_table("users")
    with manager._backup_lock:  # a slow backup: the notified one waits for it
        for n in range(200):
            users.insert({"n": n})
            manager.notify_change()
            time.sleep(0.001)  # lets each timer fire, as a steady stream of writes would
        notifiers = [t for t in threading.enumerate() if t.name == "dictdb-backup-notified"]
        assert len(notifiers) == 1
    while notifiers:  # the one that waited, then at most one more for the changes notified meanwhile
        notifiers[0].join(WAIT)
        assert not notifiers[0].is_alive()
        notifiers = [t for t in threading.enumerate() if t.name == "dictdb-backup-notified"]
    assert manager._attempts <= 3
    assert BackupManager.restore(tmp_path).get_table("users").count() == 202


# -- auto_notify --------------------------------------------------------------------------------------------


def test_auto_notify_backs_up_after_writes_and_new_tables_while_running(
    db: DictDB, tmp_path: Path, managers: list[BackupManager]
) -> None:
    manager = make(managers, db, tmp_path, min_backup_interval=0, incremental=True, auto_notify=True)
    users = db.get_table("users")
    users.insert({"name": "before start"})  # not watched yet
    assert not manager._wait_for_attempts(1, 0.1)
    manager.start()
    users.insert({"name": "cy"})
    assert manager._wait_for_attempts(1, WAIT)
    db.create_table("later")
    assert manager._wait_for_attempts(2, WAIT)
    db.get_table("later").insert({"x": 1})  # a table created while running is watched too
    assert manager._wait_for_attempts(3, WAIT)
    manager.stop()
    restored = BackupManager.restore(tmp_path)
    assert restored.get_table("later").all() == [{"x": 1, "id": 1}]
    assert users._change_listeners == ()  # stop() unhooks every table
    assert db._change_listeners == ()
    attempts = manager._attempts
    users.insert({"name": "after stop"})
    assert not manager._wait_for_attempts(attempts + 1, 0.1)


# -- retention ----------------------------------------------------------------------------------------------


def test_keep_deletes_older_fulls_and_their_deltas(db: DictDB, tmp_path: Path) -> None:
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=1, keep=2)
    users = db.get_table("users")
    for n in range(7):
        users.insert({"n": n})
        manager.backup_now()
        assert kinds(tmp_path).count("backup") <= 2
    # Written: F D F D F D F; kept: the last two fulls and the delta between them.
    assert kinds(tmp_path) == ["backup", "delta", "backup"]
    assert BackupManager.restore(tmp_path).get_table("users").count() == 9


def test_keep_one_keeps_what_a_restore_needs(db: DictDB, tmp_path: Path) -> None:
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=3, keep=1)
    users = db.get_table("users")
    for n in range(6):
        users.insert({"n": n})
        manager.backup_now()
    # Written: F D D D F D; kept: the last full and the delta after it.
    assert kinds(tmp_path) == ["backup", "delta"]
    assert BackupManager.restore(tmp_path).get_table("users").count() == 8


def test_backups_run_one_at_a_time(db: DictDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = BackupManager(db, tmp_path, incremental=True)
    inside = threading.Event()
    release = threading.Event()
    second_done = threading.Event()
    real = persistence.write_snapshot

    def slow(*args: Any) -> None:
        inside.set()
        assert release.wait(WAIT)
        real(*args)

    def second_backup() -> None:
        manager.backup_now()
        second_done.set()

    monkeypatch.setattr(persistence, "write_snapshot", slow)
    first = threading.Thread(target=manager.backup_now)
    first.start()
    assert inside.wait(WAIT)
    second = threading.Thread(target=second_backup)
    second.start()
    assert not second_done.wait(0.1)  # waits for the first
    release.set()
    first.join(WAIT)
    second.join(WAIT)
    assert second_done.is_set()
    assert kinds(tmp_path) == ["backup"]  # the second found nothing new to write
