"""``HashIndex``: key -> primary keys, for equality, ``is_in`` and ``is_null``.

The index is a dict from key to its *holders*: the one primary key of a key only one record has (the usual
case for a unique or high-cardinality field: no container, ~50 bytes per entry), or a dict ``{pk: sequence
number}`` (the record's place in the table's insertion order, see ``IndexCatalog``) for a key several records
share. Adding and removing a record are O(1), and a shared key's holders can be put back in insertion order
without asking the table. A primary key is never a dict (it must be hashable), so the two forms never mix up.

Keys follow Python's equality, as dict keys do: ``1``, ``1.0`` and ``True`` are one key. A key must be
hashable; a record whose key is not (a list in an indexed field) is refused with a ``TypeError`` that says so,
and changes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from dictdb._core import buckets as _buckets
from dictdb.index.base import Index, Record, is_null_key

__all__ = ["HashIndex"]

#: A key no record has.
_NONE: Any = object()


class HashIndex(Index):
    """An index of equal keys: ``search(value)`` costs O(1 + matches).

    ``seq`` is the table's map of sequence numbers (pk -> place in insertion order), which the index reads
    when a key that one record had gets a second one.

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

    __slots__ = ("_buckets", "_seq")

    kind = "hash"

    def __init__(
        self,
        fields: tuple[Hashable, ...],
        *,
        unique: bool = False,
        table_name: str = "",
        seq: Mapping[Any, int] | None = None,
    ) -> None:
        super().__init__(fields, unique=unique, table_name=table_name)
        self._buckets: dict[Any, Any] = {}
        self._seq: Mapping[Any, int] = {} if seq is None else seq
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
        found = self._candidates(value)
        if type(found) is dict:
            return sorted(found, key=found.__getitem__)
        return list(found)

    def count(self, value: Any) -> int:
        """How many records have a key ``== value``, in O(1)."""
        return len(self._candidates(value))

    def __contains__(self, value: object) -> bool:
        return bool(self._candidates(value))

    def distinct_count(self) -> int:
        """How many distinct keys the index holds."""
        return len(self._buckets)

    def values(self) -> list[Any]:
        """The distinct keys, in the order they first appeared (one representative of equal keys)."""
        return list(self._buckets)

    def _candidates(self, value: Any) -> dict[Any, int] | list[Any]:
        """The holders of ``value``: ``{pk: sequence number}`` when several records share it, else a list
        of at most one pk. The index's own dict: the planner reads it (never changes it) to put candidates
        back in insertion order without asking the table."""
        try:
            holders = self._buckets.get(value, _NONE)
        except TypeError:
            return self._candidates_unhashable(value)
        if holders is _NONE:
            return []
        return holders if type(holders) is dict else [holders]

    def _candidates_unhashable(self, value: Any) -> dict[Any, int] | list[Any]:
        # An unhashable value can still equal keys ({1} == frozenset({1}), bytearray(b"a") == b"a"): compare
        # it with every distinct key, O(distinct keys); the planner does not send such values here.
        merged: dict[Any, int] = {}
        for key, holders in self._buckets.items():
            if _equals(key, value):
                if type(holders) is dict:
                    merged.update(holders)
                else:
                    merged[holders] = self._seq[holders]
        return merged

    def __len__(self) -> int:
        return sum(len(holders) if type(holders) is dict else 1 for holders in self._buckets.values())

    def memory_bytes(self) -> int:
        """Approximate bytes held by the index itself: its dicts, not the keys and values they refer to.

        Example:
            >>> HashIndex(("dept",)).memory_bytes() > 0
            True
        """
        shared = [holders for holders in self._buckets.values() if type(holders) is dict]
        return sys.getsizeof(self._buckets) + sum(map(sys.getsizeof, shared))

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
        return list(self._candidates(key))

    def _inserter(self) -> Callable[[Record, Any, int], None]:
        buckets, seqs = self._buckets, self._seq
        field, single, key_of = self.fields[0], len(self.fields) == 1, self.key_of
        unique = self.unique
        unhashable, duplicate = self._unhashable, self._duplicate

        def insert(record: Record, pk: Any, seq: int) -> None:
            key = record.get(field) if single else key_of(record)
            try:
                holders = buckets.get(key, _NONE)
            except TypeError:
                raise unhashable(key, pk) from None
            if holders is _NONE:
                buckets[key] = pk
            elif unique and not is_null_key(key, not single):
                raise duplicate(key, pk, next(iter(holders)) if type(holders) is dict else holders)
            elif type(holders) is dict:
                holders[pk] = seq
            else:
                buckets[key] = {holders: seqs[holders], pk: seq}

        return insert

    def _state(self) -> tuple[Any, ...]:
        return self._buckets, self._seq

    def _set_state(self, state: tuple[Any, ...]) -> None:
        self._buckets, self._seq = state

    def _add(self, key: Any, pk: Any, seq: int) -> None:
        self._add_many([key], [pk], [seq])

    def _add_many(self, keys: list[Any], pks: list[Any], seqs: Iterable[int]) -> None:
        _buckets.add_many(self._buckets, keys, pks, seqs, self._seq)

    def _build(self, keys: list[Any], pks: list[Any], seqs: Iterable[int]) -> bool:
        """Fill this new, empty index with the table's records (``pks``, in insertion order, and their
        sequence numbers) in one batch, checking its rules after instead of key by key: True when it is
        built; False, the index left empty, when a key breaks a rule (unhashable, or a non-null key that
        several records hold in a unique index), so that the caller's key-by-key check names the first.
        """
        buckets = self._buckets
        try:
            _buckets.add_many(buckets, keys, pks, seqs, self._seq)
        except TypeError:  # an unhashable key
            buckets.clear()
            return False
        if self.unique:
            composite = self.composite
            for key in _buckets.shared_keys(buckets):  # the keys several records hold: few, if any
                if not is_null_key(key, composite):
                    buckets.clear()
                    return False
        return True

    def _remove(self, key: Any, pk: Any) -> None:
        buckets = self._buckets
        holders = buckets[key]
        if type(holders) is not dict:
            if not _same_pk(holders, pk):
                raise KeyError(pk)
            del buckets[key]
            return
        del holders[pk]
        if len(holders) == 1:
            buckets[key] = next(iter(holders))

    def _remove_many(self, keys: list[Any], pks: list[Any]) -> None:
        # Each bucket left with one holder becomes its pk once, after the whole batch (the kernel).
        _buckets.remove_many(self._buckets, keys, pks)

    def _move(self, old_key: Any, new_key: Any, pk: Any, seq: int) -> None:
        if old_key is new_key or _equals(old_key, new_key):
            return  # an equal key (1 -> 1.0): the record stays where it is
        self._remove(old_key, pk)
        self._add_many([new_key], [pk], [seq])

    def _move_many(self, old_keys: list[Any], new_keys: list[Any], pks: list[Any], seqs: list[int]) -> None:
        _buckets.move_many(self._buckets, old_keys, new_keys, pks, seqs, self._seq)

    def _clear(self) -> None:
        self._buckets.clear()


def _same_pk(held: Any, pk: Any) -> bool:
    return held is pk or _equals(held, pk)


def _equals(key: Any, value: Any) -> bool:
    """Python's ``key == value``; an ``==`` that raises is not equal."""
    try:
        return bool(key == value)
    except Exception:
        return False
