"""CSV import and export through the public API: inference, schemas, bad files and atomic writes."""

from __future__ import annotations

import datetime as dt
import math
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional
from uuid import UUID

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


def write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def imported(path: Path, **options: Any) -> list[dict[str, Any]]:
    db = DictDB()
    count = db.import_csv(path, "t", **options)
    rows = db.get_table("t").all()
    assert count == len(rows)
    return rows


# --- import: types ------------------------------------------------------------------------------------


def test_types_are_inferred_per_column_and_empty_cells_are_none(tmp_path: Path) -> None:
    path = write(tmp_path, "id,n,x,ok,name,code\n1,3,1.5,true,ada,007\n2,-4,2,FALSE,,12\n3,,nan,,bob,\n")
    rows = imported(path)
    assert rows[0] == {"id": 1, "n": 3, "x": 1.5, "ok": True, "name": "ada", "code": "007"}
    assert rows[1] == {"id": 2, "n": -4, "x": 2.0, "ok": False, "name": None, "code": "12"}
    assert rows[2]["n"] is None
    assert math.isnan(rows[2]["x"])
    assert rows[2]["ok"] is None
    assert type(rows[1]["x"]) is float  # one type per column: a float column holds floats


def test_numbers_as_written_in_csv_only(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c,d\n1_000,1e3,+5, 7\n")
    assert imported(path) == [{"a": "1_000", "b": 1000.0, "c": 5, "d": " 7", "id": 1}]


def test_infer_types_false_keeps_text(tmp_path: Path) -> None:
    path = write(tmp_path, "id,n\n1,2\n2,\n")
    assert imported(path, infer_types=False) == [{"id": "1", "n": "2"}, {"id": "2", "n": None}]


def test_without_a_key_column_keys_are_generated(tmp_path: Path) -> None:
    path = write(tmp_path, "name\nada\nbob\n")
    assert imported(path) == [{"name": "ada", "id": 1}, {"name": "bob", "id": 2}]
    assert imported(path, primary_key="name") == [{"name": "ada"}, {"name": "bob"}]


def test_a_schema_converts_each_column(tmp_path: Path) -> None:
    schema = {
        "id": int,
        "price": Decimal,
        "day": dt.date,
        "at": Optional[dt.datetime],  # noqa: UP045 (the typing form is supported too)
        "t": dt.time,
        "key": UUID,
        "ok": bool,
        "note": str,
        "score": float | None,
    }
    key = "12345678-1234-5678-1234-567812345678"
    text = "id,price,day,at,t,key,ok,note,score\n"
    text += f"1,9.90,2024-02-29,2024-02-29T12:30:00+01:00,08:15,{key},yes,,3\n"
    text += f"2,0.10,2023-01-01,,23:59:59,{key},0,hi,\n"
    rows = imported(write(tmp_path, text), schema=schema)
    assert rows[0] == {
        "id": 1,
        "price": Decimal("9.90"),
        "day": dt.date(2024, 2, 29),
        "at": dt.datetime(2024, 2, 29, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "t": dt.time(8, 15),
        "key": UUID(key),
        "ok": True,
        "note": "",  # a plain str column reads an empty cell as ""
        "score": 3.0,
    }
    assert rows[1]["at"] is None
    assert rows[1]["ok"] is False
    assert rows[1]["score"] is None


def test_a_union_type_takes_the_first_member_that_reads(tmp_path: Path) -> None:
    rows = imported(write(tmp_path, "id,v\n1,5\n2,five\n"), schema={"id": int, "v": int | str})
    assert [row["v"] for row in rows] == [5, "five"]


# --- import: bad input, and nothing left behind -----------------------------------------------------------


def assert_no_table(db: DictDB) -> None:
    assert db.list_tables() == []


def test_a_cell_that_does_not_convert_names_line_column_and_value(tmp_path: Path) -> None:
    db = DictDB()
    path = write(tmp_path, "id,age\n1,36\n2,old\n")
    with pytest.raises(DatabaseFileError, match=r"data.csv': line 3, column 'age': cannot read 'old' as int"):
        db.import_csv(path, "t", schema={"id": int, "age": int})
    assert_no_table(db)
    with pytest.raises(DatabaseFileError, match=r"line 2, column 'day': cannot read '2024-13-01' as date"):
        db.import_csv(write(tmp_path, "day\n2024-13-01\n"), "t", schema={"day": dt.date})
    with pytest.raises(DatabaseFileError, match=r"cannot read 'maybe' as bool \(expected true/false"):
        db.import_csv(write(tmp_path, "ok\nmaybe\n"), "t", schema={"ok": bool})
    with pytest.raises(DatabaseFileError, match=r"cannot read 'x' as Decimal"):
        db.import_csv(write(tmp_path, "p\nx\n"), "t", schema={"p": Decimal})
    assert_no_table(db)


def test_rows_with_too_many_or_too_few_cells_name_the_line(tmp_path: Path) -> None:
    db = DictDB()
    with pytest.raises(DatabaseFileError, match=r"line 3 has 3 cells but there are 2 columns \(id, name\)"):
        db.import_csv(write(tmp_path, "id,name\n1,ada\n2,bob,extra\n"), "t")
    with pytest.raises(DatabaseFileError, match="line 4 has 1 cells but there are 2 columns"):
        db.import_csv(write(tmp_path, 'id,name\n1,"ada\nlovelace"\n2\n'), "t")
    assert_no_table(db)


def test_bad_headers_are_refused(tmp_path: Path) -> None:
    db = DictDB()
    with pytest.raises(DatabaseFileError, match="column 2 of the header has no name"):
        db.import_csv(write(tmp_path, "id,,x\n"), "t")
    with pytest.raises(DatabaseFileError, match="the header names 'x' more than once"):
        db.import_csv(write(tmp_path, "x,id,x\n"), "t")
    assert_no_table(db)


def test_invalid_csv_and_wrong_encodings_are_file_errors(tmp_path: Path) -> None:
    db = DictDB()
    with pytest.raises(DatabaseFileError, match="not valid CSV at line 2"):
        db.import_csv(write(tmp_path, 'a,b\n1,"x"y\n'), "t")
    with pytest.raises(DatabaseFileError, match="not utf-8 text"):
        db.import_csv(write(tmp_path, "name\nJosé\n", encoding="latin-1"), "t")
    with pytest.raises(DatabaseFileNotFoundError, match="no such file"):
        db.import_csv(tmp_path / "missing.csv", "t")
    assert_no_table(db)


def test_records_that_break_the_schema_or_the_keys_leave_no_table(tmp_path: Path) -> None:
    db = DictDB()
    with pytest.raises(
        SchemaValidationError, match=r"data.csv', line 3: table 't': field 'age' expects int, got NoneType"
    ):
        db.import_csv(write(tmp_path, "name,age\nada,36\nbob,\n"), "t", schema={"name": str, "age": int})
    with pytest.raises(SchemaValidationError, match=r"line 2: table 't': field 'extra' is not in the schema"):
        db.import_csv(write(tmp_path, "name,extra\nada,1\n"), "t", schema={"name": str})
    with pytest.raises(DuplicateKeyError, match=r"data.csv', line 4: "):
        db.import_csv(write(tmp_path, "id,x\n1,a\n2,b\n1,c\n"), "t")
    with pytest.raises(TypeError, match=r"line 2: "):
        db.import_csv(write(tmp_path, "id,x\n,a\n"), "t")  # an empty key is None
    assert_no_table(db)


def test_skip_validation_imports_what_the_schema_would_refuse(tmp_path: Path) -> None:
    db = DictDB()
    path = write(tmp_path, "name,extra\nada,1\n")
    assert db.import_csv(path, "t", schema={"name": str}, skip_validation=True) == 1
    assert db.get_table("t").all() == [{"name": "ada", "extra": 1, "id": 1}]


def test_a_schema_type_no_cell_can_hold_is_refused_up_front(tmp_path: Path) -> None:
    db = DictDB()
    with pytest.raises(TypeError, match=r"column 'tags': a CSV cell cannot hold a list .* import_jsonl"):
        db.import_csv(write(tmp_path, "tags\na\n"), "t", schema={"tags": list})
    assert_no_table(db)


def test_an_existing_table_is_refused_before_the_file_is_read(tmp_path: Path) -> None:
    db = DictDB()
    db.create_table("t").insert({"x": 1})
    with pytest.raises(DuplicateTableError, match="table 't' already exists"):
        db.import_csv(tmp_path / "not-even-there.csv", "t")
    assert db.get_table("t").all() == [{"x": 1, "id": 1}]


# --- import: file shapes ----------------------------------------------------------------------------------


def test_delimiter_encoding_byte_order_mark_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffid;name\n\n1;José\n\n", encoding="utf-8")
    assert imported(path, delimiter=";") == [{"id": 1, "name": "José"}]
    latin = write(tmp_path, "id|name\n1|José\n", name="latin.csv", encoding="latin-1")
    assert imported(latin, delimiter="|", encoding="latin-1") == [{"id": 1, "name": "José"}]


def test_quoted_cells_keep_delimiters_quotes_and_newlines(tmp_path: Path) -> None:
    path = write(tmp_path, 'id,text\n1,"a, ""b""\nc"\n')
    assert imported(path) == [{"id": 1, "text": 'a, "b"\nc'}]


def test_without_a_header_columns_are_numbered_or_take_the_schema_names(tmp_path: Path) -> None:
    path = write(tmp_path, "1,ada\n2,bob\n")
    assert imported(path, has_header=False)[0] == {"column_1": 1, "column_2": "ada", "id": 1}
    named = imported(path, has_header=False, schema={"id": int, "name": str})
    assert named == [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]


def test_a_header_only_or_empty_file_makes_an_empty_table(tmp_path: Path) -> None:
    db = DictDB()
    assert db.import_csv(write(tmp_path, "id,name\n"), "a") == 0
    assert db.import_csv(write(tmp_path, "", name="empty.csv"), "b", schema={"name": str}) == 0
    assert db.list_tables() == ["a", "b"]
    assert len(db.get_table("b")) == 0


# --- export -----------------------------------------------------------------------------------------------


@pytest.fixture
def people() -> Table:
    table = DictDB().create_table("people")
    table.insert(
        [
            {"name": "ada", "age": 36, "ok": True, "born": dt.date(1815, 12, 10)},
            {"name": "bob", "ok": False, "pay": Decimal("9.90")},
            {"name": 'c, "the" d', "age": 1.5, "pay": None},
        ]
    )
    return table


def test_export_writes_every_field_in_first_seen_order(people: Table, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert people.export_csv(path) == 3
    assert path.read_text(encoding="utf-8") == (
        'name,age,ok,born,id,pay\nada,36,true,1815-12-10,1,\nbob,,false,,2,9.90\n"c, ""the"" d",1.5,,,3,\n'
    )


def test_export_columns_where_records_and_delimiter(people: Table, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert people.export_csv(path, columns=["id", "name"], where=people.ok == True, delimiter=";") == 1  # noqa: E712
    assert path.read_text() == "id;name\n1;ada\n"
    assert people.export_csv(path, records=[{"a": 1}, {"b": dt.datetime(2024, 1, 2, 3, 4)}]) == 2
    assert path.read_text() == "a,b\n1,\n,2024-01-02T03:04:00\n"


def test_export_with_a_schema_uses_its_order(tmp_path: Path) -> None:
    table = Table("t", schema={"name": str, "age": int | None})
    table.insert([{"age": 3, "name": "x"}])
    path = tmp_path / "out.csv"
    table.export_csv(path)
    assert path.read_text() == "name,age,id\nx,3,1\n"


def test_a_header_only_file_when_no_row_matches(people: Table, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert people.export_csv(path, columns=["name", "age"], where=people.age > 100) == 0
    assert path.read_text() == "name,age\n"
    assert Table("empty").export_csv(path, columns=["a", "b"]) == 0
    assert path.read_text() == "a,b\n"
    assert Table("empty").export_csv(path) == 0
    assert path.read_text() == ""


def test_unknown_columns_are_refused_and_the_file_is_untouched(people: Table, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old")
    with pytest.raises(ValueError, match=r"cannot export unknown columns 'salary', 'x' of table 'people'"):
        people.export_csv(path, columns=["name", "salary", "x"])
    with pytest.raises(ValueError, match="unknown columns 'b'"):
        people.export_csv(path, records=[{"a": 1}], columns=["a", "b"])
    with pytest.raises(ValueError, match="records= or where=, not both"):
        people.export_csv(path, records=[], where=people.age > 1)
    with pytest.raises(TypeError, match="record 1 to export is a list"):
        people.export_csv(path, records=[{"a": 1}, [1]])
    with pytest.raises(TypeError, match="columns must be a list"):
        people.export_csv(path, columns="name")  # type: ignore[arg-type]
    assert path.read_text() == "old"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(people: Table, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        people.export_csv(path, records=[{"a": "fine"}, {"a": "日本"}], encoding="ascii")
    assert path.read_text() == "old"
    assert [name for name in os.listdir(tmp_path) if name.endswith(TEMP_SUFFIX)] == []


def test_round_trip_with_a_schema(tmp_path: Path) -> None:
    schema = {"name": str, "price": Decimal, "day": dt.date | None, "ok": bool, "score": float}
    table = Table("t", schema=schema)
    table.insert(
        [
            {
                "name": 'x,"y"\nz',
                "price": Decimal("1.10"),
                "day": dt.date(2024, 1, 1),
                "ok": True,
                "score": 0.1,
            },
            {"name": "", "price": Decimal("-3"), "day": None, "ok": False, "score": math.inf},
        ]
    )
    path = tmp_path / "t.csv"
    table.export_csv(path)
    db = DictDB()
    assert db.import_csv(path, "t", schema=schema) == 2
    assert db.get_table("t").all() == table.all()
