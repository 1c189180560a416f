"""A JSON file is the same bytes whichever core writes it: ``write_json`` against the writer it replaced,
which tagged each record with ``codec.encode_record`` and encoded it with ``json.JSONEncoder.encode``.

Run in both cores (``DICTDB_NO_EXTENSIONS=1`` for the pure one); ``tests/core/test_codec.py`` compares the
two cores' kernels value by value.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dictdb.exceptions import UnsupportedValueError
from dictdb.storage.files import codec, document, jsonfile
from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot

_dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, check_circular=False).encode
META = {
    "format": "dictdb",
    "version": 1,
    "library_version": "0+test",
    "saved_at": "2026-01-31T12:00:00+00:00",
}


def reference_text(snapshot: DatabaseSnapshot) -> str:
    """The file the writer before the core's codec wrote, in one string."""
    pairs = not codec.is_plain_mapping({table.name: None for table in snapshot.tables})
    out = ['{"_meta": ' + _dumps(META) + ',\n"tables": ', '{"$dict": [' if pairs else "{"]
    for position, table in enumerate(snapshot.tables):
        out.append(",\n" if position else "\n")
        if pairs:
            out.append(f"[{_dumps(codec.encode(table.name, table=table.name, what='name'))}, ")
        else:
            out.append(f"{_dumps(table.name)}: ")
        out.append(_dumps(codec.encode(document.table_header(table), table=table.name, what="settings"))[:-1])
        out.append(', "records": [')
        records = [
            codec.encode_record(r, table=table.name, pk_field=table.primary_key) for r in table.records
        ]
        for start in range(0, len(records), 1000):
            out.append(",\n" if start else "\n")
            out.append(",\n".join(map(_dumps, records[start : start + 1000])))
        out.append("\n]}]" if pairs else "\n]}")
    out.append("\n]}}\n" if pairs else "\n}}\n")
    return "".join(out)


def varied(i: int) -> dict[str, Any]:
    """A record whose values cycle through the kinds a table holds, plain and tagged."""
    record: dict[str, Any] = {"id": i, "name": f"user{i}", "score": i / 7, "ok": i % 2 == 0, "none": None}
    kind = i % 9
    if kind == 0:
        record["when"] = dt.datetime(2024, 1, 1, 8) + dt.timedelta(seconds=i * 3601, microseconds=i)
    elif kind == 1:
        record["when"] = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=i)
    elif kind == 2:
        record["day"] = dt.date(2000, 1, 1) + dt.timedelta(days=i)
        record["price"] = Decimal(i) / 100
    elif kind == 3:
        record["blob"] = i.to_bytes(4, "big")
        record["id_"] = uuid.UUID(int=i)
    elif kind == 4:
        record["tags"] = ("a", i, {i, -i}, frozenset({str(i)}))
    elif kind == 5:
        record["nested"] = {"list": [dt.time(1, 2, 3), dt.timedelta(days=i), float("nan")], "$k": 1}
    elif kind == 6:
        record["local"] = dt.datetime(2024, 10, 27, 2, 30, fold=i % 2, tzinfo=ZoneInfo("Europe/Paris"))
        record["big"] = 10**700 + i
    elif kind == 7:
        record["by_int"] = {1: "one", (2, 3): [dt.date(2024, 2, 29)]}
        record["text"] = 'é\n"\\\x7f\U0001f600'
    return record


def snapshot_of(*tables: tuple[Any, list[dict[str, Any]]]) -> DatabaseSnapshot:
    return DatabaseSnapshot(
        [TableSnapshot(name, "id", None, {}, len(records) + 1, records) for name, records in tables]
    )


@pytest.fixture(autouse=True)
def fixed_meta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document, "meta", lambda: dict(META))


@pytest.mark.parametrize(
    "snapshot",
    [
        snapshot_of(("t", [varied(i) for i in range(2500)])),
        snapshot_of(("a", [varied(i) for i in range(10)]), ("b", []), ("c", [{"id": 1}])),
        snapshot_of(("$x", [varied(i) for i in range(20)])),
        snapshot_of(("t", [{"id": 1, "$only": dt.date(2024, 1, 1)}, {"$only": 2}])),
    ],
    ids=["batches", "tables", "tag-shaped name", "tag-shaped records"],
)
def test_the_file_is_the_bytes_the_codec_writes(tmp_path: Path, snapshot: DatabaseSnapshot) -> None:
    path = tmp_path / "db.json"
    jsonfile.write_json(snapshot, path)
    assert path.read_bytes() == reference_text(snapshot).encode("ascii")
    loaded = jsonfile.read_json(path)
    expected = json.loads(reference_text(snapshot), object_hook=codec.decode_hook)["tables"]
    for table in loaded.tables:
        assert repr(table.records) == repr(expected[table.name]["records"])


def test_an_unsavable_record_after_tagged_ones_raises_the_codecs_error(tmp_path: Path) -> None:
    records = [varied(i) for i in range(1500)] + [
        {"id": 1500, "bad": [dt.datetime(2024, 1, 1, tzinfo=Odd())]}
    ]
    snapshot = snapshot_of(("t", records))
    with pytest.raises(UnsupportedValueError) as expected:
        reference_text(snapshot)
    path = tmp_path / "db.json"
    with pytest.raises(UnsupportedValueError) as found:
        jsonfile.write_json(snapshot, path)
    assert str(found.value) == str(expected.value)
    assert "tzinfo is of type" in str(found.value)
    assert not path.exists()


class Odd(dt.tzinfo):
    def utcoffset(self, when: Any) -> dt.timedelta:
        return dt.timedelta(0)


def test_without_the_c_encoder_the_bytes_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonfile, "_encoder", None)  # as on a Python whose json has no C encoder
    snapshot = snapshot_of(("t", [varied(i) for i in range(1200)]))
    path = tmp_path / "db.json"
    jsonfile.write_json(snapshot, path)
    assert path.read_bytes() == reference_text(snapshot).encode("ascii")


def test_the_c_encoder_is_used_here() -> None:
    assert jsonfile._encoder is not None
