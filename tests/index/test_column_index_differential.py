"""Differential: a table with column indexes and the same table without any index give identical results,
errors included, for random data, random AND / OR / NOT predicates, random writes and transaction rollbacks.

Values cover every case a column handles differently: ints (within int64 and beyond), bools, floats (NaN,
infinities, -0.0), strings, ``None``, missing fields, and values no column types (Decimal, bytes, tuples,
dates). Predicates mix the clauses the column store evaluates with ones it does not (``startswith``,
``like``, ``contains``), so whole, partial and refused column paths are all exercised; selects, counts and
aggregates (grouped or not, with and without ``where``) are compared. Run in both cores by ``make test``.
"""

from __future__ import annotations

import contextlib
import datetime
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dictdb import Avg, Count, DictDB, Max, Min, Sum, Table
from dictdb.query import planner
from dictdb.query.expr import PredicateExpr

NAN = math.nan  # one object: ``in`` matches it by identity, ``==`` never

FIELDS = ["a", "b", "c"]
values = st.sampled_from(
    [
        None,
        0,
        1,
        -1,
        2,
        7,
        True,
        False,
        1.0,
        0.5,
        -0.0,
        2.5,
        math.inf,
        -math.inf,
        NAN,
        float("nan"),
        2**63 - 1,
        -(2**63),
        2**63,
        2**70,
        "",
        "a",
        "ab",
        "b",
        "1",
        Decimal("1"),
        Decimal("NaN"),
        b"a",
        (1,),
        datetime.date(2020, 1, 1),
    ]
)
# Mostly numbers in some fields, strings in others, so that most columns are typed and a few rows unsure.
numbers = st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 1)), values)
texts = st.one_of(st.sampled_from(["", "a", "ab", "b", "ba", "x"]), values)
records = st.fixed_dictionaries(
    {}, optional={"a": numbers, "b": texts, "c": values, "id": st.integers(1, 30)}
)
changes = st.fixed_dictionaries(
    {}, optional={"a": numbers, "b": texts, "c": values, "id": st.integers(1, 30)}
)


# Operands the column store takes (None, bool, int within int64, float, NaN, str), and others it does not.
simple = st.sampled_from(
    [None, 0, 1, -1, 2, 7, True, False, 1.0, 0.5, -0.0, 2.5, math.inf, NAN, "", "a", "b", "ab"]
)
others = st.sampled_from([2**63, 2**70, Decimal("1"), Decimal("NaN"), b"a", (1,), datetime.date(2020, 1, 1)])


def column_leaves(field: str) -> st.SearchStrategy[tuple[Any, ...]]:
    """Clauses the column store evaluates, when ``field`` is column-indexed."""
    return st.one_of(
        st.tuples(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), st.just(field), simple),
        st.tuples(st.just("between"), st.just(field), simple, simple),
        st.tuples(st.just("in"), st.just(field), st.lists(simple, max_size=3).map(tuple)),
        st.tuples(st.sampled_from(["is_null", "is_not_null"]), st.just(field)),
    )


def other_leaves(field: str) -> st.SearchStrategy[tuple[Any, ...]]:
    """Clauses it does not: other operators, operands of other types; the planner re-checks them."""
    return st.one_of(
        st.tuples(st.sampled_from(["eq", "ne", "lt", "ge"]), st.just(field), others),
        st.tuples(
            st.just("in"),
            st.just(field),
            st.lists(st.one_of(simple, others), min_size=1, max_size=3).map(tuple),
        ),
        st.tuples(st.just("startswith"), st.just(field), st.sampled_from(["", "a"])),
        st.tuples(st.just("like"), st.just(field), st.sampled_from(["a%", "_"]), st.none(), st.booleans()),
        st.tuples(st.just("contains"), st.just(field), st.sampled_from(["a", 1])),
    )


leaf = st.one_of(
    st.sampled_from(FIELDS).flatmap(column_leaves),
    st.sampled_from(FIELDS).flatmap(column_leaves),
    st.sampled_from(FIELDS).flatmap(column_leaves),
    st.sampled_from([*FIELDS, "id"]).flatmap(other_leaves),
)
plans = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["and", "and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=6,
)
wheres = st.one_of(st.none(), plans)
aggregations = st.dictionaries(
    st.sampled_from(["n", "m", "s", "v", "lo", "hi"]),
    st.one_of(
        st.just(Count()),
        st.builds(Count, st.sampled_from(FIELDS)),
        st.builds(Sum, st.sampled_from(FIELDS)),
        st.builds(Avg, st.sampled_from(FIELDS)),
        st.builds(Min, st.sampled_from(FIELDS)),
        st.builds(Max, st.sampled_from(FIELDS)),
    ),
    min_size=1,
    max_size=3,
)
reads = st.one_of(
    st.tuples(
        st.just("select"),
        wheres,
        st.one_of(st.none(), st.sampled_from(["a", "-b", "c", ["b", "-a"]])),
        st.one_of(st.none(), st.integers(0, 5)),
        st.integers(0, 2),
    ),
    st.tuples(st.just("count"), wheres),
    st.tuples(
        st.just("aggregate"),
        wheres,
        st.one_of(st.none(), st.sampled_from(FIELDS), st.just(["a", "b"])),
        aggregations,
    ),
)
writes = st.one_of(
    st.tuples(st.just("insert"), records),
    st.tuples(st.just("insert_many"), st.lists(records, max_size=8)),
    st.tuples(st.just("upsert"), st.builds(lambda r, k: {**r, "id": k}, records, st.integers(1, 30))),
    st.tuples(st.just("update"), changes, wheres),
    st.tuples(st.just("delete"), wheres),
)
operations = st.lists(
    st.one_of(
        writes,
        reads,
        reads,
        st.tuples(st.just("transaction"), st.lists(st.one_of(writes, reads), max_size=5), st.booleans()),
        st.tuples(
            st.just("create_index"), st.sampled_from(FIELDS), st.sampled_from(["column", "column", "sorted"])
        ),
        st.tuples(st.just("drop_index"), st.sampled_from(FIELDS)),
    ),
    min_size=1,
    max_size=25,
)


class Rollback(Exception):
    """Raised at the end of a transaction block that must be undone."""


def where_of(plan: tuple[Any, ...] | None) -> Any:
    return None if plan is None else PredicateExpr(plan)


def run(db: DictDB, table: Table, op: tuple[Any, ...]) -> Any:
    kind = op[0]
    if kind == "insert":
        return table.insert(dict(op[1]))
    if kind == "insert_many":
        return table.insert([dict(r) for r in op[1]])
    if kind == "upsert":
        return table.upsert(dict(op[1]))
    if kind == "update":
        return table.update(dict(op[1]), where=where_of(op[2]))
    if kind == "delete":
        return table.delete(where=where_of(op[1]))
    if kind == "select":
        _, plan, order_by, limit, offset = op
        return [
            r["id"] for r in table.select(where=where_of(plan), order_by=order_by, limit=limit, offset=offset)
        ]
    if kind == "count":
        return table.count(where_of(op[1]))
    if kind == "aggregate":
        _, plan, group_by, specs = op
        # repr: NaN equals NaN, and 1 differs from 1.0 and True.
        return repr(table.aggregate(where=where_of(plan), group_by=group_by, **specs))
    assert kind == "transaction"
    _, inner, undo = op
    results = []
    try:
        with db.transaction():
            results = [outcome(db, table, step) for step in inner]
            if undo:
                raise Rollback
    except Rollback:
        pass
    return results


def outcome(db: DictDB, table: Table, op: tuple[Any, ...]) -> tuple[Any, type[Exception] | None]:
    try:
        return run(db, table, op), None
    except Exception as exc:  # the error is what is compared
        return None, type(exc)


def state(table: Table) -> tuple[Any, ...]:
    return (
        list(table.records.items()),
        table._next_pk,
        list(table._tracker.dirty),
        list(table._tracker.deleted),
    )


def table_in_db(name: str) -> tuple[DictDB, Table]:
    db = DictDB()
    return db, db.create_table(name)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.lists(records, max_size=30),
    columns=st.one_of(
        st.just(FIELDS), st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True)
    ),
    ops=operations,
    checks=st.lists(reads, min_size=3, max_size=12),
    ratio=st.sampled_from([1, planner.COLUMN_RATIO]),
    scale=st.sampled_from([1, 1, 1, 80]),
)
def test_column_indexes_change_nothing_but_speed(
    first: list[dict[str, Any]],
    columns: list[str],
    ops: list[tuple[Any, ...]],
    checks: list[tuple[Any, ...]],
    ratio: int,
    scale: int,
) -> None:
    if scale > 1:  # past the store's COMPACT_MIN rows, so that deletes compact: generated keys only
        first = [{k: v for k, v in row.items() if k != "id"} for row in first] * scale
    ref_db, reference = table_in_db("t")
    db, indexed = table_in_db("t")
    for table in (reference, indexed):
        with contextlib.suppress(Exception):  # a batch with a repeated id: both refuse it
            table.insert([dict(r) for r in first])
    for field in columns:
        indexed.create_index(field, "column")
    saved = planner.COLUMN_RATIO
    planner.COLUMN_RATIO = ratio  # 1: an index path wins as soon as it is smaller than the table
    try:
        for op in ops + checks:
            if op[0] == "create_index":
                existing = indexed.indexes.get(op[1])
                if existing is not None and existing.kind != op[2]:  # another kind: drop_index first
                    with pytest.raises(ValueError, match="drop_index"):
                        indexed.create_index(op[1], op[2])
                    continue
                indexed.create_index(op[1], op[2])
                continue
            if op[0] == "drop_index":
                if indexed.has_index(op[1]):
                    indexed.drop_index(op[1])
                continue
            if op[0] in ("select", "count") and op[1] is not None:
                event(f"path: {indexed.explain(where_of(op[1]))['access']['op']}")
            expected = outcome(ref_db, reference, op)
            got = outcome(db, indexed, op)
            assert got == expected, (op, got, expected)
            assert state(indexed) == state(reference), op
    finally:
        planner.COLUMN_RATIO = saved
