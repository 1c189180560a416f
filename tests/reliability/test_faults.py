"""Every write step of a save, an export and a backup fails in turn, with each error a disk can give: a
full disk (ENOSPC), an I/O error (EIO), a read-only file system (EROFS), permission denied (EACCES), and a
read-only folder.

Each failure must leave the database in memory as it was (records, settings, counters, indexes and the
change tracking backups drain), the previous file byte for byte as it was and loadable, and no temp file;
and must give the documented error (docs/persistence.md, docs/backups.md): a save or an export raises the
``OSError`` itself, a backup returns ``None`` and hands the error to ``on_backup_failure``. Once the fault
is gone, the same call succeeds. A failure of the last step, the folder fsync after the rename, is the one
documented exception: the save raises with the new file already in place and whole; a backup removes that
file and fails as at the other steps.
"""

from __future__ import annotations

import errno
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dictdb import BackupManager, DictDB
from tests.support.faults import FOLDER_FSYNC, STEPS, inject_fault, os_error, temp_files
from tests.support.persistence_helpers import assert_same_db, sample_db

ERRORS = {name: getattr(errno, name) for name in ("ENOSPC", "EIO", "EROFS", "EACCES")}

#: The read-only folder: a real one (chmod 0o555) where its permission bits stop this process; as root
#: (whom they do not stop) the PermissionError such a folder gives, injected where it comes (creating the
#: temp file). Chosen when the case runs, so it is never skipped.
READ_ONLY = "read-only folder"

CASES = [(step, error) for step in (*STEPS, FOLDER_FSYNC) for error in ERRORS] + [("create", READ_ONLY)]
CASE_IDS = [f"{step}-{error}" for step, error in CASES]


def chmod_stops_writes(folder: Path) -> bool:
    """Whether a folder made read-only with chmod refuses this process a new file: not for root (or a
    process that can override permission bits), nor on Windows, where the bits do not apply to folders."""
    probe = folder / "chmod-probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "file").touch()
    except PermissionError:
        return True
    else:
        (probe / "file").unlink()
        return False
    finally:
        probe.chmod(0o755)
        probe.rmdir()


@contextmanager
def fault(monkeypatch: pytest.MonkeyPatch, folder: Path, step: str, error: str) -> Iterator[OSError]:
    """The fault in place for the block; yields an error like the one the block must see (type, errno)."""
    expected = os_error(errno.EACCES if error == READ_ONLY else ERRORS[error])
    if error == READ_ONLY and chmod_stops_writes(folder.parent):
        mode = stat.S_IMODE(folder.stat().st_mode)
        folder.chmod(0o555)
        try:
            yield expected
        finally:
            folder.chmod(mode)
        return
    with monkeypatch.context() as patch:
        inject_fault(patch, step, expected)
        yield expected


def assert_like(error: BaseException, expected: OSError) -> None:
    assert type(error) is type(expected)
    assert isinstance(error, OSError)
    assert error.errno == expected.errno


def change(db: DictDB) -> DictDB:
    """Changes of every kind, made to ``sample_db()``: what the save or backup that fails tries to write."""
    keyed = db.get_table("keyed")
    keyed.insert({"code": "new", "label": "NEW"})
    keyed.update({"label": "changed"}, where=keyed.code == "b")
    keyed.delete(where=keyed.code == "c")
    keyed.create_index("label")
    db.create_table("added").insert({"x": 1})
    db.drop_table("empty")
    return db


def changed_db() -> DictDB:
    return change(sample_db())


def tracking(db: DictDB) -> dict[str, tuple[list[str], list[str]]]:
    """The change tracking of every table (as sorted reprs: a put-back may reorder it)."""
    return {
        name: (sorted(map(repr, table.get_dirty_records())), sorted(map(repr, table.get_deleted_pks())))
        for name, table in db.tables.items()
    }


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


# --- save and export_csv: the OSError itself ----------------------------------------------------------------

Writer = Callable[[DictDB, Path], Any]
Reader = Callable[[Path], DictDB]


def csv_writer(db: DictDB, path: Path) -> Any:
    return db.get_table("keyed").export_csv(path)


def csv_reader(path: Path) -> DictDB:
    db = DictDB()
    db.import_csv(path, "keyed", primary_key="code")
    return db


def csv_expected(db: DictDB) -> DictDB:
    """What reading back the CSV export of ``db`` gives: its "keyed" table, cells as text."""
    expected = DictDB()
    expected.create_table("keyed", primary_key="code").insert(
        [dict(record) for record in db.get_table("keyed").records.values()]
    )
    return expected


WRITERS: dict[str, tuple[str, Writer, Reader, Callable[[DictDB], DictDB]]] = {
    "save json": (
        "db.json",
        lambda db, p: db.save(p, "json"),
        lambda p: DictDB.load(p, "json"),
        lambda db: db,
    ),
    "save pickle": (
        "db.pickle",
        lambda db, p: db.save(p, "pickle"),
        lambda p: DictDB.load(p, "pickle"),
        lambda db: db,
    ),
    "export_csv": ("keyed.csv", csv_writer, csv_reader, csv_expected),
}


def assert_holds(reader: Reader, expected: Callable[[DictDB], DictDB], path: Path, db: DictDB) -> None:
    """The file at ``path`` loads and holds what writing ``db`` put there."""
    loaded = reader(path)
    want = expected(db)
    if list(loaded.tables) == ["keyed"] and want is not db:
        assert loaded.get_table("keyed").all() == want.get_table("keyed").all()
    else:
        assert_same_db(want, loaded)


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize(("step", "error"), CASES, ids=CASE_IDS)
def test_a_failed_write_changes_nothing_and_raises_the_os_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str, step: str, error: str
) -> None:
    name, write, read, held = WRITERS[writer]
    path = tmp_path / name
    old = sample_db()
    write(old, path)
    before = files(tmp_path)
    db = changed_db()
    memory = tracking(db)

    with fault(monkeypatch, tmp_path, step, error) as expected, pytest.raises(type(expected)) as caught:
        write(db, path)

    assert_like(caught.value, expected)
    assert_same_db(changed_db(), db)
    assert tracking(db) == memory
    assert temp_files(tmp_path) == []
    if step == FOLDER_FSYNC:  # after the rename: the new file is in place, whole
        assert list(files(tmp_path)) == list(before)
        assert_holds(read, held, path, db)
    else:
        assert files(tmp_path) == before
        assert_holds(read, held, path, old)
    write(db, path)  # the fault gone, the same call succeeds
    assert_holds(read, held, path, db)


# --- backups: None, and the error to on_backup_failure ------------------------------------------------------

BACKUPS = ["full json", "full pickle", "delta"]


@pytest.mark.parametrize("backup", BACKUPS)
@pytest.mark.parametrize(("step", "error"), CASES, ids=CASE_IDS)
def test_a_failed_backup_changes_nothing_and_reports_the_os_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backup: str, step: str, error: str
) -> None:
    db = sample_db()
    reported: list[tuple[BaseException, int]] = []
    manager = BackupManager(
        db,
        tmp_path,
        file_format="pickle" if backup == "full pickle" else "json",
        on_backup_failure=lambda exc, count: reported.append((exc, count)),
    )
    back_up = manager.backup_delta if backup == "delta" else manager.backup_full
    assert manager.backup_full() is not None
    change(db)
    before = files(tmp_path)
    memory = tracking(db)

    with fault(monkeypatch, tmp_path, step, error) as expected:
        assert back_up() is None

    assert [count for _, count in reported] == [1]
    assert_like(reported[0][0], expected)
    assert manager.consecutive_failures == 1
    assert_same_db(changed_db(), db)
    assert tracking(db) == memory  # the drained changes were put back
    assert files(tmp_path) == before  # even after the rename: that file is removed
    assert_same_db(sample_db(), BackupManager.restore(tmp_path))
    path = back_up()  # the fault gone, the same call succeeds, and holds every change
    assert path is not None
    assert manager.consecutive_failures == 0
    assert_same_db(db, BackupManager.restore(tmp_path))


def test_the_read_only_folder_is_real_unless_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The read-only case above uses chmod where it can: check the mechanism it picks does stop a write.
    with fault(monkeypatch, tmp_path, "create", READ_ONLY), pytest.raises(PermissionError):
        DictDB().save(tmp_path / "db.json", "json")
    assert list(tmp_path.iterdir()) == []
