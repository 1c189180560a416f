"""A join's names: with a schema on both tables, a name no joined row can hold is refused, naming the closest;
computed values work on the rows."""

from __future__ import annotations

import pytest

from dictdb import DictDB, Field, Table
from dictdb.exceptions import UnknownFieldError


@pytest.fixture
def shop() -> tuple[Table, Table]:
    db = DictDB()
    customers = db.create_table("customers", schema={"id": int, "country": str, "limit": float})
    orders = db.create_table("orders", schema={"id": int, "cid": int, "amount": float})
    customers.insert([{"id": 1, "country": "FR", "limit": 50.0}, {"id": 2, "country": "DE", "limit": 5.0}])
    orders.insert([{"cid": 1, "amount": 20.0}, {"cid": 2, "amount": 10.0}, {"cid": 2, "amount": 1.0}])
    return orders, customers


@pytest.mark.parametrize(
    ("call", "role", "name", "close"),
    [
        (
            lambda o, c: o.join(c, ("cid", "id"), where=Field("contry") == "FR"),
            "join where",
            "contry",
            "country",
        ),
        (lambda o, c: o.join(c, ("cid", "id"), where=o.amont > c.limit), "join where", "amont", "amount"),
        (lambda o, c: o.join(c, ("cid", "id"), order_by="-amont"), "join order_by", "amont", "amount"),
        (
            lambda o, c: o.join(c, ("cid", "id"), columns={"x": o.amont * 2}),
            "join columns",
            "amont",
            "amount",
        ),
        (
            lambda o, c: o.join(c, ("cid", "id"), columns=["customers.idd"]),
            "join columns",
            "customers.idd",
            "customers.id",
        ),
        (
            lambda o, c: o.explain_join(c, ("cid", "id"), where=Field("customers.idd") == 1),
            "join where",
            "customers.idd",
            "customers.id",
        ),
    ],
)
def test_a_name_no_row_holds_is_refused(
    shop: tuple[Table, Table], call: object, role: str, name: str, close: str
) -> None:
    orders, customers = shop
    before = (orders.select(), customers.select())
    with pytest.raises(UnknownFieldError) as caught:
        call(orders, customers)  # type: ignore[operator]
    message = str(caught.value)
    assert f"unknown field {name!r}" in message
    assert f"({role})" in message
    assert repr(close) in message
    assert isinstance(caught.value, ValueError)
    assert (orders.select(), customers.select()) == before


def test_the_renamed_right_fields_and_computed_values_are_names_of_the_rows(
    shop: tuple[Table, Table],
) -> None:
    orders, customers = shop
    rows = orders.join(
        customers,
        ("cid", "id"),
        where=(orders.amount * 10 > Field("limit")) & (Field("customers.id") == 2),
        columns={"order": "id", "over": orders.amount - Field("limit")},
        order_by=-(orders.amount - Field("limit")),
    )
    assert rows == [{"order": 2, "over": 5.0}, {"order": 3, "over": -4.0}]
    plan = orders.explain_join(customers, ("cid", "id"), order_by=-(orders.amount * 2))
    assert plan["order"] == {"by": ["-(amount * 2)"]}


def test_without_both_schemas_a_missing_name_reads_as_none() -> None:
    db = DictDB()
    left, right = db.create_table("l"), db.create_table("r", schema={"id": int})
    left.insert({"rid": 1})
    right.insert({"id": 1})
    assert left.join(right, ("rid", "id"), where=Field("nothing").is_null(), columns=["nothing"]) == [
        {"nothing": None}
    ]
