"""A fair, writer-preferring reader-writer lock: the compiled twin of ``_lock_py.py``.

The rules (shared reads, exclusive writes, waiting threads served in arrival order with the lock handed to
them, writer preference, re-entrant reads, a writer may read, no upgrade) are documented in
``_lock_py.py``; both cores behave the same. Every table operation takes this lock, so it takes no mutex
at all: the GIL already makes each state change atomic, because between two waits the methods below run
only C code (list and dict operations on exact-int thread ids, and opening a gate, ``Lock.release``, which
call no Python code and allocate no garbage-collected object, so no other thread can run in between). The
module does not declare free-threading support, so CPython keeps the GIL on while it is imported. A thread
that must wait makes its gate (a held ``Lock``) before it looks at the state, then checks and queues in one
such step and blocks on the gate; a release hands the lock over and opens the gates in one step too. So a
release either came before the check (which then sees the lock free) or finds the thread queued, and a gate
opened before its thread blocks on it lets the thread through: no lost wake-ups. The pure twin cannot lean
on the GIL that way (its steps are bytecodes), so it takes a mutex on every call.
"""

import threading as _threading

from cpython.dict cimport PyDict_GetItemWithError
from cpython.object cimport PyObject
from cpython.pythread cimport PyThread_get_thread_ident

from ._cpython cimport shallow_copy

__all__ = ["RWLock", "read_record"]


cdef class RWLock:
    """A fair, writer-preferring, re-entrant reader-writer lock.

    Example:
        >>> lock = RWLock()
        >>> with lock.read():
        ...     pass  # many threads may be here at once
        >>> with lock.write():
        ...     with lock.read():  # the writer may also read
        ...         pass
    """

    cdef dict _readers  # thread id -> read depth
    cdef object _writer  # thread id, or None
    cdef Py_ssize_t _write_depth
    # How many times a thread took the write lock: a read done without the lock checks that it did not
    # change (``read_record``).
    cdef unsigned long long _writes
    # The waiting threads' ids in arrival order, and each one's gate, by what it waits for.
    cdef list _queue
    cdef dict _writer_gates
    cdef dict _reader_gates
    cdef _Guard _read_guard
    cdef _Guard _write_guard

    def __cinit__(self):
        self._readers = {}
        self._writer = None
        self._write_depth = 0
        self._writes = 0
        self._queue = []
        self._writer_gates = {}
        self._reader_gates = {}
        # The context managers hold no per-use state, so one of each serves every ``with``.
        self._read_guard = _Guard(self, False)
        self._write_guard = _Guard(self, True)

    def acquire_read(self):
        """Take the lock shared; blocks while another thread writes or any thread waits."""
        self._acquire_read()

    cdef int _acquire_read(self) except -1:
        cdef object me = PyThread_get_thread_ident()
        cdef Py_ssize_t depth = self._readers.get(me, 0)
        if depth or self._writer == me or (self._writer is None and not self._queue):
            self._readers[me] = depth + 1
            return 0
        # Slow path: the gate is made first (making it may run the garbage collector, and so other threads),
        # then the state is checked again and the thread queued in one atomic step.
        gate = _closed_gate()
        if self._writer is None and not self._queue:
            self._readers[me] = 1
            return 0
        self._queue.append(me)
        self._reader_gates[me] = gate
        self._wait(me, gate)
        return 0

    def release_read(self):
        """Give back one level of the shared lock; ``RuntimeError`` if this thread holds none."""
        self._release_read()

    cdef int _release_read(self) except -1:
        cdef object me = PyThread_get_thread_ident()
        cdef Py_ssize_t depth = self._readers.get(me, 0)
        if depth == 0:
            raise RuntimeError("release_read() by a thread that does not hold the read lock")
        if depth > 1:
            self._readers[me] = depth - 1
            return 0
        del self._readers[me]
        if not self._readers and self._queue:
            self._hand_over()
        return 0

    def acquire_write(self):
        """Take the lock alone; blocks until no other thread reads or writes, behind the threads waiting."""
        self._acquire_write()

    cdef int _acquire_write(self) except -1:
        cdef object me = PyThread_get_thread_ident()
        if self._writer == me:
            self._write_depth += 1
            return 0
        if me in self._readers:
            raise RuntimeError(
                "cannot take the write lock while holding the read lock (upgrading would deadlock); "
                "take the write lock first"
            )
        if self._writer is None and not self._readers and not self._queue:
            self._writer = me
            self._write_depth = 1
            self._writes += 1
            return 0
        # Slow path, as for a reader: the gate first, then check and queue in one step.
        gate = _closed_gate()
        if self._writer is None and not self._readers and not self._queue:
            self._writer = me
            self._write_depth = 1
            self._writes += 1
            return 0
        self._queue.append(me)
        self._writer_gates[me] = gate
        self._wait(me, gate)
        return 0

    def release_write(self):
        """Give back one level of the exclusive lock; ``RuntimeError`` if this thread does not hold it."""
        self._release_write()

    cdef int _release_write(self) except -1:
        cdef object me = PyThread_get_thread_ident()
        if self._writer != me:
            raise RuntimeError("release_write() by a thread that does not hold the write lock")
        self._write_depth -= 1
        if self._write_depth == 0:
            self._writer = None
            if self._queue:
                self._hand_over()
        return 0

    cdef int _hand_over(self) except -1:
        # Let in the threads at the head of the queue that the state admits: one writer, or the readers up
        # to the next writer. Called after a release or a withdrawal, in the same atomic step.
        cdef list queue = self._queue
        while queue:
            head = queue[0]
            gate = self._writer_gates.get(head)
            if gate is not None:
                if self._writer is None and not self._readers:
                    del queue[0]
                    del self._writer_gates[head]
                    self._writer = head
                    self._write_depth = 1
                    self._writes += 1
                    gate.release()
                return 0
            if self._writer is not None:
                return 0
            del queue[0]
            self._readers[head] = 1
            self._reader_gates.pop(head).release()
        return 0

    cdef int _wait(self, object me, object gate) except -1:
        # Blocks on the gate until the lock is handed to this thread. Interrupted (KeyboardInterrupt in the
        # main thread), the thread leaves the queue, or gives back what it was just handed, so the threads
        # behind it are not stuck.
        try:
            gate.acquire()
        except BaseException:
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
        return 0

    def read(self):
        """``with lock.read():`` holds the shared lock for the block."""
        return self._read_guard

    def write(self):
        """``with lock.write():`` holds the exclusive lock for the block."""
        return self._write_guard

    @property
    def waiting_writers(self):
        """How many threads wait for the write lock (a diagnostic: it may change as soon as it is read)."""
        return len(self._writer_gates)

    @property
    def waiting_readers(self):
        """How many threads wait for the read lock (a diagnostic, as ``waiting_writers``)."""
        return len(self._reader_gates)

    def held_by_me(self):
        """True when the calling thread holds the lock, shared or exclusive."""
        me = PyThread_get_thread_ident()
        return self._writer == me or me in self._readers

    def __reduce__(self):
        # A copied or unpickled lock is a new, free one: holding a lock is not state that can travel.
        return (RWLock, ())

    def __repr__(self):
        return (
            f"<RWLock readers={len(self._readers)} writer={'yes' if self._writer is not None else 'no'} "
            f"waiting_writers={len(self._writer_gates)}>"
        )


cdef object _closed_gate():
    # A held Lock: acquiring it blocks until another thread releases it (opens the gate).
    gate = _threading.Lock()
    gate.acquire()
    return gate


cdef class _Guard:
    """A context manager that takes a lock on entry and gives it back on exit."""

    cdef RWLock _lock
    cdef bint _exclusive

    def __cinit__(self, RWLock lock, bint exclusive):
        self._lock = lock
        self._exclusive = exclusive

    def __enter__(self):
        if self._exclusive:
            self._lock._acquire_write()
        else:
            self._lock._acquire_read()

    def __exit__(self, kind, error, trace):
        if self._exclusive:
            self._lock._release_write()
        else:
            self._lock._release_read()


def read_record(table, pk, default=None):
    """A copy of the record with primary key ``pk``, or ``default``; O(1). ``Table.get`` itself.

    Example:
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert({"x": 1})
        1
        >>> t.get(1), t.get(2), t.get(2, "none")
        ({'x': 1, 'id': 1}, None, 'none')
    """
    # The lookup and the copy are tried without the lock when no thread writes: they run no Python code for
    # the usual keys, so no other thread runs in between, and the write count tells when one did all the
    # same (a key type whose == is Python code, a copy that starts the garbage collector). Else, or then,
    # the read goes under the shared lock.
    cdef RWLock lock = table._lock
    cdef dict records = table.records
    cdef unsigned long long writes = lock._writes
    if lock._writer is None:
        result = _copy_of(records, pk, default)
        if lock._writer is None and lock._writes == writes:
            return result
    lock._acquire_read()
    try:
        return _copy_of(records, pk, default)
    finally:
        lock._release_read()


cdef inline object _copy_of(dict records, object pk, object default):
    cdef PyObject* found = PyDict_GetItemWithError(records, pk)
    return default if found is NULL else shallow_copy(<object>found)
