"""Restoring a backup folder: the newest full backup, then the deltas that follow it, read from a folder
that a live manager (in this process or another) may be writing to at the same time.

A listing of a folder is not a snapshot of it: taken while a manager adds or prunes files, it may hold a
later file without an earlier one (a delta without its full backup or without the delta before it), or a
file deleted before it is read. The manager's own order keeps every folder state complete (each file is
written to a temp file, fsynced and renamed into place; retention deletes the newest old files first, and
only once the new full backup is durable), so such a defect is a torn listing and a new listing mends it.
A restore therefore lists again, after a short pause, until a listing gives a complete chain. A defect that
comes back the same in ``_PERSISTS`` listings in a row is the folder's own (a delta deleted by hand, a file
of another manager's chain) and raises; so does a corrupt file, at once: every file is renamed into place
whole, so a corrupt one is not a write in progress. A folder that changes under every one of the
``_ATTEMPTS`` listings restores the newest complete chain a listing showed (a full backup and its first
deltas: the state of a backup that was written), and logs a warning.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError
from dictdb.log import Gate
from dictdb.storage.backups import delta
from dictdb.storage.backups.files import BackupFile, list_backups
from dictdb.storage.files import persistence, snapshot
from dictdb.storage.tables import DB

__all__ = ["restore_folder"]

_logs = Gate(__name__)

#: Listings a restore takes at most before it settles for the newest complete chain it saw.
_ATTEMPTS = 12
#: Listings in a row with the same defect that make it the folder's own, not a write in progress.
_PERSISTS = 3
#: Pause after the first torn listing, doubled after each one, up to ``_MAX_PAUSE`` (about 0.3 s in all).
_FIRST_PAUSE = 0.001
_MAX_PAUSE = 0.05


@dataclass
class _Outcome:
    """What one listing gave: the state of the longest complete chain read (``None`` when its full backup
    could not be read), its length, and the defect that stopped it (``None``: the whole chain)."""

    base: BackupFile | None
    state: delta.Restoring | None
    length: int
    defect: DatabaseFileError | None

    def rank(self) -> tuple[str, int]:
        """Newer chains rank higher, and longer ones of one full backup."""
        return ("" if self.base is None else self.base.stamp, self.length)


def restore_folder(folder: str | os.PathLike[str], factory: Callable[[], DB]) -> DB:
    """A new database made by ``factory()``: the newest full backup in ``folder``, then the deltas that
    follow it, in order, from a listing that shows them all (see the module's docstring).

    ``DatabaseFileNotFoundError`` when the folder does not exist or holds no full backup;
    ``DatabaseFileError`` naming the file when a backup is unreadable or the deltas do not form a chain (one
    is missing, or one follows another full backup).

    Example:
        >>> import tempfile
        >>> from dictdb import DictDB
        >>> restore_folder(tempfile.mkdtemp(), DictDB)
        Traceback (most recent call last):
        ...
        dictdb.exceptions.DatabaseFileNotFoundError: cannot load '...': it holds no full backup ...
    """
    if not os.path.isdir(folder):
        raise DatabaseFileNotFoundError(folder, "no such backup folder")
    best: _Outcome | None = None  # the newest complete chain a listing showed, for the last resort
    last_key: tuple[str, str, str] | None = None
    repeats = 0
    pause = _FIRST_PAUSE
    for attempt in range(_ATTEMPTS):
        outcome = _read_chain(folder)
        defect = outcome.defect
        if defect is None and outcome.state is not None:
            return snapshot.restore(outcome.state.snapshot(), factory, folder)
        # A state is missing only when the full backup could not be read, which is a defect.
        assert defect is not None
        last = defect
        key = (type(last).__name__, last.path, last.reason)
        repeats = repeats + 1 if key == last_key else 1
        last_key = key
        if repeats >= _PERSISTS:
            raise last
        if outcome.state is not None and (best is None or outcome.rank() > best.rank()):
            best = outcome
        if attempt + 1 < _ATTEMPTS:
            time.sleep(pause)
            pause = min(2 * pause, _MAX_PAUSE)
    if best is None or best.state is None or best.base is None:
        raise last
    _logs.warning(
        "dictdb restore of {}: the folder changed under each of {} listings; restored the newest complete "
        "chain seen ({} and its first {} deltas); the last listing broke off at: {}",
        folder,
        _ATTEMPTS,
        best.base.path.name,
        best.length,
        last,
    )
    return snapshot.restore(best.state.snapshot(), factory, folder)


def _read_chain(folder: str | os.PathLike[str]) -> _Outcome:
    """List ``folder`` once and read the newest full backup and its deltas, as far as they form a chain.
    Raises at once what no write in progress explains (a corrupt file, a delta that does not fit)."""
    try:
        files = list_backups(folder)
    except FileNotFoundError:
        raise DatabaseFileNotFoundError(folder, "no such backup folder") from None
    fulls = [found for found in files if found.kind == "backup"]
    if not fulls:
        reason = "it holds no full backup (a file named dictdb_backup_<time>.json or .pickle) to restore from"
        return _Outcome(None, None, 0, DatabaseFileNotFoundError(folder, reason))
    base = fulls[-1]
    try:
        full = persistence.read_snapshot(base.path, base.file_format)
    except DatabaseFileNotFoundError as exc:  # deleted since the listing: retention after a newer one
        return _Outcome(base, None, 0, exc)
    state = delta.Restoring(full, base.path)
    read, defect = _read_deltas(base, [found for found in files if found.kind == "delta" and found > base])
    chain, broken = _link(base, read)
    for path, change in chain:
        state.apply(change, path)
    return _Outcome(base, state, len(chain), defect or broken)


def _read_deltas(
    base: BackupFile, deltas: list[BackupFile]
) -> tuple[list[tuple[Path, delta.Delta]], DatabaseFileError | None]:
    """The deltas of ``base``'s chain, read in the order they were written, up to one deleted since the
    listing; and the first defect: that deletion, or a delta that follows another full backup."""
    read: list[tuple[Path, delta.Delta]] = []
    defect: DatabaseFileError | None = None
    for found in deltas:
        try:
            change = delta.read_delta(found.path)
        except DatabaseFileNotFoundError as exc:
            return read, defect or exc
        if change.base != base.path.name:
            if defect is None:
                reason = (
                    f"it follows the full backup {change.base!r}, not {base.path.name!r}, the newest one in "
                    "the folder: move the files that do not belong to one chain of backups out of the folder"
                )
                defect = DatabaseFileError(found.path, reason)
            continue
        read.append((found.path, change))
    return read, defect


def _link(
    base: BackupFile, read: list[tuple[Path, delta.Delta]]
) -> tuple[list[tuple[Path, delta.Delta]], DatabaseFileError | None]:
    """The chain of deltas to apply on ``base``, in order: #1, then each next one that follows the one
    before; and the defect where it breaks off (``None`` when every delta read is in it or was superseded).

    Two deltas with one sequence number come from a delta that failed and whose file could not be removed,
    then the one that replaced it, which holds everything the failed one did: the later one is taken, unless
    the next delta names the other as the one it follows."""
    by_sequence: dict[int, list[tuple[Path, delta.Delta]]] = {}
    for path, change in read:
        by_sequence.setdefault(change.sequence, []).append((path, change))
    chain: list[tuple[Path, delta.Delta]] = []
    for expected in range(1, len(by_sequence) + 2):
        candidates = by_sequence.get(expected)
        if candidates is None:
            later = [sequence for sequence in by_sequence if sequence > expected]
            if not later:
                return chain, None
            path = by_sequence[min(later)][0][0]
            reason = (
                f"it is delta #{min(later)} after {base.path.name!r}, but delta #{expected} is missing: the "
                "changes it held cannot be restored"
            )
            return chain, DatabaseFileError(path, reason)
        before = chain[-1][0].name if chain else None
        linked = [one for one in candidates if one[1].previous in (None, before)]
        if not linked:
            path, change = candidates[-1]
            reason = (
                f"it is delta #{expected} after {base.path.name!r} and follows {change.previous!r}, which is "
                "missing: the changes it held cannot be restored"
            )
            return chain, DatabaseFileError(path, reason)
        chain.append(linked[-1])
    return chain, None
