"""A process killed (SIGKILL; TerminateProcess on Windows) while it saves, again and again, leaves a file
that loads and equals one of the states it saved: never a torn one."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dictdb import DictDB
from tests.faults import temp_files

# At least MIN_KILLS kills, and more (up to MAX_KILLS) until TORN_WANTED of them landed inside a write,
# which about a third to a half of them do.
MIN_KILLS, MAX_KILLS, TORN_WANTED = 12, 60, 3

# Saves state n (records 1..n in "state", the same 2,000 in "filler") for n = 1, 2, 3... forever,
# printing n after each save returns.
CHILD = """
import sys
from dictdb import DictDB

path, file_format = sys.argv[1], sys.argv[2]
db = DictDB()
state = db.create_table("state")
filler = db.create_table("filler")
for i in range(2000):
    filler.insert({"i": i, "text": "x" * 40, "when": __import__("datetime").date(2024, 1, 1 + i % 28)})
n = 0
while True:
    n += 1
    state.insert({"n": n})
    db.save(path, file_format)
    print(n, flush=True)
"""


@pytest.mark.parametrize("file_format", ["json", "pickle"])
def test_a_save_killed_at_any_moment_leaves_a_whole_saved_state(tmp_path: Path, file_format: str) -> None:
    path = tmp_path / f"db.{file_format}"
    rng = random.Random(6)
    torn_writes = kills = 0
    while kills < MIN_KILLS or (torn_writes < TORN_WANTED and kills < MAX_KILLS):
        kills += 1
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), file_format], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # one whole save done: the kill lands in a later one
        assert first.strip().isdigit(), f"the child failed: {first!r}"
        time.sleep(rng.uniform(0, 0.05))
        child.kill()
        child.wait()
        printed = [int(line) for line in child.stdout.read().split()]
        child.stdout.close()
        last_printed = printed[-1] if printed else int(first)

        temps = temp_files(tmp_path)
        torn_writes += len(temps)  # a temp file left behind: the kill landed inside a write
        for name in temps:
            (tmp_path / name).unlink()

        db = DictDB.load(path, file_format)
        state = db.get_table("state").records
        n = len(state)
        assert state == {i: {"n": i, "id": i} for i in range(1, n + 1)}
        # The last state reported saved, or the one being saved when the kill came.
        assert n in (last_printed, last_printed + 1)
        assert db.get_table("filler").count() == 2000
    # The kills did land inside writes, not only between saves.
    assert torn_writes >= TORN_WANTED
