"""Column indexes through the public API: create, drop, errors, ``Table.indexes``, explain, every write path,
transactions, persistence, copies, and a failing store rolled back."""

from __future__ import annotations

import copy
import math
import pickle
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dictdb import Avg, Count, DictDB, Max, Min, Sum, Table
from dictdb.index import ColumnIndex

Write = Callable[[Table], object]


@pytest.fixture
def people() -> Table:
    t = Table("people")
    t.insert(
        [
            {"name": "ada", "age": 36, "dept": "ops", "pay": 10.5},
            {"name": "bob", "age": 17, "dept": "dev", "pay": 3.0},
            {"name": "cy", "age": 52, "dept": "ops"},
            {"name": "dan", "age": None, "dept": "dev", "pay": 7.25},
            {"name": "eve", "age": 41, "pay": 12.0},
        ]
    )
    return t


def ids(rows: list[dict[str, Any]]) -> list[Any]:
    return [row["id"] for row in rows]


def answers(t: Table) -> tuple[Any, ...]:
    """What a few queries over the column-indexed fields return: compared before and after a write."""
    return (
        ids(t.select(where=t.age > 20)),
        ids(t.select(where=(t.dept == "ops") | t.age.is_null())),
        ids(t.select(where=~(t.age.between(18, 45)))),
        t.count(t.dept != "dev"),
        repr(t.aggregate(group_by="dept", n=Count(), age=Avg("age"))),  # repr: NaN equals NaN
    )


def with_columns(t: Table) -> Table:
    t.create_index("age", "column")
    t.create_index("dept", "column")
    return t


# --- create, drop, errors -----------------------------------------------------------------------------------


def test_create_shows_the_index_with_its_memory(people: Table) -> None:
    people.create_index("age", "Column")
    index = people.indexes["age"]
    assert isinstance(index, ColumnIndex)
    assert (index.kind, index.definition, index.fields, index.unique) == ("column", "column", ("age",), False)
    assert len(index) == 5
    assert index.memory_bytes() > 0
    assert repr(index) == f"<ColumnIndex on 'age' of table 'people': 5 rows, {index.memory_bytes():,} bytes>"
    assert people.indexed_fields() == ["age"]
    assert people.has_index("age")


def test_memory_grows_with_the_rows() -> None:
    t = Table("t")
    t.create_index("x", "column")
    empty = t.indexes["x"].memory_bytes()
    t.insert([{"x": i} for i in range(10_000)])
    assert t.indexes["x"].memory_bytes() > empty + 10_000 * 8


def test_search_is_python_equality_on_any_value() -> None:
    t = Table("t")
    values = [1, 1.0, True, "1", None, math.nan, Decimal("1"), 2**70, (1,)]
    t.insert([{"v": v} for v in values])
    t.create_index("v", "column")
    index = t.indexes["v"]
    assert index.search(1) == [1, 2, 3, 7]
    assert index.search(2**70) == [8]
    assert index.search((1,)) == [9]
    assert index.search(None) == [5]
    assert index.search("nope") == []


def test_create_again_does_nothing_and_drop_removes_it(people: Table) -> None:
    people.create_index("age", "column")
    people.create_index("age", "Column")  # already indexed so: a no-op
    with pytest.raises(ValueError, match="already has a column index on 'age', not a hash one"):
        people.create_index("age", "hash")
    assert people.indexes["age"].kind == "column"
    people.create_index("dept", "column")
    people.drop_index("age")
    assert people.indexed_fields() == ["dept"]
    assert ids(people.select(where=people.dept == "ops")) == [1, 3]
    people.drop_index("dept")
    assert people.indexed_fields() == []
    assert people.explain(people.dept == "ops")["access"]["op"] == "scan"
    with pytest.raises(ValueError, match="no index on 'dept'"):
        people.drop_index("dept")
    people.create_index("dept", "column")  # again, from scratch
    assert ids(people.select(where=people.dept == "dev")) == [2, 4]


def test_unique_and_composite_are_refused(people: Table) -> None:
    with pytest.raises(ValueError, match="cannot be unique"):
        people.create_index("age", "column", unique=True)
    with pytest.raises(ValueError, match="one field"):
        people.create_index(["age", "dept"], "column")
    assert people.indexed_fields() == []
    with pytest.raises(ValueError, match="'column'"):
        people.create_index("age", "columnar")


# --- queries ------------------------------------------------------------------------------------------------


def test_results_are_those_of_a_scan(people: Table) -> None:
    plain = copy.deepcopy(people)
    with_columns(people)
    assert answers(people) == answers(plain)
    assert people.select(["name"], where=people.age >= 36, order_by="-age", limit=2) == [
        {"name": "cy"},
        {"name": "eve"},
    ]
    assert people.select(where=people.age > 0, limit=2, offset=1, copy=False) == plain.select(
        where=plain.age > 0, limit=2, offset=1
    )


def test_explain_shows_an_exact_column_match(people: Table) -> None:
    with_columns(people)
    plan = people.explain((people.age > 20) & (people.dept == "ops"))
    assert plan["access"] == {
        "op": "column",
        "fields": ["age", "dept"],
        "clause": "(age > 20 & dept == 'ops')",
        "whole": True,
        "exact": True,
        "estimate": 2,
    }
    assert plan["recheck"] is False
    assert str(plan).splitlines()[2:] == [
        "access: column index 'age', 'dept': (age > 20 & dept == 'ops') (~2, exact, no re-check)"
    ]


def test_explain_shows_a_partial_match_rechecked(people: Table) -> None:
    with_columns(people)
    plan = people.explain((people.age > 20) & people.name.startswith("a"))
    assert plan["access"]["op"] == "column"
    assert (plan["access"]["clause"], plan["access"]["whole"], plan["access"]["exact"]) == (
        "age > 20",
        False,
        False,
    )
    assert plan["recheck"] is True
    assert plan["candidates"] == 3
    assert ids(people.select(where=(people.age > 20) & people.name.startswith("a"))) == [1]
    # An OR with an unsupported branch is not served; NOT of a supported clause is.
    assert people.explain((people.age > 20) | people.name.startswith("a"))["access"]["op"] == "scan"
    assert people.explain(~(people.age > 20))["access"]["op"] == "column"


def test_unsure_rows_are_rechecked(people: Table) -> None:
    people.insert([{"age": math.nan}, {"age": Decimal("40")}, {"age": 2**80}, {"age": "old"}])
    with_columns(people)
    plan = people.explain(people.age > 20)
    assert plan["access"]["exact"] is False
    assert plan["recheck"] is True
    assert ids(people.select(where=people.age > 20)) == [1, 3, 5, 7, 8]
    assert ids(people.select(where=~(people.age > 20))) == [2, 4, 6, 9]
    assert people.count(people.age > 20) == 5


def test_a_primary_key_lookup_wins(people: Table) -> None:
    with_columns(people)
    assert people.explain((people.id == 3) & (people.age > 1))["access"]["op"] == "primary key"


def test_a_small_hash_path_wins_and_the_column_wins_over_a_scan() -> None:
    t = Table("t")
    t.insert([{"k": i, "g": i % 2, "v": i % 7} for i in range(5_000)])
    t.create_index("k")
    t.create_index("v", "column")
    assert t.explain((t.k == 7) & (t.v == 0))["access"]["op"] == "index"
    assert t.explain(t.v == 0)["access"]["op"] == "column"
    assert t.explain((t.g == 1) & (t.v < 3))["access"]["op"] == "column"
    assert ids(t.select(where=(t.g == 1) & (t.v < 3), limit=3)) == [2, 8, 10]


def test_count_and_aggregate_agree_with_the_records(people: Table) -> None:
    plain = copy.deepcopy(people)
    people.create_index("age", "column")
    people.create_index("dept", "column")
    people.create_index("pay", "column")
    for t in (people, plain):
        assert t.count() == 5
    assert people.count(people.age >= 36) == plain.count(plain.age >= 36) == 3
    assert people.count((people.age >= 36) & people.name.startswith("a")) == 1
    specs = {"n": Count(), "ages": Count("age"), "s": Sum("pay"), "a": Avg("age"), "lo": Min("pay")}
    for where in (None, "age"):
        kwargs: dict[str, Any] = {} if where is None else {"where": people.age > 20}
        assert people.aggregate(**kwargs, **specs) == plain.aggregate(**kwargs, **specs)
        assert people.aggregate(group_by="dept", **kwargs, **specs) == plain.aggregate(
            group_by="dept", **kwargs, **specs
        )
    grouped = people.aggregate(group_by="dept", order_by="-n", limit=2, n=Count(), top=Max("age"))
    assert grouped == [{"dept": "ops", "n": 2, "top": 52}, {"dept": "dev", "n": 2, "top": 17}]
    with pytest.raises(TypeError):
        people.aggregate(total=Sum("dept"))  # str values: the error of the records' path


# --- every write path ---------------------------------------------------------------------------------------


WRITES: list[tuple[str, Write]] = [
    ("insert", lambda t: t.insert({"name": "fay", "age": 29, "dept": "ops"})),
    ("insert many", lambda t: t.insert([{"age": 60}, {"dept": "dev", "age": 1}, {"age": math.nan}])),
    ("upsert new", lambda t: t.upsert({"id": 40, "age": 44, "dept": "dev"})),
    ("upsert update", lambda t: t.upsert({"id": 2, "age": 50})),
    ("update the field", lambda t: t.update({"age": 30}, where=t.dept == "dev")),
    ("update another field", lambda t: t.update({"name": "x"}, where=t.age > 30)),
    ("update to a mixed type", lambda t: t.update({"dept": 7}, where=t.id == 1)),
    ("re-key", lambda t: t.update({"id": 99}, where=t.id == 1)),
    ("delete some", lambda t: t.delete(where=t.age < 40)),
    ("delete all", lambda t: t.delete()),
]


@pytest.mark.parametrize("write", [w[1] for w in WRITES], ids=[w[0] for w in WRITES])
def test_every_write_keeps_the_columns_in_step(people: Table, write: Write) -> None:
    plain = copy.deepcopy(people)
    with_columns(people)
    write(people)
    write(plain)
    assert answers(people) == answers(plain)
    assert len(people.indexes["age"]) == len(people)
    people.insert({"age": 33, "dept": "ops"})  # writes go on after it
    plain.insert({"age": 33, "dept": "ops"})
    assert answers(people) == answers(plain)


def test_many_deletes_compact_and_keep_the_order() -> None:
    t = Table("t")
    t.insert([{"v": i % 10} for i in range(5_000)])
    t.create_index("v", "column")
    t.delete(where=t.v < 6)
    t.update({"id": 0}, where=t.id == 9)  # v == 8, re-keyed: now last
    t.insert([{"v": 9}])
    expected = [pk for pk, r in t.records.items() if r["v"] >= 8]
    assert ids(t.select(where=t.v >= 8)) == expected
    assert expected[-2:] == [0, 5001]
    assert len(t.indexes["v"]) == 2_001


def test_a_refused_write_changes_nothing(people: Table) -> None:
    people.create_index("name", unique=True)
    with_columns(people)
    before = answers(people)
    with pytest.raises(Exception, match="already holds"):
        people.insert([{"name": "zed", "age": 3}, {"name": "ada", "age": 4}])
    with pytest.raises(Exception, match="already holds"):
        people.update({"name": "ada", "age": 99}, where=people.id == 2)
    assert answers(people) == before


def test_rollback_puts_the_columns_back(people: Table) -> None:
    db = DictDB()
    db.tables["people"] = people
    with_columns(people)
    before = answers(people)

    def undone() -> None:
        with db.transaction():
            people.insert({"age": 99, "dept": "ops"})
            people.update({"age": 1}, where=people.dept == "ops")
            people.delete(where=people.id == 2)
            assert ids(people.select(where=people.age == 1)) == [1, 3, 6]
            raise RuntimeError("undo")

    with pytest.raises(RuntimeError, match="undo"):
        undone()
    assert answers(people) == before
    with db.transaction():
        people.drop_index("dept")
        people.update({"age": 5}, where=people.id == 1)
    assert people.indexed_fields() == ["age"]
    assert ids(people.select(where=people.age < 10)) == [1]


# --- persistence and copies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["json", "pickle"])
def test_the_definition_round_trips(tmp_path: Path, people: Table, file_format: str) -> None:
    db = DictDB()
    db.tables["people"] = people
    with_columns(people)
    people.create_index("name", unique=True)
    path = tmp_path / f"db.{file_format}"
    db.save(path, file_format)
    loaded = DictDB.load(path, file_format).get_table("people")
    assert {name: i.definition for name, i in loaded.indexes.items()} == {
        "age": "column",
        "dept": "column",
        "name": "unique hash",
    }
    assert answers(loaded) == answers(people)
    assert loaded.explain(loaded.age > 3)["access"]["op"] == "column"


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_table_has_columns_of_its_own(people: Table, how: str) -> None:
    with_columns(people)
    before = answers(people)
    clone = copy.deepcopy(people) if how == "deepcopy" else pickle.loads(pickle.dumps(people))
    clone.insert({"age": 70, "dept": "ops"})
    clone.update({"age": 1}, where=clone.id == 1)
    assert answers(people) == before
    assert ids(clone.select(where=clone.age > 60)) == [6]
    assert ids(clone.select(where=clone.age < 10)) == [1]


# --- a failing store is rolled back -------------------------------------------------------------------------


class Interrupt(BaseException):
    """What a KeyboardInterrupt inside the column store looks like to the table."""


class FaultyStore:
    """The table's column store, whose ``method`` does its work and then raises: the worst case, a store
    changed half-way."""

    def __init__(self, store: Any, method: str) -> None:
        self._store = store
        self._method = method

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if name != self._method:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            target(*args, **kwargs)
            raise Interrupt(name)

        return call


FAULTS: list[tuple[str, str, Write]] = [
    ("insert", "append", lambda t: t.insert({"name": "x", "age": 36, "dept": "ops"})),
    ("batch", "append_many", lambda t: t.insert([{"age": 1}, {"dept": "ops"}])),
    ("update", "replace", lambda t: t.update({"age": 40}, where=t.dept.is_not_null())),
    ("upsert", "replace", lambda t: t.upsert({"id": 2, "dept": "ops"})),
    ("re-key", "append", lambda t: t.update({"id": 7}, where=t.id == 1)),
    ("delete", "remove_many", lambda t: t.delete(where=t.age > 20)),
]


@pytest.mark.parametrize(("method", "write"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_a_failure_inside_the_store_is_rolled_back(people: Table, method: str, write: Write) -> None:
    people.create_index("name", unique=True)
    people.create_index("pay", "sorted")
    with_columns(people)
    before = (list(people.records.items()), answers(people), people.indexes["pay"].range(0, 100))
    catalog = people._indexing
    assert catalog is not None
    real = catalog.store
    catalog.store = FaultyStore(real, method)  # type: ignore[assignment]
    with pytest.raises(Interrupt):
        write(people)
    catalog.store = real
    assert (list(people.records.items()), answers(people), people.indexes["pay"].range(0, 100)) == before
    with pytest.raises(Exception, match="already holds"):
        people.insert({"name": "ada"})  # the unique index was put back too


def test_search_finds_a_records_own_nan_as_a_hash_index_does() -> None:
    nan = float("nan")
    table = Table("t")
    table.insert([{"x": nan}, {"x": float("nan")}, {"x": 1.5}, {}])
    by_kind: dict[str, tuple[list[Any], ...]] = {}
    for kind in ("hash", "column"):
        table.create_index("x", kind)
        index = table.indexes["x"]
        by_kind[kind] = (index.search(nan), index.search(1.5), index.search(None))
        table.drop_index("x")
    assert by_kind["column"][0] == [1] == by_kind["hash"][0]
    assert by_kind["column"][1:] == by_kind["hash"][1:] == ([3], [4])
