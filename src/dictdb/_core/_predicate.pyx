"""Predicate evaluation over records: the compiled twin of ``_predicate_py.py``.

A predicate arrives as a *plan*: nested tuples built by ``dictdb.query`` from the expression tree.
``compile_plan`` turns it, once per query, into a ``Predicate`` that tests one record or filters many.
The plan nodes and the semantics are documented in ``_predicate_py.py``; both cores give identical answers.

Here the plan becomes a tree of ``_Node`` objects whose ``test`` is a C method, so evaluating a record costs
no Python call per node. Comparisons take a C fast path when both sides are exact floats, small exact
ints or exact strs, and fall back to Python's rich comparison for everything else.
"""

from cpython.dict cimport PyDict_GetItem
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.object cimport (
    Py_EQ, Py_GE, Py_GT, Py_LE, Py_LT, Py_NE, PyObject, PyObject_RichCompare,
)
from cpython.unicode cimport PyUnicode_Compare

__all__ = ["COMPARISONS", "Predicate", "compile_plan"]

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")

cdef dict _OPERATORS = {"eq": Py_EQ, "ne": Py_NE, "lt": Py_LT, "le": Py_LE, "gt": Py_GT, "ge": Py_GE}

# Ints up to 2**53 in magnitude convert to double exactly, so comparing them as doubles gives Python's
# answer; larger ints take the generic path.
cdef long long _EXACT_DOUBLE_INT = 9007199254740992


cdef extern from "Python.h":
    bint PyDict_CheckExact(object o)
    bint PyFloat_CheckExact(object o)
    bint PyLong_CheckExact(object o)
    bint PyUnicode_CheckExact(object o)


cdef inline object _lookup(object record, object field):
    """``record.get(field)``, without a Python call when the record is an exact dict."""
    cdef PyObject* found
    if PyDict_CheckExact(record):
        found = PyDict_GetItem(record, field)  # borrowed; NULL when missing
        if found is NULL:
            return None
        return <object>found
    return record.get(field)


cdef inline bint _as_exact_double(object value, double* out) noexcept:
    """Store ``value`` as a double when that is exact (an exact float, or an exact int within 2**53)."""
    cdef int overflow = 0
    cdef long long as_int
    if PyFloat_CheckExact(value):
        out[0] = PyFloat_AS_DOUBLE(value)
        return True
    if PyLong_CheckExact(value):
        as_int = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow == 0 and -_EXACT_DOUBLE_INT <= as_int <= _EXACT_DOUBLE_INT:
            out[0] = <double>as_int
            return True
    return False


cdef inline bint _compare_doubles(double left, double right, int op) noexcept:
    # IEEE comparisons give Python's float answers, NaN included (only != holds for NaN).
    if op == Py_EQ:
        return left == right
    if op == Py_NE:
        return left != right
    if op == Py_LT:
        return left < right
    if op == Py_LE:
        return left <= right
    if op == Py_GT:
        return left > right
    return left >= right


cdef inline bint _compare_order(int sign, int op) noexcept:
    if op == Py_EQ:
        return sign == 0
    if op == Py_NE:
        return sign != 0
    if op == Py_LT:
        return sign < 0
    if op == Py_LE:
        return sign <= 0
    if op == Py_GT:
        return sign > 0
    return sign >= 0


cdef class _Node:
    """One node of a compiled plan."""

    cdef int test(self, object record) except -1:
        raise NotImplementedError


cdef class _Compare(_Node):
    cdef object field
    cdef object value
    cdef int op
    cdef bint ordering
    cdef bint value_is_number
    cdef bint value_is_str
    cdef double number

    def __cinit__(self, object field, object value, int op):
        self.field = field
        self.value = value
        self.op = op
        self.ordering = op != Py_EQ and op != Py_NE
        self.value_is_number = _as_exact_double(value, &self.number)
        self.value_is_str = PyUnicode_CheckExact(value)

    cdef int test(self, object record) except -1:
        cdef object current = _lookup(record, self.field)
        cdef double number
        if self.value_is_number and _as_exact_double(current, &number):
            return _compare_doubles(number, self.number, self.op)
        if self.value_is_str and PyUnicode_CheckExact(current):
            return _compare_order(PyUnicode_Compare(current, self.value), self.op)
        if not self.ordering:
            return bool(PyObject_RichCompare(current, self.value, self.op))
        if current is None:
            return False
        try:
            return bool(PyObject_RichCompare(current, self.value, self.op))
        except (TypeError, ArithmeticError):
            # Incomparable types, or a Decimal NaN (which raises InvalidOperation): never a match.
            return False


cdef class _Never(_Node):
    # An ordering against None: nothing is ordered against None, so the node is constant.
    cdef int test(self, object record) except -1:
        return False


cdef class _Always(_Node):
    cdef int test(self, object record) except -1:
        return True


cdef class _AllOf(_Node):
    cdef tuple children

    def __cinit__(self, tuple children):
        self.children = children

    cdef int test(self, object record) except -1:
        cdef object child
        for child in self.children:
            if not (<_Node>child).test(record):
                return False
        return True


cdef class _AnyOf(_Node):
    cdef tuple children

    def __cinit__(self, tuple children):
        self.children = children

    cdef int test(self, object record) except -1:
        cdef object child
        for child in self.children:
            if (<_Node>child).test(record):
                return True
        return False


cdef class _Negation(_Node):
    cdef _Node inner

    def __cinit__(self, _Node inner):
        self.inner = inner

    cdef int test(self, object record) except -1:
        return not self.inner.test(record)


cdef class Predicate:
    """A compiled plan: ``matches`` tests one record, ``filter`` keeps the matching ones in order."""

    cdef _Node _root

    def matches(self, record):
        """True when ``record`` satisfies the predicate."""
        return self._root.test(record) == 1

    def filter(self, records):
        """The records that match, in iteration order (the record objects themselves, not copies)."""
        cdef list out = []
        cdef _Node root = self._root
        cdef object record
        for record in records:
            if root.test(record):
                out.append(record)
        return out

    def count(self, records):
        """How many of ``records`` match."""
        cdef Py_ssize_t total = 0
        cdef _Node root = self._root
        cdef object record
        for record in records:
            if root.test(record):
                total += 1
        return total


def compile_plan(plan):
    """Compile ``plan`` into a ``Predicate``; ``ValueError`` names a malformed node."""
    cdef Predicate predicate = Predicate.__new__(Predicate)
    predicate._root = _compile(plan)
    return predicate


cdef _Node _compile(object plan):
    if not isinstance(plan, tuple) or not plan:
        raise ValueError(f"a predicate plan must be a non-empty tuple, not {plan!r}")
    kind = plan[0]
    if kind in COMPARISONS and len(plan) == 3:
        return _compile_comparison(kind, plan[1], plan[2])
    if kind in ("and", "or") and len(plan) == 2:
        children = tuple([_compile(child) for child in plan[1]])
        if not children:
            raise ValueError(f"predicate plan node {kind!r} needs at least one operand")
        return _AllOf(children) if kind == "and" else _AnyOf(children)
    if kind == "not" and len(plan) == 2:
        return _Negation(_compile(plan[1]))
    if kind == "true" and len(plan) == 1:
        return _Always()
    raise ValueError(f"unknown predicate plan node {plan!r}")


cdef _Node _compile_comparison(str kind, object field, object value):
    cdef int op = _OPERATORS[kind]
    if op != Py_EQ and op != Py_NE and value is None:
        return _Never()
    return _Compare(field, value, op)
