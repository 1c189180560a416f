"""Shared fixtures: the two cores as one parametrised fixture, and the "Exception ignored" guard."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace

import pytest

from dictdb import _core

REQUIRE_EXTENSIONS = bool(os.environ.get("DICTDB_REQUIRE_EXTENSIONS"))


def load_core(kind: str) -> SimpleNamespace:
    """The core modules of one implementation, by their public names (``predicate``, ``records``)."""
    suffix = "_py" if kind == "python" else ""
    modules: dict[str, ModuleType] = {
        name.lstrip("_"): importlib.import_module(f"dictdb._core.{name}{suffix}") for name in _core.MODULES
    }
    return SimpleNamespace(kind=kind, **modules)


@pytest.fixture(scope="session")
def compiled_core() -> SimpleNamespace:
    """The compiled modules: skipped when not built, except under ``DICTDB_REQUIRE_EXTENSIONS=1`` (CI),
    where a missing build fails the test."""
    try:
        return load_core("cython")
    except ImportError as exc:
        if REQUIRE_EXTENSIONS:
            pytest.fail(f"DICTDB_REQUIRE_EXTENSIONS is set but the compiled core does not import: {exc}")
        pytest.skip(f"compiled core not built: {exc}")


@pytest.fixture(scope="session", params=["cython", "python"])
def core(request: pytest.FixtureRequest) -> SimpleNamespace:
    """Each ``_core`` test runs once per implementation, through this fixture."""
    if request.param == "cython":
        compiled: SimpleNamespace = request.getfixturevalue("compiled_core")
        return compiled
    return load_core("python")


@pytest.fixture(autouse=True)
def _no_ignored_exceptions(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose stderr shows "Exception ignored": what a swallowed C-level error prints."""
    if "capsys" in request.fixturenames or "capfd" in request.fixturenames:
        yield  # the test reads its own output; capfd and capsys cannot both be active
        return
    capfd: pytest.CaptureFixture[str] = request.getfixturevalue("capfd")
    yield
    out, err = capfd.readouterr()
    sys.stdout.write(out)
    sys.stderr.write(err)
    if "Exception ignored" in err:
        pytest.fail(f"an exception was swallowed during the test (stderr):\n{err}")
