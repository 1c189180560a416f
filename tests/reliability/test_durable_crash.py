"""A process writing to a database opened with ``DictDB.open`` from two threads, killed (SIGKILL;
TerminateProcess on Windows) at random moments, again and again on the same folder, loses no acknowledged
commit and keeps no half of one, in every sync mode.

Each trial starts ``durable_child.py`` on the folder the trials before it left (so every open recovers what
a killed process, itself started on a recovered folder, left behind), and kills it at a moment drawn one of
five ways: while it opens (recovery itself killed); just after it announced a checkpoint, a large bulk
commit, or a close and reopen in the same process (within as long as the last ones took); or after a random
delay. Then a copy of the folder, as the killed process left it, is opened in this process and checked:

- every acknowledged transfer, note and bulk batch is there, and nothing after them but, at most, the one
  commit per thread in progress when the kill came (its frame was written, its acknowledgement not yet
  printed);
- the transfers are numbered 1..n without a gap, and the balances are exactly what replaying their amounts
  on accounts of 100 gives: so the total is unchanged and no transaction is there by half;
- a rolled-back transaction left nothing (no transfer, event or table of its own), and no key: the copy's
  next transfer gets the next key;
- the events and temporary accounts are one whole batch;
- the hash index on ``owner``, the sorted one on ``balance`` and the hash one on ``batch`` hold every
  record once and answer equality and range queries exactly as a scan does (the planner made eager, so the
  indexes do answer).

The next child then opens the original folder, as a restart would. Every ``CHAIN`` kills the last recovery
is also done in place, written to, closed and reopened, and a new folder starts. Where each kill landed is
counted from what the child printed (``OPENING``/``READY``, ``BEGIN``/acknowledgement, ``CKPT``/
``CKPT-DONE``, ``CLOSE``/``REOPENED``) and from the files (a checkpoint half done: a snapshot temp file, a
journal newer than every snapshot, or files older than the newest snapshot still there; automatic
checkpoints included); torn frames are counted from the WARNING that recovery logs.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dictdb import DictDB
from dictdb.query import planner
from dictdb.storage.files.atomic import TEMP_SUFFIX
from tests.index.test_index_maintenance import assert_consistent
from tests.reliability import durable_child as child_module
from tests.reliability.budget import scaled
from tests.reliability.figures import report
from tests.support.logs import warnings_logged

MODES = ["full", "normal", "off"]
#: Kills per sync mode: 3 x 20 = 60 in ``make test``, 3 x 170 = 510 in ``make reliability``.
KILLS = scaled(20, 170)
#: Kills on one folder before a new one starts (the tables grow with every trial).
CHAIN = 20

CHILD = Path(child_module.__file__)
TABLES = ["accounts", "transfers", "events", "notes"]

#: Each acknowledgement line, and the kind of commit whose ``BEGIN`` it answers.
ACKNOWLEDGEMENTS = {"ACK": "transfer", "NOTE": "note", "BULK": "bulk", "ROLLBACK": "rollback"}

_GENERATION = re.compile(r"(snapshot|journal)-(\d+)\.(pickle|log)")


@dataclass
class Ledger:
    """What the folder holds, as the checks after the last kill found it (all zero for a new folder)."""

    created: bool = False
    transfers: int = 0
    notes: int = 0
    batch: int = 0


@dataclass
class Run:
    """What one child printed, with the parent's clock: ``lines`` of words, and when each arrived."""

    lines: list[list[str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def first(self, word: str) -> list[str] | None:
        return next((line for line in self.lines if line[0] == word), None)

    def last_of(self, word: str) -> int | None:
        """The number of the last ``word`` line (``ACK``, ``NOTE``, ``BULK``), or None."""
        found = [int(line[1]) for line in self.lines if line[0] == word]
        return found[-1] if found else None

    def pending(self) -> set[tuple[str, int]]:
        """The commits the kill interrupted (one per thread at most): each ``BEGIN`` with no acknowledgement
        of its number after it."""
        begun: set[tuple[str, int]] = set()
        for line in self.lines:
            if line[0] == "BEGIN":
                begun.add((line[1], int(line[2])))
            elif line[0] in ACKNOWLEDGEMENTS:
                begun.discard((ACKNOWLEDGEMENTS[line[0]], int(line[1])))
        return begun

    def inside(self, start: str, end: str) -> bool:
        """Whether the last of the ``start`` and ``end`` lines is a ``start``: the kill came in between."""
        marks = [line[0] for line in self.lines if line[0] in (start, end)]
        return bool(marks) and marks[-1] == start

    def durations(self, start: list[str], end: str) -> list[float]:
        """Seconds from each line that starts with the words ``start`` to the ``end`` line after it."""
        found = []
        began = None
        for words, when in zip(self.lines, self.times, strict=True):
            if words[: len(start)] == start:
                began = when
            elif words[0] == end and began is not None:
                found.append(when - began)
                began = None
        return found


class Child:
    """``durable_child.py`` on ``folder``, its output read by a thread as it comes."""

    def __init__(self, folder: Path, mode: str, rng: random.Random, stderr: Path) -> None:
        self.run = Run()
        self._seen = {word: threading.Event() for word in ("OPENING", "READY", "CKPT", "CLOSE", "bulk")}
        self._stderr_path = stderr
        self._stderr = stderr.open("w")
        args = [
            str(rng.randrange(2**32)),
            str(rng.choice([0.005, 0.05, 1.0])),  # sync_interval ("normal" only)
            str(rng.choice([64 << 20, 64 << 20, 32 << 10])),  # checkpoint_bytes: sometimes automatic ones
        ]
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), str(folder), mode, *args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            words = line.split()
            if not words or not line.endswith("\n"):
                raise AssertionError(f"the child printed {line!r}")
            self.run.times.append(time.monotonic())
            self.run.lines.append(words)
            if words[0] in self._seen:
                self._seen[words[0]].set()
            elif words[:2] == ["BEGIN", "bulk"]:
                self._seen["bulk"].set()

    def wait_for(self, word: str, timeout: float = 60) -> bool:
        return self._seen[word].wait(timeout)

    def kill(self) -> Run:
        """Kill the child now (it must still be running: a child that ended by itself failed)."""
        self.process.kill()
        self.process.wait()
        self._reader.join()
        assert self.process.stdout is not None
        self.process.stdout.close()
        self._stderr.close()
        if os.name != "nt":
            assert self.process.returncode == -signal.SIGKILL, (
                f"the child ended by itself ({self.process.returncode}):\n{self._stderr_path.read_text()}"
            )
        return self.run


def generations(folder: Path) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {"snapshot": [], "journal": [], "temp": []}
    for name in os.listdir(folder):
        match = _GENERATION.fullmatch(name)
        if match:
            found[match.group(1)].append(int(match.group(2)))
        elif name.endswith(TEMP_SUFFIX):
            found["temp"].append(0)
    return found


def checkpoint_half_done(before: dict[str, list[int]], after: dict[str, list[int]]) -> bool:
    """Whether the files show a checkpoint that the kill interrupted (explicit or automatic): a snapshot
    temp file, a journal generation started (during this child's run) with no snapshot of it yet, or a new
    snapshot with the files it replaces still there."""
    if after["temp"]:
        return True
    newest_journal = max(after["journal"], default=0)
    newest_snapshot = max(after["snapshot"], default=0)
    if newest_journal > max(before["journal"], default=0) and newest_journal > newest_snapshot:
        return True
    older = [g for g in after["snapshot"] + after["journal"] if g < newest_snapshot]
    return newest_snapshot > max(before["snapshot"], default=0) and bool(older)


@contextmanager
def eager_planner() -> Iterator[None]:
    """Every index path taken, even where a scan would be cheaper, so that the indexes answer the queries."""
    saved = planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR
    planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR = 2.0, 10**9, 0
    try:
        yield
    finally:
        planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR = saved


def check_indexes(db: DictDB) -> None:
    """The indexes hold every record once and answer as a scan does."""
    accounts = db.get_table("accounts")
    events = db.get_table("events")
    assert {name: (index.kind, index.unique) for name, index in accounts.indexes.items()} == {
        "owner": ("hash", False),
        "balance": ("sorted", False),
    }
    assert {name: index.kind for name, index in events.indexes.items()} == {"batch": "hash"}
    assert_consistent(accounts)
    assert_consistent(events)
    rows = list(accounts.records.values())
    owners = [*sorted({row["owner"] for row in rows}), "nobody"]
    balances = sorted({row["balance"] for row in rows})
    bounds = [balances[0] - 1, balances[len(balances) // 3], balances[len(balances) // 2], balances[-1]]
    with eager_planner():
        assert "owner" in str(accounts.explain(accounts.owner == owners[0]))
        assert "balance" in str(accounts.explain(accounts.balance > bounds[1]))
        for owner in owners:
            assert accounts.select(where=accounts.owner == owner) == [r for r in rows if r["owner"] == owner]
        balance = accounts.balance
        low, high = bounds[1], bounds[2]
        for where, scan in [
            *((balance >= bound, lambda r, b=bound: r["balance"] >= b) for bound in bounds),
            *((balance < bound, lambda r, b=bound: r["balance"] < b) for bound in bounds),
            (balance.between(low, high), lambda r: low <= r["balance"] <= high),
            (balance == high, lambda r: r["balance"] == high),
        ]:
            assert accounts.select(where=where) == [r for r in rows if scan(r)]
        batches = sorted({row["batch"] for row in events.records.values()})
        for batch in [*batches, -1]:
            assert events.count(where=events.batch == batch) == sum(
                1 for row in events.records.values() if row["batch"] == batch
            )


def expect(
    count: int, acknowledged: int | None, pending: set[tuple[str, int]], kind: str, floor: int
) -> None:
    """``count`` commits of ``kind`` are in the folder: every acknowledged one (and every one the checks
    before found), and at most the one in progress beyond them."""
    known = max(floor, acknowledged or 0)
    allowed = {known}
    in_progress = [number for pending_kind, number in pending if pending_kind == kind]
    if in_progress:
        assert in_progress == [known + 1], (kind, pending, known)
        allowed.add(known + 1)
    assert count in allowed, f"{kind}: {count} in the folder, {known} acknowledged, in progress: {pending}"


def check_database(db: DictDB, ledger: Ledger, run: Run) -> bool:
    """Check ``db`` (the folder after the kill) against what the child acknowledged; update ``ledger``.
    True when the folder kept a commit the child had not acknowledged yet."""
    ready = run.first("READY")
    if "accounts" not in db.tables:  # killed before the tables were created: nothing, not half of them
        assert not db.tables
        assert not ledger.created
        assert ready is None
        return False
    assert list(db.tables) == TABLES
    if ready is not None:  # the child recovered what the copy holds before the kill: the last checks' state
        assert [int(word) for word in ready[1:]] == [ledger.transfers + 1, ledger.notes + 1, ledger.batch + 1]
    pending = run.pending()
    accounts, transfers, events, notes = (db.get_table(name) for name in TABLES)

    seqs = [row["seq"] for row in transfers.records.values()]
    assert seqs == list(range(1, len(seqs) + 1)), "the transfers are not numbered 1..n in order"
    expect(len(seqs), run.last_of("ACK"), pending, "transfer", ledger.transfers)
    numbers = [row["n"] for row in notes.records.values()]
    assert numbers == list(range(1, len(numbers) + 1))
    expect(len(numbers), run.last_of("NOTE"), pending, "note", ledger.notes)

    real = {pk: row for pk, row in accounts.records.items() if not row["owner"].startswith("temp-")}
    temp = [row for row in accounts.records.values() if row["owner"].startswith("temp-")]
    assert sorted(real) == list(range(1, child_module.ACCOUNTS + 1))
    balances = dict.fromkeys(real, child_module.START_BALANCE)
    for row in transfers.records.values():
        balances[row["src"]] -= row["amount"]
        balances[row["dst"]] += row["amount"]
    assert {pk: row["balance"] for pk, row in real.items()} == balances, "balances disagree with transfers"
    total = sum(row["balance"] for row in accounts.records.values())
    assert total == child_module.ACCOUNTS * child_module.START_BALANCE

    batches = {row["batch"] for row in events.records.values()}
    batch = max(batches, default=0)
    assert batches <= {batch}, f"events of several batches: {sorted(batches)}"
    if batch:
        assert [row["n"] for row in events.records.values()] == list(range(child_module.EVENTS))
    assert [row["owner"] for row in temp] == [f"temp-{batch}"] * (child_module.TEMP_ACCOUNTS if batch else 0)
    assert all(row["balance"] == 0 for row in temp)
    expect(batch, run.last_of("BULK"), pending, "bulk", ledger.batch)

    check_indexes(db)
    unacknowledged = (len(seqs), len(numbers), batch) != (
        max(ledger.transfers, run.last_of("ACK") or 0),
        max(ledger.notes, run.last_of("NOTE") or 0),
        max(ledger.batch, run.last_of("BULK") or 0),
    )
    ledger.created, ledger.transfers, ledger.notes, ledger.batch = True, len(seqs), len(numbers), batch
    return unacknowledged


def open_checked(folder: Path, ledger: Ledger, run: Run) -> tuple[DictDB, bool, bool]:
    """Open ``folder`` and check it; the database, whether a torn frame was dropped (the WARNING), and
    whether an unacknowledged commit was kept."""
    with warnings_logged() as warned:
        db = DictDB.open(folder, sync="off")
    torn = [line for line in warned if "torn" in line]
    assert len(torn) == len(warned), warned  # a torn tail is the only thing a kill may leave to warn about
    kept = check_database(db, ledger, run)
    return db, bool(torn), kept


def finish_chain(folder: Path, ledger: Ledger) -> None:
    """Recover the folder in place as a restart does, write, close, and find everything after reopening."""
    db, _, _ = open_checked(folder, ledger, Run())
    if ledger.created:
        db.get_table("notes").insert({"n": ledger.notes + 1})
        ledger.notes += 1
    db.close()
    with DictDB.open(folder) as again:
        check_database(again, ledger, Run())
    assert not generations(folder)["temp"]


def kill_once(
    folder: Path, mode: str, rng: random.Random, stderr: Path, timing: dict[str, list[float]]
) -> tuple[Run, str]:
    """Start a child on ``folder``, kill it at a moment of the kind drawn; what it printed, and the kind."""
    child = Child(folder, mode, rng, stderr)
    roll = rng.random()
    if roll < 0.15:
        aim = "open"
        assert child.wait_for("OPENING")
        time.sleep(rng.uniform(0, max(timing["open"][-5:], default=0.02)))
    else:
        assert child.wait_for("READY")
        aim, marker = (
            ("checkpoint", "CKPT")
            if roll < 0.40
            else ("bulk commit", "bulk")
            if roll < 0.55
            else ("close", "CLOSE")
            if roll < 0.63
            else ("anytime", "")
        )
        if not marker:
            time.sleep(rng.uniform(0, 0.3))
        elif child.wait_for(marker, timeout=5):
            time.sleep(rng.uniform(0, max(timing[aim][-5:], default=0.005)))
    run = child.kill()
    timing["open"] += run.durations(["OPENING"], "READY")
    timing["checkpoint"] += run.durations(["CKPT"], "CKPT-DONE")
    timing["bulk commit"] += run.durations(["BEGIN", "bulk"], "BULK")
    timing["close"] += run.durations(["CLOSE"], "REOPENED")
    return run, aim


@pytest.mark.parametrize("mode", MODES)
def test_kills_at_any_moment_lose_no_acknowledged_commit(tmp_path: Path, mode: str) -> None:
    rng = random.Random(f"durable-crash-{mode}")
    landed: Counter[str] = Counter()
    timing: dict[str, list[float]] = {"open": [], "checkpoint": [], "bulk commit": [], "close": []}
    started = time.monotonic()
    folder = tmp_path / "db-0"
    ledger = Ledger()
    for kill in range(1, KILLS + 1):
        before = generations(folder) if folder.exists() else {"snapshot": [], "journal": [], "temp": []}
        run, aim = kill_once(folder, mode, rng, tmp_path / "stderr.txt", timing)
        landed[f"aimed at {aim}"] += 1
        after = generations(folder)
        if run.first("READY") is None:
            landed["inside open (recovery)"] += 1
        elif run.inside("CLOSE", "REOPENED"):
            landed["inside close and reopen"] += 1
        elif run.inside("CKPT", "CKPT-DONE") or checkpoint_half_done(before, after):
            landed["inside a checkpoint"] += 1
        if run.pending():
            landed["inside a commit"] += 1
        image = tmp_path / f"image-{kill}"
        shutil.copytree(folder, image)
        db, torn, kept = open_checked(image, ledger, run)
        if ledger.created:  # the copy takes writes, and no key was spent by a rolled-back insert
            assert db.get_table("transfers").insert({}) == ledger.transfers + 1
        db.close()
        shutil.rmtree(image)
        landed["torn frame dropped"] += torn
        landed["unacknowledged commit kept"] += kept
        if kill % CHAIN == 0 or kill == KILLS:
            finish_chain(folder, ledger)
            landed["transfers"] += ledger.transfers
            folder, ledger = tmp_path / f"db-{kill}", Ledger()
    seconds = round(time.monotonic() - started, 1)
    assert landed["inside a checkpoint"] >= 1, landed
    assert landed["inside a commit"] >= 1, landed
    report(
        "durable crash",
        mode=mode,
        kills=KILLS,
        seconds=seconds,
        checkpoint_seconds=round(statistics.median(timing["checkpoint"] or [0]), 4),
        **{key.replace(" ", "_"): value for key, value in sorted(landed.items())},
    )
