"""The build and the switch: one module list, twins that match, and an env var that really selects."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dictdb
from dictdb import _core

ROOT = Path(__file__).resolve().parents[1]
CORE_DIR = Path(_core.__file__).resolve().parent
SOURCE_CORE_DIR = ROOT / "src" / "dictdb" / "_core"

# Tests of the build itself need setup.py: they run from a source tree or sdist, not an installed wheel.
needs_source_tree = pytest.mark.skipif(not (ROOT / "setup.py").exists(), reason="needs the source tree")
# Compiling needs Cython too (a test run against an installed wheel may not have it).
needs_cython = pytest.mark.skipif(importlib.util.find_spec("Cython") is None, reason="needs Cython")


def setup_py_core_modules() -> Callable[[Path], tuple[str, ...]]:
    """setup.py's ``core_modules``, taken out of the script without running ``setup()``."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "core_modules"]
    assert found, "setup.py has no core_modules()"
    namespace: dict[str, Any] = {"ast": ast, "Path": Path, "CORE_DIR": SOURCE_CORE_DIR}
    exec(compile(ast.Module(body=found, type_ignores=[]), "setup.py", "exec"), namespace)
    function: Callable[[Path], tuple[str, ...]] = namespace["core_modules"]
    return function


@needs_source_tree
def test_setup_py_builds_the_modules_of_the_switch() -> None:
    assert setup_py_core_modules()(SOURCE_CORE_DIR) == _core.MODULES


@needs_source_tree
@pytest.mark.parametrize(("extra", "missing"), [("_stray", None), (None, "_index")])
def test_setup_py_refuses_pyx_files_that_are_not_the_list(
    tmp_path: Path, extra: str | None, missing: str | None
) -> None:
    shutil.copy(SOURCE_CORE_DIR / "__init__.py", tmp_path / "__init__.py")
    for name in {*_core.MODULES, extra} - {missing, None}:
        (tmp_path / f"{name}.pyx").write_text("", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"is not the \.pyx files there"):
        setup_py_core_modules()(tmp_path)


def setup_py_size_flags(monkeypatch: pytest.MonkeyPatch, debug: bool, platform: str) -> dict[str, list[str]]:
    """setup.py's ``_size_flags()`` for a debug build or not, on ``platform``, without running ``setup()``."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    wanted = ("_flag", "_size_flags")
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in wanted]
    assert len(found) == len(wanted), "setup.py lacks _flag() or _size_flags()"
    monkeypatch.setenv("DICTDB_CYTHON_DEBUG", "1" if debug else "")
    namespace: dict[str, Any] = {"os": os, "sys": types.SimpleNamespace(platform=platform)}
    exec(compile(ast.Module(body=found, type_ignores=[]), "setup.py", "exec"), namespace)
    flags: dict[str, list[str]] = namespace["_size_flags"]()
    return flags


@needs_source_tree
@pytest.mark.parametrize(
    ("debug", "platform", "expected"),
    [
        (False, "linux", {"extra_compile_args": ["-g0"], "extra_link_args": ["-s"]}),
        (False, "darwin", {"extra_compile_args": ["-g0"]}),
        (False, "win32", {}),
        (True, "linux", {}),
    ],
)
def test_release_modules_carry_no_debug_information(
    monkeypatch: pytest.MonkeyPatch, debug: bool, platform: str, expected: dict[str, list[str]]
) -> None:
    assert setup_py_size_flags(monkeypatch, debug, platform) == expected


def test_python_m_core_prints_the_module_paths() -> None:
    done = subprocess.run([sys.executable, "-m", "dictdb._core"], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [f"dictdb._core.{name}" for name in _core.MODULES]


def test_every_module_has_a_twin_and_a_stub_and_nothing_else_is_compiled() -> None:
    twins = {p.name[: -len("_py.py")] for p in CORE_DIR.glob("_*_py.py")}
    stubs = {p.stem for p in CORE_DIR.glob("_*.pyi")}
    assert twins == set(_core.MODULES)
    assert stubs == set(_core.MODULES)
    sources = {p.stem for p in CORE_DIR.glob("_*.pyx")}
    if sources:  # a source tree or sdist; wheels carry no .pyx
        assert sources == set(_core.MODULES)


@pytest.mark.parametrize("module", _core.MODULES)
def test_twins_export_the_same_public_names(compiled_core: object, module: str) -> None:
    pure = importlib.import_module(f"dictdb._core.{module}_py")
    compiled = importlib.import_module(f"dictdb._core.{module}")
    assert sorted(pure.__all__) == sorted(compiled.__all__)
    for name in pure.__all__:
        assert hasattr(compiled, name), f"{module} lacks {name}"
        assert callable(getattr(pure, name)) == callable(getattr(compiled, name)), name
    public = {n for n in dir(compiled) if not n.startswith("_")}
    assert public <= set(compiled.__all__) | {"cython_function_or_method"}


def run_python(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DICTDB_")}
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


REPORT = (
    "import dictdb, dictdb._core as c; "
    "print(dictdb.core_implementation(), c.IMPLEMENTATION, c.predicate.__name__, c.records.__name__)"
)


def test_env_var_selects_the_pure_core() -> None:
    out = run_python(REPORT, DICTDB_NO_EXTENSIONS="1")
    assert out == "python python dictdb._core._predicate_py dictdb._core._records_py"


def test_any_non_empty_value_selects_the_pure_core() -> None:
    assert run_python(REPORT, DICTDB_NO_EXTENSIONS="no").startswith("python ")


def test_without_the_env_var_the_compiled_core_is_used_when_built(compiled_core: object) -> None:
    out = run_python(REPORT, DICTDB_NO_EXTENSIONS="")
    assert out == "cython cython dictdb._core._predicate dictdb._core._records"


def test_core_implementation_matches_the_switch() -> None:
    assert dictdb.core_implementation() == _core.IMPLEMENTATION
    if os.environ.get("DICTDB_NO_EXTENSIONS"):
        assert dictdb.core_implementation() == "python"
    elif os.environ.get("DICTDB_REQUIRE_EXTENSIONS"):
        assert dictdb.core_implementation() == "cython"


def test_version_is_the_installed_distribution_version() -> None:
    from importlib.metadata import version

    assert dictdb.__version__ == version("cydictdb")
    assert dictdb.__version__ != "0.0.0"


def run_setup(tmp_path: Path, *args: str, preamble: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Run setup.py from the source tree in a subprocess, building into ``tmp_path``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DICTDB_")}
    environment.update(env)
    code = (
        f"{preamble}import sys, runpy; sys.argv = ['setup.py', *{list(args)!r}]; "
        "runpy.run_path('setup.py', run_name='__main__')"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )


NO_CYTHON = "import sys; sys.modules['Cython'] = None; sys.modules['Cython.Build'] = None; "


@needs_source_tree
def test_required_extensions_without_cython_is_an_error_naming_cython(tmp_path: Path) -> None:
    done = run_setup(tmp_path, "--name", preamble=NO_CYTHON, DICTDB_REQUIRE_EXTENSIONS="1")
    assert done.returncode != 0
    assert "Cython is not installed" in done.stderr


@needs_source_tree
def test_missing_cython_falls_back_to_pure_and_says_so(tmp_path: Path) -> None:
    done = run_setup(tmp_path, "--name", preamble=NO_CYTHON)
    assert done.returncode == 0, done.stderr
    assert "Cython is not installed: building the pure-Python core only" in done.stderr


@needs_source_tree
def test_no_extensions_builds_nothing_and_says_so(tmp_path: Path) -> None:
    done = run_setup(tmp_path, "--name", DICTDB_NO_EXTENSIONS="1")
    assert done.returncode == 0, done.stderr
    assert "DICTDB_NO_EXTENSIONS is set" in done.stderr


def _build_ext(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A compiler that always fails stands in for a broken or missing one.
    return run_setup(
        tmp_path,
        "build_ext",
        f"--build-lib={tmp_path / 'lib'}",
        f"--build-temp={tmp_path / 'tmp'}",
        CC="false",
        LDSHARED="false",
        **env,
    )


@needs_source_tree
@needs_cython
def test_required_extensions_with_a_failing_compiler_is_an_error_naming_the_cause(tmp_path: Path) -> None:
    done = _build_ext(tmp_path, DICTDB_REQUIRE_EXTENSIONS="1")
    assert done.returncode != 0
    assert "compiled core required but" in done.stderr
    assert "failed" in done.stderr


@needs_source_tree
@needs_cython
def test_a_failing_compiler_falls_back_to_pure_and_says_so(tmp_path: Path) -> None:
    done = _build_ext(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "the package will use the pure-Python core" in done.stderr
    assert not list((tmp_path / "lib").rglob("*.so"))
