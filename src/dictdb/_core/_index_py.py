"""The sorted index's kernel: the pure-Python twin of ``_index.pyx``, built on ``sortedcontainers``.

A ``SortedEntries`` maps values to primary keys and answers range, prefix, equality and first/last-k
queries in key order. Both cores give identical answers; docs/indexes.md has the design and its costs.

The order is the total order of ``_order_py.py``: the null bucket (``None``, float NaN and Decimal NaN) first
and never in a range, then numbers, strs, bytes and every other type by group. Ties (values that are equal in
this order) keep *insertion order*: each entry gets a sequence number when it is inserted, and keeps it
through ``update``, so an update does not move a record among its ties, exactly as it keeps its place in
the table. Descending order reverses the keys, not the ties (what ``sorted(..., reverse=True)`` does).
The entries are kept as ``_blocks_py.py`` describes.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from typing import Any

from ._blocks_py import ABOVE, Entry, descending, entry, equals, find, new_entries
from ._order_py import (
    BYTES,
    BYTES_GROUP,
    NULL_GROUP,
    NUMBER_GROUP,
    NUMBERS,
    OTHERS,
    STR_GROUP,
    STRS,
    UNORDERED,
    Natural,
    classify,
    within,
)

__all__ = ["DEFAULT_LOAD", "SortedEntries"]

#: Target entries per block (sortedcontainers' "load factor"); blocks hold between load/2 and 2*load.
DEFAULT_LOAD = 128


def _check_count(name: str, k: int) -> int:
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"{name} must be an int >= 0, not {k!r}")
    return k


def _window(offset: Any, limit: Any, length: int) -> tuple[int, int]:
    """The first position and the number of entries of a page: a negative ``offset`` is 0, a ``limit`` of
    None or below 0 is no limit (as ``select`` takes them); ``TypeError`` for anything but ints."""
    for name, given in (("offset", offset), ("limit", limit)):
        if isinstance(given, bool) or not (isinstance(given, int) or (name == "limit" and given is None)):
            raise TypeError(f"{name} must be an int, not {type(given).__name__}")
    start = min(max(offset, 0), length)
    rest = length - start
    return start, rest if limit is None or limit < 0 else min(limit, rest)


class SortedEntries:
    """Values mapped to primary keys, in DictDB's total order, with ties in insertion order.

    >>> index = SortedEntries([(30, "a"), (25, "b"), (None, "c"), (30.0, "d")])
    >>> index.range(26, 40)
    ['a', 'd']
    >>> index.first(2), index.last(2)
    (['c', 'b'], ['a', 'd'])
    """

    __slots__ = ("_entries", "_next_seq")

    def __init__(self, pairs: Iterable[tuple[Any, Any]] = (), *, load: int = DEFAULT_LOAD) -> None:
        if not isinstance(load, int) or load < 4:
            raise ValueError(f"load must be an int >= 4, not {load!r}")
        self._entries = new_entries(load)
        self._next_seq = 0
        self.insert_many(pairs)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling and copying rebuild the index from its entries in order, so ties keep their order."""
        return _rebuild, ([(item[4], item[3]) for item in self._entries], self._entries._load)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<SortedEntries of {len(self._entries)} entries>"

    def insert(self, value: Any, pk: Any) -> None:
        """Index ``pk`` under ``value``, after the entries already equal to it.

        The index does not check that ``pk`` is new: the table indexes each record once.

        >>> index = SortedEntries()
        >>> index.insert(3, "x")
        >>> index.equal(3.0)
        ['x']
        """
        self._entries.add(entry(value, self._next_seq, pk))
        self._next_seq += 1

    def insert_many(self, pairs: Iterable[Any], pks: Iterable[Any] | None = None) -> None:
        """Index many ``(value, pk)`` pairs at once (sorted once, not inserted one by one), in order; or,
        with ``pks``, each ``pks[i]`` under ``pairs[i]`` (two lists, and no pair built).

        Nothing is indexed when a pair is malformed.

        >>> index = SortedEntries()
        >>> index.insert_many([(2, "b"), (1, "a")])
        >>> index.insert_many([0, 3], ["z", "c"])
        >>> index.first(5)
        ['z', 'a', 'b', 'c']
        """
        if pks is None:
            batch = [(value, pk) for value, pk in pairs]
        else:
            values, keys = list(pairs), list(pks)
            _check_lengths(values, keys)
            batch = list(zip(values, keys, strict=True))
        start = self._next_seq
        entries = [entry(value, start + offset, pk) for offset, (value, pk) in enumerate(batch)]
        self._entries.update(entries)
        self._next_seq += len(entries)

    def _locate(self, value: Any, pk: Any) -> int:
        """The position of the entry of ``pk`` under ``value``; ``KeyError`` if there is none."""
        position = find(self._entries, value, pk)
        if position < 0:
            raise KeyError(
                f"SortedEntries has no entry for value {value!r} with primary key {pk!r}: "
                "remove and update need the value the key was indexed under"
            )
        return position

    def remove(self, value: Any, pk: Any) -> None:
        """Remove the entry of ``pk`` under ``value``; ``KeyError`` (index unchanged) if there is none.

        >>> index = SortedEntries([(1, "a")])
        >>> index.remove(1.0, "a")
        >>> len(index)
        0
        """
        del self._entries[self._locate(value, pk)]

    def update(self, old_value: Any, new_value: Any, pk: Any) -> None:
        """Move ``pk`` from ``old_value`` to ``new_value``, keeping its place among ties (its sequence).

        ``KeyError`` (index unchanged) if ``pk`` is not indexed under ``old_value``.

        >>> index = SortedEntries([(1, "a"), (2, "b")])
        >>> index.update(1, 2, "a")
        >>> index.equal(2)
        ['a', 'b']
        """
        entries = self._entries
        position = self._locate(old_value, pk)
        old = entries[position]
        new = entry(new_value, old[2], pk)
        del entries[position]
        try:
            entries.add(new)
        except BaseException:
            entries.add(old)
            raise

    def remove_many(self, values: Iterable[Any], pks: Iterable[Any]) -> None:
        """Remove the entries of many pks at once, ``pks[i]`` indexed under ``values[i]``: each group's ties
        are walked once and each block that loses entries is compacted once, instead of one search and one
        shift per entry.

        ``KeyError`` (index unchanged) when a pk has no entry under its value, naming the first such pair.

        >>> index = SortedEntries([(1, "a"), (2, "b"), (1, "c")])
        >>> index.remove_many([1, 2.0], ["c", "b"])
        >>> index.first(5)
        ['a']
        """
        keys = list(pks)
        olds = list(values)
        _check_lengths(olds, keys)
        self._take_many(list(zip(olds, keys, strict=True)))

    def update_many(self, old_values: Iterable[Any], new_values: Iterable[Any], pks: Iterable[Any]) -> None:
        """Move many pks at once, ``pks[i]`` from ``old_values[i]`` to ``new_values[i]``: each keeps its place
        among its ties (its sequence number), as ``update`` does. The old entries go as in ``remove_many``,
        the new ones are merged in as in ``insert_many``.

        ``KeyError`` (index unchanged) when a pk is not indexed under its old value. A comparison that raises
        while the new values are placed (a type whose ``<`` raises) leaves the index partly moved, for its
        owner to rebuild (the table rebuilds its indexes from its records).

        >>> index = SortedEntries([(1, "a"), (2, "b"), (3, "c")])
        >>> index.update_many([1, 3], [2, 0], ["a", "c"])
        >>> index.first(5)
        ['c', 'a', 'b']
        """
        keys = list(pks)
        olds, news = list(old_values), list(new_values)
        _check_lengths(olds, keys)
        _check_lengths(news, keys)
        # The new values are classified first, as in the compiled twin.
        fresh = [entry(new, 0, pk) for new, pk in zip(news, keys, strict=True)]
        removed = self._take_many(list(zip(olds, keys, strict=True)))
        self._entries.update(
            (item[0], item[1], old[2], item[3], item[4]) for item, old in zip(fresh, removed, strict=True)
        )

    def _take_many(self, pairs: list[tuple[Any, Any]]) -> list[Entry]:
        """Remove the entry of each ``(value, pk)``, all or none: ``KeyError`` (nothing changed) for the first
        pair without one. Returns the removed entries, in the pairs' order.

        The pairs are sorted by value, then within each run of tying values by ``id(pk)`` and batch order
        (the compiled twin's pk address); a run's ties are walked once and each entry's pk is looked up among
        the run's by identity; the pks left then match by equality, as ``remove`` does."""
        entries = self._entries
        items: list[tuple[Any, Any, int, int]] = []
        for k, (value, _) in enumerate(pairs):
            rank, group = classify(value)
            items.append((group, within(value, rank, group), k, rank))
        items.sort(key=lambda item: (item[0], item[1]))
        found: dict[int, int] = {}  # batch index -> position
        taken: set[int] = set()
        r0 = 0
        while r0 < len(items):
            r1 = r0 + 1
            while r1 < len(items) and items[r1][0] == items[r0][0] and items[r1][1] == items[r0][1]:
                r1 += 1
            run = sorted((id(pairs[item[2]][1]), item[2]) for item in items[r0:r1])
            group, key, _, rank = items[r0]
            start = entries.bisect_left((group, key, -1))
            stop = entries.bisect_left((group, key, math.inf))
            waiting: dict[int, list[int]] = {}
            for address, k in run:
                waiting.setdefault(address, []).append(k)
            left = len(run)
            for position, stored in enumerate(entries.islice(start, stop), start):
                holders = waiting.get(id(stored[3]))
                if holders:
                    found[holders.pop(0)] = position
                    taken.add(position)
                    left -= 1
                    if not left:
                        break
            for _, k in run if left else ():
                if k in found:
                    continue
                pk = pairs[k][1]
                for position, stored in enumerate(entries.islice(start, stop), start):
                    if equals(stored[3], pk) and position not in taken:
                        found[k] = position
                        taken.add(position)
                        break
                if k in found or rank != OTHERS or group[-1] == UNORDERED:
                    continue
                # A type whose own order is not a total one may have put the entry elsewhere in its group.
                value = pairs[k][0]
                first = entries.bisect_left((group,))
                last = entries.bisect_left((group, ABOVE))
                for position, stored in enumerate(entries.islice(first, last), first):
                    same_pk = stored[3] is pk or equals(stored[3], pk)
                    if same_pk and (stored[4] is value or equals(stored[4], value)) and position not in taken:
                        found[k] = position
                        taken.add(position)
                        break
            r0 = r1
        if len(found) < len(pairs):
            value, pk = pairs[min(k for k in range(len(pairs)) if k not in found)]
            raise KeyError(
                f"SortedEntries has no entry for value {value!r} with primary key {pk!r}: "
                "remove and update need the value the key was indexed under"
            )
        removed = [entries[found[k]] for k in range(len(pairs))]
        if len(taken) * 8 < len(entries):
            for position in sorted(taken, reverse=True):
                del entries[position]
        else:
            kept = [stored for position, stored in enumerate(entries) if position not in taken]
            entries.clear()
            entries.update(kept)
        return removed

    def clear(self) -> None:
        """Remove every entry.

        >>> index = SortedEntries([(1, "a")])
        >>> index.clear()
        >>> len(index)
        0
        """
        self._entries.clear()
        self._next_seq = 0

    def _bounds(self, low: Any, high: Any, include_low: bool, include_high: bool) -> tuple[int, int] | None:
        """The positions ``[start, stop)`` of a range, or None when no value can match."""
        entries = self._entries
        if low is None and high is None:
            return entries.bisect_left((NUMBER_GROUP,)), len(entries)
        group: tuple[Any, ...] | None = None
        start = stop = 0
        if low is not None:
            rank, group = classify(low)
            key = within(low, rank, group)
            start = entries.bisect_left((group, key, -1 if include_low else math.inf))
        if high is not None:
            rank, high_group = classify(high)
            if group is not None and high_group != group:
                return None  # nothing is at once >= a value of one group and <= one of another
            group = high_group
            key = within(high, rank, group)
            stop = entries.bisect_left((group, key, math.inf if include_high else -1))
        assert group is not None
        if group == NULL_GROUP or (group[0] == OTHERS and group[-1] == UNORDERED):
            return None  # None, NaN and unordered values are ordered against nothing
        if low is None:
            start = entries.bisect_left((group,))
        if high is None:
            stop = entries.bisect_left((group, ABOVE))
        return start, stop

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
        """Primary keys with ``low <= value <= high`` (``<`` without ``include_*``), in key order.

        A bound of ``None`` is absent. The bounds select within their own group: a numeric bound matches only
        numbers, a str bound only strs; ``None``/NaN never match; with no bound at all, every non-null value
        matches. ``reverse`` gives descending keys (ties stay in insertion order); ``limit`` keeps the first
        ``limit`` of them.

        >>> index = SortedEntries([(1, "a"), (2, "b"), (2.0, "c"), ("x", "d"), (3, "e")])
        >>> index.range(2, include_high=False), index.range(high=2, reverse=True)
        (['b', 'c', 'e'], ['b', 'c', 'a'])
        """
        if limit is not None:
            _check_count("limit", limit)
        bounds = self._bounds(low, high, include_low, include_high)
        if bounds is None or bounds[0] >= bounds[1]:
            return []
        start, stop = bounds
        if reverse:
            return descending(self._entries.islice(start, stop, reverse=True), limit)
        if limit is not None:
            stop = min(stop, start + limit)
        return [item[3] for item in self._entries.islice(start, stop)]

    def count_range(
        self, low: Any = None, high: Any = None, *, include_low: bool = True, include_high: bool = True
    ) -> int:
        """How many primary keys ``range`` would return, without building them.

        >>> SortedEntries([(1, "a"), (2, "b"), (3, "c")]).count_range(2)
        2
        """
        bounds = self._bounds(low, high, include_low, include_high)
        return 0 if bounds is None else max(0, bounds[1] - bounds[0])

    def equal(self, value: Any) -> list[Any]:
        """Primary keys whose value ``== value`` (Python's equality), in insertion order.

        ``equal(None)`` gives the ``None`` entries; NaN equals nothing.

        >>> SortedEntries([(1, "a"), (True, "b"), (1.5, "c"), (1.0, "d")]).equal(1)
        ['a', 'b', 'd']
        """
        entries = self._entries
        rank, group = classify(value)
        key = within(value, rank, group)
        start = entries.bisect_left((group, key, -1))
        stop = entries.bisect_left((group, key, math.inf))
        if rank in (NUMBERS, STRS, BYTES):
            return [item[3] for item in entries.islice(start, stop)]
        # Entries that tie in the order are not always equal (unordered types, NaN inside a tuple).
        return [item[3] for item in entries.islice(start, stop) if equals(item[4], value)]

    def prefix(self, prefix: str | bytes) -> list[Any]:
        """Primary keys whose value starts with ``prefix`` (str among strs, bytes among bytes), in order.

        >>> SortedEntries([("abd", 1), ("ab", 2), ("b", 3), ("a", 4)]).prefix("ab")
        [2, 1]
        """
        if isinstance(prefix, str):
            group = STR_GROUP
        elif isinstance(prefix, (bytes, bytearray)):
            group = BYTES_GROUP
        else:
            raise TypeError(f"prefix must be a str or bytes, not {type(prefix).__name__}")
        entries = self._entries
        start = entries.bisect_left((group, prefix, -1))
        out = []
        for item in entries.islice(start, len(entries)):
            if item[0] != group or not item[1].startswith(prefix):
                break
            out.append(item[3])
        return out

    def first(self, k: int) -> list[Any]:
        """The first ``k`` primary keys in ascending order: the null bucket first, then by value.

        >>> SortedEntries([(2, "a"), (None, "b"), (1, "c")]).first(2)
        ['b', 'c']
        """
        _check_count("k", k)
        return [item[3] for item in self._entries.islice(0, k)]

    def last(self, k: int) -> list[Any]:
        """The first ``k`` primary keys in descending order: largest values first, the null bucket last.

        Ties stay in insertion order, as in ``sorted(..., reverse=True)``.

        >>> SortedEntries([(2, "a"), (None, "b"), (1, "c"), (2, "d")]).last(3)
        ['a', 'd', 'c']
        """
        _check_count("k", k)
        if k == 0:
            return []
        return descending(self._entries.islice(0, len(self._entries), reverse=True), k)

    def page(self, offset: int, limit: int | None = None, *, reverse: bool = False) -> list[Any]:
        """The primary keys at positions ``offset`` to ``offset + limit`` of the whole index's order (all of
        them from ``offset`` on when ``limit`` is None): ``first(n)[offset:offset + limit]``, or with
        ``reverse``, ``last(n)[offset:offset + limit]``, without stepping over the first ``offset``.

        A negative ``offset`` is 0, a negative ``limit`` is no limit. The start is found without walking the
        entries before it: by position in the pure core's sorted list (O(log n)), by adding up block sizes
        in the compiled one (O(n / load), a few microseconds for a million entries).

        >>> index = SortedEntries([(2, "a"), (None, "b"), (1, "c"), (2, "d"), (3, "e")])
        >>> index.page(1, 3), index.page(1, 3, reverse=True), index.page(4), index.page(9, 1)
        (['c', 'a', 'd'], ['a', 'd', 'c'], ['e'], [])
        """
        entries = self._entries
        start, count = _window(offset, limit, len(entries))
        if not count:
            return []
        if not reverse:
            return [item[3] for item in entries.islice(start, start + count)]
        # Descending order reverses the runs of ties, not the entries within one: the entry ``start`` steps
        # from the end lies in a run whose later entries come first.
        position = len(entries) - 1 - start
        top = entries[position]
        run_start = entries.bisect_left((top[0], top[1], -1))
        run_stop = entries.bisect_left((top[0], top[1], math.inf))
        first = run_stop - 1 - (position - run_start)
        head = [item[3] for item in entries.islice(first, min(run_stop, first + count))]
        if len(head) < count:
            head.extend(descending(entries.islice(0, run_start, reverse=True), count - len(head)))
        return head

    def nulls(self) -> list[Any]:
        """Primary keys of the null bucket (``None``, float NaN, Decimal NaN), in insertion order.

        >>> SortedEntries([(None, "a"), (1, "b"), (float("nan"), "c")]).nulls()
        ['a', 'c']
        """
        entries = self._entries
        return [item[3] for item in entries.islice(0, entries.bisect_left((NUMBER_GROUP,)))]

    def min_value(self) -> Any:
        """The smallest non-null value (the first inserted among ties), or ``None`` when there is none.

        >>> SortedEntries([(None, "a"), (2, "b"), ("x", "c")]).min_value()
        2
        """
        entries = self._entries
        start = entries.bisect_left((NUMBER_GROUP,))
        return entries[start][4] if start < len(entries) else None

    def max_value(self) -> Any:
        """The largest non-null value (the first inserted among ties), or ``None`` when there is none.

        >>> SortedEntries([(None, "a"), (2, "b"), ("x", "c")]).max_value()
        'x'
        """
        entries = self._entries
        if not entries or entries[-1][0] == NULL_GROUP:
            return None
        last = entries[-1]
        position = entries.bisect_left((last[0], last[1], -1))
        return entries[position][4]

    def memory_bytes(self) -> int:
        """Approximate bytes held by the index itself, not counting the values and keys it refers to.

        >>> SortedEntries().memory_bytes() > 0
        True
        """
        total = sys.getsizeof(self) + sys.getsizeof(self._entries)
        for block in self._entries._lists:
            total += sys.getsizeof(block)
            for item in block:
                total += sys.getsizeof(item) + sys.getsizeof(item[2])
                if isinstance(item[1], (Natural, tuple)):
                    total += sys.getsizeof(item[1])
        total += sys.getsizeof(self._entries._maxes) + sys.getsizeof(self._entries._index)
        return total


def _check_lengths(values: list[Any], pks: list[Any]) -> None:
    if len(values) != len(pks):
        raise ValueError(f"{len(values)} values for {len(pks)} primary keys: give one value per primary key")


def _rebuild(pairs: list[tuple[Any, Any]], load: int) -> SortedEntries:
    """The index ``SortedEntries.__reduce__`` describes."""
    return SortedEntries(pairs, load=load)
