"""Benchmark fixtures: sizes, the DESIGN.md data set, and the two cores as a parameter for the kernels.

Benchmarks are collected only with ``-o python_files=bench_*.py`` (see the Makefile), never by plain
``pytest``. Each records ``extra_info`` ``op``, ``size`` and ``impl`` so ``ratios.py`` can pair them.
"""

from __future__ import annotations

import importlib
import os
from types import SimpleNamespace

import pytest

import dictdb
from benchmarks.data import make_rows
from dictdb import _core

SIZES = [1_000, 10_000, 100_000] + ([1_000_000] if os.environ.get("DICTDB_BENCH_LARGE") else [])


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


@pytest.fixture(params=SIZES, ids=lambda n: f"n={n}")
def size(request: pytest.FixtureRequest) -> int:
    value: int = request.param
    return value


@pytest.fixture
def rows(size: int) -> list[dict[str, object]]:
    return make_rows(size)


def label(benchmark: object, op: str, size: int, impl: str | None = None) -> None:
    """Name a benchmark for the ratio table: ``impl`` defaults to the core this process runs."""
    info = benchmark.extra_info  # type: ignore[attr-defined]
    info.update(op=op, size=size, impl=impl or dictdb.core_implementation())
    benchmark.group = f"{op} n={size}"  # type: ignore[attr-defined]
