"""The atomic writer: the new content replaces the file whole, and a failure at any step leaves the old
file byte-identical and no temp file behind."""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from dictdb.storage.files import atomic
from dictdb.storage.files.atomic import atomic_write
from tests.support.faults import STEPS, inject_fault, temp_files

OLD = b'{"old": "content"}\n'


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "db.json"
    path.write_bytes(OLD)
    return path


def test_replaces_the_file_and_leaves_no_temp(target: Path) -> None:
    with atomic_write(target) as f:
        f.write("new ")
        f.write("content")
    assert target.read_text() == "new content"
    assert temp_files(target.parent) == []


def test_creates_a_new_file(tmp_path: Path) -> None:
    with atomic_write(str(tmp_path / "new.bin"), "wb") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "new.bin").read_bytes() == b"\x00\x01"


def test_the_temp_file_is_beside_the_target_until_the_end(target: Path) -> None:
    with atomic_write(target) as f:
        f.write("x")
        [temp] = temp_files(target.parent)
        assert temp.startswith(".db.json.")
        assert target.read_bytes() == OLD  # not touched yet
    assert temp_files(target.parent) == []


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_any_step_leaves_the_old_file_and_no_temp(
    target: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    inject_fault(monkeypatch, step)
    with pytest.raises(OSError, match="No space left") as caught, atomic_write(target) as f:
        f.write("new content that must not appear")
    assert caught.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert temp_files(target.parent) == []


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_when_there_was_no_file_leaves_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    inject_fault(monkeypatch, step)
    with pytest.raises(OSError, match="No space"), atomic_write(tmp_path / "db.json") as f:
        f.write("x")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("error", [ValueError("bad data"), KeyboardInterrupt()])
def test_an_error_in_the_block_leaves_the_old_file(target: Path, error: BaseException) -> None:
    def write_half_then_fail() -> None:
        with atomic_write(target) as f:
            f.write("half")
            raise error

    with pytest.raises(type(error)):
        write_half_then_fail()
    assert target.read_bytes() == OLD
    assert temp_files(target.parent) == []


def test_the_file_is_fsynced_before_the_rename_and_the_folder_after(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(*args: Any) -> None:
        events.append("replace")
        real_replace(*args)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(atomic, "_F_FULLFSYNC", None)  # macOS: use os.fsync, recorded above
    with atomic_write(target) as f:
        f.write("new")
    expected = (
        ["fsync file", "replace"] if sys.platform == "win32" else ["fsync file", "replace", "fsync folder"]
    )
    assert events == expected


def test_a_folder_fsync_error_is_raised_after_the_new_file_is_in_place(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "I/O error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(atomic, "_WINDOWS", False)
    with pytest.raises(OSError, match="I/O error"), atomic_write(target) as f:
        f.write("new")
    assert target.read_text() == "new"
    assert temp_files(target.parent) == []


def test_a_file_system_that_cannot_fsync_a_folder_is_fine(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(atomic, "_WINDOWS", False)
    with atomic_write(target) as f:
        f.write("new")
    assert target.read_text() == "new"


def test_windows_retries_the_rename_while_the_target_is_held_open(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[int] = []
    real_replace = os.replace
    slept: list[float] = []

    def replace(src: str, dst: str) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise PermissionError(errno.EACCES, "The process cannot access the file")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(atomic, "_WINDOWS", True)
    monkeypatch.setattr(atomic.time, "sleep", slept.append)
    with atomic_write(target) as f:
        f.write("new")
    assert target.read_text() == "new"
    assert len(attempts) == 3
    assert slept == list(atomic._REPLACE_RETRY_DELAYS[:2])


def test_windows_gives_up_after_the_bounded_retries(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[int] = []

    def replace(src: str, dst: str) -> None:
        attempts.append(1)
        raise PermissionError(errno.EACCES, "The process cannot access the file")

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(atomic, "_WINDOWS", True)
    monkeypatch.setattr(atomic.time, "sleep", lambda seconds: None)
    with pytest.raises(PermissionError), atomic_write(target) as f:
        f.write("new")
    assert len(attempts) == len(atomic._REPLACE_RETRY_DELAYS) + 1
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert temp_files(target.parent) == []


def test_elsewhere_a_permission_error_is_not_retried(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[int] = []

    def replace(src: str, dst: str) -> None:
        attempts.append(1)
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(atomic, "_WINDOWS", False)
    with pytest.raises(PermissionError), atomic_write(target) as f:
        f.write("new")
    assert attempts == [1]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_the_target_keeps_its_permission_bits(target: Path) -> None:
    target.chmod(0o600)
    with atomic_write(target) as f:
        f.write("secret")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_a_new_file_gets_the_umask_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "new.txt") as f:
            f.write("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_symlink_is_followed_and_kept(target: Path) -> None:
    link = target.parent / "link.json"
    link.symlink_to(target)
    with atomic_write(link) as f:
        f.write("through the link")
    assert link.is_symlink()
    assert target.read_text() == "through the link"


def test_a_missing_folder_raises_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), atomic_write(tmp_path / "nope" / "db.json") as f:
        f.write("x")
    assert os.listdir(tmp_path) == []


def test_dot_dot_after_a_missing_folder_raises_as_open_does(tmp_path: Path) -> None:
    path = tmp_path / "nope" / ".." / "db.json"
    with pytest.raises(FileNotFoundError):
        open(path, "w")  # noqa: SIM115 - it raises: what the writer must match
    with pytest.raises(FileNotFoundError), atomic_write(path) as f:
        f.write("x")
    assert os.listdir(tmp_path) == []
    (tmp_path / "sub").mkdir()
    with atomic_write(tmp_path / "sub" / ".." / "db.json") as f:  # an existing folder: ".." as open has it
        f.write("x")
    assert sorted(os.listdir(tmp_path)) == ["db.json", "sub"]


def test_a_long_name_still_gets_a_valid_temp_name(tmp_path: Path) -> None:
    name = "n" * 250 + ".json"
    with atomic_write(tmp_path / name) as f:
        f.write("x")
    assert (tmp_path / name).read_text() == "x"


def test_only_whole_file_modes_are_accepted(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode must be"):
        atomic_write(tmp_path / "x", "a")  # type: ignore[call-overload]
    assert os.listdir(tmp_path) == []


def test_text_mode_options_are_passed_through(tmp_path: Path) -> None:
    with atomic_write(tmp_path / "x.csv", "w", encoding="latin-1", newline="") as f:
        f.write("é\r\n")
    assert (tmp_path / "x.csv").read_bytes() == b"\xe9\r\n"
