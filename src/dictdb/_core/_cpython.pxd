# The CPython C API the kernels use beyond Cython's own ``cpython.*`` declarations, and the small inline
# helpers every kernel needs on records: reading a field, copying a record, prefetching records ahead.
# Inline functions here are compiled into each module that cimports them, so a hot loop pays no call.

from cpython.dict cimport PyDict_Copy, PyDict_GetItemWithError
from cpython.object cimport PyObject


cdef extern from "Python.h":
    # Type checks, declared as bint so that a test costs no conversion.
    bint PyBool_Check(object o)
    bint PyBytes_Check(object o)
    bint PyByteArray_Check(object o)
    bint PyDict_Check(object o)
    bint PyDict_CheckExact(object o)
    bint PyFloat_Check(object o)
    bint PyFloat_CheckExact(object o)
    bint PyList_CheckExact(object o)
    bint PyLong_Check(object o)
    bint PyLong_CheckExact(object o)
    bint PyTuple_CheckExact(object o)
    bint PyUnicode_Check(object o)
    bint PyUnicode_CheckExact(object o)

    # Borrowed and stolen references, without the reference counting of Cython's declarations.
    PyObject* PyList_GET_ITEM(object o, Py_ssize_t i)
    void list_set "PyList_SET_ITEM"(object lst, Py_ssize_t i, PyObject* o) noexcept
    void incref "Py_INCREF"(PyObject* o) noexcept
    void decref "Py_DECREF"(PyObject* o) noexcept

    char* PyByteArray_AS_STRING(object o)
    Py_ssize_t PyByteArray_GET_SIZE(object o)
    Py_ssize_t PyTuple_GET_SIZE(object o)

    # Never fails for two strs; declared without an error check so the hot path has none.
    int unicode_compare "PyUnicode_Compare"(PyObject* a, PyObject* b) noexcept
    Py_ssize_t PyUnicode_Tailmatch(object s, object sub, Py_ssize_t start, Py_ssize_t end,
                                   int direction) except -1
    int PyUnicode_READY(object o) except -1
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t index)

    # A container a loop fills or reads alone can be left out of the garbage collector's walks meanwhile.
    bint PyObject_GC_IsTracked(object o)
    void PyObject_GC_Track(object o) noexcept
    void PyObject_GC_UnTrack(object o) noexcept

    int Py_EnterRecursiveCall(const char* where) except -1
    void Py_LeaveRecursiveCall() noexcept

    # The public fields of a dict (cpython/dictobject.h, 3.10 to 3.13): only read to prefetch its entries.
    ctypedef struct DictObject "PyDictObject":
        void* ma_keys


# The CPU's prefetch hint: a hint only, it never faults, and compilers without it get a no-op.
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define _dictdb_prefetch(address) __builtin_prefetch((const void*)(address), 0, 3)
    #else
    #define _dictdb_prefetch(address) ((void)(address))
    #endif
    """
    void prefetch "_dictdb_prefetch"(void* address) noexcept


# Ints up to 2**53 in magnitude convert to double exactly (a C constant: an enum holds only an int).
cdef extern from *:
    """
    #define _dictdb_exact_double_int 9007199254740992LL
    """
    const long long EXACT_DOUBLE_INT "_dictdb_exact_double_int"

# How far ahead a loop over a list of records prefetches: the dict itself, then (half as far) its entries.
cdef enum:
    PREFETCH_AHEAD = 8


cdef inline object lookup(object record, object field):
    """``record.get(field)``, without a Python call when the record is an exact dict."""
    cdef PyObject* found
    if PyDict_CheckExact(record):
        found = PyDict_GetItemWithError(record, field)  # borrowed; NULL when missing (or on error)
        if found is NULL:
            return None
        return <object>found
    return record.get(field)


cdef inline dict shallow_copy(object record):
    """A shallow copy of a record; ``TypeError`` when it is not a dict."""
    if not PyDict_Check(record):
        raise TypeError(f"a record must be a dict, not {type(record).__name__}")
    return PyDict_Copy(record)


cdef inline void prefetch_ahead(list records, Py_ssize_t i, Py_ssize_t n) noexcept:
    """Prefetch what reading ``records[i + PREFETCH_AHEAD]``, then ``records[i + PREFETCH_AHEAD // 2]``,
    will need; called once per record ``i`` of a loop over the ``n`` records. The loops that read records
    scattered over the table's memory (copying the matches of a query) then overlap their cache misses
    instead of waiting on each in turn."""
    cdef PyObject* record
    if i + PREFETCH_AHEAD < n:
        prefetch(PyList_GET_ITEM(records, i + PREFETCH_AHEAD))
    if i + PREFETCH_AHEAD // 2 < n:
        record = PyList_GET_ITEM(records, i + PREFETCH_AHEAD // 2)
        if PyDict_CheckExact(<object>record):
            prefetch((<DictObject*>record).ma_keys)
