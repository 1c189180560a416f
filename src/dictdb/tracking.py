"""Change tracking for incremental backups: which primary keys were written or deleted since the last clear.

The rule, kept by every write path: a key is in at most one of the two sets.

- ``dirty``: keys whose record was inserted or changed since the last clear, and that exist now.
- ``deleted``: keys whose record was deleted since the last clear, and that do not exist now.

So a record inserted and then deleted ends up in ``deleted`` only (a delta that deletes a key the last full
backup never had is harmless), and one deleted then inserted again ends up in ``dirty`` only. Both keep the
order in which keys first entered them, so deltas come out the same run after run.

A third, private set serves restores: ``moved`` holds the dirty keys that were deleted and then inserted
again, so their record now comes later in the table's insertion order than it did at the last clear. A delta
deletes them before storing the changed records, which puts them back at the end, where the table has them.
Everything that copies or restores a tracker (a transaction's rollback) must carry ``moved`` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dictdb._core import records as _records

__all__ = ["ChangeTracker"]


class ChangeTracker:
    """The dirty and deleted primary keys of one table.

    Example:
        >>> tracker = ChangeTracker()
        >>> tracker.written(1); tracker.written(2); tracker.removed(1)
        >>> list(tracker.dirty), list(tracker.deleted)
        ([2], [1])
    """

    __slots__ = ("deleted", "dirty", "moved")

    def __init__(self) -> None:
        # dicts used as ordered sets: the values are always None. moved is a subset of dirty.
        self.dirty: dict[Any, None] = {}
        self.deleted: dict[Any, None] = {}
        self.moved: dict[Any, None] = {}

    def written(self, pk: Any) -> None:
        """``pk``'s record was inserted or changed."""
        self.dirty[pk] = None
        if self.deleted and pk in self.deleted:
            del self.deleted[pk]
            self.moved[pk] = None

    def written_many(self, pks: Iterable[Any]) -> None:
        """Each of ``pks`` was inserted or changed."""
        if self.deleted:
            pks = list(pks)
            deleted = self.deleted
            for pk in pks:
                if pk in deleted:
                    del deleted[pk]
                    self.moved[pk] = None
        self.dirty.update(dict.fromkeys(pks))

    def removed(self, pk: Any) -> None:
        """``pk``'s record was deleted."""
        self.deleted[pk] = None
        self.dirty.pop(pk, None)
        if self.moved:
            self.moved.pop(pk, None)

    def removed_many(self, pks: Iterable[Any]) -> None:
        """Each of ``pks`` was deleted."""
        if self.dirty:  # moved is a subset of dirty: nothing to do there either when dirty is empty
            pks = list(pks)
            _records.delete_keys(self.dirty, pks, missing_ok=True)
            if self.moved:
                _records.delete_keys(self.moved, pks, missing_ok=True)
        self.deleted.update(dict.fromkeys(pks))

    def has_changes(self) -> bool:
        """True when anything was written or deleted since the last clear."""
        return bool(self.dirty or self.deleted)

    def clear(self) -> None:
        """Forget every change (after a successful backup)."""
        self.dirty.clear()
        self.deleted.clear()
        self.moved.clear()

    def drain(self) -> tuple[list[Any], list[Any]]:
        """The changes as a delta applies them, and the tracker cleared, in one step: ``(written, delete)``
        where ``delete`` lists the deleted keys, then the moved ones (to delete before storing ``written``).

        Example:
            >>> tracker = ChangeTracker()
            >>> tracker.written(1); tracker.removed(2); tracker.removed(3); tracker.written(3)
            >>> tracker.drain(), tracker.has_changes()
            (([1, 3], [2, 3]), False)
        """
        # New dicts rather than clear(): the lists below are built from the old ones, which no write
        # reaches once they are swapped out.
        dirty, deleted, moved = self.dirty, self.deleted, self.moved
        self.dirty, self.deleted, self.moved = {}, {}, {}
        return list(dirty), [*deleted, *moved]

    def put_back(self, written: list[Any], delete: list[Any]) -> None:
        """Undo a ``drain`` whose backup failed: the drained changes come first, then those tracked since,
        as if the drain had not happened.

        Example:
            >>> tracker = ChangeTracker()
            >>> tracker.written(1); tracker.removed(2)
            >>> drained = tracker.drain()
            >>> tracker.written(2); tracker.written(4)
            >>> tracker.put_back(*drained)
            >>> list(tracker.dirty), list(tracker.deleted), list(tracker.moved)
            ([1, 2, 4], [], [2])
        """
        later_dirty, later_deleted, later_moved = self.dirty, self.deleted, self.moved
        self.dirty, self.deleted, self.moved = {}, {}, {}
        # Replaying each side as deletes then writes rebuilds it exactly: a key in both is a moved one.
        self.removed_many(delete)
        self.written_many(written)
        self.removed_many([*later_deleted, *later_moved])
        self.written_many(later_dirty)
