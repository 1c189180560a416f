"""The journal file: exact round trips, torn tails and damage told apart at every byte, failed writes and
fsyncs that leave the file as it was, group commit, and the three sync modes."""

from __future__ import annotations

import errno
import gc
import math
import os
import pickle
import stat
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dictdb import logger
from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError, UnsupportedValueError
from dictdb.storage.files import atomic, frames
from dictdb.storage.files.frames import FRAME_MAGIC, HEADER_MAGIC, HEADER_SIZE, header_bytes
from dictdb.storage.files.journal import JOURNAL_VERSION, JournalWriter, read_journal
from tests.support.faults import os_error
from tests.support.persistence_helpers import EVERY_TYPE
from tests.support.value_strategies import assert_same

PAYLOADS: list[Any] = [
    {"op": "insert", "table": "t", "records": [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]},
    ["update", "t", 1, {"age": 37}],
    ("delete", "t", 2),
]


REAL_FSYNC = os.fsync


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "journal-1")


@pytest.fixture(autouse=True)
def _plain_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    # On macOS the writer would fsync with fcntl(F_FULLFSYNC), which the fakes below do not see.
    monkeypatch.setattr(atomic, "_F_FULLFSYNC", None)


@pytest.fixture
def warnings() -> Iterator[list[dict[str, Any]]]:
    """The WARNING and ERROR records the dictdb modules log during the test."""
    seen: list[dict[str, Any]] = []
    handler = logger.add(lambda message: seen.append(message.record), level="WARNING", filter="dictdb")
    logger.enable("dictdb")
    yield seen
    logger.disable("dictdb")
    logger.remove(handler)


def write(path: str, payloads: list[Any], sync: str = "off") -> list[int]:
    """A new journal of ``payloads``; returns each frame's start offset, then the end of the file."""
    writer = JournalWriter(path, 1, sync)
    offsets = [writer.size]
    for payload in payloads:
        offsets.append(writer.append(writer.encode(payload)))
    writer.close()
    return offsets


def payloads_of(path: str) -> list[Any]:
    return read_journal(path, last=True).payloads


def fsync_counter(monkeypatch: pytest.MonkeyPatch, delay: float = 0.0) -> list[int]:
    """Count the fsyncs of regular files (not the folder's), each taking ``delay`` seconds; the list holds
    the size of the file when each fsync started."""
    synced: list[int] = []

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode):
            synced.append(info.st_size)
            time.sleep(delay)
        REAL_FSYNC(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


# --- round trips and refused values ---------------------------------------------------------------------


def test_every_value_type_round_trips_exactly(path: str) -> None:
    payloads = [EVERY_TYPE, *EVERY_TYPE.values(), [EVERY_TYPE] * 3, {"deep": [[[[{"x": (1, {2})}]]]]}]
    payloads += [{"n": n, "nan": math.nan, "inf": -math.inf} for n in range(300)]
    write(path, payloads)
    content = read_journal(path, last=True)
    assert (content.generation, content.torn, content.end) == (1, False, os.path.getsize(path))
    assert_same(payloads, content.payloads)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(type("Mine", (), {})(), id="user-class-instance"),
        pytest.param(lambda: 1, id="lambda"),
        pytest.param(type("MyDict", (dict,), {})(), id="dict-subclass"),
        pytest.param(pickle, id="module"),
        pytest.param(int, id="builtin-type"),
        pytest.param(bytearray(b"x"), id="bytearray"),
    ],
)
def test_a_refused_value_raises_and_writes_nothing(path: str, value: Any) -> None:
    write(path, PAYLOADS[:1])
    writer = JournalWriter.reopen(path, 1, os.path.getsize(path), "off")
    size = writer.size
    with pytest.raises(UnsupportedValueError, match="cannot journal a value of type"):
        writer.encode({"ok": 1, "bad": [value]})
    assert writer.size == size == os.path.getsize(path)
    writer.close()
    assert payloads_of(path) == PAYLOADS[:1]


@pytest.mark.parametrize("size", [10, 100_000], ids=["small", "past-the-reuse-limit"])
def test_a_refused_value_leaves_nothing_in_the_next_frame(size: int) -> None:
    # Frames share one pickler; a pickle of more than 64 KiB reaches its buffer before the refused value.
    with pytest.raises(UnsupportedValueError):
        frames.encode_frame([*range(size), object()])
    frame = frames.encode_frame(["next"])
    assert pickle.loads(frame[12:]) == ["next"]


def test_too_deep_or_too_large_a_payload_is_refused(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(UnsupportedValueError, match="nested too deeply"):
        frames.encode_frame(deep)
    monkeypatch.setattr(frames, "MAX_PAYLOAD", 100)
    with pytest.raises(UnsupportedValueError, match="one frame holds at most 100 bytes"):
        frames.encode_frame("x" * 200)


def test_the_frame_layout_is_as_documented() -> None:
    frame = frames.encode_frame([1, "a"])
    magic, size, crc = struct.unpack_from("<4sII", frame)
    assert (magic, size, len(frame)) == (FRAME_MAGIC, len(frame) - 12, 12 + size)
    assert crc == zlib.crc32(frame[4:8] + frame[12:])
    assert pickle.loads(frame[12:]) == [1, "a"]
    header = header_bytes(2**40)
    assert len(header) == HEADER_SIZE == 32
    assert struct.unpack("<16sIQI", header) == (HEADER_MAGIC, JOURNAL_VERSION, 2**40, zlib.crc32(header[:28]))


# --- torn tails -------------------------------------------------------------------------------------------


def test_a_tail_torn_at_every_byte_of_the_last_frame(
    path: str, tmp_path: Path, warnings: list[dict[str, Any]]
) -> None:
    offsets = write(path, PAYLOADS)
    whole = Path(path).read_bytes()
    start = offsets[-2]
    for cut in range(start + 1, len(whole)):
        torn = str(tmp_path / f"torn-{cut}")
        Path(torn).write_bytes(whole[:cut])
        warnings.clear()
        content = read_journal(torn, last=True)
        assert (content.payloads, content.end, content.torn) == (PAYLOADS[:-1], start, True), cut
        assert [w["level"].name for w in warnings] == ["WARNING"]
        assert torn in warnings[0]["message"]
        assert f"byte offset {start}" in warnings[0]["message"]
        assert warnings[0]["extra"]["offset"] == start
        with pytest.raises(DatabaseFileError, match=f"byte offset {start}"):
            read_journal(torn, last=False)
        writer = JournalWriter.reopen(torn, 1, content.end, "off")
        assert writer.size == start == os.path.getsize(torn)
        writer.append(writer.encode("after"))
        writer.close()
        assert payloads_of(torn) == [*PAYLOADS[:-1], "after"]
        os.remove(torn)
    Path(path).write_bytes(whole[:start])
    warnings.clear()
    assert read_journal(path, last=False) == frames.JournalContent(1, PAYLOADS[:-1], start, False)
    assert warnings == []


def test_zeros_where_the_last_frame_should_be_are_a_torn_tail(path: str) -> None:
    offsets = write(path, PAYLOADS)
    with open(path, "r+b") as f:
        f.seek(offsets[-2])
        f.write(bytes(offsets[-1] - offsets[-2]))
    content = read_journal(path, last=True)
    assert (content.payloads, content.end, content.torn) == (PAYLOADS[:-1], offsets[-2], True)


@pytest.mark.parametrize("size", range(HEADER_SIZE))
def test_a_header_cut_short_is_a_torn_header(path: str, size: int, warnings: list[dict[str, Any]]) -> None:
    Path(path).write_bytes(header_bytes(5)[:size])
    assert read_journal(path, last=True) == frames.JournalContent(None, [], 0, True)
    assert len(warnings) == 1
    assert "byte offset 0" in warnings[0]["message"]
    with pytest.raises(DatabaseFileError, match="header is cut short"):
        read_journal(path, last=False)
    writer = JournalWriter.reopen(path, 5, 0, "off")
    writer.append(writer.encode("first"))
    writer.close()
    assert read_journal(path, last=True) == frames.JournalContent(5, ["first"], os.path.getsize(path), False)


def test_a_file_of_zeros_is_a_torn_header(path: str) -> None:
    Path(path).write_bytes(bytes(4096))
    assert read_journal(path, last=True) == frames.JournalContent(None, [], 0, True)


def test_a_header_alone_is_an_empty_journal(path: str) -> None:
    JournalWriter(path, 9, "off").close()
    assert os.path.getsize(path) == HEADER_SIZE
    assert read_journal(path, last=False) == frames.JournalContent(9, [], HEADER_SIZE, False)


# --- damage -----------------------------------------------------------------------------------------------


def test_a_flipped_byte_anywhere_in_a_middle_frame_is_damage(path: str) -> None:
    offsets = write(path, PAYLOADS)
    whole = Path(path).read_bytes()
    start, end = offsets[1], offsets[2]
    for pos in range(start, end):
        damaged = bytearray(whole)
        damaged[pos] ^= 0x5A
        Path(path).write_bytes(damaged)
        for last in (True, False):
            with pytest.raises(DatabaseFileError) as info:
                read_journal(path, last=last)
            assert info.value.path == path
            assert f"the frame at byte offset {start}" in info.value.reason, pos
            assert f"valid frame follows at byte offset {end}" in info.value.reason, pos
        assert Path(path).read_bytes() == damaged  # reading changes nothing


def test_a_flipped_byte_anywhere_in_the_last_frame_drops_it_as_torn(path: str) -> None:
    offsets = write(path, PAYLOADS)
    whole = Path(path).read_bytes()
    start = offsets[-2]
    for pos in range(start, len(whole)):
        damaged = bytearray(whole)
        damaged[pos] ^= 0x01
        Path(path).write_bytes(damaged)
        assert read_journal(path, last=True) == frames.JournalContent(1, PAYLOADS[:-1], start, True), pos
        with pytest.raises(DatabaseFileError, match=f"byte offset {start}"):
            read_journal(path, last=False)


def test_a_frame_length_past_any_sane_size_is_never_allocated(path: str) -> None:
    offsets = write(path, PAYLOADS)
    for size in (frames.MAX_PAYLOAD + 1, 2**32 - 1):
        with open(path, "r+b") as f:
            f.seek(offsets[1] + 4)
            f.write(struct.pack("<I", size))
        with pytest.raises(
            DatabaseFileError, match=f"frame at byte offset {offsets[1]} has a damaged header"
        ):
            read_journal(path, last=True)


def frame_of(payload: bytes) -> bytes:
    """A frame around raw ``payload`` bytes, with a correct checksum."""
    length = struct.pack("<I", len(payload))
    return FRAME_MAGIC + length + struct.pack("<I", zlib.crc32(length + payload)) + payload


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (pickle.dumps(os.system), "refused global"),
        (b"not a pickle", "UnpicklingError"),
        (pickle.dumps([1, 2])[:-3], ""),
        (pickle.dumps("x") + b"more", "bytes follow the pickle's end"),
        (b"\x80\x02cdictdb.storage.database\nDictDB\n)\x81.", "names a dctdb class"),
    ],
)
def test_a_payload_that_passes_its_checksum_but_is_not_plain_data_is_damage(
    path: str, payload: bytes, problem: str
) -> None:
    offsets = write(path, PAYLOADS[:1])
    with open(path, "ab") as f:
        f.write(frame_of(payload))
    with pytest.raises(
        DatabaseFileError, match=f"frame at byte offset {offsets[-1]} passes its checksum"
    ) as info:
        read_journal(path, last=True)
    assert problem in info.value.reason


def test_a_newer_version_a_foreign_file_a_damaged_header_and_no_file(path: str, tmp_path: Path) -> None:
    fields = struct.pack("<16sIQ", HEADER_MAGIC, JOURNAL_VERSION + 1, 1)
    Path(path).write_bytes(fields + struct.pack("<I", zlib.crc32(fields)) + frame_of(b"whatever"))
    with pytest.raises(DatabaseFileError, match="written by a newer DictDB"):
        read_journal(path, last=True)
    Path(path).write_bytes(b'{"_meta": {"format": "dictdb"}}\n' * 3)
    with pytest.raises(DatabaseFileError, match="not a DictDB journal"):
        read_journal(path, last=True)
    Path(path).write_bytes(b"PK")
    with pytest.raises(DatabaseFileError, match="not a DictDB journal"):
        read_journal(path, last=True)
    header = bytearray(header_bytes(1))
    header[25] ^= 1
    Path(path).write_bytes(bytes(header))
    with pytest.raises(DatabaseFileError, match=r"header \(byte offset 0\) fails its checksum"):
        read_journal(path, last=True)
    with pytest.raises(DatabaseFileNotFoundError):
        read_journal(str(tmp_path / "missing"), last=True)


# --- creating and reopening -------------------------------------------------------------------------------


def test_creating_a_journal_never_overwrites_a_file(path: str) -> None:
    Path(path).write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        JournalWriter(path, 1, "off")
    assert Path(path).read_bytes() == b"precious"


def test_a_header_that_cannot_be_written_leaves_no_file(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "write", lambda fd, data: (_ for _ in ()).throw(os_error(errno.ENOSPC)))
    with pytest.raises(OSError, match="No space"):
        JournalWriter(path, 1, "off")
    monkeypatch.undo()
    assert not os.path.exists(path)
    JournalWriter(path, 1, "off").close()


@pytest.mark.parametrize("generation", [-1, 2**64, 1.0, True])
def test_a_generation_a_header_cannot_hold_is_refused_before_any_file_is_made(
    path: str, generation: Any
) -> None:
    with pytest.raises(ValueError, match="a journal generation is an int from 0"):
        JournalWriter(path, generation, "off")
    assert not os.path.exists(path)


def test_reopen_refuses_an_end_past_the_file(path: str) -> None:
    write(path, PAYLOADS)
    with pytest.raises(ValueError, match="end must be between 0 and the size"):
        JournalWriter.reopen(path, 1, os.path.getsize(path) + 1, "off")


@pytest.mark.parametrize("sync", ["FULL", "", "always", None])
def test_an_unknown_sync_mode_is_refused_before_any_file_is_made(path: str, sync: Any) -> None:
    with pytest.raises(ValueError, match="sync must be 'full', 'normal' or 'off'"):
        JournalWriter(path, 1, sync)
    assert not os.path.exists(path)
    write(path, [])
    with pytest.raises(ValueError, match="sync must be 'full', 'normal' or 'off'"):
        JournalWriter.reopen(path, 1, HEADER_SIZE, sync)


@pytest.mark.parametrize("interval", [0, -1.0, math.inf, math.nan, True, "1"])
def test_a_bad_sync_interval_is_refused(path: str, interval: Any) -> None:
    with pytest.raises(ValueError, match="sync_interval must be a number of seconds > 0"):
        JournalWriter(path, 1, "normal", interval)


def test_a_closed_journal_refuses_writes_and_closes_once(path: str) -> None:
    writer = JournalWriter(path, 1, "full")
    writer.close()
    writer.close()
    with pytest.raises(ValueError, match="is closed"):
        writer.append(frames.encode_frame(1))
    with pytest.raises(ValueError, match="is closed"):
        writer.sync()


# --- failed writes ----------------------------------------------------------------------------------------


def failing_write(
    monkeypatch: pytest.MonkeyPatch, writer: JournalWriter, error: BaseException, partial: bool
) -> None:
    """Make the writer's next ``os.write`` fail with ``error``; ``partial``: first write a part of the data
    and report it written, and fail on the next call."""
    real = os.write
    calls = 0

    def fake(fd: int, data: Any) -> int:
        nonlocal calls
        if fd != writer._fd:
            return real(fd, data)
        calls += 1
        if partial and calls == 1:
            return real(fd, bytes(data)[: len(data) // 3])
        raise error

    monkeypatch.setattr(os, "write", fake)


def test_short_writes_are_continued(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = JournalWriter(path, 1, "off")
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data)[:5]))
    for payload in PAYLOADS:
        writer.append(writer.encode(payload))
    monkeypatch.undo()
    writer.close()
    assert payloads_of(path) == PAYLOADS


@pytest.mark.parametrize("partial", [False, True], ids=["at-once", "after-a-short-write"])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
def test_a_failed_write_leaves_the_file_as_it_was(
    path: str, monkeypatch: pytest.MonkeyPatch, code: int, partial: bool
) -> None:
    write(path, PAYLOADS[:2])
    before = Path(path).read_bytes()
    writer = JournalWriter.reopen(path, 1, len(before), "full")
    failing_write(monkeypatch, writer, os_error(code), partial)
    with pytest.raises(OSError, match=os.strerror(code)):
        writer.append(writer.encode(PAYLOADS[2]))
    assert writer.size == len(before)
    assert Path(path).read_bytes() == before
    monkeypatch.undo()
    writer.wait_durable(writer.append(writer.encode("later")))
    writer.close()
    assert payloads_of(path) == [*PAYLOADS[:2], "later"]


def test_an_interrupt_between_two_partial_writes_is_cut_off_too(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = JournalWriter(path, 1, "off")
    writer.append(writer.encode("first"))
    failing_write(monkeypatch, writer, KeyboardInterrupt(), partial=True)
    with pytest.raises(KeyboardInterrupt):
        writer.append(writer.encode("second"))
    monkeypatch.undo()
    writer.append(writer.encode("third"))
    writer.close()
    assert payloads_of(path) == ["first", "third"]


def test_a_cut_that_fails_breaks_the_writer_until_it_succeeds(
    path: str, monkeypatch: pytest.MonkeyPatch, warnings: list[dict[str, Any]]
) -> None:
    writer = JournalWriter(path, 1, "off")
    writer.append(writer.encode("first"))
    size = writer.size
    failing_write(monkeypatch, writer, os_error(errno.EIO), partial=True)
    real_ftruncate = os.ftruncate
    monkeypatch.setattr(os, "ftruncate", lambda fd, length: (_ for _ in ()).throw(os_error(errno.EROFS)))
    with pytest.raises(OSError, match=os.strerror(errno.EIO)):  # the write's error, not the cut's
        writer.append(writer.encode("second"))
    assert os.path.getsize(path) > size  # a part of the frame is still there
    assert [w["level"].name for w in warnings] == ["ERROR"]
    monkeypatch.undo()
    monkeypatch.setattr(os, "ftruncate", lambda fd, length: (_ for _ in ()).throw(os_error(errno.EROFS)))
    for _ in range(2):
        with pytest.raises(OSError, match="cannot cut them") as again:
            writer.append(writer.encode("refused"))
        assert again.value.errno == errno.EROFS
        with pytest.raises(OSError, match="cannot cut them"):
            writer.sync()
    monkeypatch.setattr(os, "ftruncate", real_ftruncate)
    writer.append(writer.encode("third"))
    writer.close()
    assert payloads_of(path) == ["first", "third"]
    assert not read_journal(path, last=True).torn


# --- failed fsyncs ----------------------------------------------------------------------------------------


def failing_fsync(monkeypatch: pytest.MonkeyPatch, code: int = errno.EIO) -> None:
    def fsync(fd: int) -> None:
        raise os_error(code)

    monkeypatch.setattr(os, "fsync", fsync)


def test_a_failed_fsync_in_full_mode_cuts_the_frame_off_and_fails_its_ticket(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = JournalWriter(path, 1, "full")
    writer.wait_durable(writer.append(writer.encode("durable")))
    durable = writer.size
    failing_fsync(monkeypatch)
    lost = writer.append(writer.encode("lost"))
    with pytest.raises(OSError, match=os.strerror(errno.EIO)):
        writer.wait_durable(lost)
    assert writer.size == durable == os.path.getsize(path)
    assert payloads_of(path) == ["durable"]
    monkeypatch.undo()
    later = writer.append(writer.encode("later"))
    assert later > lost  # a ticket is never handed out twice
    writer.wait_durable(later)
    with pytest.raises(OSError, match=os.strerror(errno.EIO)):
        writer.wait_durable(lost)  # still lost, although its offset now holds a durable frame
    writer.close()
    assert payloads_of(path) == ["durable", "later"]


@pytest.mark.parametrize("sync", ["normal", "off"])
def test_a_failed_fsync_in_normal_or_off_mode_raises_and_keeps_the_frames(
    path: str, monkeypatch: pytest.MonkeyPatch, sync: str
) -> None:
    writer = JournalWriter(path, 1, sync, sync_interval=60)
    writer.wait_durable(writer.append(writer.encode("acknowledged")))
    failing_fsync(monkeypatch)
    with pytest.raises(OSError, match=os.strerror(errno.EIO)):
        writer.sync()
    with pytest.raises(OSError, match=os.strerror(errno.EIO)):
        writer.close()
    monkeypatch.undo()
    writer.close()
    assert payloads_of(path) == ["acknowledged"]


def test_a_failed_background_fsync_is_logged_and_retried(
    path: str, monkeypatch: pytest.MonkeyPatch, warnings: list[dict[str, Any]]
) -> None:
    failing_fsync(monkeypatch)
    writer = JournalWriter(path, 1, "normal", sync_interval=0.01)
    writer.append(writer.encode("acknowledged"))
    wait_for(lambda: len(warnings) >= 2)
    assert {w["level"].name for w in warnings} == {"ERROR"}
    assert path in warnings[0]["message"]
    synced = fsync_counter(monkeypatch)
    wait_for(lambda: len(synced) >= 1)
    writer.close()
    assert payloads_of(path) == ["acknowledged"]


# --- group commit -----------------------------------------------------------------------------------------


def run_threads(count: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_group_commit_shares_fsyncs_and_covers_every_ticket(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = JournalWriter(path, 1, "full")
    synced = fsync_counter(monkeypatch, delay=0.002)
    threads, commits = 16, 25

    def commit(n: int) -> None:
        for i in range(commits):
            ticket = writer.append(writer.encode({"thread": n, "commit": i}))
            writer.wait_durable(ticket)
            assert max(synced) >= ticket  # an fsync that started with the frame in the file returned

    run_threads(threads, commit)
    assert len(synced) < threads * commits / 2
    writer.close()
    payloads = payloads_of(path)
    assert sorted((p["thread"], p["commit"]) for p in payloads) == [
        (n, i) for n in range(threads) for i in range(commits)
    ]


def test_an_fsync_failure_fails_every_waiter_it_does_not_cover(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = JournalWriter(path, 1, "full")
    writer.wait_durable(writer.append(writer.encode("durable")))
    durable = writer.size
    started, release = threading.Event(), threading.Event()

    def fsync(fd: int) -> None:
        started.set()
        release.wait(5)
        raise os_error(errno.EIO)

    monkeypatch.setattr(os, "fsync", fsync)
    outcomes: dict[int, str] = {}

    def commit(n: int) -> None:
        ticket = writer.append(writer.encode({"commit": n}))
        try:
            writer.wait_durable(ticket)
            outcomes[n] = "durable"
        except OSError as exc:
            outcomes[n] = errno.errorcode[exc.errno]

    first = threading.Thread(target=commit, args=(0,))
    first.start()
    assert started.wait(5)  # the first commit's fsync is running; the others append and wait meanwhile
    others = [threading.Thread(target=commit, args=(n,)) for n in range(1, 8)]
    for thread in others:
        thread.start()
    frame = len(frames.encode_frame({"commit": 0}))
    wait_for(lambda: writer.size == durable + 8 * frame)
    time.sleep(0.05)  # for the last ones to reach wait_durable
    release.set()
    for thread in [first, *others]:
        thread.join()
    assert outcomes == dict.fromkeys(range(8), "EIO")
    assert writer.size == durable == os.path.getsize(path)
    monkeypatch.undo()
    writer.wait_durable(writer.append(writer.encode("later")))
    writer.close()
    assert payloads_of(path) == ["durable", "later"]


# --- sync modes -------------------------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def sync_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("dictdb journal sync")]


def test_normal_mode_fsyncs_in_the_background_within_the_interval(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    interval = 0.05
    synced = fsync_counter(monkeypatch)
    writer = JournalWriter(path, 1, "normal", sync_interval=interval)
    wait_for(lambda: len(synced) == 1)  # the header
    written = time.monotonic()
    ticket = writer.append(writer.encode("commit"))
    writer.wait_durable(ticket)  # returns at once in this mode
    assert synced == [HEADER_SIZE]
    wait_for(lambda: len(synced) == 2)
    assert time.monotonic() - written < interval + 0.5
    assert synced[-1] == ticket
    time.sleep(4 * interval)
    assert len(synced) == 2  # nothing written since: no fsync
    assert len(sync_threads()) == 1
    writer.close()
    assert sync_threads() == []


def test_an_unclosed_writer_that_is_dropped_stops_its_thread(path: str) -> None:
    writer = JournalWriter(path, 1, "normal", sync_interval=0.01)
    writer.append(writer.encode("commit"))
    del writer
    gc.collect()
    wait_for(lambda: sync_threads() == [])
    assert payloads_of(path) == ["commit"]


def test_off_mode_fsyncs_only_in_sync_and_close(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    synced = fsync_counter(monkeypatch)
    writer = JournalWriter(path, 1, "off", sync_interval=0.01)
    for n in range(10):
        writer.wait_durable(writer.append(writer.encode(n)))
    time.sleep(0.05)
    assert synced == []
    assert sync_threads() == []
    writer.sync()
    assert synced == [writer.size]
    writer.append(writer.encode("last"))
    writer.close()
    assert synced == [synced[0], os.path.getsize(path)]
    assert payloads_of(path) == [*range(10), "last"]


def test_full_mode_fsyncs_before_wait_durable_returns(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    synced = fsync_counter(monkeypatch)
    writer = JournalWriter(path, 1, "full")
    for n in range(5):
        ticket = writer.append(writer.encode(n))
        assert len(synced) == n
        writer.wait_durable(ticket)
        assert synced[-1] == ticket
    writer.close()
