"""Differential: random AND / OR / NOT trees over fields with every kind of index — hash, sorted, column, the
primary key, none — give exactly what the same table without indexes gives (rows, their order, counts,
errors), whichever mix of unions, intersections and column matches the planner picks.

The planner's constants are drawn too: its own, "eager" (every path taken however big, every column pass
made, every intersection narrowed) and "no columns" (an index path always beats a pass over the vectors), so
that the paths a small table would not take are compared as well.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dictdb import Table
from dictdb.query import planner
from dictdb.query.expr import PredicateExpr

NAN = math.nan  # one object: ``in`` matches it by identity, ``==`` never

#: field -> its index kind (None: no index); ``id`` is the primary key.
KINDS = {"h": "hash", "s": "sorted", "c": "column", "d": "column", "n": None}
FIELDS = list(KINDS)

# Hashable values only (a hash index refuses others); for the column fields, values the vectors hold and
# values that leave their row unsure (NaN, a big int, a Decimal, bytes, a date, a tuple).
common = [None, NAN, 0, 1, 1.0, True, 2, -1.5, "", "a", "ab", "b"]
rare = [float("nan"), 2**70, Decimal("1"), Decimal("NaN"), b"a", (1, "a"), datetime.date(2020, 1, 1)]
values = st.one_of(st.sampled_from(common), st.sampled_from(common), st.sampled_from(rare))
records = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, values))


def clauses(field: str) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.one_of(
        st.tuples(st.sampled_from(["eq", "eq", "lt", "le", "gt", "ge", "ne"]), st.just(field), values),
        st.tuples(st.just("between"), st.just(field), values, values),
        st.tuples(st.just("in"), st.just(field), st.lists(values, max_size=3).map(tuple)),
        st.tuples(st.sampled_from(["is_null", "is_not_null"]), st.just(field)),
        st.tuples(st.just("startswith"), st.just(field), st.sampled_from(["", "a"])),
        st.tuples(st.just("like"), st.just(field), st.sampled_from(["a%", "%b"]), st.none(), st.booleans()),
    )


pk_clauses = st.one_of(
    st.tuples(st.just("eq"), st.just("id"), st.integers(0, 70)),
    st.tuples(st.just("in"), st.just("id"), st.lists(st.integers(0, 70), max_size=4).map(tuple)),
    st.tuples(st.sampled_from(["lt", "gt"]), st.just("id"), st.integers(0, 70)),
)


def served(field: str) -> st.SearchStrategy[tuple[Any, ...]]:
    """Clauses the field's index serves: operands the column store takes on a column field, a prefix on a
    sorted one."""
    operand = st.sampled_from(common) if KINDS[field] == "column" else values
    bound = st.sampled_from(common[2:])
    found = st.one_of(
        st.tuples(st.just("eq"), st.just(field), operand),
        st.tuples(st.sampled_from(["lt", "le", "gt", "ge"]), st.just(field), bound),
        st.tuples(st.just("between"), st.just(field), bound, bound),
        st.tuples(st.just("in"), st.just(field), st.lists(operand, max_size=3).map(tuple)),
        st.tuples(st.just("is_null"), st.just(field)),
    )
    if KINDS[field] == "sorted":
        return found | st.tuples(st.just("startswith"), st.just(field), st.sampled_from(["", "a"]))
    return found


# Mostly clauses an index serves, so that most ORs have a path in every branch; NOT of a column clause is
# served too (by the column store).
leaf = st.one_of(
    st.sampled_from(["h", "s", "c", "d"]).flatmap(served),
    st.sampled_from(["h", "s", "c", "d"]).flatmap(served),
    st.sampled_from(["h", "s", "c", "d"]).flatmap(served),
    st.tuples(st.just("not"), st.sampled_from(["c", "d"]).flatmap(served)),
    st.sampled_from(FIELDS).flatmap(clauses),
    pk_clauses,
)
plans = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["or", "or", "and"]), st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=6,
)
queries = st.one_of(
    st.tuples(
        st.just("select"),
        plans,
        st.one_of(st.none(), st.sampled_from(["s", "-s", "c", "id", "-id"])),
        st.one_of(st.none(), st.integers(0, 5)),
    ),
    st.tuples(st.just("count"), plans),
    st.tuples(st.just("update"), st.dictionaries(st.sampled_from(FIELDS), values, max_size=2), plans),
    st.tuples(st.just("delete"), plans),
)
#: (SCAN_FRACTION, COLUMN_RATIO, INTERSECT_RATIO, INTERSECT_FLOOR)
modes = st.sampled_from(
    [
        None,  # the core's own
        (2.0, 10**9, 10**9, 0),  # eager
        (2.0, 1, 10**9, 0),  # no columns where an index path exists
    ]
)


@contextmanager
def constants(mode: tuple[float, int, int, int] | None) -> Iterator[None]:
    names = ("SCAN_FRACTION", "COLUMN_RATIO", "INTERSECT_RATIO", "INTERSECT_FLOOR")
    saved = [getattr(planner, name) for name in names]
    if mode is not None:
        for name, value in zip(names, mode, strict=True):
            setattr(planner, name, value)
    try:
        yield
    finally:
        for name, value in zip(names, saved, strict=True):
            setattr(planner, name, value)


def run(table: Table, query: tuple[Any, ...]) -> Any:
    kind = query[0]
    if kind == "select":
        _, plan, order_by, limit = query
        return [r["id"] for r in table.select(where=PredicateExpr(plan), order_by=order_by, limit=limit)]
    if kind == "count":
        return table.count(PredicateExpr(query[1]))
    if kind == "update":
        return table.update(dict(query[1]), where=PredicateExpr(query[2]))
    return table.delete(where=PredicateExpr(query[1]))


def outcome(table: Table, query: tuple[Any, ...]) -> tuple[Any, type[Exception] | None]:
    try:
        return run(table, query), None
    except Exception as exc:  # the error is what is compared
        return None, type(exc)


def shape(path: dict[str, Any]) -> str:
    """The kinds of a path, for hypothesis's statistics: ``union(column,index)``..."""
    if path["op"] in ("union", "intersect"):
        return f"{path['op']}({','.join(sorted(shape(part) for part in path['inputs']))})"
    return str(path["op"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(records, min_size=1, max_size=40),
    scale=st.sampled_from([1, 1, 3]),
    found=st.lists(queries, min_size=1, max_size=10),
    mode=modes,
)
def test_mixed_index_kinds_change_nothing_but_speed(
    rows: list[dict[str, Any]], scale: int, found: list[tuple[Any, ...]], mode: Any
) -> None:
    reference = Table("t")
    reference.insert([dict(row) for row in rows * scale])
    table = Table("t")
    table.insert([dict(row) for row in rows * scale])
    for field, kind in KINDS.items():
        if kind is not None:
            table.create_index(field, kind)
    with constants(mode):
        for query in found:
            plan = query[-1] if query[0] in ("update", "delete", "count") else query[1]
            event(shape(table.explain(PredicateExpr(plan))["access"]))
            expected = outcome(reference, query)
            got = outcome(table, query)
            assert got == expected, (query, table.explain(PredicateExpr(plan)))
            assert list(table.records.items()) == list(reference.records.items()), query
