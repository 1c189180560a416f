"""Aggregates (``Count``, ``Sum``, ``Avg``, ``Min``, ``Max``) and the step behind ``Table.aggregate``.

An aggregate names what to compute over the non-None values of a field; ``aggregate`` checks the request,
hands the grouping and accumulating loop to ``dictdb._core.aggregate`` (compiled, with a pure twin), then
orders and cuts the grouped rows. docs/aggregates.md states the rules on bools, NaN, Decimals and mixed types.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from numbers import Real
from typing import Any, ClassVar

from dictdb._core import aggregate as _kernel
from dictdb.query import Field

__all__ = ["Aggregate", "Avg", "Count", "Max", "Min", "Sum", "aggregate", "shape"]

Record = dict[Any, Any]
#: ``vectors(group_fields, specs)``: the kernel's rows computed another way (a column store), or ``None``.
Vectors = Callable[[tuple[Any, ...], list[tuple[Any, str, Any]]], list[Record] | None]


def _field_name(field: Any, aggregate: str) -> Any:
    """The field name an aggregate reads: a name, or the name of a ``Field`` (``table.salary``)."""
    name = field.name if isinstance(field, Field) else field
    try:
        hash(name)
    except TypeError:
        name = None
    if name is None:
        raise TypeError(
            f"{aggregate}() takes a field name (str) or a Field such as table.price, not {field!r}"
        )
    return name


class Aggregate:
    """What to compute over one field of the records; the base of ``Count``, ``Sum``, ``Avg``, ``Min``,
    ``Max``. Aggregates are immutable values: equal when of the same kind over the same field."""

    __slots__ = ("_field",)

    #: The ``dictdb._core.aggregate`` kind this class computes.
    kind: ClassVar[str]

    _field: Any

    def __init__(self, field: Any) -> None:
        object.__setattr__(self, "_field", _field_name(field, type(self).__name__))

    @property
    def field(self) -> Any:
        """The field this aggregate reads (``None`` for ``Count()``, which counts records)."""
        return self._field

    def spec(self, name: Any) -> tuple[Any, str, Any]:
        """The ``(name, kind, field)`` triple the core computes."""
        return (name, self.kind, self._field)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(self._field == other._field)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._field))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._field!r})"


class Count(Aggregate):
    """``Count()`` counts the records; ``Count(field)`` counts those whose ``field`` is not ``None``.

    Example:
        >>> from dictdb import Count, Table
        >>> t = Table("t")
        >>> t.insert([{"x": 1}, {"x": None}, {}])
        [1, 2, 3]
        >>> t.aggregate(rows=Count(), xs=Count("x"))
        {'rows': 3, 'xs': 1}
    """

    __slots__ = ()

    def __init__(self, field: Any = None) -> None:
        object.__setattr__(self, "_field", None if field is None else _field_name(field, "Count"))

    kind = "count"

    def spec(self, name: Any) -> tuple[Any, str, Any]:
        """The ``(name, kind, field)`` triple the core computes: ``count_rows`` without a field."""
        return (name, "count_rows", None) if self._field is None else (name, "count", self._field)

    def __repr__(self) -> str:
        return "Count()" if self._field is None else f"Count({self._field!r})"


class Sum(Aggregate):
    """The sum of the non-None values of ``field``; ``None`` when there are none.

    Numbers only (bool, int, float, Decimal): ints sum exactly, Decimals stay Decimal, bools count as 0 and 1,
    a NaN makes the sum NaN. Anything else raises ``TypeError``.

    Example:
        >>> from decimal import Decimal
        >>> from dictdb import Sum, Table
        >>> t = Table("t")
        >>> t.insert([{"price": Decimal("9.90")}, {"price": Decimal("0.10")}, {"price": None}])
        [1, 2, 3]
        >>> t.aggregate(total=Sum("price"))
        {'total': Decimal('10.00')}
    """

    __slots__ = ()
    kind = "sum"


class Avg(Aggregate):
    """The mean of the non-None values of ``field``, as a float; ``None`` when there are none.

    The same numbers as ``Sum``: it is ``float(Sum / Count)``.

    Example:
        >>> from dictdb import Avg, Table
        >>> t = Table("t")
        >>> t.insert([{"age": 30}, {"age": 41}, {}])
        [1, 2, 3]
        >>> t.aggregate(mean=Avg("age"))
        {'mean': 35.5}
    """

    __slots__ = ()
    kind = "avg"


class Min(Aggregate):
    """The smallest non-None value of ``field`` (numbers, strings, dates...); ``None`` when there are none.

    NaN is skipped. Values that do not compare with each other (a str and an int) raise ``TypeError``.

    Example:
        >>> import datetime as dt
        >>> from dictdb import Min, Table
        >>> t = Table("t")
        >>> t.insert([{"day": dt.date(2024, 5, 1)}, {"day": dt.date(2023, 1, 9)}])
        [1, 2]
        >>> t.aggregate(first=Min("day"))
        {'first': datetime.date(2023, 1, 9)}
    """

    __slots__ = ()
    kind = "min"


class Max(Aggregate):
    """The largest non-None value of ``field``; the rules of ``Min``.

    Example:
        >>> from dictdb import Max, Table
        >>> t = Table("t")
        >>> t.insert([{"name": "bob"}, {"name": "ada"}])
        [1, 2]
        >>> t.aggregate(last=Max("name"))
        {'last': 'bob'}
    """

    __slots__ = ()
    kind = "max"


def aggregate(
    rows: Iterable[Record] | Callable[[], Iterable[Record]],
    group_by: Any,
    aggregations: dict[str, Any],
    *,
    order_by: Any = None,
    limit: int | None = None,
    vectors: Vectors | None = None,
) -> dict[str, Any] | list[Record]:
    """Aggregate ``rows``: one dict of results, or with ``group_by`` one row per group (``Table.aggregate``).

    Everything is checked before the first record is read. ``rows`` may be a function that returns them,
    called only when needed: when ``vectors`` (a table's column store) is given, it is asked first, and the
    records are read only when it returns ``None`` (it cannot give the same answer).

    Example:
        >>> from dictdb.query.aggregates import Avg, Count, aggregate
        >>> rows = [{"dept": "a", "pay": 10}, {"dept": "b", "pay": 30}, {"dept": "a", "pay": 20}]
        >>> aggregate(rows, "dept", {"n": Count(), "pay": Avg("pay")}, order_by="-pay")
        [{'dept': 'b', 'n': 1, 'pay': 30.0}, {'dept': 'a', 'n': 2, 'pay': 15.0}]
    """
    fields, specs = shape(group_by, aggregations)
    if not fields and (order_by is not None or limit is not None):
        raise ValueError("order_by and limit apply to grouped rows: pass group_by as well, or neither")
    keys = _order_keys(order_by, [*fields, *aggregations])
    stop = _limit(limit)
    out = None if vectors is None else vectors(fields, specs)
    if out is None:
        out = _kernel.aggregate(rows() if callable(rows) else rows, fields, specs)
    if not fields:
        return out[0]
    for name, descending in reversed(keys):  # stable sorts, last key first
        out.sort(key=lambda row: _sort_key(row[name], name), reverse=descending)
    return out if stop is None else out[:stop]


def shape(group_by: Any, aggregations: dict[str, Any]) -> tuple[tuple[Any, ...], list[tuple[Any, str, Any]]]:
    """The checked group fields and ``(name, kind, field)`` specs of an aggregate (``field`` is ``None`` for
    ``Count()``), or the error its arguments deserve.

    Example:
        >>> shape("dept", {"n": Count(), "pay": Avg("pay")})
        (('dept',), [('n', 'count_rows', None), ('pay', 'avg', 'pay')])
    """
    fields = _group_fields(group_by)
    return fields, _specs(aggregations, fields)


def _group_fields(group_by: Any) -> tuple[Any, ...]:
    if group_by is None:
        return ()
    names = list(group_by) if isinstance(group_by, (list, tuple)) else [group_by]
    if not names:
        raise ValueError("group_by names no field: give a field name or a list of them, or None for one row")
    fields = tuple(_field_name(name, "group_by") for name in names)
    if len(set(fields)) != len(fields):
        raise ValueError(f"group_by names a field twice: {list(fields)!r}")
    return fields


def _specs(aggregations: dict[str, Any], fields: tuple[Any, ...]) -> list[tuple[Any, str, Any]]:
    specs = []
    for name, value in aggregations.items():
        if not isinstance(value, Aggregate):
            hint = (
                "; call it, e.g. Count()" if isinstance(value, type) and issubclass(value, Aggregate) else ""
            )
            raise TypeError(
                f"aggregate {name!r} must be Count(...), Sum(...), Avg(...), Min(...) or Max(...), "
                f"not {type(value).__name__} {value!r}{hint}"
            )
        if name in fields:
            raise ValueError(f"aggregate {name!r} has the name of a group_by field; name it differently")
        specs.append(value.spec(name))
    return specs


def _order_keys(order_by: Any, columns: Sequence[Any]) -> list[tuple[Any, bool]]:
    if order_by is None:
        return []
    names = list(order_by) if isinstance(order_by, (list, tuple)) else [order_by]
    keys = []
    for name in names:
        descending = isinstance(name, str) and name.startswith("-") and name not in columns
        column = name[1:] if descending else name
        if column not in columns:
            raise ValueError(
                f"cannot order grouped rows by {name!r}: the rows hold {', '.join(map(repr, columns))}"
            )
        keys.append((column, descending))
    return keys


def _limit(limit: Any) -> int | None:
    if limit is None:
        return None
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise TypeError(f"limit must be an int or None, not {type(limit).__name__} {limit!r}")
    return None if limit < 0 else limit


def _sort_key(value: Any, column: Any) -> tuple[Any, ...]:
    """The one total order: None and NaN, then numbers, str, bytes, other types by type name."""
    if value is None:
        return (0,)
    if isinstance(value, (Real, Decimal)):
        nan = value.is_nan() if isinstance(value, Decimal) else math.isnan(value)
        return (0,) if nan else (1, _Ordered(value, column))
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, bytes):
        return (3, value)
    return (4, type(value).__name__, _Ordered(value, column))


class _Ordered:
    """A value compared with ``<``, whose TypeError names the column (two dicts, a Fraction and a Decimal)."""

    __slots__ = ("column", "value")

    def __init__(self, value: Any, column: Any) -> None:
        self.value = value
        self.column = column

    def __lt__(self, other: _Ordered) -> bool:
        try:
            return bool(self.value < other.value)
        except TypeError:
            raise TypeError(
                f"cannot order grouped rows by {self.column!r}: {self.value!r} and {other.value!r} do not "
                "compare"
            ) from None
