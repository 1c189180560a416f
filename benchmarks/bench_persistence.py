"""Saving and loading a database of the benchmark employees, JSON and pickle, beside the floor
(``contenders.floor.save_file``/``load_file``: ``f.write(json.dumps(records))`` and ``json.loads(f.read())``,
or ``pickle``, of the list of records to an ordinary file, with no snapshot, no tags, no temp file, no fsync
and no table rebuilt). DictDB runs once per core (``make bench`` runs both), the floor once.

The datetime-heavy set (``data.make_dated_rows``: the same records with a date, a naive datetime and a UTC
datetime each, a Decimal in every 10th and bytes in every 25th) is saved and loaded as JSON beside its own
floor, the same work written by hand (``contenders.floor.save_tagged``/``load_tagged``):
``f.write(json.dumps(records, default=tag))``, where ``tag`` turns a datetime or date into
``{"$datetime": value.isoformat()}`` / ``{"$date": ...}``, a Decimal into ``{"$decimal": str(value)}`` and
bytes into ``{"$bytes": base64}``, and ``json.loads(f.read(), object_hook=untag)``, which turns such
one-key objects back with ``fromisoformat``, ``Decimal`` and ``b64decode``. It checks nothing and escapes
no user dict shaped like a tag: DictDB's file holds the same tags.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import label
from benchmarks.contenders import floor
from benchmarks.data import make_dated_rows
from dictdb import DictDB

FORMATS = ["json", "pickle"]
Rows = list[dict[str, Any]]
DATED = "datetime-heavy"

_dated: dict[int, Rows] = {}


@pytest.fixture
def dated_rows(size: int) -> Rows:
    """``make_dated_rows(size)``, made once per size and shared: never mutate them."""
    if size not in _dated:
        _dated.clear()  # one size at a time
        _dated[size] = make_dated_rows(size)
    return _dated[size]


def build_db(rows: Rows) -> DictDB:
    db = DictDB()
    db.create_table("employees").insert(rows)
    return db


@pytest.mark.parametrize("progress", [None, "callable"])
@pytest.mark.parametrize("file_format", FORMATS)
def test_save(
    benchmark: Any, rows: Rows, size: int, tmp_path: Path, file_format: str, progress: str | None
) -> None:
    label(benchmark, f"{file_format} save" + (" progress" if progress else ""), size)
    db = build_db(rows)
    path = tmp_path / f"db.{file_format}"
    benchmark(db.save, path, file_format, progress=_ignore if progress else None)
    assert DictDB.load(path, file_format).get_table("employees").count() == size


@pytest.mark.parametrize("progress", [None, "callable"])
@pytest.mark.parametrize("file_format", FORMATS)
def test_load(
    benchmark: Any, rows: Rows, size: int, tmp_path: Path, file_format: str, progress: str | None
) -> None:
    label(benchmark, f"{file_format} load" + (" progress" if progress else ""), size)
    path = tmp_path / f"db.{file_format}"
    build_db(rows).save(path, file_format)
    loaded = benchmark(DictDB.load, path, file_format, progress=_ignore if progress else None)
    assert loaded.get_table("employees").all() == rows


def _ignore(done: int, total: int) -> None:
    """A progress callable that does nothing: what is measured is the library's side of reporting."""


@pytest.mark.parametrize("file_format", FORMATS)
def test_floor_save(benchmark: Any, rows: Rows, size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} save", size, floor.impl())
    path = tmp_path / f"rows.{file_format}"
    benchmark(floor.save_file, rows, path, file_format)
    assert floor.load_file(path, file_format) == rows


@pytest.mark.parametrize("file_format", FORMATS)
def test_floor_load(benchmark: Any, rows: Rows, size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} load", size, floor.impl())
    path = tmp_path / f"rows.{file_format}"
    floor.save_file(rows, path, file_format)
    assert benchmark(floor.load_file, path, file_format) == rows


def test_save_dated(benchmark: Any, dated_rows: Rows, size: int, tmp_path: Path) -> None:
    label(benchmark, f"json save {DATED}", size)
    db = build_db(dated_rows)
    path = tmp_path / "db.json"
    benchmark(db.save, path, "json")
    assert DictDB.load(path, "json").get_table("employees").all() == dated_rows


def test_load_dated(benchmark: Any, dated_rows: Rows, size: int, tmp_path: Path) -> None:
    label(benchmark, f"json load {DATED}", size)
    path = tmp_path / "db.json"
    build_db(dated_rows).save(path, "json")
    loaded = benchmark(DictDB.load, path, "json")
    assert loaded.get_table("employees").all() == dated_rows


def test_floor_save_dated(benchmark: Any, dated_rows: Rows, size: int, tmp_path: Path) -> None:
    label(benchmark, f"json save {DATED}", size, floor.impl())
    path = tmp_path / "rows.json"
    benchmark(floor.save_tagged, dated_rows, path)
    assert floor.load_tagged(path) == dated_rows


def test_floor_load_dated(benchmark: Any, dated_rows: Rows, size: int, tmp_path: Path) -> None:
    label(benchmark, f"json load {DATED}", size, floor.impl())
    path = tmp_path / "rows.json"
    floor.save_tagged(dated_rows, path)
    assert benchmark(floor.load_tagged, path) == dated_rows
