"""``SortedIndex``: a table index in DictDB's total order, for equality, ranges, prefixes and ``order_by``.

A thin wrapper over the kernel ``dictdb._core.index.SortedEntries`` (docs/indexes.md has its design and
costs): the kernel keeps ``(key, pk)`` entries in the total order, ties in insertion order; this class gives
it a table's field (or fields: a composite index orders tuples item by item) and the read API users call.
Any value can be indexed, hashable or not.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from dictdb._core import index as _kernel
from dictdb.index.base import Index, Record, is_null_key

__all__ = ["SortedIndex"]


class SortedIndex(Index):
    """An ordered index: equality in O(log n + matches), ranges and prefixes in key order, first/last k.

    Example:
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"age": 40}, {"age": 25}, {"age": None}, {"age": 31}])
        [1, 2, 3, 4]
        >>> t.create_index("age", "sorted")
        >>> index = t.indexes["age"]
        >>> index.range(30, 40), index.range(high=30, include_high=False), index.last(2)
        ([4, 1], [2], [1, 4])
    """

    __slots__ = ("_tree",)

    kind = "sorted"

    def __init__(self, fields: tuple[Hashable, ...], *, unique: bool = False, table_name: str = "") -> None:
        super().__init__(fields, unique=unique, table_name=table_name)
        self._tree = _kernel.SortedEntries()
        self._insert = self._inserter()

    def search(self, value: Any) -> list[Any]:
        """Primary keys of the records whose key ``== value`` (Python's equality), in insertion order.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"n": 1}, {"n": 1.0}, {"n": [1]}])
            [1, 2, 3]
            >>> t.create_index("n", "sorted")
            >>> t.indexes["n"].search(1), t.indexes["n"].search([1])
            ([1, 2], [3])
        """
        return self._tree.equal(value)

    def range(
        self,
        low: Any = None,
        high: Any = None,
        *,
        include_low: bool = True,
        include_high: bool = True,
        reverse: bool = False,
        limit: int | None = None,
    ) -> list[Any]:
        """Primary keys with ``low <= key <= high`` (``<`` when not included), in key order.

        A bound of ``None`` is absent. A bound matches only keys of its own kind (a number only numbers, a
        str only strs); ``None`` and NaN keys are in no range. ``reverse`` gives descending keys (ties stay in
        insertion order); ``limit`` keeps the first ``limit``. For a composite index, keys and bounds are
        tuples, compared item by item (``(dept, low_age)`` to ``(dept, high_age)``).

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"v": 3}, {"v": 1}, {"v": "x"}, {"v": 2}])
            [1, 2, 3, 4]
            >>> t.create_index("v", "sorted")
            >>> t.indexes["v"].range(2), t.indexes["v"].range(reverse=True, limit=2)
            ([4, 1], [3, 1])
        """
        return self._tree.range(
            low, high, include_low=include_low, include_high=include_high, reverse=reverse, limit=limit
        )

    def count_range(
        self, low: Any = None, high: Any = None, *, include_low: bool = True, include_high: bool = True
    ) -> int:
        """How many primary keys ``range`` would return, without building them (O(log n + n / 128))."""
        return self._tree.count_range(low, high, include_low=include_low, include_high=include_high)

    def prefix(self, prefix: str | bytes) -> list[Any]:
        """Primary keys whose str (or bytes) key starts with ``prefix``, in key order.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"name": "bob"}, {"name": "ada"}, {"name": "adam"}])
            [1, 2, 3]
            >>> t.create_index("name", "sorted")
            >>> t.indexes["name"].prefix("ad")
            [2, 3]
        """
        return self._tree.prefix(prefix)

    def first(self, k: int) -> list[Any]:
        """The first ``k`` primary keys in ascending key order (``None``/NaN keys first)."""
        return self._tree.first(k)

    def last(self, k: int) -> list[Any]:
        """The first ``k`` primary keys in descending key order (``None``/NaN keys last, ties in insertion
        order), exactly what ``order_by="-field"`` gives."""
        return self._tree.last(k)

    def page(self, offset: int, limit: int | None = None, *, reverse: bool = False) -> list[Any]:
        """The primary keys at positions ``offset`` to ``offset + limit`` in ascending key order (descending
        with ``reverse``, ties in insertion order; ``None``/NaN keys first ascending, last descending), read
        from that position on, not stepped to: ``select(order_by=..., offset=..., limit=...)`` without a
        ``where``. A negative ``offset`` is 0; ``limit=None`` or negative reads to the end.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"age": a} for a in (40, 25, None, 31, 25)])
            [1, 2, 3, 4, 5]
            >>> t.create_index("age", "sorted")
            >>> index = t.indexes["age"]
            >>> index.page(1, 2), index.page(1, 2, reverse=True), index.page(4)
            ([2, 5], [4, 2], [1])
        """
        return self._tree.page(offset, limit, reverse=reverse)

    def nulls(self) -> list[Any]:
        """Primary keys whose key is ``None`` (or missing) or NaN, in insertion order."""
        return self._tree.nulls()

    def min_value(self) -> Any:
        """The smallest non-null key, or ``None`` when there is none."""
        return self._tree.min_value()

    def max_value(self) -> Any:
        """The largest non-null key, or ``None`` when there is none."""
        return self._tree.max_value()

    def __len__(self) -> int:
        return len(self._tree)

    def memory_bytes(self) -> int:
        """Approximate bytes held by the index itself, not the keys and values it refers to.

        Example:
            >>> SortedIndex(("age",)).memory_bytes() > 0
            True
        """
        return self._tree.memory_bytes()

    # -- the table's side ---------------------------------------------------------------------------------

    def _inserter(self) -> Callable[[Record, Any, int], None]:
        tree = self._tree
        field, single, key_of = self.fields[0], len(self.fields) == 1, self.key_of
        unique, duplicate = self.unique, self._duplicate
        add = tree.insert

        def insert(record: Record, pk: Any, seq: int) -> None:
            key = record.get(field) if single else key_of(record)
            if unique and not is_null_key(key, not single):
                holders = tree.equal(key)
                if holders:
                    raise duplicate(key, pk, holders[0])
            add(key, pk)

        return insert

    def _state(self) -> tuple[Any, ...]:
        return (self._tree,)

    def _set_state(self, state: tuple[Any, ...]) -> None:
        (self._tree,) = state

    def _check_many(self, keys: list[Any], pks: list[Any]) -> None:
        """Any key can be indexed: nothing to check."""

    def _add(self, key: Any, pk: Any, seq: int) -> None:
        self._tree.insert(key, pk)

    def _add_many(self, keys: list[Any], pks: list[Any], seqs: Iterable[int]) -> None:
        # The kernel numbers its own entries in this same order, so ties keep the table's order.
        self._tree.insert_many(keys, pks)

    def _remove(self, key: Any, pk: Any) -> None:
        self._tree.remove(key, pk)

    def _remove_many(self, keys: list[Any], pks: list[Any]) -> None:
        self._tree.remove_many(keys, pks)

    def _move(self, old_key: Any, new_key: Any, pk: Any, seq: int) -> None:
        self._tree.update(old_key, new_key, pk)

    def _move_many(self, old_keys: list[Any], new_keys: list[Any], pks: list[Any], seqs: list[int]) -> None:
        # A key that is the very same object stays where it is; the others move in one call of the kernel,
        # which keeps each entry's own sequence number, so an entry keeps its place among ties.
        moving = [i for i, (old, new) in enumerate(zip(old_keys, new_keys, strict=True)) if old is not new]
        if len(moving) == 1:
            i = moving[0]
            self._move(old_keys[i], new_keys[i], pks[i], seqs[i])
        elif moving:
            if len(moving) < len(pks):
                old_keys = [old_keys[i] for i in moving]
                new_keys = [new_keys[i] for i in moving]
                pks = [pks[i] for i in moving]
            self._tree.update_many(old_keys, new_keys, pks)

    def _clear(self) -> None:
        self._tree.clear()
