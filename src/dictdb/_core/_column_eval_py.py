"""Evaluating a plan on a column store's vectors: the pure-Python twin of ``_column_eval.pyx``.

The three-valued rules are documented in ``_column_py.py``. Here a clause tests each row's value with
Python's own operators (the values a tag keeps are plain ``None``, ``int``, ``bool``, ``float`` and ``str``),
which is the predicate core's meaning by construction; each str is tested once per query, its code indexing
the answers.

``__all__`` is empty, as in the compiled twin: ``supports`` and ``evaluate`` are what the store uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._column_vector_py import (
    INT64_MAX,
    INT64_MIN,
    TAG_NULL,
    TAG_OTHER,
    TAG_STR,
    UNKNOWN,
    _Column,
    bitmap_of,
    has_field,
)

__all__: list[str] = []

# The plan leaves a column evaluates.
_ORDERINGS = ("lt", "le", "gt", "ge")
_COMPARISONS = ("eq", "ne", *_ORDERINGS)
_NULL_TESTS = ("is_null", "is_not_null")

Test = Callable[[Any], bool]


def supports(plan: tuple[Any, ...], columns: dict[Any, _Column]) -> bool:
    """True when ``evaluate`` can run ``plan`` on ``columns``: every leaf a supported node (see the module
    docstring of ``_predicate_py``: comparisons, between, in, the null tests, and / or / not, true) on a
    column field, with operands of exact type None, bool, int within int64, float or str."""
    if not isinstance(plan, tuple) or not plan:
        return False
    kind = plan[0]
    size = len(plan)
    if kind in _COMPARISONS and size == 3:
        return has_field(columns, plan[1]) and _simple(plan[2])
    if kind == "between" and size == 4:
        return has_field(columns, plan[1]) and _simple(plan[2]) and _simple(plan[3])
    if kind == "in" and size == 3:
        values = plan[2]
        return has_field(columns, plan[1]) and isinstance(values, tuple) and all(_simple(v) for v in values)
    if kind in _NULL_TESTS and size == 2:
        return has_field(columns, plan[1])
    if kind in ("and", "or") and size == 2:
        children = plan[1]
        return isinstance(children, tuple) and bool(children) and all(supports(c, columns) for c in children)
    if kind == "not" and size == 2:
        return supports(plan[1], columns)
    return kind == "true" and size == 1


def _simple(value: Any) -> bool:
    """True for an operand the vectors can compare with: None, bool, int within int64, float or str."""
    kind = type(value)
    if kind is int:
        return bool(INT64_MIN <= value <= INT64_MAX)
    return value is None or kind is bool or kind is float or kind is str


def evaluate(plan: tuple[Any, ...], columns: dict[Any, _Column], live: int) -> tuple[int, int]:
    """The bitmaps of the ``live`` rows where ``plan`` (that ``supports`` accepts) is True, and where it is
    Unsure."""
    kind = plan[0]
    if kind == "and" or kind == "or":
        both = kind == "and"
        true, false = (live, 0) if both else (0, live)
        for child in plan[1]:
            child_true, child_unsure = evaluate(child, columns, live)
            child_false = live & ~(child_true | child_unsure)
            if both:
                true &= child_true
                false |= child_false
            else:
                true |= child_true
                false &= child_false
        return true, live & ~(true | false)
    if kind == "not":
        true, unsure = evaluate(plan[1], columns, live)
        return live & ~(true | unsure), unsure
    if kind == "true":
        return live, 0
    return _leaf(columns[plan[1]], _value_test(plan), kind in _NULL_TESTS, live)


def _leaf(column: _Column, test: Test, decides_other: bool, live: int) -> tuple[int, int]:
    # Each str is tested once per query (its code indexes the table), each number once per row.
    strings = [test(text) for text in column.strings]
    null = test(None)
    true = bytearray(b"0" * len(column.tags))
    unsure = bytearray(b"0" * len(column.tags))
    for slot, tag in enumerate(column.tags):
        if tag == TAG_NULL:
            hit = null
        elif tag == TAG_STR:
            hit = strings[column.values[slot]]
        elif tag == TAG_OTHER:
            # The value is not None, so a null test is decided (on any non-None stand-in); anything
            # else needs the record.
            if decides_other:
                hit = test(UNKNOWN)
            else:
                unsure[slot] = 49
                continue
        else:
            hit = test(column.values[slot])
        if hit:
            true[slot] = 49
    return bitmap_of(true) & live, bitmap_of(unsure) & live


def _value_test(plan: tuple[Any, ...]) -> Test:
    """The leaf's test on one value (None, int, bool, float or str): the predicate core's meaning."""
    kind = plan[0]
    if kind == "eq":
        return lambda value: bool(value == plan[2])
    if kind == "ne":
        return lambda value: bool(value != plan[2])
    if kind in _ORDERINGS:
        return _ordering(kind, plan[2])
    if kind == "between":
        low, high = _ordering("ge", plan[2]), _ordering("le", plan[3])
        return lambda value: low(value) and high(value)
    if kind == "in":
        values = frozenset(plan[2])
        return lambda value: value in values
    if kind == "is_null":
        return lambda value: value is None
    return lambda value: value is not None


def _ordering(kind: str, operand: Any) -> Test:
    def test(value: Any) -> bool:
        if value is None or operand is None:
            return False
        try:
            if kind == "lt":
                return bool(value < operand)
            if kind == "le":
                return bool(value <= operand)
            if kind == "gt":
                return bool(value > operand)
            return bool(value >= operand)
        except TypeError:  # str against a number: never a match
            return False

    return test
