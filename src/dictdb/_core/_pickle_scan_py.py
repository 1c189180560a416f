"""A pickle's claims checked before it is unpickled: the pure-Python twin of ``_pickle_scan.pyx``.

An opcode can make an unpickler allocate memory that the file does not hold. A length (of a str, bytes,
bytearray, long integer or frame) makes CPython's unpickler allocate that many bytes before it reads them;
a memo store's index (``PUT``, ``BINPUT``, ``LONG_BINPUT``) makes it grow its memo array to twice the index.
Five bytes can so ask for gigabytes. ``check_claims`` walks the opcodes of a sequence of pickles without
building any value and reports the first claim that no honest pickle makes:

- a length past the end of the data (the file is truncated, or the length is a lie);
- a memo store beyond the values stored so far in the same pickle: a pickler numbers the values it stores
  from 0, one after another, and a fresh unpickler starts each pickle with an empty memo. A memo load
  (``GET``) claims nothing: the unpickler looks the slot up and refuses one never stored.

It stops, reporting nothing, where the data stops making sense as a pickle (an unknown opcode, an argument
cut off, a text index that is not a number): the unpickler fails at that opcode too, before it acts on
anything after it. So everything the unpickler would act on has been checked.

Example:
    >>> import pickle
    >>> check_claims(pickle.dumps({"a": [1, "x", b"y"]}, protocol=4)) is None
    True
    >>> check_claims(b"\\x80\\x04N" + b"r" + (2**28).to_bytes(4, "little") + b".")
    'LONG_BINPUT at byte offset 3 stores into memo slot 268435456, where a pickle has stored 0 values so far'
    >>> check_claims(b"\\x80\\x04\\x8e" + (2**62).to_bytes(8, "little") + b"abc.")
    'BINBYTES8 at byte offset 2 claims 4611686018427387904 bytes, more than the 4 left'
"""

from __future__ import annotations

import re as _re
import sys as _sys

__all__ = ["check_claims"]

# What follows each opcode: a fixed number of bytes (0 and up), or one of these kinds.
_UNKNOWN = -1
_LINE = -2  # a text argument ending in a newline
_LINES = -3  # two of them (GLOBAL, INST)
_LEN1 = -4  # a 1-byte length, then that many bytes
_LEN4 = -5  # a 4-byte unsigned length
_LEN4_SIGNED = -6  # a 4-byte signed length (a negative one the unpickler refuses)
_LEN8 = -7  # an 8-byte length
_FRAME = -8  # an 8-byte length of the opcodes that follow, which are walked as any others
_PUT = -9  # memo stores and loads: the index in the kind's argument
_PUT1 = -10
_PUT4 = -11
_MEMOIZE = -12
_STOP = -13

_ARGUMENTS: dict[bytes, int] = {
    **dict.fromkeys((b"(", b"0", b"1", b"2", b"N", b"Q", b"R", b"a", b"b", b"d", b"}", b"e", b"l"), 0),
    **dict.fromkeys((b"]", b"o", b"s", b"t", b")", b"u", b"\x81", b"\x85", b"\x86", b"\x87"), 0),
    **dict.fromkeys((b"\x88", b"\x89", b"\x8f", b"\x90", b"\x91", b"\x92", b"\x93", b"\x97", b"\x98"), 0),
    b"K": 1,
    b"h": 1,  # BINGET, LONG_BINGET, GET: a memo load claims no memory
    b"j": 4,
    b"g": _LINE,
    b"\x80": 1,
    b"\x82": 1,
    b"M": 2,
    b"\x83": 2,
    b"J": 4,
    b"\x84": 4,
    b"G": 8,
    **dict.fromkeys((b"F", b"I", b"L", b"P", b"S", b"V"), _LINE),
    b"c": _LINES,
    b"i": _LINES,
    **dict.fromkeys((b"U", b"C", b"\x8c", b"\x8a"), _LEN1),
    b"X": _LEN4,
    b"B": _LEN4,
    b"T": _LEN4_SIGNED,
    b"\x8b": _LEN4_SIGNED,
    **dict.fromkeys((b"\x8d", b"\x8e", b"\x96"), _LEN8),
    b"\x95": _FRAME,
    b"p": _PUT,
    b"q": _PUT1,
    b"r": _PUT4,
    b"\x94": _MEMOIZE,
    b".": _STOP,
}
_KINDS = tuple(_ARGUMENTS.get(bytes([op]), _UNKNOWN) for op in range(256))

#: The names the reports give (pickletools' names).
_NAMES = {
    b"U": "SHORT_BINSTRING",
    b"C": "SHORT_BINBYTES",
    b"\x8c": "SHORT_BINUNICODE",
    b"\x8a": "LONG1",
    b"X": "BINUNICODE",
    b"B": "BINBYTES",
    b"T": "BINSTRING",
    b"\x8b": "LONG4",
    b"\x8d": "BINUNICODE8",
    b"\x8e": "BINBYTES8",
    b"\x96": "BYTEARRAY8",
    b"\x95": "FRAME",
    b"p": "PUT",
    b"q": "BINPUT",
    b"r": "LONG_BINPUT",
}
_LENGTH_SIZES = {_LEN1: 1, _LEN4: 4, _LEN4_SIGNED: 4, _LEN8: 8, _FRAME: 8}
_INDEX_SIZES = {_PUT1: 1, _PUT4: 4}


def check_claims(data: bytes) -> str | None:
    """The first claim of the pickles in ``data`` that the data cannot back, said in words; ``None`` when
    every length fits in what is left and every memo store is one the pickle could have made.

    ``TypeError`` when ``data`` is not ``bytes``.
    """
    if not isinstance(data, bytes):
        raise TypeError(f"check_claims() takes bytes, not {type(data).__name__}")
    if _plainly_honest(data):
        return None
    return _walk(data)


def _walk(data: bytes) -> str | None:
    """``check_claims``, one opcode at a time."""
    kinds = _KINDS
    end = len(data)
    pos = 0
    stored = 0  # the memo stores of the current pickle
    while pos < end:
        kind = kinds[data[pos]]
        pos += 1
        if kind >= 0:
            pos += kind
        elif kind == _MEMOIZE:
            stored += 1
        elif kind == _LEN1:
            if pos >= end:
                return None
            size = data[pos]
            pos += 1
            if size > end - pos:
                return _length_report(data, pos - 2, size, end - pos)
            pos += size
        elif kind == _STOP:
            stored = 0
        elif kind == _UNKNOWN:
            return None
        else:
            pos, stored, reason = _rare(data, pos - 1, kind, stored)
            if reason is not None:
                return reason or None
    return None


# -- the quick proof, for the pickles DictDB writes ---------------------------------------------------------
#
# ``_walk`` costs about 0.5 µs an opcode in Python, ten times what unpickling it costs. The pickles DictDB
# writes hold only opcodes that claim nothing (protocol 4 and up memoize with MEMOIZE, never a memo store
# with an index) or whose claim a regular expression checks in C: a 1-byte length, one alternative per
# length. ``_RUN`` matches a run of those from an opcode, then at most one opcode with a 4- or 8-byte length,
# whose claim Python checks. When runs and claims end exactly at the end of the data, ``_walk`` would report
# nothing, since every length fits and no memo store was made. Anything else (a memo store, a text argument,
# an unknown or cut opcode, a length past the end) goes to ``_walk``, which says what is wrong, if anything.


def _opcodes(kind: int) -> bytes:
    return bytes(op for op in range(256) if _KINDS[op] == kind)


def _one_of(opcodes: bytes) -> bytes:
    return b"[" + _re.escape(opcodes) + b"]"


def _counted(opcodes: bytes) -> bytes:
    """One of ``opcodes``, a 1-byte length, and that many bytes."""
    lengths = b"|".join(_re.escape(bytes([n])) + b".{%d}" % n for n in range(256))
    return b"%s(?:%s)" % (_one_of(opcodes), lengths)


_TOKENS = [
    _one_of(_opcodes(0) + _opcodes(_MEMOIZE) + _opcodes(_STOP)),
    _counted(b"\x8c"),  # SHORT_BINUNICODE (keys, short strings): the most frequent after the first ones
    *(_one_of(_opcodes(size)) + b".{%d}" % size for size in (1, 2, 4, 8)),
    _counted(_opcodes(_LEN1).replace(b"\x8c", b"")),
]
_LENGTH4 = b"(" + _one_of(b"XB") + b")(.{4})"
_LENGTH8 = b"(" + _one_of(_opcodes(_LEN8) + _opcodes(_FRAME)) + b")(.{8})"
_POSSESSIVE = b"+" if _sys.version_info >= (3, 11) else b""  # no backtracking, where the engine offers it
_RUN = _re.compile(b"(?:%s)*%s(?:%s|%s)?" % (b"|".join(_TOKENS), _POSSESSIVE, _LENGTH4, _LENGTH8), _re.DOTALL)


def _plainly_honest(data: bytes) -> bool:
    """True when the opcodes of ``data`` are all of ``_RUN``'s and every length fits in what is left."""
    end = len(data)
    pos = 0
    run = _RUN.match
    while pos < end:
        found = run(data, pos)  # never None: a run may be empty
        if found is None or found.end() == pos:
            return False
        after = found.end()
        opcode, length = found.group(1, 2) if found.group(1) else found.group(3, 4)
        pos = after
        if opcode is not None:
            size = int.from_bytes(length, "little")
            if size > end - after:
                return False
            if opcode != b"\x95":  # a frame's opcodes are walked as any others
                pos += size
    return True


def _rare(data: bytes, at: int, kind: int, stored: int) -> tuple[int, int, str | None]:
    """The opcode at ``at`` of one of the other kinds: where the walk goes on, the memo stores then, and
    the report (``""`` when the walk stops there without one, ``None`` when it goes on)."""
    end = len(data)
    pos = at + 1
    if kind in _LENGTH_SIZES:
        size_bytes = _LENGTH_SIZES[kind]
        if pos + size_bytes > end:
            return pos, stored, ""
        size = int.from_bytes(data[pos : pos + size_bytes], "little", signed=kind == _LEN4_SIGNED)
        pos += size_bytes
        if size < 0:
            return pos, stored, ""
        if size > end - pos:
            return pos, stored, _length_report(data, at, size, end - pos)
        return (pos if kind == _FRAME else pos + size), stored, None
    if kind in (_LINE, _LINES):
        newline = data.find(b"\n", pos)
        if kind == _LINES and newline >= 0:
            newline = data.find(b"\n", newline + 1)
        if newline < 0:
            return pos, stored, ""
        return newline + 1, stored, None
    # A memo store, but for MEMOIZE.
    if kind == _PUT:
        newline = data.find(b"\n", pos)
        if newline < 0:
            return pos, stored, ""
        try:
            index = int(data[pos:newline])
        except ValueError:
            return pos, stored, ""
        pos = newline + 1
        if index < 0:
            return pos, stored, ""
    else:
        size_bytes = _INDEX_SIZES[kind]
        if pos + size_bytes > end:
            return pos, stored, ""
        index = int.from_bytes(data[pos : pos + size_bytes], "little")
        pos += size_bytes
    if index > stored:
        return pos, stored, _memo_report(data, at, index, stored)
    return pos, stored + 1, None


def _length_report(data: bytes, at: int, size: int, left: int) -> str:
    return f"{_NAMES[data[at : at + 1]]} at byte offset {at} claims {size} bytes, more than the {left} left"


def _memo_report(data: bytes, at: int, index: int, stored: int) -> str:
    return (
        f"{_NAMES[data[at : at + 1]]} at byte offset {at} stores into memo slot {index}, where a pickle has "
        f"stored {stored} values so far"
    )
