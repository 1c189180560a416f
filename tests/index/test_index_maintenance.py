"""Indexes kept in step with every write, and the all-or-nothing rule: a write that fails leaves the records,
every index, the pk counter and the change tracking exactly as they were."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dictdb import DuplicateKeyError, SchemaValidationError, Table
from dictdb.index import HashIndex, SortedIndex, is_null_key


def index_state(table: Table) -> dict[Any, Any]:
    """What each index answers: every key's primary keys, and for a sorted one its whole order both ways."""
    state: dict[Any, Any] = {}
    for name, index in table.indexes.items():
        keys = [index.key_of(record) for record in table.records.values()]
        found: dict[str, list[Any]] = {}
        for key in keys:
            found[repr(key)] = index.search(key)
        if isinstance(index, SortedIndex):
            found["nulls"] = index.nulls()
        if isinstance(index, SortedIndex):
            state[name] = (len(index), found, index.first(len(index)), index.last(len(index)))
        else:
            state[name] = (len(index), found, index.distinct_count())
    return state


def table_state(table: Table) -> tuple[Any, ...]:
    return (
        [(pk, dict(record)) for pk, record in table.records.items()],
        index_state(table),
        table._next_pk,
        list(table._tracker.dirty),
        list(table._tracker.deleted),
    )


def assert_consistent(table: Table) -> None:
    """Every index holds each record once, under its key, and serves the same results as a scan."""
    for index in table.indexes.values():
        assert len(index) == len(table)
        for pk, record in table.records.items():
            key = index.key_of(record)
            if isinstance(index, SortedIndex) and key is not None and is_null_key(key, False):
                assert pk in index.nulls()  # NaN equals nothing, not even itself
            else:
                assert pk in index.search(key)
    if table._indexing is not None:
        seq = table._indexing.seq
        assert list(seq) == sorted(seq, key=seq.__getitem__)
        assert sorted(seq, key=seq.__getitem__) == list(table.records)


@pytest.fixture
def table() -> Table:
    t = Table("t", schema={"name": str, "age": int | None, "dept": str | None, "tags": object | None})
    t.insert(
        [
            {"name": "ada", "age": 36, "dept": "ops"},
            {"name": "bob", "age": 17, "dept": "dev"},
            {"name": "cy", "age": 36, "dept": "ops"},
        ]
    )
    t.create_index("age", "sorted")
    t.create_index("dept")
    t.create_index("name", unique=True)
    t.create_index(["dept", "age"], "sorted")
    t.clear_dirty_tracking()
    return t


# --- maintenance ------------------------------------------------------------------------------------------


def test_insert_one_and_many(table: Table) -> None:
    table.insert({"name": "di", "age": 36, "dept": "dev"})
    table.insert([{"name": "ed", "age": 5}, {"name": "fi", "dept": "ops"}])
    assert table.indexes["age"].search(36) == [1, 3, 4]
    assert table.indexes["dept"].search(None) == [5]
    assert table.indexes[("dept", "age")].range(("ops",), ("ops", 100)) == [6, 1, 3]
    assert_consistent(table)


def test_upsert_moves_the_changed_keys_only(table: Table, monkeypatch: pytest.MonkeyPatch) -> None:
    moved: list[Any] = []
    for cls in (HashIndex, SortedIndex):
        original = cls._move

        def spy(self: Any, old: Any, new: Any, pk: Any, seq: int, original: Any = original) -> None:
            moved.append(self.field)
            original(self, old, new, pk, seq)

        monkeypatch.setattr(cls, "_move", spy)
    assert table.upsert({"id": 2, "age": 40}) == (2, "updated")
    assert sorted(moved, key=str) == [("dept", "age"), "age"]
    assert table.indexes["age"].range(30) == [1, 3, 2]
    moved.clear()
    table.update({"tags": ["x"]}, where=table.dept == "ops")  # no index on tags: none is touched
    assert moved == []
    assert_consistent(table)


def test_update_keeps_the_place_among_ties(table: Table) -> None:
    table.update({"age": 99}, where=table.name == "ada")
    table.update({"age": 36}, where=table.name == "ada")
    # ada (1) keeps its place before cy (3) among the 36s, as in the table
    assert table.indexes["age"].search(36) == [1, 3]
    assert [r["id"] for r in table.select(order_by="age", limit=3)] == [2, 1, 3]
    assert_consistent(table)


def test_primary_key_change_re_keys_every_index(table: Table) -> None:
    table.update({"id": 10}, where=table.name == "ada")
    assert table.indexes["age"].search(36) == [3, 10]  # it moved last, as in the table
    assert table.indexes["name"].search("ada") == [10]
    assert table.indexes[("dept", "age")].search(("ops", 36)) == [3, 10]
    assert [r["id"] for r in table.select(where=table.age == 36)] == [3, 10]
    assert_consistent(table)


def test_delete_some_then_all(table: Table) -> None:
    table.delete(where=table.dept == "ops")
    assert table.indexes["age"].search(36) == []
    assert len(table.indexes["dept"]) == 1
    assert_consistent(table)
    table.delete()
    assert all(len(index) == 0 for index in table.indexes.values())
    table.insert({"name": "ada", "age": 1})  # the unique name is free again
    assert_consistent(table)


def test_an_index_on_the_primary_key(table: Table) -> None:
    table.create_index("id", "sorted")
    assert table.indexes["id"].range(2) == [2, 3]
    table.update({"id": 0}, where=table.id == 3)
    assert table.indexes["id"].first(4) == [0, 1, 2]
    assert table.select(where=table.id < 2) == [table.get(1), table.get(0)]
    assert_consistent(table)


def test_records_stored_around_indexes_keep_insertion_order(table: Table) -> None:
    table.delete(where=table.name == "bob")
    table.insert({"id": 2, "name": "bob", "age": 36})
    assert [r["id"] for r in table.select(where=table.age == 36)] == [1, 3, 2]
    assert_consistent(table)


# --- all or nothing ---------------------------------------------------------------------------------------

Write = Callable[[Table], Any]

FAILING_WRITES: list[tuple[str, Write, type[Exception]]] = [
    ("insert: unique", lambda t: t.insert({"name": "ada"}), DuplicateKeyError),
    ("insert: schema", lambda t: t.insert({"name": 3}), SchemaValidationError),
    ("insert: pk taken", lambda t: t.insert({"id": 1, "name": "zed"}), DuplicateKeyError),
    (
        "batch: unique in the batch",
        lambda t: t.insert([{"name": "x", "age": 1}, {"name": "y"}, {"name": "x"}]),
        DuplicateKeyError,
    ),
    ("batch: unique with a record", lambda t: t.insert([{"name": "x"}, {"name": "bob"}]), DuplicateKeyError),
    ("upsert: unique", lambda t: t.upsert({"id": 2, "name": "ada"}), DuplicateKeyError),
    ("update: unique", lambda t: t.update({"name": "same"}, where=t.dept == "ops"), DuplicateKeyError),
    ("update: unique with another", lambda t: t.update({"name": "cy"}, where=t.id == 1), DuplicateKeyError),
    ("update: schema", lambda t: t.update({"age": "old"}, where=t.id == 1), SchemaValidationError),
    ("re-key: unique", lambda t: t.update({"id": 9, "name": "bob"}, where=t.id == 1), DuplicateKeyError),
    ("re-key: taken", lambda t: t.update({"id": 2}, where=t.id == 1), DuplicateKeyError),
]


@pytest.mark.parametrize(
    ("write", "error"), [w[1:] for w in FAILING_WRITES], ids=[w[0] for w in FAILING_WRITES]
)
def test_a_refused_write_changes_nothing(table: Table, write: Write, error: type[Exception]) -> None:
    table.insert({"name": "dan", "age": 3})  # something in the tracker
    before = table_state(table)
    with pytest.raises(error):
        write(table)
    assert table_state(table) == before
    assert_consistent(table)


def test_an_unhashable_value_for_a_later_hash_index_undoes_the_earlier_ones(table: Table) -> None:
    table.create_index("tags")  # hash, created last: the sorted ones have indexed the record already
    before = table_state(table)
    with pytest.raises(TypeError, match="hashable"):
        table.insert({"name": "x", "age": 36, "tags": ["a"]})
    with pytest.raises(TypeError, match="hashable"):
        table.insert([{"name": "x", "age": 36, "tags": ("a",)}, {"name": "y", "tags": ["a"]}])
    assert table_state(table) == before
    assert_consistent(table)


class Interrupt(BaseException):
    """What a KeyboardInterrupt inside an index comparison looks like to the table."""


class FaultyTree:
    """A kernel index that fails on the ``fail_after``-th call of ``method``, after doing nothing."""

    def __init__(self, tree: Any, method: str, fail_after: int = 0) -> None:
        self._tree = tree
        self._method = method
        self._calls = fail_after

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._tree, name)
        if name != self._method:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._calls == 0:
                raise Interrupt(name)
            self._calls -= 1
            return target(*args, **kwargs)

        return call


def break_index(table: Table, name: Any, method: str, fail_after: int = 0) -> None:
    index = table.indexes[name]
    assert isinstance(index, SortedIndex)
    index._tree = FaultyTree(index._tree, method, fail_after)  # type: ignore[assignment]
    index._insert = index._inserter()


def heal(table: Table) -> None:
    for index in table.indexes.values():
        if isinstance(index, SortedIndex) and isinstance(index._tree, FaultyTree):
            index._tree = index._tree._tree
            index._insert = index._inserter()


FAULTS: list[tuple[str, Any, str, int, Write]] = [
    ("insert", ("dept", "age"), "insert", 0, lambda t: t.insert({"name": "x", "age": 36, "dept": "ops"})),
    ("batch", ("dept", "age"), "insert_many", 0, lambda t: t.insert([{"name": "x"}, {"name": "y"}])),
    # A batch moves each index in one call: the last index fails once the others have moved.
    ("update", ("dept", "age"), "update_many", 0, lambda t: t.update({"age": 9}, where=t.dept.is_not_null())),
    ("upsert", ("dept", "age"), "update", 0, lambda t: t.upsert({"id": 2, "age": 36, "dept": "ops"})),
    ("re-key", ("dept", "age"), "remove", 0, lambda t: t.update({"id": 7}, where=t.id == 1)),
    ("delete", ("dept", "age"), "remove_many", 0, lambda t: t.delete(where=t.age == 36)),
]


@pytest.mark.parametrize(
    ("name", "method", "after", "write"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS]
)
def test_a_failure_inside_an_index_is_rolled_back(
    table: Table, name: Any, method: str, after: int, write: Write
) -> None:
    table.insert({"name": "dan", "age": 36, "dept": "ops"})  # ties in the sorted indexes
    before = table_state(table)
    break_index(table, name, method, after)
    with pytest.raises(Interrupt):
        write(table)
    heal(table)
    assert table_state(table) == before
    assert_consistent(table)
    write(table)  # and the same write succeeds once the index works
    assert_consistent(table)


def test_reindex_after_records_are_put_back_wholesale(table: Table) -> None:
    # What a transaction's rollback may do: restore the records dict, then have the indexes follow.
    saved = dict(table.records)
    before = index_state(table)
    table.insert({"name": "zed", "age": 36, "dept": "ops"})
    table.update({"age": 1}, where=table.name == "ada")
    table.records.clear()
    table.records.update(saved)
    table._reindex()
    assert index_state(table) == before
    assert_consistent(table)
    plain = Table("plain")
    plain._reindex()  # a table without indexes has nothing to rebuild
    assert plain._indexing is None
