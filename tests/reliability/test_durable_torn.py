"""Torn tails and flipped bytes in the journal of a database opened with ``DictDB.open``, at every byte.

A database is built on a folder, one commit at a time, with the state after each commit kept in memory; a
copy of the folder taken while it is open (what a killed process leaves: ``sync="off"``, nothing fsynced
by hand) is the image the cases start from. Its journal is cut or has one byte flipped, and is opened:

- cut inside the last frame, at every byte offset: the database is the state before the last commit, a
  WARNING names the journal and the frame's offset, the journal is cut back to the frame's start, and a
  later write survives a reopen. Cut anywhere else (every offset with ``DICTDB_LONG=1``, the frame
  boundaries and a sample in ``make test``): the state after the last whole frame before the cut, with a
  WARNING unless the cut is on a boundary;
- one byte flipped in any frame but the last, at every position: ``DatabaseFileError`` naming the journal
  and the damaged frame's byte offset, and every file of the folder unchanged, byte for byte (and the same
  answer again, so the refused open released the folder). A flip in the header is refused the same way;
- one byte flipped in the last frame, at every position: the journal's reader cannot tell that from a torn
  write (``dictdb.storage.files.frames``: a bad frame with nothing valid after it, in the newest journal), so
  the frame is dropped with the WARNING, as a cut one.

The same cases on a folder left by a checkpoint killed after it started the next journal and before its
snapshot landed (two journals, no snapshot): recovery replays both; any damage to the older journal, which
only a crash of the newest can excuse, is refused.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import os
import random
import re
import shutil
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB, logger
from dictdb.exceptions import DatabaseFileError
from tests.reliability.budget import LONG, scaled
from tests.reliability.figures import report
from tests.support.snapshots import next_auto_pk

#: The journal format (``dictdb.storage.files.frames``), read here without the library's reader.
HEADER_SIZE = 32
FRAME_HEAD = struct.Struct("<4sII")

#: ``make test`` cuts at every boundary and at this many random offsets inside each frame (every offset of
#: the journal with ``DICTDB_LONG=1``); a later write and reopen follows every ``REOPEN_EVERY``-th cut of
#: the last frame (every one with ``DICTDB_LONG=1``).
SAMPLES_PER_FRAME = 3
REOPEN_EVERY = scaled(8, 1)
#: Flipped bytes: the XOR masks applied at each position (every single bit too with ``DICTDB_LONG=1``).
MASKS = [0xFF, *(1 << bit for bit in range(8))] if LONG else [0xFF]

State = dict[str, Any]


def state_of(db: DictDB) -> State:
    """What must survive: each table's settings, records (values and order), indexes and key counter."""
    return {
        name: {
            "primary_key": table.primary_key,
            "schema": None if table.schema is None else dict(table.schema),
            "records": copy.deepcopy(list(table.records.items())),
            "indexes": {key: (index.kind, index.unique) for key, index in table.indexes.items()},
            "next_pk": next_auto_pk(table),
        }
        for name, table in db.tables.items()
    }


def first_commits() -> list[Callable[[DictDB], Any]]:
    """The writes before the checkpoint, one commit each."""
    return [
        lambda db: db.create_table("accounts"),
        lambda db: db.get_table("accounts").create_index("owner", unique=True),
        lambda db: db.get_table("accounts").create_index("balance", "sorted"),
        lambda db: db.get_table("accounts").insert(
            [{"owner": "ada", "balance": 100}, {"owner": "bob", "balance": 50}]
        ),
        lambda db: db.create_table("log", primary_key="n"),
        lambda db: db.get_table("log").insert({"n": 1, "what": "opened"}),
    ]


def commits() -> list[Callable[[DictDB], Any]]:
    """The writes after the checkpoint, one commit each: every kind of write the journal carries."""

    def transfer(db: DictDB) -> None:
        accounts = db.get_table("accounts")
        with db.transaction():
            accounts.update({"balance": 70}, where=accounts.owner == "ada")
            accounts.upsert({"id": 2, "balance": 80})
            db.get_table("log").insert({"n": 3, "what": "transfer", "at": dt.datetime(2024, 5, 1, 9, 30)})
            accounts.delete(where=accounts.owner == "dee")

    return [
        lambda db: db.get_table("accounts").insert(
            {"owner": "cy", "balance": Decimal("12.50"), "tags": ("a",)}
        ),
        lambda db: db.get_table("accounts").insert(
            [
                {"owner": f"o{n}", "balance": n, "blob": bytes([n]), "when": dt.date(2024, 1, 1 + n)}
                for n in range(5)
            ]
        ),
        lambda db: db.get_table("accounts").upsert({"id": 1, "balance": 99, "nested": {"k": [1, {2}]}}),
        lambda db: db.get_table("accounts").update(
            {"flag": True}, where=db.get_table("accounts").balance < 3
        ),
        lambda db: db.get_table("accounts").update({"id": 40}, where=db.get_table("accounts").owner == "o4"),
        lambda db: db.get_table("accounts").delete(where=db.get_table("accounts").owner == "o3"),
        lambda db: db.get_table("accounts").create_index("flag", "column"),
        lambda db: db.create_table("scratch"),
        lambda db: db.get_table("scratch").insert({"x": 10**30}),
        lambda db: db.drop_table("scratch"),
        lambda db: db.get_table("accounts").drop_index("flag"),
        lambda db: db.get_table("accounts").insert({"owner": "dee", "balance": -1}),
        transfer,
    ]


#: A folder's files, by name: what a case lays out before it opens the folder.
Image = dict[str, bytes]


@dataclass
class Built:
    """The crash image of the database after every commit (``one``: one journal after a checkpoint; ``two``:
    the two journals of a checkpoint killed before its snapshot), and the state after each commit."""

    one: Image
    two: Image
    #: states[0]: at the checkpoint; states[k]: after the k-th commit of ``commits()``.
    states: list[State]
    #: The same for the folder of two journals: states at the start, then after every commit.
    two_states: list[State]


def build(tmp_path: Path) -> Built:
    folder = tmp_path / "writer"
    db = DictDB.open(folder, sync="off")
    two_states = [state_of(db)]
    for commit in first_commits():
        commit(db)
        two_states.append(state_of(db))
    before = tmp_path / "before-checkpoint"
    shutil.copytree(folder, before)
    db.checkpoint()
    states = [state_of(db)]
    for commit in commits():
        commit(db)
        states.append(state_of(db))
    one = tmp_path / "one-journal"
    shutil.copytree(folder, one)  # the crash image: the OS holds every frame, nothing more was done
    db.close()
    # A checkpoint killed after it started journal 2 and before snapshot 2 landed: journal 1 whole, journal
    # 2 with every commit since, no snapshot.
    two = tmp_path / "two-journals"
    shutil.copytree(before, two)
    shutil.copy(one / "journal-000000000002.log", two)
    assert sorted(os.listdir(two)) == ["journal-000000000001.log", "journal-000000000002.log", "lock"]
    return Built(contents(one), contents(two), states, two_states + states[1:])


def contents(folder: Path) -> Image:
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def journal_name(image: Image, newest: bool = True) -> str:
    journals = sorted(name for name in image if name.startswith("journal-"))
    return journals[-1] if newest else journals[0]


def frame_starts(data: bytes) -> list[int]:
    """The byte offset of each frame, and the file's end last."""
    starts = []
    pos = HEADER_SIZE
    while pos < len(data):
        starts.append(pos)
        magic, size, _ = FRAME_HEAD.unpack_from(data, pos)
        assert magic == b"\xd7DJF"
        pos += FRAME_HEAD.size + size
    assert pos == len(data)
    return [*starts, pos]


class Warnings:
    """The WARNING lines of the journal's reader: one handler for a whole test (adding a loguru handler
    costs milliseconds), emptied before each case."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, message: Any) -> None:
        self.seen.append(str(message))


@pytest.fixture(scope="module")
def warnings() -> Iterator[Warnings]:
    caught = Warnings()
    logger.enable("dictdb.storage.files.frames")  # the torn-write WARNING, and not every write's INFO line
    handler = logger.add(caught, level="WARNING", filter="dictdb")
    try:
        yield caught
    finally:
        logger.remove(handler)
        logger.disable("dictdb.storage.files.frames")


def lay_out(folder: Path, image: Image, name: str, data: bytes) -> Path:
    """``folder`` holding the files of ``image`` and nothing else, the file ``name`` holding ``data``."""
    folder.mkdir(exist_ok=True)
    for old in os.listdir(folder):
        if old not in image:
            os.remove(folder / old)
    for file, content in image.items():
        (folder / file).write_bytes(data if file == name else content)
    return folder


def opens_as(
    folder: Path, expected: State, journal: str, torn_at: int | None, reopen: bool, warnings: Warnings
) -> None:
    """``folder`` opens as ``expected``; with ``torn_at``, after one WARNING about the journal's frame at
    that offset, and with the journal cut back there. With ``reopen``, a write then survives a reopen."""
    warnings.seen.clear()
    db = DictDB.open(folder, sync="off")
    warned = list(warnings.seen)
    try:
        assert state_of(db) == expected
        if torn_at is None:
            assert warned == []
        else:
            assert len(warned) == 1, warned
            assert "torn" in warned[0]
            assert journal in warned[0]
            assert f"byte offset {torn_at}" in warned[0]
            assert os.path.getsize(folder / journal) == max(
                torn_at, HEADER_SIZE
            )  # a torn header is rewritten
        if reopen:
            table = db.tables.get("accounts") or db.create_table("accounts")
            pk = table.insert({"owner": "after the crash", "balance": 1})
            after = state_of(db)
    finally:
        db.close()
    if reopen:
        with DictDB.open(folder) as again:
            assert state_of(again) == after
            assert again.get_table("accounts").get(pk)["owner"] == "after the crash"


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync does nothing in the cases: they are about what the files hold, which a process reads from the
    OS whether or not it reached the disk; thousands of opens and closes then take seconds, not minutes."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("durable-torn"))


def cut_offsets(starts: list[int], rng: random.Random) -> list[int]:
    """Every offset of the journal (long budget), or the boundaries and a sample inside each frame."""
    if LONG:
        return list(range(starts[-1]))
    chosen = {0, 1, HEADER_SIZE // 2, HEADER_SIZE - 1}
    for start, end in itertools.pairwise(starts):
        chosen.add(start)
        chosen.update(rng.randrange(start + 1, end) for _ in range(SAMPLES_PER_FRAME))
    return sorted(chosen)


LAYOUTS = ["one journal", "two journals"]


def layout_of(built: Built, layout: str) -> tuple[Image, list[State]]:
    return (built.one, built.states) if layout == "one journal" else (built.two, built.two_states)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_cut_inside_the_last_frame_loses_only_the_last_commit(
    built: Built, tmp_path: Path, warnings: Warnings, layout: str
) -> None:
    image, states = layout_of(built, layout)
    journal = journal_name(image)
    data = image[journal]
    starts = frame_starts(data)
    last, end = starts[-2], starts[-1]
    started = time.monotonic()
    case = tmp_path / "case"
    for cut in range(last + 1, end):
        reopen = (cut - last) % REOPEN_EVERY == 1 or cut == end - 1
        opens_as(lay_out(case, image, journal, data[:cut]), states[-2], journal, last, reopen, warnings)
    # At the frame's start nothing is torn: the commit is simply not there; whole, it is.
    opens_as(lay_out(case, image, journal, data[:last]), states[-2], journal, None, True, warnings)
    opens_as(lay_out(case, image, journal, data), states[-1], journal, None, True, warnings)
    report(
        "durable torn last frame",
        layout=layout,
        frame_bytes=end - last,
        cuts=end - last - 1,
        seconds=round(time.monotonic() - started, 1),
    )


def test_a_cut_anywhere_in_the_newest_journal_keeps_every_whole_frame_before_it(
    built: Built, tmp_path: Path, warnings: Warnings
) -> None:
    image = built.one
    journal = journal_name(image)
    data = image[journal]
    starts = frame_starts(data)
    assert len(starts) - 1 == len(built.states) - 1  # one frame per commit
    offsets = cut_offsets(starts, random.Random("cuts"))
    started = time.monotonic()
    case = tmp_path / "case"
    for cut in offsets:
        folder = lay_out(case, image, journal, data[:cut])
        whole = sum(1 for start in starts[1:] if start <= cut)  # the frames that end at or before the cut
        if cut < HEADER_SIZE:  # a torn header: the journal starts again, the snapshot is all there is
            opens_as(folder, built.states[0], journal, 0, cut == 0, warnings)
        else:
            torn_at = None if cut in starts else starts[whole]
            opens_as(folder, built.states[whole], journal, torn_at, False, warnings)
    report(
        "durable torn anywhere",
        journal_bytes=len(data),
        cuts=len(offsets),
        seconds=round(time.monotonic() - started, 1),
    )


def flipped(data: bytes, position: int, mask: int) -> bytes:
    damaged = bytearray(data)
    damaged[position] ^= mask
    return bytes(damaged)


def refuses(folder: Path, image: Image, journal: str, data: bytes, offset: int | None) -> None:
    """``folder`` holds ``image`` but for ``journal``, which holds ``data`` (the one file written): opening
    it raises ``DatabaseFileError`` naming ``journal`` (and the frame at ``offset``), and leaves every file
    as it was; twice (the refused open released the folder). The folder is left as it was, for the next."""
    (folder / journal).write_bytes(data)
    before = {**image, journal: data}
    for _ in range(2):
        with pytest.raises(DatabaseFileError) as raised:
            DictDB.open(folder)
        assert raised.value.path == str((folder / journal).resolve())
        if offset is not None:
            assert re.search(rf"byte offset {offset}\b", str(raised.value)), str(raised.value)
        assert contents(folder) == before


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_flipped_byte_before_the_last_frame_refuses_to_open_and_changes_nothing(
    built: Built, tmp_path: Path, layout: str
) -> None:
    image, _ = layout_of(built, layout)
    cases = 0
    started = time.monotonic()
    case = lay_out(tmp_path / "case", image, "", b"")
    # The newest journal of the two is the one journal of the other layout: only the older one is new here.
    journal = journal_name(image, newest=layout == "one journal")
    data = image[journal]
    starts = frame_starts(data)
    # The newest journal's last frame is the one place a crash explains (the next test); every frame of an
    # older journal is followed by the newer journal's frames: all damage.
    damaged_end = starts[-2] if layout == "one journal" else starts[-1]
    for position in range(damaged_end):
        # In the header (no frame), the magic or the checksum fails: the journal is named, not an offset.
        frame = max((start for start in starts[:-1] if start <= position), default=None)
        for mask in MASKS:
            refuses(case, image, journal, flipped(data, position, mask), frame)
            cases += 1
    report("durable flipped byte", layout=layout, cases=cases, seconds=round(time.monotonic() - started, 1))


def test_a_flipped_byte_in_the_last_frame_is_dropped_as_a_torn_write(
    built: Built, tmp_path: Path, warnings: Warnings
) -> None:
    image = built.one
    journal = journal_name(image)
    data = image[journal]
    starts = frame_starts(data)
    last, end = starts[-2], starts[-1]
    case = tmp_path / "case"
    for position in range(last, end):
        for mask in MASKS:
            reopen = mask == MASKS[0] and (position - last) % REOPEN_EVERY == 0
            folder = lay_out(case, image, journal, flipped(data, position, mask))
            opens_as(folder, built.states[-2], journal, last, reopen, warnings)


@pytest.mark.parametrize("where", ["last frame", "header and first frame"])
def test_a_cut_in_the_older_of_two_journals_is_refused(built: Built, tmp_path: Path, where: str) -> None:
    """Only the newest journal can end torn (a crash interrupts the newest one's writes only): an older one
    cut short is damage."""
    journal = journal_name(built.two, newest=False)
    data = built.two[journal]
    starts = frame_starts(data)
    if where == "last frame":
        cuts = list(range(starts[-2] + 1, starts[-1]))
    else:  # a cut right after the header is a frame boundary: not this case
        cuts = [*range(1, HEADER_SIZE), *range(HEADER_SIZE + 1, starts[1])]
    case = lay_out(tmp_path / "case", built.two, "", b"")
    for cut in cuts:
        refuses(case, built.two, journal, data[:cut], None)
