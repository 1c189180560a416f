"""``HashIndex``: key -> primary keys, for equality, ``is_in`` and ``is_null``.

The index is a dict from key to a *bucket*, itself a dict ``{pk: sequence number}`` (the record's place in
the table's insertion order, see ``IndexCatalog``), so adding and removing a record are O(1) and a bucket can
be put back in insertion order without asking the table. Keys follow Python's equality, as dict keys do:
``1``, ``1.0`` and ``True`` are one key. A key must be hashable; a record whose key is not (a list in an
indexed field) is refused with a ``TypeError`` that says so, and changes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from dictdb.index.base import Index, Record, is_null_key

__all__ = ["HashIndex"]


class HashIndex(Index):
    """An index of equal keys: ``search(value)`` costs O(1 + matches).

    Example:
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"dept": "ops"}, {"dept": "dev"}, {"dept": "ops"}])
        [1, 2, 3]
        >>> t.create_index("dept")
        >>> index = t.indexes["dept"]
        >>> index.search("ops"), index.count("dev"), len(index), index.distinct_count()
        ([1, 3], 1, 3, 2)
    """

    __slots__ = ("_buckets",)

    kind = "hash"

    def __init__(self, fields: tuple[Hashable, ...], *, unique: bool = False, table_name: str = "") -> None:
        super().__init__(fields, unique=unique, table_name=table_name)
        self._buckets: dict[Any, dict[Any, int]] = {}
        self._insert = self._inserter()

    def search(self, value: Any) -> list[Any]:
        """Primary keys of the records whose key ``== value``, in insertion order.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"n": 1}, {"n": 1.0}, {"n": 2}])
            [1, 2, 3]
            >>> t.create_index("n")
            >>> t.indexes["n"].search(True)
            [1, 2]
        """
        bucket = self._bucket(value)
        return sorted(bucket, key=bucket.__getitem__) if bucket else []

    def count(self, value: Any) -> int:
        """How many records have a key ``== value``, in O(1)."""
        return len(self._bucket(value))

    def __contains__(self, value: object) -> bool:
        return bool(self._bucket(value))

    def distinct_count(self) -> int:
        """How many distinct keys the index holds."""
        return len(self._buckets)

    def values(self) -> list[Any]:
        """The distinct keys, in the order they first appeared (one representative of equal keys)."""
        return list(self._buckets)

    def _bucket(self, value: Any) -> dict[Any, int]:
        """``{pk: sequence number}`` of the records whose key ``== value``: the index's own dict, which the
        planner reads (never changes) to put candidates in insertion order without asking the table."""
        try:
            return self._buckets.get(value, _EMPTY)
        except TypeError:
            pass
        # An unhashable value can still equal keys ({1} == frozenset({1}), bytearray(b"a") == b"a"): compare
        # it with every distinct key, O(distinct keys); the planner does not send such values here.
        merged: dict[Any, int] = {}
        for key, bucket in self._buckets.items():
            if _equals(key, value):
                merged.update(bucket)
        return merged

    def __len__(self) -> int:
        return sum(map(len, self._buckets.values()))

    def memory_bytes(self) -> int:
        """Approximate bytes held by the index itself: its dicts, not the keys and values they refer to.

        Example:
            >>> HashIndex(("dept",)).memory_bytes() > 0
            True
        """
        return sys.getsizeof(self._buckets) + sum(map(sys.getsizeof, self._buckets.values()))

    # -- the table's side ---------------------------------------------------------------------------------

    def _check(self, key: Any, pk: Any) -> None:
        """``TypeError`` when ``key`` cannot be a dict key."""
        try:
            hash(key)
        except TypeError:
            raise self._unhashable(key, pk) from None

    def _check_many(self, keys: list[Any], pks: list[Any]) -> None:
        try:
            dict.fromkeys(keys)  # hashes every key in one C loop
        except TypeError:
            super()._check_many(keys, pks)  # finds and names the first unhashable one
            raise

    def _unhashable(self, key: Any, pk: Any) -> TypeError:
        if self.composite:
            what = f"a key {key!r} that holds an unhashable value"
        else:
            what = f"an unhashable {type(key).__name__} {key!r}"
        return TypeError(
            f"{self._describe()} needs hashable values, and the record with primary key {pk!r} has {what}; "
            f"store a hashable value (a tuple instead of a list, a frozenset instead of a set), or index the "
            f"field with index_type='sorted', which takes any value; nothing was changed"
        )

    def _holders(self, key: Any) -> list[Any]:
        return list(self._bucket(key))

    def _inserter(self) -> Callable[[Record, Any, int], None]:
        buckets = self._buckets
        field, single, key_of = self.fields[0], len(self.fields) == 1, self.key_of
        unique = self.unique
        unhashable, duplicate = self._unhashable, self._duplicate

        def insert(record: Record, pk: Any, seq: int) -> None:
            key = record.get(field) if single else key_of(record)
            try:
                bucket = buckets.get(key)
            except TypeError:
                raise unhashable(key, pk) from None
            if bucket is None:
                buckets[key] = {pk: seq}
            elif unique and not is_null_key(key, not single):
                raise duplicate(key, pk, next(iter(bucket)))
            else:
                bucket[pk] = seq

        return insert

    def _add(self, key: Any, pk: Any, seq: int) -> None:
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = {pk: seq}
        else:
            bucket[pk] = seq

    def _add_many(self, keys: list[Any], pks: list[Any], seqs: Iterable[int]) -> None:
        buckets = self._buckets
        for key, pk, seq in zip(keys, pks, seqs, strict=True):
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = {pk: seq}
            else:
                bucket[pk] = seq

    def _remove(self, key: Any, pk: Any) -> None:
        bucket = self._buckets[key]
        del bucket[pk]
        if not bucket:
            del self._buckets[key]

    def _remove_many(self, keys: list[Any], pks: list[Any]) -> None:
        buckets = self._buckets
        for key, pk in zip(keys, pks, strict=True):
            bucket = buckets[key]
            del bucket[pk]
            if not bucket:
                del buckets[key]

    def _move(self, old_key: Any, new_key: Any, pk: Any, seq: int) -> None:
        old_bucket = self._buckets[old_key]
        if self._buckets.get(new_key) is old_bucket:
            return  # an equal key (1 -> 1.0): the same bucket
        self._add(new_key, pk, seq)
        self._remove(old_key, pk)

    def _clear(self) -> None:
        self._buckets.clear()


_EMPTY: dict[Any, int] = {}


def _equals(key: Any, value: Any) -> bool:
    """Python's ``key == value``; an ``==`` that raises is not equal."""
    try:
        return bool(key == value)
    except Exception:
        return False
