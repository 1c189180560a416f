"""The total order: the pure-Python twin of ``_order.pyx``.

One order on every value, shared by ``order_by`` (``_records``) and the sorted index (``_index``), so that a
sort and a walk of an index never disagree and neither ever raises on ``None`` or mixed types:

- ``None``, float NaN and Decimal NaN go to a *null bucket*: first in ascending order, never in a range;
- then numbers (``int``, ``bool``, ``float``, ``Decimal``, ``Fraction`` and other ``numbers.Real``), compared
  with each other exactly as Python does, so ``1 == 1.0 == True == Decimal(1)`` is one key;
- then ``str``, then ``bytes`` (with ``bytearray``);
- then every other type, in groups ordered by type name (then module and qualified name). Within a group:
  tuples and lists compare element by element in this same total order; sets and dicts, and any type whose
  values cannot be compared with themselves (``v < v`` raises), are *unordered*: all their values tie;
  datetimes and times split into naive and aware groups (which Python cannot compare); every other type
  uses its own ``<``, and a comparison that raises counts as a tie.

``__all__`` is the API both twins give Python. The other names without an underscore are what the other
kernels use: the group ranks, ``classify`` (a value's group) and the keys that order values within a group;
the compiled twin declares its counterparts in ``_order.pxd``, at the C level.
"""

from __future__ import annotations

import datetime
import numbers
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

__all__ = ["order_ranks"]

# Group ranks, in the order of the total order.
NULLS, NUMBERS, STRS, BYTES, OTHERS = range(5)
# How the values of an "other" group compare among themselves.
NATURAL, SEQUENCE, UNORDERED = range(3)

NULL_GROUP = (NULLS,)
NUMBER_GROUP = (NUMBERS,)
STR_GROUP = (STRS,)
BYTES_GROUP = (BYTES,)


def classify(value: Any) -> tuple[int, tuple[Any, ...]]:
    """The group rank of ``value`` and its group key (the whole of it for "other" types)."""
    if value is None:
        return NULLS, NULL_GROUP
    if isinstance(value, float):
        return (NULLS, NULL_GROUP) if value != value else (NUMBERS, NUMBER_GROUP)
    if isinstance(value, int):
        return NUMBERS, NUMBER_GROUP
    if isinstance(value, str):
        return STRS, STR_GROUP
    if isinstance(value, Decimal):
        return (NULLS, NULL_GROUP) if value.is_nan() else (NUMBERS, NUMBER_GROUP)
    if isinstance(value, (bytes, bytearray)):
        return BYTES, BYTES_GROUP
    if isinstance(value, Fraction):
        return NUMBERS, NUMBER_GROUP
    if isinstance(value, numbers.Real):
        # numpy scalars and the like: numbers if they convert to float, which is how they compare.
        try:
            as_float = float(value)
        except OverflowError:
            return NUMBERS, NUMBER_GROUP
        except Exception:
            return OTHERS, (OTHERS, *other_group(value))
        return (NULLS, NULL_GROUP) if as_float != as_float else (NUMBERS, NUMBER_GROUP)
    return OTHERS, (OTHERS, *other_group(value))


def other_group(value: Any) -> tuple[str, str, str, int, int]:
    """``(type name, module, qualified name, variant, kind)`` of a value outside the built-in groups."""
    if isinstance(value, tuple):
        return ("tuple", "builtins", "tuple", 0, SEQUENCE)
    if isinstance(value, list):
        return ("list", "builtins", "list", 0, SEQUENCE)
    if isinstance(value, dict):
        return ("dict", "builtins", "dict", 0, UNORDERED)
    if isinstance(value, (set, frozenset)):
        # set == frozenset in Python, so they share a group; subsets are a partial order, not a total one.
        return ("set", "builtins", "set", 0, UNORDERED)
    if isinstance(value, datetime.datetime):
        return ("datetime", "datetime", "datetime", _aware(value), NATURAL)
    if isinstance(value, datetime.time):
        return ("time", "datetime", "time", _aware(value), NATURAL)
    cls = type(value)
    name, module, qualname = str(cls.__name__), str(cls.__module__), str(cls.__qualname__)
    try:
        bool(value < value)
    except Exception:
        return (name, module, qualname, 0, UNORDERED)
    return (name, module, qualname, 0, NATURAL)


def _aware(value: datetime.datetime | datetime.time) -> int:
    """1 for an aware datetime or time, 0 for a naive one: Python cannot order one against the other."""
    try:
        return 0 if value.utcoffset() is None else 1
    except Exception:
        return 0


def natural_cmp(a: Any, b: Any) -> int:
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


class Natural:
    """Wraps a value of a naturally ordered "other" type so that tuple comparison uses ``natural_cmp``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Natural) and natural_cmp(self.value, other.value) == 0

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Natural):
            return NotImplemented  # the end-of-group marker answers
        return natural_cmp(self.value, other.value) < 0

    __hash__ = None  # type: ignore[assignment]


def within(value: Any, rank: int, group: tuple[Any, ...]) -> Any:
    """The key of ``value`` inside its group (never compared with a key of another group)."""
    if rank == NULLS:
        return 0
    if rank != OTHERS:
        return value
    kind = group[-1]
    if kind == NATURAL:
        return Natural(value)
    if kind == SEQUENCE:
        return tuple(element_key(item) for item in value)
    return 0


def element_key(value: Any) -> tuple[tuple[Any, ...], Any]:
    """The total-order key of one value (an item of a tuple or list): its group key, then its key within."""
    rank, group = classify(value)
    return group, within(value, rank, group)


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
        groups[classify(value)[0]].append(position)
    rank = 1 if groups[NULLS] else 0  # the null bucket is one run of ties, rank 0
    for group_rank in (NUMBERS, STRS, BYTES, OTHERS):
        positions = groups[group_rank]
        if not positions:
            continue
        # Numbers, strs and bytes compare among themselves as the index compares them; others by key.
        if group_rank == OTHERS:
            keys = [element_key(items[position]) for position in positions]
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
