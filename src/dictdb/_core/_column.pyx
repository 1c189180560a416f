"""Column vectors of a table (a column index): the compiled twin of ``_column_py.py``.

The rules (tags, three-valued evaluation, tombstones) are documented in ``_column_py.py``. Here a column
is two C arrays, one tag byte and one 8-byte payload (an int64 or a double) per slot, and bitmaps are
arrays of uint64 words combined word by word and read with count-trailing-zeros.

A clause costs one pass over its column's payloads, with no Python object touched:

- str rows look their code up in a truth table built once per query (one Python test per distinct str),
  so any str comparison costs O(distinct) plus one byte read per row;
- an ordering on int rows is one unsigned compare against an exact int64 interval (a float bound is
  rounded to the ints it admits, exactly, never through a lossy conversion);
- int64 against double is compared exactly (``_compare_int_double``), as Python compares int and float;
  float rows test a closed double interval when the bounds are doubles that compare exactly;
- a column whose live rows all hold one kind of tag (ints, floats or str) reads whole 64-row words
  without the per-row tag switch, with four independent accumulators per word.

Clauses after the first in an AND are evaluated only on the rows where the AND can still be True or
Unsure (``care``): a word with none is skipped, and a word with a few is read row by row following its
bits, so a selective first clause makes the next ones cheap.

Aggregates (``_Aggregation``) make one pass over the selected rows: a group is found by str code, by int
value in an array (ints of a narrow range) or in a dict of Python numbers (where 1, 1.0 and True meet),
and each accumulator keeps a count, an int64 or double total, and the slot of its min or max.
"""

cimport cython
from cpython.dict cimport PyDict_GetItemWithError, PyDict_SetItem
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.list cimport PyList_New
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from libc.math cimport INFINITY, ceil, fabs, floor, isnan, nextafter
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.string cimport memcpy, memset

from ._cpython cimport (
    PyFloat_CheckExact, PyList_GET_ITEM, PyLong_CheckExact, PyUnicode_CheckExact, incref, list_set,
    lookup,
)

import sys as _sys

from . import _aggregate as _aggregate_mod

__all__ = ["COMPACT_FRACTION", "COMPACT_MIN", "ColumnStore"]

COMPACT_FRACTION = 0.25
COMPACT_MIN = 1024

# Tags, one per row and column (the same values as the twin's).
cdef enum:
    _NULL = 0
    _INT = 1
    _BOOL = 2
    _FLOAT = 3
    _STR = 4
    _OTHER = 5
    _TAGS = 6

# How a bound of an ordering reads on number rows.
cdef enum:
    _NO_BOUND = 0   # no bound on this side
    _INT_BOUND = 1
    _FLOAT_BOUND = 2
    _NEVER = 3      # None, NaN or a str: no number row matches

# 2**63 as a double: doubles in [-2**63, 2**63) convert to int64 exactly (after truncation).
cdef double _TWO_63 = 9223372036854775808.0
cdef int64_t _INT64_MIN = -9223372036854775807 - 1
cdef int64_t _INT64_MAX = 9223372036854775807

# The pk of a tombstone slot.
cdef object _DEAD = object()

# The plan leaves a column evaluates.
_ORDERINGS = ("lt", "le", "gt", "ge")
_COMPARISONS = ("eq", "ne", *_ORDERINGS)
_NULL_TESTS = ("is_null", "is_not_null")


ctypedef union _Payload:
    int64_t i
    double d


cdef extern from *:
    """
    static inline int dictdb_ctz64(unsigned long long x) { return __builtin_ctzll(x); }
    static inline int dictdb_popcount64(unsigned long long x) { return __builtin_popcountll(x); }
    """
    int _ctz "dictdb_ctz64"(uint64_t x) noexcept nogil
    int _popcount "dictdb_popcount64"(uint64_t x) noexcept nogil


cdef inline Py_ssize_t _words(Py_ssize_t slots) noexcept nogil:
    return (slots + 63) >> 6


cdef inline int _compare_int_double(int64_t value, double other) noexcept nogil:
    """-1, 0 or 1 as ``value`` is below, equal to or above ``other`` (not NaN), exactly."""
    cdef int64_t whole
    cdef double fraction
    if other >= _TWO_63:
        return -1
    if other < -_TWO_63:
        return 1
    whole = <int64_t>other  # truncation: exact in this range
    if value < whole:
        return -1
    if value > whole:
        return 1
    fraction = other - <double>whole
    if fraction > 0:
        return -1
    if fraction < 0:
        return 1
    return 0


cdef inline uint64_t _magnitude(int64_t value) noexcept nogil:
    return <uint64_t>value if value >= 0 else <uint64_t>0 - <uint64_t>value


cdef inline bint _integral(double value) noexcept nogil:
    """True for a double that equals an int64 (then ``<int64_t>value`` is that int)."""
    return -_TWO_63 <= value < _TWO_63 and floor(value) == value


@cython.final
cdef class _Bitmap:
    """One bit per slot, in uint64 words; the words past the last slot stay zero."""

    cdef uint64_t* words
    cdef Py_ssize_t size

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
            total += _popcount(self.words[w])
        return total

    cdef bint empty(self) noexcept:
        cdef Py_ssize_t w
        for w in range(self.size):
            if self.words[w]:
                return False
        return True


cdef struct _Test:
    # What one leaf does on number rows. An ordering (RANGE) is two bounds; on int rows they become the
    # closed int64 interval [low, high] (or never). Equality and membership (MEMBER) look the value up in
    # sorted int64 and double operand arrays, the answer flipped by ``negate`` (for ``ne``); an equality
    # with one int is the interval [x, x] too. When the bounds are doubles that compare exactly, float
    # rows test the closed interval [float_low, float_high].
    bint member
    bint negate
    bint numbers_never
    bint interval
    int64_t low
    int64_t high
    bint float_interval
    double float_low
    double float_high
    int low_kind
    int high_kind
    bint low_strict
    bint high_strict
    int64_t low_int
    int64_t high_int
    double low_float
    double high_float
    int64_t* ints
    Py_ssize_t int_count
    double* floats
    Py_ssize_t float_count
    # The other tags: NULL rows' answer, str rows' table (per code), and whether OTHER rows are decided.
    bint null_hit
    uint8_t* strings
    bint other_decided
    bint other_hit


@cython.final
cdef int _grow(void** block, size_t size) except -1:
    """Resize the PyMem block ``*block`` to ``size`` bytes; on failure it is left as it was."""
    cdef void* grown = PyMem_Realloc(block[0], size)
    if grown is NULL:
        raise MemoryError()
    block[0] = grown
    return 0


cdef class _Column:
    """One field's vector: a tag and a payload per slot, the str dictionary, and live rows per tag."""

    cdef object field
    cdef uint8_t* tags
    cdef _Payload* values
    cdef Py_ssize_t capacity
    cdef dict codes
    cdef list strings
    cdef Py_ssize_t counts[_TAGS]
    # The largest magnitude of an int ever written: a bound that lets most sums skip their overflow pass.
    cdef uint64_t max_magnitude

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
        _grow(<void**>&self.tags, capacity * sizeof(uint8_t))
        _grow(<void**>&self.values, capacity * sizeof(_Payload))
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
        cdef uint8_t tag = _OTHER
        cdef int64_t payload = 0
        if value is None:
            tag = _NULL
        elif PyLong_CheckExact(value):
            number = PyLong_AsLongLongAndOverflow(value, &overflow)
            if not overflow:
                tag = _INT
                payload = number
                self.max_magnitude = max(self.max_magnitude, _magnitude(payload))
        elif value is True or value is False:
            tag = _BOOL
            payload = value is True
        elif PyFloat_CheckExact(value):
            real = PyFloat_AS_DOUBLE(value)
            if not isnan(real):
                tag = _FLOAT
                self.values[slot].d = real
        elif PyUnicode_CheckExact(value):
            tag = _STR
            found = PyDict_GetItemWithError(self.codes, value)
            if found is NULL:
                payload = len(self.strings)
                self.codes[value] = payload
                self.strings.append(value)
            else:
                payload = <object>found
        if tag != _FLOAT:
            self.values[slot].i = payload
        self.tags[slot] = tag
        self.counts[tag] += 1
        return 0

    cdef void clear(self, Py_ssize_t slot) noexcept:
        self.counts[self.tags[slot]] -= 1
        self.tags[slot] = _NULL
        self.values[slot].i = 0

    cdef object value(self, Py_ssize_t slot):
        """The value a slot holds (an OTHER slot holds none: never asked)."""
        cdef uint8_t tag = self.tags[slot]
        if tag == _INT:
            return self.values[slot].i
        if tag == _FLOAT:
            return self.values[slot].d
        if tag == _STR:
            return self.strings[self.values[slot].i]
        if tag == _BOOL:
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
                if self.tags[i] == _STR:
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
        cdef Py_ssize_t size = self.capacity * (sizeof(uint8_t) + sizeof(_Payload))
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
                if self.tags[(w << 6) + _ctz(word)] == tag:
                    return True
                word &= word - 1
        return False


cdef class ColumnStore:
    """Column vectors over a table's rows: build with ``add_field``, keep in step with the table's writes,
    and ask ``match``, ``count`` or ``aggregate``.

    >>> store = ColumnStore()
    >>> store.add_field("age", {1: {"age": 30}, 2: {"age": 51}, 3: {}})
    >>> store.match(("gt", "age", 40))
    ([2], True)
    """

    cdef dict _columns    # field -> _Column
    cdef tuple _order     # the columns in field order: what writes loop over
    cdef list _pks        # slot -> pk (_DEAD for a tombstone)
    cdef dict _rows       # pk -> slot
    cdef uint64_t* _live  # bitmap of the live slots
    cdef Py_ssize_t _live_capacity  # words

    def __cinit__(self):
        self._columns = {}
        self._order = ()
        self._pks = []
        self._rows = {}
        self._live = NULL
        self._live_capacity = 0

    def __dealloc__(self):
        PyMem_Free(self._live)

    @property
    def fields(self):
        return tuple(self._columns)

    @property
    def rows(self):
        return len(self._rows)

    @property
    def slots(self):
        return len(self._pks)

    def __len__(self):
        return len(self._rows)

    def __contains__(self, pk):
        try:
            return pk in self._rows
        except TypeError:
            return False

    cdef bint _has(self, object field):
        try:
            return field in self._columns
        except TypeError:
            return False

    cdef int _reserve(self, Py_ssize_t slots) except -1:
        """Room for ``slots`` in the live bitmap, and as many in every column (columns always hold at
        least the bitmap's capacity, so that an append checks one number)."""
        cdef Py_ssize_t words = _words(slots)
        cdef Py_ssize_t capacity
        cdef _Column column
        if words <= self._live_capacity:
            return 0
        capacity = max(words, self._live_capacity * 2, 4)
        _grow(<void**>&self._live, capacity * sizeof(uint64_t))
        memset(self._live + self._live_capacity, 0, (capacity - self._live_capacity) * sizeof(uint64_t))
        self._live_capacity = capacity
        for column in self._columns.values():
            column.reserve(capacity << 6)
        return 0

    # -- building -----------------------------------------------------------------------------------------

    def add_field(self, field, records):
        """Add a column for ``field`` (see the contract in ``_column_py.py``)."""
        cdef _Column column
        cdef Py_ssize_t slot
        cdef object pk
        if self._has(field):
            raise ValueError(f"field {field!r} already has a column")
        column = _Column(field)
        if not self._columns:
            pks = list(records.keys())
            column.reserve(max(_words(len(pks)), 4) << 6)  # what _reset gives the bitmap: no regrowth
            slot = 0
            for record in records.values():
                column.write(slot, record)
                slot += 1
            self._reset(pks)
        else:
            # Read every record first: a missing one raises before anything changes.
            column.reserve(self._live_capacity << 6)
            for slot in range(len(self._pks)):
                pk = self._pks[slot]
                if pk is _DEAD:
                    column.tags[slot] = _NULL
                    column.values[slot].i = 0
                else:
                    column.write(slot, records[pk])
        column.reserve(self._live_capacity << 6)
        self._columns[field] = column
        self._order = tuple(self._columns.values())

    def drop_field(self, field):
        """Drop a column (KeyError if absent). With no field left the store keeps no rows."""
        if not self._has(field):
            raise KeyError(field)
        del self._columns[field]
        self._order = tuple(self._columns.values())
        if not self._columns:
            self._reset([])

    def load(self, records):
        """Rebuild every column (same fields) from ``records`` in iteration order."""
        cdef list fields = list(self._columns)
        self._columns = {}
        self._order = ()
        self._reset([])
        for field in fields:
            self.add_field(field, records)

    cdef Py_ssize_t* _live_slots(self) except NULL:
        """The slots of the live rows, in order, in a new array (one per row) the caller frees."""
        cdef Py_ssize_t* slots = <Py_ssize_t*>PyMem_Malloc(max(len(self._rows), 1) * sizeof(Py_ssize_t))
        cdef Py_ssize_t i = 0
        cdef Py_ssize_t slot
        if slots is NULL:
            raise MemoryError()
        for slot in range(len(self._pks)):
            if self._pks[slot] is not _DEAD:
                slots[i] = slot
                i += 1
        return slots

    cdef int _reset(self, list pks) except -1:
        cdef Py_ssize_t slots = len(pks)
        cdef Py_ssize_t w
        self._pks = pks
        self._rows = {pk: slot for slot, pk in enumerate(pks)}
        self._reserve(slots)
        memset(self._live, 0, self._live_capacity * sizeof(uint64_t))
        for w in range(slots >> 6):
            self._live[w] = ~(<uint64_t>0)
        if slots & 63:
            self._live[slots >> 6] = ((<uint64_t>1) << (slots & 63)) - 1
        return 0

    # -- writes -------------------------------------------------------------------------------------------

    def append(self, pk, record):
        """Give ``pk`` a new last row read from ``record`` (ValueError if ``pk`` already has one)."""
        if pk in self._rows:
            raise ValueError(f"primary key {pk!r} already has a row")
        self._append(pk, record)

    cdef int _append(self, object pk, object record) except -1:
        cdef Py_ssize_t slot = len(self._pks)
        cdef _Column column
        cdef list values
        cdef Py_ssize_t done = 0
        if not self._columns:
            return 0
        if slot >= self._live_capacity << 6:
            self._reserve(slot + 1)
        # Every value is read before any is stored: a record whose lookup raises changes nothing.
        values = [lookup(record, column.field) for column in self._order]
        try:
            for column in self._order:
                column.store(slot, values[done])
                done += 1
        except BaseException:
            # Uncount what was stored: the counts decide which loops run, so they must stay exact.
            for column in self._order[:done]:
                column.counts[column.tags[slot]] -= 1
            raise
        self._pks.append(pk)
        self._rows[pk] = slot
        self._live[slot >> 6] |= (<uint64_t>1) << (slot & 63)
        return 0

    def append_many(self, pks, records):
        """``append`` for each pk and record, all checked before any is added."""
        if len(pks) != len(records):
            raise ValueError(f"append_many got {len(pks)} pks but {len(records)} records")
        cdef set seen = set()
        for pk in pks:
            if pk in self._rows or pk in seen:
                raise ValueError(f"primary key {pk!r} already has a row")
            seen.add(pk)
        self._reserve(len(self._pks) + len(pks))
        for pk, record in zip(pks, records):
            self._append(pk, record)

    def remove(self, pk):
        """Tombstone ``pk``'s row (KeyError if it has none)."""
        self.remove_many((pk,))

    def remove_many(self, pks):
        """``remove`` for each pk, all checked before any is removed."""
        cdef list slots = []
        cdef set seen = set()
        cdef Py_ssize_t slot
        cdef _Column column
        for pk in pks:
            found = self._rows.get(pk)
            if found is None or found in seen:  # checked first: a bad pk changes nothing
                raise KeyError(pk)
            seen.add(found)
            slots.append(found)
        for pk, found in zip(pks, slots):
            slot = found
            del self._rows[pk]
            self._pks[slot] = _DEAD
            self._live[slot >> 6] &= ~((<uint64_t>1) << (slot & 63))
            for column in self._columns.values():
                column.clear(slot)
        dead = len(self._pks) - len(self._rows)
        if len(self._pks) >= COMPACT_MIN and dead > COMPACT_FRACTION * len(self._pks):
            self.compact()

    def replace(self, pk, record):
        """Re-read every column's value of ``pk``'s row from ``record``."""
        cdef Py_ssize_t slot = self._rows[pk]
        cdef _Column column
        cdef list values = [lookup(record, column.field) for column in self._order]
        cdef Py_ssize_t i = 0
        for column in self._order:
            column.clear(slot)
            column.store(slot, values[i])
            i += 1

    def compact(self):
        """Drop the tombstones now, keeping the rows' order."""
        cdef Py_ssize_t count = len(self._rows)
        cdef Py_ssize_t* slots = self._live_slots()
        cdef Py_ssize_t i
        cdef _Column column
        try:
            for column in self._columns.values():
                column.keep(slots, count)
            self._reset([self._pks[slots[i]] for i in range(count)])
        finally:
            PyMem_Free(slots)

    # -- reads --------------------------------------------------------------------------------------------

    def supports(self, plan):
        """True when ``match`` can evaluate ``plan`` (see the contract in ``_column_py.py``)."""
        if not isinstance(plan, tuple) or not plan:
            return False
        kind = plan[0]
        size = len(plan)
        if kind in _COMPARISONS and size == 3:
            return self._has(plan[1]) and _simple(plan[2])
        if kind == "between" and size == 4:
            return self._has(plan[1]) and _simple(plan[2]) and _simple(plan[3])
        if kind == "in" and size == 3:
            values = plan[2]
            return self._has(plan[1]) and isinstance(values, tuple) and all([_simple(v) for v in values])
        if kind in _NULL_TESTS and size == 2:
            return self._has(plan[1])
        if kind in ("and", "or") and size == 2:
            children = plan[1]
            return (
                isinstance(children, tuple)
                and len(children) > 0
                and all([self.supports(child) for child in children])
            )
        if kind == "not" and size == 2:
            return self.supports(plan[1])
        return kind == "true" and size == 1

    cdef int _check(self, object plan) except -1:
        if not self.supports(plan):
            raise ValueError(f"the column vectors cannot evaluate plan {plan!r}; check supports() first")
        return 0

    def match(self, plan):
        """``(pks, exact)``: the pks of the rows where ``plan`` is True or Unsure, in row order."""
        self._check(plan)
        cdef Py_ssize_t words = _words(len(self._pks))
        cdef _Bitmap true = _Bitmap(words)
        cdef _Bitmap unsure = _Bitmap(words)
        cdef Py_ssize_t w
        self._evaluate(plan, true, unsure, NULL)
        exact = unsure.empty()
        if not exact:
            for w in range(words):
                true.words[w] |= unsure.words[w]
        return self._pks_of(true), exact

    def count(self, plan):
        """How many rows match ``plan``, or None when some row is Unsure."""
        self._check(plan)
        cdef Py_ssize_t words = _words(len(self._pks))
        cdef _Bitmap true = _Bitmap(words)
        cdef _Bitmap unsure = _Bitmap(words)
        self._evaluate(plan, true, unsure, NULL)
        return true.count() if unsure.empty() else None

    cdef list _pks_of(self, _Bitmap rows):
        cdef list out = PyList_New(rows.count())
        cdef list pks = self._pks
        cdef PyObject* pk
        cdef Py_ssize_t position = 0
        cdef Py_ssize_t w
        cdef uint64_t word
        for w in range(rows.size):
            word = rows.words[w]
            while word:
                pk = PyList_GET_ITEM(pks, (w << 6) + _ctz(word))
                incref(pk)
                list_set(out, position, pk)
                position += 1
                word &= word - 1
        return out

    cdef int _evaluate(self, tuple plan, _Bitmap true, _Bitmap unsure, const uint64_t* care) except -1:
        """Fill ``true`` and ``unsure`` with the live rows where ``plan`` is True and Unsure; with ``care``,
        only in the words where ``care`` has a bit (the others are left zero)."""
        cdef Py_ssize_t words = true.size
        cdef Py_ssize_t w
        cdef uint64_t live
        cdef uint64_t decided
        cdef bint both
        cdef _Bitmap child_true
        cdef _Bitmap child_unsure
        cdef _Bitmap false
        kind = plan[0]
        if kind == "and" or kind == "or":
            both = kind == "and"
            child_true = _Bitmap(words)
            child_unsure = _Bitmap(words)
            false = _Bitmap(words)
            for w in range(words):
                live = self._live[w] if care is NULL else self._live[w] & care[w]
                if both:
                    true.words[w] = live
                    unsure.words[w] = live
                else:
                    true.words[w] = 0  # the buffer may hold a sibling's result
                    false.words[w] = live
            for child in plan[1]:
                # In an AND, a word where nothing can still be True or Unsure needs no more reading.
                self._evaluate(child, child_true, child_unsure, unsure.words if both else care)
                for w in range(words):
                    live = self._live[w] if care is NULL else self._live[w] & care[w]
                    decided = live & ~(child_true.words[w] | child_unsure.words[w])
                    if both:
                        true.words[w] &= child_true.words[w]
                        false.words[w] |= decided
                    else:
                        true.words[w] |= child_true.words[w]
                        false.words[w] &= decided
                    # The AND's rows still open (True or Unsure so far) steer its next child.
                    unsure.words[w] = live & ~false.words[w]
            for w in range(words):
                live = self._live[w] if care is NULL else self._live[w] & care[w]
                unsure.words[w] = live & ~(true.words[w] | false.words[w])
            return 0
        if kind == "not":
            self._evaluate(plan[1], true, unsure, care)
            for w in range(words):
                live = self._live[w] if care is NULL else self._live[w] & care[w]
                true.words[w] = live & ~(true.words[w] | unsure.words[w])
            return 0
        if kind == "true":
            for w in range(words):
                true.words[w] = self._live[w] if care is NULL else self._live[w] & care[w]
                unsure.words[w] = 0
            return 0
        self._leaf(<_Column>self._columns[plan[1]], plan, true, unsure, care)
        return 0

    cdef int _leaf(
        self, _Column column, tuple plan, _Bitmap true, _Bitmap unsure, const uint64_t* care
    ) except -1:
        cdef _Test test
        memset(&test, 0, sizeof(_Test))
        try:
            _prepare(&test, column, plan)
            _scan(&test, column, len(self._rows), len(self._pks), self._live, true, unsure, care)
        finally:
            PyMem_Free(test.ints)
            PyMem_Free(test.floats)
            PyMem_Free(test.strings)
        return 0

    def aggregate(self, plan, group_by, specs):
        """``_aggregate.aggregate`` over the rows ``plan`` matches, from the vectors, or None when they
        cannot give the identical answer (see ``_column_py.py``)."""
        cdef Py_ssize_t words = _words(len(self._pks))
        cdef _Bitmap selected = _Bitmap(words)
        cdef _Bitmap unsure
        if plan is None:
            memcpy(selected.words, self._live, words * sizeof(uint64_t))
        else:
            if not self.supports(plan):
                return None
            unsure = _Bitmap(words)
            self._evaluate(plan, selected, unsure, NULL)
            if not unsure.empty():
                return None
        group_by = tuple(group_by)
        specs = [(name, kind, field) for name, kind, field in specs]
        if not self._readable(selected, group_by, specs):
            return None
        return _Aggregation(self, selected, group_by, specs).rows()

    cdef bint _readable(self, _Bitmap selected, tuple group_by, list specs) except -1:
        """False when the vectors cannot give ``_aggregate``'s answer (the twin's ``_reads`` lists why)."""
        cdef _Column column
        if len(group_by) > 1 or not all([self._has(field) for field in group_by]):
            return False
        for field in group_by:
            if (<_Column>self._columns[field]).holds(selected, _OTHER):
                return False
        for _, kind, field in specs:
            if kind not in _aggregate_mod.KINDS:
                return False
            if kind == "count_rows":
                continue
            if not self._has(field):
                return False
            column = self._columns[field]
            if kind == "count":
                continue
            if column.holds(selected, _OTHER):
                return False
            if kind == "sum" or kind == "avg":
                if column.holds(selected, _STR) or _magnitude_exceeds(column, selected):
                    return False
            elif column.holds(selected, _STR) and (
                column.holds(selected, _INT)
                or column.holds(selected, _BOOL)
                or column.holds(selected, _FLOAT)
            ):
                return False
        return True

    def memory_bytes(self, field):
        """Bytes the column of ``field`` holds, plus its share of the row map."""
        if not self._has(field):
            raise KeyError(field)
        shared = _sys.getsizeof(self._pks) + _sys.getsizeof(self._rows) + self._live_capacity * 8
        return (<_Column>self._columns[field]).memory_bytes() + shared // len(self._columns)

    def __reduce__(self):
        cdef _Column column
        cdef _Column kept
        cdef Py_ssize_t count = len(self._rows)
        cdef list pks = [pk for pk in self._pks if pk is not _DEAD]
        cdef list columns = []
        cdef Py_ssize_t* slots = self._live_slots()
        try:
            for column in self._columns.values():
                # A compacted copy, so that the state holds live rows only and this store is untouched.
                kept = _Column(column.field)
                kept.reserve(max(len(self._pks), 1))
                memcpy(kept.tags, column.tags, len(self._pks) * sizeof(uint8_t))
                memcpy(kept.values, column.values, len(self._pks) * sizeof(_Payload))
                kept.strings = column.strings
                kept.keep(slots, count)
                columns.append((
                    kept.field,
                    (<char*>kept.tags)[:count],
                    (<char*>kept.values)[:count * sizeof(_Payload)],
                    kept.strings,
                ))
        finally:
            PyMem_Free(slots)
        return _restore, (pks, columns)


def _restore(pks, columns):
    """The store ``ColumnStore.__reduce__`` describes (pickle, copy, deepcopy)."""
    cdef ColumnStore store = ColumnStore()
    cdef _Column column
    cdef Py_ssize_t count = len(pks)
    cdef Py_ssize_t slot
    for field, tag_bytes, value_bytes, strings in columns:
        if len(tag_bytes) != count or len(value_bytes) != count * sizeof(_Payload):
            raise ValueError("a column store's state does not match its rows")
        column = _Column(field)
        column.reserve(max(count, 1))
        memcpy(column.tags, <const char*>tag_bytes, count * sizeof(uint8_t))
        memcpy(column.values, <const char*>value_bytes, count * sizeof(_Payload))
        for slot in range(count):
            if column.tags[slot] >= _TAGS:
                raise ValueError("a column store's state holds an unknown tag")
            if column.tags[slot] == _STR and not 0 <= column.values[slot].i < len(strings):
                raise ValueError("a column store's state holds an unknown str code")
            if column.tags[slot] == _INT:
                column.max_magnitude = max(column.max_magnitude, _magnitude(column.values[slot].i))
            column.counts[column.tags[slot]] += 1
        column.strings = list(strings)
        column.codes = {text: code for code, text in enumerate(column.strings)}
        store._columns[field] = column
        store._order = tuple(store._columns.values())
    if columns:
        store._reset(list(pks))
    return store


def _simple(value):
    """True for an operand the vectors can compare with: None, bool, int within int64, float or str."""
    kind = type(value)
    if kind is int:
        return -(2**63) <= value <= 2**63 - 1
    return value is None or kind is bool or kind is float or kind is str


def _value_test(tuple plan):
    """The leaf's test on one value (None, int, bool, float or str): the predicate core's meaning. Used
    once per distinct str and for None; numbers are tested in C."""
    kind = plan[0]
    if kind == "eq":
        return lambda value: bool(value == plan[2])
    if kind == "ne":
        return lambda value: bool(value != plan[2])
    if kind in _ORDERINGS:
        return _ordering(kind, plan[2])
    if kind == "between":
        low, high = _ordering("ge", plan[2]), _ordering("le", plan[3])
        return lambda value: low(value) and high(value)
    if kind == "in":
        values = frozenset(plan[2])
        return lambda value: value in values
    if kind == "is_null":
        return lambda value: value is None
    return lambda value: value is not None


def _string_truths(tuple plan, list strings, dict codes):
    """The leaf's answer per str code, as bytes of 0 and 1: ``_value_test`` on each str, computed without a
    Python call per str. Equality looks its str operands up in the dictionary (O(operands), however many
    distinct str the column holds); an ordering compares each str with its str bounds, and a bound that is
    not a str (a number, None, NaN) orders against no str."""
    kind = plan[0]
    cdef bytearray truths
    cdef object code
    if kind == "eq" or kind == "ne" or kind == "in":
        truths = bytearray(len(strings))
        for operand in (plan[2] if kind == "in" else (plan[2],)):
            if type(operand) is str:
                code = codes.get(operand)
                if code is not None:
                    truths[code] = 1
        return bytes(truths.translate(_FLIP) if kind == "ne" else truths)
    if kind == "is_null":
        return bytes(len(strings))
    if kind == "is_not_null":
        return b"\x01" * len(strings)
    if not all([type(bound) is str for bound in plan[2:]]):
        return bytes(len(strings))
    bound = plan[2]
    if kind == "gt":
        return bytes([text > bound for text in strings])
    if kind == "ge":
        return bytes([text >= bound for text in strings])
    if kind == "lt":
        return bytes([text < bound for text in strings])
    if kind == "le":
        return bytes([text <= bound for text in strings])
    high = plan[3]
    return bytes([bound <= text <= high for text in strings])


# Swaps the bytes 0 and 1 (the answers of ``eq`` into those of ``ne``).
_FLIP = bytes([1, 0]) + bytes(range(2, 256))


def _ordering(kind, operand):
    def test(value):
        if value is None or operand is None:
            return False
        try:
            if kind == "lt":
                return bool(value < operand)
            if kind == "le":
                return bool(value <= operand)
            if kind == "gt":
                return bool(value > operand)
            return bool(value >= operand)
        except TypeError:  # str against a number: never a match
            return False

    return test


# -- one leaf on number rows -------------------------------------------------------------------------------


cdef int _prepare(_Test* test, _Column column, tuple plan) except -1:
    """Fill ``test`` for ``plan``: the NULL answer from the Python test, the str table per code, the
    number part from the operands."""
    cdef Py_ssize_t distinct = len(column.strings)
    cdef bytes truths = _string_truths(plan, column.strings, column.codes)
    kind = plan[0]
    test.null_hit = _value_test(plan)(None)
    test.strings = <uint8_t*>PyMem_Malloc(max(distinct, 1))
    if test.strings is NULL:
        raise MemoryError()
    memcpy(test.strings, <const char*>truths, distinct)
    # OTHER values are not None: a null test decides them; any other leaf needs the record.
    test.other_decided = kind in _NULL_TESTS
    test.other_hit = kind == "is_not_null"
    if kind in _ORDERINGS or kind == "between":
        test.member = False
        if kind == "between":
            _bound(&test.low_kind, &test.low_int, &test.low_float, plan[2])
            _bound(&test.high_kind, &test.high_int, &test.high_float, plan[3])
        elif kind == "gt" or kind == "ge":
            _bound(&test.low_kind, &test.low_int, &test.low_float, plan[2])
            test.low_strict = kind == "gt"
        else:
            _bound(&test.high_kind, &test.high_int, &test.high_float, plan[2])
            test.high_strict = kind == "lt"
        _int_interval(test)
        _float_interval(test)
    else:
        test.member = True
        test.negate = kind == "ne" or kind == "is_not_null"
        if kind == "in":
            _operands(test, plan[2])
        elif kind == "eq" or kind == "ne":
            _operands(test, (plan[2],))
        if test.int_count == 1 and test.float_count == 0:
            test.interval = True
            test.low = test.high = test.ints[0]
    return 0


cdef int _bound(int* kind, int64_t* as_int, double* as_float, object operand) except -1:
    cdef double real
    if type(operand) is int or type(operand) is bool:
        kind[0] = _INT_BOUND
        as_int[0] = operand
    elif type(operand) is float and not isnan(operand):
        kind[0] = _FLOAT_BOUND
        real = operand
        as_float[0] = real
    else:
        kind[0] = _NEVER
    return 0


cdef void _int_interval(_Test* test) noexcept:
    """The closed int64 interval [low, high] of the ints that satisfy both bounds, if any (``interval``).
    Float rows keep the bounds themselves: ``gt 2**63 - 1`` admits no int, but admits 1e300."""
    cdef double rounded
    cdef int64_t low = _INT64_MIN
    cdef int64_t high = _INT64_MAX
    cdef bint empty = False
    test.numbers_never = test.low_kind == _NEVER or test.high_kind == _NEVER
    if test.low_kind == _INT_BOUND:
        low = test.low_int
        if test.low_strict:
            if low == _INT64_MAX:
                empty = True
            else:
                low += 1
    elif test.low_kind == _FLOAT_BOUND:
        rounded = ceil(test.low_float)
        if rounded >= _TWO_63:
            empty = True
        elif rounded >= -_TWO_63:
            low = <int64_t>rounded
            if test.low_strict and rounded == test.low_float:
                if low == _INT64_MAX:
                    empty = True
                else:
                    low += 1
    if test.high_kind == _INT_BOUND:
        high = test.high_int
        if test.high_strict:
            if high == _INT64_MIN:
                empty = True
            else:
                high -= 1
    elif test.high_kind == _FLOAT_BOUND:
        rounded = floor(test.high_float)
        if rounded < -_TWO_63:
            empty = True
        elif rounded < _TWO_63:
            high = <int64_t>rounded
            if test.high_strict and rounded == test.high_float:
                if high == _INT64_MIN:
                    empty = True
                else:
                    high -= 1
    test.interval = not (empty or test.numbers_never or low > high)
    test.low = low
    test.high = high


cdef bint _exact_bound(
    int kind, int64_t as_int, double as_float, bint strict, double toward, double* out
) noexcept:
    """The bound as a closed double bound, when doubles compare with it exactly: a finite float, or an int
    that a double holds exactly; a strict bound moves to the next double."""
    cdef double bound
    if kind == _NO_BOUND:
        out[0] = -toward
        return True
    if kind == _FLOAT_BOUND and not isnan(as_float) and fabs(as_float) != INFINITY:
        bound = as_float
    elif kind == _INT_BOUND and -9007199254740992 <= as_int <= 9007199254740992:
        bound = <double>as_int
    else:
        return False
    out[0] = nextafter(bound, toward) if strict else bound
    return True


cdef void _float_interval(_Test* test) noexcept:
    test.float_interval = (
        _exact_bound(test.low_kind, test.low_int, test.low_float, test.low_strict, INFINITY, &test.float_low)
        and _exact_bound(
            test.high_kind, test.high_int, test.high_float, test.high_strict, -INFINITY, &test.float_high
        )
    )


cdef int _operands(_Test* test, tuple values) except -1:
    """The number operands of an equality or membership, sorted: ints (and floats equal to an int) as
    int64, the other floats as doubles. None and str are answered by the NULL answer and the str table;
    NaN equals nothing."""
    cdef list ints = []
    cdef list floats = []
    cdef double real
    cdef Py_ssize_t i
    for value in values:
        if type(value) is int or type(value) is bool:
            ints.append(int(value))
        elif type(value) is float:
            real = value
            if isnan(real):
                continue
            if _integral(real):
                ints.append(<int64_t>real)
            else:
                floats.append(real)
    ints = sorted(set(ints))
    floats = sorted(set(floats))
    test.ints = <int64_t*>PyMem_Malloc(max(len(ints), 1) * sizeof(int64_t))
    test.floats = <double*>PyMem_Malloc(max(len(floats), 1) * sizeof(double))
    if test.ints is NULL or test.floats is NULL:
        raise MemoryError()
    for i in range(len(ints)):
        test.ints[i] = ints[i]
    for i in range(len(floats)):
        test.floats[i] = floats[i]
    test.int_count = len(ints)
    test.float_count = len(floats)
    return 0


# The two payloads a member test looks values up in (its sorted ints, its sorted floats).
ctypedef fused _payload:
    int64_t
    double


cdef inline bint _find(const _payload* values, Py_ssize_t count, _payload value) noexcept nogil:
    """Whether the sorted ``values`` hold ``value`` (a binary search)."""
    cdef Py_ssize_t low = 0
    cdef Py_ssize_t high = count
    cdef Py_ssize_t middle
    while low < high:
        middle = (low + high) >> 1
        if values[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low < count and values[low] == value


cdef inline bint _hit_int(const _Test* test, int64_t value) noexcept nogil:
    cdef uint64_t span
    if test.interval:
        span = <uint64_t>test.high - <uint64_t>test.low
        return (<uint64_t>value - <uint64_t>test.low <= span) != test.negate
    if test.member:
        return _find(test.ints, test.int_count, value) != test.negate
    return False


cdef inline bint _hit_float(const _Test* test, double value) noexcept nogil:
    cdef int side
    if test.member:
        if _integral(value):
            return _find(test.ints, test.int_count, <int64_t>value) != test.negate
        return _find(test.floats, test.float_count, value) != test.negate
    if test.numbers_never:
        return False
    if test.float_interval:
        return test.float_low <= value <= test.float_high
    if test.low_kind == _INT_BOUND:
        side = -_compare_int_double(test.low_int, value)  # value against the bound
        if side < 0 or (side == 0 and test.low_strict):
            return False
    elif test.low_kind == _FLOAT_BOUND:
        if value < test.low_float or (value == test.low_float and test.low_strict):
            return False
    if test.high_kind == _INT_BOUND:
        side = -_compare_int_double(test.high_int, value)
        if side > 0 or (side == 0 and test.high_strict):
            return False
    elif test.high_kind == _FLOAT_BOUND:
        if value > test.high_float or (value == test.high_float and test.high_strict):
            return False
    return True


cdef inline int _row(
    const _Test* test, const uint8_t* tags, const _Payload* values, Py_ssize_t row
) noexcept nogil:
    """The leaf on one row: 1 True, 0 False, 2 Unsure."""
    cdef uint8_t tag = tags[row]
    if tag == _INT or tag == _BOOL:
        return _hit_int(test, values[row].i)
    if tag == _FLOAT:
        return _hit_float(test, values[row].d)
    if tag == _STR:
        return test.strings[values[row].i]
    if tag == _NULL:
        return test.null_hit
    if test.other_decided:
        return test.other_hit
    return 2


# Whole words of a uniform column: four independent accumulators, so that the ORs of one word do not wait
# on each other (one chain of 64 would cost a cycle per row).


cdef inline uint64_t _word_of_ints(const _Payload* values, uint64_t low, uint64_t span) noexcept nogil:
    """Bit j: ``values[j]`` (int) lies in the interval [low, low + span]."""
    cdef uint64_t a = 0
    cdef uint64_t b = 0
    cdef uint64_t c = 0
    cdef uint64_t d = 0
    cdef int j
    for j in range(0, 64, 4):
        a |= (<uint64_t>(<uint64_t>values[j].i - low <= span)) << j
        b |= (<uint64_t>(<uint64_t>values[j + 1].i - low <= span)) << (j + 1)
        c |= (<uint64_t>(<uint64_t>values[j + 2].i - low <= span)) << (j + 2)
        d |= (<uint64_t>(<uint64_t>values[j + 3].i - low <= span)) << (j + 3)
    return a | b | c | d


cdef inline uint64_t _word_of_floats(const _Payload* values, double low, double high) noexcept nogil:
    """Bit j: ``values[j]`` (double) lies in the interval [low, high]."""
    cdef uint64_t a = 0
    cdef uint64_t b = 0
    cdef uint64_t c = 0
    cdef uint64_t d = 0
    cdef int j
    for j in range(0, 64, 4):
        a |= (<uint64_t>(low <= values[j].d <= high)) << j
        b |= (<uint64_t>(low <= values[j + 1].d <= high)) << (j + 1)
        c |= (<uint64_t>(low <= values[j + 2].d <= high)) << (j + 2)
        d |= (<uint64_t>(low <= values[j + 3].d <= high)) << (j + 3)
    return a | b | c | d


cdef inline uint64_t _word_of_strings(const _Payload* values, const uint8_t* table) noexcept nogil:
    """Bit j: the truth table holds 1 for ``values[j]``'s str code."""
    cdef uint64_t a = 0
    cdef uint64_t b = 0
    cdef uint64_t c = 0
    cdef uint64_t d = 0
    cdef int j
    for j in range(0, 64, 4):
        a |= (<uint64_t>table[values[j].i]) << j
        b |= (<uint64_t>table[values[j + 1].i]) << (j + 1)
        c |= (<uint64_t>table[values[j + 2].i]) << (j + 2)
        d |= (<uint64_t>table[values[j + 3].i]) << (j + 3)
    return a | b | c | d


# A word with at most this many open rows is evaluated row by row (following its bits) rather than whole.
cdef int _SPARSE = 8


cdef void _scan(
    const _Test* test,
    _Column column,
    Py_ssize_t rows,
    Py_ssize_t slots,
    const uint64_t* live,
    _Bitmap true,
    _Bitmap unsure,
    const uint64_t* care,
) noexcept:
    """One leaf over the column: per 64-row word, the True bits and the Unsure bits of the open rows (live,
    and in ``care`` when given)."""
    cdef Py_ssize_t words = true.size
    cdef Py_ssize_t w
    cdef Py_ssize_t row
    cdef Py_ssize_t base
    cdef Py_ssize_t end
    cdef int j
    cdef int answer
    cdef const uint8_t* tags = column.tags
    cdef const _Payload* values = column.values
    cdef const uint8_t* strings = test.strings
    cdef uint64_t hits
    cdef uint64_t doubts
    cdef uint64_t open_rows
    cdef uint64_t rest
    cdef uint64_t low = <uint64_t>test.low
    cdef uint64_t span = <uint64_t>test.high - <uint64_t>test.low
    # Uniform columns (every live row of one kind) skip the tag switch on whole words; tombstones compute
    # garbage that the open mask drops.
    cdef int mode = 0
    cdef uint64_t flip = ~(<uint64_t>0) if test.negate else 0
    if column.only(rows, _INT, _BOOL) and test.interval:
        mode = 1
    elif column.only(rows, _STR, _STR):
        mode = 2
    elif column.only(rows, _FLOAT, _FLOAT) and test.float_interval and not test.member:
        mode = 3
    for w in range(words):
        open_rows = live[w] if care is NULL else live[w] & care[w]
        hits = 0
        doubts = 0
        base = w << 6
        if open_rows == 0:
            pass
        elif _popcount(open_rows) <= _SPARSE:
            rest = open_rows
            while rest:
                j = _ctz(rest)
                rest &= rest - 1
                if mode == 1:
                    answer = (<uint64_t>values[base + j].i - low <= span) != test.negate
                elif mode == 3:
                    answer = test.float_low <= values[base + j].d <= test.float_high
                elif mode == 2:
                    answer = strings[values[base + j].i]
                else:
                    answer = _row(test, tags, values, base + j)
                if answer == 1:
                    hits |= (<uint64_t>1) << j
                elif answer == 2:
                    doubts |= (<uint64_t>1) << j
        elif mode == 1 and base + 64 <= slots:
            hits = _word_of_ints(values + base, low, span) ^ flip
        elif mode == 3 and base + 64 <= slots:
            hits = _word_of_floats(values + base, test.float_low, test.float_high)
        elif mode == 2 and base + 64 <= slots:
            hits = _word_of_strings(values + base, strings)
        else:
            end = min(base + 64, slots)
            row = base
            while row < end:
                answer = _row(test, tags, values, row)
                if answer == 1:
                    hits |= (<uint64_t>1) << (row - base)
                elif answer == 2:
                    doubts |= (<uint64_t>1) << (row - base)
                row += 1
        true.words[w] = hits & open_rows
        unsure.words[w] = doubts & open_rows


# -- aggregates --------------------------------------------------------------------------------------------


cdef bint _magnitude_exceeds(_Column column, _Bitmap selected) noexcept:
    """True when the magnitudes of the selected ints and bools add beyond int64: then some running int
    total might overflow (the same bound as the twin's ``_magnitude``)."""
    cdef uint64_t total = 0
    cdef uint64_t magnitude
    cdef Py_ssize_t w
    cdef Py_ssize_t slot
    cdef uint64_t word
    cdef uint64_t bools = column.counts[_BOOL]
    if column.max_magnitude == 0 or <uint64_t>column.counts[_INT] <= (
        (<uint64_t>_INT64_MAX - bools) // column.max_magnitude
    ):
        return False  # even every live int at the largest magnitude written, plus the bools, fits
    for w in range(selected.size):
        word = selected.words[w]
        while word:
            slot = (w << 6) + _ctz(word)
            word &= word - 1
            if column.tags[slot] == _INT or column.tags[slot] == _BOOL:
                magnitude = _magnitude(column.values[slot].i)
                total += magnitude
                if total < magnitude or total > <uint64_t>_INT64_MAX:
                    return True
    return False


# Aggregate kinds, in _aggregate.KINDS order.
cdef enum:
    _COUNT_ROWS = 0
    _COUNT = 1
    _SUM = 2
    _AVG = 3
    _MIN = 4
    _MAX = 5


cdef struct _Accumulator:
    int64_t count
    uint64_t int_total  # wraps in C; _magnitude_exceeds ruled out a real overflow
    double float_total
    bint is_float  # the total became a float (a float was added)
    Py_ssize_t best  # the slot of the min or max so far, -1 for none


cdef inline int _compare_slots(
    const uint8_t* tags, const _Payload* values, const Py_ssize_t* ranks, Py_ssize_t a, Py_ssize_t b
) noexcept nogil:
    """-1, 0 or 1 as slot ``a``'s value is below, equal to or above slot ``b``'s: numbers exactly, str by
    their rank in the sorted dictionary (the caller never mixes the two)."""
    cdef uint8_t tag_a = tags[a]
    cdef uint8_t tag_b = tags[b]
    cdef double x
    cdef double y
    if tag_a == _STR:
        return (ranks[values[a].i] > ranks[values[b].i]) - (ranks[values[a].i] < ranks[values[b].i])
    if tag_a != _FLOAT and tag_b != _FLOAT:
        return (values[a].i > values[b].i) - (values[a].i < values[b].i)
    if tag_a != _FLOAT:
        return _compare_int_double(values[a].i, values[b].d)
    if tag_b != _FLOAT:
        return -_compare_int_double(values[b].i, values[a].d)
    x = values[a].d
    y = values[b].d
    return (x > y) - (x < y)


@cython.final
cdef class _Aggregation:
    """One ``aggregate`` call: groups in first-seen row order, one accumulator per group and spec."""

    cdef ColumnStore store
    cdef _Bitmap selected
    cdef tuple group_by
    cdef list specs
    cdef _Column group
    cdef Py_ssize_t spec_count
    cdef int* kinds
    cdef const uint8_t** tags
    cdef const _Payload** values
    cdef Py_ssize_t** ranks
    cdef list columns  # keeps the spec columns (and their rank arrays' owners) alive
    cdef _Accumulator* accumulators
    cdef Py_ssize_t* first_slots
    cdef Py_ssize_t groups
    cdef Py_ssize_t capacity
    cdef Py_ssize_t* code_groups  # str code -> group, -1 for none yet
    cdef Py_ssize_t* int_groups  # int - int_base -> group, -1 for none yet (ints in a narrow range)
    cdef int64_t int_base
    cdef uint64_t int_span
    cdef Py_ssize_t null_group
    cdef dict number_groups  # number value -> group (Python equality: 1, 1.0 and True are one)

    def __cinit__(self, ColumnStore store, _Bitmap selected, tuple group_by, list specs):
        cdef Py_ssize_t count = len(specs)
        self.store = store
        self.selected = selected
        self.group_by = group_by
        self.specs = specs
        self.spec_count = count
        self.columns = []
        self.kinds = <int*>PyMem_Malloc(max(count, 1) * sizeof(int))
        self.tags = <const uint8_t**>PyMem_Malloc(max(count, 1) * sizeof(uint8_t*))
        self.values = <const _Payload**>PyMem_Malloc(max(count, 1) * sizeof(_Payload*))
        self.ranks = <Py_ssize_t**>PyMem_Malloc(max(count, 1) * sizeof(Py_ssize_t*))
        if self.kinds is NULL or self.tags is NULL or self.values is NULL or self.ranks is NULL:
            raise MemoryError()
        memset(self.ranks, 0, max(count, 1) * sizeof(Py_ssize_t*))
        self.accumulators = NULL
        self.first_slots = NULL
        self.code_groups = NULL
        self.int_groups = NULL
        self.groups = 0
        self.capacity = 0
        self.null_group = -1
        self.number_groups = {}
        self.group = store._columns[group_by[0]] if group_by else None

    def __dealloc__(self):
        cdef Py_ssize_t s
        if self.ranks is not NULL:
            for s in range(self.spec_count):
                PyMem_Free(self.ranks[s])
        PyMem_Free(self.kinds)
        PyMem_Free(self.tags)
        PyMem_Free(self.values)
        PyMem_Free(self.ranks)
        PyMem_Free(self.accumulators)
        PyMem_Free(self.first_slots)
        PyMem_Free(self.code_groups)
        PyMem_Free(self.int_groups)

    cdef int _prepare(self) except -1:
        cdef Py_ssize_t s
        cdef Py_ssize_t code
        cdef _Column column
        cdef list order
        kinds = _aggregate_mod.KINDS
        for s in range(self.spec_count):
            _, kind, field = self.specs[s]
            self.kinds[s] = kinds.index(kind)
            if self.kinds[s] == _COUNT_ROWS:
                self.tags[s] = NULL
                self.values[s] = NULL
                continue
            column = self.store._columns[field]
            self.columns.append(column)
            self.tags[s] = column.tags
            self.values[s] = column.values
            if (self.kinds[s] == _MIN or self.kinds[s] == _MAX) and column.counts[_STR]:
                # str order is code-point order: rank the dictionary once, then compare ranks.
                order = sorted(range(len(column.strings)), key=column.strings.__getitem__)
                self.ranks[s] = <Py_ssize_t*>PyMem_Malloc(max(len(order), 1) * sizeof(Py_ssize_t))
                if self.ranks[s] is NULL:
                    raise MemoryError()
                for code in range(len(order)):
                    self.ranks[s][<Py_ssize_t>order[code]] = code
        if self.group is not None:
            self.code_groups = <Py_ssize_t*>PyMem_Malloc(max(len(self.group.strings), 1) * sizeof(Py_ssize_t))
            if self.code_groups is NULL:
                raise MemoryError()
            for code in range(len(self.group.strings)):
                self.code_groups[code] = -1
            self._prepare_int_groups()
        else:
            self._new_group(-1)  # no group field: one group, even over no rows
        return 0

    cdef int _prepare_int_groups(self) except -1:
        """Ints (and bools) of the group field that lie in a narrow range are grouped through an array
        indexed by value instead of a dict of Python ints. Floats (1.0 joins 1's group) keep the dict."""
        cdef _Column group = self.group
        cdef _Bitmap selected = self.selected
        cdef Py_ssize_t w
        cdef Py_ssize_t slot
        cdef uint64_t word
        cdef int64_t value
        cdef int64_t low = _INT64_MAX
        cdef int64_t high = _INT64_MIN
        cdef uint64_t i
        if group.counts[_FLOAT] or not (group.counts[_INT] or group.counts[_BOOL]):
            return 0
        for w in range(selected.size):
            word = selected.words[w]
            while word:
                slot = (w << 6) + _ctz(word)
                word &= word - 1
                if group.tags[slot] == _INT or group.tags[slot] == _BOOL:
                    value = group.values[slot].i
                    low = min(low, value)
                    high = max(high, value)
        if low > high or <uint64_t>high - <uint64_t>low > 4 * <uint64_t>self.store.rows + 1024:
            return 0
        self.int_base = low
        self.int_span = <uint64_t>high - <uint64_t>low
        self.int_groups = <Py_ssize_t*>PyMem_Malloc((self.int_span + 1) * sizeof(Py_ssize_t))
        if self.int_groups is NULL:
            raise MemoryError()
        for i in range(self.int_span + 1):
            self.int_groups[i] = -1
        return 0

    cdef Py_ssize_t _new_group(self, Py_ssize_t slot) except -1:
        cdef Py_ssize_t capacity
        cdef Py_ssize_t s
        cdef _Accumulator* row
        if self.groups == self.capacity:
            capacity = max(self.capacity * 2, 8)
            _grow(<void**>&self.accumulators, capacity * max(self.spec_count, 1) * sizeof(_Accumulator))
            _grow(<void**>&self.first_slots, capacity * sizeof(Py_ssize_t))
            self.capacity = capacity
        row = self.accumulators + self.groups * self.spec_count
        memset(row, 0, self.spec_count * sizeof(_Accumulator))
        for s in range(self.spec_count):
            row[s].best = -1
        self.first_slots[self.groups] = slot
        self.groups += 1
        return self.groups - 1

    cdef Py_ssize_t _group_of(self, Py_ssize_t slot) except -1:
        cdef _Column group = self.group
        cdef uint8_t tag
        cdef Py_ssize_t code
        cdef Py_ssize_t found
        if group is None:
            return 0
        tag = group.tags[slot]
        if tag == _STR:
            code = group.values[slot].i
            found = self.code_groups[code]
            if found < 0:
                found = self.code_groups[code] = self._new_group(slot)
            return found
        if tag == _NULL:
            if self.null_group < 0:
                self.null_group = self._new_group(slot)
            return self.null_group
        if self.int_groups is not NULL:  # only ints and bools, all in the array's range
            code = <Py_ssize_t>(<uint64_t>group.values[slot].i - <uint64_t>self.int_base)
            found = self.int_groups[code]
            if found < 0:
                found = self.int_groups[code] = self._new_group(slot)
            return found
        value = group.value(slot)
        known = self.number_groups.get(value)
        if known is None:
            found = self._new_group(slot)
            self.number_groups[value] = found
            return found
        return known

    cdef int _add(self, Py_ssize_t slot) except -1:
        cdef _Accumulator* row = self.accumulators + self._group_of(slot) * self.spec_count
        cdef _Accumulator* accumulator
        cdef Py_ssize_t s
        cdef int kind
        cdef uint8_t tag
        cdef const _Payload* values
        cdef int side
        for s in range(self.spec_count):
            accumulator = row + s
            kind = self.kinds[s]
            if kind == _COUNT_ROWS:
                accumulator.count += 1
                continue
            tag = self.tags[s][slot]
            if tag == _NULL:
                continue
            if kind == _COUNT:
                accumulator.count += 1
            elif kind == _SUM or kind == _AVG:
                accumulator.count += 1
                values = self.values[s]
                if tag == _FLOAT:
                    if accumulator.is_float:
                        accumulator.float_total += values[slot].d
                    else:
                        # int + float, as Python adds them: the int total rounded to a double first.
                        accumulator.float_total = <double><int64_t>accumulator.int_total + values[slot].d
                        accumulator.is_float = True
                elif accumulator.is_float:
                    accumulator.float_total += <double>values[slot].i
                else:
                    accumulator.int_total += <uint64_t>values[slot].i
            elif accumulator.best < 0:
                accumulator.best = slot
            else:
                side = _compare_slots(self.tags[s], self.values[s], self.ranks[s], slot, accumulator.best)
                # The first of equal values wins, as _aggregate keeps it.
                if (side < 0) if kind == _MIN else (side > 0):
                    accumulator.best = slot
        return 0

    cdef object _result(self, Py_ssize_t s, const _Accumulator* accumulator):
        cdef int kind = self.kinds[s]
        cdef object total
        cdef object count
        if kind == _COUNT_ROWS or kind == _COUNT:
            return accumulator.count
        if kind == _MIN or kind == _MAX:
            if accumulator.best < 0:
                return None
            _, _, field = self.specs[s]
            return (<_Column>self.store._columns[field]).value(accumulator.best)
        if accumulator.count == 0:
            return None
        total = accumulator.float_total if accumulator.is_float else <int64_t>accumulator.int_total
        if kind == _SUM:
            return total
        count = accumulator.count
        return float(total / count)

    cdef list rows(self):
        cdef Py_ssize_t w
        cdef uint64_t word
        cdef Py_ssize_t g
        cdef Py_ssize_t s
        cdef dict row
        cdef _Accumulator* results
        cdef list out = []
        self._prepare()
        for w in range(self.selected.size):
            word = self.selected.words[w]
            while word:
                self._add((w << 6) + _ctz(word))
                word &= word - 1
        for g in range(self.groups):
            row = {}
            if self.group is not None:
                PyDict_SetItem(row, self.group_by[0], self.group.value(self.first_slots[g]))
            results = self.accumulators + g * self.spec_count
            for s in range(self.spec_count):
                PyDict_SetItem(row, self.specs[s][0], self._result(s, results + s))
            out.append(row)
        return out
