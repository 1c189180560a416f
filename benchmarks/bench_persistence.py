"""Saving and loading a database of the DESIGN.md employees, JSON and pickle, beside a "floor": plain
``json.dump``/``json.load`` (``pickle.dump``/``pickle.load``) of the list of records to an ordinary file,
with no snapshot, no tags, no temp file, no fsync and no table rebuilt."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from benchmarks.conftest import label
from dictdb import DictDB

FORMATS = ["json", "pickle"]


def build_db(rows: list[dict]) -> DictDB:
    db = DictDB()
    table = db.create_table("employees")
    for row in rows:
        table.insert(row)
    return db


@pytest.mark.parametrize("file_format", FORMATS)
def test_save(benchmark, rows: list[dict], size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} save", size)
    db = build_db(rows)
    path = tmp_path / f"db.{file_format}"
    benchmark(db.save, path, file_format)
    assert DictDB.load(path, file_format).get_table("employees").count() == size


@pytest.mark.parametrize("file_format", FORMATS)
def test_load(benchmark, rows: list[dict], size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} load", size)
    path = tmp_path / f"db.{file_format}"
    build_db(rows).save(path, file_format)
    loaded = benchmark(DictDB.load, path, file_format)
    assert loaded.get_table("employees").count() == size


def test_floor_json_save(benchmark, rows: list[dict], size: int, tmp_path: Path) -> None:
    label(benchmark, "json save", size, "floor")
    path = tmp_path / "rows.json"

    def save() -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(rows, f)

    benchmark(save)
    assert len(json.loads(path.read_text())) == size


def test_floor_json_load(benchmark, rows: list[dict], size: int, tmp_path: Path) -> None:
    label(benchmark, "json load", size, "floor")
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(rows), encoding="utf-8")

    def load() -> list[dict]:
        with open(path, encoding="utf-8") as f:
            loaded: list[dict] = json.load(f)
        return loaded

    assert len(benchmark(load)) == size


def test_floor_pickle_save(benchmark, rows: list[dict], size: int, tmp_path: Path) -> None:
    label(benchmark, "pickle save", size, "floor")
    path = tmp_path / "rows.pickle"

    def save() -> None:
        with open(path, "wb") as f:
            pickle.dump(rows, f)

    benchmark(save)
    assert len(pickle.loads(path.read_bytes())) == size


def test_floor_pickle_load(benchmark, rows: list[dict], size: int, tmp_path: Path) -> None:
    label(benchmark, "pickle load", size, "floor")
    path = tmp_path / "rows.pickle"
    path.write_bytes(pickle.dumps(rows))

    def load() -> list[dict]:
        with open(path, "rb") as f:
            loaded: list[dict] = pickle.load(f)
        return loaded

    assert len(benchmark(load)) == size
