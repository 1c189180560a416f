"""Grouping and accumulation for ``Table.aggregate``: the pure-Python twin of ``_aggregate.pyx``.

``aggregate_values(records, groups, specs)`` makes one pass over the records. Each record joins the group of
its group values (first-seen order), and each group keeps one accumulator per aggregate. A group value and an
aggregate's input are value plans (``_value_py`` lists them), so ``created.month`` or ``price * qty`` are read
as a field is; ``aggregate(records, group_by, specs)`` is the same over field names. The rules, which both
twins share exactly (docs/aggregates.md says why):

- A missing field reads as ``None``, as does a computed value an operand refuses. ``None`` is skipped by
  every aggregate except ``count_rows``.
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
- ``count_distinct`` counts the distinct values by Python equality (``1``, ``1.0`` and ``True`` are one
  value), every NaN being one value, as groups are. An unhashable value raises ``TypeError``.
- With no values, ``count`` and ``count_distinct`` give 0 and the others ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from numbers import Real
from typing import Any

from ._value_py import compile_node

__all__ = ["KINDS", "aggregate", "aggregate_values"]

Record = dict[Any, Any]
Read = Callable[[Record], Any]

#: What an aggregate can compute: ``count_rows`` counts records, the others the non-None values of an input.
KINDS = ("count_rows", "count", "sum", "avg", "min", "max", "count_distinct")

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


#: How errors name each kind: "aggregate 'total' = Sum('price')".
_TITLES = {
    "count_rows": "Count",
    "count": "Count",
    "sum": "Sum",
    "avg": "Avg",
    "min": "Min",
    "max": "Max",
    "count_distinct": "CountDistinct",
}


def _input_text(plan: Any) -> str:
    if plan is None:
        return ""
    return repr(plan[1]) if plan[0] == "field" else "a computed value"


class _Accumulator:
    """The running state of one aggregate in one group."""

    __slots__ = ("best", "count", "distinct", "kind", "name", "plan", "read", "total")

    def __init__(self, name: Any, kind: str, plan: Any, read: Read | None) -> None:
        self.name = name
        self.kind = kind
        self.plan = plan
        self.read = read
        self.count = 0
        self.total: Any = 0
        self.best: Any = None
        self.distinct: set[Any] | None = set() if kind == "count_distinct" else None

    def add(self, record: Record) -> None:
        kind = self.kind
        if kind == "count_rows":
            self.count += 1
            return
        value = self.read(record)  # type: ignore[misc]  # every kind but count_rows has a reader
        if value is None:
            return
        if kind == "count":
            self.count += 1
        elif kind == "sum" or kind == "avg":
            self.count += 1
            self.total = self._add_number(value)
        elif kind == "count_distinct":
            self._add_distinct(value)
        elif not _is_nan(value):
            self._keep_extreme(value, kind == "min")

    def _label(self) -> str:
        # How errors name the aggregate: "aggregate 'total' = Sum('price')".
        return f"aggregate {self.name!r} = {_TITLES[self.kind]}({_input_text(self.plan)})"

    def _add_distinct(self, value: Any) -> None:
        try:
            self.distinct.add(_group_key(value))  # type: ignore[union-attr]  # made for count_distinct
        except TypeError:
            raise TypeError(
                f"{self._label()} got {_describe(value)}, which is unhashable: CountDistinct counts values "
                "that can be compared for equality by hash (str, numbers, dates, tuples); convert the value "
                "or leave such records out with where="
            ) from None

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
        if kind == "count_distinct":
            return len(self.distinct)  # type: ignore[arg-type]  # made for count_distinct
        if kind == "min" or kind == "max":
            return self.best
        if self.count == 0:
            return None
        if kind == "sum":
            return self.total
        return float(self.total / self.count)


class _Group:
    """One group: the first-seen group values, and an accumulator per aggregate."""

    __slots__ = ("accumulators", "values")

    def __init__(self, values: tuple[Any, ...], plan: Sequence[tuple[Any, str, Any, Read | None]]) -> None:
        self.values = values
        self.accumulators = [_Accumulator(name, kind, source, read) for name, kind, source, read in plan]

    def add(self, record: Record) -> None:
        for accumulator in self.accumulators:
            accumulator.add(record)

    def row(self, names: tuple[Any, ...], aggregates: list[Any]) -> Record:
        row = dict(zip(names, self.values, strict=True))
        for name, accumulator in zip(aggregates, self.accumulators, strict=True):
            row[name] = accumulator.result()
        return row


def _check_specs(specs: Iterable[tuple[Any, str, Any]]) -> list[tuple[Any, str, Any, Read | None]]:
    checked: list[tuple[Any, str, Any, Read | None]] = []
    for name, kind, plan in specs:
        if kind not in KINDS:
            raise ValueError(f"unknown aggregate kind {kind!r}; the kinds are {', '.join(KINDS)}")
        if kind == "count_rows":
            checked.append((name, kind, None, None))
        else:
            checked.append((name, kind, plan, compile_node(plan)))
    return checked


def _unhashable(names: tuple[Any, ...], values: tuple[Any, ...]) -> TypeError:
    for name, value in zip(names, values, strict=True):
        try:
            hash(_group_key(value))
        except TypeError:
            return TypeError(
                f"cannot group by {name!r}: its value {_describe(value)} is unhashable; group by fields "
                "that hold str, numbers, dates or tuples"
            )
    return TypeError(f"cannot group by {names!r}: a value is unhashable")


def aggregate_values(
    records: Iterable[Record], groups: Sequence[tuple[Any, Any]], specs: Iterable[tuple[Any, str, Any]]
) -> list[Record]:
    """One row per group of ``records``, in first-seen order: the group values, then each aggregate.

    ``groups`` is a sequence of ``(name, value plan)``, the row's name for each group value and how it is
    read; when it is empty, all records make one group and exactly one row comes back, even for no records.
    ``specs`` is ``(name, kind, value plan)`` per aggregate, ``kind`` from ``KINDS`` (the plan is ignored by
    ``count_rows``).
    """
    names = tuple([name for name, _ in groups])
    reads = [compile_node(plan) for _, plan in groups]
    plan = _check_specs(specs)
    aggregates = [name for name, _, _, _ in plan]
    if not reads:
        whole = _Group((), plan)
        for record in records:
            whole.add(record)
        return [whole.row(names, aggregates)]
    found: dict[Any, _Group] = {}
    for record in records:
        values = tuple([read(record) for read in reads])
        key = tuple([_group_key(value) for value in values])
        try:
            group = found.get(key)
        except TypeError:
            raise _unhashable(names, values) from None
        if group is None:
            group = found[key] = _Group(values, plan)
        group.add(record)
    return [group.row(names, aggregates) for group in found.values()]


def aggregate(
    records: Iterable[Record], group_by: Sequence[Any], specs: Iterable[tuple[Any, str, Any]]
) -> list[Record]:
    """``aggregate_values`` over field names: ``group_by`` is a sequence of field names, and ``specs`` is
    ``(name, kind, field)`` per aggregate (``field`` is ignored by ``count_rows``)."""
    return aggregate_values(records, _field_groups(group_by), _field_specs(specs))


def _field_groups(group_by: Sequence[Any]) -> list[tuple[Any, Any]]:
    return [(field, ("field", field)) for field in group_by]


def _field_specs(specs: Iterable[tuple[Any, str, Any]]) -> list[tuple[Any, str, Any]]:
    return [(name, kind, None if kind == "count_rows" else ("field", field)) for name, kind, field in specs]
