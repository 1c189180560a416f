# Value nodes, for the predicate kernel: a comparison of computed values computes each side with
# ``_ValueNode.compute``, a C method, so no Python call is made per node.

cdef class _ValueNode:
    cdef object compute(self, object record)


cdef _ValueNode compile_node(object plan)
