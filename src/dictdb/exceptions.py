"""The DictDBError family: every error the library raises on purpose, besides the builtin errors its
methods document."""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "DatabaseFileError",
    "DatabaseFileNotFoundError",
    "DatabaseLockedError",
    "DictDBError",
    "DuplicateKeyError",
    "DuplicateTableError",
    "JournalWriteError",
    "RecordNotFoundError",
    "SchemaValidationError",
    "TableNotFoundError",
    "UnsupportedValueError",
]


class DictDBError(Exception):
    """Base class of the errors DictDB raises; catch it to catch them all."""


class DuplicateKeyError(DictDBError):
    """A primary key (or a unique index value) is already taken."""


class DuplicateTableError(DictDBError):
    """A table with that name already exists in the database."""


class RecordNotFoundError(DictDBError, KeyError):
    """No record matched an update or delete, or a primary key is unknown (``table[pk]``); also a
    ``KeyError``, as a missing key of a mapping is."""

    # KeyError's str() is the repr of its argument: the message is shown as written instead.
    __str__ = DictDBError.__str__


class SchemaValidationError(DictDBError):
    """A record does not fit the table's schema."""


class UnknownFieldError(SchemaValidationError, ValueError):
    """A query, an index or an update names a field that the table's schema does not have.

    Also a ``ValueError``. Raised before anything changes; the message names the field, the table, where the
    name was used and the closest schema names. Tables without a schema never raise it (a missing field reads
    as ``None``).
    """


class TableNotFoundError(DictDBError, KeyError):
    """No table of that name exists in the database (``db.get_table(name)``, ``db[name]``); also a
    ``KeyError``, as a missing key of a mapping is."""

    __str__ = DictDBError.__str__


class DatabaseFileError(DictDBError, ValueError):
    """A file could not be loaded as a DictDB database: it is truncated or corrupt, of another format,
    written by a newer DictDB, or holds records that break its own rules (a duplicate primary key, a record
    that fails the schema). Nothing is loaded when this is raised.

    ``path`` is the file and ``reason`` says what was wrong and where. It is a ``ValueError`` because that is
    what the JSON and pickle modules raised for such files before.

    Example:
        >>> from dictdb.exceptions import DatabaseFileError
        >>> str(DatabaseFileError("db.json", "not valid JSON at line 1, column 1"))
        "cannot load 'db.json': not valid JSON at line 1, column 1"
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"cannot load {self.path!r}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduce would call __init__ with the one formatted message; keep the two parts.
        return type(self), (self.path, self.reason)


class DatabaseFileNotFoundError(DatabaseFileError, FileNotFoundError):
    """The file to load does not exist; also a ``FileNotFoundError``, as before."""


class UnsupportedValueError(DictDBError, TypeError):
    """A value cannot be saved: its type is not one the file formats hold exactly (docs/persistence.md lists
    them), or it is nested too deeply or contains itself. Raised before any byte of the file is written.

    ``table``, ``pk`` and ``field`` say where the value is (``pk`` and ``field`` are ``None`` for a table's
    schema or name); ``path`` is the position inside the field's value (keys and list indexes), ``()`` for
    the field's value itself. It is a ``TypeError``, as ``json.dump`` raised for such values before.

    Example:
        >>> from dictdb.exceptions import UnsupportedValueError
        >>> err = UnsupportedValueError("cannot save it", table="users", pk=1, field="when")
        >>> (err.table, err.pk, err.field, err.path)
        ('users', 1, 'when', ())
    """

    def __init__(
        self,
        message: str,
        *,
        table: Any = None,
        pk: Any = None,
        field: Any = None,
        path: tuple[Any, ...] = (),
    ) -> None:
        self.table = table
        self.pk = pk
        self.field = field
        self.path = path
        super().__init__(message)


class DatabaseLockedError(DictDBError):
    """The folder given to ``DictDB.open`` is open already, in this process or another: a database folder
    has one owner at a time. ``path`` is the folder.

    Example:
        >>> from dictdb.exceptions import DatabaseLockedError
        >>> str(DatabaseLockedError("data/app"))
        "the database folder 'data/app' is open already (in this process or another); close it there first"
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        super().__init__(
            f"the database folder {self.path!r} is open already (in this process or another); "
            "close it there first"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path,)


class JournalWriteError(DictDBError):
    """A commit could not be written to the journal of a database opened on a folder (the disk is full, an
    I/O error...): the write was undone in memory, so the database is as it was before it, and later writes
    work once the cause is gone. ``error`` is the ``OSError`` (also the ``__cause__``); ``path`` the journal.

    Example:
        >>> import errno
        >>> from dictdb.exceptions import JournalWriteError
        >>> err = JournalWriteError("db/journal-1.log", OSError(errno.ENOSPC, "No space left"))
        >>> err.error.errno == errno.ENOSPC
        True
        >>> print(err)
        cannot write to the journal 'db/journal-1.log': [Errno 28] No space left; the write was undone
    """

    def __init__(self, path: str | os.PathLike[str], error: OSError) -> None:
        self.path = os.fspath(path)
        self.error = error
        super().__init__(f"cannot write to the journal {self.path!r}: {error}; the write was undone")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.error)
