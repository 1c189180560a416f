"""Record copying and projection: the compiled twin of ``_records_py.py``.

Tables own their records (DESIGN.md): ``insert`` stores a shallow copy and ``select`` returns shallow
copies, so copying is on every hot path. Here a copy is one ``PyDict_Copy`` and a projection fills a
pre-sized dict through the C API, with no Python call per record.
"""

from cpython.dict cimport PyDict_Copy, PyDict_GetItem, PyDict_SetItem
from cpython.object cimport PyObject

__all__ = ["copy_record", "copy_records", "project"]


cdef extern from "Python.h":
    bint PyDict_Check(object o)
    bint PyDict_CheckExact(object o)


cdef inline dict _copy(object record):
    if not PyDict_Check(record):
        raise TypeError(f"a record must be a dict, not {type(record).__name__}")
    return PyDict_Copy(record)


def copy_record(record):
    """A shallow copy of one record; ``TypeError`` when it is not a dict."""
    return _copy(record)


def copy_records(records):
    """Shallow copies of ``records``, in order."""
    cdef list out = []
    cdef object record
    for record in records:
        out.append(_copy(record))
    return out


def project(records, columns):
    """For each record, a new dict ``{alias: record.get(field)}`` over ``columns`` ``(alias, field)`` pairs.

    A missing field projects to ``None``.
    """
    cdef Py_ssize_t width
    cdef Py_ssize_t i
    cdef list aliases = []
    cdef list fields = []
    cdef list out = []
    cdef object record
    cdef dict row
    cdef PyObject* found
    # Unpacked up front, so a malformed pair fails before any work.
    for alias, field in columns:
        aliases.append(alias)
        fields.append(field)
    width = len(fields)
    for record in records:
        row = {}
        if PyDict_CheckExact(record):
            for i in range(width):
                found = PyDict_GetItem(record, fields[i])  # borrowed; NULL when missing
                if found is NULL:
                    PyDict_SetItem(row, aliases[i], None)
                else:
                    PyDict_SetItem(row, aliases[i], <object>found)
        else:
            for i in range(width):
                PyDict_SetItem(row, aliases[i], record.get(fields[i]))
        out.append(row)
    return out
