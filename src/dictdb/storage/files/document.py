"""The document a database file holds, the same in both formats, and its validation on load::

    {"_meta": {"format": "dictdb", "version": 1, "library_version": "0.1.0",
               "saved_at": "2026-01-31T12:00:00+00:00"},
     "tables": {"<name>": {"primary_key": "id", "schema": {"<field>": "<type name>"} or null,
                           "indexes": {"<field>": "hash" or "sorted"}, "next_pk": 4,
                           "records": [{...}, ...]}}}

An index kind may be preceded by ``"unique "``; a composite index's key is the tuple of its fields, which
makes ``indexes`` a dict with a non-string key, written in the codec's pair form (docs/persistence.md).

A document without ``_meta`` but with ``tables`` is version 0, the layout ``dctdb`` wrote: each table has
``primary_key``, ``schema`` and ``records`` only.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from dictdb.exceptions import DatabaseFileError, UnsupportedValueError
from dictdb.storage.files import schema_names
from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot

__all__ = ["FORMAT", "VERSION", "check_meta", "meta", "parse", "parse_table", "table_header"]

#: ``_meta.format`` of every DictDB file.
FORMAT = "dictdb"
#: The file format version this DictDB writes in JSON files, and the newest it reads in them (it reads 0,
#: ``dctdb``'s, too). Pickle files have their own, ``pickle_safe.VERSION``: one document, two layouts.
VERSION = 1

Source = str | os.PathLike[str]

_REQUIRED = ("primary_key", "schema", "indexes", "next_pk", "records")
_REQUIRED_V0 = ("primary_key", "records")


def meta(version_: int = VERSION) -> dict[str, Any]:
    """The ``_meta`` object of a file written now, in layout ``version_``.

    Example:
        >>> from dictdb.storage.files.document import meta
        >>> sorted(meta())
        ['format', 'library_version', 'saved_at', 'version']
    """
    return {
        "format": FORMAT,
        "version": version_,
        "library_version": _library_version(),
        "saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


@functools.cache
def _library_version() -> str:
    try:
        return version("cydictdb")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def table_header(table: TableSnapshot) -> dict[str, Any]:
    """Everything a file holds for ``table`` but its records, in the document's key order; schema types
    become names. ``UnsupportedValueError`` when a setting cannot be written.

    Example:
        >>> from dictdb.storage.files.document import table_header
        >>> from dictdb.storage.files.snapshot import TableSnapshot
        >>> table_header(TableSnapshot("users", "id", {"id": int}, {"age": "sorted"}, 3, []))
        {'primary_key': 'id', 'schema': {'id': 'int'}, 'indexes': {'age': 'sorted'}, 'next_pk': 3}
    """
    if type(table.primary_key) is not str:
        raise UnsupportedValueError(
            f"cannot save table {table.name!r}: its primary key name {table.primary_key!r} is not a str",
            table=table.name,
        )
    schema = None
    if table.schema is not None:
        schema = {}
        for field, tp in table.schema.items():
            try:
                schema[field] = schema_names.name_of(tp)
            except ValueError as exc:
                message = f"cannot save the schema of table {table.name!r}, field {field!r}: {exc}"
                raise UnsupportedValueError(message, table=table.name, field=field) from None
    return {
        "primary_key": table.primary_key,
        "schema": schema,
        "indexes": dict(table.indexes),
        "next_pk": table.next_pk,
    }


def parse(doc: Any, source: Source, *, newest: int = VERSION) -> DatabaseSnapshot:
    """Check a loaded document (version 1 to ``newest``, or 0 from ``dctdb``) and turn it into a snapshot.

    ``DatabaseFileError`` naming ``source`` and the place when anything is missing, of the wrong type, of
    another format or of a version newer than ``newest``. Versions 1 and up hold the same document; a
    newer one only lays it out differently in its file, which its reader has undone before this.

    Example:
        >>> from dictdb.storage.files.document import parse
        >>> doc = {"tables": {"users": {"primary_key": "id", "schema": None, "records": [{"id": 1}]}}}
        >>> parse(doc, "old.json").tables[0].records
        [{'id': 1}]
    """
    if type(doc) is not dict:
        reason = f"not a DictDB file: it holds {_kind(doc)}, not an object with 'tables'"
        raise DatabaseFileError(source, reason)
    if "_meta" in doc:
        version_ = check_meta(doc["_meta"], source, newest)
    elif "tables" in doc:
        version_ = 0
    else:
        raise DatabaseFileError(source, "not a DictDB file: it has neither '_meta' nor 'tables'")
    tables = doc.get("tables")
    if type(tables) is not dict:
        raise DatabaseFileError(source, f"'tables' must be an object of tables, not {_kind(tables)}")
    return DatabaseSnapshot([_parse_table(name, table, version_, source) for name, table in tables.items()])


def parse_table(name: Any, table: Any, source: Source) -> TableSnapshot:
    """Check one table object of the current version (its settings and its records, as a file holds
    them) and turn it into a ``TableSnapshot``; keys it does not know are ignored. ``DatabaseFileError``
    naming ``source``, the table and the place when anything is missing or of the wrong type.

    Example:
        >>> from dictdb.storage.files.document import parse_table
        >>> found = {"primary_key": "id", "schema": {"id": "int"}, "indexes": {}, "next_pk": 2,
        ...          "records": [{"id": 1}]}
        >>> parse_table("users", found, "delta.json").schema
        {'id': <class 'int'>}
    """
    return _parse_table(name, table, VERSION, source)


def check_meta(found: Any, source: Source, newest: int = VERSION) -> int:
    """The version of a file whose ``_meta`` object is ``found``; ``DatabaseFileError`` naming ``source``
    when it is not a DictDB file's, or of a version above ``newest``.

    Example:
        >>> from dictdb.storage.files.document import check_meta
        >>> check_meta({"format": "dictdb", "version": 1}, "db.json")
        1
    """
    if type(found) is not dict:
        raise DatabaseFileError(source, f"'_meta' must be an object, not {_kind(found)}")
    if found.get("format") != FORMAT:
        raise DatabaseFileError(
            source, f"not a DictDB file: '_meta' says format {found.get('format')!r}, not {FORMAT!r}"
        )
    version_ = found.get("version")
    if type(version_) is not int or version_ < 1:
        raise DatabaseFileError(source, f"'_meta' has an invalid format version {version_!r}")
    if version_ > newest:
        raise DatabaseFileError(
            source,
            f"written by a newer DictDB ({found.get('library_version')!r}, file format version {version_}); "
            f"this one ({_library_version()}) reads versions 0 to {newest}: upgrade cydictdb to load it",
        )
    return version_


def _parse_table(name: Any, table: Any, version_: int, source: Source) -> TableSnapshot:
    where = f"table {name!r}"
    if type(table) is not dict:
        raise DatabaseFileError(source, f"{where} must be an object, not {_kind(table)}")
    required = _REQUIRED_V0 if version_ == 0 else _REQUIRED
    missing = [key for key in required if key not in table]
    if missing:
        raise DatabaseFileError(source, f"{where} lacks {', '.join(map(repr, missing))}")

    primary_key = table["primary_key"]
    if type(primary_key) is not str:
        raise DatabaseFileError(source, f"{where}: 'primary_key' must be a string, not {_kind(primary_key)}")

    schema_found = table.get("schema")
    schema = None
    if schema_found is not None:
        if type(schema_found) is not dict:
            raise DatabaseFileError(source, f"{where}: 'schema' must be an object or null")
        try:
            schema = {field: schema_names.type_of(type_name) for field, type_name in schema_found.items()}
        except ValueError as exc:
            raise DatabaseFileError(source, f"{where}: 'schema': {exc}") from None

    indexes = table.get("indexes", {})
    if type(indexes) is not dict or any(type(kind) is not str for kind in indexes.values()):
        raise DatabaseFileError(source, f"{where}: 'indexes' must map fields to index kinds (strings)")

    next_pk = table.get("next_pk")  # dctdb files have none: restore derives it from the keys
    if (version_ > 0 or next_pk is not None) and (type(next_pk) is not int or next_pk < 1):
        raise DatabaseFileError(source, f"{where}: 'next_pk' must be a positive integer, not {next_pk!r}")

    records = table["records"]
    if type(records) is not list:
        raise DatabaseFileError(source, f"{where}: 'records' must be an array, not {_kind(records)}")
    # One C-level pass over the types; the loop that names the first bad record runs only when there is one.
    for position, record in enumerate(records if set(map(type, records)) - {dict} else ()):
        if type(record) is not dict:
            raise DatabaseFileError(
                source, f"{where}, record #{position + 1} must be an object, not {_kind(record)}"
            )
    return TableSnapshot(name, primary_key, schema, indexes, next_pk, records)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
