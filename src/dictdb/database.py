"""``DictDB``: a registry of named tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dictdb.exceptions import DuplicateTableError, TableNotFoundError
from dictdb.table import Table


class DictDB:
    """An in-memory database: a set of named ``Table`` objects.

    ``tables`` maps each name to its table, in creation order; it stays public, as in ``dctdb``.

    Example:
        >>> from dictdb import DictDB
        >>> db = DictDB()
        >>> users = db.create_table("users")
        >>> db.get_table("users") is users, db.list_tables()
        (True, ['users'])
    """

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}

    def create_table(
        self,
        table_name: str,
        primary_key: str = "id",
        schema: Mapping[str, Any] | None = None,
        *,
        pk_generator: Callable[[], Any] | None = None,
    ) -> Table:
        """Create and return an empty table; ``DuplicateTableError`` when the name is taken.

        ``schema`` and ``pk_generator`` are as for ``Table``; the caller's schema dict is never changed.

        Example:
            >>> import uuid
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> events = db.create_table("events", schema={"id": uuid.UUID, "kind": str},
            ...                          pk_generator=uuid.uuid4)
            >>> isinstance(events.insert({"kind": "login"}), uuid.UUID)
            True
        """
        if table_name in self.tables:
            raise DuplicateTableError(
                f"table {table_name!r} already exists; pick another name, or drop_table({table_name!r}) first"
            )
        table = Table(table_name, primary_key=primary_key, schema=schema, pk_generator=pk_generator)
        self.tables[table_name] = table
        return table

    def drop_table(self, table_name: str) -> None:
        """Remove the table called ``table_name``; ``TableNotFoundError`` when there is none.

        Example:
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> _ = db.create_table("tmp")
            >>> db.drop_table("tmp"); db.list_tables()
            []
        """
        if table_name not in self.tables:
            raise self._not_found(table_name)
        del self.tables[table_name]

    def get_table(self, table_name: str) -> Table:
        """The table called ``table_name``; ``TableNotFoundError`` when there is none.

        Example:
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> db.get_table("users")
            Traceback (most recent call last):
            ...
            dictdb.exceptions.TableNotFoundError: no table 'users'; tables are: none
        """
        try:
            return self.tables[table_name]
        except KeyError:
            raise self._not_found(table_name) from None

    def list_tables(self) -> list[str]:
        """The table names, in creation order.

        Example:
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> _ = db.create_table("b"), db.create_table("a")
            >>> db.list_tables()
            ['b', 'a']
        """
        return list(self.tables)

    def _not_found(self, table_name: str) -> TableNotFoundError:
        names = ", ".join(map(repr, self.tables)) or "none"
        return TableNotFoundError(f"no table {table_name!r}; tables are: {names}")

    def __repr__(self) -> str:
        return f"<DictDB: {len(self.tables)} tables: {', '.join(map(repr, self.tables)) or 'none'}>"
