"""``_core.order``: the total order's ranks, written once and run against both cores.

The order itself is also exercised through the sorted index (``test_index.py``, whose differential test
checks ``order_ranks`` against the index's walk) and through sorting (``test_sorting.py``).
"""

from __future__ import annotations

import datetime
import doctest
import math
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_core
from tests.core.test_index import small_values

NAN = math.nan
UTC = datetime.timezone.utc


class Opaque:
    """A type whose values cannot be compared with each other: its group is unordered."""

    def __lt__(self, other: object) -> bool:
        raise TypeError("no order")


def test_groups_in_order_nulls_first(core: SimpleNamespace) -> None:
    values = [b"b", "a", 2, None, (1,), NAN, 1.5, datetime.date(2020, 1, 1), Decimal("NaN"), True]
    # nulls tie at 0, then numbers, str, bytes, then other types by name: date < tuple
    assert core.order.order_ranks(values) == [5, 4, 3, 0, 7, 0, 2, 6, 0, 1]


def test_equal_values_share_a_rank(core: SimpleNamespace) -> None:
    assert core.order.order_ranks([1, 1.0, True, Decimal(1), Fraction(1), 2]) == [0, 0, 0, 0, 0, 1]
    assert core.order.order_ranks([b"a", bytearray(b"a"), b"b"]) == [0, 0, 1]
    assert core.order.order_ranks([None, NAN, Decimal("NaN")]) == [0, 0, 0]


def test_unordered_values_tie_within_their_group(core: SimpleNamespace) -> None:
    assert core.order.order_ranks([{1}, frozenset({2}), {"a": 1}, {}]) == [1, 1, 0, 0]
    assert core.order.order_ranks([Opaque(), Opaque(), 1]) == [1, 1, 0]


def test_tuples_compare_item_by_item_in_the_order(core: SimpleNamespace) -> None:
    # lists before tuples (by type name), then item by item: None before any number, a number before a str
    assert core.order.order_ranks([(1, "a"), (1, None), (None,), (0,), [0]]) == [4, 3, 1, 2, 0]


def test_naive_and_aware_datetimes_are_separate_groups(core: SimpleNamespace) -> None:
    naive = datetime.datetime(2024, 1, 2)
    aware = datetime.datetime(2020, 1, 1, tzinfo=UTC)
    assert core.order.order_ranks([aware, naive, naive.replace(day=1)]) == [2, 1, 0]


def test_empty_input_has_no_ranks(core: SimpleNamespace) -> None:
    assert core.order.order_ranks([]) == []
    assert core.order.order_ranks(iter([3, 1])) == [1, 0]


def test_docstring_example_holds(core: SimpleNamespace) -> None:
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner()
    pure = load_core("python").order.order_ranks
    tests = finder.find(pure, "order_ranks", globs={"order_ranks": core.order.order_ranks})
    for test in tests:
        runner.run(test)
    assert sum(len(test.examples) for test in tests) == 1
    assert runner.failures == 0


@settings(max_examples=200, deadline=None)
@given(values=st.lists(small_values, max_size=25))
def test_cores_give_the_same_ranks(core: SimpleNamespace, values: list[Any]) -> None:
    assert core.order.order_ranks(values) == load_core("python").order.order_ranks(values)
