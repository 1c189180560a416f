"""Pages deep in a sorted index: ``select(order_by=field, offset=..., limit=...)`` without a ``where`` reads
the page from its position in the index. Every page must be exactly what the same table without the index
(a sort) returns."""

from __future__ import annotations

import datetime
import math
import random
from decimal import Decimal
from typing import Any

import pytest

from dictdb import Table

MIXED = [3, None, "b", 1.0, 1, math.nan, b"x", (1, 2), True, "a", 2.5, None, (0,), 1, Decimal("NaN"), 2]
MIXED += [datetime.date(2020, 1, 1), {"k": 1}, [1], "a", b"", Decimal("1.5"), -0.0, 0]


def pair(rows: list[dict[str, Any]]) -> tuple[Table, Table]:
    """The same records in a table with a sorted index on ``v`` and in one without indexes."""
    indexed, plain = Table("indexed"), Table("plain")
    indexed.insert([dict(r) for r in rows])
    plain.insert([dict(r) for r in rows])
    indexed.create_index("v", "sorted")
    return indexed, plain


def ids(table: Table, **kwargs: Any) -> list[Any]:
    return [r["id"] for r in table.select(**kwargs)]


def mixed_rows(n: int, seed: int) -> list[dict[str, Any]]:
    """Mixed types, many ties, and records without the field."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.1:
            rows.append({})
        elif roll < 0.5:
            rows.append({"v": rng.choice(MIXED)})
        else:
            rows.append({"v": rng.randrange(40)})
    return rows


def assert_pages_match(indexed: Table, plain: Table, step: int = 1) -> None:
    n = len(plain.records)
    for order_by in ("v", "-v"):
        assert indexed.explain(order_by=order_by, limit=3, offset=n // 2)["order"]["skips"] == "by position"
        for offset in [*range(-2, n + 3, step), n - 1, n]:
            for limit in (None, -1, 1, 3, 10, n):
                page = {"order_by": order_by, "offset": offset, "limit": limit}
                assert ids(indexed, **page) == ids(plain, **page), page


@pytest.mark.parametrize("seed", [1, 2])
def test_every_page_is_the_sort_s_page(seed: int) -> None:
    indexed, plain = pair(mixed_rows(300, seed))
    assert_pages_match(indexed, plain, step=7)


def test_pages_after_updates_and_deletes() -> None:
    indexed, plain = pair(mixed_rows(400, 3))
    for table in (indexed, plain):
        table.update({"v": 5}, where=table.id.is_in(range(1, 400, 9)))
        table.update({"v": None}, where=table.id.is_in(range(2, 400, 11)))
        table.delete(where=table.id.is_in(range(3, 400, 5)))
        table.insert([{"v": 5}, {}, {"v": "a"}])
    assert_pages_match(indexed, plain, step=5)


def test_a_page_of_ties_keeps_insertion_order_both_ways() -> None:
    indexed, plain = pair([{"v": i % 3} for i in range(60)])
    for order_by in ("v", "-v"):
        for offset in range(0, 61, 4):
            page = {"order_by": order_by, "offset": offset, "limit": 7}
            assert ids(indexed, **page) == ids(plain, **page)
    assert ids(indexed, order_by="-v", offset=18, limit=4) == [57, 60, 2, 5]


def test_pages_of_an_empty_table_and_past_the_end() -> None:
    indexed, _ = pair([])
    assert indexed.select(order_by="v", offset=5, limit=2) == indexed.select(order_by="-v", offset=1) == []
    indexed.insert([{"v": 1}, {"v": 2}])
    assert indexed.select(order_by="-v", offset=2, limit=5) == []
    assert ids(indexed, order_by="-v", offset=-4, limit=1) == [2]


def test_a_page_is_copied_or_not_and_projected_like_a_sort() -> None:
    indexed, plain = pair([{"v": i % 5, "w": i} for i in range(30)])
    rows = indexed.select(order_by="v", offset=10, limit=3)
    assert rows == plain.select(order_by="v", offset=10, limit=3)
    rows[0]["v"] = "changed"
    assert indexed.records[rows[0]["id"]]["v"] != "changed"
    stored = indexed.select(order_by="v", offset=10, limit=3, copy=False)
    assert all(row is indexed.records[row["id"]] for row in stored)
    projected = indexed.select(["w", ("value", "v")], order_by="-v", offset=4, limit=3)
    assert projected == plain.select(["w", ("value", "v")], order_by="-v", offset=4, limit=3)
    assert indexed.select(order_by="v", offset=25) == plain.select(order_by="v", offset=25)


def test_explain_says_where_the_page_starts() -> None:
    indexed, _ = pair([{"v": i % 7} for i in range(1000)])
    plan = indexed.explain(order_by="-v", limit=10, offset=500)
    order = plan["order"]
    assert (order["method"], order["index"], order["walks"]) == ("index walk", "v", "the whole index")
    assert (order["limit"], order["offset"], order["skips"], order["entries"]) == (10, 500, "by position", 10)
    assert str(plan).splitlines()[-1] == (
        "order by -v: index walk on 'v' (the whole index, ~10 entries first), limit 10, offset 500 "
        "(skipped by position)"
    )
    # An offset without a limit reads the rest of the index from the position.
    assert indexed.explain(order_by="v", offset=990)["order"]["entries"] == 10
    # A where's matches are not positions in the index: the walk reads its way to the page.
    walked = indexed.explain(indexed.id > 3, order_by="v", limit=5, offset=20)["order"]
    assert (walked["method"], walked["skips"]) == ("index walk", "by reading")
    # No offset, no new keys; a negative offset is 0.
    for offset in (0, -3):
        assert set(indexed.explain(order_by="v", limit=2, offset=offset)["order"]) == {
            "by",
            "method",
            "index",
            "walks",
            "entries",
            "limit",
        }
    assert indexed.explain(order_by="v", offset=3)["order"]["method"] == "index walk"
    assert indexed.explain(order_by="v")["order"]["method"] == "sort"


def test_pages_with_a_where_still_match_the_sort() -> None:
    indexed, plain = pair(mixed_rows(200, 4))
    for order_by in ("v", "-v"):
        for offset in (0, 5, 50, 150):
            page = {"order_by": order_by, "offset": offset, "limit": 6}
            assert ids(indexed, where=indexed.id > 20, **page) == ids(plain, where=plain.id > 20, **page)
            assert ids(indexed, where=indexed.v > 3, **page) == ids(plain, where=plain.v > 3, **page)


def test_a_bad_offset_is_refused_and_changes_nothing() -> None:
    indexed, _ = pair([{"v": 1}, {"v": 2}])
    before = dict(indexed.records)
    for bad in (1.5, "1", None, True):
        with pytest.raises(TypeError, match="offset must be an int"):
            indexed.select(order_by="v", offset=bad, limit=1)
        with pytest.raises(TypeError, match="offset must be an int"):
            indexed.explain(order_by="v", offset=bad)
    assert indexed.records == before
    assert ids(indexed, order_by="-v", offset=1, limit=1) == [1]
