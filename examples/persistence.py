"""Persistence round trip: save a database to JSON and to pickle, load it back exactly, and see what a
damaged file or an unsavable value does.

Run it with ``python examples/persistence.py``; docs/persistence.md describes the file and its guarantees.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from dictdb import DatabaseFileError, DictDB, UnsupportedValueError


def build() -> DictDB:
    db = DictDB()
    orders = db.create_table(
        "orders", schema={"item": str, "price": Decimal, "placed": datetime, "tags": set}
    )
    orders.insert(
        [
            {
                "item": "lamp",
                "price": Decimal("19.90"),
                "placed": datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc),
                "tags": {"home"},
            },
            {
                "item": "desk",
                "price": Decimal("249.00"),
                "placed": datetime(2026, 1, 6, 14, 0, tzinfo=timezone.utc),
                "tags": {"office", "big"},
            },
        ]
    )
    people = db.create_table("people", primary_key="uid")
    people.insert({"uid": uuid.UUID(int=1), "name": "ada", "born": date(1815, 12, 10), "pair": (1, 2)})
    return db


def main() -> None:
    db = build()
    with tempfile.TemporaryDirectory() as folder:
        for file_format in ("json", "pickle"):
            path = Path(folder) / f"shop.{file_format}"
            db.save(path, file_format)  # atomic: the old file or the new one, never half of either
            loaded = DictDB.load(path, file_format)
            same = all(loaded.get_table(name).all() == db.get_table(name).all() for name in db.list_tables())
            print(f"{file_format:6s} {path.stat().st_size:5d} bytes, loaded back exactly: {same}")

        json_path = Path(folder) / "shop.json"
        print("first lines of the JSON file:")
        for line in json_path.read_text(encoding="utf-8").splitlines()[:3]:
            print("   ", line[:100] + ("..." if len(line) > 100 else ""))

        loaded = DictDB.load(json_path, "json")
        order = loaded.get_table("orders").get(2)
        print(
            f"types survive: price {order['price']!r}, tags {sorted(order['tags'])}, placed {order['placed']}"
        )
        person = loaded.get_table("people").get(uuid.UUID(int=1))
        print(f"a UUID key, a date and a tuple: {person}")

        damaged = Path(folder) / "damaged.json"
        damaged.write_text(json_path.read_text(encoding="utf-8")[:200], encoding="utf-8")
        try:
            DictDB.load(damaged, "json")
        except DatabaseFileError as error:
            print(f"a truncated file: DatabaseFileError: {error.reason[:80]}")

        db.get_table("people").insert({"name": "bob", "uid": 2, "callback": print})
        try:
            db.save(json_path, "json")
        except UnsupportedValueError as error:
            print(
                f"an unsavable value: {type(error).__name__} in table {error.table!r}, key {error.pk!r}, "
                f"field {error.field!r}; the file was not touched"
            )
        print(f"the previous save still loads: {DictDB.load(json_path, 'json').list_tables()}")


if __name__ == "__main__":
    main()
