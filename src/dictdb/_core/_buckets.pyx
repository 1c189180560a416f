"""A hash index's buckets and the keys records are indexed under: the compiled twin of ``_buckets_py.py``.

The bucket representation and the rules of each function (equal keys share a bucket, a bucket of one holder
is its primary key, of several a dict ``{pk: sequence number}``, a bucket left with one holder by a batch
of removals or moves is turned back into its pk once, at the end) are documented in ``_buckets_py.py``;
both cores give the same buckets. Here each batch is one C loop over its lists: a dict lookup of the key,
then one store into the bucket or the holders' dict, with no Python call per record; a bucket's holders
are read through a borrowed reference and held while they are changed.
"""

from cpython.dict cimport PyDict_GetItemWithError, PyDict_Next, PyDict_SetItem
from cpython.object cimport PyObject

from ._cpython cimport PyDict_CheckExact, PyList_GET_ITEM, lookup

__all__ = ["add_many", "keys_of", "move_many", "remove_many", "shared_keys"]


def keys_of(records, fields):
    """The key of each of ``records``: its value of ``fields[0]`` for one field, the tuple of its values
    of ``fields`` for several (a missing field is ``None``)."""
    cdef tuple names = tuple(fields)
    cdef Py_ssize_t width = len(names)
    cdef list out = []
    cdef object record, field
    if width == 0:
        raise ValueError("keys_of needs at least one field")
    if width == 1:
        field = names[0]
        for record in records:
            out.append(lookup(record, field))
        return out
    for record in records:
        out.append(tuple([lookup(record, field) for field in names]))
    return out


cdef class _Batch:
    """The sequence numbers of a batch's records: ``seqs`` by position (a list, or a range read without
    making its ints until one is stored; ``known``'s when ``seqs`` is None), and of a key's one holder so far
    ``known``'s, or the batch's own for a record of this batch."""

    cdef list pks
    cdef object seqs
    cdef list seq_list
    cdef bint by_range
    cdef Py_ssize_t start, step
    cdef object known
    cdef bint known_is_dict
    cdef dict by_pk

    def __cinit__(self, list pks, object seqs, object known):
        self.pks = pks
        self.seqs = seqs
        self.seq_list = seqs if type(seqs) is list else None
        self.by_range = type(seqs) is range
        if self.by_range:
            self.start = seqs.start
            self.step = seqs.step
        self.known = known
        self.known_is_dict = PyDict_CheckExact(known)
        self.by_pk = None

    cdef inline object of(self, Py_ssize_t i):
        """The sequence number of the batch's record ``i``."""
        if self.seq_list is not None:
            return <object>PyList_GET_ITEM(self.seq_list, i)
        if self.by_range:
            return self.start + i * self.step
        return self.known[<object>PyList_GET_ITEM(self.pks, i)]

    cdef object holder(self, object pk):
        """The sequence number of ``pk``, a key's one holder so far."""
        cdef PyObject* found
        cdef object first
        if self.known_is_dict:
            found = PyDict_GetItemWithError(self.known, pk)
            first = None if found is NULL else <object>found
        else:
            first = self.known.get(pk)
        if first is None:
            if self.seqs is None:
                raise KeyError(pk)
            if self.by_pk is None:
                self.by_pk = dict(zip(self.pks, self.seqs))
            first = self.by_pk[pk]
        return first


cdef inline int _add(dict buckets, object key, object pk, Py_ssize_t i, _Batch batch) except -1:
    cdef PyObject* found = PyDict_GetItemWithError(buckets, key)  # borrowed; NULL when absent
    cdef object holders
    if found is NULL:
        PyDict_SetItem(buckets, key, pk)
        return 0
    holders = <object>found  # a reference of our own while the bucket changes
    if PyDict_CheckExact(holders):
        PyDict_SetItem(holders, pk, batch.of(i))
    else:
        PyDict_SetItem(buckets, key, {holders: batch.holder(holders), pk: batch.of(i)})
    return 0


cdef list _as_list(object values):
    return values if type(values) is list else list(values)


cdef object _as_sequence(object seqs):
    """``seqs`` as a list, or the range it is: a range's ints are made only when stored."""
    if seqs is None or type(seqs) is list or type(seqs) is range:
        return seqs
    return list(seqs)


def add_many(dict buckets, keys, pks, seqs, known):
    """Index each ``pks[i]`` under ``keys[i]``; ``seqs[i]`` is its sequence number. With ``seqs=None`` the
    numbers are read from ``known``, which must then hold every pk of the batch, and only for the records
    that share a key (a unique index reads none)."""
    cdef list key_list = _as_list(keys)
    cdef list pk_list = _as_list(pks)
    cdef object seq_list = _as_sequence(seqs)
    cdef Py_ssize_t count = len(key_list), i
    if len(pk_list) != count or (seq_list is not None and len(seq_list) != count):
        raise ValueError(_lengths("add_many", keys=key_list, pks=pk_list, seqs=seq_list))
    cdef _Batch batch = _Batch(pk_list, seq_list, known)
    for i in range(count):
        _add(buckets, <object>PyList_GET_ITEM(key_list, i), <object>PyList_GET_ITEM(pk_list, i), i, batch)


cdef int _remove(dict buckets, object key, object pk, list fewer) except -1:
    cdef object holders = buckets[key]
    cdef Py_ssize_t left
    if not PyDict_CheckExact(holders):
        if not (holders is pk or _equals(holders, pk)):
            raise KeyError(pk)
        del buckets[key]
        return 0
    del holders[pk]
    left = len(<dict>holders)
    if left == 1:
        fewer.append((key, holders))
    elif left == 0:  # its last holder: the key goes now, as it would one removal at a time
        del buckets[key]
    return 0


cdef int _settle(dict buckets, list fewer) except -1:
    """Turn each shared bucket left with one holder back into that primary key."""
    cdef object key, holders
    cdef PyObject* found
    for key, holders in fewer:
        if len(<dict>holders) != 1:
            continue
        found = PyDict_GetItemWithError(buckets, key)
        if found is not NULL and <object>found is holders:
            buckets[key] = next(iter(<dict>holders))
    return 0


def remove_many(dict buckets, keys, pks):
    """Un-index each ``pks[i]``, indexed under a key equal to ``keys[i]``; ``KeyError`` when it is not."""
    cdef list key_list = _as_list(keys)
    cdef list pk_list = _as_list(pks)
    cdef Py_ssize_t count = len(key_list), i
    if len(pk_list) != count:
        raise ValueError(_lengths("remove_many", keys=key_list, pks=pk_list))
    cdef list fewer = []  # the shared buckets down to one holder
    try:
        for i in range(count):
            _remove(buckets, <object>PyList_GET_ITEM(key_list, i), <object>PyList_GET_ITEM(pk_list, i), fewer)
    finally:
        _settle(buckets, fewer)


def move_many(dict buckets, old_keys, new_keys, pks, seqs, known):
    """Re-index each ``pks[i]`` (sequence number ``seqs[i]``) from ``old_keys[i]`` to ``new_keys[i]``; a
    record whose new key equals its old one (``1`` -> ``1.0``) stays where it is. ``known`` is the table's
    pk -> sequence number, as for ``add_many``."""
    cdef list old_list = _as_list(old_keys)
    cdef list new_list = _as_list(new_keys)
    cdef list pk_list = _as_list(pks)
    cdef object seq_list = _as_sequence(seqs)
    cdef Py_ssize_t count = len(old_list), i
    cdef object old_key, new_key, pk
    if not len(new_list) == len(pk_list) == len(seq_list) == count:
        raise ValueError(
            _lengths("move_many", old_keys=old_list, new_keys=new_list, pks=pk_list, seqs=seq_list)
        )
    cdef _Batch batch = _Batch(pk_list, seq_list, known)
    cdef list fewer = []
    try:
        for i in range(count):
            old_key = <object>PyList_GET_ITEM(old_list, i)
            new_key = <object>PyList_GET_ITEM(new_list, i)
            if old_key is new_key or _equals(old_key, new_key):
                continue
            pk = <object>PyList_GET_ITEM(pk_list, i)
            _remove(buckets, old_key, pk, fewer)
            _add(buckets, new_key, pk, i, batch)
    finally:
        _settle(buckets, fewer)


def shared_keys(dict buckets):
    """The keys of ``buckets`` that several records hold, in ``buckets``' order."""
    cdef list out = []
    cdef Py_ssize_t position = 0
    cdef PyObject* key
    cdef PyObject* holders
    while PyDict_Next(buckets, &position, &key, &holders):
        if PyDict_CheckExact(<object>holders):
            out.append(<object>key)
    return out


cdef bint _equals(object key, object value) except -1:
    """Python's ``key == value``; an ``==`` that raises is not equal."""
    try:
        return bool(key == value)
    except Exception:
        return False


def _lengths(name, **lists):
    sizes = ", ".join(f"{len(values)} {what}" for what, values in lists.items() if values is not None)
    return f"{name}: the lists differ in length ({sizes})"
