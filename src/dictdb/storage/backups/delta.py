"""Backup delta files: the changes between one backup and the next, written, read and applied.

A delta is a JSON file, values tagged as in database files (``codec.py``), written through the atomic
writer; docs/backups.md describes it::

    {"_meta": {"format": "dictdb-delta", "version": 1, "library_version": "0.1.0",
               "saved_at": "2026-01-31T12:00:05+00:00", "base": "dictdb_backup_<time>.json", "sequence": 2,
               "previous": "dictdb_delta_<time>.json"},
     "dropped": ["<name>", ...],
     "tables": {"<name>": {"created": false, "primary_key": "id", "schema": ..., "indexes": {...},
                           "next_pk": 9, "deletes": [<pk>, ...], "records": [{...}, ...]}}}

Applying one, in order: drop the ``dropped`` tables; then for each entry of ``tables``, create the table
when ``created`` (empty, with those settings), delete the ``deletes`` keys, store the ``records`` (each
replacing the record with its primary key, or coming last in insertion order when the key is new), and take
``next_pk`` and ``indexes`` as the table's. Each table entry is a table object of a database file plus
``created`` and ``deletes``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from typing import Any

from dictdb.exceptions import DatabaseFileError
from dictdb.storage.backups.changes import TableChanges
from dictdb.storage.files import codec, document
from dictdb.storage.files.atomic import atomic_write
from dictdb.storage.files.jsonfile import read_tagged
from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot, keyed_records

__all__ = ["FORMAT", "VERSION", "Delta", "Restoring", "read_delta", "write_delta"]

Path = str | os.PathLike[str]
Record = dict[Any, Any]

#: ``_meta.format`` of every delta file.
FORMAT = "dictdb-delta"
#: The delta format version this DictDB writes, and the newest it reads.
VERSION = 1

_dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, check_circular=False).encode


@dataclass(frozen=True)
class Delta:
    """A delta as read from a file."""

    #: The file name of the full backup this delta builds on (with the deltas before it).
    base: str
    #: 1 for the first delta after ``base``, 2 for the next...
    sequence: int
    dropped: list[Any]
    tables: list[TableChanges]
    #: The file name of the delta this one follows (``sequence - 1``); ``None`` for the first delta, and in
    #: files written before deltas named it. It tells a restore which of two deltas with one sequence
    #: number (a failed one left behind, and the one that replaced it) the chain goes through.
    previous: str | None = None


def write_delta(delta: Delta, path: Path) -> None:
    """Write ``delta`` to ``path``, atomically. ``UnsupportedValueError`` (nothing written) for a value the
    format cannot hold, as for a database file.

    Example:
        >>> import os, tempfile
        >>> from dictdb.storage.backups.changes import TableChanges
        >>> from dictdb.storage.backups.delta import Delta, read_delta, write_delta
        >>> from dictdb.storage.files.snapshot import TableSnapshot
        >>> path = os.path.join(tempfile.mkdtemp(), "delta.json")
        >>> users = TableSnapshot("users", "id", None, {}, 3, [{"id": 2, "name": "bob"}])
        >>> write_delta(Delta("dictdb_backup_x.json", 1, [], [TableChanges(users, False, [1])]), path)
        >>> change = read_delta(path).tables[0]
        >>> change.delete, change.table.records
        ([1], [{'id': 2, 'name': 'bob'}])
    """
    # Everything is encoded before the file is opened: a value that cannot be saved writes nothing.
    pairs = not codec.is_plain_mapping({change.table.name: None for change in delta.tables})
    dropped = [codec.encode(name, table=name, what="name") for name in delta.dropped]
    entries = [(_member_start(change.table.name, pairs), *_encode_entry(change)) for change in delta.tables]
    meta = document.meta()
    meta.update(format=FORMAT, version=VERSION, base=delta.base, sequence=delta.sequence)
    if delta.previous is not None:
        meta["previous"] = delta.previous
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(f'{{"_meta": {_dumps(meta)},\n"dropped": {_dumps(dropped)},\n"tables": ')
        out.write('{"$dict": [' if pairs else "{")
        for position, (start, open_header, records) in enumerate(entries):
            out.write(",\n" if position else "\n")
            out.write(start + open_header + ', "records": [')
            if records:
                out.write("\n" + ",\n".join(map(_dumps, records)))
            out.write("\n]}]" if pairs else "\n]}")
        out.write("\n]}}\n" if pairs else "\n}}\n")


def _encode_entry(change: TableChanges) -> tuple[str, list[Any]]:
    """A table entry, the header left open for its last member (the records), and the encoded records."""
    table = change.table
    header = {"created": change.created, **document.table_header(table)}
    encoded = codec.encode(header, table=table.name, what="settings")
    encoded["deletes"] = codec.encode(change.delete, table=table.name, what="deleted primary keys")
    records = [
        codec.encode_record(record, table=table.name, pk_field=table.primary_key) for record in table.records
    ]
    return _dumps(encoded)[:-1], records


def _member_start(name: Any, pairs: bool) -> str:
    """What opens a table's entry in "tables": ``"name": `` or, in the pair form, ``[name, ``."""
    if not pairs:
        return f"{_dumps(name)}: "
    return f"[{_dumps(codec.encode(name, table=name, what='name'))}, "


def read_delta(path: Path) -> Delta:
    """Read and check a delta file. ``DatabaseFileNotFoundError`` when there is none; ``DatabaseFileError``
    naming the file and the place when it is not a valid delta (or one of a newer version).

    Example:
        >>> import os, tempfile
        >>> from dictdb.exceptions import DatabaseFileError
        >>> from dictdb.storage.backups.delta import read_delta
        >>> path = os.path.join(tempfile.mkdtemp(), "delta.json")
        >>> _ = open(path, "w").write('{"_meta": {"format": "dictdb"}, "tables": {}}')
        >>> try:
        ...     read_delta(path)
        ... except DatabaseFileError as exc:
        ...     print(exc.reason)
        not a DictDB backup delta: '_meta' says format 'dictdb', not 'dictdb-delta'
    """
    doc = read_tagged(path)
    if type(doc) is not dict or type(doc.get("_meta")) is not dict:
        raise DatabaseFileError(path, "not a DictDB backup delta: it is not an object with a '_meta' object")
    base, sequence, previous = _check_meta(doc["_meta"], path)
    dropped = doc.get("dropped")
    if type(dropped) is not list:
        raise DatabaseFileError(path, "'dropped' must be an array of table names")
    tables = doc.get("tables")
    if type(tables) is not dict:
        raise DatabaseFileError(path, "'tables' must be an object of table changes")
    entries = [_parse_entry(name, entry, path) for name, entry in tables.items()]
    return Delta(base, sequence, dropped, entries, previous)


def _check_meta(meta: dict[str, Any], path: Path) -> tuple[str, int, str | None]:
    if meta.get("format") != FORMAT:
        reason = f"not a DictDB backup delta: '_meta' says format {meta.get('format')!r}, not {FORMAT!r}"
        raise DatabaseFileError(path, reason)
    version = meta.get("version")
    if type(version) is not int or version < 1:
        raise DatabaseFileError(path, f"'_meta' has an invalid delta format version {version!r}")
    if version > VERSION:
        raise DatabaseFileError(
            path,
            f"written by a newer DictDB ({meta.get('library_version')!r}, delta format version {version}); "
            f"this one reads versions 1 to {VERSION}: upgrade cydictdb to restore it",
        )
    base, sequence = meta.get("base"), meta.get("sequence")
    if type(base) is not str or type(sequence) is not int or sequence < 1:
        reason = (
            f"'_meta' must name its 'base' (a string) and 'sequence' (from 1), not {base!r} and {sequence!r}"
        )
        raise DatabaseFileError(path, reason)
    previous = meta.get("previous")
    if previous is not None and (type(previous) is not str or sequence == 1):
        reason = f"'_meta' 'previous' must name the delta before this one (none for #1), not {previous!r}"
        raise DatabaseFileError(path, reason)
    return base, sequence, previous


def _parse_entry(name: Any, entry: Any, path: Path) -> TableChanges:
    if type(entry) is not dict:
        raise DatabaseFileError(path, f"table {name!r} must be an object, not {type(entry).__name__}")
    created, delete = entry.get("created"), entry.get("deletes")
    if type(created) is not bool:
        raise DatabaseFileError(path, f"table {name!r}: 'created' must be true or false, not {created!r}")
    if type(delete) is not list:
        raise DatabaseFileError(path, f"table {name!r}: 'deletes' must be an array of primary keys")
    return TableChanges(document.parse_table(name, entry, path), created, delete)


class Restoring:
    """A database being rebuilt from a full backup and the deltas after it, as plain data.

    Example:
        >>> from dictdb import DictDB
        >>> from dictdb.storage.backups.changes import TableChanges
        >>> from dictdb.storage.backups.delta import Delta, Restoring
        >>> from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot, restore
        >>> full = TableSnapshot("t", "id", None, {}, 3, [{"id": 1}, {"id": 2, "v": 0}])
        >>> state = Restoring(DatabaseSnapshot([full]), "full.json")
        >>> change = TableChanges(TableSnapshot("t", "id", None, {}, 4, [{"id": 2, "v": 1}, {"id": 3}]),
        ...                       False, [1])
        >>> state.apply(Delta("full.json", 1, [], [change]), "delta.json")
        >>> restore(state.snapshot(), DictDB, "folder").get_table("t").all()
        [{'id': 2, 'v': 1}, {'id': 3}]
    """

    def __init__(self, full: DatabaseSnapshot, source: Path) -> None:
        # name -> (settings, with no records; the records by primary key, in insertion order)
        self._tables: dict[Any, tuple[TableSnapshot, dict[Any, Record]]] = {
            table.name: (replace(table, records=[]), keyed_records(table, source)) for table in full.tables
        }

    def apply(self, delta: Delta, source: Path) -> None:
        """Apply ``delta``, read from ``source``; ``DatabaseFileError`` naming it when the delta does not
        fit the state (it drops or changes a table that is not there, or creates one that is)."""
        for name in delta.dropped:
            if name not in self._tables:
                raise DatabaseFileError(source, f"it drops table {name!r}, which the backups before it lack")
            del self._tables[name]
        for change in delta.tables:
            self._apply_table(change, source)

    def _apply_table(self, change: TableChanges, source: Path) -> None:
        settings, name = change.table, change.table.name
        if change.created:
            if name in self._tables:
                raise DatabaseFileError(
                    source, f"it creates table {name!r}, which the backups before it have"
                )
            records: dict[Any, Record] = {}
        else:
            if name not in self._tables:
                raise DatabaseFileError(
                    source, f"it changes table {name!r}, which the backups before it lack"
                )
            before, records = self._tables[name]
            if (before.primary_key, before.schema) != (settings.primary_key, settings.schema):
                reason = f"table {name!r}: its primary key or schema differs from the backups before it"
                raise DatabaseFileError(source, reason)
        for pk in change.delete:
            try:
                records.pop(pk, None)
            except TypeError:
                raise DatabaseFileError(
                    source, f"table {name!r}: deleted key {pk!r} is not hashable"
                ) from None
        # A key deleted above comes back last in insertion order; one kept keeps its place.
        records.update(keyed_records(settings, source))
        self._tables[name] = (replace(settings, records=[]), records)

    def snapshot(self) -> DatabaseSnapshot:
        """The state as a snapshot, for ``snapshot.restore`` to build the database from."""
        return DatabaseSnapshot(
            [replace(settings, records=list(records.values())) for settings, records in self._tables.values()]
        )
