"""Print the compiled/pure ratio table from pytest-benchmark JSON files.

Usage: python benchmarks/ratios.py compiled.json [pure.json ...]

Each benchmark carries ``extra_info`` ``op``, ``size`` and ``impl`` (``cython``, ``python``, ``floor`` or
``sqlite3``); the same (op, size) measured by several implementations, in any of the files, make one row. When
a pair was measured twice (the floors run in each mode), the first file wins. The sqlite3 columns appear when
some benchmark measured sqlite3.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

IMPLS = ("cython", "python", "floor", "sqlite3")


def load(paths: list[str]) -> dict[tuple[str, int], dict[str, float]]:
    table: dict[tuple[str, int], dict[str, float]] = {}
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for bench in data["benchmarks"]:
            info = bench.get("extra_info", {})
            if not {"op", "size", "impl"} <= info.keys():
                continue
            row = table.setdefault((info["op"], int(info["size"])), {})
            row.setdefault(info["impl"], float(bench["stats"]["median"]))
    return table


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None or denominator == 0:
        return "-"
    return f"{numerator / denominator:.2f}x"


def render(table: dict[tuple[str, int], dict[str, float]]) -> str:
    sqlite = any("sqlite3" in times for times in table.values())
    header = ["operation", "n", "compiled", "pure", "floor", "pure/compiled", "compiled/floor"]
    if sqlite:
        header[5:5] = ["sqlite3"]
        header.append("sqlite3/compiled")
    lines = [header]
    for (op, size), times in sorted(table.items()):
        c, p, f, q = (times.get(impl) for impl in IMPLS)
        line = [op, f"{size:,}", fmt_time(c), fmt_time(p), fmt_time(f), fmt_ratio(p, c), fmt_ratio(c, f)]
        if sqlite:
            line[5:5] = [fmt_time(q)]
            line.append(fmt_ratio(q, c))
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for k, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    table = load(argv)
    if not table:
        print("no labelled benchmarks found in " + ", ".join(argv), file=sys.stderr)
        return 1
    print(render(table))
    print("\npure/compiled: how many times faster the compiled core is.")
    print("compiled/floor: 1.00x is the speed of hand-written Python over a list of dicts.")
    if any("sqlite3" in times for times in table.values()):
        print("sqlite3/compiled: how many times faster the compiled core is than sqlite3 :memory:.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
