"""Joined rows: the compiled twin of ``_join_py.py``.

A join's rows are fresh dicts: a copy of the left record, then the right record's fields, a right field
whose name the left record also has renamed ``<prefix><field>`` (the prefix is ``"<right table>."``).
``join_rows`` walks the left records in order, finds each one's matches through ``lookup`` and builds its
rows; it is the whole per-row work of ``Table.join``. Here a row is one ``PyDict_Copy`` and C-level dict
stores, and the lookup in a dict is a C call, with no Python frame per row.

Join keys follow SQL's NULL and Python's equality as a dict has it (``1 == 1.0 == True``): a key that is
``None``, missing, unequal to itself (NaN), or unhashable matches nothing.
"""

from cpython.dict cimport PyDict_Contains, PyDict_GetItemWithError, PyDict_Next, PyDict_SetItem
from cpython.object cimport PyObject, PyObject_Hash

from ._cpython cimport PyDict_CheckExact, PyLong_CheckExact, PyUnicode_CheckExact, lookup as _field_of
from ._cpython cimport shallow_copy

__all__ = ["group_by_key", "join_rows", "usable_key"]


cdef inline bint _usable(object key) except -1:
    if key is None:
        return False
    if PyLong_CheckExact(key) or PyUnicode_CheckExact(key):
        return True
    try:
        PyObject_Hash(key)
        return bool(key == key)  # not RichCompareBool, whose identity shortcut says NaN equals itself
    except Exception:  # an unhashable value, or one whose == raises (a signaling NaN)
        return False


def usable_key(key):
    """Whether a join key can match: not ``None``, equal to itself (not NaN), and hashable.

    >>> usable_key(1), usable_key(None), usable_key(float("nan")), usable_key([1])
    (True, False, False, False)
    """
    return _usable(key)


def group_by_key(records, field):
    """``{key: [records]}`` of the records whose ``field`` is a usable key, each list in the records' order.

    >>> group_by_key([{"k": 1}, {"k": None}, {"k": 1.0}, {"k": [2]}], "k")
    {1: [{'k': 1}, {'k': 1.0}]}
    """
    cdef dict table = {}
    cdef object record, key
    cdef PyObject* group
    for record in records:
        key = _field_of(record, field)
        if not _usable(key):
            continue
        group = PyDict_GetItemWithError(table, key)
        if group is NULL:
            table[key] = [record]
        else:
            (<list>group).append(record)
    return table


cdef dict _merged(dict left, dict right, str prefix, dict renames):
    cdef dict row = shallow_copy(left)
    cdef Py_ssize_t pos = 0
    cdef PyObject* name
    cdef PyObject* value
    cdef PyObject* renamed
    cdef object new_name
    while PyDict_Next(right, &pos, &name, &value):
        if PyDict_Contains(left, <object>name):
            renamed = PyDict_GetItemWithError(renames, <object>name)
            if renamed is NULL:
                new_name = prefix + str(<object>name)
                renames[<object>name] = new_name
                PyDict_SetItem(row, new_name, <object>value)
            else:
                PyDict_SetItem(row, <object>renamed, <object>value)
        else:
            PyDict_SetItem(row, <object>name, <object>value)
    return row


def join_rows(lefts, field, lookup, bint many, str prefix, bint keep, limit=None):
    """The joined rows of ``lefts``, in their order, each left record's matches in ``lookup``'s order.

    ``lookup`` is a dict, key -> one right record (``many=False``, a table's records by primary key) or key
    -> a list of them (``many=True``), or a function of the key returning a list of right records (or
    ``None``). ``keep``: a left record without a match gives one row of its own fields (a left join).
    ``limit``: stop after that many rows.

    >>> customers = {1: {"id": 1, "name": "ada"}}
    >>> join_rows([{"id": 7, "cid": 1}, {"id": 8, "cid": 2}], "cid", customers, False, "customers.", True)
    [{'id': 7, 'cid': 1, 'customers.id': 1, 'name': 'ada'}, {'id': 8, 'cid': 2}]
    """
    cdef list out = []
    cdef bint capped = limit is not None
    cdef Py_ssize_t cap = limit if capped else 0
    if capped and cap <= 0:
        return out
    cdef dict renames = {}
    cdef bint in_dict = PyDict_CheckExact(lookup)
    cdef dict table = lookup if in_dict else None
    cdef object left, key, found, right
    cdef PyObject* hit
    for left in lefts:
        key = _field_of(left, field)
        found = None
        if _usable(key):
            if in_dict:
                hit = PyDict_GetItemWithError(table, key)
                if hit is not NULL:
                    found = <object>hit
            else:
                found = lookup(key)
        if found is None or (many and not found):
            if keep:
                out.append(shallow_copy(left))
                if capped and len(out) >= cap:
                    return out
            continue
        if not many:
            out.append(_merged(<dict>left, <dict>found, prefix, renames))
            if capped and len(out) >= cap:
                return out
            continue
        for right in found:
            out.append(_merged(<dict>left, <dict>right, prefix, renames))
            if capped and len(out) >= cap:
                return out
    return out
