"""The introspection side of ``Table``: its fields, its size and its description.

A mixin, as ``table_indexes.py``: ``table.py`` keeps the records and their writes.
"""

from __future__ import annotations

from typing import Any

from dictdb.locking import reads
from dictdb.schema import Schema

__all__ = ["TableInfo"]


class TableInfo:
    """Fields, size and ``repr`` for ``Table`` (which sets the attributes below)."""

    table_name: str
    primary_key: str
    records: dict[Any, dict[Any, Any]]
    _schema: Schema | None
    _schema_spec: dict[str, Any] | None
    # Field names seen in the records, kept only once columns() was asked without a schema.
    _columns: set[Any] | None
    _lock: Any

    @reads
    def columns(self) -> list[Any]:
        """The field names: the schema's, in its order; without a schema, every field seen, sorted.

        Without a schema the names are gathered once and then kept up to date by inserts and updates, so
        asking again costs nothing per record (a delete makes the next call gather them again).

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"b": 1}, {"a": 2}])
            [1, 2]
            >>> t.columns()
            ['a', 'b', 'id']
        """
        if self._schema_spec is not None:
            return list(self._schema_spec)
        if self._columns is None:
            seen: set[Any] = set()
            for record in self.records.values():
                seen.update(record)
            self._columns = seen
        try:
            return sorted(self._columns)
        except TypeError:  # field names of several types (str and int): a stable order all the same
            return sorted(self._columns, key=lambda name: (type(name).__name__, repr(name)))

    def size(self) -> int:
        """How many records the table holds; the name ``dctdb`` used."""
        return len(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def schema_fields(self) -> list[str]:
        """The schema's field names (the primary key included), or ``[]`` without a schema."""
        return [] if self._schema_spec is None else list(self._schema_spec)

    def primary_key_name(self) -> str:
        """The primary key field's name."""
        return self.primary_key

    def __repr__(self) -> str:
        schema = "no schema" if self._schema is None else f"schema {self._schema.describe()}"
        return (
            f"<Table {self.table_name!r}: {len(self.records)} records, primary key {self.primary_key!r}, "
            f"{schema}>"
        )
