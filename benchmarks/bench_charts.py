"""``charts.py``, the step of ``make bench`` after ``ratios.py``, on made-up results shaped like
pytest-benchmark's JSON: every chart is written, is SVG, names the operations it was given, and is the same
file when drawn again."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks import charts

SVG = "{http://www.w3.org/2000/svg}"
SCAN = "select scan 3 clauses (no index)"
GET = "get(pk) x1000"
BULK = "bulk insert (3 indexes)"
KERNEL = "kernel filter like '%7@example%'"  # quotes, % and @: written as given


def result(op: str, impl: str, median: float, size: int = 100_000) -> dict[str, object]:
    return {
        "name": f"test_{op}[{impl}]",
        "extra_info": {"op": op, "size": size, "impl": impl},
        "stats": {"median": median, "mean": median, "rounds": 3},
    }


@pytest.fixture
def results(tmp_path: Path) -> list[str]:
    compiled = {
        "commit_info": {"id": "0123456789abcdef", "branch": "main"},
        "datetime": "2026-01-02T03:04:05.000000+00:00",
        "benchmarks": [
            result(SCAN, "cython", 0.006),
            result(SCAN, "sqlite", 0.012),
            result(SCAN, "duckdb", 0.003),
            result(SCAN, "floor", 0.005),
            result(GET, "cython", 0.0004),
            result(GET, "sqlite", 0.006),
            result(GET, "floor", 0.0005),
            result(BULK, "cython", 0.1),
            result(BULK, "sqlite", 0.5),
            result(KERNEL, "cython", 0.001),
            result(KERNEL, "python", 0.012),
            result(SCAN, "cython", 0.0001, size=1_000),  # another size: in no chart
            {"extra_info": {}, "stats": {"median": 1.0}},  # unlabelled: left out
        ],
    }
    pure = {
        "benchmarks": [
            result(SCAN, "python", 0.06),
            result(GET, "python", 0.0016),
            result(BULK, "python", 0.2),
        ]
    }
    memory = {
        "memory": [
            {"what": "record", "impl": "cython", "size": 100_000, "bytes": 377.0},
            {"what": "record", "impl": "sqlite", "size": 100_000, "bytes": 59.0},
            {"what": "record", "impl": "floor", "size": 100_000, "bytes": 324.0},
            {"what": "hash index entry (dept)", "impl": "cython", "size": 100_000, "bytes": 138.0},
        ]
    }
    paths = []
    for name, data in (("compiled", compiled), ("pure", pure), ("memory-compiled", memory)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        paths.append(str(path))
    return paths


def texts(path: Path) -> list[str]:
    """The text of every ``<text>`` element of an SVG file (parsing it fails on anything but XML)."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def test_every_chart_written(results: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "img"
    assert charts.main([*results, "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("charts: ")
    assert sorted(p.name for p in out.iterdir()) == sorted(charts.CHARTS)
    found = {name: texts(out / name) for name in charts.CHARTS}

    contenders = found["vs-contenders.svg"]
    for op in (SCAN, GET, BULK):
        assert op in contenders
    assert KERNEL not in contenders  # no contender measured it
    assert "vs sqlite3" in contenders
    assert "vs DuckDB" in contenders
    assert "2.00x" in contenders  # the scan: sqlite3's 12 ms over DictDB's 6 ms
    assert "0.50x" in contenders  # and DuckDB's 3 ms: slower, labelled all the same
    assert "1x" in contenders  # the axis marks as fast
    assert any("run of 2026-01-02, commit 0123456" in t for t in contenders)

    cores = found["compiled-vs-pure.svg"]
    for op in (SCAN, GET, BULK, KERNEL):
        assert op in cores
    assert "12.00x" in cores  # the kernel: 12 ms pure over 1 ms compiled

    targets = found["targets.svg"]
    assert f"{SCAN}, vs the pure core" in targets
    assert f"{SCAN}, vs sqlite3" in targets
    assert f"{SCAN}, vs the floor" in targets
    assert f"{GET}, vs sqlite3" in targets
    assert "10.00x (>=5x: met)" in targets  # the scan against the pure core
    assert "1.20x the floor's time (<=1.2x: met)" in targets
    assert "0.80x the floor's time (<=1.3x: met)" in targets  # get: 0.4 ms over the floor's 0.5
    assert "2.00x (>=3x: MISSED)" in targets  # bulk insert against the pure core

    memory = found["memory.svg"]
    assert {"record", "hash index entry (dept)", "377", "59", "324", "138"} <= set(memory)
    assert {"DictDB compiled", "sqlite3", "plain dicts (the floor)"} <= set(memory)


def test_same_input_same_files(results: list[str], tmp_path: Path) -> None:
    first = charts.draw(results, tmp_path / "first")
    second = charts.draw(results, tmp_path / "second")
    assert [p.name for p in first] == list(charts.CHARTS)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert b"<dc:date>" not in first[0].read_bytes()


def test_only_what_was_measured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """sqlite3 beside the compiled core, and nothing else: the charts with nothing to show (no pure core, no
    memory figures) are not written. Nothing labelled at all is an error, and writes nothing."""
    only = tmp_path / "sqlite-only.json"
    only.write_text(json.dumps({"benchmarks": [result(SCAN, "cython", 0.006), result(SCAN, "sqlite", 0.01)]}))
    written = charts.draw([str(only)], tmp_path / "few")
    assert [p.name for p in written] == ["vs-contenders.svg", "targets.svg"]

    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"benchmarks": [{"extra_info": {}, "stats": {"median": 1.0}}]}))
    assert charts.main([str(empty), "--out", str(tmp_path / "none")]) == 1
    assert "no labelled benchmarks" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
