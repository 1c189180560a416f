"""Memory per record and per index entry, for DictDB and the contenders, as JSON for ``ratios.py``.

Usage: python -m benchmarks.memory [--rows N] [--out FILE] [--dictdb-only]  (default: 100,000 rows, to stdout)

- DictDB (the core this process runs; ``make bench`` runs it once per core) and the floor: bytes allocated
  by Python while the records are stored, traced with ``tracemalloc`` (the input rows exist beforehand and
  are not counted). An index entry: the bytes its index adds, divided by the rows. The sorted-index kernel is
  measured in both cores. Column indexes (``age`` int, ``dept`` str, ``salary`` int, on a table of their
  own): the first one a table gets also brings the store's row map and the table's sequence numbers (which
  any first index brings). Both stores allocate through Python's allocator, so tracemalloc sees them.
- sqlite3: the database's pages (``page_count * page_size``), before and after each ``CREATE INDEX``.
- DuckDB, when installed: the bytes its ``duckdb_memory()`` reports, before and after each index (it counts
  whole blocks, so at small sizes it overstates).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import sys
import tracemalloc
from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

import dictdb
from benchmarks.contenders import dictdb_table, floor, sqlite
from benchmarks.data import INDEXES, make_rows

DESIGN_INDEXES = {"dept": "hash", "age": "sorted", "salary": "sorted"}
COLUMN_FIELDS = ("age", "dept", "salary")

Entry = dict[str, Any]


def traced(make: Callable[[], Any]) -> tuple[Any, int]:
    """``make()`` and the bytes still allocated by Python when it returns (what its result holds)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        return made, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def entry(what: str, impl: str, n: int, used: float) -> Entry:
    return {"what": what, "impl": impl, "size": n, "bytes": used / n}


def measure_dictdb(rows: list[dict[str, Any]]) -> list[Entry]:
    n, core = len(rows), dictdb.core_implementation()
    table, used = traced(lambda: dictdb_table.bulk_insert(rows, {}))
    found = [entry("record", core, n, used)]
    for field, kind in INDEXES.items():
        _, used = traced(lambda field=field, kind=kind: table.create_index(field, kind))
        found.append(entry(f"{kind} index entry ({field})", core, n, used))
    columns = dictdb_table.bulk_insert(rows, {})
    for position, field in enumerate(COLUMN_FIELDS):
        _, used = traced(lambda field=field: columns.create_index(field, "column"))
        what = (
            f"column index entry ({field})" if position else f"first column index, + row map, seq ({field})"
        )
        found.append(entry(what, core, n, used))
    return found


def measure_sorted_kernel(rows: list[dict[str, Any]]) -> list[Entry]:
    pairs = [(row["salary"], row["id"]) for row in rows]
    found = []
    for kind, suffix in (("cython", ""), ("python", "_py")):
        try:
            module = importlib.import_module(f"dictdb._core._index{suffix}")
        except ImportError:  # the compiled core is not built: only the pure twin is measured
            continue
        _, used = traced(lambda module=module: module.SortedEntries(pairs))
        found.append(entry("sorted index kernel entry (salary)", kind, len(rows), used))
    return found


def measure_floor(rows: list[dict[str, Any]]) -> list[Entry]:
    n = len(rows)
    _, used = traced(lambda: floor.build(rows, {}))
    found = [entry("record", floor.impl(), n, used)]
    for field, kind in DESIGN_INDEXES.items():
        _, used = traced(lambda field=field, kind=kind: floor.build(rows, {field: kind}))
        found.append(entry(f"{kind} index entry ({field})", floor.impl(), n, used - found[0]["bytes"] * n))
    return found


def measure_sqlite(rows: list[dict[str, Any]]) -> list[Entry]:
    n = len(rows)
    con = sqlite.build(rows, {})

    def pages() -> int:
        count: int = con.execute("PRAGMA page_count").fetchone()[0]
        size: int = con.execute("PRAGMA page_size").fetchone()[0]
        return count * size

    found = [entry("record", sqlite.impl(), n, pages())]
    for field, kind in DESIGN_INDEXES.items():
        before = pages()
        con.execute(f"CREATE INDEX employees_{field} ON employees ({field})")
        found.append(entry(f"{kind} index entry ({field})", sqlite.impl(), n, pages() - before))
    con.close()
    return found


def measure_duckdb(rows: list[dict[str, Any]]) -> list[Entry]:
    from benchmarks.contenders import duckdb as duck

    n = len(rows)
    con = duck.build(rows, {})

    def used() -> int:
        total: int = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
        return total

    found = [entry("record", duck.impl(), n, used())]
    for field, kind in DESIGN_INDEXES.items():
        before = used()
        con.execute(f"CREATE INDEX employees_{field} ON employees ({field})")
        found.append(entry(f"{kind} index entry ({field})", duck.impl(), n, used() - before))
    con.close()
    return found


def measure(n: int) -> list[Entry]:
    """Every measurement at ``n`` rows."""
    rows = make_rows(n)
    found = measure_dictdb(rows) + measure_sorted_kernel(rows) + measure_floor(rows) + measure_sqlite(rows)
    if find_spec("duckdb"):
        found += measure_duckdb(rows)
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", help="write the JSON here instead of stdout")
    parser.add_argument(
        "--dictdb-only",
        action="store_true",
        help="measure DictDB's records and indexes only (the second core)",
    )
    args = parser.parse_args(argv)
    found = measure_dictdb(make_rows(args.rows)) if args.dictdb_only else measure(args.rows)
    text = json.dumps({"memory": found}, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
