"""Predicate evaluation over records: the pure-Python twin of ``_predicate.pyx``.

A predicate arrives as a *plan*: nested tuples built by ``dictdb.query`` from the expression tree.
``compile_plan`` turns it, once per query, into a ``Predicate`` that tests one record or filters many.

Plan nodes (the first item names the node; ``field`` is any hashable record key):

- ``("eq" | "ne" | "lt" | "le" | "gt" | "ge", field, value)``: compare ``record[field]`` with ``value``
- ``("between", field, low, high)``: ``low <= record[field] <= high``
- ``("in", field, values)``: membership in the tuple ``values``
- ``("contains", field, item)``: ``item in record[field]``
- ``("startswith" | "endswith", field, text)``: str prefix or suffix
- ``("iequals" | "icontains" | "istartswith" | "iendswith", field, text)``: the same, case-insensitive
- ``("like", field, pattern, escape, fold)``: SQL LIKE; ``escape`` is ``None`` or one character, ``fold``
  makes it case-insensitive (ILIKE)
- ``("is_null", field)``, ``("is_not_null", field)``
- ``("and", (plan, plan, ...))``, ``("or", (plan, plan, ...))``: short-circuit, left to right
- ``("not", plan)``
- ``("true",)``: every record
- ``("cmp", op, left, right)``: two value plans (``dictdb._core._value_py``) compared with ``op``, one of
  the six comparisons above, under the same rules (``table.a < table.b``)
- ``("of", value, test)``: a one-field node above (its field slot unused) applied to the value plan's
  result (``(table.price * table.qty) > 100``)

Semantics shared by both cores:

- a missing field reads as ``None``;
- ``==``, ``!=`` and ``in`` are Python's equality (``in`` also matches by identity, as Python's ``in`` does);
- an ordering comparison (and ``between``) matches only when the value is comparable with the operand and
  the comparison holds: ``None``, NaN and incomparable types never match and never raise;
- ``contains`` is Python's ``in`` on the field's value; a value that does not support it never matches;
- the string tests (``startswith``, ``like``, the ``i...`` family) match only ``str`` values; the
  case-insensitive ones compare ``str.casefold()`` forms, so ``"Straße"`` ilike ``"STRASSE"``;
- LIKE: ``%`` matches any run of characters, ``_`` exactly one, everything else itself; the pattern covers
  the whole string; the escape character makes the next character literal.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

from dictdb._core._value_py import compile_node

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

# Unbound str methods: a str subclass that overrides them is matched as the str it holds.
_STRING_METHODS: dict[str, Callable[[str, str], bool]] = {
    "startswith": str.startswith,
    "endswith": str.endswith,
    "iequals": str.__eq__,
    "icontains": str.__contains__,
    "istartswith": str.startswith,
    "iendswith": str.endswith,
}
_STRING_TESTS = tuple(_STRING_METHODS)

# The key under which a computed value is tested (``of`` nodes): no record field can be this object.
_SLOT = object()


class Predicate:
    """A compiled plan: ``matches`` tests one record, ``filter`` keeps the matching ones in order."""

    __slots__ = ("_test",)

    def __init__(self, test: Test) -> None:
        self._test = test

    def matches(self, record: Record) -> bool:
        """True when ``record`` satisfies the predicate."""
        return self._test(record)

    def filter(self, records: Iterable[Record], copy: bool = False, limit: int | None = None) -> list[Record]:
        """The records that match, in iteration order.

        The record objects themselves, or with ``copy=True`` shallow copies made as each match is found
        (``TypeError`` for a match that is not a dict). With ``limit``, the scan stops after that many
        matches (``limit <= 0``: none).
        """
        test = self._test
        out: list[Record] = []
        if limit is not None and limit <= 0:
            return out
        for record in records:
            if test(record):
                out.append(_shallow_copy(record) if copy else record)
                if limit is not None and len(out) >= limit:
                    break
        return out

    def count(self, records: Iterable[Record]) -> int:
        """How many of ``records`` match."""
        test = self._test
        return sum(1 for record in records if test(record))


def compile_plan(plan: tuple[Any, ...]) -> Predicate:
    """Compile ``plan`` into a ``Predicate``; ``ValueError`` names a malformed node."""
    return Predicate(_compile(plan))


def _shallow_copy(record: Record) -> Record:
    if not isinstance(record, dict):
        raise TypeError(f"a record must be a dict, not {type(record).__name__}")
    return dict(record)


def _compile(plan: tuple[Any, ...]) -> Test:
    if not isinstance(plan, tuple) or not plan:
        raise ValueError(f"a predicate plan must be a non-empty tuple, not {plan!r}")
    kind = plan[0]
    size = len(plan)
    leaf = _compile_leaf(plan)
    if leaf is not None:
        return leaf
    if kind == "cmp" and size == 4 and plan[1] in COMPARISONS:
        return _compile_value_comparison(plan[1], compile_node(plan[2]), compile_node(plan[3]))
    if kind == "of" and size == 3:
        test = plan[2]
        # The test reads its value from a one-field record holding the computed value.
        leaf = _compile_leaf((test[0], _SLOT, *test[2:])) if isinstance(test, tuple) and test else None
        if leaf is None:
            raise ValueError(
                f"predicate plan node {plan!r}: the test of a computed value must be a one-field test"
            )
        compute = compile_node(plan[1])
        return lambda record: leaf({_SLOT: compute(record)})
    if kind in ("and", "or") and size == 2:
        children = tuple(_compile(child) for child in _operand_tuple(plan))
        if not children:
            raise ValueError(f"predicate plan node {kind!r} needs at least one operand")
        return _all_of(children) if kind == "and" else _any_of(children)
    if kind == "not" and size == 2:
        inner = _compile(plan[1])
        return lambda record: not inner(record)
    if kind == "true" and size == 1:
        return lambda record: True
    raise ValueError(f"unknown predicate plan node {plan!r}")


def _compile_leaf(plan: tuple[Any, ...]) -> Test | None:
    """The test of a one-field node, or ``None`` for any other node."""
    kind = plan[0]
    size = len(plan)
    if kind in COMPARISONS and size == 3:
        return _compile_comparison(kind, plan[1], plan[2])
    if kind == "between" and size == 4:
        return _all_of(
            (_compile_comparison("ge", plan[1], plan[2]), _compile_comparison("le", plan[1], plan[3]))
        )
    if kind == "in" and size == 3:
        return _compile_membership(plan[1], _operand_tuple(plan))
    if kind == "contains" and size == 3:
        return _compile_contains(plan[1], plan[2])
    if kind in _STRING_TESTS and size == 3:
        return _compile_string_test(kind, plan[1], _operand_str(plan, plan[2]))
    if kind == "like" and size == 5:
        return _compile_like(plan[1], _operand_str(plan, plan[2]), _escape(plan), _fold(plan))
    if kind in ("is_null", "is_not_null") and size == 2:
        return _compile_null(plan[1], kind == "is_null")
    return None


def _operand_tuple(plan: tuple[Any, ...]) -> tuple[Any, ...]:
    operand = plan[-1]
    if not isinstance(operand, tuple):
        raise ValueError(f"predicate plan node {plan!r} needs a tuple operand")
    return operand


def _operand_str(plan: tuple[Any, ...], operand: Any) -> str:
    if not isinstance(operand, str):
        raise ValueError(f"predicate plan node {plan!r} needs a str operand, not {type(operand).__name__}")
    # A str subclass is used as the str it holds (an exact copy), as the record values are.
    return str.__str__(operand)


def _escape(plan: tuple[Any, ...]) -> str | None:
    escape = plan[3]
    if escape is not None and not (isinstance(escape, str) and len(escape) == 1):
        raise ValueError(f"predicate plan node {plan!r}: the LIKE escape must be None or one character")
    return escape


def _fold(plan: tuple[Any, ...]) -> bool:
    fold = plan[4]
    if not isinstance(fold, bool):
        raise ValueError(f"predicate plan node {plan!r}: the LIKE case flag must be a bool")
    return fold


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


def _compile_value_comparison(
    kind: str, left: Callable[[Record], Any], right: Callable[[Record], Any]
) -> Test:
    compare = _OPERATORS[kind]
    ordering = kind not in ("eq", "ne")

    def comparison(record: Record) -> bool:
        current = left(record)
        value = right(record)
        if not ordering:
            return bool(compare(current, value))
        if current is None or value is None:
            return False
        try:
            return bool(compare(current, value))
        except (TypeError, ArithmeticError):
            return False

    return comparison


def _compile_membership(field: Any, values: tuple[Any, ...]) -> Test:
    # Hashable operands go in a set (one lookup per record); unhashable ones are scanned. A record value
    # that cannot be hashed is looked for in the whole tuple, as Python's ``in`` would.
    hashable = []
    unhashable = []
    for value in values:
        try:
            hash(value)
        except TypeError:
            unhashable.append(value)
        else:
            hashable.append(value)
    lookup = frozenset(hashable)
    scan = tuple(unhashable)

    def membership(record: Record) -> bool:
        current = record.get(field)
        try:
            found = current in lookup
        except TypeError:
            return current in values
        return found or (bool(scan) and current in scan)

    return membership


def _compile_contains(field: Any, item: Any) -> Test:
    def contains(record: Record) -> bool:
        current = record.get(field)
        try:
            return item in current  # type: ignore[operator]
        except (TypeError, ValueError):
            # The value is not a container (None, a number), or cannot hold ``item`` (an int in a str,
            # 300 in bytes): never a match.
            return False

    return contains


def _compile_string_test(kind: str, field: Any, text: str) -> Test:
    fold = kind.startswith("i")
    if fold:
        text = text.casefold()
    method = _STRING_METHODS[kind]

    def string_test(record: Record) -> bool:
        current = record.get(field)
        if not isinstance(current, str):
            return False
        return method(str.casefold(current) if fold else current, text)

    return string_test


# A LIKE pattern is split on its unescaped ``%`` into segments of fixed length; ``_`` inside a segment
# matches one character. The first segment is anchored at the start, the last at the end, and each middle
# segment is placed at its leftmost match: placing fixed-length segments leftmost leaves the most room for
# the rest, so no backtracking is ever needed and a record costs at most (text length x pattern length).


def _like_segments(pattern: str, escape: str | None, fold: bool) -> list[list[str | None]]:
    """The ``%``-separated segments of a LIKE pattern: characters, and ``None`` for ``_``.

    ``ValueError`` when the pattern ends with its escape character. With ``fold``, literal characters are
    casefolded (``"ß"`` becomes ``"s", "s"``): ``"a_%!%"`` with escape ``"!"`` is ``[["a", None], ["%"]]``.
    """
    segments: list[list[str | None]] = []
    current: list[str | None] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        position += 1
        if char == escape:
            if position == len(pattern):
                raise ValueError(f"LIKE pattern {pattern!r} ends with its escape character {escape!r}")
            char = pattern[position]
            position += 1
        elif char == "%":
            segments.append(current)
            current = []
            continue
        elif char == "_":
            current.append(None)
            continue
        current.extend(char.casefold() if fold else char)
    segments.append(current)
    return segments


def _compile_like(field: Any, pattern: str, escape: str | None, fold: bool) -> Test:
    segments = _like_segments(pattern, escape, fold)
    # Each segment becomes a regex of fixed width: no quantifier, so no backtracking inside it either.
    regexes = [
        re.compile("".join("." if char is None else re.escape(char) for char in segment), re.DOTALL)
        for segment in segments
    ]
    first, last = regexes[0], regexes[-1]
    middle = regexes[1:-1]
    last_width = len(segments[-1])

    def like(record: Record) -> bool:
        current = record.get(field)
        if not isinstance(current, str):
            return False
        text = str.casefold(current) if fold else current
        if len(regexes) == 1:
            return first.fullmatch(text) is not None
        start = first.match(text)
        if start is None:
            return False
        end = len(text) - last_width
        if end < start.end() or last.fullmatch(text, end) is None:
            return False
        position = start.end()
        for segment in middle:
            found = segment.search(text, position, end)
            if found is None:
                return False
            position = found.end()
        return True

    return like


def _compile_null(field: Any, is_null: bool) -> Test:
    if is_null:
        return lambda record: record.get(field) is None
    return lambda record: record.get(field) is not None


def _all_of(children: tuple[Test, ...]) -> Test:
    def test(record: Record) -> bool:
        return all(child(record) for child in children)

    return test


def _any_of(children: tuple[Test, ...]) -> Test:
    def test(record: Record) -> bool:
        return any(child(record) for child in children)

    return test
