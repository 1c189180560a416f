"""Locking for tables and databases: ``RWLock`` and the decorators that put table methods under it.

``RWLock`` lives in the core (compiled, with a pure-Python twin) because every table operation takes it; see
``dictdb._core._lock_py`` for its rules: fair (waiting threads served in arrival order), writer-preferring,
re-entrant reads, a writer may read, and upgrading a read lock to a write lock is an error instead of a
deadlock.

The lock order (docs/concurrency.md): a database's lock first, then its tables' locks in creation order. A
table operation takes only its own table's lock, so it can never wait for a second lock while holding one;
saves, backups and transactions take the database lock and then every table's, in that order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from dictdb._core import lock as _lock

RWLock = _lock.RWLock

__all__ = ["RWLock", "reads", "writes"]

# The method's own type is kept (overloads included): the wrapper takes and returns the same things.
F = TypeVar("F", bound=Callable[..., Any])


def reads(method: F) -> F:
    """Run ``method`` under its object's ``_lock``, shared: readers run in parallel."""

    @functools.wraps(method)
    def locked(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        lock = self._lock
        lock.acquire_read()
        try:
            return method(self, *args, **kwargs)
        finally:
            lock.release_read()

    return cast(F, locked)


def writes(method: F) -> F:
    """Run ``method`` under its object's ``_lock``, exclusive.

    Inside a transaction (``_transaction`` set), the transaction first starts the object's undo log (its
    counter and index definitions, the first time the level writes it), so a rollback can put it back.
    """

    @functools.wraps(method)
    def locked(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        lock = self._lock
        lock.acquire_write()
        try:
            transaction = self._transaction
            if transaction is not None:
                transaction.undo_for(self)
            return method(self, *args, **kwargs)
        finally:
            lock.release_write()

    return cast(F, locked)
