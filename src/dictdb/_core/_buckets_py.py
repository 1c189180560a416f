"""A hash index's buckets and the keys records are indexed under: the pure-Python twin of ``_buckets.pyx``.

A hash index (``dictdb.index.HashIndex``) is a dict ``buckets`` from key to its *holders*: the primary key
itself when one record holds the key, or a dict ``{pk: sequence number}`` when several do (the sequence
number is the record's place in the table's insertion order, which puts ties back in order). A primary key
is never a dict, so the two forms never mix up. Keys follow Python's equality, as dict keys do: ``1``,
``1.0`` and ``True`` are one key, and the bucket keeps the key it was first given.

The functions here edit ``buckets`` for a whole batch of records at once:

- ``add_many`` indexes each ``pks[i]`` under ``keys[i]``; the second holder of a key turns its bucket into
  a dict, reading the first holder's sequence number from ``known`` (the table's pk -> sequence number),
  or from the batch itself when the first holder is new too;
- ``remove_many`` and ``move_many`` un-index (and re-index) records. A bucket whose holders drop to one
  during a batch becomes the one primary key again once, at the end of the batch, instead of at every
  removal; a bucket that loses its last holder is deleted at once (a key indexed again later in the batch
  then comes last in ``buckets``' order, as it would one removal at a time);
- ``shared_keys`` lists the keys several records hold (a unique index's check after a bulk build);
- ``keys_of`` reads the key of each record: ``record.get(field)`` for one field (a missing field is
  ``None``), the tuple of those values for several.

The keys must be hashable (the index checks them first); an unhashable one raises ``TypeError`` and leaves
the buckets as far as the batch had got, which the caller rebuilds or throws away. Removing a pair that is
not indexed raises ``KeyError``, and the buckets' invariant (no dict of fewer than two holders) is restored
before the error propagates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["add_many", "keys_of", "move_many", "remove_many", "shared_keys"]

Record = dict[Any, Any]

#: A key no bucket has.
_NONE: Any = object()


def keys_of(records: Iterable[Record], fields: Sequence[Any]) -> list[Any]:
    """The key of each of ``records``: its value of ``fields[0]`` for one field, the tuple of its values
    of ``fields`` for several (a missing field is ``None``).

    Example:
        >>> keys_of([{"a": 1, "b": 2}, {}], ("a",)), keys_of([{"a": 1, "b": 2}, {}], ("a", "b"))
        ([1, None], [(1, 2), (None, None)])
    """
    if len(fields) == 1:
        field = fields[0]
        return [record.get(field) for record in records]
    return [tuple([record.get(field) for field in fields]) for record in records]


def add_many(
    buckets: dict[Any, Any],
    keys: Sequence[Any],
    pks: Sequence[Any],
    seqs: Iterable[int] | None,
    known: Mapping[Any, int],
) -> None:
    """Index each ``pks[i]`` under ``keys[i]``; ``seqs[i]`` is its sequence number. With ``seqs=None`` the
    numbers are read from ``known``, which must then hold every pk of the batch, and only for the records
    that share a key (a unique index reads none).

    Example:
        >>> buckets = {}
        >>> add_many(buckets, ["a", "b", "a"], [1, 2, 3], [0, 1, 2], {})
        >>> buckets
        {'a': {1: 0, 3: 2}, 'b': 2}
    """
    if seqs is not None and not isinstance(seqs, (list, range)):
        seqs = list(seqs)
    if len(keys) != len(pks) or (seqs is not None and len(seqs) != len(pks)):
        raise ValueError(_lengths("add_many", keys=keys, pks=pks, seqs=seqs))
    batch = _Batch(pks, seqs, known)
    # _add inlined: the pure core's loop of every bulk build.
    for i, key in enumerate(keys):
        pk = pks[i]
        holders = buckets.get(key, _NONE)
        if holders is _NONE:
            buckets[key] = pk
        elif type(holders) is dict:
            holders[pk] = known[pk] if seqs is None else seqs[i]
        else:
            buckets[key] = {holders: batch.holder(holders), pk: known[pk] if seqs is None else seqs[i]}


def remove_many(buckets: dict[Any, Any], keys: Sequence[Any], pks: Sequence[Any]) -> None:
    """Un-index each ``pks[i]``, indexed under a key equal to ``keys[i]``; ``KeyError`` when it is not.

    Example:
        >>> buckets = {"a": {1: 0, 3: 2}, "b": 2}
        >>> remove_many(buckets, ["a", "b"], [1, 2])
        >>> buckets
        {'a': 3}
    """
    if len(keys) != len(pks):
        raise ValueError(_lengths("remove_many", keys=keys, pks=pks))
    fewer: list[tuple[Any, dict[Any, int]]] = []  # the shared buckets down to one holder
    try:
        for key, pk in zip(keys, pks, strict=True):
            _remove(buckets, key, pk, fewer)
    finally:
        _settle(buckets, fewer)


def move_many(
    buckets: dict[Any, Any],
    old_keys: Sequence[Any],
    new_keys: Sequence[Any],
    pks: Sequence[Any],
    seqs: Sequence[int],
    known: Mapping[Any, int],
) -> None:
    """Re-index each ``pks[i]`` (sequence number ``seqs[i]``) from ``old_keys[i]`` to ``new_keys[i]``; a
    record whose new key equals its old one (``1`` -> ``1.0``) stays where it is. ``known`` is the table's
    pk -> sequence number, as for ``add_many``.

    Example:
        >>> buckets = {"a": {1: 0, 2: 1}}
        >>> move_many(buckets, ["a", "a"], ["b", "a"], [1, 2], [0, 1], {1: 0, 2: 1})
        >>> buckets
        {'a': 2, 'b': 1}
    """
    if not isinstance(seqs, (list, range)):
        seqs = list(seqs)
    if not len(old_keys) == len(new_keys) == len(pks) == len(seqs):
        raise ValueError(_lengths("move_many", old_keys=old_keys, new_keys=new_keys, pks=pks, seqs=seqs))
    batch = _Batch(pks, seqs, known)
    fewer: list[tuple[Any, dict[Any, int]]] = []
    try:
        for i, old_key in enumerate(old_keys):
            new_key = new_keys[i]
            if old_key is new_key or _equals(old_key, new_key):
                continue
            _remove(buckets, old_key, pks[i], fewer)
            _add(buckets, new_key, pks[i], i, batch)
    finally:
        _settle(buckets, fewer)


class _Batch:
    """The sequence numbers of a batch's records: ``seqs`` by position, and of any holder ``known``'s, or
    (a record of this very batch that ``known`` lacks) the batch's own."""

    __slots__ = ("by_pk", "known", "pks", "seqs")

    def __init__(self, pks: Sequence[Any], seqs: Sequence[int] | None, known: Mapping[Any, int]) -> None:
        self.pks = pks
        self.seqs = seqs
        self.known = known
        self.by_pk: dict[Any, int] | None = None  # built once, the first time a holder is not known

    def of(self, i: int) -> int:
        """The sequence number of the batch's record ``i``."""
        return self.known[self.pks[i]] if self.seqs is None else self.seqs[i]

    def holder(self, pk: Any) -> int:
        """The sequence number of ``pk``, a key's one holder so far."""
        first = self.known.get(pk)
        if first is None:
            if self.seqs is None:
                raise KeyError(pk)
            if self.by_pk is None:
                self.by_pk = dict(zip(self.pks, self.seqs, strict=True))
            first = self.by_pk[pk]
        return first


def _add(buckets: dict[Any, Any], key: Any, pk: Any, i: int, batch: _Batch) -> None:
    holders = buckets.get(key, _NONE)
    if holders is _NONE:
        buckets[key] = pk
    elif type(holders) is dict:
        holders[pk] = batch.of(i)
    else:
        first = batch.holder(holders)
        buckets[key] = {holders: first, pk: batch.of(i)}


def _lengths(name: str, **lists: Sequence[Any] | None) -> str:
    sizes = ", ".join(f"{len(values)} {what}" for what, values in lists.items() if values is not None)
    return f"{name}: the lists differ in length ({sizes})"


def shared_keys(buckets: Mapping[Any, Any]) -> list[Any]:
    """The keys of ``buckets`` that several records hold, in ``buckets``' order.

    Example:
        >>> shared_keys({"a": {1: 0, 3: 2}, "b": 2})
        ['a']
    """
    return [key for key, holders in buckets.items() if type(holders) is dict]


def _remove(buckets: dict[Any, Any], key: Any, pk: Any, fewer: list[tuple[Any, dict[Any, int]]]) -> None:
    holders = buckets[key]
    if type(holders) is not dict:
        if not (holders is pk or _equals(holders, pk)):
            raise KeyError(pk)
        del buckets[key]
        return
    del holders[pk]
    left = len(holders)
    if left == 1:
        fewer.append((key, holders))
    elif left == 0:  # its last holder: the key goes now, as it would one removal at a time
        del buckets[key]


def _settle(buckets: dict[Any, Any], fewer: list[tuple[Any, dict[Any, int]]]) -> None:
    """Turn each shared bucket left with one holder back into that primary key."""
    for key, holders in fewer:
        if len(holders) == 1 and buckets.get(key, _NONE) is holders:
            buckets[key] = next(iter(holders))


def _equals(key: Any, value: Any) -> bool:
    """Python's ``key == value``; an ``==`` that raises is not equal."""
    try:
        return bool(key == value)
    except Exception:
        return False
