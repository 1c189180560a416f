"""The examples in the user guides (docs/getting-started.md, docs/migrating.md) and the README tour run as
written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from typing import Any

import pytest

from dictdb import Avg, Count

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ ships with the source tree only")
@pytest.mark.parametrize(
    ("guide", "at_least"), [("getting-started.md", 15), ("migrating.md", 10), ("from-sqlite3.md", 10)]
)
def test_guide_examples(guide: str, at_least: int) -> None:
    result = doctest.testfile(str(DOCS / guide), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= at_least
    assert result.failed == 0


README = DOCS.parent / "README.md"


@pytest.mark.skipif(not README.is_file(), reason="README.md ships with the source tree only")
def test_readme_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("```python\n", text.index("## A 20-line tour")) + len("```python\n")
    code = text[start : text.index("```", start)]
    assert len(code.splitlines()) <= 20
    monkeypatch.chdir(tmp_path)  # the tour saves staff.json in the current folder
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md tour", "exec"), namespace)
    again = namespace["again"]
    assert again.get_table("staff").get(3) == {
        "name": "cy",
        "dept": "dev",
        "salary": 95_000,
        "boss": "ada",
        "id": 3,
    }
    staff = namespace["staff"]
    assert staff.aggregate(group_by="dept", n=Count(), mean=Avg("salary")) == [
        {"dept": "dev", "n": 2, "mean": 107_500.0},
        {"dept": "ops", "n": 1, "mean": 40_000.0},
    ]


GUIDES_WITH_EXAMPLES = sorted(path.name for path in DOCS.glob("*.md") if ">>> " in path.read_text("utf-8"))


@pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ ships with the source tree only")
@pytest.mark.parametrize("guide", GUIDES_WITH_EXAMPLES)
def test_guides_run_as_a_reader_runs_them(
    guide: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `python -m doctest docs/<guide>.md`, with no option flags: an example that needs "..." says so itself.
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(str(DOCS / guide), module_relative=False)
    assert result.attempted > 0
    assert result.failed == 0


def _readme_blocks() -> list[str]:
    if not README.is_file():
        return []
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    return [block for block in blocks if not block.startswith(">>>")]


@pytest.mark.skipif(not README.is_file(), reason="README.md ships with the source tree only")
@pytest.mark.parametrize("block", _readme_blocks(), ids=lambda block: block.splitlines()[0][:40])
def test_each_readme_snippet_runs_on_its_own(
    block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the snippets write their files in the current folder
    exec(compile(block, "README.md", "exec"), {})
