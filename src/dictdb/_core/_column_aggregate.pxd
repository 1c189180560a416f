# Aggregates from a column store's vectors (``_column_aggregate.pyx``), for the store.

from ._column_vector cimport _Bitmap


cdef object aggregate(dict columns, Py_ssize_t rows, _Bitmap selected, tuple group_by, list specs)
