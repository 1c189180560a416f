"""A flipped byte in the snapshot of a database opened on a folder is refused, never loaded as other data.

Every journal frame carries a crc32, so a flipped byte there is found. The snapshot is the rest of the
database: a byte flipped in it (bit rot, a bad sector, a stray write) must make ``DictDB.open`` raise
``DatabaseFileError`` naming the snapshot and change nothing, as a damaged frame does; opening with a
record, a key or a counter silently changed is the one outcome not allowed. Every byte of a small snapshot
is flipped in turn.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB
from dictdb.exceptions import DatabaseFileError
from tests.reliability.figures import report


def state(db: DictDB) -> dict[str, Any]:
    return {name: (list(t.records.items()), sorted(map(str, t.indexes))) for name, t in db.tables.items()}


def test_every_flipped_byte_of_the_snapshot_is_refused_or_harmless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # what the files hold is the question, not the disk
    folder = tmp_path / "db"
    with DictDB.open(folder) as db:
        accounts = db.create_table("accounts")
        accounts.create_index("owner")
        accounts.insert(
            [{"owner": f"owner-{n}", "balance": n * 10, "day": dt.date(2024, 1, 1 + n)} for n in range(20)]
        )
        expected = state(db)
    snapshot = next(name for name in os.listdir(folder) if name.startswith("snapshot-"))
    data = (folder / snapshot).read_bytes()
    outcomes = {"refused": 0, "same": 0, "silently different": 0}
    wrong = []
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0xFF
        (folder / snapshot).write_bytes(bytes(damaged))
        try:
            db = DictDB.open(folder)
        except DatabaseFileError as exc:
            refused: DatabaseFileError | None = exc
        else:
            refused = None
        if refused is not None:
            assert refused.path == str((folder / snapshot).resolve())
            assert (folder / snapshot).read_bytes() == bytes(damaged)
            outcomes["refused"] += 1
            continue
        with db:
            if state(db) == expected:
                outcomes["same"] += 1
            else:
                outcomes["silently different"] += 1
                wrong.append(position)
    (folder / snapshot).write_bytes(data)
    report("durable snapshot flips", snapshot_bytes=len(data), **outcomes)
    assert not wrong, (
        f"{len(wrong)} of {len(data)} flipped bytes opened as other data, at offsets {wrong[:20]}"
    )
