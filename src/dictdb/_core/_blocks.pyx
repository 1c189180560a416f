"""Where a sorted index keeps its entries: the compiled twin of ``_blocks_py.py``.

Each group of the order (nulls, numbers, strs, bytes, and one per "other" type) is a ``_Group``: a *blocked
sorted list* of C arrays, the shape of sortedcontainers' list of lists (the twin's ``SortedList``): blocks of
``load`` to ``2 * load`` entries (at least ``load / 2``), each a struct of arrays (key, value, sequence
number, primary key), found by binary search over the blocks' last entries, then within the block. Entries
are sorted by (value, sequence number) in the total order (``_order``); numbers carry their double key
unboxed beside the value, so most comparisons of a search read two doubles.
"""

from cpython.list cimport PyList_New
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.stdint cimport INT64_MAX, INT64_MIN, uint64_t
from libc.string cimport memcpy, memmove, memset

from ._cpython cimport decref, incref, list_set, unicode_compare
from ._order cimport (
    BYTE, NATURAL, NUMBER, SEQUENCE, STR, TIE, UNORDERED, bytes_cmp, cmp_items, merge_halves, natural_cmp,
    number_cmp, sequence_cmp, sort_items,
)

__all__ = []


cdef bint equals(object stored, object value):
    """Python's ``stored == value``; an ``==`` that raises (a Decimal sNaN) is not equal."""
    try:
        return bool(stored == value)
    except Exception:
        return False


# --- blocks --------------------------------------------------------------------------------------------


cdef Block* _block_new(Py_ssize_t capacity, bint numeric) except NULL:
    cdef Block* block = <Block*>PyMem_Malloc(sizeof(Block))
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


cdef int _block_reserve(Block* block, Py_ssize_t capacity, bint numeric) except -1:
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


cdef void _block_free(Block* block) noexcept:
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


# --- groups --------------------------------------------------------------------------------------------


cdef class _Group:
    """One group of the order: entries sorted by (key, sequence number) in blocks."""

    def __cinit__(self, int kind, Py_ssize_t load):
        self.kind = kind
        self.numeric = kind == NUMBER
        self.load = load
        self.length = 0
        self.blocks = NULL
        self.lasts = NULL
        self.nblocks = 0
        self.block_capacity = 0

    def __dealloc__(self):
        self.free()

    cdef void free(self) noexcept:
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

    cdef inline int _cmp(self, Block* block, Py_ssize_t i, Probe* probe) except -2:
        """The order of entry ``i`` of ``block`` against ``probe``, by key only."""
        cdef int kind = self.kind
        if kind == NUMBER:
            return number_cmp(block.numbers[i], block.exact[i], block.values[i],
                              probe.number, probe.exact, probe.value)
        if kind == STR:
            return unicode_compare(block.values[i], probe.value)
        if kind == BYTE:
            return bytes_cmp(<object>block.values[i], <object>probe.value)
        if kind == NATURAL:
            return natural_cmp(<object>block.values[i], <object>probe.value)
        if kind == SEQUENCE:
            return sequence_cmp(<object>block.values[i], <object>probe.value)
        return 0  # the null bucket and unordered groups: every entry ties, the sequence orders them

    cdef inline void probe_of(self, Block* block, Py_ssize_t i, Probe* probe) noexcept:
        probe.value = block.values[i]
        if self.numeric:
            probe.number = block.numbers[i]
            probe.exact = block.exact[i]

    cdef inline void _touch(self, Py_ssize_t b) noexcept:
        """Record block ``b``'s last double after a change."""
        cdef Block* block
        if self.numeric:
            block = self.blocks[b]
            self.lasts[b] = block.numbers[block.size - 1]

    cdef inline int _below(self, Block* block, Py_ssize_t i, Probe* probe, int64_t seq) except -1:
        """True when entry ``i`` comes before ``(probe, seq)``."""
        cdef int result = self._cmp(block, i, probe)
        return result < 0 or (result == 0 and block.seqs[i] < seq)

    # -- locating -----------------------------------------------------------------------------------------

    cdef int lower_bound(self, Probe* probe, int64_t seq, Py_ssize_t* out_block,
                         Py_ssize_t* out_index) except -1:
        """The first position not before ``(probe, seq)``. A ``seq`` of INT64_MIN finds the first entry
        equal to ``probe`` (bisect_left); INT64_MAX the one after the last (bisect_right)."""
        cdef Py_ssize_t low = 0, high = self.nblocks, middle
        cdef Block* block
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
            self.end(out_block, out_index)
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

    cdef inline void end(self, Py_ssize_t* out_block, Py_ssize_t* out_index) noexcept:
        if self.nblocks == 0:
            out_block[0] = 0
            out_index[0] = 0
        else:
            out_block[0] = self.nblocks - 1
            out_index[0] = self.blocks[self.nblocks - 1].size

    cdef Py_ssize_t distance(self, Py_ssize_t block0, Py_ssize_t index0,
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

    cdef Py_ssize_t find(self, Probe* probe, object value, object pk, bint other,
                         Py_ssize_t* out_block, Py_ssize_t* out_index) except -2:
        """The position of ``pk``'s entry among those equal to ``probe``, or -1."""
        cdef Py_ssize_t block0, index0, block1, index1, count, b, i, _n, pass_
        cdef bint found
        cdef Block* block
        cdef PyObject* stored
        self.lower_bound(probe, INT64_MIN, &block0, &index0)
        self.lower_bound(probe, INT64_MAX, &block1, &index1)
        count = self.distance(block0, index0, block1, index1)
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
                    found = equals(<object>stored, pk)
                if found:
                    out_block[0], out_index[0] = b, i
                    return 0
                i += 1
        if other:
            # A type whose own order is not a total one may have put the entry elsewhere in its group.
            for b in range(self.nblocks):
                block = self.blocks[b]
                for i in range(block.size):
                    if ((block.pks[i] == <PyObject*>pk or equals(<object>block.pks[i], pk)) and
                            (block.values[i] == <PyObject*>value or equals(<object>block.values[i], value))):
                        out_block[0], out_index[0] = b, i
                        return 0
        return -1

    # -- changing -----------------------------------------------------------------------------------------

    cdef int _insert_at(self, Py_ssize_t b, Py_ssize_t i, Probe* probe, int64_t seq, object pk) except -1:
        cdef Block* block
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

    cdef int insert(self, Probe* probe, int64_t seq, object pk) except -1:
        cdef Py_ssize_t b, i
        self.lower_bound(probe, seq, &b, &i)
        return self._insert_at(b, i, probe, seq, pk)

    cdef int _reserve_blocks(self, Py_ssize_t count) except -1:
        cdef Py_ssize_t capacity
        cdef void* grown
        if count <= self.block_capacity:
            return 0
        capacity = count + (count >> 1) + 4
        grown = PyMem_Realloc(self.blocks, capacity * sizeof(Block*))
        if grown is NULL:
            raise MemoryError()
        self.blocks = <Block**>grown
        if self.numeric:
            grown = PyMem_Realloc(self.lasts, capacity * sizeof(double))
            if grown is NULL:
                raise MemoryError()
            self.lasts = <double*>grown
        self.block_capacity = capacity
        return 0

    cdef int _split(self, Py_ssize_t b) except -1:
        """Move the upper half of block ``b`` into a new block after it."""
        cdef Block* block = self.blocks[b]
        cdef Py_ssize_t keep = block.size >> 1
        cdef Py_ssize_t moved = block.size - keep
        cdef Block* fresh
        # Both allocations come first: if either fails, nothing has moved.
        self._reserve_blocks(self.nblocks + 1)
        fresh = _block_new(_grown(moved), self.numeric)
        self._copy(fresh, 0, block, keep, moved)
        fresh.size = moved
        block.size = keep
        memmove(&self.blocks[b + 2], &self.blocks[b + 1], (self.nblocks - b - 1) * sizeof(Block*))
        self.blocks[b + 1] = fresh
        if self.numeric:
            memmove(&self.lasts[b + 2], &self.lasts[b + 1], (self.nblocks - b - 1) * sizeof(double))
        self.nblocks += 1
        self._touch(b)
        self._touch(b + 1)
        _block_reserve(block, _grown(keep), self.numeric)  # shrinking: never fails
        return 0

    cdef void _copy(self, Block* target, Py_ssize_t at, Block* source, Py_ssize_t start,
                    Py_ssize_t count) noexcept:
        """Move entries (their references with them) between blocks with room for them."""
        memcpy(&target.values[at], &source.values[start], count * sizeof(PyObject*))
        memcpy(&target.pks[at], &source.pks[start], count * sizeof(PyObject*))
        memcpy(&target.seqs[at], &source.seqs[start], count * sizeof(int64_t))
        if self.numeric:
            memcpy(&target.numbers[at], &source.numbers[start], count * sizeof(double))
            memcpy(&target.exact[at], &source.exact[start], count * sizeof(unsigned char))

    cdef int delete_at(self, Py_ssize_t b, Py_ssize_t i) except -1:
        cdef Block* block = self.blocks[b]
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
            memmove(&self.blocks[b], &self.blocks[b + 1], (self.nblocks - b - 1) * sizeof(Block*))
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
        cdef Block* left = self.blocks[b]
        cdef Block* right = self.blocks[b + 1]
        _block_reserve(left, left.size + right.size, self.numeric)
        self._copy(left, left.size, right, 0, right.size)
        left.size += right.size
        right.size = 0
        _block_free(right)
        memmove(&self.blocks[b + 1], &self.blocks[b + 2], (self.nblocks - b - 2) * sizeof(Block*))
        if self.numeric:
            memmove(&self.lasts[b + 1], &self.lasts[b + 2], (self.nblocks - b - 2) * sizeof(double))
        self.nblocks -= 1
        self._touch(b)
        if left.size > 2 * self.load:
            self._split(b)
        return 0

    cdef int build(self, Item* items, Py_ssize_t count) except -1:
        """Replace the entries with ``count`` sorted items, in full blocks of ``load``; the blocks take over
        the items' references (the caller holds one for each)."""
        cdef Py_ssize_t nblocks = (count + self.load - 1) // self.load
        cdef Py_ssize_t b, i, start, size
        cdef Block* block
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
            block.size = size
            self._touch(b)
        self.length = count
        return 0

    cdef int export(self, Item* items) noexcept:
        """Copy every entry, in order, into ``items`` (borrowed references)."""
        cdef Py_ssize_t b, i, n = 0
        cdef Block* block
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
        cdef Block* block
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

    cdef list ascending(self, Py_ssize_t b, Py_ssize_t i, Py_ssize_t count):
        cdef list out = PyList_New(count)
        self._fill(out, 0, b, i, count)
        return out

    cdef list descending(self, Py_ssize_t b0, Py_ssize_t i0, Py_ssize_t b1, Py_ssize_t i1,
                         Py_ssize_t limit):
        """Primary keys of ``[(b0, i0), (b1, i1))`` by descending key, each run of ties in insertion order;
        at most ``limit`` (a run cut by the limit keeps its earliest entries)."""
        return self._descend(b1, i1, self.distance(b0, i0, b1, i1), limit)

    cdef list _descend(self, Py_ssize_t b1, Py_ssize_t i1, Py_ssize_t remaining, Py_ssize_t limit):
        """``descending`` of the ``remaining`` entries before ``(b1, i1)``: a caller that knows how many there
        are does not add up the sizes of the blocks they span."""
        cdef Py_ssize_t want = remaining if remaining < limit else limit
        cdef list out = PyList_New(want)
        cdef Py_ssize_t at = 0, run, take, rb, ri, pb, pi
        cdef Probe probe
        cdef bint ties = self.kind == TIE or self.kind == UNORDERED
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
                self.probe_of(self.blocks[rb], ri, &probe)
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

    cdef list every(self, bint reverse, Py_ssize_t limit):
        if reverse:
            return self._descend(self.nblocks, 0, self.length, limit) if self.nblocks else []
        return self.ascending(0, 0, min(self.length, limit))

    cdef void seek(self, Py_ssize_t position, Py_ssize_t* out_block, Py_ssize_t* out_index) noexcept:
        """The place of the entry at ``position`` (0 to ``length``, the end) in ascending order, found by
        summing block sizes from the nearer end of the group: O(blocks), each a read of one struct."""
        cdef Py_ssize_t b, i, rest
        if self.nblocks == 0:
            out_block[0] = out_index[0] = 0
            return
        if position * 2 <= self.length:
            b, i = 0, position
            while b < self.nblocks - 1 and i >= self.blocks[b].size:
                i -= self.blocks[b].size
                b += 1
        else:
            b, rest = self.nblocks - 1, self.length - position  # entries from the position to the end
            while b > 0 and rest > self.blocks[b].size:
                rest -= self.blocks[b].size
                b -= 1
            i = self.blocks[b].size - rest
        out_block[0], out_index[0] = b, i

    cdef list window(self, Py_ssize_t position, bint reverse, Py_ssize_t limit):
        """At most ``limit`` primary keys from ``position`` on (``position < length``), in ascending order or,
        with ``reverse``, in descending order, each run of ties in insertion order."""
        cdef Py_ssize_t b, i, b0, i0, b1, i1, at, before, after, take
        cdef Probe probe
        cdef list out
        if not reverse:
            self.seek(position, &b, &i)
            take = self.length - position
            return self.ascending(b, i, take if take < limit else limit)
        # Descending order reverses the runs of ties, not the entries within one: the entry ``position``
        # steps from the end lies in a run whose later entries come first.
        at = self.length - 1 - position
        self.seek(at, &b, &i)
        self.probe_of(self.blocks[b], i, &probe)
        self.lower_bound(&probe, INT64_MIN, &b0, &i0)
        self.lower_bound(&probe, INT64_MAX, &b1, &i1)
        before = self.distance(b0, i0, b, i)  # entries of the run before ``at``
        after = self.distance(b, i, b1, i1)  # ``at`` and the entries of the run after it
        # The page starts as far before the run's end as ``at`` is after the run's start: stepped to from the
        # run's start, not sought from an end of the group.
        take = before + 1 if before < limit else limit
        b, i = b0, i0 + after - 1
        while i >= self.blocks[b].size and b < self.nblocks - 1:
            i -= self.blocks[b].size
            b += 1
        out = self.ascending(b, i, take)
        if take < limit:
            out.extend(self._descend(b0, i0, at - before, limit - take))
        return out

    cdef object value_at(self, Py_ssize_t b, Py_ssize_t i):
        return <object>self.blocks[b].values[i]

    cdef Py_ssize_t memory(self) noexcept:
        cdef Py_ssize_t total = sizeof(_Group) + self.block_capacity * sizeof(Block*)
        cdef Py_ssize_t per_entry = 2 * sizeof(PyObject*) + sizeof(int64_t)
        cdef Py_ssize_t b
        if self.numeric:
            per_entry += sizeof(double) + sizeof(unsigned char)
        for b in range(self.nblocks):
            total += sizeof(Block) + self.blocks[b].capacity * per_entry
        return total

    # -- bulk building ------------------------------------------------------------------------------------

    cdef int bulk_insert(self, Item* batch, Py_ssize_t count) except -1:
        """Insert ``count`` items of this group, each placed by (value, sequence number): one by one when they
        are few, else by sorting them, merging them with the entries and rebuilding full blocks."""
        cdef Py_ssize_t existing = self.length
        cdef Py_ssize_t total = existing + count
        cdef Py_ssize_t k
        cdef Item* items
        cdef Item* scratch
        cdef Probe probe
        cdef _Group old
        if count * 8 < existing:
            for k in range(count):
                probe.value = batch[k].value
                probe.number = batch[k].number
                probe.exact = batch[k].exact
                self.insert(&probe, batch[k].seq, <object>batch[k].pk)
            return 0
        items = <Item*>PyMem_Malloc(total * sizeof(Item))
        scratch = <Item*>PyMem_Malloc(total * sizeof(Item))
        try:
            if items is NULL or scratch is NULL:
                raise MemoryError()
            self.export(items)
            memcpy(items + existing, batch, count * sizeof(Item))
            sort_items(self.kind, items + existing, scratch, count)
            if existing and cmp_items(self.kind, &items[existing - 1], &items[existing]) > 0:
                merge_halves(self.kind, items, scratch, existing, total)
            # The new blocks take over the entries' references, and one for each item of the batch, taken
            # here in the batch's own order: the values and pks of records made one after the other lie one
            # after the other in memory, where the sorted order would visit them at random.
            for k in range(count):
                incref(batch[k].value)
                incref(batch[k].pk)
            # The old blocks are let go only once the new ones are built.
            old = _Group(self.kind, self.load)
            _swap(old, self)
            try:
                self.build(items, total)
            except BaseException:
                self.discard()
                _swap(old, self)
                for k in range(count):
                    decref(batch[k].value)
                    decref(batch[k].pk)
                raise
            old.discard()
        finally:
            PyMem_Free(items)
            PyMem_Free(scratch)
        return 0

    cdef void discard(self) noexcept:
        """Free the blocks but not the references their entries hold (other blocks own them now)."""
        cdef Py_ssize_t b
        for b in range(self.nblocks):
            self.blocks[b].size = 0
        self.free()

    # -- batches of removals ------------------------------------------------------------------------------

    cdef bint _same(self, Item* a, Item* b) except -1:
        """Whether two items hold values that tie in this group's order (their sequence numbers aside)."""
        cdef Item other = b[0]
        other.seq = a.seq
        return cmp_items(self.kind, a, &other) == 0

    cdef bint _taken(self, int64_t* found, Py_ssize_t count, int64_t position) noexcept:
        cdef Py_ssize_t k
        for k in range(count):
            if found[k] == position:
                return True
        return False

    cdef Py_ssize_t _search(self, Block* block, Py_ssize_t low, Probe* probe) except -1:
        """The first index from ``low`` on in ``block`` whose entry is not below ``probe`` (by value); the
        block's last entry must not be below it."""
        cdef Py_ssize_t high = block.size - 1, middle
        while low < high:
            middle = (low + high) >> 1
            if self._cmp(block, middle, probe) < 0:
                low = middle + 1
            else:
                high = middle
        return low

    cdef Py_ssize_t mark(self, Item* items, Py_ssize_t count, int64_t* found) except -1:
        """Find the entry of each of ``count`` items (value, pk), each once: ``found[k]`` becomes its position
        (``position_of``), or stays -1 when there is none. The items come in runs of tying values, each run
        sorted by (pk address, batch order) in ``seq`` and ``slot``: a run's ties are walked once, and each
        entry's pk is looked up among the run's by address. The pks left then match by equality, as ``find``
        does. Returns how many were found; nothing changes."""
        cdef Py_ssize_t r0 = 0, r1, _n, b, i, b0, i0, ties, low, high, middle, matched, total = 0
        cdef Py_ssize_t cb = self.nblocks, ci = 0
        cdef Probe probe
        cdef Block* block
        cdef int64_t address
        while r0 < count:
            r1 = r0 + 1
            while r1 < count and self._same(&items[r0], &items[r1]):
                r1 += 1
            probe.value = items[r0].value
            probe.number = items[r0].number
            probe.exact = items[r0].exact
            # The runs come in ascending order: the next one usually starts in the block where the last one
            # ended, searched alone.
            if (cb < self.nblocks and self._cmp(self.blocks[cb], self.blocks[cb].size - 1, &probe) >= 0 and
                    (ci == 0 or self._cmp(self.blocks[cb], ci - 1, &probe) < 0)):
                b0 = cb
                i0 = self._search(self.blocks[cb], ci, &probe)
            else:
                self.lower_bound(&probe, INT64_MIN, &b0, &i0)
            # The ties, walked to their end (they are few but for a value many records share).
            ties = 0
            b, i = b0, i0
            while b < self.nblocks:
                block = self.blocks[b]
                if i == block.size:
                    b += 1
                    i = 0
                    continue
                if self._cmp(block, i, &probe) != 0:
                    break
                ties += 1
                i += 1
            cb, ci = b, i
            matched = 0
            b, i = b0, i0
            for _n in range(ties):
                block = self.blocks[b]
                if i == block.size:
                    b += 1
                    i = 0
                    block = self.blocks[b]
                address = <int64_t><Py_ssize_t>block.pks[i]
                low, high = r0, r1
                while low < high:
                    middle = (low + high) >> 1
                    if items[middle].seq < address:
                        low = middle + 1
                    else:
                        high = middle
                while low < r1 and items[low].seq == address:
                    if found[low] < 0:
                        found[low] = position_of(b, i)
                        matched += 1
                        break
                    low += 1
                if matched == r1 - r0:
                    break
                i += 1
            if matched < r1 - r0:
                matched += self._mark_equal(items, r0, r1, found, count, b0, i0, ties)
            total += matched
            r0 = r1
        return total

    cdef bint scan(self, Item* items, Py_ssize_t count, Spot* spots) except -1:
        """``mark`` for a batch that removes a good share of the group, in one walk of its entries: each
        entry's pk is looked up by address among the items' (a table of them), and taken when its value ties
        with the item's. ``spots`` gets the positions in ascending order, each with its item's ``slot``.
        False (and nothing to use) when an item is left unmatched or two items hold the same pk, for
        ``mark`` to decide as it does."""
        cdef Py_ssize_t bits = 4, size, k, b, i, taken = 0
        cdef size_t mask, h
        cdef uint64_t address
        cdef uint64_t* addresses
        cdef Py_ssize_t* owners
        cdef unsigned char* done
        cdef Block* block
        cdef Probe probe
        cdef bint complete = False
        while (<Py_ssize_t>1 << bits) < 2 * count:
            bits += 1
        size = <Py_ssize_t>1 << bits
        mask = <size_t>size - 1
        addresses = <uint64_t*>PyMem_Malloc(size * sizeof(uint64_t))
        owners = <Py_ssize_t*>PyMem_Malloc(size * sizeof(Py_ssize_t))
        done = <unsigned char*>PyMem_Malloc(count + 1)
        try:
            if addresses is NULL or owners is NULL or done is NULL:
                raise MemoryError()
            memset(addresses, 0, size * sizeof(uint64_t))
            memset(done, 0, count + 1)
            for k in range(count):
                address = <uint64_t><size_t>items[k].pk
                h = _spread(address) & mask
                while addresses[h] != 0:
                    if addresses[h] == address:
                        return False  # one pk twice: mark decides which entry each takes
                    h = (h + 1) & mask
                addresses[h] = address
                owners[h] = k
            for b in range(self.nblocks):
                block = self.blocks[b]
                for i in range(block.size):
                    address = <uint64_t><size_t>block.pks[i]
                    h = _spread(address) & mask
                    while addresses[h] != 0 and addresses[h] != address:
                        h = (h + 1) & mask
                    if addresses[h] == 0:
                        continue
                    k = owners[h]
                    if done[k]:
                        continue
                    probe.value = items[k].value
                    probe.number = items[k].number
                    probe.exact = items[k].exact
                    if self._cmp(block, i, &probe) != 0:
                        continue
                    done[k] = 1
                    spots[taken].position = position_of(b, i)
                    spots[taken].index = items[k].slot
                    taken += 1
            complete = taken == count
        finally:
            PyMem_Free(addresses)
            PyMem_Free(owners)
            PyMem_Free(done)
        return complete

    cdef Py_ssize_t _mark_equal(self, Item* items, Py_ssize_t r0, Py_ssize_t r1, int64_t* found,
                                Py_ssize_t count, Py_ssize_t b0, Py_ssize_t i0, Py_ssize_t ties) except -1:
        """``mark``'s second pass over a run: each pk no entry holds itself takes the first free entry among
        the ties whose pk equals it; in a group whose types do not order totally, any entry of the group
        with an equal pk and an equal value."""
        cdef Py_ssize_t k, _n, b, i, matched = 0
        cdef Block* block
        cdef int64_t position
        for k in range(r0, r1):
            if found[k] >= 0:
                continue
            b, i = b0, i0
            for _n in range(ties):
                block = self.blocks[b]
                if i == block.size:
                    b += 1
                    i = 0
                    block = self.blocks[b]
                position = position_of(b, i)
                if (equals(<object>block.pks[i], <object>items[k].pk) and
                        not self._taken(found, count, position)):
                    found[k] = position
                    matched += 1
                    break
                i += 1
            if found[k] >= 0 or self.kind > SEQUENCE:
                continue
            # A type whose own order is not a total one may have put the entry elsewhere in its group.
            for b in range(self.nblocks):
                block = self.blocks[b]
                for i in range(block.size):
                    if ((block.pks[i] == items[k].pk or equals(<object>block.pks[i], <object>items[k].pk)) and
                            (block.values[i] == items[k].value or
                             equals(<object>block.values[i], <object>items[k].value)) and
                            not self._taken(found, count, position_of(b, i))):
                        found[k] = position_of(b, i)
                        matched += 1
                        break
                if found[k] >= 0:
                    break
        return matched

    cdef void take(self, int64_t* positions, Py_ssize_t count, Item* out) noexcept:
        """Remove the entries at ``count`` distinct positions, given in ascending order, moving each (its
        references with it) into ``out``: one pass over each block that loses entries, then the blocks left
        empty or small are dropped or merged."""
        cdef Py_ssize_t k = 0, b, i, write, next_i, run
        cdef Block* block
        while k < count:
            b = <Py_ssize_t>(positions[k] >> 32)
            block = self.blocks[b]
            write = <Py_ssize_t>(positions[k] & 0xFFFFFFFF)
            while k < count and <Py_ssize_t>(positions[k] >> 32) == b:
                i = <Py_ssize_t>(positions[k] & 0xFFFFFFFF)
                out[k].value = block.values[i]
                out[k].pk = block.pks[i]
                out[k].seq = block.seqs[i]
                if self.numeric:
                    out[k].number = block.numbers[i]
                    out[k].exact = block.exact[i]
                k += 1
                # The kept entries up to the next removal in this block move down, as one run.
                if k < count and <Py_ssize_t>(positions[k] >> 32) == b:
                    next_i = <Py_ssize_t>(positions[k] & 0xFFFFFFFF)
                else:
                    next_i = block.size
                run = next_i - i - 1
                if run:
                    self._shift(block, write, i + 1, run)
                write += run
            self.length -= block.size - write
            block.size = write
        self._rebalance()

    cdef inline void _shift(self, Block* block, Py_ssize_t to, Py_ssize_t start, Py_ssize_t count) noexcept:
        """Move ``count`` entries of ``block`` from ``start`` down to ``to`` (the ranges may overlap)."""
        memmove(&block.values[to], &block.values[start], count * sizeof(PyObject*))
        memmove(&block.pks[to], &block.pks[start], count * sizeof(PyObject*))
        memmove(&block.seqs[to], &block.seqs[start], count * sizeof(int64_t))
        if self.numeric:
            memmove(&block.numbers[to], &block.numbers[start], count * sizeof(double))
            memmove(&block.exact[to], &block.exact[start], count * sizeof(unsigned char))

    cdef void _rebalance(self) noexcept:
        """Drop empty blocks and merge small ones with a neighbour (best effort: a block left small is still
        sorted), then record each block's last double."""
        cdef Py_ssize_t b, kept = 0
        for b in range(self.nblocks):
            if self.blocks[b].size == 0:
                _block_free(self.blocks[b])
            else:
                self.blocks[kept] = self.blocks[b]
                kept += 1
        self.nblocks = kept
        for b in range(self.nblocks):
            self._touch(b)
        b = 0
        while b < self.nblocks and self.nblocks > 1:
            if self.blocks[b].size >= self.load >> 1:
                b += 1
                continue
            # A merge leaves one block (look at it again) or, split again, two big enough ones.
            try:
                self._merge(b if b + 1 < self.nblocks else b - 1)
            except MemoryError:
                b += 1

cdef inline size_t _spread(uint64_t address) noexcept:
    """An object's address, spread over a table's slots (objects are 16-byte aligned)."""
    return <size_t>((address >> 4) * <uint64_t>0x9E3779B97F4A7C15 >> 20)


cdef int64_t position_of(Py_ssize_t b, Py_ssize_t i) noexcept:
    """A position in a group as one sortable number: the block, then the index within it."""
    return (<int64_t>b << 32) | i


cdef void _swap(_Group a, _Group b) noexcept:
    """Exchange the entries of two groups of the same kind."""
    a.blocks, b.blocks = b.blocks, a.blocks
    a.lasts, b.lasts = b.lasts, a.lasts
    a.nblocks, b.nblocks = b.nblocks, a.nblocks
    a.block_capacity, b.block_capacity = b.block_capacity, a.block_capacity
    a.length, b.length = b.length, a.length
