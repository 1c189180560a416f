"""Files: saving and loading databases (JSON and pickle), and the atomic writer every file goes through.

``save_database``/``load_database`` and their async twins are what ``DictDB.save``/``DictDB.load`` call;
docs/persistence.md describes the file format, the value encoding and the guarantees.
"""

from __future__ import annotations

from dictdb.storage.atomic import atomic_write
from dictdb.storage.persistence import (
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
