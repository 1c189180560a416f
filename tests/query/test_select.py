"""``Table.select`` through the public API: columns, order_by, limit/offset, distinct, copy."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from dictdb import DictDB, Table

STAFF: list[dict[str, Any]] = [
    {"name": "ada", "dept": "dev", "age": 36, "salary": 120},
    {"name": "bob", "dept": "ops", "age": 17, "salary": 40},
    {"name": "cy", "dept": "dev", "age": None, "salary": 90},
    {"name": "dee", "dept": "ops", "salary": 90},
    {"name": "eve", "dept": "dev", "age": 52.5, "salary": 120},
    {"name": "fay", "dept": "sales", "age": math.nan, "salary": 70},
    {"name": "gus", "dept": "dev", "age": "forty", "salary": 90},
    {"name": "hal", "dept": "ops", "age": Decimal("29"), "salary": 40},
]


@pytest.fixture
def staff() -> Table:
    table = DictDB().create_table("staff")
    for record in STAFF:
        table.insert(dict(record))
    return table


def names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["name"] for row in rows]


def test_columns_as_names_aliases_and_pairs(staff: Table) -> None:
    t = staff
    where = t.name == "ada"
    assert t.select(["name", "age", "missing"], where=where) == [{"name": "ada", "age": 36, "missing": None}]
    assert t.select({"who": "name", "years": "age"}, where=where) == [{"who": "ada", "years": 36}]
    assert t.select([("who", "name"), "dept"], where=where) == [{"who": "ada", "dept": "dev"}]
    assert t.select([t.name, ("pay", t.salary)], where=where) == [{"name": "ada", "pay": 120}]
    assert t.select(("name",), where=where) == [{"name": "ada"}]
    assert t.select([], where=where) == [{}]
    assert list(t.select({"b": "age", "a": "name"}, where=where)[0]) == ["b", "a"]


@pytest.mark.parametrize(
    ("columns", "error", "message"),
    [
        ("name", TypeError, r"did you mean \['name'\]"),
        (5, TypeError, "not int"),
        ([("a", "b", "c")], ValueError, r"\(alias, field\)"),
        ([["name"]], TypeError, "hashable"),
    ],
)
def test_bad_columns(staff: Table, columns: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        staff.select(columns)


def test_order_by_one_field_both_ways(staff: Table) -> None:
    # Total order: None, missing and NaN first (insertion order), numbers, then str.
    assert names(staff.select(order_by="age")) == ["cy", "dee", "fay", "bob", "hal", "ada", "eve", "gus"]
    assert names(staff.select(order_by="-age")) == ["gus", "eve", "ada", "hal", "bob", "cy", "dee", "fay"]
    assert names(staff.select(order_by=staff.age)) == names(staff.select(order_by="age"))


def test_order_by_is_stable_and_multi_key(staff: Table) -> None:
    assert names(staff.select(order_by="salary")) == ["bob", "hal", "fay", "cy", "dee", "gus", "ada", "eve"]
    assert names(staff.select(order_by="-salary")) == ["ada", "eve", "cy", "dee", "gus", "fay", "bob", "hal"]
    assert names(staff.select(order_by=["dept", "-salary"])) == [
        "ada",
        "eve",
        "cy",
        "gus",
        "dee",
        "bob",
        "hal",
        "fay",
    ]
    assert names(staff.select(order_by=("-dept", "name"))) == [
        "fay",
        "bob",
        "dee",
        "hal",
        "ada",
        "cy",
        "eve",
        "gus",
    ]


def test_order_by_a_field_that_is_not_projected(staff: Table) -> None:
    assert staff.select(["name"], where=staff.dept == "ops", order_by="-salary") == [
        {"name": "dee"},
        {"name": "bob"},
        {"name": "hal"},
    ]


@pytest.mark.parametrize("order_by", [5, ["-"], [None]])
def test_bad_order_by(staff: Table, order_by: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="order_by"):
        staff.select(order_by=order_by)


def test_limit_and_offset(staff: Table) -> None:
    everyone = names(staff.select())
    assert names(staff.select(limit=3)) == everyone[:3]
    assert names(staff.select(limit=3, offset=2)) == everyone[2:5]
    assert names(staff.select(offset=6)) == everyone[6:]
    assert names(staff.select(offset=-4)) == everyone
    assert names(staff.select(limit=None)) == everyone
    assert names(staff.select(limit=-1)) == everyone
    assert staff.select(limit=0) == []
    assert staff.select(limit=5, offset=100) == []
    assert names(staff.select(where=staff.dept == "dev", limit=2, offset=1)) == ["cy", "eve"]


def test_limit_zero_still_checks_where(staff: Table) -> None:
    with pytest.raises(TypeError, match="not str"):
        staff.select(where="dept == 'dev'", limit=0)
    with pytest.raises(TypeError, match="not str"):
        staff.select(where="dept == 'dev'", limit=0, order_by="age")


@pytest.mark.parametrize(("limit", "offset"), [("3", 0), (None, 1.5), (True, 0), (None, None)])
def test_bad_limit_or_offset(staff: Table, limit: Any, offset: Any) -> None:
    with pytest.raises(TypeError, match="must be an int"):
        staff.select(limit=limit, offset=offset)


def test_order_by_with_limit_is_the_head_of_the_full_sort() -> None:
    table = Table("big")
    for i in range(500):
        table.insert({"v": (i * 7919) % 97 if i % 50 else None, "w": str(i % 7)})
    for order in ("v", "-v", ["w", "v"], ["-w", "-v"], ["w", "-v"]):
        full = table.select(order_by=order)
        for limit, offset in [(1, 0), (10, 0), (10, 5), (60, 3), (400, 0)]:
            assert table.select(order_by=order, limit=limit, offset=offset) == full[offset : offset + limit]


def test_distinct_applies_to_projected_rows_before_offset_and_limit(staff: Table) -> None:
    assert staff.select(["dept"], distinct=True) == [{"dept": "dev"}, {"dept": "ops"}, {"dept": "sales"}]
    assert staff.select(["dept"], distinct=True, limit=2) == [{"dept": "dev"}, {"dept": "ops"}]
    assert staff.select(["dept"], distinct=True, offset=1, limit=1) == [{"dept": "ops"}]
    assert staff.select(["dept", "salary"], distinct=True, order_by="-salary", limit=3) == [
        {"dept": "dev", "salary": 120},
        {"dept": "dev", "salary": 90},
        {"dept": "ops", "salary": 90},
    ]
    assert len(staff.select(distinct=True)) == len(STAFF)  # whole records differ by their primary key


def test_distinct_with_unhashable_values() -> None:
    table = Table("t")
    for tags in (["a"], ["a"], ["b"], {"k": [1]}, {"k": [1]}, None):
        table.insert({"tags": tags})
    assert table.select(["tags"], distinct=True) == [
        {"tags": ["a"]},
        {"tags": ["b"]},
        {"tags": {"k": [1]}},
        {"tags": None},
    ]


def test_distinct_treats_equal_numbers_as_one(staff: Table) -> None:
    table = Table("t")
    for v in (1, 1.0, True, "1", Decimal(1)):
        table.insert({"v": v})
    assert table.select(["v"], distinct=True) == [{"v": 1}, {"v": "1"}]


def test_copy_true_returns_copies_and_copy_false_the_stored_dicts(staff: Table) -> None:
    stored = staff.records
    for kwargs in (
        {},
        {"order_by": "age"},
        {"limit": 2, "offset": 1},
        {"distinct": True},
        {"order_by": "-age", "limit": 2},
    ):
        copies = staff.select(**kwargs)
        originals = staff.select(copy=False, **kwargs)
        assert copies == originals
        assert all(row is stored[row["id"]] for row in originals), kwargs
        assert all(row is not stored[row["id"]] for row in copies), kwargs
    staff.select()[0]["name"] = "changed"
    assert staff.get(1)["name"] == "ada"


def test_projection_always_builds_new_rows(staff: Table) -> None:
    rows = staff.select(["name"], copy=False)
    rows[0]["name"] = "changed"
    assert staff.get(1)["name"] == "ada"


def test_everything_together(staff: Table) -> None:
    t = staff
    rows = t.select(
        {"who": "name", "pay": "salary"},
        where=(t.salary >= 50) & t.dept.is_in(["dev", "ops"]),
        order_by=["-salary", "name"],
        limit=3,
        offset=1,
    )
    assert rows == [{"who": "eve", "pay": 120}, {"who": "cy", "pay": 90}, {"who": "dee", "pay": 90}]


def test_select_on_an_empty_table() -> None:
    table = Table("empty")
    assert table.select() == []
    assert table.select(order_by="x", limit=3, distinct=True) == []
