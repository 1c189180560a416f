"""Grouping and accumulation for ``Table.aggregate``: the compiled twin of ``_aggregate_py.py``.

The rules are documented in ``_aggregate_py.py``; both cores give identical answers. Here each accumulator
is a C object whose ``add`` is a C method, so a record costs no Python call: a field is read from the dict
directly, and a computed value (a group value or an aggregate's input) by its compiled ``_ValueNode``, whose
``compute`` is a C method too. A running sum stays a C
``long long`` while it is a sum of ints that fits, a C ``double`` once a float joins it, and a Python object
otherwise; each step does what Python's ``total + value`` does (an int meeting a float becomes the nearest
double first), so the totals are the pure twin's to the last bit.
"""

cimport cython
from cpython.dict cimport PyDict_GetItemWithError
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.object cimport Py_GT, Py_LT, PyObject, PyObject_RichCompareBool
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from libc.limits cimport LLONG_MAX, LLONG_MIN
from libc.math cimport isnan

from ._cpython cimport (
    PyBool_Check, PyFloat_Check, PyFloat_CheckExact, PyLong_CheckExact, PyUnicode_CheckExact, lookup,
)
from ._value cimport _ValueNode, compile_node

from decimal import Decimal as _Decimal
from numbers import Real as _Real

__all__ = ["KINDS", "aggregate", "aggregate_values"]

#: What an aggregate can compute: ``count_rows`` counts records, the others the non-None values of an input.
KINDS = ("count_rows", "count", "sum", "avg", "min", "max", "count_distinct")

cdef enum:
    K_COUNT_ROWS = 0
    K_COUNT = 1
    K_SUM = 2
    K_AVG = 3
    K_MIN = 4
    K_MAX = 5
    K_COUNT_DISTINCT = 6

# How a running sum is held: a C long long, a C double, or a Python object.
cdef enum:
    M_INT = 0
    M_FLOAT = 1
    M_OBJECT = 2

cdef dict _KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}

cdef tuple _NUMBERS = (_Real, _Decimal)

#: The one group key that every NaN maps to.
cdef object _NAN_KEY = float("nan")


cdef str _short(object value):
    cdef str text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


cdef str _describe(object value):
    return f"{type(value).__name__} {_short(value)}"


cdef inline bint _is_nan(object value) except -1:
    if PyFloat_CheckExact(value):
        return isnan(PyFloat_AS_DOUBLE(value))
    if PyLong_CheckExact(value) or PyUnicode_CheckExact(value) or value is None:
        return False
    if PyFloat_Check(value):
        return isnan(PyFloat_AS_DOUBLE(value))
    if isinstance(value, _Decimal):
        return value.is_nan()
    return False


cdef inline object _group_key(object value):
    return _NAN_KEY if _is_nan(value) else value


#: How errors name each kind: "aggregate 'total' = Sum('price')".
cdef tuple _TITLES = ("Count", "Count", "Sum", "Avg", "Min", "Max", "CountDistinct")


cdef str _input_text(object plan):
    if plan is None:
        return ""
    return repr(plan[1]) if plan[0] == "field" else "a computed value"


@cython.final  # so that read is a direct, inlinable call, not one through the vtable
cdef class _Input:
    """How a value is read from a record: a field straight from the dict, or a compiled value plan."""

    cdef object plan
    cdef object field  # the field name when the plan is a field; then node is None
    cdef _ValueNode node

    def __cinit__(self, object plan):
        self.plan = plan
        if isinstance(plan, tuple) and len(plan) == 2 and plan[0] == "field":
            self.field = plan[1]
            self.node = None
        else:
            self.field = None
            self.node = compile_node(plan)

    cdef inline object read(self, object record):
        if self.node is None:
            return lookup(record, self.field)
        return self.node.compute(record)


cdef inline bint _overflows(long long total, long long number) noexcept:
    if number > 0:
        return total > LLONG_MAX - number
    return total < LLONG_MIN - number


cdef class _Accumulator:
    """The running state of one aggregate in one group."""

    cdef object name
    cdef int kind
    cdef _Input source  # None for count_rows
    cdef Py_ssize_t count
    cdef int mode
    cdef long long int_total
    cdef double float_total
    cdef object total  # the sum while mode is M_OBJECT
    cdef object best
    cdef set distinct  # the values seen, for count_distinct

    def __cinit__(self, object name, int kind, _Input source):
        self.name = name
        self.kind = kind
        self.source = source
        self.count = 0
        self.mode = M_INT
        self.int_total = 0
        self.float_total = 0.0
        self.total = None
        self.best = None
        self.distinct = set() if kind == K_COUNT_DISTINCT else None

    cdef int add(self, object record) except -1:
        cdef int kind = self.kind
        cdef object value
        if kind == K_COUNT_ROWS:
            self.count += 1
            return 0
        value = self.source.read(record)
        if value is None:
            return 0
        if kind == K_COUNT:
            self.count += 1
        elif kind == K_SUM or kind == K_AVG:
            self.count += 1
            self._add_number(value)
        elif kind == K_COUNT_DISTINCT:
            self._add_distinct(value)
        elif not _is_nan(value):
            self._keep_extreme(value, kind == K_MIN)
        return 0

    cdef str _label(self):
        # How errors name the aggregate: "aggregate 'total' = Sum('price')".
        plan = None if self.source is None else self.source.plan
        return f"aggregate {self.name!r} = {_TITLES[self.kind]}({_input_text(plan)})"

    cdef int _add_distinct(self, object value) except -1:
        try:
            self.distinct.add(_group_key(value))
        except TypeError:
            raise TypeError(
                f"{self._label()} got {_describe(value)}, which is unhashable: CountDistinct counts values "
                "that can be compared for equality by hash (str, numbers, dates, tuples); convert the value "
                "or leave such records out with where="
            ) from None
        return 0

    cdef object _total(self):
        if self.mode == M_INT:
            return self.int_total
        if self.mode == M_FLOAT:
            return self.float_total
        return self.total

    cdef int _add_number(self, object value) except -1:
        cdef int overflow = 0
        cdef long long number
        cdef object total
        if self.mode == M_INT:
            if PyLong_CheckExact(value) or PyBool_Check(value):
                number = PyLong_AsLongLongAndOverflow(value, &overflow)
                if overflow == 0 and not _overflows(self.int_total, number):
                    self.int_total += number
                    return 0
            elif PyFloat_CheckExact(value):
                self.float_total = <double>self.int_total + PyFloat_AS_DOUBLE(value)
                self.mode = M_FLOAT
                return 0
        elif self.mode == M_FLOAT:
            if PyFloat_CheckExact(value):
                self.float_total += PyFloat_AS_DOUBLE(value)
                return 0
            if PyLong_CheckExact(value):
                number = PyLong_AsLongLongAndOverflow(value, &overflow)
                if overflow == 0:
                    self.float_total += <double>number
                    return 0
        # Everything else: Python's own +, with the total as an object from here on.
        if not isinstance(value, _NUMBERS):
            raise TypeError(
                f"{self._label()} got {_describe(value)}: Sum and Avg take numbers (int, float, bool, "
                "Decimal); convert the field, or leave such records out with where="
            )
        total = self._total()
        try:
            self.total = total + value
        except TypeError:
            raise TypeError(
                f"{self._label()} cannot add {_describe(value)} to the total so far, "
                f"{_describe(total)}: convert the field to one kind of number (Decimal and float do "
                "not mix)"
            ) from None
        self.mode = M_OBJECT
        return 0

    cdef int _keep_extreme(self, object value, bint smallest) except -1:
        cdef object best = self.best
        cdef int better
        if best is None:
            self.best = value
            return 0
        if PyFloat_CheckExact(value) and PyFloat_CheckExact(best):
            # NaN never gets here, so the C comparison is Python's.
            if smallest:
                better = PyFloat_AS_DOUBLE(value) < PyFloat_AS_DOUBLE(best)
            else:
                better = PyFloat_AS_DOUBLE(value) > PyFloat_AS_DOUBLE(best)
        else:
            try:
                better = PyObject_RichCompareBool(value, best, Py_LT if smallest else Py_GT)
            except TypeError:
                raise TypeError(
                    f"{self._label()} cannot compare {_describe(value)} with {_describe(best)}: Min and Max "
                    "need values that compare with each other (numbers, or str, or dates...); convert the "
                    "field, or leave such records out with where="
                ) from None
        if better:
            self.best = value
        return 0

    cdef object result(self):
        cdef int kind = self.kind
        if kind == K_COUNT_ROWS or kind == K_COUNT:
            return self.count
        if kind == K_COUNT_DISTINCT:
            return len(self.distinct)
        if kind == K_MIN or kind == K_MAX:
            return self.best
        if self.count == 0:
            return None
        if kind == K_SUM:
            return self._total()
        return float(self._total() / self.count)


cdef class _Group:
    """One group: the first-seen group values, and an accumulator per aggregate."""

    cdef tuple values
    cdef list accumulators
    cdef Py_ssize_t width

    def __cinit__(self, tuple values, list plan):
        self.values = values
        self.accumulators = [_Accumulator(name, kind, source) for name, kind, source in plan]
        self.width = len(self.accumulators)

    cdef int add(self, object record) except -1:
        cdef Py_ssize_t i
        for i in range(self.width):
            (<_Accumulator>self.accumulators[i]).add(record)
        return 0

    cdef dict row(self, tuple names, list aggregates):
        cdef dict row = dict(zip(names, self.values))
        cdef Py_ssize_t i
        for i in range(self.width):
            row[aggregates[i]] = (<_Accumulator>self.accumulators[i]).result()
        return row


cdef list _check_specs(object specs):
    cdef list checked = []
    for name, kind, plan in specs:
        code = _KIND_CODES.get(kind)
        if code is None:
            raise ValueError(f"unknown aggregate kind {kind!r}; the kinds are {', '.join(KINDS)}")
        checked.append((name, code, None if code == K_COUNT_ROWS else _Input(plan)))
    return checked


cdef object _unhashable(tuple names, tuple values):
    for name, value in zip(names, values):
        try:
            hash(_group_key(value))
        except TypeError:
            return TypeError(
                f"cannot group by {name!r}: its value {_describe(value)} is unhashable; group by fields "
                "that hold str, numbers, dates or tuples"
            )
    return TypeError(f"cannot group by {names!r}: a value is unhashable")


cdef tuple _values_of(object record, list inputs):
    return tuple([(<_Input>source).read(record) for source in inputs])


cdef tuple _key_of(object record, list inputs, Py_ssize_t width):
    cdef tuple key = PyTuple_New(width)
    cdef Py_ssize_t i
    cdef object part
    for i in range(width):
        part = _group_key((<_Input>inputs[i]).read(record))
        Py_INCREF(part)  # PyTuple_SET_ITEM steals a reference
        PyTuple_SET_ITEM(key, i, part)
    return key


def aggregate_values(records, groups, specs):
    """One row per group of ``records``, in first-seen order: the group values, then each aggregate.

    ``groups`` is a sequence of ``(name, value plan)``, the row's name for each group value and how it is
    read; when it is empty, all records make one group and exactly one row comes back, even for no records.
    ``specs`` is ``(name, kind, value plan)`` per aggregate, ``kind`` from ``KINDS`` (the plan is ignored by
    ``count_rows``).
    """
    cdef tuple names = tuple([name for name, _ in groups])
    cdef list inputs = [_Input(read) for _, read in groups]
    cdef Py_ssize_t width = len(inputs)
    cdef list plan = _check_specs(specs)
    cdef list aggregates = [name for name, _, _ in plan]
    cdef dict found = {}
    cdef _Group group
    cdef _Input first
    cdef object record
    cdef object key
    cdef PyObject* seen
    cdef list rows
    if width == 0:
        group = _Group((), plan)
        for record in records:
            group.add(record)
        return [group.row(names, aggregates)]
    # One group value: the value itself is the key, with no tuple to build per record.
    first = inputs[0]
    for record in records:
        key = _group_key(first.read(record)) if width == 1 else _key_of(record, inputs, width)
        try:
            seen = PyDict_GetItemWithError(found, key)  # borrowed; NULL when missing
        except TypeError:
            raise _unhashable(names, _values_of(record, inputs)) from None
        if seen is NULL:
            group = _Group(_values_of(record, inputs), plan)
            found[key] = group
        else:
            group = <_Group>seen
        group.add(record)
    rows = []
    for group in found.values():
        rows.append(group.row(names, aggregates))
    return rows


def aggregate(records, group_by, specs):
    """``aggregate_values`` over field names: ``group_by`` is a sequence of field names, and ``specs`` is
    ``(name, kind, field)`` per aggregate (``field`` is ignored by ``count_rows``)."""
    return aggregate_values(records, _field_groups(group_by), _field_specs(specs))


cdef list _field_groups(object group_by):
    return [(field, ("field", field)) for field in group_by]


cdef list _field_specs(object specs):
    return [(name, kind, None if kind == "count_rows" else ("field", field)) for name, kind, field in specs]
