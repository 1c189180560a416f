"""Print the benchmark table from pytest-benchmark JSON files (and the memory JSON of ``memory.py``).

Usage: python benchmarks/ratios.py [--summary] compiled.json [pure.json memory.json ...]

Each benchmark carries ``extra_info`` ``op``, ``size`` and ``impl``: ``cython`` and ``python`` (DictDB's two
cores), ``sqlite``, ``duckdb`` or ``floor``. The same (op, size) measured by several implementations, in any
of the files, make one row; when one was measured twice, the first file wins. Then come the worst gaps of
``bench_stall.py`` (``extra_info["worst_gap"]``: how long a save held other work back), the memory figures,
and the design's performance targets at 100,000 rows, each marked met or missed. ``--summary`` prints only
the design's operations at 100,000 rows (the README's table).

Loads of a file whose table has indexes (``bench_load_indexes.py``: the op of the load without them plus
``INDEX_LOAD_SUFFIX``) are also printed against those loads, with-indexes over without, for each core, and
checked against docs/performance.md's bound (``INDEX_LOAD_BOUND``).

Benchmarks that also carry ``extra_info["durable"]`` (``bench_durable.py``: the variant, such as
``"sync=normal"`` or ``"sqlite3 WAL FULL"``) are left out of that table and printed last, as their own: every
(op, size) with one column per variant, then the durable-database targets (docs/performance.md), each marked
met or missed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

IMPLS = ("cython", "python", "sqlite", "duckdb", "floor")
HEADS = {"cython": "compiled", "python": "pure", "sqlite": "sqlite3", "duckdb": "duckdb", "floor": "floor"}
TARGET_SIZE = 100_000

Times = dict[tuple[str, int], dict[str, float]]
#: (op, size) -> {variant: median} for the durable benchmarks.
Durable = dict[tuple[str, int], dict[str, float]]

# The design's target table (docs/performance.md): the row, the prefix of the benchmark labels measuring it,
# and its bounds.
# "pure"/"sqlite"/"duckdb": at least that many times faster than it; "floor": at most that many times
# slower than the floor.
TARGETS: list[tuple[str, str, dict[str, float]]] = [
    ("range select, sorted index, ~0.3%", "select salary range ~0.3%", {"pure": 5, "sqlite": 5, "floor": 2}),
    ("range select, sorted index, ~16%", "select salary range ~16%", {"pure": 3, "sqlite": 2, "floor": 1.3}),
    ("equality select, hash index, ~10%", "select dept == v ~10%", {"pure": 2, "sqlite": 2, "floor": 1.3}),
    ("full-scan 3-clause predicate", "select scan 3 clauses (no", {"pure": 5, "sqlite": 1, "floor": 1.2}),
    (
        "full-scan 3-clause predicate with arithmetic",
        "select scan 3 clauses, arithmetic",
        {"pure": 5, "sqlite": 1, "floor": 1.2},
    ),
    (
        "the same scan on column-indexed fields",
        "select scan 3 clauses (column",
        {"sqlite": 10, "duckdb": 1, "floor": 0.1},
    ),
    ("get(pk)", "get(pk)", {"pure": 2, "sqlite": 3, "floor": 1.3}),
    ("top 10 by a sorted-indexed field", "select top 10 by salary", {"pure": 5, "sqlite": 3}),
    ("insert one by one, 3 indexes", "insert one by one", {"pure": 2, "sqlite": 1.5}),
    ("bulk insert, 3 indexes", "bulk insert (", {"pure": 3, "sqlite": 2}),
    ("update 10% of rows", "update 10% of rows", {"pure": 3, "sqlite": 1.5}),
    ("delete 10% of rows", "delete 10% of rows", {"pure": 3, "sqlite": 1.5}),
    ("update 10%, computed (salary - 1)", "update 10%, computed", {"pure": 3, "sqlite": 1.5}),
    ("group by one field, count + avg", "aggregate group-by", {"pure": 3, "sqlite": 3}),
    ("group by a column-indexed field, count + avg", "aggregate by column", {"duckdb": 1}),
    ("join 100,000 x 1,000 by primary key", "join orders x customers (pk)", {"sqlite": 1, "floor": 1.5}),
    ("join 100,000 x 1,000 by a hash index", "join orders x customers (hash", {"sqlite": 1, "floor": 1.5}),
    ("JSON save", "json save", {"pure": 1.5, "floor": 1.5}),
    ("JSON load", "json load", {"pure": 1.5, "floor": 1.3}),
]

#: bench_load_indexes.py's loads are named after the load without indexes plus this suffix ("pickle load" ->
#: "pickle load, 5 indexes"); docs/performance.md's bound on their time over that load's.
INDEX_LOAD_SUFFIX = ", 5 indexes"
INDEX_LOAD_BOUND = 1.5


# The durable benchmarks' variants, in the order of their columns.
DURABLE_VARIANTS = (
    "memory",
    "sync=off",
    "sync=normal",
    "sync=full",
    "sqlite3 :memory:",
    "sqlite3 WAL NORMAL",
    "sqlite3 WAL FULL",
    "DictDB.open",
    "DictDB.load (pickle)",
)

# The durable-database targets (docs/performance.md, "Durable databases"): the row, the prefix of the
# benchmark labels measuring it, DictDB's variant, the variant it is compared with, how, and the bound.
# "faster": the other's time over DictDB's, at least the bound (>1: DictDB is faster); "slower": DictDB's
# time over the other's, at most the bound; "same": the time at the largest size over the time at the
# smallest, within 1 +/- the bound.
_TRANSFER = "transfer 2 rows (get x2, update"
DURABLE_TARGETS: list[tuple[str, str, str, str | None, str, float]] = [
    ("transfer, in memory (no journal)", _TRANSFER, "memory", "sqlite3 :memory:", "faster", 1),
    ("transfer, sync=normal", _TRANSFER, "sync=normal", "sqlite3 WAL NORMAL", "faster", 1),
    ("transfer, sync=full", _TRANSFER, "sync=full", "sqlite3 WAL FULL", "faster", 1),
    ("one-row insert, journal (normal) / none", "insert one row", "sync=normal", "memory", "slower", 2),
    ("one-row update, journal (normal) / none", "update one row", "sync=normal", "memory", "slower", 2),
    ("bulk insert, journal (normal) / none", "bulk insert", "sync=normal", "memory", "slower", 1.5),
    ("rollback of a 1-row change: O(1)", "rollback of a 1-row", "memory", None, "same", 0.5),
    ("open (snapshot + replay) / load pickle", "open:", "DictDB.open", "DictDB.load (pickle)", "slower", 1.5),
]


def load(paths: list[str]) -> tuple[Times, list[dict[str, Any]], Durable]:
    times: Times = {}
    memory: list[dict[str, Any]] = []
    durable: Durable = {}
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        memory.extend(data.get("memory", []))
        for bench in data.get("benchmarks", []):
            info = bench.get("extra_info", {})
            if not {"op", "size", "impl"} <= info.keys():
                continue
            median = float(bench["stats"]["median"])
            if "durable" in info:
                durable.setdefault((info["op"], int(info["size"])), {}).setdefault(info["durable"], median)
                continue
            row = times.setdefault((info["op"], int(info["size"])), {})
            row.setdefault(info["impl"], median)
    return times, memory, durable


Gaps = dict[tuple[str, int], dict[str, float]]


def load_gaps(paths: list[str]) -> Gaps:
    """The worst gaps ``bench_stall.py`` keeps, by (op, size) and impl; the first file wins, as for times."""
    gaps: Gaps = {}
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for bench in data.get("benchmarks", []):
            info = bench.get("extra_info", {})
            if {"op", "size", "impl", "worst_gap"} <= info.keys():
                gaps.setdefault((info["op"], int(info["size"])), {}).setdefault(
                    info["impl"], info["worst_gap"]
                )
    return gaps


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def grid(lines: list[list[str]]) -> str:
    """A Markdown table: the first line is the header; the first column left-aligned, the rest right."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for k, line in enumerate(lines):
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("| " + " | ".join(cells) + " |")
        if k == 0:
            out.append(
                "|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths)) + "|"
            )
    return "\n".join(out)


def ours(times: dict[str, float]) -> float | None:
    """DictDB's time: the compiled core's, or the pure one's when only that was measured."""
    return times.get("cython", times.get("python"))


def render_times(times: Times) -> str:
    impls = [impl for impl in IMPLS if any(impl in row for row in times.values())]
    contenders = [impl for impl in ("sqlite", "duckdb") if impl in impls]
    header = ["operation", "n"] + [HEADS[i] for i in impls]
    header += ["vs pure"] + [f"vs {HEADS[i]}" for i in contenders] + ["/ floor"]
    lines = [header]
    for (op, size), row in sorted(times.items()):
        mine = ours(row)
        cells = [op, f"{size:,}"] + [fmt_time(row.get(i)) for i in impls]
        cells.append(fmt_ratio(ratio(row.get("python"), row.get("cython"))))
        cells += [fmt_ratio(ratio(row.get(i), mine)) for i in contenders]
        cells.append(fmt_ratio(ratio(mine, row.get("floor"))))
        lines.append(cells)
    return grid(lines)


def render_gaps(gaps: Gaps) -> str:
    impls = [impl for impl in IMPLS if any(impl in row for row in gaps.values())]
    lines = [["operation", "n"] + [HEADS[i] for i in impls]]
    for (op, size), row in sorted(gaps.items()):
        lines.append([op, f"{size:,}"] + [fmt_time(row.get(i)) for i in impls])
    return grid(lines)


def render_memory(memory: list[dict[str, Any]]) -> str:
    impls = [impl for impl in IMPLS if any(e["impl"] == impl for e in memory)]
    sizes = sorted({int(e["size"]) for e in memory})
    whats = list(dict.fromkeys(e["what"] for e in memory))
    by = {(e["what"], e["impl"]): e["bytes"] for e in memory}
    lines = [[f"bytes per (n={', '.join(f'{s:,}' for s in sizes)})"] + [HEADS[i] for i in impls]]
    for what in whats:
        lines.append([what] + [f"{by[what, i]:.1f}" if (what, i) in by else "-" for i in impls])
    return grid(lines)


#: The columns of the targets, in order: what DictDB's time is compared with.
TARGET_KEYS = ("pure", "sqlite", "duckdb", "floor")


def measured_against(row: dict[str, float]) -> dict[str, float | None]:
    """One (op, size)'s ratios, keyed as ``TARGETS``' bounds: how many times faster DictDB is than the pure
    core, sqlite3 and DuckDB; DictDB's time over the floor's (``None`` where either was not measured)."""
    mine = ours(row)
    return {
        "pure": ratio(row.get("python"), row.get("cython")),
        "sqlite": ratio(row.get("sqlite"), mine),
        "duckdb": ratio(row.get("duckdb"), mine),
        "floor": ratio(mine, row.get("floor")),
    }


def target_met(key: str, value: float, bound: float) -> bool:
    """The floor's bound is a most (DictDB's time over the floor's); every other one is a least."""
    return value <= bound if key == "floor" else value >= bound


def target_rows(times: Times) -> list[tuple[str, str, dict[str, float | None], dict[str, float]]]:
    """Each target's measurements at ``TARGET_SIZE``: (target, op, ratios by key, bounds by key), one per
    operation the target's prefix matches, in ``TARGETS``' order."""
    found = []
    for design, prefix, bounds in TARGETS:
        for (op, size), row in sorted(times.items()):
            if size == TARGET_SIZE and op.startswith(prefix):
                found.append((design, op, measured_against(row), bounds))
    return found


def render_targets(times: Times) -> str:
    lines = [["design target (n=100,000)", "measured as", "vs pure", "vs sqlite3", "vs duckdb", "/ floor"]]
    for design, op, measured, bounds in target_rows(times):
        cells = [design, op]
        for key in TARGET_KEYS:
            value, bound = measured[key], bounds.get(key)
            if bound is None or value is None:
                cells.append(fmt_ratio(value) if bound is None and value is not None else "-")
                continue
            sign = "<=" if key == "floor" else ">="
            verdict = "met" if target_met(key, value, bound) else "MISSED"
            cells.append(f"{fmt_ratio(value)} ({sign}{bound:g} {verdict})")
        lines.append(cells)
    return grid(lines) if len(lines) > 1 else ""


def render_index_loads(times: Times) -> str:
    """Each load of a file with indexes against the same load without them: both times and their ratio for
    each core measured, the compiled one's marked met or missed against ``INDEX_LOAD_BOUND``."""
    impls = [impl for impl in ("cython", "python") if any(impl in row for row in times.values())]
    lines = [["load (with / without indexes)", "n"]]
    for impl in impls:
        lines[0] += [f"{HEADS[impl]} without", f"{HEADS[impl]} with", f"{HEADS[impl]} ratio"]
    for (op, size), row in sorted(times.items()):
        if not op.endswith(INDEX_LOAD_SUFFIX):
            continue
        without = times.get((op.removesuffix(INDEX_LOAD_SUFFIX), size), {})
        cells = [op, f"{size:,}"]
        for impl in impls:
            value = ratio(row.get(impl), without.get(impl))
            verdict = ""
            if impl == "cython" and value is not None:
                verdict = f" (<={INDEX_LOAD_BOUND:g} {'met' if value <= INDEX_LOAD_BOUND else 'MISSED'})"
            cells += [fmt_time(without.get(impl)), fmt_time(row.get(impl)), fmt_ratio(value) + verdict]
        lines.append(cells)
    return grid(lines) if len(lines) > 1 else ""


def render_summary(times: Times) -> str:
    """The design's operations at 100,000 rows, one row each: the README's table."""
    impls = [impl for impl in IMPLS if any(impl in row for row in times.values())]
    contenders = [impl for impl in ("sqlite", "duckdb") if impl in impls]
    lines = [["operation (n=100,000)"] + [HEADS[i] for i in impls] + ["x pure"]]
    lines[0] += [f"x {HEADS[i]}" for i in contenders] + ["/ floor"]
    for _, prefix, _ in TARGETS:
        for (op, size), row in sorted(times.items()):
            if size == TARGET_SIZE and op.startswith(prefix):
                mine = ours(row)
                cells = [op] + [fmt_time(row.get(i)) for i in impls]
                cells.append(fmt_ratio(ratio(row.get("python"), row.get("cython"))))
                cells += [fmt_ratio(ratio(row.get(i), mine)) for i in contenders]
                lines.append([*cells, fmt_ratio(ratio(mine, row.get("floor")))])
    return grid(lines)


def render_durable(durable: Durable) -> str:
    """Every durable benchmark: one row per (op, size), one column per variant measured."""
    known = [v for v in DURABLE_VARIANTS if any(v in row for row in durable.values())]
    others = sorted({v for row in durable.values() for v in row} - set(DURABLE_VARIANTS))
    variants = known + others
    lines = [["operation", "n", *variants]]
    for (op, size), row in sorted(durable.items()):
        lines.append([op, f"{size:,}"] + [fmt_time(row.get(v)) for v in variants])
    return grid(lines)


def _durable_value(
    durable: Durable, prefix: str, mine: str, other: str | None, how: str
) -> list[tuple[str, int, float | None, str, float | None, str, float | None]]:
    """(op, size, DictDB's time, what it is compared with, its time, ratio) for each op matching a target."""
    found = []
    matching = sorted(key for key in durable if key[0].startswith(prefix))
    if how == "same":
        ops = sorted({op for op, _ in matching})
        for op in ops:
            sizes = sorted(size for o, size in matching if o == op and mine in durable[o, size])
            if len(sizes) < 2:
                continue
            small, large = durable[op, sizes[0]][mine], durable[op, sizes[-1]][mine]
            found.append((op, sizes[-1], large, f"n={sizes[0]:,}", small, f"{mine}", ratio(large, small)))
        return found
    assert other is not None
    for op, size in matching:
        row = durable[op, size]
        if mine not in row and other not in row:
            continue
        a, b = row.get(mine), row.get(other)
        value = ratio(b, a) if how == "faster" else ratio(a, b)
        found.append((op, size, a, other, b, mine, value))
    return found


def render_durable_targets(durable: Durable) -> str:
    lines = [["durable target", "measured as", "n", "DictDB", "compared with", "ratio", "target"]]
    for design, prefix, mine, other, how, bound in DURABLE_TARGETS:
        for op, size, a, against, b, variant, value in _durable_value(durable, prefix, mine, other, how):
            if value is None:
                verdict = "-"
            elif how == "faster":
                verdict = f">={bound:g} {'met' if value >= bound else 'MISSED'}"
            elif how == "slower":
                verdict = f"<={bound:g} {'met' if value <= bound else 'MISSED'}"
            else:
                verdict = f"1±{bound:g} {'met' if abs(value - 1) <= bound else 'MISSED'}"
            lines.append(
                [
                    design,
                    op,
                    f"{size:,}",
                    f"{variant} {fmt_time(a)}",
                    f"{against} {fmt_time(b)}",
                    fmt_ratio(value),
                    verdict,
                ]
            )
    return grid(lines) if len(lines) > 1 else ""


def print_durable(durable: Durable) -> None:
    print("\nDurable databases (bench_durable.py), median times:\n")
    print(render_durable(durable))
    targets = render_durable_targets(durable)
    if targets:
        print("\nThe durable-database targets:\n")
        print(targets)
        print(
            "\nratio: against sqlite3, sqlite3's time over DictDB's (>1: DictDB is faster); journal / none "
            "and open / load,\nDictDB's time over the other's (the overhead: at most the bound); the "
            "rollback, its time at the\nlargest size over its time at the smallest (1.00x: the same)."
        )


def main(argv: list[str]) -> int:
    summary = "--summary" in argv
    argv = [arg for arg in argv if arg != "--summary"]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    times, memory, durable = load(argv)
    if not times and not durable:
        print("no labelled benchmarks found in " + ", ".join(argv), file=sys.stderr)
        return 1
    if summary:
        print(render_summary(times))
        return 0
    if not times:  # the durable benchmarks' JSON alone
        print_durable(durable)
        return 0
    print("Median times; ratios are DictDB's compiled core against each (the pure core when only it ran).\n")
    print(render_times(times))
    print("\nvs pure / vs sqlite3 / vs duckdb: how many times faster DictDB's compiled core is (>1: faster).")
    print(
        "/ floor: DictDB's time over the floor's (hand-written Python over a list of dicts; 1.00x = as fast)."
    )
    gaps = load_gaps(argv)
    if gaps:
        print("\nWorst gaps: the longest a task or thread waited during the save (benchmarks/stall.py):\n")
        print(render_gaps(gaps))
    if memory:
        print("\nMemory (tracemalloc: DictDB, floor; pages: sqlite3; duckdb_memory(): DuckDB):\n")
        print(render_memory(memory))
    targets = render_targets(times)
    if targets:
        print("\nThe design's performance targets:\n")
        print(targets)
    index_loads = render_index_loads(times)
    if index_loads:
        print(
            "\nLoading a file whose table has indexes, over the load without them (bench_load_indexes.py):\n"
        )
        print(index_loads)
    if durable:
        print_durable(durable)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
