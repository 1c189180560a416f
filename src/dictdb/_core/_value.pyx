"""Computed values over records: the compiled twin of ``_value_py.py``.

A value expression (``table.price * table.qty``) arrives as a *value plan*: nested tuples built by
``dictdb.query``. ``compile_value`` turns it, once per query, into a ``Value`` that computes it for one record
or for many. The plan nodes and the NULL rules are documented in ``_value_py.py``; both cores give identical
answers.

Here the plan becomes a tree of ``_ValueNode`` objects whose ``compute`` is a C method. Arithmetic on exact
floats, and on an exact float with an exact int within 2**53, is done on C doubles, as Python does it; on two
exact ints within 2**31 (2**62 for ``+`` and ``-``) on C integers, whose results cannot overflow there, with
Python's rounding and signs for ``//`` and ``%``. Every other pair goes through Python's number protocol (the
same operation the twin calls), so big ints, Decimals, Fractions, dates and timedeltas keep Python's exact
results.
"""

cimport cython
from cpython.datetime cimport (
    PyDate_Check, PyDate_CheckExact, PyDateTime_CheckExact, PyDelta_Check, PyTime_Check, date_day,
    date_month, date_year, import_datetime,
)
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_FromDouble
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_FromLongLong
from cpython.number cimport (
    PyNumber_Absolute, PyNumber_Add, PyNumber_FloorDivide, PyNumber_Multiply, PyNumber_Negative,
    PyNumber_Remainder, PyNumber_Subtract, PyNumber_TrueDivide,
)
from cpython.unicode cimport PyUnicode_Concat
from libc.math cimport isnan
from ._cpython cimport (
    EXACT_DOUBLE_INT, PyByteArray_Check, PyBytes_Check, PyDict_Check, PyFloat_Check, PyFloat_CheckExact,
    PyLong_Check, PyLong_CheckExact, PyUnicode_Check, lookup,
)

from decimal import Decimal as _Decimal
from fractions import Fraction as _Fraction

import_datetime()

__all__ = ["BINARY", "UNARY", "Value", "compile_value"]

BINARY = ("add", "sub", "mul", "div", "floordiv", "mod")
UNARY = ("neg", "abs", "lower", "upper", "length", "year", "month", "day")

cdef enum:
    _ADD = 0
    _SUB = 1
    _MUL = 2
    _DIV = 3
    _FLOORDIV = 4
    _MOD = 5
    _NEG = 10
    _ABS = 11
    _LOWER = 12
    _UPPER = 13
    _LENGTH = 14
    _YEAR = 15
    _MONTH = 16
    _DAY = 17

cdef dict _KINDS = {
    "add": _ADD, "sub": _SUB, "mul": _MUL, "div": _DIV, "floordiv": _FLOORDIV, "mod": _MOD,
    "neg": _NEG, "abs": _ABS, "lower": _LOWER, "upper": _UPPER, "length": _LENGTH,
    "year": _YEAR, "month": _MONTH, "day": _DAY,
}

cdef tuple _RARE_NUMBERS = (_Decimal, _Fraction)
cdef tuple _SIZED = (list, tuple, set, frozenset)
cdef object _STR_LOWER = str.lower
cdef object _STR_UPPER = str.upper


cdef inline bint _is_number(object value) except -1:
    return PyLong_Check(value) or PyFloat_Check(value) or isinstance(value, _RARE_NUMBERS)


cdef inline bint _is_arithmetic(object value) except -1:
    return _is_number(value) or PyDate_Check(value) or PyDelta_Check(value) or PyTime_Check(value)


# Exact ints strictly within these bounds are computed in C: sums, differences, floor quotients and remainders
# of two within _ADD_BOUND, and products of two within _MUL_BOUND, fit in a long long; ints within _DIV_BOUND
# are exact doubles, whose IEEE quotient is the correctly rounded one Python gives.
cdef long long _ADD_BOUND = 1LL << 62
cdef long long _MUL_BOUND = 1LL << 31
cdef long long _DIV_BOUND = EXACT_DOUBLE_INT + 1


cdef inline bint _is_nan(object value) except -1:
    if PyFloat_Check(value):
        return isnan(PyFloat_AS_DOUBLE(value))
    # The frequent results are settled without an isinstance call.
    if PyLong_Check(value) or PyDelta_Check(value) or PyDate_Check(value):
        return False
    return isinstance(value, _Decimal) and value.is_nan()


cdef inline bint _small_int(object value, long long bound, long long* out) noexcept:
    """Store an exact int strictly within ``bound`` (either sign) in ``out``."""
    cdef int overflow = 0
    cdef long long number
    if not PyLong_CheckExact(value):
        return False
    number = PyLong_AsLongLongAndOverflow(value, &overflow)
    if overflow != 0 or not (-bound < number < bound):
        return False
    out[0] = number
    return True


cdef inline bint _exact_double(object value, double* out) noexcept:
    """Store an exact float, or an exact int within 2**53 (which a double holds exactly), in ``out``."""
    cdef long long number
    if PyFloat_CheckExact(value):
        out[0] = PyFloat_AS_DOUBLE(value)
        return True
    if _small_int(value, _DIV_BOUND, &number):
        out[0] = <double>number
        return True
    return False


@cython.cdivision(False)
cdef object _int_arithmetic(int kind, long long left, long long right):
    # The caller bounds the operands (see _ADD_BOUND). Without cdivision, Cython's // and % on C
    # ints follow Python's rules (rounding towards minus infinity, the remainder taking the divisor's sign).
    if kind == _ADD:
        return PyLong_FromLongLong(left + right)
    if kind == _SUB:
        return PyLong_FromLongLong(left - right)
    if kind == _MUL:
        return PyLong_FromLongLong(left * right)
    if right == 0:
        return None  # Python raises ZeroDivisionError
    if kind == _DIV:
        # Both are exact doubles: IEEE division is the correctly rounded quotient Python gives.
        return PyFloat_FromDouble(<double>left / <double>right)
    if kind == _FLOORDIV:
        return PyLong_FromLongLong(left // right)
    return PyLong_FromLongLong(left % right)


cdef object _float_arithmetic(int kind, double left, double right):
    # IEEE arithmetic gives Python's float answers for + - * /; // and % take Python's path (its rounding
    # and sign rules are not C's).
    cdef double result
    if kind == _ADD:
        result = left + right
    elif kind == _SUB:
        result = left - right
    elif kind == _MUL:
        result = left * right
    else:
        if right == 0.0:
            return None  # Python raises ZeroDivisionError
        result = left / right
    if isnan(result):
        return None
    return PyFloat_FromDouble(result)


cdef object _arithmetic(int kind, object left, object right):
    cdef object result
    cdef long long x, y, bound
    cdef double a, b
    if left is None or right is None:
        return None
    if PyLong_CheckExact(left) and PyLong_CheckExact(right):
        bound = _MUL_BOUND if kind == _MUL else _DIV_BOUND if kind == _DIV else _ADD_BOUND
        if _small_int(left, bound, &x) and _small_int(right, bound, &y):
            return _int_arithmetic(kind, x, y)
    elif kind <= _DIV and (PyFloat_CheckExact(left) or PyFloat_CheckExact(right)):
        # A float with a float, or with an int a double holds exactly: Python converts the int and computes
        # on doubles too.
        if _exact_double(left, &a) and _exact_double(right, &b):
            return _float_arithmetic(kind, a, b)
    if not (_is_arithmetic(left) and _is_arithmetic(right)):
        if kind == _ADD and PyUnicode_Check(left) and PyUnicode_Check(right):
            return PyUnicode_Concat(left, right)
        return None
    try:
        if kind == _ADD:
            result = PyNumber_Add(left, right)
        elif kind == _SUB:
            result = PyNumber_Subtract(left, right)
        elif kind == _MUL:
            result = PyNumber_Multiply(left, right)
        elif kind == _DIV:
            result = PyNumber_TrueDivide(left, right)
        elif kind == _FLOORDIV:
            result = PyNumber_FloorDivide(left, right)
        else:
            result = PyNumber_Remainder(left, right)
    except (TypeError, ArithmeticError, ValueError):
        return None
    return None if _is_nan(result) else result


cdef object _unary(int kind, object value):
    cdef object result
    if kind == _NEG or kind == _ABS:
        if not (_is_number(value) or PyDelta_Check(value)):
            return None
        try:
            result = PyNumber_Negative(value) if kind == _NEG else PyNumber_Absolute(value)
        except (TypeError, ArithmeticError, ValueError):
            return None
        return None if _is_nan(result) else result
    if kind == _LOWER or kind == _UPPER:
        if not PyUnicode_Check(value):
            return None
        return _STR_LOWER(value) if kind == _LOWER else _STR_UPPER(value)
    if kind == _LENGTH:
        if (PyUnicode_Check(value) or PyBytes_Check(value) or PyByteArray_Check(value) or PyDict_Check(value)
                or isinstance(value, _SIZED)):
            return len(value)
        return None
    if not PyDate_Check(value):
        return None
    if not (PyDate_CheckExact(value) or PyDateTime_CheckExact(value)):
        # A subclass may define its own parts: read them as the twin does.
        return getattr(value, "year" if kind == _YEAR else "month" if kind == _MONTH else "day")
    if kind == _YEAR:
        return date_year(value)
    return date_month(value) if kind == _MONTH else date_day(value)


cdef object _rounded(object value, object ndigits):
    cdef object result
    if not _is_number(value):
        return None
    try:
        result = round(value, ndigits)
    except (TypeError, ArithmeticError, ValueError):
        return None
    return None if _is_nan(result) else result


cdef class _ValueNode:
    """One node of a compiled value plan."""

    cdef object compute(self, object record):
        raise NotImplementedError


cdef class _Field(_ValueNode):
    cdef object name

    def __cinit__(self, object name):
        self.name = name

    cdef object compute(self, object record):
        return lookup(record, self.name)


cdef class _Const(_ValueNode):
    cdef object constant

    def __cinit__(self, object constant):
        self.constant = constant

    cdef object compute(self, object record):
        return self.constant


cdef class _Binary(_ValueNode):
    cdef _ValueNode left
    cdef _ValueNode right
    cdef int kind

    def __cinit__(self, int kind, _ValueNode left, _ValueNode right):
        self.kind = kind
        self.left = left
        self.right = right

    cdef object compute(self, object record):
        return _arithmetic(self.kind, self.left.compute(record), self.right.compute(record))


cdef class _Unary(_ValueNode):
    cdef _ValueNode operand
    cdef int kind

    def __cinit__(self, int kind, _ValueNode operand):
        self.kind = kind
        self.operand = operand

    cdef object compute(self, object record):
        return _unary(self.kind, self.operand.compute(record))


cdef class _Round(_ValueNode):
    cdef _ValueNode operand
    cdef object ndigits

    def __cinit__(self, _ValueNode operand, object ndigits):
        self.operand = operand
        self.ndigits = ndigits

    cdef object compute(self, object record):
        return _rounded(self.operand.compute(record), self.ndigits)


cdef class Value:
    """A compiled value plan: ``value`` computes it for one record, ``values`` for each of many.

    Kernels that read a field per record (projection, sort keys) take a ``Value`` in a field's place.
    """

    def value(self, record):
        """The value for ``record`` (``None`` when an operand is ``None`` or refused)."""
        return self._root.compute(record)

    def values(self, records):
        """The value for each of ``records``, in order."""
        cdef _ValueNode root = self._root
        return [root.compute(record) for record in records]


def compile_value(plan):
    """Compile a value plan into a ``Value``; ``ValueError`` names a malformed node."""
    cdef Value value = Value.__new__(Value)
    value._root = compile_node(plan)
    value.plan = plan
    return value


cdef _ValueNode compile_node(object plan):
    if not isinstance(plan, tuple) or not plan:
        raise ValueError(f"a value plan must be a non-empty tuple, not {plan!r}")
    kind = plan[0]
    size = len(plan)
    if kind == "field" and size == 2:
        return _Field(plan[1])
    if kind == "const" and size == 2:
        return _Const(plan[1])
    if kind in BINARY and size == 3:
        return _Binary(_KINDS[kind], compile_node(plan[1]), compile_node(plan[2]))
    if kind in UNARY and size == 2:
        return _Unary(_KINDS[kind], compile_node(plan[1]))
    if kind == "round" and size == 3:
        if type(plan[2]) is not int:
            raise ValueError(f"value plan node {plan!r}: the digit count must be an int")
        return _Round(compile_node(plan[1]), plan[2])
    raise ValueError(f"unknown value plan node {plan!r}")
