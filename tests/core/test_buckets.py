"""``_core.buckets``: a hash index's buckets edited a batch at a time, and the keys of records; run against
both cores, then a differential of random batches through both cores and a plain dict-of-lists oracle."""

from __future__ import annotations

import math
from collections.abc import Hashable
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import load_core

NAN = math.nan
OTHER_NAN = float("nan")  # another NaN object: a key of its own, since NaN equals nothing


def invariant(buckets: dict[Any, Any]) -> None:
    """A shared bucket holds at least two records; a lone holder is never wrapped in a dict."""
    for key, holders in buckets.items():
        assert type(holders) is not dict or len(holders) >= 2, (key, holders)


# -- keys_of -----------------------------------------------------------------------------------------------


def test_keys_of_one_field(core: SimpleNamespace) -> None:
    rows = [{"a": 1}, {"b": 2}, {"a": None}, {"a": [1]}]
    assert core.buckets.keys_of(rows, ("a",)) == [1, None, None, [1]]


def test_keys_of_several_fields_are_tuples(core: SimpleNamespace) -> None:
    rows = [{"a": 1, "b": "x"}, {"b": "y"}, {}]
    assert core.buckets.keys_of(rows, ("a", "b")) == [(1, "x"), (None, "y"), (None, None)]


def test_keys_of_any_iterable_and_dict_subclass(core: SimpleNamespace) -> None:
    class Row(dict):  # type: ignore[type-arg]
        def get(self, key: Any, default: Any = None) -> Any:
            return "subclass" if key == "a" else default

    records = {1: {"a": 1}, 2: Row(a=2)}
    assert core.buckets.keys_of(records.values(), ["a"]) == [1, "subclass"]  # read through its own get
    assert core.buckets.keys_of(iter([{"a": 3}]), ("a",)) == [3]
    assert core.buckets.keys_of([], ("a",)) == []


def test_keys_of_values_are_the_records_own(core: SimpleNamespace) -> None:
    value = object()
    assert core.buckets.keys_of([{"a": value}], ("a",))[0] is value


# -- add_many ----------------------------------------------------------------------------------------------


def test_add_many_one_holder_is_the_pk_several_a_dict(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {}
    core.buckets.add_many(buckets, ["a", "b", "a", "a"], [1, 2, 3, 4], [0, 1, 2, 3], {})
    assert buckets == {"a": {1: 0, 3: 2, 4: 3}, "b": 2}
    assert list(buckets) == ["a", "b"]


def test_add_many_equal_keys_share_a_bucket_under_the_first_key(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {}
    core.buckets.add_many(buckets, [1.0, 1, True, (1, "a"), (1.0, "a")], [1, 2, 3, 4, 5], range(5), {})
    assert buckets == {1: {1: 0, 2: 1, 3: 2}, (1, "a"): {4: 3, 5: 4}}
    assert type(next(iter(buckets))) is float  # the key first given stays


def test_add_many_nan_keys_by_identity(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {}
    core.buckets.add_many(buckets, [NAN, OTHER_NAN, NAN, None, None], [1, 2, 3, 4, 5], range(5), {})
    assert len(buckets) == 3
    assert buckets[NAN] == {1: 0, 3: 2}
    assert buckets[OTHER_NAN] == 2
    assert buckets[None] == {4: 3, 5: 4}


def test_add_many_into_existing_buckets_reads_known_sequence_numbers(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {"a": 10, "b": {20: 1, 21: 2}}
    known = {10: 0, 20: 1, 21: 2}
    core.buckets.add_many(buckets, ["a", "b", "c"], [30, 31, 32], [3, 4, 5], known)
    assert buckets == {"a": {10: 0, 30: 3}, "b": {20: 1, 21: 2, 31: 4}, "c": 32}


def test_add_many_without_seqs_reads_them_from_known(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {}
    known = {"x": 7, "y": 8, "z": 9}
    core.buckets.add_many(buckets, ["k", "k", "j"], ["x", "y", "z"], None, known)
    assert buckets == {"k": {"x": 7, "y": 8}, "j": "z"}


def test_add_many_without_seqs_reads_only_shared_keys(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {}
    core.buckets.add_many(buckets, ["a", "b"], [1, 2], None, {})  # no key shared: no number needed
    assert buckets == {"a": 1, "b": 2}
    with pytest.raises(KeyError):
        core.buckets.add_many(buckets, ["a"], [3], None, {})


def test_add_many_sequence_numbers_from_a_range_or_an_iterator(core: SimpleNamespace) -> None:
    for seqs in (range(10, 16, 2), iter([10, 12, 14])):
        buckets: dict[Any, Any] = {"c": 5}
        core.buckets.add_many(buckets, ["a", "a", "c"], [1, 2, 3], seqs, {5: 0})
        assert buckets == {"c": {5: 0, 3: 14}, "a": {1: 10, 2: 12}}


def test_add_many_unhashable_key_raises_type_error(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {}
    with pytest.raises(TypeError):
        core.buckets.add_many(buckets, ["a", ["b"]], [1, 2], [0, 1], {})


def test_add_many_lists_of_different_lengths(core: SimpleNamespace) -> None:
    with pytest.raises(ValueError, match="differ in length"):
        core.buckets.add_many({}, ["a", "b"], [1], [0, 1], {})
    with pytest.raises(ValueError, match="differ in length"):
        core.buckets.add_many({}, ["a"], [1], [0, 1], {})
    with pytest.raises(ValueError, match="differ in length"):
        core.buckets.remove_many({}, ["a"], [])
    with pytest.raises(ValueError, match="differ in length"):
        core.buckets.move_many({}, ["a"], ["b"], [1], [], {})


# -- remove_many -------------------------------------------------------------------------------------------


def test_remove_many_turns_a_bucket_of_one_back_into_its_pk(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {"a": {1: 0, 2: 1, 3: 2}, "b": 4, "c": {5: 5, 6: 6}}
    core.buckets.remove_many(buckets, ["a", "b", "a", "c", "c"], [1, 4, 3, 5, 6])
    assert buckets == {"a": 2}
    assert list(buckets) == ["a"]


def test_remove_many_by_an_equal_key(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {1: {10: 0, 11: 1}, "x": 12}
    core.buckets.remove_many(buckets, [True, 1.0], [10, 11])
    assert buckets == {"x": 12}


@pytest.mark.parametrize(
    ("keys", "pks"),
    [
        (["a", "missing"], [1, 2]),  # no such key
        (["a", "b"], [1, 99]),  # a lone holder, another pk
        (["a", "a"], [1, 99]),  # a shared bucket without that pk
    ],
)
def test_remove_many_missing_pair_raises_key_error_and_keeps_the_invariant(
    core: SimpleNamespace, keys: list[Any], pks: list[Any]
) -> None:
    buckets: dict[Any, Any] = {"a": {1: 0, 2: 1}, "b": 3}
    with pytest.raises(KeyError):
        core.buckets.remove_many(buckets, keys, pks)
    invariant(buckets)
    assert buckets["a"] == 2  # the removal done before the error, settled


# -- move_many ---------------------------------------------------------------------------------------------


def test_move_many_equal_keys_stay(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {1: {10: 0, 11: 1}}
    core.buckets.move_many(buckets, [1, 1], [1.0, True], [10, 11], [0, 1], {10: 0, 11: 1})
    assert buckets == {1: {10: 0, 11: 1}}


def test_move_many_between_buckets(core: SimpleNamespace) -> None:
    known = {1: 0, 2: 1, 3: 2, 4: 3}
    buckets: dict[Any, Any] = {"a": {1: 0, 2: 1, 3: 2}, "b": 4}
    core.buckets.move_many(buckets, ["a", "a", "b"], ["b", "c", "a"], [1, 2, 4], [0, 1, 3], known)
    assert buckets == {"a": {3: 2, 4: 3}, "b": 1, "c": 2}
    invariant(buckets)


def test_move_many_a_key_emptied_then_given_again_comes_last(core: SimpleNamespace) -> None:
    known = {1: 0, 2: 1, 3: 2}
    buckets: dict[Any, Any] = {"a": {1: 0, 2: 1}, "b": 3}
    core.buckets.move_many(buckets, ["a", "a", "b"], ["x", "x", "a"], [1, 2, 3], [0, 1, 2], known)
    assert list(buckets) == ["x", "a"]
    assert buckets == {"x": {1: 0, 2: 1}, "a": 3}


def test_move_many_swaps_keep_sequence_numbers(core: SimpleNamespace) -> None:
    known = {1: 0, 2: 1, 3: 2}
    buckets: dict[Any, Any] = {"a": {1: 0, 3: 2}, "b": 2}
    core.buckets.move_many(buckets, ["a", "b"], ["b", "a"], [1, 2], [0, 1], known)
    assert buckets == {"a": {3: 2, 2: 1}, "b": 1}


def test_move_many_missing_pair_raises_and_keeps_the_invariant(core: SimpleNamespace) -> None:
    buckets: dict[Any, Any] = {"a": {1: 0, 2: 1}}
    with pytest.raises(KeyError):
        core.buckets.move_many(buckets, ["a", "a"], ["b", "b"], [1, 9], [0, 5], {1: 0, 2: 1})
    invariant(buckets)
    assert buckets == {"a": 2, "b": 1}


def test_move_many_equality_that_raises_is_not_equal(core: SimpleNamespace) -> None:
    class Touchy:
        def __eq__(self, other: object) -> bool:
            if isinstance(other, Touchy):
                return self is other
            raise ValueError("no comparing")

        __hash__ = object.__hash__

    old, new = Touchy(), "plain"
    buckets: dict[Any, Any] = {old: 1}
    core.buckets.move_many(buckets, [old], [new], [1], [0], {1: 0})
    assert buckets == {"plain": 1}


# -- shared_keys -------------------------------------------------------------------------------------------


def test_shared_keys(core: SimpleNamespace) -> None:
    assert core.buckets.shared_keys({"a": {1: 0, 2: 1}, "b": 3, None: {4: 4, 5: 5}}) == ["a", None]
    assert core.buckets.shared_keys({}) == []


# -- differential: compiled vs pure vs a dict of lists -------------------------------------------------------

#: Keys equal but not identical (1, 1.0, True; tuples of them), None, two NaN objects (each its own key).
KEYS: list[Hashable] = [
    1,
    1.0,
    True,
    0,
    False,
    2,
    None,
    NAN,
    OTHER_NAN,
    "a",
    "b",
    (1, "a"),
    (1.0, "a"),
    (None,),
]


class Oracle:
    """Buckets the long way: key -> list of pks in sequence order, one change at a time."""

    def __init__(self) -> None:
        self.buckets: dict[Any, list[Any]] = {}

    def add(self, key: Any, pk: Any, seq: dict[Any, int]) -> None:
        holders = self.buckets.setdefault(key, [])
        holders.append(pk)
        holders.sort(key=seq.__getitem__)

    def remove(self, key: Any, pk: Any) -> None:
        holders = self.buckets[key]
        holders.remove(pk)
        if not holders:
            del self.buckets[key]

    def view(self) -> list[tuple[Any, type, list[Any]]]:
        return [(key, type(key), list(pks)) for key, pks in self.buckets.items()]


def view(buckets: dict[Any, Any], seq: dict[Any, int]) -> list[tuple[Any, type, list[Any]]]:
    """The buckets as the oracle shows them: each key (and its type), its pks in sequence order."""
    invariant(buckets)
    out = []
    for key, holders in buckets.items():
        if type(holders) is dict:
            assert all(holders[pk] == seq[pk] for pk in holders)
            pks = sorted(holders, key=holders.__getitem__)
        else:
            pks = [holders]
        out.append((key, type(key), pks))
    return out


def same(left: list[tuple[Any, type, list[Any]]], right: list[tuple[Any, type, list[Any]]]) -> None:
    """Equal views, a key compared by identity when it is a NaN."""
    assert len(left) == len(right), (left, right)
    for (key_a, type_a, pks_a), (key_b, type_b, pks_b) in zip(left, right, strict=True):
        assert key_a is key_b or key_a == key_b, (left, right)
        assert (type_a, pks_a) == (type_b, pks_b), (left, right)


def equal_other(key: Any) -> Any:
    """Another key equal to ``key`` when there is one in ``KEYS`` (1 -> True -> 1.0), else ``key``."""
    if type(key) is int and key == 1:
        return True
    if type(key) is bool and key:
        return 1.0
    return key


ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "add_known", "remove", "move"]),
        st.lists(st.tuples(st.integers(0, len(KEYS) - 1), st.integers(0, 40)), max_size=8),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops)
def test_batches_compiled_pure_and_oracle_agree(compiled_core: SimpleNamespace, ops: Any) -> None:
    cores = [compiled_core.buckets, load_core("python").buckets]
    states: list[dict[Any, Any]] = [{}, {}]
    oracle = Oracle()
    seq: dict[Any, int] = {}  # pk -> sequence number, of the records indexed
    where: dict[Any, Any] = {}  # pk -> the key it is indexed under
    next_seq = 0
    next_pk = 0
    for op, picks in ops:
        if op in ("add", "add_known"):
            keys = [KEYS[k] for k, _ in picks]
            pks = list(range(next_pk, next_pk + len(keys)))
            seqs = list(range(next_seq, next_seq + len(keys)))
            next_pk += len(keys)
            next_seq += len(keys)
            if op == "add_known":  # a bulk build: the numbers are known already
                seq.update(zip(pks, seqs, strict=True))
            for kernel, buckets in zip(cores, states, strict=True):
                known = dict(seq)
                kernel.add_many(buckets, keys, pks, None if op == "add_known" else seqs, known)
            seq.update(zip(pks, seqs, strict=True))
            for key, pk in zip(keys, pks, strict=True):
                oracle.add(key, pk, seq)
                where[pk] = key
        else:
            # Records of the table, each once; a removal names its key or an equal one.
            indexed = list(where)
            chosen = list(dict.fromkeys(indexed[n % len(indexed)] for _, n in picks)) if indexed else []
            old_keys = [equal_other(where[pk]) for pk in chosen]
            if op == "remove":
                for kernel, buckets in zip(cores, states, strict=True):
                    kernel.remove_many(buckets, old_keys, chosen)
                for pk in chosen:
                    oracle.remove(where.pop(pk), pk)
                    del seq[pk]
            else:
                new_keys = [KEYS[k] for k, _ in picks][: len(chosen)]
                chosen = chosen[: len(new_keys)]
                old_keys = old_keys[: len(new_keys)]
                seqs = [seq[pk] for pk in chosen]
                for kernel, buckets in zip(cores, states, strict=True):
                    kernel.move_many(buckets, old_keys, new_keys, chosen, seqs, dict(seq))
                for old_key, new_key, pk in zip(old_keys, new_keys, chosen, strict=True):
                    if old_key is new_key or old_key == new_key:
                        continue
                    oracle.remove(where[pk], pk)
                    oracle.add(new_key, pk, seq)
                    where[pk] = new_key
        expected = oracle.view()
        for buckets in states:
            same(view(buckets, seq), expected)
        for kernel in cores:
            assert kernel.shared_keys(states[0]) == [key for key, _, pks in expected if len(pks) > 1]
