"""Everything that crosses the process boundary, below ``Table`` and ``DictDB``, in three parts:

- ``files``: the database's own files (JSON and pickle saves, the journal of ``DictDB.open``), the value
  encoding they share, and the atomic writer every file goes through;
- ``interop``: other tools' formats, a table at a time (CSV, JSON Lines, Arrow, Parquet);
- ``backups``: ``BackupManager``, its full and delta files, and taking changes out of tables for them.

``tables`` names, as protocols, what all three use of tables and databases, so storage never imports them.
``save_database``/``load_database`` (and their async twins) are what ``DictDB.save``/``DictDB.load`` call;
docs/persistence.md describes the file format, the value encoding and the guarantees.
"""

from __future__ import annotations

from dictdb.storage.files.atomic import atomic_write
from dictdb.storage.files.persistence import (
    FORMATS,
    async_load_database,
    async_save_database,
    load_database,
    save_database,
)

__all__ = [
    "FORMATS",
    "async_load_database",
    "async_save_database",
    "atomic_write",
    "load_database",
    "save_database",
]
