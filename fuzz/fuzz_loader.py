"""Fuzz target: the file loader, ``DictDB.load``, on mutated bytes of valid JSON and pickle DictDB files.

The seeds are two files saved by DictDB itself (every value type the formats tag, a schema, hash, sorted,
composite and unique indexes, an empty table) and one written the way ``dctdb`` wrote them (version 0).
A case picks a seed and applies a few mutations: flipped bits, overwritten or deleted runs, inserted
bytes, a run of one repeated byte (deep nesting), splices from the other seed, a truncation. The checks:

- ``DictDB.load`` returns a database or raises ``DatabaseFileError``, the one documented error for a bad
  file (docs/persistence.md): any other exception, a crash or a hang is a bug;
- a database it returns is whole: each table's count matches its records, and it saves and loads again
  in the same format to the same tables and counts.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import shutil
import tempfile
import uuid
from decimal import Decimal

from dictdb import DictDB
from dictdb.exceptions import DatabaseFileError
from fuzz.source import Source

FORMATS = ("json", "pickle")


def _seed_database() -> DictDB:
    db = DictDB()
    users = db.create_table("users", schema={"id": int, "name": str, "age": int | None})
    users.create_index("age", "sorted")
    users.create_index("name", unique=True)
    users.insert([{"name": "ada", "age": 36}, {"name": "bob", "age": None}, {"name": "cy", "age": 17}])
    items = db.create_table("items", primary_key="sku")
    items.create_index(["kind", "size"], "sorted")
    items.insert(
        [
            {
                "sku": "a-1",
                "kind": "x",
                "size": 2.5,
                "at": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc),
            },
            {"sku": "b-2", "kind": "y", "price": Decimal("9.90"), "tags": {"new", "sale"}, "dims": (1, 2)},
            {"sku": "c-3", "blob": b"\x00\xff", "id": uuid.UUID(int=7), "when": dt.date(2026, 5, 1)},
            {"sku": "d-4", "nan": float("nan"), "map": {1: "one", (2, 3): [dt.timedelta(days=1)]}},
            {"sku": "e-5", "looks_tagged": {"__dictdb__": "set", "v": []}, "t": dt.time(1, 2)},
        ]
    )
    db.create_table("empty")
    return db


def _seeds() -> dict[str, list[bytes]]:
    db = _seed_database()
    seeds: dict[str, list[bytes]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for file_format in FORMATS:
            path = os.path.join(folder, f"seed.{file_format}")
            db.save(path, file_format)
            with open(path, "rb") as file:
                seeds[file_format] = [file.read()]
    legacy = {"tables": {"t": {"primary_key": "id", "schema": {"id": "int"}, "records": [{"id": 1}]}}}
    seeds["json"].append(json.dumps(legacy).encode())
    return seeds


SEEDS = _seeds()
_FOLDER = tempfile.mkdtemp(prefix="dictdb-fuzz-")
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)


def mutate(source: Source, data: bytes, other: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(source.between(1, 4)):
        if not buffer:
            break
        at = source.below(len(buffer))
        action = source.below(8)
        if action == 0:
            buffer[at] ^= 1 << source.below(8)
        elif action == 1:
            buffer[at : at + source.between(1, 8)] = source.blob(source.between(1, 8))
        elif action == 2:
            del buffer[at : at + source.between(1, 64)]
        elif action == 3:
            buffer[at:at] = source.blob(source.between(1, 16))
        elif action == 4:
            buffer[at:at] = bytes([source.pick(b'[{"\\0\x80')]) * source.between(1, 4000)
        elif action == 5:
            start = source.below(len(other))
            buffer[at : at + source.below(64)] = other[start : start + source.between(1, 64)]
        elif action == 6:
            del buffer[at:]
        else:
            buffer[at] = source.pick(b'"\\{}[]:,0-e.tfn\x00\x80\xff')
    return bytes(buffer)


def _summary(db: DictDB) -> dict[str, int]:
    counts = {}
    for name, table in db.tables.items():
        assert table.count() == len(table.select()) == len(table), f"table {name!r} is not whole after load"
        counts[name] = table.count()
    return counts


def one_input(data: bytes) -> str:
    source = Source(data)
    file_format = source.pick(FORMATS)
    seed = source.pick(SEEDS[file_format])
    other = source.pick(SEEDS[source.pick(FORMATS)])
    path = os.path.join(_FOLDER, f"case.{file_format}")
    data = mutate(source, seed, other) if not source.chance(8) else source.blob(source.below(64))
    with open(path, "wb") as file:
        file.write(data)
    try:
        db = DictDB.load(path, file_format)
    except DatabaseFileError as exc:
        named: str | None = exc.path
        reason = exc.reason
    else:
        named = None
    if named is not None:
        assert named == path, f"DatabaseFileError names {named!r}, not the file {path!r}"
        # Under the harness's memory limit (fuzz.limit_memory) an allocation the claims check should
        # have refused fails at once, and the loader reports the MemoryError as this.
        assert "more memory than there is" not in reason, f"an allocation bomb was loaded: {reason}"
        return "false claim" if "bytes, more than the" in reason or "memo slot" in reason else "refused"
    counts = _summary(db)
    again = os.path.join(_FOLDER, f"again.{file_format}")
    db.save(again, file_format)
    assert _summary(DictDB.load(again, file_format)) == counts, (
        "a loaded database does not save and load back"
    )
    return "loaded"
