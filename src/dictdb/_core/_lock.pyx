"""A writer-preferring reader-writer lock: the compiled twin of ``_lock_py.py``.

The rules (shared reads, exclusive writes, writer preference, re-entrant reads, a writer may read, no
upgrade) are documented in ``_lock_py.py``; both cores behave the same. Every table operation takes this
lock, so the uncontended path here takes no mutex at all: the GIL already makes each state change atomic,
because between two waits the methods below run only C code (dict operations on exact-int thread ids, which
call no Python code and allocate no garbage-collected object, so no other thread can run in between). The
module does not declare free-threading support, so CPython keeps the GIL on while it is imported. Only a
thread that must wait takes the Condition's lock: its waiting count goes up before it checks the state, so a
release either changed the state before the check or sees the count and notifies under that lock. The pure
twin cannot lean on the GIL that way (its steps are bytecodes), so it takes the mutex on every call.
"""

import threading as _threading

from cpython.dict cimport PyDict_GetItemWithError
from cpython.object cimport PyObject
from cpython.pythread cimport PyThread_get_thread_ident

from ._cpython cimport shallow_copy

__all__ = ["RWLock", "read_record"]


cdef class RWLock:
    """A writer-preferring, re-entrant reader-writer lock.

    Example:
        >>> lock = RWLock()
        >>> with lock.read():
        ...     pass  # many threads may be here at once
        >>> with lock.write():
        ...     with lock.read():  # the writer may also read
        ...         pass
    """

    cdef object _mutex
    cdef object _cond
    cdef object _mutex_acquire
    cdef object _mutex_release
    cdef dict _readers  # thread id -> read depth
    cdef object _writer  # thread id, or None
    cdef Py_ssize_t _write_depth
    # How many times a thread took the write lock: a read done without the lock checks that it did not
    # change (``read_record``).
    cdef unsigned long long _writes
    cdef Py_ssize_t _waiting_writers
    cdef Py_ssize_t _waiting_readers
    cdef _Guard _read_guard
    cdef _Guard _write_guard

    def __cinit__(self):
        # A plain Lock under the Condition: cheaper than the default RLock, and re-entrancy is ours. State
        # changes take the mutex through its cached bound methods, waits go through the Condition.
        self._mutex = _threading.Lock()
        self._cond = _threading.Condition(self._mutex)
        self._mutex_acquire = self._mutex.acquire
        self._mutex_release = self._mutex.release
        self._readers = {}
        self._writer = None
        self._write_depth = 0
        self._writes = 0
        self._waiting_writers = 0
        self._waiting_readers = 0
        # The context managers hold no per-use state, so one of each serves every ``with``.
        self._read_guard = _Guard(self, False)
        self._write_guard = _Guard(self, True)

    def acquire_read(self):
        """Take the lock shared; blocks while another thread writes or waits to write."""
        self._acquire_read()

    cdef int _acquire_read(self) except -1:
        cdef object me = PyThread_get_thread_ident()
        cdef Py_ssize_t depth = self._readers.get(me, 0)
        if depth or self._writer == me or (self._writer is None and not self._waiting_writers):
            self._readers[me] = depth + 1
            return 0
        # Slow path: wait on the Condition. The waiting count goes up before the state is checked, under the
        # Condition's lock, so a release either changed the state before the check or sees the count and
        # notifies (taking that lock, which this thread only gives up inside wait()).
        self._mutex_acquire()
        try:
            self._waiting_readers += 1
            try:
                while self._writer is not None or self._waiting_writers:
                    self._cond.wait()
            finally:
                self._waiting_readers -= 1
            self._readers[me] = self._readers.get(me, 0) + 1
        finally:
            self._mutex_release()
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
        if not self._readers and self._waiting_writers:
            # Only an empty reader set can let a writer in; nobody else waits on a reader.
            self._notify_all()
        return 0

    def acquire_write(self):
        """Take the lock alone; blocks until no other thread reads or writes."""
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
        if self._writer is None and not self._readers:
            self._writer = me
            self._write_depth = 1
            self._writes += 1
            return 0
        # Slow path, as for a reader: count first, then check, under the Condition's lock.
        self._mutex_acquire()
        try:
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
            self._writes += 1
        finally:
            self._mutex_release()
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
            if self._waiting_writers or self._waiting_readers:  # Condition.notify_all is not free
                self._notify_all()
        return 0

    cdef int _notify_all(self) except -1:
        self._mutex_acquire()
        try:
            self._cond.notify_all()
        finally:
            self._mutex_release()
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
        return self._waiting_writers

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
            f"waiting_writers={self._waiting_writers}>"
        )


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
