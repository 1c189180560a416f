"""A point-in-time, plain-data view of a database (``take``) and the way back to tables (``restore``).

Of a database it uses ``db.tables`` and ``db.create_table(name, primary_key=..., schema=...)``; of a table
``primary_key``, ``schema``, ``records`` (pk -> record), ``indexes`` (field, or tuple of fields for a
composite index -> index object, definition read by ``_index_kind``) and ``_next_pk``; a restore hands a
new table its records and counter through ``_fill(records, next_pk)``, and, when a table has them, calls
``validate_record(record)`` and ``create_index(field, kind, unique=...)`` (the protocols of
``storage/tables.py``). A table whose ``schema`` is ``None`` is taken to accept any dict, as ``Table``'s
``validate_record`` does: its records are checked to be dicts in one pass, without a call per record.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from itertools import repeat
from operator import eq
from typing import Any

from dictdb._core import records as _records
from dictdb.exceptions import DatabaseFileError, DictDBError
from dictdb.storage.progress import Progress
from dictdb.storage.tables import DB, DatabaseLike, TableLike

__all__ = ["DatabaseSnapshot", "TableSnapshot", "keyed_records", "restore", "table_snapshot", "take"]

Record = dict[Any, Any]


@dataclass(frozen=True)
class TableSnapshot:
    """One table as plain data: what a file holds for it."""

    name: Any
    primary_key: Any
    #: field -> Python type, or ``None`` for a table without a schema.
    schema: dict[Any, Any] | None
    #: field (a tuple of fields for a composite index) -> index kind, as ``create_index`` takes it
    #: (``"hash"``, ``"sorted"``), preceded by ``"unique "`` for a unique index.
    indexes: dict[Any, str]
    #: The next automatic primary key; ``None`` when the file did not say (``dctdb`` files).
    next_pk: int | None
    records: list[Record]
    #: True when ``records`` are a table's own stored dicts (``take``), not copies: read them, never change
    #: them, and copy them before another table stores them (``restore`` does).
    shared: bool = False


@dataclass(frozen=True)
class DatabaseSnapshot:
    """Every table of a database at one point in time, in creation order."""

    tables: list[TableSnapshot]


def take(db: DatabaseLike) -> DatabaseSnapshot:
    """A point-in-time view of every table of ``db``: its settings and its stored records, as they are now.

    The records are the table's own dicts, not copies (``TableSnapshot.shared``): a table never changes a
    stored record in place (an ``update`` stores a new dict, a ``delete`` drops it from the table's dict of
    records), so the list of them taken now stays the table as it was now, whatever is written after. So
    ``take`` holds the locks only while it lists the references (about 8 ms per 1,000,000 records), and
    copies nothing; whoever reads the snapshot must not change its records either. (A caller who mutates a
    nested list it inserted changes the table behind its back, saved or not.)

    Example:
        >>> from dictdb import DictDB
        >>> from dictdb.storage.files.snapshot import take
        >>> db = DictDB()
        >>> users = db.create_table("users")
        >>> users.insert({"name": "ada"})
        1
        >>> snap = take(db)
        >>> users.update({"name": "bob"}, where=users.id == 1)
        1
        >>> [(t.name, t.next_pk, t.records, t.shared) for t in snap.tables]
        [('users', 2, [{'name': 'ada', 'id': 1}], True)]
    """
    # One point in time for all tables: the database's lock and every table's read lock are held while it
    # lists the records, and only then; encoding and writing run after, outside them. Each table's list is
    # one C-level step over its dict of records: nothing else is done under the locks.
    with holding(db, write=False):
        return DatabaseSnapshot([_take_table(name, table) for name, table in list(db.tables.items())])


def holding(db: Any, *, write: bool) -> AbstractContextManager[object]:
    """The database's ``_hold_all`` (its lock, then every table's, in the lock order of
    docs/concurrency.md), or nothing for a database object without locks."""
    hold = getattr(type(db), "_hold_all", None)
    if hold is None:
        return nullcontext()
    held: AbstractContextManager[object] = hold(db, write=write)
    return held


def _take_table(name: Any, table: TableLike) -> TableSnapshot:
    return table_snapshot(name, table, list(table.records.values()), shared=True)


def table_snapshot(
    name: Any, table: TableLike, records: list[Record], *, shared: bool = False
) -> TableSnapshot:
    """``table``'s settings as they are now, with ``records`` as its records: the caller's copies (what a
    backup delta holds for a table, whose records are only the changed ones), or with ``shared=True`` the
    table's own stored dicts.

    Example:
        >>> from dictdb import Table
        >>> from dictdb.storage.files.snapshot import table_snapshot
        >>> users = Table("users")
        >>> users.insert({"name": "ada"})
        1
        >>> table_snapshot("users", users, [])  # doctest: +NORMALIZE_WHITESPACE
        TableSnapshot(name='users', primary_key='id', schema=None, indexes={}, next_pk=2, records=[],
                      shared=False)
    """
    return TableSnapshot(
        name=name,
        primary_key=table.primary_key,
        schema=None if table.schema is None else dict(table.schema),
        indexes=index_definitions(table),
        next_pk=table._next_pk,
        records=records,
        shared=shared,
    )


def index_definitions(table: TableLike) -> dict[Any, str]:
    """``{field: kind}`` of ``table``'s indexes, in creation order, as a file keeps them."""
    return {field: _index_kind(index) for field, index in table.indexes.items()}


def _index_kind(index: Any) -> str:
    """The kind of an index object, as a file keeps it: its ``definition`` (``"unique hash"``) or ``kind``
    attribute when it has one, else its class name without ``Index`` (``HashIndex`` -> ``"hash"``)."""
    for attribute in ("definition", "kind"):
        kind = getattr(index, attribute, None)
        if isinstance(kind, str):
            return kind
    return type(index).__name__.removesuffix("Index").lower()


def _create_index(create_index: Callable[..., Any], field: Any, kind: str) -> None:
    """Rebuild one index: ``"unique <kind>"`` is ``create_index(field, kind, unique=True)``."""
    unique, _, rest = kind.partition(" ")
    if unique == "unique" and rest:
        create_index(field, rest, unique=True)
    else:
        create_index(field, kind)


def restore(
    snapshot: DatabaseSnapshot,
    factory: Callable[[], DB],
    source: str | os.PathLike[str],
    progress: Progress | None = None,
) -> DB:
    """A new database made by ``factory()`` holding the tables of ``snapshot``, indexes rebuilt;
    ``progress`` counts the records of the tables built (a table at a time).

    ``source`` is the file the snapshot came from, named by the ``DatabaseFileError`` raised when the
    records break the table's rules (a missing or duplicate primary key, a record failing the schema).
    Records are stored as they are when they are fresh objects from a file, without a per-record insert;
    a table whose records are ``shared`` with another table (a snapshot ``take`` made) gets copies.

    Example:
        >>> from dictdb import DictDB
        >>> from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot, restore
        >>> table = TableSnapshot("users", "id", None, {}, 2, [{"id": 1, "name": "ada"}])
        >>> restore(DatabaseSnapshot([table]), DictDB, "users.json").get_table("users").get(1)
        {'id': 1, 'name': 'ada'}
    """
    db = factory()
    total = sum(len(snap.records) for snap in snapshot.tables)
    done = 0
    for snap in snapshot.tables:
        where = f"table {snap.name!r}"
        try:
            table = db.create_table(snap.name, primary_key=snap.primary_key, schema=snap.schema)
        except (DictDBError, TypeError, ValueError) as exc:
            raise DatabaseFileError(source, f"{where}: cannot create it: {exc}") from exc
        by_pk = keyed_records(snap, source)
        if snap.shared:  # the records belong to a live table: this table must own its own dicts
            by_pk = dict(zip(by_pk, _records.copy_records(list(by_pk.values())), strict=True))
        validate = _method(table, "validate_record")
        if validate is not None and not _plain_dicts(table, by_pk):
            for pk, record in by_pk.items():
                try:
                    validate(record)
                except DictDBError as exc:
                    reason = f"{where}, record with primary key {pk!r}: {exc}"
                    raise DatabaseFileError(source, reason) from exc
        table._fill(by_pk, _next_pk(snap.next_pk, by_pk))
        create_index = _method(table, "create_index")
        if create_index is not None:
            for field, kind in snap.indexes.items():
                try:
                    _create_index(create_index, field, kind)
                except (DictDBError, TypeError, ValueError) as exc:
                    reason = f"{where}: cannot rebuild the {kind!r} index on {field!r}: {exc}"
                    raise DatabaseFileError(source, reason) from exc
        if progress is not None:
            done += len(snap.records)
            progress.at(done, total)
    return db


def _method(table: TableLike, name: str) -> Callable[..., Any] | None:
    """``table.<name>`` when the table's class defines that method, else ``None``. Looked up on the class:
    a table answers any unknown attribute with a ``Field``, so ``hasattr(table, name)`` is always true."""
    if not callable(getattr(type(table), name, None)):
        return None
    method: Callable[..., Any] = getattr(table, name)
    return method


def keyed_records(snap: TableSnapshot, source: str | os.PathLike[str]) -> dict[Any, Record]:
    """The records of ``snap`` by primary key, in order; ``DatabaseFileError`` naming ``source`` and the
    record when one has no key, a null, NaN or unhashable one, or one an earlier record has.

    Example:
        >>> from dictdb.storage.files.snapshot import TableSnapshot, keyed_records
        >>> keyed_records(TableSnapshot("t", "id", None, {}, 3, [{"id": 1}, {"id": 2}]), "db.json")
        {1: {'id': 1}, 2: {'id': 2}}
    """
    pk_field = snap.primary_key
    try:
        by_pk = {record[pk_field]: record for record in snap.records}
    except (KeyError, TypeError):
        by_pk = {}  # a record without its key, or an unhashable key: found and named below
    # all(map(eq, ...)): no NaN key, which equals nothing, not even itself (one C-level pass).
    if len(by_pk) == len(snap.records) and None not in by_pk and all(map(eq, by_pk, by_pk)):
        return by_pk
    # Only a bad file gets here: the same work again, one record at a time, to name the wrong one.
    seen: dict[Any, Record] = {}
    for position, record in enumerate(snap.records):
        where = f"table {snap.name!r}, record #{position + 1}"
        if pk_field not in record:
            raise DatabaseFileError(source, f"{where} has no primary key field {pk_field!r}")
        pk = record[pk_field]
        try:
            duplicate = pk in seen
        except TypeError:
            raise DatabaseFileError(source, f"{where}: its primary key {pk!r} is not hashable") from None
        if pk is None:
            raise DatabaseFileError(source, f"{where}: its primary key is null")
        if pk != pk:
            raise DatabaseFileError(source, f"{where}: its primary key is {pk!r}, which equals nothing")
        if duplicate:
            raise DatabaseFileError(source, f"{where}: its primary key {pk!r} is taken by an earlier record")
        seen[pk] = record
    return seen


def _plain_dicts(table: TableLike, by_pk: dict[Any, Record]) -> bool:
    """True when ``table`` has no schema and every record is a dict: all that ``validate_record`` asks
    then, said in one C-level pass instead of a call per record."""
    return table.schema is None and all(map(isinstance, by_pk.values(), repeat(dict)))


def _next_pk(saved: int | None, by_pk: dict[Any, Record]) -> int:
    """The saved counter, but never at or below an int key already taken (an edited or ``dctdb`` file)."""
    # The usual table has only int keys: their max in one C-level pass. Other keys (strs, mixed types, bools)
    # give another max, or none, and the int keys are then picked out one by one.
    try:
        taken = max(by_pk, default=0)
    except TypeError:  # keys of types that do not compare
        taken = None
    if type(taken) is not int:
        taken = max((pk for pk in by_pk if type(pk) is int), default=0)
    return max(saved or 1, taken + 1)
