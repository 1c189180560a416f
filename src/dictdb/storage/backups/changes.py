"""Taking a database's changes out for a backup: a full snapshot or a delta, each with the change tracking
drained in the same step, and the way to put the drained changes back when the backup's file cannot be
written (so the next backup still holds them: a failed backup loses nothing).

Besides what ``snapshot`` uses of tables, this module calls two private Table methods,
``_drain_changes()`` and ``_restore_changes(upserts, delete)`` (the ``DrainableTable`` protocol).

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

__all__ = ["Drained", "Registry", "TableChanges", "TakenDelta", "take_delta", "take_full"]

Record = dict[Any, Any]

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


Registry = dict[Any, TableRef]


def _registry(tables: list[tuple[Any, Any]]) -> Registry:
    return {name: TableRef(table, index_definitions(table)) for name, table in tables}


class DrainableTable(TableLike, Protocol):
    """What this module uses of a table, besides ``TableLike``."""

    def _drain_changes(self) -> tuple[list[Record], list[Any]]: ...

    def _restore_changes(self, upserts: list[Record], delete: list[Any]) -> None: ...


class DrainableDatabase(DatabaseLike, Protocol):
    """What this module uses of a database."""

    @property
    def tables(self) -> Mapping[Any, DrainableTable]: ...


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
        >>> from dictdb.storage.backups.changes import take_full
        >>> db = DictDB()
        >>> users = db.create_table("users")
        >>> users.insert({"name": "ada"})
        1
        >>> _, drained, _ = take_full(db)
        >>> users.has_changes()
        False
        >>> drained.put_back()  # the file could not be written: the next backup gets the changes again
        >>> users.get_dirty_records()
        [{'name': 'ada', 'id': 1}]
    """

    taken: list[tuple[DrainableTable, list[Record], list[Any]]] = field(default_factory=list)

    def drain(self, table: DrainableTable) -> tuple[list[Record], list[Any]]:
        """Drain ``table``'s changes, keep them for ``put_back``, and return them."""
        upserts, delete = table._drain_changes()
        if upserts or delete:
            self.taken.append((table, upserts, delete))
        return upserts, delete

    def put_back(self) -> None:
        """Return every drained change to its table's tracking, under the changes made since."""
        # Under the database lock, like the drain (see take_delta).
        for table, upserts, delete in self.taken:
            table._restore_changes(upserts, delete)


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


def take_full(db: DrainableDatabase) -> tuple[DatabaseSnapshot, Drained, Registry]:
    """A point-in-time snapshot of every table, with each table's change tracking drained: after a full
    backup, the next delta holds the changes made after this snapshot and no others.

    Example:
        >>> from dictdb import DictDB
        >>> from dictdb.storage.backups.changes import take_full
        >>> db = DictDB()
        >>> db.create_table("users").insert({"name": "ada"})
        1
        >>> snap, drained, registry = take_full(db)
        >>> [t.records for t in snap.tables], list(registry), db.get_table("users").has_changes()
        ([[{'name': 'ada', 'id': 1}]], ['users'], False)
    """
    # The database lock and every table's write lock are held throughout, so the drains and the snapshot
    # see one point in time and no write falls between a drain and its snapshot (docs/concurrency.md).
    with snapshot.holding(db, write=True):
        tables = list(db.tables.items())
        drained = Drained()
        for _, table in tables:
            drained.drain(table)
        try:
            snap = snapshot.take(db)
        except BaseException:
            drained.put_back()
            raise
        return snap, drained, _registry(tables)


def take_delta(db: DrainableDatabase, registry: Registry) -> TakenDelta:
    """The changes since the backup that left ``registry``: the tables dropped since, and for each table
    created or changed since, its settings, the keys to delete and the records to store; each table's
    change tracking drained in the same step.

    Example:
        >>> from dictdb import DictDB
        >>> from dictdb.storage.backups.changes import take_delta, take_full
        >>> db = DictDB()
        >>> users = db.create_table("users")
        >>> users.insert([{"name": "ada"}, {"name": "bob"}])
        [1, 2]
        >>> _, _, registry = take_full(db)
        >>> users.update({"name": "bo"}, where=users.id == 2); db.drop_table("users")
        1
        >>> _ = db.create_table("users").insert({"name": "cy"})
        >>> taken = take_delta(db, registry)
        >>> taken.dropped, [(c.created, c.table.records) for c in taken.tables]
        (['users'], [(True, [{'name': 'cy', 'id': 1}])])
    """
    # One step for all tables: the database lock and every table's write lock are held throughout, so
    # every table is drained at the same point in time (docs/concurrency.md).
    with snapshot.holding(db, write=True):
        return _take_delta(db, registry)


def _take_delta(db: DrainableDatabase, registry: Registry) -> TakenDelta:
    tables = list(db.tables.items())
    dropped = [name for name, ref in registry.items() if _gone(name, ref, db.tables)]
    drained = Drained()
    changes = []
    for name, table in tables:
        upserts, delete = drained.drain(table)
        ref = registry.get(name)
        created = ref is None or ref() is not table
        if created:
            # The backups before this delta do not have this table: it goes in whole.
            upserts, delete = _records.copy_records(list(table.records.values())), []
        elif not upserts and not delete and ref is not None and ref.indexes == index_definitions(table):
            continue  # nothing changed: neither a record nor an index
        changes.append(TableChanges(snapshot.table_snapshot(name, table, upserts), created, delete))
    return TakenDelta(dropped, changes, drained, _registry(tables))


def _gone(name: Any, ref: weakref.ReferenceType[Any], tables: Mapping[Any, Any]) -> bool:
    """True when the table ``ref`` points to is no longer the database's table ``name``."""
    old = ref()
    return old is None or tables.get(name) is not old
