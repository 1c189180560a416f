"""Backups: a folder of full backups and small deltas, a failed backup that loses nothing, and a restore
that gives the database back exactly.

Run it with ``python examples/backups.py``; docs/backups.md has every setting.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from dictdb import BackupManager, DictDB


def main() -> None:
    db = DictDB()
    users = db.create_table("users")
    users.insert([{"name": "ada", "plan": "pro"}, {"name": "bob", "plan": "free"}])

    with tempfile.TemporaryDirectory() as folder:
        failures: list[str] = []
        manager = BackupManager(
            db,
            folder,
            incremental=True,  # deltas between full backups
            max_deltas_before_full=3,
            keep=2,  # the two newest full backups (and their deltas) stay
            on_backup_failure=lambda error, count: failures.append(f"{type(error).__name__} (#{count})"),
        )
        print("first backup:", manager.backup_now().name)  # always a full one

        users.update({"plan": "pro"}, where=users.name == "bob")
        users.insert({"name": "cy", "plan": "free"})
        print("after two writes:", manager.backup_now().name, "(only the changes)")

        users.insert({"name": "eve", "note": object()})  # no file format can hold an object()
        print("a backup that fails returns", manager.backup_now(), "and calls back:", failures)
        users.update({"note": "fixed"}, where=users.name == "eve")
        print("the next one (full, after a failure) holds everything:", manager.backup_now().name)

        for n in range(5):
            users.insert({"name": f"user{n}", "plan": "free"})
            manager.backup_now()
        kinds = [path.name.split("_")[1] for path in Path(folder).iterdir()]
        full, deltas = kinds.count("backup"), kinds.count("delta")
        print(f"after 5 more backups, keep=2 leaves {full} full backups and {deltas} deltas")

        restored = BackupManager.restore(folder)
        same = restored.get_table("users").all() == users.all()
        print(f"restored {len(restored.get_table('users'))} users, identical to the live table: {same}")

        # In an application: start() backs up every backup_interval seconds, auto_notify=True after writes;
        # stop() on shutdown waits for a running backup and saves what changed since the last one.
        manager.start()
        manager.stop()
        print("start() and stop(): a periodic thread, stopped at once")


if __name__ == "__main__":
    main()
