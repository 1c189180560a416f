"""Change tracking for incremental backups: dirty records, deleted keys, clearing, and failed writes."""

from __future__ import annotations

import pytest

from dictdb import DuplicateKeyError, RecordNotFoundError, SchemaValidationError, Table
from tests.support.snapshots import snapshot


@pytest.fixture
def table() -> Table:
    table = Table("t", schema={"v": int})
    table.insert([{"v": 1}, {"v": 2}, {"v": 3}])
    table.clear_dirty_tracking()
    return table


def test_a_new_table_has_no_changes() -> None:
    table = Table("t")
    assert table.has_changes() is False
    assert table.get_dirty_records() == []
    assert table.get_deleted_pks() == []


def test_inserts_are_dirty_in_the_order_they_happened() -> None:
    table = Table("t")
    table.insert({"id": 5})
    table.insert([{"id": 2}, {"id": 9}])
    table.upsert({"id": 1})
    assert table.has_changes() is True
    assert [r["id"] for r in table.get_dirty_records()] == [5, 2, 9, 1]


def test_updates_are_dirty_once(table: Table) -> None:
    table.update({"v": 0}, where=table.id == 3)
    table.update({"v": 10}, where=table.id >= 2)
    table.upsert({"id": 3, "v": 30})
    assert table.get_dirty_records() == [{"v": 30, "id": 3}, {"v": 10, "id": 2}]
    assert table.get_deleted_pks() == []


def test_deletes_are_listed_and_leave_dirty(table: Table) -> None:
    table.update({"v": 0}, where=table.id == 2)
    table.delete(where=table.id <= 2)
    assert table.get_deleted_pks() == [1, 2]
    assert table.get_dirty_records() == []
    assert table.has_changes() is True


def test_delete_all_is_tracked(table: Table) -> None:
    table.insert({"v": 4})
    table.delete()
    assert table.get_deleted_pks() == [1, 2, 3, 4]
    assert table.get_dirty_records() == []


def test_inserted_then_deleted_is_deleted_only(table: Table) -> None:
    table.insert({"id": 10, "v": 0})
    table.delete(where=table.id == 10)
    assert table.get_dirty_records() == []
    assert table.get_deleted_pks() == [10]


def test_deleted_then_inserted_again_is_dirty_only(table: Table) -> None:
    table.delete(where=table.id == 2)
    table.insert({"id": 2, "v": 20})
    assert table.get_deleted_pks() == []
    assert table.get_dirty_records() == [{"id": 2, "v": 20}]
    table.delete(where=table.id == 2)
    table.insert([{"id": 2, "v": 21}])
    assert table.get_deleted_pks() == []


def test_rekeying_deletes_the_old_key_and_dirties_the_new(table: Table) -> None:
    table.update({"id": 7}, where=table.id == 1)
    assert table.get_deleted_pks() == [1]
    assert table.get_dirty_records() == [{"v": 1, "id": 7}]


def test_dirty_records_are_copies(table: Table) -> None:
    table.update({"v": 5}, where=table.id == 1)
    table.get_dirty_records()[0]["v"] = 99
    assert table.get(1) == {"v": 5, "id": 1}


def test_clear_forgets_everything(table: Table) -> None:
    table.insert({"v": 4})
    table.delete(where=table.id == 1)
    table.clear_dirty_tracking()
    assert table.has_changes() is False
    assert table.get_dirty_records() == []
    assert table.get_deleted_pks() == []


def test_an_ignored_upsert_is_not_a_change(table: Table) -> None:
    table.upsert({"id": 1, "v": 100}, on_conflict="ignore")
    assert table.has_changes() is False


def test_failed_writes_leave_tracking_alone(table: Table) -> None:
    table.update({"v": 0}, where=table.id == 1)
    table.delete(where=table.id == 3)
    before = snapshot(table)
    with pytest.raises(SchemaValidationError):
        table.insert([{"v": 4}, {"v": "x"}])
    with pytest.raises(DuplicateKeyError):
        table.insert([{"id": 3, "v": 3}, {"id": 2, "v": 2}])  # 3 is free again, 2 is taken
    with pytest.raises(SchemaValidationError):
        table.update({"v": None})
    with pytest.raises(DuplicateKeyError):
        table.update({"id": 2}, where=table.id == 1)
    with pytest.raises(RecordNotFoundError):
        table.delete(where=table.v > 100)
    with pytest.raises(SchemaValidationError):
        table.upsert({"id": 2, "v": 2.5})
    assert snapshot(table) == before
