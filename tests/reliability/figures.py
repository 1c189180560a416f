"""The figures reliability tests report (steps run, divergences, files checked...), for docs/reliability.md.

Each test calls ``report`` once at its end. The line goes to stdout (``pytest -s`` or ``-rP`` shows it) and,
when ``DICTDB_FIGURES`` names a file, is appended to it as one JSON object, so a run can collect them all.
"""

from __future__ import annotations

import json
import os
from typing import Any

from dictdb import core_implementation
from tests.reliability.budget import LONG


def report(test: str, **figures: Any) -> None:
    """Print and (with ``DICTDB_FIGURES``) record ``figures`` of ``test`` with the core and the budget."""
    entry = {"test": test, "core": core_implementation(), "budget": "long" if LONG else "fast", **figures}
    print("reliability figures:", json.dumps(entry))
    path = os.environ.get("DICTDB_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(entry) + "\n")
