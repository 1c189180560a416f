"""Migrating from dctdb: load a file it wrote, and meet the behaviours that changed (docs/migrating.md).

Run it with ``python examples/migrate_from_dctdb.py``. The code a dctdb program wrote keeps working; this
shows the places where dctdb had a defect and DictDB does what the documentation always said.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import dictdb
from dictdb import DictDB

# What dctdb 1.11 writes: no "_meta", schemas as type names, no index definitions, no key counter.
DCTDB_FILE = {
    "tables": {
        "users": {
            "primary_key": "id",
            "schema": {"id": "int", "name": "str", "age": "int"},
            "records": [{"id": 1, "name": "ada", "age": 36}, {"id": 7, "name": "bob", "age": 17}],
        },
        "notes": {
            "primary_key": "key",
            "schema": None,
            "records": [{"key": "k1", "text": "hello", "stars": None}],
        },
    }
}


def main() -> None:
    print(f"dictdb {dictdb.__version__} ({dictdb.core_implementation()} core)")
    with tempfile.TemporaryDirectory() as folder:
        old = Path(folder) / "from_dctdb.json"
        old.write_text(json.dumps(DCTDB_FILE), encoding="utf-8")
        db = DictDB.load(old, "json")  # read as format version 0
        users, notes = db.get_table("users"), db.get_table("notes")
        print("loaded tables:", db.list_tables(), "| users:", users.all())
        print("the next generated key follows the largest one:", users.insert({"name": "cy", "age": 52}))

        new = Path(folder) / "saved.json"
        db.save(new, "json")  # atomic, and now version 1
        meta = json.loads(new.read_text(encoding="utf-8"))["_meta"]
        print(f"saved as format {meta['format']!r} version {meta['version']}")

    print("\nbehaviours that changed")
    notes.insert([{"key": "k2", "stars": 4}, {"key": "k3", "stars": 2}, {"key": "k4", "stars": 4}])
    print(
        "  stars > 3 with a None among them, no TypeError:",
        [r["key"] for r in notes.select(where=notes.stars > 3)],
    )
    print("  order_by over None and numbers:", [r["stars"] for r in notes.select(order_by="stars")])
    try:
        users.select(where=18 <= users.age <= 65)
    except TypeError:
        print(
            "  18 <= users.age <= 65 raises TypeError; write users.age.between(18, 65):",
            [r["name"] for r in users.select(where=users.age.between(18, 65))],
        )
    print(
        "  update of the primary key re-keys:",
        users.update({"id": 100}, where=users.name == "bob"),
        "->",
        users.get(100),
    )
    print("  distinct, then the page:", notes.select(["stars"], distinct=True, order_by="-stars", limit=2))

    mine = {"name": str}
    table = db.create_table("pets", schema=mine)
    print("  your schema dict is left alone:", mine, "| the table's:", dict(table.schema or {}))

    stored = users.get(1)
    stored["name"] = "changed"
    print("  records are the table's: changing a copy changes nothing:", users.get(1)["name"])


if __name__ == "__main__":
    main()
