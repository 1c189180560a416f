"""Pickle database files: plain data only, and a loader that can be handed a hostile file.

A file is the document of ``document.py`` with values in their own types: dicts, lists, tuples, sets,
frozensets, bytes, str, int, float, bool, None, which pickle stores without naming any class, and the value
types of ``ALLOWED_GLOBALS``, the only classes a file may name. Version 2, which this module writes, is a
sequence of pickles (protocol 4): first the document with each table's ``records`` replaced by their
number, then each table's records, in the tables' order, as lists of at most ``CHUNK`` records, each list
one pickle of its own (its own memo). Version 1 files, one pickle of the whole document, load too, as do
``dctdb``'s pickles of its ``DictDB`` object.

Pickling chunk by chunk is what lets other threads run during a save: one ``Pickler.dump`` is one C call
that holds the GIL throughout (1.5 s for 1,000,000 records in one pickle), and a memo that grows to millions
of entries is most of that time; a chunk of 1,000 records takes about 0.4 ms, with a memo that stays small.

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
from typing import Any, BinaryIO, NoReturn
from uuid import UUID
from zoneinfo import ZoneInfo

from dictdb._core import pickle_scan
from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError, UnsupportedValueError
from dictdb.storage.files import codec, document, schema_names
from dictdb.storage.files.atomic import atomic_write
from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot
from dictdb.storage.progress import Progress

__all__ = ["ALLOWED_GLOBALS", "CHUNK", "VERSION", "SafeUnpickler", "read_pickle", "write_pickle"]

Path = str | os.PathLike[str]

_PROTOCOL = 4

#: The layout this module writes: 2, the document then the records in chunks (1 was one pickle).
VERSION = 2

#: Records per pickle. Measured with 1,000,000 records of 7 fields: 1,000 pickles them in 0.4 s, none of
#: the dumps longer than ~1 ms; 10,000 takes as long with dumps of ~7 ms; one pickle of all of them, 1.5 s.
CHUNK = 1000

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
        >>> from dictdb.storage.files.pickle_safe import SafeUnpickler
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


def write_pickle(snapshot: DatabaseSnapshot, path: Path, progress: Progress | None = None) -> None:
    """Write ``snapshot`` to ``path`` as a pickle database file (version 2), atomically; ``progress`` counts
    the records pickled, its last call made before the file replaces the old one.

    The pickles are made in memory first (about the size of the file), so an object that cannot be saved
    raises ``UnsupportedValueError`` before any byte is written. Each chunk of records is one short C
    call, between which other threads and the event loop get the GIL.

    Example:
        >>> import os, tempfile
        >>> from dictdb.storage.files.pickle_safe import read_pickle, write_pickle
        >>> from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot
        >>> path = os.path.join(tempfile.mkdtemp(), "db.pickle")
        >>> table = TableSnapshot("t", "id", None, {}, 2, [{"id": 1, "s": {2}}])
        >>> write_pickle(DatabaseSnapshot([table]), path)
        >>> read_pickle(path).tables[0].records
        [{'id': 1, 's': {2}}]
    """
    tables = snapshot.tables
    header = {
        "_meta": document.meta(VERSION),
        "tables": {
            table.name: {**document.table_header(table), "records": len(table.records)} for table in tables
        },
    }
    parts: list[bytes] = []
    pickler = _PlainPickler(_Sink(parts), protocol=_PROTOCOL)
    try:
        pickler.dump(header)
    except (_Refused, pickle.PicklingError, RecursionError):
        _raise_located_setting(snapshot)
    total = sum(len(table.records) for table in tables)
    done = 0
    for table in tables:
        records = table.records
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            pickler.clear_memo()  # each chunk a pickle of its own: its reader starts with an empty memo
            try:
                pickler.dump(chunk)
            except (_Refused, pickle.PicklingError, RecursionError):
                _raise_located(table, chunk)
            if progress is not None:
                done += len(chunk)
                progress.at(done, total)
    with atomic_write(path, "wb") as out:
        for part in parts:
            out.write(part)
        if progress is not None:
            progress.finish()


class _Sink:
    """The pickler's file: it keeps each piece the pickler writes (about 64 kB each, pickle's frames)."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))  # the same object for bytes; a copy of a view
        return len(data)


class _Discard:
    """A file that keeps nothing: a record is pickled to it alone to see whether the pickler takes it."""

    def write(self, data: bytes) -> int:
        return len(data)


def _raise_located(table: TableSnapshot, chunk: list[dict[Any, Any]]) -> NoReturn:
    """The pickler refused something in ``chunk``: the first record it refuses alone is the one; the JSON
    encoder, which refuses the same values, names the field and the place inside it."""
    for record in chunk:
        try:
            _PlainPickler(_Discard(), protocol=_PROTOCOL).dump(record)
        except (_Refused, pickle.PicklingError, RecursionError):
            codec.encode_record(record, table=table.name, pk_field=table.primary_key)
            pk = record.get(table.primary_key)
            raise UnsupportedValueError(
                f"cannot save table {table.name!r}, record with primary key {pk!r}: it holds a value pickle "
                "cannot save",
                table=table.name,
                pk=pk,
            ) from None
    raise UnsupportedValueError(f"cannot save table {table.name!r}: it holds a value pickle cannot save")


def _raise_located_setting(snapshot: DatabaseSnapshot) -> NoReturn:
    """The pickler refused a table's name or settings: the JSON encoder refuses the same, and names it."""
    for table in snapshot.tables:
        codec.encode(table.name, table=table.name, what="name")
        codec.encode(document.table_header(table), table=table.name, what="settings")
    raise UnsupportedValueError("cannot save: a table's name or settings hold a value pickle cannot save")


def read_pickle(path: Path, progress: Progress | None = None) -> DatabaseSnapshot:
    """Read a pickle database file (DictDB's, of version 1 or 2, or ``dctdb``'s) into a snapshot,
    resolving no global outside ``ALLOWED_GLOBALS``; ``progress`` counts the bytes unpickled.

    ``DatabaseFileNotFoundError`` when there is no file, ``DatabaseFileError`` for anything else wrong
    with it, a refused global included; both name the file.

    Example:
        >>> import os, pickle, tempfile
        >>> from dictdb.storage.files.pickle_safe import read_pickle
        >>> path = os.path.join(tempfile.mkdtemp(), "evil.pickle")
        >>> _ = open(path, "wb").write(pickle.dumps(os.system))
        >>> read_pickle(path)
        Traceback (most recent call last):
        ...
        dictdb.exceptions.DatabaseFileError: cannot load '...': not a valid DictDB pickle: refused global ...
    """
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise DatabaseFileNotFoundError(path, "no such file") from None
    refuse_false_claims(data, path)
    with io.BytesIO(data) as f:  # shares data's buffer: no copy
        doc = _load(f, path, "the pickle ends early: the file is truncated or empty", legacy=True)
        if isinstance(doc, _LegacyDictDB):
            doc = _legacy_document(doc, path)
        elif type(doc) is dict and "_meta" in doc and document.check_meta(doc["_meta"], path, VERSION) == 2:
            doc = _read_chunks(f, doc, path, progress, len(data))
    return document.parse(doc, path, newest=VERSION)


def refuse_false_claims(data: bytes, path: str | os.PathLike[str]) -> None:
    """``DatabaseFileError`` naming ``path`` when a length or memo index in the pickles of ``data`` claims
    memory that ``data`` does not back (``dictdb._core.pickle_scan``): checked before any unpickler runs,
    since CPython's would allocate what the claim says (gigabytes for a few bytes) before failing.

    Example:
        >>> from dictdb.storage.files.pickle_safe import refuse_false_claims
        >>> refuse_false_claims(b"\\x80\\x04N" + b"r" + (2**31).to_bytes(4, "little") + b".", "db.pickle")
        Traceback (most recent call last):
        ...
        dictdb.exceptions.DatabaseFileError: cannot load 'db.pickle': ...LONG_BINPUT ... slot 2147483648, ...
    """
    reason = pickle_scan.check_claims(data)
    if reason is not None:
        raise DatabaseFileError(
            path, f"not a valid DictDB pickle: {reason}: the file is truncated, damaged or hostile"
        )


def _load(f: BinaryIO, path: Path, truncated: str, *, legacy: bool = False) -> Any:
    """The next pickle of ``f``, by a fresh ``SafeUnpickler``; ``DatabaseFileError`` naming ``path`` when
    it is not a valid one (``truncated`` says what ends early). ``dctdb``'s classes are allowed only when
    ``legacy`` is, and then only as the whole object: a ``dctdb`` database."""
    unpickler = SafeUnpickler(f)
    try:
        found = unpickler.load()
    except EOFError:
        raise DatabaseFileError(path, truncated) from None
    except MemoryError:  # the claims were checked: this is a file too big for the memory left
        reason = "not a valid DictDB pickle: loading it needs more memory than there is"
        raise DatabaseFileError(path, reason) from None
    except Exception as exc:  # a corrupt pickle can make any allowed constructor raise anything
        reason = (
            f"not a valid DictDB pickle: {exc}"
            if isinstance(exc, pickle.UnpicklingError)
            else (f"not a valid DictDB pickle: {type(exc).__name__}: {exc}")
        )
        raise DatabaseFileError(path, reason) from None
    if unpickler.named_legacy_class and not (legacy and isinstance(found, _LegacyDictDB)):
        raise DatabaseFileError(path, "a DictDB pickle holds a dctdb object where only plain data belongs")
    return found


def _read_chunks(
    f: BinaryIO, header: dict[Any, Any], path: Path, progress: Progress | None, size: int
) -> dict[Any, Any]:
    """The version-2 document whose ``header`` was read from ``f``: each table's ``records``, a count in
    the header, become the records read from the chunks that follow, which must hold exactly that many,
    and end the file."""
    tables = header.get("tables")
    if type(tables) is not dict:
        return header  # document.parse says what is wrong
    whole: dict[Any, Any] = {}
    for name, table in tables.items():
        if type(table) is not dict or "records" not in table:
            return header  # a table without its settings: document.parse says what is wrong
        count = table["records"]
        if type(count) is not int or count < 0:
            reason = (
                f"table {name!r}: 'records' must be the number of records that follow (a version 2 "
                f"pickle), not {count!r}"
            )
            raise DatabaseFileError(path, reason)
        records: list[Any] = []
        while len(records) < count:
            truncated = (
                f"the pickle ends early: table {name!r} has {count} records, the file only {len(records)}: "
                "the file is truncated"
            )
            chunk = _load(f, path, truncated)
            if type(chunk) is not list or not chunk or len(records) + len(chunk) > count:
                reason = (
                    f"table {name!r}: after record #{len(records)} of {count}, a chunk of records must be a "
                    f"non-empty list of at most {count - len(records)}, not {_describe(chunk)}"
                )
                raise DatabaseFileError(path, reason)
            records += chunk
            if progress is not None:
                progress.at(f.tell(), size)
        whole[name] = {**table, "records": records}
    if f.read(1):
        raise DatabaseFileError(
            path, "not a valid DictDB pickle: there is more after the last table's records"
        )
    return {**header, "tables": whole}


def _describe(found: Any) -> str:
    if type(found) is list:
        return f"a list of {len(found)}"
    return f"a {type(found).__name__}"


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
