"""The sorted index's kernel: the compiled twin of ``_index_py.py``.

The order, the null bucket and the tie rule are documented in ``_order_py.py`` and ``_index_py.py``; both
cores give identical answers. docs/indexes.md has the design and its measured costs.

Here a ``SortedEntries`` holds one ``_Group`` (``_blocks``) per group of the order: the null bucket, the
numbers, the strs, the bytes, and one per "other" type, kept sorted by their keys. A value is classified once
(``_order.classify``) and then located within its group only; a batch is classified, split by group and
sorted (``_order.sort_items``) before it is merged in.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from libc.stdint cimport INT64_MAX, INT64_MIN, int64_t
from libc.stdlib cimport qsort
from libc.string cimport memcmp

from ._blocks cimport Block, Spot, _Group, equals
from ._cpython cimport (
    decref,
    PyByteArray_Check, PyBytes_Check, PyTuple_CheckExact, PyTuple_GET_SIZE, PyUnicode_Check,
    PyUnicode_Tailmatch,
)
from ._order cimport (
    sort_items,
    BYTE, BYTES, NULLS, NUMBER, NUMBERS, SEQUENCE, STR, STRS, TIE, UNORDERED, Item, Probe, bytes_data,
    classify, other_group,
)

# Imported under private names: the module's public names are its ``__all__`` (tests/test_build.py).
import sys as _sys
from bisect import insort as _insort

__all__ = ["DEFAULT_LOAD", "SortedEntries"]

#: Target entries per block (sortedcontainers' "load factor"); blocks hold between load/2 and 2*load.
DEFAULT_LOAD = 128

cdef Py_ssize_t _MAX_SIZE = _sys.maxsize

# A batch of removals at least 1/16 of a group's size finds its entries by one walk of the group.
cdef Py_ssize_t _SCAN_SHARE = 16


cdef int _bytes_startswith(object value, object prefix) noexcept:
    cdef Py_ssize_t size, head_size
    cdef const char* data = bytes_data(value, &size)
    cdef const char* head = bytes_data(prefix, &head_size)
    return size >= head_size and memcmp(data, head, head_size) == 0


cdef Py_ssize_t _check_count(str name, object k) except -1:
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"{name} must be an int >= 0, not {k!r}")
    return k


# --- the index -------------------------------------------------------------------------------------------

cdef class SortedEntries:
    """Values mapped to primary keys, in DictDB's total order, with ties in insertion order.

    >>> index = SortedEntries([(30, "a"), (25, "b"), (None, "c"), (30.0, "d")])
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
        self._nulls = _Group(TIE, self._load)
        self._numbers = _Group(NUMBER, self._load)
        self._strs = _Group(STR, self._load)
        self._bytes = _Group(BYTE, self._load)
        self._others = {}
        self._other_keys = []
        self._next_seq = 0

    def __reduce__(self):
        """Pickling and copying rebuild the index from its entries in order, so ties keep their order."""
        cdef list pairs = []
        cdef _Group group
        cdef Block* block
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
        return f"<SortedEntries of {len(self)} entries>"

    cdef _Group _group(self, object value, Probe* probe, bint create):
        """The group ``value`` belongs to (None when it has no group yet and ``create`` is false)."""
        cdef int rank = classify(value, probe)
        if rank == NUMBERS:
            return self._numbers
        if rank == STRS:
            return self._strs
        if rank == NULLS:
            return self._nulls
        if rank == BYTES:
            return self._bytes
        key = other_group(value)
        group = self._others.get(key)
        if group is None and create:
            group = _Group(key[4], self._load)
            self._others[key] = group
            _insort(self._other_keys, key)
        return group

    cdef void _prune(self, _Group group):
        # An "other" group that became empty is dropped, so it is not walked again.
        if group.length == 0 and group.kind <= UNORDERED:
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

        >>> index = SortedEntries()
        >>> index.insert(3, "x")
        >>> index.equal(3.0)
        ['x']
        """
        cdef Probe probe
        cdef _Group group = self._group(value, &probe, True)
        try:
            group.insert(&probe, self._next_seq, pk)
        finally:
            self._prune(group)
        self._next_seq += 1

    def insert_many(self, pairs, pks=None):
        """Index many ``(value, pk)`` pairs at once (sorted once, not inserted one by one), in order; or,
        with ``pks``, each ``pks[i]`` under ``pairs[i]`` (two lists, and no pair built).

        Nothing is indexed when a pair is malformed.

        >>> index = SortedEntries()
        >>> index.insert_many([(2, "b"), (1, "a")])
        >>> index.insert_many([0, 3], ["z", "c"])
        >>> index.first(5)
        ['z', 'a', 'b', 'c']
        """
        # Copies: they keep every value and pk alive while items borrow them. Every pair is unpacked, and
        # every value classified, before anything is indexed.
        cdef list values
        cdef list keys
        cdef Py_ssize_t count, k
        cdef Item* items
        cdef list groups = []
        if pks is None:
            values, keys = [], []
            for pair in pairs:
                if PyTuple_CheckExact(pair) and PyTuple_GET_SIZE(pair) == 2:
                    value, pk = (<tuple>pair)[0], (<tuple>pair)[1]
                else:
                    value, pk = pair
                values.append(value)
                keys.append(pk)
        else:
            keys = list(pks)
            values = _same_length(pairs, keys)
        count = len(keys)
        items = <Item*>PyMem_Malloc((count + 1) * sizeof(Item))
        if items is NULL:
            raise MemoryError()
        try:
            self._classify(values, keys, items, groups, True)
            for k in range(count):
                items[k].seq = self._next_seq + k
            if len(groups) == 1:
                (<_Group>groups[0]).bulk_insert(items, count)
            elif groups:
                _bulk_insert_grouped(groups, items, count)
            self._next_seq += count
        finally:
            PyMem_Free(items)
            for group in groups:
                self._prune(group)

    cdef Py_ssize_t _classify(self, list values, list pks, Item* items, list groups, bint create) except -2:
        """Fill ``items[k]`` with the probe of ``values[k]`` and with ``pks[k]`` (borrowed), its ``slot`` the
        place of its group in ``groups`` (appended as they are met). Without ``create``, a value whose group
        does not exist gets slot -1; returns the first such index (``len(values)`` when there is none)."""
        cdef Py_ssize_t count = len(values), k, slot = -1, missing = count
        cdef Probe probe
        cdef _Group group
        cdef _Group previous = None
        for k in range(count):
            group = self._group(values[k], &probe, create)
            items[k].number = probe.number
            items[k].exact = probe.exact
            items[k].value = probe.value
            items[k].pk = <PyObject*>pks[k]
            if group is None:
                items[k].slot = -1
                if k < missing:
                    missing = k
                continue
            if group is not previous:
                if group not in groups:
                    groups.append(group)
                slot = groups.index(group)
                previous = group
            items[k].slot = slot
        return missing

    def remove(self, value, pk):
        """Remove the entry of ``pk`` under ``value``; ``KeyError`` (index unchanged) if there is none.

        >>> index = SortedEntries([(1, "a")])
        >>> index.remove(1.0, "a")
        >>> len(index)
        0
        """
        cdef Probe probe
        cdef Py_ssize_t b, i
        cdef _Group group = self._locate(value, pk, &probe, &b, &i)
        group.delete_at(b, i)
        self._prune(group)

    cdef _Group _locate(self, object value, object pk, Probe* probe, Py_ssize_t* b, Py_ssize_t* i):
        cdef _Group group = self._group(value, probe, False)
        if group is None or group.find(probe, value, pk, group.kind <= SEQUENCE, b, i) < 0:
            raise KeyError(f"SortedEntries has no entry for value {value!r} with primary key {pk!r}: "
                           "remove and update need the value the key was indexed under")
        return group

    def update(self, old_value, new_value, pk):
        """Move ``pk`` from ``old_value`` to ``new_value``, keeping its place among ties (its sequence).

        ``KeyError`` (index unchanged) if ``pk`` is not indexed under ``old_value``.

        >>> index = SortedEntries([(1, "a"), (2, "b")])
        >>> index.update(1, 2, "a")
        >>> index.equal(2)
        ['a', 'b']
        """
        cdef Probe old_probe, new_probe
        cdef Py_ssize_t b, i
        cdef int64_t seq
        cdef _Group old_group = None
        # The new value is classified first: no Python code runs between finding the entry and moving it.
        cdef _Group new_group = self._group(new_value, &new_probe, True)
        try:
            old_group = self._locate(old_value, pk, &old_probe, &b, &i)
            seq = old_group.blocks[b].seqs[i]
            stored = old_group.value_at(b, i)  # kept alive here: the rollback below re-inserts it
            old_group.delete_at(b, i)
            try:
                new_group.insert(&new_probe, seq, pk)
            except BaseException:
                classify(stored, &old_probe)
                old_group.insert(&old_probe, seq, pk)
                raise
        finally:
            self._prune(new_group)
            if old_group is not None:
                self._prune(old_group)

    def remove_many(self, values, pks):
        """Remove the entries of many pks at once, ``pks[i]`` indexed under ``values[i]``: each group's ties
        are walked once and each block that loses entries is compacted once, instead of one search and one
        shift per entry.

        ``KeyError`` (index unchanged) when a pk has no entry under its value, naming the first such pair.

        >>> index = SortedEntries([(1, "a"), (2, "b"), (1, "c")])
        >>> index.remove_many([1, 2.0], ["c", "b"])
        >>> index.first(5)
        ['a']
        """
        cdef list keep_pks = list(pks)  # copies: they keep every value and pk alive
        cdef list keep_values = _same_length(values, keep_pks)
        cdef Py_ssize_t count = len(keep_pks)
        cdef Item* removed = <Item*>PyMem_Malloc((count + 1) * sizeof(Item))
        cdef int64_t* seqs = <int64_t*>PyMem_Malloc((count + 1) * sizeof(int64_t))
        cdef bint taken = False
        cdef list groups = []
        try:
            if removed is NULL or seqs is NULL:
                raise MemoryError()
            self._take_many(keep_values, keep_pks, removed, seqs, groups)
            taken = True
        finally:
            for group in groups:
                self._prune(group)
            if taken:  # released last: a value's or pk's destructor may run Python code
                _release(removed, count)
            PyMem_Free(removed)
            PyMem_Free(seqs)

    def update_many(self, old_values, new_values, pks):
        """Move many pks at once, ``pks[i]`` from ``old_values[i]`` to ``new_values[i]``: each keeps its place
        among its ties (its sequence number), as ``update`` does. The old entries go as in ``remove_many``,
        the new ones are merged in as in ``insert_many``.

        ``KeyError`` (index unchanged) when a pk is not indexed under its old value. A comparison that raises
        while the new values are placed (a type whose ``<`` raises) leaves the index partly moved, for its
        owner to rebuild (the table rebuilds its indexes from its records).

        >>> index = SortedEntries([(1, "a"), (2, "b"), (3, "c")])
        >>> index.update_many([1, 3], [2, 0], ["a", "c"])
        >>> index.first(5)
        ['c', 'a', 'b']
        """
        cdef list keep_pks = list(pks)
        cdef list olds = _same_length(old_values, keep_pks)
        cdef list news = _same_length(new_values, keep_pks)
        cdef Py_ssize_t count = len(keep_pks), k
        cdef Item* removed = <Item*>PyMem_Malloc((count + 1) * sizeof(Item))
        cdef Item* fresh = <Item*>PyMem_Malloc((count + 1) * sizeof(Item))
        cdef int64_t* seqs = <int64_t*>PyMem_Malloc((count + 1) * sizeof(int64_t))
        cdef list groups = []
        cdef list touched = []
        cdef bint taken = False
        try:
            if removed is NULL or fresh is NULL or seqs is NULL:
                raise MemoryError()
            # The new values are classified first: no Python code runs between taking the old entries and
            # placing the new ones but their comparisons.
            self._classify(news, keep_pks, fresh, groups, True)
            self._take_many(olds, keep_pks, removed, seqs, touched)
            taken = True
            for k in range(count):
                fresh[k].seq = seqs[k]
            # In sequence order, so that values that tie go in already ordered by it.
            qsort(fresh, count, sizeof(Item), _by_seq)
            if len(groups) == 1:
                (<_Group>groups[0]).bulk_insert(fresh, count)
            elif groups:
                _bulk_insert_grouped(groups, fresh, count)
        finally:
            for group in groups + touched:
                self._prune(group)
            if taken:
                _release(removed, count)
            PyMem_Free(removed)
            PyMem_Free(fresh)
            PyMem_Free(seqs)

    cdef int _take_many(self, list values, list pks, Item* removed, int64_t* seqs, list groups) except -1:
        """Remove the entry of each ``pks[k]`` under ``values[k]``, all or none: ``KeyError`` (nothing
        changed) for the first one without an entry. The removed entries go to ``removed`` (their
        references with them), each one's sequence number to ``seqs``. The groups it looked in are appended
        to ``groups``, for the caller to prune once it is done with them."""
        cdef Py_ssize_t count = len(pks), k, g, first, n, ngroups, missing
        cdef Item* items = <Item*>PyMem_Malloc((count + 1) * sizeof(Item))
        cdef Item* parted = <Item*>PyMem_Malloc((count + 1) * sizeof(Item))
        cdef int64_t* found = <int64_t*>PyMem_Malloc((count + 1) * sizeof(int64_t))
        cdef Spot* spots = <Spot*>PyMem_Malloc((count + 1) * sizeof(Spot))
        cdef Py_ssize_t* starts = NULL
        cdef _Group group
        try:
            if items is NULL or parted is NULL or found is NULL or spots is NULL:
                raise MemoryError()
            missing = self._classify(values, pks, items, groups, False)
            for k in range(count):
                items[k].seq = <int64_t><Py_ssize_t>items[k].pk  # the pk's address orders a run (mark)
            # Split by group, stably; from here on ``slot`` is the batch index.
            ngroups = len(groups)
            starts = <Py_ssize_t*>PyMem_Malloc((ngroups + 2) * sizeof(Py_ssize_t))
            if starts is NULL:
                raise MemoryError()
            for g in range(ngroups + 2):
                starts[g] = 0
            for k in range(count):
                if items[k].slot >= 0:
                    starts[items[k].slot + 2] += 1
            for g in range(ngroups):
                starts[g + 2] += starts[g + 1]
            for k in range(count):
                if items[k].slot >= 0:
                    g = items[k].slot
                    parted[starts[g + 1]] = items[k]
                    parted[starts[g + 1]].slot = k
                    starts[g + 1] += 1
            # starts[g] is now where group g's items begin, starts[g + 1] where they end. A batch that takes a
            # good share of a group finds its entries in one walk of the group (``scan``, whose spots come in
            # order); others, or when it cannot tell, each run of tying values is searched (``mark``).
            scanned = []
            for g in range(ngroups):
                group = <_Group>groups[g]
                first = starts[g]
                n = starts[g + 1] - first
                if n * _SCAN_SHARE >= group.length and group.scan(parted + first, n, spots + first):
                    scanned.append(True)
                    continue
                scanned.append(False)
                sort_items(group.kind, parted + first, items, n)
                _order_runs(group, parted + first, n)
                for k in range(n):
                    found[first + k] = -1
                if group.mark(parted + first, n, found + first) < n:
                    for k in range(first, first + n):
                        if found[k] < 0 and parted[k].slot < missing:
                            missing = parted[k].slot
            if missing < count:
                raise KeyError(f"SortedEntries has no entry for value {values[missing]!r} with primary "
                               f"key {pks[missing]!r}: remove and update need the value the key was "
                               "indexed under")
            # Nothing below can fail.
            for g in range(ngroups):
                group = <_Group>groups[g]
                first = starts[g]
                n = starts[g + 1] - first
                if not scanned[g]:
                    for k in range(n):
                        spots[first + k].position = found[first + k]
                        spots[first + k].index = parted[first + k].slot
                    qsort(spots + first, n, sizeof(Spot), _by_position)
                for k in range(n):
                    found[first + k] = spots[first + k].position
                group.take(found + first, n, removed + first)
                for k in range(n):
                    seqs[spots[first + k].index] = removed[first + k].seq
        finally:
            PyMem_Free(items)
            PyMem_Free(parted)
            PyMem_Free(found)
            PyMem_Free(spots)
            PyMem_Free(starts)
        return 0

    def clear(self):
        """Remove every entry.

        >>> index = SortedEntries([(1, "a")])
        >>> index.clear()
        >>> len(index)
        0
        """
        self._reset()

    cdef _Group _bounds(self, object low, object high, bint include_low, bint include_high,
                        Py_ssize_t* pos):
        """The group of a range with at least one bound, its positions ``[(pos[0], pos[1]), (pos[2],
        pos[3]))`` filled in; None when no value can match."""
        cdef Probe probe
        cdef _Group group = None
        cdef _Group high_group
        if low is not None:
            group = self._group(low, &probe, False)
            if group is None:
                return None
            group.lower_bound(&probe, INT64_MIN if include_low else INT64_MAX, &pos[0], &pos[1])
        if high is not None:
            high_group = self._group(high, &probe, False)
            if high_group is None or (group is not None and high_group is not group):
                return None  # nothing is at once >= a value of one group and <= one of another
            group = high_group
            group.lower_bound(&probe, INT64_MAX if include_high else INT64_MIN, &pos[2], &pos[3])
        if group.kind == TIE or group.kind == UNORDERED:
            return None  # None, NaN and unordered values are ordered against nothing
        if low is None:
            pos[0] = pos[1] = 0
        if high is None:
            group.end(&pos[2], &pos[3])
        return group

    def range(self, low=None, high=None, *, include_low=True, include_high=True, reverse=False,
              limit=None):
        """Primary keys with ``low <= value <= high`` (``<`` without ``include_*``), in key order.

        A bound of ``None`` is absent. The bounds select within their own group: a numeric bound matches only
        numbers, a str bound only strs; ``None``/NaN never match; with no bound at all, every non-null value
        matches. ``reverse`` gives descending keys (ties stay in insertion order); ``limit`` keeps the first
        ``limit`` of them.

        >>> index = SortedEntries([(1, "a"), (2, "b"), (2.0, "c"), ("x", "d"), (3, "e")])
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
                out.extend(group.every(reverse, cap - len(out)))
            return out
        group = self._bounds(low, high, include_low, include_high, pos)
        if group is None:
            return []
        count = group.distance(pos[0], pos[1], pos[2], pos[3])
        if count <= 0:
            return []
        if reverse:
            return group.descending(pos[0], pos[1], pos[2], pos[3], cap)
        return group.ascending(pos[0], pos[1], count if count < cap else cap)

    def count_range(self, low=None, high=None, *, include_low=True, include_high=True):
        """How many primary keys ``range`` would return, without building them.

        >>> SortedEntries([(1, "a"), (2, "b"), (3, "c")]).count_range(2)
        2
        """
        cdef Py_ssize_t pos[4]
        cdef _Group group
        if low is None and high is None:
            return sum([(<_Group>group).length for group in self._ordered_groups()])
        group = self._bounds(low, high, include_low, include_high, pos)
        if group is None:
            return 0
        return max(0, group.distance(pos[0], pos[1], pos[2], pos[3]))

    def equal(self, value):
        """Primary keys whose value ``== value`` (Python's equality), in insertion order.

        ``equal(None)`` gives the ``None`` entries; NaN equals nothing.

        >>> SortedEntries([(1, "a"), (True, "b"), (1.5, "c"), (1.0, "d")]).equal(1)
        ['a', 'b', 'd']
        """
        cdef Probe probe
        cdef Py_ssize_t b0, i0, b1, i1, count, b, i, _n
        cdef _Group group = self._group(value, &probe, False)
        cdef Block* block
        if group is None:
            return []
        group.lower_bound(&probe, INT64_MIN, &b0, &i0)
        group.lower_bound(&probe, INT64_MAX, &b1, &i1)
        count = group.distance(b0, i0, b1, i1)
        if group.kind >= NUMBER:
            return group.ascending(b0, i0, count)
        # Entries that tie in the order are not always equal (unordered types, NaN inside a tuple).
        out = []
        b, i = b0, i0
        for _n in range(count):
            block = group.blocks[b]
            if i == block.size:
                b += 1
                i = 0
                block = group.blocks[b]
            if equals(<object>block.values[i], value):
                out.append(<object>block.pks[i])
            i += 1
        return out

    def prefix(self, prefix):
        """Primary keys whose value starts with ``prefix`` (str among strs, bytes among bytes), in order.

        >>> SortedEntries([("abd", 1), ("ab", 2), ("b", 3), ("a", 4)]).prefix("ab")
        [2, 1]
        """
        cdef Probe probe
        cdef _Group group
        cdef Py_ssize_t b0, i0, b, i, count = 0
        cdef Block* block
        cdef bint is_str = PyUnicode_Check(prefix)
        if is_str:
            group = self._strs
        elif PyBytes_Check(prefix) or PyByteArray_Check(prefix):
            group = self._bytes
        else:
            raise TypeError(f"prefix must be a str or bytes, not {type(prefix).__name__}")
        probe.value = <PyObject*>prefix
        group.lower_bound(&probe, INT64_MIN, &b0, &i0)
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
        return group.ascending(b0, i0, count)

    def first(self, k):
        """The first ``k`` primary keys in ascending order: the null bucket first, then by value.

        >>> SortedEntries([(2, "a"), (None, "b"), (1, "c")]).first(2)
        ['b', 'c']
        """
        cdef Py_ssize_t want = _check_count("k", k)
        out = self._nulls.every(False, want)
        for group in self._ordered_groups():
            if len(out) >= want:
                break
            out.extend((<_Group>group).every(False, want - len(out)))
        return out

    def last(self, k):
        """The first ``k`` primary keys in descending order: largest values first, the null bucket last.

        Ties stay in insertion order, as in ``sorted(..., reverse=True)``.

        >>> SortedEntries([(2, "a"), (None, "b"), (1, "c"), (2, "d")]).last(3)
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
            out.extend((<_Group>group).every(True, want - len(out)))
        return out

    def page(self, offset, limit=None, *, reverse=False):
        """The primary keys at positions ``offset`` to ``offset + limit`` of the whole index's order (all of
        them from ``offset`` on when ``limit`` is None): ``first(n)[offset:offset + limit]``, or with
        ``reverse``, ``last(n)[offset:offset + limit]``, without stepping over the first ``offset``.

        A negative ``offset`` is 0, a negative ``limit`` is no limit. The start is found without walking the
        entries before it: by position in the pure core's sorted list (O(log n)), by adding up block sizes
        in the compiled one (O(n / load), a few microseconds for a million entries).

        >>> index = SortedEntries([(2, "a"), (None, "b"), (1, "c"), (2, "d"), (3, "e")])
        >>> index.page(1, 3), index.page(1, 3, reverse=True), index.page(4), index.page(9, 1)
        (['c', 'a', 'd'], ['a', 'd', 'c'], ['e'], [])
        """
        cdef Py_ssize_t start, want
        cdef _Group group
        start, want = _window(offset, limit, len(self))
        out = []
        if not want:
            return out
        groups = self._ordered_groups()
        if reverse:
            groups.reverse()
            groups.append(self._nulls)
        else:
            groups.insert(0, self._nulls)
        # Whole groups are skipped by their length; the page starts in the group that holds ``start``.
        for group in groups:
            if start >= group.length:
                start -= group.length
                continue
            out.extend(group.window(start, reverse, want - len(out)))
            start = 0
            if len(out) >= want:
                break
        return out

    def nulls(self):
        """Primary keys of the null bucket (``None``, float NaN, Decimal NaN), in insertion order.

        >>> SortedEntries([(None, "a"), (1, "b"), (float("nan"), "c")]).nulls()
        ['a', 'c']
        """
        return self._nulls.every(False, self._nulls.length)

    def min_value(self):
        """The smallest non-null value (the first inserted among ties), or ``None`` when there is none.

        >>> SortedEntries([(None, "a"), (2, "b"), ("x", "c")]).min_value()
        2
        """
        for group in self._ordered_groups():
            if (<_Group>group).length:
                return (<_Group>group).value_at(0, 0)
        return None

    def max_value(self):
        """The largest non-null value (the first inserted among ties), or ``None`` when there is none.

        >>> SortedEntries([(None, "a"), (2, "b"), ("x", "c")]).max_value()
        'x'
        """
        cdef _Group group
        cdef Probe probe
        cdef Py_ssize_t b, i
        groups = self._ordered_groups()
        for group in reversed(groups):
            if group.length:
                b = group.nblocks - 1
                group.probe_of(group.blocks[b], group.blocks[b].size - 1, &probe)
                group.lower_bound(&probe, INT64_MIN, &b, &i)
                return group.value_at(b, i)
        return None

    def memory_bytes(self):
        """Approximate bytes held by the index itself, not counting the values and keys it refers to.

        >>> SortedEntries().memory_bytes() > 0
        True
        """
        total = _sys.getsizeof(self) + _sys.getsizeof(self._others) + _sys.getsizeof(self._other_keys)
        for group in [self._nulls, *self._ordered_groups()]:
            total += (<_Group>group).memory()
        return total


cdef tuple _window(object offset, object limit, Py_ssize_t length):
    """The first position and the number of entries of a page: a negative ``offset`` is 0, a ``limit`` of
    None or below 0 is no limit (as ``select`` takes them); ``TypeError`` for anything but ints."""
    for name, given in (("offset", offset), ("limit", limit)):
        if isinstance(given, bool) or not (isinstance(given, int) or (name == "limit" and given is None)):
            raise TypeError(f"{name} must be an int, not {type(given).__name__}")
    cdef Py_ssize_t start = length if offset > length else (0 if offset < 0 else offset)
    cdef Py_ssize_t rest = length - start
    if limit is None or limit < 0 or limit > rest:
        return start, rest
    return start, <Py_ssize_t>limit


# --- bulk building --------------------------------------------------------------------------------------

cdef int _bulk_insert_grouped(list groups, Item* items, Py_ssize_t count) except -1:
    """Split a batch by group (stably, so each keeps its order) and insert each part."""
    cdef Py_ssize_t ngroups = len(groups), g, k, first
    cdef Py_ssize_t* starts = <Py_ssize_t*>PyMem_Malloc((ngroups + 1) * sizeof(Py_ssize_t))
    cdef Item* parted = <Item*>PyMem_Malloc(count * sizeof(Item))
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
            (<_Group>groups[g]).bulk_insert(parted + first, starts[g] - first)
    finally:
        PyMem_Free(starts)
        PyMem_Free(parted)
    return 0


cdef int _by_position(const void* a, const void* b) noexcept nogil:
    cdef int64_t x = (<Spot*>a).position, y = (<Spot*>b).position
    return (x > y) - (x < y)


cdef int _by_seq(const void* a, const void* b) noexcept nogil:
    cdef int64_t x = (<Item*>a).seq, y = (<Item*>b).seq
    return (x > y) - (x < y)


cdef int _by_address(const void* a, const void* b) noexcept nogil:
    # seq holds the pk's address, slot the batch index: a run sorted by both is the same in every run.
    cdef Item* x = <Item*>a
    cdef Item* y = <Item*>b
    if x.seq != y.seq:
        return (x.seq > y.seq) - (x.seq < y.seq)
    return (x.slot > y.slot) - (x.slot < y.slot)


cdef int _order_runs(_Group group, Item* items, Py_ssize_t count) except -1:
    """Sort each run of tying values of ``items`` (sorted by value) by pk address, then batch order."""
    cdef Py_ssize_t r0 = 0, r1
    while r0 < count:
        r1 = r0 + 1
        while r1 < count and group._same(&items[r0], &items[r1]):
            r1 += 1
        if r1 - r0 > 1:
            qsort(items + r0, r1 - r0, sizeof(Item), _by_address)
        r0 = r1
    return 0


cdef void _release(Item* items, Py_ssize_t count) noexcept:
    """Give back the references ``count`` taken entries hold."""
    cdef Py_ssize_t k
    for k in range(count):
        decref(items[k].value)
        decref(items[k].pk)


cdef list _same_length(object given, list pks):
    """``given`` as a list (a copy, which keeps its values alive while items borrow them); ``ValueError`` when
    it is not as long as ``pks``."""
    cdef list out = list(given)
    if len(out) != len(pks):
        raise ValueError(f"{len(out)} values for {len(pks)} primary keys: give one value per primary key")
    return out


def _rebuild(pairs, load):
    """The index ``SortedEntries.__reduce__`` describes."""
    return SortedEntries(pairs, load=load)
