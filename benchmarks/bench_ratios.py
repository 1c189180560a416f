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


def durable(op: str, size: int, impl: str, variant: str, median: float) -> dict[str, object]:
    found = result(op, size, impl, median)
    found["extra_info"]["durable"] = variant  # type: ignore[index]
    return found


def test_durable_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    transfer = "transfer 2 rows (get x2, update where id == x2)"
    rollback = "rollback of a 1-row update"
    results = write(
        tmp_path / "durable.json",
        {
            "benchmarks": [
                result("get(pk) x1000", 100_000, "cython", 0.0004),
                durable(transfer, 1_000_000, "cython", "memory", 10e-6),
                durable(transfer, 1_000_000, "sqlite", "sqlite3 :memory:", 8e-6),
                durable(transfer, 1_000_000, "cython", "sync=normal", 12e-6),
                durable(transfer, 1_000_000, "sqlite", "sqlite3 WAL NORMAL", 13e-6),
                durable("insert one row (generated key)", 1_000_000, "cython", "memory", 4e-6),
                durable("insert one row (generated key)", 1_000_000, "cython", "sync=normal", 9e-6),
                durable(rollback, 1_000, "cython", "memory", 20e-6),
                durable(rollback, 1_000_000, "cython", "memory", 25e-6),
            ]
        },
    )
    assert ratios.main([results]) == 0
    out = capsys.readouterr().out
    main_table, durable_part = out.split("Durable databases (bench_durable.py)")
    assert "get(pk) x1000" in main_table
    assert transfer not in main_table  # durable results stay out of the main table
    lines = durable_part.splitlines()
    row = next(line for line in lines if line.startswith(f"| {transfer}"))
    assert [cell.strip() for cell in row.strip("|").split("|")][2:] == ["10 µs", "12 µs", "8 µs", "13 µs"]

    def target(name: str) -> list[str]:
        found = next(line for line in lines if line.startswith(f"| {name}"))
        return [cell.strip() for cell in found.strip("|").split("|")]

    assert target("transfer, in memory")[-2:] == ["0.80x", ">=1 MISSED"]
    assert target("transfer, sync=normal")[-2:] == ["1.08x", ">=1 met"]
    assert target("one-row insert")[-2:] == ["2.25x", "<=2 MISSED"]
    assert target("rollback of a 1-row change")[-2:] == ["1.25x", "1±0.5 met"]
    assert not any(line.startswith("| transfer, sync=full") for line in lines)  # not measured: no row

    # The durable JSON alone prints the durable part only.
    only = {"benchmarks": [durable(transfer, 1_000, "cython", "memory", 1e-5)]}
    alone = write(tmp_path / "alone.json", only)
    assert ratios.main([alone]) == 0
    assert capsys.readouterr().out.lstrip().startswith("Durable databases")
