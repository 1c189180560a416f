"""The write-ahead journal: one checksummed frame per commit, appended to a file and made durable as asked.

``frames.py`` holds the file format (byte by byte) and the reader; this module holds the writer. It knows
nothing of tables: a commit hands it a payload of plain values, ``encode`` turns it into a frame (or refuses
it before anything is written), ``append`` writes the frame, and ``wait_durable`` waits for the fsync the
sync mode asks for:

- ``"full"``: ``wait_durable`` returns once an fsync that covers the frame succeeded. Threads that wait
  while an fsync runs share the next one (group commit): one of them calls fsync for all of them.
- ``"normal"``: a daemon thread fsyncs at most ``sync_interval`` seconds after a write.
- ``"off"``: fsync only in ``sync()`` and ``close()``.

In every mode ``append`` returns once ``os.write`` has taken the whole frame, so a process that dies after
that loses nothing; the modes differ on a power loss.

A failed write is cut off the file before its error propagates: the journal never holds a frame whose
caller undoes its change. A failed fsync in ``"full"`` mode cuts the file back to the end of the last
durable frame, and every commit past it gets the error (each caller undoes its own change). In
``"normal"`` and ``"off"`` the frames were acknowledged already, so they stay: ``sync()`` and ``close()``
raise the error, the background thread logs it and tries again later.
"""

from __future__ import annotations

import errno
import math
import os
import threading
import weakref
from contextlib import suppress
from typing import Any

from dictdb.log import Gate
from dictdb.storage.files.atomic import _fsync, _fsync_folder
from dictdb.storage.files.frames import (
    HEADER_SIZE,
    JOURNAL_VERSION,
    JournalContent,
    encode_frame,
    header_bytes,
    read_journal,
)

__all__ = ["JOURNAL_VERSION", "SYNC_MODES", "JournalContent", "JournalWriter", "read_journal"]

_logs = Gate(__name__)

SYNC_MODES = ("full", "normal", "off")

_FLAGS = os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0)


class JournalWriter:
    """Appends frames to one journal file: creates ``path`` (which must not exist) with the header of
    ``generation``; ``JournalWriter.reopen`` continues an existing journal instead.

    ``sync`` is ``"full"``, ``"normal"`` or ``"off"`` (see the module docstring); ``sync_interval`` is the
    most seconds ``"normal"`` leaves a write without an fsync. ``append`` is thread-safe.

    Example:
        >>> import os, tempfile
        >>> from dictdb.storage.files.journal import JournalWriter, read_journal
        >>> path = os.path.join(tempfile.mkdtemp(), "journal-1")
        >>> journal = JournalWriter(path, 1, "full")
        >>> ticket = journal.append(journal.encode({"insert": [{"id": 1}]}))
        >>> journal.wait_durable(ticket)
        >>> journal.close()
        >>> read_journal(path, last=True).payloads
        [{'insert': [{'id': 1}]}]
    """

    path: str
    generation: int
    sync_mode: str

    def __init__(
        self, path: str | os.PathLike[str], generation: int, sync: str, sync_interval: float = 1.0
    ) -> None:
        _check_mode(sync, sync_interval)
        header = header_bytes(generation)
        fd = os.open(path, _FLAGS | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            _write_all(fd, header)
        except BaseException:
            os.close(fd)
            # The next attempt creates the file with O_EXCL again.
            with suppress(OSError):
                os.remove(path)
            raise
        self._start(fd, path, generation, HEADER_SIZE, sync, sync_interval)

    @classmethod
    def reopen(
        cls, path: str | os.PathLike[str], generation: int, end: int, sync: str, sync_interval: float = 1.0
    ) -> JournalWriter:
        """A writer that appends to the existing journal ``path`` after its valid content, which ends at
        byte ``end`` (``read_journal``'s ``end``): anything after it, a torn tail, is cut off first. An
        ``end`` inside the header (a torn header) starts the file again with a header of ``generation``.

        Example:
            >>> import os, tempfile
            >>> from dictdb.storage.files.journal import JournalWriter, read_journal
            >>> path = os.path.join(tempfile.mkdtemp(), "journal-1")
            >>> journal = JournalWriter(path, 1, "off")
            >>> _ = journal.append(journal.encode("first"))
            >>> journal.close()
            >>> with open(path, "ab") as f:
            ...     _ = f.write(b"half a frame")
            >>> content = read_journal(path, last=True)
            >>> journal = JournalWriter.reopen(path, content.generation, content.end, "off")
            >>> _ = journal.append(journal.encode("second"))
            >>> journal.close()
            >>> read_journal(path, last=True).payloads
            ['first', 'second']
        """
        _check_mode(sync, sync_interval)
        header = header_bytes(generation)
        fd = os.open(path, _FLAGS)
        try:
            size = os.fstat(fd).st_size
            if not 0 <= end <= size:
                raise ValueError(
                    f"end must be between 0 and the size of {os.fspath(path)!r} ({size}), not {end}"
                )
            if end < HEADER_SIZE:
                os.ftruncate(fd, 0)
                _write_all(fd, header)
                end = HEADER_SIZE
            elif end < size:
                os.ftruncate(fd, end)
            if size != end and sync != "off":
                # Else a power loss could bring the cut tail back under the frames written after it.
                _fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        writer = cls.__new__(cls)
        writer._start(fd, path, generation, end, sync, sync_interval)
        return writer

    def _start(
        self, fd: int, path: str | os.PathLike[str], generation: int, end: int, sync: str, interval: float
    ) -> None:
        self.path = os.fspath(path)
        self.generation = generation
        self.sync_mode = sync
        self._fd = fd
        self._folder = os.path.dirname(os.path.abspath(self.path))
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        #: Bytes in the file (the next frame's offset).
        self._end = end
        # Tickets are offsets plus the bytes that failed fsyncs cut off the file (``_shift``), so a ticket
        # is never reused: a frame written where a lost one was gets a ticket of its own.
        self._shift = 0
        #: Every ticket up to this one is durable, or lost (in ``_lost``).
        self._durable = end
        #: (low, high, errno, message) per failed fsync that lost frames: it lost the tickets in (low, high].
        #: Not the exception itself, whose traceback would keep its callers' frames alive.
        self._lost: list[tuple[int, int, int | None, str | None]] = []
        self._syncing = False
        self._unsynced = True
        # A new file's name is durable only once its folder is fsynced: done with the first fsync.
        self._folder_pending = True
        #: Where the file must be cut back to, when cutting it failed: the writer refuses work until done.
        self._repair_to: int | None = None
        self._closed = False
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._finalizer = weakref.finalize(self, _release, fd, self._stop)
        if sync == "normal":
            # The thread holds the writer weakly, so a writer that is dropped unclosed is still freed.
            self._thread = threading.Thread(
                target=_run_background,
                args=(weakref.ref(self), self._stop, interval),
                name=f"dictdb journal sync {self.path}",
                daemon=True,
            )
            self._thread.start()

    def encode(self, payload: Any) -> bytes:
        """The frame that holds ``payload``; ``UnsupportedValueError`` (and nothing written) when it holds
        a value a journal cannot hold.

        Example:
            >>> import datetime, os, tempfile
            >>> from dictdb.storage.files.journal import JournalWriter
            >>> journal = JournalWriter(os.path.join(tempfile.mkdtemp(), "journal-1"), 1, "off")
            >>> len(journal.encode({"at": datetime.date(2024, 1, 31)})) > 12
            True
            >>> journal.encode({"at": object()})
            Traceback (most recent call last):
            ...
            dictdb.exceptions.UnsupportedValueError: cannot journal a value of type 'object': ...
            >>> journal.close()
        """
        return encode_frame(payload)

    def append(self, frame: bytes) -> int:
        """Write ``frame`` at the end of the journal; returns its ticket for ``wait_durable``.

        The frame has reached the operating system when this returns. On an error (an ``OSError``, or an
        interrupt between two partial writes) the file is cut back to where it was and the error
        propagates. If even that cut fails, every later ``append`` (and ``sync``) tries it again first and
        raises while it still fails.

        Example:
            >>> import os, tempfile
            >>> from dictdb.storage.files.journal import JournalWriter
            >>> journal = JournalWriter(os.path.join(tempfile.mkdtemp(), "journal-1"), 1, "off")
            >>> frame = journal.encode("commit")
            >>> journal.append(frame) == journal.size == 32 + len(frame)
            True
            >>> journal.close()
        """
        with self._lock:
            if self._closed or self._repair_to is not None:
                self._check_open()
                self._repair()
            start = self._end
            try:
                _write_all(self._fd, frame)
            except BaseException:
                self._cut(start)
                raise
            self._end = end = start + len(frame)
            self._unsynced = True
            return end + self._shift

    def wait_durable(self, ticket: int) -> None:
        """In ``"full"`` mode, return once an fsync that covers ``ticket`` (from ``append``) succeeded, or
        raise the ``OSError`` of the fsync that failed it (its frame is then gone from the file). In the
        other modes, return at once.

        Example:
            >>> import os, tempfile
            >>> from dictdb.storage.files.journal import JournalWriter
            >>> journal = JournalWriter(os.path.join(tempfile.mkdtemp(), "journal-1"), 1, "full")
            >>> journal.wait_durable(journal.append(journal.encode("commit")))
            >>> journal.close()
        """
        if self.sync_mode == "full":
            self._sync_through(ticket)

    def sync(self) -> None:
        """fsync the journal now (a checkpoint and ``close`` call it); raises the ``OSError`` of a failed
        fsync.

        Example:
            >>> import os, tempfile
            >>> from dictdb.storage.files.journal import JournalWriter
            >>> journal = JournalWriter(os.path.join(tempfile.mkdtemp(), "journal-1"), 1, "off")
            >>> _ = journal.append(journal.encode("commit"))
            >>> journal.sync()
            >>> journal.close()
        """
        with self._lock:
            self._check_open()
        self._sync_through(None)

    @property
    def size(self) -> int:
        """Bytes in the journal file: the header and every frame appended.

        Example:
            >>> import os, tempfile
            >>> from dictdb.storage.files.journal import JournalWriter
            >>> journal = JournalWriter(os.path.join(tempfile.mkdtemp(), "journal-1"), 1, "off")
            >>> journal.size
            32
            >>> journal.close()
        """
        return self._end

    def close(self) -> None:
        """Stop the background thread, fsync, close the file. A second call does nothing; an fsync error
        is raised, with the file closed all the same.

        Example:
            >>> import os, tempfile
            >>> from dictdb.storage.files.journal import JournalWriter
            >>> journal = JournalWriter(os.path.join(tempfile.mkdtemp(), "journal-1"), 1, "normal")
            >>> journal.close()
            >>> journal.close()
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self._sync_through(None)
        finally:
            self._finalizer()

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"the journal {self.path!r} is closed")

    def _sync_through(self, ticket: int | None) -> None:
        """fsync until ``ticket`` is durable (``None``: one fsync of everything written so far), sharing
        an fsync that another thread is running."""
        with self._cond:
            while True:
                if ticket is not None:
                    self._raise_if_lost(ticket)
                    if ticket <= self._durable:
                        return
                if not self._syncing:
                    break
                self._cond.wait()
            self._repair()
            self._syncing = True
            target = self._end + self._shift
            folder = self._folder_pending
            self._unsynced = False
        try:
            _fsync(self._fd)
            if folder:
                _fsync_folder(self._folder)
        except BaseException as exc:
            with self._cond:
                self._syncing = False
                self._unsynced = True
                if isinstance(exc, OSError) and self.sync_mode == "full":
                    self._drop_undurable(exc)
                self._cond.notify_all()
            raise
        with self._cond:
            self._syncing = False
            self._durable = max(self._durable, target)
            if folder:
                self._folder_pending = False
            self._cond.notify_all()

    def _raise_if_lost(self, ticket: int) -> None:
        for low, high, code, message in self._lost:
            if low < ticket <= high:
                raise OSError(code, message, self.path)

    def _drop_undurable(self, exc: OSError) -> None:
        """After a failed fsync in ``"full"`` mode: cut the frames nothing has made durable off the file and
        fail their tickets (lock held)."""
        end = self._end + self._shift
        if end <= self._durable:
            return
        self._lost.append((self._durable, end, exc.errno, exc.strerror))
        floor = self._durable - self._shift
        self._shift = end - floor
        self._durable = end
        self._cut(floor)

    def _cut(self, offset: int) -> None:
        """Cut the file back to ``offset`` (lock held); if that fails too, remember to retry it."""
        self._end = offset
        try:
            os.ftruncate(self._fd, offset)
        except OSError as exc:
            self._repair_to = offset
            _logs.error(
                "journal {path}: cannot cut a failed write off the file ({error}); writes fail until it can",
                path=self.path,
                error=exc,
                op="journal_cut",
                table=None,
                count=None,
            )

    def _repair(self) -> None:
        """Retry the cut that failed, if one did (lock held): raises while it still fails."""
        if self._repair_to is None:
            return
        try:
            os.ftruncate(self._fd, self._repair_to)
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"the journal still holds the bytes of a failed write and cannot cut them ({exc.strerror})",
                self.path,
            ) from exc
        self._repair_to = None

    def _background_sync(self) -> None:
        """One tick of ``"normal"`` mode's thread: fsync if anything was written since the last fsync."""
        with self._lock:
            if self._closed or not self._unsynced:
                return
        try:
            self._sync_through(None)
        except OSError as exc:
            _logs.error(
                "journal {path}: background fsync failed ({error}); the commits since the last fsync may "
                "not survive a power loss until one succeeds (retried every {interval} s) or a checkpoint",
                path=self.path,
                error=exc,
                interval=self._interval,
                op="journal_sync",
                table=None,
                count=None,
            )


def _check_mode(sync: str, sync_interval: float) -> None:
    if sync not in SYNC_MODES:
        raise ValueError(f"sync must be 'full', 'normal' or 'off', not {sync!r}")
    if (
        isinstance(sync_interval, bool)
        or not isinstance(sync_interval, (int, float))
        or not (0 < sync_interval < math.inf)
    ):
        raise ValueError(f"sync_interval must be a number of seconds > 0, not {sync_interval!r}")


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until all of ``data`` is written: a write may take only a part (a signal, a full disk)."""
    written = os.write(fd, data)
    if written == len(data):
        return
    view = memoryview(data)[written:]
    while view:
        written = os.write(fd, view)
        if written == 0:  # no error, yet no progress: retrying would spin forever
            raise OSError(errno.EIO, "the system wrote 0 bytes of a journal frame")
        view = view[written:]


def _run_background(ref: weakref.ref[JournalWriter], stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        writer = ref()
        if writer is None:
            return
        writer._background_sync()
        del writer


def _release(fd: int, stop: threading.Event) -> None:
    """Close the file of a writer that is closed or was dropped unclosed (its frames are with the OS)."""
    stop.set()
    os.close(fd)
