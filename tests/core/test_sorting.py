"""``_core.records`` sorting, top-k and distinct, run against both cores, with a differential test."""

from __future__ import annotations

import contextlib
import math
from datetime import date, datetime, timezone
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_core


def rows_of(*values: Any, field: str = "v") -> list[dict[str, Any]]:
    return [{"i": i, field: v} for i, v in enumerate(values)]


def order_of(
    core: SimpleNamespace, rows: list[dict[str, Any]], order: list[tuple[str, bool]], **kw: Any
) -> list[int]:
    return [row["i"] for row in core.records.sort_records(rows, order, **kw)]


def test_total_order_across_types(core: SimpleNamespace) -> None:
    nan = float("nan")
    rows = rows_of(
        "b", 2, None, b"x", date(2020, 1, 1), 1.5, True, nan, Decimal("0.5"), "a", (1,), Decimal("NaN"), b"a"
    )
    rows.append({"i": 13})  # missing: None
    # None/NaN tie first (insertion order), numbers together, str, bytes, then other types by name.
    assert order_of(core, rows, [("v", False)]) == [2, 7, 11, 13, 8, 6, 5, 1, 9, 0, 12, 3, 4, 10]
    assert order_of(core, rows, [("v", True)]) == [10, 4, 3, 12, 0, 9, 1, 5, 6, 8, 2, 7, 11, 13]


def test_ties_keep_insertion_order_both_ways(core: SimpleNamespace) -> None:
    rows = rows_of(1, 2, 1, 2.0, True, 1.0)
    assert order_of(core, rows, [("v", False)]) == [0, 2, 4, 5, 1, 3]
    assert order_of(core, rows, [("v", True)]) == [1, 3, 0, 2, 4, 5]


def test_multi_key_with_mixed_directions(core: SimpleNamespace) -> None:
    rows = [
        {"i": 0, "dept": "b", "age": 30},
        {"i": 1, "dept": "a", "age": 20},
        {"i": 2, "dept": "b", "age": 40},
        {"i": 3, "dept": "a", "age": 20},
        {"i": 4, "dept": None, "age": 50},
        {"i": 5, "dept": "a", "age": None},
    ]
    assert order_of(core, rows, [("dept", False), ("age", True)]) == [4, 1, 3, 5, 2, 0]
    assert order_of(core, rows, [("dept", True), ("age", False)]) == [0, 2, 5, 1, 3, 4]
    assert order_of(core, rows, [("dept", False), ("age", False)]) == [4, 5, 1, 3, 0, 2]
    assert order_of(core, rows, [("dept", True), ("age", True)]) == [2, 0, 1, 3, 5, 4]


def test_unorderable_values_of_one_type_tie(core: SimpleNamespace) -> None:
    rows = rows_of({"b": 1}, 3j, {"a": 2}, 1j, Fraction(1, 2), [2], [1], None, bytearray(b"a"))
    # complex numbers and dicts cannot be ordered among themselves: they tie. Fraction is a number and
    # bytearray sorts with bytes, as in the sorted index.
    assert order_of(core, rows, [("v", False)]) == [7, 4, 8, 1, 3, 0, 2, 6, 5]
    assert order_of(core, rows, [("v", True)]) == [5, 6, 0, 2, 1, 3, 8, 4, 7]


def test_two_types_with_one_name_are_two_groups(core: SimpleNamespace) -> None:
    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

        def __lt__(self, other: Point) -> bool:
            return self.x < other.x

    first = Point

    class Point:  # type: ignore[no-redef]  # same name, no ordering with the first one
        pass

    rows = rows_of(first(2), Point(), first(1), Point())
    # The ordered class first (its own order), then the unordered one (ties, in insertion order).
    assert order_of(core, rows, [("v", False)]) == [2, 0, 1, 3]


def test_tuples_compare_item_by_item_in_the_total_order(core: SimpleNamespace) -> None:
    rows = rows_of((1, "a"), (1, 2), (None,), (1, None), (0, 5, 1))
    # Python cannot compare (1, "a") with (1, 2); the total order can: None < numbers < str.
    assert order_of(core, rows, [("v", False)]) == [2, 4, 3, 1, 0]


def test_limit_and_top_k_match_the_full_sort(core: SimpleNamespace) -> None:
    values = [(i * 7919) % 101 for i in range(400)] + [None, "x", 2.5, math.nan]
    rows = rows_of(*values)
    for descending in (False, True):
        full = order_of(core, rows, [("v", descending)])
        for limit in (1, 3, 10, 50, 399, 1000):
            assert order_of(core, rows, [("v", descending)], limit=limit) == full[:limit]
    assert order_of(core, rows, [("v", False)], limit=0) == []
    assert order_of(core, rows, [("v", False)], limit=-3) == []


def test_no_order_keeps_the_rows(core: SimpleNamespace) -> None:
    rows = rows_of(3, 1, 2)
    assert order_of(core, rows, []) == [0, 1, 2]
    assert order_of(core, rows, [], limit=2) == [0, 1]
    assert core.records.sort_records(iter(rows), [("v", False)]) == [rows[1], rows[2], rows[0]]


def test_sort_keys_are_the_values_when_homogeneous(core: SimpleNamespace) -> None:
    rows = rows_of(3, 1.5, True, Decimal("2"))
    assert core.records.sort_keys(rows, "v") == [3, 1.5, True, Decimal("2")]
    assert core.records.sort_keys(rows_of("b", "a"), "v") == ["b", "a"]
    assert core.records.sort_keys([], "v") == []
    mixed = core.records.sort_keys(rows_of("a", 1, None), "v")
    assert sorted(mixed) == [mixed[2], mixed[1], mixed[0]]


def test_a_comparison_that_raises_is_a_tie(core: SimpleNamespace) -> None:
    class Angry:
        def __lt__(self, other: object) -> bool:
            raise ValueError("no order here")

    rows = rows_of(Angry(), 2, Angry(), 1)
    assert order_of(core, rows, [("v", False)]) == [3, 1, 0, 2]
    assert order_of(core, rows, [("v", True)]) == [0, 2, 1, 3]


def test_distinct_keeps_first_occurrences(core: SimpleNamespace) -> None:
    rows = [{"a": 1}, {"a": 1.0}, {"a": True, "b": 2}, {"b": 2, "a": 1}, {"a": "1"}, {}, {}]
    assert core.records.distinct(rows) == [{"a": 1}, {"a": True, "b": 2}, {"a": "1"}, {}]
    assert core.records.distinct(rows)[0] is rows[0]


def test_distinct_with_unhashable_values(core: SimpleNamespace) -> None:
    rows = [
        {"t": [1, 2]},
        {"t": [1, 2]},
        {"t": (1, 2)},  # a tuple is not equal to a list
        {"t": {"k": [1]}},
        {"t": {"k": [1]}},
        {"t": {1, 2}},
        {"t": frozenset({1, 2})},  # equal to the set, as in Python
        {"t": bytearray(b"x")},
        {"t": b"x"},
        {"t": ([1],)},
        {"t": ([1],)},
    ]
    assert core.records.distinct(rows) == [rows[0], rows[2], rows[3], rows[5], rows[7], rows[9]]


def test_distinct_with_values_that_cannot_be_frozen(core: SimpleNamespace) -> None:
    class Box:
        __hash__ = None  # type: ignore[assignment]

        def __init__(self, x: int) -> None:
            self.x = x

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Box) and other.x == self.x

    rows = [{"b": Box(1)}, {"b": Box(2)}, {"b": Box(1)}, {"b": 1}]
    assert core.records.distinct(iter(rows)) == [rows[0], rows[1], rows[3]]


# Differential: a plain-Python oracle of the total order (the sorted index's), written out the long way.

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.sampled_from([math.nan, Decimal("NaN"), Decimal("1.5"), -0.0, Fraction(1, 3), Fraction(-1, 2)]),
    st.text(max_size=2),
    st.binary(max_size=2),
    st.sampled_from([bytearray(b"a"), bytearray(b"")]),
    st.tuples(st.integers(0, 2)),
    st.tuples(st.sampled_from([None, 1, "a", 1.0]), st.sampled_from([None, 2, "b"])),
    st.lists(st.integers(0, 2), max_size=2),
    st.sampled_from([1j, 2j, date(2020, 1, 1), date(2021, 1, 1)]),
    st.sampled_from([datetime(2020, 1, 1), datetime(2019, 1, 1, tzinfo=timezone.utc)]),
    st.dictionaries(st.sampled_from("ab"), st.integers(0, 1), max_size=1),
)
rows_strategy = st.lists(st.dictionaries(st.sampled_from(["x", "y"]), values, max_size=2), max_size=30)
orders = st.lists(st.tuples(st.sampled_from(["x", "y"]), st.booleans()), max_size=2)


def oracle_group(value: Any) -> tuple[Any, ...]:
    """The group of a generated value: (rank,) for the built-in groups, (4, name) for the others."""
    if value is None or (isinstance(value, (float, Decimal)) and value != value):
        return (0,)
    if isinstance(value, (bool, int, float, Decimal, Fraction)):
        return (1,)
    if isinstance(value, str):
        return (2,)
    if isinstance(value, (bytes, bytearray)):
        return (3,)
    if isinstance(value, datetime):  # naive and aware datetimes cannot be compared: two groups
        return (4, "datetime", value.tzinfo is not None)
    return (4, type(value).__name__)


def oracle_cmp(a: Any, b: Any) -> int:
    """-1, 0 or 1: how ``a`` compares with ``b`` in the total order."""
    ga, gb = oracle_group(a), oracle_group(b)
    if ga != gb:
        return -1 if ga < gb else 1
    if ga == (0,) or isinstance(a, (dict, complex)):
        return 0  # the null bucket, and unordered types: ties
    if isinstance(a, (tuple, list)):
        for x, y in zip(a, b, strict=False):
            if (result := oracle_cmp(x, y)) != 0:
                return result
        return (len(a) > len(b)) - (len(a) < len(b))
    return -1 if a < b else (1 if b < a else 0)


def oracle_before(a: Any, b: Any) -> bool:
    """True when value ``a`` sorts strictly before ``b``."""
    return oracle_cmp(a, b) < 0


def oracle_sort(rows: list[dict[str, Any]], order: list[tuple[str, bool]]) -> list[int]:
    """Insertion sort with the oracle order: stable by construction."""
    out: list[int] = []
    for i, row in enumerate(rows):
        position = len(out)
        while position > 0 and precedes(row, rows[out[position - 1]], order):
            position -= 1
        out.insert(position, i)
    return out


def precedes(a: dict[str, Any], b: dict[str, Any], order: list[tuple[str, bool]]) -> bool:
    for field, descending in order:
        x, y = a.get(field), b.get(field)
        if descending:
            x, y = y, x
        if oracle_before(x, y):
            return True
        if oracle_before(y, x):
            return False
    return False


def oracle_distinct(rows: list[dict[str, Any]]) -> list[int]:
    kept: list[int] = []
    for i, row in enumerate(rows):
        if all(rows[j] != row for j in kept):
            kept.append(i)
    return kept


CORES = [load_core("python")]
with contextlib.suppress(ImportError):
    CORES.append(load_core("cython"))


@settings(max_examples=400, deadline=None)
@given(rows=rows_strategy, order=orders, limit=st.none() | st.integers(0, 8))
def test_sorting_agrees_with_the_oracle(
    rows: list[dict[str, Any]], order: list[tuple[str, bool]], limit: int | None
) -> None:
    expected = oracle_sort(rows, order)[:limit]
    tagged = [dict(row, _i=i) for i, row in enumerate(rows)]
    for core in CORES:
        assert [r["_i"] for r in core.records.sort_records(tagged, order, limit=limit)] == expected, core.kind


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.dictionaries(st.sampled_from(["x", "y"]), values, max_size=2), max_size=20))
def test_distinct_agrees_with_the_oracle(rows: list[dict[str, Any]]) -> None:
    expected = [rows[i] for i in oracle_distinct(rows)]
    for core in CORES:
        out = core.records.distinct(rows)
        assert len(out) == len(expected), core.kind
        assert all(a is b for a, b in zip(out, expected, strict=True)), core.kind


plain_numbers = st.one_of(
    st.integers(-5, 5),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False),
    st.sampled_from([0.0, -0.0, 2**53, 2**53 + 1, -(2**53), 1.5]),
)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(plain_numbers, max_size=150),
    limit=st.integers(1, 15),
    descending=st.booleans(),
)
def test_top_k_of_numbers_is_the_head_of_a_stable_sort(
    values: list[Any], limit: int, descending: bool
) -> None:
    # All numbers, limit small: the compiled core takes its C-double heap; ints past 2**53 leave it.
    rows = [{"v": v, "_i": i} for i, v in enumerate(values)]
    expected = [r["_i"] for r in sorted(rows, key=lambda r: r["v"], reverse=descending)][:limit]
    for core in CORES:
        out = core.records.sort_records(rows, [("v", descending)], limit=limit)
        assert [r["_i"] for r in out] == expected, core.kind


def test_top_k_of_numbers_with_ties(core: SimpleNamespace) -> None:
    rows = rows_of(*([3, 1.0, 2, 1, 3.0, 0.0, -0.0, 2.0] * 10))
    assert order_of(core, rows, [("v", False)], limit=6) == [5, 6, 13, 14, 21, 22]
    assert order_of(core, rows, [("v", True)], limit=5) == [0, 4, 8, 12, 16]
