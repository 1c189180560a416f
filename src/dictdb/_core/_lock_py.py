"""A fair, writer-preferring reader-writer lock: the pure-Python twin of ``_lock.pyx``.

Readers share the lock; a writer has it alone. Threads that must wait are served in the order they arrived,
and the lock is handed to them: a thread that releases the write lock and asks again at once queues behind
every thread already waiting, so a tight loop of writes cannot starve other writers. Writers are preferred
over new readers: once a writer waits, readers arriving after it queue behind it, so a steady stream of reads
cannot starve writes either. Readers that are next to each other in the queue get in together.

The lock is re-entrant where that is safe, so DictDB's own layers can nest calls without deadlocking
themselves:

- a thread that holds the read lock may take it again (even while a writer waits: making it wait for the
  writer, which waits for it, would deadlock);
- a thread that holds the write lock may take it again, and may take the read lock;
- a thread that holds only the read lock may not take the write lock (two such threads would deadlock each
  other): that raises ``RuntimeError`` at once instead of hanging.

Every state change happens under one mutex. A thread that must wait queues a gate (a ``Lock`` it holds)
and blocks on it; whoever frees the lock hands it to the threads at the head of the queue, marks them as
holders and opens their gates. A gate opened before its thread blocks on it lets the thread straight
through, so there are no lost wake-ups, and each release wakes only the threads it lets in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from ._records_py import copy_record

__all__ = ["RWLock", "read_record"]


class RWLock:
    """A fair, writer-preferring, re-entrant reader-writer lock.

    Example:
        >>> lock = RWLock()
        >>> with lock.read():
        ...     pass  # many threads may be here at once
        >>> with lock.write():
        ...     with lock.read():  # the writer may also read
        ...         pass
    """

    __slots__ = (
        "_mutex",
        "_queue",
        "_read_guard",
        "_reader_gates",
        "_readers",
        "_write_depth",
        "_write_guard",
        "_writer",
        "_writer_gates",
    )

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._readers: dict[int, int] = {}  # thread id -> read depth
        self._writer: int | None = None
        self._write_depth = 0
        # The waiting threads' ids in arrival order, and each one's gate, by what it waits for.
        self._queue: list[int] = []
        self._writer_gates: dict[int, Any] = {}
        self._reader_gates: dict[int, Any] = {}
        # The context managers hold no per-use state, so one of each serves every ``with``.
        self._read_guard = _Guard(self.acquire_read, self.release_read)
        self._write_guard = _Guard(self.acquire_write, self.release_write)

    def acquire_read(self) -> None:
        """Take the lock shared; blocks while another thread writes or any thread waits."""
        me = threading.get_ident()
        with self._mutex:
            depth = self._readers.get(me, 0)
            if depth or self._writer == me or (self._writer is None and not self._queue):
                self._readers[me] = depth + 1
                return
            gate = _closed_gate()
            self._queue.append(me)
            self._reader_gates[me] = gate
        self._wait(me, gate)

    def release_read(self) -> None:
        """Give back one level of the shared lock; ``RuntimeError`` if this thread holds none."""
        me = threading.get_ident()
        with self._mutex:
            depth = self._readers.get(me, 0)
            if depth == 0:
                raise RuntimeError("release_read() by a thread that does not hold the read lock")
            if depth == 1:
                del self._readers[me]
                if not self._readers and self._queue:
                    self._hand_over()
            else:
                self._readers[me] = depth - 1

    def acquire_write(self) -> None:
        """Take the lock alone; blocks until no other thread reads or writes, behind the threads waiting."""
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
            if self._writer is None and not self._readers and not self._queue:
                self._writer = me
                self._write_depth = 1
                return
            gate = _closed_gate()
            self._queue.append(me)
            self._writer_gates[me] = gate
        self._wait(me, gate)

    def release_write(self) -> None:
        """Give back one level of the exclusive lock; ``RuntimeError`` if this thread does not hold it."""
        me = threading.get_ident()
        with self._mutex:
            if self._writer != me:
                raise RuntimeError("release_write() by a thread that does not hold the write lock")
            self._write_depth -= 1
            if self._write_depth == 0:
                self._writer = None
                if self._queue:
                    self._hand_over()

    def _hand_over(self) -> None:
        """Let in the threads at the head of the queue that the lock's state admits: one writer, or the
        readers up to the next writer. Called under the mutex after a release or a withdrawal."""
        queue = self._queue
        while queue:
            head = queue[0]
            gate = self._writer_gates.get(head)
            if gate is not None:
                if self._writer is None and not self._readers:
                    del queue[0]
                    del self._writer_gates[head]
                    self._writer = head
                    self._write_depth = 1
                    gate.release()
                return
            if self._writer is not None:
                return
            del queue[0]
            self._readers[head] = 1
            self._reader_gates.pop(head).release()

    def _wait(self, me: int, gate: Any) -> None:
        """Block on ``gate`` until the lock is handed to this thread. Interrupted (``KeyboardInterrupt`` in
        the main thread), the thread leaves the queue, or gives back what it was just handed, so the threads
        behind it are not stuck."""
        try:
            gate.acquire()
        except BaseException:
            with self._mutex:
                if me in self._writer_gates or me in self._reader_gates:  # still queued
                    self._queue.remove(me)
                    self._writer_gates.pop(me, None)
                    self._reader_gates.pop(me, None)
                elif self._writer == me:  # handed the write lock
                    self._writer = None
                    self._write_depth = 0
                else:  # handed the read lock
                    del self._readers[me]
                self._hand_over()
            raise

    def read(self) -> _Guard:
        """``with lock.read():`` holds the shared lock for the block."""
        return self._read_guard

    def write(self) -> _Guard:
        """``with lock.write():`` holds the exclusive lock for the block."""
        return self._write_guard

    @property
    def waiting_writers(self) -> int:
        """How many threads wait for the write lock (a diagnostic: it may change as soon as it is read)."""
        return len(self._writer_gates)

    @property
    def waiting_readers(self) -> int:
        """How many threads wait for the read lock (a diagnostic, as ``waiting_writers``)."""
        return len(self._reader_gates)

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
            f"waiting_writers={len(self._writer_gates)}>"
        )


def _closed_gate() -> Any:
    """A held ``Lock``: acquiring it blocks until another thread releases it (opens the gate)."""
    gate = threading.Lock()
    gate.acquire()
    return gate


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
