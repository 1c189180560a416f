"""What storage uses of tables and databases, named as protocols: storage sits below ``table.py`` and
``database.py``, so it cannot import them. ``Table`` and ``DictDB`` satisfy both protocols.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

__all__ = ["DB", "DatabaseLike", "TableLike"]

Record = dict[Any, Any]


class TableLike(Protocol):
    """A table as storage sees it: its settings, its stored records, indexes and key counter (``snapshot``
    reads them), its columns (the CSV header), and how a new table is filled: ``_fill`` (a restore hands it
    the records of a file) and ``insert`` (an import).

    Two more methods are looked up on the table's class when it has them, so they are not required here:
    ``validate_record`` and ``create_index`` (``snapshot.restore``).
    """

    @property
    def table_name(self) -> str: ...
    @property
    def primary_key(self) -> str: ...
    @property
    def schema(self) -> Mapping[str, Any] | None: ...
    @property
    def records(self) -> dict[Any, Record]: ...
    @property
    def indexes(self) -> Mapping[Any, Any]: ...

    @property
    def _next_pk(self) -> int: ...

    def columns(self) -> list[Any]: ...
    def _fill(self, records: dict[Any, Record], next_pk: int) -> None: ...
    def insert(self, record: Record, *, skip_validation: bool = ...) -> Any: ...


class DatabaseLike(Protocol):
    """A database as storage sees it: its tables by name, and creating and dropping one."""

    @property
    def tables(self) -> Mapping[Any, TableLike]: ...

    def create_table(
        self, table_name: str, primary_key: str = ..., schema: Mapping[str, Any] | None = ...
    ) -> TableLike: ...

    def drop_table(self, table_name: str) -> None: ...


#: A database of one concrete class, kept through a call (``restore`` returns what its factory made).
DB = TypeVar("DB", bound=DatabaseLike)
