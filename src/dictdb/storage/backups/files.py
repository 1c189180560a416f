"""The files of a backup folder: their names, their listing, and retention (``restore.py`` reads them).

Full backups are ``dictdb_backup_<time>.json`` or ``.pickle`` (database files, docs/persistence.md), deltas
``dictdb_delta_<time>.json`` (``delta.py``). ``<time>`` is the UTC time the backup was taken, as
``YYYYMMDDTHHMMSS_ffffff`` (microseconds): fixed width, so names sort in time order, and ``Stamps`` makes
each one later than every name already in the folder (one microsecond later when the clock has not moved on,
or went back), so they are unique too. Any other file in the folder is ignored.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dictdb.log import Gate

__all__ = ["BackupFile", "Stamps", "delta_name", "full_name", "list_backups", "prune"]

_logs = Gate(__name__)

_STAMP_FORMAT = "%Y%m%dT%H%M%S_%f"
_NAME = re.compile(r"dictdb_(?P<kind>backup|delta)_(?P<stamp>\d{8}T\d{6}_\d{6})\.(?P<format>json|pickle)")


@dataclass(frozen=True, order=True)
class BackupFile:
    """One backup file of a folder; files sort in the order they were written."""

    stamp: str
    #: ``"backup"`` (a full backup) or ``"delta"``; a full sorts before a delta of the same time.
    kind: str
    path: Path = field(compare=False)
    #: ``"json"`` or ``"pickle"``.
    file_format: str = field(compare=False)


def full_name(stamp: str, file_format: str) -> str:
    """The file name of a full backup taken at ``stamp``.

    Example:
        >>> full_name("20260131T120000_000001", "json")
        'dictdb_backup_20260131T120000_000001.json'
    """
    return f"dictdb_backup_{stamp}.{file_format}"


def delta_name(stamp: str) -> str:
    """The file name of a delta taken at ``stamp``.

    Example:
        >>> delta_name("20260131T120000_000001")
        'dictdb_delta_20260131T120000_000001.json'
    """
    return f"dictdb_delta_{stamp}.json"


def list_backups(folder: str | os.PathLike[str]) -> list[BackupFile]:
    """The backup files in ``folder``, oldest first (deltas are JSON only: a ``.pickle`` one is not ours).

    One pass over the folder, which is not a snapshot of it: while files are added or deleted, the listing
    may hold a later file without an earlier one, or a file already deleted (``restore.py`` lists again).

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("dictdb_delta_20260131T120000_000002.json", "notes.txt",
        ...              "dictdb_backup_20260131T120000_000001.pickle"):
        ...     _ = (folder / name).write_text("")
        >>> [(f.kind, f.file_format) for f in list_backups(folder)]
        [('backup', 'pickle'), ('delta', 'json')]
    """
    found = []
    for entry in os.scandir(folder):
        match = _NAME.fullmatch(entry.name)
        if match is None or (match["kind"] == "delta" and match["format"] != "json"):
            continue
        found.append(BackupFile(match["stamp"], match["kind"], Path(entry.path), match["format"]))
    return sorted(found)


class Stamps:
    """Times for backup names: each later than the one before and than every backup already in the folder.

    Example:
        >>> import tempfile
        >>> stamps = Stamps(tempfile.mkdtemp())
        >>> first, second = stamps.next(), stamps.next()
        >>> len(first), first < second
        (22, True)
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        newest = max((found.stamp for found in list_backups(folder)), default=None)
        self._last = None if newest is None else _parse_stamp(newest)

    def next(self) -> str:
        """A new stamp: now in UTC, or one microsecond after the last one when that is not earlier."""
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        if self._last is not None and now <= self._last:
            now = self._last + dt.timedelta(microseconds=1)
        self._last = now
        return now.strftime(_STAMP_FORMAT)


def _parse_stamp(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, _STAMP_FORMAT)


def prune(folder: str | os.PathLike[str], keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` full backups of ``folder``, and the deltas older than the oldest
    full backup kept (they can only follow a deleted one); returns the files deleted.

    A restore reads the newest full backup and the deltas after it: those are never deleted. It runs only
    once the new full backup is durable (the atomic writer has fsynced it and its folder), and deletes the
    newest files first, each chain's deltas before its full backup: at every moment each chain left in the
    folder is a full backup and its first deltas, so a restore that lists the folder meanwhile still finds a
    complete chain.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> folder = Path(tempfile.mkdtemp())
        >>> for kind, day in [("backup", 1), ("delta", 1), ("backup", 2), ("delta", 2)]:
        ...     stamp = f"2026010{day}T00000{kind == 'delta':d}_000000"
        ...     _ = (folder / f"dictdb_{kind}_{stamp}.json").write_text("")
        >>> [path.name for path in prune(folder, keep=1)]
        ['dictdb_backup_20260101T000000_000000.json', 'dictdb_delta_20260101T000001_000000.json']
    """
    if keep < 1:
        raise ValueError(
            f"keep must be at least 1 (the newest full backup is what a restore needs), not {keep}"
        )
    files = list_backups(folder)
    fulls = [found for found in files if found.kind == "backup"]
    if len(fulls) <= keep:
        return []
    oldest_kept = fulls[-keep]
    deleted = []
    for found in reversed([found for found in files if found < oldest_kept]):
        try:
            os.remove(found.path)
        except FileNotFoundError:
            continue  # deleted by someone else meanwhile: the goal is reached
        except OSError as exc:
            # Retention is housekeeping: the backup that triggered it succeeded, the next one retries.
            _logs.warning("dictdb backup retention: cannot delete {}: {}", found.path, exc)
            continue
        deleted.append(found.path)
    return deleted[::-1]
