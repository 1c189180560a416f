"""One field's vector and the bitmaps over the rows: the compiled twin of ``_column_vector_py.py``.

The tags and their meaning are documented in ``_column_py.py``. Here a column is two C arrays, one tag byte
and one 8-byte payload (an int64 or a double) per slot, beside the str dictionary and a count of the live
rows per tag (the counts decide which loops the evaluation runs, so they are kept exact); a bitmap is an
array of uint64 words, read with count-trailing-zeros.
"""

from cpython.dict cimport PyDict_GetItemWithError
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from libc.math cimport isnan
from libc.string cimport memset

from ._cpython cimport PyFloat_CheckExact, PyLong_CheckExact, PyUnicode_CheckExact, lookup

import sys as _sys

__all__ = []


cdef bint has_field(dict columns, object field):
    """Whether ``field`` has a column; False for an unhashable field."""
    try:
        return field in columns
    except TypeError:
        return False


cdef class _Bitmap:
    """One bit per slot, in uint64 words; the words past the last slot stay zero."""

    def __cinit__(self, Py_ssize_t size):
        self.size = size
        self.words = <uint64_t*>PyMem_Malloc(max(size, 1) * sizeof(uint64_t))
        if self.words is NULL:
            raise MemoryError()
        memset(self.words, 0, max(size, 1) * sizeof(uint64_t))

    def __dealloc__(self):
        PyMem_Free(self.words)

    cdef Py_ssize_t count(self) noexcept:
        cdef Py_ssize_t total = 0
        cdef Py_ssize_t w
        for w in range(self.size):
            total += popcount(self.words[w])
        return total

    cdef bint empty(self) noexcept:
        cdef Py_ssize_t w
        for w in range(self.size):
            if self.words[w]:
                return False
        return True


cdef int grow(void** block, size_t size) except -1:
    """Resize the PyMem block ``*block`` to ``size`` bytes; on failure it is left as it was."""
    cdef void* grown = PyMem_Realloc(block[0], size)
    if grown is NULL:
        raise MemoryError()
    block[0] = grown
    return 0


cdef class _Column:
    """One field's vector: a tag and a payload per slot, the str dictionary, and live rows per tag."""

    def __cinit__(self, field):
        self.field = field
        self.codes = {}
        self.strings = []
        self.tags = NULL
        self.values = NULL
        self.capacity = 0
        memset(self.counts, 0, sizeof(self.counts))
        self.max_magnitude = 0

    def __dealloc__(self):
        PyMem_Free(self.tags)
        PyMem_Free(self.values)

    cdef int reserve(self, Py_ssize_t slots) except -1:
        cdef Py_ssize_t capacity = self.capacity
        if slots <= capacity:
            return 0
        capacity = max(slots, capacity * 2, 16)
        grow(<void**>&self.tags, capacity * sizeof(uint8_t))
        grow(<void**>&self.values, capacity * sizeof(Payload))
        self.capacity = capacity
        return 0

    cdef int write(self, Py_ssize_t slot, object record) except -1:
        """Encode the record's value into ``slot`` (reserved), counting its tag."""
        return self.store(slot, lookup(record, self.field))

    cdef int store(self, Py_ssize_t slot, object value) except -1:
        """Encode ``value`` into ``slot`` (reserved), counting its tag. Only a new str can fail (no memory
        for the dictionary), and it fails before the slot or the counts change."""
        cdef PyObject* found
        cdef int overflow = 0
        cdef long long number
        cdef double real
        cdef uint8_t tag = TAG_OTHER
        cdef int64_t payload = 0
        if value is None:
            tag = TAG_NULL
        elif PyLong_CheckExact(value):
            number = PyLong_AsLongLongAndOverflow(value, &overflow)
            if not overflow:
                tag = TAG_INT
                payload = number
                self.max_magnitude = max(self.max_magnitude, magnitude_of(payload))
        elif value is True or value is False:
            tag = TAG_BOOL
            payload = value is True
        elif PyFloat_CheckExact(value):
            real = PyFloat_AS_DOUBLE(value)
            if not isnan(real):
                tag = TAG_FLOAT
                self.values[slot].d = real
        elif PyUnicode_CheckExact(value):
            tag = TAG_STR
            found = PyDict_GetItemWithError(self.codes, value)
            if found is NULL:
                payload = len(self.strings)
                self.codes[value] = payload
                self.strings.append(value)
            else:
                payload = <object>found
        if tag != TAG_FLOAT:
            self.values[slot].i = payload
        self.tags[slot] = tag
        self.counts[tag] += 1
        return 0

    cdef void clear(self, Py_ssize_t slot) noexcept:
        self.counts[self.tags[slot]] -= 1
        self.tags[slot] = TAG_NULL
        self.values[slot].i = 0

    cdef object value(self, Py_ssize_t slot):
        """The value a slot holds (an OTHER slot holds none: never asked)."""
        cdef uint8_t tag = self.tags[slot]
        if tag == TAG_INT:
            return self.values[slot].i
        if tag == TAG_FLOAT:
            return self.values[slot].d
        if tag == TAG_STR:
            return self.strings[self.values[slot].i]
        if tag == TAG_BOOL:
            return self.values[slot].i != 0
        return None

    cdef int keep(self, const Py_ssize_t* slots, Py_ssize_t count) except -1:
        """Keep only ``slots`` (ascending), moved to the front; the dictionary keeps only the strings they
        use, recoded in order of first use."""
        cdef Py_ssize_t i
        cdef Py_ssize_t slot
        cdef Py_ssize_t old
        cdef list strings = self.strings
        cdef list kept = []
        cdef dict codes = {}
        cdef Py_ssize_t* recode = <Py_ssize_t*>PyMem_Malloc(max(len(strings), 1) * sizeof(Py_ssize_t))
        if recode is NULL:
            raise MemoryError()
        for i in range(len(strings)):
            recode[i] = -1
        try:
            for i in range(count):
                slot = slots[i]
                self.tags[i] = self.tags[slot]
                self.values[i] = self.values[slot]
                if self.tags[i] == TAG_STR:
                    old = self.values[i].i
                    if recode[old] < 0:
                        recode[old] = len(kept)
                        codes[strings[old]] = len(kept)
                        kept.append(strings[old])
                    self.values[i].i = recode[old]
        finally:
            PyMem_Free(recode)
        self.strings = kept
        self.codes = codes
        return 0

    cdef Py_ssize_t memory_bytes(self):
        cdef Py_ssize_t size = self.capacity * (sizeof(uint8_t) + sizeof(Payload))
        size += _sys.getsizeof(self.codes) + _sys.getsizeof(self.strings)
        return size + sum([_sys.getsizeof(text) for text in self.strings])

    cdef bint only(self, Py_ssize_t rows, int first, int second) noexcept:
        """True when every live row holds tag ``first`` or ``second``."""
        return self.counts[first] + (self.counts[second] if second != first else 0) == rows

    cdef bint holds(self, _Bitmap selected, int tag) noexcept:
        """True when one of the ``selected`` slots holds ``tag``."""
        cdef Py_ssize_t w
        cdef uint64_t word
        if self.counts[tag] == 0:
            return False
        for w in range(selected.size):
            word = selected.words[w]
            while word:
                if self.tags[(w << 6) + ctz(word)] == tag:
                    return True
                word &= word - 1
        return False
