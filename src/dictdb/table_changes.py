"""The change-tracking side of ``Table``: what changed since the last clear, for backups.

Writes record their keys in the table's ``ChangeTracker`` (``dictdb.tracking``) at their commit point; this
mixin reads, drains and clears them, and keeps the listeners a backup manager registers to hear of each
committed write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dictdb._core import records as _records
from dictdb.locking import reads, writes
from dictdb.tracking import ChangeTracker

__all__ = ["TableChanges"]

Record = dict[Any, Any]
#: What ``ChangeTracker.drain`` returns: ``(written, delete)`` primary keys.
Drained = tuple[list[Any], list[Any]]


class TableChanges:
    """Change tracking and change listeners for ``Table`` (which sets the attributes below)."""

    primary_key: str
    records: dict[Any, Record]
    _tracker: ChangeTracker
    _change_listeners: tuple[Callable[[], object], ...]
    _lock: Any

    @reads
    def has_changes(self) -> bool:
        """True when a record was inserted, updated or deleted since the last ``clear_dirty_tracking()``."""
        return self._tracker.has_changes()

    @reads
    def get_dirty_records(self) -> list[Record]:
        """Copies of the records inserted or updated since the last clear, in the order they first changed.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"x": 1}, {"x": 2}])
            [1, 2]
            >>> t.clear_dirty_tracking(); t.update({"x": 0}, where=t.id == 2)
            1
            >>> t.get_dirty_records()
            [{'x': 0, 'id': 2}]
        """
        records = self.records
        return _records.copy_records(records[pk] for pk in self._tracker.dirty if pk in records)

    @reads
    def get_deleted_pks(self) -> list[Any]:
        """The primary keys deleted since the last clear (and not inserted again), in deletion order."""
        return list(self._tracker.deleted)

    @writes
    def clear_dirty_tracking(self) -> None:
        """Forget the changes tracked so far (call it after a successful backup)."""
        self._tracker.clear()

    # -- for backups: views, draining changes, and change listeners ---------------------------------------

    # Each backup manager reads its own view of the changes (ChangeTracker.add_view), so that one manager's
    # backup does not take changes another one has not saved yet. The table's write lock is held around
    # adding a view, _drain_changes and _restore_changes: reading the changes and clearing them is one step
    # only if no write falls between.

    @writes
    def _add_change_view(self) -> ChangeTracker:
        """A new view of this table's changes, empty now and told of every later write (until removed, or
        until nothing holds it: the table holds it weakly)."""
        return self._tracker.add_view()

    @writes
    def _remove_change_view(self, view: ChangeTracker) -> None:
        """Stop tracking changes for ``view``."""
        self._tracker.remove_view(view)

    @writes
    def _drain_changes(self, view: ChangeTracker) -> tuple[list[Record], list[Any], Drained]:
        """Copies of the records changed since ``view`` was last drained (or added), and the keys a delta
        deletes before storing them; ``view`` is cleared in the same step. So is the table's own tracking
        (``get_dirty_records``), as a backup always did: what it held is returned third, for
        ``_restore_changes``.

        The keys to delete are the deleted ones, then those deleted and inserted again (deleting them
        first puts them back at the end of insertion order, where this table has them).
        """
        own = self._tracker.drain()
        written, delete = view.drain()
        records = self.records
        return _records.copy_records(records[pk] for pk in written if pk in records), delete, own

    @writes
    def _restore_changes(
        self, view: ChangeTracker, upserts: list[Record], delete: list[Any], own: Drained
    ) -> None:
        """Put back what ``_drain_changes`` returned, when the backup that took it failed: the next drain
        of ``view`` returns those changes again, with the ones made since, and the table's own tracking
        holds them again too."""
        pk_field = self.primary_key
        view.put_back([record[pk_field] for record in upserts], delete)
        self._tracker.put_back(*own)

    def _add_change_listener(self, listener: Callable[[], object]) -> None:
        """Call ``listener()`` after each committed write, until removed. A listener must not raise (the
        write is done; its caller would see an error for it) and must not take the table's locks."""
        if listener not in self._change_listeners:
            self._change_listeners = (*self._change_listeners, listener)

    def _remove_change_listener(self, listener: Callable[[], object]) -> None:
        """Stop calling ``listener``; nothing happens if it is not there."""
        self._change_listeners = tuple(known for known in self._change_listeners if known != listener)

    def _notify_change_listeners(self) -> None:
        # A tuple replaced on each change, never mutated: adding or removing a listener from another
        # thread cannot disturb this loop. Writes test `if self._change_listeners:` before calling here,
        # so a table without listeners pays one attribute test per write.
        for listener in self._change_listeners:
            listener()
