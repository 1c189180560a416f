"""Aggregates from a column store's vectors: the pure-Python twin of ``_column_aggregate.pyx``.

``aggregate`` gives ``_aggregate.aggregate``'s rows over the selected rows, computed from the vectors with
the identical result, or None -- the caller then reads the records -- when the vectors cannot give that
answer (``_readable`` lists when).

``__all__`` is empty, as in the compiled twin: ``aggregate`` is what the store uses.
"""

from __future__ import annotations

from typing import Any

from . import _aggregate_py
from ._column_vector_py import INT64_MAX, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_OTHER, TAG_STR, _Column, has_field

__all__: list[str] = []


def aggregate(
    columns: dict[Any, _Column],
    slots: list[int],
    group_by: tuple[Any, ...],
    specs: list[tuple[Any, str, Any]],
) -> list[dict[Any, Any]] | None:
    """``_aggregate.aggregate(records, group_by, specs)`` over the rows in ``slots`` (ascending) of a store
    with these ``columns``, or None when the vectors cannot give the identical answer (see ``_readable``)."""
    used = _readable(columns, slots, group_by, specs)
    if used is None:
        return None
    values = {field: column.values_of(slots) for field, column in used.items()}
    # Groups in first-seen row order, one per distinct value (Python equality: 1, 1.0 and True are one
    # group, as in _aggregate; there is no NaN to set apart, NaN being OTHER). The first value shows.
    firsts: list[Any] = [None]
    groups = [0] * len(slots)
    if group_by:
        index: dict[Any, int] = {}
        firsts = []
        for position, value in enumerate(values[group_by[0]]):
            group = index.get(value)
            if group is None:
                group = index[value] = len(firsts)
                firsts.append(value)
            groups[position] = group
    out = [{group_by[0]: first} if group_by else {} for first in firsts]
    for name, kind, field in specs:
        results = _accumulate(kind, values.get(field, ()), groups, len(firsts))
        for row, result in zip(out, results, strict=True):
            row[name] = result
    return out


def _readable(
    columns: dict[Any, _Column],
    slots: list[int],
    group_by: tuple[Any, ...],
    specs: list[tuple[Any, str, Any]],
) -> dict[Any, _Column] | None:
    """The columns the aggregate reads, or None when the vectors cannot give ``_aggregate``'s answer:
    a group field or spec field that is not a column, more than one group field, an unknown kind or
    ``count_distinct``, an OTHER value where a value is used (grouped, summed or compared), a str summed, str
    and numbers both compared by min or max, or ints whose magnitudes add beyond int64 (a total might
    overflow)."""
    if len(group_by) > 1 or not all(has_field(columns, field) for field in group_by):
        return None
    used = {field: columns[field] for field in group_by}
    if any(columns[field].holds(slots, TAG_OTHER) for field in group_by):
        return None
    for _, kind, field in specs:
        # Distinct values need a set per group, which the records path keeps.
        if kind not in _aggregate_py.KINDS or kind == "count_distinct":
            return None
        if kind == "count_rows":
            continue
        if not has_field(columns, field):
            return None
        column = used[field] = columns[field]
        if kind == "count":
            continue
        if column.holds(slots, TAG_OTHER):
            return None
        if kind == "sum" or kind == "avg":
            if column.holds(slots, TAG_STR) or _magnitude_exceeds(column, slots):
                return None
        elif column.holds(slots, TAG_STR) and (
            column.holds(slots, TAG_INT) or column.holds(slots, TAG_BOOL) or column.holds(slots, TAG_FLOAT)
        ):
            return None
    return used


def _magnitude_exceeds(column: _Column, slots: list[int]) -> bool:
    """True when the magnitudes of the ints and bools in ``slots`` add beyond int64: then some running int
    total might overflow."""
    tags, values = column.tags, column.values
    total = sum(abs(values[slot]) for slot in slots if tags[slot] == TAG_INT or tags[slot] == TAG_BOOL)
    return bool(total > INT64_MAX)


def _accumulate(kind: str, values: Any, groups: list[int], count: int) -> list[Any]:
    """One aggregate per group over the rows' ``values`` (``groups`` gives each row's group), with
    _aggregate's rules for these plain values: None skipped (but by count_rows), ``total + value`` in row
    order from the int 0, ``float(total / count)`` for avg, and the first of equal values for min and max."""
    if kind == "count_rows":
        counts = [0] * count
        for group in groups:
            counts[group] += 1
        return counts
    if kind == "count":
        counts = [0] * count
        for group, value in zip(groups, values, strict=True):
            if value is not None:
                counts[group] += 1
        return counts
    if kind == "sum" or kind == "avg":
        totals: list[Any] = [0] * count
        counts = [0] * count
        for group, value in zip(groups, values, strict=True):
            if value is not None:
                totals[group] += value
                counts[group] += 1
        if kind == "sum":
            return [total if n else None for total, n in zip(totals, counts, strict=True)]
        return [float(total / n) if n else None for total, n in zip(totals, counts, strict=True)]
    best: list[Any] = [None] * count
    smallest = kind == "min"
    for group, value in zip(groups, values, strict=True):
        if value is None:
            continue
        kept = best[group]
        if kept is None or (value < kept if smallest else value > kept):
            best[group] = value
    return best
