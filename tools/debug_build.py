"""The debug build of ``make test-debug``: the compiled core with every bounds and wraparound check on.

setup.py switches the checks off only in the modules whose indexing was audited (``AUDITED_UNCHECKED``);
``DICTDB_CYTHON_DEBUG=1`` turns them back on. The debug core is built in a copy of the tree under
``build/debug/``, so the in-place build the rest of ``make test`` uses is never replaced, and the suite then
runs once against it with ``PYTHONPATH=build/debug/src``.

``python -m tools.debug_build sync DIR`` copies the sources (not the built files) into DIR;
the Makefile compiles there only when a ``.pyx`` or setup.py changed. ``... check DIR``, run with the same
``PYTHONPATH`` as the tests, fails unless every compiled module is imported from DIR and the C that
Cython generated for the audited modules holds the checked indexing calls.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE_FILES = ("setup.py", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in")
BUILT = ("*.so", "*.pyd", "*.c", "*.html", "__pycache__", "*.egg-info")

# Cython's checked list and tuple indexing passes (..., is_list, wraparound=1, boundscheck=1, ...): the
# unchecked build of an audited module has none of these calls.
CHECKED_INDEXING = ", 1, 1, 1, "


def sync(target: Path) -> None:
    """Copy the sources into ``target``, refreshing what changed and keeping the built extensions."""
    target.mkdir(parents=True, exist_ok=True)
    for name in TREE_FILES:
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "src", target / "src", ignore=shutil.ignore_patterns(*BUILT), dirs_exist_ok=True)


def check(target: Path) -> None:
    """Fail unless the running interpreter imports the debug core from ``target``."""
    sys.path.insert(0, str(ROOT))  # setup.py's module lists, without building anything
    core = importlib.import_module("dictdb._core")
    where = (target / "src").resolve()
    problems = []
    if core.IMPLEMENTATION != "cython":
        problems.append(f"the core is {core.IMPLEMENTATION!r}, not the compiled one")
    for name in core.MODULES:
        module = importlib.import_module(f"dictdb._core.{name}")
        path = Path(module.__file__ or "").resolve()
        if where not in path.parents or path.suffix not in (".so", ".pyd"):
            problems.append(f"dictdb._core.{name} comes from {path}, not from a debug extension in {where}")
    for name in _audited():
        generated = (where / "dictdb" / "_core" / f"{name}.c").read_text(encoding="utf-8")
        if CHECKED_INDEXING not in generated:
            problems.append(f"{name}.c has no checked indexing: not built with DICTDB_CYTHON_DEBUG=1")
    if problems:
        raise SystemExit("debug build check failed:\n  " + "\n  ".join(problems))
    print(f"debug build: {len(core.MODULES)} compiled modules from {where}, bounds checks on")


def _audited() -> list[str]:
    """``AUDITED_UNCHECKED`` as setup.py spells it, read without running setup()."""
    text = (ROOT / "setup.py").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("AUDITED_UNCHECKED"))
    return sorted(part.strip(" \"'{}") for part in line.split("=", 1)[1].split(","))


if __name__ == "__main__":
    command, directory = sys.argv[1], Path(sys.argv[2])
    {"sync": sync, "check": check}[command](directory)
