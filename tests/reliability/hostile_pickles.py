"""A corpus of hostile pickles: each would run code (create ``sentinel``, or worse) or exhaust memory if
an unpickler did what it asks. A DictDB load must refuse each with ``DatabaseFileError`` and run nothing.
"""

from __future__ import annotations

import copyreg
import datetime as dt
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any


def meta(**overrides: Any) -> dict[str, Any]:
    return {"format": "dictdb", "version": 1, "library_version": "0.1.0", "saved_at": "", **overrides}


def in_a_record(value: Any) -> dict[str, Any]:
    """A DictDB document whose one record holds ``value`` deep inside allowed containers."""
    table = {"primary_key": "id", "schema": None, "indexes": {}, "next_pk": 2}
    return {"_meta": meta(), "tables": {"t": {**table, "records": [{"id": 1, "x": [{"y": (value,)}]}]}}}


class Reduce:
    """Pickles as a call of ``func(*args)``: what a hostile pickle does."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func = func
        self.args = args

    def __reduce__(self) -> Any:
        return self.func, self.args


def hostile_corpus(sentinel: Path) -> dict[str, bytes]:
    """Pickles that would create ``sentinel`` (or worse) if their calls ran."""
    shell = f'echo pwned > "{sentinel}"'
    code = f"open(r'{sentinel}', 'w').write('pwned')"
    corpus = {
        "os.system": pickle.dumps(Reduce(os.system, shell)),
        "os.system in a record": pickle.dumps(
            {"_meta": meta(), "tables": {"t": {"records": [{"id": 1, "x": Reduce(os.system, shell)}]}}}
        ),
        "builtins.eval": pickle.dumps(Reduce(eval, code)),
        "builtins.exec": pickle.dumps(Reduce(exec, code)),
        "builtins.open": pickle.dumps(Reduce(open, str(sentinel), "w")),
        "builtins.__import__": pickle.dumps(Reduce(__import__, "os")),
        "subprocess.Popen": pickle.dumps(Reduce(subprocess.Popen, [sys.executable, "-c", code])),
        "getattr chain": (  # getattr(datetime, "__subclasses__") and on to os._wrap_close: stopped at getattr
            b"cbuiltins\ngetattr\n(cdatetime\ndatetime\nS'__subclasses__'\ntR."
        ),
        "protocol 0 INST": b"(S'" + shell.encode() + b"'\nios\nsystem\n.",
        "protocol 1 OBJ": b"(cos\nsystem\nS'" + shell.encode() + b"'\no.",
        "persistent id": b"\x80\x02P" + b"x\n" + b".",
        "zone path traversal": pickle.dumps(
            Reduce(__import__("zoneinfo").ZoneInfo, "../../../../etc/passwd")
        ),
        "allowed class, hostile args": pickle.dumps(Reduce(dt.datetime, b"\xff" * 10, "tz")),
        # Nested: a refused global deep inside allowed containers, or as an allowed constructor's argument.
        "eval deep in a record": pickle.dumps(in_a_record(Reduce(eval, code))),
        "exec as an allowed class's argument": pickle.dumps(
            in_a_record(Reduce(dt.timedelta, Reduce(exec, code)))
        ),
        "os.system in a dctdb stand-in's state": pickle.dumps(Reduce(os.system, shell), protocol=0).replace(
            b"\n.", b"\n"
        )
        + b"(cdictdb.storage.database\nDictDB\no}S'tables'\ng3\nsb.",
        # Every protocol names its globals differently (GLOBAL, STACK_GLOBAL): each is asked of find_class.
        **{
            f"builtins.exec, protocol {protocol}": pickle.dumps(Reduce(exec, code), protocol=protocol)
            for protocol in range(pickle.HIGHEST_PROTOCOL + 1)
        },
        # Sizes no file has: an 8-byte length of 2**62 for a str and for bytes.
        "a 4 EiB string": b"\x80\x04\x8d" + struct.pack("<Q", 2**62) + b"abc.",
        "4 EiB of bytes": b"\x80\x04\x8e" + struct.pack("<Q", 2**62) + b"abc.",
    }
    try:  # an extension code registered for os.system: the unpickler still asks find_class
        copyreg.add_extension("os", "system", 0xBEEF)
        corpus["copyreg extension"] = pickle.dumps(Reduce(os.system, shell), protocol=2)
    finally:
        copyreg.remove_extension("os", "system", 0xBEEF)
    return corpus
