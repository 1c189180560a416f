"""Arrow and Parquet interop through the public API (needs the ``arrow`` extra, which ``make test`` installs;
tests/storage/interop/test_arrow_missing.py covers a machine without it)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from dictdb import (
    DatabaseFileError,
    DictDB,
    DuplicateKeyError,
    DuplicateTableError,
    SchemaValidationError,
    Table,
)
from dictdb.exceptions import DatabaseFileNotFoundError
from dictdb.storage.files.atomic import TEMP_SUFFIX

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture
def orders() -> Table:
    table = DictDB().create_table("orders")
    table.insert(
        [
            {"item": "tea", "qty": 2, "price": Decimal("3.50"), "day": dt.date(2024, 1, 2), "paid": True},
            {"item": "cake", "qty": 1, "day": dt.date(2024, 1, 3), "paid": False, "tags": ["sweet"]},
            {"item": "tea", "qty": 5, "price": Decimal("3.50"), "paid": True},
        ]
    )
    return table


def test_to_arrow_makes_one_column_per_field_in_first_seen_order(orders: Table) -> None:
    data = orders.to_arrow()
    assert data.column_names == ["item", "qty", "price", "day", "paid", "id", "tags"]
    assert data.num_rows == 3
    assert str(data.schema.field("qty").type) == "int64"
    assert str(data.schema.field("day").type) == "date32[day]"
    assert data.column("price").to_pylist() == [Decimal("3.50"), None, Decimal("3.50")]
    assert data.column("tags").to_pylist() == [None, ["sweet"], None]


def test_a_schema_fixes_the_column_order_and_types() -> None:
    table = Table("t", schema={"name": str, "score": float | None, "ok": bool | None})
    table.insert([{"name": "a", "score": None}, {"name": "b", "score": 2}])
    data = table.to_arrow()
    assert data.column_names == ["name", "score", "ok", "id"]
    assert [str(field.type) for field in data.schema] == ["string", "double", "bool", "int64"]
    assert data.column("score").to_pylist() == [None, 2.0]


def test_to_arrow_of_an_empty_table_without_schema_has_no_columns() -> None:
    assert Table("t").to_arrow().num_columns == 0


def test_a_field_arrow_cannot_hold_is_a_clear_error() -> None:
    table = Table("t")
    table.insert([{"x": 1}, {"x": "one"}])
    with pytest.raises(
        TypeError, match=r"cannot convert field 'x' of table 't' to an Arrow column: .*export_jsonl"
    ):
        table.to_arrow()
    numbered = Table("n")
    numbered.insert({1: "a"})
    with pytest.raises(TypeError, match="has the field 1, of type int: Arrow column names are str"):
        numbered.to_arrow()


def test_from_arrow_round_trips_a_table(orders: Table) -> None:
    reader = pa.RecordBatchReader.from_batches(pa.schema([("y", pa.int64())]), [pa.record_batch({"y": [7]})])
    batch = pa.record_batch({"x": [1]})
    db = DictDB.from_arrow({"orders": orders.to_arrow(), "batch": batch, "reader": reader})
    assert isinstance(db, DictDB)
    assert db.list_tables() == ["orders", "batch", "reader"]
    assert db.get_table("reader").all() == [{"y": 7, "id": 1}]
    back = db.get_table("orders").all()
    # Arrow has no "missing": a field absent from a record comes back as None.
    assert back == [{name: row.get(name) for name in orders.to_arrow().column_names} for row in orders.all()]
    assert db.get_table("batch").all() == [{"x": 1, "id": 1}]


def test_from_arrow_takes_the_primary_key_column_or_generates_keys() -> None:
    data = pa.table({"sku": ["a", "b"], "n": [1, 2]})
    assert DictDB.from_arrow({"t": data}, primary_key="sku").get_table("t").get("b") == {"sku": "b", "n": 2}
    assert DictDB.from_arrow({"t": data}).get_table("t").get(2) == {"sku": "b", "n": 2, "id": 2}


def test_from_arrow_refuses_bad_input() -> None:
    with pytest.raises(TypeError, match=r"takes a dict of table name -> pyarrow\.Table, not list"):
        DictDB.from_arrow([pa.table({"x": [1]})])  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"table 'b' must be a pyarrow\.Table \(or RecordBatch, .*\), not dict"
    ):
        DictDB.from_arrow({"a": pa.table({"x": [1]}), "b": {"x": [1]}})
    with pytest.raises(DuplicateKeyError, match="cannot import Arrow table 't', row 2: "):
        DictDB.from_arrow({"t": pa.table({"id": [1, 1]})})
    with pytest.raises(TypeError, match="cannot import Arrow table 't', row 1: "):
        DictDB.from_arrow({"t": pa.table({"id": pa.array([None], type=pa.int64())})})


def test_parquet_round_trip(orders: Table, tmp_path: Path) -> None:
    table = Table("t")
    table.insert(
        [
            {"when": dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc), "raw": b"\x00\x01", "x": 1.5},
            {"when": dt.datetime(2024, 5, 2, tzinfo=dt.timezone.utc), "raw": b"", "x": None},
        ]
    )
    path = tmp_path / "t.parquet"
    assert table.export_parquet(path) == 2
    db = DictDB()
    assert db.import_parquet(path, "t") == 2
    back = db.get_table("t").all()
    assert [row["raw"] for row in back] == [b"\x00\x01", b""]
    assert back[0]["when"] == dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)
    assert orders.export_parquet(path, where=orders.item == "tea") == 2
    assert pq.read_table(path).column("qty").to_pylist() == [2, 5]


def test_import_parquet_checks_the_schema_and_leaves_no_table_on_error(orders: Table, tmp_path: Path) -> None:
    path = tmp_path / "o.parquet"
    orders.export_parquet(path)
    db = DictDB()
    with pytest.raises(SchemaValidationError, match=r"o.parquet', row 1: table 't': field 'qty' expects str"):
        db.import_parquet(path, "t", schema={"item": str, "qty": str})
    assert db.list_tables() == []
    schema = {"item": str, "qty": int, "price": Decimal | None, "day": dt.date | None, "paid": bool}
    schema |= {"tags": list | None}
    assert db.import_parquet(path, "t", schema=schema) == 3


def test_import_parquet_bad_files(tmp_path: Path) -> None:
    db = DictDB()
    with pytest.raises(DatabaseFileNotFoundError, match="no such file"):
        db.import_parquet(tmp_path / "missing.parquet", "t")
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(DatabaseFileError, match="not a readable Parquet file"):
        db.import_parquet(bad, "t")
    assert db.list_tables() == []
    db.create_table("t")
    with pytest.raises(DuplicateTableError):
        db.import_parquet(bad, "t")


def test_a_failed_parquet_export_keeps_the_old_file(tmp_path: Path) -> None:
    table = Table("t")
    table.insert([{"x": 1}, {"x": "one"}])
    path = tmp_path / "t.parquet"
    path.write_text("old")
    with pytest.raises(TypeError, match="cannot convert field 'x'"):
        table.export_parquet(path)
    assert path.read_text() == "old"
    assert [name for name in os.listdir(tmp_path) if name.endswith(TEMP_SUFFIX)] == []
