"""``DictDB``: a registry of named tables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from dictdb import storage
from dictdb.exceptions import DuplicateTableError, TableNotFoundError
from dictdb.table import Table

_DB = TypeVar("_DB", bound="DictDB")


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
        self._change_listeners: tuple[Callable[[], object], ...] = ()

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
        if self._change_listeners:
            self._notify_change_listeners()
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
        if self._change_listeners:
            self._notify_change_listeners()

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

    # Persistence: thin wrappers over dictdb.storage (docs/persistence.md).

    def save(self, filename: str | os.PathLike[str], file_format: str) -> None:
        """Save every table to ``filename`` as ``"json"`` or ``"pickle"`` (any case), atomically: the file
        holds the previous save or this one, never a mix, whatever fails or crashes.

        ``UnsupportedValueError`` (nothing written) for a value the formats cannot hold exactly.

        Example:
            >>> import os, tempfile
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> db.create_table("users").insert({"name": "ada"})
            1
            >>> db.save(os.path.join(tempfile.mkdtemp(), "db.json"), "json")
        """
        storage.save_database(self, filename, file_format)

    @classmethod
    def load(cls: type[_DB], filename: str | os.PathLike[str], file_format: str) -> _DB:
        """A new database loaded from ``filename`` (a DictDB or ``dctdb`` file), indexes rebuilt.

        ``DatabaseFileError`` naming the file when it is missing, truncated, corrupt, of another format
        or a newer version; nothing is returned half-loaded.

        Example:
            >>> import os, tempfile
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> db.create_table("users").insert({"name": "ada"})
            1
            >>> path = os.path.join(tempfile.mkdtemp(), "db.pickle")
            >>> db.save(path, "pickle")
            >>> DictDB.load(path, "PICKLE").get_table("users").get(1)
            {'name': 'ada', 'id': 1}
        """
        return storage.load_database(filename, file_format, cls)

    async def async_save(self, filename: str | os.PathLike[str], file_format: str) -> None:
        """``save`` in a worker thread, so the event loop keeps running while the file is written."""
        await storage.async_save_database(self, filename, file_format)

    @classmethod
    async def async_load(cls: type[_DB], filename: str | os.PathLike[str], file_format: str) -> _DB:
        """``load`` in a worker thread, so the event loop keeps running while the file is read."""
        return await storage.async_load_database(filename, file_format, cls)

    # -- change listeners (dictdb.backup) ------------------------------------------------------------------

    def _add_change_listener(self, listener: Callable[[], object]) -> None:
        """Call ``listener()`` after each ``create_table`` and ``drop_table``, until removed. A listener must
        not raise and must not take the database's locks."""
        if listener not in self._change_listeners:
            self._change_listeners = (*self._change_listeners, listener)

    def _remove_change_listener(self, listener: Callable[[], object]) -> None:
        """Stop calling ``listener``; nothing happens if it is not there."""
        self._change_listeners = tuple(known for known in self._change_listeners if known != listener)

    def _notify_change_listeners(self) -> None:
        # A tuple replaced on each change, never mutated: safe against listeners added from other threads.
        for listener in self._change_listeners:
            listener()
