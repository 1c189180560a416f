"""``ColumnIndex``: a field kept as a typed column beside the records, for scans and aggregates over it.

A table's column indexes share one ``ColumnStore`` (``dictdb._core.column``, compiled with a pure twin):
one *row* per record, in insertion order, and per column field an int64 / float64 / dictionary-code vector
with a tag per row (``None`` or missing, a number, a str, or anything else). A predicate on column fields is
evaluated over the vectors, as bitmaps, instead of over the dicts; rows whose value the vectors cannot decide
(NaN, a big int, a Decimal, a str subclass...) are re-checked on their record, so results never change.

This class is the view of one field of that store that ``Table.indexes`` shows: the catalog
(``IndexCatalog``) creates it and writes the store once per write for all the columns, so the per-key write
methods an ``Index`` has are never called here. docs/indexes.md says when a column index pays.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from dictdb._core import column as _column
from dictdb._core import predicate as _predicate
from dictdb.index.base import Index, Record

__all__ = ["ColumnIndex"]


class ColumnIndex(Index):
    """One field of the table's column store: equality, ranges, ``is_in``, ``is_null`` and their AND / OR /
    NOT combinations over typed vectors, and aggregates grouped by it.

    Never unique, and over one field only (``ValueError`` otherwise).

    Example:
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"age": 40}, {"age": 25}, {"age": None}, {"age": 31}])
        [1, 2, 3, 4]
        >>> t.create_index("age", "column")
        >>> index = t.indexes["age"]
        >>> index.kind, len(index), index.search(31), index.memory_bytes() > 0
        ('column', 4, [4], True)
    """

    __slots__ = ("_records", "_store")

    kind = "column"

    def __init__(
        self,
        fields: tuple[Hashable, ...],
        *,
        unique: bool = False,
        table_name: str = "",
        store: _column.ColumnStore | None = None,
        records: Mapping[Any, Record] | None = None,
    ) -> None:
        super().__init__(fields, unique=unique, table_name=table_name)
        if unique:
            raise ValueError(
                f"{self._describe()} cannot be unique: a column index serves scans and aggregates; index the "
                f"field with index_type='hash' or 'sorted' and unique=True to refuse duplicates"
            )
        if len(fields) > 1:
            raise ValueError(
                f"{self._describe()} covers one field, not {len(fields)}: create one column index per "
                f"field (they share the table's rows: a predicate over several still runs on the vectors)"
            )
        self._store = _column.ColumnStore() if store is None else store
        self._records: Mapping[Any, Record] = {} if records is None else records
        self._insert = self._inserter()

    @property
    def store(self) -> _column.ColumnStore:
        """The table's column store, shared by all its column indexes."""
        return self._store

    def search(self, value: Any) -> list[Any]:
        """Primary keys of the records whose value is ``value`` or ``== value``, in insertion order.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"n": 1}, {"n": 1.0}, {"n": "1"}, {"n": True}])
            [1, 2, 3, 4]
            >>> t.create_index("n", "column")
            >>> t.indexes["n"].search(1)
            [1, 2, 4]
        """
        # ``in`` rather than ``==``: it matches by identity too, as a dict lookup (the hash index) does, so a
        # record's own NaN finds its record.
        plan = ("in", self.fields[0], (value,))
        records = self._records
        store = self._store
        if store.supports(plan):
            pks, exact = store.match(plan)
            if exact:
                return pks
        else:
            pks = list(records)  # an operand the vectors do not take (a tuple, a Decimal...): every record
        matches = _predicate.compile_plan(plan).matches
        return [pk for pk in pks if matches(records[pk])]

    def __len__(self) -> int:
        return self._store.rows

    def memory_bytes(self) -> int:
        """Bytes the column holds: its vector, tags and string dictionary, and its share of the row map.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"age": n} for n in range(1000)])[-1]
            1000
            >>> t.create_index("age", "column")
            >>> t.indexes["age"].memory_bytes() >= 8 * 1000
            True
        """
        return self._store.memory_bytes(self.fields[0])

    def __repr__(self) -> str:
        table = f" of table {self.table_name!r}" if self.table_name else ""
        return f"<ColumnIndex on {self.field!r}{table}: {len(self)} rows, {self.memory_bytes():,} bytes>"

    # -- the table's side: the catalog writes the store, once per write for all the columns -----------------

    def _inserter(self) -> Callable[[Record, Any, int], None]:
        def insert(record: Record, pk: Any, seq: int) -> None:
            return None

        return insert

    def _state(self) -> tuple[Any, ...]:
        return self._store, self._records

    def _set_state(self, state: tuple[Any, ...]) -> None:
        self._store, self._records = state

    def _add(self, key: Any, pk: Any, seq: int) -> None:
        return None

    def _add_many(self, keys: list[Any], pks: list[Any], seqs: Iterable[int]) -> None:
        return None

    def _remove(self, key: Any, pk: Any) -> None:
        return None

    def _remove_many(self, keys: list[Any], pks: list[Any]) -> None:
        return None

    def _move(self, old_key: Any, new_key: Any, pk: Any, seq: int) -> None:
        return None

    def _clear(self) -> None:
        return None
