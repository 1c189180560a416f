"""The examples in docs/queries.md and in the query modules' docstrings run as written."""

from __future__ import annotations

import doctest
from pathlib import Path
from types import ModuleType

import pytest

from dictdb.query import checked, expr, field, select, table_field

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("module", [checked, expr, field, select, table_field], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.skipif(not (DOCS / "queries.md").exists(), reason="docs/ ships with the source tree only")
def test_queries_guide_examples() -> None:
    result = doctest.testfile(str(DOCS / "queries.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0
