"""Table.aggregate through the public API (the suite runs once per core): results, ordering, bad input."""

from __future__ import annotations

import copy
import datetime as dt
import math
from decimal import Decimal

import pytest

import dictdb
from dictdb import Avg, Count, DictDB, Max, Min, Sum, Table


@pytest.fixture
def staff() -> Table:
    table = DictDB().create_table("staff")
    table.insert(
        [
            {"name": "ada", "dept": "dev", "city": "paris", "pay": 120, "start": dt.date(2019, 3, 1)},
            {"name": "bob", "dept": "ops", "city": "lyon", "pay": 80, "start": dt.date(2021, 6, 1)},
            {"name": "cy", "dept": "dev", "city": "lyon", "pay": 100, "start": dt.date(2018, 1, 9)},
            {"name": "di", "dept": "ops", "city": "lyon", "pay": None},
            {"name": "ed", "dept": "hr", "city": "paris", "pay": 90, "start": dt.date(2022, 2, 2)},
        ]
    )
    return table


def test_the_aggregates_are_public_names() -> None:
    assert {"Count", "Sum", "Avg", "Min", "Max"} <= set(dictdb.__all__)


def test_without_group_by_a_dict_of_results(staff: Table) -> None:
    result = staff.aggregate(
        n=Count(), paid=Count("pay"), total=Sum("pay"), mean=Avg("pay"), low=Min("pay"), high=Max("pay")
    )
    assert result == {"n": 5, "paid": 4, "total": 390, "mean": 97.5, "low": 80, "high": 120}
    assert type(result["mean"]) is float


def test_where_narrows_the_records(staff: Table) -> None:
    assert staff.aggregate(where=staff.city == "lyon", n=Count(), total=Sum("pay")) == {"n": 3, "total": 180}
    assert staff.aggregate(staff.pay > 1000, n=Count(), mean=Avg("pay")) == {"n": 0, "mean": None}


def test_group_by_one_field_in_first_seen_order(staff: Table) -> None:
    rows = staff.aggregate(group_by="dept", n=Count(), mean=Avg("pay"), first=Min("start"))
    assert rows == [
        {"dept": "dev", "n": 2, "mean": 110.0, "first": dt.date(2018, 1, 9)},
        {"dept": "ops", "n": 2, "mean": 80.0, "first": dt.date(2021, 6, 1)},
        {"dept": "hr", "n": 1, "mean": 90.0, "first": dt.date(2022, 2, 2)},
    ]


def test_group_by_several_fields(staff: Table) -> None:
    rows = staff.aggregate(group_by=["city", "dept"], n=Count())
    assert rows == [
        {"city": "paris", "dept": "dev", "n": 1},
        {"city": "lyon", "dept": "ops", "n": 2},
        {"city": "lyon", "dept": "dev", "n": 1},
        {"city": "paris", "dept": "hr", "n": 1},
    ]
    assert staff.aggregate(None, ("city",), n=Count()) == [
        {"city": "paris", "n": 2},
        {"city": "lyon", "n": 3},
    ]


def test_group_by_with_no_aggregate_lists_the_distinct_groups(staff: Table) -> None:
    assert staff.aggregate(group_by="city") == [{"city": "paris"}, {"city": "lyon"}]


def test_fields_may_be_given_as_field_objects(staff: Table) -> None:
    rows = staff.aggregate(group_by=staff.dept, total=Sum(staff.pay), order_by="dept")
    assert rows == [{"dept": "dev", "total": 220}, {"dept": "hr", "total": 90}, {"dept": "ops", "total": 80}]
    assert staff.aggregate(names=Count(staff.field("name"))) == {"names": 5}


def test_order_by_and_limit_on_grouped_rows(staff: Table) -> None:
    rows = staff.aggregate(group_by="dept", total=Sum("pay"), order_by="-total", limit=2)
    assert rows == [{"dept": "dev", "total": 220}, {"dept": "hr", "total": 90}]
    by_two = staff.aggregate(group_by=["city", "dept"], n=Count(), order_by=["-n", "dept"])
    # Ties keep first-seen order: paris/dev came before lyon/dev.
    assert [(r["city"], r["dept"]) for r in by_two] == [
        ("lyon", "ops"),
        ("paris", "dev"),
        ("lyon", "dev"),
        ("paris", "hr"),
    ]
    assert staff.aggregate(group_by="dept", n=Count(), limit=0) == []
    assert len(staff.aggregate(group_by="dept", n=Count(), limit=-1)) == 3


def test_order_by_follows_the_total_order_none_and_nan_first(staff: Table) -> None:
    table = Table("t")
    table.insert([{"g": "a", "x": 2}, {"g": "b"}, {"g": "c", "x": math.nan}, {"g": "d", "x": -1}])
    rows = table.aggregate(group_by="g", top=Max("x"), order_by="top")
    assert [row["g"] for row in rows] == ["b", "c", "d", "a"]  # None, NaN (skipped: None), -1, 2
    mixed = Table("m")
    mixed.insert([{"g": "word"}, {"g": 3}, {"g": None}, {"g": b"raw"}, {"g": 1.5}])
    ordered = mixed.aggregate(group_by="g", n=Count(), order_by="-g")
    assert [row["g"] for row in ordered] == [b"raw", "word", 3, 1.5, None]


def test_order_by_refuses_values_that_do_not_compare() -> None:
    table = Table("t")
    table.insert([{"g": (1,)}, {"g": (1, "a")}, {"g": (1, 2)}])
    with pytest.raises(TypeError, match=r"cannot order grouped rows by 'g': .* do not compare"):
        table.aggregate(group_by="g", n=Count(), order_by="g")


def test_decimal_sums_stay_decimal_and_bools_count_as_numbers() -> None:
    table = Table("t")
    table.insert(
        [{"price": Decimal("9.90"), "ok": True}, {"price": Decimal("0.15"), "ok": False}, {"ok": True}]
    )
    result = table.aggregate(total=Sum("price"), oks=Sum("ok"), share=Avg("ok"))
    assert result == {"total": Decimal("10.05"), "oks": 2, "share": 2 / 3}
    assert type(result["total"]) is Decimal
    assert type(result["oks"]) is int


def test_min_and_max_on_strings(staff: Table) -> None:
    assert staff.aggregate(first=Min("name"), last=Max("name")) == {"first": "ada", "last": "ed"}


def test_aggregate_leaves_the_records_unchanged(staff: Table) -> None:
    before = copy.deepcopy(staff.all())
    staff.aggregate(group_by="dept", n=Count(), total=Sum("pay"))
    assert staff.all() == before


def test_a_non_aggregate_value_raises_type_error(staff: Table) -> None:
    with pytest.raises(TypeError, match=r"aggregate 'n' must be Count\(...\), Sum\(...\).*not str 'count'"):
        staff.aggregate(n="count")
    with pytest.raises(TypeError, match=r"not type <class 'dictdb.query.aggregates.Count'>; call it"):
        staff.aggregate(n=Count)


def test_sum_of_text_is_a_clear_type_error(staff: Table) -> None:
    with pytest.raises(
        TypeError, match=r"aggregate 'x' = Sum\('name'\) got str 'ada': Sum and Avg take numbers"
    ):
        staff.aggregate(x=Sum("name"))


def test_min_of_mixed_types_is_a_clear_type_error() -> None:
    table = Table("t")
    table.insert([{"x": 1}, {"x": "one"}])
    with pytest.raises(TypeError, match=r"Min\('x'\) cannot compare str 'one' with int 1"):
        table.aggregate(low=Min("x"))


def test_bad_requests_raise_before_any_work(staff: Table) -> None:
    with pytest.raises(ValueError, match="has the name of a group_by field"):
        staff.aggregate(group_by="dept", dept=Count())
    with pytest.raises(ValueError, match="order_by and limit apply to grouped rows"):
        staff.aggregate(n=Count(), limit=1)
    with pytest.raises(ValueError, match=r"cannot order grouped rows by 'pay': the rows hold 'dept', 'n'"):
        staff.aggregate(group_by="dept", n=Count(), order_by="pay")
    with pytest.raises(ValueError, match="group_by names no field"):
        staff.aggregate(group_by=[], n=Count())
    with pytest.raises(ValueError, match="group_by names a field twice"):
        staff.aggregate(group_by=["dept", "dept"], n=Count())
    with pytest.raises(TypeError, match="limit must be an int or None"):
        staff.aggregate(group_by="dept", n=Count(), limit="2")
    with pytest.raises(TypeError, match=r"Sum\(\) takes a field name"):
        Sum(None)
    with pytest.raises(TypeError, match=r"Avg\(\) takes a field name"):
        Avg(["pay"])


def test_an_unhashable_group_value_is_a_clear_type_error() -> None:
    table = Table("t")
    table.insert([{"tags": ["a"]}])
    with pytest.raises(TypeError, match=r"cannot group by 'tags': its value list \['a'\] is unhashable"):
        table.aggregate(group_by="tags", n=Count())


def test_aggregates_are_immutable_values() -> None:
    assert Sum("x") == Sum("x")
    assert Sum("x") != Avg("x")
    assert Count() != Count("x")
    assert len({Min("a"), Min("a"), Max("a")}) == 2
    assert [repr(a) for a in (Count(), Count("x"), Sum("x"), Avg("x"), Min("x"), Max("x"))] == [
        "Count()",
        "Count('x')",
        "Sum('x')",
        "Avg('x')",
        "Min('x')",
        "Max('x')",
    ]
    assert Sum("x").field == "x"
    assert Count().field is None
    with pytest.raises(AttributeError, match="immutable"):
        Sum("x").field = "y"  # type: ignore[misc]
