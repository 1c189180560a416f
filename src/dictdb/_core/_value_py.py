"""Computed values over records: the pure-Python twin of ``_value.pyx``.

A value expression (``table.price * table.qty``) arrives as a *value plan*: nested tuples built by
``dictdb.query``. ``compile_value`` turns it, once per query, into a ``Value`` that computes it for one record
or for many.

Plan nodes (the first item names the node):

- ``("field", name)``: ``record[name]``, ``None`` when missing
- ``("const", value)``: ``value``
- ``("add" | "sub" | "mul" | "div" | "floordiv" | "mod", left, right)``: ``+ - * / // %``
- ``("neg" | "abs", operand)``: ``-x``, ``abs(x)``
- ``("round", operand, ndigits)``: ``round(x, ndigits)``; ``ndigits`` is an int
- ``("lower" | "upper", operand)``: ``str.lower``, ``str.upper``
- ``("length", operand)``: ``len()`` of a str, bytes, bytearray, list, tuple, dict, set or frozenset
- ``("year" | "month" | "day", operand)``: the part of a date or datetime

NULL rules, shared by both cores (a query never raises on a record's values):

- an operand that is ``None`` (a missing field reads as ``None``) gives ``None``;
- arithmetic takes numbers (int, bool, float, Decimal, Fraction) and dates, times and timedeltas, and ``+``
  also joins two strs; anything else gives ``None``. The operation is Python's; when it refuses the pair
  (``Decimal + float``, ``date + date``) or fails (a division by zero, an overflow), the value is ``None``;
- a result that is NaN (float or Decimal) is ``None``; infinities stay;
- ``neg``, ``abs`` take numbers and timedeltas, ``round`` numbers; the str functions take strs, the date
  parts dates and datetimes; other types give ``None``.
"""

from __future__ import annotations

import datetime as _datetime
import math as _math
import operator as _operator
from collections.abc import Callable, Iterable
from decimal import Decimal as _Decimal
from fractions import Fraction as _Fraction
from typing import Any

__all__ = ["BINARY", "UNARY", "Value", "compile_value"]

Record = dict[Any, Any]
Compute = Callable[[Record], Any]

BINARY = ("add", "sub", "mul", "div", "floordiv", "mod")
UNARY = ("neg", "abs", "lower", "upper", "length", "year", "month", "day")

_NUMBERS = (int, float, _Decimal, _Fraction)
_ARITHMETIC = (int, float, _Decimal, _Fraction, _datetime.date, _datetime.time, _datetime.timedelta)
_SIGNED = (int, float, _Decimal, _Fraction, _datetime.timedelta)
_SIZED = (str, bytes, bytearray, list, tuple, dict, set, frozenset)

_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "add": _operator.add,
    "sub": _operator.sub,
    "mul": _operator.mul,
    "div": _operator.truediv,
    "floordiv": _operator.floordiv,
    "mod": _operator.mod,
}


class Value:
    """A compiled value plan: ``value`` computes it for one record, ``values`` for each of many.

    Kernels that read a field per record (projection, sort keys) take a ``Value`` in a field's place.
    """

    __slots__ = ("_compute", "plan")

    def __init__(self, compute: Compute, plan: tuple[Any, ...]) -> None:
        self._compute = compute
        #: The value plan compiled.
        self.plan = plan

    def value(self, record: Record) -> Any:
        """The value for ``record`` (``None`` when an operand is ``None`` or refused)."""
        return self._compute(record)

    def values(self, records: Iterable[Record]) -> list[Any]:
        """The value for each of ``records``, in order."""
        compute = self._compute
        return [compute(record) for record in records]


def read(record: Record, field: Any) -> Any:
    """``record.get(field)``, or the computed value when ``field`` is a compiled ``Value``."""
    if type(field) is Value:
        return field.value(record)
    return record.get(field)


def compile_value(plan: tuple[Any, ...]) -> Value:
    """Compile a value plan into a ``Value``; ``ValueError`` names a malformed node."""
    return Value(compile_node(plan), plan)


def compile_node(plan: tuple[Any, ...]) -> Compute:
    """The function computing ``plan`` for a record (what the predicate twin calls)."""
    if not isinstance(plan, tuple) or not plan:
        raise ValueError(f"a value plan must be a non-empty tuple, not {plan!r}")
    kind = plan[0]
    size = len(plan)
    if kind == "field" and size == 2:
        name = plan[1]
        return lambda record: record.get(name)
    if kind == "const" and size == 2:
        constant = plan[1]
        return lambda record: constant
    if kind in BINARY and size == 3:
        return _binary(kind, compile_node(plan[1]), compile_node(plan[2]))
    if kind in UNARY and size == 2:
        return _unary(kind, compile_node(plan[1]))
    if kind == "round" and size == 3:
        if type(plan[2]) is not int:
            raise ValueError(f"value plan node {plan!r}: the digit count must be an int")
        return _round(compile_node(plan[1]), plan[2])
    raise ValueError(f"unknown value plan node {plan!r}")


def _is_nan(value: Any) -> bool:
    if isinstance(value, float):
        return _math.isnan(value)
    return isinstance(value, _Decimal) and value.is_nan()


def arithmetic(kind: str, left: Any, right: Any) -> Any:
    """``left <kind> right`` under the NULL rules (module docstring)."""
    if left is None or right is None:
        return None
    if not (isinstance(left, _ARITHMETIC) and isinstance(right, _ARITHMETIC)):
        if kind == "add" and isinstance(left, str) and isinstance(right, str):
            return str.__add__(left, right)
        return None
    try:
        result = _OPERATIONS[kind](left, right)
    except (TypeError, ArithmeticError, ValueError):
        return None
    return None if _is_nan(result) else result


def _binary(kind: str, left: Compute, right: Compute) -> Compute:
    def compute(record: Record) -> Any:
        return arithmetic(kind, left(record), right(record))

    return compute


def unary(kind: str, value: Any) -> Any:
    """``kind`` applied to ``value`` under the NULL rules (module docstring)."""
    if kind in ("neg", "abs"):
        if not isinstance(value, _SIGNED):
            return None
        try:
            result = -value if kind == "neg" else abs(value)
        except (TypeError, ArithmeticError, ValueError):
            return None
        return None if _is_nan(result) else result
    if kind in ("lower", "upper"):
        if not isinstance(value, str):
            return None
        return str.lower(value) if kind == "lower" else str.upper(value)
    if kind == "length":
        return len(value) if isinstance(value, _SIZED) else None
    # year, month, day: a datetime is a date.
    if not isinstance(value, _datetime.date):
        return None
    if kind == "year":
        return value.year
    return value.month if kind == "month" else value.day


def _unary(kind: str, operand: Compute) -> Compute:
    def compute(record: Record) -> Any:
        return unary(kind, operand(record))

    return compute


def rounded(value: Any, ndigits: int) -> Any:
    """``round(value, ndigits)`` under the NULL rules (module docstring)."""
    if not isinstance(value, _NUMBERS):
        return None
    try:
        result = round(value, ndigits)
    except (TypeError, ArithmeticError, ValueError):
        return None
    return None if _is_nan(result) else result


def _round(operand: Compute, ndigits: int) -> Compute:
    def compute(record: Record) -> Any:
        return rounded(operand(record), ndigits)

    return compute
