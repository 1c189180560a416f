"""The fuzz harnesses (fuzz/), run briefly on seeded random bytes: ``make test`` proves they still work and
still find nothing; ``make fuzz`` runs them for minutes under atheris (docs/reliability.md).

Each input goes through the target's ``one_input``, which raises on a divergence between the cores, a
wrong LIKE answer or an undocumented error from ``DictDB.load``. The test also checks that the inputs
reached every path of the harness, so a harness that stopped exercising something fails here.
"""

from __future__ import annotations

import importlib
import random
from collections import Counter

import pytest
from fuzz import TARGETS

from tests.reliability.budget import scaled

INPUTS = scaled(600, 40_000)

# The paths each target's inputs must all reach (``one_input`` returns the one it took).
PATHS = {
    "predicate": {"compiled", "refused", "selected", "misuse"},
    "like": {"matched", "no match", "trailing escape"},
    "loader": {"loaded", "refused"},
}


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_finds_nothing_on_seeded_inputs(target: str) -> None:
    one_input = importlib.import_module(f"fuzz.fuzz_{target}").one_input
    rng = random.Random(f"dictdb-fuzz-{target}")
    paths: Counter[str] = Counter()
    for _ in range(INPUTS):
        data = rng.randbytes(rng.randrange(1, 512))
        paths[one_input(data)] += 1
    assert sum(paths.values()) == INPUTS
    assert PATHS[target] <= set(paths), f"{target}: the inputs reached only {dict(paths)}"
