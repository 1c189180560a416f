"""Predicate evaluation over records: the pure-Python twin of ``_predicate.pyx``.

A predicate arrives as a *plan*: nested tuples built by ``dictdb.query`` from the expression tree.
``compile_plan`` turns it, once per query, into a ``Predicate`` that tests one record or filters many.

Plan nodes (the first item names the node):

- ``("eq" | "ne" | "lt" | "le" | "gt" | "ge", field, value)``: compare ``record[field]`` with ``value``
- ``("and", (plan, plan, ...))``, ``("or", (plan, plan, ...))``: short-circuit, left to right
- ``("not", plan)``
- ``("true",)``: every record

Semantics shared by both cores (DESIGN.md):

- a missing field reads as ``None``;
- ``==`` and ``!=`` are Python's equality;
- an ordering comparison matches only when the value is comparable with the operand and the comparison
  holds: ``None``, NaN and incomparable types never match and never raise.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["COMPARISONS", "Predicate", "compile_plan"]

Record = dict[Any, Any]
Test = Callable[[Record], bool]

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


class Predicate:
    """A compiled plan: ``matches`` tests one record, ``filter`` keeps the matching ones in order."""

    __slots__ = ("_test",)

    def __init__(self, test: Test) -> None:
        self._test = test

    def matches(self, record: Record) -> bool:
        """True when ``record`` satisfies the predicate."""
        return self._test(record)

    def filter(self, records: Iterable[Record]) -> list[Record]:
        """The records that match, in iteration order (the record objects themselves, not copies)."""
        test = self._test
        return [record for record in records if test(record)]

    def count(self, records: Iterable[Record]) -> int:
        """How many of ``records`` match."""
        test = self._test
        return sum(1 for record in records if test(record))


def compile_plan(plan: tuple[Any, ...]) -> Predicate:
    """Compile ``plan`` into a ``Predicate``; ``ValueError`` names a malformed node."""
    return Predicate(_compile(plan))


def _compile(plan: tuple[Any, ...]) -> Test:
    if not isinstance(plan, tuple) or not plan:
        raise ValueError(f"a predicate plan must be a non-empty tuple, not {plan!r}")
    kind = plan[0]
    if kind in COMPARISONS and len(plan) == 3:
        return _compile_comparison(kind, plan[1], plan[2])
    if kind in ("and", "or") and len(plan) == 2:
        children = tuple(_compile(child) for child in plan[1])
        if not children:
            raise ValueError(f"predicate plan node {kind!r} needs at least one operand")
        return _all_of(children) if kind == "and" else _any_of(children)
    if kind == "not" and len(plan) == 2:
        inner = _compile(plan[1])
        return lambda record: not inner(record)
    if kind == "true" and len(plan) == 1:
        return lambda record: True
    raise ValueError(f"unknown predicate plan node {plan!r}")


def _compile_comparison(kind: str, field: Any, value: Any) -> Test:
    compare = _OPERATORS[kind]
    if kind in ("eq", "ne"):

        def equality(record: Record) -> bool:
            return bool(compare(record.get(field), value))

        return equality
    if value is None:
        # Nothing is ordered against None: the node is constant.
        return lambda record: False

    def ordering(record: Record) -> bool:
        current = record.get(field)
        if current is None:
            return False
        try:
            return bool(compare(current, value))
        except (TypeError, ArithmeticError):
            # Incomparable types, or a Decimal NaN (which raises InvalidOperation): never a match.
            return False

    return ordering


def _all_of(children: tuple[Test, ...]) -> Test:
    def test(record: Record) -> bool:
        return all(child(record) for child in children)

    return test


def _any_of(children: tuple[Test, ...]) -> Test:
    def test(record: Record) -> bool:
        return any(child(record) for child in children)

    return test
