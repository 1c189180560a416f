"""End to end through the public API: a database, a table, inserts, get and select with predicates."""

from __future__ import annotations

import pytest

import dictdb
from dictdb import DictDB, DuplicateKeyError, DuplicateTableError, Table, TableNotFoundError


@pytest.fixture
def users() -> Table:
    table = DictDB().create_table("users")
    for name, age in [("ada", 36), ("bob", 17), ("cy", 52), ("dee", 17)]:
        table.insert({"name": name, "age": age})
    return table


def test_create_and_get_table() -> None:
    db = DictDB()
    table = db.create_table("users", primary_key="uid")
    assert db.get_table("users") is table
    assert db.tables == {"users": table}
    assert table.primary_key == "uid"
    with pytest.raises(DuplicateTableError, match="'users' already exists"):
        db.create_table("users")
    with pytest.raises(TableNotFoundError, match="no table 'nope'"):
        db.get_table("nope")


def test_insert_assigns_pks_and_writes_them_back() -> None:
    table = Table("t")
    record = {"x": 1}
    assert table.insert(record) == 1
    assert record == {"x": 1, "id": 1}
    assert table.insert({"x": 2}) == 2
    assert table.insert({"id": 10, "x": 3}) == 10
    assert table.insert({"x": 4}) == 11
    assert len(table) == 4


def test_insert_stores_a_copy() -> None:
    table = Table("t")
    record = {"x": 1}
    table.insert(record)
    record["x"] = 99
    assert table.get(1) == {"x": 1, "id": 1}


def test_insert_duplicate_pk_changes_nothing() -> None:
    table = Table("t")
    table.insert({"id": 1, "x": 1})
    with pytest.raises(DuplicateKeyError, match="primary key 1"):
        table.insert({"id": 1, "x": 2})
    assert table.select() == [{"id": 1, "x": 1}]


def test_insert_refuses_non_dict() -> None:
    with pytest.raises(TypeError, match="must be a dict"):
        Table("t").insert([("id", 1)])  # type: ignore[arg-type]


def test_get_returns_a_copy_or_default(users: Table) -> None:
    got = users.get(1)
    assert got == {"name": "ada", "age": 36, "id": 1}
    got["age"] = 0
    assert users.get(1)["age"] == 36
    assert users.get(999) is None
    assert users.get(999, default="none") == "none"


def test_select_all_in_insertion_order(users: Table) -> None:
    assert [r["name"] for r in users.select()] == ["ada", "bob", "cy", "dee"]


def test_select_with_field_comparisons(users: Table) -> None:
    assert [r["name"] for r in users.select(where=users.age >= 18)] == ["ada", "cy"]
    assert [r["name"] for r in users.select(where=users.age == 17)] == ["bob", "dee"]
    assert [r["name"] for r in users.select(where=users.name != "bob")] == ["ada", "cy", "dee"]
    assert [r["name"] for r in users.select(where=users.age < 20)] == ["bob", "dee"]


def test_select_and_or_not(users: Table) -> None:
    both = (users.age > 17) & (users.name != "cy")
    either = (users.name == "bob") | (users.age > 50)
    assert [r["name"] for r in users.select(where=both)] == ["ada"]
    assert [r["name"] for r in users.select(where=either)] == ["bob", "cy"]
    assert [r["name"] for r in users.select(where=~either)] == ["ada", "dee"]
    assert [r["name"] for r in users.select(where=~(users.age > 17) & (users.name == "dee"))] == ["dee"]


def test_select_copy_flag(users: Table) -> None:
    copies = users.select(where=users.name == "ada")
    stored = users.select(where=users.name == "ada", copy=False)
    assert copies == stored
    assert copies[0] is not users.records[1]
    assert stored[0] is users.records[1]
    assert users.select(copy=False)[0] is users.records[1]


def test_select_columns(users: Table) -> None:
    assert users.select(["name", "missing"], where=users.age > 50) == [{"name": "cy", "missing": None}]


def test_missing_field_reads_as_none_and_never_orders(users: Table) -> None:
    users.insert({"name": "eve"})
    assert [r["name"] for r in users.select(where=users.age == None)] == ["eve"]  # noqa: E711
    assert [r["name"] for r in users.select(where=users.age < 100)] == ["ada", "bob", "cy", "dee"]


def test_where_must_be_a_predicate(users: Table) -> None:
    with pytest.raises(TypeError, match="not function"):
        users.select(where=lambda r: True)
    with pytest.raises(TypeError, match="not bool"):
        users.select(where=True)


def test_predicates_refuse_truthiness(users: Table) -> None:
    with pytest.raises(TypeError, match="between"):
        bool(users.age > 1)
    with pytest.raises(TypeError, match="no truth value"):
        18 <= users.age <= 65  # noqa: B015


def test_predicates_are_callable_and_immutable(users: Table) -> None:
    expr = (users.age > 18) & (users.name == "ada")
    assert expr({"age": 36, "name": "ada"}) is True
    assert expr({"name": "ada"}) is False
    with pytest.raises(AttributeError, match="immutable"):
        expr.plan = ()  # type: ignore[misc]


def test_field_for_names_that_clash_with_methods(users: Table) -> None:
    users.insert({"name": "zed", "count": 3})
    assert [r["name"] for r in users.select(where=users.field("count") == 3)] == ["zed"]


def test_private_attribute_lookup_is_an_attribute_error(users: Table) -> None:
    with pytest.raises(AttributeError):
        users._nope  # noqa: B018


def test_core_implementation_is_reported() -> None:
    assert dictdb.core_implementation() in ("cython", "python")
