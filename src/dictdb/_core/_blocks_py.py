"""Where a sorted index keeps its entries: the pure-Python twin of ``_blocks.pyx``.

The entries live in one ``sortedcontainers.SortedList``, itself a blocked sorted list (the compiled twin
keeps one such list of C arrays per group of the order). An entry is ``(group key, within key, seq, pk,
value)``: the first two are the value's total-order key (``_order_py``), the sequence number breaks ties in
insertion order, and being unique it keeps two entries from ever comparing their pks or values.

``__all__`` is empty, as in the compiled twin: the names without an underscore are what ``_index_py`` uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from sortedcontainers import SortedList  # type: ignore[import-untyped]

from ._order_py import OTHERS, UNORDERED, classify, within

__all__: list[str] = []

# An entry is (group key, within key, seq, pk, value).
Entry = tuple[tuple[Any, ...], Any, int, Any, Any]


def equals(stored: Any, value: Any) -> bool:
    """Python's ``stored == value``; an ``==`` that raises (a Decimal sNaN) is not equal."""
    try:
        return bool(stored == value)
    except Exception:
        return False


class _Above:
    """Compares above every within-group key: the end of a group is ``(group, ABOVE)``."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return other is not self

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = None  # type: ignore[assignment]


ABOVE = _Above()


def new_entries(load: int) -> Any:
    """An empty sorted list of entries, in blocks of ``load`` (between load/2 and 2*load)."""
    entries = SortedList()
    entries._reset(load)
    return entries


def entry(value: Any, seq: int, pk: Any) -> Entry:
    """The entry of ``pk`` under ``value``, with sequence number ``seq``."""
    rank, group = classify(value)
    return (group, within(value, rank, group), seq, pk, value)


def find(entries: Any, value: Any, pk: Any) -> int:
    """The position of ``pk``'s entry among those equal to ``value``, or -1."""
    rank, group = classify(value)
    key = within(value, rank, group)
    start: int = entries.bisect_left((group, key, -1))
    stop: int = entries.bisect_left((group, key, math.inf))
    # The pk the table passes is usually the very object it indexed: try identity first.
    for offset, found in enumerate(entries.islice(start, stop)):
        if found[3] is pk:
            return start + offset
    for offset, found in enumerate(entries.islice(start, stop)):
        if equals(found[3], pk):
            return start + offset
    if rank == OTHERS and group[-1] != UNORDERED:
        # A type whose own order is not a total one may have put the entry elsewhere in its group.
        start = entries.bisect_left((group,))
        stop = entries.bisect_left((group, ABOVE))
        for offset, found in enumerate(entries.islice(start, stop)):
            if (found[3] is pk or equals(found[3], pk)) and (found[4] is value or equals(found[4], value)):
                return start + offset
    return -1


def descending(backwards: Iterator[Entry], limit: int | None) -> list[Any]:
    """Primary keys from entries given in descending order, with each run of ties put back in
    insertion order; at most ``limit`` of them (a run cut by the limit keeps its earliest entries)."""
    out: list[Any] = []
    run: list[Entry] = []
    for item in backwards:
        if run and (item[0] != run[0][0] or item[1] != run[0][1]):
            out.extend(tie[3] for tie in reversed(run))
            run = []
            if limit is not None and len(out) >= limit:
                break
        run.append(item)
    else:
        out.extend(tie[3] for tie in reversed(run))
    return out if limit is None else out[:limit]
