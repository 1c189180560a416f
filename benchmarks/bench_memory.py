"""The memory report of ``benchmarks/memory.py`` (``make bench`` runs it at 100,000 rows, once per core):
here it runs at 2,000 rows, so the benchmark smoke pass checks that it works and that its figures make
sense."""

from __future__ import annotations

from importlib.util import find_spec

import dictdb
from benchmarks.memory import measure


def test_memory_report() -> None:
    found = {(e["impl"], e["what"]): e["bytes"] for e in measure(2_000)}
    core = dictdb.core_implementation()
    # A record of seven short fields: a dict of ~350 bytes, with its name and email strings.
    assert 150 < found[core, "record"] < 1_000
    assert 150 < found["floor", "record"] < 1_000
    assert 20 < found["sqlite", "record"] < 200
    assert 0 < found["python", "sorted index kernel entry (salary)"] < 400
    for impl in ["floor", "sqlite"] + (["duckdb"] if find_spec("duckdb") else []):
        assert 0 < found[impl, "sorted index entry (salary)"] < 1_000
        assert 0 < found[impl, "hash index entry (dept)"] < 1_000
