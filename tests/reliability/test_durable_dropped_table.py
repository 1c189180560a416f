"""A table object kept after ``drop_table`` still takes writes and index changes (it is a table of its own
from then on), and none of them may reach the database's journal.

The journal names a table by its name; a write to the dropped object is journaled as a write to that name.
Recovery then fails on it ("frame #N cannot be replayed": the whole folder no longer opens), or, when a new
table of the same name exists by then, applies it to the new table: the recovered database holds a record
(or an index) the live one never had. Each case is checked on a crash image (the folder copied while the
database is open).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dictdb import DictDB


def crash_image(db: DictDB, where: Path) -> DictDB:
    assert db.path is not None
    shutil.copytree(db.path, where)
    return DictDB.open(where)


def tables_of(db: DictDB) -> dict[str, list[dict[str, object]]]:
    return {name: table.all() for name, table in db.tables.items()}


def test_a_write_to_a_dropped_table_leaves_the_folder_openable(tmp_path: Path) -> None:
    db = DictDB.open(tmp_path / "db")
    kept = db.create_table("kept")
    kept.insert({"x": 1})
    dropped = db.create_table("dropped")
    db.drop_table("dropped")
    dropped.insert({"x": "after the drop"})  # the detached table works on its own, as in memory
    with crash_image(db, tmp_path / "image") as recovered:
        assert tables_of(recovered) == tables_of(db) == {"kept": [{"x": 1, "id": 1}]}
    db.close()


def test_a_write_to_a_dropped_table_never_lands_in_a_new_table_of_the_same_name(tmp_path: Path) -> None:
    db = DictDB.open(tmp_path / "db")
    old = db.create_table("t")
    old.insert({"x": "old"})
    db.drop_table("t")
    db.create_table("t").insert({"x": "new"})
    old.insert({"x": "written to the dropped table"})
    with crash_image(db, tmp_path / "image") as recovered:
        assert tables_of(recovered) == tables_of(db) == {"t": [{"x": "new", "id": 1}]}
    db.close()


def test_a_write_to_a_table_dropped_in_the_same_transaction(tmp_path: Path) -> None:
    db = DictDB.open(tmp_path / "db")
    old = db.create_table("t")
    old.insert({"x": "old"})
    with db.transaction():
        db.drop_table("t")
        old.insert({"x": "written to the dropped table"})
        db.create_table("t").insert({"x": "new"})
    with crash_image(db, tmp_path / "image") as recovered:
        assert tables_of(recovered) == tables_of(db) == {"t": [{"x": "new", "id": 1}]}
    db.close()


def test_an_index_made_on_a_dropped_table_never_lands_in_a_new_table_of_the_same_name(tmp_path: Path) -> None:
    db = DictDB.open(tmp_path / "db")
    old = db.create_table("t")
    db.drop_table("t")
    new = db.create_table("t")
    new.insert([{"x": 1}, {"x": 1}])
    old.create_index("x")
    with crash_image(db, tmp_path / "image") as recovered:
        assert recovered.get_table("t").indexed_fields() == new.indexed_fields() == []
    db.close()
