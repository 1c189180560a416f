"""Loading a database file whose table has five indexes, beside the same file without them (``test_load``
of ``bench_persistence.py`` measures that one): ``dept`` and ``city`` hash, ``email`` unique hash, ``age``
and ``salary`` sorted, over the benchmark employees. ``ratios.py`` prints each load with indexes over the
load without (docs/performance.md keeps the target). DictDB runs once per core (``make bench`` runs both)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import label
from dictdb import DictDB

FORMATS = ["json", "pickle"]
Rows = list[dict[str, Any]]

#: field -> (kind, unique): the five indexes of the loaded table.
INDEXES: dict[str, tuple[str, bool]] = {
    "dept": ("hash", False),
    "city": ("hash", False),
    "email": ("hash", True),
    "age": ("sorted", False),
    "salary": ("sorted", False),
}

#: What ``ratios.py`` appends to the op of the load without indexes (``"pickle load"``) to name this one.
SUFFIX = ", 5 indexes"


def build_db(rows: Rows) -> DictDB:
    db = DictDB()
    table = db.create_table("employees")
    table.insert(rows)
    for field, (kind, unique) in INDEXES.items():
        table.create_index(field, kind, unique=unique)
    return db


@pytest.mark.parametrize("file_format", FORMATS)
def test_load_with_indexes(benchmark: Any, rows: Rows, size: int, tmp_path: Path, file_format: str) -> None:
    label(benchmark, f"{file_format} load{SUFFIX}", size)
    path = tmp_path / f"db.{file_format}"
    build_db(rows).save(path, file_format)
    loaded = benchmark(DictDB.load, path, file_format)
    table = loaded.get_table("employees")
    assert table.count() == size
    assert table.indexed_fields() == list(INDEXES)
    assert table.indexes["dept"].search("dept3") == [row["id"] for row in rows if row["dept"] == "dept3"]


def test_ratio_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``ratios.py`` pairs each load with indexes with the load without, per core (made-up results)."""
    from benchmarks import ratios

    def result(op: str, impl: str, median: float) -> dict[str, object]:
        return {"extra_info": {"op": op, "size": 100_000, "impl": impl}, "stats": {"median": median}}

    compiled = tmp_path / "compiled.json"
    compiled.write_text(
        json.dumps(
            {
                "benchmarks": [
                    result("pickle load", "cython", 0.100),
                    result(f"pickle load{SUFFIX}", "cython", 0.140),
                    result("json load", "cython", 0.200),
                    result(f"json load{SUFFIX}", "cython", 0.400),
                ]
            }
        ),
        encoding="utf-8",
    )
    pure = tmp_path / "pure.json"
    pure.write_text(
        json.dumps(
            {
                "benchmarks": [
                    result("pickle load", "python", 0.2),
                    result(f"pickle load{SUFFIX}", "python", 0.5),
                ]
            }
        ),
        encoding="utf-8",
    )
    assert ratios.INDEX_LOAD_SUFFIX == SUFFIX
    assert ratios.main([str(compiled), str(pure)]) == 0
    out = capsys.readouterr().out
    table = out[out.index("Loading a file whose table has indexes") :]
    assert "| pickle load, 5 indexes " in table
    assert "1.40x (<=1.5 met)" in table
    assert "2.50x |" in table
    assert "2.00x (<=1.5 MISSED)" in table
