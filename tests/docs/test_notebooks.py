"""The notebooks of examples/notebooks/ are committed executed and clean, and tools/notebooks.py runs them.

`make notebooks` executes every notebook; here the committed files are read as JSON (every code cell ran, in
order, with no error, no stderr and no machine path in its outputs), and the tool is run on small notebooks
of the test's own: `run` names the failing cell and leaves the file alone, `refresh` writes the outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "examples" / "notebooks").glob("*.ipynb"))
# Absolute paths as they look on common machines: a home folder, a temporary folder, a Windows drive.
MACHINE_PATH = re.compile(r"/home/|/Users/|/root\b|/tmp/|/var/folders/|[A-Za-z]:\\\\")


def code_cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def output_text(output: dict[str, Any]) -> str:
    text = output.get("text") or "".join(
        "".join(value) if isinstance(value, list) else str(value) for value in output.get("data", {}).values()
    )
    return "".join(text) if isinstance(text, list) else str(text)


@pytest.mark.skipif(not NOTEBOOKS, reason="examples/ ships with the source tree only")
def test_the_three_notebooks_are_there() -> None:
    assert [path.name for path in NOTEBOOKS] == [
        "analytics_with_arrow_and_duckdb.ipynb",
        "durability_and_backups.ipynb",
        "queries_and_indexes.ipynb",
    ]


@pytest.mark.skipif(not NOTEBOOKS, reason="examples/ ships with the source tree only")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_executed_and_clean(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    cells = code_cells(notebook)
    assert [cell["execution_count"] for cell in cells] == list(range(1, len(cells) + 1))
    assert sum(bool(cell["outputs"]) for cell in cells) >= len(cells) // 2, "most cells show an output"
    for number, cell in enumerate(cells, start=1):
        assert "execution" not in cell["metadata"], f"code cell {number}: timing metadata changes every run"
        for output in cell["outputs"]:
            text = output_text(output)
            assert output["output_type"] != "error", f"code cell {number}: {output.get('evalue')}"
            assert output.get("name") != "stderr", f"code cell {number} wrote to stderr: {text}"
            found = MACHINE_PATH.search(text)
            assert found is None, f"code cell {number}: a machine path in an output: {found}"


def write_notebook(path: Path, *sources: str) -> None:
    nbformat = pytest.importorskip("nbformat")
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def test_run_names_the_failing_cell(tmp_path: Path) -> None:
    pytest.importorskip("nbclient")
    from tools import notebooks

    path = tmp_path / "broken.ipynb"
    write_notebook(path, "x = 1", "import dictdb\nprint(dictdb.core_implementation())", "{}['missing']")
    before = path.read_bytes()
    with pytest.raises(notebooks.NotebookError, match=r"broken\.ipynb, cell 3: KeyError: 'missing'"):
        notebooks.execute(path)
    assert path.read_bytes() == before


def test_run_leaves_the_file_and_refresh_saves_the_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("nbclient")
    from tools import notebooks

    path = tmp_path / "answer.ipynb"
    write_notebook(path, "print(6 * 7)", "'done'")
    before = path.read_bytes()
    notebooks.main(["run", str(path)])
    assert path.read_bytes() == before
    notebooks.main(["refresh", str(path)])
    assert "answer.ipynb: 2 cells ran" in capsys.readouterr().out
    cells = code_cells(json.loads(path.read_text(encoding="utf-8")))
    assert [cell["execution_count"] for cell in cells] == [1, 2]
    assert [output_text(output) for cell in cells for output in cell["outputs"]] == ["42\n", "'done'"]


def test_outputs_with_stderr_or_a_machine_path_or_out_of_order_fail() -> None:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    from tools import notebooks

    v4 = nbformat.v4
    clean = v4.new_code_cell("print(1)", execution_count=1, outputs=[v4.new_output("stream", text="1\n")])
    assert notebooks.problems(v4.new_notebook(cells=[v4.new_markdown_cell("# title"), clean])) == []
    cells = [
        v4.new_code_cell("print(os.getcwd())", execution_count=1),
        v4.new_code_cell("warn()", execution_count=3),
    ]
    cells[0].outputs = [v4.new_output("stream", text=str(Path.home() / "work") + "\n")]
    cells[1].outputs = [v4.new_output("stream", name="stderr", text="UserWarning: careful\n")]
    assert notebooks.problems(v4.new_notebook(cells=cells)) == [
        f"cell 1: an output holds the path {str(Path.home())!r}",
        "cell 2: execution count 3, expected 2",
        "cell 2 wrote to stderr: UserWarning: careful",
    ]
