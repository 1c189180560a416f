# The blocked sorted lists that hold a sorted index's entries, one per group of the order (``_blocks.pyx``);
# ``_index`` reads and changes them through these declarations.

cimport cython
from cpython.object cimport PyObject
from libc.stdint cimport int64_t

from ._order cimport Item, Probe


ctypedef struct Block:
    Py_ssize_t size
    Py_ssize_t capacity
    double* numbers          # numbers only: the double key
    unsigned char* exact     # numbers only: the double is the value itself
    PyObject** values        # owned references
    int64_t* seqs
    PyObject** pks           # owned references


# A removal's place: the entry's position (``position_of``) and the batch index it answers.
ctypedef struct Spot:
    int64_t position
    Py_ssize_t index


cdef bint equals(object stored, object value)


@cython.final
cdef class _Group:
    cdef int kind
    cdef bint numeric
    cdef Py_ssize_t load
    cdef Py_ssize_t length
    cdef Block** blocks
    # Numbers only: each block's last double, side by side, so the search over blocks reads one small array
    # instead of following a pointer per step.
    cdef double* lasts
    cdef Py_ssize_t nblocks
    cdef Py_ssize_t block_capacity

    cdef void free(self) noexcept
    cdef inline int _cmp(self, Block* block, Py_ssize_t i, Probe* probe) except -2
    cdef inline void probe_of(self, Block* block, Py_ssize_t i, Probe* probe) noexcept
    cdef inline void _touch(self, Py_ssize_t b) noexcept
    cdef inline int _below(self, Block* block, Py_ssize_t i, Probe* probe, int64_t seq) except -1
    cdef int lower_bound(self, Probe* probe, int64_t seq, Py_ssize_t* out_block,
                         Py_ssize_t* out_index) except -1
    cdef inline void end(self, Py_ssize_t* out_block, Py_ssize_t* out_index) noexcept
    cdef Py_ssize_t distance(self, Py_ssize_t block0, Py_ssize_t index0,
                             Py_ssize_t block1, Py_ssize_t index1) noexcept
    cdef Py_ssize_t find(self, Probe* probe, object value, object pk, bint other,
                         Py_ssize_t* out_block, Py_ssize_t* out_index) except -2
    cdef int _insert_at(self, Py_ssize_t b, Py_ssize_t i, Probe* probe, int64_t seq, object pk) except -1
    cdef int insert(self, Probe* probe, int64_t seq, object pk) except -1
    cdef int _reserve_blocks(self, Py_ssize_t count) except -1
    cdef int _split(self, Py_ssize_t b) except -1
    cdef void _copy(self, Block* target, Py_ssize_t at, Block* source, Py_ssize_t start,
                    Py_ssize_t count) noexcept
    cdef int delete_at(self, Py_ssize_t b, Py_ssize_t i) except -1
    cdef int _merge(self, Py_ssize_t b) except -1
    cdef int build(self, Item* items, Py_ssize_t count) except -1
    cdef int export(self, Item* items) noexcept
    cdef Py_ssize_t _fill(self, list out, Py_ssize_t at, Py_ssize_t b, Py_ssize_t i,
                          Py_ssize_t count) noexcept
    cdef list ascending(self, Py_ssize_t b, Py_ssize_t i, Py_ssize_t count)
    cdef list descending(self, Py_ssize_t b0, Py_ssize_t i0, Py_ssize_t b1, Py_ssize_t i1,
                         Py_ssize_t limit)
    cdef list _descend(self, Py_ssize_t b1, Py_ssize_t i1, Py_ssize_t remaining, Py_ssize_t limit)
    cdef void _back(self, Py_ssize_t* b, Py_ssize_t* i, Py_ssize_t steps) noexcept
    cdef list every(self, bint reverse, Py_ssize_t limit)
    cdef void seek(self, Py_ssize_t position, Py_ssize_t* out_block, Py_ssize_t* out_index) noexcept
    cdef list window(self, Py_ssize_t position, bint reverse, Py_ssize_t limit)
    cdef object value_at(self, Py_ssize_t b, Py_ssize_t i)
    cdef Py_ssize_t memory(self) noexcept
    cdef int bulk_insert(self, Item* batch, Py_ssize_t count) except -1
    cdef void discard(self) noexcept
    cdef bint _same(self, Item* a, Item* b) except -1
    cdef bint _taken(self, int64_t* found, Py_ssize_t count, int64_t position) noexcept
    cdef Py_ssize_t _search(self, Block* block, Py_ssize_t low, Probe* probe) except -1
    cdef Py_ssize_t mark(self, Item* items, Py_ssize_t count, int64_t* found) except -1
    cdef bint scan(self, Item* items, Py_ssize_t count, Spot* spots) except -1
    cdef Py_ssize_t _mark_equal(self, Item* items, Py_ssize_t r0, Py_ssize_t r1, int64_t* found,
                                Py_ssize_t count, Py_ssize_t b0, Py_ssize_t i0, Py_ssize_t ties) except -1
    cdef void take(self, int64_t* positions, Py_ssize_t count, Item* out) noexcept
    cdef inline void _shift(self, Block* block, Py_ssize_t to, Py_ssize_t start, Py_ssize_t count) noexcept
    cdef void _rebalance(self) noexcept


cdef int64_t position_of(Py_ssize_t b, Py_ssize_t i) noexcept
