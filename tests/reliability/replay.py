"""Replays seeded operation sequences (``tests.reliability.ops.random_ops``) and prints every result and
error as text, one JSON line per sequence: what ``test_differential_ops`` compares between a process running
the compiled core and one running the pure core.

Run as ``python -m tests.reliability.replay FIRST_SEED SEQUENCES OPERATIONS`` from the repository root; the
first line printed names the core this process loaded.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dictdb
from tests.reliability.ops import Rollback, Runner, random_ops


def shown(apply: Callable[..., Any], op: tuple[Any, ...]) -> str:
    """The operation's result as its repr, or its error as ``!module.Class: message``."""
    try:
        return repr(apply(op))
    except Rollback:
        raise
    except Exception as exc:  # the error, class and message, is the result compared
        return f"!{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


def replay(seed: int, operations: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="dictdb-replay-") as workdir:
        runner = Runner(Path(workdir), catch=shown)
        return [shown(runner.apply, op) for op in random_ops(seed, operations)]


def main(argv: list[str]) -> None:
    first, sequences, operations = (int(arg) for arg in argv)
    print(json.dumps({"core": dictdb.core_implementation()}), flush=True)
    for seed in range(first, first + sequences):
        print(json.dumps({"seed": seed, "results": replay(seed, operations)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
