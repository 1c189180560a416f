"""Run one fuzz target: ``python -m fuzz TARGET [--time SECONDS] [--engine atheris|random] [--seed N]``.

``atheris`` (the default when it is installed: ``requirements/fuzz.txt``) is libFuzzer's coverage-guided
mutation engine; it instruments the pure-Python code (the package and the pure twins) and treats the
compiled core as a black box it feeds. ``random`` feeds seeded random byte strings, needs nothing beyond
the test requirements, and is what the smoke test runs. Either way a failing input is written to
``build/fuzz/`` and replays with ``--replay FILE``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from fuzz import TARGETS, limit_memory

ARTIFACTS = Path("build/fuzz")


def _load(target: str) -> ModuleType:
    return importlib.import_module(f"fuzz.fuzz_{target}")


def run_random(
    one_input: Callable[[bytes], str], seconds: float, seed: int, target: str, count: int | None = None
) -> Counter[str]:
    """Seeded random inputs for ``seconds`` (or exactly ``count`` of them); the failing input, if any, is
    saved before it is re-raised."""
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while (time.monotonic() < deadline) if count is None else (sum(outcomes.values()) < count):
        data = rng.randbytes(rng.randrange(1, 512))
        try:
            outcomes[one_input(data)] += 1
        except BaseException:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            crash = ARTIFACTS / f"crash-{target}-{seed}-{sum(outcomes.values())}.bin"
            crash.write_bytes(data)
            print(f"fuzz {target}: failing input saved to {crash}", file=sys.stderr)
            raise
    return outcomes


def run_atheris(target: str, seconds: int) -> None:
    import atheris

    with atheris.instrument_imports(include=["dictdb", "fuzz"]):
        module = _load(target)
    corpus = ARTIFACTS / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)

    def test_one(data: bytes) -> None:
        module.one_input(data)

    argv = [
        sys.argv[0],
        f"-max_total_time={seconds}",
        f"-artifact_prefix={ARTIFACTS}/crash-{target}-",
        "-max_len=4096",
        "-timeout=30",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
        str(corpus),
    ]
    atheris.Setup(argv, test_one)
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--time", type=int, default=60, help="seconds to fuzz (default 60)")
    parser.add_argument("--engine", choices=("atheris", "random"), default=None)
    parser.add_argument("--seed", type=int, default=0, help="the random engine's seed")
    parser.add_argument("--replay", type=Path, help="run one saved input and exit")
    parser.add_argument("--count", type=int, help="the random engine: exactly this many inputs, not --time")
    parser.add_argument("--json", action="store_true", help="print the paths taken as one JSON object")
    args = parser.parse_args()
    limit_memory()
    if args.replay is not None:
        print(_load(args.target).one_input(args.replay.read_bytes()))
        return
    engine = args.engine
    if engine is None:
        engine = "atheris" if importlib.util.find_spec("atheris") else "random"
    if engine == "atheris":
        run_atheris(args.target, args.time)
        return
    started = time.monotonic()
    outcomes = run_random(_load(args.target).one_input, args.time, args.seed, args.target, args.count)
    spent = time.monotonic() - started
    if args.json:
        print(json.dumps(outcomes))
        return
    total = sum(outcomes.values())
    print(
        f"fuzz {args.target}: {total} inputs in {spent:.0f} s (random engine, seed {args.seed}), "
        f"0 failures; paths: {dict(sorted(outcomes.items()))}"
    )


if __name__ == "__main__":
    main()
