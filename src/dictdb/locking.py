"""The reader-writer lock DictDB uses for tables and databases: ``from dictdb.locking import RWLock``.

It lives in the core (compiled, with a pure-Python twin) because every table operation takes it; see
``dictdb._core._lock_py`` for its rules: writer-preferring, re-entrant reads, a writer may read, and
upgrading a read lock to a write lock is an error instead of a deadlock.
"""

from dictdb._core import lock as _lock

RWLock = _lock.RWLock

__all__ = ["RWLock"]
