"""``DictDB``: a registry of named tables."""

from __future__ import annotations

from typing import Any

from dictdb.exceptions import DuplicateTableError, TableNotFoundError
from dictdb.table import Table


class DictDB:
    """An in-memory database: a set of named ``Table`` objects.

    Example:
        >>> from dictdb import DictDB
        >>> db = DictDB()
        >>> users = db.create_table("users")
        >>> db.get_table("users") is users
        True
    """

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}

    def create_table(
        self, table_name: str, primary_key: str = "id", schema: dict[str, Any] | None = None
    ) -> Table:
        """Create and return an empty table; ``DuplicateTableError`` when the name is taken."""
        if table_name in self.tables:
            raise DuplicateTableError(f"table {table_name!r} already exists")
        table = Table(table_name, primary_key=primary_key, schema=schema)
        self.tables[table_name] = table
        return table

    def get_table(self, table_name: str) -> Table:
        """The table called ``table_name``; ``TableNotFoundError`` when there is none."""
        try:
            return self.tables[table_name]
        except KeyError:
            raise TableNotFoundError(
                f"no table {table_name!r}; tables are: {', '.join(map(repr, self.tables)) or 'none'}"
            ) from None

    def __repr__(self) -> str:
        return f"<DictDB: {len(self.tables)} tables>"
