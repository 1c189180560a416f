"""Names that are not fields: with a schema, a field name the schema does not have is refused where it is
used, before anything changes; without one, a missing field reads as ``None``. And a call of a name that is
not a method is an ``AttributeError`` that suggests the method."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import pytest

from dictdb import Avg, Count, DictDB, Field, Max, Min, SchemaValidationError, Sum, Table, UnknownFieldError
from dictdb.query.checked import check_where
from dictdb.query.table_field import TableField
from tests.support.snapshots import snapshot


@pytest.fixture
def users() -> Table:
    table = DictDB().create_table("users", schema={"name": str, "age": int, "city": str})
    table.insert(
        [
            {"name": "ada", "age": 36, "city": "Oslo"},
            {"name": "bob", "age": 17, "city": "Rome"},
            {"name": "cy", "age": 52, "city": "Oslo"},
        ]
    )
    table.create_index("city")
    return table


def state(table: Table) -> dict[str, Any]:
    """Records, counter, change tracking and index definitions: what a refused call must leave as it was."""
    definitions = {name: index.definition for name, index in table.indexes.items()}
    return {**snapshot(table), "indexes": definitions}


ROLES = [
    ("where", lambda t: t.select(where=t.nmae == "ada"), "nmae", "name"),
    ("where", lambda t: t.select(where=(t.age > 1) & ~t.cty.is_null()), "cty", "city"),
    ("columns", lambda t: t.select(["name", "agee"]), "agee", "age"),
    ("columns", lambda t: t.select({"years": "agee"}), "agee", "age"),
    ("columns", lambda t: t.select([("years", "agee")]), "agee", "age"),
    ("columns", lambda t: t.select([t.nme]), "nme", "name"),
    ("order_by", lambda t: t.select(order_by="-agee"), "agee", "age"),
    ("order_by", lambda t: t.select(order_by=["name", t.cit]), "cit", "city"),
    ("group_by", lambda t: t.aggregate(group_by="citi", n=Count()), "citi", "city"),
    ("aggregate 'n'", lambda t: t.aggregate(n=Count("nam")), "nam", "name"),
    ("aggregate 'total'", lambda t: t.aggregate(total=Sum("ag")), "ag", "age"),
    ("aggregate 'mean'", lambda t: t.aggregate(group_by="city", mean=Avg(t.agee)), "agee", "age"),
    ("aggregate 'low'", lambda t: t.aggregate(low=Min("ages")), "ages", "age"),
    ("aggregate 'high'", lambda t: t.aggregate(high=Max("ages")), "ages", "age"),
    ("where", lambda t: t.aggregate(where=t.agee > 1, n=Count()), "agee", "age"),
    ("where", lambda t: t.count(t.citty == "Oslo"), "citty", "city"),
    ("where", lambda t: t.count((t.age > 1) | (t.nmae == "x")), "nmae", "name"),
    ("where", lambda t: t.count((t.age > 1) & ((t.city == "Oslo") | t.nam.is_in(["x"]))), "nam", "name"),
    ("where", lambda t: t.delete(where=t.nam == "ada"), "nam", "name"),
    ("where", lambda t: t.update({"age": 1}, where=t.nam == "ada"), "nam", "name"),
    ("update", lambda t: t.update({"agee": 1}), "agee", "age"),
    ("update", lambda t: t.update({"agee": 1}, where=t.name == "nobody"), "agee", "age"),
    ("create_index", lambda t: t.create_index("agee"), "agee", "age"),
    ("create_index", lambda t: t.create_index(["city", "nmae"], "sorted"), "nmae", "name"),
    ("where", lambda t: t.explain(t.agee > 3), "agee", "age"),
    ("order_by", lambda t: t.explain(order_by="nme"), "nme", "name"),
    ("group_by", lambda t: t.explain(group_by="cty", aggregates={"n": Count()}), "cty", "city"),
    ("aggregate 'n'", lambda t: t.explain(aggregates={"n": Sum("agee")}), "agee", "age"),
    ("where", lambda t: t.export_jsonl("/nonexistent/out.jsonl", where=t.agee > 1), "agee", "age"),
]


@pytest.mark.parametrize(("role", "call", "name", "closest"), ROLES)
def test_an_unknown_field_is_named_with_its_table_role_and_closest_names(
    users: Table, role: str, call: Any, name: str, closest: str
) -> None:
    before = state(users)
    with pytest.raises(UnknownFieldError) as caught:
        call(users)
    message = str(caught.value)
    assert f"unknown field {name!r} in table 'users' ({role})" in message
    assert f"did you mean {closest!r}" in message
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, SchemaValidationError)  # as an update's unknown field always was
    assert state(users) == before


def test_a_name_close_to_nothing_lists_the_schema(users: Table) -> None:
    with pytest.raises(
        ValueError, match=r"unknown field 'zz' .*; its fields are 'name', 'age', 'city', 'id'$"
    ):
        users.select(where=users.zz == 1)
    with pytest.raises(ValueError, match=r"unknown field 3 in table 'users' \(where\); its fields are"):
        users.select(where=users.field(3) == 1)


def test_export_csv_columns_are_checked_before_the_file_is_touched(users: Table, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old")
    with pytest.raises(UnknownFieldError, match=r"'nmae' in table 'users' \(export_csv columns\); did you"):
        users.export_csv(path, columns=["id", "nmae"])
    with pytest.raises(UnknownFieldError, match=r"'agee' in table 'users' \(where\)"):
        users.export_csv(path, where=users.agee > 1)
    assert path.read_text() == "old"
    assert users.export_csv(path, columns=["id", "name"], where=users.age > 30) == 2


def test_known_names_and_the_primary_key_pass(users: Table) -> None:
    rows = users.select({"key": "id", "who": users.name}, where=users.id >= 2, order_by=["-age", "id"])
    assert rows == [{"key": 3, "who": "cy"}, {"key": 2, "who": "bob"}]
    assert users.aggregate(group_by="city", order_by="-n", n=Count("age"), top=Max("id"))[0] == {
        "city": "Oslo",
        "n": 2,
        "top": 3,
    }
    users.create_index(["city", "id"], "sorted")
    assert users.count(users.city == "Oslo") == 2
    assert users.count((users.age > 1) & ~((users.city == "Rome") | users.name.is_null())) == 2
    assert users.delete(where=users.age.is_in([17]) & users.city.startswith("R")) == 1
    assert users.update({"age": 37}, where=users.name == "ada") == 1


def test_aggregate_order_by_names_the_rows_columns_not_the_schemas(users: Table) -> None:
    rows = users.aggregate(group_by="city", order_by="-mean", mean=Avg("age"))
    assert [row["city"] for row in rows] == ["Oslo", "Rome"]


def test_computed_where_plans_are_walked_for_their_fields(users: Table) -> None:
    # The plan forms of computed values: a comparison of two value plans, and a test of one.
    cmp_plan = ("cmp", "lt", ("field", "age"), ("mul", ("field", "agee"), ("const", 2)))
    of_plan = ("of", ("add", ("field", "nmae"), ("const", 1)), ("gt", None, 3))
    with pytest.raises(UnknownFieldError, match="'agee'"):
        check_where(users, cmp_plan)
    with pytest.raises(UnknownFieldError, match="'nmae'"):
        check_where(users, of_plan)
    check_where(users, ("cmp", "lt", ("field", "age"), ("field", "id")))


def test_a_refused_update_inside_a_transaction_changes_nothing() -> None:
    db = DictDB()
    table = db.create_table("t", schema={"x": int})
    table.insert({"x": 1})
    before = state(table)
    with db.transaction():
        with pytest.raises(UnknownFieldError):
            table.update({"y": 2})
        with pytest.raises(UnknownFieldError):
            table.create_index("y")
    assert state(table) == before


def test_without_a_schema_a_missing_field_reads_as_none() -> None:
    t = Table("t")
    t.insert([{"x": 1}, {"x": 2, "y": 3}])
    assert t.select(["x", "nope"], where=t.nope.is_null(), order_by="-nope") == [
        {"x": 1, "nope": None},
        {"x": 2, "nope": None},
    ]
    assert t.aggregate(group_by="nope", n=Count("nope"), s=Sum("nope")) == [{"nope": None, "n": 0, "s": None}]
    assert t.count(t.nope == 1) == 0
    t.create_index(["x", "nope"])
    assert t.update({"nope": 5}, where=t.x == 1) == 1
    assert t.get(1) == {"x": 1, "id": 1, "nope": 5}


@pytest.mark.parametrize(
    ("name", "suggested"),
    [
        ("insert_many", "'insert'"),
        ("selct", "'select'"),
        ("create_indexes", "'create_index'"),
        ("delet", "'delete'"),
        ("updte", "'update'"),
    ],
)
def test_calling_a_name_that_is_not_a_method_suggests_the_method(
    users: Table, name: str, suggested: str
) -> None:
    before = state(users)
    with pytest.raises(AttributeError) as caught:
        getattr(users, name)([{"name": "x"}])
    message = str(caught.value)
    assert message.startswith(f"Table 'users' has no method {name!r}; did you mean {suggested}")
    assert "not callable" not in message
    assert state(users) == before


def test_calling_a_name_far_from_every_method_names_no_method() -> None:
    t = Table("plain")
    with pytest.raises(
        AttributeError, match=r"^Table 'plain' has no method 'frobnicate' \(table\.frobnicate"
    ):
        t.frobnicate()
    with pytest.raises(AttributeError, match="has no method 'wxyz'"):
        t.field("wxyz")(1, key=2)


def test_a_table_field_is_a_field_in_every_other_way() -> None:
    t = Table("t")
    t.insert([{"age": 20, "name": "Ada"}, {"age": 10}])
    age = t.age
    assert isinstance(age, Field)
    assert isinstance(age, TableField)
    assert repr(age) == "Field('age')" == repr(t.field("age"))
    assert age.name == "age"
    assert t.select(["id"], where=(age >= 18) & t.name.ilike("a%")) == [{"id": 1}]
    assert t.select(["id"], where=age.between(5, 15) | age.is_in([99])) == [{"id": 2}]
    assert (~(age == 20))({"age": 10}) is True
    for copied in (pickle.loads(pickle.dumps(age)), copy.copy(age), copy.deepcopy(age)):
        assert type(copied) is TableField
        assert copied.name == "age"
        assert copied.table_name == "t"
        assert t.select(["id"], where=copied > 15) == [{"id": 1}]
        with pytest.raises(AttributeError, match="Table 't' has no method 'age'"):
            copied()
    with pytest.raises(TypeError):
        hash(age)
