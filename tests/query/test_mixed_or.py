"""ORs whose branches different kinds of index serve (hash, sorted, column, primary key, intersections), and
ANDs of ORs: the planner's choices as ``Table.explain`` shows them, and the rows, always a scan's."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from dictdb import Table
from dictdb.query import planner
from dictdb.query.expr import PredicateExpr


def make(n: int = 1000) -> Table:
    """``n`` records: dept d0..d9 (hash), age 20..79 (sorted), salary 30,000..149,999 (column), name."""
    t = Table("staff")
    t.insert(
        [
            {
                "dept": f"d{i % 10}",
                "age": 20 + i * 7 % 60,
                "salary": 30_000 + i * 7919 % 120_000,
                "name": f"u{i}",
            }
            for i in range(n)
        ]
    )
    return t


def indexed(t: Table) -> Table:
    t.create_index("dept")
    t.create_index("age", "sorted")
    t.create_index("salary", "column")
    return t


REFERENCE = make()


@pytest.fixture
def t() -> Table:
    return indexed(make())


@pytest.fixture(autouse=True)
def compiled_costs() -> Iterator[None]:
    """The compiled core's constants in both cores, so that both take the same paths here (the pure core
    gives up on the column store and on indexes sooner; ``test_the_pure_costs_give_up_sooner`` checks it)."""
    saved = planner.SCAN_FRACTION, planner.COLUMN_RATIO
    planner.SCAN_FRACTION, planner.COLUMN_RATIO = 0.3, 64
    yield
    planner.SCAN_FRACTION, planner.COLUMN_RATIO = saved


def ids(table: Table, where: Any, **kwargs: Any) -> list[Any]:
    return [r["id"] for r in table.select(where=where, **kwargs)]


def plain(where: Any, **kwargs: Any) -> list[Any]:
    """What a table without indexes returns: what every plan must give."""
    return ids(REFERENCE, PredicateExpr(where.plan), **kwargs)


def access(t: Table, where: Any) -> dict[str, Any]:
    assert ids(t, where) == plain(where)
    found: dict[str, Any] = t.explain(where)["access"]
    return found


def ops(path: dict[str, Any]) -> list[str]:
    return [part["op"] for part in path["inputs"]]


def test_an_or_of_an_intersection_and_a_column_match(t: Table) -> None:
    where = ((t.dept == "d3") & (t.age > 75)) | (t.salary < 31_000)
    path = access(t, where)
    assert path["op"] == "union"
    assert ops(path) == ["intersect", "column"]
    assert ops(path["inputs"][0]) == ["index", "index"]
    assert path["inputs"][1]["clause"] == "salary < 31000"
    plan = t.explain(where)
    assert plan["recheck"] is True  # a union is re-checked, even of exact branches
    assert str(plan).splitlines()[2:] == [
        "access: union (~78)",
        "  - intersect, starting from the first (~67)",
        "    - sorted index 'age', range: age > 75 (~67)",
        "    - hash index 'dept', equal: dept == 'd3' (~100)",
        "  - column index 'salary': salary < 31000 (~11, exact)",
        "re-check: ~78 candidates against the whole predicate",
    ]


def test_an_or_of_every_kind(t: Table) -> None:
    where = (t.dept == "d3") | (t.age < 21) | (t.salary > 149_000) | (t.id == 5)
    path = access(t, where)
    assert ops(path) == ["index", "index", "column", "primary key"]
    assert [part.get("index") for part in path["inputs"]] == ["dept", "age", None, None]


def test_column_branches_are_read_in_one_pass(t: Table) -> None:
    where = (t.salary < 31_000) | (t.dept == "d3") | ((t.salary > 149_000) & ~(t.salary == 149_500))
    path = access(t, where)
    assert ops(path) == ["column", "index"]
    column = path["inputs"][0]
    assert column["clause"] == "(salary < 31000 | (salary > 149000 & ~(salary == 149500)))"
    assert (column["whole"], column["exact"]) == (True, True)


def test_a_column_match_of_part_of_a_branch(t: Table) -> None:
    where = ((t.salary < 31_000) & t.name.endswith("7")) | (t.age < 21)
    path = access(t, where)
    assert ops(path) == ["column", "index"]
    assert (path["inputs"][0]["clause"], path["inputs"][0]["whole"]) == ("salary < 31000", False)
    assert "(~11, part of the AND)" in str(t.explain(where))


def test_an_and_narrowed_by_an_or(t: Table) -> None:
    where = (t.dept == "d3") & ((t.age > 75) | (t.salary < 31_000))
    path = access(t, where)
    assert path["op"] == "intersect"
    assert ops(path) == ["union", "index"]
    assert ops(path["inputs"][0]) == ["index", "column"]


def test_a_small_path_spares_the_column_pass(t: Table) -> None:
    # A primary-key lookup, or an index path of at most rows / COLUMN_RATIO, is cheaper than reading the
    # vectors: the OR that needs them is only re-checked.
    assert access(t, (t.id == 7) & ((t.age > 75) | (t.salary < 31_000)))["op"] == "primary key"
    where = t.age.between(20, 20) & ((t.dept == "d3") | (t.salary < 31_000))
    path = access(t, where)
    assert (path["op"], path["index"]) == ("index", "age")


def test_an_and_of_ors(t: Table) -> None:
    where = ((t.age > 78) | (t.dept == "d1")) & ((t.salary < 31_000) | (t.id == 5))
    path = access(t, where)
    assert path["op"] == "union"  # the smaller OR; the other is only re-checked
    assert ops(path) == ["column", "primary key"]


def test_a_branch_without_a_path_makes_the_or_a_scan(t: Table) -> None:
    for where in (
        (t.salary < 31_000) | t.name.endswith("7"),
        ((t.dept == "d3") & (t.salary < 31_000)) | ~(t.age == 30),
        (t.dept == "d3") & ((t.age > 75) | (t.name == "u7")) | (t.name == "u8"),
    ):
        path = access(t, where)
        assert path == {"op": "scan", "rows": 1000, "reason": "no index serves the predicate"}, where


def test_an_unknown_node_has_no_path(t: Table) -> None:
    served = ("eq", "dept", "d3")
    found = planner.Planner(t.primary_key, t.records, t.indexes, t._indexing.store)
    assert found.choose(("or", (served, ("mystery", "dept", "d3")))).describe()["op"] == "scan"
    assert found.choose(("and", (served, ("mystery", "dept", "d3")))).describe()["op"] == "index"


def test_a_union_yielding_too_much_loses_to_a_scan(t: Table) -> None:
    where = (t.dept == "d1") | (t.dept == "d2") | (t.age > 60) | (t.salary < 31_000)
    plan = t.explain(where)
    assert plan["access"]["op"] == "scan"
    # Decided from the index branches' sizes: the vectors are never read.
    assert plan["access"]["reason"] == "the union yields ~516 of 1000 records: a scan is cheaper"
    assert ids(t, where) == plain(where)


def test_the_column_passes_count_against_a_scan(t: Table) -> None:
    where = ((t.dept == "d3") & (t.age > 75)) | (t.salary < 31_000)
    planner.COLUMN_RATIO = 2  # a pass over the vectors as dear as testing half the records: a scan wins
    assert t.explain(where)["access"]["op"] == "scan"
    assert ids(t, where) == plain(where)


def test_the_pure_costs_give_up_sooner(t: Table) -> None:
    # The pure core's constants: a column pass costs rows / 2 candidates, a scan 0.6 of the rows.
    planner.SCAN_FRACTION, planner.COLUMN_RATIO = 0.6, 2
    where = (t.age < 21) | (t.salary < 31_000)
    path = access(t, where)
    assert path["op"] == "union"  # ~28 candidates and one pass: ~528 against a scan's 600
    where = (t.age < 30) | (t.salary < 31_000)
    assert access(t, where)["op"] == "scan"  # ~178 candidates and one pass: ~678


def test_unsure_column_rows_are_rechecked_in_a_union() -> None:
    t = make(200)
    t.insert([{"dept": "d3", "age": 99, "salary": Decimal("30001"), "name": "dec"}, {"salary": float("nan")}])
    reference = make(200)
    reference.insert(
        [{"dept": "d3", "age": 99, "salary": Decimal("30001"), "name": "dec"}, {"salary": float("nan")}]
    )
    indexed(t)
    where = (t.salary < 31_000) | (t.age < 21)
    path = t.explain(where)["access"]
    assert path["op"] == "union"
    assert path["inputs"][0]["exact"] is False
    got = ids(t, where)
    assert got == ids(reference, PredicateExpr(where.plan))
    assert 201 in got


@pytest.mark.parametrize(
    "build",
    [
        lambda t: ((t.dept == "d3") & (t.age > 75)) | (t.salary < 31_000),
        lambda t: (t.salary < 31_000) | (t.dept == "d3") | (t.id.is_in([1, 2, 999])),
        lambda t: (t.dept.is_in(["d1", "d2"]) & (t.salary > 140_000)) | (t.age == 21),
        lambda t: ((t.age > 78) | (t.dept == "d1")) & ((t.salary < 40_000) | (t.id == 5)),
        lambda t: (t.dept == "d4") & ((t.age > 75) | (t.salary < 35_000)) & ~(t.name == "u4"),
        lambda t: (
            ((t.salary < 31_000) & (t.age > 50)) | ((t.dept == "d9") & t.salary.between(40_000, 50_000))
        ),
        lambda t: (t.salary.is_null() | (t.dept == "d3")) & (t.age >= 70),
        lambda t: ~((t.dept == "d3") | (t.salary < 31_000)) & (t.age == 22),
        lambda t: (t.salary != 31_000) | (t.age < 21),
        lambda t: (t.id > 990) | (t.salary < 31_000),
    ],
)
@pytest.mark.parametrize("eager", [False, True])
def test_results_are_a_scans(t: Table, build: Any, eager: bool) -> None:
    if eager:  # every path however big, every column pass: the paths a small table would not take
        planner.SCAN_FRACTION, planner.COLUMN_RATIO = 2.0, 10**9
    where = build(t)
    assert ids(t, where) == plain(where)
    assert ids(t, where, limit=3) == plain(where, limit=3)
    assert ids(t, where, order_by="-age", limit=5) == plain(where, order_by="-age", limit=5)
    assert t.count(where) == len(plain(where))
