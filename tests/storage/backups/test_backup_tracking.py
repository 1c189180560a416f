"""What backups need from tables: draining the change tracking in one step, putting it back when a backup
fails, and the change listeners that ``auto_notify`` uses."""

from __future__ import annotations

import pytest

from dictdb import DictDB, DuplicateKeyError, DuplicateTableError, SchemaValidationError, Table
from dictdb.tracking import ChangeTracker


@pytest.fixture
def table() -> Table:
    table = Table("t", schema={"v": int})
    table.insert([{"v": 1}, {"v": 2}, {"v": 3}])
    table.clear_dirty_tracking()
    return table


def state(tracker: ChangeTracker) -> tuple[list[object], list[object], list[object]]:
    return list(tracker.dirty), list(tracker.deleted), list(tracker.moved)


def test_a_key_deleted_then_inserted_again_is_moved_and_stays_dirty_only() -> None:
    tracker = ChangeTracker()
    tracker.removed(1)
    tracker.written(1)
    tracker.written(2)
    assert state(tracker) == ([1, 2], [], [1])
    tracker.removed(1)  # gone again: deleted, and no longer moved
    assert state(tracker) == ([2], [1], [])


def test_the_batch_forms_track_moves_like_the_single_ones() -> None:
    tracker = ChangeTracker()
    tracker.removed_many([1, 2, 3])
    tracker.written_many([3, 1, 4])
    assert state(tracker) == ([3, 1, 4], [2], [3, 1])
    tracker.removed_many([1])
    assert state(tracker) == ([3, 4], [2, 1], [3])


def test_drain_returns_the_moved_keys_among_the_deletes_and_clears_everything() -> None:
    tracker = ChangeTracker()
    tracker.written(1)
    tracker.removed(2)
    tracker.removed(3)
    tracker.written(3)
    assert tracker.drain() == ([1, 3], [2, 3])
    assert state(tracker) == ([], [], [])
    assert tracker.has_changes() is False


@pytest.mark.parametrize(
    "later",
    [
        [],
        [("written", 5)],
        [("written", 2)],  # re-inserting a key drained as deleted makes it moved
        [("removed", 1)],  # deleting a key drained as written leaves it deleted
        [("removed", 3), ("written", 3)],  # a key drained as moved, moved again
        [("written", 1), ("written", 6), ("removed", 6)],
    ],
)
def test_put_back_gives_what_tracking_without_the_drain_would_have(later: list[tuple[str, int]]) -> None:
    earlier = [("written", 1), ("removed", 2), ("removed", 3), ("written", 3), ("written", 4)]
    expected = ChangeTracker()
    for method, pk in earlier + later:
        getattr(expected, method)(pk)

    tracker = ChangeTracker()
    for method, pk in earlier:
        getattr(tracker, method)(pk)
    drained = tracker.drain()
    for method, pk in later:
        getattr(tracker, method)(pk)
    tracker.put_back(*drained)
    assert state(tracker) == state(expected)


def test_drain_changes_copies_the_changed_records_and_clears_the_view_and_the_tracking(table: Table) -> None:
    view = table._add_change_view()
    table.update({"v": 20}, where=table.id == 2)
    table.delete(where=table.id == 3)
    table.delete(where=table.id == 1)
    table.insert({"id": 1, "v": 10})
    upserts, delete, own = table._drain_changes(view)
    assert upserts == [{"v": 20, "id": 2}, {"id": 1, "v": 10}]
    assert delete == [3, 1]  # the deleted key, then the moved one
    assert own == ([2, 1], [3, 1])
    assert table.has_changes() is False
    assert view.has_changes() is False
    upserts[0]["v"] = "changed"  # copies: the table is not touched
    assert table.get(2) == {"v": 20, "id": 2}


def test_a_view_holds_only_the_changes_made_after_it_was_added(table: Table) -> None:
    table.update({"v": 20}, where=table.id == 2)
    view = table._add_change_view()
    table.delete(where=table.id == 3)
    assert table._drain_changes(view)[:2] == ([], [3])


def test_restore_changes_puts_the_drained_changes_back_under_the_later_ones(table: Table) -> None:
    view = table._add_change_view()
    table.update({"v": 20}, where=table.id == 2)
    table.delete(where=table.id == 3)
    drained = table._drain_changes(view)
    table.insert({"v": 4})
    table._restore_changes(view, *drained)
    assert [r["id"] for r in table.get_dirty_records()] == [2, 4]
    assert table.get_deleted_pks() == [3]
    assert (list(view.dirty), list(view.deleted)) == ([2, 4], [3])


def test_a_listener_is_called_once_after_each_committed_write(table: Table) -> None:
    calls: list[int] = []
    table._add_change_listener(lambda: calls.append(table.count()))
    table.insert({"v": 4})
    table.insert([{"v": 5}, {"v": 6}])
    table.upsert({"id": 1, "v": 0})
    table.upsert({"id": 99, "v": 0})  # an insert: one call, not two
    table.update({"v": 7}, where=table.v == 0)
    table.update({"id": 50}, where=table.id == 99)  # re-keying
    table.delete(where=table.id == 50)
    # Each call sees the write already applied.
    assert calls == [4, 6, 6, 7, 7, 7, 6]


def test_a_listener_is_not_called_for_a_failed_or_ignored_write(table: Table) -> None:
    calls: list[None] = []
    table._add_change_listener(lambda: calls.append(None))
    with pytest.raises(DuplicateKeyError):
        table.insert({"id": 1, "v": 1})
    with pytest.raises(SchemaValidationError):
        table.update({"v": "x"})
    table.upsert({"id": 1, "v": 5}, on_conflict="ignore")
    assert calls == []


def test_listeners_are_added_once_and_can_be_removed(table: Table) -> None:
    calls: list[str] = []

    def first() -> None:
        calls.append("first")

    def second() -> None:
        calls.append("second")

    table._add_change_listener(first)
    table._add_change_listener(first)
    table._add_change_listener(second)
    table.insert({"v": 4})
    table._remove_change_listener(first)
    table._remove_change_listener(first)  # not there: nothing happens
    table.insert({"v": 5})
    assert calls == ["first", "second", "second"]


def test_database_listeners_hear_table_creation_and_drop() -> None:
    db = DictDB()
    calls: list[list[str]] = []
    db._add_change_listener(lambda: calls.append(db.list_tables()))
    db.create_table("a")
    db.create_table("b")
    db.drop_table("a")
    with pytest.raises(DuplicateTableError):
        db.create_table("b")
    assert calls == [["a"], ["a", "b"], ["b"]]
