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

A table's tracker is read and cleared by its direct users (``get_dirty_records``, ``clear_dirty_tracking``).
Each backup manager needs its own record of what changed since *its* last backup, which another manager's
backup must not clear: it gets a *view*, another ``ChangeTracker`` that the table's tracker tells of every
change from the moment it is added (``add_view``). The table's tracker holds its views weakly, so a view
nobody holds any more (its manager was garbage-collected) stops costing anything and is dropped at the next
write; ``remove_view`` drops one at once.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
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

    __slots__ = ("__weakref__", "deleted", "dirty", "moved", "views")

    def __init__(self) -> None:
        # dicts used as ordered sets: the values are always None. moved is a subset of dirty.
        self.dirty: dict[Any, None] = {}
        self.deleted: dict[Any, None] = {}
        self.moved: dict[Any, None] = {}
        # Weak references to the views told of each change. A tuple replaced on each change, never
        # mutated; writes test it once, so a tracker without views pays one attribute test per write.
        self.views: tuple[weakref.ref[ChangeTracker], ...] = ()

    def add_view(self) -> ChangeTracker:
        """A new, empty tracker told of every change made to this one from now on, until ``remove_view``
        or until nothing else holds it.

        Example:
            >>> tracker = ChangeTracker()
            >>> tracker.written(1)
            >>> view = tracker.add_view()
            >>> tracker.written(2); tracker.clear()
            >>> list(tracker.dirty), list(view.dirty)
            ([], [2])
        """
        view = ChangeTracker()
        self.views = (*self._live_views(), weakref.ref(view))
        return view

    def remove_view(self, view: ChangeTracker) -> None:
        """Stop telling ``view`` of changes; nothing happens if it is not one of this tracker's views."""
        self.views = tuple(ref for ref in self._live_views() if ref() is not view)

    def _live_views(self) -> tuple[weakref.ref[ChangeTracker], ...]:
        return tuple(ref for ref in self.views if ref() is not None)

    def _tell_views(self, change: Callable[[ChangeTracker, Any], None], arg: Any) -> None:
        dead = False
        for ref in self.views:
            view = ref()
            if view is None:
                dead = True
            else:
                change(view, arg)
        if dead:  # under the table's write lock, as every change: no other thread replaces views meanwhile
            self.views = self._live_views()

    def written(self, pk: Any) -> None:
        """``pk``'s record was inserted or changed."""
        if self.views:
            self._tell_views(ChangeTracker.written, pk)
        self.dirty[pk] = None
        if self.deleted and pk in self.deleted:
            del self.deleted[pk]
            self.moved[pk] = None

    def written_many(self, pks: Iterable[Any]) -> None:
        """Each of ``pks`` was inserted or changed."""
        if self.views:
            pks = list(pks)
            self._tell_views(ChangeTracker.written_many, pks)
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
        if self.views:
            self._tell_views(ChangeTracker.removed, pk)
        self.deleted[pk] = None
        self.dirty.pop(pk, None)
        if self.moved:
            self.moved.pop(pk, None)

    def removed_many(self, pks: Iterable[Any]) -> None:
        """Each of ``pks`` was deleted."""
        if self.views:
            pks = list(pks)
            self._tell_views(ChangeTracker.removed_many, pks)
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
        # The replay below is no change to the table: the views, which never lost these, must not hear it.
        views, self.views = self.views, ()
        try:
            # Replaying each side as deletes then writes rebuilds it exactly: a key in both is a moved one.
            self.removed_many(delete)
            self.written_many(written)
            self.removed_many([*later_deleted, *later_moved])
            self.written_many(later_dirty)
        finally:
            self.views = views
