# Evaluating a plan on a column store's vectors (``_column_eval.pyx``), for the store and its aggregates.

from libc.stdint cimport uint64_t

from ._column_vector cimport Rows, _Bitmap


cdef bint supports(object plan, dict columns)
cdef int evaluate(tuple plan, dict columns, const Rows* rows, _Bitmap true, _Bitmap unsure,
                  const uint64_t* care) except -1
