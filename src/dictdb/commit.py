"""What a committed write hands on: ``Change`` (records of one table) and ``SchemaChange`` (tables, indexes).

Every write ends at one commit point (``Table._apply`` for records; the registry and index methods for the
rest) that builds one of these. Outside a transaction it is committed at once; inside one, the transaction
keeps them in order and commits them all when the block ends. Committing means, in this order: the journal
gets the writes as one frame (a database opened on a folder), then the change tracking, the listeners and
the log line see them. So a write the journal refuses is undone before anything else has seen it, and a
rolled-back transaction leaves the change tracking as it was without having to restore it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from dictdb.table import Table

__all__ = ["Change", "SchemaChange", "commit_schema"]

Record = dict[Any, Any]


class Change(NamedTuple):
    """One write to one table's records: the keys it removed, then the records it stored, in that order."""

    table: Table
    removed: Sequence[Any]
    written: dict[Any, Record]
    next_pk: int
    #: The log line's event (``"update"``...), or None for a write that logs nothing (a one-record insert).
    kind: str | None

    @property
    def journaled(self) -> bool:
        """False for a write to a table object no longer in the database (dropped, in this transaction
        too): it is not part of the database, so not of its journal."""
        return self.table._journal is not None

    def journal_op(self) -> tuple[Any, ...]:
        """The write as the journal keeps it: ``("put", table, removed keys, stored records, counter)``."""
        return ("put", self.table.table_name, list(self.removed), list(self.written.values()), self.next_pk)

    def committed(self) -> None:
        """Tell the change tracking, the listeners and the log that the write is committed."""
        self.table._committed(self.removed, self.written, self.kind)


class SchemaChange(NamedTuple):
    """A table or an index created or dropped: the journal's op, and what to tell once it is committed."""

    op: tuple[Any, ...]
    notify: Callable[[], None] | None = None
    #: The table an index change is made on (``None`` for the registry's changes); any object with the
    #: table's ``_journal`` (the index side of a table is a mixin of its own).
    table: Any = None

    @property
    def journaled(self) -> bool:
        """False for an index change on a table object no longer in the database."""
        return self.table is None or self.table._journal is not None

    def journal_op(self) -> tuple[Any, ...]:
        return self.op

    def committed(self) -> None:
        if self.notify is not None:
            self.notify()


def commit_schema(transaction: Any, journal: Any, change: SchemaChange, undo: Callable[[], None]) -> None:
    """Commit a table or index created or dropped (already done in memory): kept for the end of
    ``transaction`` when there is one, else journaled now (``undo`` puts memory back if that fails) and
    told."""
    if transaction is not None:
        transaction.pending.append(change)
        return
    if journal is not None:
        try:
            journal.commit([change])
        except BaseException:
            undo()
            raise
    change.committed()
