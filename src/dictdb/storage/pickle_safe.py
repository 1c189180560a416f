"""Pickle database files: plain data only, and a loader that can be handed a hostile file.

The file is a pickle (protocol 4) of the document of ``document.py`` with values in their own types: dicts,
lists, tuples, sets, frozensets, bytes, str, int, float, bool, None, which pickle stores without naming
any class, and the value types of ``ALLOWED_GLOBALS``, the only classes a file may name.

Writing refuses any other object (a library class, a function, a subclass of a supported type), so a file
never needs a global the loader would refuse. Loading looks every global a file names up in that fixed
allow-list, and nowhere else: no module is imported, and ``os.system``, ``builtins.eval``,
``builtins.getattr`` and the rest are refused before anything is called. A hostile pickle can make the
loader build allowed values and spend memory; it cannot run code.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import pickle
from decimal import Decimal
from typing import Any, NoReturn
from uuid import UUID
from zoneinfo import ZoneInfo

from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError, UnsupportedValueError
from dictdb.storage import codec, document, schema_names
from dictdb.storage.atomic import atomic_write
from dictdb.storage.snapshot import DatabaseSnapshot

__all__ = ["ALLOWED_GLOBALS", "SafeUnpickler", "read_pickle", "write_pickle"]

Path = str | os.PathLike[str]

_PROTOCOL = 4

_VALUE_CLASSES: tuple[type, ...] = (
    dt.datetime,
    dt.date,
    dt.time,
    dt.timedelta,
    dt.timezone,
    Decimal,
    UUID,
    ZoneInfo,
)


class _LegacyObject:
    """An inert stand-in for a class named by a ``dctdb`` pickle: unpickling only fills its ``__dict__``."""


class _LegacyDictDB(_LegacyObject):
    """Stands in for ``dctdb``'s ``DictDB``."""


class _LegacyTable(_LegacyObject):
    """Stands in for ``dctdb``'s ``Table``."""


#: Every global a DictDB pickle may name, and what it resolves to. Value classes resolve to themselves;
#: the two ``dctdb`` classes resolve to inert stand-ins; the builtin types are the schema types ``dctdb``
#: pickled. Nothing else resolves.
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    **{(cls.__module__, cls.__qualname__): cls for cls in _VALUE_CLASSES},
    ("dictdb.storage.database", "DictDB"): _LegacyDictDB,
    ("dictdb.core.table", "Table"): _LegacyTable,
    **{("builtins", name): schema_names.NAMED_TYPES[name] for name in ("int", "str", "float", "bool")},
    ("builtins", "list"): list,
    ("builtins", "dict"): dict,
}

_VALUE_NAMES = ", ".join(cls.__name__ for cls in _VALUE_CLASSES)


class _Refused(Exception):
    """An object the writer will not put in a file; located and reported as UnsupportedValueError."""


class _PlainPickler(pickle.Pickler):
    """A pickler for plain data: the C pickler asks this for every object that is not of a builtin
    container or scalar type, and this lets only the value classes (and the classes themselves, which
    their reduce tuples name) through."""

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is ZoneInfo:
            if obj.key is None:
                raise _Refused(obj)
            # Its own reduce goes through builtins.getattr, which no loader may allow; the constructor
            # gives the same (cached) zone.
            return ZoneInfo, (obj.key,)
        if kind in _VALUE_CLASSES or (isinstance(obj, type) and obj in _VALUE_CLASSES):
            return NotImplemented
        raise _Refused(obj)


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of ``ALLOWED_GLOBALS``.

    Example:
        >>> import io, os, pickle
        >>> from dictdb.storage.pickle_safe import SafeUnpickler
        >>> SafeUnpickler(io.BytesIO(pickle.dumps({"when": (1, 2)}))).load()
        {'when': (1, 2)}
        >>> SafeUnpickler(io.BytesIO(pickle.dumps(os.system))).load()
        Traceback (most recent call last):
        ...
        _pickle.UnpicklingError: refused global '...system': a DictDB pickle names no class ...
    """

    #: Whether a ``dctdb`` class was named: allowed in ``dctdb``'s files only.
    named_legacy_class = False

    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"refused global {module + '.' + name!r}: a DictDB pickle names no class or function but "
                f"the value types {_VALUE_NAMES}; this file is not one, or was tampered with"
            )
        if isinstance(found, type) and issubclass(found, _LegacyObject):
            self.named_legacy_class = True
        return found


def write_pickle(snapshot: DatabaseSnapshot, path: Path) -> None:
    """Write ``snapshot`` to ``path`` as a pickle database file, atomically.

    The pickle is made in memory first (about the size of the file), so an object that cannot be saved
    raises ``UnsupportedValueError`` before any byte is written.

    Example:
        >>> import os, tempfile
        >>> from dictdb.storage.pickle_safe import read_pickle, write_pickle
        >>> from dictdb.storage.snapshot import DatabaseSnapshot, TableSnapshot
        >>> path = os.path.join(tempfile.mkdtemp(), "db.pickle")
        >>> table = TableSnapshot("t", "id", None, {}, 2, [{"id": 1, "s": {2}}])
        >>> write_pickle(DatabaseSnapshot([table]), path)
        >>> read_pickle(path).tables[0].records
        [{'id': 1, 's': {2}}]
    """
    tables = snapshot.tables
    doc = {
        "_meta": document.meta(),
        "tables": {
            table.name: {**document.table_header(table), "records": table.records} for table in tables
        },
    }
    buffer = io.BytesIO()
    try:
        _PlainPickler(buffer, protocol=_PROTOCOL).dump(doc)
    except (_Refused, pickle.PicklingError, RecursionError):
        _raise_located(snapshot)
    # The view is released on the way out, even when the write fails: a failed write's traceback would
    # otherwise keep it alive, and a BytesIO freed while viewed reports a BufferError (Python 3.13).
    with atomic_write(path, "wb") as out, buffer.getbuffer() as view:
        out.write(view)


def _raise_located(snapshot: DatabaseSnapshot) -> NoReturn:
    """The pickler refused something: the JSON encoder holds the same values, so it finds and names it."""
    for table in snapshot.tables:
        for record in table.records:
            codec.encode_record(record, table=table.name, pk_field=table.primary_key)
    raise UnsupportedValueError("cannot save: the database holds a value pickle cannot save")


def read_pickle(path: Path) -> DatabaseSnapshot:
    """Read a pickle database file (DictDB's, or ``dctdb``'s) into a snapshot, resolving no global
    outside ``ALLOWED_GLOBALS``.

    ``DatabaseFileNotFoundError`` when there is no file, ``DatabaseFileError`` for anything else wrong
    with it, a refused global included; both name the file.

    Example:
        >>> import os, pickle, tempfile
        >>> from dictdb.storage.pickle_safe import read_pickle
        >>> path = os.path.join(tempfile.mkdtemp(), "evil.pickle")
        >>> _ = open(path, "wb").write(pickle.dumps(os.system))
        >>> read_pickle(path)
        Traceback (most recent call last):
        ...
        dictdb.exceptions.DatabaseFileError: cannot load '...': not a valid DictDB pickle: refused global ...
    """
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below; opening alone is what may not find the file
    except FileNotFoundError:
        raise DatabaseFileNotFoundError(path, "no such file") from None
    with f:
        unpickler = SafeUnpickler(f)
        try:
            doc = unpickler.load()
        except EOFError:
            raise DatabaseFileError(path, "the pickle ends early: the file is truncated or empty") from None
        except MemoryError:  # a length field of many exabytes: MemoryError's own message is empty
            reason = "not a valid DictDB pickle: it asks for more memory than there is (a size no file has)"
            raise DatabaseFileError(path, reason) from None
        except Exception as exc:  # a corrupt pickle can make any allowed constructor raise anything
            reason = (
                f"not a valid DictDB pickle: {exc}"
                if isinstance(exc, pickle.UnpicklingError)
                else (f"not a valid DictDB pickle: {type(exc).__name__}: {exc}")
            )
            raise DatabaseFileError(path, reason) from None
    if isinstance(doc, _LegacyDictDB):
        doc = _legacy_document(doc, path)
    elif unpickler.named_legacy_class:
        raise DatabaseFileError(path, "a DictDB pickle holds a dctdb object where only plain data belongs")
    return document.parse(doc, path)


def _legacy_document(db: _LegacyDictDB, path: Path) -> dict[str, Any]:
    """The version-0 document of a ``dctdb`` pickle, which held its ``DictDB`` and ``Table`` objects."""
    tables = vars(db).get("tables")
    if type(tables) is not dict:
        raise DatabaseFileError(path, "the dctdb database object has no 'tables' dict")
    out = {}
    for name, table in tables.items():
        if not isinstance(table, _LegacyTable):
            raise DatabaseFileError(path, f"dctdb table {name!r} is not a table object")
        state = vars(table)
        records, schema = state.get("records"), state.get("schema")
        if type(records) is not dict or (schema is not None and type(schema) is not dict):
            raise DatabaseFileError(path, f"dctdb table {name!r} has malformed 'records' or 'schema'")
        try:
            names = (
                None if schema is None else {field: schema_names.name_of(t) for field, t in schema.items()}
            )
        except ValueError as exc:
            raise DatabaseFileError(path, f"dctdb table {name!r}: {exc}") from None
        out[name] = {
            "primary_key": state.get("primary_key"),
            "schema": names,
            "next_pk": state.get("_next_pk"),
            "records": list(records.values()),
        }
    return {"tables": out}
