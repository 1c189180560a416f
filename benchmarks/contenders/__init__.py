"""The implementations a table benchmark compares, one module each, with one function per operation.

- ``dictdb_table``: DictDB through its public API, in the core this process runs (impl ``cython`` or
  ``python``; ``make bench`` runs the table benchmarks once per core).
- ``sqlite``: the stdlib's ``sqlite3`` in memory, the same indexes, rows returned as dicts.
- ``duckdb``: DuckDB in memory, when it is installed (``requirements/bench.txt``), the same way.
- ``floor``: hand-written Python over a list of dicts doing the same work, with hand-built indexes.

Every module answers the operations it offers with the same signature, and returns what a user needs: every
matching record as a ``dict`` of all its fields. An operation a module does not offer (DuckDB inserting one
row at a time, the floor maintaining indexes through writes) is absent, and its cell in the table is "-".
A benchmark asks ``offering(op)`` for the modules to compare.
"""

from __future__ import annotations

import importlib
from importlib.util import find_spec
from types import ModuleType

import pytest

NAMES = ("dictdb_table", "sqlite", "floor") + (("duckdb",) if find_spec("duckdb") else ())


def load(name: str) -> ModuleType:
    return importlib.import_module(f"benchmarks.contenders.{name}")


def offering(op: str) -> list[object]:
    """``pytest.param``s of the contender modules that offer ``op``; the others than DictDB are marked
    ``contender`` (so the pure-core run of ``make bench`` leaves them out: they ran in the first one)."""
    params: list[object] = []
    for name in NAMES:
        module = load(name)
        if hasattr(module, op):
            marks = () if name == "dictdb_table" else (pytest.mark.contender,)
            params.append(pytest.param(module, id=module.IMPL_ID, marks=marks))
    return params
