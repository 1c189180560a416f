"""Build script: cythonizes the compiled core, or builds the pure-Python package.

Environment variables (any non-empty value switches them on):

- ``DICTDB_NO_EXTENSIONS``: build no extension at all; the package runs on the pure twins.
- ``DICTDB_REQUIRE_EXTENSIONS``: a missing Cython, a missing compiler or a failed compile is an error
  that names the cause, instead of a quiet fallback to the pure core (CI sets it).
- ``DICTDB_CYTHON_DEBUG``: turn bounds and wraparound checks back on in every module.

Metadata lives in ``pyproject.toml``; this file only decides which extensions to build.
"""

from __future__ import annotations

import ast
import os
import platform
import sys
from pathlib import Path
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# Where the compiled modules live; ``MODULES`` in its ``__init__.py`` is the one list of them.
CORE_DIR = Path("src/dictdb/_core")

# Directives every module gets. Per-module audits below may switch the safety checks off.
BASE_DIRECTIVES: dict[str, Any] = {
    "language_level": 3,
    "embedsignature": True,
    "binding": True,
    "boundscheck": True,
    "wraparound": True,
    # Compiled predicates and nodes are per-query objects; pickling them is never meaningful.
    "auto_pickle": False,
}

# Modules whose indexing has been audited: every index is computed from a length checked in the same
# function, and no negative index is used. Only these get boundscheck/wraparound off.
AUDITED_UNCHECKED = {"_predicate", "_records"}


def _flag(name: str) -> bool:
    return bool(os.environ.get(name))


def _say(message: str) -> None:
    print(f"dictdb build: {message}", file=sys.stderr, flush=True)


class ExtensionBuildError(RuntimeError):
    """Raised when DICTDB_REQUIRE_EXTENSIONS is set and the compiled core cannot be built."""


def core_modules(core_dir: Path = CORE_DIR) -> tuple[str, ...]:
    """``MODULES`` as ``dictdb/_core/__init__.py`` spells it, read without importing the package (it is not
    built yet). ``RuntimeError`` when the ``.pyx`` files beside it are not exactly those modules: a module
    left out of the list would silently not be compiled."""
    tree = ast.parse((core_dir / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "MODULES" for t in node.targets
        ):
            modules = tuple(ast.literal_eval(node.value))
            break
    else:
        raise RuntimeError(f"{core_dir / '__init__.py'} has no MODULES = (...) to build")
    sources = tuple(sorted(path.stem for path in core_dir.glob("*.pyx")))
    if tuple(sorted(modules)) != sources:
        raise RuntimeError(f"{core_dir}: MODULES {modules} is not the .pyx files there, {sources}")
    return modules


def _directives(module: str) -> dict[str, Any]:
    directives = dict(BASE_DIRECTIVES)
    if module in AUDITED_UNCHECKED and not _flag("DICTDB_CYTHON_DEBUG"):
        directives["boundscheck"] = False
        directives["wraparound"] = False
    return directives


def _extensions() -> list[Extension]:
    """The Cython extensions to build, or [] when the pure core is wanted or Cython is missing."""
    if _flag("DICTDB_NO_EXTENSIONS"):
        _say("DICTDB_NO_EXTENSIONS is set: building the pure-Python core only")
        return []
    if platform.python_implementation() != "CPython":
        reason = f"{platform.python_implementation()} is not CPython"
        if _flag("DICTDB_REQUIRE_EXTENSIONS"):
            raise ExtensionBuildError(f"compiled core required but {reason}")
        _say(f"{reason}: building the pure-Python core only")
        return []
    try:
        from Cython.Build import cythonize
    except ImportError as exc:
        if _flag("DICTDB_REQUIRE_EXTENSIONS"):
            raise ExtensionBuildError(
                "compiled core required but Cython is not installed (pip install 'Cython>=3')"
            ) from exc
        _say("Cython is not installed: building the pure-Python core only")
        return []
    extensions: list[Extension] = []
    for module in core_modules():
        ext = Extension(f"dictdb._core.{module}", [str(CORE_DIR / f"{module}.pyx")], **_size_flags())
        # force: Cython tracks .pyx changes, not directive changes (e.g. DICTDB_CYTHON_DEBUG).
        extensions.extend(cythonize([ext], compiler_directives=_directives(module), quiet=True, force=True))
    return extensions


def _size_flags() -> dict[str, list[str]]:
    """Compiler and linker flags that keep debug information out of the modules (a wheel of them is ~5x
    smaller), except in the debug build; MSVC builds carry none by default."""
    if _flag("DICTDB_CYTHON_DEBUG") or sys.platform == "win32":
        return {}
    flags = {"extra_compile_args": ["-g0"]}
    if sys.platform.startswith("linux"):
        flags["extra_link_args"] = ["-s"]  # the symbol table too: the modules export only PyInit_*
    return flags


def _cython_version() -> str:
    import Cython

    return str(Cython.__version__)


class OptionalBuildExt(build_ext):
    """build_ext that falls back to the pure core on failure, unless DICTDB_REQUIRE_EXTENSIONS is set."""

    def run(self) -> None:
        self._failed: list[str] = []
        try:
            super().run()
        except Exception as exc:  # the compiler itself may be missing: any failure is a fallback reason
            self._fail(f"the C compiler is unavailable ({exc})", exc)
            return
        built = [ext.name.rsplit(".", 1)[-1] for ext in self.extensions if ext.name not in self._failed]
        if built:
            _say(f"built the compiled core (Cython {_cython_version()}): {', '.join(built)}")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._failed.append(ext.name)
            self._fail(f"compiling {ext.name} failed ({exc})", exc)

    def _fail(self, reason: str, exc: Exception) -> None:
        if _flag("DICTDB_REQUIRE_EXTENSIONS"):
            raise ExtensionBuildError(f"compiled core required but {reason}") from exc
        _say(f"{reason}: the package will use the pure-Python core")


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
