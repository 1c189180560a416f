"""The column store (``_column``), in both cores: tags, operators, three-valued logic, writes, compaction,
aggregates, copies and errors. ``test_column_differential.py`` checks random cases against the other cores."""

from __future__ import annotations

import copy
import math
import pickle
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

Table = dict[Any, dict[Any, Any]]


class Text(str):
    """A str subclass: stored as OTHER, so decided on the record."""


def store_of(core: SimpleNamespace, table: Table, *fields: Any) -> Any:
    store = core.column.ColumnStore()
    for field in fields or ("v",):
        store.add_field(field, table)
    return store


def values_table(*values: Any) -> Table:
    """pk ``i`` holds ``{"v": values[i]}``; the string ``"missing"`` leaves the field out."""
    return {i: ({} if value == "missing" else {"v": value}) for i, value in enumerate(values)}


# -- tags: which values the vectors decide, and which they leave to the record ----------------------------


@pytest.mark.parametrize(
    ("value", "decided"),
    [
        (None, True),
        ("missing", True),
        (True, True),
        (0, True),
        (-(2**63), True),
        (2**63 - 1, True),
        (2**63, False),
        (-(2**63) - 1, False),
        (1.5, True),
        (math.inf, True),
        (-0.0, True),
        (math.nan, False),
        ("text", True),
        (Text("text"), False),
        (Decimal("1.5"), False),
        ((1, 2), False),
        (b"x", False),
    ],
)
def test_each_value_is_decided_by_the_vector_or_left_to_the_record(
    core: SimpleNamespace, value: Any, decided: bool
) -> None:
    store = store_of(core, values_table(value))
    assert store.match(("eq", "v", 7)) == (([] if decided else [0]), decided)
    assert store.count(("eq", "v", 7)) == (0 if decided else None)
    # Null tests are decided on every row: an OTHER value is not None.
    is_none = value is None or value == "missing"
    assert store.match(("is_null", "v")) == (([0] if is_none else []), True)
    assert store.match(("is_not_null", "v")) == (([] if is_none else [0]), True)


# -- operators --------------------------------------------------------------------------------------------

MIXED = values_table(
    None, "missing", False, True, 0, 1, 2, -5, 1.0, 1.5, -0.0, math.inf, -math.inf, "a", "b", ""
)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (("eq", "v", 1), [3, 5, 8]),  # True == 1 == 1.0
        (("eq", "v", None), [0, 1]),
        (("eq", "v", "a"), [13]),
        (("eq", "v", 0.0), [2, 4, 10]),  # False == 0 == -0.0
        (("eq", "v", math.nan), []),
        (("ne", "v", 1), [0, 1, 2, 4, 6, 7, 9, 10, 11, 12, 13, 14, 15]),  # None != 1 holds
        (("lt", "v", 1), [2, 4, 7, 10, 12]),
        (("le", "v", 1), [2, 3, 4, 5, 7, 8, 10, 12]),
        (("gt", "v", 1.2), [6, 9, 11]),
        (("ge", "v", 2), [6, 11]),
        (("gt", "v", "a"), [14]),
        (("le", "v", "a"), [13, 15]),
        (("lt", "v", None), []),
        (("gt", "v", math.nan), []),
        (("between", "v", 0, 1), [2, 3, 4, 5, 8, 10]),
        (("between", "v", -math.inf, 0), [2, 4, 7, 10, 12]),
        (("between", "v", "a", 5), []),
        (("between", "v", "", "a"), [13, 15]),
        (("in", "v", (2, "b", None)), [0, 1, 6, 14]),
        (("in", "v", (1.5, -5.0, math.nan)), [7, 9]),
        (("in", "v", ()), []),
        (("is_null", "v"), [0, 1]),
        (("is_not_null", "v"), list(range(2, 16))),
        (("true",), list(range(16))),
    ],
)
def test_each_operator_follows_the_predicate_core(
    core: SimpleNamespace, plan: Any, expected: list[int]
) -> None:
    store = store_of(core, MIXED)
    assert store.match(plan) == (expected, True)
    assert store.count(plan) == len(expected)
    oracle = core.predicate.compile_plan(plan)
    assert expected == [pk for pk, record in MIXED.items() if oracle.matches(record)]


def test_int64_and_float_compare_exactly(core: SimpleNamespace) -> None:
    # 2**53 + 1 is not a double: a comparison through double would call it equal to 2.0**53.
    big = 2**53 + 1
    store = store_of(core, values_table(big, 2**53, 2.0**53, 2**63 - 1, 2.0**63, -(2**63), -(2.0**63)))
    assert store.match(("eq", "v", 2.0**53)) == ([1, 2], True)
    assert store.match(("gt", "v", 2.0**53)) == ([0, 3, 4], True)
    assert store.match(("lt", "v", big)) == ([1, 2, 5, 6], True)
    assert store.match(("ge", "v", 2**63 - 1)) == ([3, 4], True)
    assert store.match(("eq", "v", -(2**63))) == ([5, 6], True)
    assert store.match(("gt", "v", 9.2e18)) == ([3, 4], True)
    # A bound no int64 passes can still be passed by floats.
    floats = store_of(core, values_table(1e300, 5, 2.0**63, -math.inf))
    assert floats.match(("gt", "v", 2**63 - 1)) == ([0, 2], True)
    assert floats.match(("ge", "v", 1e19)) == ([0], True)
    assert floats.match(("lt", "v", -(2**63))) == ([3], True)


def test_a_float_column_compares_bounds_exactly(core: SimpleNamespace) -> None:
    table = values_table(*[float(i) / 2 for i in range(-70, 70)], -0.0, math.inf)
    store = store_of(core, table)
    for plan in [
        ("gt", "v", 0),
        ("ge", "v", 0.0),
        ("lt", "v", -0.5),
        ("between", "v", -1, 2**60),
        ("le", "v", 3),
    ]:
        oracle = core.predicate.compile_plan(plan)
        assert store.match(plan) == ([pk for pk, record in table.items() if oracle.matches(record)], True)


def test_a_str_column_compares_by_code_point(core: SimpleNamespace) -> None:
    store = store_of(core, values_table("b", "B", "é", "", "ab", "b"))
    assert store.match(("gt", "v", "a")) == ([0, 2, 4, 5], True)
    assert store.match(("eq", "v", "b")) == ([0, 5], True)
    assert store.match(("in", "v", ("B", "x"))) == ([1], True)


# -- three-valued logic -----------------------------------------------------------------------------------

# Row 0 is decided True, row 1 decided False, row 2 unsure (a NaN), for the leaf ("gt", "v", 0).
THREE = values_table(1, -1, math.nan)
TRUE_LEAF = ("true",)
LEAF = ("gt", "v", 0)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (LEAF, ([0, 2], False)),
        (("not", LEAF), ([1, 2], False)),  # NOT swaps True and False, Unsure stays
        (("not", ("not", LEAF)), ([0, 2], False)),
        (("and", (LEAF, ("eq", "v", 1))), ([0, 2], False)),
        (("and", (LEAF, ("is_null", "v"))), ([], True)),  # False wins an AND, even over Unsure
        (("or", (LEAF, TRUE_LEAF)), ([0, 1, 2], True)),  # True wins an OR, even over Unsure
        (("or", (LEAF, ("is_null", "v"))), ([0, 2], False)),
        (("and", (TRUE_LEAF,)), ([0, 1, 2], True)),
        (("not", TRUE_LEAF), ([], True)),
    ],
)
def test_and_or_not_are_three_valued(core: SimpleNamespace, plan: Any, expected: Any) -> None:
    store = store_of(core, THREE)
    assert store.match(plan) == expected
    assert store.count(plan) == (len(expected[0]) if expected[1] else None)


def test_clauses_on_two_fields_combine(core: SimpleNamespace) -> None:
    table = {pk: {"age": 20 + pk, "dept": "d" + str(pk % 3)} for pk in range(200)}
    store = store_of(core, table, "age", "dept")
    plan = ("and", (("ge", "age", 100), ("eq", "dept", "d1")))
    expected = [pk for pk in table if 20 + pk >= 100 and pk % 3 == 1]
    assert store.match(plan) == (expected, True)
    assert store.match(("not", plan)) == ([pk for pk in table if pk not in expected], True)


# -- writes -----------------------------------------------------------------------------------------------


def test_append_remove_replace_keep_the_rows_in_insertion_order(core: SimpleNamespace) -> None:
    store = store_of(core, values_table(1, 2, 3))
    store.append("x", {"v": 2})
    store.append_many(["y", "z"], [{"v": "two"}, {}])
    assert store.match(("eq", "v", 2)) == ([1, "x"], True)
    store.remove(1)
    store.remove_many(["y"])
    assert (store.rows, store.slots, len(store)) == (4, 6, 4)
    assert 1 not in store
    assert "x" in store
    assert [1] not in store
    store.replace(0, {"v": 2})  # an update keeps the row's place
    assert store.match(("eq", "v", 2)) == ([0, "x"], True)
    assert store.match(("is_null", "v")) == (["z"], True)
    store.compact()
    assert (store.rows, store.slots) == (4, 4)
    assert store.match(("true",)) == ([0, 2, "x", "z"], True)


def test_tombstones_are_compacted_past_the_fraction(core: SimpleNamespace) -> None:
    minimum = core.column.COMPACT_MIN
    table = {pk: {"v": pk % 7} for pk in range(minimum)}
    store = store_of(core, table)
    limit = int(core.column.COMPACT_FRACTION * minimum)
    store.remove_many(list(range(limit)))
    assert store.slots == minimum  # at the fraction: kept
    store.remove(limit)
    assert store.slots == store.rows == minimum - limit - 1
    assert store.match(("eq", "v", 3)) == ([pk for pk in range(limit + 1, minimum) if pk % 7 == 3], True)


def test_bad_writes_raise_and_change_nothing(core: SimpleNamespace) -> None:
    store = store_of(core, values_table(1, 2))
    with pytest.raises(ValueError, match="already has a row"):
        store.append(0, {"v": 5})
    with pytest.raises(ValueError, match="already has a row"):
        store.append_many([7, 7], [{}, {}])
    with pytest.raises(ValueError, match="2 pks but 1 records"):
        store.append_many([7, 8], [{}])
    with pytest.raises(KeyError):
        store.remove(9)
    with pytest.raises(KeyError):
        store.remove_many([0, 0])
    with pytest.raises(KeyError):
        store.remove_many([1, 9])
    with pytest.raises(KeyError):
        store.replace(9, {})
    assert store.match(("true",)) == ([0, 1], True)
    assert store.slots == 2


class Failing(dict[Any, Any]):
    """A record whose lookup of "w" raises."""

    def get(self, key: Any, default: Any = None) -> Any:
        if key == "w":
            raise RuntimeError("no w")
        return super().get(key, default)


def test_a_record_whose_lookup_raises_changes_nothing(core: SimpleNamespace) -> None:
    table: Table = {pk: {"v": "a", "w": pk} for pk in range(100)}
    store = store_of(core, table, "v", "w")
    with pytest.raises(RuntimeError, match="no w"):
        store.append(100, Failing(v=1, w=1))
    with pytest.raises(RuntimeError, match="no w"):
        store.replace(5, Failing(v=1, w=1))
    assert (store.rows, store.slots) == (100, 100)
    # "v" still holds only str (its whole-word loop reads codes): nothing was counted for the failed rows.
    assert store.match(("eq", "v", "a")) == (list(range(100)), True)
    store.append(100, {"v": 1, "w": 1})
    assert store.match(("eq", "v", "a")) == (list(range(100)), True)
    assert store.match(("eq", "v", 1)) == ([100], True)


def test_add_drop_and_load_fields(core: SimpleNamespace) -> None:
    table: Table = {"a": {"x": 1, "y": "p"}, "b": {"x": 2}}
    store = store_of(core, table, "x")
    store.remove("a")
    store.add_field("y", {"b": {"y": "q"}})  # only the live rows are read
    assert store.fields == ("x", "y")
    assert store.match(("eq", "y", "q")) == (["b"], True)
    with pytest.raises(ValueError, match="already has a column"):
        store.add_field("x", table)
    with pytest.raises(KeyError):
        store.add_field("z", {})  # a live row without its record: nothing added
    assert store.fields == ("x", "y")
    store.load({"c": {"x": 3}, "d": {"y": "q"}})
    assert store.match(("eq", "y", "q")) == (["d"], True)
    assert (store.rows, store.slots) == (2, 2)
    store.drop_field("x")
    with pytest.raises(KeyError):
        store.drop_field("x")
    store.drop_field("y")
    assert (store.fields, store.rows, store.slots) == ((), 0, 0)


# -- reads ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plan",
    [
        ("eq", "w", 1),  # not a column
        ("eq", "v", 2**64),  # beyond int64
        ("eq", "v", Decimal(1)),
        ("eq", "v", Text("a")),
        ("in", "v", [1]),  # not a tuple
        ("in", "v", (1, (2,))),
        ("startswith", "v", "a"),
        ("like", "v", "a%", None, False),
        ("and", ()),
        ("and", (("eq", "v", 1), ("eq", "w", 1))),
        ("not", ("contains", "v", 1)),
        ("eq", ["v"], 1),  # an unhashable field
        ("eq", "v"),
        (),
        "eq",
    ],
)
def test_unsupported_plans_are_refused(core: SimpleNamespace, plan: Any) -> None:
    store = store_of(core, values_table(1))
    assert not store.supports(plan)
    with pytest.raises(ValueError, match="cannot evaluate plan"):
        store.match(plan)
    with pytest.raises(ValueError, match="cannot evaluate plan"):
        store.count(plan)
    assert store.aggregate(plan, (), [("n", "count_rows", None)]) is None


SALES: Table = {
    1: {"city": "b", "price": 10, "qty": 1},
    2: {"city": "a", "price": 2.5, "qty": True},
    3: {"city": "b", "price": None},
    4: {"city": None, "price": 4},
    5: {"price": -1, "qty": 0},
    6: {"city": "a", "price": 7, "qty": 3},
}
SPECS = [
    ("rows", "count_rows", None),
    ("n", "count", "price"),
    ("total", "sum", "price"),
    ("mean", "avg", "price"),
    ("low", "min", "price"),
    ("high", "max", "qty"),
    ("first", "min", "city"),
]


@pytest.mark.parametrize("group_by", [(), ("city",), ("qty",)])
@pytest.mark.parametrize("plan", [None, ("gt", "price", 0), ("not", ("eq", "city", "a"))])
def test_aggregate_equals_the_aggregate_core(core: SimpleNamespace, group_by: Any, plan: Any) -> None:
    store = store_of(core, SALES, "city", "price", "qty")
    specs = [spec for spec in SPECS if spec[2] not in group_by]
    records = list(SALES.values())
    if plan is not None:
        records = core.predicate.compile_plan(plan).filter(records)
    expected = core.aggregate.aggregate(records, group_by, specs)
    result = store.aggregate(plan, group_by, specs)
    assert result == expected
    assert [[type(value) for value in row.values()] for row in result] == [
        [type(value) for value in row.values()] for row in expected
    ]


def test_group_rows_show_the_first_value_seen(core: SimpleNamespace) -> None:
    store = store_of(core, values_table(True, 1, 1.0, 2.0, 2, "missing", None))
    assert store.aggregate(None, ("v",), [("n", "count_rows", None)]) == [
        {"v": True, "n": 3},
        {"v": 2.0, "n": 2},
        {"v": None, "n": 2},
    ]
    assert store.aggregate(None, (), [("low", "min", "v"), ("high", "max", "v")]) == [
        {"low": True, "high": 2.0}
    ]


def test_sums_add_in_row_order_as_python_does(core: SimpleNamespace) -> None:
    store = store_of(core, values_table(2**53, 1, 1.0, 1))
    [row] = store.aggregate(None, (), [("s", "sum", "v"), ("a", "avg", "v")])
    assert row == {"s": float(2**53 + 1) + 1.0 + 1, "a": (float(2**53 + 1) + 1.0 + 1) / 4}
    [row] = store_of(core, values_table(True, True, 3)).aggregate(None, (), [("s", "sum", "v")])
    assert row == {"s": 5}
    assert type(row["s"]) is int


@pytest.mark.parametrize(
    ("values", "specs", "group_by"),
    [
        ((1, math.nan), [("s", "sum", "v")], ()),  # an OTHER value summed
        ((1, Decimal(2)), [("m", "min", "v")], ()),
        ((1, (2,)), [("n", "count_rows", None)], ("v",)),  # an OTHER value grouped
        ((1, "a"), [("s", "sum", "v")], ()),  # str summed: _aggregate raises
        ((1, "a"), [("m", "max", "v")], ()),  # str against a number
        ((2**62, 2**62), [("s", "sum", "v")], ()),  # magnitudes past int64
        ((1,), [("s", "median", "v")], ()),  # an unknown kind
        ((1,), [("s", "sum", "w")], ()),  # not a column
        ((1,), [("n", "count_rows", None)], ("v", "v")),  # two group fields
        ((1,), [("n", "count_rows", None)], ("w",)),
    ],
)
def test_aggregate_gives_none_when_the_vectors_cannot_answer(
    core: SimpleNamespace, values: Any, specs: Any, group_by: Any
) -> None:
    assert store_of(core, values_table(*values)).aggregate(None, group_by, specs) is None


def test_aggregate_over_an_unsure_plan_gives_none_but_counting_other_values_does_not(
    core: SimpleNamespace,
) -> None:
    store = store_of(core, values_table(1, math.nan, None))
    assert store.aggregate(("gt", "v", 0), (), [("n", "count_rows", None)]) is None
    assert store.aggregate(None, (), [("n", "count", "v"), ("r", "count_rows", None)]) == [{"n": 2, "r": 3}]
    assert store.aggregate(("is_null", "v"), (), [("s", "sum", "v")]) == [{"s": None}]


# -- copies, pickling, memory -----------------------------------------------------------------------------


def test_copies_and_pickles_are_equal_and_independent(core: SimpleNamespace) -> None:
    store = store_of(core, values_table(1, "a", math.nan, None, 2.5, True), "v", "w")
    store.remove(1)
    for other in (copy.copy(store), copy.deepcopy(store), pickle.loads(pickle.dumps(store))):
        assert type(other) is type(store)
        assert (other.fields, other.rows, other.slots) == (("v", "w"), 5, 5)
        for plan in [("true",), ("eq", "v", 1), ("gt", "v", 0), ("is_null", "w"), ("eq", "v", "a")]:
            assert other.match(plan) == store.match(plan)
        other.append(9, {"v": 1})
        other.remove(0)
        assert store.match(("eq", "v", 1)) == ([0, 2, 5], False)  # True == 1; NaN is unsure
        assert other.match(("eq", "v", 1)) == ([2, 5, 9], False)
    assert store.slots == 6  # pickling left the original's tombstone alone


def test_memory_bytes_grows_with_the_column(core: SimpleNamespace) -> None:
    small = store_of(core, {pk: {"v": pk} for pk in range(10)})
    large = store_of(core, {pk: {"v": pk, "w": str(pk)} for pk in range(10_000)}, "v", "w")
    assert 0 < small.memory_bytes("v") < large.memory_bytes("v")
    assert large.memory_bytes("w") > large.memory_bytes("v")  # the str dictionary
    with pytest.raises(KeyError):
        small.memory_bytes("w")


def test_an_empty_store_answers(core: SimpleNamespace) -> None:
    store = core.column.ColumnStore()
    assert (store.fields, store.rows, store.slots, len(store)) == ((), 0, 0, 0)
    store.append(1, {"v": 1})  # no column yet: no rows kept
    assert store.match(("true",)) == ([], True)
    assert store.count(("true",)) == 0
    assert store.aggregate(None, (), [("n", "count_rows", None), ("x", "count", "v")]) is None
    assert store.aggregate(None, (), [("n", "count_rows", None)]) == [{"n": 0}]
    store.add_field("v", {})
    assert store.aggregate(None, ("v",), [("n", "count_rows", None)]) == []
    assert core.column.COMPACT_FRACTION == 0.25
    assert core.column.COMPACT_MIN == 1024
