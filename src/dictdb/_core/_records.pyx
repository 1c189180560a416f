"""Record copying, projection, sorting and distinct: the compiled twin of ``_records_py.py``.

Tables own their records: ``insert`` stores a shallow copy and ``select`` returns shallow
copies, so copying is on every hot path. Here a copy is one ``PyDict_Copy`` and a projection fills a
pre-sized dict through the C API, with no Python call per record.

The total order used by sorting is documented in ``_records_py.py``. Here the sort keys are read and
classified in one C pass, and a small ``limit`` is served by a C heap of positions (top-k) that compares
each record's key once with the worst kept one.
"""

from cpython.dict cimport (
    PyDict_Contains, PyDict_DelItem, PyDict_GetItemWithError, PyDict_SetItem, PyDict_Update,
)
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.list cimport PyList_New
from cpython.long cimport PyLong_AsLongLong, PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport Py_LT, PyObject, PyObject_RichCompareBool
from libc.math cimport isnan
from libc.stdint cimport uint64_t
from libc.string cimport memset

from ._cpython cimport (
    EXACT_DOUBLE_INT, PyBytes_Check, PyDict_CheckExact, PyFloat_Check, PyFloat_CheckExact,
    PyList_CheckExact, PyList_GET_ITEM, PyLong_Check, PyLong_CheckExact, PyObject_GC_IsTracked,
    PyObject_GC_Track, PyObject_GC_UnTrack, PyUnicode_Check, incref, list_set, prefetch_ahead, shallow_copy,
)
from ._order cimport BYTES, NULLS, NUMBERS, OTHERS, STRS
from ._value cimport Value, read

from decimal import Decimal as _Decimal

# The compiled twin's: the two cores are never mixed (``_core/__init__.py``).
from ._order import order_ranks as _order_ranks

__all__ = [
    "copy_record",
    "copy_records",
    "delete_keys",
    "distinct",
    "fetch",
    "in_sequence",
    "merge_each",
    "project",
    "sort_keys",
    "sort_records",
]


# A limit at most 1/8 of the rows is served by a heap of that size (top-k) instead of a full sort.
cdef Py_ssize_t _TOP_K_FRACTION = 8


def copy_record(record):
    """A shallow copy of one record; ``TypeError`` when it is not a dict."""
    return shallow_copy(record)


def copy_records(records):
    """Shallow copies of ``records``, in order."""
    if type(records) is list:
        return _copy_prefetched(<list>records)
    cdef list out = []
    cdef object record
    for record in records:
        out.append(shallow_copy(record))
    return out


def fetch(records, pks, copy=False):
    """``records[pk]`` for each of ``pks``, in their order (``KeyError`` for a missing one); shallow copies
    with ``copy=True``.

    How a column match's rows are read: they come in insertion order already, so this is one C pass of dict
    lookups, then one of copies, instead of a ``map`` calling ``__getitem__`` per row.

    >>> fetch({1: {"v": 1}, 2: {"v": 2}}, [2, 1], copy=True)
    [{'v': 2}, {'v': 1}]
    """
    if type(records) is not dict or type(pks) is not list:
        found = [records[pk] for pk in pks]
        return copy_records(found) if copy else found
    cdef dict table = <dict>records
    cdef list keys = <list>pks
    cdef Py_ssize_t i, n = len(keys)
    cdef list out = PyList_New(n)
    cdef PyObject* record
    cdef object pk
    for i in range(n):
        pk = <object>PyList_GET_ITEM(keys, i)
        record = PyDict_GetItemWithError(table, pk)
        if record == NULL:  # (a lookup that raised has raised; a list's empty slots are freed safely)
            raise KeyError(pk)
        incref(record)
        list_set(out, i, record)
    return _copy_prefetched(out) if copy else out


cdef list _copy_prefetched(list found):
    """Copies of ``found``'s records. The matches of a selective query lie scattered over the table's memory,
    so each copy would wait on cache misses: the dicts (then their entry tables) a few records ahead are
    prefetched while one is copied, halving the time on the benchmark's 100,000-row scan."""
    cdef Py_ssize_t i, n = len(found)
    cdef list out = PyList_New(n)
    cdef object copied
    for i in range(n):
        prefetch_ahead(found, i, n)
        copied = shallow_copy(<object>PyList_GET_ITEM(found, i))
        incref(<PyObject*>copied)
        list_set(out, i, <PyObject*>copied)
    return out


def merge_each(records, changes):
    """``{**record, **changes}`` for each of ``records`` (dicts), in order: what an update stores.

    A change whose value is a compiled ``Value`` (``dictdb._core.value``) is computed from each record as it
    was before the merge.

    >>> merge_each([{"a": 1, "b": 2}, {"a": 3}], {"b": 0, "c": 1})
    [{'a': 1, 'b': 0, 'c': 1}, {'a': 3, 'b': 0, 'c': 1}]
    """
    cdef list found = records if type(records) is list else list(records)
    cdef dict extra = dict(changes)
    cdef list computed = [(field, value) for field, value in extra.items() if type(value) is Value]
    cdef Py_ssize_t i, n = len(found)
    cdef list out = PyList_New(n)
    cdef object merged
    cdef object record
    # Each new dict counts towards the garbage collector's next pass, which would walk both lists each time
    # (a cache miss per record): they are left out of its walks while they are filled and read here, since
    # nothing but this loop can reach them meanwhile, and put back after.
    cdef bint found_tracked = PyObject_GC_IsTracked(found)
    PyObject_GC_UnTrack(out)
    if found_tracked:
        PyObject_GC_UnTrack(found)
    try:
        for i in range(n):
            # The records an update changes lie scattered over the table's memory: those a few places ahead
            # are prefetched while one is copied, as for the copies of a query's matches.
            prefetch_ahead(found, i, n)
            record = <object>PyList_GET_ITEM(found, i)
            merged = shallow_copy(record)
            PyDict_Update(merged, extra)
            if computed:
                _compute_changes(merged, record, computed)
            incref(<PyObject*>merged)
            list_set(out, i, <PyObject*>merged)
    finally:
        if found_tracked:
            PyObject_GC_Track(found)
        PyObject_GC_Track(out)
    return out


cdef void _compute_changes(dict merged, object record, list computed) except *:
    # Overwriting keys the merge just set keeps them where ``changes`` put them, as the twin's loop does.
    for field, value in computed:
        PyDict_SetItem(merged, field, (<Value>value)._root.compute(record))


def delete_keys(mapping, keys, missing_ok=False):
    """Delete each of ``keys`` from the dict ``mapping``, in order: one call for a batch of deletions. A key
    missing raises ``KeyError`` (the earlier ones deleted), or is passed over with ``missing_ok``.

    >>> table = {1: "a", 2: "b", 3: "c"}
    >>> delete_keys(table, [3, 1])
    >>> delete_keys(table, [1, 2], missing_ok=True)
    >>> table
    {}
    """
    cdef dict target = mapping
    cdef bint tolerate = missing_ok
    for key in keys:
        if tolerate:
            if PyDict_Contains(target, key):
                PyDict_DelItem(target, key)
        else:
            PyDict_DelItem(target, key)


def project(records, columns, distinct=False):
    """For each record, a new dict ``{alias: record.get(field)}`` over ``columns`` ``(alias, field)`` pairs.

    A missing field projects to ``None``; an alias given twice keeps its last field, as a dict would.
    With ``distinct``, only the first of equal rows is kept (see ``distinct``), and only those are built.
    """
    cdef Py_ssize_t width
    cdef Py_ssize_t i
    cdef list aliases = []
    cdef list fields = []
    cdef list out = []
    cdef object record
    cdef dict row
    # Unpacked up front (not dict(columns)), so a malformed pair fails before any work, saying so.
    for alias, field in {alias: field for alias, field in columns}.items():
        aliases.append(alias)
        fields.append(field)
    width = len(fields)
    if not distinct:
        for record in records:
            row = {}
            for i in range(width):
                PyDict_SetItem(row, aliases[i], read(record, fields[i]))
            out.append(row)
        return out
    cdef list rows = [_values(record, fields, width) for record in records]
    # Rows of one set of aliases are equal dicts exactly when their value tuples are equal.
    for position in _first_occurrences(rows, _VALUES, ()):
        row = {}
        values = rows[position]
        for i in range(width):
            PyDict_SetItem(row, aliases[i], (<tuple>values)[i])
        out.append(row)
    return out


cdef tuple _values(object record, list fields, Py_ssize_t width):
    cdef list values = [None] * width
    cdef Py_ssize_t i
    for i in range(width):
        values[i] = read(record, fields[i])
    return tuple(values)


cdef int _plain_group(object value) except -1:
    """The group of a value that Python's own sort orders as the total order does (None and NaN, int, float,
    Decimal, str, bytes); any other value counts as OTHERS here, and its column is sorted by ranks."""
    if value is None:
        return NULLS
    if PyLong_Check(value):  # bool too
        return NUMBERS
    if PyFloat_Check(value):
        return NULLS if isnan(PyFloat_AS_DOUBLE(value)) else NUMBERS
    if PyUnicode_Check(value):
        return STRS
    if PyBytes_Check(value):
        return BYTES
    if isinstance(value, _Decimal):
        return NULLS if value.is_nan() else NUMBERS
    return OTHERS


def sort_keys(records, field):
    """One key per record for ``field``, ordered as the total order orders the values; never raises.

    When every value falls in one orderable group (all numbers, all strs or all bytes) the keys are the
    values themselves, so the sort compares them directly; otherwise each key is the value's rank in the
    sorted index's order (``_order.order_ranks``), so a sort and a walk of the index never disagree.
    """
    cdef list values = []
    cdef int groups = 0  # a bit per group seen
    cdef object value
    for record in records:
        value = read(record, field)
        groups |= 1 << _plain_group(value)
        values.append(value)
    if groups == 0 or groups == 1 << NUMBERS or groups == 1 << STRS or groups == 1 << BYTES:
        return values
    return _order_ranks(values)


def sort_records(records, order, limit=None):
    """``records`` sorted by ``order``, a list of ``(field, descending)``, stable; the first ``limit`` only.

    A small ``limit`` keeps a heap of that many rows (top-k) instead of sorting them all; ``limit <= 0``
    returns ``[]``.
    """
    if not isinstance(records, list):
        records = list(records)
    cdef Py_ssize_t count = len(records)
    if limit is not None and limit <= 0:
        return []
    if not order:
        return records[:limit]
    directions = {descending for _, descending in order}
    if len(directions) == 1:
        descending = directions.pop()
        if len(order) == 1 and limit is not None and limit * _TOP_K_FRACTION <= count:
            chosen = _top_k_numbers(records, order[0][0], limit, descending)
            if chosen is not None:
                return [records[position] for position in chosen]
        columns = [sort_keys(records, field) for field, _ in order]
        keys = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
        if limit is not None and limit * _TOP_K_FRACTION <= count:
            chosen = _top_k(keys, limit, descending)
        else:
            chosen = sorted(range(count), key=keys.__getitem__, reverse=descending)
    else:
        # Mixed directions: one stable sort per key, least significant first.
        chosen = list(range(count))
        for field, descending in reversed(order):
            chosen.sort(key=sort_keys(records, field).__getitem__, reverse=descending)
    return [records[position] for position in chosen[:limit]]


cdef inline int _less(list keys, Py_ssize_t a, Py_ssize_t b, bint descending) except -1:
    """True when key ``a`` sorts strictly before key ``b`` in the requested direction."""
    cdef object first = <object>PyList_GET_ITEM(keys, a)
    cdef object second = <object>PyList_GET_ITEM(keys, b)
    if descending:
        return PyObject_RichCompareBool(second, first, Py_LT)
    return PyObject_RichCompareBool(first, second, Py_LT)


cdef inline int _after(list keys, Py_ssize_t a, Py_ssize_t b, bint descending) except -1:
    """True when position ``a`` comes after position ``b`` in the stable order (ties by position)."""
    if _less(keys, b, a, descending):
        return True
    if _less(keys, a, b, descending):
        return False
    return a > b


cdef int _sift_down(list keys, Py_ssize_t* heap, Py_ssize_t size, bint descending) except -1:
    """Restore the heap from the root down: every parent comes after its children (the root last)."""
    cdef Py_ssize_t parent = 0
    cdef Py_ssize_t child
    cdef Py_ssize_t moved
    while True:
        child = 2 * parent + 1
        if child >= size:
            return 0
        if child + 1 < size and _after(keys, heap[child + 1], heap[child], descending):
            child += 1
        if not _after(keys, heap[child], heap[parent], descending):
            return 0
        moved = heap[parent]
        heap[parent] = heap[child]
        heap[child] = moved
        parent = child


cdef list _top_k(list keys, Py_ssize_t limit, bint descending):
    """The positions of the first ``limit`` keys in sorted order, ties by position (as a stable sort)."""
    cdef Py_ssize_t count = len(keys)
    cdef Py_ssize_t size = 0
    cdef Py_ssize_t position
    cdef Py_ssize_t i
    cdef Py_ssize_t* heap
    if limit > count:
        limit = count
    heap = <Py_ssize_t*>PyMem_Malloc((limit + 1) * sizeof(Py_ssize_t))
    if heap is NULL:
        raise MemoryError()
    try:
        for position in range(count):
            if size < limit:
                # Insert at the bottom and sift up: the first ``limit`` positions fill the heap.
                i = size
                heap[i] = position
                size += 1
                while i > 0 and _after(keys, heap[i], heap[(i - 1) // 2], descending):
                    heap[i], heap[(i - 1) // 2] = heap[(i - 1) // 2], heap[i]
                    i = (i - 1) // 2
            elif _less(keys, position, heap[0], descending):
                # A later position ties with the worst kept one at best: only a strictly smaller key enters.
                heap[0] = position
                _sift_down(keys, heap, size, descending)
        kept = sorted([heap[i] for i in range(size)])
    finally:
        PyMem_Free(heap)
    return sorted(kept, key=keys.__getitem__, reverse=descending)


# The C fast path of top-k: when every value of the field is a plain number (an exact float that is not
# NaN, or an exact int within 2**53, both exact as doubles), one pass compares C doubles in a heap of
# (key, position) entries, with no key list. The first other value abandons it for the general path.

cdef struct _Entry:
    double key
    Py_ssize_t position


cdef inline bint _entry_after(_Entry a, _Entry b, bint descending) noexcept:
    """True when entry ``a`` comes after ``b`` in the stable order (ties by position)."""
    if a.key != b.key:
        return a.key < b.key if descending else a.key > b.key
    return a.position > b.position


cdef inline bint _plain_number(object value, double* out) noexcept:
    cdef int overflow = 0
    cdef long long as_int
    if PyFloat_CheckExact(value):
        out[0] = PyFloat_AS_DOUBLE(value)
        return not isnan(out[0])
    if PyLong_CheckExact(value):
        as_int = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow == 0 and -EXACT_DOUBLE_INT <= as_int <= EXACT_DOUBLE_INT:
            out[0] = <double>as_int
            return True
    return False


cdef inline void _sift_entry_down(_Entry* heap, Py_ssize_t size, _Entry entry, bint descending) noexcept:
    """Put ``entry`` at the root of the heap of ``size`` entries and sift it down to its place."""
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t child
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _entry_after(heap[child + 1], heap[child], descending):
            child += 1
        if not _entry_after(heap[child], entry, descending):
            break
        heap[i] = heap[child]
        i = child
    heap[i] = entry


cdef object _top_k_numbers(list records, object field, Py_ssize_t limit, bint descending):
    """The positions of the first ``limit`` records by ``field`` in order, or None when a value is not a
    plain number."""
    cdef Py_ssize_t count = len(records)
    cdef Py_ssize_t size = 0
    cdef Py_ssize_t position
    cdef Py_ssize_t i
    cdef _Entry entry
    cdef _Entry* heap = <_Entry*>PyMem_Malloc((limit + 1) * sizeof(_Entry))
    if heap is NULL:
        raise MemoryError()
    try:
        for position in range(count):
            if not _plain_number(read(<object>PyList_GET_ITEM(records, position), field), &entry.key):
                return None
            entry.position = position
            if size < limit:
                # The root is the entry that comes last: sift the new one up past earlier ones.
                i = size
                size += 1
                while i > 0 and _entry_after(entry, heap[(i - 1) // 2], descending):
                    heap[i] = heap[(i - 1) // 2]
                    i = (i - 1) // 2
                heap[i] = entry
            elif entry.key > heap[0].key if descending else entry.key < heap[0].key:
                # A later position ties with the last kept one at best: only a strictly better key enters.
                _sift_entry_down(heap, size, entry, descending)
        # Pop the root (the last of the kept entries) repeatedly: the positions come out back to front.
        chosen = [0] * size
        while size > 0:
            size -= 1
            chosen[size] = heap[0].position
            _sift_entry_down(heap, size, heap[size], descending)
        return chosen
    finally:
        PyMem_Free(heap)


# Putting candidates back in insertion order: (sequence number, pk) pairs sorted in C, by a radix sort on the
# sequence numbers (unique ints), then the records looked up in that order.

cdef struct _Ranked:
    uint64_t seq
    PyObject* pk  # borrowed from the list of pks, which outlives the sort


# Below this many pairs an insertion sort beats the radix sort's passes over its 2048 counters.
cdef Py_ssize_t _RADIX_MIN = 64


def in_sequence(records, pks, seq, limit=None):
    """``records[pk]`` for each of ``pks``, ordered by ``seq[pk]``; with ``limit``, the first ``limit`` only.

    How the planner puts index candidates back in insertion order: ``seq`` maps each primary key to its
    sequence number (unique ints). ``KeyError`` for a pk missing from ``seq`` or ``records``.

    >>> in_sequence({"a": {"v": 1}, "b": {"v": 2}}, ["b", "a"], {"a": 5, "b": 3})
    [{'v': 2}, {'v': 1}]
    """
    cdef list keys = pks if PyList_CheckExact(pks) else list(pks)
    cdef Py_ssize_t count = len(keys)
    cdef Py_ssize_t want = count
    cdef Py_ssize_t i
    cdef _Ranked* items
    cdef _Ranked* scratch
    cdef PyObject* found
    cdef list out
    cdef bint exact
    if limit is not None:
        want = max(0, min(<Py_ssize_t>limit, count))
    if want == 0:
        return []
    items = <_Ranked*>PyMem_Malloc(2 * count * sizeof(_Ranked))
    if items is NULL:
        raise MemoryError()
    scratch = items + count
    try:
        for i in range(count):
            pk = <object>PyList_GET_ITEM(keys, i)
            found = PyDict_GetItemWithError(seq, pk) if PyDict_CheckExact(seq) else NULL
            items[i].seq = <uint64_t>PyLong_AsLongLong(<object>found if found is not NULL else seq[pk])
            items[i].pk = <PyObject*>pk
        _sort_ranked(items, scratch, count)
        out = PyList_New(want)
        exact = PyDict_CheckExact(records)
        for i in range(want):
            pk = <object>items[i].pk
            found = PyDict_GetItemWithError(records, pk) if exact else NULL
            record = <object>found if found is not NULL else records[pk]
            incref(<PyObject*>record)
            list_set(out, i, <PyObject*>record)
        return out
    finally:
        PyMem_Free(items)


cdef void _sort_ranked(_Ranked* items, _Ranked* scratch, Py_ssize_t count) noexcept:
    """Sort ``items`` by ``seq`` (unique), ``scratch`` being room for as many."""
    cdef Py_ssize_t i, j
    cdef _Ranked item
    cdef uint64_t low, high, span
    cdef Py_ssize_t counts[2048]
    cdef Py_ssize_t total, digit
    cdef int shift
    cdef _Ranked* source = items
    cdef _Ranked* target = scratch
    cdef _Ranked* swap
    if count < _RADIX_MIN:
        for i in range(1, count):
            item = items[i]
            j = i - 1
            while j >= 0 and items[j].seq > item.seq:
                items[j + 1] = items[j]
                j -= 1
            items[j + 1] = item
        return
    low = high = items[0].seq
    for i in range(count):
        if items[i].seq < low:
            low = items[i].seq
        if items[i].seq > high:
            high = items[i].seq
    span = high - low
    shift = 0
    # LSD radix sort on seq - low, 11 bits a pass, as many passes as the span needs (2 up to 4 million).
    while shift == 0 or (shift < 64 and (span >> shift) != 0):
        memset(counts, 0, sizeof(counts))
        for i in range(count):
            counts[((source[i].seq - low) >> shift) & 2047] += 1
        total = 0
        for digit in range(2048):
            total, counts[digit] = total + counts[digit], total
        for i in range(count):
            digit = ((source[i].seq - low) >> shift) & 2047
            target[counts[digit]] = source[i]
            counts[digit] += 1
        swap = source
        source = target
        target = swap
        shift += 11
    if source is not items:
        for i in range(count):
            items[i] = source[i]


class _Tag:
    """Marks a frozen list or dict, so it can never equal a user's tuple or frozenset."""

    __slots__ = ()


cdef object _LIST = _Tag()
cdef object _DICT = _Tag()


cdef object _freeze(object value):
    """A hashable stand-in for ``value`` that is equal exactly when the values are; TypeError if none."""
    try:
        hash(value)
    except TypeError:
        pass
    else:
        return value
    if isinstance(value, list):
        return (_LIST, tuple([_freeze(item) for item in value]))
    if isinstance(value, tuple):
        return tuple([_freeze(item) for item in value])  # frozen items hold a tag: no user tuple equals it
    if isinstance(value, dict):
        return (_DICT, frozenset([(key, _freeze(item)) for key, item in value.items()]))
    if isinstance(value, set):
        return frozenset(value)  # a set equals the frozenset of its items
    if isinstance(value, bytearray):
        return bytes(value)  # a bytearray equals the bytes of its content
    raise TypeError(f"cannot freeze {type(value).__name__}")


def distinct(rows):
    """``rows`` without repeats, first occurrence kept, in order; rows are equal when they are equal dicts.

    Rows are compared through a hash: of their values when they have the keys of the first row (as
    projected rows all do), else of their items. Lists, dicts, sets, bytearrays (and tuples of them)
    inside a row are hashed through a frozen copy that is equal exactly when they are; a row holding
    another unhashable value is compared with ``==`` against the earlier rows of that kind (linear, so
    slow when there are many).
    """
    rows = list(rows)
    cdef tuple names = tuple(rows[0]) if rows else ()
    return [rows[position] for position in _first_occurrences(rows, _ROWS, names)]


# What ``_first_occurrences`` compares: value tuples, or rows (dicts).
cdef enum:
    _VALUES = 0
    _ROWS = 1


cdef object _row_key(object row, tuple names, bint freeze):
    cdef Py_ssize_t width = len(names)
    cdef Py_ssize_t i
    cdef PyObject* found
    cdef list values
    if PyDict_CheckExact(row) and len(<dict>row) == width:
        values = [None] * width
        for i in range(width):
            found = PyDict_GetItemWithError(row, names[i])  # borrowed; NULL when missing (or on error)
            if found is NULL:
                break
            values[i] = <object>found
        else:
            return _freeze(tuple(values)) if freeze else tuple(values)
    elif not PyDict_CheckExact(row) and len(row) == width and all([name in row for name in names]):
        values = [row[name] for name in names]
        return _freeze(tuple(values)) if freeze else tuple(values)
    return frozenset([(name, _freeze(value) if freeze else value) for name, value in row.items()])


cdef object _key(object item, int kind, tuple names, bint freeze):
    if kind == _ROWS:
        return _row_key(item, names, freeze)
    return _freeze(item) if freeze else item


cdef list _first_occurrences(list items, int kind, tuple names):
    """The positions of the first of each group of equal items, by their key (see ``_key``).

    The plain key is tried first, then the frozen one; an item with neither is compared with ``==``.
    """
    cdef set seen = set()
    cdef list unhashable = []
    cdef list kept = []
    cdef Py_ssize_t position
    cdef bint new
    for position in range(len(items)):
        item = items[position]
        try:
            found = _key(item, kind, names, False)
            new = found not in seen
        except TypeError:
            try:
                found = _key(item, kind, names, True)
                new = found not in seen
            except TypeError:
                if item not in unhashable:
                    unhashable.append(item)
                    kept.append(position)
                continue
        if new:
            seen.add(found)
            kept.append(position)
    return kept
