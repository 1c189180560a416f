"""A process killed (SIGKILL; TerminateProcess on Windows) while it saves or backs up, again and again,
leaves only files that load and equal one of the states it wrote: never a torn one.

Each trial starts ``crash_child.py``, waits for its first write, kills it at a random moment of the ones
that follow, and checks every file left on disk: a saved database file loads and holds the last state
reported written or the one being written; in a backup folder every full backup loads and holds one of the
states written, every delta reads, and a restore gives the last state or the one being written. The temp
files a kill leaves (``.<name>.<random>.dictdb-tmp``) stay where they are, through the later trials: loads
and restores must ignore them (docs/persistence.md: nothing cleans them up; they are safe to delete).

Trials per mode: ``MIN_KILLS``, and more (up to ``MAX_KILLS``) until ``TORN_WANTED`` of them landed inside
a write, which the temp file they leave shows.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dictdb import BackupManager, DictDB
from dictdb.storage.backups.delta import read_delta
from dictdb.storage.backups.files import list_backups
from tests.reliability import crash_child
from tests.reliability.budget import scaled
from tests.support.faults import temp_files

MIN_KILLS = scaled(12, 100)
# Where a kill lands is chance: a fast save (a pickle on a quiet machine) leaves a short window for a torn
# write, so the kills go on, up to this bound, until TORN_WANTED of them have landed inside one.
MAX_KILLS = 8 * MIN_KILLS
TORN_WANTED = scaled(2, 20)

MODES = ["json", "pickle", "backup-json", "backup-pickle", "backup-delta"]

CHILD = Path(crash_child.__file__)


class States:
    """The states the child writes, rebuilt in memory by the same steps: ``records(n)`` of the "state"
    table after step n."""

    def __init__(self) -> None:
        self._db = crash_child.start()
        self._states: list[list[tuple[Any, dict[str, Any]]]] = [[]]
        self.filler = list(self._db.get_table("filler").records.items())

    def records(self, n: int) -> list[tuple[Any, dict[str, Any]]]:
        while len(self._states) <= n:
            crash_child.step(self._db, len(self._states))
            self._states.append([(pk, dict(r)) for pk, r in self._db.get_table("state").records.items()])
        return self._states[n]

    def which(self, db: DictDB, where: Path) -> int:
        """The step n whose state ``db`` holds, records and their order; fails if it holds none."""
        assert db.list_tables() == ["state", "filler"], where
        assert list(db.get_table("filler").records.items()) == self.filler, where
        state = list(db.get_table("state").records.items())
        n = max((record["n"] for _, record in state), default=0)
        assert state == self.records(n), f"{where} holds no state the child wrote"
        return n


def kill_during_writes(mode: str, target: Path, rng: random.Random) -> int:
    """Start a child, let it write once, kill it a moment later; the last n it reported written."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), mode, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    first = child.stdout.readline()  # one whole write done: the kill lands in a later one
    assert first.strip().isdigit(), f"the child failed: {first!r}"
    time.sleep(rng.uniform(0, 0.05))
    child.kill()
    child.wait()
    printed = [int(line) for line in child.stdout.read().split()]
    child.stdout.close()
    return printed[-1] if printed else int(first)


def check_saved_file(path: Path, file_format: str, states: States, last: int) -> None:
    n = states.which(DictDB.load(path, file_format), path)
    # The last state reported written, or the one being written when the kill came.
    assert n in (last, last + 1)


def check_backup_folder(folder: Path, states: States, last: int) -> None:
    written = []
    for found in list_backups(folder):
        if found.kind == "backup":
            written.append(states.which(DictDB.load(found.path, found.file_format), found.path))
        else:
            read_delta(found.path)
    # Full backups hold states in the order they were written, none later than the one being written.
    assert written == sorted(written)
    assert written[0] >= 1
    assert written[-1] <= last + 1
    assert states.which(BackupManager.restore(folder), folder) in (last, last + 1)


@pytest.mark.parametrize("mode", MODES)
def test_a_write_killed_at_any_moment_leaves_only_whole_written_states(tmp_path: Path, mode: str) -> None:
    states = States()
    rng = random.Random(mode)
    torn = kills = 0
    while kills < MIN_KILLS or (torn < TORN_WANTED and kills < MAX_KILLS):
        kills += 1
        if mode in ("json", "pickle"):
            # One file, overwritten by every child: the temp files of earlier kills stay beside it.
            folder, target = tmp_path, tmp_path / f"db.{mode}"
        else:
            folder = target = tmp_path / f"backups-{kills}"
        before = len(temp_files(folder)) if folder.exists() else 0
        last = kill_during_writes(mode, target, rng)
        left = len(temp_files(folder)) - before
        assert left in (0, 1)  # a kill inside a write leaves its temp file, and only that
        torn += left
        if mode in ("json", "pickle"):
            check_saved_file(target, mode, states, last)
        else:
            check_backup_folder(folder, states, last)
    # The kills did land inside writes, not only between them.
    assert torn >= TORN_WANTED
    print(f"\n{mode}: {kills} kills, {torn} inside a write")
