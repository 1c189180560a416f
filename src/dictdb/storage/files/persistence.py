"""Saving and loading whole databases: the format switch, sync and async, over the modules beside it.

A save is: a point-in-time snapshot (``snapshot.take``), then, outside any lock, encoding every value,
then the atomic write. A load reads and checks the whole file into a snapshot first, then builds a new
database from it, so a failure at any point returns nothing half-loaded.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from dictdb.log import Gate
from dictdb.storage.files import snapshot
from dictdb.storage.files.jsonfile import read_json, write_json
from dictdb.storage.files.pickle_safe import read_pickle, write_pickle
from dictdb.storage.files.snapshot import DatabaseSnapshot
from dictdb.storage.progress import Progress, ProgressOption, file_size, reporting
from dictdb.storage.tables import DB, DatabaseLike

_logs = Gate(__name__)

__all__ = [
    "FORMATS",
    "async_load_database",
    "async_save_database",
    "load_database",
    "read_snapshot",
    "save_database",
    "write_snapshot",
]

Path = str | os.PathLike[str]

_WRITERS: dict[str, Callable[[DatabaseSnapshot, Path, Progress | None], None]] = {
    "json": write_json,
    "pickle": write_pickle,
}
_READERS: dict[str, Callable[[Path, Progress | None], DatabaseSnapshot]] = {
    "json": read_json,
    "pickle": read_pickle,
}

#: A load's steps, as shares of its count: reading and parsing the file, then building the tables.
_READ_SHARE = 0.7

#: The file formats, as ``file_format`` names them (case-insensitively).
FORMATS = tuple(_WRITERS)


def save_database(db: DatabaseLike, path: Path, file_format: str, progress: ProgressOption = None) -> None:
    """Save every table of ``db`` to ``path`` (``str`` or ``Path``) as ``"json"`` or ``"pickle"``.

    The file is replaced atomically: after a crash or an error it holds the previous save or this one,
    never a mix. ``UnsupportedValueError`` (before anything is written) when a value cannot be saved;
    ``ValueError`` for an unknown format; ``OSError`` from the file system (the old file is intact).
    ``progress`` counts the records written (``dictdb.storage.progress``); its last call comes before the
    file replaces the old one, so a callback that raises leaves the old file.

    Example:
        >>> import os, tempfile
        >>> from dictdb import DictDB
        >>> from dictdb.storage import load_database, save_database
        >>> db = DictDB()
        >>> db.create_table("users").insert({"name": "ada"})
        1
        >>> path = os.path.join(tempfile.mkdtemp(), "db.json")
        >>> save_database(db, path, "JSON")
        >>> load_database(path, "json", DictDB).get_table("users").get(1)
        {'name': 'ada', 'id': 1}
    """
    taken = snapshot.take(db)
    records = sum(len(table.records) for table in taken.tables)
    with reporting(progress, records, "records", f"saving {os.path.basename(os.fspath(path))}") as count:
        write_snapshot(taken, path, file_format, count)
    _logs.event("save", None, len(taken.tables), {"path": os.fspath(path)})


def write_snapshot(
    snap: DatabaseSnapshot, path: Path, file_format: str, progress: Progress | None = None
) -> None:
    """Write a snapshot already taken to ``path`` as ``"json"`` or ``"pickle"``, atomically: the second
    half of ``save_database``, for callers that take the snapshot together with other state (backups).

    Example:
        >>> import os, tempfile
        >>> from dictdb import DictDB
        >>> from dictdb.storage.files.persistence import read_snapshot, write_snapshot
        >>> from dictdb.storage.files.snapshot import take
        >>> path = os.path.join(tempfile.mkdtemp(), "db.pickle")
        >>> write_snapshot(take(DictDB()), path, "pickle")
        >>> read_snapshot(path, "pickle").tables
        []
    """
    _WRITERS[_format(file_format)](snap, path, progress)


def read_snapshot(path: Path, file_format: str, progress: Progress | None = None) -> DatabaseSnapshot:
    """The checked content of a database file as a snapshot, before any table is built: the first half
    of ``load_database``. Raises what ``load_database`` raises for a missing or bad file.

    Example:
        >>> import os, tempfile
        >>> from dictdb import DictDB
        >>> from dictdb.storage.files.persistence import read_snapshot, save_database
        >>> db = DictDB()
        >>> db.create_table("users").insert({"name": "ada"})
        1
        >>> path = os.path.join(tempfile.mkdtemp(), "db.json")
        >>> save_database(db, path, "json")
        >>> read_snapshot(path, "json").tables[0].records
        [{'name': 'ada', 'id': 1}]
    """
    return _READERS[_format(file_format)](path, progress)


def load_database(
    path: Path, file_format: str, factory: Callable[[], DB], progress: ProgressOption = None
) -> DB:
    """A new database, made by ``factory()`` (the ``DictDB`` class), holding what ``path`` holds.

    Reads DictDB files and the files ``dctdb`` wrote. ``DatabaseFileNotFoundError`` when there is no
    file; ``DatabaseFileError`` (naming the file and the place) when it is truncated, corrupt, of another
    format or a newer version, or breaks its own rules; ``ValueError`` for an unknown format.
    ``progress`` counts the bytes of the file: reading and parsing it take the first 70% of the count,
    building the tables and their indexes the rest.

    Example:
        >>> import os, tempfile
        >>> from dictdb import DictDB
        >>> from dictdb.storage import load_database
        >>> path = os.path.join(tempfile.mkdtemp(), "missing.json")
        >>> load_database(path, "json", DictDB)
        Traceback (most recent call last):
        ...
        dictdb.exceptions.DatabaseFileNotFoundError: cannot load '...missing.json': no such file
    """
    _format(file_format)
    with reporting(progress, file_size(path), "B", f"loading {os.path.basename(os.fspath(path))}") as count:
        if count is None:
            db = snapshot.restore(read_snapshot(path, file_format), factory, path)
        else:
            read = read_snapshot(path, file_format, count.part(0.0, _READ_SHARE))
            db = snapshot.restore(read, factory, path, count.part(_READ_SHARE, 1.0))
            count.finish()
    _logs.event("load", None, len(db.tables), {"path": os.fspath(path)})
    return db


async def async_save_database(
    db: DatabaseLike, path: Path, file_format: str, progress: ProgressOption = None
) -> None:
    """``save_database`` in a worker thread: the event loop keeps running while the file is written.

    The snapshot is taken in the worker too, under the same rules as a save from any thread. Cancelling
    the awaiting task does not stop a write already started: the file ends up as the old or the new one.
    A ``progress`` callable is called in the worker thread.

    Example:
        >>> import asyncio, os, tempfile
        >>> from dictdb import DictDB
        >>> from dictdb.storage import async_save_database
        >>> path = os.path.join(tempfile.mkdtemp(), "db.pickle")
        >>> asyncio.run(async_save_database(DictDB(), path, "pickle"))
        >>> os.path.exists(path)
        True
    """
    _format(file_format)  # a wrong format raises here, in the caller's task
    await asyncio.to_thread(save_database, db, path, file_format, progress)


async def async_load_database(
    path: Path, file_format: str, factory: Callable[[], DB], progress: ProgressOption = None
) -> DB:
    """``load_database`` in a worker thread: the event loop keeps running while the file is read. A
    ``progress`` callable is called in the worker thread.

    Example:
        >>> import asyncio, os, tempfile
        >>> from dictdb import DictDB
        >>> from dictdb.storage import async_load_database, save_database
        >>> path = os.path.join(tempfile.mkdtemp(), "db.json")
        >>> save_database(DictDB(), path, "json")
        >>> asyncio.run(async_load_database(path, "json", DictDB)).tables
        {}
    """
    _format(file_format)
    return await asyncio.to_thread(load_database, path, file_format, factory, progress)


def _format(file_format: Any) -> str:
    name = file_format.lower() if isinstance(file_format, str) else None
    if name not in _WRITERS:
        known = " or ".join(map(repr, FORMATS))
        raise ValueError(f"file_format must be {known} (in any case), not {file_format!r}")
    return name
