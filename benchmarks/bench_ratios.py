"""``ratios.py``, the last step of ``make bench``, on made-up results: the smoke pass checks the table it
prints (which a full run alone would otherwise be the first to exercise)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import ratios


def result(op: str, size: int, impl: str, median: float) -> dict[str, object]:
    return {"extra_info": {"op": op, "size": size, "impl": impl}, "stats": {"median": median}}


def write(path: Path, data: dict[str, object]) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_ratio_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    op = "select scan 3 clauses (no index)"
    compiled = write(
        tmp_path / "compiled.json",
        {
            "benchmarks": [
                result(op, 100_000, "cython", 0.006),
                result(op, 100_000, "sqlite", 0.012),
                result(op, 100_000, "floor", 0.005),
                result("get(pk) x1000", 100_000, "cython", 0.0004),
                {"extra_info": {}, "stats": {"median": 1.0}},  # unlabelled: left out
            ]
        },
    )
    pure = write(tmp_path / "pure.json", {"benchmarks": [result(op, 100_000, "python", 0.06)]})
    memory = write(
        tmp_path / "memory.json",
        {"memory": [{"what": "record", "impl": "cython", "size": 100_000, "bytes": 377.0}]},
    )
    assert ratios.main([compiled, pure, memory]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(f"| {op}"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    # compiled, pure, sqlite3, floor; vs pure, vs sqlite3, / floor
    assert cells[2:] == ["6 ms", "60 ms", "12 ms", "5 ms", "10.00x", "2.00x", "1.20x"]
    header = out.splitlines()[2]
    assert "| sqlite3 |" in header
    assert "duckdb" not in header  # no DuckDB result: no DuckDB column
    assert any(line.startswith("| record") and "377.0" in line for line in out.splitlines())
    targets = next(line for line in out.splitlines() if line.startswith("| full-scan 3-clause"))
    assert "10.00x (>=5 met)" in targets
    assert "2.00x (>=1 met)" in targets
    assert "1.20x (<=1.2 met)" in targets

    assert ratios.main(["--summary", compiled, pure]) == 0
    summary = capsys.readouterr().out
    assert summary.splitlines()[0].startswith("| operation (n=100,000)")
    assert len(summary.splitlines()) == 4  # the header, its rule, and the two operations
