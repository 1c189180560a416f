"""Benchmark fixtures: sizes, the benchmark data set, the two cores as a parameter for the kernels, and the
contenders' stores.

Benchmarks are collected only with ``-o python_files=bench_*.py`` (see the Makefile), never by plain
``pytest``. Each records ``extra_info`` ``op``, ``size`` and ``impl`` so ``ratios.py`` can pair them.
``size`` is session-scoped, so pytest runs every benchmark of one size before the next size: the rows and
the stores built from them are made once per size.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

import dictdb
from benchmarks.data import shared_rows
from dictdb import _core

SIZES = [1_000, 10_000, 100_000] + ([1_000_000] if os.environ.get("DICTDB_BENCH_LARGE") else [])


CONTENDER_WORDS = ("floor", "sqlite", "duckdb")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kernel: compares both cores in one run (run once)")
    config.addinivalue_line(
        "markers", "contender: a benchmark of sqlite3, DuckDB or the floor (core-independent: run once)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what the pure-core run of ``make bench`` leaves out, having measured it in the first run:
    benchmarks using the ``kernel`` fixture, and those of a contender (a ``contenders.offering``
    parameter, or a test named after one, such as ``test_index_range_floor``)."""
    for item in items:
        if "kernel" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kernel)
        name = getattr(item, "originalname", item.name)
        if any(word in name for word in CONTENDER_WORDS):
            item.add_marker(pytest.mark.contender)


def load_core(kind: str) -> SimpleNamespace:
    suffix = "_py" if kind == "python" else ""
    return SimpleNamespace(
        kind=kind,
        **{
            name.lstrip("_"): importlib.import_module(f"dictdb._core.{name}{suffix}")
            for name in _core.MODULES
        },
    )


@pytest.fixture(params=["cython", "python"])
def kernel(request: pytest.FixtureRequest) -> SimpleNamespace:
    """A core implementation, for kernel benchmarks that compare both in one run."""
    try:
        return load_core(request.param)
    except ImportError as exc:
        pytest.skip(f"compiled core not built: {exc}")


@pytest.fixture(scope="session", params=SIZES, ids=lambda n: f"n={n}")
def size(request: pytest.FixtureRequest) -> int:
    value: int = request.param
    return value


@pytest.fixture
def rows(size: int) -> list[dict[str, Any]]:
    """The ``size`` records, shared by every benchmark of that size: never mutate them."""
    return shared_rows(size)


class Stores:
    """Read-only stores built by the contenders, kept while the benchmarks of one size run."""

    def __init__(self) -> None:
        self._size = -1
        self._built: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}

    def get(self, contender: ModuleType, size: int, indexes: Mapping[str, str]) -> Any:
        """``contender.build`` over the ``size`` rows with ``indexes``; queries must not change it."""
        if size != self._size:
            self._built.clear()
            self._size = size
        key = (contender.__name__, tuple(indexes.items()))
        if key not in self._built:
            self._built[key] = contender.build(shared_rows(size), indexes)
        return self._built[key]


@pytest.fixture(scope="session")
def stores() -> Stores:
    return Stores()


def label(benchmark: object, op: str, size: int, impl: str | None = None) -> None:
    """Name a benchmark for the ratio table: ``impl`` defaults to the core this process runs."""
    info = benchmark.extra_info  # type: ignore[attr-defined]
    info.update(op=op, size=size, impl=impl or dictdb.core_implementation())
    benchmark.group = f"{op} n={size}"  # type: ignore[attr-defined]
