"""The process test_crash.py kills: it writes state 1, 2, 3... forever, printing n once state n is on disk.

Run as ``python crash_child.py MODE TARGET`` where MODE is ``json`` or ``pickle`` (``db.save`` to the file
TARGET) or ``backup-json``, ``backup-pickle``, ``backup-delta`` (a ``BackupManager`` on the folder TARGET;
``backup-delta`` is incremental, so most backups are deltas). ``step`` is imported by the test too, to
rebuild in memory the states the child wrote.
"""

from __future__ import annotations

import datetime as dt
import sys

from dictdb import BackupManager, DictDB

#: Records of the "filler" table: enough that a full write takes a while, so kills land inside writes.
FILLER = 2000


def start() -> DictDB:
    """State 0: an empty "state" table, and the filler."""
    db = DictDB()
    db.create_table("state")
    filler = db.create_table("filler")
    filler.insert([{"i": i, "text": "x" * 40, "when": dt.date(2024, 1, 1 + i % 28)} for i in range(FILLER)])
    return db


def step(db: DictDB, n: int) -> None:
    """State n from state n - 1: an insert, an update and, every seventh step, a delete, so that deltas
    carry every kind of change."""
    state = db.get_table("state")
    state.insert({"n": n, "done": False})
    if n > 1:
        state.update({"done": True}, where=state.n == n - 1)
    if n % 7 == 0:
        state.delete(where=state.n == n - 3)


def main(mode: str, target: str) -> None:
    db = start()
    manager = None
    if mode.startswith("backup-"):
        file_format = "pickle" if mode == "backup-pickle" else "json"
        incremental = mode == "backup-delta"
        manager = BackupManager(db, target, file_format=file_format, incremental=incremental, keep=2)
    n = 0
    while True:
        n += 1
        step(db, n)
        if manager is None:
            db.save(target, mode)
        elif manager.backup_now() is None:
            raise SystemExit(f"backup {n} failed")
        print(n, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
