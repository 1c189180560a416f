"""What every table index shares: the field (or fields) it covers, its kind, uniqueness, and the errors its
rules raise.

An index maps a *key* to primary keys. The key of a record is ``record.get(field)`` for an index on one field
(a missing field is ``None``), and the tuple of those values for a composite index on several fields.

Indexes are built and kept up to date by their table (``IndexCatalog``); what users call is the read API:
``search``, ``len``, ``memory_bytes`` and, on sorted indexes, the range methods.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from typing import Any, ClassVar

from dictdb._core import buckets as _buckets
from dictdb.exceptions import DuplicateKeyError

__all__ = ["Index", "is_null_key"]

Record = dict[Any, Any]


def _is_null(value: Any) -> bool:
    """``None``, float NaN or Decimal NaN: the values a unique index lets repeat (see ``is_null_key``)."""
    if value is None:
        return True
    if type(value) is float:
        return math.isnan(value)
    return isinstance(value, Decimal) and value.is_nan()


def is_null_key(key: Any, composite: bool) -> bool:
    """True when a unique index does not hold ``key`` to uniqueness: a null (``None``, missing, NaN), or for
    a composite index a tuple with a null in it, as SQL does for ``NULL``.

    Example:
        >>> is_null_key(None, False), is_null_key(("ops", None), True), is_null_key(("ops", 1), True)
        (True, True, False)
    """
    if composite:
        return any(_is_null(part) for part in key)
    return _is_null(key)


class Index(ABC):
    """An index of a table over one field, or over several (a composite index, keyed by tuples).

    ``kind`` is ``"hash"`` or ``"sorted"``; ``fields`` the indexed fields, in order; ``field`` the name it
    has in ``Table.indexes`` (the one field, or the tuple of fields); ``unique`` whether two records may share
    a non-null key.
    """

    __slots__ = ("_insert", "fields", "table_name", "unique")

    kind: ClassVar[str]

    def __init__(self, fields: tuple[Hashable, ...], *, unique: bool = False, table_name: str = "") -> None:
        if not fields:
            raise ValueError("an index needs at least one field")
        self.fields = fields
        self.unique = unique
        self.table_name = table_name

    @property
    def field(self) -> Any:
        """The index's name in ``Table.indexes``: its field, or the tuple of its fields."""
        return self.fields[0] if len(self.fields) == 1 else self.fields

    @property
    def composite(self) -> bool:
        """True for an index over several fields."""
        return len(self.fields) > 1

    @property
    def definition(self) -> str:
        """What a file keeps of the index besides its fields: ``"hash"``, ``"sorted"``, ``"unique hash"``...

        Example:
            >>> from dictdb.index import HashIndex
            >>> HashIndex(("email",), unique=True).definition
            'unique hash'
        """
        return f"unique {self.kind}" if self.unique else self.kind

    def key_of(self, record: Record) -> Any:
        """The key ``record`` is indexed under: its value of the field, or the tuple of its fields' values.

        Example:
            >>> from dictdb.index import HashIndex
            >>> HashIndex(("dept", "city")).key_of({"dept": "ops"})
            ('ops', None)
        """
        if len(self.fields) == 1:
            return record.get(self.fields[0])
        return tuple([record.get(field) for field in self.fields])

    def keys_of(self, records: Iterable[Record]) -> list[Any]:
        """``key_of`` for each of ``records``, in one pass of the core over them.

        Example:
            >>> from dictdb.index import SortedIndex
            >>> SortedIndex(("age",)).keys_of([{"age": 3}, {}])
            [3, None]
        """
        return _buckets.keys_of(records, self.fields)

    @abstractmethod
    def search(self, value: Any) -> list[Any]:
        """Primary keys of the records whose key ``== value``, in insertion order."""

    @abstractmethod
    def memory_bytes(self) -> int:
        """Approximate bytes the index holds, beyond the records, values and keys it refers to."""

    @abstractmethod
    def __len__(self) -> int:
        """How many records the index holds (every record of its table)."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Copying and pickling rebuild the write closure over the copy's own structures: a copied closure
        # would go on writing into the original index.
        return _restore, (type(self), self.fields, self.unique, self.table_name, self._state())

    def __repr__(self) -> str:
        unique = "unique " if self.unique else ""
        table = f" of table {self.table_name!r}" if self.table_name else ""
        return f"<{unique}{type(self).__name__} on {self.field!r}{table}: {len(self)} entries>"

    # -- the table's side: checks and changes (IndexCatalog calls these) ------------------------------------

    def _check(self, key: Any, pk: Any) -> None:
        """Raise when ``key`` cannot be indexed (the record of ``pk`` holds it); any key can by default."""
        return None

    def _check_many(self, keys: list[Any], pks: list[Any]) -> None:
        """``_check`` for each key."""
        check = self._check
        for key, pk in zip(keys, pks, strict=True):
            check(key, pk)

    #: ``_insert(record, pk, seq)``: index a new ``record`` under its key, checking the index's rules first
    #: (it raises, the index unchanged, when the key is refused). The path of every single insert, so each
    #: index builds it once as a closure over its own structures (``_inserter``): no attribute lookups.
    _insert: Callable[[Record, Any, int], None]

    @abstractmethod
    def _inserter(self) -> Callable[[Record, Any, int], None]:
        """The ``_insert`` closure over the index's structures."""

    @abstractmethod
    def _state(self) -> tuple[Any, ...]:
        """The index's structures, for ``__reduce__``."""

    @abstractmethod
    def _set_state(self, state: tuple[Any, ...]) -> None:
        """Take the structures ``_state`` gave."""

    @abstractmethod
    def _add(self, key: Any, pk: Any, seq: int) -> None:
        """Index ``pk`` under ``key``; ``seq`` is the record's sequence number."""

    @abstractmethod
    def _add_many(self, keys: list[Any], pks: list[Any], seqs: Iterable[int]) -> None:
        """Index each ``pks[i]`` under ``keys[i]``, all or nothing."""

    @abstractmethod
    def _remove(self, key: Any, pk: Any) -> None:
        """Un-index ``pk``, indexed under a key equal to ``key``."""

    @abstractmethod
    def _remove_many(self, keys: list[Any], pks: list[Any]) -> None:
        """``_remove`` each pair."""

    @abstractmethod
    def _move(self, old_key: Any, new_key: Any, pk: Any, seq: int) -> None:
        """Re-index ``pk`` from ``old_key`` to ``new_key``, keeping its place among ties."""

    def _move_many(self, old_keys: list[Any], new_keys: list[Any], pks: list[Any], seqs: list[int]) -> None:
        """``_move`` each ``pks[i]`` from ``old_keys[i]`` to ``new_keys[i]`` (``seqs[i]`` is its sequence
        number); an index kind overrides it to edit its structures once for the whole batch."""
        move = self._move
        for old_key, new_key, pk, seq in zip(old_keys, new_keys, pks, seqs, strict=True):
            if old_key is not new_key:
                move(old_key, new_key, pk, seq)

    @abstractmethod
    def _clear(self) -> None:
        """Un-index everything."""

    def _holders(self, key: Any) -> list[Any]:
        """The primary keys indexed under a key equal to ``key`` (for the uniqueness check)."""
        return self.search(key)

    def _describe(self) -> str:
        unique = "unique " if self.unique else ""
        where = f"table {self.table_name!r}: " if self.table_name else ""
        names = ", ".join(map(repr, self.fields))
        return f"{where}the {unique}{self.kind} index on {names}"

    def _duplicate(self, key: Any, pk: Any, holder: Any) -> DuplicateKeyError:
        """The error for a record that would share a unique key with another."""
        what = "values" if self.composite else "value"
        return DuplicateKeyError(
            f"{self._describe()} already holds {what} {key!r} (the record with primary key {holder!r}), so "
            f"the record with primary key {pk!r} cannot have it; nothing was changed"
        )


def _restore(
    cls: type[Index], fields: tuple[Hashable, ...], unique: bool, table_name: str, state: tuple[Any, ...]
) -> Index:
    """The index ``Index.__reduce__`` describes."""
    index = cls.__new__(cls)
    Index.__init__(index, fields, unique=unique, table_name=table_name)
    index._set_state(state)
    index._insert = index._inserter()
    return index
