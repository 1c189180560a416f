"""BackupManager.restore beside a live manager: a listing taken while backups are added or pruned may be
torn (a later file without an earlier one, a file gone before it is read); the restore lists again and
returns the newest complete state it can see, and a folder that stays broken still raises."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dictdb import BackupManager, DatabaseFileError, DictDB
from dictdb.storage.backups import delta, restore
from dictdb.storage.backups import files as backup_files
from dictdb.storage.backups.files import BackupFile
from dictdb.storage.files import atomic
from tests.support.logs import warnings_logged


def state(db: DictDB) -> str:
    """Everything a restore gives back, as one comparable value (records in their order)."""
    return repr([(name, table.primary_key, table.all()) for name, table in sorted(db.tables.items())])


def test_restores_beside_a_live_manager_that_prunes_all_succeed_with_a_backed_up_state(
    tmp_path: Path,
) -> None:
    db = DictDB()
    table = db.create_table("t")
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=3, keep=1)
    backed_up: set[str] = set()
    restored: list[str] = []
    problems: list[BaseException] = []
    stop = threading.Event()
    backups = 0

    def writer() -> None:
        nonlocal backups
        rng = random.Random(7)
        try:
            while not stop.is_set():
                pks = list(table.records)
                if pks and rng.random() < 0.3:
                    table.delete(where=table.id == rng.choice(pks))
                elif pks and rng.random() < 0.5:
                    table.update({"v": rng.random()}, where=table.id == rng.choice(pks))
                else:
                    table.insert({"v": "x" * rng.randrange(2000)})
                if rng.random() < 0.05:
                    if "u" in db.tables:
                        db.drop_table("u")
                    else:
                        db.create_table("u").insert({"n": backups})
                # Recorded before the file can appear: a restore may read it as soon as it is renamed.
                backed_up.add(state(db))
                if manager.backup_now() is not None:
                    backups += 1
        except BaseException as exc:
            problems.append(exc)

    def restorer() -> None:
        try:
            while not stop.is_set():
                restored.append(state(BackupManager.restore(tmp_path)))
        except BaseException as exc:
            problems.append(exc)

    manager.backup_now()
    threads = [threading.Thread(target=writer), threading.Thread(target=restorer)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join(10)
    assert problems == []
    assert backups > 20
    assert len(restored) > 20
    assert all(one in backed_up for one in restored)


Listing = Callable[[Any], list[BackupFile]]


def listings(
    monkeypatch: pytest.MonkeyPatch, *views: Callable[[list[BackupFile]], list[BackupFile]]
) -> list[int]:
    """Make the first listings a restore takes the views given (each made from the true listing), the later
    ones true; returns a counter of the listings taken."""
    true_listing: Listing = backup_files.list_backups
    taken = [0]

    def listing(folder: Any) -> list[BackupFile]:
        found = true_listing(folder)
        taken[0] += 1
        return views[taken[0] - 1](found) if taken[0] <= len(views) else found

    monkeypatch.setattr(restore, "list_backups", listing)
    return taken


def without(*names: str) -> Callable[[list[BackupFile]], list[BackupFile]]:
    return lambda found: [one for one in found if one.path.name not in names]


def history(
    tmp_path: Path, fulls: int, deltas: int, **options: Any
) -> tuple[DictDB, BackupManager, list[Path], list[str]]:
    """A manager's backups of a changing database: ``fulls`` chains of a full backup and ``deltas`` deltas;
    returns the files written and the state each one holds."""
    db = DictDB()
    table = db.create_table("t")
    manager = BackupManager(db, tmp_path, incremental=True, max_deltas_before_full=deltas, **options)
    written: list[Path] = []
    states: list[str] = []
    for n in range(fulls * (deltas + 1)):
        table.insert({"n": n})
        path = manager.backup_now()
        assert path is not None
        written.append(path)
        states.append(state(db))
    return db, manager, written, states


def test_a_listing_with_a_delta_but_not_its_full_backup_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _, written, _ = history(tmp_path, 2, 2)  # full, delta, delta, full, delta, delta
    taken = listings(monkeypatch, without(written[3].name))  # the newest full backup was being renamed
    assert state(BackupManager.restore(tmp_path)) == state(db)
    assert taken == [2]


def test_a_listing_with_a_delta_but_not_the_one_before_it_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _, written, _ = history(tmp_path, 1, 4)
    taken = listings(monkeypatch, without(written[2].name), without(written[1].name, written[3].name))
    assert state(BackupManager.restore(tmp_path)) == state(db)
    assert taken == [3]


def test_no_full_backup_in_a_listing_of_a_folder_that_has_one_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _, written, _ = history(tmp_path, 1, 1)
    taken = listings(monkeypatch, without(written[0].name))
    assert state(BackupManager.restore(tmp_path)) == state(db)
    assert taken == [2]


def test_a_full_backup_pruned_between_listing_and_reading_makes_the_restore_list_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, manager, written, _ = history(tmp_path, 1, 2, keep=1)
    db.get_table("t").insert({"n": "newest"})

    def prune_after(found: list[BackupFile]) -> list[BackupFile]:
        manager.backup_full()  # a new full backup, and the old chain deleted, once the listing is taken
        return found

    taken = listings(monkeypatch, prune_after)
    assert state(BackupManager.restore(tmp_path)) == state(db)
    assert not written[0].exists()
    assert taken == [2]


def test_a_delta_pruned_between_listing_and_reading_makes_the_restore_list_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, manager, written, _ = history(tmp_path, 1, 3, keep=1)
    db.get_table("t").insert({"n": "newest"})
    taken = listings(monkeypatch)
    read_delta = delta.read_delta

    def pruned_first(path: Any) -> delta.Delta:
        if manager.deltas_since_full:  # once: the full backup is read, then the chain is pruned
            manager.backup_full()
        return read_delta(path)

    monkeypatch.setattr(delta, "read_delta", pruned_first)
    assert state(BackupManager.restore(tmp_path)) == state(db)
    assert not written[1].exists()
    assert taken == [2]


def test_a_gap_that_persists_raises_naming_the_delta_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, written, _ = history(tmp_path, 1, 3)
    os.remove(written[2])
    taken = listings(monkeypatch)
    started = time.monotonic()
    with pytest.raises(DatabaseFileError, match=r"delta #3 after .*, but delta #2 is missing") as caught:
        BackupManager.restore(tmp_path)
    assert caught.value.path == str(written[3])
    assert taken == [restore._PERSISTS]
    assert time.monotonic() - started < 1.0


def test_a_corrupt_file_raises_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, written, _ = history(tmp_path, 1, 2)
    written[1].write_text('{"_meta": {"format": "dictdb-delta", "version": 1, "base"')
    taken = listings(monkeypatch)
    with pytest.raises(DatabaseFileError, match="truncated") as caught:
        BackupManager.restore(tmp_path)
    assert caught.value.path == str(written[1])
    assert taken == [1]


def test_a_folder_torn_under_every_listing_restores_the_newest_complete_chain_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, written, states = history(tmp_path, 1, 6)
    monkeypatch.setattr(restore, "_ATTEMPTS", 4)
    # Each listing lacks another delta: #2, #3, #4, #5 (written[0] is the full backup).
    taken = listings(monkeypatch, *(without(written[n].name) for n in (2, 3, 4, 5)))
    with warnings_logged() as warned:
        restored = BackupManager.restore(tmp_path)
    assert state(restored) == states[4]  # the full backup and deltas #1 to #4, as the last listing read
    assert taken == [4]
    assert any("changed under each of 4 listings" in line for line in warned)


def test_a_folder_torn_under_every_listing_without_a_complete_chain_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, written, _ = history(tmp_path, 1, 1)
    monkeypatch.setattr(restore, "_ATTEMPTS", 2)
    no_full = without(written[0].name)
    listings(monkeypatch, no_full, no_full)
    with pytest.raises(DatabaseFileError, match="holds no full backup"):
        BackupManager.restore(tmp_path)


def failed_delta_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[DictDB, list[Path]]:
    """A delta #1 whose write failed after the rename and whose file could not be removed, the delta #1 that
    replaced it, and a delta #2; returns the database and the three deltas."""
    db = DictDB()
    table = db.create_table("t")
    table.insert({"n": 0})
    manager = BackupManager(db, tmp_path, incremental=True)
    manager.backup_now()
    table.insert({"n": 1})

    def failing(path: Any) -> None:
        raise OSError(5, "I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(atomic, "_fsync_folder", failing)
        patch.setattr(os, "remove", failing)
        assert manager.backup_now() is None
    table.insert({"n": 2})
    manager.backup_delta()
    table.insert({"n": 3})
    manager.backup_delta()
    found = [one.path for one in backup_files.list_backups(tmp_path) if one.kind == "delta"]
    assert len(found) == 3
    return db, found


def test_a_listing_without_the_delta_that_replaced_a_failed_one_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Delta #2 follows the replacement: the failed #1 with it would lose the changes made in between.
    db, (_, replacement, _) = failed_delta_left_behind(tmp_path, monkeypatch)
    taken = listings(monkeypatch, without(replacement.name))
    assert state(BackupManager.restore(tmp_path)) == state(db)
    assert taken == [2]


def test_a_delta_whose_predecessor_is_gone_raises_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, (_, replacement, _) = failed_delta_left_behind(tmp_path, monkeypatch)
    os.remove(replacement)
    with pytest.raises(
        DatabaseFileError, match=f"delta #2 after .* and follows '{replacement.name}', which is"
    ):
        BackupManager.restore(tmp_path)


def test_deltas_written_before_they_named_the_one_before_still_restore(tmp_path: Path) -> None:
    db, _, written, _ = history(tmp_path, 1, 3)
    for path in written[1:]:
        document = json.loads(path.read_text())
        assert document["_meta"].pop("previous", None) == (
            None if path == written[1] else written[written.index(path) - 1].name
        )
        path.write_text(json.dumps(document))
    assert state(BackupManager.restore(tmp_path)) == state(db)


def test_retention_deletes_the_newest_old_files_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, written, _ = history(tmp_path, 3, 2)  # three chains of a full backup and two deltas
    removed: list[str] = []
    remove = os.remove

    def recording(path: Any) -> None:
        removed.append(Path(path).name)
        remove(path)

    monkeypatch.setattr(os, "remove", recording)
    deleted = backup_files.prune(tmp_path, keep=1)
    assert removed == [path.name for path in reversed(written[:6])]
    assert deleted == written[:6]
