"""The atomic writer: every file the library writes goes through ``atomic_write``.

The new content goes to a temp file in the target's folder (a rename is atomic only within one file
system), which is flushed and fsynced, then renamed over the target with ``os.replace``, and the folder is
fsynced so the rename itself is durable. Readers see the old file or the new one, never a mix; a failure
at any step before the rename leaves the old file as it was and removes the temp file.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from types import ModuleType
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

_fcntl: ModuleType | None
try:
    import fcntl as _fcntl
except ImportError:  # Windows
    _fcntl = None

__all__ = ["TEMP_SUFFIX", "atomic_write"]

#: Temp files are ``.<target name>.<random>.dictdb-tmp`` in the target's folder: hidden on POSIX, and
#: recognisable, since a process killed mid-write (SIGKILL, power loss) leaves one behind.
TEMP_SUFFIX = ".dictdb-tmp"

_WINDOWS = os.name == "nt"

#: On macOS plain fsync stops at the drive's cache; F_FULLFSYNC does not (it is sqlite's fullfsync).
_F_FULLFSYNC: int | None = getattr(_fcntl, "F_FULLFSYNC", None)

#: Windows refuses to replace a file that another process holds open without delete sharing (a virus
#: scanner, a search indexer, a reader): that is a PermissionError which usually clears within a second.
#: Pauses between the attempts, in seconds (about 2 s in all); the last failure is raised.
_REPLACE_RETRY_DELAYS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)

#: Folder fsync errors that mean "this system cannot fsync a folder", not "the data is not safe" (EBADF:
#: some systems refuse fsync on a descriptor opened read-only, the only way to open a folder).
_FSYNC_UNSUPPORTED = {errno.EINVAL, errno.EBADF} | {
    getattr(errno, name) for name in ("ENOTSUP", "EOPNOTSUPP") if hasattr(errno, name)
}

# Names longer than this are cut in the temp name, so the temp name stays under NAME_MAX (255).
_MAX_TEMP_STEM = 200


@overload
def atomic_write(
    path: str | os.PathLike[str],
    mode: Literal["wb"],
    *,
    encoding: None = None,
    newline: None = None,
) -> AbstractContextManager[BinaryIO]: ...


@overload
def atomic_write(
    path: str | os.PathLike[str],
    mode: Literal["w", "wt"] = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
) -> AbstractContextManager[TextIO]: ...


def atomic_write(
    path: str | os.PathLike[str],
    mode: Literal["w", "wt", "wb"] = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
) -> AbstractContextManager[IO[Any]]:
    """A context manager that yields a file object whose content replaces ``path`` atomically on exit.

    ``mode``, ``encoding`` and ``newline`` mean what they mean for ``open`` (``encoding`` is ignored in
    ``"wb"``). When the block and the writing succeed, the file is flushed, fsynced, renamed over ``path``
    and the folder fsynced. When anything fails (the block raises, the disk is full, the rename is
    refused), ``path`` is left exactly as it was and the temp file is removed; the error propagates.

    A symlink at ``path`` is followed: the file it points to is replaced. A folder of ``path`` that does not
    exist raises ``FileNotFoundError`` as ``open`` does, ``"missing/../name"`` included. An existing target's
    permission bits are kept; a new file gets the usual ones (``0o666`` less the umask).

    Example:
        >>> import os, tempfile
        >>> from dictdb.storage.files.atomic import atomic_write
        >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
        >>> with atomic_write(target) as f:
        ...     _ = f.write("all or nothing")
        >>> open(target).read()
        'all or nothing'
    """
    if mode not in ("w", "wt", "wb"):
        raise ValueError(f"atomic_write writes whole files: mode must be 'w', 'wt' or 'wb', not {mode!r}")
    return _atomic_write(path, mode, encoding if mode != "wb" else None, newline)


@contextmanager
def _atomic_write(
    path: str | os.PathLike[str], mode: str, encoding: str | None, newline: str | None
) -> Iterator[IO[Any]]:
    given = os.fspath(path)
    # realpath applies ".." to the text of a folder that may not exist; the system looks each folder up
    # first, so open("missing/../f") fails. Refuse what open would, rather than write somewhere else.
    if not os.path.isdir(os.path.dirname(given) or os.curdir):
        raise FileNotFoundError(errno.ENOENT, "no such folder to write the file in", given)
    target = os.path.realpath(given)
    folder = os.path.dirname(target)
    fd, temp = _create_temp(folder, os.path.basename(target))
    try:
        try:
            out = os.fdopen(fd, mode, encoding=encoding, newline=newline)
        except BaseException:
            os.close(fd)
            raise
        with out:
            yield out
            out.flush()
            _fsync(out.fileno())
        _keep_mode(target, temp)
        _replace(temp, target)
    except BaseException:
        _remove_quietly(temp)
        raise
    # After the rename the new content is in place; this makes the rename itself survive a power loss.
    _fsync_folder(folder)


def _create_temp(folder: str, name: str) -> tuple[int, str]:
    """Create and open a new temp file beside the target; ``O_EXCL`` so two writers never share one."""
    stem = name[:_MAX_TEMP_STEM]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp = os.path.join(folder, f".{stem}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not create a unique temp file", folder)


def _fsync(fd: int) -> None:
    """Push the file's data to the disk: F_FULLFSYNC where it exists and works, else fsync."""
    if _fcntl is not None and _F_FULLFSYNC is not None:
        try:
            _fcntl.fcntl(fd, _F_FULLFSYNC)
            return
        except OSError:
            pass  # not supported by this file system: plain fsync below
    os.fsync(fd)


def _keep_mode(target: str, temp: str) -> None:
    """Give the temp file the target's permission bits, so replacing a 0600 file keeps it private. A file
    system without permission bits (FAT, some network shares) refuses chmod: not a reason to fail a save."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    with suppress(OSError):
        os.chmod(temp, mode)


def _replace(temp: str, target: str) -> None:
    """``os.replace``, retried for a while on Windows when the target is held open by another process."""
    if _WINDOWS:
        for delay in _REPLACE_RETRY_DELAYS:
            try:
                os.replace(temp, target)
                return
            except PermissionError:
                time.sleep(delay)
    os.replace(temp, target)


def _fsync_folder(folder: str) -> None:
    """Make the rename durable. Windows cannot open a folder for this (NTFS journals the rename), and
    some file systems refuse it; both are fine. Any other error is raised: the new file is in place, but
    a power loss could still undo the rename."""
    if _WINDOWS:
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def _remove_quietly(temp: str) -> None:
    # Cleanup after a failure must not hide the failure itself.
    with suppress(OSError):
        os.remove(temp)
