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

_WRITERS: dict[str, Callable[[DatabaseSnapshot, Path], None]] = {"json": write_json, "pickle": write_pickle}
_READERS: dict[str, Callable[[Path], DatabaseSnapshot]] = {"json": read_json, "pickle": read_pickle}

#: The file formats, as ``file_format`` names them (case-insensitively).
FORMATS = tuple(_WRITERS)


def save_database(db: DatabaseLike, path: Path, file_format: str) -> None:
    """Save every table of ``db`` to ``path`` (``str`` or ``Path``) as ``"json"`` or ``"pickle"``.

    The file is replaced atomically: after a crash or an error it holds the previous save or this one,
    never a mix. ``UnsupportedValueError`` (before anything is written) when a value cannot be saved;
    ``ValueError`` for an unknown format; ``OSError`` from the file system (the old file is intact).

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
    write_snapshot(taken, path, file_format)
    _logs.event("save", None, len(taken.tables), {"path": os.fspath(path)})


def write_snapshot(snap: DatabaseSnapshot, path: Path, file_format: str) -> None:
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
    _WRITERS[_format(file_format)](snap, path)


def read_snapshot(path: Path, file_format: str) -> DatabaseSnapshot:
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
    return _READERS[_format(file_format)](path)


def load_database(path: Path, file_format: str, factory: Callable[[], DB]) -> DB:
    """A new database, made by ``factory()`` (the ``DictDB`` class), holding what ``path`` holds.

    Reads DictDB files and the files ``dctdb`` wrote. ``DatabaseFileNotFoundError`` when there is no
    file; ``DatabaseFileError`` (naming the file and the place) when it is truncated, corrupt, of another
    format or a newer version, or breaks its own rules; ``ValueError`` for an unknown format.

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
    db = snapshot.restore(read_snapshot(path, file_format), factory, path)
    _logs.event("load", None, len(db.tables), {"path": os.fspath(path)})
    return db


async def async_save_database(db: DatabaseLike, path: Path, file_format: str) -> None:
    """``save_database`` in a worker thread: the event loop keeps running while the file is written.

    The snapshot is taken in the worker too, under the same rules as a save from any thread. Cancelling
    the awaiting task does not stop a write already started: the file ends up as the old or the new one.

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
    await asyncio.to_thread(save_database, db, path, file_format)


async def async_load_database(path: Path, file_format: str, factory: Callable[[], DB]) -> DB:
    """``load_database`` in a worker thread: the event loop keeps running while the file is read.

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
    return await asyncio.to_thread(load_database, path, file_format, factory)


def _format(file_format: Any) -> str:
    name = file_format.lower() if isinstance(file_format, str) else None
    if name not in _WRITERS:
        known = " or ".join(map(repr, FORMATS))
        raise ValueError(f"file_format must be {known} (in any case), not {file_format!r}")
    return name
