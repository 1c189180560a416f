"""Table.aggregate with computed values, CountDistinct and having, through the public API (once per core)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dictdb
from dictdb import Avg, Count, CountDistinct, DictDB, Field, Max, Min, Sum, Table
from tests.core.test_aggregate import compute, is_nan, same, same_key


@pytest.fixture
def orders() -> Table:
    table = DictDB().create_table("orders")
    table.insert(
        [
            {"created": dt.date(2024, 1, 3), "price": 10, "qty": 2, "who": "Ada"},
            {"created": dt.date(2024, 2, 9), "price": 5, "qty": 1, "who": "bob"},
            {"created": dt.date(2024, 1, 20), "price": 2.5, "qty": 4, "who": "ada"},
            {"created": dt.datetime(2024, 2, 1, 8), "price": 1, "qty": None, "who": "Bob"},
            {"created": dt.date(2025, 1, 1), "price": -3, "qty": 1, "who": None},
        ]
    )
    return table


def test_count_distinct_is_public() -> None:
    assert "CountDistinct" in dictdb.__all__
    assert dictdb.CountDistinct is CountDistinct


def test_group_by_a_named_expression(orders: Table) -> None:
    rows = orders.aggregate(
        group_by={"month": orders.created.month}, revenue=Sum(orders.price * orders.qty), n=Count()
    )
    assert rows == [{"month": 1, "revenue": 27.0, "n": 3}, {"month": 2, "revenue": 5, "n": 2}]


def test_a_mapping_mixes_renamed_fields_and_expressions(orders: Table) -> None:
    rows = orders.aggregate(
        group_by={"year": orders.created.year, "buyer": orders.who.lower(), "m": "qty"}, n=Count(), limit=2
    )
    assert rows == [
        {"year": 2024, "buyer": "ada", "m": 2, "n": 1},
        {"year": 2024, "buyer": "bob", "m": 1, "n": 1},
    ]
    assert orders.aggregate(group_by={"w": Field("who")}, n=Count())[0] == {"w": "Ada", "n": 1}


def test_aggregates_over_expressions(orders: Table) -> None:
    result = orders.aggregate(
        total=Sum(orders.price * orders.qty),
        mean=Avg(orders.price.abs()),
        last=Max(orders.created.year),
        first=Min(orders.created.month),
        priced=Count(orders.price * orders.qty),
        buyers=CountDistinct(orders.who.lower()),
    )
    assert result == {"total": 32.0, "mean": 4.3, "last": 2025, "first": 1, "priced": 4, "buyers": 2, **{}}


def test_count_distinct_follows_python_equality() -> None:
    table = Table("t")
    table.insert([{"v": 1}, {"v": 1.0}, {"v": True}, {"v": "1"}, {"v": None}, {}, {"v": 2}])
    assert table.aggregate(d=CountDistinct("v"), e=CountDistinct(Field("v"))) == {"d": 3, "e": 3}
    grouped = table.aggregate(group_by="v", d=CountDistinct("v"))
    assert [row["d"] for row in grouped] == [1, 1, 0, 1]  # the None group counts no value


def test_having_filters_before_order_and_limit(orders: Table) -> None:
    month = {"month": orders.created.month}
    rows = orders.aggregate(group_by=month, n=Count(), having=Field("n") > 2)
    assert rows == [{"month": 1, "n": 3}]
    rows = orders.aggregate(
        group_by="who",
        n=Count(),
        total=Sum("price"),
        having=(Field("total") >= 1) | Field("who").is_null(),
        order_by="-total",
        limit=2,
    )
    assert rows == [{"who": "Ada", "n": 1, "total": 10}, {"who": "bob", "n": 1, "total": 5}]
    # having may read a group's name and compare two aggregates.
    rows = orders.aggregate(
        group_by=month, lo=Min("price"), hi=Max("price"), having=Field("hi") > Field("lo") * 5
    )
    assert rows == [{"month": 1, "lo": -3, "hi": 10}]
    assert orders.aggregate(group_by=month, n=Count(), having=Field("n") > 99) == []


def test_reprs_equality_and_hashes_of_aggregates_over_expressions(orders: Table) -> None:
    revenue = Sum(orders.price * orders.qty)
    assert repr(revenue) == "Sum(price * qty)"
    assert repr(Max(orders.created.year)) == "Max(created.year)"
    assert repr(Count(-orders.qty)) == "Count(-qty)"
    assert repr(Avg((orders.price * orders.qty).round(1))) == "Avg((price * qty).round(1))"
    assert repr(Min(orders.price - orders.qty * 2)) == "Min(price - (qty * 2))"
    assert repr(CountDistinct("who")) == "CountDistinct('who')"
    assert revenue == Sum(Field("price") * Field("qty"))
    assert revenue != Sum(orders.price * orders.price)
    assert revenue != Avg(orders.price * orders.qty)
    assert Sum(orders.price) == Sum("price")  # a Field is its name
    assert len({revenue, Sum(Field("price") * Field("qty")), Sum("price"), CountDistinct("price")}) == 3
    listed = Sum(orders.price * [1])  # a constant that is not hashable: the aggregate still hashes
    assert listed == Sum(orders.price * [1])
    assert hash(listed) == hash(Sum(orders.price * [1]))
    assert revenue.field.value_plan == ("mul", ("field", "price"), ("field", "qty"))
    assert Sum(orders.price).field == "price"


def test_bad_requests_raise_before_any_work(orders: Table) -> None:
    with pytest.raises(
        TypeError, match=r"is a computed value, which needs a name.*group_by=\{'name': expression\}"
    ):
        orders.aggregate(group_by=[orders.created.month], n=Count())
    with pytest.raises(TypeError, match="needs a name"):
        orders.aggregate(group_by=orders.created.month, n=Count())
    with pytest.raises(ValueError, match="having filters grouped rows: pass group_by"):
        orders.aggregate(n=Count(), having=Field("n") > 1)
    with pytest.raises(TypeError, match=r"having must be a predicate .* not str"):
        orders.aggregate(group_by="who", n=Count(), having="n > 1")
    with pytest.raises(
        ValueError, match=r"having reads 'price', which the grouped rows do not hold: they hold 'who', 'n'"
    ):
        orders.aggregate(group_by="who", n=Count(), having=Field("price") > 1)
    with pytest.raises(TypeError, match=r"must be Count\(...\).*or CountDistinct\(...\), not int 3"):
        orders.aggregate(n=3)
    with pytest.raises(TypeError, match=r"Sum\(\) takes a field name .* not PredicateExpr"):
        Sum(orders.price > 1)
    with pytest.raises(TypeError, match=r"group_by\['m'\] takes a field name"):
        orders.aggregate(group_by={"m": orders.price > 1}, n=Count())
    with pytest.raises(ValueError, match="has the name of a group_by field"):
        orders.aggregate(group_by={"n": orders.created.month}, n=Count())
    with pytest.raises(ValueError, match="group_by names no field"):
        orders.aggregate(group_by={}, n=Count())
    with pytest.raises(TypeError, match=r"CountDistinct\(\) takes a field name"):
        CountDistinct(None)
    orders.insert({"tags": ["x"]})
    with pytest.raises(TypeError, match=r"aggregate 'd' = CountDistinct\('tags'\) got list"):
        orders.aggregate(d=CountDistinct("tags"))


def test_the_column_store_answers_plain_fields_and_steps_aside_for_expressions(orders: Table) -> None:
    plain = {"n": Count(), "total": Sum("qty")}
    expected = orders.aggregate(group_by={"p": "price"}, **plain)
    computed = {"n": Count(), "total": Sum(orders.qty * 2)}
    expected_computed = orders.aggregate(group_by={"p": orders.price.abs()}, **computed)
    for field in ("price", "qty"):
        orders.create_index(field, "column")
    plan = orders.explain(group_by={"p": "price"}, aggregates=plain)
    assert plan["compute"]["method"] == "column vectors"
    assert orders.aggregate(group_by={"p": "price"}, **plain) == expected
    assert list(expected[0]) == ["p", "n", "total"]
    for group_by, aggregates in (
        ({"p": orders.price.abs()}, computed),
        ("price", computed),
        ({"p": orders.price.abs()}, plain),
    ):
        assert orders.explain(group_by=group_by, aggregates=aggregates)["compute"]["method"] == "records"
    assert orders.aggregate(group_by={"p": orders.price.abs()}, **computed) == expected_computed
    assert orders.explain(aggregates={"d": CountDistinct("qty")})["compute"]["method"] == "records"
    assert orders.aggregate(d=CountDistinct("qty"), having=None) == {"d": 3}


def test_explain_shows_computed_groups_and_having(orders: Table) -> None:
    plan = orders.explain(
        group_by={"month": orders.created.month, "who": "who"},
        aggregates={"n": Count(), "revenue": Sum(orders.price * orders.qty)},
        having=Field("n") > 1,
        order_by="-n",
    )
    compute = plan["compute"]
    assert compute["group_by"] == ["month = created.month", "who"]
    assert compute["having"] == "n > 1"
    assert str(plan).endswith(
        "compute: aggregate n, revenue over the records found, grouped by month = created.month, who, "
        "having n > 1, ordered by -n"
    )
    with pytest.raises(ValueError, match="aggregates="):
        orders.explain(having=Field("n") > 1)


# --- differential: grouped aggregates over random records against a plain-Python loop ------------------

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-4, 4),
    st.floats(allow_nan=True, allow_infinity=False, width=16),
    st.sampled_from([math.nan, 0.5, Decimal("1.5"), Decimal("NaN"), "a", "B", (1,)]),
)
RECORDS = st.lists(st.dictionaries(st.sampled_from(["g", "x", "y"]), VALUES, max_size=3), max_size=25)
EXPRESSIONS = {
    "x": Field("x"),
    "x * y": Field("x") * Field("y"),
    "x % 3": Field("x") % 3,
    "-y": -Field("y"),
    "g.lower()": Field("g").lower(),
}
GROUPS = [None, "g", ["g", "x"], {"k": "x % 3"}, {"k": "g.lower()", "m": "-y"}, {"g": "x"}]
KINDS = {"count": Count, "sum": Sum, "avg": Avg, "min": Min, "max": Max, "count_distinct": CountDistinct}


def distinct(present: list[Any]) -> int:
    seen: list[Any] = []
    nan = False
    for value in present:
        hash(value)  # TypeError for an unhashable value, as documented
        if is_nan(value):
            nan = True
        elif not any(value == other for other in seen):
            seen.append(value)
    return len(seen) + nan


def oracle(
    rows: list[dict[str, Any]], group_by: Any, specs: list[tuple[str, str, str]], least: int | None
) -> Any:
    """The documented rules, the long way: each group's records in a list, then each aggregate from them."""
    if group_by is None:
        named: dict[Any, Any] = {}
    elif isinstance(group_by, dict):
        named = {name: EXPRESSIONS[text] for name, text in group_by.items()}
    else:
        named = {name: Field(name) for name in ([group_by] if isinstance(group_by, str) else group_by)}
    groups: list[tuple[tuple[Any, ...], list[dict[str, Any]]]] = []
    for row in rows:
        key = tuple(expr.compute(row) for expr in named.values())
        for value in key:
            hash(value)
        for seen, members in groups:
            if same_key(seen, key):
                members.append(row)
                break
        else:
            groups.append((key, [row]))
    if not named and not groups:
        groups.append(((), []))
    out = []
    for key, members in groups:
        result = dict(zip(named, key, strict=True))
        result["n"] = len(members)
        for name, kind, text in specs:
            present = [
                value for value in (EXPRESSIONS[text].compute(row) for row in members) if value is not None
            ]
            result[name] = (
                distinct(present) if kind == "count_distinct" else compute(kind, present, len(members))
            )
        out.append(result)
    if named and least is not None:
        out = [row for row in out if row["n"] >= least]
    return out if named else out[0]


@settings(max_examples=300, deadline=None)
@given(
    rows=RECORDS,
    group_by=st.sampled_from(GROUPS),
    chosen=st.lists(
        st.tuples(st.sampled_from(sorted(KINDS)), st.sampled_from(sorted(EXPRESSIONS))), max_size=4
    ),
    least=st.none() | st.integers(0, 4),
    column=st.booleans(),
)
def test_grouped_aggregates_agree_with_a_plain_loop(
    rows: list[dict[str, Any]], group_by: Any, chosen: list[tuple[str, str]], least: int | None, column: bool
) -> None:
    specs = [(f"a{i}", kind, text) for i, (kind, text) in enumerate(chosen)]
    least = None if group_by is None else least
    table = Table("t")
    table.insert([dict(row) for row in rows])
    if column:
        for field in ("g", "x", "y"):
            table.create_index(field, "column")
    group_arg = (
        {name: EXPRESSIONS[text] for name, text in group_by.items()}
        if isinstance(group_by, dict)
        else group_by
    )
    aggregates = {name: KINDS[kind](EXPRESSIONS[text]) for name, kind, text in specs}
    having = None if least is None else Field("n") >= least
    try:
        expected: Any = oracle(rows, group_by, specs, least)
    except TypeError:
        expected = TypeError
    try:
        got: Any = table.aggregate(group_by=group_arg, having=having, n=Count(), **aggregates)
    except TypeError:
        got = TypeError
    if expected is TypeError:
        assert got is TypeError
    else:
        assert same(got, expected), (got, expected)
