"""Draw the benchmark results as SVG charts, for readers who would rather look than read the table.

Usage: python -m benchmarks.charts compiled.json [pure.json memory.json ...] --out DIR

Reads the same files as ``ratios.py`` (through its ``load``: pytest-benchmark JSON with ``extra_info`` ``op``,
``size`` and ``impl``, and the memory JSON of ``memory.py``) and writes, at ``ratios.TARGET_SIZE`` records:

- ``vs-contenders.svg``: how many times faster DictDB's compiled core is than sqlite3 (and DuckDB where it
  was measured), per operation, on a log axis with 1x marked;
- ``compiled-vs-pure.svg``: the compiled core's speedup over the pure one, per operation;
- ``targets.svg``: each performance target's measured ratio against its bound, met or missed;
- ``memory.svg``: bytes per record and per index entry, DictDB's cores against sqlite3, DuckDB and plain
  dicts.

A chart with nothing to show (no contender measured, no memory file) is not written. The same JSON gives
byte-identical files: the SVG ids come from a fixed salt, no date is written, and text stays text (a
``<text>`` element, in the reader's sans-serif font), so a chart diffs like the table it draws.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from benchmarks import ratios

#: The charts' files, in the order they are drawn.
CHARTS = ("vs-contenders.svg", "compiled-vs-pure.svg", "targets.svg", "memory.svg")

#: Names for a reader who has not seen the table's column heads.
LABELS = {
    "cython": "DictDB compiled",
    "python": "DictDB pure",
    "sqlite": "sqlite3",
    "duckdb": "DuckDB",
    "floor": "plain dicts (the floor)",
}
COLORS = {
    "cython": "#1f77b4",
    "python": "#9ecae1",
    "sqlite": "#ff7f0e",
    "duckdb": "#8c564b",
    "floor": "#7f7f7f",
}
MET, MISSED = "#2ca02c", "#d62728"
#: What each of ``ratios.TARGET_KEYS`` compares DictDB with.
AGAINST = {"pure": "the pure core", "sqlite": "sqlite3", "duckdb": "DuckDB", "floor": "the floor"}

STYLE: dict[Any, Any] = {  # matplotlib types its keys as the literal rc names
    "svg.hashsalt": "dictdb-benchmarks",  # clip-path and other ids: the same on every run
    "svg.fonttype": "none",  # text as <text>, not glyph outlines: diffable, searchable, small
    "text.parse_math": False,  # an operation's "$" or "_" is printed as written
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Verdana", "Arial", "Helvetica"],  # DejaVu ships with matplotlib
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
METADATA = {"Date": None, "Creator": "DictDB benchmarks/charts.py"}
#: Height of one bar's row, in inches; the margin above and below the bars.
ROW, MARGIN = 0.24, 1.1


@contextmanager
def style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE):
        yield


def run_stamp(paths: list[str]) -> str:
    """The run the charts come from: the date and commit pytest-benchmark recorded in the first file
    that has them ("" when none has: the memory files record neither)."""
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        when = str(data.get("datetime", ""))[:10]
        commit = str(data.get("commit_info", {}).get("id", ""))[:7]
        if when or commit:
            return ", ".join(part for part in (f"run of {when}" if when else "", f"commit {commit}") if part)
    return ""


def figure(rows: float, title: str, stamp: str) -> tuple[Figure, Axes]:
    """A figure tall enough for ``rows`` bars. A bare ``Figure`` (no pyplot): no GUI backend, no global
    figure registry, nothing left open between charts."""
    fig = Figure(figsize=(10, MARGIN + ROW * max(rows, 1)))
    ax = fig.subplots()
    ax.set_title(title + (f"\n{stamp}" if stamp else ""), loc="left", fontsize=10)
    return fig, ax


def save(fig: Figure, path: Path) -> None:
    fig.savefig(path, format="svg", bbox_inches="tight", metadata=METADATA)


def times_faster_axis(ax: Axes, values: list[float], xlabel: str) -> None:
    """A log x axis around ``values`` (ratios, 1 = as fast), with 1x marked."""
    low, high = min([*values, 1.0]), max([*values, 1.0])
    ax.set_xscale("log")
    ax.set_xlim(low / 2.5, high * 4)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}x"))
    ax.grid(axis="x", which="major", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def ratio_bars(ax: Axes, ys: list[float], values: list[float], height: float, color: str, label: str) -> None:
    """Bars from 1x to each value (leftwards when below 1: slower), each labelled with its ratio."""
    lefts = [min(v, 1.0) for v in values]
    widths = [abs(v - 1.0) for v in values]
    ax.barh(ys, widths, left=lefts, height=height, color=color, label=label)
    for y, value in zip(ys, values, strict=True):
        ha, x = ("left", value * 1.08) if value >= 1 else ("right", value / 1.08)
        ax.text(x, y, ratios.fmt_ratio(value), va="center", ha=ha, fontsize=7.5)


def legend(ax: Axes, handles: list[Line2D] | None = None, above: bool = True) -> None:
    """The legend above the plot, right of the title, where it covers no bar (or in the lower right)."""
    anchor = (1.0, 1.0) if above else None
    ax.legend(handles=handles, loc="lower right", bbox_to_anchor=anchor, frameon=False, fontsize=8)


def op_axis(ax: Axes, ops: list[str]) -> None:
    ax.set_yticks(range(len(ops)), ops)
    ax.set_ylim(len(ops) - 0.5, -0.5)  # the first operation on top
    ax.tick_params(axis="y", length=0)


def at_target_size(times: ratios.Times) -> dict[str, dict[str, float]]:
    return {op: row for (op, size), row in sorted(times.items()) if size == ratios.TARGET_SIZE}


def chart_contenders(times: ratios.Times, stamp: str) -> Figure | None:
    rows = at_target_size(times)
    contenders = [c for c in ("sqlite", "duckdb") if any(c in row for row in rows.values())]
    ops = [
        op for op, row in rows.items() if ratios.ours(row) is not None and any(c in row for c in contenders)
    ]
    if not ops:
        return None
    against = " and ".join(LABELS[c] for c in contenders)
    title = f"DictDB (compiled core) against {against}, {ratios.TARGET_SIZE:,} records"
    fig, ax = figure(len(ops) * (1 + 0.5 * (len(contenders) - 1)), title, stamp)
    height = 0.8 / len(contenders)
    found: list[float] = []
    for k, contender in enumerate(contenders):
        ys, values = [], []
        for y, op in enumerate(ops):
            value = ratios.ratio(rows[op].get(contender), ratios.ours(rows[op]))
            if value is not None:
                ys.append(y - 0.4 + height * (k + 0.5))
                values.append(value)
        ratio_bars(ax, ys, values, height, COLORS[contender], f"vs {LABELS[contender]}")
        found += values
    times_faster_axis(
        ax, found, "times faster than the other: its time over DictDB's (log scale; below 1x: slower)"
    )
    op_axis(ax, ops)
    legend(ax)
    return fig


def chart_cores(times: ratios.Times, stamp: str) -> Figure | None:
    rows = at_target_size(times)
    ops = [op for op, row in rows.items() if "cython" in row and "python" in row]
    if not ops:
        return None
    fig, ax = figure(
        len(ops), f"The compiled core against the pure one, {ratios.TARGET_SIZE:,} records", stamp
    )
    values = [rows[op]["python"] / rows[op]["cython"] for op in ops]
    for faster in (True, False):
        picked = [(y, v) for y, v in enumerate(values) if (v >= 1) == faster]
        if picked:
            ys, vs = zip(*picked, strict=True)
            color, label = (
                (COLORS["cython"], "compiled faster") if faster else (COLORS["floor"], "pure faster")
            )
            ratio_bars(ax, list(ys), list(vs), 0.7, color, label)
    times_faster_axis(ax, values, "speedup: the pure core's time over the compiled core's (log scale)")
    op_axis(ax, ops)
    legend(ax)
    return fig


def chart_targets(times: ratios.Times, stamp: str) -> Figure | None:
    """One row per bound of each target: a tick at the bound, a dot at the measured ratio, joined by a line
    green when met, red when missed. The floor's bound is a most on DictDB's time over the floor's; it is
    drawn inverted (the floor's time over DictDB's, at least 1/bound) so that right is better on every row."""
    found: list[tuple[str, float, float, bool, str]] = []
    for _, op, measured, bounds in ratios.target_rows(times):
        for key in ratios.TARGET_KEYS:
            value, bound = measured[key], bounds.get(key)
            if value is None or bound is None or value <= 0:
                continue
            met = ratios.target_met(key, value, bound)
            verdict = "met" if met else "MISSED"
            if key == "floor":
                text = f"{value:.2f}x the floor's time (<={bound:g}x: {verdict})"
                found.append((f"{op}, vs {AGAINST[key]}", 1 / value, 1 / bound, met, text))
            else:
                text = f"{value:.2f}x (>={bound:g}x: {verdict})"
                found.append((f"{op}, vs {AGAINST[key]}", value, bound, met, text))
    if not found:
        return None
    fig, ax = figure(len(found), f"The performance targets at {ratios.TARGET_SIZE:,} records", stamp)
    shade, previous = False, ""
    for y, (label, value, bound, met, text) in enumerate(found):
        op = label.rsplit(", vs ", 1)[0]
        if op != previous:  # a band behind every other operation's rows, to read them as one group
            shade, previous = not shade, op
        if shade:
            ax.axhspan(y - 0.5, y + 0.5, color="#f2f2f2", linewidth=0)
        color = MET if met else MISSED
        ax.plot([bound, value], [y, y], color=color, linewidth=2.5, solid_capstyle="butt")
        ax.plot([bound], [y], marker="|", color="black", markersize=11, markeredgewidth=1.6)
        ax.plot([value], [y], marker="o" if met else "X", color=color, markersize=6.5)
        # The verdicts in a column right of the plot (x in axes units, y in rows): never over a marker.
        ax.text(1.01, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=7.5, color=color)
    values = [v for _, v, _, _, _ in found] + [b for _, _, b, _, _ in found]
    times_faster_axis(
        ax,
        values,
        "times faster than the other (the floor: its time over DictDB's; log scale; right is better)",
    )
    op_axis(ax, [label for label, _, _, _, _ in found])
    legend(
        ax,
        [
            Line2D([], [], color="black", marker="|", linestyle="", markersize=10, label="target bound"),
            Line2D([], [], color=MET, marker="o", linewidth=2.5, label="measured: met"),
            Line2D([], [], color=MISSED, marker="X", linewidth=2.5, label="measured: missed"),
        ],
    )
    return fig


def chart_memory(memory: list[dict[str, Any]], stamp: str) -> Figure | None:
    if not memory:
        return None
    impls = [impl for impl in ratios.IMPLS if any(e["impl"] == impl for e in memory)]
    whats = list(dict.fromkeys(str(e["what"]) for e in memory))
    sizes = sorted({int(e["size"]) for e in memory})
    by = {(str(e["what"]), str(e["impl"])): float(e["bytes"]) for e in memory}
    rows = sum(1 for what in whats for impl in impls if (what, impl) in by)
    high = max(by.values())
    title = f"Memory: bytes per record and per index entry ({', '.join(f'{s:,}' for s in sizes)} records)"
    fig, ax = figure(rows * 0.85, title, stamp)
    # Each operation's bars packed together (only the impls measured for it), a gap between operations.
    y, ticks, drawn = 0.0, [], set()
    for what in whats:
        start = y
        for impl in impls:
            if (what, impl) not in by:
                continue
            value = by[what, impl]
            label = LABELS[impl] if impl not in drawn else None
            drawn.add(impl)
            ax.barh([y], [value], height=0.85, color=COLORS[impl], label=label)
            ax.text(value + high * 0.006, y, f"{value:.0f}", va="center", ha="left", fontsize=7.5)
            y += 1
        ticks.append((start + y - 1) / 2)
        y += 0.6
    ax.set_yticks(ticks, whats)
    ax.set_ylim(y - 0.6 + 0.2, -0.8)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(
        "bytes (tracemalloc for DictDB and plain dicts; pages for sqlite3; duckdb_memory() for DuckDB)"
    )
    ax.set_xlim(0, high * 1.12)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    legend(ax, above=False)  # the tall legend fits under the short bars of the last rows
    return fig


def draw(paths: list[str], out: Path) -> list[Path]:
    """Write the charts for ``paths`` into ``out`` (created if missing, and only when there is one to
    write); return the files written."""
    times, memory, _ = ratios.load(paths)
    stamp = run_stamp(paths)
    with style():
        figures = {
            "vs-contenders.svg": chart_contenders(times, stamp),
            "compiled-vs-pure.svg": chart_cores(times, stamp),
            "targets.svg": chart_targets(times, stamp),
            "memory.svg": chart_memory(memory, stamp),
        }
        drawn = [(name, fig) for name in CHARTS if (fig := figures[name]) is not None]
        if drawn:
            out.mkdir(parents=True, exist_ok=True)
        for name, fig in drawn:
            save(fig, out / name)
    return [out / name for name, _ in drawn]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.charts", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="pytest-benchmark JSON and memory JSON files")
    parser.add_argument("--out", type=Path, required=True, help="the folder for the SVG files")
    args = parser.parse_args(argv)
    written = draw(args.files, args.out)
    if not written:
        print("no labelled benchmarks or memory figures found in " + ", ".join(args.files), file=sys.stderr)
        return 1
    print("charts: " + ", ".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
