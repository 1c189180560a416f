"""``create_index`` on an indexed field: the same definition (kind and ``unique``) does nothing, another is a
``ValueError`` naming both, which changes nothing; ``drop_index`` first to change it. Durable databases and
files that carry index definitions open as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB, Table
from tests.support.snapshots import snapshot


@pytest.fixture
def sales() -> Table:
    table = Table("sales")
    table.insert([{"amount": 10, "region": "eu", "code": "a"}, {"amount": 20, "region": "us", "code": "b"}])
    return table


def definitions(table: Table) -> dict[Any, str]:
    return {name: index.definition for name, index in table.indexes.items()}


@pytest.mark.parametrize(
    ("first", "then", "had", "asked"),
    [
        ((("amount",), {}), (("amount", "sorted"), {"unique": True}), "hash", "unique sorted"),
        ((("amount", "sorted"), {}), (("amount", "hash"), {}), "sorted", "hash"),
        ((("code",), {"unique": True}), (("code",), {}), "unique hash", "hash"),
        ((("code", "sorted"), {}), (("code", "Sorted"), {"unique": True}), "sorted", "unique sorted"),
        ((("amount", "column"), {}), (("amount", "sorted"), {}), "column", "sorted"),
        ((("amount", "sorted"), {}), (("amount", "column"), {}), "sorted", "column"),
        ((("amount",), {}), ((["amount"], "sorted"), {}), "hash", "sorted"),
        (((["region", "code"],), {}), ((("region", "code"), "sorted"), {}), "hash", "sorted"),
        (
            ((["region", "code"], "sorted"), {"unique": True}),
            ((["region", "code"], "sorted"), {}),
            "unique sorted",
            "sorted",
        ),
    ],
)
def test_another_definition_is_refused_naming_both(
    sales: Table, first: tuple[tuple[Any, ...], dict[str, Any]], then: Any, had: str, asked: str
) -> None:
    sales.create_index(*first[0], **first[1])
    index = next(iter(sales.indexes.values()))
    before = (snapshot(sales), definitions(sales))
    with pytest.raises(ValueError, match="already has a") as caught:
        sales.create_index(*then[0], **then[1])
    message = str(caught.value)
    assert f"table 'sales' already has a {had} index on " in message
    assert f", not a {asked} one; drop_index(" in message
    assert "first to change it" in message
    assert (snapshot(sales), definitions(sales)) == before
    assert next(iter(sales.indexes.values())) is index


@pytest.mark.parametrize(
    ("args", "kwargs", "again"),
    [
        (("amount",), {}, (("amount", "HASH"), {})),
        (("amount", "sorted"), {"unique": True}, (("amount", "Sorted"), {"unique": 1})),
        (("amount", "column"), {}, ((["amount"], "COLUMN"), {})),
        ((["region", "code"], "sorted"), {}, ((("region", "code"), "sorted"), {"unique": False})),
    ],
)
def test_the_same_definition_again_does_nothing(
    sales: Table, args: tuple[Any, ...], kwargs: dict[str, Any], again: Any
) -> None:
    sales.create_index(*args, **kwargs)
    index = next(iter(sales.indexes.values()))
    sales.create_index(*again[0], **again[1])
    assert list(sales.indexes.values()) == [index]


def test_drop_index_then_create_changes_the_definition(sales: Table) -> None:
    sales.create_index("amount")
    sales.drop_index("amount")
    sales.create_index("amount", "sorted", unique=True)
    assert definitions(sales) == {"amount": "unique sorted"}
    assert sales.select(["code"], where=sales.amount > 15) == [{"code": "b"}]


def test_other_fields_and_other_field_orders_are_other_indexes(sales: Table) -> None:
    sales.create_index(["region", "code"])
    sales.create_index(["code", "region"], "sorted")
    sales.create_index("region", "sorted", unique=True)
    assert definitions(sales) == {
        ("region", "code"): "hash",
        ("code", "region"): "sorted",
        "region": "unique sorted",
    }


def test_a_refused_definition_inside_a_transaction_leaves_it_usable() -> None:
    db = DictDB()
    table = db.create_table("t")
    table.insert([{"x": 1}, {"x": 2}])
    table.create_index("x")
    with db.transaction():
        with pytest.raises(ValueError, match="already has a hash index on 'x', not a sorted one"):
            table.create_index("x", "sorted")
        table.insert({"x": 3})
    assert definitions(table) == {"x": "hash"}
    assert table.select(["id"], where=table.x == 3) == [{"id": 3}]


def test_a_durable_database_replays_its_indexes_as_defined(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    with DictDB.open(folder) as db:
        table = db.create_table("t")
        table.insert([{"x": 1, "y": "a"}, {"x": 2, "y": "b"}])
        table.create_index("x")
        with pytest.raises(ValueError, match="drop_index"):
            table.create_index("x", "sorted", unique=True)
        table.create_index("x", "hash")
        table.create_index("y", "sorted")
        table.drop_index("y")
        table.create_index("y", "sorted", unique=True)
    with DictDB.open(folder) as db:
        table = db.get_table("t")
        assert definitions(table) == {"x": "hash", "y": "unique sorted"}
        db.checkpoint()
        table.create_index("z", "column")
    with DictDB.open(folder) as db:
        assert definitions(db.get_table("t")) == {"x": "hash", "y": "unique sorted", "z": "column"}


@pytest.mark.parametrize("file_format", ["json", "pickle"])
def test_a_saved_file_loads_its_index_definitions(tmp_path: Path, file_format: str) -> None:
    db = DictDB()
    table = db.create_table("t")
    table.insert([{"x": 1, "y": "a"}, {"x": 2, "y": "b"}])
    table.create_index("x", "sorted", unique=True)
    table.create_index(["x", "y"])
    table.create_index("y", "column")
    path = tmp_path / f"db.{file_format}"
    db.save(path, file_format)
    loaded = DictDB.load(path, file_format).get_table("t")
    assert definitions(loaded) == {"x": "unique sorted", ("x", "y"): "hash", "y": "column"}
    with pytest.raises(ValueError, match="already has a unique sorted index on 'x', not a hash one"):
        loaded.create_index("x")
