"""DictDB: creating, listing, getting and dropping tables; the public names and the version."""

from __future__ import annotations

import importlib.metadata
import uuid

import pytest

import dictdb
from dictdb import DictDB, DuplicateTableError, Table, TableNotFoundError


def test_create_table_with_the_dctdb_arguments() -> None:
    db = DictDB()
    table = db.create_table("users", primary_key="uid")
    assert isinstance(table, Table)
    assert (table.table_name, table.primary_key, table.schema) == ("users", "uid", None)
    assert db.create_table("plain").primary_key == "id"


def test_create_table_with_schema_and_pk_generator() -> None:
    db = DictDB()
    table = db.create_table("events", "eid", {"eid": str, "kind": str}, pk_generator=lambda: uuid.uuid4().hex)
    assert table.schema == {"eid": str, "kind": str}
    assert isinstance(table.insert({"kind": "x"}), str)


def test_a_taken_name_raises_and_keeps_the_first_table() -> None:
    db = DictDB()
    first = db.create_table("users")
    first.insert({"x": 1})
    with pytest.raises(DuplicateTableError) as caught:
        db.create_table("users", primary_key="other")
    assert (
        str(caught.value) == "table 'users' already exists; pick another name, or drop_table('users') first"
    )
    assert db.get_table("users") is first
    assert first.count() == 1


def test_get_table_names_the_missing_table_and_the_existing_ones() -> None:
    db = DictDB()
    db.create_table("a")
    db.create_table("b")
    with pytest.raises(TableNotFoundError) as caught:
        db.get_table("c")
    assert str(caught.value) == "no table 'c'; tables are: 'a', 'b'"


def test_list_tables_in_creation_order() -> None:
    db = DictDB()
    assert db.list_tables() == []
    for name in ("zeta", "alpha", "mid"):
        db.create_table(name)
    assert db.list_tables() == ["zeta", "alpha", "mid"]


def test_drop_table() -> None:
    db = DictDB()
    db.create_table("a")
    db.create_table("b")
    db.drop_table("a")
    assert db.list_tables() == ["b"]
    with pytest.raises(TableNotFoundError, match="no table 'a'; tables are: 'b'"):
        db.get_table("a")
    with pytest.raises(TableNotFoundError, match="no table 'a'"):
        db.drop_table("a")
    assert db.list_tables() == ["b"]
    assert db.create_table("a").count() == 0  # the name is free again, with a new empty table


def test_tables_is_a_public_mapping() -> None:
    db = DictDB()
    users = db.create_table("users")
    assert db.tables == {"users": users}
    db.tables["extra"] = Table("extra")  # dctdb code writes here too
    assert db.list_tables() == ["users", "extra"]
    assert db.get_table("extra").table_name == "extra"


def test_a_table_that_cannot_be_created_is_not_registered() -> None:
    db = DictDB()
    with pytest.raises(TypeError):
        db.create_table("t", schema={"v": "int"})
    with pytest.raises(TypeError):
        db.create_table("t", pk_generator=42)  # type: ignore[arg-type]
    assert db.list_tables() == []


def test_repr_lists_the_tables() -> None:
    db = DictDB()
    assert repr(db) == "<DictDB: 0 tables: none>"
    db.create_table("a")
    assert repr(db) == "<DictDB: 1 tables: 'a'>"


def test_version_is_the_installed_distributions() -> None:
    assert dictdb.__version__ == importlib.metadata.version("cydictdb")
    assert dictdb.__version__ != "0.0.0"


def test_public_names() -> None:
    for name in (
        "DictDB",
        "Table",
        "Field",
        "Condition",
        "Query",
        "DictDBError",
        "DuplicateKeyError",
        "DuplicateTableError",
        "RecordNotFoundError",
        "SchemaValidationError",
        "TableNotFoundError",
        "core_implementation",
        "exceptions",
    ):
        assert name in dictdb.__all__
        assert hasattr(dictdb, name)
    assert issubclass(dictdb.SchemaValidationError, dictdb.DictDBError)
