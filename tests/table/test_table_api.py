"""Table reads and introspection: copy, all, get, columns, counts, index and schema queries, repr."""

from __future__ import annotations

import pytest

from dictdb import Table


@pytest.fixture
def table() -> Table:
    table = Table("people")
    table.insert([{"name": "ada", "age": 36}, {"name": "bob", "city": "x"}])
    return table


def test_copy_maps_pks_to_copies(table: Table) -> None:
    copied = table.copy()
    assert copied == {1: {"name": "ada", "age": 36, "id": 1}, 2: {"name": "bob", "city": "x", "id": 2}}
    copied[1]["age"] = 0
    assert table.get(1)["age"] == 36
    assert copied[1] is not table.records[1]


def test_all_lists_copies_in_insertion_order(table: Table) -> None:
    rows = table.all()
    assert [r["id"] for r in rows] == [1, 2]
    rows[0]["name"] = "changed"
    assert table.get(1)["name"] == "ada"


def test_get_by_pk(table: Table) -> None:
    assert table.get(2) == {"name": "bob", "city": "x", "id": 2}
    assert table.get(3) is None
    assert table.get(3, default={}) == {}
    got = table.get(1)
    got["age"] = 1
    assert table.get(1)["age"] == 36


def test_columns_without_schema_is_every_field_sorted(table: Table) -> None:
    assert table.columns() == ["age", "city", "id", "name"]
    assert Table("empty").columns() == []


def test_columns_follow_inserts_updates_and_deletes(table: Table) -> None:
    assert table.columns() == ["age", "city", "id", "name"]
    table.insert({"zip": 1})
    table.insert([{"email": "e"}])
    assert table.columns() == ["age", "city", "email", "id", "name", "zip"]
    table.update({"nick": "n"}, where=table.id == 1)
    table.upsert({"id": 2, "phone": 5})
    assert "nick" in table.columns()
    assert "phone" in table.columns()
    table.update({"id": 20, "fax": 1}, where=table.id == 2)
    assert "fax" in table.columns()
    table.delete(where=table.id != 1)
    assert table.columns() == ["age", "id", "name", "nick"]


def test_columns_with_field_names_of_several_types() -> None:
    table = Table("t")
    table.insert({1: "one", "b": 2})
    assert table.columns() == [1, "b", "id"]


def test_columns_is_a_new_list_each_time(table: Table) -> None:
    table.columns().append("junk")
    assert "junk" not in table.columns()


def test_counts(table: Table) -> None:
    assert table.count() == table.size() == len(table) == 2
    table.delete(where=table.id == 1)
    assert table.count() == table.size() == len(table) == 1


def test_index_introspection_without_indexes(table: Table) -> None:
    assert table.indexed_fields() == []
    assert table.has_index("name") is False
    assert table.indexes == {}


def test_primary_key_and_schema_introspection() -> None:
    table = Table("t", primary_key="code", schema={"code": str, "n": int})
    assert table.primary_key_name() == "code"
    assert table.schema_fields() == ["code", "n"]
    assert table.table_name == "t"


def test_field_attribute_and_field_method() -> None:
    table = Table("t")
    table.insert([{"size": 1}, {"size": 2}])
    assert table.select(where=table.field("size") == 2) == [{"size": 2, "id": 2}]
    assert table.size() == 2  # a method name stays a method; field("size") reaches the field


def test_repr_names_table_count_pk_and_schema() -> None:
    table = Table("users", schema={"name": str, "age": int | None})
    table.insert({"name": "ada"})
    assert repr(table) == (
        "<Table 'users': 1 records, primary key 'id', schema {name: str, age: int | None, id: int}>"
    )
    assert repr(Table("t", primary_key="k")) == "<Table 't': 0 records, primary key 'k', no schema>"
