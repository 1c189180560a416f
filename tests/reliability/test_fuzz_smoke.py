"""The fuzz harnesses (fuzz/), run briefly on seeded random bytes: ``make test`` proves they still work and
still find nothing; ``make fuzz`` runs them for minutes under atheris (docs/reliability.md).

Each input goes through the target's ``one_input``, which raises on a divergence between the cores, a
wrong LIKE answer or an undocumented error from ``DictDB.load``. The test also checks that the inputs
reached every path of the harness, so a harness that stopped exercising something fails here. Each target
runs in a process of its own (``python -m fuzz``), under the harness's memory limit
(``fuzz.limit_memory``): an allocation bomb fails the run at once instead of making the machine swap, and
the limit stays out of the test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz import TARGETS

from tests.reliability.budget import scaled

INPUTS = scaled(600, 40_000)

# The paths each target's inputs must all reach (``one_input`` returns the one it took).
PATHS = {
    "predicate": {"compiled", "refused", "selected", "misuse"},
    "like": {"matched", "no match", "trailing escape"},
    "loader": {"loaded", "refused", "false claim"},
}


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_finds_nothing_on_seeded_inputs(target: str) -> None:
    command = ["-m", "fuzz", target, "--engine", "random", "--seed", "1", "--count", str(INPUTS), "--json"]
    done = subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, f"{target}: {done.stderr}"
    paths: dict[str, int] = json.loads(done.stdout)
    assert sum(paths.values()) == INPUTS
    assert PATHS[target] <= set(paths), f"{target}: the inputs reached only {paths}"
