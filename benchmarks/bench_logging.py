"""What the logging calls cost while logging is off (the default): DictDB's ``Table`` against the same class
built from ``table.py``'s source with every logging statement removed.

The second class is compiled here from the real source, its logging statements (``_logs.event(...)``, and an
``if`` that only guards one) replaced by ``pass`` (which compiles to nothing), so the two differ in exactly
the logging calls. Each benchmark group
holds the two variants side by side: "logging off" and "no log calls". Run once per mode.

    .venv/bin/python -m pytest benchmarks/bench_logging.py -o python_files='bench_*.py' -p no:cacheprovider

The groups are many small operations, where a per-call cost would show most: single-record inserts,
inserts of 10-record batches, selects on a 10-record and a 1,000-record table, updates of one record. On a
busy machine two runs of the same code differ by a few percent (the one-by-one insert has no logging call at
all: it shows the noise). ``python -m benchmarks.bench_logging`` runs the two variants alternately, which
cancels drift, and prints each scenario's overhead from the fastest run of each.
"""

from __future__ import annotations

import ast
import inspect
import math
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

import dictdb
from benchmarks.data import make_rows
from dictdb import log as _log
from dictdb import table as table_module


def _is_log_call(node: ast.stmt) -> bool:
    """``_logs.<method>(...)`` as a statement."""
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and isinstance(node.value.func.value, ast.Name)
        and node.value.func.value.id == "_logs"
    )


class _StripLogging(ast.NodeTransformer):
    """Replace each logging statement by ``pass``: a ``_logs.<...>(...)`` call, and an ``if`` that tests
    ``_logs`` or holds nothing but such calls (``if kind is not None: _logs.event(...)``)."""

    removed = 0

    def visit_If(self, node: ast.If) -> ast.AST:
        if "_logs." in ast.unparse(node.test) or (not node.orelse and all(map(_is_log_call, node.body))):
            self.removed += 1
            return ast.Pass()
        return self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if _is_log_call(node):
            self.removed += 1
            return ast.Pass()
        return node


def without_logging(module: ModuleType) -> ModuleType:
    """A copy of ``module`` compiled from its source with the logging statements removed."""
    strip = _StripLogging()
    tree = ast.fix_missing_locations(strip.visit(ast.parse(inspect.getsource(module))))
    # the commit point (every write), select and aggregate
    assert strip.removed >= 3, "the logging statements were not found: update _StripLogging"
    assert "_logs." not in ast.unparse(tree)
    copy = ModuleType(f"{module.__name__}_without_logging")
    exec(compile(tree, module.__file__ or "<table>", "exec"), copy.__dict__)
    return copy


TABLES: dict[str, Any] = {
    "logging off": table_module.Table,
    "no log calls": without_logging(table_module).Table,
}
ROWS = make_rows(1_000)


def insert_one_by_one(table_class: Any) -> Callable[[], Any]:
    def insert() -> Any:
        table = table_class("t")
        for row in ROWS:
            table.insert(row)
        return table

    return insert


def insert_batches_of_ten(table_class: Any) -> Callable[[], Any]:
    batches = [ROWS[i : i + 10] for i in range(0, len(ROWS), 10)]

    def insert() -> Any:
        table = table_class("t")
        for batch in batches:
            table.insert(batch)
        return table

    return insert


def selects(size: int) -> Callable[[Any], Callable[[], Any]]:
    def scenario(table_class: Any) -> Callable[[], Any]:
        table = table_class("t")
        table.insert(ROWS[:size])
        where = (table.age >= 30) & (table.dept == "dept3")

        def select() -> int:
            return sum(len(table.select(where=where)) for _ in range(100))

        return select

    return scenario


def update_one_record(table_class: Any) -> Callable[[], Any]:
    table = table_class("t")
    table.insert(ROWS[:10])
    where = table.id == 5

    def update() -> int:
        return sum(table.update({"age": 40}, where=where) for _ in range(100))

    return update


SCENARIOS: dict[str, Callable[[Any], Callable[[], Any]]] = {
    "insert 1,000 records one by one": insert_one_by_one,
    "insert 100 batches of 10 records": insert_batches_of_ten,
    "100 selects on 10 records": selects(10),
    "100 selects on 1,000 records": selects(1_000),
    "100 updates of one record in 10": update_one_record,
}


def logging_off() -> None:
    _log.logger.disable("dictdb")
    # Warm loguru's cache of "dictdb.table is disabled", as any program's first operation does.
    table_module.Table("warm").insert([{"x": 1}])


@pytest.fixture(autouse=True)
def _logging_off() -> None:
    logging_off()


@pytest.mark.parametrize("variant", list(TABLES))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_logging_cost(benchmark: Any, scenario: str, variant: str) -> None:
    benchmark.group = f"logging cost: {scenario} ({dictdb.core_implementation()})"
    benchmark.extra_info.update(logging=variant, impl=dictdb.core_implementation())
    action = SCENARIOS[scenario](TABLES[variant])
    assert benchmark.pedantic(action, rounds=200, warmup_rounds=5, iterations=1) is not None


def interleaved(scenario: str, runs: int = 101) -> float:
    """The overhead of "logging off" over "no log calls": the two alternate, each run timed alone, and the
    fastest run of each is compared (the least disturbed by the rest of the machine)."""
    actions = {variant: SCENARIOS[scenario](table_class) for variant, table_class in TABLES.items()}
    best = dict.fromkeys(actions, math.inf)
    for _ in range(runs):
        for variant, action in actions.items():
            started = time.perf_counter()
            action()
            best[variant] = min(best[variant], time.perf_counter() - started)
    return best["logging off"] / best["no log calls"] - 1


def main() -> None:
    logging_off()
    print(
        f"logging off vs no log calls, {dictdb.core_implementation()} core (fastest of 101 alternate runs):"
    )
    for scenario in SCENARIOS:
        print(f"  {scenario:36s} {interleaved(scenario):+6.1%}")


if __name__ == "__main__":
    main()
