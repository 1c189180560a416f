"""``JoinPlan``: what ``Table.explain_join`` returns, a dict of plain data that prints as a readable plan.

Keys:

- ``left``, ``right``: the tables' names; ``rows``: ``{"left": n, "right": n}``, their sizes;
- ``on``: ``[left_field, right_field]``; ``how``: ``"inner"`` or ``"left"``;
- ``probe``: how each left row finds its matches, always on the right side (rows come in the left table's
  order): ``method`` is ``"primary key"`` (the right's records by key), ``"index"`` (with the ``index``
  probed and its ``kind``) or ``"hash table"`` (built once from ``records`` right records; ``filtered``:
  from those the right's pushed part keeps);
- ``pushed``: ``{"left": plan, "right": plan}``: each table's ``QueryPlan`` (``Table.explain``) for the
  part of ``where`` it applies before the join, or ``None``;
- ``joined_where``: the rest of ``where``, as text, run on the joined rows, or ``None``;
- ``order``: ``None``, or ``by`` (the names, ``"-name"`` descending); ``limit``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["JoinPlan"]


class JoinPlan(dict[str, Any]):
    """The plan of a join, as ``Table.explain_join`` returns it: a dict; ``str(plan)`` is the readable form.

    Example:
        >>> from dictdb import Table
        >>> orders, customers = Table("orders"), Table("customers")
        >>> customers.insert([{"country": c} for c in ("FR", "DE")])
        [1, 2]
        >>> orders.insert([{"cid": 1 + i % 2, "amount": i} for i in range(10)])[-1]
        10
        >>> print(orders.explain_join(customers, ("cid", "id"), where=orders.amount > 5))
        join 'orders' (10 rows) with 'customers' (2 rows), inner, on 'cid' = 'id'
        probe: primary key of 'customers', once per left row
        pushed to 'orders': amount > 5
          access: scan of 10 records: no index serves the predicate
          re-check: ~10 candidates against the whole predicate
    """

    def __str__(self) -> str:
        rows = self["rows"]
        left_field, right_field = self["on"]
        lines = [
            f"join {self['left']!r} ({rows['left']:,} rows) with {self['right']!r} ({rows['right']:,} rows), "
            f"{self['how']}, on {left_field!r} = {right_field!r}",
            _probe_line(self["probe"]),
        ]
        for side in ("left", "right"):
            pushed = self["pushed"][side]
            if pushed is not None:
                lines.append(f"pushed to {pushed['table']!r}: {pushed['where']}")
                lines.extend("  " + line for line in str(pushed).splitlines()[2:])
        if self["joined_where"] is not None:
            lines.append(f"on the joined rows: {self['joined_where']}")
        order = self["order"]
        if order is not None:
            lines.append(f"order by {', '.join(order['by'])}: sort of the joined rows")
        if self["limit"] is not None:
            lines.append(f"limit {self['limit']}")
        return "\n".join(lines)


def _probe_line(probe: dict[str, Any]) -> str:
    method = probe["method"]
    if method == "primary key":
        return f"probe: primary key of {probe['table']!r}, once per left row"
    if method == "index":
        return f"probe: {probe['kind']} index {probe['index']!r} of {probe['table']!r}, once per left row"
    source = "the records its pushed part keeps" if probe["filtered"] else "its records"
    return (
        f"probe: hash table of {probe['table']!r} by {probe['field']!r}, built once from {source} "
        f"(~{probe['records']:,})"
    )
