"""The examples in docs/tables.md and in the table modules' docstrings run as written."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path
from types import ModuleType

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


# Every top-level module whose docstrings hold examples.
MODULES = [
    importlib.import_module(f"dictdb.{name}")
    for name in [
        "batch",
        "database",
        "database_imports",
        "exceptions",
        "keys",
        "schema",
        "table",
        "table_changes",
        "table_info",
        "table_interop",
        "tracking",
        "transaction",
        "undo",
    ]
]


@pytest.mark.parametrize(
    "module",
    MODULES,
    ids=lambda m: m.__name__,
)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.skipif(not (DOCS / "tables.md").exists(), reason="docs/ ships with the source tree only")
def test_tables_guide_examples() -> None:
    result = doctest.testfile(str(DOCS / "tables.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0
