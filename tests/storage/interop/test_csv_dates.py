"""``import_csv(parse_dates=...)``: ISO 8601 dates and datetimes read as such, so ranges on them match."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dictdb import DatabaseFileError, DictDB

UTC = dt.timezone.utc


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    return path


EVENTS = (
    "id,day,at,note,code\n"
    "1,2024-02-29,2024-02-29T13:05:09.5Z,x,2024\n"
    "2,2024-03-01,2024-03-01 08:00,2024-13-01,2025\n"
    "3,,2024-03-02,,2026\n"
)


def test_listed_columns_are_dates_or_datetimes(tmp_path: Path) -> None:
    db = DictDB()
    assert db.import_csv(write(tmp_path, EVENTS), "events", parse_dates=["day", "at"]) == 3
    events = db["events"]
    assert [r["day"] for r in events] == [dt.date(2024, 2, 29), dt.date(2024, 3, 1), None]
    # A column with a time in any cell is all datetimes; a date alone is midnight.
    assert [r["at"] for r in events] == [
        dt.datetime(2024, 2, 29, 13, 5, 9, 500000, tzinfo=UTC),
        dt.datetime(2024, 3, 1, 8, 0),
        dt.datetime(2024, 3, 2),
    ]
    assert [r["note"] for r in events] == ["x", "2024-13-01", None]  # not listed: text
    spring = events.day.between(dt.date(2024, 3, 1), dt.date(2024, 5, 31))
    assert [r["id"] for r in events.select(where=spring)] == [2]


def test_true_reads_every_text_column_whose_cells_all_parse(tmp_path: Path) -> None:
    db = DictDB()
    db.import_csv(write(tmp_path, EVENTS), "events", parse_dates=True)
    first = db["events"][1]
    assert first["day"] == dt.date(2024, 2, 29)
    assert isinstance(first["at"], dt.datetime)
    assert first["note"] == "x"  # "2024-13-01" is no date: the column stays text
    assert first["code"] == 2024  # an int column stays ints


def test_true_without_type_inference_still_reads_dates(tmp_path: Path) -> None:
    db = DictDB()
    db.import_csv(write(tmp_path, EVENTS), "events", parse_dates=True, infer_types=False, primary_key="id")
    assert db["events"]["1"]["day"] == dt.date(2024, 2, 29)
    assert db["events"]["1"]["code"] == "2024"


def test_a_listed_cell_that_is_no_date_names_its_line_and_leaves_no_table(tmp_path: Path) -> None:
    db = DictDB()
    with pytest.raises(
        DatabaseFileError, match=r"line 2, column 'note': cannot read 'x' as an ISO 8601 date"
    ):
        db.import_csv(write(tmp_path, EVENTS), "events", parse_dates=["note"])
    assert "events" not in db


@pytest.mark.parametrize(
    ("parse_dates", "error", "words"),
    [
        ("day", TypeError, r"did you mean \['day'\]"),
        ([1], TypeError, "list of column names"),
        (["when"], ValueError, "'when', not a column"),
    ],
)
def test_bad_parse_dates_are_refused(tmp_path: Path, parse_dates: object, error: type, words: str) -> None:
    db = DictDB()
    with pytest.raises(error, match=words):
        db.import_csv(write(tmp_path, EVENTS), "events", parse_dates=parse_dates)  # type: ignore[arg-type]
    assert "events" not in db


def test_a_schema_typed_column_is_the_schemas(tmp_path: Path) -> None:
    db = DictDB()
    with pytest.raises(ValueError, match="the schema types"):
        db.import_csv(write(tmp_path, EVENTS), "events", schema={"day": str}, parse_dates=["day"])
    assert "events" not in db
