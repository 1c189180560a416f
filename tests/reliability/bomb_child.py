"""Loads each allocation bomb of ``bombs()`` in this process, under a memory limit, and prints what each cost.

``python -m tests.reliability.bomb_child FOLDER`` writes each bomb under ``FOLDER``, loads it the way a user
would (``DictDB.load``, or ``DictDB.open`` for the ones hidden in a database folder), and prints one JSON
object: for each bomb, the error's message (or what else happened), the seconds the refusal took and how
much the process's peak resident memory grew. ``test_hostile.py`` runs it in a fresh process, so the peak
is this process's alone; ``RLIMIT_AS`` makes an unguarded bomb fail fast instead of swapping the machine.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import resource
import struct
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The address space this process may take: the interpreter and the package need about 100 MB.
LIMIT = 2 << 30

P4 = b"\x80\x04"


def u32(n: int) -> bytes:
    return struct.pack("<I", n)


def u64(n: int) -> bytes:
    return struct.pack("<Q", n)


def bombs() -> dict[str, bytes]:
    """Pickles whose opcodes claim memory the file does not hold; most under 20 bytes."""
    out = {
        # CPython's unpickler grows its memo array to twice a stored-into slot: 4 GB for these 9 bytes.
        "LONG_BINPUT 2**28 (9 bytes)": P4 + b"N" + b"r" + u32(2**28) + b".",
        "LONG_BINPUT 2**31": P4 + b"N" + b"r" + u32(2**31) + b".",
        "LONG_BINPUT 2**32-1": P4 + b"N" + b"r" + u32(2**32 - 1) + b".",
        "BINPUT 255": P4 + b"N" + b"q\xff" + b".",
        "PUT 2**31 (protocol 0)": b"Np2147483648\n.",
        "PUT 2**62 (protocol 0)": b"Np4611686018427387904\n.",
        "LONG_BINGET 2**31": P4 + b"N\x94" + b"j" + u32(2**31) + b".",
        "BINGET 9": P4 + b"N\x94" + b"h\x09" + b".",
        "GET 2**31 (protocol 0)": b"Np0\ng2147483648\n.",
        "a memo bomb after honest values": pickle.dumps(["a", "b"], protocol=4)[:-3]
        + b"r"
        + u32(2**31)
        + b"e.",
        # Lengths: an allocation of that size before the bytes are read.
        **{
            f"{name} of {label}": P4 + opcode + field(size) + b"abc."
            for name, opcode, field in (
                ("BINUNICODE8", b"\x8d", u64),
                ("BINBYTES8", b"\x8e", u64),
                ("BYTEARRAY8", b"\x96", u64),
                ("FRAME", b"\x95", u64),
            )
            for size, label in ((2**31, "2 GiB"), (2**62, "4 EiB"))
        },
        "BINUNICODE of 4 GiB - 1": P4 + b"X" + u32(2**32 - 1) + b"abc.",
        "BINBYTES of 4 GiB - 1": P4 + b"B" + u32(2**32 - 1) + b"abc.",
        "BINSTRING of 2 GiB - 1": b"T" + struct.pack("<i", 2**31 - 1) + b"abc.",
        "LONG4 of 2 GiB - 1": P4 + b"\x8b" + struct.pack("<i", 2**31 - 1) + b"abc.",
    }
    # A version-2 file whose header is honest and whose first chunk of records is the bomb.
    header = {
        "_meta": {"format": "dictdb", "version": 2, "library_version": "0.1.0", "saved_at": ""},
        "tables": {"t": {"primary_key": "id", "schema": None, "indexes": {}, "next_pk": 2, "records": 1}},
    }
    out["a memo bomb in a chunk of records"] = pickle.dumps(header, protocol=4) + out["LONG_BINPUT 2**31"]
    return out


def _frame(payload: bytes) -> bytes:
    """A journal frame holding ``payload`` as its pickle, with the checksum a writer would compute."""
    size = u32(len(payload))
    return b"\xd7DJF" + size + u32(zlib.crc32(payload, zlib.crc32(size))) + payload


def durable_cases(folder: Path) -> dict[str, Callable[[], Any]]:
    """A database folder whose journal ends in a checksummed frame holding a bomb, and one whose snapshot
    (renamed to the crc32 it then has) is one."""
    from dictdb import DictDB

    cases: dict[str, Callable[[], Any]] = {}
    for kind in ("journal frame", "snapshot"):
        where = folder / kind.replace(" ", "-")
        db = DictDB.open(where)
        db.create_table("t").insert({"x": 1})
        if kind == "snapshot":
            db.checkpoint()
        db.close()
        bomb = bombs()["LONG_BINPUT 2**31"]
        if kind == "journal frame":
            journal = max(where.glob("journal-*.log"))
            with open(journal, "ab") as f:
                f.write(_frame(bomb))
        else:
            snapshot = max(where.glob("snapshot-*.pickle"))
            generation = snapshot.name.split("-")[1]
            snapshot.unlink()
            (where / f"snapshot-{generation}-{zlib.crc32(bomb):08x}.pickle").write_bytes(bomb)
        cases[f"in a database folder's {kind}"] = lambda where=where: DictDB.open(where)
    return cases


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def main(folder: Path) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
    from dictdb import DictDB
    from dictdb.exceptions import DatabaseFileError

    cases: dict[str, Callable[[], Any]] = {}
    for name, data in bombs().items():
        path = folder / f"bomb-{len(cases)}.pickle"
        path.write_bytes(data)
        cases[name] = lambda path=path: DictDB.load(path, "pickle")
    cases |= durable_cases(folder)
    with open(folder / "warm-up.pickle", "wb") as f:  # the refusal's own code paths, loaded once
        f.write(bombs()["BINGET 9"])
    with contextlib.suppress(DatabaseFileError):
        DictDB.load(folder / "warm-up.pickle", "pickle")
    report: dict[str, dict[str, Any]] = {}
    for name, load in cases.items():
        before = _peak_kib()
        started = time.perf_counter()
        try:
            load()
            outcome = "loaded"
        except DatabaseFileError as exc:
            outcome = str(exc)
        except BaseException as exc:  # reported, not raised: the test names the bomb that got through
            outcome = f"{type(exc).__name__}: {exc}"
        report[name] = {
            "outcome": outcome,
            "seconds": time.perf_counter() - started,
            "growth_kib": _peak_kib() - before,
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
