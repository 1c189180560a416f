"""The examples in the docstrings of aggregates, logging, CSV, JSON Lines, Arrow and Parquet, and in their
guides under docs/, run as written."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from dictdb import logger

DOCS = Path(__file__).resolve().parents[2] / "docs"

MODULES = [
    "dictdb.query.aggregates",
    "dictdb.log",
    "dictdb.storage.interop.arrow",
    "dictdb.storage.interop.csvcells",
    "dictdb.storage.interop.csvfile",
    "dictdb.storage.interop.jsonlines",
    "dictdb.storage.interop.new_table",
    "dictdb.storage.interop.parquet",
]

GUIDES = ["aggregates.md", "csv.md", "logging.md", "interop.md"]


@pytest.fixture(autouse=True)
def _silent_after() -> object:
    yield None
    logger.disable("dictdb")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    if name.endswith(("arrow", "parquet")):
        pytest.importorskip("pyarrow")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.skipif(not DOCS.exists(), reason="docs/ ships with the source tree only")
@pytest.mark.parametrize("guide", GUIDES)
def test_guide_examples_run(guide: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if guide == "interop.md":
        pytest.importorskip("pyarrow")
    monkeypatch.chdir(tmp_path)  # the guides write their example files in the current folder
    result = doctest.testfile(str(DOCS / guide), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 3
    assert result.failed == 0
