"""The aggregate kernel over value plans in both cores: computed groups and inputs, count_distinct, errors."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

PRICE_QTY = ("mul", ("field", "price"), ("field", "qty"))
MONTH = ("month", ("field", "day"))

ORDERS = [
    {"day": dt.date(2024, 1, 5), "price": 2.5, "qty": 2},
    {"day": dt.date(2024, 2, 1), "price": 10, "qty": 1},
    {"day": dt.datetime(2024, 1, 30, 12), "price": 4, "qty": None},
    {"day": "not a date", "price": 1, "qty": 3},
    {"price": 1, "qty": 1},
]


def run(core: SimpleNamespace, rows: list[Any], groups: list[Any], specs: list[Any]) -> list[Any]:
    out: list[Any] = core.aggregate.aggregate_values(rows, groups, specs)
    return out


def test_group_by_a_computed_value_under_its_name(core: SimpleNamespace) -> None:
    specs = [("n", "count_rows", None), ("revenue", "sum", PRICE_QTY), ("sold", "count", PRICE_QTY)]
    assert run(core, ORDERS, [("month", MONTH)], specs) == [
        {"month": 1, "n": 2, "revenue": 5.0, "sold": 1},
        {"month": 2, "n": 1, "revenue": 10, "sold": 1},
        # A value the date part refuses (a str, a missing field) is None, one group as for a field.
        {"month": None, "n": 2, "revenue": 4, "sold": 2},
    ]


def test_a_field_plan_is_read_as_the_field_and_may_be_renamed(core: SimpleNamespace) -> None:
    rows = [{"dept": "a", "pay": 1}, {"dept": "b"}, {"dept": "a", "pay": 3}]
    specs = [("total", "sum", ("field", "pay"))]
    assert run(core, rows, [("d", ("field", "dept"))], specs) == [
        {"d": "a", "total": 4},
        {"d": "b", "total": None},
    ]
    assert run(core, rows, [], specs) == core.aggregate.aggregate(rows, [], [("total", "sum", "pay")])


def test_several_groups_mix_fields_and_computed_values(core: SimpleNamespace) -> None:
    rows = [{"a": 1, "b": -2}, {"a": 1, "b": 2}, {"a": 2, "b": 2}]
    out = run(
        core, rows, [("a", ("field", "a")), ("size", ("abs", ("field", "b")))], [("n", "count_rows", None)]
    )
    assert out == [{"a": 1, "size": 2, "n": 2}, {"a": 2, "size": 2, "n": 1}]


def test_count_distinct_follows_python_equality_and_counts_one_nan(core: SimpleNamespace) -> None:
    values = [
        1,
        1.0,
        True,
        "1",
        None,
        float("nan"),
        Decimal("NaN"),
        float("nan"),
        Decimal("1.5"),
        1.5,
        (1, 2),
    ]
    rows = [{"x": value} for value in values] + [{}]
    out = run(core, rows, [], [("d", "count_distinct", ("field", "x"))])
    # 1 == 1.0 == True; "1"; every NaN; Decimal("1.5") == 1.5; (1, 2).
    assert out == [{"d": 5}]
    assert run(core, [], [], [("d", "count_distinct", ("field", "x"))]) == [{"d": 0}]


def test_count_distinct_of_a_computed_value_per_group(core: SimpleNamespace) -> None:
    rows = [{"g": 1, "s": "Ab"}, {"g": 1, "s": "aB"}, {"g": 1, "s": "c"}, {"g": 2, "s": 3}]
    out = run(core, rows, [("g", ("field", "g"))], [("d", "count_distinct", ("lower", ("field", "s")))])
    assert out == [{"g": 1, "d": 2}, {"g": 2, "d": 0}]


def test_min_max_avg_of_computed_values(core: SimpleNamespace) -> None:
    specs = [
        ("first", "min", ("year", ("field", "day"))),
        ("mean", "avg", PRICE_QTY),
        ("top", "max", PRICE_QTY),
    ]
    out = run(core, ORDERS, [], specs)
    assert out == [{"first": 2024, "mean": 4.75, "top": 10}]  # (5.0 + 10 + 3 + 1) / 4
    assert type(out[0]["mean"]) is float


def test_errors_name_a_computed_input(core: SimpleNamespace) -> None:
    with pytest.raises(TypeError, match=r"aggregate 's' = Sum\(a computed value\) got str 'ab'"):
        run(core, [{"a": "a", "b": "b"}], [], [("s", "sum", ("add", ("field", "a"), ("field", "b")))])
    with pytest.raises(
        TypeError, match=r"aggregate 'd' = CountDistinct\('x'\) got list \[1\], which is unhashable"
    ):
        run(core, [{"x": [1]}], [], [("d", "count_distinct", ("field", "x"))])
    with pytest.raises(TypeError, match=r"cannot group by 'k': its value list \[1\] is unhashable"):
        run(core, [{"x": [1]}], [("k", ("field", "x"))], [("n", "count_rows", None)])


def test_a_malformed_plan_is_refused_before_any_record_is_read(core: SimpleNamespace) -> None:
    def never() -> Any:
        raise AssertionError("read")
        yield  # a generator that fails when read

    with pytest.raises(ValueError, match="unknown value plan node"):
        run(core, never(), [("k", ("median", ("field", "x")))], [])
    with pytest.raises(ValueError, match="unknown value plan node"):
        run(core, never(), [], [("s", "sum", ("nope",))])
    with pytest.raises(ValueError, match="unknown aggregate kind 'median'"):
        run(core, never(), [], [("m", "median", ("field", "x"))])


def test_nan_results_of_computed_values_are_none_and_skipped(core: SimpleNamespace) -> None:
    rows = [{"x": math.inf, "y": 0}, {"x": 1, "y": 2}]
    # inf * 0 is NaN, which a computed value makes None.
    out = run(
        core,
        rows,
        [],
        [
            ("n", "count", ("mul", ("field", "x"), ("field", "y"))),
            ("s", "sum", ("mul", ("field", "x"), ("field", "y"))),
        ],
    )
    assert out == [{"n": 1, "s": 2}]
