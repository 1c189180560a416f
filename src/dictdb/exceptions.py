"""The DictDBError family: every error the library raises on purpose, besides the builtins API.md names."""

from __future__ import annotations

__all__ = [
    "DictDBError",
    "DuplicateKeyError",
    "DuplicateTableError",
    "RecordNotFoundError",
    "SchemaValidationError",
    "TableNotFoundError",
]


class DictDBError(Exception):
    """Base class of the errors DictDB raises; catch it to catch them all."""


class DuplicateKeyError(DictDBError):
    """A primary key (or a unique index value) is already taken."""


class DuplicateTableError(DictDBError):
    """A table with that name already exists in the database."""


class RecordNotFoundError(DictDBError):
    """No record matched an update or delete, or a primary key is unknown."""


class SchemaValidationError(DictDBError):
    """A record does not fit the table's schema."""


class TableNotFoundError(DictDBError):
    """No table of that name exists in the database."""
