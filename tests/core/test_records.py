"""``_core.records``: copying and projection, written once and run against both cores."""

from __future__ import annotations

import gc
import random
from types import SimpleNamespace

import pytest


def test_copy_record_is_shallow_and_independent(core: SimpleNamespace) -> None:
    nested = [1, 2]
    original = {"id": 1, "tags": nested}
    copied = core.records.copy_record(original)
    assert copied == original
    assert copied is not original
    assert copied["tags"] is nested  # shallow: inner values are shared
    copied["id"] = 2
    assert original["id"] == 1


def test_copy_record_returns_plain_dict_for_subclass(core: SimpleNamespace) -> None:
    class Sub(dict):  # type: ignore[type-arg]
        pass

    copied = core.records.copy_record(Sub(a=1))
    assert type(copied) is dict
    assert copied == {"a": 1}


@pytest.mark.parametrize("bad", [None, [("a", 1)], "abc", 3])
def test_copy_record_refuses_non_dict(core: SimpleNamespace, bad: object) -> None:
    with pytest.raises(TypeError, match="a record must be a dict"):
        core.records.copy_record(bad)


def test_copy_records_keeps_order(core: SimpleNamespace) -> None:
    rows = [{"id": i} for i in range(50)]
    copies = core.records.copy_records(iter(rows))
    assert copies == rows
    assert all(a is not b for a, b in zip(copies, rows, strict=True))


def test_copy_records_empty_and_bad_item(core: SimpleNamespace) -> None:
    assert core.records.copy_records([]) == []
    with pytest.raises(TypeError, match="not list"):
        core.records.copy_records([{"a": 1}, [1]])


@pytest.mark.parametrize("copy", [False, True])
def test_fetch_reads_records_in_the_order_given(core: SimpleNamespace, copy: bool) -> None:
    # More records than the prefetch distance, in an order unlike the dict's.
    records = {pk: {"id": pk, "tags": [pk]} for pk in range(40)}
    pks = list(range(39, -1, -3))
    found = core.records.fetch(records, pks, copy)
    assert found == [records[pk] for pk in pks]
    assert all((row is records[pk]) is not copy for row, pk in zip(found, pks, strict=True))
    assert all(row["tags"] is records[pk]["tags"] for row, pk in zip(found, pks, strict=True))
    assert core.records.fetch(records, [], copy) == []


def test_fetch_from_any_mapping_and_iterable(core: SimpleNamespace) -> None:
    from types import MappingProxyType

    records = MappingProxyType({"a": {"v": 1}, "b": {"v": 2}})
    assert core.records.fetch(records, iter(["b", "a"]), True) == [{"v": 2}, {"v": 1}]


def test_fetch_missing_key_and_bad_record(core: SimpleNamespace) -> None:
    records: dict[object, object] = {1: {"v": 1}, 2: "not a dict"}
    with pytest.raises(KeyError) as missing:
        core.records.fetch(records, [1, 3], False)
    assert missing.value.args == (3,)
    assert core.records.fetch(records, [2], False) == ["not a dict"]
    with pytest.raises(TypeError, match="a record must be a dict"):
        core.records.fetch(records, [1, 2], True)
    with pytest.raises(TypeError):
        core.records.fetch(records, [[1]], False)  # an unhashable key: the dict's own error


def test_project_with_aliases_and_missing_fields(core: SimpleNamespace) -> None:
    rows = [{"id": 1, "name": "ada", "age": 36}, {"id": 2}]
    out = core.records.project(rows, [("who", "name"), ("id", "id"), ("years", "age")])
    assert out == [{"who": "ada", "id": 1, "years": 36}, {"who": None, "id": 2, "years": None}]
    assert list(out[0]) == ["who", "id", "years"]  # column order is the order asked for


def test_project_same_field_twice_and_non_str_keys(core: SimpleNamespace) -> None:
    rows = [{1: "one", "a": "x"}]
    assert core.records.project(rows, [("k", 1), ("a1", "a"), ("a2", "a")]) == [
        {"k": "one", "a1": "x", "a2": "x"}
    ]


def test_project_mapping_that_is_not_exact_dict(core: SimpleNamespace) -> None:
    class Sub(dict):  # type: ignore[type-arg]
        def get(self, key: object, default: object = None) -> object:
            return "from-get"

    assert core.records.project([Sub(a=1)], [("a", "a")]) == [{"a": "from-get"}]


def test_project_rejects_malformed_columns_before_work(core: SimpleNamespace) -> None:
    with pytest.raises(ValueError, match="unpack"):
        core.records.project([], [("a", "b", "c")])
    with pytest.raises(TypeError):
        core.records.project([], [5])


def test_project_alias_given_twice_keeps_the_last_field(core: SimpleNamespace) -> None:
    rows = [{"a": 1, "b": 2}]
    assert core.records.project(rows, [("x", "a"), ("y", "b"), ("x", "b")]) == [{"x": 2, "y": 2}]
    assert list(core.records.project(rows, [("x", "a"), ("y", "b"), ("x", "b")])[0]) == ["x", "y"]


def test_project_distinct_builds_only_the_first_of_equal_rows(core: SimpleNamespace) -> None:
    rows = [
        {"d": "dev", "c": 1, "n": "a"},
        {"d": "dev", "c": 1.0, "n": "b"},
        {"d": "ops", "n": "c"},
        {"d": "ops", "c": None, "n": "d"},
        {"d": "dev", "c": [1], "n": "e"},
        {"d": "dev", "c": [1], "n": "f"},
        {"d": "dev", "c": 2, "n": "g"},
    ]
    columns = [("dept", "d"), ("code", "c"), ("dept", "d")]
    assert core.records.project(rows, columns, distinct=True) == [
        {"dept": "dev", "code": 1},
        {"dept": "ops", "code": None},
        {"dept": "dev", "code": [1]},
        {"dept": "dev", "code": 2},
    ]
    assert core.records.project([], columns, distinct=True) == []


def test_distinct_compares_rows_as_dicts_whatever_their_key_order(core: SimpleNamespace) -> None:
    class Sub(dict):  # type: ignore[type-arg]
        pass

    rows = [{"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 1}, {"a": 1, "c": 2}, Sub(a=1, b=2), {"b": [2], "a": 1}]
    rows.append({"a": 1, "b": [2]})
    assert core.records.distinct(rows) == [rows[0], rows[2], rows[3], rows[5]]


def test_errors_from_a_colliding_key_propagate(core: SimpleNamespace) -> None:
    class Clash:
        def __hash__(self) -> int:
            return hash("age")

        def __eq__(self, other: object) -> bool:
            raise RuntimeError("compared")

    rows = [{Clash(): 1}]
    with pytest.raises(RuntimeError, match="compared"):
        core.records.sort_keys(rows, "age")
    with pytest.raises(RuntimeError, match="compared"):
        core.records.project(rows, [("age", "age")])
    with pytest.raises(RuntimeError, match="compared"):
        core.predicate.compile_plan(("eq", "age", 1)).filter(rows)


def test_in_sequence_orders_by_sequence_numbers(core: SimpleNamespace) -> None:
    rng = random.Random(5)
    for count in (0, 1, 5, 63, 64, 65, 500, 5000):
        records = {f"k{i}": {"i": i} for i in range(count)}
        seq = {f"k{i}": 3 * i + (1 << 40 if i % 2 else 0) for i in range(count)}  # unique, with a wide span
        pks = list(records)
        rng.shuffle(pks)
        expected = sorted(records.values(), key=lambda r: seq[f"k{r['i']}"])
        got = core.records.in_sequence(records, pks, seq)
        assert got == expected
        assert all(a is b for a, b in zip(got, [records[f"k{r['i']}"] for r in expected], strict=True))
        for limit in (0, 1, 7, count, count + 3):
            assert core.records.in_sequence(records, pks, seq, limit) == expected[:limit]
        assert core.records.in_sequence(records, iter(pks), seq, -1) == []
    assert core.records.in_sequence({1: "a", 2: "b"}, {2: 0, 1: 9}, {2: 0, 1: 9}) == ["b", "a"]


def test_in_sequence_needs_every_key(core: SimpleNamespace) -> None:
    with pytest.raises(KeyError):
        core.records.in_sequence({1: {}}, [1, 2], {1: 0, 2: 1})
    with pytest.raises(KeyError):
        core.records.in_sequence({1: {}, 2: {}}, [1, 2], {1: 0})


def test_merge_each_is_the_update_merge(core: SimpleNamespace) -> None:
    nested = [1]
    rows = [{"id": i, "a": i, "tags": nested} for i in range(3000)]  # several collector passes' worth
    changes = {"a": -1, "new": "x"}
    merged = core.records.merge_each(rows, changes)
    assert merged == [{**row, **changes} for row in rows]
    assert list(merged[0]) == ["id", "a", "tags", "new"]
    assert merged[5]["tags"] is nested
    assert merged[5] is not rows[5]
    assert rows[5] == {"id": 5, "a": 5, "tags": nested}  # the originals are untouched
    assert gc.is_tracked(merged)  # both lists are the collector's again
    assert gc.is_tracked(rows)
    assert core.records.merge_each(iter(rows[:2]), [("a", 0)]) == [{**rows[0], "a": 0}, {**rows[1], "a": 0}]
    assert core.records.merge_each([], changes) == []
    with pytest.raises(TypeError, match="a record must be a dict"):
        core.records.merge_each([{"a": 1}, "not a record"], changes)
    assert gc.is_tracked(rows)


def test_delete_keys(core: SimpleNamespace) -> None:
    mapping = dict.fromkeys(range(10))
    core.records.delete_keys(mapping, [3, 1, 7])
    assert list(mapping) == [0, 2, 4, 5, 6, 8, 9]
    with pytest.raises(KeyError):
        core.records.delete_keys(mapping, iter([0, 3, 2]))
    assert list(mapping) == [2, 4, 5, 6, 8, 9]  # the keys before the missing one are gone
    core.records.delete_keys(mapping, [2, 3, 9], missing_ok=True)
    assert list(mapping) == [4, 5, 6, 8]
