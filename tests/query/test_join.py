"""``Table.join``: every result equals a nested-loop join over the same records, order included; plus the
names, the errors and the plan ``explain_join`` prints."""

from __future__ import annotations

import doctest
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dictdb.table_join
from dictdb import DictDB, Field, Table
from dictdb._core import _records_py
from dictdb.query import join, join_explain

Record = dict[Any, Any]

# Join keys: equal across types (1, 1.0, True), NULL-like (None, NaN, missing), unhashable (a list).
keys = st.sampled_from([0, 1, 1.0, True, 2, "1", "x", None, math.nan, [1], (1, 2)])
values = st.sampled_from([0, 1, 2, 3, None, "a", "b"])


def records(fields: tuple[str, ...]) -> st.SearchStrategy[list[Record]]:
    record = st.fixed_dictionaries({}, optional={"k": keys, **dict.fromkeys(fields, values)})
    return st.lists(record, max_size=8)


def _usable(key: Any) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return key is not None and bool(key == key)


def nested_loop(
    lefts: list[Record], rights: list[Record], on: tuple[str, str], how: str, right_name: str
) -> list[Record]:
    """The join as its definition says it, one pair at a time."""
    rows = []
    for left in lefts:
        matched = False
        for right in rights:
            a, b = left.get(on[0]), right.get(on[1])
            if _usable(a) and _usable(b) and a == b:
                matched = True
                row = dict(left)
                for name, value in right.items():
                    row[f"{right_name}.{name}" if name in left else name] = value
                rows.append(row)
        if how == "left" and not matched:
            rows.append(dict(left))
    return rows


# Parts of a where, over the names a joined row can hold.
row_names = ["a", "b", "c", "k", "id", "customers.id", "customers.k", "customers.a"]
parts = st.one_of(
    st.builds(lambda n, v: Field(n) == v, st.sampled_from(row_names), values),
    st.builds(lambda n, v: Field(n) >= v, st.sampled_from(row_names), st.sampled_from([0, 1, 2])),
    st.builds(lambda n: Field(n).is_null(), st.sampled_from(row_names)),
    st.builds(
        lambda n, m: (Field(n) == 1) | (Field(m) == 2), st.sampled_from(row_names), st.sampled_from(row_names)
    ),
)
access = st.sampled_from(["none", "hash", "sorted", "pk"])


def _build(lefts: list[Record], rights: list[Record], index: str) -> tuple[Table, Table]:
    orders, customers = Table("orders"), Table("customers")
    orders.insert(lefts)
    customers.insert(rights)
    if index == "hash" and all(_hashable(r.get("k")) for r in rights):
        customers.create_index("k")
    elif index == "sorted":
        customers.create_index("k", "sorted")
    return orders, customers


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    lefts=records(("a", "b")),
    rights=records(("a", "c")),
    index=access,
    how=st.sampled_from(["inner", "left"]),
    where=st.lists(parts, max_size=3),
    order=st.lists(st.sampled_from([*row_names, "-a", "-customers.id"]), max_size=2),
    limit=st.sampled_from([None, 0, 1, 3]),
    columns=st.sampled_from([None, ["id", "customers.id", "c"], {"who": "a", "key": "k"}]),
)
def test_join_equals_a_nested_loop(
    lefts: list[Record],
    rights: list[Record],
    index: str,
    how: str,
    where: list[Any],
    order: list[str],
    limit: int | None,
    columns: Any,
) -> None:
    orders, customers = _build(lefts, rights, index)
    on = ("k", "id") if index == "pk" else ("k", "k")
    predicate = None
    for part in where:
        predicate = part if predicate is None else predicate & part
    got = orders.join(
        customers, on, how=how, where=predicate, columns=columns, order_by=order or None, limit=limit
    )
    want = nested_loop(orders.all(), customers.all(), on, how, "customers")
    if predicate is not None:
        want = [row for row in want if predicate(row)]
    if order:
        parsed = [(name.lstrip("-"), name.startswith("-")) for name in order]
        want = _records_py.sort_records(want, parsed)
    if limit is not None:
        want = want[:limit]
    if columns is not None:
        pairs = list(columns.items()) if isinstance(columns, dict) else [(name, name) for name in columns]
        want = _records_py.project(want, pairs)
    assert got == want
    assert [list(row) for row in got] == [list(row) for row in want]  # the fields' order too
    orders.explain_join(customers, on, how=how, where=predicate, order_by=order or None, limit=limit)


@pytest.fixture
def shop() -> tuple[Table, Table]:
    customers = Table("customers", schema={"name": str, "country": str})
    customers.insert([{"name": "ada", "country": "FR"}, {"name": "bob", "country": "DE"}])
    orders = Table("orders")
    orders.insert([{"cid": 2, "amount": 5}, {"cid": 1, "amount": 30}, {"cid": 3, "amount": 7}])
    return orders, customers


def test_clashing_names_take_the_right_tables_name(shop: tuple[Table, Table]) -> None:
    orders, customers = shop
    rows = orders.join(customers, ("cid", "id"))
    assert rows == [
        {"cid": 2, "amount": 5, "id": 1, "name": "bob", "country": "DE", "customers.id": 2},
        {"cid": 1, "amount": 30, "id": 2, "name": "ada", "country": "FR", "customers.id": 1},
    ]
    assert list(rows[0]) == ["cid", "amount", "id", "name", "country", "customers.id"]
    assert orders.join(customers, ("cid", "id"), where=Field("customers.id") == 1, columns=["amount"]) == [
        {"amount": 30}
    ]


def test_rows_are_new_dicts(shop: tuple[Table, Table]) -> None:
    orders, customers = shop
    for row in orders.join(customers, ("cid", "id"), how="left"):
        row["amount"] = -1
    assert [r["amount"] for r in orders.all()] == [5, 30, 7]


def test_left_join_keeps_rows_without_a_match_and_does_not_push_right_parts(
    shop: tuple[Table, Table],
) -> None:
    orders, customers = shop
    where = customers.country.is_null()
    assert orders.join(customers, ("cid", "id"), how="left", where=where) == [
        {"cid": 3, "amount": 7, "id": 3}
    ]
    plan = orders.explain_join(customers, ("cid", "id"), how="left", where=where)
    assert plan["pushed"] == {"left": None, "right": None}
    assert plan["joined_where"] == "country.is_null()"


def test_tables_of_different_databases_join() -> None:
    a, b = DictDB(), DictDB()
    a.create_table("t")
    b.create_table("u")
    a.get_table("t").insert({"k": 1})
    b.get_table("u").insert({"k": 1.0, "v": "x"})
    assert a.get_table("t").join(b.get_table("u"), "k") == [
        {"k": 1, "id": 1, "u.k": 1.0, "u.id": 1, "v": "x"}
    ]


def test_self_join() -> None:
    staff = Table("staff")
    staff.insert([{"name": "ada"}, {"name": "bob", "boss": 1}])
    rows = staff.join(staff, ("boss", "id"), columns={"who": "name", "boss": "staff.name"})
    assert rows == [{"who": "bob", "boss": "ada"}]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda o, c: o.join(c, "cid", how="outer"), ValueError, "how must be 'inner' or 'left'"),
        (lambda o, c: o.join([{"id": 1}], "cid"), TypeError, "join takes a Table"),
        (lambda o, c: o.join(c, ["cid", "id"]), TypeError, "tuple, not a list"),
        (lambda o, c: o.join(c, ("cid",)), ValueError, "pair"),
        (lambda o, c: o.join(c, None), TypeError, "not None"),
        (lambda o, c: o.join(c, {"cid"}), TypeError, "hashable"),
        (lambda o, c: o.join(c, ("cid", "nope")), ValueError, "no field 'nope'"),
        (lambda o, c: o.join(c, ("cid", "id"), where="x"), TypeError, "predicate"),
        (lambda o, c: o.join(c, ("cid", "id"), limit="2"), TypeError, "limit"),
        (lambda o, c: o.join(c, ("cid", "id"), columns="name"), TypeError, "columns"),
        (lambda o, c: o.explain_join(c, "cid", how=None), ValueError, "how must be"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    shop: tuple[Table, Table], call: Any, error: type[Exception], message: str
) -> None:
    orders, customers = shop
    before = (orders.all(), customers.all())
    with pytest.raises(error, match=message):
        call(orders, customers)
    assert (orders.all(), customers.all()) == before


def test_explain_names_the_probe_and_the_pushed_parts() -> None:
    customers = Table("customers")
    customers.insert([{"country": f"c{i % 10}", "code": i} for i in range(200)])
    orders = Table("orders")
    orders.insert([{"cid": i % 200, "amount": i} for i in range(1000)])
    orders.create_index("amount", "sorted")
    where = (
        (orders.amount >= 990)
        & (customers.country == "c3")
        & (Field("customers.id").is_in([3, 13]) | (orders.amount == 999))
    )
    plan = orders.explain_join(customers, ("cid", "id"), where=where, order_by="-amount", limit=2)
    assert plan["probe"] == {
        "side": "right", "table": "customers", "field": "id", "method": "hash table", "records": 200,
        "filtered": True,
    }  # fmt: skip
    assert plan["pushed"]["left"]["access"]["op"] == "index"
    assert plan["pushed"]["right"]["where"] == "country == 'c3'"
    assert plan["joined_where"] is not None
    text = str(plan)
    assert "pushed to 'orders': amount >= 990" in text
    assert "sorted index 'amount', range" in text
    assert "order by -amount: sort of the joined rows" in text
    assert "limit 2" in text
    customers.create_index("code", "sorted")
    plan = orders.explain_join(customers, ("cid", "code"))
    assert plan["probe"]["method"] == "index"
    assert "probe: sorted index 'code' of 'customers', once per left row" in str(plan)
    assert orders.explain_join(customers, ("amount", "country"))["probe"]["records"] == 200


def test_a_join_inside_a_transaction_sees_its_writes() -> None:
    db = DictDB()
    db.create_table("orders")
    db.create_table("customers")
    with db.transaction():
        orders, customers = db.get_table("orders"), db.get_table("customers")
        customers.insert({"name": "ada"})
        orders.insert({"cid": 1})
        assert orders.join(customers, ("cid", "id"), columns=["name"]) == [{"name": "ada"}]


@pytest.mark.parametrize("module", [dictdb.table_join, join, join_explain], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_joins_guide_examples() -> None:
    guide = Path(__file__).resolve().parents[2] / "docs" / "joins.md"
    result = doctest.testfile(str(guide), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5
    assert result.failed == 0
