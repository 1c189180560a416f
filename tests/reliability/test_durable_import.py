"""An import into a database opened on a folder builds the whole table or none, across a crash too.

``import_csv`` and ``import_jsonl`` promise "the whole table or, on any error, none". On a database opened
on a folder a crash is one more way to stop in the middle: killed half-way, the folder must come back without
the table (or with all of it), never with the rows read so far, which would also make the same import fail
after the restart (the table exists). The crash image is taken after the third row went in (the folder copied
while the import runs), and opened.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB, Table

ROWS = 10


def write_csv(path: Path) -> None:
    path.write_text("id,name\n" + "".join(f"{n},row {n}\n" for n in range(1, ROWS + 1)))


def write_jsonl(path: Path) -> None:
    path.write_text("".join(json.dumps({"id": n, "name": f"row {n}"}) + "\n" for n in range(1, ROWS + 1)))


IMPORTS: dict[str, tuple[Callable[[Path], None], Callable[[DictDB, Path], Any]]] = {
    "csv": (write_csv, lambda db, path: db.import_csv(path, "imported")),
    "jsonl": (write_jsonl, lambda db, path: db.import_jsonl(path, "imported")),
}


@pytest.mark.parametrize("kind", list(IMPORTS))
def test_an_import_killed_half_way_leaves_no_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    write, run_import = IMPORTS[kind]
    source = tmp_path / f"rows.{kind}"
    write(source)
    db = DictDB.open(tmp_path / "db")
    db.create_table("other").insert({"x": 1})
    image = tmp_path / "image"
    real_insert = Table.insert
    inserted = []

    def insert(table: Table, record: Any, **options: Any) -> Any:
        result = real_insert(table, record, **options)
        if table.table_name == "imported":
            inserted.append(result)
            if len(inserted) == 3:  # the process dies here: the folder as it is now
                shutil.copytree(tmp_path / "db", image)
        return result

    monkeypatch.setattr(Table, "insert", insert)
    assert run_import(db, source) == ROWS
    monkeypatch.undo()
    with DictDB.open(image) as recovered:
        assert recovered.list_tables() in (["other"], ["other", "imported"])
        if "imported" in recovered.tables:
            assert recovered.get_table("imported").count() == ROWS
        else:
            assert run_import(recovered, source) == ROWS  # and the import can simply run again
    db.close()
