"""``_core.predicate``: compiling plans and evaluating them, written once and run against both cores."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

ROWS: list[dict[str, Any]] = [
    {"id": 1, "age": 30, "name": "ada", "score": 1.5},
    {"id": 2, "age": 17, "name": "bob", "score": math.nan},
    {"id": 3, "age": None, "name": "cy"},
    {"id": 4, "name": "dee", "score": 3},
    {"id": 5, "age": "40", "name": 7, "score": Decimal("NaN")},
    {"id": 6, "age": 30.0, "name": "Eve", "score": Decimal("2.5")},
    {"id": 7, "age": 2**60, "name": "fay", "score": True},
]


def ids(core: SimpleNamespace, plan: tuple[Any, ...], rows: list[dict[str, Any]] = ROWS) -> list[int]:
    return [row["id"] for row in core.predicate.compile_plan(plan).filter(rows)]


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (("eq", "age", 30), [1, 6]),
        (("eq", "age", None), [3, 4]),  # a missing field reads as None
        (("ne", "age", 30), [2, 3, 4, 5, 7]),
        (("ne", "age", None), [1, 2, 5, 6, 7]),
        (("lt", "age", 30), [2]),
        (("le", "age", 30), [1, 2, 6]),
        (("gt", "age", 30), [7]),
        (("ge", "age", 30.0), [1, 6, 7]),
        (("gt", "age", 2**61), []),
        (("lt", "age", 2**61), [1, 2, 6, 7]),  # big ints compare exactly with small ones and floats
        (("gt", "name", "bob"), [3, 4, 7]),  # the int name (row 5) is incomparable, never a match
        (("lt", "name", "a"), [6]),  # "Eve" < "a": str order is code-point order
        (("eq", "name", "ada"), [1]),
        (("lt", "age", None), []),  # nothing is ordered against None
        (("ge", "age", None), []),
    ],
)
def test_comparisons(core: SimpleNamespace, plan: tuple[Any, ...], expected: list[int]) -> None:
    assert ids(core, plan) == expected


def test_nan_never_matches_ordering_but_is_unequal(core: SimpleNamespace) -> None:
    # float NaN, and a Decimal NaN (whose ordering raises InvalidOperation in Python).
    assert ids(core, ("lt", "score", 10)) == [1, 4, 6, 7]
    assert ids(core, ("ge", "score", -10)) == [1, 4, 6, 7]
    assert ids(core, ("eq", "score", math.nan)) == []
    assert 2 in ids(core, ("ne", "score", 1.5))
    assert ids(core, ("gt", "age", math.nan)) == []


def test_bool_and_decimal_compare_as_numbers(core: SimpleNamespace) -> None:
    assert ids(core, ("eq", "score", 1)) == [7]  # True == 1, as in Python
    assert ids(core, ("gt", "score", Decimal("2"))) == [4, 6]


def test_incomparable_operand_types_never_raise(core: SimpleNamespace) -> None:
    assert ids(core, ("lt", "age", date(2020, 1, 1))) == []
    assert ids(core, ("ge", "name", 3)) == [5]  # only the int name orders against an int


def test_and_or_not(core: SimpleNamespace) -> None:
    adults = ("ge", "age", 18)
    named_a = ("eq", "name", "ada")
    assert ids(core, ("and", (adults, ("not", named_a)))) == [6, 7]
    assert ids(core, ("or", (("eq", "id", 2), named_a))) == [1, 2]
    assert ids(core, ("not", adults)) == [2, 3, 4, 5]  # NOT is boolean: missing fields match it
    assert ids(core, ("and", (adults,))) == [1, 6, 7]
    assert ids(core, ("true",)) == [1, 2, 3, 4, 5, 6, 7]


def test_and_or_short_circuit(core: SimpleNamespace) -> None:
    class Exploding:
        def __eq__(self, other: object) -> bool:
            raise RuntimeError("evaluated")

        __hash__ = object.__hash__

    rows = [{"id": 1, "a": 1, "b": Exploding()}]
    assert ids(core, ("and", (("eq", "a", 2), ("eq", "b", 0))), rows) == []
    assert ids(core, ("or", (("eq", "a", 1), ("eq", "b", 0))), rows) == [1]
    with pytest.raises(RuntimeError, match="evaluated"):
        ids(core, ("and", (("eq", "a", 1), ("eq", "b", 0))), rows)


def test_matches_returns_real_bool(core: SimpleNamespace) -> None:
    predicate = core.predicate.compile_plan(("gt", "age", 18))
    assert predicate.matches({"age": 20}) is True
    assert predicate.matches({}) is False


def test_count(core: SimpleNamespace) -> None:
    assert core.predicate.compile_plan(("ge", "age", 18)).count(ROWS) == 3
    assert core.predicate.compile_plan(("true",)).count(iter(ROWS)) == len(ROWS)


def test_filter_accepts_dict_values_and_subclasses(core: SimpleNamespace) -> None:
    class Sub(dict):  # type: ignore[type-arg]
        pass

    table = {row["id"]: row for row in ROWS}
    assert [r["id"] for r in core.predicate.compile_plan(("eq", "age", 30)).filter(table.values())] == [1, 6]
    assert core.predicate.compile_plan(("eq", "a", 1)).filter([Sub(a=1)]) == [{"a": 1}]


def test_filter_returns_the_stored_objects(core: SimpleNamespace) -> None:
    rows = [{"a": 1}]
    assert core.predicate.compile_plan(("eq", "a", 1)).filter(rows)[0] is rows[0]


def test_non_str_field_names(core: SimpleNamespace) -> None:
    assert core.predicate.compile_plan(("eq", 1, "x")).filter([{1: "x"}, {"1": "x"}]) == [{1: "x"}]


@pytest.mark.parametrize(
    "plan",
    [
        (),
        ("nope", "a", 1),
        ("eq", "a"),
        ("and", ()),
        ("not",),
        ("and", (("eq", "a", 1), "junk")),
        ["eq", "a", 1],
    ],
)
def test_malformed_plans_raise_value_error(core: SimpleNamespace, plan: Any) -> None:
    with pytest.raises(ValueError, match="plan"):
        core.predicate.compile_plan(plan)


def test_exceptions_from_equality_propagate(core: SimpleNamespace) -> None:
    class Angry:
        def __eq__(self, other: object) -> bool:
            raise ValueError("no equality here")

        __hash__ = object.__hash__

    with pytest.raises(ValueError, match="no equality"):
        core.predicate.compile_plan(("eq", "a", 1)).filter([{"a": Angry()}])
