# The CPU's prefetch hint, for the loops that read records scattered over the table's memory (copying the
# matches of a query): asking for the dicts a few records ahead lets their cache misses overlap instead of
# waiting on each in turn. A hint only: it never faults, and compilers without it get a no-op.

from cpython.object cimport PyObject


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define _dictdb_prefetch(address) __builtin_prefetch((const void*)(address), 0, 3)
    #else
    #define _dictdb_prefetch(address) ((void)(address))
    #endif
    """
    void _prefetch "_dictdb_prefetch"(void* address) noexcept


cdef extern from "Python.h":
    # The public fields of a dict (cpython/dictobject.h, 3.10 to 3.13): only read to prefetch its entries.
    ctypedef struct _DictObject "PyDictObject":
        void* ma_keys
    PyObject* PyList_GET_ITEM(object o, Py_ssize_t i)
    bint PyDict_CheckExact(object o)


# How far ahead a loop over a list of records prefetches: the dict itself, then (half as far) its entries.
cdef enum:
    PREFETCH_AHEAD = 8


cdef inline void prefetch_ahead(list records, Py_ssize_t i, Py_ssize_t n) noexcept:
    """Prefetch what reading ``records[i + PREFETCH_AHEAD]``, then ``records[i + PREFETCH_AHEAD // 2]``,
    will need; called once per record ``i`` of a loop over the ``n`` records."""
    cdef PyObject* record
    if i + PREFETCH_AHEAD < n:
        _prefetch(PyList_GET_ITEM(records, i + PREFETCH_AHEAD))
    if i + PREFETCH_AHEAD // 2 < n:
        record = PyList_GET_ITEM(records, i + PREFETCH_AHEAD // 2)
        if PyDict_CheckExact(<object>record):
            _prefetch((<_DictObject*>record).ma_keys)
