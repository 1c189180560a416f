"""Fault injection for the atomic writer: make one step of a save fail the way a full disk or a busy file
would, and look for the temp files a failure must not leave behind."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from dictdb.storage.files import atomic
from dictdb.storage.files.atomic import TEMP_SUFFIX

#: The steps of an atomic write, in order, up to the rename: a failure in any leaves the old file.
STEPS = ("create", "write", "flush", "fsync", "replace")

#: The last step, after the rename: a failure there is raised with the new file already in place.
FOLDER_FSYNC = "fsync-folder"


def os_error(code: int) -> OSError:
    """The ``OSError`` the system raises for ``code``: ``OSError`` picks the subclass (``EACCES`` makes a
    ``PermissionError``)."""
    return OSError(code, os.strerror(code))


def disk_full() -> OSError:
    return os_error(errno.ENOSPC)


class _FailingFile:
    """Wraps the temp file object; ``write`` puts half the data on disk and then fails, ``flush`` fails."""

    def __init__(self, real: Any, step: str, error: BaseException) -> None:
        self._real = real
        self._step = step
        self._error = error

    def write(self, data: Any) -> int:
        if self._step == "write":
            self._real.write(data[: len(data) // 2])
            self._real.flush()
            raise self._error
        written: int = self._real.write(data)
        return written

    def flush(self) -> None:
        if self._step == "flush":
            raise self._error
        self._real.flush()

    def fileno(self) -> int:
        fd: int = self._real.fileno()
        return fd

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


def inject_fault(monkeypatch: pytest.MonkeyPatch, step: str, error: BaseException | None = None) -> None:
    """Make ``step`` (one of ``STEPS`` or ``FOLDER_FSYNC``) of the atomic writes raise ``error`` (a full disk
    by default), until ``monkeypatch`` is undone."""
    failure = error if error is not None else disk_full()
    real_open, real_fdopen, real_fsync = os.open, os.fdopen, os.fsync

    def fake_open(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            raise failure
        return real_open(path, flags, mode, **kwargs)

    def fake_fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return _FailingFile(real_fdopen(fd, *args, **kwargs), step, failure)

    def fake_fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise failure
        real_fsync(fd)

    def fake_folder_fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise failure
        real_fsync(fd)

    def fake_replace(*args: Any, **kwargs: Any) -> None:
        raise failure

    fakes = {
        "create": ("open", fake_open),
        "fsync": ("fsync", fake_fsync),
        "replace": ("replace", fake_replace),
        FOLDER_FSYNC: ("fsync", fake_folder_fsync),
    }
    name, fake = fakes.get(step, ("fdopen", fake_fdopen))
    monkeypatch.setattr(os, name, fake)
    # On macOS the writer fsyncs with fcntl(F_FULLFSYNC); without it, it calls os.fsync, patched above.
    monkeypatch.setattr(atomic, "_F_FULLFSYNC", None)


def temp_files(folder: Path) -> list[str]:
    """The atomic writer's temp files in ``folder``."""
    return sorted(name for name in os.listdir(folder) if name.endswith(TEMP_SUFFIX))
