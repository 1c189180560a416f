"""Aggregates from a column store's vectors: the compiled twin of ``_column_aggregate_py.py``.

``aggregate`` gives ``_aggregate.aggregate``'s rows over the selected rows, or None when the vectors cannot
give the identical answer (the twin's ``_readable`` lists when). It makes one pass over the selected rows: a
group is found by str code, by int value in an array (ints of a narrow range) or in a dict of Python numbers
(where 1, 1.0 and True meet), and each accumulator keeps a count, an int64 or double total, and the slot of
its min or max.
"""

cimport cython
from cpython.dict cimport PyDict_SetItem
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport INT64_MAX, INT64_MIN, int64_t, uint8_t, uint64_t
from libc.string cimport memset

from ._column_vector cimport (
    TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_OTHER, TAG_STR, Payload, _Bitmap, _Column, compare_int_double,
    ctz, grow, has_field, magnitude_of,
)

from . import _aggregate as _aggregate_mod

__all__ = []


cdef object aggregate(dict columns, Py_ssize_t rows, _Bitmap selected, tuple group_by, list specs):
    """``_aggregate.aggregate(records, group_by, specs)`` over the ``selected`` rows of a store with ``rows``
    live rows and these ``columns``, or None when the vectors cannot give the identical answer."""
    if not _readable(columns, selected, group_by, specs):
        return None
    return _Aggregation(columns, rows, selected, group_by, specs).rows()


cdef bint _readable(dict columns, _Bitmap selected, tuple group_by, list specs) except -1:
    """False when the vectors cannot give ``_aggregate``'s answer (the twin's ``_readable`` lists why)."""
    cdef _Column column
    if len(group_by) > 1 or not all([has_field(columns, field) for field in group_by]):
        return False
    for field in group_by:
        if (<_Column>columns[field]).holds(selected, TAG_OTHER):
            return False
    for _, kind, field in specs:
        # Distinct values need a set per group, which the records path keeps.
        if kind not in _aggregate_mod.KINDS or kind == "count_distinct":
            return False
        if kind == "count_rows":
            continue
        if not has_field(columns, field):
            return False
        column = columns[field]
        if kind == "count":
            continue
        if column.holds(selected, TAG_OTHER):
            return False
        if kind == "sum" or kind == "avg":
            if column.holds(selected, TAG_STR) or _magnitude_exceeds(column, selected):
                return False
        elif column.holds(selected, TAG_STR) and (
            column.holds(selected, TAG_INT)
            or column.holds(selected, TAG_BOOL)
            or column.holds(selected, TAG_FLOAT)
        ):
            return False
    return True


cdef bint _magnitude_exceeds(_Column column, _Bitmap selected) noexcept:
    """True when the magnitudes of the selected ints and bools add beyond int64: then some running int
    total might overflow (the same bound as the twin's ``_magnitude_exceeds``)."""
    cdef uint64_t total = 0
    cdef uint64_t magnitude
    cdef Py_ssize_t w
    cdef Py_ssize_t slot
    cdef uint64_t word
    cdef uint64_t bools = column.counts[TAG_BOOL]
    if column.max_magnitude == 0 or <uint64_t>column.counts[TAG_INT] <= (
        (<uint64_t>INT64_MAX - bools) // column.max_magnitude
    ):
        return False  # even every live int at the largest magnitude written, plus the bools, fits
    for w in range(selected.size):
        word = selected.words[w]
        while word:
            slot = (w << 6) + ctz(word)
            word &= word - 1
            if column.tags[slot] == TAG_INT or column.tags[slot] == TAG_BOOL:
                magnitude = magnitude_of(column.values[slot].i)
                total += magnitude
                if total < magnitude or total > <uint64_t>INT64_MAX:
                    return True
    return False


# Aggregate kinds, in _aggregate.KINDS order.
cdef enum:
    _COUNT_ROWS = 0
    _COUNT = 1
    _SUM = 2
    _AVG = 3
    _MIN = 4
    _MAX = 5


cdef struct _Accumulator:
    int64_t count
    uint64_t int_total  # wraps in C; _magnitude_exceeds ruled out a real overflow
    double float_total
    bint is_float  # the total became a float (a float was added)
    Py_ssize_t best  # the slot of the min or max so far, -1 for none


cdef inline int _compare_slots(
    const uint8_t* tags, const Payload* values, const Py_ssize_t* ranks, Py_ssize_t a, Py_ssize_t b
) noexcept nogil:
    """-1, 0 or 1 as slot ``a``'s value is below, equal to or above slot ``b``'s: numbers exactly, str by
    their rank in the sorted dictionary (the caller never mixes the two)."""
    cdef uint8_t tag_a = tags[a]
    cdef uint8_t tag_b = tags[b]
    cdef double x
    cdef double y
    if tag_a == TAG_STR:
        return (ranks[values[a].i] > ranks[values[b].i]) - (ranks[values[a].i] < ranks[values[b].i])
    if tag_a != TAG_FLOAT and tag_b != TAG_FLOAT:
        return (values[a].i > values[b].i) - (values[a].i < values[b].i)
    if tag_a != TAG_FLOAT:
        return compare_int_double(values[a].i, values[b].d)
    if tag_b != TAG_FLOAT:
        return -compare_int_double(values[b].i, values[a].d)
    x = values[a].d
    y = values[b].d
    return (x > y) - (x < y)


@cython.final
cdef class _Aggregation:
    """One ``aggregate`` call: groups in first-seen row order, one accumulator per group and spec."""

    cdef dict columns
    cdef Py_ssize_t store_rows  # the store's live rows
    cdef _Bitmap selected
    cdef tuple group_by
    cdef list specs
    cdef _Column group
    cdef Py_ssize_t spec_count
    cdef int* kinds
    cdef const uint8_t** tags
    cdef const Payload** values
    cdef Py_ssize_t** ranks
    cdef list kept  # keeps the spec columns (and their rank arrays' owners) alive
    cdef _Accumulator* accumulators
    cdef Py_ssize_t* first_slots
    cdef Py_ssize_t groups
    cdef Py_ssize_t capacity
    cdef Py_ssize_t* code_groups  # str code -> group, -1 for none yet
    cdef Py_ssize_t* int_groups  # int - int_base -> group, -1 for none yet (ints in a narrow range)
    cdef int64_t int_base
    cdef uint64_t int_span
    cdef Py_ssize_t null_group
    cdef dict number_groups  # number value -> group (Python equality: 1, 1.0 and True are one)

    def __cinit__(self, dict columns, Py_ssize_t store_rows, _Bitmap selected, tuple group_by, list specs):
        cdef Py_ssize_t count = len(specs)
        self.columns = columns
        self.store_rows = store_rows
        self.selected = selected
        self.group_by = group_by
        self.specs = specs
        self.spec_count = count
        self.kept = []
        self.kinds = <int*>PyMem_Malloc(max(count, 1) * sizeof(int))
        self.tags = <const uint8_t**>PyMem_Malloc(max(count, 1) * sizeof(uint8_t*))
        self.values = <const Payload**>PyMem_Malloc(max(count, 1) * sizeof(Payload*))
        self.ranks = <Py_ssize_t**>PyMem_Malloc(max(count, 1) * sizeof(Py_ssize_t*))
        if self.kinds is NULL or self.tags is NULL or self.values is NULL or self.ranks is NULL:
            raise MemoryError()
        memset(self.ranks, 0, max(count, 1) * sizeof(Py_ssize_t*))
        self.accumulators = NULL
        self.first_slots = NULL
        self.code_groups = NULL
        self.int_groups = NULL
        self.groups = 0
        self.capacity = 0
        self.null_group = -1
        self.number_groups = {}
        self.group = columns[group_by[0]] if group_by else None

    def __dealloc__(self):
        cdef Py_ssize_t s
        if self.ranks is not NULL:
            for s in range(self.spec_count):
                PyMem_Free(self.ranks[s])
        PyMem_Free(self.kinds)
        PyMem_Free(self.tags)
        PyMem_Free(self.values)
        PyMem_Free(self.ranks)
        PyMem_Free(self.accumulators)
        PyMem_Free(self.first_slots)
        PyMem_Free(self.code_groups)
        PyMem_Free(self.int_groups)

    cdef int _prepare(self) except -1:
        cdef Py_ssize_t s
        cdef Py_ssize_t code
        cdef _Column column
        cdef list order
        kinds = _aggregate_mod.KINDS
        for s in range(self.spec_count):
            _, kind, field = self.specs[s]
            self.kinds[s] = kinds.index(kind)
            if self.kinds[s] == _COUNT_ROWS:
                self.tags[s] = NULL
                self.values[s] = NULL
                continue
            column = self.columns[field]
            self.kept.append(column)
            self.tags[s] = column.tags
            self.values[s] = column.values
            if (self.kinds[s] == _MIN or self.kinds[s] == _MAX) and column.counts[TAG_STR]:
                # str order is code-point order: rank the dictionary once, then compare ranks.
                order = sorted(range(len(column.strings)), key=column.strings.__getitem__)
                self.ranks[s] = <Py_ssize_t*>PyMem_Malloc(max(len(order), 1) * sizeof(Py_ssize_t))
                if self.ranks[s] is NULL:
                    raise MemoryError()
                for code in range(len(order)):
                    self.ranks[s][<Py_ssize_t>order[code]] = code
        if self.group is not None:
            self.code_groups = <Py_ssize_t*>PyMem_Malloc(max(len(self.group.strings), 1) * sizeof(Py_ssize_t))
            if self.code_groups is NULL:
                raise MemoryError()
            for code in range(len(self.group.strings)):
                self.code_groups[code] = -1
            self._prepare_int_groups()
        else:
            self._new_group(-1)  # no group field: one group, even over no rows
        return 0

    cdef int _prepare_int_groups(self) except -1:
        """Ints (and bools) of the group field that lie in a narrow range are grouped through an array
        indexed by value instead of a dict of Python ints. Floats (1.0 joins 1's group) keep the dict."""
        cdef _Column group = self.group
        cdef _Bitmap selected = self.selected
        cdef Py_ssize_t w
        cdef Py_ssize_t slot
        cdef uint64_t word
        cdef int64_t value
        cdef int64_t low = INT64_MAX
        cdef int64_t high = INT64_MIN
        cdef uint64_t i
        if group.counts[TAG_FLOAT] or not (group.counts[TAG_INT] or group.counts[TAG_BOOL]):
            return 0
        for w in range(selected.size):
            word = selected.words[w]
            while word:
                slot = (w << 6) + ctz(word)
                word &= word - 1
                if group.tags[slot] == TAG_INT or group.tags[slot] == TAG_BOOL:
                    value = group.values[slot].i
                    low = min(low, value)
                    high = max(high, value)
        if low > high or <uint64_t>high - <uint64_t>low > 4 * <uint64_t>self.store_rows + 1024:
            return 0
        self.int_base = low
        self.int_span = <uint64_t>high - <uint64_t>low
        self.int_groups = <Py_ssize_t*>PyMem_Malloc((self.int_span + 1) * sizeof(Py_ssize_t))
        if self.int_groups is NULL:
            raise MemoryError()
        for i in range(self.int_span + 1):
            self.int_groups[i] = -1
        return 0

    cdef Py_ssize_t _new_group(self, Py_ssize_t slot) except -1:
        cdef Py_ssize_t capacity
        cdef Py_ssize_t s
        cdef _Accumulator* row
        if self.groups == self.capacity:
            capacity = max(self.capacity * 2, 8)
            grow(<void**>&self.accumulators, capacity * max(self.spec_count, 1) * sizeof(_Accumulator))
            grow(<void**>&self.first_slots, capacity * sizeof(Py_ssize_t))
            self.capacity = capacity
        row = self.accumulators + self.groups * self.spec_count
        memset(row, 0, self.spec_count * sizeof(_Accumulator))
        for s in range(self.spec_count):
            row[s].best = -1
        self.first_slots[self.groups] = slot
        self.groups += 1
        return self.groups - 1

    cdef Py_ssize_t _group_of(self, Py_ssize_t slot) except -1:
        cdef _Column group = self.group
        cdef uint8_t tag
        cdef Py_ssize_t code
        cdef Py_ssize_t found
        if group is None:
            return 0
        tag = group.tags[slot]
        if tag == TAG_STR:
            code = group.values[slot].i
            found = self.code_groups[code]
            if found < 0:
                found = self.code_groups[code] = self._new_group(slot)
            return found
        if tag == TAG_NULL:
            if self.null_group < 0:
                self.null_group = self._new_group(slot)
            return self.null_group
        if self.int_groups is not NULL:  # only ints and bools, all in the array's range
            code = <Py_ssize_t>(<uint64_t>group.values[slot].i - <uint64_t>self.int_base)
            found = self.int_groups[code]
            if found < 0:
                found = self.int_groups[code] = self._new_group(slot)
            return found
        value = group.value(slot)
        known = self.number_groups.get(value)
        if known is None:
            found = self._new_group(slot)
            self.number_groups[value] = found
            return found
        return known

    cdef inline int _add(self, Py_ssize_t slot) except -1:
        cdef _Accumulator* row = self.accumulators + self._group_of(slot) * self.spec_count
        cdef _Accumulator* accumulator
        cdef Py_ssize_t s
        cdef int kind
        cdef uint8_t tag
        cdef const Payload* values
        cdef int side
        for s in range(self.spec_count):
            accumulator = row + s
            kind = self.kinds[s]
            if kind == _COUNT_ROWS:
                accumulator.count += 1
                continue
            tag = self.tags[s][slot]
            if tag == TAG_NULL:
                continue
            if kind == _COUNT:
                accumulator.count += 1
            elif kind == _SUM or kind == _AVG:
                accumulator.count += 1
                values = self.values[s]
                if tag == TAG_FLOAT:
                    if accumulator.is_float:
                        accumulator.float_total += values[slot].d
                    else:
                        # int + float, as Python adds them: the int total rounded to a double first.
                        accumulator.float_total = <double><int64_t>accumulator.int_total + values[slot].d
                        accumulator.is_float = True
                elif accumulator.is_float:
                    accumulator.float_total += <double>values[slot].i
                else:
                    accumulator.int_total += <uint64_t>values[slot].i
            elif accumulator.best < 0:
                accumulator.best = slot
            else:
                side = _compare_slots(self.tags[s], self.values[s], self.ranks[s], slot, accumulator.best)
                # The first of equal values wins, as _aggregate keeps it.
                if (side < 0) if kind == _MIN else (side > 0):
                    accumulator.best = slot
        return 0

    cdef object _result(self, Py_ssize_t s, const _Accumulator* accumulator):
        cdef int kind = self.kinds[s]
        cdef object total
        cdef object count
        if kind == _COUNT_ROWS or kind == _COUNT:
            return accumulator.count
        if kind == _MIN or kind == _MAX:
            if accumulator.best < 0:
                return None
            _, _, field = self.specs[s]
            return (<_Column>self.columns[field]).value(accumulator.best)
        if accumulator.count == 0:
            return None
        total = accumulator.float_total if accumulator.is_float else <int64_t>accumulator.int_total
        if kind == _SUM:
            return total
        count = accumulator.count
        return float(total / count)

    cdef list rows(self):
        cdef Py_ssize_t w
        cdef uint64_t word
        cdef Py_ssize_t g
        cdef Py_ssize_t s
        cdef dict row
        cdef _Accumulator* results
        cdef list out = []
        self._prepare()
        for w in range(self.selected.size):
            word = self.selected.words[w]
            while word:
                self._add((w << 6) + ctz(word))
                word &= word - 1
        for g in range(self.groups):
            row = {}
            if self.group is not None:
                PyDict_SetItem(row, self.group_by[0], self.group.value(self.first_slots[g]))
            results = self.accumulators + g * self.spec_count
            for s in range(self.spec_count):
                PyDict_SetItem(row, self.specs[s][0], self._result(s, results + s))
            out.append(row)
        return out
