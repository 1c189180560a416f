"""DictDB: a fast in-memory database of dict records, with a compiled core.

Example:
    >>> import dictdb
    >>> db = dictdb.DictDB()
    >>> users = db.create_table("users")
    >>> users.insert({"name": "ada", "age": 36})
    1
    >>> [r["name"] for r in users.select(where=users.age >= 18)]
    ['ada']
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Literal

from dictdb import exceptions
from dictdb._core import IMPLEMENTATION as _IMPLEMENTATION
from dictdb.database import DictDB
from dictdb.exceptions import (
    DatabaseFileError,
    DatabaseFileNotFoundError,
    DictDBError,
    DuplicateKeyError,
    DuplicateTableError,
    RecordNotFoundError,
    SchemaValidationError,
    TableNotFoundError,
    UnknownFieldError,
    UnsupportedValueError,
)
from dictdb.log import configure_logging, logger
from dictdb.query import And, Condition, Field, Not, Or, Query
from dictdb.query.aggregates import Avg, Count, CountDistinct, Max, Min, Sum
from dictdb.storage.backups.manager import BackupManager
from dictdb.table import Table

try:
    __version__ = version("cydictdb")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


def core_implementation() -> Literal["cython", "python"]:
    """Which core this process runs: ``"cython"`` (compiled) or ``"python"`` (the pure twins).

    Example:
        >>> import dictdb
        >>> dictdb.core_implementation() in ("cython", "python")
        True
    """
    return _IMPLEMENTATION


__all__ = [
    "And",
    "Avg",
    "BackupManager",
    "Condition",
    "Count",
    "CountDistinct",
    "DatabaseFileError",
    "DatabaseFileNotFoundError",
    "DictDB",
    "DictDBError",
    "DuplicateKeyError",
    "DuplicateTableError",
    "Field",
    "Max",
    "Min",
    "Not",
    "Or",
    "Query",
    "RecordNotFoundError",
    "SchemaValidationError",
    "Sum",
    "Table",
    "TableNotFoundError",
    "UnknownFieldError",
    "UnsupportedValueError",
    "__version__",
    "configure_logging",
    "core_implementation",
    "exceptions",
    "logger",
]
