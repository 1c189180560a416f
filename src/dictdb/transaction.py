"""``Transaction``: ``with db.transaction():`` applies every write inside the block, or none of them.

A transaction holds the database's write lock and every table's write lock from start to end (the lock order
of docs/concurrency.md: database first, then tables in creation order), so it is serializable: no other
thread reads or writes any table of the database meanwhile, and the thread inside may read and write freely.

Rollback is copy-on-first-write: the first time a table is written inside the block (the ``writes`` decorator
calls ``touch``), the table saves its state (records, primary-key counter, change tracking, insertion order
and index definitions; ``Table._save_state``). When the block raises, every touched table gets its state back
(its indexes are rebuilt from the restored records) and the registry of tables is restored, which undoes
``create_table`` and ``drop_table`` too. A table that is never written costs nothing.

Nesting is a savepoint: an inner ``with db.transaction():`` that raises undoes only its own writes (and the
exception goes on to the outer block, which may catch it and continue); one that succeeds hands its writes to
the outer transaction, which commits or undoes them with its own.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from dictdb.database import DictDB
    from dictdb.table import Table

__all__ = ["TableState", "Transaction"]


class TableState(NamedTuple):
    """A table's state before a transaction first wrote it (``Table._save_state``)."""

    records: dict[Any, dict[Any, Any]]
    next_pk: int
    tracking: tuple[dict[Any, None], dict[Any, None], dict[Any, None]]  # dirty, deleted, moved
    columns: set[Any] | None
    indexes: list[tuple[tuple[Any, ...], str, bool]] | None  # (fields, kind, unique), None: no catalog


class _Savepoint:
    """What one level of nesting must undo: the tables it touched first, and the registry it started with."""

    __slots__ = ("registry", "saved")

    def __init__(self, registry: dict[str, Table]) -> None:
        self.registry = registry
        # id(table) -> (table, its state before this level first wrote it)
        self.saved: dict[int, tuple[Table, TableState]] = {}


class Transaction:
    """The context manager ``DictDB.transaction()`` returns.

    Example:
        >>> from dictdb import DictDB
        >>> db = DictDB()
        >>> accounts = db.create_table("accounts")
        >>> accounts.insert([{"owner": "ada", "balance": 10}, {"owner": "bob", "balance": 0}])
        [1, 2]
        >>> try:
        ...     with db.transaction():
        ...         accounts.update({"balance": 0}, where=accounts.owner == "ada")
        ...         raise RuntimeError("the transfer failed half-way")
        ... except RuntimeError:
        ...     pass
        >>> [r["balance"] for r in accounts.select()]
        [10, 0]
    """

    __slots__ = ("_db", "_held", "_levels", "_outer", "_owner")

    def __init__(self, db: DictDB) -> None:
        self._db = db
        self._owner: int | None = None
        self._outer: Transaction | None = None  # set when this one is a savepoint of an active transaction
        self._levels: list[_Savepoint] = []
        self._held: list[Table] = []

    def __enter__(self) -> Transaction:
        db = self._db
        active = db._active_transaction
        if active is not None and active._owner == threading.get_ident():
            self._outer = active
            active._levels.append(_Savepoint(dict(db.tables)))
            return self
        db._lock.acquire_write()
        try:
            for table in list(db.tables.values()):
                self.adopt(table)
        except BaseException:
            self._release()
            raise
        self._owner = threading.get_ident()
        self._levels.append(_Savepoint(dict(db.tables)))
        db._active_transaction = self
        return self

    def adopt(self, table: Table) -> None:
        """Hold ``table``'s write lock until the transaction ends (tables that exist at the start, and those
        created inside it)."""
        table._lock.acquire_write()
        table._transaction = self
        self._held.append(table)

    def touch(self, table: Table) -> None:
        """Called before each write to ``table``: save its state the first time this level writes it."""
        level = self._levels[-1]
        if id(table) not in level.saved:
            level.saved[id(table)] = (table, table._save_state())

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        owner = self._outer or self
        level = owner._levels.pop()
        try:
            if error is not None:
                owner._undo(level)
            elif owner._levels:  # a savepoint that succeeded: the outer level now answers for its writes
                outer = owner._levels[-1]
                for key, entry in level.saved.items():
                    outer.saved.setdefault(key, entry)
        finally:
            if self._outer is None:
                self._release()

    def _undo(self, level: _Savepoint) -> None:
        for table, state in level.saved.values():
            table._restore_state(state)
        tables = self._db.tables
        tables.clear()
        tables.update(level.registry)

    def _release(self) -> None:
        db = self._db
        if db._active_transaction is self:
            db._active_transaction = None
        for table in reversed(self._held):
            table._transaction = None
            table._lock.release_write()
        self._held.clear()
        db._lock.release_write()
