"""The sorted index, compiled vs pure in one run, over 1e3, 1e4 and 1e5 entries keyed by salary.

The floor is a bare ``sortedcontainers.SortedKeyList`` of ``(value, pk)`` pairs doing the same work without
DictDB's total order (numbers only, no null bucket, no tie rule): what the issue asks the compiled index
to beat.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from operator import itemgetter
from types import SimpleNamespace
from typing import Any

import pytest
from sortedcontainers import SortedKeyList

from benchmarks.conftest import label
from benchmarks.data import make_rows

# Salaries are uniform in 30,000..150,000: a window of 360 holds ~0.3% of them, one of 19,200 ~16%.
NARROW = (60_000, 60_360)
WIDE = (60_000, 79_200)


@pytest.fixture
def pairs(size: int) -> list[tuple[int, int]]:
    return [(row["salary"], row["id"]) for row in make_rows(size)]  # type: ignore[misc]


def _floor(pairs: list[tuple[int, int]]) -> Any:
    return SortedKeyList(pairs, key=itemgetter(0))


def _floor_range(index: Any, low: int, high: int) -> list[int]:
    return [pk for _, pk in index.irange_key(low, high)]


def _rounds(size: int) -> int:
    return 5 if size >= 100_000 else 20


def _bench(benchmark: Any, size: int, target: Callable[..., Any], setup: Callable[[], Any]) -> Any:
    """A mutating benchmark: ``setup`` builds fresh state for each round, untimed."""
    return benchmark.pedantic(target, setup=lambda: ((setup(),), {}), rounds=_rounds(size), iterations=1)


def test_index_build(
    benchmark: Any, kernel: SimpleNamespace, pairs: list[tuple[int, int]], size: int
) -> None:
    label(benchmark, "index build (insert_many)", size, kernel.kind)
    index = benchmark(kernel.index.SortedEntries, pairs)
    assert len(index) == size


def test_index_build_floor(benchmark: Any, pairs: list[tuple[int, int]], size: int) -> None:
    label(benchmark, "index build (insert_many)", size, "floor")
    assert len(benchmark(_floor, pairs)) == size


def _insert_all(kernel: SimpleNamespace, pairs: list[tuple[int, int]]) -> Any:
    index = kernel.index.SortedEntries()
    insert = index.insert
    for value, pk in pairs:
        insert(value, pk)
    return index


def test_index_insert_one_by_one(
    benchmark: Any, kernel: SimpleNamespace, pairs: list[tuple[int, int]], size: int
) -> None:
    label(benchmark, "index insert one by one", size, kernel.kind)
    index = benchmark.pedantic(_insert_all, args=(kernel, pairs), rounds=_rounds(size), iterations=1)
    assert len(index) == size


def test_index_insert_one_by_one_floor(benchmark: Any, pairs: list[tuple[int, int]], size: int) -> None:
    label(benchmark, "index insert one by one", size, "floor")

    def insert_all() -> Any:
        index = SortedKeyList(key=itemgetter(0))
        add = index.add
        for pair in pairs:
            add(pair)
        return index

    assert len(benchmark.pedantic(insert_all, rounds=_rounds(size), iterations=1)) == size


@pytest.mark.parametrize(("window", "name"), [(NARROW, "~0.3%"), (WIDE, "~16%")])
def test_index_range(
    benchmark: Any,
    kernel: SimpleNamespace,
    pairs: list[tuple[int, int]],
    size: int,
    window: tuple[int, int],
    name: str,
) -> None:
    label(benchmark, f"index range {name}", size, kernel.kind)
    index = kernel.index.SortedEntries(pairs)
    out = benchmark(index.range, *window)
    assert len(out) == sum(1 for value, _ in pairs if window[0] <= value <= window[1])


@pytest.mark.parametrize(("window", "name"), [(NARROW, "~0.3%"), (WIDE, "~16%")])
def test_index_range_floor(
    benchmark: Any, pairs: list[tuple[int, int]], size: int, window: tuple[int, int], name: str
) -> None:
    label(benchmark, f"index range {name}", size, "floor")
    out = benchmark(_floor_range, _floor(pairs), *window)
    assert len(out) == sum(1 for value, _ in pairs if window[0] <= value <= window[1])


def test_index_range_reverse(
    benchmark: Any, kernel: SimpleNamespace, pairs: list[tuple[int, int]], size: int
) -> None:
    label(benchmark, "index range ~16% descending", size, kernel.kind)
    index = kernel.index.SortedEntries(pairs)
    out = benchmark(lambda: index.range(*WIDE, reverse=True))
    assert len(out) == index.count_range(*WIDE)


def test_index_first_10(
    benchmark: Any, kernel: SimpleNamespace, pairs: list[tuple[int, int]], size: int
) -> None:
    label(benchmark, "index first(10)", size, kernel.kind)
    index = kernel.index.SortedEntries(pairs)
    assert len(benchmark(index.first, 10)) == 10


def test_index_first_10_floor(benchmark: Any, pairs: list[tuple[int, int]], size: int) -> None:
    label(benchmark, "index first(10)", size, "floor")
    index = _floor(pairs)
    assert len(benchmark(lambda: [pk for _, pk in islice(index, 10)])) == 10


def test_index_last_10(
    benchmark: Any, kernel: SimpleNamespace, pairs: list[tuple[int, int]], size: int
) -> None:
    label(benchmark, "index last(10)", size, kernel.kind)
    index = kernel.index.SortedEntries(pairs)
    assert len(benchmark(index.last, 10)) == 10


def test_index_remove_10_percent(
    benchmark: Any, kernel: SimpleNamespace, pairs: list[tuple[int, int]], size: int
) -> None:
    label(benchmark, "index remove 10% one by one", size, kernel.kind)
    doomed = pairs[::10]

    def remove(index: Any) -> Any:
        for value, pk in doomed:
            index.remove(value, pk)
        return index

    index = _bench(benchmark, size, remove, lambda: kernel.index.SortedEntries(pairs))
    assert len(index) == size - len(doomed)


def test_index_remove_10_percent_floor(benchmark: Any, pairs: list[tuple[int, int]], size: int) -> None:
    label(benchmark, "index remove 10% one by one", size, "floor")
    doomed = pairs[::10]

    def remove(index: Any) -> Any:
        for pair in doomed:
            index.remove(pair)
        return index

    index = _bench(benchmark, size, remove, lambda: _floor(pairs))
    assert len(index) == size - len(doomed)


def test_index_update_10_percent(
    benchmark: Any, kernel: SimpleNamespace, pairs: list[tuple[int, int]], size: int
) -> None:
    label(benchmark, "index update 10% one by one", size, kernel.kind)
    moved = pairs[::10]

    def update(index: Any) -> Any:
        for value, pk in moved:
            index.update(value, value + 1000, pk)
        return index

    index = _bench(benchmark, size, update, lambda: kernel.index.SortedEntries(pairs))
    assert len(index) == size


def test_index_remove_10_percent_among_ties(benchmark: Any, kernel: SimpleNamespace, size: int) -> None:
    """Keyed by age (63 values): a remove scans the run of ties for its pk, ~size/63 entries."""
    label(benchmark, "index remove 10%, keyed by age (ties)", size, kernel.kind)
    pairs = [(row["age"], row["id"]) for row in make_rows(size)]
    doomed = pairs[::10]

    def remove(index: Any) -> Any:
        for value, pk in doomed:
            index.remove(value, pk)
        return index

    index = _bench(benchmark, size, remove, lambda: kernel.index.SortedEntries(pairs))
    assert len(index) == size - len(doomed)
