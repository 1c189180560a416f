"""A pickle's claims checked before it is unpickled: the compiled twin of ``_pickle_scan_py.py``.

The rules and the reports are the twin's (its docstring says why each claim is checked). Here the walk is a
C loop over the bytes, with the kind of each opcode in a C table: most opcodes cost a table load and an add,
so a 6 MB file is walked in a few milliseconds, a small part of the time its load takes.
"""

from libc.stdint cimport int32_t, uint64_t
from libc.string cimport memchr

__all__ = ["check_claims"]

# The kinds, as in the twin: a fixed argument size (0 and up), or one of these.
cdef enum:
    _UNKNOWN = -1
    _LINE = -2
    _LINES = -3
    _LEN1 = -4
    _LEN4 = -5
    _LEN4_SIGNED = -6
    _LEN8 = -7
    _FRAME = -8
    _PUT = -9
    _PUT1 = -10
    _PUT4 = -11
    _MEMOIZE = -12
    _STOP = -13

cdef int _kinds[256]


cdef void _fill_kinds():
    cdef int op
    for op in range(256):
        _kinds[op] = _UNKNOWN
    for op in b"(012NQRabd}el]ost)u\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x97\x98":
        _kinds[op] = 0
    for op in b"K\x80\x82h":  # BINGET, LONG_BINGET: a load claims no memory (an unknown slot fails there)
        _kinds[op] = 1
    for op in b"M\x83":
        _kinds[op] = 2
    for op in b"J\x84j":
        _kinds[op] = 4
    _kinds[ord("G")] = 8
    for op in b"FILPSVg":
        _kinds[op] = _LINE
    for op in b"ci":
        _kinds[op] = _LINES
    for op in b"UC\x8c\x8a":
        _kinds[op] = _LEN1
    for op in b"XB":
        _kinds[op] = _LEN4
    for op in b"T\x8b":
        _kinds[op] = _LEN4_SIGNED
    for op in b"\x8d\x8e\x96":
        _kinds[op] = _LEN8
    _kinds[0x95] = _FRAME
    _kinds[ord("p")] = _PUT
    _kinds[ord("q")] = _PUT1
    _kinds[ord("r")] = _PUT4
    _kinds[0x94] = _MEMOIZE
    _kinds[ord(".")] = _STOP


_fill_kinds()

_NAMES = {
    ord("U"): "SHORT_BINSTRING",
    ord("C"): "SHORT_BINBYTES",
    0x8C: "SHORT_BINUNICODE",
    0x8A: "LONG1",
    ord("X"): "BINUNICODE",
    ord("B"): "BINBYTES",
    ord("T"): "BINSTRING",
    0x8B: "LONG4",
    0x8D: "BINUNICODE8",
    0x8E: "BINBYTES8",
    0x96: "BYTEARRAY8",
    0x95: "FRAME",
    ord("p"): "PUT",
    ord("q"): "BINPUT",
    ord("r"): "LONG_BINPUT",
}


cdef inline uint64_t _little(const unsigned char* p, int size) noexcept:
    cdef uint64_t value = 0
    cdef int i
    for i in range(size - 1, -1, -1):
        value = (value << 8) | p[i]
    return value


def check_claims(bytes data not None):
    cdef const unsigned char* p = data
    cdef Py_ssize_t end = len(data)
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t at, stored = 0, newline
    cdef int kind, size_bytes
    cdef uint64_t size, index
    cdef const unsigned char* found
    while pos < end:
        kind = _kinds[p[pos]]
        pos += 1
        if kind >= 0:
            pos += kind
            continue
        at = pos - 1
        if kind == _MEMOIZE:
            stored += 1
        elif kind == _STOP:
            stored = 0
        elif kind == _LEN1 or kind == _LEN4 or kind == _LEN4_SIGNED or kind == _LEN8 or kind == _FRAME:
            size_bytes = 1 if kind == _LEN1 else 4 if kind == _LEN4 or kind == _LEN4_SIGNED else 8
            if size_bytes > end - pos:
                return None
            size = _little(p + pos, size_bytes)
            pos += size_bytes
            if kind == _LEN4_SIGNED and <int32_t>size < 0:
                return None
            if size > <uint64_t>(end - pos):
                return (
                    f"{_NAMES[p[at]]} at byte offset {at} claims {size} bytes, more than the {end - pos} left"
                )
            if kind != _FRAME:
                pos += <Py_ssize_t>size
        elif kind == _LINE or kind == _LINES:
            found = <const unsigned char*>memchr(p + pos, ord("\n"), end - pos)
            if found != NULL and kind == _LINES:
                newline = found - p + 1
                found = <const unsigned char*>memchr(p + newline, ord("\n"), end - newline)
            if found == NULL:
                return None
            pos = found - p + 1
        elif kind == _UNKNOWN:
            return None
        else:  # a memo store
            if kind == _PUT:
                found = <const unsigned char*>memchr(p + pos, ord("\n"), end - pos)
                if found == NULL:
                    return None
                newline = found - p
                try:
                    text_index = int(data[pos:newline])
                except ValueError:
                    return None
                pos = newline + 1
                if text_index < 0:
                    return None
                if text_index > <object>stored:  # past any Py_ssize_t: past what is stored, too
                    return _memo_report(kind, at, text_index, stored)
                index = <uint64_t>text_index
            else:
                size_bytes = 1 if kind == _PUT1 else 4
                if size_bytes > end - pos:
                    return None
                index = _little(p + pos, size_bytes)
                pos += size_bytes
            if index > <uint64_t>stored:
                return _memo_report(kind, at, index, stored)
            stored += 1
    return None


cdef str _memo_report(int kind, Py_ssize_t at, object index, Py_ssize_t stored):
    cdef int op = ord("p") if kind == _PUT else ord("q") if kind == _PUT1 else ord("r")
    return (
        f"{_NAMES[op]} at byte offset {at} stores into memo slot {index}, where a pickle has stored "
        f"{stored} values so far"
    )
