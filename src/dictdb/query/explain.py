"""``QueryPlan``: what ``Table.explain`` returns, a dict of plain data that prints as a readable plan.

Keys (docs/indexes.md shows examples):

- ``table``, ``rows``: the table's name and its number of records;
- ``where``: the predicate as text, or ``None``;
- ``access``: how the candidates are found, a tree of dicts with an ``op``:

  * ``"all"``: every record (no ``where``); ``"scan"``: every record is tested (``reason`` says why);
  * ``"primary key"``: ``pk == v`` or ``pk.is_in(...)`` from the table's dict;
  * ``"index"``: one index answers a clause: ``index`` (its name in ``Table.indexes``), ``kind``
    (``"hash"``, ``"unique sorted"``...), ``lookup`` (``equal``, ``in``, ``null``, ``range``, ``prefix``),
    ``clause``;
  * ``"column"``: column indexes evaluate ``clause`` over their typed vectors: ``fields`` (the column
    fields it reads), ``whole`` (the clause is the whole predicate, not only part of an AND) and ``exact``
    (no row was left unsure, so the candidates are the matches and are not re-checked); as an input of a
    union or an intersection, ``whole`` and ``exact`` speak of the node it serves (an OR's branch), and its
    candidates are re-checked with the others;
  * ``"intersect"`` / ``"union"``: ``inputs``, the paths an AND narrows with / an OR joins (each branch's,
    of any kind);

  each with ``estimate``, the records it is expected to yield;
- ``candidates``: how many records are expected to be tested against the whole predicate;
- ``recheck``: whether they are (always when there is a ``where``, but after an exact column match or a hash
  index's bucket answering the whole ``where``: one equality with a str or int value);
- ``order``: ``None``, or ``by`` (the fields, ``"-name"`` descending), ``limit``, ``offset`` (only when
  there is one), and ``method``: ``"sort"``, ``"top-k heap"``, or ``"index walk"`` with the ``index`` walked,
  what it ``walks`` and the ``entries`` it expects to read first; with an ``offset``, a walk says how it
  ``skips`` the rows before the page: ``"by position"`` (no ``where``: the page is read from its position
  in the index, the entries before it are not read) or ``"by reading"`` (the matches before it are read);
- ``compute``: ``None`` for a select; for ``explain(count=True)`` or ``explain(aggregates=...)``, ``op``
  (``"count"``, ``"aggregate"``) and ``method``: ``"column vectors"`` (the column indexes answer from their
  vectors; the records ``access`` finds are read only when a value is one the vectors cannot judge alone),
  ``"records"`` (the records ``access`` finds are read), or ``"table size"`` (a count of every record);
  an aggregate adds its ``group_by`` (names; a computed group as ``"name = expression"``), ``aggregates``
  (their names), ``having`` (as text, or ``None``), ``order_by`` and ``limit``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["QueryPlan"]


class QueryPlan(dict[str, Any]):
    """The plan of a query, as ``Table.explain`` returns it: a dict; ``str(plan)`` is the readable form.

    Example:
        >>> from dictdb import Table
        >>> t = Table("people")
        >>> t.insert([{"age": a} for a in range(100)])[-1]
        100
        >>> t.create_index("age", "sorted")
        >>> plan = t.explain(t.age >= 95)
        >>> plan["access"]["lookup"], plan["candidates"]
        ('range', 5)
        >>> print(plan)
        table 'people' (100 rows)
        where: age >= 95
        access: sorted index 'age', range: age >= 95 (~5)
        re-check: ~5 candidates against the whole predicate
    """

    def __str__(self) -> str:
        lines = [f"table {self['table']!r} ({self['rows']:,} rows)"]
        if self["where"] is not None:
            lines.append(f"where: {self['where']}")
        lines.extend(_path_lines(self["access"], "access: ", "  "))
        if self["recheck"]:
            lines.append(f"re-check: ~{self['candidates']:,} candidates against the whole predicate")
        order = self["order"]
        if order is not None:
            how = order["method"]
            if how == "index walk":
                how += f" on {order['index']!r} ({order['walks']}, ~{order['entries']:,} entries first)"
            limit = "" if order["limit"] is None else f", limit {order['limit']}"
            if order.get("offset"):
                limit += f", offset {order['offset']:,}"
                if "skips" in order:
                    limit += f" (skipped {order['skips']})"
            lines.append(f"order by {', '.join(order['by'])}: {how}{limit}")
        compute = self.get("compute")
        if compute is not None:
            lines.append(_compute_line(compute))
        return "\n".join(lines)


def _compute_line(compute: dict[str, Any]) -> str:
    method = compute["method"]
    source = {
        "column vectors": "from the column vectors",
        "records": "over the records found",
        "table size": "from the table's size",
    }[method]
    if compute["op"] == "count":
        return f"compute: count {source}"
    line = f"compute: aggregate {', '.join(map(str, compute['aggregates']))} {source}"
    if compute["group_by"]:
        line += f", grouped by {', '.join(map(str, compute['group_by']))}"
    if compute.get("having") is not None:
        line += f", having {compute['having']}"
    if compute["order_by"] is not None:
        line += f", ordered by {compute['order_by']}"
    if compute["limit"] is not None:
        line += f", limit {compute['limit']}"
    return line


def _path_lines(path: dict[str, Any], head: str, indent: str, top: bool = True) -> list[str]:
    """The lines of ``path``; ``top``: it is the whole access path, not an input of a union or an
    intersection (only then does an exact column match spare the re-check)."""
    op = path["op"]
    if op == "all":
        return [f"{head}every record ({path['rows']:,})"]
    if op == "scan":
        return [f"{head}scan of {path['rows']:,} records: {path['reason']}"]
    if op == "primary key":
        return [f"{head}primary key lookup: {path['clause']} (~{path['estimate']:,})"]
    if op == "index":
        return [
            f"{head}{path['kind']} index {path['index']!r}, {path['lookup']}: {path['clause']} "
            f"(~{path['estimate']:,})"
        ]
    if op == "column":
        names = ", ".join(map(repr, path["fields"]))
        if path["exact"]:
            how = "exact, no re-check" if top else "exact"
        elif path["whole"]:
            how = "whole predicate" if top else "whole branch"
        else:
            how = "part of the AND"
        return [f"{head}column index {names}: {path['clause']} (~{path['estimate']:,}, {how})"]
    what = "intersect, starting from the first" if op == "intersect" else "union"
    lines = [f"{head}{what} (~{path['estimate']:,})"]
    for part in path["inputs"]:
        lines.extend(_path_lines(part, indent + "- ", indent + "  ", top=False))
    return lines
