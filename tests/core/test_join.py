"""The join kernel (``_join``): usable keys, the key -> records table, and the joined rows, in both cores."""

from __future__ import annotations

import math
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest


@pytest.mark.parametrize(
    ("key", "usable"),
    [
        (1, True), ("a", True), (1.5, True), (True, True), ((1, 2), True), (Decimal(1), True),
        (None, False), (math.nan, False), (Decimal("NaN"), False), (Decimal("sNaN"), False),
        ([1], False), ({"a": 1}, False), ((1, [2]), False),
    ],
)  # fmt: skip
def test_usable_key(core: SimpleNamespace, key: Any, usable: bool) -> None:
    assert core.join.usable_key(key) is usable


def test_group_by_key_keeps_order_and_merges_equal_keys(core: SimpleNamespace) -> None:
    records = [{"k": 1}, {"k": "a"}, {}, {"k": True}, {"k": math.nan}, {"k": [1]}, {"k": 1.0}]
    table = core.join.group_by_key(records, "k")
    assert table == {1: [records[0], records[3], records[6]], "a": [records[1]]}
    assert all(row is records[i] for row, i in zip(table[1], (0, 3, 6), strict=True))


def test_rows_rename_clashes_and_keep_the_field_order(core: SimpleNamespace) -> None:
    lefts = [{"id": 1, "k": 5, "x": 0}, {"id": 2, "k": 6}, {"id": 3}]
    table = {5: [{"id": 10, "k": 5, "y": "a"}, {"id": 11, "k": 5.0, "x": 9}]}
    rows = core.join.join_rows(lefts, "k", table, True, "r.", False)
    assert rows == [
        {"id": 1, "k": 5, "x": 0, "r.id": 10, "r.k": 5, "y": "a"},
        {"id": 1, "k": 5, "x": 0, "r.id": 11, "r.k": 5.0, "r.x": 9},
    ]
    assert list(rows[1]) == ["id", "k", "x", "r.id", "r.k", "r.x"]
    assert all(row is not lefts[0] for row in rows)
    kept = core.join.join_rows(lefts, "k", table, True, "r.", True)
    assert kept[2:] == [{"id": 2, "k": 6}, {"id": 3}]
    assert kept[2] is not lefts[1]


def test_rename_of_a_field_that_is_not_a_str(core: SimpleNamespace) -> None:
    rows = core.join.join_rows([{1: "a", "k": 0}], "k", {0: {1: "b"}}, False, "r.", False)
    assert rows == [{1: "a", "k": 0, "r.1": "b"}]


def test_one_record_lookup_and_a_function_lookup(core: SimpleNamespace) -> None:
    by_pk = {1: {"id": 1, "n": "ada"}}
    lefts = [{"c": 1}, {"c": True}, {"c": [1]}, {"c": None}, {"c": math.nan}]
    assert core.join.join_rows(lefts, "c", by_pk, False, "r.", False) == [
        {"c": 1, "id": 1, "n": "ada"},
        {"c": True, "id": 1, "n": "ada"},
    ]
    asked: list[Any] = []

    def probe(key: Any) -> list[dict[Any, Any]] | None:
        asked.append(key)
        return [by_pk[1]] if key == 1 else None

    rows = core.join.join_rows(lefts, "c", probe, True, "r.", True)
    assert asked == [1, True]  # unusable keys are never looked up
    assert len(rows) == 5


@pytest.mark.parametrize(("limit", "count"), [(None, 4), (0, 0), (-1, 0), (-3, 0), (1, 1), (3, 3), (10, 4)])
def test_limit_stops_the_rows(core: SimpleNamespace, limit: int | None, count: int) -> None:
    lefts = [{"k": 1}, {"k": 2}, {"k": 1}]
    table = {1: [{"v": 1}, {"v": 2}]}
    assert len(core.join.join_rows(lefts, "k", table, True, "r.", False, limit)) == count
