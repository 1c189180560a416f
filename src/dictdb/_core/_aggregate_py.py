"""Grouping and accumulation for ``Table.aggregate``: the pure-Python twin of ``_aggregate.pyx``.

``aggregate(records, group_by, specs)`` makes one pass over the records. Each record joins the group of its
``group_by`` values (first-seen order), and each group keeps one accumulator per aggregate. The rules, which
both twins share exactly (docs/aggregates.md says why):

- A missing field reads as ``None``. ``None`` is skipped by every aggregate except ``count_rows``.
- Groups follow Python equality (``1``, ``1.0`` and ``True`` are one group, as dict keys are), except that
  every NaN (float or Decimal) joins one NaN group, where Python would make each NaN a group of its own. A
  group row shows the first value seen. An unhashable group value raises ``TypeError``.
- ``sum`` and ``avg`` take numbers: bool, int, float, Decimal and any other ``numbers.Real``. The total
  starts at the int ``0`` and grows by ``total + value``, in record order, so a sum of ints is an exact int,
  a sum of Decimals a Decimal, and a NaN makes the total NaN. Anything else, or numbers that do not add
  (Decimal and float), raises ``TypeError``. ``avg`` is ``float(total / count)``.
- ``min`` and ``max`` skip NaN; the others compare with ``<`` and ``>``, and the first of equal values
  wins. Values that do not compare with each other (str and int, naive and aware datetimes) raise
  ``TypeError``.
- With no values, ``count`` gives 0 and the others ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from numbers import Real
from typing import Any

__all__ = ["KINDS", "aggregate"]

Record = dict[Any, Any]

#: What an aggregate can compute: ``count_rows`` counts records, the others the non-None values of a field.
KINDS = ("count_rows", "count", "sum", "avg", "min", "max")

_NUMBERS = (Real, Decimal)

#: The one group key that every NaN maps to.
_NAN_KEY = float("nan")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {_short(value)}"


def _is_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    return False


def _group_key(value: Any) -> Any:
    return _NAN_KEY if _is_nan(value) else value


class _Accumulator:
    """The running state of one aggregate in one group."""

    __slots__ = ("best", "count", "field", "kind", "name", "total")

    def __init__(self, name: Any, kind: str, field: Any) -> None:
        self.name = name
        self.kind = kind
        self.field = field
        self.count = 0
        self.total: Any = 0
        self.best: Any = None

    def add(self, record: Record) -> None:
        kind = self.kind
        if kind == "count_rows":
            self.count += 1
            return
        value = record.get(self.field)
        if value is None:
            return
        if kind == "count":
            self.count += 1
        elif kind == "sum" or kind == "avg":
            self.count += 1
            self.total = self._add_number(value)
        elif not _is_nan(value):
            self._keep_extreme(value, kind == "min")

    def _label(self) -> str:
        # How errors name the aggregate: "aggregate 'total' = Sum('price')".
        return f"aggregate {self.name!r} = {self.kind.capitalize()}({self.field!r})"

    def _add_number(self, value: Any) -> Any:
        if not isinstance(value, _NUMBERS):
            raise TypeError(
                f"{self._label()} got {_describe(value)}: Sum and Avg take numbers (int, float, bool, "
                "Decimal); convert the field, or leave such records out with where="
            )
        try:
            return self.total + value
        except TypeError:
            raise TypeError(
                f"{self._label()} cannot add {_describe(value)} to the total so far, "
                f"{_describe(self.total)}: convert the field to one kind of number (Decimal and float do "
                "not mix)"
            ) from None

    def _keep_extreme(self, value: Any, smallest: bool) -> None:
        best = self.best
        if best is None:
            self.best = value
            return
        try:
            better = value < best if smallest else value > best
        except TypeError:
            raise TypeError(
                f"{self._label()} cannot compare {_describe(value)} with {_describe(best)}: Min and Max need "
                "values that compare with each other (numbers, or str, or dates...); convert the field, or "
                "leave such records out with where="
            ) from None
        if better:
            self.best = value

    def result(self) -> Any:
        kind = self.kind
        if kind == "count_rows" or kind == "count":
            return self.count
        if kind == "min" or kind == "max":
            return self.best
        if self.count == 0:
            return None
        if kind == "sum":
            return self.total
        return float(self.total / self.count)


class _Group:
    """One group: the first-seen values of the group fields, and an accumulator per aggregate."""

    __slots__ = ("accumulators", "values")

    def __init__(self, values: tuple[Any, ...], specs: Sequence[tuple[Any, str, Any]]) -> None:
        self.values = values
        self.accumulators = [_Accumulator(name, kind, field) for name, kind, field in specs]

    def add(self, record: Record) -> None:
        for accumulator in self.accumulators:
            accumulator.add(record)

    def row(self, group_by: tuple[Any, ...], names: list[Any]) -> Record:
        row = dict(zip(group_by, self.values, strict=True))
        for name, accumulator in zip(names, self.accumulators, strict=True):
            row[name] = accumulator.result()
        return row


def _check_specs(specs: Iterable[tuple[Any, str, Any]]) -> list[tuple[Any, str, Any]]:
    checked = []
    for name, kind, field in specs:
        if kind not in KINDS:
            raise ValueError(f"unknown aggregate kind {kind!r}; the kinds are {', '.join(KINDS)}")
        checked.append((name, kind, field))
    return checked


def _unhashable(group_by: tuple[Any, ...], values: tuple[Any, ...]) -> TypeError:
    for field, value in zip(group_by, values, strict=True):
        try:
            hash(_group_key(value))
        except TypeError:
            return TypeError(
                f"cannot group by {field!r}: its value {_describe(value)} is unhashable; group by fields "
                "that hold str, numbers, dates or tuples"
            )
    return TypeError(f"cannot group by {group_by!r}: a value is unhashable")


def aggregate(
    records: Iterable[Record], group_by: Sequence[Any], specs: Iterable[tuple[Any, str, Any]]
) -> list[Record]:
    """One row per group of ``records``, in first-seen order: the group fields, then each aggregate.

    ``group_by`` is a sequence of field names; when it is empty, all records make one group and exactly one
    row comes back, even for no records. ``specs`` is ``(name, kind, field)`` per aggregate, ``kind`` from
    ``KINDS`` (``field`` is ignored by ``count_rows``).
    """
    fields = tuple(group_by)
    plan = _check_specs(specs)
    names = [name for name, _, _ in plan]
    if not fields:
        whole = _Group((), plan)
        for record in records:
            whole.add(record)
        return [whole.row(fields, names)]
    groups: dict[Any, _Group] = {}
    for record in records:
        values = tuple([record.get(field) for field in fields])
        key = tuple([_group_key(value) for value in values])
        try:
            group = groups.get(key)
        except TypeError:
            raise _unhashable(fields, values) from None
        if group is None:
            group = groups[key] = _Group(values, plan)
        group.add(record)
    return [group.row(fields, names) for group in groups.values()]
