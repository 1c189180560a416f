"""The journal file format: a header, then one checksummed frame per commit, and the reader that checks it.

A journal file (all integers little-endian)::

    offset  size  the header
    0       16    magic: the bytes "DictDB journal\\n\\0"
    16      4     u32 JOURNAL_VERSION of the writer (1)
    20      8     u64 generation: which journal of the folder this is (the next checkpoint starts the next)
    28      4     u32 crc32 of bytes 0-27

    offset  size  each frame, from byte 32 to the end of the file, back to back
    0       4     frame magic: the bytes D7 44 4A 46 (0xD7, then "DJF")
    4       4     u32 N, the payload length: at most 1 GiB (MAX_PAYLOAD)
    8       4     u32 crc32 of bytes 4-7 followed by the N payload bytes
    12      N     payload: one pickle (protocol 4) of plain data

A payload holds plain values only: the builtin containers and scalars and the value classes the pickle
database format allows (datetime, date, time, timedelta, timezone, ZoneInfo, Decimal, UUID). It is written by
the pickle format's plain-data pickler and read by its allow-listed unpickler, so a file names no other
class and reading one never runs code from it.

What a crash can leave, and what the reader makes of it: frames are only ever appended, so a process that
dies while writing one leaves the file ending inside it (a torn write), and a power loss before an fsync
can leave the end of the file as zeros. Either way the newest journal ends with one bad frame and nothing
valid after it: the reader drops it and logs a WARNING. A frame that fails its checks with a valid frame
anywhere after it (the reader looks for the frame magic and checks each candidate's checksum) is damage,
and reading raises ``DatabaseFileError`` naming the file and the frame's byte offset. A length field is
checked against the file before anything is allocated for it.

Two cases read as damage although a crash made them, so the database does not open until someone looks
(nothing is lost silently): a torn frame whose payload holds, as bytes, a whole valid frame (a record
holding a copy of a journal); and, after a power loss, a file system that kept a later page of frames not
yet fsynced but lost an earlier one.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import threading
import zlib
from dataclasses import dataclass
from typing import Any

from dictdb._core import pickle_scan
from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError, UnsupportedValueError
from dictdb.log import Gate
from dictdb.storage.files.codec import _SUPPORTED_NAMES, _type_name
from dictdb.storage.files.pickle_safe import SafeUnpickler, _PlainPickler, _Refused

__all__ = [
    "FRAME_MAGIC",
    "HEADER_MAGIC",
    "HEADER_SIZE",
    "JOURNAL_VERSION",
    "MAX_PAYLOAD",
    "JournalContent",
    "encode_frame",
    "header_bytes",
    "read_journal",
]

_logs = Gate(__name__)

JOURNAL_VERSION = 1

HEADER_MAGIC = b"DictDB journal\n\x00"
FRAME_MAGIC = b"\xd7DJF"

#: A larger length field is damage, never an allocation: no commit of an in-memory database comes near it.
MAX_PAYLOAD = 1 << 30

_HEADER_FIELDS = struct.Struct("<16sIQ")
_U32 = struct.Struct("<I")
_FRAME_HEAD = struct.Struct("<4sII")
HEADER_SIZE = _HEADER_FIELDS.size + _U32.size
_FRAME_HEAD_SIZE = _FRAME_HEAD.size

# Not 5: protocol 5 writes bytearray and PickleBuffer without asking the plain-data pickler, so a journal
# would take values that no database file holds. Protocol 4 is as fast here.
_PROTOCOL = 4


class _SharedPickler:
    """One plain-data pickler for the frames of small commits: making a pickler costs as much as pickling a
    small commit (about 1 µs each), so it is made once and taken in turn under a lock."""

    #: After a pickle this large the pickler is replaced: its memo table keeps the size the payload gave
    #: it, and clearing it (after every frame) costs that size each time.
    _REUSE_LIMIT = 1 << 16

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fresh()

    def _fresh(self) -> None:
        self._buffer = io.BytesIO()
        self._pickler = _PlainPickler(self._buffer, protocol=_PROTOCOL)

    def dumps(self, payload: Any) -> bytes:
        with self._lock:
            try:
                self._pickler.dump(payload)
                return self._buffer.getvalue()
            finally:
                # Forget the payload (the memo holds its objects) and any part a failed dump wrote.
                if self._buffer.tell() > self._REUSE_LIMIT:
                    self._fresh()
                else:
                    self._pickler.clear_memo()
                    self._buffer.seek(0)
                    self._buffer.truncate()


_pickler = _SharedPickler()


@dataclass(frozen=True)
class JournalContent:
    """What ``read_journal`` found: the header's ``generation`` (``None`` when the header itself is torn),
    the decoded ``payloads`` in commit order, ``end`` (the byte offset just after the last good frame, where
    the next frame goes) and ``torn`` (whether a torn tail was dropped: the file is longer than ``end``)."""

    generation: int | None
    payloads: list[Any]
    end: int
    torn: bool


def header_bytes(generation: int) -> bytes:
    """The 32-byte header of a journal of ``generation``.

    Example:
        >>> from dictdb.storage.files.frames import HEADER_SIZE, header_bytes
        >>> header = header_bytes(7)
        >>> len(header) == HEADER_SIZE, header[:14]
        (True, b'DictDB journal')
    """
    if isinstance(generation, bool) or not isinstance(generation, int) or not 0 <= generation < 2**64:
        raise ValueError(f"a journal generation is an int from 0 to 2**64 - 1, not {generation!r}")
    fields = _HEADER_FIELDS.pack(HEADER_MAGIC, JOURNAL_VERSION, generation)
    return fields + _U32.pack(zlib.crc32(fields))


def encode_frame(payload: Any) -> bytes:
    """The frame that holds ``payload``: header, then the pickle.

    Raises ``UnsupportedValueError`` when ``payload`` holds a value a journal cannot hold (an instance of
    another class, a subclass of a supported type, a function), is nested too deeply, or makes a frame
    larger than ``MAX_PAYLOAD``; nothing has been written anywhere then.

    Example:
        >>> from dictdb.storage.files.frames import encode_frame
        >>> frame = encode_frame({"insert": [{"id": 1}]})
        >>> frame[:4]
        b'\\xd7DJF'
        >>> encode_frame({"f": lambda: 1})
        Traceback (most recent call last):
        ...
        dictdb.exceptions.UnsupportedValueError: cannot journal a value of type 'function': ...
    """
    try:
        data = _pickler.dumps(payload)
    except _Refused as exc:
        raise UnsupportedValueError(
            f"cannot journal a value of type {_type_name(type(exc.args[0]))}: a journal holds plain data "
            f"only ({_SUPPORTED_NAMES}, exact types); convert it to one of them first"
        ) from None
    except (pickle.PicklingError, RecursionError) as exc:
        raise UnsupportedValueError(
            f"cannot journal this value: it is nested too deeply or cannot be pickled ({exc})"
        ) from None
    size = len(data)
    if size > MAX_PAYLOAD:
        raise UnsupportedValueError(
            f"cannot journal a commit of {size} bytes: one frame holds at most {MAX_PAYLOAD} bytes; "
            f"commit in smaller steps"
        )
    return _FRAME_HEAD.pack(FRAME_MAGIC, size, zlib.crc32(data, zlib.crc32(_U32.pack(size)))) + data


def read_journal(path: str | os.PathLike[str], *, last: bool) -> JournalContent:
    """Read and check the journal at ``path``; ``last`` says whether it is the folder's newest journal.

    Every frame is checked (magic, length, crc32) before its payload is decoded. A bad frame with nothing
    valid after it is a torn write when ``last`` is true: it is left out, a WARNING names the file and the
    offset, and the result says ``torn=True`` with ``end`` at the frame's start (``JournalWriter.reopen``
    cuts the file there). A header cut short, or a file of zeros only, is a torn header (``end`` 0,
    ``generation`` ``None``). ``DatabaseFileError`` names the file and the byte offset for everything else:
    a bad frame followed by a valid one, a torn tail in a journal that is not the last, a payload that
    passes its checksum but does not decode, a foreign file, a journal of a newer version. Nothing is
    changed on disk. ``DatabaseFileNotFoundError`` when there is no file.

    Example:
        >>> import os, tempfile
        >>> from dictdb.storage.files.frames import encode_frame, header_bytes, read_journal
        >>> path = os.path.join(tempfile.mkdtemp(), "journal-1")
        >>> frame = encode_frame(["set", 1])
        >>> _ = open(path, "wb").write(header_bytes(1) + frame + frame[:5])
        >>> content = read_journal(path, last=True)
        >>> content.payloads, content.end == 32 + len(frame), content.torn
        ([['set', 1]], True, True)
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DatabaseFileNotFoundError(path, "no such file") from None
    generation = _read_header(data, path, last)
    if generation is None:
        return JournalContent(None, [], 0, True)
    view = memoryview(data)
    payloads: list[Any] = []
    pos = HEADER_SIZE
    while pos < len(data):
        end = _frame_end(view, pos)
        if end < 0:
            _bad_frame(data, view, path, pos, last, len(payloads))
            return JournalContent(generation, payloads, pos, True)
        payloads.append(_decode(data, pos, end, path))
        pos = end
    return JournalContent(generation, payloads, pos, False)


def _read_header(data: bytes, path: str | os.PathLike[str], last: bool) -> int | None:
    """The header's generation, or ``None`` for a torn header (``last`` only); raises for anything else."""
    if data[: len(HEADER_MAGIC)] != HEADER_MAGIC:
        # The header goes out in one write when the file is created: only a crash then leaves a part of
        # it, or zeros where a file system had grown the file but not yet written it.
        cut_short = len(data) < len(HEADER_MAGIC) and HEADER_MAGIC.startswith(data)
        if cut_short or data.count(0) == len(data):
            _torn(path, 0, 0, last, "the header is cut short")
            return None
        raise DatabaseFileError(
            path,
            f"not a DictDB journal, or a damaged one: it starts with {data[:16]!r}, not {HEADER_MAGIC!r}; "
            "its commits cannot be read, so keep a copy of the folder before changing anything in it",
        )
    if len(data) < HEADER_SIZE:
        _torn(path, 0, 0, last, "the header is cut short")
        return None
    _, version, generation = _HEADER_FIELDS.unpack_from(data)
    # Checked before the checksum: a later version may lay its header out differently.
    if version > JOURNAL_VERSION:
        raise DatabaseFileError(
            path,
            f"the journal was written by a newer DictDB (journal version {version}; this DictDB reads "
            f"version {JOURNAL_VERSION}): upgrade DictDB to open this database",
        )
    (crc,) = _U32.unpack_from(data, _HEADER_FIELDS.size)
    if version < 1 or crc != zlib.crc32(data[: _HEADER_FIELDS.size]):
        raise DatabaseFileError(
            path,
            "the journal header (byte offset 0) fails its checksum: the journal is damaged; restore the "
            "database folder from a backup",
        )
    return int(generation)


def _frame_end(view: memoryview, pos: int) -> int:
    """The offset just after the frame at ``pos`` when a whole, valid frame starts there, else -1."""
    if len(view) - pos < _FRAME_HEAD_SIZE:
        return -1
    magic, size, crc = _FRAME_HEAD.unpack_from(view, pos)
    end: int = pos + _FRAME_HEAD_SIZE + size
    if magic != FRAME_MAGIC or size > MAX_PAYLOAD or end > len(view):
        return -1
    if zlib.crc32(view[pos + _FRAME_HEAD_SIZE : end], zlib.crc32(view[pos + 4 : pos + 8])) != crc:
        return -1
    return end


def _bad_frame(
    data: bytes, view: memoryview, path: str | os.PathLike[str], pos: int, last: bool, kept: int
) -> None:
    """Decide what the bad frame at ``pos`` is: returns for a torn tail, raises for damage."""
    found = data.find(FRAME_MAGIC, pos + 1)
    while found >= 0:
        if _frame_end(view, found) >= 0:
            raise DatabaseFileError(
                path,
                f"the frame at byte offset {pos} {_fault(view, pos)}, and a valid frame follows at byte "
                f"offset {found}: the journal is damaged (a crash cannot do this); nothing was loaded; "
                f"restore the database folder from a backup",
            )
        found = data.find(FRAME_MAGIC, found + 1)
    _torn(path, pos, kept, last, f"the frame at byte offset {pos} {_fault(view, pos)}")


def _fault(view: memoryview, pos: int) -> str:
    """What is wrong with the bad frame at ``pos``, for the messages."""
    if len(view) - pos < _FRAME_HEAD_SIZE:
        return "is cut short"
    magic, size, _ = _FRAME_HEAD.unpack_from(view, pos)
    if magic != FRAME_MAGIC or size > MAX_PAYLOAD:
        return "has a damaged header"
    return "is cut short" if pos + _FRAME_HEAD_SIZE + size > len(view) else "fails its checksum"


def _torn(path: str | os.PathLike[str], pos: int, kept: int, last: bool, what: str) -> None:
    """A torn tail: logged and dropped in the newest journal, damage in any other."""
    if not last:
        raise DatabaseFileError(
            path,
            f"{what} (byte offset {pos}), and this is not the newest journal, where only a crash could "
            f"leave that: the journal is damaged; restore the database folder from a backup",
        )
    _logs.warning(
        "journal {path}: {what}, a write torn by a crash; dropped it and kept the {count} frames before "
        "byte offset {offset}",
        path=os.fspath(path),
        what=what,
        count=kept,
        offset=pos,
        op="journal_torn",
        table=None,
    )


def _decode(data: bytes, pos: int, end: int, path: str | os.PathLike[str]) -> Any:
    """The payload of the checked frame ``data[pos:end]``: plain values, or ``DatabaseFileError``."""
    body = data[pos + _FRAME_HEAD_SIZE : end]
    # A checksum proves only that the frame is as written; a hostile writer computes one too. The claims
    # are checked before the unpickler, which would allocate what they say, runs.
    problem = pickle_scan.check_claims(body) or ""
    stream = io.BytesIO(body)
    unpickler = SafeUnpickler(stream)
    if not problem:
        try:
            payload = unpickler.load()
        except (
            Exception
        ) as exc:  # a payload that decodes wrong can make any allowed constructor raise anything
            problem = f"{type(exc).__name__}: {exc}"
    if not problem and stream.tell() != end - pos - _FRAME_HEAD_SIZE:
        problem = "bytes follow the pickle's end"
    if not problem and unpickler.named_legacy_class:
        problem = "it names a dctdb class"
    if problem:
        raise DatabaseFileError(
            path,
            f"the frame at byte offset {pos} passes its checksum but its payload is not plain data "
            f"({problem}): the journal is damaged or was not written by DictDB; restore the database "
            f"folder from a backup",
        )
    return payload
