"""The planner's rules, asserted through ``Table.explain``, and the results they give (the same as a scan)."""

from __future__ import annotations

from typing import Any

import pytest

from dictdb import And, Not, Or, Table
from dictdb.query import planner


def make(n: int = 1000) -> Table:
    """``n`` records: dept d0..d9, city c0..c49, age 20..79, name "u<i>", tag every 7th."""
    t = Table("people")
    t.insert(
        [
            {
                "dept": f"d{i % 10}",
                "city": f"c{i % 50}",
                "age": 20 + (i * 7) % 60,
                "name": f"u{i}",
                **({"tag": "x"} if i % 7 == 0 else {}),
            }
            for i in range(n)
        ]
    )
    return t


def plain(where: Any, **kwargs: Any) -> list[Any]:
    """The ids a table without indexes returns for the same query: what every plan must give."""
    return [r["id"] for r in REFERENCE.select(where=where, **kwargs)]


REFERENCE = make()


def ids(t: Table, where: Any = None, **kwargs: Any) -> list[Any]:
    return [r["id"] for r in t.select(where=where, **kwargs)]


@pytest.fixture
def t() -> Table:
    table = make()
    table.create_index("dept")
    table.create_index("age", "sorted")
    table.create_index("name", "sorted", unique=True)
    table.create_index(["dept", "city"])
    table.create_index(["city", "age"], "sorted")
    return table


def access(t: Table, where: Any, **kwargs: Any) -> dict[str, Any]:
    plan = t.explain(where, **kwargs)
    assert ids(t, where, **kwargs) == plain(where, **kwargs)  # the plan never changes the rows
    result: dict[str, Any] = plan["access"]
    return result


# --- one clause -------------------------------------------------------------------------------------------


def test_primary_key_equality_and_membership_use_the_dict(t: Table) -> None:
    assert access(t, t.id == 5) == {"op": "primary key", "clause": "id == 5", "estimate": 1}
    path = access(t, t.id.is_in([900, 3, 5000, 3]))
    assert path["op"] == "primary key"
    assert path["estimate"] == 2
    assert ids(t, t.id.is_in([900, 3, 5000])) == [3, 900]  # insertion order, not the list's


def test_primary_key_lookups_without_any_index() -> None:
    table = make(50)
    assert table.explain(table.id == 7)["access"]["op"] == "primary key"
    assert ids(table, table.id.is_in([30, 2, 9])) == [2, 9, 30]
    table.insert({"id": 1.5})
    assert ids(table, table.id.is_in([1.5, 1])) == [1, 1.5]


@pytest.mark.parametrize(
    ("where", "index", "lookup"),
    [
        (lambda t: t.dept == "d3", "dept", "equal"),
        (lambda t: t.dept.is_in(["d3", "d4"]), "dept", "in"),
        (lambda t: t.dept == None, "dept", "equal"),  # noqa: E711 - builds a predicate
        (lambda t: t.age == 30, "age", "equal"),
        (lambda t: t.age.is_in([30, 31, 30]), "age", "in"),
        (lambda t: t.tag.is_null(), None, None),  # no index on tag
        (lambda t: t.name.is_null(), "name", "null"),
        (lambda t: t.age < 22, "age", "range"),
        (lambda t: t.age <= 21, "age", "range"),
        (lambda t: t.age > 77, "age", "range"),
        (lambda t: t.age >= 78, "age", "range"),
        (lambda t: t.age.between(30, 31), "age", "range"),
        (lambda t: t.name.startswith("u99"), "name", "prefix"),
        (lambda t: t.name.like("u99%"), "name", "prefix"),
        (lambda t: t.name.like("u9_"), "name", "prefix"),
        (lambda t: t.name.like("u99"), "name", "prefix"),
    ],
)
def test_index_lookups(t: Table, where: Any, index: Any, lookup: Any) -> None:
    path = access(t, where(t))
    if index is None:
        assert path["op"] == "scan"
    else:
        assert (path["op"], path["index"], path["lookup"]) == ("index", index, lookup)


@pytest.mark.parametrize(
    "where",
    [
        lambda t: t.dept < "d3",  # a hash index orders nothing
        lambda t: t.dept.startswith("d"),
        lambda t: t.dept != "d3",
        lambda t: t.age != 30,
        lambda t: t.age.is_not_null(),
        lambda t: t.name.like("%9"),  # no literal prefix
        lambda t: t.name.like("_9%"),
        lambda t: t.name.ilike("u9%"),  # case-insensitive: not the index's order
        lambda t: t.name.istartswith("U9"),
        lambda t: t.name.endswith("9"),
        lambda t: t.name.contains("9"),
        lambda t: t.age > None,  # never matches: nothing to look up
        lambda t: t.age > float("nan"),
        lambda t: t.age < {1, 2},  # sets order by inclusion, the index ties them
        lambda t: t.dept == ["d3"],  # unhashable: a hash index cannot look it up
        lambda t: ~(t.dept == "d3"),  # NOT never narrows
    ],
)
def test_clauses_no_index_serves(t: Table, where: Any) -> None:
    assert access(t, where(t))["op"] == "scan"


def test_like_with_an_escaped_wildcard_keeps_it_in_the_prefix() -> None:
    table = Table("t")
    table.insert([{"code": c} for c in ["50%off", "50off", "50%", "5%0", "x"]])
    table.create_index("code", "sorted")
    with _eager():
        plan = table.explain(table.code.like("50!%%", escape="!"))
        assert plan["access"]["lookup"] == "prefix"
        assert ids(table, table.code.like("50!%%", escape="!")) == [1, 3]


def test_a_path_yielding_too_much_loses_to_a_scan(t: Table) -> None:
    path = access(t, t.age >= 21)
    assert path["op"] == "scan"
    assert "a scan is cheaper" in path["reason"]


# --- AND, OR, NOT -------------------------------------------------------------------------------------------


def test_and_starts_from_the_most_selective_path(t: Table) -> None:
    path = access(t, (t.dept == "d3") & (t.age == 41) & (t.name != "u3"))
    assert path["op"] == "index"
    assert path["index"] == "age"  # ~17 records, against ~100 for dept


def test_and_intersects_paths_of_similar_size(t: Table) -> None:
    path = access(t, (t.dept == "d3") & t.age.between(20, 30))
    assert path["op"] == "intersect"
    assert [p["index"] for p in path["inputs"]] == ["dept", "age"]
    assert path["estimate"] == path["inputs"][0]["estimate"]


def test_and_merges_the_ranges_of_one_field(t: Table) -> None:
    where = (t.age >= 30) & (t.age < 33) & (t.age > 29)
    path = access(t, where)
    assert (path["op"], path["lookup"]) == ("index", "range")
    assert path["clause"] == "age >= 30 & age < 33 & age > 29"
    assert path["estimate"] == t.indexes["age"].count_range(30, 33, include_high=False)


def test_and_of_ranges_of_different_types_matches_nothing(t: Table) -> None:
    path = access(t, (t.age >= 30) & (t.age <= "z"))
    assert path["estimate"] == 0


def test_and_with_no_indexable_clause_scans(t: Table) -> None:
    assert access(t, (t.tag == "x") & (t.city != "c1"))["op"] == "scan"


def test_and_ignores_a_not_and_uses_the_rest(t: Table) -> None:
    path = access(t, And(t.dept == "d3", Not(t.age > 30)))
    assert path["index"] == "dept"


def test_or_unions_when_every_branch_has_a_path(t: Table) -> None:
    path = access(t, (t.dept == "d3") | t.age.between(30, 31) | (t.id == 999))
    assert path["op"] == "union"
    assert [p["op"] for p in path["inputs"]] == ["index", "index", "primary key"]


def test_or_with_one_unindexable_branch_scans(t: Table) -> None:
    assert access(t, Or(t.dept == "d3", t.tag == "x"))["op"] == "scan"
    assert access(t, (t.dept == "d3") | ~(t.age == 30))["op"] == "scan"


def test_nested_and_inside_or(t: Table) -> None:
    path = access(t, ((t.dept == "d3") & (t.age == 41)) | (t.name == "u7"))
    assert path["op"] == "union"
    assert path["inputs"][0]["index"] == "age"


def test_dctdb_bugs_with_or_and_not(t: Table) -> None:
    # dctdb answered these from the index of the first clause only, losing rows.
    union = (t.dept == "d3") | (t.age > 78)
    assert ids(t, union) == plain(union)
    assert len(ids(t, union)) > len(ids(t, t.dept == "d3"))
    negation = ~(t.dept == "d3")
    assert ids(t, negation) == plain(negation)
    assert len(ids(t, negation)) == 900
    both = ~((t.dept == "d3") | (t.age == 30)) & (t.city == "c3")
    assert ids(t, both) == plain(both)


# --- composite --------------------------------------------------------------------------------------------


def test_hash_composite_serves_equality_on_all_its_fields(t: Table) -> None:
    path = access(t, (t.city == "c13") & (t.dept == "d3") & (t.tag.is_null()))
    # The (city, age) prefix answers city == 'c13' too: a clause already answered, so no intersection.
    assert (path["index"], path["lookup"]) == (("dept", "city"), "equal")
    assert path["clause"] == "dept == 'd3' & city == 'c13'"
    assert access(t, t.dept == "d3")["index"] == "dept"  # a part of it: not the composite


def test_sorted_composite_serves_a_prefix_then_a_range(t: Table) -> None:
    path = access(t, (t.city == "c7") & t.age.between(30, 40))
    assert (path["index"], path["lookup"]) == (("city", "age"), "range")
    assert path["estimate"] == len(plain((t.city == "c7") & t.age.between(30, 40)))
    path = access(t, t.city == "c7")
    assert (path["index"], path["lookup"]) == (("city", "age"), "range")
    for where in [
        (t.city == "c7") & (t.age > 41),
        (t.city == "c7") & (t.age >= 41),
        (t.city == "c7") & (t.age < 41),
        (t.city == "c7") & (t.age <= 41),
        (t.city == "c7") & (t.age == 41),
    ]:
        assert access(t, where)["index"] == ("city", "age")


def test_composite_prefix_ranges_with_more_fields_after() -> None:
    table = Table("t")
    table.insert([{"a": a, "b": b, "c": c} for a in range(3) for b in range(4) for c in (None, 0, "z")])
    table.create_index(["a", "b", "c"], "sorted")
    with _eager():
        for where in [
            (table.a == 1) & (table.b > 1),
            (table.a == 1) & (table.b >= 1),
            (table.a == 1) & (table.b < 2),
            (table.a == 1) & (table.b <= 2),
            (table.a == 1) & table.b.between(1, 2),
            (table.a == 2) & (table.b == 3),
            (table.a == 2) & (table.b == 3) & (table.c == "z"),
            table.a <= 1,
        ]:
            plan = table.explain(where)
            assert plan["access"]["index"] == ("a", "b", "c"), where
            assert plan["access"]["estimate"] == len(table.select(where=where)), where
            expected = [r["id"] for r in table.all() if where(r)]
            assert ids(table, where) == expected


# --- order_by ---------------------------------------------------------------------------------------------


def test_order_by_a_sorted_field_with_a_limit_walks_the_index(t: Table) -> None:
    for order_by in ("age", "-age", "name", "-name"):
        plan = t.explain(order_by=order_by, limit=5)
        assert (plan["order"]["method"], plan["order"]["index"]) == ("index walk", order_by.lstrip("-"))
        assert ids(t, order_by=order_by, limit=5) == plain(None, order_by=order_by, limit=5)
        paged = {"order_by": order_by, "limit": 5, "offset": 3}
        assert ids(t, **paged) == plain(None, **paged)


def test_a_walk_with_a_where_keeps_reading_until_enough_match(t: Table) -> None:
    where = (t.dept == "d3") & (t.tag == "x")
    assert t.explain(where, order_by="-age", limit=3)["order"]["method"] == "index walk"
    assert ids(t, where, order_by="-age", limit=3) == plain(where, order_by="-age", limit=3)
    assert ids(t, where, order_by="age", limit=50) == plain(where, order_by="age", limit=50)


def test_a_walk_over_the_range_that_serves_the_where(t: Table) -> None:
    where = t.age.between(40, 44) & (t.tag == "x")
    plan = t.explain(where, order_by="-age", limit=2)
    assert plan["order"]["walks"] == "the range it serves"
    assert ids(t, where, order_by="-age", limit=2) == plain(where, order_by="-age", limit=2)


def test_order_by_without_a_walk(t: Table) -> None:
    assert t.explain(order_by="age")["order"]["method"] == "sort"  # no limit
    assert t.explain(order_by="city", limit=5)["order"]["method"] == "top-k heap"  # no sorted index
    assert t.explain(order_by=["age", "name"], limit=5)["order"]["method"] == "top-k heap"
    # A selective where is cheaper to fetch and sort than to find by walking.
    assert t.explain(t.id == 3, order_by="age", limit=5)["order"]["method"] == "sort"
    where = t.id.is_in([3, 9])
    assert ids(t, where, order_by="-age", limit=1) == plain(where, order_by="-age", limit=1)


def test_distinct_is_never_walked(t: Table) -> None:
    rows = t.select(["age"], order_by="-age", limit=3, distinct=True)
    assert rows == REFERENCE.select(["age"], order_by="-age", limit=3, distinct=True)


def test_walk_and_sort_agree_on_mixed_types_and_ties() -> None:
    values = [3, None, "b", 1.0, 1, float("nan"), b"x", (1, 2), True, "a", 2.5, None, (0,), 1]
    table = Table("t")
    table.insert([{"v": v} for v in values])
    reference = Table("r")
    reference.insert([{"v": v} for v in values])
    table.create_index("v", "sorted")
    for order_by in ("v", "-v"):
        for limit in range(1, len(values) + 1):
            assert table.explain(order_by=order_by, limit=limit)["order"]["method"] == "index walk"
            expected = [r["id"] for r in reference.select(order_by=order_by, limit=limit)]
            assert ids(table, order_by=order_by, limit=limit) == expected


# --- results and the text form ----------------------------------------------------------------------------


def test_candidates_come_back_in_insertion_order(t: Table) -> None:
    where = t.age.between(30, 32)
    assert t.explain(where)["access"]["lookup"] == "range"
    found = ids(t, where)
    assert found == sorted(found)
    assert ids(t, where, limit=3) == found[:3]


def test_update_and_delete_use_the_planner(t: Table) -> None:
    assert t.update({"flag": True}, where=t.name == "u5") == 1
    assert t.get(6)["flag"] is True
    assert t.delete(where=t.dept.is_in(["d1", "d2"])) == 200
    assert t.indexes["dept"].search("d1") == []


def test_explain_text() -> None:
    table = make(100)
    table.create_index("dept")
    table.create_index("age", "sorted")
    plan = table.explain((table.dept == "d1") | (table.age < 22), order_by="-age", limit=3)
    assert str(plan) == (
        "table 'people' (100 rows)\n"
        "where: (dept == 'd1' | age < 22)\n"
        "access: union (~13)\n"
        "  - hash index 'dept', equal: dept == 'd1' (~10)\n"
        "  - sorted index 'age', range: age < 22 (~3)\n"
        "re-check: ~13 candidates against the whole predicate\n"
        "order by -age: sort, limit 3"
    )
    assert plan["where"] == "(dept == 'd1' | age < 22)"
    assert plan["recheck"] is True
    assert str(table.explain(table.tag.is_null(), order_by="age", limit=3)) == (
        "table 'people' (100 rows)\n"
        "where: tag.is_null()\n"
        "access: scan of 100 records: no index serves the predicate\n"
        "re-check: ~100 candidates against the whole predicate\n"
        "order by age: index walk on 'age' (the whole index, ~6 entries first), limit 3"
    )
    assert str(table.explain()) == "table 'people' (100 rows)\naccess: every record (100)"


def test_explain_checks_its_arguments(t: Table) -> None:
    with pytest.raises(TypeError, match="where must be a predicate"):
        t.explain("age > 3")
    with pytest.raises(TypeError, match="order_by"):
        t.explain(order_by=3)


class _eager:
    """Make the planner use every index path it can, however big (small tables would scan)."""

    def __enter__(self) -> None:
        self.saved = planner.SCAN_FRACTION
        planner.SCAN_FRACTION = 2.0

    def __exit__(self, *exc: object) -> None:
        planner.SCAN_FRACTION = self.saved
