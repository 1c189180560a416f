"""Saving and loading a database of the DESIGN.md employees, JSON and pickle, beside the floor
(``contenders.floor.save_file``/``load_file``: plain ``json``/``pickle`` of the list of records to an
ordinary file, with no snapshot, no tags, no temp file, no fsync and no table rebuilt). DictDB runs once per
core (``make bench`` runs both), the floor once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import label
from benchmarks.contenders import floor
from dictdb import DictDB

FORMATS = ["json", "pickle"]
Rows = list[dict[str, Any]]


def build_db(rows: Rows) -> DictDB:
    db = DictDB()
    db.create_table("employees").insert(rows)
    return db


@pytest.mark.parametrize("file_format", FORMATS)
def test_save(benchmark: Any, rows: Rows, size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} save", size)
    db = build_db(rows)
    path = tmp_path / f"db.{file_format}"
    benchmark(db.save, path, file_format)
    assert DictDB.load(path, file_format).get_table("employees").count() == size


@pytest.mark.parametrize("file_format", FORMATS)
def test_load(benchmark: Any, rows: Rows, size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} load", size)
    path = tmp_path / f"db.{file_format}"
    build_db(rows).save(path, file_format)
    loaded = benchmark(DictDB.load, path, file_format)
    assert loaded.get_table("employees").all() == rows


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
