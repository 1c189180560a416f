"""Column vectors of a table (a column index): the compiled twin of ``_column_py.py``.

The rules (tags, three-valued evaluation, tombstones) are documented in ``_column_py.py``. A
``ColumnStore`` keeps one vector per field (``_column_vector``) over a shared row space: the pks by slot,
the slot by pk and a bitmap of the live slots. ``match`` and ``count`` evaluate a plan on the vectors
(``_column_eval``), ``aggregate`` computes from them (``_column_aggregate``).
"""

from cpython.list cimport PyList_New
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memcpy, memset

from ._column_aggregate cimport aggregate
from ._column_eval cimport evaluate, supports
from ._column_vector cimport (
    TAG_INT, TAG_NULL, TAG_STR, TAGS, Payload, Rows, _Bitmap, _Column, ctz, grow, has_field, magnitude_of,
    word_count,
)
from ._cpython cimport PyList_GET_ITEM, incref, list_set, lookup

import sys as _sys

__all__ = ["COMPACT_FRACTION", "COMPACT_MIN", "ColumnStore"]

COMPACT_FRACTION = 0.25
COMPACT_MIN = 1024

# The pk of a tombstone slot.
cdef object _DEAD = object()


cdef class ColumnStore:
    """Column vectors over a table's rows: build with ``add_field``, keep in step with the table's writes,
    and ask ``match``, ``count`` or ``aggregate``.

    >>> store = ColumnStore()
    >>> store.add_field("age", {1: {"age": 30}, 2: {"age": 51}, 3: {}})
    >>> store.match(("gt", "age", 40))
    ([2], True)
    """

    cdef dict _columns    # field -> _Column
    cdef tuple _order     # the columns in field order: what writes loop over
    cdef list _pks        # slot -> pk (_DEAD for a tombstone)
    cdef dict _rows       # pk -> slot
    cdef uint64_t* _live  # bitmap of the live slots
    cdef Py_ssize_t _live_capacity  # words

    def __cinit__(self):
        self._columns = {}
        self._order = ()
        self._pks = []
        self._rows = {}
        self._live = NULL
        self._live_capacity = 0

    def __dealloc__(self):
        PyMem_Free(self._live)

    @property
    def fields(self):
        return tuple(self._columns)

    @property
    def rows(self):
        return len(self._rows)

    @property
    def slots(self):
        return len(self._pks)

    def __len__(self):
        return len(self._rows)

    def __contains__(self, pk):
        try:
            return pk in self._rows
        except TypeError:
            return False

    cdef bint _has(self, object field):
        return has_field(self._columns, field)

    cdef int _reserve(self, Py_ssize_t slots) except -1:
        """Room for ``slots`` in the live bitmap, and as many in every column (columns always hold at
        least the bitmap's capacity, so that an append checks one number)."""
        cdef Py_ssize_t words = word_count(slots)
        cdef Py_ssize_t capacity
        cdef _Column column
        if words <= self._live_capacity:
            return 0
        capacity = max(words, self._live_capacity * 2, 4)
        grow(<void**>&self._live, capacity * sizeof(uint64_t))
        memset(self._live + self._live_capacity, 0, (capacity - self._live_capacity) * sizeof(uint64_t))
        self._live_capacity = capacity
        for column in self._columns.values():
            column.reserve(capacity << 6)
        return 0

    # -- building -----------------------------------------------------------------------------------------

    def add_field(self, field, records):
        """Add a column for ``field`` (see the contract in ``_column_py.py``)."""
        cdef _Column column
        cdef Py_ssize_t slot
        cdef object pk
        if self._has(field):
            raise ValueError(f"field {field!r} already has a column")
        column = _Column(field)
        if not self._columns:
            pks = list(records.keys())
            column.reserve(max(word_count(len(pks)), 4) << 6)  # what _reset gives the bitmap: no regrowth
            slot = 0
            for record in records.values():
                column.write(slot, record)
                slot += 1
            self._reset(pks)
        else:
            # Read every record first: a missing one raises before anything changes.
            column.reserve(self._live_capacity << 6)
            for slot in range(len(self._pks)):
                pk = self._pks[slot]
                if pk is _DEAD:
                    column.tags[slot] = TAG_NULL
                    column.values[slot].i = 0
                else:
                    column.write(slot, records[pk])
        column.reserve(self._live_capacity << 6)
        self._columns[field] = column
        self._order = tuple(self._columns.values())

    def drop_field(self, field):
        """Drop a column (KeyError if absent). With no field left the store keeps no rows."""
        if not self._has(field):
            raise KeyError(field)
        del self._columns[field]
        self._order = tuple(self._columns.values())
        if not self._columns:
            self._reset([])

    def load(self, records):
        """Rebuild every column (same fields) from ``records`` in iteration order."""
        cdef list fields = list(self._columns)
        self._columns = {}
        self._order = ()
        self._reset([])
        for field in fields:
            self.add_field(field, records)

    cdef Py_ssize_t* _live_slots(self) except NULL:
        """The slots of the live rows, in order, in a new array (one per row) the caller frees."""
        cdef Py_ssize_t* slots = <Py_ssize_t*>PyMem_Malloc(max(len(self._rows), 1) * sizeof(Py_ssize_t))
        cdef Py_ssize_t i = 0
        cdef Py_ssize_t slot
        if slots is NULL:
            raise MemoryError()
        for slot in range(len(self._pks)):
            if self._pks[slot] is not _DEAD:
                slots[i] = slot
                i += 1
        return slots

    cdef int _reset(self, list pks) except -1:
        cdef Py_ssize_t slots = len(pks)
        cdef Py_ssize_t w
        self._pks = pks
        self._rows = {pk: slot for slot, pk in enumerate(pks)}
        self._reserve(slots)
        memset(self._live, 0, self._live_capacity * sizeof(uint64_t))
        for w in range(slots >> 6):
            self._live[w] = ~(<uint64_t>0)
        if slots & 63:
            self._live[slots >> 6] = ((<uint64_t>1) << (slots & 63)) - 1
        return 0

    # -- writes -------------------------------------------------------------------------------------------

    def append(self, pk, record):
        """Give ``pk`` a new last row read from ``record`` (ValueError if ``pk`` already has one)."""
        if pk in self._rows:
            raise ValueError(f"primary key {pk!r} already has a row")
        self._append(pk, record)

    cdef int _append(self, object pk, object record) except -1:
        cdef Py_ssize_t slot = len(self._pks)
        cdef _Column column
        cdef list values
        cdef Py_ssize_t done = 0
        if not self._columns:
            return 0
        if slot >= self._live_capacity << 6:
            self._reserve(slot + 1)
        # Every value is read before any is stored: a record whose lookup raises changes nothing.
        values = [lookup(record, column.field) for column in self._order]
        try:
            for column in self._order:
                column.store(slot, values[done])
                done += 1
        except BaseException:
            # Uncount what was stored: the counts decide which loops run, so they must stay exact.
            for column in self._order[:done]:
                column.counts[column.tags[slot]] -= 1
            raise
        self._pks.append(pk)
        self._rows[pk] = slot
        self._live[slot >> 6] |= (<uint64_t>1) << (slot & 63)
        return 0

    def append_many(self, pks, records):
        """``append`` for each pk and record, all checked before any is added."""
        if len(pks) != len(records):
            raise ValueError(f"append_many got {len(pks)} pks but {len(records)} records")
        cdef set seen = set()
        for pk in pks:
            if pk in self._rows or pk in seen:
                raise ValueError(f"primary key {pk!r} already has a row")
            seen.add(pk)
        self._reserve(len(self._pks) + len(pks))
        for pk, record in zip(pks, records):
            self._append(pk, record)

    def remove(self, pk):
        """Tombstone ``pk``'s row (KeyError if it has none)."""
        self.remove_many((pk,))

    def remove_many(self, pks):
        """``remove`` for each pk, all checked before any is removed."""
        cdef list slots = []
        cdef set seen = set()
        cdef Py_ssize_t slot
        cdef _Column column
        for pk in pks:
            found = self._rows.get(pk)
            if found is None or found in seen:  # checked first: a bad pk changes nothing
                raise KeyError(pk)
            seen.add(found)
            slots.append(found)
        for pk, found in zip(pks, slots):
            slot = found
            del self._rows[pk]
            self._pks[slot] = _DEAD
            self._live[slot >> 6] &= ~((<uint64_t>1) << (slot & 63))
            for column in self._columns.values():
                column.clear(slot)
        dead = len(self._pks) - len(self._rows)
        if len(self._pks) >= COMPACT_MIN and dead > COMPACT_FRACTION * len(self._pks):
            self.compact()

    def replace(self, pk, record):
        """Re-read every column's value of ``pk``'s row from ``record``."""
        cdef Py_ssize_t slot = self._rows[pk]
        cdef _Column column
        cdef list values = [lookup(record, column.field) for column in self._order]
        cdef Py_ssize_t i = 0
        for column in self._order:
            column.clear(slot)
            column.store(slot, values[i])
            i += 1

    def compact(self):
        """Drop the tombstones now, keeping the rows' order."""
        cdef Py_ssize_t count = len(self._rows)
        cdef Py_ssize_t* slots = self._live_slots()
        cdef Py_ssize_t i
        cdef _Column column
        try:
            for column in self._columns.values():
                column.keep(slots, count)
            self._reset([self._pks[slots[i]] for i in range(count)])
        finally:
            PyMem_Free(slots)

    # -- reads --------------------------------------------------------------------------------------------

    def supports(self, plan):
        """True when ``match`` can evaluate ``plan`` (see the contract in ``_column_py.py``)."""
        return supports(plan, self._columns)

    cdef int _check(self, object plan) except -1:
        if not self.supports(plan):
            raise ValueError(f"the column vectors cannot evaluate plan {plan!r}; check supports() first")
        return 0

    def match(self, plan):
        """``(pks, exact)``: the pks of the rows where ``plan`` is True or Unsure, in row order."""
        self._check(plan)
        cdef Py_ssize_t words = word_count(len(self._pks))
        cdef _Bitmap true = _Bitmap(words)
        cdef _Bitmap unsure = _Bitmap(words)
        cdef Py_ssize_t w
        cdef Rows rows = self._rows_now()
        evaluate(plan, self._columns, &rows, true, unsure, NULL)
        exact = unsure.empty()
        if not exact:
            for w in range(words):
                true.words[w] |= unsure.words[w]
        return self._pks_of(true), exact

    def count(self, plan):
        """How many rows match ``plan``, or None when some row is Unsure."""
        self._check(plan)
        cdef Py_ssize_t words = word_count(len(self._pks))
        cdef _Bitmap true = _Bitmap(words)
        cdef _Bitmap unsure = _Bitmap(words)
        cdef Rows rows = self._rows_now()
        evaluate(plan, self._columns, &rows, true, unsure, NULL)
        return true.count() if unsure.empty() else None

    cdef list _pks_of(self, _Bitmap rows):
        cdef list out = PyList_New(rows.count())
        cdef list pks = self._pks
        cdef PyObject* pk
        cdef Py_ssize_t position = 0
        cdef Py_ssize_t w
        cdef uint64_t word
        for w in range(rows.size):
            word = rows.words[w]
            while word:
                pk = PyList_GET_ITEM(pks, (w << 6) + ctz(word))
                incref(pk)
                list_set(out, position, pk)
                position += 1
                word &= word - 1
        return out

    cdef Rows _rows_now(self):
        """The row space, as the evaluation reads it."""
        cdef Rows rows
        rows.live = self._live
        rows.rows = len(self._rows)
        rows.slots = len(self._pks)
        return rows

    def aggregate(self, plan, group_by, specs):
        """``_aggregate.aggregate`` over the rows ``plan`` matches, from the vectors, or None when they
        cannot give the identical answer (see ``_column_py.py``)."""
        cdef Py_ssize_t words = word_count(len(self._pks))
        cdef _Bitmap selected = _Bitmap(words)
        cdef _Bitmap unsure
        cdef Rows rows
        if plan is None:
            memcpy(selected.words, self._live, words * sizeof(uint64_t))
        else:
            if not supports(plan, self._columns):
                return None
            unsure = _Bitmap(words)
            rows = self._rows_now()
            evaluate(plan, self._columns, &rows, selected, unsure, NULL)
            if not unsure.empty():
                return None
        group_by = tuple(group_by)
        specs = [(name, kind, field) for name, kind, field in specs]
        return aggregate(self._columns, len(self._rows), selected, group_by, specs)

    def memory_bytes(self, field):
        """Bytes the column of ``field`` holds, plus its share of the row map."""
        if not self._has(field):
            raise KeyError(field)
        shared = _sys.getsizeof(self._pks) + _sys.getsizeof(self._rows) + self._live_capacity * 8
        return (<_Column>self._columns[field]).memory_bytes() + shared // len(self._columns)

    def __reduce__(self):
        cdef _Column column
        cdef _Column kept
        cdef Py_ssize_t count = len(self._rows)
        cdef list pks = [pk for pk in self._pks if pk is not _DEAD]
        cdef list columns = []
        cdef Py_ssize_t* slots = self._live_slots()
        try:
            for column in self._columns.values():
                # A compacted copy, so that the state holds live rows only and this store is untouched.
                kept = _Column(column.field)
                kept.reserve(max(len(self._pks), 1))
                memcpy(kept.tags, column.tags, len(self._pks) * sizeof(uint8_t))
                memcpy(kept.values, column.values, len(self._pks) * sizeof(Payload))
                kept.strings = column.strings
                kept.keep(slots, count)
                columns.append((
                    kept.field,
                    (<char*>kept.tags)[:count],
                    (<char*>kept.values)[:count * sizeof(Payload)],
                    kept.strings,
                ))
        finally:
            PyMem_Free(slots)
        return _restore, (pks, columns)


def _restore(pks, columns):
    """The store ``ColumnStore.__reduce__`` describes (pickle, copy, deepcopy)."""
    cdef ColumnStore store = ColumnStore()
    cdef _Column column
    cdef Py_ssize_t count = len(pks)
    cdef Py_ssize_t slot
    for field, tag_bytes, value_bytes, strings in columns:
        if len(tag_bytes) != count or len(value_bytes) != count * sizeof(Payload):
            raise ValueError("a column store's state does not match its rows")
        column = _Column(field)
        column.reserve(max(count, 1))
        memcpy(column.tags, <const char*>tag_bytes, count * sizeof(uint8_t))
        memcpy(column.values, <const char*>value_bytes, count * sizeof(Payload))
        for slot in range(count):
            if column.tags[slot] >= TAGS:
                raise ValueError("a column store's state holds an unknown tag")
            if column.tags[slot] == TAG_STR and not 0 <= column.values[slot].i < len(strings):
                raise ValueError("a column store's state holds an unknown str code")
            if column.tags[slot] == TAG_INT:
                column.max_magnitude = max(column.max_magnitude, magnitude_of(column.values[slot].i))
            column.counts[column.tags[slot]] += 1
        column.strings = list(strings)
        column.codes = {text: code for code, text in enumerate(column.strings)}
        store._columns[field] = column
        store._order = tuple(store._columns.values())
    if columns:
        store._reset(list(pks))
    return store
