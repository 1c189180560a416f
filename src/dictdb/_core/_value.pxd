# Value nodes, for the other kernels: a comparison of computed values computes each side with
# ``_ValueNode.compute``, a C method, so no Python call is made per node; ``read`` lets a kernel that reads a
# field per record (projection, sort keys) read a computed value in its place.

from ._cpython cimport lookup


cdef class _ValueNode:
    cdef object compute(self, object record)


cdef class Value:
    cdef _ValueNode _root
    cdef readonly tuple plan


cdef _ValueNode compile_node(object plan)


cdef inline object read(object record, object field):
    """``record.get(field)``, or the computed value when ``field`` is a compiled ``Value``."""
    if type(field) is Value:
        return (<Value>field)._root.compute(record)
    return lookup(record, field)
