"""``DictDB.open``: every committed write is in the folder, recovery replays it, the folder has one owner."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB, DictDBError, DuplicateKeyError, UnsupportedValueError
from dictdb.exceptions import DatabaseFileError, DatabaseLockedError, JournalWriteError
from dictdb.storage.files import journal as journal_module
from tests.support.logs import warnings_logged as logged_warnings
from tests.support.persistence_helpers import assert_same_db, sample_db
from tests.support.snapshots import snapshot


def crash_image(db: DictDB, where: Path) -> DictDB:
    """The database a process killed now would find: a copy of the folder as the OS holds it, opened."""
    assert db.path is not None
    shutil.copytree(db.path, where)
    return DictDB.open(where)


def files(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if not name.startswith("."))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "db"


@pytest.fixture
def warnings_logged() -> Iterator[list[str]]:
    """The WARNING-or-worse lines DictDB logs during the test."""
    with logged_warnings() as seen:
        yield seen


def every_kind_of_write(db: DictDB) -> None:
    accounts = db.create_table("accounts")
    accounts.create_index("owner", unique=True)
    accounts.create_index("balance", "sorted")
    accounts.create_index("branch", "column")
    accounts.insert([{"owner": o, "balance": b, "branch": o[0]} for o, b in [("ada", 100), ("bob", 50)]])
    accounts.insert({"owner": "cy", "balance": 0, "branch": "c"})
    accounts.upsert({"id": 2, "balance": 55})
    accounts.upsert({"id": 9, "owner": "dee", "balance": 7})
    accounts.update({"balance": 1}, where=accounts.owner == "cy")
    accounts.update({"id": 20}, where=accounts.owner == "ada")
    accounts.delete(where=accounts.owner == "dee")
    with db.transaction():
        accounts.update({"balance": 45}, where=accounts.id == 2)
        accounts.update({"balance": 11}, where=accounts.owner == "cy")
    log = db.create_table("log", primary_key="n", schema={"n": int, "what": str})
    log.insert({"n": 1, "what": "opened"})
    db.create_table("scratch").insert({"x": 1})
    db.drop_table("scratch")
    accounts.drop_index("branch")


def test_every_write_is_recovered_after_a_crash(folder: Path, tmp_path: Path) -> None:
    db = DictDB.open(folder)
    every_kind_of_write(db)
    sample_db(db)
    recovered = crash_image(db, tmp_path / "image")
    assert_same_db(db, recovered)
    accounts = recovered.get_table("accounts")
    assert accounts.select(["owner"], where=accounts.balance > 10) == [
        {"owner": "bob"},
        {"owner": "cy"},
        {"owner": "ada"},
    ]
    with pytest.raises(DuplicateKeyError):  # the unique index came back with its rule
        accounts.insert({"owner": "bob"})
    assert accounts.insert({"owner": "eve"}) == 21  # and the counter
    recovered.close()
    db.close()


def test_close_checkpoints_and_reopen_gives_the_same_database(folder: Path) -> None:
    with DictDB.open(folder) as db:
        every_kind_of_write(db)
        assert db.path == str(folder.resolve())
        assert db.sync == "normal"
    journal, lock, snap = files(folder)
    assert (journal, lock) == ("journal-000000000002.log", "lock")
    assert re.fullmatch(r"snapshot-000000000002-[0-9a-f]{8}\.pickle", snap)
    assert f"{zlib.crc32((folder / snap).read_bytes()):08x}" in snap
    with DictDB.open(folder, sync="full") as again:
        assert_same_db(db, again)
        assert again.sync == "full"


def test_checkpoint_then_more_writes_then_crash(folder: Path, tmp_path: Path) -> None:
    db = DictDB.open(folder, sync="off")
    t = db.create_table("t")
    t.insert([{"n": n} for n in range(100)])
    db.checkpoint()
    t.update({"n": -1}, where=t.n < 10)
    t.delete(where=t.n > 90)
    recovered = crash_image(db, tmp_path / "image")
    assert_same_db(db, recovered)
    recovered.close()
    db.close()


def test_a_journal_past_checkpoint_bytes_is_checkpointed_by_itself(folder: Path) -> None:
    db = DictDB.open(folder, checkpoint_bytes=4096)
    t = db.create_table("t")
    for n in range(200):
        t.insert({"n": n, "pad": "x" * 40})
    deadline = time.monotonic() + 10  # the checkpoint runs in its own thread
    while not any(name.startswith("snapshot") for name in files(folder)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any(name.startswith("snapshot") for name in files(folder)), files(folder)
    db.close()
    with DictDB.open(folder) as again:
        assert [r["n"] for r in again.get_table("t").select()] == list(range(200))


def test_writes_after_close_raise_and_reads_still_work(folder: Path) -> None:
    db = DictDB.open(folder)
    t = db.create_table("t")
    t.insert({"x": 1})
    db.close()
    db.close()  # harmless
    before = snapshot(t)
    with pytest.raises(DictDBError, match="closed"):
        t.insert({"x": 2})
    with pytest.raises(DictDBError, match="closed"):
        t.update({"x": 3})
    with pytest.raises(DictDBError, match="closed"):
        db.create_table("u")
    with pytest.raises(DictDBError, match="closed"), db.transaction():
        pass
    assert snapshot(t) == before
    assert list(db.tables) == ["t"]
    assert t.get(1) == {"x": 1, "id": 1}


def test_a_second_open_of_an_open_folder_is_refused(folder: Path) -> None:
    db = DictDB.open(folder)
    with pytest.raises(DatabaseLockedError, match="open already"):
        DictDB.open(folder)
    with pytest.raises(DatabaseLockedError):
        DictDB.open(folder / ".." / folder.name)  # the same folder by another path
    db.close()
    DictDB.open(folder).close()  # released by close


def test_another_process_cannot_open_an_open_folder(folder: Path) -> None:
    db = DictDB.open(folder)
    code = textwrap.dedent(
        f"""
        from dictdb import DictDB
        from dictdb.exceptions import DatabaseLockedError
        try:
            DictDB.open({str(folder)!r})
        except DatabaseLockedError as exc:
            print("locked", exc.path)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["locked", str(folder.resolve())]
    db.close()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from dictdb import DictDB; DictDB.open({str(folder)!r}).close(); print('ok')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "ok"


def test_bad_arguments_are_refused_before_the_folder_is_touched(tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("mine")
    with pytest.raises(DatabaseFileError, match="it is a file"):
        DictDB.open(a_file)
    assert a_file.read_text() == "mine"
    with pytest.raises(ValueError, match="'full', 'normal' or 'off'"):
        DictDB.open(tmp_path / "x", sync="always")
    with pytest.raises(ValueError, match="checkpoint_bytes"):
        DictDB.open(tmp_path / "x", checkpoint_bytes=0)
    with pytest.raises(ValueError, match="sync_interval"):
        DictDB.open(tmp_path / "x", sync_interval=-1)
    assert not (tmp_path / "x").exists()
    with pytest.raises(NotADirectoryError):
        DictDB.open(a_file / "below")


def test_other_files_in_the_folder_are_left_alone(folder: Path) -> None:
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "snapshot.txt").write_text("mine too")
    with DictDB.open(folder) as db:
        db.create_table("t").insert({"x": 1})
        db.checkpoint()
    assert (folder / "notes.txt").read_text() == "mine"
    assert (folder / "snapshot.txt").read_text() == "mine too"


def test_an_in_memory_database_has_no_folder() -> None:
    db = DictDB()
    assert db.path is None
    assert db.sync is None
    with pytest.raises(DictDBError, match=r"DictDB\.open"):
        db.checkpoint()
    db.close()
    with db:
        db.create_table("t").insert({"x": 1})
    assert db.get_table("t").count() == 1


def test_a_value_the_journal_cannot_hold_changes_nothing(folder: Path) -> None:
    class Custom:
        pass

    with DictDB.open(folder) as db:
        t = db.create_table("t")
        t.create_index("x", "sorted")
        t.insert({"x": 1})
        before = snapshot(t)
        with pytest.raises(UnsupportedValueError):
            t.insert({"x": 2, "obj": Custom()})
        with pytest.raises(UnsupportedValueError):
            t.update({"obj": Custom()})

        def insert_then_refused() -> None:
            with db.transaction():
                t.insert({"x": 3})
                t.update({"obj": Custom()}, where=t.x == 1)

        with pytest.raises(UnsupportedValueError):
            insert_then_refused()
        assert snapshot(t) == before
        assert t.select(where=t.x >= 1) == [{"x": 1, "id": 1}]
        t.insert({"x": 5})
    with DictDB.open(folder) as again:
        assert again.get_table("t").select() == [{"x": 1, "id": 1}, {"x": 5, "id": 2}]


class FailingAppend:
    """Makes the journal writer's appends fail with ``error`` until ``heal`` is called."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, error: OSError) -> None:
        self.error: OSError | None = error
        real = journal_module.JournalWriter.append

        def append(writer: Any, frame: bytes) -> int:
            if self.error is not None:
                raise self.error
            return real(writer, frame)

        monkeypatch.setattr(journal_module.JournalWriter, "append", append)

    def heal(self) -> None:
        self.error = None


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
def test_a_failed_journal_write_undoes_the_write_and_the_database_stays_usable(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    db = DictDB.open(folder)
    t = db.create_table("t")
    t.create_index("k", unique=True)
    t.create_index("v", "sorted")
    t.insert([{"k": n, "v": n % 3} for n in range(10)])
    before = snapshot(t)
    fault = FailingAppend(monkeypatch, OSError(code, os.strerror(code)))
    writes = [
        lambda: t.insert({"k": 99}),
        lambda: t.insert([{"k": 98}, {"k": 97}]),
        lambda: t.upsert({"id": 3, "v": 9}),
        lambda: t.update({"v": 7}, where=t.v == 1),
        lambda: t.update({"id": 50}, where=t.k == 4),
        lambda: t.delete(where=t.v == 2),
        lambda: t.delete(),
        lambda: t.create_index("w"),
        lambda: t.drop_index("v"),
        lambda: db.create_table("u"),
        lambda: db.drop_table("t"),
    ]
    for write in writes:
        with pytest.raises(JournalWriteError) as raised:
            write()
        assert raised.value.error.errno == code
        assert snapshot(t) == before
        assert list(db.tables) == ["t"]
        assert t.indexed_fields() == ["k", "v"]
        assert t.select(["k"], where=t.v == 2) == [{"k": 2}, {"k": 5}, {"k": 8}]

    def transaction() -> None:
        with db.transaction():
            t.update({"v": 0})
            t.delete(where=t.k > 5)

    with pytest.raises(JournalWriteError):
        transaction()
    assert snapshot(t) == before
    fault.heal()
    t.insert({"k": 99})
    assert_same_db(db, crash_image(db, tmp_path / "image"))
    db.close()


def test_a_damaged_frame_before_good_ones_refuses_to_open_and_changes_nothing(folder: Path) -> None:
    db = DictDB.open(folder)
    t = db.create_table("t")
    for n in range(5):
        t.insert({"n": n})
    journal = folder / "journal-000000000001.log"
    db._durable._writer.close()  # type: ignore[union-attr]  # stand-in for a crash: the file stays as is
    db._durable._lock.release()  # type: ignore[union-attr]
    data = bytearray(journal.read_bytes())
    data[len(data) // 2] ^= 0xFF
    journal.write_bytes(bytes(data))
    listing = {name: (folder / name).read_bytes() for name in files(folder)}
    with pytest.raises(DatabaseFileError, match="offset") as raised:
        DictDB.open(folder)
    assert raised.value.path == str(journal.resolve())
    assert {name: (folder / name).read_bytes() for name in files(folder)} == listing
    with pytest.raises(DatabaseFileError):  # the refused open released the folder: the same answer again
        DictDB.open(folder)


def test_a_torn_last_frame_is_dropped_with_a_warning(folder: Path, warnings_logged: list[str]) -> None:
    db = DictDB.open(folder)
    t = db.create_table("t")
    t.insert({"n": 1})
    t.insert({"n": 2})
    db._durable._writer.close()  # type: ignore[union-attr]
    db._durable._lock.release()  # type: ignore[union-attr]
    journal = folder / "journal-000000000001.log"
    journal.write_bytes(journal.read_bytes()[:-3])
    with DictDB.open(folder) as again:
        assert again.get_table("t").select() == [{"n": 1, "id": 1}]
        again.get_table("t").insert({"n": 3})
    assert any("torn" in line for line in warnings_logged)
    with DictDB.open(folder) as again:
        assert [r["n"] for r in again.get_table("t").select()] == [1, 3]


def test_save_backups_and_exports_work_on_an_opened_database(folder: Path, tmp_path: Path) -> None:
    from dictdb import BackupManager

    with DictDB.open(folder) as db:
        sample_db(db)
        db.save(tmp_path / "copy.json", "json")
        assert_same_db(db, DictDB.load(tmp_path / "copy.json", "json"))
        manager = BackupManager(db, tmp_path / "backups", incremental=True)
        manager.backup_now()
        db.get_table("keyed").insert({"code": "z"})
        manager.backup_now()
        assert_same_db(db, BackupManager.restore(tmp_path / "backups"))
        assert db.get_table("keyed").export_jsonl(tmp_path / "k.jsonl") == 4


def test_an_import_is_one_commit_and_a_failed_one_leaves_nothing(folder: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id,name\n1,ada\n2,bob\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,ada\n1,again\n")
    db = DictDB.open(folder)
    journal = folder / "journal-000000000001.log"
    before = journal.stat().st_size
    assert db.import_csv(good, "people") == 2
    grown = journal.stat().st_size
    with pytest.raises(DuplicateKeyError):
        db.import_csv(bad, "others")
    assert journal.stat().st_size == grown > before
    assert list(db.tables) == ["people"]
    recovered = crash_image(db, tmp_path / "image")
    assert recovered.get_table("people").all() == [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]
    assert list(recovered.tables) == ["people"]
    recovered.close()
    db.close()


def test_async_save_works_on_an_opened_database(folder: Path, tmp_path: Path) -> None:
    import asyncio

    with DictDB.open(folder) as db:
        sample_db(db)
        asyncio.run(db.async_save(tmp_path / "copy.pickle", "pickle"))
        assert_same_db(db, DictDB.load(tmp_path / "copy.pickle", "pickle"))


def test_a_journal_that_breaks_the_rules_refuses_to_open(folder: Path) -> None:
    from dictdb.storage.files.journal import JournalWriter

    with DictDB.open(folder) as db:
        db.create_table("typed", schema={"n": int})
    journal = folder / "journal-000000000002.log"
    writer = JournalWriter.reopen(str(journal), 2, journal.stat().st_size, "off")
    writer.append(writer.encode([("put", "typed", [], [{"id": 1, "n": "not an int"}], 2)]))
    writer.close()
    with pytest.raises(DatabaseFileError, match=r"frame #1 cannot be replayed.*expects int"):
        DictDB.open(folder)
    for op in [("put", "missing", [], [], 1), ("explode",), "not a tuple"]:
        journal.unlink()
        writer = JournalWriter(str(journal), 2, "off")
        writer.append(writer.encode([op]))
        writer.close()
        with pytest.raises(DatabaseFileError, match="frame #1 cannot be replayed"):
            DictDB.open(folder)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
def test_a_failed_fsync_in_full_mode_undoes_the_commit(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    db = DictDB.open(folder, sync="full")
    t = db.create_table("t")
    t.create_index("n", "sorted")
    t.insert([{"n": n} for n in range(5)])
    before = snapshot(t)
    size = (folder / "journal-000000000001.log").stat().st_size
    failing = [True]
    real_fsync = journal_module._fsync

    def fsync(fd: int) -> None:
        if failing[0]:
            raise OSError(code, os.strerror(code))
        real_fsync(fd)

    monkeypatch.setattr(journal_module, "_fsync", fsync)
    with pytest.raises(JournalWriteError) as raised:
        t.update({"n": 9}, where=t.n < 2)
    assert raised.value.error.errno == code
    assert snapshot(t) == before
    assert (folder / "journal-000000000001.log").stat().st_size == size  # the frame was cut off again
    failing[0] = False
    t.update({"n": 7}, where=t.n == 4)
    assert_same_db(db, crash_image(db, tmp_path / "image"))
    db.close()


def test_a_full_disk_when_the_journal_is_created_releases_the_folder(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_init = journal_module.JournalWriter.__init__

    def no_space(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(journal_module.JournalWriter, "__init__", no_space)
    with pytest.raises(OSError, match="No space"):
        DictDB.open(folder)
    monkeypatch.setattr(journal_module.JournalWriter, "__init__", real_init)
    with DictDB.open(folder) as db:  # nothing half-made stands in the way, and the lock was released
        db.create_table("t").insert({"x": 1})
    with DictDB.open(folder) as db:
        assert db.get_table("t").all() == [{"x": 1, "id": 1}]


def test_a_journal_of_a_newer_dictdb_or_a_snapshot_it_cannot_read_refuses_to_open(folder: Path) -> None:
    from dictdb.storage.files import frames

    with DictDB.open(folder) as db:
        db.create_table("t").insert({"x": 1})
        db.get_table("t").insert({"x": 2})
    journal = folder / "journal-000000000002.log"
    header = bytearray(frames.header_bytes(2))
    header[16:20] = (frames.JOURNAL_VERSION + 1).to_bytes(4, "little")
    header[28:32] = zlib.crc32(bytes(header[:28])).to_bytes(4, "little")
    journal.write_bytes(bytes(header))
    with pytest.raises(DatabaseFileError, match="newer"):
        DictDB.open(folder)
    journal.write_bytes(frames.header_bytes(2))
    (snap,) = folder.glob("snapshot-*.pickle")
    newer = DictDB()
    newer.create_table("t")
    newer.save(snap, "pickle")
    data = snap.read_bytes().replace(b"version", b"versioX", 1)  # a version this DictDB does not read
    snap.unlink()
    snap = folder / f"snapshot-000000000002-{zlib.crc32(data):08x}.pickle"
    snap.write_bytes(data)
    with pytest.raises(DatabaseFileError) as raised:
        DictDB.open(folder)
    assert raised.value.path == str(snap.resolve())


def test_a_damaged_snapshot_refuses_to_open(folder: Path) -> None:
    with DictDB.open(folder) as db:
        db.create_table("t").insert([{"x": n} for n in range(100)])
    (snap,) = folder.glob("snapshot-*.pickle")
    data = bytearray(snap.read_bytes())
    for position in range(0, len(data), max(1, len(data) // 40)):
        data[position] ^= 0x01
        snap.write_bytes(bytes(data))
        with pytest.raises(DatabaseFileError, match="crc32") as raised:
            DictDB.open(folder)
        assert raised.value.path == str(snap.resolve())
        data[position] ^= 0x01
    snap.write_bytes(bytes(data))
    with DictDB.open(folder) as db:
        assert db.get_table("t").count() == 100


def test_a_dropped_table_kept_by_the_caller_no_longer_writes_to_the_folder(
    folder: Path, tmp_path: Path
) -> None:
    db = DictDB.open(folder)
    old = db.create_table("t")
    old.insert({"x": 1})
    db.drop_table("t")
    old.insert({"x": 2})  # an in-memory table now
    new = db.create_table("t")
    new.insert({"y": 1})

    def dropped_then_undone() -> None:
        with db.transaction():
            db.drop_table("t")
            db.create_table("u")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        dropped_then_undone()
    new.insert({"y": 2})  # back in the database: journaled again
    recovered = crash_image(db, tmp_path / "image")
    assert list(recovered.tables) == ["t"]
    assert recovered.get_table("t").all() == [{"y": 1, "id": 1}, {"y": 2, "id": 2}]
    recovered.close()
    db.close()


def test_change_tracking_starts_empty_after_an_open(folder: Path, tmp_path: Path) -> None:
    db = DictDB.open(folder)
    t = db.create_table("t")
    t.insert([{"x": 1}, {"x": 2}])
    db.checkpoint()
    t.update({"x": 3}, where=t.id == 1)
    t.delete(where=t.id == 2)
    recovered = crash_image(db, tmp_path / "image")
    assert not recovered.get_table("t").has_changes()
    recovered.close()
    db.close()


def test_a_transaction_of_every_kind_of_write_replays_as_it_ran(folder: Path, tmp_path: Path) -> None:
    db = DictDB.open(folder)
    t = db.create_table("t")
    t.create_index("v", "sorted")
    t.create_index("k", unique=True)
    t.insert([{"k": n, "v": n % 3} for n in range(10)])
    with db.transaction():
        t.insert({"k": 100, "v": 1})
        t.update({"v": 2}, where=t.k == 100)
        t.delete(where=t.k == 3)
        t.insert({"id": 4, "k": 3, "v": 0})
        t.update({"id": 50}, where=t.k == 5)
        t.update({"v": 9}, where=t.v == 1)
        t.upsert({"id": 7, "v": 5})
        t.delete(where=t.k == 100)
        t.insert({"k": 100, "v": 4})
    recovered = crash_image(db, tmp_path / "image")
    assert_same_db(db, recovered)
    again = recovered.get_table("t")
    assert again.select(where=t.v >= 2, order_by="-v") == t.select(where=t.v >= 2, order_by="-v")
    assert again.select(where=t.k.is_in([3, 5, 100])) == t.select(where=t.k.is_in([3, 5, 100]))
    recovered.close()
    db.close()
