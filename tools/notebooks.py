"""Execute the notebooks of ``examples/notebooks/`` with a Jupyter kernel running this interpreter.

``python -m tools.notebooks run [NOTEBOOK ...]`` (``make notebooks``, part of ``make test``) executes each
notebook, every notebook when none is named, into a copy in memory, with a timeout per cell. It fails naming
the notebook, the cell (counting every cell from 1) and the error when a cell raises, times out or writes to
stderr, or when an output holds a path of this machine. The committed files are not touched.

``python -m tools.notebooks refresh [NOTEBOOK ...]`` executes them the same way and writes the outputs back
into the files: run it after editing a notebook, and commit the result.

The kernel is ipykernel's ``python3``, which jupyter_client starts with ``sys.executable``; before the first
cell, the kernel is asked which interpreter and which ``dictdb`` it runs, and the run stops unless they are
this process's (a ``python3`` kernelspec of the user's, found first, would run another Python).
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellControlSignal, CellExecutionError, DeadKernelError
from nbformat import NotebookNode
from traitlets.config import Config

import dictdb

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "examples" / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT = 60.0  # seconds; each notebook runs in a few seconds
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks

# What the kernel reports before the first cell, compared with this process.
KERNEL_FACTS = {
    "prefix": "__import__('sys').prefix",
    "dictdb": "__import__('dictdb').__file__",
    "core": "__import__('dictdb').core_implementation()",
}


class NotebookError(Exception):
    """A notebook failed: its message names the notebook, the cell and what went wrong."""


def expected_facts() -> dict[str, str]:
    """What the kernel must report: this interpreter's prefix, this process's dictdb and core."""
    return {"prefix": sys.prefix, "dictdb": str(dictdb.__file__), "core": dictdb.core_implementation()}


def machine_paths() -> list[str]:
    """Paths that must not appear in a saved output: the checkout, the home folder, the temporary folder."""
    paths = {str(ROOT), str(Path.home()), tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir())}
    return sorted(path for path in paths if len(path) > 1)


def output_text(output: NotebookNode) -> str:
    """The text an output shows: a stream's, a result's or display's data, an error's traceback."""
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    if output.get("output_type") == "error":
        return "\n".join([str(output.get("ename")), str(output.get("evalue")), *output.get("traceback", [])])
    data = output.get("data", {})
    return "\n".join(str(value) for value in data.values())


def problems(nb: NotebookNode) -> list[str]:
    """What is wrong with a notebook's outputs: stderr, errors, machine paths, cells that did not run."""
    found: list[str] = []
    paths = machine_paths()
    count = 0
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        count += 1
        if cell.get("execution_count") != count:
            found.append(f"cell {index}: execution count {cell.get('execution_count')}, expected {count}")
        for output in cell.get("outputs", []):
            text = output_text(output)
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index} wrote to stderr: {text.strip()[:500]}")
            if output.get("output_type") == "error":
                found.append(f"cell {index} holds an error: {output.get('ename')}: {output.get('evalue')}")
            found.extend(f"cell {index}: an output holds the path {path!r}" for path in paths if path in text)
    return found


def _check_kernel(client: NotebookClient, name: str) -> None:
    """Stop unless the kernel runs this interpreter and imports the dictdb this process imports."""

    async def ask(**_: Any) -> None:
        assert client.kc is not None
        msg_id = await ensure_async(client.kc.execute("", silent=True, user_expressions=KERNEL_FACTS))
        reply = await client.async_wait_for_reply(msg_id)
        assert reply is not None
        answers = reply["content"]["user_expressions"]
        facts: dict[str, str] = {}
        for key in KERNEL_FACTS:
            answer = answers[key]
            if answer.get("status") != "ok":
                raise NotebookError(f"{name}: the kernel cannot report {key}: {answer.get('evalue')}")
            facts[key] = ast.literal_eval(answer["data"]["text/plain"])
        if facts != expected_facts():
            raise NotebookError(
                f"{name}: the {KERNEL!r} kernel runs {facts}, not this interpreter {expected_facts()}: "
                "is another python3 kernelspec installed (jupyter kernelspec list)?"
            )

    client.on_notebook_start = ask


@contextmanager
def _absolute_pythonpath() -> Iterator[None]:
    """``PYTHONPATH`` with each entry made absolute while a kernel starts: the kernel runs in a temporary
    folder, where a relative entry (``make test-debug``'s ``build/debug/src``) would name nothing, and the
    kernel would import another dictdb than this process."""
    before = os.environ.get("PYTHONPATH")
    if before:
        os.environ["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(entry) if entry else entry for entry in before.split(os.pathsep)
        )
    try:
        yield
    finally:
        if before is not None:
            os.environ["PYTHONPATH"] = before


def execute(path: Path, timeout: float = CELL_TIMEOUT) -> NotebookNode:
    """Execute a copy of the notebook at ``path`` and return it; ``NotebookError`` names what failed."""
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    nb: NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]  # nbformat's own
    started: list[int] = []
    with tempfile.TemporaryDirectory() as cwd:  # anything a notebook leaves behind goes with the folder
        # Unix sockets in the folder rather than TCP ports: nothing listens on the network (and ipykernel has
        # no unencrypted TCP to warn about). The path is absolute: the kernel runs in cwd, this process not.
        sockets = {"transport": "ipc", "ip": os.path.join(cwd, "kernel")} if os.name == "posix" else {}
        client = NotebookClient(
            nb,
            config=Config({"KernelManager": sockets}),
            timeout=timeout,
            kernel_name=KERNEL,
            record_timing=False,  # no timestamps in the saved metadata, which would change every run
            coalesce_streams=True,  # one stdout output per cell, however the kernel chunked the writes
            resources={"metadata": {"path": cwd}},
            on_cell_start=lambda cell, cell_index, **_: started.append(cell_index),
        )
        _check_kernel(client, name)
        try:
            with _absolute_pythonpath():
                client.execute()
        except CellExecutionError as error:
            text = ANSI_COLOUR.sub("", str(error))
            raise NotebookError(
                f"{name}, cell {started[-1] + 1}: {error.ename}: {error.evalue}\n{text}"
            ) from error
        except (CellControlSignal, DeadKernelError, TimeoutError, RuntimeError) as error:
            where = f"cell {started[-1] + 1}" if started else "before the first cell"
            raise NotebookError(f"{name}, {where}: {type(error).__name__}: {error}") from error
    found = problems(nb)
    if found:
        raise NotebookError(f"{name}:\n  " + "\n  ".join(found))
    return nb


def notebooks(names: Sequence[str]) -> list[Path]:
    """The notebooks named, or every notebook of examples/notebooks/."""
    if not names:
        return sorted(NOTEBOOKS.glob("*.ipynb"))
    paths = [Path(name).resolve() for name in names]
    missing = [str(path) for path in paths if path.suffix != ".ipynb" or not path.is_file()]
    if missing:
        raise NotebookError(f"not a notebook file: {', '.join(missing)}")
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.notebooks", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["run", "refresh"])
    parser.add_argument(
        "notebooks", nargs="*", help="notebook files (default: every one of examples/notebooks)"
    )
    parser.add_argument("--timeout", type=float, default=CELL_TIMEOUT, help="seconds per cell")
    args = parser.parse_args(argv)
    try:
        paths = notebooks(args.notebooks)
        if not paths:
            raise NotebookError(f"no notebook in {NOTEBOOKS}")
        for path in paths:
            start = time.perf_counter()
            nb = execute(path, args.timeout)
            if args.command == "refresh":
                nbformat.validate(nb)
                nbformat.write(nb, path)  # type: ignore[no-untyped-call]  # nbformat's own
            print(f"{path.name}: {len(nb.cells)} cells ran in {time.perf_counter() - start:.1f} s")
    except NotebookError as error:
        raise SystemExit(f"notebooks {args.command} failed: {error}") from None


if __name__ == "__main__":
    main()
