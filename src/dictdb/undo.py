"""``TableUndo``: what a transaction (or one journaled write) must put back in one table if it fails.

A transaction's cost is what it changes, both ways: before a write replaces or removes a stored record, the
table's commit point (``Table._apply``) captures, the first time each primary key is touched, the record it
held (or ``ABSENT``). Committing throws the capture away; rolling back puts each captured record back and
fixes the indexes record by record, so a 2-row transfer in a million-row table costs microseconds either way.

Insertion order is the one thing a per-record undo cannot restore cheaply: a dict cannot put a key back at
its old place. Updates keep their place and rolled-back inserts were last, so only the removal of a record
that existed before the transaction (a delete or a primary-key change) disturbs it. The first such removal
copies the table's key order (one C-level pass over the keys), and a rollback after it rebuilds the order
and the indexes from it: O(table size), paid only by transactions that delete and then fail. Creating or
dropping an index inside a transaction is undone the same way (the indexes are rebuilt from the restored
records).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dictdb.table import Table

__all__ = ["ABSENT", "EVERY_FIELD", "TableUndo"]

Record = dict[Any, Any]


class _Absent:
    """Marks a primary key that had no record before the transaction."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


class _EveryField:
    """A container that holds every field name: the indexes to fix on undo are all that read the record."""

    __slots__ = ()

    def __contains__(self, field: object) -> bool:
        return True


EVERY_FIELD = _EveryField()

_UNCHANGED: Any = object()


class TableUndo:
    """One table's undo log for one transaction level (or one journaled write).

    Created before the level first writes the table, so it holds the primary-key counter and the index
    definitions as they were; ``capture`` then records each touched key's old record.

    Example:
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"x": 1}, {"x": 2}])
        [1, 2]
        >>> undo = TableUndo(t)
        >>> undo.capture(t.records, [], {1: {"x": 9, "id": 1}, 3: {"x": 3, "id": 3}})
        >>> undo.before
        {1: {'x': 1, 'id': 1}, 3: ABSENT}
    """

    __slots__ = ("before", "definitions", "had_catalog", "next_pk", "order", "table")

    def __init__(self, table: Table, *, one_write: bool = False) -> None:
        self.table = table
        self.next_pk = table._next_pk
        self.had_catalog = table._indexing is not None
        #: The index definitions to put back; for the undo of ``one_write`` of records, which cannot change
        #: them, not read at all (``_UNCHANGED``): that write pays nothing per index.
        self.definitions = _UNCHANGED if one_write else table._index_definitions()
        #: pk -> the record it held before this level first touched it, or ABSENT; in first-touch order.
        self.before: dict[Any, Any] = {}
        #: The table's key order, copied at the first removal of a record that existed before this level.
        self.order: list[Any] | None = None

    def capture(
        self,
        records: dict[Any, Record],
        removed: Sequence[Any],
        written: dict[Any, Record],
        *,
        new: bool = False,
    ) -> None:
        """Record the old state of the keys a write is about to remove and write (before it changes them);
        ``new``: the written keys are known to be absent (an insert), captured in one C-level pass."""
        before = self.before
        if new and not before and not removed:
            self.before = dict.fromkeys(written, ABSENT)
            return
        for pk in removed:
            if pk not in before:
                old = before[pk] = records[pk]
            else:
                old = before[pk]
            if old is not ABSENT and self.order is None:
                self.order = list(records)
        for pk in written:
            if pk not in before:
                before[pk] = records.get(pk, ABSENT)

    def merge_into(self, outer: TableUndo) -> None:
        """A savepoint that succeeded: the outer level now answers for this level's writes too.

        The outer level's captures are older, so they win; a key order copied by this level is valid for the
        outer one when it has none (no record of the outer level's start was removed before it).
        """
        outer_before = outer.before
        for pk, old in self.before.items():
            if pk not in outer_before:
                outer_before[pk] = old
        if outer.order is None:
            outer.order = self.order

    def rollback(self) -> None:
        """Put the table back as it was when this undo log was created."""
        table = self.table
        table._next_pk = self.next_pk
        table._columns = None  # the field names seen: gathered again on the next columns()
        catalog = table._indexing
        if self.definitions is _UNCHANGED:
            self.definitions = table._index_definitions()
        if (
            self.order is None
            and self.had_catalog
            and catalog is not None
            and table._index_definitions() == self.definitions
            and self._undo_in_place()
        ):
            return
        self._undo_by_rebuild()

    def _undo_in_place(self) -> bool:
        """Undo record by record, the indexes fixed for each; False (nothing done) if a captured record is
        gone from the table, which only the rebuild can put back at its place."""
        table = self.table
        records = table.records
        gone: list[Any] = []
        gone_rows: list[Record] = []
        back: list[Any] = []
        now_rows: list[Record] = []
        old_rows: list[Record] = []
        for pk, old in self.before.items():
            now = records.get(pk, ABSENT)
            if now is old:
                continue
            if old is ABSENT:
                gone.append(pk)
                gone_rows.append(now)
            elif now is ABSENT:
                return False
            else:
                back.append(pk)
                now_rows.append(now)
                old_rows.append(old)
        catalog = table._indexing
        assert catalog is not None
        if gone:
            catalog.delete(gone, gone_rows, records)
            for pk in gone:
                del records[pk]
        if back:
            catalog.update(back, now_rows, old_rows, EVERY_FIELD, records)
            for pk, old in zip(back, old_rows, strict=True):
                records[pk] = old
        return True

    def _undo_by_rebuild(self) -> None:
        """Put every captured record back, the key order back, and rebuild the indexes from them."""
        table = self.table
        records = table.records
        for pk, old in self.before.items():
            if old is ABSENT:
                records.pop(pk, None)
            else:
                records[pk] = old
        if self.order is not None:
            ordered = {pk: records[pk] for pk in self.order if pk in records}
            records.clear()  # the same dict object: ``table.records`` is public and may be held
            records.update(ordered)
        table._indexing = None
        if self.had_catalog:
            table._reindex(self.definitions or [])
