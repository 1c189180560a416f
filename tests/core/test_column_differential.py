"""Differential test of the column store: random records, random writes and random plans, checked against
the predicate core and ``_aggregate`` over the same records, and the compiled store against the pure one.

- ``match``: with ``exact`` the pks are exactly the records the predicate core matches; otherwise a
  superset of them. Either way they come in insertion order.
- ``count`` is the predicate core's count whenever it is not None, and None exactly when ``match`` is
  not exact.
- ``aggregate`` is ``_aggregate.aggregate`` over the matched records (same values and types) whenever it
  is not None; where ``_aggregate`` raises, it is None.
- The two stores give the same answers to everything, None included.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dictdb._core import _aggregate_py, _column_py, _predicate_py

FIELDS = ["a", "b", "c"]
INDEXED = ["a", "b"]  # "c" is never a column: plans on it are unsupported


class Text(str):
    """A str subclass: an OTHER value."""


INT64_EDGES = [-(2**63), -(2**63) + 1, 2**63 - 1, 2**63 - 2, 2**53, 2**53 + 1, -(2**53) - 1]
FLOAT_EDGES = [0.0, -0.0, 0.5, -1.5, 1.0, 2.0**63, -(2.0**63), 2.0**53, 1e300, math.inf, -math.inf]

numbers = st.one_of(
    st.integers(-3, 3),
    st.sampled_from(INT64_EDGES),
    st.sampled_from(FLOAT_EDGES),
    st.floats(allow_nan=False, width=16),
)
operands = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.just(math.nan),
    st.sampled_from(["", "a", "b", "ab", "B", "é"]),
)
values = st.one_of(
    operands,
    st.sampled_from([2**63, -(2**63) - 1, 2**70]),  # beyond int64
    st.sampled_from([Decimal("1"), Decimal("2.5"), Text("a"), (1,), b"a"]),
)
records = st.lists(st.dictionaries(st.sampled_from(FIELDS), values, max_size=3), max_size=24)


def leaves(field: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.one_of(
        st.tuples(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), field, operands),
        st.tuples(st.just("between"), field, operands, operands),
        st.tuples(st.just("in"), field, st.lists(operands, max_size=4).map(tuple)),
        st.tuples(st.sampled_from(["is_null", "is_not_null"]), field),
        st.just(("true",)),
    )


def plans_on(fields: list[str]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.recursive(
        leaves(st.sampled_from(fields)),
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(["and", "or"]), st.lists(inner, min_size=1, max_size=3).map(tuple)),
            st.tuples(st.just("not"), inner),
        ),
        max_leaves=6,
    )


plans = plans_on(INDEXED)

specs = st.lists(
    st.tuples(
        st.sampled_from(["n", "x", "a"]),
        st.sampled_from(_aggregate_py.KINDS),
        st.sampled_from(INDEXED),
    ),
    max_size=4,
)

# A write: ("append", record), ("remove", index), ("replace", index, record), ("compact",).
writes = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)),
        st.tuples(st.just("remove"), st.integers(0, 40)),
        st.tuples(st.just("replace"), st.integers(0, 40), st.dictionaries(st.sampled_from(FIELDS), values)),
        st.just(("compact",)),
    ),
    max_size=10,
)


def same(a: Any, b: Any) -> bool:
    """Equal values of the same type, NaN equal to NaN and -0.0 apart from 0.0; recursive over containers."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a.hex() == b.hex()
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def build(
    module: Any, table: dict[int, dict[str, Any]], script: list[tuple[Any, ...]], fields: list[str] = INDEXED
) -> Any:
    """A store of ``fields`` over ``table`` after the writes of ``script``, which also updates ``table``."""
    store = module.ColumnStore()
    for field in fields:
        store.add_field(field, table)
    next_pk = max(table, default=0) + 1
    for step in script:
        pks = list(table)
        if step[0] == "append":
            table[next_pk] = step[1]
            store.append(next_pk, step[1])
            next_pk += 1
        elif step[0] == "remove" and pks:
            pk = pks[step[1] % len(pks)]
            del table[pk]
            store.remove(pk)
        elif step[0] == "replace" and pks:
            pk = pks[step[1] % len(pks)]
            table[pk] = step[2]
            store.replace(pk, step[2])
        elif step[0] == "compact":
            store.compact()
    return store


def oracle_pks(table: dict[int, dict[str, Any]], plan: tuple[Any, ...]) -> list[int]:
    matched = {id(record) for record in _predicate_py.compile_plan(plan).filter(table.values())}
    return [pk for pk, record in table.items() if id(record) in matched]


def oracle_aggregate(
    table: dict[int, dict[str, Any]], pks: list[int], group_by: tuple[str, ...], spec: list[Any]
) -> list[dict[Any, Any]] | None:
    try:
        return _aggregate_py.aggregate([table[pk] for pk in pks], group_by, spec)
    except TypeError:
        return None


@pytest.fixture(scope="module")
def compiled(compiled_core: Any) -> Any:
    """The compiled ``_column`` (the pure one is imported directly)."""
    return compiled_core.column


@settings(max_examples=300, deadline=None)
@given(
    rows=records,
    script=writes,
    plan=plans,
    group_by=st.sampled_from([(), ("a",), ("b",)]),
    spec=specs,
    whole=st.booleans(),
)
def test_store_matches_the_predicate_and_aggregate_cores(
    compiled: Any,
    rows: list[dict[str, Any]],
    script: list[tuple[Any, ...]],
    plan: tuple[Any, ...],
    group_by: tuple[str, ...],
    spec: list[Any],
    whole: bool,
) -> None:
    check_everything(compiled, rows, script, plan, group_by, spec, whole)


# Hundreds of rows whose columns each hold one kind (ints in "a", str in "b", floats in "c"; "d" is mixed
# and not a column), so that the compiled store's whole-word loops (uniform columns, 64 rows at a time) run
# beside its row-by-row ones.
UNIFORM = ["a", "b", "c"]
uniform_rows = st.tuples(
    st.lists(
        st.fixed_dictionaries(
            {
                "a": st.integers(-3, 3) | st.sampled_from(INT64_EDGES),
                "b": st.sampled_from(["a", "b", "é"]),
                "c": st.sampled_from(FLOAT_EDGES) | st.floats(allow_nan=False, width=16),
            },
            optional={"d": values},
        ),
        min_size=4,
        max_size=8,
    ),
    st.integers(16, 60),
).map(lambda pair: [dict(record) for record in pair[0] * pair[1]])


@settings(max_examples=400, deadline=None)
@given(
    rows=uniform_rows,
    script=st.lists(st.tuples(st.just("remove"), st.integers(0, 400)), max_size=20),
    plan=plans_on(UNIFORM),
    group_by=st.sampled_from([(), ("a",), ("b",), ("c",)]),
    spec=st.lists(
        st.tuples(
            st.sampled_from(["n", "x"]), st.sampled_from(_aggregate_py.KINDS), st.sampled_from(UNIFORM)
        ),
        max_size=4,
    ),
    whole=st.booleans(),
)
def test_store_matches_the_cores_over_uniform_columns(
    compiled: Any,
    rows: list[dict[str, Any]],
    script: list[tuple[Any, ...]],
    plan: tuple[Any, ...],
    group_by: tuple[str, ...],
    spec: list[Any],
    whole: bool,
) -> None:
    check_everything(compiled, rows, script, plan, group_by, spec, whole, UNIFORM)


def check_everything(
    compiled: Any,
    rows: list[dict[str, Any]],
    script: list[tuple[Any, ...]],
    plan: tuple[Any, ...],
    group_by: tuple[str, ...],
    spec: list[Any],
    whole: bool,
    fields: list[str] = INDEXED,
) -> None:
    table = dict(enumerate(rows, start=1))
    pure = build(_column_py, dict(table), script, fields)
    fast = build(compiled, table, script, fields)
    assert pure.supports(plan)
    assert fast.supports(plan)
    assert (pure.rows, pure.slots, pure.fields) == (fast.rows, fast.slots, fast.fields)
    assert pure.rows == len(table)

    expected = oracle_pks(table, plan)
    pks, exact = pure.match(plan)
    assert (pks, exact) == fast.match(plan)
    order = list(table)
    assert pks == [pk for pk in order if pk in set(pks)]  # insertion order
    if exact:
        assert pks == expected
    else:
        assert set(expected) <= set(pks)
    count = pure.count(plan)
    assert count == fast.count(plan)
    assert (count is None) == (not exact)
    if count is not None:
        assert count == len(expected)

    selected = None if whole else plan
    result = pure.aggregate(selected, group_by, spec)
    other = fast.aggregate(selected, group_by, spec)
    assert (result is None) == (other is None)
    if result is not None:
        assert same(result, other)
        wanted = oracle_aggregate(table, list(table) if whole else expected, group_by, spec)
        assert wanted is not None
        assert same(result, wanted)


# Columns without OTHER values (numbers of every kind, or str, or None), so that aggregates are answered.
clean_rows = st.lists(
    st.dictionaries(
        st.sampled_from(FIELDS),
        st.one_of(st.none(), st.booleans(), numbers, st.sampled_from(["a", "b", "ab", "é"])),
        max_size=3,
    ),
    max_size=24,
)
number_rows = st.lists(
    st.dictionaries(st.sampled_from(FIELDS), st.one_of(st.none(), st.booleans(), numbers), max_size=3),
    max_size=24,
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.one_of(clean_rows, number_rows),
    script=writes,
    plan=st.none() | plans,
    group_by=st.sampled_from([(), ("a",), ("b",)]),
    spec=specs,
)
def test_aggregates_over_columns_without_other_values(
    compiled: Any,
    rows: list[dict[str, Any]],
    script: list[tuple[Any, ...]],
    plan: tuple[Any, ...] | None,
    group_by: tuple[str, ...],
    spec: list[Any],
) -> None:
    script = [step for step in script if step[0] != "append" and step[0] != "replace"]
    table = dict(enumerate(rows, start=1))
    pure = build(_column_py, dict(table), script)
    fast = build(compiled, table, script)
    result = pure.aggregate(plan, group_by, spec)
    assert same(result, fast.aggregate(plan, group_by, spec))
    pks = list(table) if plan is None else oracle_pks(table, plan)
    wanted = oracle_aggregate(table, pks, group_by, spec)
    if result is not None:
        assert wanted is not None
        assert same(result, wanted)
