"""Predicate evaluation over records: the compiled twin of ``_predicate_py.py``.

A predicate arrives as a *plan*: nested tuples built by ``dictdb.query`` from the expression tree.
``compile_plan`` turns it, once per query, into a ``Predicate`` that tests one record or filters many.
The plan nodes and the semantics are documented in ``_predicate_py.py``; both cores give identical answers.

Here the plan becomes a tree of ``_Node`` objects whose ``test`` is a C method, so evaluating a record costs
no Python call per node. Comparisons take a C fast path when both sides are exact floats, small exact
ints or exact strs, and fall back to Python's rich comparison for everything else; ``in`` is one set
lookup; the string tests use the str C API, and LIKE runs a matcher compiled to a C array (no regex).
"""

from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport (
    Py_EQ, Py_GE, Py_GT, Py_LE, Py_LT, Py_NE, PyObject_RichCompare,
)
from cpython.sequence cimport PySequence_Contains
from cpython.unicode cimport PyUnicode_Compare, PyUnicode_Contains, PyUnicode_Tailmatch
from ._cpython cimport (
    EXACT_DOUBLE_INT, PyFloat_CheckExact, PyLong_CheckExact, PyUnicode_Check, PyUnicode_CheckExact,
    PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND, PyUnicode_READ, PyUnicode_READY, lookup,
    prefetch_ahead, shallow_copy,
)
from ._value cimport _ValueNode, compile_node

__all__ = ["COMPARISONS", "Predicate", "compile_plan"]

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")

cdef dict _OPERATORS = {"eq": Py_EQ, "ne": Py_NE, "lt": Py_LT, "le": Py_LE, "gt": Py_GT, "ge": Py_GE}

cdef tuple _STRING_TESTS = ("startswith", "endswith", "iequals", "icontains", "istartswith", "iendswith")

# String tests of ``_StrTest``.
cdef enum:
    _EQUALS = 0
    _CONTAINS = 1
    _STARTS = 2
    _ENDS = 3

# ``_`` in a compiled LIKE segment: above every code point (at most 0x10FFFF), so no character equals it.
cdef Py_UCS4 _ANY_CHAR = 0xFFFFFFFF

# ``str.casefold``, looked up once: what ``str.casefold(value)`` calls, without reading it off str per record.
cdef object _CASEFOLD = str.casefold

cdef Py_ssize_t _MAX_SSIZE = <Py_ssize_t>((<size_t>-1) >> 1)


cdef inline bint _as_exact_double(object value, double* out) noexcept:
    """Store ``value`` as a double when that is exact (an exact float, or an exact int within 2**53):
    comparing such doubles gives Python's answer; larger ints take the generic path."""
    cdef int overflow = 0
    cdef long long as_int
    if PyFloat_CheckExact(value):
        out[0] = PyFloat_AS_DOUBLE(value)
        return True
    if PyLong_CheckExact(value):
        as_int = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow == 0 and -EXACT_DOUBLE_INT <= as_int <= EXACT_DOUBLE_INT:
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


cdef class _Leaf(_Node):
    """A test of one value: the record's field, or (under ``_Of``) a computed value."""

    cdef object field

    cdef int test(self, object record) except -1:
        return self.check(lookup(record, self.field))

    cdef int check(self, object current) except -1:
        raise NotImplementedError


cdef int _compare_objects(object current, object value, int op) except -1:
    """Python's comparison under the query rules: an ordering with ``None``, NaN or an incomparable type
    is never a match and never raises."""
    if op == Py_EQ or op == Py_NE:
        return bool(PyObject_RichCompare(current, value, op))
    if current is None or value is None:
        return False
    try:
        return bool(PyObject_RichCompare(current, value, op))
    except (TypeError, ArithmeticError):
        # Incomparable types, or a Decimal NaN (which raises InvalidOperation): never a match.
        return False


cdef class _Compare(_Leaf):
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

    cdef int check(self, object current) except -1:
        cdef double number
        if self.value_is_number and _as_exact_double(current, &number):
            return _compare_doubles(number, self.number, self.op)
        if self.value_is_str and PyUnicode_CheckExact(current):
            if not self.ordering:
                # Equal strs are often the same object; strs of different lengths are never equal.
                if current is self.value:
                    return self.op == Py_EQ
                if PyUnicode_GET_LENGTH(current) != PyUnicode_GET_LENGTH(self.value):
                    return self.op == Py_NE
            return _compare_order(PyUnicode_Compare(current, self.value), self.op)
        return _compare_objects(current, self.value, self.op)


cdef class _Never(_Leaf):
    # An ordering against None: nothing is ordered against None, so the node is constant.
    cdef int test(self, object record) except -1:
        return False

    cdef int check(self, object current) except -1:
        return False


cdef class _CompareValues(_Node):
    # Two computed values compared (``table.a < table.b``): the rules of a comparison with a constant.
    cdef _ValueNode left
    cdef _ValueNode right
    cdef int op

    def __cinit__(self, _ValueNode left, _ValueNode right, int op):
        self.left = left
        self.right = right
        self.op = op

    cdef int test(self, object record) except -1:
        cdef object left = self.left.compute(record)
        cdef object right = self.right.compute(record)
        cdef double x, y
        if _as_exact_double(left, &x) and _as_exact_double(right, &y):
            return _compare_doubles(x, y, self.op)
        if PyUnicode_CheckExact(left) and PyUnicode_CheckExact(right):
            return _compare_order(PyUnicode_Compare(left, right), self.op)
        return _compare_objects(left, right, self.op)


cdef class _Of(_Node):
    # One-value tests applied to a computed value (``(table.price * table.qty) > 100``); between is two.
    cdef _ValueNode value
    cdef tuple leaves

    def __cinit__(self, _ValueNode value, tuple leaves):
        self.value = value
        self.leaves = leaves

    cdef int test(self, object record) except -1:
        cdef object current = self.value.compute(record)
        cdef object leaf
        for leaf in self.leaves:
            if not (<_Leaf>leaf).check(current):
                return False
        return True


cdef class _Always(_Node):
    cdef int test(self, object record) except -1:
        return True


cdef class _In(_Leaf):
    # Hashable operands go in a set (one lookup per record); unhashable ones are scanned. A record value
    # that cannot be hashed is looked for in the whole tuple, as Python's ``in`` would.
    cdef tuple values
    cdef frozenset lookup
    cdef tuple scan

    def __cinit__(self, object field, tuple values):
        cdef list hashable = []
        cdef list unhashable = []
        for value in values:
            try:
                hash(value)
            except TypeError:
                unhashable.append(value)
            else:
                hashable.append(value)
        self.field = field
        self.values = values
        self.lookup = frozenset(hashable)
        self.scan = tuple(unhashable)

    cdef int check(self, object current) except -1:
        cdef int found
        try:
            # ``in``, not PySet_Contains: like Python's, it looks an unhashable set up as a frozenset.
            found = current in self.lookup
        except TypeError:
            return PySequence_Contains(self.values, current)
        if found:
            return True
        return len(self.scan) > 0 and PySequence_Contains(self.scan, current)


cdef class _Contains(_Leaf):
    cdef object item
    cdef bint item_is_str

    def __cinit__(self, object field, object item):
        self.field = field
        self.item = item
        self.item_is_str = PyUnicode_CheckExact(item)

    cdef int check(self, object current) except -1:
        if self.item_is_str and PyUnicode_CheckExact(current):
            return PyUnicode_Contains(current, self.item)
        if current is None:
            return False
        try:
            return PySequence_Contains(current, self.item)
        except (TypeError, ValueError):
            # The value is not a container (None, a number), or cannot hold ``item`` (an int in a str,
            # 300 in bytes): never a match.
            return False


cdef class _StrTest(_Leaf):
    # The str C API ignores overrides, as the twin's unbound str methods do: a str subclass is matched
    # as the str it holds.
    cdef str text
    cdef int mode
    cdef bint fold

    def __cinit__(self, object field, str text, int mode, bint fold):
        self.field = field
        self.text = text.casefold() if fold else text
        self.mode = mode
        self.fold = fold

    cdef int check(self, object current) except -1:
        if not PyUnicode_Check(current):
            return False
        if self.fold:
            current = _CASEFOLD(current)
        if self.mode == _EQUALS:
            return PyUnicode_Compare(current, self.text) == 0
        if self.mode == _CONTAINS:
            return PyUnicode_Contains(current, self.text)
        if self.mode == _STARTS:
            return PyUnicode_Tailmatch(current, self.text, 0, _MAX_SSIZE, -1)
        return PyUnicode_Tailmatch(current, self.text, 0, _MAX_SSIZE, 1)


# A LIKE pattern is split on its unescaped ``%`` into segments of fixed length; ``_`` inside a segment
# matches one character. The first segment is anchored at the start, the last at the end, and each middle
# segment is placed at its leftmost match: placing fixed-length segments leftmost leaves the most room for
# the rest, so no backtracking is ever needed and a record costs at most (text length x pattern length).


cdef list _like_segments(str pattern, object escape, bint fold):
    """The ``%``-separated segments of a LIKE pattern: characters, and ``None`` for ``_``.

    ``ValueError`` when the pattern ends with its escape character. With ``fold``, literal characters are
    casefolded (``"ß"`` becomes ``"s", "s"``): ``"a_%!%"`` with escape ``"!"`` is ``[["a", None], ["%"]]``.
    """
    cdef list segments = []
    cdef list current = []
    cdef Py_ssize_t position = 0
    cdef Py_ssize_t length = len(pattern)
    while position < length:
        char = pattern[position]
        position += 1
        if char == escape:
            if position == length:
                raise ValueError(f"LIKE pattern {pattern!r} ends with its escape character {escape!r}")
            char = pattern[position]
            position += 1
        elif char == "%":
            segments.append(current)
            current = []
            continue
        elif char == "_":
            current.append(None)
            continue
        current.extend(char.casefold() if fold else char)
    segments.append(current)
    return segments


cdef inline bint _segment_at(
    const Py_UCS4* segment, Py_ssize_t width, int kind, void* data, Py_ssize_t at
) noexcept:
    """True when ``segment`` matches the text (``kind``, ``data``) at ``at``; the caller checks the room."""
    cdef Py_ssize_t i
    cdef Py_UCS4 char
    for i in range(width):
        char = segment[i]
        if char != _ANY_CHAR and char != PyUnicode_READ(kind, data, at + i):
            return False
    return True


cdef class _Like(_Leaf):
    cdef bint fold
    cdef Py_ssize_t count    # segments
    cdef Py_UCS4* chars      # every segment, back to back
    cdef Py_ssize_t* starts  # segment i is chars[starts[i]:starts[i + 1]]

    def __cinit__(self, object field, list segments, bint fold):
        cdef Py_ssize_t total = 0
        cdef Py_ssize_t i = 0
        cdef Py_ssize_t k = 0
        self.field = field
        self.fold = fold
        self.count = len(segments)
        for segment in segments:
            total += len(segment)
        self.chars = <Py_UCS4*>PyMem_Malloc((total + 1) * sizeof(Py_UCS4))
        self.starts = <Py_ssize_t*>PyMem_Malloc((self.count + 1) * sizeof(Py_ssize_t))
        if self.chars is NULL or self.starts is NULL:
            raise MemoryError()
        for segment in segments:
            self.starts[i] = k
            i += 1
            for char in segment:
                self.chars[k] = _ANY_CHAR if char is None else ord(char)
                k += 1
        self.starts[i] = k

    def __dealloc__(self):
        PyMem_Free(self.chars)
        PyMem_Free(self.starts)

    cdef int check(self, object current) except -1:
        if not PyUnicode_Check(current):
            return False
        if self.fold:
            current = _CASEFOLD(current)
        PyUnicode_READY(current)
        return self._match(PyUnicode_KIND(current), PyUnicode_DATA(current), PyUnicode_GET_LENGTH(current))

    cdef bint _match(self, int kind, void* data, Py_ssize_t length) noexcept:
        cdef Py_ssize_t last = self.count - 1
        cdef Py_ssize_t width = self.starts[1]
        cdef Py_ssize_t position
        cdef Py_ssize_t end
        cdef Py_ssize_t i
        if last == 0:
            return length == width and _segment_at(self.chars, width, kind, data, 0)
        if length < width or not _segment_at(self.chars, width, kind, data, 0):
            return False
        position = width
        width = self.starts[last + 1] - self.starts[last]
        end = length - width
        if end < position or not _segment_at(self.chars + self.starts[last], width, kind, data, end):
            return False
        for i in range(1, last):
            width = self.starts[i + 1] - self.starts[i]
            while position + width <= end:
                if _segment_at(self.chars + self.starts[i], width, kind, data, position):
                    break
                position += 1
            else:
                return False
            position += width
        return True


cdef class _Null(_Leaf):
    cdef bint is_null

    def __cinit__(self, object field, bint is_null):
        self.field = field
        self.is_null = is_null

    cdef int check(self, object current) except -1:
        return (current is None) == self.is_null


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

    def filter(self, records, copy=False, limit=None):
        """The records that match, in iteration order.

        The record objects themselves, or with ``copy=True`` shallow copies made as each match is found
        (``TypeError`` for a match that is not a dict). With ``limit``, the scan stops after that many
        matches (``limit <= 0``: none).
        """
        cdef list out = []
        cdef _Node root = self._root
        cdef bint copying = copy
        cdef Py_ssize_t wanted = _MAX_SSIZE
        cdef object record
        if limit is not None:
            if limit <= 0:
                return out
            if limit < _MAX_SSIZE:
                wanted = limit
        # Copying a match right after testing it finds the record still in the CPU cache.
        # A list (an index's candidates) lies scattered over memory: its records are prefetched ahead.
        cdef list rows
        cdef Py_ssize_t i, n
        if type(records) is list:
            rows = <list>records
            n = len(rows)
            for i in range(n):
                prefetch_ahead(rows, i, n)
                record = rows[i]
                if root.test(record):
                    out.append(shallow_copy(record) if copying else record)
                    if len(out) >= wanted:
                        break
            return out
        for record in records:
            if root.test(record):
                out.append(shallow_copy(record) if copying else record)
                if len(out) >= wanted:
                    break
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
    size = len(plan)
    cdef tuple leaves = _compile_leaves(plan)
    if leaves is not None:
        return leaves[0] if len(leaves) == 1 else _AllOf(leaves)
    if kind == "cmp" and size == 4 and plan[1] in COMPARISONS:
        return _CompareValues(compile_node(plan[2]), compile_node(plan[3]), _OPERATORS[plan[1]])
    if kind == "of" and size == 3:
        leaves = _compile_leaves(plan[2])
        if leaves is None:
            raise ValueError(f"predicate plan node {plan!r}: a computed value takes a one-field test")
        return _Of(compile_node(plan[1]), leaves)
    if kind in ("and", "or") and size == 2:
        children = tuple([_compile(child) for child in _operand_tuple(plan)])
        if not children:
            raise ValueError(f"predicate plan node {kind!r} needs at least one operand")
        return _AllOf(children) if kind == "and" else _AnyOf(children)
    if kind == "not" and size == 2:
        return _Negation(_compile(plan[1]))
    if kind == "true" and size == 1:
        return _Always()
    raise ValueError(f"unknown predicate plan node {plan!r}")


cdef tuple _compile_leaves(object plan):
    """The one-value tests of a one-field node (two for ``between``), or ``None`` for any other node."""
    if not isinstance(plan, tuple) or not plan:
        return None
    kind = plan[0]
    size = len(plan)
    if kind in COMPARISONS and size == 3:
        return (_compile_comparison(kind, plan[1], plan[2]),)
    if kind == "between" and size == 4:
        return (_compile_comparison("ge", plan[1], plan[2]), _compile_comparison("le", plan[1], plan[3]))
    if kind == "in" and size == 3:
        return (_In(plan[1], _operand_tuple(plan)),)
    if kind == "contains" and size == 3:
        return (_Contains(plan[1], plan[2]),)
    if kind in _STRING_TESTS and size == 3:
        return (_compile_string_test(kind, plan[1], _operand_str(plan, plan[2])),)
    if kind == "like" and size == 5:
        fold = _fold(plan)
        return (_Like(plan[1], _like_segments(_operand_str(plan, plan[2]), _escape(plan), fold), fold),)
    if kind in ("is_null", "is_not_null") and size == 2:
        return (_Null(plan[1], kind == "is_null"),)
    return None


cdef tuple _operand_tuple(tuple plan):
    operand = plan[len(plan) - 1]
    if not isinstance(operand, tuple):
        raise ValueError(f"predicate plan node {plan!r} needs a tuple operand")
    return operand


cdef str _operand_str(tuple plan, object operand):
    if not isinstance(operand, str):
        raise ValueError(f"predicate plan node {plan!r} needs a str operand, not {type(operand).__name__}")
    # A str subclass is used as the str it holds (an exact copy), as the record values are.
    return str.__str__(operand)


cdef object _escape(tuple plan):
    escape = plan[3]
    if escape is not None and not (isinstance(escape, str) and len(escape) == 1):
        raise ValueError(f"predicate plan node {plan!r}: the LIKE escape must be None or one character")
    return escape


cdef bint _fold(tuple plan) except -1:
    fold = plan[4]
    if not isinstance(fold, bool):
        raise ValueError(f"predicate plan node {plan!r}: the LIKE case flag must be a bool")
    return fold


cdef _Leaf _compile_comparison(object kind, object field, object value):
    cdef int op = _OPERATORS[kind]
    if op != Py_EQ and op != Py_NE and value is None:
        return _Never()
    return _Compare(field, value, op)


cdef _Leaf _compile_string_test(object kind, object field, str text):
    cdef bint fold = kind.startswith("i")
    cdef object base = kind[1:] if fold else kind
    cdef int mode = {"equals": _EQUALS, "contains": _CONTAINS, "startswith": _STARTS, "endswith": _ENDS}[base]
    return _StrTest(field, text, mode, fold)
