"""Record copying, projection, sorting and distinct: the pure-Python twin of ``_records.pyx``.

Tables own their records: ``insert`` stores a shallow copy and ``select`` returns shallow
copies, so copying is on every hot path.

Sorting uses one total order, the sorted index's (``_order_py.py`` defines it), so ``order_by``
never raises on ``None`` or mixed types, and sorting gives what a walk of a sorted index gives:

1. ``None`` and NaN (float or Decimal), tied with each other;
2. numbers: ``bool``, ``int``, ``float``, ``Decimal``, ``Fraction`` (and other ``numbers.Real``), compared
   together exactly;
3. ``str``; 4. ``bytes`` (with ``bytearray``);
5. every other type, in groups by type name (then module and qualified name), and within a group by the
   values' own ``<`` (tuples and lists item by item in this same order); values that cannot be ordered
   among themselves (dicts, sets, complex numbers) tie, as does a pair whose comparison raises.

Values of one plain group (all numbers, all strs, all bytes) are compared directly; any other mix is sorted
by ``order_ranks``. Descending reverses the order; ties keep insertion order either way (stable), also
across several keys with mixed directions.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ._order_py import BYTES, NULLS, NUMBERS, OTHERS, STRS
from ._order_py import order_ranks as _order_ranks
from ._value_py import Value, read

__all__ = [
    "copy_record",
    "copy_records",
    "delete_keys",
    "distinct",
    "fetch",
    "in_sequence",
    "merge_each",
    "project",
    "sort_keys",
    "sort_records",
]

Record = dict[Any, Any]

# A limit at most 1/8 of the rows is served by a heap of that size (top-k) instead of a full sort.
_TOP_K_FRACTION = 8


def copy_record(record: Record) -> Record:
    """A shallow copy of one record; ``TypeError`` when it is not a dict."""
    if not isinstance(record, dict):
        raise TypeError(f"a record must be a dict, not {type(record).__name__}")
    return dict(record)


def copy_records(records: Iterable[Record]) -> list[Record]:
    """Shallow copies of ``records``, in order."""
    return [copy_record(record) for record in records]


def fetch(records: Mapping[Any, Record], pks: Iterable[Any], copy: bool = False) -> list[Record]:
    """``records[pk]`` for each of ``pks``, in their order (``KeyError`` for a missing one); shallow copies
    with ``copy=True``.

    How a column match's rows are read: they come in insertion order already, so this is one pass of dict
    lookups (and copies) instead of a ``map`` calling ``__getitem__`` per row.

    >>> fetch({1: {"v": 1}, 2: {"v": 2}}, [2, 1], copy=True)
    [{'v': 2}, {'v': 1}]
    """
    found = [records[pk] for pk in pks]
    return copy_records(found) if copy else found


def merge_each(records: Iterable[Record], changes: Mapping[Any, Any]) -> list[Record]:
    """``{**record, **changes}`` for each of ``records`` (dicts), in order: what an update stores.

    A change whose value is a compiled ``Value`` (``dictdb._core.value``) is computed from each record as it
    was before the merge.

    >>> merge_each([{"a": 1, "b": 2}, {"a": 3}], {"b": 0, "c": 1})
    [{'a': 1, 'b': 0, 'c': 1}, {'a': 3, 'b': 0, 'c': 1}]
    """
    extra = dict(changes)
    computed = [(field, value) for field, value in extra.items() if type(value) is Value]
    out = []
    for record in records:
        merged = copy_record(record)
        merged.update(extra)
        for field, value in computed:
            merged[field] = value.value(record)
        out.append(merged)
    return out


def delete_keys(mapping: dict[Any, Any], keys: Iterable[Any], missing_ok: bool = False) -> None:
    """Delete each of ``keys`` from the dict ``mapping``, in order: one call for a batch of deletions. A key
    missing raises ``KeyError`` (the earlier ones deleted), or is passed over with ``missing_ok``.

    >>> table = {1: "a", 2: "b", 3: "c"}
    >>> delete_keys(table, [3, 1])
    >>> delete_keys(table, [1, 2], missing_ok=True)
    >>> table
    {}
    """
    for key in keys:
        if missing_ok:
            mapping.pop(key, None)
        else:
            del mapping[key]


def project(
    records: Iterable[Record], columns: Sequence[tuple[Any, Any]], distinct: bool = False
) -> list[Record]:
    """For each record, a new dict ``{alias: record.get(field)}`` over ``columns`` ``(alias, field)`` pairs.

    A missing field projects to ``None``; an alias given twice keeps its last field, as a dict would.
    With ``distinct``, only the first of equal rows is kept (see ``distinct``), and only those are built.
    """
    # Unpacked up front (not dict(columns)), so a malformed pair fails before any work, saying so.
    pairs = list({alias: field for alias, field in columns}.items())  # noqa: C416
    if not distinct:
        if any(type(field) is Value for _, field in pairs):
            return [{alias: read(record, field) for alias, field in pairs} for record in records]
        return [{alias: record.get(field) for alias, field in pairs} for record in records]
    aliases = [alias for alias, _ in pairs]
    rows = [tuple([read(record, field) for _, field in pairs]) for record in records]
    # Rows of one set of aliases are equal dicts exactly when their value tuples are equal.
    kept = _first_occurrences(rows, _values_key)
    return [dict(zip(aliases, rows[position], strict=True)) for position in kept]


def _plain_group(value: Any) -> int:
    """The group of a value that Python's own sort orders as the total order does (None and NaN, int, float,
    Decimal, str, bytes); any other value counts as OTHERS here, and its column is sorted by ranks."""
    if value is None:
        return NULLS
    if isinstance(value, int):  # bool too
        return NUMBERS
    if isinstance(value, float):
        return NULLS if math.isnan(value) else NUMBERS
    if isinstance(value, str):
        return STRS
    if isinstance(value, bytes):
        return BYTES
    if isinstance(value, Decimal):
        return NULLS if value.is_nan() else NUMBERS
    return OTHERS


def sort_keys(records: Iterable[Record], field: Any) -> list[Any]:
    """One key per record for ``field``, ordered as the total order orders the values; never raises.

    When every value falls in one orderable group (all numbers, all strs or all bytes) the keys are the
    values themselves, so the sort compares them directly; otherwise each key is the value's rank in the
    sorted index's order (``_order.order_ranks``), so a sort and a walk of the index never disagree.
    """
    values = (
        [read(record, field) for record in records]
        if type(field) is Value
        else [record.get(field) for record in records]
    )
    groups = {_plain_group(value) for value in values}
    if len(groups) <= 1 and not groups & {NULLS, OTHERS}:
        return values
    return _order_ranks(values)


def sort_records(
    records: Sequence[Record], order: Sequence[tuple[Any, bool]], limit: int | None = None
) -> list[Record]:
    """``records`` sorted by ``order``, a list of ``(field, descending)``, stable; the first ``limit`` only.

    A small ``limit`` keeps a heap of that many rows (top-k) instead of sorting them all; ``limit <= 0``
    returns ``[]``.
    """
    if not isinstance(records, list):
        records = list(records)
    count = len(records)
    if limit is not None and limit <= 0:
        return []
    if not order:
        return records[:limit]
    directions = {descending for _, descending in order}
    if len(directions) == 1:
        descending = directions.pop()
        columns = [sort_keys(records, field) for field, _ in order]
        keys = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
        if limit is not None and limit * _TOP_K_FRACTION <= count:
            chosen = _top_k(keys, limit, descending)
        else:
            chosen = sorted(range(count), key=keys.__getitem__, reverse=descending)
    else:
        # Mixed directions: one stable sort per key, least significant first.
        chosen = list(range(count))
        for field, descending in reversed(order):
            chosen.sort(key=sort_keys(records, field).__getitem__, reverse=descending)
    return [records[position] for position in chosen[:limit]]


def _top_k(keys: list[Any], limit: int, descending: bool) -> list[int]:
    """The positions of the first ``limit`` keys in sorted order, ties by position (as a stable sort)."""
    pick = heapq.nlargest if descending else heapq.nsmallest
    return pick(limit, range(len(keys)), key=keys.__getitem__)


def in_sequence(
    records: Mapping[Any, Record], pks: Iterable[Any], seq: Mapping[Any, int], limit: int | None = None
) -> list[Record]:
    """``records[pk]`` for each of ``pks``, ordered by ``seq[pk]``; with ``limit``, the first ``limit`` only.

    How the planner puts index candidates back in insertion order: ``seq`` maps each primary key to its
    sequence number (unique ints). ``KeyError`` for a pk missing from ``seq`` or ``records``.

    >>> in_sequence({"a": {"v": 1}, "b": {"v": 2}}, ["b", "a"], {"a": 5, "b": 3})
    [{'v': 2}, {'v': 1}]
    """
    if not isinstance(pks, (list, dict)):
        pks = list(pks)
    if limit is not None and limit <= 0:
        return []
    if limit is not None and limit * _TOP_K_FRACTION <= len(pks):
        ordered = heapq.nsmallest(limit, pks, key=seq.__getitem__)
    else:
        ordered = sorted(pks, key=seq.__getitem__)[:limit]
    return [records[pk] for pk in ordered]


class _Tag:
    """Marks a frozen list or dict, so it can never equal a user's tuple or frozenset."""

    __slots__ = ()


_LIST = _Tag()
_DICT = _Tag()


def _freeze(value: Any) -> Any:
    """A hashable stand-in for ``value`` that is equal exactly when the values are; TypeError if none."""
    try:
        hash(value)
    except TypeError:
        pass
    else:
        return value
    if isinstance(value, list):
        return (_LIST, tuple([_freeze(item) for item in value]))
    if isinstance(value, tuple):
        return tuple([_freeze(item) for item in value])  # frozen items hold a tag: no user tuple equals it
    if isinstance(value, dict):
        return (_DICT, frozenset([(key, _freeze(item)) for key, item in value.items()]))
    if isinstance(value, set):
        return frozenset(value)  # a set equals the frozenset of its items
    if isinstance(value, bytearray):
        return bytes(value)  # a bytearray equals the bytes of its content
    raise TypeError(f"cannot freeze {type(value).__name__}")


def distinct(rows: Iterable[Record]) -> list[Record]:
    """``rows`` without repeats, first occurrence kept, in order; rows are equal when they are equal dicts.

    Rows are compared through a hash: of their values when they have the keys of the first row (as
    projected rows all do), else of their items. Lists, dicts, sets, bytearrays (and tuples of them)
    inside a row are hashed through a frozen copy that is equal exactly when they are; a row holding
    another unhashable value is compared with ``==`` against the earlier rows of that kind (linear, so
    slow when there are many).
    """
    rows = list(rows)
    names = tuple(rows[0]) if rows else ()

    def row_key(row: Record, freeze: bool) -> Any:
        if len(row) == len(names) and all(name in row for name in names):
            values = tuple([row[name] for name in names])
            return _freeze(values) if freeze else values
        return frozenset([(name, _freeze(value) if freeze else value) for name, value in row.items()])

    return [rows[position] for position in _first_occurrences(rows, row_key)]


def _values_key(values: tuple[Any, ...], freeze: bool) -> Any:
    return _freeze(values) if freeze else values


def _first_occurrences(items: list[Any], key: Callable[[Any, bool], Any]) -> list[int]:
    """The positions of the first of each group of equal items, by ``key(item, freeze)``.

    The plain key is tried first, then the frozen one; an item with neither is compared with ``==``.
    """
    seen: set[Any] = set()
    unhashable: list[Any] = []
    kept: list[int] = []
    for position, item in enumerate(items):
        try:
            found = key(item, False)
            new = found not in seen
        except TypeError:
            try:
                found = key(item, True)
                new = found not in seen
            except TypeError:
                if item not in unhashable:
                    unhashable.append(item)
                    kept.append(position)
                continue
        if new:
            seen.add(found)
            kept.append(position)
    return kept
