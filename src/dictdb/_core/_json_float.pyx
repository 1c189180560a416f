"""JSON float literals read as floats, refusing those past a float's range: the compiled twin of
``_json_float_py.py``, which says why. ``json`` calls ``parse_float`` once per float literal of a file: a C
function costs a fraction of what a Python one does there.
"""

from libc.math cimport isinf

__all__ = ["FloatRangeError", "parse_float"]


class FloatRangeError(ValueError):
    """A number literal past a float's range; its one argument is the literal."""


def parse_float(str literal not None):
    cdef double value = float(literal)
    if isinf(value):
        raise FloatRangeError(literal)
    return value
