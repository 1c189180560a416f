# The total order's C level, for the kernels that sort by it (``_records``) or keep values in it (the sorted
# index: ``_blocks``, ``_index``). ``_order_py.py`` documents the order. The comparisons a binary search
# makes on every step are inline here, so they cost no call across modules.

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.object cimport PyObject
from libc.stdint cimport int64_t
from libc.string cimport memcmp

from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow

from ._cpython cimport (
    EXACT_DOUBLE_INT, PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyBytes_Check, PyFloat_Check, PyLong_Check,
    PyUnicode_Check,
)


# Group ranks, in the order of the total order.
cdef enum:
    NULLS = 0
    NUMBERS = 1
    STRS = 2
    BYTES = 3
    OTHERS = 4

# How the values of a group compare among themselves. The first three are the kinds of "other" groups
# (the fifth item of ``other_group``); the last four those of the null bucket and the built-in groups.
cdef enum:
    NATURAL = 0
    SEQUENCE = 1
    UNORDERED = 2
    TIE = 3       # the null bucket: every value ties
    NUMBER = 4
    STR = 5
    BYTE = 6


ctypedef struct Probe:
    # A value being located: its double when it is a number (exact: the double is the value itself).
    double number
    bint exact
    PyObject* value


# A value to sort (an index entry before it is stored in a block): its probe, and what comes with it.
ctypedef struct Item:
    double number
    unsigned char exact
    PyObject* value
    int64_t seq              # the tie-breaker: the sort is by (value, seq)
    PyObject* pk
    Py_ssize_t slot          # which group of a batch it belongs to (the index's bulk build)


cdef double long_double(object value) except? -1.0
cdef int classify_rest(object value, Probe* probe) except -1
cdef tuple other_group(object value)
cdef int natural_cmp(object a, object b) except -2
cdef int sequence_cmp(object a, object b) except -2
cdef int total_cmp(object a, object b) except -2
cdef int cmp_items(int kind, Item* a, Item* b) except -2
cdef int sort_items(int kind, Item* items, Item* scratch, Py_ssize_t count) except -1
cdef int merge_halves(int kind, Item* items, Item* scratch, Py_ssize_t middle, Py_ssize_t count) except -1


cdef inline int classify(object value, Probe* probe) except -1:
    """The group rank of ``value``; fills ``probe`` (the same checks, in the same order, as the twin). The
    common types are tested here, inline; ``classify_rest`` goes on with the others."""
    cdef int overflow = 0
    cdef long long as_int
    cdef double as_double
    probe.value = <PyObject*>value
    probe.number = 0.0
    probe.exact = False
    if value is None:
        return NULLS
    if PyFloat_Check(value):
        as_double = PyFloat_AS_DOUBLE(value)
        if as_double != as_double:
            return NULLS
        probe.number = as_double
        probe.exact = True
        return NUMBERS
    if PyLong_Check(value):
        as_int = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow == 0:
            probe.number = <double>as_int
            probe.exact = -EXACT_DOUBLE_INT <= as_int <= EXACT_DOUBLE_INT
        else:
            probe.number = long_double(value)
        return NUMBERS
    if PyUnicode_Check(value):
        return STRS
    return classify_rest(value, probe)


cdef inline int number_cmp(double a, bint a_exact, PyObject* a_value,
                           double b, bint b_exact, PyObject* b_value) except -2:
    """Two numbers: by their doubles when they differ; equal doubles are equal values when both are exact
    (a float, or an int within 2**53), and otherwise Python decides."""
    if a < b:
        return -1
    if a > b:
        return 1
    if a_value == b_value or (a_exact and b_exact):
        return 0
    return natural_cmp(<object>a_value, <object>b_value)


cdef inline const char* bytes_data(object value, Py_ssize_t* size) noexcept:
    """The buffer of a bytes or bytearray value (the bytes group holds both), and its size."""
    if PyBytes_Check(value):
        size[0] = PyBytes_GET_SIZE(value)
        return PyBytes_AS_STRING(value)
    size[0] = PyByteArray_GET_SIZE(value)
    return PyByteArray_AS_STRING(value)


cdef inline int bytes_cmp(object a, object b) noexcept:
    cdef Py_ssize_t a_size, b_size
    cdef const char* a_data = bytes_data(a, &a_size)
    cdef const char* b_data = bytes_data(b, &b_size)
    cdef int result = memcmp(a_data, b_data, a_size if a_size < b_size else b_size)
    if result:
        return -1 if result < 0 else 1
    return (a_size > b_size) - (a_size < b_size)
