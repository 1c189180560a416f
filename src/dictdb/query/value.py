"""``ValueExpr``: a value computed from a record (``table.price * table.qty``), and the tests on values.

A ``Field`` is the simplest value expression: the record's field. Arithmetic (``+ - * / // %``, unary ``-``)
and the methods ``lower() upper() length() abs() round(n)`` and properties ``year month day`` build new
value expressions; comparing two of them (``table.a < table.b``) or testing one (``(t.price * t.qty) > 100``,
``t.name.lower().startswith("a")``) builds a ``PredicateExpr``. Each holds a *value plan*, nested tuples
(listed in ``dictdb._core._value_py``) that the core compiles once per query. An operand that is ``None``,
missing or of a type the operator refuses makes the value ``None``, as SQL's NULL: a query never raises on a
record's values.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, NoReturn

from dictdb._core import value as _value
from dictdb.query.expr import PredicateExpr, render_value

__all__ = ["Computed", "ValueExpr", "check_name", "compile_changes", "value_plan"]

Plan = tuple[Any, ...]


def value_plan(operand: Any) -> Plan:
    """The value plan of a value expression, or of a constant.

    Example:
        >>> from dictdb import Field
        >>> value_plan(Field("price") * 2)
        ('mul', ('field', 'price'), ('const', 2))
        >>> value_plan(3)
        ('const', 3)
    """
    if isinstance(operand, ValueExpr):
        return operand.value_plan
    if isinstance(operand, PredicateExpr):
        raise TypeError(
            "a predicate is not a value: arithmetic and comparisons take fields, value expressions and "
            f"constants, not {operand!r}"
        )
    return ("const", operand)


class ValueExpr:
    """A value computed per record; its operators build further values and predicates.

    Example:
        >>> from dictdb import Table
        >>> orders = Table("orders")
        >>> total = orders.price * orders.qty
        >>> (total > 100)({"price": 30, "qty": 4})
        True
        >>> total.compute({"price": 30, "qty": None}) is None
        True
    """

    __slots__ = ()

    # Comparison operators build expressions, so a value cannot be a dict key or a set member.
    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError(
            f"a DictDB value ({self!r}) has no truth value: compare it to build a predicate "
            "(table.qty > 0, table.name.is_not_null())"
        )

    @property
    def value_plan(self) -> Plan:
        """The value plan this expression stands for."""
        raise NotImplementedError

    def compute(self, record: dict[Any, Any]) -> Any:
        """The value for one record (``None`` when an operand is ``None``, missing or refused)."""
        return _value.compile_value(self.value_plan).value(record)

    def _test(self, kind: str, *operands: Any) -> PredicateExpr:
        # A one-value test of this value: the node's field slot is unused under ``of``.
        return PredicateExpr(("of", self.value_plan, (kind, None, *operands)))

    def _compare(self, kind: str, other: Any) -> PredicateExpr:
        if isinstance(other, ValueExpr):
            return PredicateExpr(("cmp", kind, self.value_plan, other.value_plan))
        value_plan(other)  # refuses a predicate
        return self._test(kind, other)

    def __eq__(self, value: object) -> PredicateExpr:  # type: ignore[override]
        return self._compare("eq", value)

    def __ne__(self, value: object) -> PredicateExpr:  # type: ignore[override]
        return self._compare("ne", value)

    def __lt__(self, value: Any) -> PredicateExpr:
        return self._compare("lt", value)

    def __le__(self, value: Any) -> PredicateExpr:
        return self._compare("le", value)

    def __gt__(self, value: Any) -> PredicateExpr:
        return self._compare("gt", value)

    def __ge__(self, value: Any) -> PredicateExpr:
        return self._compare("ge", value)

    # Arithmetic: a new value per record; ``None`` where an operand is ``None`` or refused.

    def _binary(self, kind: str, left: Any, right: Any) -> Computed:
        return Computed((kind, value_plan(left), value_plan(right)))

    def __add__(self, other: Any) -> Computed:
        return self._binary("add", self, other)

    def __radd__(self, other: Any) -> Computed:
        return self._binary("add", other, self)

    def __sub__(self, other: Any) -> Computed:
        return self._binary("sub", self, other)

    def __rsub__(self, other: Any) -> Computed:
        return self._binary("sub", other, self)

    def __mul__(self, other: Any) -> Computed:
        return self._binary("mul", self, other)

    def __rmul__(self, other: Any) -> Computed:
        return self._binary("mul", other, self)

    def __truediv__(self, other: Any) -> Computed:
        return self._binary("div", self, other)

    def __rtruediv__(self, other: Any) -> Computed:
        return self._binary("div", other, self)

    def __floordiv__(self, other: Any) -> Computed:
        return self._binary("floordiv", self, other)

    def __rfloordiv__(self, other: Any) -> Computed:
        return self._binary("floordiv", other, self)

    def __mod__(self, other: Any) -> Computed:
        return self._binary("mod", self, other)

    def __rmod__(self, other: Any) -> Computed:
        return self._binary("mod", other, self)

    def __neg__(self) -> Computed:
        return Computed(("neg", self.value_plan))

    def __abs__(self) -> Computed:
        return self.abs()

    def __round__(self, ndigits: int | None = None) -> Computed:
        return self.round(0 if ndigits is None else ndigits)

    def abs(self) -> Computed:
        """The absolute value of a number or timedelta (``abs(field)`` works too).

        Example:
            >>> from dictdb import Field
            >>> Field("delta").abs().compute({"delta": -3})
            3
        """
        return Computed(("abs", self.value_plan))

    def round(self, n: int = 0) -> Computed:
        """A number rounded to ``n`` decimal places, as Python's ``round(x, n)`` (``round(field, n)`` too).

        Example:
            >>> from dictdb import Field
            >>> Field("price").round(1).compute({"price": 2.345})
            2.3
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"round() takes an int number of digits, not {type(n).__name__}")
        return Computed(("round", self.value_plan, n))

    def lower(self) -> Computed:
        """A str in lower case; other types give ``None``.

        Example:
            >>> from dictdb import Field
            >>> (Field("name").lower() == "ada")({"name": "ADA"})
            True
        """
        return Computed(("lower", self.value_plan))

    def upper(self) -> Computed:
        """A str in upper case; other types give ``None``."""
        return Computed(("upper", self.value_plan))

    def length(self) -> Computed:
        """The length of a str, bytes, list, tuple, dict or set; other types give ``None``.

        Example:
            >>> from dictdb import Field
            >>> (Field("tags").length() >= 2)({"tags": ["a", "b"]})
            True
        """
        return Computed(("length", self.value_plan))

    @property
    def year(self) -> Computed:
        """The year of a date or datetime; other types give ``None``.

        Example:
            >>> import datetime
            >>> from dictdb import Field
            >>> Field("created").year.compute({"created": datetime.date(2026, 12, 8)})
            2026
        """
        return Computed(("year", self.value_plan))

    @property
    def month(self) -> Computed:
        """The month (1-12) of a date or datetime; other types give ``None``."""
        return Computed(("month", self.value_plan))

    @property
    def day(self) -> Computed:
        """The day of the month of a date or datetime; other types give ``None``."""
        return Computed(("day", self.value_plan))

    # Tests: each is a ``PredicateExpr``.

    def is_in(self, values: Iterable[Any]) -> PredicateExpr:
        """Membership in ``values`` (Python equality, so ``1``, ``1.0`` and ``True`` are one value).

        Example:
            >>> from dictdb import Field
            >>> Field("dept").is_in(["ops", "dev"])({"dept": "dev"})
            True
        """
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(
                f"is_in() takes a collection of values (a list, tuple or set), not {type(values).__name__}"
            )
        return self._test("in", tuple(values))

    def between(self, low: Any, high: Any) -> PredicateExpr:
        """``low <= value <= high`` (inclusive); ``None``, NaN and incomparable values never match.

        Example:
            >>> from dictdb import Field
            >>> Field("age").between(18, 65)({"age": 65})
            True
        """
        return self._test("between", low, high)

    def contains(self, item: Any) -> PredicateExpr:
        """``item in value``: a substring of a str, a member of a list, set or tuple, a key of a dict.

        A value that cannot hold ``item`` (a number, ``None``, an int in a str) never matches.

        Example:
            >>> from dictdb import Field
            >>> Field("tags").contains("new")({"tags": ["new", "sale"]})
            True
        """
        return self._test("contains", item)

    def startswith(self, prefix: str) -> PredicateExpr:
        """A str value that starts with ``prefix``; other types never match.

        Example:
            >>> from dictdb import Field
            >>> Field("name").startswith("Ad")({"name": "Ada"})
            True
        """
        return self._test("startswith", _text("startswith", prefix))

    def endswith(self, suffix: str) -> PredicateExpr:
        """A str value that ends with ``suffix``; other types never match.

        Example:
            >>> from dictdb import Field
            >>> Field("email").endswith(".org")({"email": "ada@python.org"})
            True
        """
        return self._test("endswith", _text("endswith", suffix))

    def is_null(self) -> PredicateExpr:
        """The value is ``None`` (or the field is missing).

        Example:
            >>> from dictdb import Field
            >>> Field("email").is_null()({})
            True
        """
        return self._test("is_null")

    def is_not_null(self) -> PredicateExpr:
        """The value is not ``None`` (a field present and not ``None``).

        Example:
            >>> from dictdb import Field
            >>> Field("email").is_not_null()({"email": None})
            False
        """
        return self._test("is_not_null")

    def like(self, pattern: str, escape: str | None = None) -> PredicateExpr:
        """SQL LIKE on str values: ``%`` any run of characters, ``_`` exactly one, over the whole string.

        ``escape`` (one character) makes the next character of the pattern literal. Other types never match.

        Example:
            >>> from dictdb import Field
            >>> Field("code").like("A_%")({"code": "AB-12"})
            True
            >>> Field("rate").like("100!%", escape="!")({"rate": "100%"})
            True
        """
        return self._like(pattern, escape, fold=False)

    def ilike(self, pattern: str, escape: str | None = None) -> PredicateExpr:
        """Case-insensitive ``like``: both sides are compared ``casefold()``-ed (``ß`` matches ``SS``).

        Example:
            >>> from dictdb import Field
            >>> Field("name").ilike("ada%")({"name": "ADA LOVELACE"})
            True
        """
        return self._like(pattern, escape, fold=True)

    def _like(self, pattern: str, escape: str | None, fold: bool) -> PredicateExpr:
        method = "ilike" if fold else "like"
        _text(method, pattern)
        if escape is not None and not (isinstance(escape, str) and len(escape) == 1):
            raise TypeError(f"{method}() escape must be one character or None, not {escape!r}")
        if escape is not None and pattern.endswith(escape) and not _escaped_last(pattern, escape):
            raise ValueError(f"{method}() pattern {pattern!r} ends with its escape character {escape!r}")
        return self._test("like", pattern, escape, fold)

    def iequals(self, text: str) -> PredicateExpr:
        """Case-insensitive equality of str values (``casefold()``); other types never match.

        Example:
            >>> from dictdb import Field
            >>> Field("city").iequals("paris")({"city": "PARIS"})
            True
        """
        return self._test("iequals", _text("iequals", text))

    def icontains(self, text: str) -> PredicateExpr:
        """Case-insensitive substring test on str values; other types never match.

        Example:
            >>> from dictdb import Field
            >>> Field("title").icontains("python")({"title": "Learning Python"})
            True
        """
        return self._test("icontains", _text("icontains", text))

    def istartswith(self, prefix: str) -> PredicateExpr:
        """Case-insensitive ``startswith``.

        Example:
            >>> from dictdb import Field
            >>> Field("name").istartswith("ad")({"name": "Ada"})
            True
        """
        return self._test("istartswith", _text("istartswith", prefix))

    def iendswith(self, suffix: str) -> PredicateExpr:
        """Case-insensitive ``endswith``.

        Example:
            >>> from dictdb import Field
            >>> Field("email").iendswith(".ORG")({"email": "ada@python.org"})
            True
        """
        return self._test("iendswith", _text("iendswith", suffix))

    def __contains__(self, item: object) -> NoReturn:
        raise TypeError(
            "`in` cannot build a DictDB predicate: write value.contains(item) to test the value, "
            f"or value.is_in(values) for membership ({self!r})"
        )


class Computed(ValueExpr):
    """A value expression built by an operator or method (``table.price * table.qty``)."""

    __slots__ = ("_plan",)

    _plan: Plan

    def __init__(self, plan: Plan) -> None:
        object.__setattr__(self, "_plan", plan)

    @property
    def value_plan(self) -> Plan:
        return self._plan

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return f"<ValueExpr {render_value(self._plan)}>"


def _text(method: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{method}() takes a str, not {type(value).__name__}")
    return value


def _escaped_last(pattern: str, escape: str) -> bool:
    """True when the pattern's last character is itself escaped (``"a!!"`` with ``!``)."""
    run = len(pattern) - len(pattern.rstrip(escape))
    return run % 2 == 0


def compile_changes(changes: dict[Any, Any]) -> dict[Any, Any]:
    """An update's ``changes`` with each value expression compiled (a ``dictdb._core.value.Value``, which
    ``merge_each`` computes per record); the same dict when there is none. ``TypeError`` for a predicate.

    Example:
        >>> from dictdb import Field
        >>> compile_changes({"x": 1}) == {"x": 1}
        True
        >>> type(compile_changes({"bal": Field("bal") - 1})["bal"]).__name__
        'Value'
    """
    if not any(isinstance(value, (ValueExpr, PredicateExpr)) for value in changes.values()):
        return changes
    compiled = {}
    for field, value in changes.items():
        if isinstance(value, PredicateExpr):
            raise TypeError(
                f"the change of {field!r} is a predicate ({value!r}), not a value: an update stores values "
                "and value expressions such as table.bal - 1"
            )
        compiled[field] = _value.compile_value(value.value_plan) if isinstance(value, ValueExpr) else value
    return compiled


def check_name(name: Any) -> Any:
    """``name`` when it can be a record key; ``TypeError`` otherwise."""
    if not isinstance(name, Hashable):
        raise TypeError(f"a field name must be hashable (a dict key), not {type(name).__name__}")
    return name
