"""Differential: the same seeded random operation sequences (every write, read, index, transaction and
reload of ``tests.reliability.ops``) through the compiled core and through the pure core, each in its own
process, give identical results and identical errors, class and message.

It runs in both passes of ``make test`` (the compiled build is there in both); ``make reliability`` replays
100x more sequences. The figures (sequences, operations, divergences) are reported through
``tests.reliability.figures``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REQUIRE_EXTENSIONS
from tests.reliability.budget import scaled
from tests.reliability.figures import report
from tests.reliability.ops import random_ops

ROOT = Path(__file__).resolve().parents[2]
SEQUENCES = scaled(600, 60_000)
OPERATIONS = 60
#: The pure pass of ``make test`` replays other seeds than the compiled pass: twice the sequences, same cost.
FIRST_SEED = 1_000_000 if os.environ.get("DICTDB_NO_EXTENSIONS") else 0
#: Sequences per pair of processes: the long budget runs in several rounds, each with bounded output.
BATCH = 1_000
TIMEOUT = scaled(300, 3_600)


def replay(first: int, count: int, pure: bool) -> Any:
    """Start ``tests.reliability.replay`` in a process with the compiled (``pure=False``) or pure core."""
    env = {key: value for key, value in os.environ.items() if key != "DICTDB_NO_EXTENSIONS"}
    if pure:
        env["DICTDB_NO_EXTENSIONS"] = "1"
    command = [sys.executable, "-m", "tests.reliability.replay", str(first), str(count), str(OPERATIONS)]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def results(process: Any) -> tuple[str, list[dict[str, Any]]]:
    """The core a replay process loaded, and its sequences' results."""
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    return lines[0]["core"], lines[1:]


def test_compiled_and_pure_cores_give_identical_results_and_errors() -> None:
    compared = 0
    for first in range(FIRST_SEED, FIRST_SEED + SEQUENCES, BATCH):
        count = min(BATCH, FIRST_SEED + SEQUENCES - first)
        compiled_process, pure_process = replay(first, count, pure=False), replay(first, count, pure=True)
        compiled_core, compiled = results(compiled_process)
        pure_core, pure = results(pure_process)
        if compiled_core != "cython":
            if REQUIRE_EXTENSIONS:
                pytest.fail(
                    "DICTDB_REQUIRE_EXTENSIONS is set but the replay process did not load the compiled core"
                )
            pytest.skip("compiled core not built")
        assert pure_core == "python"
        assert len(compiled) == len(pure) == count
        for ours, theirs in zip(compiled, pure, strict=True):
            assert ours["seed"] == theirs["seed"]
            if ours["results"] != theirs["results"]:
                step, a, b = next(
                    (step, a, b)
                    for step, (a, b) in enumerate(zip(ours["results"], theirs["results"], strict=True))
                    if a != b
                )
                op = random_ops(ours["seed"], OPERATIONS)[step]
                raise AssertionError(
                    f"seed {ours['seed']}, operation {step} {op!r}:\ncompiled: {a}\npure:     {b}"
                )
            compared += len(ours["results"])
    report("differential", seeds=f"{FIRST_SEED}..", sequences=SEQUENCES, operations=compared, divergences=0)
