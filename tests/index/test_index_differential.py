"""Differential: random tables with random indexes (hash, sorted, composite, unique), random writes and random
queries (AND/OR/NOT trees, order_by, limit, offset) give exactly what the same table without indexes gives.

The unindexed table is the oracle. For the rules only indexes have (a unique key, a hashable key for a hash
index) the oracle applies the write, then checks the result against each index's rule in creation order: the
first rule broken is the error the indexed table must raise, with its records, indexes, counter and change
tracking left as they were.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dictdb import DuplicateKeyError, Table
from dictdb.index import is_null_key
from dictdb.query import planner
from tests.index.test_index_maintenance import assert_consistent, table_state

NAN = math.nan  # one object: ``in`` matches it by identity, ``==`` never

FIELDS = ["a", "b", "c"]
values = st.sampled_from(
    [
        None,
        NAN,
        float("nan"),
        0,
        1,
        1.0,
        True,
        2,
        -1.5,
        Decimal("1"),
        Decimal("NaN"),
        "",
        "a",
        "ab",
        "b",
        "a%",
        b"a",
        (1, "a"),
        (None,),
        [1],
        datetime.date(2020, 1, 1),
    ]
)
records = st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)
changes = st.dictionaries(st.sampled_from([*FIELDS, "id"]), values, max_size=2)
keyed = st.one_of(records, st.builds(lambda r, k: {**r, "id": k}, records, st.integers(1, 12)))

index_names = st.sampled_from([("a",), ("b",), ("c",), ("a", "b"), ("b", "c"), ("id",)])
index_specs = st.tuples(index_names, st.sampled_from(["hash", "sorted"]), st.booleans())
per_field = st.lists(
    st.tuples(st.sampled_from(["hash", "sorted", "sorted"]), st.sampled_from(["", "", "", "unique"])),
    min_size=3,
    max_size=3,
)


def leaves(field: str) -> st.SearchStrategy[tuple[Any, ...]]:
    # Mostly clauses an index can serve, so that most queries take an index path.
    return st.one_of(
        st.tuples(st.sampled_from(["eq", "eq", "lt", "le", "gt", "ge", "ne"]), st.just(field), values),
        st.tuples(st.just("between"), st.just(field), values, values),
        st.tuples(st.just("in"), st.just(field), st.lists(values, max_size=3).map(tuple)),
        st.tuples(st.sampled_from(["is_null", "is_null", "is_not_null"]), st.just(field)),
        st.tuples(st.just("startswith"), st.just(field), st.sampled_from(["", "a", "ab"])),
        st.tuples(
            st.just("like"),
            st.just(field),
            st.sampled_from(["a%", "a", "%b", "a_", "a!%%", "ab%"]),
            st.sampled_from([None, "!"]),
            st.booleans(),
        ),
    )


leaf = st.sampled_from([*FIELDS, "id"]).flatmap(leaves)
plans = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["and", "and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=5,
)
# Clauses an index serves (on indexed fields, with operands it can look up), mostly under AND and OR: so that
# the index paths, intersections, unions and walks are what gets compared, not scans.
plain_values = st.sampled_from([0, 1, 1.0, True, 2, -1.5, Decimal("1"), "", "a", "ab", "b", b"a", (1, "a")])
served_leaf = st.sampled_from(FIELDS).flatmap(
    lambda field: st.one_of(
        st.tuples(st.sampled_from(["eq", "lt", "le", "gt", "ge"]), st.just(field), plain_values),
        st.tuples(st.just("between"), st.just(field), plain_values, plain_values),
        st.tuples(st.just("in"), st.just(field), st.lists(values, max_size=3).map(tuple)),
        st.tuples(st.just("is_null"), st.just(field)),
        st.tuples(st.just("startswith"), st.just(field), st.sampled_from(["", "a", "ab"])),
        st.tuples(st.just("like"), st.just(field), st.sampled_from(["a%", "a_"]), st.none(), st.just(False)),
    )
)
served_plans = st.recursive(
    served_leaf,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["and", "and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.tuples(st.just("and"), st.tuples(inner, st.tuples(st.just("not"), inner))),
    ),
    max_leaves=4,
)
queries = st.tuples(
    st.just("select"),
    st.one_of(plans, served_plans),
    st.one_of(st.none(), st.sampled_from(["a", "-a", "b", "-b", "c", "id", "-id", ["a", "-b"]])),
    st.one_of(st.none(), st.integers(0, 6)),
    st.integers(0, 3),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), keyed),
        st.tuples(st.just("insert_many"), st.lists(keyed, max_size=8)),
        st.tuples(st.just("insert_many"), st.lists(keyed, max_size=8)),
        st.tuples(st.just("upsert"), st.builds(lambda r, k: {**r, "id": k}, records, st.integers(1, 12))),
        st.tuples(st.just("update"), changes, plans),
        st.tuples(st.just("delete"), st.one_of(st.none(), plans)),
        st.tuples(st.just("create_index"), index_specs),
        st.tuples(st.just("drop_index"), index_names),
        queries,
        queries,
        queries,
    ),
    max_size=30,
)


def where_of(plan: tuple[Any, ...]) -> Any:
    from dictdb.query.expr import PredicateExpr

    return PredicateExpr(plan)


def run(table: Table, op: tuple[Any, ...]) -> Any:
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
        return table.delete(where=None if op[1] is None else where_of(op[1]))
    _, plan, order_by, limit, offset = op
    rows = table.select(where=where_of(plan), order_by=order_by, limit=limit, offset=offset)
    return [row["id"] for row in rows]


def broken_rule(table: Table, specs: list[tuple[Any, str, bool]]) -> type[Exception] | None:
    """The error of the first index (creation order) whose rule the records of ``table`` break."""
    for fields, kind, unique in specs:
        rows = table.records.values()
        keys = [tuple(r.get(f) for f in fields) if len(fields) > 1 else r.get(fields[0]) for r in rows]
        if kind == "hash":
            try:
                [hash(key) for key in keys]
            except TypeError:
                return TypeError
        if unique:
            kept = [key for key in keys if not is_null_key(key, len(fields) > 1)]
            for i, key in enumerate(kept):
                if any(_equal(key, other) for other in kept[:i]):
                    return DuplicateKeyError
    return None


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def saved(table: Table) -> tuple[Any, ...]:
    return dict(table.records), table._next_pk, dict(table._tracker.dirty), dict(table._tracker.deleted)


def restore(table: Table, state: tuple[Any, ...]) -> None:
    records, next_pk, dirty, deleted = state
    table.records.clear()
    table.records.update(records)
    table._next_pk = next_pk
    table._tracker.dirty = dirty
    table._tracker.deleted = deleted


@contextmanager
def planner_mode(eager: bool) -> Iterator[None]:
    """``eager``: every index path is taken however big, every AND intersects (small tables would scan)."""
    saved_values = (planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR)
    if eager:
        planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR = 2.0, 10**9, 0
    try:
        yield
    finally:
        planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR = saved_values


def outcome(table: Table, op: tuple[Any, ...]) -> tuple[Any, type[Exception] | None]:
    try:
        return run(table, op), None
    except Exception as exc:  # the error is what is compared
        return None, type(exc)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations, kinds=per_field, extra=st.lists(index_specs, max_size=3), eager=st.booleans())
def test_indexes_change_nothing_but_speed(
    ops: list[tuple[Any, ...]], kinds: list[str], extra: list[tuple[Any, str, bool]], eager: bool
) -> None:
    # Every field indexed (mostly without uniqueness, which refuses most random writes), then maybe more.
    first = [((f,), kind, unique == "unique") for f, (kind, unique) in zip(FIELDS, kinds, strict=True)]
    first += extra
    reference = Table("t")
    indexed = Table("t")
    specs: list[tuple[Any, str, bool]] = []
    with planner_mode(eager):
        for op in [("create_index", spec) for spec in first] + ops:
            kind = op[0]
            if kind == "create_index":
                fields, index_type, unique = op[1]
                name = fields[0] if len(fields) == 1 else fields
                if indexed.has_index(list(fields)):
                    existing = indexed.indexes[name]
                    if (existing.kind, existing.unique) == (index_type, unique):
                        indexed.create_index(list(fields), index_type, unique=unique)  # a no-op
                    else:  # another definition: refused, the index kept
                        with pytest.raises(ValueError, match="drop_index"):
                            indexed.create_index(list(fields), index_type, unique=unique)
                    assert indexed.indexes[name] is existing
                    continue
                expected = broken_rule(reference, [(fields, index_type, unique)])
                try:
                    indexed.create_index(list(fields), index_type, unique=unique)
                    error = None
                except (TypeError, DuplicateKeyError) as exc:
                    error = type(exc)
                assert error is expected, (op, error, expected)
                if error is None:
                    specs.append((fields, index_type, unique))
                    assert indexed.has_index(name)
                continue
            if kind == "drop_index":
                fields = op[1]
                if indexed.has_index(list(fields)):
                    indexed.drop_index(list(fields))
                    specs = [spec for spec in specs if spec[0] != fields]
                continue
            before = saved(reference)
            indexed_before = table_state(indexed)
            expected, expected_error = outcome(reference, op)
            if expected_error is None:
                rule = broken_rule(reference, specs)
                if rule is not None:
                    restore(reference, before)
                    expected, expected_error = None, rule
            got, error = outcome(indexed, op)
            assert error is expected_error, (op, error, expected_error)
            assert got == expected, (op, got, expected)
            if error is not None:
                assert table_state(indexed) == indexed_before, op
            assert list(indexed.records.items()) == list(reference.records.items()), op
            assert indexed._next_pk == reference._next_pk
            assert list(indexed._tracker.dirty) == list(reference._tracker.dirty)
            assert list(indexed._tracker.deleted) == list(reference._tracker.deleted)
        assert_consistent(indexed)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(records, min_size=1, max_size=40),
    kinds=per_field,
    extra=st.lists(index_specs, max_size=3),
    found=st.lists(queries, min_size=1, max_size=15),
    eager=st.booleans(),
)
def test_queries_agree_on_random_tables(
    rows: list[dict[str, Any]],
    kinds: list[str],
    extra: list[tuple[Any, str, bool]],
    found: list[tuple[Any, ...]],
    eager: bool,
) -> None:
    reference = Table("t")
    reference.insert([dict(row) for row in rows])
    indexed = Table("t")
    indexed.insert([dict(row) for row in rows])
    specs = [((field,), kind, False) for field, (kind, _) in zip(FIELDS, kinds, strict=True)]
    for fields, kind, _ in specs + extra:
        try:
            indexed.create_index(list(fields), kind)
        except TypeError:  # an unhashable value for a hash index
            continue
        except ValueError:  # the fields have an index of another kind already
            assert indexed.has_index(list(fields))
            continue
    with planner_mode(eager):
        for query in found:
            expected, expected_error = outcome(reference, query)
            got, error = outcome(indexed, query)
            assert (got, error) == (expected, expected_error), (query, indexed.explain(where_of(query[1])))
