"""A writer-preferring reader-writer lock: the pure-Python twin of ``_lock.pyx``.

Readers share the lock; a writer has it alone. Writers are preferred: once a writer waits, new readers
queue behind it, so a steady stream of reads cannot starve writes. The lock is re-entrant where that is
safe, so DictDB's own layers can nest calls without deadlocking themselves:

- a thread that holds the read lock may take it again (even while a writer waits: making it wait for the
  writer, which waits for it, would deadlock);
- a thread that holds the write lock may take it again, and may take the read lock;
- a thread that holds only the read lock may not take the write lock (two such threads would deadlock each
  other): that raises ``RuntimeError`` at once instead of hanging.

Every state change happens under one mutex and every wait is on one condition that is notified whenever
a release could let someone in, so there are no lost wake-ups.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from ._records_py import copy_record

__all__ = ["RWLock", "read_record"]


class RWLock:
    """A writer-preferring, re-entrant reader-writer lock.

    Example:
        >>> lock = RWLock()
        >>> with lock.read():
        ...     pass  # many threads may be here at once
        >>> with lock.write():
        ...     with lock.read():  # the writer may also read
        ...         pass
    """

    __slots__ = (
        "_cond",
        "_mutex",
        "_read_guard",
        "_readers",
        "_waiting_readers",
        "_waiting_writers",
        "_write_depth",
        "_write_guard",
        "_writer",
    )

    def __init__(self) -> None:
        # A plain Lock under the Condition: cheaper than the default RLock, and re-entrancy is ours. State
        # changes take the mutex directly (a C-level context manager), waits go through the Condition.
        self._mutex = threading.Lock()
        self._cond = threading.Condition(self._mutex)
        self._readers: dict[int, int] = {}  # thread id -> read depth
        self._writer: int | None = None
        self._write_depth = 0
        self._waiting_writers = 0
        self._waiting_readers = 0
        # The context managers hold no per-use state, so one of each serves every ``with``.
        self._read_guard = _Guard(self.acquire_read, self.release_read)
        self._write_guard = _Guard(self.acquire_write, self.release_write)

    def acquire_read(self) -> None:
        """Take the lock shared; blocks while another thread writes or waits to write."""
        me = threading.get_ident()
        with self._mutex:
            depth = self._readers.get(me, 0)
            if depth == 0 and self._writer != me:
                self._waiting_readers += 1
                try:
                    while self._writer is not None or self._waiting_writers:
                        self._cond.wait()
                finally:
                    self._waiting_readers -= 1
            self._readers[me] = depth + 1

    def release_read(self) -> None:
        """Give back one level of the shared lock; ``RuntimeError`` if this thread holds none."""
        me = threading.get_ident()
        with self._mutex:
            depth = self._readers.get(me, 0)
            if depth == 0:
                raise RuntimeError("release_read() by a thread that does not hold the read lock")
            if depth == 1:
                del self._readers[me]
                if not self._readers and self._waiting_writers:
                    # Only an empty reader set can let a writer in; nobody else waits on a reader.
                    self._cond.notify_all()
            else:
                self._readers[me] = depth - 1

    def acquire_write(self) -> None:
        """Take the lock alone; blocks until no other thread reads or writes."""
        me = threading.get_ident()
        with self._mutex:
            if self._writer == me:
                self._write_depth += 1
                return
            if me in self._readers:
                raise RuntimeError(
                    "cannot take the write lock while holding the read lock (upgrading would deadlock); "
                    "take the write lock first"
                )
            self._waiting_writers += 1
            try:
                while self._writer is not None or self._readers:
                    self._cond.wait()
            except BaseException:
                # Interrupted while waiting: readers queued behind this writer must re-check.
                self._waiting_writers -= 1
                self._cond.notify_all()
                raise
            self._waiting_writers -= 1
            self._writer = me
            self._write_depth = 1

    def release_write(self) -> None:
        """Give back one level of the exclusive lock; ``RuntimeError`` if this thread does not hold it."""
        me = threading.get_ident()
        with self._mutex:
            if self._writer != me:
                raise RuntimeError("release_write() by a thread that does not hold the write lock")
            self._write_depth -= 1
            if self._write_depth == 0:
                self._writer = None
                if self._waiting_writers or self._waiting_readers:  # Condition.notify_all is not free
                    self._cond.notify_all()

    def read(self) -> _Guard:
        """``with lock.read():`` holds the shared lock for the block."""
        return self._read_guard

    def write(self) -> _Guard:
        """``with lock.write():`` holds the exclusive lock for the block."""
        return self._write_guard

    @property
    def waiting_writers(self) -> int:
        """How many threads wait for the write lock (a diagnostic: it may change as soon as it is read)."""
        return self._waiting_writers

    def held_by_me(self) -> bool:
        """True when the calling thread holds the lock, shared or exclusive."""
        me = threading.get_ident()
        return self._writer == me or me in self._readers

    def __reduce__(self) -> tuple[type[RWLock], tuple[()]]:
        # A copied or unpickled lock is a new, free one: holding a lock is not state that can travel.
        return (RWLock, ())

    def __repr__(self) -> str:
        return (
            f"<RWLock readers={len(self._readers)} writer={'yes' if self._writer is not None else 'no'} "
            f"waiting_writers={self._waiting_writers}>"
        )


class _Guard:
    """A context manager that takes a lock on entry and gives it back on exit."""

    __slots__ = ("_acquire", "_release")

    def __init__(self, acquire: Callable[[], None], release: Callable[[], None]) -> None:
        self._acquire = acquire
        self._release = release

    def __enter__(self) -> None:
        self._acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._release()


def read_record(table: Any, pk: Any, default: Any = None) -> Any:
    """A copy of the record with primary key ``pk``, or ``default``; O(1). ``Table.get`` itself.

    Example:
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert({"x": 1})
        1
        >>> t.get(1), t.get(2), t.get(2, "none")
        ({'x': 1, 'id': 1}, None, 'none')
    """
    # Always under the shared lock: here the lookup and the copy are bytecodes, between which another thread
    # may run.
    lock = table._lock
    lock.acquire_read()
    try:
        found = table.records.get(pk)
        return default if found is None else copy_record(found)
    finally:
        lock.release_read()
