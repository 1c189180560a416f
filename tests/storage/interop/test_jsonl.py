"""JSON Lines export and import through the public API: exact round trips, streaming, bad files."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dictdb import DatabaseFileError, DictDB, DuplicateKeyError, SchemaValidationError, Table
from dictdb.exceptions import DatabaseFileNotFoundError, DuplicateTableError, UnsupportedValueError
from dictdb.storage.files.atomic import TEMP_SUFFIX
from tests.support.value_strategies import assert_same
from tests.support.value_strategies import records as any_records


def test_export_writes_one_object_per_line(tmp_path: Path) -> None:
    table = Table("t")
    table.insert([{"name": "ada", "tags": ["x"]}, {"name": "bob", "when": dt.date(2024, 2, 29)}])
    path = tmp_path / "t.jsonl"
    assert table.export_jsonl(path, where=table.name == "bob") == 1
    assert path.read_text() == '{"name": "bob", "when": {"$date": "2024-02-29"}, "id": 2}\n'
    assert table.export_jsonl(path) == 2
    lines = path.read_text().splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["ada", "bob"]


def test_export_streams_in_batches(tmp_path: Path) -> None:
    table = Table("t")
    table.insert([{"n": n} for n in range(2500)])
    path = tmp_path / "t.jsonl"
    assert table.export_jsonl(path) == 2500
    db = DictDB()
    assert db.import_jsonl(path, "t") == 2500
    assert db.get_table("t").all() == table.all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(any_records, max_size=5))
def test_every_value_type_round_trips_exactly(
    tmp_path_factory: pytest.TempPathFactory, rows: list[Any]
) -> None:
    table = Table("t")
    table.insert(rows)
    path = tmp_path_factory.mktemp("jsonl") / "t.jsonl"
    table.export_jsonl(path)
    db = DictDB()
    db.import_jsonl(path, "t")
    back = db.get_table("t").all()
    assert len(back) == len(rows)
    for before, after in zip(table.all(), back, strict=True):
        assert_same(after, before)


def test_import_with_a_schema_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"id": 1, "price": {"$decimal": "9.90"}}\n\n   \n{"id": 2, "price": {"$decimal": "1"}}\n'
    )
    db = DictDB()
    assert db.import_jsonl(path, "t", schema={"id": int, "price": Decimal}) == 2
    assert db.get_table("t").get(1) == {"id": 1, "price": Decimal("9.90")}


def test_bad_lines_name_the_line_and_leave_no_table(tmp_path: Path) -> None:
    db = DictDB()
    path = tmp_path / "t.jsonl"
    cases = [
        ('{"id": 1}\n{"id": 2,\n', r"line 2 is not valid JSON: Expecting property name"),
        ('{"id": 1}\n[1]\n', "line 2 is a JSON array, not an object"),
        ("null\n", "line 1 is a JSON null, not an object"),
        ('"text"\n', "line 1 is a JSON string, not an object"),
        ('{"$date": "2024-01-01"}\n', "line 1 is a JSON tagged date, not an object"),
        ('{"id": 1, "x": {"$nope": 1}}\n', r"line 1: unknown tag '\$nope'"),
        # Past what a parser takes: nesting, a float literal that would read as infinity, a long int.
        ('{"id": 1}\n' + "[" * 100_000 + "\n", "line 2 is nested too deeply to read"),
        ('{"id": 1, "x": 1e999999}\n', r"line 1: a number in it, 1e999999, is past the range of a float"),
        ('{"id": -1e400}\n', r"line 1: a number in it, -1e400, is past the range of a float"),
        ('{"id": 1, "x": ' + "9" * 1_000_000 + "}\n", "line 1: an integer in it has more than 4300 digits"),
    ]
    for text, message in cases:
        path.write_text(text)
        with pytest.raises(DatabaseFileError, match=message):
            db.import_jsonl(path, "t")
    path.write_bytes(b'{"name": "Jos\xe9"}\n')
    with pytest.raises(DatabaseFileError, match="it is not UTF-8 text"):
        db.import_jsonl(path, "t")
    with pytest.raises(DatabaseFileNotFoundError):
        db.import_jsonl(tmp_path / "missing.jsonl", "t")
    assert db.list_tables() == []


def test_records_that_break_the_schema_or_keys_leave_no_table(tmp_path: Path) -> None:
    db = DictDB()
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": 1, "x": 1}\n{"id": 2, "x": "two"}\n')
    with pytest.raises(SchemaValidationError, match=r"t.jsonl', line 2: table 't': field 'x' expects int"):
        db.import_jsonl(path, "t", schema={"x": int})
    path.write_text('{"id": 1}\n\n{"id": 1}\n')
    with pytest.raises(DuplicateKeyError, match=r"t.jsonl', line 3: "):
        db.import_jsonl(path, "t")
    assert db.list_tables() == []


def _ok_file(tmp_path: Path) -> Path:
    path = tmp_path / "ok.jsonl"
    path.write_text('{"id": 1, "x": "not an int"}\n')
    return path


def test_skip_validation_and_existing_tables(tmp_path: Path) -> None:
    db = DictDB()
    path = _ok_file(tmp_path)
    assert db.import_jsonl(path, "t", schema={"x": int}, skip_validation=True) == 1
    with pytest.raises(DuplicateTableError):
        db.import_jsonl(path, "t")
    assert db.get_table("t").all() == [{"id": 1, "x": "not an int"}]


def test_a_value_that_cannot_be_saved_keeps_the_old_file(tmp_path: Path) -> None:
    table = Table("t")
    table.insert([{"n": n} for n in range(1500)] + [{"bad": object()}])
    path = tmp_path / "t.jsonl"
    path.write_text("old")
    with pytest.raises(UnsupportedValueError, match="record with primary key 1501, field 'bad'"):
        table.export_jsonl(path)
    assert path.read_text() == "old"
    assert [name for name in os.listdir(tmp_path) if name.endswith(TEMP_SUFFIX)] == []
