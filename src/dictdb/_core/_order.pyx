"""The total order: the compiled twin of ``_order_py.py``, which documents it.

Sorting (``_records``) and the sorted index (``_blocks``, ``_index``) order values by it, through the C
functions ``_order.pxd`` declares: ``classify`` puts a value in its group (nulls, numbers, strs, bytes, or
one per "other" type) and reads a number's double; the ``*_cmp`` functions compare two values of a group.
Two numbers whose doubles differ are ordered by them; equal doubles are equal values when both are exact (a
float, or an int within 2**53), and otherwise Python decides. Strs compare with ``PyUnicode_Compare``,
bytes with ``memcmp``; other types call Python.

``sort_items`` sorts values of one group stably by (value, sequence number): a merge sort, or for many
numbers a radix sort on their doubles. The index sorts a batch with it, and ``order_ranks`` sorts the values
Python's own sort cannot with it too, so that a sort and a walk of the index order them alike.
"""

from cpython.long cimport PyLong_AsDouble
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport uint64_t
from libc.string cimport memcpy, memset

from ._cpython cimport (
    PyByteArray_Check, PyBytes_Check, Py_EnterRecursiveCall, Py_LeaveRecursiveCall, unicode_compare,
)

# Imported under private names: the module's public names are its ``__all__`` (tests/test_build.py).
import datetime as _datetime
import numbers as _numbers
from decimal import Decimal as _Decimal
from fractions import Fraction as _Fraction

__all__ = ["order_ranks"]

cdef double _INF = float("inf")

cdef object _DATETIME = _datetime.datetime
cdef object _TIME = _datetime.time
cdef object _DECIMAL = _Decimal
cdef object _FRACTION = _Fraction
cdef object _REAL = _numbers.Real


# --- groups --------------------------------------------------------------------------------------------


cdef int classify_rest(object value, Probe* probe) except -1:
    """``classify`` (``_order.pxd``) of a value that is not None, a float, an int or a str."""
    cdef double as_double
    if isinstance(value, _DECIMAL):
        if value.is_nan():
            return NULLS
        probe.number = float(value)
        return NUMBERS
    if PyBytes_Check(value) or PyByteArray_Check(value):
        return BYTES
    if isinstance(value, _FRACTION):
        probe.number = _real_double(value)
        return NUMBERS
    if isinstance(value, _REAL):
        # numpy scalars and the like: numbers if they convert to float, which is how they compare.
        try:
            as_double = float(value)
        except OverflowError:
            probe.number = _INF if value > 0 else -_INF
            return NUMBERS
        except Exception:
            return OTHERS
        if as_double != as_double:
            return NULLS
        probe.number = as_double
        return NUMBERS
    return OTHERS


cdef double long_double(object value) except? -1.0:
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


cdef tuple other_group(object value):
    """``(type name, module, qualified name, variant, kind)`` of a value outside the built-in groups."""
    if isinstance(value, tuple):
        return ("tuple", "builtins", "tuple", 0, SEQUENCE)
    if isinstance(value, list):
        return ("list", "builtins", "list", 0, SEQUENCE)
    if isinstance(value, dict):
        return ("dict", "builtins", "dict", 0, UNORDERED)
    if isinstance(value, (set, frozenset)):
        # set == frozenset in Python, so they share a group; subsets are a partial order, not a total one.
        return ("set", "builtins", "set", 0, UNORDERED)
    if isinstance(value, _DATETIME):
        return ("datetime", "datetime", "datetime", _aware(value), NATURAL)
    if isinstance(value, _TIME):
        return ("time", "datetime", "time", _aware(value), NATURAL)
    cls = type(value)
    name, module, qualname = str(cls.__name__), str(cls.__module__), str(cls.__qualname__)
    try:
        bool(value < value)
    except Exception:
        return (name, module, qualname, 0, UNORDERED)
    return (name, module, qualname, 0, NATURAL)


cdef int _aware(object value):
    """1 for an aware datetime or time, 0 for a naive one: Python cannot order one against the other."""
    try:
        return 0 if value.utcoffset() is None else 1
    except Exception:
        return 0


# --- comparing -----------------------------------------------------------------------------------------


cdef int natural_cmp(object a, object b) except -2:
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


cdef int sequence_cmp(object a, object b) except -2:
    """Tuples and lists: item by item in the total order, then the shorter first."""
    cdef Py_ssize_t i, a_size = len(a), b_size = len(b)
    cdef int result = 0
    Py_EnterRecursiveCall(" in a sorted index comparison")
    try:
        for i in range(a_size if a_size < b_size else b_size):
            result = total_cmp(a[i], b[i])
            if result:
                return result
    finally:
        Py_LeaveRecursiveCall()
    return (a_size > b_size) - (a_size < b_size)


cdef int total_cmp(object a, object b) except -2:
    """The total order on any two values (the twin compares ``element_key``s)."""
    cdef Probe pa, pb
    cdef int rank_a = classify(a, &pa)
    cdef int rank_b = classify(b, &pb)
    if rank_a != rank_b:
        return -1 if rank_a < rank_b else 1
    if rank_a == NULLS:
        return 0
    if rank_a == NUMBERS:
        return number_cmp(pa.number, pa.exact, pa.value, pb.number, pb.exact, pb.value)
    if rank_a == STRS:
        return unicode_compare(pa.value, pb.value)
    if rank_a == BYTES:
        return bytes_cmp(a, b)
    group_a, group_b = other_group(a), other_group(b)
    if group_a != group_b:
        return -1 if group_a < group_b else 1
    return _within_cmp(group_a[4], a, b)


cdef int _within_cmp(int kind, object a, object b) except -2:
    """Two values of one group that is not the numbers, by the group's ``kind``."""
    if kind == STR:
        return unicode_compare(<PyObject*>a, <PyObject*>b)
    if kind == BYTE:
        return bytes_cmp(a, b)
    if kind == NATURAL:
        return natural_cmp(a, b)
    if kind == SEQUENCE:
        return sequence_cmp(a, b)
    return 0  # the null bucket and unordered groups: every value ties


# --- sorting -------------------------------------------------------------------------------------------


cdef int cmp_items(int kind, Item* a, Item* b) except -2:
    """The order of two items of a group of ``kind``: by value, then by sequence number."""
    cdef int result
    if kind == NUMBER:
        result = number_cmp(a.number, a.exact, a.value, b.number, b.exact, b.value)
    else:
        result = _within_cmp(kind, <object>a.value, <object>b.value)
    if result == 0:
        result = (a.seq > b.seq) - (a.seq < b.seq)
    return result


cdef int sort_items(int kind, Item* items, Item* scratch, Py_ssize_t count) except -1:
    """Sort ``count`` items of a group of ``kind`` by (value, sequence number); ``scratch`` holds as many."""
    if kind == NUMBER and count >= 256:  # below, the radix passes' fixed cost does not pay
        return _sort_numbers(items, scratch, count)
    return _merge_sort(kind, items, scratch, count)


cdef int _merge_sort(int kind, Item* items, Item* scratch, Py_ssize_t count) except -1:
    """Sort ``items`` by (value, sequence number), stably; ``scratch`` holds ``count`` items."""
    cdef Py_ssize_t i, j, middle
    cdef Item item
    if count <= 16:
        for i in range(1, count):
            item = items[i]
            j = i
            while j > 0 and cmp_items(kind, &items[j - 1], &item) > 0:
                items[j] = items[j - 1]
                j -= 1
            items[j] = item
        return 0
    middle = count >> 1
    _merge_sort(kind, items, scratch, middle)
    _merge_sort(kind, items + middle, scratch, count - middle)
    if cmp_items(kind, &items[middle - 1], &items[middle]) <= 0:
        return 0  # already in order: a sorted batch, or a batch that all comes after the entries
    return merge_halves(kind, items, scratch, middle, count)


cdef int merge_halves(int kind, Item* items, Item* scratch, Py_ssize_t middle, Py_ssize_t count) except -1:
    """Merge the sorted ``items[:middle]`` and ``items[middle:count]``; ties take the left first."""
    cdef Py_ssize_t i = 0, j = middle, k = 0
    memcpy(scratch, items, middle * sizeof(Item))
    while i < middle and j < count:
        if cmp_items(kind, &items[j], &scratch[i]) < 0:
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


cdef int _sort_numbers(Item* items, Item* scratch, Py_ssize_t count) except -1:
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
        memcpy(items, scratch, count * sizeof(Item))
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
            _merge_sort(NUMBER, items + start, scratch, run)
        start += run
    return 0


# --- ranks ---------------------------------------------------------------------------------------------


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
    cdef Probe probe
    for position in range(len(items)):
        (<list>groups[classify(items[position], &probe)]).append(position)
    rank = 1 if groups[NULLS] else 0  # the null bucket is one run of ties, rank 0
    for group_rank in (NUMBERS, STRS, BYTES, OTHERS):
        positions = groups[group_rank]
        if not positions:
            continue
        keys = [items[position] for position in positions]
        order = _group_order(group_rank, keys)
        ranks[positions[order[0]]] = rank
        for k in range(1, len(order)):
            if total_cmp(keys[order[k - 1]], keys[order[k]]) != 0:
                rank += 1
            ranks[positions[order[k]]] = rank
        rank += 1
    return ranks


cdef list _group_order(int group_rank, list keys):
    """Positions of ``keys`` (values of one group) in ascending order, ties in position order."""
    if group_rank != OTHERS:
        # Python's own sort is the fastest for one plain type; a mix it cannot compare (a numpy scalar
        # and a Decimal) goes to the index's sort below.
        try:
            return sorted(range(len(keys)), key=keys.__getitem__)
        except TypeError:
            pass
    return _index_order(group_rank, keys)


cdef list _index_order(int group_rank, list keys):
    """Positions of ``keys`` in the order a sorted index walks them: the "other" groups by their key, and
    within a group ``sort_items`` on items whose sequence numbers are the positions."""
    cdef Py_ssize_t count = len(keys), k
    cdef Item* items = <Item*>PyMem_Malloc((count + 1) * sizeof(Item))
    cdef Item* scratch = <Item*>PyMem_Malloc((count + 1) * sizeof(Item))
    cdef Probe probe
    cdef list parts, part, out = []
    cdef dict by_group
    cdef int kind
    try:
        if items is NULL or scratch is NULL:
            raise MemoryError()
        if group_rank == OTHERS:
            by_group = {}
            for k in range(count):
                by_group.setdefault(other_group(keys[k]), []).append(k)
            parts = [(group[4], by_group[group]) for group in sorted(by_group)]
        else:
            kind = NUMBER if group_rank == NUMBERS else STR if group_rank == STRS else BYTE
            parts = [(kind, list(range(count)))]
        for kind, part in parts:
            for k in range(len(part)):
                classify(keys[<Py_ssize_t>part[k]], &probe)
                items[k].number = probe.number
                items[k].exact = probe.exact
                items[k].value = probe.value
                items[k].seq = <Py_ssize_t>part[k]
                items[k].pk = NULL
                items[k].slot = 0
            sort_items(kind, items, scratch, len(part))
            out.extend([items[k].seq for k in range(len(part))])
    finally:
        PyMem_Free(items)
        PyMem_Free(scratch)
    return out
