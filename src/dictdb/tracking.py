"""Change tracking for incremental backups: which primary keys were written or deleted since the last clear.

The rule, kept by every write path: a key is in at most one of the two sets.

- ``dirty``: keys whose record was inserted or changed since the last clear, and that exist now.
- ``deleted``: keys whose record was deleted since the last clear, and that do not exist now.

So a record inserted and then deleted ends up in ``deleted`` only (a delta that deletes a key the last full
backup never had is harmless), and one deleted then inserted again ends up in ``dirty`` only. Both keep the
order in which keys first entered them, so deltas come out the same run after run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["ChangeTracker"]


class ChangeTracker:
    """The dirty and deleted primary keys of one table.

    Example:
        >>> tracker = ChangeTracker()
        >>> tracker.written(1); tracker.written(2); tracker.removed(1)
        >>> list(tracker.dirty), list(tracker.deleted)
        ([2], [1])
    """

    __slots__ = ("deleted", "dirty")

    def __init__(self) -> None:
        # dicts used as ordered sets: the values are always None.
        self.dirty: dict[Any, None] = {}
        self.deleted: dict[Any, None] = {}

    def written(self, pk: Any) -> None:
        """``pk``'s record was inserted or changed."""
        self.dirty[pk] = None
        if self.deleted:
            self.deleted.pop(pk, None)

    def written_many(self, pks: Iterable[Any]) -> None:
        """Each of ``pks`` was inserted or changed."""
        if self.deleted:
            pks = list(pks)
            for pk in pks:
                self.deleted.pop(pk, None)
        self.dirty.update(dict.fromkeys(pks))

    def removed(self, pk: Any) -> None:
        """``pk``'s record was deleted."""
        self.deleted[pk] = None
        self.dirty.pop(pk, None)

    def removed_many(self, pks: Iterable[Any]) -> None:
        """Each of ``pks`` was deleted."""
        if self.dirty:
            pks = list(pks)
            for pk in pks:
                self.dirty.pop(pk, None)
        self.deleted.update(dict.fromkeys(pks))

    def has_changes(self) -> bool:
        """True when anything was written or deleted since the last clear."""
        return bool(self.dirty or self.deleted)

    def clear(self) -> None:
        """Forget every change (after a successful backup)."""
        self.dirty.clear()
        self.deleted.clear()
