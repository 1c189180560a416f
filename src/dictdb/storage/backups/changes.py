"""Taking a database's changes out for a backup: a full snapshot or a delta, each with the change tracking
drained in the same step, and the way to put the drained changes back when the backup's file cannot be
written (so the next backup still holds them: a failed backup loses nothing).

Each backup manager reads the changes through its own views (``Views``, one ``ChangeTracker`` view per
table, see ``dictdb.tracking``): several managers on one database each get every change, and one manager's
backup never takes changes from another. Besides what ``snapshot`` uses of tables, this module calls the
private Table methods of the ``DrainableTable`` protocol: ``_add_change_view()``, ``_drain_changes(view)`` and
``_restore_changes(view, upserts, delete, own)``.

Which tables were created or dropped since the last backup is told by identity: the caller keeps, from the
last backup, a weak reference to each table by name (``Registry``); a name whose table is gone, or is now
another object, was dropped (and maybe created again).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from dictdb._core import records as _records
from dictdb.storage.files import snapshot
from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot, index_definitions
from dictdb.storage.tables import DatabaseLike, TableLike
from dictdb.tracking import ChangeTracker

__all__ = ["Drained", "Registry", "TableChanges", "TakenDelta", "Views", "take_delta", "take_full"]

Record = dict[Any, Any]
#: A table's own tracking as ``_drain_changes`` took it: ``(written, delete)`` primary keys.
Own = tuple[list[Any], list[Any]]

#: Table name -> a weak reference to the table object, as the database held it at the last backup. Weak:
#: a dropped table is not kept in memory until the next backup.


class TableRef(weakref.ref[Any]):
    """A weak reference to a table, with its index definitions at the backup that took it: a delta carries a
    table whose indexes were created or dropped since, even when none of its records changed."""

    __slots__ = ("indexes",)

    indexes: dict[Any, str]

    def __new__(cls, table: Any, indexes: dict[Any, str]) -> TableRef:
        ref = super().__new__(cls, table)
        ref.indexes = indexes
        return ref

    def __init__(self, table: Any, indexes: dict[Any, str]) -> None:
        # weakref.ref's own __init__ takes (object[, callback]); typeshed does not declare it.
        super().__init__(table)  # type: ignore[call-arg]

    def same_indexes(self, table: Any) -> bool:
        """True when ``table`` has the indexes this backup took, in the same order: an index dropped and
        created again comes last, and a restore must give the order the live table has."""
        return list(self.indexes.items()) == list(index_definitions(table).items())


Registry = dict[Any, TableRef]


def _registry(tables: list[tuple[Any, Any]]) -> Registry:
    return {name: TableRef(table, index_definitions(table)) for name, table in tables}


class DrainableTable(TableLike, Protocol):
    """What this module uses of a table, besides ``TableLike``."""

    def _add_change_view(self) -> ChangeTracker: ...

    def _drain_changes(self, view: ChangeTracker) -> tuple[list[Record], list[Any], Own]: ...

    def _restore_changes(
        self, view: ChangeTracker, upserts: list[Record], delete: list[Any], own: Own
    ) -> None: ...


class DrainableDatabase(DatabaseLike, Protocol):
    """What this module uses of a database."""

    @property
    def tables(self) -> Mapping[Any, DrainableTable]: ...


class Views:
    """One backup manager's views of the changes of its database's tables: what changed in each since this
    manager's last backup, whatever other managers do.

    Each view is held here and weakly by its table (so a manager that is garbage-collected costs its tables
    nothing after their next write); each table is held weakly here (a dropped table goes with its view).
    Used under the manager's backup lock, and ``of`` with the table's write lock held.

    Example:
        >>> from dictdb import DictDB
        >>> from dictdb.storage.backups.changes import Views
        >>> users = DictDB().create_table("users")
        >>> first, second = Views(), Views()
        >>> _ = first.of(users), second.of(users)
        >>> users.insert({"name": "ada"})
        1
        >>> first.of(users)[0].drain(), second.has_changes(users)
        (([1], []), True)
    """

    def __init__(self) -> None:
        self._views: weakref.WeakKeyDictionary[Any, ChangeTracker] = weakref.WeakKeyDictionary()

    def of(self, table: DrainableTable) -> tuple[ChangeTracker, bool]:
        """``table``'s view, and whether it was added by this call (it then holds no change yet)."""
        view = self._views.get(table)
        if view is not None:
            return view, False
        view = self._views[table] = table._add_change_view()
        return view, True

    def has_changes(self, table: Any) -> bool:
        """True when ``table`` changed since its view was last drained, or it has no view here."""
        view = self._views.get(table)
        return view is None or view.has_changes()

    def keep_only(self, tables: list[Any]) -> None:
        """Forget the views of tables other than ``tables`` (dropped ones a caller still holds): the table
        drops a view nothing holds at its next write, so no lock of a dropped table is needed here."""
        kept = {id(table) for table in tables}
        for table in [table for table in list(self._views.keys()) if id(table) not in kept]:
            self._views.pop(table, None)

    def release(self) -> None:
        """Stop tracking changes for these views: every table forgets its view now."""
        views = list(self._views.items())
        self._views.clear()
        for table, view in views:
            table._remove_change_view(view)


@dataclass(frozen=True)
class TableChanges:
    """One table's entry in a delta: its settings now, the keys to delete, then the records to store."""

    #: Settings as they are now; ``records`` are the records to store (inserted or changed, or every record
    #: of a created table), each replacing the one with its primary key.
    table: TableSnapshot
    #: True when the table did not exist at the last backup (or is a new table under an old name).
    created: bool
    #: The keys to delete before storing ``table.records``: deleted ones, then moved ones (tracking.py).
    delete: list[Any]


@dataclass
class Drained:
    """Changes drained from tables by a backup, kept until the backup's file is written.

    Example:
        >>> from dictdb import DictDB
        >>> from dictdb.storage.backups.changes import Views, take_full
        >>> db = DictDB()
        >>> users = db.create_table("users")
        >>> _ = take_full(db, views := Views())
        >>> users.insert({"name": "ada"})
        1
        >>> _, drained, _ = take_full(db, views)
        >>> users.has_changes(), views.has_changes(users)
        (False, False)
        >>> drained.put_back()  # the file could not be written: the next backup gets the changes again
        >>> users.get_dirty_records(), views.has_changes(users)
        ([{'name': 'ada', 'id': 1}], True)
    """

    taken: list[tuple[DrainableTable, ChangeTracker, list[Record], list[Any], Own]] = field(
        default_factory=list
    )

    def drain(self, table: DrainableTable, view: ChangeTracker) -> tuple[list[Record], list[Any]]:
        """Drain ``table``'s changes from ``view`` (and the table's own tracking), keep them for
        ``put_back``, and return them."""
        upserts, delete, own = table._drain_changes(view)
        if upserts or delete or own[0] or own[1]:
            self.taken.append((table, view, upserts, delete, own))
        return upserts, delete

    def put_back(self) -> None:
        """Return every drained change to its view and its table's tracking, under the changes made since."""
        # Under the database lock, like the drain (see take_delta).
        for table, view, upserts, delete, own in self.taken:
            table._restore_changes(view, upserts, delete, own)


@dataclass(frozen=True)
class TakenDelta:
    """What ``take_delta`` took: the changes, what to put back on failure, and the registry now."""

    dropped: list[Any]
    tables: list[TableChanges]
    drained: Drained
    registry: Registry

    def is_empty(self) -> bool:
        """True when nothing changed since the last backup: there is no delta to write."""
        return not self.dropped and not self.tables


def take_full(db: DrainableDatabase, views: Views) -> tuple[DatabaseSnapshot, Drained, Registry]:
    """A point-in-time snapshot of every table, with each table's view in ``views`` drained (added when
    missing): after a full backup, the next delta holds the changes made after this snapshot and no others.

    Example:
        >>> from dictdb import DictDB
        >>> from dictdb.storage.backups.changes import Views, take_full
        >>> db = DictDB()
        >>> db.create_table("users").insert({"name": "ada"})
        1
        >>> snap, drained, registry = take_full(db, Views())
        >>> [t.records for t in snap.tables], list(registry), db.get_table("users").has_changes()
        ([[{'name': 'ada', 'id': 1}]], ['users'], False)
    """
    # The database lock and every table's write lock are held throughout, so the drains and the snapshot
    # see one point in time and no write falls between a drain and its snapshot (docs/concurrency.md).
    with snapshot.holding(db, write=True):
        tables = list(db.tables.items())
        views.keep_only([table for _, table in tables])
        drained = Drained()
        for _, table in tables:
            drained.drain(table, views.of(table)[0])
        try:
            snap = snapshot.take(db)
        except BaseException:
            drained.put_back()
            raise
        return snap, drained, _registry(tables)


def take_delta(db: DrainableDatabase, registry: Registry, views: Views) -> TakenDelta:
    """The changes since the backup that left ``registry`` and ``views``: the tables dropped since, and for
    each table created or changed since, its settings, the keys to delete and the records to store; each
    table's view drained in the same step.

    Example:
        >>> from dictdb import DictDB
        >>> from dictdb.storage.backups.changes import Views, take_delta, take_full
        >>> db = DictDB()
        >>> users = db.create_table("users")
        >>> users.insert([{"name": "ada"}, {"name": "bob"}])
        [1, 2]
        >>> _, _, registry = take_full(db, views := Views())
        >>> users.update({"name": "bo"}, where=users.id == 2); db.drop_table("users")
        1
        >>> _ = db.create_table("users").insert({"name": "cy"})
        >>> taken = take_delta(db, registry, views)
        >>> taken.dropped, [(c.created, c.table.records) for c in taken.tables]
        (['users'], [(True, [{'name': 'cy', 'id': 1}])])
    """
    # One step for all tables: the database lock and every table's write lock are held throughout, so
    # every table is drained at the same point in time (docs/concurrency.md).
    with snapshot.holding(db, write=True):
        return _take_delta(db, registry, views)


def _take_delta(db: DrainableDatabase, registry: Registry, views: Views) -> TakenDelta:
    tables = list(db.tables.items())
    views.keep_only([table for _, table in tables])
    dropped = [name for name, ref in registry.items() if _gone(name, ref, db.tables)]
    drained = Drained()
    changes = []
    for name, table in tables:
        view, new = views.of(table)
        upserts, delete = drained.drain(table, view)
        ref = registry.get(name)
        created = ref is None or ref() is not table
        if new and not created:
            # The last backup had this table but no view of it (never so for a manager's own registry):
            # its changes since are unknown, so the delta drops it and creates it again, whole.
            dropped.append(name)
            created = True
        if created:
            # The backups before this delta do not have this table: it goes in whole.
            upserts, delete = _records.copy_records(list(table.records.values())), []
        elif not upserts and not delete and ref is not None and ref.same_indexes(table):
            continue  # nothing changed: neither a record nor an index
        changes.append(TableChanges(snapshot.table_snapshot(name, table, upserts), created, delete))
    return TakenDelta(dropped, changes, drained, _registry(tables))


def _gone(name: Any, ref: weakref.ReferenceType[Any], tables: Mapping[Any, Any]) -> bool:
    """True when the table ``ref`` points to is no longer the database's table ``name``."""
    old = ref()
    return old is None or tables.get(name) is not old
