"""The examples in the user guides (docs/getting-started.md, docs/migrating.md) run as written."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ ships with the source tree only")
@pytest.mark.parametrize(("guide", "at_least"), [("getting-started.md", 15), ("migrating.md", 10)])
def test_guide_examples(guide: str, at_least: int) -> None:
    result = doctest.testfile(str(DOCS / guide), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= at_least
    assert result.failed == 0
