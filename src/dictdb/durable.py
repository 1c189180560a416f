"""``DictDB.open``: a database kept in a folder, a snapshot plus a write-ahead journal.

The folder holds (docs/durability.md describes every byte):

- ``snapshot-<generation>-<crc32>.pickle``: every table at the instant journal generation ``<generation>``
  began (a pickle database file, as ``save`` writes), whose crc32 its name carries: written in full as
  ``snapshot-<generation>.partial``, then renamed, so a snapshot is whole or absent, and checked on open;
- ``journal-<generation>.log``: one checksummed frame per commit since that instant
  (``storage.files.journal``);
- ``lock``: held with ``flock`` (``msvcrt.locking`` on Windows) while the database is open.

Every commit (``Durable.commit``: one write outside a transaction, or a whole transaction) becomes one frame,
written to the OS before the call returns, fsynced before it returns with ``sync="full"``. Opening loads the
newest snapshot and replays every later journal through the tables' own write path (``Table._replay``, the
index upkeep and commit point of a live write), so recovery has no semantics of its own.

A checkpoint takes the snapshot at one instant (the read locks of every table, as ``save`` does, held only to
list the records) and switches to the next journal generation in the same instant; it writes the snapshot
outside the locks, and deletes the older journal and snapshot only once the new snapshot's rename is
durable. Killed at any point, the folder holds either the old snapshot and every journal after it, or the new
snapshot and its journal: recovery uses the newest complete snapshot and every journal from its generation on.
"""

from __future__ import annotations

import gc
import os
import re
import sys
import threading
import zlib
from collections.abc import Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar

from dictdb.commit import Change, SchemaChange
from dictdb.exceptions import DatabaseFileError, DatabaseLockedError, DictDBError, JournalWriteError
from dictdb.log import Gate
from dictdb.storage.files import document, snapshot
from dictdb.storage.files.atomic import TEMP_SUFFIX, _fsync_folder
from dictdb.storage.files.frames import HEADER_SIZE
from dictdb.storage.files.journal import SYNC_MODES, JournalContent, JournalWriter, read_journal
from dictdb.storage.files.persistence import read_snapshot, write_snapshot
from dictdb.storage.progress import Progress, ProgressOption, reporting

if TYPE_CHECKING:
    from dictdb.database import DictDB

__all__ = ["Durable", "open_database"]

_logs = Gate(__name__)

_SNAPSHOT = re.compile(r"snapshot-(\d+)-([0-9a-f]{8})\.pickle")
_PARTIAL = re.compile(r"snapshot-\d+\.partial")
_JOURNAL = re.compile(r"journal-(\d+)\.log")
_LOCK_NAME = "lock"

_DB = TypeVar("_DB", bound="DictDB")

# Folders open in this process (real paths): flock alone would let one process open a folder twice on
# systems where a second open file description of the lock file does not conflict.
_open_folders: set[str] = set()
_open_folders_lock = threading.Lock()


def _snapshot_name(generation: int, crc: int) -> str:
    return f"snapshot-{generation:012d}-{crc:08x}.pickle"


def _file_crc(path: str) -> int:
    """The crc32 of a file's bytes, read in blocks."""
    crc = 0
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            crc = zlib.crc32(block, crc)
    return crc


def _journal_name(generation: int) -> str:
    return f"journal-{generation:012d}.log"


class _FolderLock:
    """The folder's lock file, held exclusively from open to close, across processes and in this one."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        with _open_folders_lock:
            if folder in _open_folders:
                raise DatabaseLockedError(folder)
            _open_folders.add(folder)
        try:
            self.fd = os.open(os.path.join(folder, _LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o666)
        except BaseException:
            self._forget()
            raise
        try:
            _lock_file(self.fd)
        except OSError:
            os.close(self.fd)
            self._forget()
            raise DatabaseLockedError(folder) from None

    def release(self) -> None:
        with suppress(OSError):
            _unlock_file(self.fd)
        with suppress(OSError):
            os.close(self.fd)
        self._forget()

    def _forget(self) -> None:
        with _open_folders_lock:
            _open_folders.discard(self.folder)


if sys.platform == "win32":  # pragma: no cover - exercised on the Windows CI only
    import msvcrt

    def _lock_file(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock_file(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class Durable:
    """The journal side of a database opened on a folder: commits, checkpoints, close.

    Tables reach it as ``table._journal`` and the database as ``db._durable``; both are ``None`` for a
    database made with ``DictDB()``, which so pays nothing for durability.
    """

    def __init__(
        self,
        db: DictDB,
        folder: str,
        lock: _FolderLock,
        writer: JournalWriter,
        sync_interval: float,
        checkpoint_bytes: int,
    ) -> None:
        self.db = db
        self.folder = folder
        self.sync = writer.sync_mode
        self._sync_interval = sync_interval
        self._lock = lock
        self._writer = writer
        self._checkpoint_bytes = checkpoint_bytes
        self._closed = False
        # One checkpoint (or close) at a time; commits never take it.
        self._checkpointing = threading.Lock()
        # The automatic checkpoint runs in its own thread, woken when the journal outgrows checkpoint_bytes:
        # a commit holds table locks, and a checkpoint must take the database's first (the lock order).
        self._due = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self._checkpointer_started = threading.Lock()

    @property
    def closed(self) -> bool:
        """True once ``close`` ran: the folder is released and writes raise."""
        return self._closed

    def check_open(self) -> None:
        """``DictDBError`` once the database is closed: it takes no more writes."""
        if self._closed:
            raise DictDBError(
                f"the database in {self.folder!r} is closed: it takes no more writes; open it again with "
                f"DictDB.open({self.folder!r})"
            )

    def commit(self, changes: Sequence[Change | SchemaChange]) -> None:
        """Write ``changes`` (one operation, or a transaction's) to the journal as one frame.

        Raises, with nothing written, ``UnsupportedValueError`` for a value the journal cannot hold,
        ``JournalWriteError`` when the file system refuses the frame or its fsync, and ``DictDBError`` once
        closed; the caller then undoes the changes in memory.
        """
        self.check_open()
        writer = self._writer
        frame = writer.encode([change.journal_op() for change in changes])
        try:
            ticket = writer.append(frame)
            writer.wait_durable(ticket)
        except OSError as exc:
            raise JournalWriteError(writer.path, exc) from exc
        if writer.size > self._checkpoint_bytes:
            self._wake_checkpointer()

    # -- checkpoints ----------------------------------------------------------------------------------------

    def checkpoint(self) -> None:
        """Write a new snapshot of every table and start an empty journal (``DictDB.checkpoint``)."""
        self._refuse_inside_transaction("checkpoint()")
        with self._checkpointing:
            self.check_open()
            self._checkpoint()

    def _refuse_inside_transaction(self, what: str) -> None:
        """Checked before taking ``_checkpointing``: an automatic checkpoint may hold it while it waits for
        the locks this thread's transaction holds."""
        active = self.db._active_transaction
        if active is not None and active._owner == threading.get_ident():
            raise DictDBError(
                f"{what} inside a transaction would save writes that may still be rolled back; call it after "
                "the with block"
            )

    def _checkpoint(self) -> None:
        db = self.db
        old = self._writer
        generation = old.generation + 1
        with db._hold_all(write=False):
            taken = snapshot.take(db)
            # Durable before the next journal takes a frame: else a power loss could keep a later commit in
            # the new journal and lose an earlier one in this one, a hole recovery could not see.
            old.sync()
            new = JournalWriter(
                os.path.join(self.folder, _journal_name(generation)),
                generation,
                self.sync,
                self._sync_interval,
            )
            self._writer = new
        old.close()
        partial = os.path.join(self.folder, f"snapshot-{generation:012d}.partial")
        write_snapshot(taken, partial, "pickle")
        # Named with its checksum only once whole: open finds a complete snapshot, or none of this generation.
        os.replace(partial, os.path.join(self.folder, _snapshot_name(generation, _file_crc(partial))))
        _fsync_folder(self.folder)
        # The new snapshot's rename is durable: older files can go.
        _remove_older(self.folder, generation)
        _logs.event("checkpoint", None, len(taken.tables), {"path": self.folder, "generation": generation})

    def _wake_checkpointer(self) -> None:
        with self._checkpointer_started:  # two tables' commits may both find the journal too big
            if self._checkpointer is None:
                self._checkpointer = threading.Thread(
                    target=self._run_checkpointer, name="dictdb-checkpoint", daemon=True
                )
                self._checkpointer.start()
        self._due.set()

    def _run_checkpointer(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._closed:
                return
            try:
                with self._checkpointing:
                    if self._closed:
                        return
                    if self._writer.size > self._checkpoint_bytes:
                        self._checkpoint()
            except Exception:  # the journal still holds every commit; the next commit tries again
                _logs.exception("dictdb: the automatic checkpoint of {} failed", self.folder)

    # -- close --------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Checkpoint, fsync and release the folder; harmless when closed already."""
        if not self._closed:
            self._refuse_inside_transaction("close()")
        with self._checkpointing:
            if self._closed:
                return
            try:
                if self._writer.size > HEADER_SIZE:  # commits since the last snapshot
                    self._checkpoint()
            finally:
                self._closed = True
                try:
                    self._writer.close()
                finally:
                    self._lock.release()
                    self._due.set()  # the checkpointer wakes, sees the database closed, and ends
        if self._checkpointer is not None and self._checkpointer is not threading.current_thread():
            self._checkpointer.join()
        _logs.event("close", None, None, {"path": self.folder})


def _remove_older(folder: str, generation: int) -> None:
    """Remove the snapshots and journals older than ``generation``, and temp files of interrupted writes."""
    for name in os.listdir(folder):
        found = _SNAPSHOT.fullmatch(name) or _JOURNAL.fullmatch(name)
        stale = found is not None and int(found.group(1)) < generation
        unfinished = _PARTIAL.fullmatch(name) or (
            name.startswith(".snapshot-") and name.endswith(TEMP_SUFFIX)
        )
        if stale or unfinished:
            with suppress(FileNotFoundError):
                os.remove(os.path.join(folder, name))


# -- open and recovery ------------------------------------------------------------------------------------


def open_database(
    factory: type[_DB],
    path: str | os.PathLike[str],
    sync: str,
    sync_interval: float,
    checkpoint_bytes: int,
    progress: ProgressOption = None,
) -> _DB:
    """``DictDB.open``: the database kept in the folder ``path`` (created if missing), recovered;
    ``progress`` counts the bytes of the snapshot and journal files read and replayed."""
    if sync not in SYNC_MODES:
        raise ValueError(f"sync must be 'full', 'normal' or 'off', not {sync!r}")
    if (
        not isinstance(sync_interval, (int, float))
        or isinstance(sync_interval, bool)
        or not sync_interval > 0
    ):
        raise ValueError(f"sync_interval must be a positive number of seconds, not {sync_interval!r}")
    if not isinstance(checkpoint_bytes, int) or isinstance(checkpoint_bytes, bool) or checkpoint_bytes < 1:
        raise ValueError(f"checkpoint_bytes must be a positive int, not {checkpoint_bytes!r}")
    folder = os.path.realpath(os.fspath(path))
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise DatabaseFileError(folder, "it is a file; DictDB.open takes a folder (created if missing)")
    os.makedirs(folder, exist_ok=True)
    lock = _FolderLock(folder)
    # Recovery makes millions of containers that all live on (records, decoded frames): the cyclic garbage
    # collector would walk them again and again for nothing (half the time of an open, measured).
    collecting = gc.isenabled()
    gc.disable()
    try:
        files = _Files(folder)
        total = files.snapshot_size + files.journal_size
        with reporting(progress, total, "B", f"opening {os.path.basename(folder)}") as count:
            db, writer, frames = _recover(factory, folder, sync, float(sync_interval), count, files)
    except BaseException:
        lock.release()
        raise
    finally:
        if collecting:
            gc.enable()
    durable = Durable(db, folder, lock, writer, float(sync_interval), checkpoint_bytes)
    db._durable = durable
    for table in db.tables.values():
        table._journal = durable
    _logs.event("open", None, len(db.tables), {"path": folder, "frames": frames})
    return db


class _Files:
    """What a folder holds, listed before anything is read: the newest snapshot (its generation, name and
    the crc its name records) and the journals from its generation on, oldest first."""

    def __init__(self, folder: str) -> None:
        snapshots: dict[int, tuple[str, int]] = {}
        journals: list[int] = []
        for name in os.listdir(folder):
            if found := _SNAPSHOT.fullmatch(name):
                snapshots[int(found.group(1))] = (name, int(found.group(2), 16))
            elif found := _JOURNAL.fullmatch(name):
                journals.append(int(found.group(1)))
        self.base = max(snapshots, default=0)
        self.snapshot = snapshots.get(self.base)
        self.later = sorted(generation for generation in journals if generation >= self.base)
        self.journals = [os.path.join(folder, _journal_name(generation)) for generation in self.later]
        self.snapshot_size = _size(os.path.join(folder, self.snapshot[0])) if self.snapshot else 0
        self.journal_size = sum(map(_size, self.journals))


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:  # removed since the listing: reading it says so
        return 0


def _recover(
    factory: type[_DB],
    folder: str,
    sync: str,
    sync_interval: float,
    progress: Progress | None,
    files: _Files,
) -> tuple[_DB, JournalWriter, int]:
    """The database the folder holds, and the journal writer to go on with; the folder is changed only once
    everything has been read and checked (a torn tail cut, files older than the snapshot removed), after
    the last call of ``progress``.

    ``progress`` counts the bytes of the snapshot and the journals, in the order the work goes: half of
    the journals' bytes while they are read, the snapshot's while it is read and its tables built, the
    other half while the journals are replayed."""
    base, later = files.base, files.later
    half = files.journal_size / 2
    total = files.snapshot_size + files.journal_size
    # The shares of the count where reading the journals ends and where replaying them starts.
    read_end, replay_start = (half / total, (half + files.snapshot_size) / total) if total else (0.0, 0.0)
    contents: list[tuple[str, JournalContent]] = []
    for position, journal_path in enumerate(files.journals):
        contents.append((journal_path, read_journal(journal_path, last=position == len(later) - 1)))
        if progress is not None:
            progress.part(0.0, read_end).at(position + 1, len(files.journals))
    if files.snapshot is not None:
        name, expected = files.snapshot
        source = os.path.join(folder, name)
        found_crc = _file_crc(source)
        if found_crc != expected:
            raise DatabaseFileError(
                source,
                f"its crc32 is {found_crc:08x}, not the {expected:08x} its name records: it is damaged",
            )
        part = progress and progress.part(read_end, replay_start)
        read = read_snapshot(source, "pickle", part and part.part(0.0, _READ_SHARE))
        db = snapshot.restore(read, factory, source, part and part.part(_READ_SHARE, 1.0))
    else:
        db = factory()
    frames = 0
    replay = progress and progress.part(replay_start, 1.0)
    frame_total = sum(len(content.payloads) for _, content in contents)
    for journal_path, content in contents:
        payloads = content.payloads
        # A run of frames at a time: the count is looked at between runs, never per frame.
        for start in range(0, len(payloads), _FRAMES):
            run = payloads[start : start + _FRAMES]
            for number, payload in enumerate(run, start + 1):
                _replay_frame(db, payload, journal_path, number)
            if replay is not None:
                replay.at(frames + start + len(run), frame_total)
        frames += len(payloads)
    if progress is not None:
        progress.finish()
    if later:
        journal_path, content = contents[-1]
        writer = JournalWriter.reopen(journal_path, later[-1], content.end, sync, sync_interval)
    else:
        generation = max(base, 1)
        writer = JournalWriter(
            os.path.join(folder, _journal_name(generation)), generation, sync, sync_interval
        )
    _remove_older(folder, base)
    return db, writer, frames


#: Frames replayed between two looks at the clock, when ``DictDB.open`` reports its progress.
_FRAMES = 256

#: Opening: the share of the snapshot's part of the count spent reading it (building the tables is the rest).
_READ_SHARE = 0.7


def _replay_frame(db: DictDB, payload: Any, source: str, number: int) -> None:
    """Apply one frame's operations to ``db``; ``DatabaseFileError`` naming the journal and the frame when
    one cannot be applied (a file that was edited, or written by a DictDB with other rules)."""
    try:
        _replay_ops(db, payload, source)
    except (DictDBError, LookupError, TypeError, ValueError) as exc:
        if isinstance(exc, DatabaseFileError):
            raise
        raise DatabaseFileError(source, f"frame #{number} cannot be replayed: {exc}") from exc


def _replay_ops(db: DictDB, payload: Any, source: str) -> None:
    """Apply a frame's operations in order, each run of puts on one table as one put when that is the same
    write (a transaction's updates of several records replay as one): a later put of the run may not remove
    a key an earlier one stored. Removing first and then storing every record in order leaves the records,
    their order and the indexes as the puts one by one would."""
    pending: Any = None
    stored: set[Any] = set()
    for op in payload:
        if pending is not None and op[0] == "put" and op[1] == pending[1] and stored.isdisjoint(op[2]):
            pk_field = db.tables[op[1]].primary_key
            stored.update(row[pk_field] for row in op[3])
            pending = ("put", op[1], [*pending[2], *op[2]], [*pending[3], *op[3]], op[4])
            continue
        if pending is not None:
            _replay_op(db, pending, source)
            pending = None
        if op[0] == "put":
            pk_field = db.tables[op[1]].primary_key
            stored = {row[pk_field] for row in op[3]}
            pending = op
        else:
            _replay_op(db, op, source)
    if pending is not None:
        _replay_op(db, pending, source)


def _replay_op(db: DictDB, op: Any, source: str) -> None:
    kind = op[0]
    if kind == "put":
        _, name, removed, written, next_pk = op
        db.tables[name]._replay(removed, written, next_pk)
    elif kind == "create_table":
        _, name, header = op
        settings = document.parse_table(name, {**header, "records": []}, source)
        table = db.create_table(name, primary_key=settings.primary_key, schema=settings.schema)
        table._fill({}, settings.next_pk or 1)
    elif kind == "drop_table":
        db.drop_table(op[1])
    elif kind == "create_index":
        _, name, fields, index_kind, unique = op
        db.tables[name].create_index(fields[0] if len(fields) == 1 else fields, index_kind, unique=unique)
    elif kind == "drop_index":
        _, name, fields = op
        db.tables[name].drop_index(fields[0] if len(fields) == 1 else fields)
    else:
        raise ValueError(f"unknown operation {kind!r}")
