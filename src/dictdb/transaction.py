"""``Transaction``: ``with db.transaction():`` applies every write inside the block, or none of them.

A transaction holds the database's write lock and every table's write lock from start to end (the lock order
of docs/concurrency.md: database first, then tables in creation order), so it is serializable: no other
thread reads or writes any table of the database meanwhile, and the thread inside may read and write freely.

Rollback is an undo log (``dictdb.undo``): before a write replaces or removes a record, the table's commit
point captures the record it held, once per key and level; the index definitions and the primary-key counter
are captured when the level first writes the table. When the block raises, each touched table puts its
captured records back and fixes its indexes record by record, and the registry of tables is restored, which
undoes ``create_table`` and ``drop_table`` too. Commit and rollback cost what the block changed, not the size
of the tables.

The writes themselves (``dictdb.commit``) wait for the end of the block: then, for a database opened on a
folder, they go to the journal as one frame (a refused frame undoes the whole block and raises), and only
then do the change tracking, the listeners and the log see them. A rolled-back block was never seen by them.

Nesting is a savepoint: an inner ``with db.transaction():`` that raises undoes only its own writes (and the
exception goes on to the outer block, which may catch it and continue); one that succeeds hands its writes to
the outer transaction, which commits or undoes them with its own.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING

from dictdb.commit import Change, SchemaChange
from dictdb.undo import TableUndo

if TYPE_CHECKING:
    from dictdb.database import DictDB
    from dictdb.table import Table

__all__ = ["Transaction"]


class _Savepoint:
    """One level of nesting: the registry it started with, its undo logs, and where its changes begin."""

    __slots__ = ("first_change", "registry", "undo")

    def __init__(self, registry: dict[str, Table], first_change: int) -> None:
        self.registry = registry
        self.first_change = first_change
        # id(table) -> the table's undo log for this level
        self.undo: dict[int, TableUndo] = {}


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
        ...         _ = accounts.update({"balance": 0}, where=accounts.owner == "ada")
        ...         raise RuntimeError("the transfer failed half-way")
        ... except RuntimeError:
        ...     pass
        >>> [r["balance"] for r in accounts.select()]
        [10, 0]
    """

    __slots__ = ("_db", "_held", "_levels", "_outer", "_owner", "pending")

    def __init__(self, db: DictDB) -> None:
        self._db = db
        self._owner: int | None = None
        self._outer: Transaction | None = None  # set when this one is a savepoint of an active transaction
        self._levels: list[_Savepoint] = []
        self._held: list[Table] = []
        #: The writes of the block so far, in order, committed together at its end.
        self.pending: list[Change | SchemaChange] = []

    def __enter__(self) -> Transaction:
        db = self._db
        active = db._active_transaction
        if active is not None and active._owner == threading.get_ident():
            self._outer = active
            active._levels.append(_Savepoint(dict(db.tables), len(active.pending)))
            return self
        if db._durable is not None:
            db._durable.check_open()
        db._lock.acquire_write()
        try:
            for table in list(db.tables.values()):
                self.adopt(table)
        except BaseException:
            self._release()
            raise
        self._owner = threading.get_ident()
        self._levels.append(_Savepoint(dict(db.tables), 0))
        db._active_transaction = self
        return self

    def adopt(self, table: Table) -> None:
        """Hold ``table``'s write lock until the transaction ends (tables that exist at the start, and those
        created inside it)."""
        table._lock.acquire_write()
        table._transaction = self
        self._held.append(table)

    def undo_for(self, table: Table) -> TableUndo:
        """``table``'s undo log for the current level, started (counter, index definitions) when new: called
        before each write to ``table``, so it holds them as they were before the level first wrote it."""
        level = self._levels[-1]
        undo = level.undo.get(id(table))
        if undo is None:
            undo = level.undo[id(table)] = TableUndo(table)
        return undo

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
                for key, undo in level.undo.items():
                    known = outer.undo.get(key)
                    if known is None:
                        outer.undo[key] = undo
                    else:
                        undo.merge_into(known)
            else:
                owner._commit(level)
        finally:
            if self._outer is None:
                self._release()

    def _undo(self, level: _Savepoint) -> None:
        for undo in level.undo.values():
            undo.rollback()
        del self.pending[level.first_change :]
        db = self._db
        for table in db.tables.values():
            table._journal = None  # created inside the level: gone with it, in memory only
        db.tables.clear()
        db.tables.update(level.registry)
        for table in db.tables.values():
            table._journal = db._durable  # dropped inside the level: back in the database

    def _commit(self, level: _Savepoint) -> None:
        """The block succeeded: journal its writes as one frame (undoing it all if that fails), then tell the
        change tracking, listeners and log."""
        changes = self.pending
        journal = self._db._durable
        frame = [change for change in changes if change.journaled] if journal is not None else []
        if frame:
            assert journal is not None
            try:
                journal.commit(frame)
            except BaseException:
                self._undo(level)
                raise
        self.pending = []
        for change in changes:
            change.committed()

    def _release(self) -> None:
        db = self._db
        if db._active_transaction is self:
            db._active_transaction = None
        for table in reversed(self._held):
            table._transaction = None
            table._lock.release_write()
        self._held.clear()
        db._lock.release_write()
