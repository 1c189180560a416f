"""The sorted index: the pure-Python twin of ``_index.pyx``, built on ``sortedcontainers``.

A ``SortedIndex`` maps values to primary keys and answers range, prefix, equality and first/last-k
queries in key order. Both cores give identical answers; docs/indexes.md has the design and its costs.

The order (the one total order, shared with ``order_by``):

- ``None``, float NaN and Decimal NaN go to a *null bucket*: first in ascending order, never in a range;
- then numbers (``int``, ``bool``, ``float``, ``Decimal``, ``Fraction`` and other ``numbers.Real``), compared
  with each other exactly as Python does, so ``1 == 1.0 == True == Decimal(1)`` is one key;
- then ``str``, then ``bytes`` (with ``bytearray``);
- then every other type, in groups ordered by type name (then module and qualified name). Within a group:
  tuples and lists compare element by element in this same total order; sets and dicts, and any type whose
  values cannot be compared with themselves (``v < v`` raises), are *unordered*: all their values tie;
  datetimes and times split into naive and aware groups (which Python cannot compare); every other type
  uses its own ``<``, and a comparison that raises counts as a tie.

Ties (values that are equal in this order) keep *insertion order*: each entry gets a sequence number when
it is inserted, and keeps it through ``update``, so an update does not move a record among its ties,
exactly as it keeps its place in the table. Descending order reverses the keys, not the ties (what
``sorted(..., reverse=True)`` does).
"""

from __future__ import annotations

import datetime
import math
import numbers
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

from sortedcontainers import SortedList  # type: ignore[import-untyped]

__all__ = ["DEFAULT_LOAD", "SortedIndex", "order_ranks"]

#: Target entries per block (sortedcontainers' "load factor"); blocks hold between load/2 and 2*load.
DEFAULT_LOAD = 128

# Group ranks, in the order of the total order.
_NULLS, _NUMBERS, _STRS, _BYTES, _OTHERS = range(5)
# How the values of an "other" group compare among themselves.
_NATURAL, _SEQUENCE, _UNORDERED = range(3)

_NULL_GROUP = (_NULLS,)
_NUMBER_GROUP = (_NUMBERS,)
_STR_GROUP = (_STRS,)
_BYTES_GROUP = (_BYTES,)


def _classify(value: Any) -> tuple[int, tuple[Any, ...]]:
    """The group rank of ``value`` and its group key (the whole of it for "other" types)."""
    if value is None:
        return _NULLS, _NULL_GROUP
    if isinstance(value, float):
        return (_NULLS, _NULL_GROUP) if value != value else (_NUMBERS, _NUMBER_GROUP)
    if isinstance(value, int):
        return _NUMBERS, _NUMBER_GROUP
    if isinstance(value, str):
        return _STRS, _STR_GROUP
    if isinstance(value, Decimal):
        return (_NULLS, _NULL_GROUP) if value.is_nan() else (_NUMBERS, _NUMBER_GROUP)
    if isinstance(value, (bytes, bytearray)):
        return _BYTES, _BYTES_GROUP
    if isinstance(value, Fraction):
        return _NUMBERS, _NUMBER_GROUP
    if isinstance(value, numbers.Real):
        # numpy scalars and the like: numbers if they convert to float, which is how they compare.
        try:
            as_float = float(value)
        except OverflowError:
            return _NUMBERS, _NUMBER_GROUP
        except Exception:
            return _OTHERS, (_OTHERS, *_other_group(value))
        return (_NULLS, _NULL_GROUP) if as_float != as_float else (_NUMBERS, _NUMBER_GROUP)
    return _OTHERS, (_OTHERS, *_other_group(value))


def _other_group(value: Any) -> tuple[str, str, str, int, int]:
    """``(type name, module, qualified name, variant, kind)`` of a value outside the built-in groups."""
    if isinstance(value, tuple):
        return ("tuple", "builtins", "tuple", 0, _SEQUENCE)
    if isinstance(value, list):
        return ("list", "builtins", "list", 0, _SEQUENCE)
    if isinstance(value, dict):
        return ("dict", "builtins", "dict", 0, _UNORDERED)
    if isinstance(value, (set, frozenset)):
        # set == frozenset in Python, so they share a group; subsets are a partial order, not a total one.
        return ("set", "builtins", "set", 0, _UNORDERED)
    if isinstance(value, datetime.datetime):
        return ("datetime", "datetime", "datetime", _aware(value), _NATURAL)
    if isinstance(value, datetime.time):
        return ("time", "datetime", "time", _aware(value), _NATURAL)
    cls = type(value)
    name, module, qualname = str(cls.__name__), str(cls.__module__), str(cls.__qualname__)
    try:
        bool(value < value)
    except Exception:
        return (name, module, qualname, 0, _UNORDERED)
    return (name, module, qualname, 0, _NATURAL)


def _aware(value: datetime.datetime | datetime.time) -> int:
    """1 for an aware datetime or time, 0 for a naive one: Python cannot order one against the other."""
    try:
        return 0 if value.utcoffset() is None else 1
    except Exception:
        return 0


def _natural_cmp(a: Any, b: Any) -> int:
    """A type's own order; a comparison that raises counts as a tie, so a bad value never crashes."""
    if a is b:
        return 0
    try:
        if a < b:
            return -1
        if b < a:
            return 1
    except Exception:
        return 0
    return 0


class _Natural:
    """Wraps a value of a naturally ordered "other" type so that tuple comparison uses ``_natural_cmp``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Natural) and _natural_cmp(self.value, other.value) == 0

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _Natural):
            return NotImplemented  # the end-of-group marker answers
        return _natural_cmp(self.value, other.value) < 0

    __hash__ = None  # type: ignore[assignment]


def _within(value: Any, rank: int, group: tuple[Any, ...]) -> Any:
    """The key of ``value`` inside its group (never compared with a key of another group)."""
    if rank == _NULLS:
        return 0
    if rank != _OTHERS:
        return value
    kind = group[-1]
    if kind == _NATURAL:
        return _Natural(value)
    if kind == _SEQUENCE:
        return tuple(_element_key(item) for item in value)
    return 0


def _element_key(value: Any) -> tuple[tuple[Any, ...], Any]:
    """The total-order key of one item of a tuple or list."""
    rank, group = _classify(value)
    return group, _within(value, rank, group)


class _Above:
    """Compares above every within-group key: the end of a group is ``(group, _ABOVE)``."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return other is not self

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = None  # type: ignore[assignment]


_ABOVE = _Above()


def _equals(stored: Any, value: Any) -> bool:
    """Python's ``stored == value``; an ``==`` that raises (a Decimal sNaN) is not equal."""
    try:
        return bool(stored == value)
    except Exception:
        return False


def _check_count(name: str, k: int) -> int:
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"{name} must be an int >= 0, not {k!r}")
    return k


# An entry is (group key, within key, seq, pk, value). Sequence numbers are unique, so two entries never
# compare their pks or values.
Entry = tuple[tuple[Any, ...], Any, int, Any, Any]


class SortedIndex:
    """Values mapped to primary keys, in DictDB's total order, with ties in insertion order.

    >>> index = SortedIndex([(30, "a"), (25, "b"), (None, "c"), (30.0, "d")])
    >>> index.range(26, 40)
    ['a', 'd']
    >>> index.first(2), index.last(2)
    (['c', 'b'], ['a', 'd'])
    """

    __slots__ = ("_entries", "_next_seq")

    def __init__(self, pairs: Iterable[tuple[Any, Any]] = (), *, load: int = DEFAULT_LOAD) -> None:
        if not isinstance(load, int) or load < 4:
            raise ValueError(f"load must be an int >= 4, not {load!r}")
        self._entries = SortedList()
        self._entries._reset(load)
        self._next_seq = 0
        self.insert_many(pairs)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling and copying rebuild the index from its entries in order, so ties keep their order."""
        return _rebuild, ([(entry[4], entry[3]) for entry in self._entries], self._entries._load)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<SortedIndex of {len(self._entries)} entries>"

    def _entry(self, value: Any, seq: int, pk: Any) -> Entry:
        rank, group = _classify(value)
        return (group, _within(value, rank, group), seq, pk, value)

    def insert(self, value: Any, pk: Any) -> None:
        """Index ``pk`` under ``value``, after the entries already equal to it.

        The index does not check that ``pk`` is new: the table indexes each record once.

        >>> index = SortedIndex()
        >>> index.insert(3, "x")
        >>> index.equal(3.0)
        ['x']
        """
        entry = self._entry(value, self._next_seq, pk)
        self._entries.add(entry)
        self._next_seq += 1

    def insert_many(self, pairs: Iterable[tuple[Any, Any]]) -> None:
        """Index many ``(value, pk)`` pairs at once (sorted once, not inserted one by one), in order.

        Nothing is indexed when a pair is malformed.

        >>> index = SortedIndex()
        >>> index.insert_many([(2, "b"), (1, "a")])
        >>> index.first(5)
        ['a', 'b']
        """
        batch = [(value, pk) for value, pk in pairs]
        start = self._next_seq
        entries = [self._entry(value, start + offset, pk) for offset, (value, pk) in enumerate(batch)]
        self._entries.update(entries)
        self._next_seq += len(entries)

    def _find(self, value: Any, pk: Any) -> int:
        """The position of the entry of ``pk`` among those equal to ``value``; ``KeyError`` if none."""
        entries = self._entries
        rank, group = _classify(value)
        within = _within(value, rank, group)
        start: int = entries.bisect_left((group, within, -1))
        stop: int = entries.bisect_left((group, within, math.inf))
        # The pk the table passes is usually the very object it indexed: try identity first.
        for offset, entry in enumerate(entries.islice(start, stop)):
            if entry[3] is pk:
                return start + offset
        for offset, entry in enumerate(entries.islice(start, stop)):
            if _equals(entry[3], pk):
                return start + offset
        if rank == _OTHERS and group[-1] != _UNORDERED:
            # A type whose own order is not a total one may have put the entry elsewhere in its group.
            start = entries.bisect_left((group,))
            stop = entries.bisect_left((group, _ABOVE))
            for offset, entry in enumerate(entries.islice(start, stop)):
                if (entry[3] is pk or _equals(entry[3], pk)) and (
                    entry[4] is value or _equals(entry[4], value)
                ):
                    return start + offset
        raise KeyError(
            f"SortedIndex has no entry for value {value!r} with primary key {pk!r}: "
            "remove and update need the value the key was indexed under"
        )

    def remove(self, value: Any, pk: Any) -> None:
        """Remove the entry of ``pk`` under ``value``; ``KeyError`` (index unchanged) if there is none.

        >>> index = SortedIndex([(1, "a")])
        >>> index.remove(1.0, "a")
        >>> len(index)
        0
        """
        del self._entries[self._find(value, pk)]

    def update(self, old_value: Any, new_value: Any, pk: Any) -> None:
        """Move ``pk`` from ``old_value`` to ``new_value``, keeping its place among ties (its sequence).

        ``KeyError`` (index unchanged) if ``pk`` is not indexed under ``old_value``.

        >>> index = SortedIndex([(1, "a"), (2, "b")])
        >>> index.update(1, 2, "a")
        >>> index.equal(2)
        ['a', 'b']
        """
        entries = self._entries
        position = self._find(old_value, pk)
        old = entries[position]
        new = self._entry(new_value, old[2], pk)
        del entries[position]
        try:
            entries.add(new)
        except BaseException:
            entries.add(old)
            raise

    def clear(self) -> None:
        """Remove every entry.

        >>> index = SortedIndex([(1, "a")])
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
            return entries.bisect_left((_NUMBER_GROUP,)), len(entries)
        group: tuple[Any, ...] | None = None
        start = stop = 0
        if low is not None:
            rank, group = _classify(low)
            within = _within(low, rank, group)
            start = entries.bisect_left((group, within, -1 if include_low else math.inf))
        if high is not None:
            rank, high_group = _classify(high)
            if group is not None and high_group != group:
                return None  # nothing is at once >= a value of one group and <= one of another
            group = high_group
            within = _within(high, rank, group)
            stop = entries.bisect_left((group, within, math.inf if include_high else -1))
        assert group is not None
        if group == _NULL_GROUP or (group[0] == _OTHERS and group[-1] == _UNORDERED):
            return None  # None, NaN and unordered values are ordered against nothing
        if low is None:
            start = entries.bisect_left((group,))
        if high is None:
            stop = entries.bisect_left((group, _ABOVE))
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

        >>> index = SortedIndex([(1, "a"), (2, "b"), (2.0, "c"), ("x", "d"), (3, "e")])
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
            return _descending(self._entries.islice(start, stop, reverse=True), limit)
        if limit is not None:
            stop = min(stop, start + limit)
        return [entry[3] for entry in self._entries.islice(start, stop)]

    def count_range(
        self, low: Any = None, high: Any = None, *, include_low: bool = True, include_high: bool = True
    ) -> int:
        """How many primary keys ``range`` would return, without building them.

        >>> SortedIndex([(1, "a"), (2, "b"), (3, "c")]).count_range(2)
        2
        """
        bounds = self._bounds(low, high, include_low, include_high)
        return 0 if bounds is None else max(0, bounds[1] - bounds[0])

    def equal(self, value: Any) -> list[Any]:
        """Primary keys whose value ``== value`` (Python's equality), in insertion order.

        ``equal(None)`` gives the ``None`` entries; NaN equals nothing.

        >>> SortedIndex([(1, "a"), (True, "b"), (1.5, "c"), (1.0, "d")]).equal(1)
        ['a', 'b', 'd']
        """
        entries = self._entries
        rank, group = _classify(value)
        within = _within(value, rank, group)
        start = entries.bisect_left((group, within, -1))
        stop = entries.bisect_left((group, within, math.inf))
        if rank in (_NUMBERS, _STRS, _BYTES):
            return [entry[3] for entry in entries.islice(start, stop)]
        # Entries that tie in the order are not always equal (unordered types, NaN inside a tuple).
        return [entry[3] for entry in entries.islice(start, stop) if _equals(entry[4], value)]

    def prefix(self, prefix: str | bytes) -> list[Any]:
        """Primary keys whose value starts with ``prefix`` (str among strs, bytes among bytes), in order.

        >>> SortedIndex([("abd", 1), ("ab", 2), ("b", 3), ("a", 4)]).prefix("ab")
        [2, 1]
        """
        if isinstance(prefix, str):
            group = _STR_GROUP
        elif isinstance(prefix, (bytes, bytearray)):
            group = _BYTES_GROUP
        else:
            raise TypeError(f"prefix must be a str or bytes, not {type(prefix).__name__}")
        entries = self._entries
        start = entries.bisect_left((group, prefix, -1))
        out = []
        for entry in entries.islice(start, len(entries)):
            if entry[0] != group or not entry[1].startswith(prefix):
                break
            out.append(entry[3])
        return out

    def first(self, k: int) -> list[Any]:
        """The first ``k`` primary keys in ascending order: the null bucket first, then by value.

        >>> SortedIndex([(2, "a"), (None, "b"), (1, "c")]).first(2)
        ['b', 'c']
        """
        _check_count("k", k)
        return [entry[3] for entry in self._entries.islice(0, k)]

    def last(self, k: int) -> list[Any]:
        """The first ``k`` primary keys in descending order: largest values first, the null bucket last.

        Ties stay in insertion order, as in ``sorted(..., reverse=True)``.

        >>> SortedIndex([(2, "a"), (None, "b"), (1, "c"), (2, "d")]).last(3)
        ['a', 'd', 'c']
        """
        _check_count("k", k)
        if k == 0:
            return []
        return _descending(self._entries.islice(0, len(self._entries), reverse=True), k)

    def nulls(self) -> list[Any]:
        """Primary keys of the null bucket (``None``, float NaN, Decimal NaN), in insertion order.

        >>> SortedIndex([(None, "a"), (1, "b"), (float("nan"), "c")]).nulls()
        ['a', 'c']
        """
        entries = self._entries
        return [entry[3] for entry in entries.islice(0, entries.bisect_left((_NUMBER_GROUP,)))]

    def min_value(self) -> Any:
        """The smallest non-null value (the first inserted among ties), or ``None`` when there is none.

        >>> SortedIndex([(None, "a"), (2, "b"), ("x", "c")]).min_value()
        2
        """
        entries = self._entries
        start = entries.bisect_left((_NUMBER_GROUP,))
        return entries[start][4] if start < len(entries) else None

    def max_value(self) -> Any:
        """The largest non-null value (the first inserted among ties), or ``None`` when there is none.

        >>> SortedIndex([(None, "a"), (2, "b"), ("x", "c")]).max_value()
        'x'
        """
        entries = self._entries
        if not entries or entries[-1][0] == _NULL_GROUP:
            return None
        last = entries[-1]
        position = entries.bisect_left((last[0], last[1], -1))
        return entries[position][4]

    def memory_bytes(self) -> int:
        """Approximate bytes held by the index itself, not counting the values and keys it refers to.

        >>> SortedIndex().memory_bytes() > 0
        True
        """
        total = sys.getsizeof(self) + sys.getsizeof(self._entries)
        for block in self._entries._lists:
            total += sys.getsizeof(block)
            for entry in block:
                total += sys.getsizeof(entry) + sys.getsizeof(entry[2])
                if isinstance(entry[1], (_Natural, tuple)):
                    total += sys.getsizeof(entry[1])
        total += sys.getsizeof(self._entries._maxes) + sys.getsizeof(self._entries._index)
        return total


def _descending(backwards: Iterator[Entry], limit: int | None) -> list[Any]:
    """Primary keys from entries given in descending order, with each run of ties put back in
    insertion order; at most ``limit`` of them (a run cut by the limit keeps its earliest entries)."""
    out: list[Any] = []
    run: list[Entry] = []
    for entry in backwards:
        if run and (entry[0] != run[0][0] or entry[1] != run[0][1]):
            out.extend(tie[3] for tie in reversed(run))
            run = []
            if limit is not None and len(out) >= limit:
                break
        run.append(entry)
    else:
        out.extend(tie[3] for tie in reversed(run))
    return out if limit is None else out[:limit]


def _rebuild(pairs: list[tuple[Any, Any]], load: int) -> SortedIndex:
    """The index ``SortedIndex.__reduce__`` describes."""
    return SortedIndex(pairs, load=load)


def order_ranks(values: Iterable[Any]) -> list[int]:
    """The rank of each value in the total order: 0 for the smallest, equal values (ties) share one.

    The index's order as a sort key: ``_core.records`` sorts mixed-type values by these ranks, so that
    ``order_by`` and a walk of a sorted index agree on every value, ties included.

    >>> order_ranks([3, None, "a", 1.0, 1, float("nan"), (1, None)])
    [2, 0, 3, 1, 1, 0, 4]
    """
    items = list(values)
    ranks = [0] * len(items)
    groups: list[list[int]] = [[], [], [], [], []]
    for position, value in enumerate(items):
        groups[_classify(value)[0]].append(position)
    rank = 1 if groups[_NULLS] else 0  # the null bucket is one run of ties, rank 0
    for group_rank in (_NUMBERS, _STRS, _BYTES, _OTHERS):
        positions = groups[group_rank]
        if not positions:
            continue
        # Numbers, strs and bytes compare among themselves as the index compares them; others by key.
        if group_rank == _OTHERS:
            keys = [_element_key(items[position]) for position in positions]
        else:
            keys = [items[position] for position in positions]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        ranks[positions[order[0]]] = rank
        for previous, current in pairwise(order):
            if keys[previous] < keys[current]:
                rank += 1
            ranks[positions[current]] = rank
        rank += 1
    return ranks
