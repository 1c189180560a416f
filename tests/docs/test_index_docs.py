"""The examples in docs/indexes.md and in the index and planner modules' docstrings run as written."""

from __future__ import annotations

import doctest
from pathlib import Path
from types import ModuleType

import pytest

from dictdb import table_indexes
from dictdb.index import base, catalog, column_index, hash_index, sorted_index
from dictdb.query import access, aggregates, execute, explain, planner

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODULES = [
    table_indexes,
    base,
    catalog,
    column_index,
    hash_index,
    sorted_index,
    access,
    aggregates,
    execute,
    explain,
    planner,
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    if module is not access:  # access paths are shown through Table.explain
        assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.skipif(not (DOCS / "indexes.md").exists(), reason="docs/ ships with the source tree only")
def test_indexes_guide_examples() -> None:
    result = doctest.testfile(str(DOCS / "indexes.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0
