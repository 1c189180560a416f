# One field's vector and the bitmaps over a column store's rows (``_column_vector.pyx``), with the inline
# helpers that the store, the evaluation and the aggregates share.

cimport cython
from libc.math cimport floor
from libc.stdint cimport int64_t, uint8_t, uint64_t


# Tags, one per row and column (the same values as the twin's).
cdef enum:
    TAG_NULL = 0
    TAG_INT = 1
    TAG_BOOL = 2
    TAG_FLOAT = 3
    TAG_STR = 4
    TAG_OTHER = 5
    TAGS = 6


ctypedef union Payload:
    int64_t i
    double d


# A store's row space, which all its columns share: the live bitmap over the slots (tombstones included).
ctypedef struct Rows:
    const uint64_t* live
    Py_ssize_t rows          # live rows
    Py_ssize_t slots


cdef extern from *:
    """
    static inline int dictdb_ctz64(unsigned long long x) { return __builtin_ctzll(x); }
    static inline int dictdb_popcount64(unsigned long long x) { return __builtin_popcountll(x); }
    #define _dictdb_two_63 9223372036854775808.0
    """
    int ctz "dictdb_ctz64"(uint64_t x) noexcept nogil
    int popcount "dictdb_popcount64"(uint64_t x) noexcept nogil
    # 2**63 as a double: doubles in [-2**63, 2**63) convert to int64 exactly (after truncation).
    const double TWO_63 "_dictdb_two_63"


@cython.final
cdef class _Bitmap:
    cdef uint64_t* words
    cdef Py_ssize_t size

    cdef Py_ssize_t count(self) noexcept
    cdef bint empty(self) noexcept


@cython.final
cdef class _Column:
    cdef object field
    cdef uint8_t* tags
    cdef Payload* values
    cdef Py_ssize_t capacity
    cdef dict codes
    cdef list strings
    cdef Py_ssize_t counts[TAGS]
    # The largest magnitude of an int ever written: a bound that lets most sums skip their overflow pass.
    cdef uint64_t max_magnitude

    cdef int reserve(self, Py_ssize_t slots) except -1
    cdef int write(self, Py_ssize_t slot, object record) except -1
    cdef int store(self, Py_ssize_t slot, object value) except -1
    cdef void clear(self, Py_ssize_t slot) noexcept
    cdef object value(self, Py_ssize_t slot)
    cdef int keep(self, const Py_ssize_t* slots, Py_ssize_t count) except -1
    cdef Py_ssize_t memory_bytes(self)
    cdef bint only(self, Py_ssize_t rows, int first, int second) noexcept
    cdef bint holds(self, _Bitmap selected, int tag) noexcept


cdef bint has_field(dict columns, object field)
cdef int grow(void** block, size_t size) except -1


cdef inline Py_ssize_t word_count(Py_ssize_t slots) noexcept nogil:
    """The uint64 words of a bitmap over ``slots`` slots."""
    return (slots + 63) >> 6


cdef inline int compare_int_double(int64_t value, double other) noexcept nogil:
    """-1, 0 or 1 as ``value`` is below, equal to or above ``other`` (not NaN), exactly."""
    cdef int64_t whole
    cdef double fraction
    if other >= TWO_63:
        return -1
    if other < -TWO_63:
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


cdef inline uint64_t magnitude_of(int64_t value) noexcept nogil:
    return <uint64_t>value if value >= 0 else <uint64_t>0 - <uint64_t>value


cdef inline bint integral(double value) noexcept nogil:
    """True for a double that equals an int64 (then ``<int64_t>value`` is that int)."""
    return -TWO_63 <= value < TWO_63 and floor(value) == value
