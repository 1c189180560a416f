"""``_core.value`` against both cores: every node and every NULL rule pinned by an example.

``test_value_predicate.py`` tests the predicate nodes over computed values and runs the differential against
the oracle of ``tests.support.expressions``.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.expressions import (
    Day,
    Text,
    same,
)


def f(name: str) -> tuple[str, str]:
    return ("field", name)


def c(value: Any) -> tuple[str, Any]:
    return ("const", value)


RECORD: dict[str, Any] = {
    "i": 7,
    "j": 2,
    "zero": 0,
    "x": 2.5,
    "d": Decimal("1.5"),
    "q": Fraction(1, 3),
    "s": "ab",
    "none": None,
    "day": dt.date(2026, 12, 8),
    "at": dt.datetime(2026, 12, 8, 10, 30),
    "week": dt.timedelta(days=7),
    "tags": ["a", "b"],
}


def check(
    core: SimpleNamespace, plan: tuple[Any, ...], expected: Any, record: dict[str, Any] = RECORD
) -> None:
    result = core.value.compile_value(plan).value(record)
    assert same(result, expected), f"{core.kind}: {plan!r} gave {result!r}, expected {expected!r}"


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (f("i"), 7),
        (f("missing"), None),
        (c("k"), "k"),
        (("add", f("i"), f("j")), 9),
        (("sub", f("j"), f("i")), -5),
        (("mul", f("i"), f("x")), 17.5),
        (("div", f("i"), f("j")), 3.5),
        (("floordiv", f("i"), f("j")), 3),
        (("mod", f("i"), f("j")), 1),
        (("mod", c(-7), f("j")), 1),  # Python's sign rule, not C's
        (("floordiv", c(-7.5), c(2.0)), -4.0),
        (("mod", c(-7.5), c(2.0)), 0.5),
        (("add", f("d"), f("i")), Decimal("8.5")),
        (("mul", f("q"), f("i")), Fraction(7, 3)),
        (("add", f("q"), f("x")), 2.8333333333333335),
        (("add", f("day"), f("week")), dt.date(2026, 12, 15)),
        (("sub", f("day"), c(dt.date(2026, 12, 1))), dt.timedelta(days=7)),
        (("sub", f("at"), c(dt.datetime(2026, 12, 8))), dt.timedelta(hours=10, minutes=30)),
        (("mul", f("week"), f("j")), dt.timedelta(days=14)),
        (("div", f("week"), c(dt.timedelta(days=2))), 3.5),
        (("mod", f("week"), c(dt.timedelta(days=2))), dt.timedelta(days=1)),
        (("neg", f("i")), -7),
        (("neg", f("week")), dt.timedelta(days=-7)),
        (("abs", c(-2.5)), 2.5),
        (("abs", c(Fraction(-1, 3))), Fraction(1, 3)),
        (("abs", c(dt.timedelta(days=-1))), dt.timedelta(days=1)),
        (("lower", c("ÀB")), "àb"),
        (("upper", f("s")), "AB"),
        (("mul", ("add", f("i"), c(1)), ("sub", f("x"), c(0.5))), 16.0),  # nested
    ],
)
def test_each_node(core: SimpleNamespace, plan: tuple[Any, ...], expected: Any) -> None:
    check(core, plan, expected)


BOUNDS = [
    0,
    1,
    -1,
    7,
    -7,
    2**31 - 1,
    -(2**31) + 1,
    2**31,
    -(2**31),
    2**53,
    2**53 + 1,
    -(2**53) - 1,
    2**62 - 1,
]
BOUNDS += [2**62, -(2**62), 2**63 - 1, -(2**63), 2**64]


@pytest.mark.parametrize("kind", ["add", "sub", "mul", "div", "floordiv", "mod"])
def test_ints_and_floats_around_the_c_bounds(core: SimpleNamespace, kind: str) -> None:
    # The compiled core computes small exact ints (and floats with ints a double holds) in C: its results
    # must be Python's on both sides of each bound, signs included.
    operations = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "floordiv": lambda x, y: x // y,
        "mod": lambda x, y: x % y,
    }
    values: list[Any] = [*BOUNDS, *(-v for v in BOUNDS), 0.5, -2.5, 1e300]
    compiled = core.value.compile_value((kind, f("x"), f("y")))
    for x in values:
        for y in values:
            try:
                expected = operations[kind](x, y)
            except (ZeroDivisionError, OverflowError):
                expected = None
            assert same(compiled.value({"x": x, "y": y}), expected), (x, kind, y)


@pytest.mark.parametrize(
    "plan",
    [
        ("add", f("none"), f("i")),
        ("add", f("i"), f("missing")),
        ("div", f("missing"), c(0)),  # None wins over the division by zero
        ("neg", f("none")),
        ("abs", f("missing")),
        ("round", f("none"), 2),
        ("lower", f("missing")),
        ("length", f("none")),
        ("year", f("missing")),
        ("mul", ("add", f("missing"), c(1)), f("i")),  # a None propagates up the tree
    ],
)
def test_a_none_or_missing_operand_gives_none(core: SimpleNamespace, plan: tuple[Any, ...]) -> None:
    check(core, plan, None)


@pytest.mark.parametrize(
    ("left", "kind", "right"),
    [
        ("ab", "mul", 3),
        (3, "mul", "ab"),
        ("a%s", "mod", "b"),  # no str formatting
        ("ab", "add", 1),
        ([1], "add", [2]),
        ([1], "mul", 2),
        ((1,), "add", (2,)),
        (b"a", "add", b"b"),
        (dt.date(2026, 1, 1), "add", dt.date(2026, 1, 2)),
        (dt.time(1), "add", dt.timedelta(hours=1)),
        (dt.datetime(2026, 1, 1), "sub", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)),
        (Decimal(1), "add", 1.5),
        (1.5, "mul", Decimal(2)),
        (Decimal(1), "add", Fraction(1, 2)),
        (dt.timedelta(1), "mul", Decimal(2)),
        (dt.timedelta(1), "mul", 1.5j),
        (1 + 2j, "add", 1),
        (1, "sub", 1j),
        ({"a": 1}, "add", {"b": 2}),
        ({1}, "sub", {1}),  # set difference is not arithmetic
        (object(), "add", 1),
    ],
)
def test_refused_types_give_none(core: SimpleNamespace, left: Any, kind: str, right: Any) -> None:
    check(core, (kind, c(left), c(right)), None)


@pytest.mark.parametrize("kind", ["div", "floordiv", "mod"])
@pytest.mark.parametrize(
    ("left", "right"),
    [
        (1, 0),
        (1, False),
        (True, False),
        (1.5, 0.0),
        (1.5, -0.0),
        (0.0, 0.0),
        (Decimal(1), Decimal(0)),
        (Decimal(0), Decimal(0)),
        (Decimal(1), 0),
        (Fraction(1, 2), 0),
        (dt.timedelta(1), dt.timedelta(0)),
    ],
)
def test_division_by_zero_gives_none(core: SimpleNamespace, kind: str, left: Any, right: Any) -> None:
    check(core, (kind, c(left), c(right)), None)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (("mul", c(10**400), c(1.0)), None),  # int too large for a float
        (("div", c(10**400), c(3)), None),
        (("add", c(Fraction(10**400)), c(0.5)), None),
        (("floordiv", c(10**400), c(1.5)), None),
        (("mul", c(10**400), c(10**400)), 10**800),  # ints are exact, never overflow
        (("add", c(dt.date.max), c(dt.timedelta(days=1))), None),
        (("add", c(dt.datetime(2026, 1, 1)), c(dt.timedelta(days=999_999_999))), None),
        (("sub", c(dt.date.min), c(dt.timedelta(days=1))), None),
        (("add", c(dt.timedelta.max), c(dt.timedelta.max)), None),
        (("mul", c(dt.timedelta(days=1)), c(10**20)), None),
        (("mul", c(Decimal("9E+999999")), c(10)), None),  # Decimal's Overflow signal
        (("neg", c(dt.timedelta.max)), None),  # one microsecond past timedelta.min
        (("neg", c(dt.timedelta.min)), dt.timedelta.max - dt.timedelta(days=1, microseconds=-1)),
        # Floats overflow to infinity, which is kept.
        (("mul", c(1e308), c(10)), math.inf),
        (("add", c(-1e308), c(-1e308)), -math.inf),
        (("div", c(1e308), c(1e-308)), math.inf),
        (("floordiv", c(1e308), c(1e-308)), math.inf),
    ],
)
def test_overflow(core: SimpleNamespace, plan: tuple[Any, ...], expected: Any) -> None:
    check(core, plan, expected)


@pytest.mark.parametrize(
    "plan",
    [
        ("sub", c(math.inf), c(math.inf)),
        ("add", c(math.inf), c(-math.inf)),
        ("mul", c(0), c(math.inf)),
        ("mul", c(0.0), c(-math.inf)),
        ("div", c(math.inf), c(math.inf)),
        ("mod", c(math.inf), c(2.0)),
        ("add", c(math.nan), c(1)),
        ("mul", c(math.nan), c(0)),
        ("sub", c(1.5), c(-math.nan)),
        ("floordiv", c(math.nan), c(2)),
        ("neg", c(math.nan)),
        ("abs", c(math.nan)),
        ("round", c(math.nan), 2),
        ("add", c(Decimal("NaN")), c(1)),
        ("sub", c(Decimal("Infinity")), c(Decimal("Infinity"))),
        ("neg", c(Decimal("-NaN"))),
        ("abs", c(Decimal("NaN"))),
        ("round", c(Decimal("NaN")), 1),
        ("add", c(Decimal("sNaN")), c(1)),  # InvalidOperation
        ("neg", c(Decimal("sNaN"))),
        ("mul", c(dt.timedelta(1)), c(math.nan)),  # ValueError
        ("div", c(dt.timedelta(1)), c(math.inf)),
    ],
)
def test_a_nan_result_gives_none(core: SimpleNamespace, plan: tuple[Any, ...]) -> None:
    check(core, plan, None)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (("add", c(math.inf), c(1)), math.inf),
        (("sub", c(1), c(math.inf)), -math.inf),
        (("neg", c(math.inf)), -math.inf),
        (("abs", c(-math.inf)), math.inf),
        (("div", c(1), c(math.inf)), 0.0),
        (("div", c(-1), c(math.inf)), -0.0),
        (("mul", c(-0.0), c(5)), -0.0),
        (("add", c(-0.0), c(0.0)), 0.0),
        (("round", c(math.inf), 2), math.inf),
        (("round", c(-math.inf), -1), -math.inf),
        (("add", c(Decimal("Infinity")), c(1)), Decimal("Infinity")),
        (("neg", c(Decimal("Infinity"))), Decimal("-Infinity")),
    ],
)
def test_infinities_and_signed_zeros_are_kept(
    core: SimpleNamespace, plan: tuple[Any, ...], expected: Any
) -> None:
    check(core, plan, expected)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (("add", c(True), c(True)), 2),
        (("mul", c(True), c(2.5)), 2.5),
        (("div", c(True), c(2)), 0.5),
        (("sub", c(False), c(Decimal("1.5"))), Decimal("-1.5")),
        (("mul", c(dt.timedelta(days=2)), c(True)), dt.timedelta(days=2)),
        (("neg", c(True)), -1),
        (("abs", c(False)), 0),
        (("round", c(True), 1), 1),
    ],
)
def test_bools_are_numbers(core: SimpleNamespace, plan: tuple[Any, ...], expected: Any) -> None:
    check(core, plan, expected)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (("add", c("ab"), c("cd")), "abcd"),
        (("add", c(""), c("")), ""),
        (("add", c(Text("ab")), c(Text("cd"))), "abcd"),
        (("add", c(Text("")), c(Text("x"))), "x"),
        (("add", c("x"), c(Text(""))), "x"),
        (("add", c(Text("")), c(Text(""))), ""),
        (("lower", c(Text("AB"))), "ab"),
        (("upper", c(Text("ab"))), "AB"),
        (("upper", c("straße")), "STRASSE"),
        (("lower", c(5)), None),
        (("upper", c(b"ab")), None),
    ],
)
def test_strs_join_and_change_case_as_exact_strs(
    core: SimpleNamespace, plan: tuple[Any, ...], expected: Any
) -> None:
    # A str subclass gives an exact str (``same`` checks the type), and its own methods are not called.
    check(core, plan, expected)


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (2.675, 2, 2.67),  # the float's binary value, as Python's round
        (0.5, 0, 0.0),  # half to even
        (1.5, 0, 2.0),
        (1234.5, -2, 1200.0),
        (1234, -2, 1200),
        (1250, -2, 1200),
        (7, 2, 7),
        (10**400 + 51, -2, 10**400 + 100),
        (1e308, -400, 0.0),
        (1.5, 400, 1.5),
        (Decimal("123.456"), 1, Decimal("123.5")),
        (Decimal("123.456"), -1, Decimal("1.2E+2")),
        (Decimal("2.5"), 0, Decimal("2")),
        (Decimal("Infinity"), 2, None),  # Decimal cannot quantize infinity
        (Decimal("1E+30"), 2, None),  # nor past its precision
        (Fraction(7, 3), 1, Fraction(23, 10)),
        (math.inf, 0, math.inf),
        ("1.5", 0, None),
        (dt.timedelta(1), 0, None),
        (1 + 1j, 0, None),
    ],
)
def test_round(core: SimpleNamespace, value: Any, digits: int, expected: Any) -> None:
    check(core, ("round", c(value), digits), expected)


class Sized:
    def __len__(self) -> int:
        return 3


class Tags(list[str]):
    pass


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", 3),
        ("", 0),
        (Text("ab"), 2),
        (b"ab", 2),
        (bytearray(b"abcd"), 4),
        (["a", "b"], 2),
        (Tags(["a"]), 1),
        ((1, 2, 3), 3),
        ({"a": 1}, 1),
        ({1, 2}, 2),
        (frozenset(), 0),
        (5, None),
        (2.5, None),
        (None, None),
        (dt.date(2026, 1, 1), None),
        (range(3), None),  # sized, but not one of the types the rule names
        (Sized(), None),
        (iter([1]), None),
    ],
)
def test_length(core: SimpleNamespace, value: Any, expected: Any) -> None:
    check(core, ("length", c(value)), expected)


class Stamp(dt.datetime):
    pass


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 12, 8), (2026, 12, 8)),
        (dt.datetime(1999, 1, 31, 23, 59), (1999, 1, 31)),
        (dt.datetime(2000, 2, 29, tzinfo=dt.timezone.utc), (2000, 2, 29)),
        (Day(2024, 7, 14), (2024, 7, 14)),
        (Stamp(2001, 9, 11, 8), (2001, 9, 11)),
        (dt.date.min, (1, 1, 1)),
        ("2026-12-08", (None, None, None)),
        (20261208, (None, None, None)),
        (dt.time(10, 30), (None, None, None)),
        (dt.timedelta(days=3), (None, None, None)),
        (None, (None, None, None)),
    ],
)
def test_date_parts(core: SimpleNamespace, value: Any, expected: tuple[Any, ...]) -> None:
    for kind, part in zip(("year", "month", "day"), expected, strict=True):
        check(core, (kind, c(value)), part)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (("neg", c("a")), None),
        (("abs", c(dt.date(2026, 1, 1))), None),
        (("neg", c([1])), None),
        (("abs", c(1 + 1j)), None),
        (("neg", c(Decimal("1.50"))), Decimal("-1.50")),
    ],
)
def test_neg_and_abs_take_numbers_and_timedeltas(
    core: SimpleNamespace, plan: tuple[Any, ...], expected: Any
) -> None:
    check(core, plan, expected)


@pytest.mark.parametrize(
    "plan",
    [
        (),
        ["field", "a"],
        "field",
        ("field",),
        ("field", "a", "b"),
        ("const",),
        ("const", 1, 2),
        ("add", f("a")),
        ("add", f("a"), f("b"), f("c")),
        ("neg", f("a"), f("b")),
        ("add", f("a"), "b"),  # an operand that is not a plan
        ("neg", ("bogus", 1)),
        ("round", f("a")),
        ("round", f("a"), 1.5),
        ("round", f("a"), True),
        ("round", f("a"), None),
        ("pow", f("a"), f("b")),
        ("eq", "a", 1),  # a predicate node is not a value
    ],
)
def test_malformed_plans_raise_value_error(core: SimpleNamespace, plan: Any) -> None:
    with pytest.raises(ValueError, match="value plan"):
        core.value.compile_value(plan)


def test_values_computes_each_record_in_order(core: SimpleNamespace) -> None:
    compiled = core.value.compile_value(("mul", f("p"), f("q")))
    rows = [{"p": 2, "q": 3}, {"p": 2}, {"p": "a", "q": 2}, {"p": 1.5, "q": 2}]
    assert compiled.values(rows) == [6, None, None, 3.0]
    assert compiled.values(iter(rows)) == [6, None, None, 3.0]
    assert compiled.values([]) == []
    assert compiled.value({}) is None


def test_errors_outside_the_rules_propagate(core: SimpleNamespace) -> None:
    # The rules turn refusals and arithmetic failures into None; a bug in a value's own code is not hidden.
    class Broken(int):
        def __add__(self, other: object) -> int:
            raise RuntimeError("broken add")

    with pytest.raises(RuntimeError, match="broken add"):
        core.value.compile_value(("add", c(Broken(1)), c(2))).value({})
