"""Computed values in queries, through the public API: arithmetic, comparisons of two values, tests on a
computed value, with indexes, in ``count``, ``delete`` and ``update``, and how expressions print."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest

from dictdb import DictDB, Table
from dictdb.exceptions import RecordNotFoundError
from dictdb.query.value import Computed, ValueExpr

ORDERS: list[dict[str, Any]] = [
    {
        "name": "ada",
        "dept": "ops",
        "price": 30,
        "qty": 4,
        "age": 36,
        "budget": 150,
        "day": dt.date(2026, 1, 5),
    },
    {
        "name": "bob",
        "dept": "dev",
        "price": 2.5,
        "qty": 10,
        "age": 17,
        "budget": 20,
        "day": dt.date(2025, 12, 31),
    },
    {"name": "CY", "dept": "ops", "price": None, "qty": 3, "age": 52, "budget": 0},
    {"name": "dee", "dept": "hr", "price": 12, "age": 29, "budget": 12},
    {"name": "Eve", "dept": "ops", "price": "9", "qty": 2, "age": 41, "day": "2026-01-05"},
    {"name": "fay", "dept": "dev", "price": Decimal("7.50"), "qty": 8, "age": 30, "budget": Decimal("60")},
    {"name": "gus", "dept": "ops", "price": math.nan, "qty": 1, "age": 64, "budget": math.nan},
    {
        "name": "hal",
        "dept": "dev",
        "price": -40,
        "qty": -3,
        "age": 45,
        "budget": 120,
        "day": dt.datetime(2026, 3, 1),
    },
]


@pytest.fixture
def orders() -> Table:
    table = DictDB().create_table("orders")
    table.insert([dict(record) for record in ORDERS])
    return table


def names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["name"] for row in rows]


def matching(where: Any) -> list[str]:
    """The names of ``ORDERS`` that ``where`` matches, one record at a time (no planner, no index)."""
    return [record["name"] for record in ORDERS if where(record)]


def test_select_with_arithmetic(orders: Table) -> None:
    t = orders
    # price * qty: 120, 25.0, None (price None), None (qty missing), None (str * int refused), 60.00,
    # None (NaN), 120.
    assert names(t.select(where=t.price * t.qty > 100)) == ["ada", "hal"]
    assert names(t.select(where=t.price * t.qty >= 60)) == ["ada", "fay", "hal"]
    assert names(t.select(where=t.price * t.qty == 120)) == ["ada", "hal"]
    assert names(t.select(where=(t.price * t.qty).is_null())) == ["CY", "dee", "Eve", "gus"]
    assert names(t.select(where=t.price + 1 > 20)) == ["ada"]
    assert names(t.select(where=2 * t.price - 1 == 4.0)) == ["bob"]  # reflected operators
    assert names(t.select(where=100 / t.qty == 10)) == ["bob"]
    assert names(t.select(where=t.age // 10 == 3)) == ["ada", "fay"]
    assert names(t.select(where=t.age % 2 == 1)) == ["bob", "dee", "Eve", "hal"]
    assert names(t.select(where=-t.price > 0)) == ["hal"]
    assert names(t.select(where=(t.budget - t.price * t.qty) < 0)) == ["bob"]


def test_field_to_field_comparisons(orders: Table) -> None:
    t = orders
    assert names(t.select(where=t.price < t.qty)) == ["bob", "fay", "hal"]
    # price vs budget: None, NaN, a str against an int and a missing budget never order.
    assert names(t.select(where=t.price >= t.budget)) == ["dee"]
    assert names(t.select(where=t.budget > t.price)) == ["ada", "bob", "fay", "hal"]
    # Equality is Python's: a missing field reads as None, and None == None holds.
    assert names(t.select(where=t.price == t.budget)) == ["dee"]
    assert names(t.select(where=t.nothing == t.budget)) == ["Eve"]  # Eve has no budget
    assert names(t.select(where=t.nothing == t.other)) == names(ORDERS)
    assert names(t.select(where=t.price != t.budget)) == ["ada", "bob", "CY", "Eve", "fay", "gus", "hal"]


def test_tests_on_computed_values(orders: Table) -> None:
    t = orders
    total = t.price * t.qty
    assert names(t.select(where=total.between(25, 60))) == ["bob", "fay"]
    assert names(t.select(where=total.is_in([120, 25]))) == ["ada", "bob", "hal"]
    assert names(t.select(where=total.is_not_null())) == ["ada", "bob", "fay", "hal"]
    assert names(t.select(where=t.name.lower().startswith("e"))) == ["Eve"]
    assert names(t.select(where=t.name.upper().like("_Y"))) == ["CY"]
    assert names(t.select(where=(t.name + "!").like("%a_!"))) == ["fay", "hal"]
    assert names(t.select(where=(t.name + "!").like("%a%!"))) == ["ada", "fay", "hal"]
    assert names(t.select(where=t.name.length() == 2)) == ["CY"]
    assert names(t.select(where=t.day.year == 2026)) == ["ada", "hal"]  # the str day has no year
    assert names(t.select(where=t.day.month.is_in([12, 3]))) == ["bob", "hal"]
    assert names(t.select(where=t.day.day.is_null())) == ["CY", "dee", "Eve", "fay", "gus"]
    assert names(t.select(where=t.dept.lower().ilike("O%"))) == ["ada", "CY", "Eve", "gus"]


def test_builtins_abs_and_round(orders: Table) -> None:
    t = orders
    assert names(t.select(where=abs(t.price) >= 30)) == ["ada", "hal"]
    assert names(t.select(where=abs(t.price) == t.price.abs())) == names(t.select())  # the same expression
    assert names(t.select(where=round(t.price) == 2)) == ["bob"]  # half to even: round(2.5) is 2
    assert names(t.select(where=round(t.price, 1) == Decimal("7.5"))) == ["fay"]
    assert names(t.select(where=t.price.round(-1) == -40)) == ["hal"]
    with pytest.raises(TypeError, match="int number of digits"):
        round(t.price, 1.5)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="int number of digits"):
        t.price.round(True)


def test_combining_with_and_or_not(orders: Table) -> None:
    t = orders
    total = t.price * t.qty
    both = (total > 100) & (t.age >= 40)
    either = (total > 100) | (t.name.lower() == "cy")
    assert names(t.select(where=both)) == ["hal"] == matching(both)
    assert names(t.select(where=either)) == ["ada", "CY", "hal"] == matching(either)
    # ~ of a comparison that never holds on None matches the None rows.
    assert names(t.select(where=~(total > 100))) == ["bob", "CY", "dee", "Eve", "fay", "gus"]
    mixed = ((t.dept == "ops") & ~(t.price < t.qty)) | (t.age.between(29, 30) & (total == 60))
    assert names(t.select(where=mixed)) == matching(mixed) == ["ada", "CY", "Eve", "fay", "gus"]


def test_count_delete_and_update_with_expression_predicates(orders: Table) -> None:
    t = orders
    total = t.price * t.qty
    assert t.count(total > 100) == 2
    assert t.count(t.price < t.qty) == 3
    assert t.update({"big": True}, where=total >= 60) == 3
    assert names(t.select(where=t.big == True)) == ["ada", "fay", "hal"]  # noqa: E712
    assert t.delete(t.price < t.qty) == 3
    assert names(t.select()) == ["ada", "CY", "dee", "Eve", "gus"]
    with pytest.raises(RecordNotFoundError):
        t.delete(total > 10**6)
    with pytest.raises(RecordNotFoundError):
        t.update({"big": False}, where=t.price.length() > 5)
    assert t.count() == 5


@pytest.mark.parametrize("index", ["hash", "sorted"])
def test_an_index_serves_the_field_clause_and_the_expression_is_rechecked(index: str) -> None:
    rows = [
        {"dept": f"d{i % 50}", "age": i % 90, "price": i % 17, "qty": (i % 7) or None} for i in range(5000)
    ]
    scanned = DictDB().create_table("scanned")
    scanned.insert([dict(row) for row in rows])
    indexed = DictDB().create_table("indexed")
    indexed.insert([dict(row) for row in rows])
    indexed.create_index("dept", index)
    t = indexed
    wheres = [
        (t.dept == "d7") & (t.price * t.qty > 40),
        (t.dept.is_in(["d1", "d2"])) & (t.price < t.qty),
        (t.dept == "d3") & ~((t.price - t.qty).between(-2, 2)),
        (t.dept == "d4") & ((t.price * t.qty).is_null() | (t.age % 2 == 0)),
    ]
    for where in wheres:
        assert indexed.select(where=where) == scanned.select(where=where)
        assert indexed.count(where) == scanned.count(where) == sum(1 for row in rows if where(row))
        plan = indexed.explain(where)
        assert plan["access"]["op"] == "index", str(plan)
        assert plan["access"]["index"] == "dept"
        assert plan["recheck"] is True
        text = str(plan)
        assert "index 'dept'" in text
        assert "re-check" in text
    # A sorted index on age serves the range; the comparison of two fields is re-checked.
    indexed.create_index("age", "sorted")
    where = (t.age >= 85) & (t.price > t.qty)
    assert indexed.select(where=where) == scanned.select(where=where)
    plan = indexed.explain(where)
    assert plan["access"]["op"] == "index"
    assert plan["access"]["index"] == "age"
    assert plan["recheck"]


def test_update_and_delete_through_an_index_with_an_expression_clause() -> None:
    table = DictDB().create_table("stock")
    table.insert([{"sku": i % 40, "price": i % 13, "qty": i % 5} for i in range(2000)])
    table.create_index("sku", "hash")
    t = table
    where = (t.sku == 3) & (t.price * t.qty >= 24)
    expected = [row["id"] for row in table.select(copy=False) if where(row)]
    assert expected
    assert table.update({"flag": 1}, where=where) == len(expected)
    assert [row["id"] for row in table.select(where=t.flag == 1)] == expected
    assert table.delete(where) == len(expected)
    assert table.count(where) == 0
    assert table.count() == 2000 - len(expected)


def test_reprs_render_the_expression() -> None:
    t = DictDB().create_table("t")
    assert repr(t.price * t.qty) == "<ValueExpr (price * qty)>"
    assert repr((t.price * t.qty - 1).round(2)) == "<ValueExpr ((price * qty) - 1).round(2)>"
    assert repr(-t.a) == "<ValueExpr -a>"
    assert repr(abs(t.a)) == "<ValueExpr a.abs()>"
    assert repr(round(t.a)) == "<ValueExpr a.round(0)>"
    assert repr(t.name.lower().length()) == "<ValueExpr name.lower().length()>"
    assert repr(t.created.year) == "<ValueExpr created.year>"
    assert repr(10 - t.a) == "<ValueExpr (10 - a)>"
    assert repr(t.a + "x") == "<ValueExpr (a + 'x')>"
    assert repr(t.a < t.b) == "<PredicateExpr a < b>"
    assert repr(t.price * t.qty > 100) == "<PredicateExpr (price * qty) > 100>"
    assert repr((t.a + 1).is_in([1, 2])) == "<PredicateExpr (a + 1).is_in([1, 2])>"
    assert repr((t.a * 2).between(1, 5)) == "<PredicateExpr (a * 2).between(1, 5)>"
    assert repr(t.name.lower().startswith("a")) == "<PredicateExpr name.lower().startswith('a')>"
    assert repr(t.a.length().is_null()) == "<PredicateExpr a.length().is_null()>"
    assert (
        repr(t.name.upper().like("A%", escape="!")) == "<PredicateExpr name.upper().like('A%', escape='!')>"
    )
    assert repr((t.dept == "ops") & (t.a < t.b)) == "<PredicateExpr (dept == 'ops' & a < b)>"
    # ~ of a comparison is parenthesised, so it does not read as a comparison of ~a.
    assert repr(~(t.a < t.b)) == "<PredicateExpr ~(a < b)>"
    assert repr(~(t.price * t.qty > 100)) == "<PredicateExpr ~((price * qty) > 100)>"
    assert repr(~(t.a + 1).is_null()) == "<PredicateExpr ~(a + 1).is_null()>"
    assert str(t.explain(t.price * t.qty > 100)).splitlines()[1] == "where: (price * qty) > 100"


def test_a_predicate_is_refused_as_a_value() -> None:
    t = DictDB().create_table("t")
    predicate = t.a > 1
    for build in (
        lambda: t.a + predicate,
        lambda: predicate + t.a,  # reflected: the value's __radd__
        lambda: t.a * (t.b == 2),
        lambda: t.a < predicate,
        lambda: t.a == predicate,
        lambda: (t.a * 2).is_in([1]) | (t.a - predicate),
    ):
        with pytest.raises(TypeError, match="a predicate is not a value"):
            build()


def test_a_predicate_has_no_truth_value() -> None:
    t = DictDB().create_table("t")
    for predicate in (t.a * 2 > 1, t.a < t.b, (t.a + 1).is_null(), t.name.lower() == "x"):
        with pytest.raises(TypeError, match="no truth value"):
            bool(predicate)
    with pytest.raises(TypeError, match="no truth value"):
        1 < t.a * 2 < 5  # noqa: B015
    with pytest.raises(TypeError, match="`in` cannot build"):
        1 in t.a * 2  # noqa: B015


def test_value_expressions_are_immutable_and_unhashable() -> None:
    t = DictDB().create_table("t")
    total = t.price * t.qty
    assert isinstance(total, Computed)
    assert isinstance(total, ValueExpr)
    assert isinstance(t.price, ValueExpr)
    with pytest.raises(AttributeError, match="immutable"):
        total.x = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="unhashable"):
        {total}  # noqa: B018
    assert total.compute({"price": 3, "qty": 2}) == 6
    assert total.compute({"price": 3}) is None


def test_no_record_value_makes_a_query_raise() -> None:
    table = DictDB().create_table("odd")
    odd = [
        None,
        "s",
        b"b",
        [1],
        {"k": 1},
        {1},
        1j,
        math.nan,
        math.inf,
        Decimal("NaN"),
        dt.date.max,
        10**400,
        0,
    ]
    table.insert([{"a": left, "b": right} for left in odd for right in odd])
    t = table
    for where in (
        t.a + t.b > 0,
        t.a * t.b == 0,
        t.a / t.b < 1,
        t.a // t.b >= 0,
        t.a % t.b != 0,
        -t.a < t.b,
        abs(t.a).is_null(),
        round(t.a, 2) > 1,
        t.a.length() > 0,
        t.a.lower() == "s",
        t.a.year > 1,
        (t.a - t.b).between(0, 1),
    ):
        # Every record is evaluated: the query answers, it never raises on a value.
        assert 0 <= table.count(where) <= table.count()
