"""Computed values for the differential tests: strategies for value plans and records, and an oracle.

The oracle (``computed``, ``predicate_holds``) is the documented NULL rules written out the long way, with
Python's own operators, independently of either core: an operand that is ``None`` gives ``None``; arithmetic
takes numbers, dates, times and timedeltas (and ``+`` joins two strs into an exact ``str``); a pair Python
refuses or an operation that fails gives ``None``; a NaN result gives ``None``, infinities stay; ``neg`` and
``abs`` take numbers and timedeltas, ``round`` numbers, the str functions strs, the date parts dates.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

FIELDS = ["a", "b", "c"]
BINARY = ["add", "sub", "mul", "div", "floordiv", "mod"]
UNARY = ["neg", "abs", "lower", "upper", "length", "year", "month", "day"]
COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]


class Text(str):
    """A str subclass that overrides what the cores must not call: results are exact strs all the same."""

    def __add__(self, other: object) -> str:
        raise AssertionError("Text.__add__ called")

    def lower(self) -> str:
        raise AssertionError("Text.lower called")


class Day(dt.date):
    """A date subclass: its parts read as a date's."""


# Operands of every kind the rules name. ``signaling=False`` leaves out Decimal('sNaN'), whose equality raises
# (an error that propagates, in both cores, by design): predicates are drawn without it.
def operands(signaling: bool = True) -> st.SearchStrategy[Any]:
    decimals = st.decimals(allow_nan=False, allow_infinity=True, places=2) | st.sampled_from(
        [Decimal("NaN"), Decimal("-0"), Decimal("1.100"), Decimal("9E+999999"), Decimal("Infinity")]
        + ([Decimal("sNaN")] if signaling else [])
    )
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-6, 6),
        st.integers(-(2**70), 2**70),
        st.sampled_from([10**400, -(10**300), 2**63, 2**53 + 1]),
        st.floats(),
        st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 0.0, 1e308, 5e-324, 0.5]),
        decimals,
        st.fractions(max_denominator=50),
        st.text(alphabet="aAbß", max_size=3),
        st.text(alphabet="aB", max_size=2).map(Text),
        st.binary(max_size=2),
        st.dates() | st.dates().map(lambda day: Day(day.year, day.month, day.day)),
        st.datetimes(timezones=st.none() | st.just(dt.timezone.utc)),
        st.times(),
        st.timedeltas() | st.sampled_from([dt.timedelta.max, dt.timedelta.min, dt.timedelta(0)]),
        st.lists(st.integers(0, 2), max_size=2),
        st.tuples(st.integers(0, 2)),
        st.sampled_from([{"k": 1}, {1, 2}, frozenset(), bytearray(b"ab"), 1 + 2j, range(3)]),
    )


def value_plans(values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    """Random value-expression trees over ``FIELDS`` and constants drawn from ``values``."""
    leaves = st.tuples(st.just("field"), st.sampled_from([*FIELDS, "missing"])) | st.tuples(
        st.just("const"), values
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(BINARY), inner, inner),
            st.tuples(st.sampled_from(UNARY), inner),
            st.tuples(st.just("round"), inner, st.integers(-3, 3)),
        ),
        max_leaves=6,
    )


def records(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A few records over ``FIELDS`` (some fields missing), values drawn from ``values``."""
    return st.lists(st.dictionaries(st.sampled_from(FIELDS), values, max_size=3), min_size=1, max_size=6)


def predicate_plans(values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    """Random predicates whose leaves compare two computed values (``cmp``) or test one (``of``)."""
    plans = value_plans(values)
    texts = st.text(alphabet="aAb%_", max_size=3)
    tests = st.one_of(
        st.tuples(st.sampled_from(COMPARISONS), st.none(), values),
        st.tuples(st.just("between"), st.none(), values, values),
        st.tuples(st.just("in"), st.none(), st.lists(values, max_size=3).map(tuple)),
        st.tuples(st.just("contains"), st.none(), values),
        st.tuples(st.sampled_from(["startswith", "iendswith"]), st.none(), texts),
        st.tuples(st.just("like"), st.none(), texts, st.none(), st.booleans()),
        st.tuples(st.sampled_from(["is_null", "is_not_null"]), st.none()),
    )
    leaves = st.tuples(st.just("cmp"), st.sampled_from(COMPARISONS), plans, plans) | st.tuples(
        st.just("of"), plans, tests
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.tuples(st.sampled_from(["and", "or"]), st.lists(children, min_size=1, max_size=3).map(tuple)),
            st.tuples(st.just("not"), children),
        ),
        max_leaves=4,
    )


# The oracle.

_NUMBERS = (int, float, Decimal, Fraction)
_ARITHMETIC = (*_NUMBERS, dt.date, dt.time, dt.timedelta)
_SIZED = (str, bytes, bytearray, list, tuple, dict, set, frozenset)


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, Decimal) and value.is_nan():
        return None
    return value


def _binary(kind: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if isinstance(left, str) and isinstance(right, str):
        return "".join([left, right]) if kind == "add" else None
    if not (isinstance(left, _ARITHMETIC) and isinstance(right, _ARITHMETIC)):
        return None
    try:
        if kind == "add":
            result = left + right
        elif kind == "sub":
            result = left - right
        elif kind == "mul":
            result = left * right
        elif kind == "div":
            result = left / right
        elif kind == "floordiv":
            result = left // right
        else:
            result = left % right
    except (TypeError, ValueError, ArithmeticError):  # timedelta * NaN raises ValueError
        return None
    return _no_nan(result)


def _unary(kind: str, value: Any) -> Any:
    if kind in ("neg", "abs"):
        if not isinstance(value, (*_NUMBERS, dt.timedelta)):
            return None
        try:
            return _no_nan(-value if kind == "neg" else abs(value))
        except (ValueError, ArithmeticError):
            return None
    if kind in ("lower", "upper"):
        return (str.lower if kind == "lower" else str.upper)(value) if isinstance(value, str) else None
    if kind == "length":
        return len(value) if isinstance(value, _SIZED) else None
    return getattr(value, kind) if isinstance(value, dt.date) else None


def computed(plan: tuple[Any, ...], record: dict[Any, Any]) -> Any:
    """The value of ``plan`` for ``record`` under the documented rules."""
    kind = plan[0]
    if kind == "field":
        return record.get(plan[1])
    if kind == "const":
        return plan[1]
    if kind == "round":
        value = computed(plan[1], record)
        if not isinstance(value, _NUMBERS):
            return None
        try:
            return _no_nan(round(value, plan[2]))
        except (ValueError, ArithmeticError):
            return None
    if kind in BINARY:
        return _binary(kind, computed(plan[1], record), computed(plan[2], record))
    return _unary(kind, computed(plan[1], record))


_ORDERINGS = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


def _compared(kind: str, left: Any, right: Any) -> bool:
    if kind == "eq":
        return bool(left == right)
    if kind == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool(_ORDERINGS[kind](left, right))
    except (TypeError, ArithmeticError):
        return False


def _like(pattern: str, text: str, fold: bool) -> bool:
    if fold:
        pattern, text = pattern.casefold(), text.casefold()
    # reachable[j]: the pattern read so far matches text[:j] (no escape character in these patterns).
    reachable = [True] + [False] * len(text)
    for char in pattern:
        if char == "%":
            for j in range(1, len(text) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [
                reachable[j] and (char == "_" or char == text[j]) for j in range(len(text))
            ]
    return reachable[-1]


def _tested(test: tuple[Any, ...], value: Any) -> bool:
    kind = test[0]
    if kind in COMPARISONS:
        return _compared(kind, value, test[2])
    if kind == "between":
        return _compared("ge", value, test[2]) and _compared("le", value, test[3])
    if kind == "in":
        return value in test[2]
    if kind == "contains":
        try:
            return test[2] in value
        except (TypeError, ValueError):
            return False
    if kind == "is_null":
        return value is None
    if kind == "is_not_null":
        return value is not None
    if not isinstance(value, str):
        return False
    if kind == "startswith":
        return str.startswith(value, test[2])
    if kind == "iendswith":
        return str.casefold(value).endswith(test[2].casefold())
    return _like(test[2], value, test[4])


def predicate_holds(plan: tuple[Any, ...], record: dict[Any, Any]) -> bool:
    """Whether ``record`` matches ``plan`` (``cmp``, ``of``, ``and``, ``or``, ``not``) under the rules."""
    kind = plan[0]
    if kind == "and":
        return all(predicate_holds(child, record) for child in plan[1])
    if kind == "or":
        return any(predicate_holds(child, record) for child in plan[1])
    if kind == "not":
        return not predicate_holds(plan[1], record)
    if kind == "cmp":
        return _compared(plan[1], computed(plan[2], record), computed(plan[3], record))
    return _tested(plan[2], computed(plan[1], record))


def same(left: Any, right: Any) -> bool:
    """Exactly the same value: same type, floats and Decimals by their repr (``-0.0``, NaN, exponents)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, (float, Decimal)):
        return repr(left) == repr(right)
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(same(x, y) for x, y in zip(left, right, strict=True))
    return bool(left == right)
