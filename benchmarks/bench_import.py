"""Importing the employees data set from CSV and JSON Lines files (``DictDB.import_csv``/``import_jsonl``):
each file is written once per size by the table's own export, then imported into a fresh database per round.
The ``progress`` variants pass a callable that does nothing, to show what reporting costs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import label
from dictdb import DictDB

Rows = list[dict[str, Any]]
FORMATS = ["csv", "jsonl"]


def _write(rows: Rows, path: Path, file_format: str) -> None:
    table = DictDB().create_table("employees")
    table.insert(rows)
    if file_format == "csv":
        table.export_csv(path)
    else:
        table.export_jsonl(path)


def _import(path: Path, file_format: str, **options: Any) -> int:
    db = DictDB()
    if file_format == "csv":
        return db.import_csv(path, "employees", **options)
    return db.import_jsonl(path, "employees", **options)


@pytest.mark.parametrize("file_format", FORMATS)
def test_import(benchmark: Any, rows: Rows, size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} import", size)
    path = tmp_path / f"employees.{file_format}"
    _write(rows, path, file_format)
    assert benchmark(_import, path, file_format) == size


@pytest.mark.parametrize("file_format", FORMATS)
def test_import_progress(benchmark: Any, rows: Rows, size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} import progress", size)
    path = tmp_path / f"employees.{file_format}"
    _write(rows, path, file_format)
    assert benchmark(_import, path, file_format, progress=_ignore) == size


def _ignore(done: int, total: int) -> None:
    """A progress callable that does nothing: what is measured is the library's side of reporting."""
