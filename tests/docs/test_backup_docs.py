"""The examples in docs/backups.md run as written."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.skipif(not (DOCS / "backups.md").exists(), reason="docs/ ships with the source tree only")
def test_backups_guide_examples() -> None:
    result = doctest.testfile(str(DOCS / "backups.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 15
    assert result.failed == 0
