"""Aggregates (``Count``, ``Sum``, ``Avg``, ``Min``, ``Max``, ``CountDistinct``) and the step behind
``Table.aggregate``.

An aggregate names what to compute over the non-None values of a field or of a value expression
(``Sum(t.price * t.qty)``); ``aggregate`` checks the request, hands the grouping and accumulating loop to
``dictdb._core.aggregate`` (compiled, with a pure twin), then filters (``having``), orders and cuts the
grouped rows. docs/aggregates.md states the rules on bools, NaN, Decimals and mixed types.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from numbers import Real
from typing import Any, ClassVar

from dictdb._core import aggregate as _kernel
from dictdb._core import predicate as _predicate
from dictdb._core import value as _value
from dictdb.query.expr import PredicateExpr, plan_of, render_value
from dictdb.query.field import Field
from dictdb.query.names import plan_fields
from dictdb.query.value import Computed, ValueExpr

__all__ = ["Aggregate", "Avg", "Count", "CountDistinct", "Max", "Min", "Sum", "aggregate", "shape"]

Record = dict[Any, Any]
Plan = tuple[Any, ...]
#: A group of the result rows: its name in the rows, and the value plan that reads it from a record.
Group = tuple[Any, Plan]
#: An aggregate as the core computes it: ``(name, kind, value plan)``; the plan is ``None`` for ``Count()``.
Spec = tuple[Any, str, Any]
#: ``vectors(groups, specs)``: the kernel's rows computed another way (a column store), or ``None``.
Vectors = Callable[[tuple[Group, ...], list[Spec]], list[Record] | None]


def _source(value: Any, role: str) -> Plan:
    """The value plan of what an aggregate or a group reads: a field name, a ``Field`` or a value
    expression (``table.price * table.qty``)."""
    if isinstance(value, ValueExpr):
        return value.value_plan
    wrong = isinstance(value, PredicateExpr)
    if not wrong:
        try:
            hash(value)
        except TypeError:
            wrong = True
    if wrong or value is None:
        raise TypeError(
            f"{role} takes a field name (str), a Field such as table.price or a value expression such as "
            f"table.price * table.qty, not {type(value).__name__} {value!r}"
        )
    return ("field", value)


def _render(plan: Plan) -> str:
    """An aggregate's input as its repr shows it: ``'price'`` for a field, ``price * qty`` otherwise."""
    if plan[0] == "field":
        return repr(plan[1])
    text = render_value(plan)
    # A binary operation renders in parentheses, which the aggregate's own make redundant.
    return text[1:-1] if plan[0] in _value.BINARY else text


class Aggregate:
    """What to compute over the values of a field or value expression; the base of ``Count``, ``Sum``,
    ``Avg``, ``Min``, ``Max``, ``CountDistinct``. Aggregates are immutable values: equal when of the same kind
    over the same field or expression."""

    __slots__ = ("_plan",)

    #: The ``dictdb._core.aggregate`` kind this class computes.
    kind: ClassVar[str]

    _plan: Any

    def __init__(self, field: Any) -> None:
        object.__setattr__(self, "_plan", _source(field, f"{type(self).__name__}()"))

    @property
    def field(self) -> Any:
        """What this aggregate reads: the field name, a value expression (``Computed``), or ``None`` for
        ``Count()``, which counts records."""
        plan = self._plan
        if plan is None:
            return None
        return plan[1] if plan[0] == "field" else Computed(plan)

    def spec(self, name: Any) -> Spec:
        """The ``(name, kind, value plan)`` triple the core computes."""
        return (name, self.kind, self._plan)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(self._plan == other._plan)

    def __hash__(self) -> int:
        try:
            return hash((type(self).__name__, self._plan))
        except TypeError:  # a constant in the expression is unhashable (a list): equal ones still agree
            return hash(type(self).__name__)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_render(self._plan)})"


class Count(Aggregate):
    """``Count()`` counts the records; ``Count(field)`` counts those whose ``field`` (or value expression) is
    not ``None``.

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
        object.__setattr__(self, "_plan", None if field is None else _source(field, "Count()"))

    kind = "count"

    def spec(self, name: Any) -> Spec:
        """The ``(name, kind, value plan)`` triple the core computes: ``count_rows`` without a field."""
        return (name, "count_rows", None) if self._plan is None else (name, "count", self._plan)

    def __repr__(self) -> str:
        return "Count()" if self._plan is None else f"Count({_render(self._plan)})"


class Sum(Aggregate):
    """The sum of the non-None values of ``field``, or of a value expression; ``None`` when there are none.

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
        >>> t.aggregate(doubled=Sum(t.price * 2))
        {'doubled': Decimal('20.00')}
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


class CountDistinct(Aggregate):
    """The number of distinct non-None values of ``field`` (or of a value expression); 0 when there are none.

    Values are told apart by Python equality, as dict keys are: ``1``, ``1.0`` and ``True`` are one value,
    ``"1"`` another; every NaN is one value. An unhashable value (a list) raises ``TypeError``.

    Example:
        >>> from dictdb import CountDistinct, Table
        >>> t = Table("t")
        >>> t.insert([{"city": "Paris"}, {"city": "paris"}, {"city": None}, {"city": "Lyon"}])
        [1, 2, 3, 4]
        >>> t.aggregate(cities=CountDistinct("city"), folded=CountDistinct(t.city.lower()))
        {'cities': 3, 'folded': 2}
    """

    __slots__ = ()
    kind = "count_distinct"


def aggregate(
    rows: Iterable[Record] | Callable[[], Iterable[Record]],
    group_by: Any,
    aggregations: dict[str, Any],
    *,
    order_by: Any = None,
    limit: int | None = None,
    having: Any = None,
    vectors: Vectors | None = None,
) -> dict[str, Any] | list[Record]:
    """Aggregate ``rows``: one dict of results, or with ``group_by`` one row per group (``Table.aggregate``).

    Everything is checked before the first record is read. ``rows`` may be a function that returns them,
    called only when needed: when ``vectors`` (a table's column store) is given, it is asked first, and the
    records are read only when it returns ``None`` (it cannot give the same answer). ``having`` keeps the
    grouped rows it matches, before ``order_by`` and ``limit``.

    Example:
        >>> from dictdb import Field
        >>> from dictdb.query.aggregates import Avg, Count, aggregate
        >>> rows = [{"dept": "a", "pay": 10}, {"dept": "b", "pay": 30}, {"dept": "a", "pay": 20}]
        >>> aggregate(rows, "dept", {"n": Count(), "pay": Avg("pay")}, order_by="-pay")
        [{'dept': 'b', 'n': 1, 'pay': 30.0}, {'dept': 'a', 'n': 2, 'pay': 15.0}]
        >>> aggregate(rows, {"team": Field("dept").upper()}, {"n": Count()}, having=Field("n") > 1)
        [{'team': 'A', 'n': 2}]
    """
    groups, specs = shape(group_by, aggregations)
    columns = [*(name for name, _ in groups), *aggregations]
    if not groups and (order_by is not None or limit is not None):
        raise ValueError("order_by and limit apply to grouped rows: pass group_by as well, or neither")
    if not groups and having is not None:
        raise ValueError(
            "having filters grouped rows: pass group_by as well (without it the result is one dict, which "
            "you can test in Python)"
        )
    keep = None if having is None else _having(having, columns)
    keys = _order_keys(order_by, columns)
    stop = _limit(limit)
    out = None if vectors is None else vectors(groups, specs)
    if out is None:
        out = _kernel.aggregate_values(rows() if callable(rows) else rows, groups, specs)
    if not groups:
        return out[0]
    if keep is not None:
        out = keep.filter(out)
    for name, descending in reversed(keys):  # stable sorts, last key first
        out.sort(key=lambda row: _sort_key(row[name], name), reverse=descending)
    return out if stop is None else out[:stop]


def shape(group_by: Any, aggregations: dict[str, Any]) -> tuple[tuple[Group, ...], list[Spec]]:
    """The checked groups, ``(name, value plan)`` each, and ``(name, kind, value plan)`` specs of an
    aggregate (the plan is ``None`` for ``Count()``), or the error its arguments deserve.

    Example:
        >>> from dictdb import Field
        >>> shape("dept", {"n": Count(), "pay": Avg("pay")})
        ((('dept', ('field', 'dept')),), [('n', 'count_rows', None), ('pay', 'avg', ('field', 'pay'))])
        >>> shape({"year": Field("start").year}, {"n": Count()})
        ((('year', ('year', ('field', 'start'))),), [('n', 'count_rows', None)])
    """
    groups = _groups(group_by)
    return groups, _specs(aggregations, [name for name, _ in groups])


def _groups(group_by: Any) -> tuple[Group, ...]:
    if group_by is None:
        return ()
    if isinstance(group_by, Mapping):
        groups = tuple((name, _source(value, f"group_by[{name!r}]")) for name, value in group_by.items())
    else:
        items = list(group_by) if isinstance(group_by, (list, tuple)) else [group_by]
        groups = tuple(_named_group(item) for item in items)
    if not groups:
        raise ValueError(
            "group_by names no field: give a field name, a list of them or {name: value expression}, or None "
            "for one row"
        )
    names = [name for name, _ in groups]
    if len(set(names)) != len(names):
        raise ValueError(f"group_by names a field twice: {names!r}")
    return groups


def _named_group(item: Any) -> Group:
    """A group given by a field name or ``Field``: its row name is the field's."""
    if isinstance(item, ValueExpr) and not isinstance(item, Field):
        raise TypeError(
            f"group_by {item!r} is a computed value, which needs a name for the rows: pass "
            "group_by={'name': expression} (a dict may mix names, fields and expressions)"
        )
    plan = _source(item, "group_by")
    return (plan[1], plan)


def _specs(aggregations: dict[str, Any], groups: list[Any]) -> list[Spec]:
    specs = []
    for name, value in aggregations.items():
        if not isinstance(value, Aggregate):
            hint = (
                "; call it, e.g. Count()" if isinstance(value, type) and issubclass(value, Aggregate) else ""
            )
            raise TypeError(
                f"aggregate {name!r} must be Count(...), Sum(...), Avg(...), Min(...), Max(...) or "
                f"CountDistinct(...), not {type(value).__name__} {value!r}{hint}"
            )
        if name in groups:
            raise ValueError(f"aggregate {name!r} has the name of a group_by field; name it differently")
        specs.append(value.spec(name))
    return specs


def _having(having: Any, columns: list[Any]) -> Any:
    """The compiled ``having`` predicate, once its names are checked against the grouped rows' columns."""
    plan = plan_of(having, role="having")
    unknown = [name for name in plan_fields(plan) if name not in columns]
    if unknown:
        raise ValueError(
            f"having reads {', '.join(map(repr, unknown))}, which the grouped rows do not hold: they hold "
            f"{', '.join(map(repr, columns))} (name the aggregate you test, e.g. having=Field('n') > 1)"
        )
    return _predicate.compile_plan(plan)


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
