"""The sorted index: the compiled twin of ``_index_py.py``.

The order, the null bucket and the tie rule are documented in ``_index_py.py``; both cores give identical
answers. docs/indexes.md has the design and its measured costs.

Here each group of the order (nulls, numbers, strs, bytes, and one per "other" type) is a *blocked sorted
list* of C arrays, the shape of sortedcontainers' list of lists: blocks of ``load`` to ``2 * load`` entries
(at least ``load / 2``), each a struct of arrays (key, value, sequence number, primary key), found by binary
search over the blocks' last entries, then within the block. Numbers carry an unboxed double key: two numbers
whose doubles differ are ordered by them; equal doubles are equal values when both are exact (a float, or an
int within 2**53), and otherwise Python decides. Strs compare with ``PyUnicode_Compare``, bytes with
``memcmp``; other types call Python.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.list cimport PyList_New
from cpython.long cimport PyLong_AsDouble, PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from libc.stdint cimport INT64_MAX, INT64_MIN, int64_t, uint64_t
from libc.string cimport memcmp, memcpy, memmove, memset

cimport cython
from ._cpython cimport (
    EXACT_DOUBLE_INT, PyByteArray_AS_STRING, PyByteArray_Check, PyByteArray_GET_SIZE, PyBytes_Check,
    PyFloat_Check, PyLong_Check, PyTuple_CheckExact, PyTuple_GET_SIZE, PyUnicode_Check,
    PyUnicode_Tailmatch, Py_EnterRecursiveCall, Py_LeaveRecursiveCall, decref, incref, list_set,
    unicode_compare,
)

# Imported under private names: the module's public names are its ``__all__`` (tests/test_build.py).
import datetime as _datetime
import numbers as _numbers
import sys as _sys
from bisect import insort as _insort
from decimal import Decimal as _Decimal
from fractions import Fraction as _Fraction

__all__ = ["DEFAULT_LOAD", "SortedIndex", "order_ranks"]

#: Target entries per block (sortedcontainers' "load factor"); blocks hold between load/2 and 2*load.
DEFAULT_LOAD = 128


# Group ranks, in the order of the total order.
cdef enum:
    _NULLS = 0
    _NUMBERS = 1
    _STRS = 2
    _BYTES = 3
    _OTHERS = 4

# How a group compares its keys. The first three are the kinds of "other" groups (the twin's ``kind``).
cdef enum:
    _NATURAL = 0
    _SEQUENCE = 1
    _UNORDERED = 2
    _TIE = 3       # the null bucket: every entry ties
    _NUMBER = 4
    _STR = 5
    _BYTE = 6

cdef double _INF = float("inf")
cdef Py_ssize_t _MAX_SIZE = _sys.maxsize

cdef object _DATETIME = _datetime.datetime
cdef object _TIME = _datetime.time
cdef object _DECIMAL = _Decimal
cdef object _FRACTION = _Fraction
cdef object _REAL = _numbers.Real


ctypedef struct _Probe:
    # A value being located: its double when it is a number (exact: the double is the value itself).
    double number
    bint exact
    PyObject* value


cdef int _classify(object value, _Probe* probe) except -1:
    """The group rank of ``value``; fills ``probe`` (the same checks, in the same order, as the twin)."""
    cdef int overflow = 0
    cdef long long as_int
    cdef double as_double
    probe.value = <PyObject*>value
    probe.number = 0.0
    probe.exact = False
    if value is None:
        return _NULLS
    if PyFloat_Check(value):
        as_double = PyFloat_AS_DOUBLE(value)
        if as_double != as_double:
            return _NULLS
        probe.number = as_double
        probe.exact = True
        return _NUMBERS
    if PyLong_Check(value):
        as_int = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow == 0:
            probe.number = <double>as_int
            probe.exact = -EXACT_DOUBLE_INT <= as_int <= EXACT_DOUBLE_INT
        else:
            probe.number = _long_double(value)
        return _NUMBERS
    if PyUnicode_Check(value):
        return _STRS
    if isinstance(value, _DECIMAL):
        if value.is_nan():
            return _NULLS
        probe.number = float(value)
        return _NUMBERS
    if PyBytes_Check(value) or PyByteArray_Check(value):
        return _BYTES
    if isinstance(value, _FRACTION):
        probe.number = _real_double(value)
        return _NUMBERS
    if isinstance(value, _REAL):
        # numpy scalars and the like: numbers if they convert to float, which is how they compare.
        try:
            as_double = float(value)
        except OverflowError:
            probe.number = _INF if value > 0 else -_INF
            return _NUMBERS
        except Exception:
            return _OTHERS
        if as_double != as_double:
            return _NULLS
        probe.number = as_double
        return _NUMBERS
    return _OTHERS


cdef double _long_double(object value) except? -1.0:
    # Rounded to nearest, so the order of doubles never contradicts the order of the ints.
    try:
        return PyLong_AsDouble(value)
    except OverflowError:
        return _INF if value > 0 else -_INF


cdef double _real_double(object value) except? -1.0:
    try:
        return float(value)
    except OverflowError:
        return _INF if value > 0 else -_INF


cdef tuple _other_group(object value):
    """``(type name, module, qualified name, variant, kind)`` of a value outside the built-in groups."""
    if isinstance(value, tuple):
        return ("tuple", "builtins", "tuple", 0, _SEQUENCE)
    if isinstance(value, list):
        return ("list", "builtins", "list", 0, _SEQUENCE)
    if isinstance(value, dict):
        return ("dict", "builtins", "dict", 0, _UNORDERED)
    if isinstance(value, (set, frozenset)):
        # set == frozenset in Python, so they share a group; subsets are a partial order, not a total one.
        return ("set", "builtins", "set", 0, _UNORDERED)
    if isinstance(value, _DATETIME):
        return ("datetime", "datetime", "datetime", _aware(value), _NATURAL)
    if isinstance(value, _TIME):
        return ("time", "datetime", "time", _aware(value), _NATURAL)
    cls = type(value)
    name, module, qualname = str(cls.__name__), str(cls.__module__), str(cls.__qualname__)
    try:
        bool(value < value)
    except Exception:
        return (name, module, qualname, 0, _UNORDERED)
    return (name, module, qualname, 0, _NATURAL)


cdef int _aware(object value):
    """1 for an aware datetime or time, 0 for a naive one: Python cannot order one against the other."""
    try:
        return 0 if value.utcoffset() is None else 1
    except Exception:
        return 0


cdef int _natural_cmp(object a, object b) except -2:
    """A type's own order; a comparison that raises counts as a tie, so a bad value never crashes."""
    if a is b:
        return 0
    try:
        if a < b:
            return -1
        if b < a:
            return 1
    except Exception:
        return 0
    return 0


cdef int _number_cmp(double a, bint a_exact, PyObject* a_value,
                     double b, bint b_exact, PyObject* b_value) except -2:
    if a < b:
        return -1
    if a > b:
        return 1
    if a_value == b_value or (a_exact and b_exact):
        return 0
    return _natural_cmp(<object>a_value, <object>b_value)


cdef inline const char* _bytes_data(object value, Py_ssize_t* size) noexcept:
    """The buffer of a bytes or bytearray value (the bytes group holds both), and its size."""
    if PyBytes_Check(value):
        size[0] = PyBytes_GET_SIZE(value)
        return PyBytes_AS_STRING(value)
    size[0] = PyByteArray_GET_SIZE(value)
    return PyByteArray_AS_STRING(value)


cdef int _bytes_cmp(object a, object b) noexcept:
    cdef Py_ssize_t a_size, b_size
    cdef const char* a_data = _bytes_data(a, &a_size)
    cdef const char* b_data = _bytes_data(b, &b_size)
    cdef int result = memcmp(a_data, b_data, a_size if a_size < b_size else b_size)
    if result:
        return -1 if result < 0 else 1
    return (a_size > b_size) - (a_size < b_size)


cdef int _bytes_startswith(object value, object prefix) noexcept:
    cdef Py_ssize_t size, head_size
    cdef const char* data = _bytes_data(value, &size)
    cdef const char* head = _bytes_data(prefix, &head_size)
    return size >= head_size and memcmp(data, head, head_size) == 0


cdef int _sequence_cmp(object a, object b) except -2:
    """Tuples and lists: item by item in the total order, then the shorter first."""
    cdef Py_ssize_t i, a_size = len(a), b_size = len(b)
    cdef int result = 0
    Py_EnterRecursiveCall(" in a SortedIndex comparison")
    try:
        for i in range(a_size if a_size < b_size else b_size):
            result = _total_cmp(a[i], b[i])
            if result:
                return result
    finally:
        Py_LeaveRecursiveCall()
    return (a_size > b_size) - (a_size < b_size)


cdef int _total_cmp(object a, object b) except -2:
    """The total order on any two values (the twin compares ``_element_key``s)."""
    cdef _Probe pa, pb
    cdef int rank_a = _classify(a, &pa)
    cdef int rank_b = _classify(b, &pb)
    if rank_a != rank_b:
        return -1 if rank_a < rank_b else 1
    if rank_a == _NULLS:
        return 0
    if rank_a == _NUMBERS:
        return _number_cmp(pa.number, pa.exact, pa.value, pb.number, pb.exact, pb.value)
    if rank_a == _STRS:
        return unicode_compare(pa.value, pb.value)
    if rank_a == _BYTES:
        return _bytes_cmp(a, b)
    group_a, group_b = _other_group(a), _other_group(b)
    if group_a != group_b:
        return -1 if group_a < group_b else 1
    return _within_cmp(group_a[4], a, b)


cdef int _within_cmp(int kind, object a, object b) except -2:
    if kind == _NATURAL:
        return _natural_cmp(a, b)
    if kind == _SEQUENCE:
        return _sequence_cmp(a, b)
    return 0


cdef bint _equals(object stored, object value):
    """Python's ``stored == value``; an ``==`` that raises (a Decimal sNaN) is not equal."""
    try:
        return bool(stored == value)
    except Exception:
        return False


cdef Py_ssize_t _check_count(str name, object k) except -1:
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"{name} must be an int >= 0, not {k!r}")
    return k


# --- one group: a blocked sorted list of C arrays --------------------------------------------------------

ctypedef struct _Block:
    Py_ssize_t size
    Py_ssize_t capacity
    double* numbers          # numbers only: the double key
    unsigned char* exact     # numbers only: the double is the value itself
    PyObject** values        # owned references
    int64_t* seqs
    PyObject** pks           # owned references


cdef _Block* _block_new(Py_ssize_t capacity, bint numeric) except NULL:
    cdef _Block* block = <_Block*>PyMem_Malloc(sizeof(_Block))
    if block is NULL:
        raise MemoryError()
    block.size = 0
    block.capacity = 0
    block.numbers = NULL
    block.exact = NULL
    block.values = NULL
    block.seqs = NULL
    block.pks = NULL
    try:
        _block_reserve(block, capacity, numeric)
    except MemoryError:
        _block_free(block)
        raise
    return block


cdef int _block_reserve(_Block* block, Py_ssize_t capacity, bint numeric) except -1:
    """Resize the arrays to ``capacity`` entries (never below the size).

    Growing raises MemoryError and keeps the old capacity when any array cannot grow; shrinking never
    fails (an array that cannot shrink stays bigger). Either way every array holds at least ``capacity``.
    """
    cdef bint resized = True
    if capacity < block.size:
        capacity = block.size
    if capacity == block.capacity:
        return 0
    resized &= _resize(<void**>&block.values, capacity * sizeof(PyObject*))
    resized &= _resize(<void**>&block.pks, capacity * sizeof(PyObject*))
    resized &= _resize(<void**>&block.seqs, capacity * sizeof(int64_t))
    if numeric:
        resized &= _resize(<void**>&block.numbers, capacity * sizeof(double))
        resized &= _resize(<void**>&block.exact, capacity * sizeof(unsigned char))
    if not resized and capacity > block.capacity:
        raise MemoryError()
    block.capacity = capacity
    return 0


cdef bint _resize(void** array, size_t size) noexcept:
    """Reallocate ``array[0]`` to ``size`` bytes; on failure leave it as it was and return False."""
    cdef void* resized = PyMem_Realloc(array[0], size)
    if resized is NULL:
        return False
    array[0] = resized
    return True


cdef void _block_free(_Block* block) noexcept:
    cdef Py_ssize_t i
    for i in range(block.size):
        decref(block.values[i])
        decref(block.pks[i])
    PyMem_Free(block.numbers)
    PyMem_Free(block.exact)
    PyMem_Free(block.values)
    PyMem_Free(block.seqs)
    PyMem_Free(block.pks)
    PyMem_Free(block)


cdef inline Py_ssize_t _grown(Py_ssize_t size) noexcept:
    # Room for a quarter more: blocks stay ~80% full, and an insert rarely reallocates.
    return size + (size >> 2) + 4


# An item of a bulk build: the entry before it is stored in a block.
ctypedef struct _Item:
    double number
    unsigned char exact
    PyObject* value
    int64_t seq
    PyObject* pk
    Py_ssize_t slot          # which group of the batch it belongs to


@cython.final
cdef class _Group:
    """One group of the order: entries sorted by (key, sequence number) in blocks."""

    cdef int kind
    cdef bint numeric
    cdef Py_ssize_t load
    cdef Py_ssize_t length
    cdef _Block** blocks
    # Numbers only: each block's last double, side by side, so the search over blocks reads one small array
    # instead of following a pointer per step.
    cdef double* lasts
    cdef Py_ssize_t nblocks
    cdef Py_ssize_t block_capacity

    def __cinit__(self, int kind, Py_ssize_t load):
        self.kind = kind
        self.numeric = kind == _NUMBER
        self.load = load
        self.length = 0
        self.blocks = NULL
        self.lasts = NULL
        self.nblocks = 0
        self.block_capacity = 0

    def __dealloc__(self):
        self._free()

    cdef void _free(self) noexcept:
        cdef Py_ssize_t b
        for b in range(self.nblocks):
            _block_free(self.blocks[b])
        PyMem_Free(self.blocks)
        PyMem_Free(self.lasts)
        self.blocks = NULL
        self.lasts = NULL
        self.nblocks = 0
        self.block_capacity = 0
        self.length = 0

    # -- comparing ----------------------------------------------------------------------------------------

    cdef inline int _cmp(self, _Block* block, Py_ssize_t i, _Probe* probe) except -2:
        """The order of entry ``i`` of ``block`` against ``probe``, by key only."""
        cdef int kind = self.kind
        if kind == _NUMBER:
            return _number_cmp(block.numbers[i], block.exact[i], block.values[i],
                               probe.number, probe.exact, probe.value)
        if kind == _STR:
            return unicode_compare(block.values[i], probe.value)
        if kind == _BYTE:
            return _bytes_cmp(<object>block.values[i], <object>probe.value)
        if kind == _NATURAL:
            return _natural_cmp(<object>block.values[i], <object>probe.value)
        if kind == _SEQUENCE:
            return _sequence_cmp(<object>block.values[i], <object>probe.value)
        return 0  # the null bucket and unordered groups: every entry ties, the sequence orders them

    cdef inline int _cmp_items(self, _Item* a, _Item* b) except -2:
        cdef _Probe probe
        cdef int result
        if self.kind == _NUMBER:
            result = _number_cmp(a.number, a.exact, a.value, b.number, b.exact, b.value)
        else:
            probe.value = b.value
            result = self._cmp_values(a.value, &probe)
        if result == 0:
            result = (a.seq > b.seq) - (a.seq < b.seq)
        return result

    cdef int _cmp_values(self, PyObject* value, _Probe* probe) except -2:
        cdef int kind = self.kind
        if kind == _STR:
            return unicode_compare(value, probe.value)
        if kind == _BYTE:
            return _bytes_cmp(<object>value, <object>probe.value)
        if kind == _NATURAL:
            return _natural_cmp(<object>value, <object>probe.value)
        if kind == _SEQUENCE:
            return _sequence_cmp(<object>value, <object>probe.value)
        return 0

    cdef inline void _probe_of(self, _Block* block, Py_ssize_t i, _Probe* probe) noexcept:
        probe.value = block.values[i]
        if self.numeric:
            probe.number = block.numbers[i]
            probe.exact = block.exact[i]

    cdef inline void _touch(self, Py_ssize_t b) noexcept:
        """Record block ``b``'s last double after a change."""
        cdef _Block* block
        if self.numeric:
            block = self.blocks[b]
            self.lasts[b] = block.numbers[block.size - 1]

    cdef inline int _below(self, _Block* block, Py_ssize_t i, _Probe* probe, int64_t seq) except -1:
        """True when entry ``i`` comes before ``(probe, seq)``."""
        cdef int result = self._cmp(block, i, probe)
        return result < 0 or (result == 0 and block.seqs[i] < seq)

    # -- locating -----------------------------------------------------------------------------------------

    cdef int _lower_bound(self, _Probe* probe, int64_t seq, Py_ssize_t* out_block,
                          Py_ssize_t* out_index) except -1:
        """The first position not before ``(probe, seq)``. A ``seq`` of INT64_MIN finds the first entry
        equal to ``probe`` (bisect_left); INT64_MAX the one after the last (bisect_right)."""
        cdef Py_ssize_t low = 0, high = self.nblocks, middle
        cdef _Block* block
        cdef bint below
        while low < high:
            middle = (low + high) >> 1
            if self.numeric and self.lasts[middle] != probe.number:
                below = self.lasts[middle] < probe.number
            else:
                block = self.blocks[middle]
                below = self._below(block, block.size - 1, probe, seq)
            if below:
                low = middle + 1
            else:
                high = middle
        if low == self.nblocks:
            self._end(out_block, out_index)
            return 0
        block = self.blocks[low]
        out_block[0] = low
        high = block.size - 1
        low = 0
        while low < high:
            middle = (low + high) >> 1
            if self._below(block, middle, probe, seq):
                low = middle + 1
            else:
                high = middle
        out_index[0] = low
        return 0

    cdef inline void _end(self, Py_ssize_t* out_block, Py_ssize_t* out_index) noexcept:
        if self.nblocks == 0:
            out_block[0] = 0
            out_index[0] = 0
        else:
            out_block[0] = self.nblocks - 1
            out_index[0] = self.blocks[self.nblocks - 1].size

    cdef Py_ssize_t _distance(self, Py_ssize_t block0, Py_ssize_t index0,
                              Py_ssize_t block1, Py_ssize_t index1) noexcept:
        """Entries from position 0 (included) to position 1 (excluded); negative when 1 is before 0."""
        cdef Py_ssize_t total = index1 - index0
        cdef Py_ssize_t b
        if block0 <= block1:
            for b in range(block0, block1):
                total += self.blocks[b].size
        else:
            for b in range(block1, block0):
                total -= self.blocks[b].size
        return total

    cdef Py_ssize_t _find(self, _Probe* probe, object value, object pk, bint other,
                          Py_ssize_t* out_block, Py_ssize_t* out_index) except -2:
        """The position of ``pk``'s entry among those equal to ``probe``, or -1."""
        cdef Py_ssize_t block0, index0, block1, index1, count, b, i, _n, pass_
        cdef bint found
        cdef _Block* block
        cdef PyObject* stored
        self._lower_bound(probe, INT64_MIN, &block0, &index0)
        self._lower_bound(probe, INT64_MAX, &block1, &index1)
        count = self._distance(block0, index0, block1, index1)
        # The pk the table passes is usually the very object it indexed: try identity first.
        for pass_ in range(2):
            b, i = block0, index0
            for _n in range(count):
                block = self.blocks[b]
                if i == block.size:
                    b += 1
                    i = 0
                    block = self.blocks[b]
                stored = block.pks[i]
                if pass_ == 0:
                    found = stored == <PyObject*>pk
                else:
                    found = _equals(<object>stored, pk)
                if found:
                    out_block[0], out_index[0] = b, i
                    return 0
                i += 1
        if other:
            # A type whose own order is not a total one may have put the entry elsewhere in its group.
            for b in range(self.nblocks):
                block = self.blocks[b]
                for i in range(block.size):
                    if ((block.pks[i] == <PyObject*>pk or _equals(<object>block.pks[i], pk)) and
                            (block.values[i] == <PyObject*>value or _equals(<object>block.values[i], value))):
                        out_block[0], out_index[0] = b, i
                        return 0
        return -1

    # -- changing -----------------------------------------------------------------------------------------

    cdef int _insert_at(self, Py_ssize_t b, Py_ssize_t i, _Probe* probe, int64_t seq, object pk) except -1:
        cdef _Block* block
        cdef Py_ssize_t tail
        if self.nblocks == 0:
            self._reserve_blocks(1)
            self.blocks[0] = _block_new(8, self.numeric)
            self.nblocks = 1
            b, i = 0, 0
        block = self.blocks[b]
        if block.size == block.capacity:
            _block_reserve(block, _grown(block.size), self.numeric)
        tail = block.size - i
        if tail:
            memmove(&block.values[i + 1], &block.values[i], tail * sizeof(PyObject*))
            memmove(&block.pks[i + 1], &block.pks[i], tail * sizeof(PyObject*))
            memmove(&block.seqs[i + 1], &block.seqs[i], tail * sizeof(int64_t))
            if self.numeric:
                memmove(&block.numbers[i + 1], &block.numbers[i], tail * sizeof(double))
                memmove(&block.exact[i + 1], &block.exact[i], tail * sizeof(unsigned char))
        incref(probe.value)
        incref(<PyObject*>pk)
        block.values[i] = probe.value
        block.pks[i] = <PyObject*>pk
        block.seqs[i] = seq
        if self.numeric:
            block.numbers[i] = probe.number
            block.exact[i] = probe.exact
        block.size += 1
        self.length += 1
        self._touch(b)
        if block.size > 2 * self.load:
            # The entry is in: rebalancing is best effort, a block left too big is still sorted.
            try:
                self._split(b)
            except MemoryError:
                pass
        return 0

    cdef int _insert(self, _Probe* probe, int64_t seq, object pk) except -1:
        cdef Py_ssize_t b, i
        self._lower_bound(probe, seq, &b, &i)
        return self._insert_at(b, i, probe, seq, pk)

    cdef int _reserve_blocks(self, Py_ssize_t count) except -1:
        cdef Py_ssize_t capacity
        cdef void* grown
        if count <= self.block_capacity:
            return 0
        capacity = count + (count >> 1) + 4
        grown = PyMem_Realloc(self.blocks, capacity * sizeof(_Block*))
        if grown is NULL:
            raise MemoryError()
        self.blocks = <_Block**>grown
        if self.numeric:
            grown = PyMem_Realloc(self.lasts, capacity * sizeof(double))
            if grown is NULL:
                raise MemoryError()
            self.lasts = <double*>grown
        self.block_capacity = capacity
        return 0

    cdef int _split(self, Py_ssize_t b) except -1:
        """Move the upper half of block ``b`` into a new block after it."""
        cdef _Block* block = self.blocks[b]
        cdef Py_ssize_t keep = block.size >> 1
        cdef Py_ssize_t moved = block.size - keep
        cdef _Block* fresh
        # Both allocations come first: if either fails, nothing has moved.
        self._reserve_blocks(self.nblocks + 1)
        fresh = _block_new(_grown(moved), self.numeric)
        self._copy(fresh, 0, block, keep, moved)
        fresh.size = moved
        block.size = keep
        memmove(&self.blocks[b + 2], &self.blocks[b + 1], (self.nblocks - b - 1) * sizeof(_Block*))
        self.blocks[b + 1] = fresh
        if self.numeric:
            memmove(&self.lasts[b + 2], &self.lasts[b + 1], (self.nblocks - b - 1) * sizeof(double))
        self.nblocks += 1
        self._touch(b)
        self._touch(b + 1)
        _block_reserve(block, _grown(keep), self.numeric)  # shrinking: never fails
        return 0

    cdef void _copy(self, _Block* target, Py_ssize_t at, _Block* source, Py_ssize_t start,
                    Py_ssize_t count) noexcept:
        """Move entries (their references with them) between blocks with room for them."""
        memcpy(&target.values[at], &source.values[start], count * sizeof(PyObject*))
        memcpy(&target.pks[at], &source.pks[start], count * sizeof(PyObject*))
        memcpy(&target.seqs[at], &source.seqs[start], count * sizeof(int64_t))
        if self.numeric:
            memcpy(&target.numbers[at], &source.numbers[start], count * sizeof(double))
            memcpy(&target.exact[at], &source.exact[start], count * sizeof(unsigned char))

    cdef int _delete_at(self, Py_ssize_t b, Py_ssize_t i) except -1:
        cdef _Block* block = self.blocks[b]
        cdef PyObject* value = block.values[i]
        cdef PyObject* pk = block.pks[i]
        cdef Py_ssize_t tail = block.size - i - 1
        if tail:
            memmove(&block.values[i], &block.values[i + 1], tail * sizeof(PyObject*))
            memmove(&block.pks[i], &block.pks[i + 1], tail * sizeof(PyObject*))
            memmove(&block.seqs[i], &block.seqs[i + 1], tail * sizeof(int64_t))
            if self.numeric:
                memmove(&block.numbers[i], &block.numbers[i + 1], tail * sizeof(double))
                memmove(&block.exact[i], &block.exact[i + 1], tail * sizeof(unsigned char))
        block.size -= 1
        self.length -= 1
        if block.size == 0:
            _block_free(block)
            memmove(&self.blocks[b], &self.blocks[b + 1], (self.nblocks - b - 1) * sizeof(_Block*))
            if self.numeric:
                memmove(&self.lasts[b], &self.lasts[b + 1], (self.nblocks - b - 1) * sizeof(double))
            self.nblocks -= 1
        else:
            self._touch(b)
            if block.size < self.load >> 1 and self.nblocks > 1:
                # The entry is out: rebalancing is best effort, a block left too small is still sorted.
                try:
                    self._merge(b - 1 if b > 0 else b)
                except MemoryError:
                    pass
        # Released last: a value's or pk's destructor may run Python code.
        decref(value)
        decref(pk)
        return 0

    cdef int _merge(self, Py_ssize_t b) except -1:
        """Append block ``b + 1`` to block ``b``, then split again if that is too big."""
        cdef _Block* left = self.blocks[b]
        cdef _Block* right = self.blocks[b + 1]
        _block_reserve(left, left.size + right.size, self.numeric)
        self._copy(left, left.size, right, 0, right.size)
        left.size += right.size
        right.size = 0
        _block_free(right)
        memmove(&self.blocks[b + 1], &self.blocks[b + 2], (self.nblocks - b - 2) * sizeof(_Block*))
        if self.numeric:
            memmove(&self.lasts[b + 1], &self.lasts[b + 2], (self.nblocks - b - 2) * sizeof(double))
        self.nblocks -= 1
        self._touch(b)
        if left.size > 2 * self.load:
            self._split(b)
        return 0

    cdef int _build(self, _Item* items, Py_ssize_t count) except -1:
        """Replace the entries with ``count`` sorted items, in full blocks of ``load``."""
        cdef Py_ssize_t nblocks = (count + self.load - 1) // self.load
        cdef Py_ssize_t b, i, start, size
        cdef _Block* block
        self._reserve_blocks(nblocks)
        for b in range(nblocks):
            start = b * self.load
            size = min(self.load, count - start)
            self.blocks[b] = _block_new(size, self.numeric)
            self.nblocks = b + 1
            block = self.blocks[b]
            for i in range(size):
                block.values[i] = items[start + i].value
                block.pks[i] = items[start + i].pk
                block.seqs[i] = items[start + i].seq
                if self.numeric:
                    block.numbers[i] = items[start + i].number
                    block.exact[i] = items[start + i].exact
                incref(block.values[i])
                incref(block.pks[i])
            block.size = size
            self._touch(b)
        self.length = count
        return 0

    cdef int _export(self, _Item* items) noexcept:
        """Copy every entry, in order, into ``items`` (borrowed references)."""
        cdef Py_ssize_t b, i, n = 0
        cdef _Block* block
        for b in range(self.nblocks):
            block = self.blocks[b]
            for i in range(block.size):
                items[n].value = block.values[i]
                items[n].pk = block.pks[i]
                items[n].seq = block.seqs[i]
                if self.numeric:
                    items[n].number = block.numbers[i]
                    items[n].exact = block.exact[i]
                n += 1
        return 0

    # -- reading ------------------------------------------------------------------------------------------

    cdef Py_ssize_t _fill(self, list out, Py_ssize_t at, Py_ssize_t b, Py_ssize_t i,
                          Py_ssize_t count) noexcept:
        """Put ``count`` primary keys from position ``(b, i)`` on into ``out[at:]``."""
        cdef _Block* block
        cdef Py_ssize_t take, j
        cdef PyObject* pk
        while count > 0:
            block = self.blocks[b]
            take = block.size - i
            if take > count:
                take = count
            for j in range(take):
                pk = block.pks[i + j]
                incref(pk)
                list_set(out, at + j, pk)
            at += take
            count -= take
            b += 1
            i = 0
        return at

    cdef list _ascending(self, Py_ssize_t b, Py_ssize_t i, Py_ssize_t count):
        cdef list out = PyList_New(count)
        self._fill(out, 0, b, i, count)
        return out

    cdef list _descending(self, Py_ssize_t b0, Py_ssize_t i0, Py_ssize_t b1, Py_ssize_t i1,
                          Py_ssize_t limit):
        """Primary keys of ``[(b0, i0), (b1, i1))`` by descending key, each run of ties in insertion order;
        at most ``limit`` (a run cut by the limit keeps its earliest entries)."""
        cdef Py_ssize_t remaining = self._distance(b0, i0, b1, i1)
        cdef Py_ssize_t want = remaining if remaining < limit else limit
        cdef list out = PyList_New(want)
        cdef Py_ssize_t at = 0, run, take, rb, ri, pb, pi
        cdef _Probe probe
        cdef bint ties = self.kind == _TIE or self.kind == _UNORDERED
        while at < want:
            # The run of ties that ends just before (b1, i1).
            rb, ri = b1, i1
            if ri == 0:
                rb -= 1
                ri = self.blocks[rb].size
            ri -= 1
            run = 1
            if ties:
                run = remaining
                self._back(&rb, &ri, remaining - 1)
            else:
                self._probe_of(self.blocks[rb], ri, &probe)
                while run < remaining:
                    pb, pi = rb, ri
                    if pi == 0:
                        pb -= 1
                        pi = self.blocks[pb].size
                    pi -= 1
                    # Distinct doubles are distinct numbers: most neighbours differ, and cheaply.
                    if self.numeric and self.blocks[pb].numbers[pi] != probe.number:
                        break
                    if self._cmp(self.blocks[pb], pi, &probe) != 0:
                        break
                    rb, ri = pb, pi
                    run += 1
            take = run if run < want - at else want - at
            self._fill(out, at, rb, ri, take)
            at += take
            remaining -= run
            b1, i1 = rb, ri
        return out

    cdef void _back(self, Py_ssize_t* b, Py_ssize_t* i, Py_ssize_t steps) noexcept:
        while steps > i[0]:
            steps -= i[0] + 1
            b[0] -= 1
            i[0] = self.blocks[b[0]].size - 1
        i[0] -= steps

    cdef list _all(self, bint reverse, Py_ssize_t limit):
        if reverse:
            return self._descending(0, 0, self.nblocks, 0, limit) if self.nblocks else []
        return self._ascending(0, 0, min(self.length, limit))

    cdef object _value_at(self, Py_ssize_t b, Py_ssize_t i):
        return <object>self.blocks[b].values[i]

    cdef Py_ssize_t _memory(self) noexcept:
        cdef Py_ssize_t total = sizeof(_Group) + self.block_capacity * sizeof(_Block*)
        cdef Py_ssize_t per_entry = 2 * sizeof(PyObject*) + sizeof(int64_t)
        cdef Py_ssize_t b
        if self.numeric:
            per_entry += sizeof(double) + sizeof(unsigned char)
        for b in range(self.nblocks):
            total += sizeof(_Block) + self.blocks[b].capacity * per_entry
        return total


cdef int _merge_sort(_Group group, _Item* items, _Item* scratch, Py_ssize_t count) except -1:
    """Sort ``items`` by (key, sequence number), stably; ``scratch`` holds ``count`` items."""
    cdef Py_ssize_t i, j, middle
    cdef _Item item
    if count <= 16:
        for i in range(1, count):
            item = items[i]
            j = i
            while j > 0 and group._cmp_items(&items[j - 1], &item) > 0:
                items[j] = items[j - 1]
                j -= 1
            items[j] = item
        return 0
    middle = count >> 1
    _merge_sort(group, items, scratch, middle)
    _merge_sort(group, items + middle, scratch, count - middle)
    if group._cmp_items(&items[middle - 1], &items[middle]) <= 0:
        return 0  # already in order: a sorted batch, or a batch that all comes after the entries
    return _merge_halves(group, items, scratch, middle, count)


cdef int _merge_halves(_Group group, _Item* items, _Item* scratch, Py_ssize_t middle,
                       Py_ssize_t count) except -1:
    """Merge the sorted ``items[:middle]`` and ``items[middle:count]``; ties take the left first."""
    cdef Py_ssize_t i = 0, j = middle, k = 0
    memcpy(scratch, items, middle * sizeof(_Item))
    while i < middle and j < count:
        if group._cmp_items(&items[j], &scratch[i]) < 0:
            items[k] = items[j]
            j += 1
        else:
            items[k] = scratch[i]
            i += 1
        k += 1
    while i < middle:
        items[k] = scratch[i]
        i += 1
        k += 1
    return 0


# --- the index -------------------------------------------------------------------------------------------

cdef class SortedIndex:
    """Values mapped to primary keys, in DictDB's total order, with ties in insertion order.

    >>> index = SortedIndex([(30, "a"), (25, "b"), (None, "c"), (30.0, "d")])
    >>> index.range(26, 40)
    ['a', 'd']
    >>> index.first(2), index.last(2)
    (['c', 'b'], ['a', 'd'])
    """

    cdef _Group _nulls
    cdef _Group _numbers
    cdef _Group _strs
    cdef _Group _bytes
    cdef dict _others       # group key -> _Group
    cdef list _other_keys   # the keys of _others, sorted
    cdef int64_t _next_seq
    cdef Py_ssize_t _load

    def __cinit__(self):
        self._load = DEFAULT_LOAD
        self._reset()

    def __init__(self, pairs=(), *, load=DEFAULT_LOAD):
        if not isinstance(load, int) or load < 4:
            raise ValueError(f"load must be an int >= 4, not {load!r}")
        self._load = load
        self._reset()
        self.insert_many(pairs)

    cdef void _reset(self):
        self._nulls = _Group(_TIE, self._load)
        self._numbers = _Group(_NUMBER, self._load)
        self._strs = _Group(_STR, self._load)
        self._bytes = _Group(_BYTE, self._load)
        self._others = {}
        self._other_keys = []
        self._next_seq = 0

    def __reduce__(self):
        """Pickling and copying rebuild the index from its entries in order, so ties keep their order."""
        cdef list pairs = []
        cdef _Group group
        cdef _Block* block
        cdef Py_ssize_t b, i
        for group in [self._nulls, *self._ordered_groups()]:
            for b in range(group.nblocks):
                block = group.blocks[b]
                for i in range(block.size):
                    pairs.append((<object>block.values[i], <object>block.pks[i]))
        return _rebuild, (pairs, self._load)

    def __len__(self):
        cdef Py_ssize_t total = self._nulls.length + self._numbers.length + self._strs.length
        total += self._bytes.length
        for group in self._others.values():
            total += (<_Group>group).length
        return total

    def __repr__(self):
        return f"<SortedIndex of {len(self)} entries>"

    cdef _Group _group(self, object value, _Probe* probe, bint create):
        """The group ``value`` belongs to (None when it has no group yet and ``create`` is false)."""
        cdef int rank = _classify(value, probe)
        if rank == _NUMBERS:
            return self._numbers
        if rank == _STRS:
            return self._strs
        if rank == _NULLS:
            return self._nulls
        if rank == _BYTES:
            return self._bytes
        key = _other_group(value)
        group = self._others.get(key)
        if group is None and create:
            group = _Group(key[4], self._load)
            self._others[key] = group
            _insort(self._other_keys, key)
        return group

    cdef void _prune(self, _Group group):
        # An "other" group that became empty is dropped, so it is not walked again.
        if group.length == 0 and group.kind <= _UNORDERED:
            for key, candidate in self._others.items():
                if candidate is group:
                    del self._others[key]
                    self._other_keys.remove(key)
                    return

    cdef list _ordered_groups(self):
        """The non-null groups in ascending order."""
        groups = [self._numbers, self._strs, self._bytes]
        groups.extend([self._others[key] for key in self._other_keys])
        return groups

    def insert(self, value, pk):
        """Index ``pk`` under ``value``, after the entries already equal to it.

        The index does not check that ``pk`` is new: the table indexes each record once.

        >>> index = SortedIndex()
        >>> index.insert(3, "x")
        >>> index.equal(3.0)
        ['x']
        """
        cdef _Probe probe
        cdef _Group group = self._group(value, &probe, True)
        try:
            group._insert(&probe, self._next_seq, pk)
        finally:
            self._prune(group)
        self._next_seq += 1

    def insert_many(self, pairs):
        """Index many ``(value, pk)`` pairs at once (sorted once, not inserted one by one), in order.

        Nothing is indexed when a pair is malformed.

        >>> index = SortedIndex()
        >>> index.insert_many([(2, "b"), (1, "a")])
        >>> index.first(5)
        ['a', 'b']
        """
        cdef list batch = list(pairs)  # a copy: it keeps every value and pk alive while items borrow them
        cdef Py_ssize_t count = len(batch), k, slot = -1
        cdef _Item* items = <_Item*>PyMem_Malloc((count + 1) * sizeof(_Item))
        cdef _Probe probe
        cdef _Group group
        cdef _Group previous = None
        cdef list groups = []
        if items is NULL:
            raise MemoryError()
        try:
            # Every pair is unpacked and classified before anything is indexed.
            for k in range(count):
                pair = batch[k]
                if PyTuple_CheckExact(pair) and PyTuple_GET_SIZE(pair) == 2:
                    value, pk = (<tuple>pair)[0], (<tuple>pair)[1]
                else:
                    value, pk = pair
                    batch[k] = (value, pk)
                group = self._group(value, &probe, True)
                if group is not previous:
                    if group not in groups:
                        groups.append(group)
                    slot = groups.index(group)
                    previous = group
                items[k].number = probe.number
                items[k].exact = probe.exact
                items[k].value = probe.value
                items[k].pk = <PyObject*>pk
                items[k].seq = self._next_seq + k
                items[k].slot = slot
            if len(groups) == 1:
                _bulk_insert(<_Group>groups[0], items, count)
            elif groups:
                _bulk_insert_grouped(groups, items, count)
            self._next_seq += count
        finally:
            PyMem_Free(items)
            for group in groups:
                self._prune(group)

    def remove(self, value, pk):
        """Remove the entry of ``pk`` under ``value``; ``KeyError`` (index unchanged) if there is none.

        >>> index = SortedIndex([(1, "a")])
        >>> index.remove(1.0, "a")
        >>> len(index)
        0
        """
        cdef _Probe probe
        cdef Py_ssize_t b, i
        cdef _Group group = self._locate(value, pk, &probe, &b, &i)
        group._delete_at(b, i)
        self._prune(group)

    cdef _Group _locate(self, object value, object pk, _Probe* probe, Py_ssize_t* b, Py_ssize_t* i):
        cdef _Group group = self._group(value, probe, False)
        if group is None or group._find(probe, value, pk, group.kind <= _SEQUENCE, b, i) < 0:
            raise KeyError(f"SortedIndex has no entry for value {value!r} with primary key {pk!r}: "
                           "remove and update need the value the key was indexed under")
        return group

    def update(self, old_value, new_value, pk):
        """Move ``pk`` from ``old_value`` to ``new_value``, keeping its place among ties (its sequence).

        ``KeyError`` (index unchanged) if ``pk`` is not indexed under ``old_value``.

        >>> index = SortedIndex([(1, "a"), (2, "b")])
        >>> index.update(1, 2, "a")
        >>> index.equal(2)
        ['a', 'b']
        """
        cdef _Probe old_probe, new_probe
        cdef Py_ssize_t b, i
        cdef int64_t seq
        cdef _Group old_group = None
        # The new value is classified first: no Python code runs between finding the entry and moving it.
        cdef _Group new_group = self._group(new_value, &new_probe, True)
        try:
            old_group = self._locate(old_value, pk, &old_probe, &b, &i)
            seq = old_group.blocks[b].seqs[i]
            stored = old_group._value_at(b, i)  # kept alive here: the rollback below re-inserts it
            old_group._delete_at(b, i)
            try:
                new_group._insert(&new_probe, seq, pk)
            except BaseException:
                _classify(stored, &old_probe)
                old_group._insert(&old_probe, seq, pk)
                raise
        finally:
            self._prune(new_group)
            if old_group is not None:
                self._prune(old_group)

    def clear(self):
        """Remove every entry.

        >>> index = SortedIndex([(1, "a")])
        >>> index.clear()
        >>> len(index)
        0
        """
        self._reset()

    cdef _Group _bounds(self, object low, object high, bint include_low, bint include_high,
                        Py_ssize_t* pos):
        """The group of a range with at least one bound, its positions ``[(pos[0], pos[1]), (pos[2],
        pos[3]))`` filled in; None when no value can match."""
        cdef _Probe probe
        cdef _Group group = None
        cdef _Group high_group
        if low is not None:
            group = self._group(low, &probe, False)
            if group is None:
                return None
            group._lower_bound(&probe, INT64_MIN if include_low else INT64_MAX, &pos[0], &pos[1])
        if high is not None:
            high_group = self._group(high, &probe, False)
            if high_group is None or (group is not None and high_group is not group):
                return None  # nothing is at once >= a value of one group and <= one of another
            group = high_group
            group._lower_bound(&probe, INT64_MAX if include_high else INT64_MIN, &pos[2], &pos[3])
        if group.kind == _TIE or group.kind == _UNORDERED:
            return None  # None, NaN and unordered values are ordered against nothing
        if low is None:
            pos[0] = pos[1] = 0
        if high is None:
            group._end(&pos[2], &pos[3])
        return group

    def range(self, low=None, high=None, *, include_low=True, include_high=True, reverse=False,
              limit=None):
        """Primary keys with ``low <= value <= high`` (``<`` without ``include_*``), in key order.

        A bound of ``None`` is absent. The bounds select within their own group: a numeric bound matches only
        numbers, a str bound only strs; ``None``/NaN never match; with no bound at all, every non-null value
        matches. ``reverse`` gives descending keys (ties stay in insertion order); ``limit`` keeps the first
        ``limit`` of them.

        >>> index = SortedIndex([(1, "a"), (2, "b"), (2.0, "c"), ("x", "d"), (3, "e")])
        >>> index.range(2, include_high=False), index.range(high=2, reverse=True)
        (['b', 'c', 'e'], ['b', 'c', 'a'])
        """
        cdef Py_ssize_t pos[4]
        cdef Py_ssize_t cap = _MAX_SIZE if limit is None else _check_count("limit", limit)
        cdef Py_ssize_t count
        cdef _Group group
        if low is None and high is None:
            out = []
            groups = self._ordered_groups()
            if reverse:
                groups.reverse()
            for group in groups:
                if len(out) >= cap:
                    break
                out.extend(group._all(reverse, cap - len(out)))
            return out
        group = self._bounds(low, high, include_low, include_high, pos)
        if group is None:
            return []
        count = group._distance(pos[0], pos[1], pos[2], pos[3])
        if count <= 0:
            return []
        if reverse:
            return group._descending(pos[0], pos[1], pos[2], pos[3], cap)
        return group._ascending(pos[0], pos[1], count if count < cap else cap)

    def count_range(self, low=None, high=None, *, include_low=True, include_high=True):
        """How many primary keys ``range`` would return, without building them.

        >>> SortedIndex([(1, "a"), (2, "b"), (3, "c")]).count_range(2)
        2
        """
        cdef Py_ssize_t pos[4]
        cdef _Group group
        if low is None and high is None:
            return sum([(<_Group>group).length for group in self._ordered_groups()])
        group = self._bounds(low, high, include_low, include_high, pos)
        if group is None:
            return 0
        return max(0, group._distance(pos[0], pos[1], pos[2], pos[3]))

    def equal(self, value):
        """Primary keys whose value ``== value`` (Python's equality), in insertion order.

        ``equal(None)`` gives the ``None`` entries; NaN equals nothing.

        >>> SortedIndex([(1, "a"), (True, "b"), (1.5, "c"), (1.0, "d")]).equal(1)
        ['a', 'b', 'd']
        """
        cdef _Probe probe
        cdef Py_ssize_t b0, i0, b1, i1, count, b, i, _n
        cdef _Group group = self._group(value, &probe, False)
        cdef _Block* block
        if group is None:
            return []
        group._lower_bound(&probe, INT64_MIN, &b0, &i0)
        group._lower_bound(&probe, INT64_MAX, &b1, &i1)
        count = group._distance(b0, i0, b1, i1)
        if group.kind >= _NUMBER:
            return group._ascending(b0, i0, count)
        # Entries that tie in the order are not always equal (unordered types, NaN inside a tuple).
        out = []
        b, i = b0, i0
        for _n in range(count):
            block = group.blocks[b]
            if i == block.size:
                b += 1
                i = 0
                block = group.blocks[b]
            if _equals(<object>block.values[i], value):
                out.append(<object>block.pks[i])
            i += 1
        return out

    def prefix(self, prefix):
        """Primary keys whose value starts with ``prefix`` (str among strs, bytes among bytes), in order.

        >>> SortedIndex([("abd", 1), ("ab", 2), ("b", 3), ("a", 4)]).prefix("ab")
        [2, 1]
        """
        cdef _Probe probe
        cdef _Group group
        cdef Py_ssize_t b0, i0, b, i, count = 0
        cdef _Block* block
        cdef bint is_str = PyUnicode_Check(prefix)
        if is_str:
            group = self._strs
        elif PyBytes_Check(prefix) or PyByteArray_Check(prefix):
            group = self._bytes
        else:
            raise TypeError(f"prefix must be a str or bytes, not {type(prefix).__name__}")
        probe.value = <PyObject*>prefix
        group._lower_bound(&probe, INT64_MIN, &b0, &i0)
        # Every value that starts with the prefix follows it, before any value that does not.
        b, i = b0, i0
        while b < group.nblocks:
            block = group.blocks[b]
            if i == block.size:
                b += 1
                i = 0
                continue
            if is_str:
                if not PyUnicode_Tailmatch(<object>block.values[i], prefix, 0, _MAX_SIZE, -1):
                    break
            elif not _bytes_startswith(<object>block.values[i], prefix):
                break
            count += 1
            i += 1
        return group._ascending(b0, i0, count)

    def first(self, k):
        """The first ``k`` primary keys in ascending order: the null bucket first, then by value.

        >>> SortedIndex([(2, "a"), (None, "b"), (1, "c")]).first(2)
        ['b', 'c']
        """
        cdef Py_ssize_t want = _check_count("k", k)
        out = self._nulls._all(False, want)
        for group in self._ordered_groups():
            if len(out) >= want:
                break
            out.extend((<_Group>group)._all(False, want - len(out)))
        return out

    def last(self, k):
        """The first ``k`` primary keys in descending order: largest values first, the null bucket last.

        Ties stay in insertion order, as in ``sorted(..., reverse=True)``.

        >>> SortedIndex([(2, "a"), (None, "b"), (1, "c"), (2, "d")]).last(3)
        ['a', 'd', 'c']
        """
        cdef Py_ssize_t want = _check_count("k", k)
        out = []
        groups = self._ordered_groups()
        groups.reverse()
        groups.append(self._nulls)
        for group in groups:
            if len(out) >= want:
                break
            out.extend((<_Group>group)._all(True, want - len(out)))
        return out

    def nulls(self):
        """Primary keys of the null bucket (``None``, float NaN, Decimal NaN), in insertion order.

        >>> SortedIndex([(None, "a"), (1, "b"), (float("nan"), "c")]).nulls()
        ['a', 'c']
        """
        return self._nulls._all(False, self._nulls.length)

    def min_value(self):
        """The smallest non-null value (the first inserted among ties), or ``None`` when there is none.

        >>> SortedIndex([(None, "a"), (2, "b"), ("x", "c")]).min_value()
        2
        """
        for group in self._ordered_groups():
            if (<_Group>group).length:
                return (<_Group>group)._value_at(0, 0)
        return None

    def max_value(self):
        """The largest non-null value (the first inserted among ties), or ``None`` when there is none.

        >>> SortedIndex([(None, "a"), (2, "b"), ("x", "c")]).max_value()
        'x'
        """
        cdef _Group group
        cdef _Probe probe
        cdef Py_ssize_t b, i
        groups = self._ordered_groups()
        for group in reversed(groups):
            if group.length:
                b = group.nblocks - 1
                group._probe_of(group.blocks[b], group.blocks[b].size - 1, &probe)
                group._lower_bound(&probe, INT64_MIN, &b, &i)
                return group._value_at(b, i)
        return None

    def memory_bytes(self):
        """Approximate bytes held by the index itself, not counting the values and keys it refers to.

        >>> SortedIndex().memory_bytes() > 0
        True
        """
        total = _sys.getsizeof(self) + _sys.getsizeof(self._others) + _sys.getsizeof(self._other_keys)
        for group in [self._nulls, *self._ordered_groups()]:
            total += (<_Group>group)._memory()
        return total


cdef void _swap(_Group a, _Group b) noexcept:
    """Exchange the entries of two groups of the same kind."""
    a.blocks, b.blocks = b.blocks, a.blocks
    a.lasts, b.lasts = b.lasts, a.lasts
    a.nblocks, b.nblocks = b.nblocks, a.nblocks
    a.block_capacity, b.block_capacity = b.block_capacity, a.block_capacity
    a.length, b.length = b.length, a.length


# --- bulk building --------------------------------------------------------------------------------------

cdef int _bulk_insert_grouped(list groups, _Item* items, Py_ssize_t count) except -1:
    """Split a batch by group (stably, so each keeps its order) and insert each part."""
    cdef Py_ssize_t ngroups = len(groups), g, k, first
    cdef Py_ssize_t* starts = <Py_ssize_t*>PyMem_Malloc((ngroups + 1) * sizeof(Py_ssize_t))
    cdef _Item* parted = <_Item*>PyMem_Malloc(count * sizeof(_Item))
    try:
        if starts is NULL or parted is NULL:
            raise MemoryError()
        for g in range(ngroups + 1):
            starts[g] = 0
        for k in range(count):
            starts[items[k].slot + 1] += 1
        for g in range(ngroups):
            starts[g + 1] += starts[g]
        for k in range(count):
            parted[starts[items[k].slot]] = items[k]
            starts[items[k].slot] += 1
        for g in range(ngroups):
            first = starts[g - 1] if g else 0
            _bulk_insert(<_Group>groups[g], parted + first, starts[g] - first)
    finally:
        PyMem_Free(starts)
        PyMem_Free(parted)
    return 0


cdef int _bulk_insert(_Group group, _Item* batch, Py_ssize_t count) except -1:
    """Insert ``count`` items of one group (their sequence numbers after every entry's): one by one when
    they are few, else by sorting them, merging them with the entries and rebuilding full blocks."""
    cdef Py_ssize_t existing = group.length
    cdef Py_ssize_t total = existing + count
    cdef Py_ssize_t k
    cdef _Item* items
    cdef _Item* scratch
    cdef _Probe probe
    cdef _Group old
    if count * 8 < existing:
        for k in range(count):
            probe.value = batch[k].value
            probe.number = batch[k].number
            probe.exact = batch[k].exact
            group._insert(&probe, batch[k].seq, <object>batch[k].pk)
        return 0
    items = <_Item*>PyMem_Malloc(total * sizeof(_Item))
    scratch = <_Item*>PyMem_Malloc(total * sizeof(_Item))
    try:
        if items is NULL or scratch is NULL:
            raise MemoryError()
        group._export(items)
        memcpy(items + existing, batch, count * sizeof(_Item))
        if group.kind == _NUMBER and count >= 256:  # below, the radix passes' fixed cost does not pay
            _sort_numbers(group, items + existing, scratch, count)
        else:
            _merge_sort(group, items + existing, scratch, count)
        if existing and group._cmp_items(&items[existing - 1], &items[existing]) > 0:
            _merge_halves(group, items, scratch, existing, total)
        # The old blocks are freed only once the new ones are built, under a reference held here.
        old = _Group(group.kind, group.load)
        _swap(old, group)
        try:
            group._build(items, total)
        except BaseException:
            group._free()
            _swap(old, group)
            raise
    finally:
        PyMem_Free(items)
        PyMem_Free(scratch)
    return 0


ctypedef struct _RadixKey:
    uint64_t bits
    Py_ssize_t at


cdef inline uint64_t _order_bits(double number) noexcept:
    """Bits that sort as unsigned ints in the order of the doubles (-0.0 is 0.0; NaN never comes here)."""
    cdef uint64_t bits
    if number == 0.0:
        number = 0.0
    memcpy(&bits, &number, sizeof(double))
    if bits >> 63:
        return ~bits
    return bits | (<uint64_t>1 << 63)


cdef int _sort_numbers(_Group group, _Item* items, _Item* scratch, Py_ssize_t count) except -1:
    """Sort numeric items: a stable LSD radix sort on their doubles (no comparison, no branch to
    mispredict), then the runs of equal doubles that hold an inexact number are sorted by Python's order."""
    cdef _RadixKey* keys = <_RadixKey*>PyMem_Malloc(2 * count * sizeof(_RadixKey) + 1)
    cdef Py_ssize_t* counts = <Py_ssize_t*>PyMem_Malloc(6 * 2048 * sizeof(Py_ssize_t))
    cdef _RadixKey* source
    cdef _RadixKey* target
    cdef _RadixKey* swap
    cdef Py_ssize_t k, digit, start, run, total
    cdef int shift, d
    cdef bint inexact
    if count < 2:
        PyMem_Free(keys)
        PyMem_Free(counts)
        return 0
    try:
        if keys is NULL or counts is NULL:
            raise MemoryError()
        source, target = keys, keys + count
        memset(counts, 0, 6 * 2048 * sizeof(Py_ssize_t))
        for k in range(count):
            source[k].bits = _order_bits(items[k].number)
            source[k].at = k
            for d in range(6):
                counts[d * 2048 + ((source[k].bits >> (11 * d)) & 2047)] += 1
        for d in range(6):
            shift = 11 * d
            if counts[d * 2048 + ((source[0].bits >> shift) & 2047)] == count:
                continue  # every key has the same digit here: the pass would change nothing
            total = 0
            for digit in range(2048):
                run = counts[d * 2048 + digit]
                counts[d * 2048 + digit] = total
                total += run
            for k in range(count):
                digit = (source[k].bits >> shift) & 2047
                target[counts[d * 2048 + digit]] = source[k]
                counts[d * 2048 + digit] += 1
            swap = source
            source = target
            target = swap
        for k in range(count):
            scratch[k] = items[source[k].at]
        memcpy(items, scratch, count * sizeof(_Item))
    finally:
        PyMem_Free(keys)
        PyMem_Free(counts)
    # Equal doubles are equal values only when both are exact; elsewhere Python decides.
    start = 0
    while start < count:
        run = 1
        inexact = not items[start].exact
        while start + run < count and items[start + run].number == items[start].number:
            inexact = inexact or not items[start + run].exact
            run += 1
        if run > 1 and inexact:
            _merge_sort(group, items + start, scratch, run)
        start += run
    return 0


def _rebuild(pairs, load):
    """The index ``SortedIndex.__reduce__`` describes."""
    return SortedIndex(pairs, load=load)


def order_ranks(values):
    """The rank of each value in the total order: 0 for the smallest, equal values (ties) share one.

    The index's order as a sort key: ``_core.records`` sorts mixed-type values by these ranks, so that
    ``order_by`` and a walk of a sorted index agree on every value, ties included.

    >>> order_ranks([3, None, "a", 1.0, 1, float("nan"), (1, None)])
    [2, 0, 3, 1, 1, 0, 4]
    """
    cdef list items = list(values)
    cdef list ranks = [0] * len(items)
    cdef list groups = [[], [], [], [], []]
    cdef list positions, keys, order
    cdef Py_ssize_t position, rank, k
    cdef int group_rank
    cdef _Probe probe
    for position in range(len(items)):
        (<list>groups[_classify(items[position], &probe)]).append(position)
    rank = 1 if groups[_NULLS] else 0  # the null bucket is one run of ties, rank 0
    for group_rank in (_NUMBERS, _STRS, _BYTES, _OTHERS):
        positions = groups[group_rank]
        if not positions:
            continue
        keys = [items[position] for position in positions]
        order = _group_order(group_rank, keys)
        ranks[positions[order[0]]] = rank
        for k in range(1, len(order)):
            if _total_cmp(keys[order[k - 1]], keys[order[k]]) != 0:
                rank += 1
            ranks[positions[order[k]]] = rank
        rank += 1
    return ranks


cdef list _group_order(int group_rank, list keys):
    """Positions of ``keys`` (values of one group) in ascending order, ties in position order."""
    if group_rank != _OTHERS:
        # Python's own sort is the fastest for one plain type; a mix it cannot compare (a numpy scalar
        # and a Decimal) goes to the index's sort below.
        try:
            return sorted(range(len(keys)), key=keys.__getitem__)
        except TypeError:
            pass
    return SortedIndex(zip(keys, range(len(keys)))).first(len(keys))
