"""Running a planned query: candidates put back in insertion order and re-checked, or an index walked.

``decide`` turns a plan into a ``Strategy`` (the access path, and whether an ``order_by`` + ``limit`` walks a
sorted index); ``Strategy.run`` executes it and ``Strategy.explain`` describes it, so ``Table.explain`` says
exactly what ``select`` does.

- **Candidates** (primary keys from the table's dict or its indexes) are put back in insertion order by their
  sequence numbers (``IndexCatalog.seq``), O(k log k) for k candidates, then every one is re-checked against
  the whole compiled predicate: an index changes speed, never results. With a ``limit`` much smaller than the
  candidates, only the first ones in insertion order are picked (a heap), and all of them only if the re-check
  drops some.
- **Column candidates** (``ColumnMatch``) come in insertion order already; when they are exactly the
  matches (the column store evaluated the whole predicate, no row unsure) they are only fetched and copied,
  else re-checked like the others.
- **A walk** serves ``order_by`` one sorted-indexed field with a ``limit``: the index hands out primary keys
  already in the sort's order (the same total order, ties in insertion order, descending keeping ties in
  insertion order), so the first ``limit`` that pass the predicate are the answer. It is taken when it is
  expected to touch fewer entries than the query's candidates; it fetches a chunk, and four times more while
  the predicate drops too many.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dictdb._core import predicate as _predicate
from dictdb._core import records as _records
from dictdb.index import SortedIndex
from dictdb.query.access import Access, ColumnMatch, Intersect, Lookup, Scan
from dictdb.query.explain import QueryPlan
from dictdb.query.expr import render
from dictdb.query.planner import Planner

__all__ = ["ALL", "Strategy", "decide"]

Plan = tuple[Any, ...]
Record = dict[Any, Any]
Order = list[tuple[Any, bool]]

#: The plan of "every record" (``where=None``).
ALL: Plan = ("true",)

# A limit this many times smaller than the candidates picks its rows with a heap instead of sorting them all.
_HEAP_FRACTION = 8


class Walk:
    """``order_by`` a sorted-indexed field with a limit, served by walking the index (or one range of it)."""

    __slots__ = ("args", "descending", "first_chunk", "index", "span")

    def __init__(self, index: SortedIndex, args: tuple[Any, ...] | None, descending: bool, span: int) -> None:
        self.index = index
        self.args = args  # range bounds, or None for the whole index
        self.descending = descending
        self.span = span  # how many entries the walk can see
        self.first_chunk = 0

    def pks(self, want: int) -> list[Any]:
        """The first ``want`` primary keys of the walk (each call's list begins with the previous one's)."""
        index = self.index
        if self.args is None:
            return index.last(want) if self.descending else index.first(want)
        low, high, include_low, include_high = self.args
        return index.range(
            low, high, include_low=include_low, include_high=include_high, reverse=self.descending, limit=want
        )

    def describe(self) -> dict[str, Any]:
        what = "the whole index" if self.args is None else "the range it serves"
        return {"method": "index walk", "index": self.index.field, "walks": what, "entries": self.first_chunk}


class Strategy:
    """What a query does: its access path (``None``: every record, no predicate), and maybe a ``Walk``."""

    __slots__ = ("access", "limit", "order", "plan", "walk")

    def __init__(
        self, plan: Plan, access: Access | None, order: Order, limit: int | None, walk: Walk | None
    ) -> None:
        self.plan = plan
        self.access = access
        self.order = order
        self.limit = limit
        self.walk = walk

    def run(
        self,
        records: Mapping[Any, Record],
        sequence: Callable[[], dict[Any, int]],
        copy: bool,
        limit: int | None,
    ) -> list[Record]:
        """The matching stored records (or copies): in insertion order, or, for a walk, the first ``limit``
        in the walked order. ``sequence()`` gives the records' sequence numbers."""
        if self.walk is not None:
            assert limit is not None
            return self._walk(records, copy, limit)
        access = self.access
        if access is None or isinstance(access, Scan):
            return _predicate.compile_plan(self.plan).filter(records.values(), copy=copy, limit=limit)
        if isinstance(access, ColumnMatch):
            return _column_rows(access, self.plan, records, copy, limit)
        predicate = _predicate.compile_plan(self.plan)
        candidates = access.fetch()
        if len(candidates) <= 1:  # no order to restore (and no sequence numbers to ask for)
            return predicate.filter([records[pk] for pk in candidates], copy=copy, limit=limit)
        # A hash bucket carries its sequence numbers; other candidates ask the table's.
        seq = candidates if isinstance(candidates, dict) else sequence()
        if limit is not None and 0 < limit * _HEAP_FRACTION < len(candidates):
            head = _records.in_sequence(records, candidates, seq, limit)
            rows = predicate.filter(head, copy=copy, limit=limit)
            if len(rows) == limit:
                return rows
        return predicate.filter(_records.in_sequence(records, candidates, seq), copy=copy, limit=limit)

    def _walk(self, records: Mapping[Any, Record], copy: bool, limit: int) -> list[Record]:
        walk = self.walk
        assert walk is not None
        if limit <= 0:
            return []
        predicate = None if self.plan[0] == "true" else _predicate.compile_plan(self.plan)
        out: list[Record] = []
        taken = 0
        want = max(limit, walk.first_chunk)
        while True:
            pks = walk.pks(want)
            rows = [records[pk] for pk in pks[taken:]]
            if predicate is None:
                out.extend(rows)
            else:
                out.extend(predicate.filter(rows, limit=limit - len(out)))
            if len(out) >= limit or len(pks) < want:
                out = out[:limit]
                return _records.copy_records(out) if copy else out
            taken = len(pks)
            want *= 4

    def explain(self, table_name: str, rows: int) -> QueryPlan:
        """The strategy as plain data (``Table.explain``)."""
        access = self.access
        where = None if self.plan[0] == "true" else render(self.plan)
        if access is None:
            path: dict[str, Any] = {"op": "all", "rows": rows}
            candidates = rows
        else:
            path = access.describe()
            candidates = access.estimate
        recheck = where is not None and not (isinstance(access, ColumnMatch) and access.exact)
        order: dict[str, Any] | None = None
        if self.order:
            order = {"by": [("-" if descending else "") + str(field) for field, descending in self.order]}
            if self.walk is not None:
                order.update(self.walk.describe())
            else:
                heap = self.limit is not None and self.limit * _HEAP_FRACTION <= candidates
                order["method"] = "top-k heap" if heap else "sort"
            order["limit"] = self.limit
        return QueryPlan(
            table=table_name,
            rows=rows,
            where=where,
            access=path,
            candidates=candidates,
            recheck=recheck,
            order=order,
        )


def _column_rows(
    access: ColumnMatch, plan: Plan, records: Mapping[Any, Record], copy: bool, limit: int | None
) -> list[Record]:
    """The records of a column match, in insertion order: the candidates themselves when exact, else those
    the whole predicate keeps."""
    pks = access.pks
    if access.exact:
        if limit is not None:
            pks = pks[: max(limit, 0)]
        # One pass of lookups and copies: fetching and copying the matches, scattered over the table's
        # memory, is most of the time of a selective column match.
        return _records.fetch(records, pks, copy)
    # The re-check stops at ``limit``: the candidates are in insertion order, no need to fetch them all.
    return _predicate.compile_plan(plan).filter(map(records.__getitem__, pks), copy=copy, limit=limit)


def decide(plan: Plan, planner: Planner, order: Order | None = None, limit: int | None = None) -> Strategy:
    """The strategy for ``plan`` (``("true",)``: every record), ordered by ``order`` and cut at ``limit``.

    Example:
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"age": a} for a in (30, 20, 40)])
        [1, 2, 3]
        >>> t.create_index("age", "sorted")
        >>> strategy = decide(("true",), Planner(t.primary_key, t.records, t.indexes), [("age", True)], 2)
        >>> [r["age"] for r in strategy.run(t.records, lambda: {}, False, 2)]
        [40, 30]
    """
    order = order or []
    access = None if plan[0] == "true" else planner.choose(plan)
    walk = _walk_for(planner, access, order, limit)
    return Strategy(plan, access, order, limit, walk)


def _walk_for(planner: Planner, access: Access | None, order: Order, limit: int | None) -> Walk | None:
    """The walk that serves ``order`` + ``limit``, when one exists and is expected to be the cheaper way."""
    if limit is None or len(order) != 1:
        return None
    field, descending = order[0]
    index = planner.indexes.get(field)
    if not isinstance(index, SortedIndex) or index.composite:
        return None
    rows = planner.rows
    if access is None:
        walk = Walk(index, None, descending, rows)
        walk.first_chunk = limit
        return walk
    serving = _range_on(access, index)
    if serving is not None:
        walk = Walk(index, serving.args, descending, serving.estimate)
    else:
        walk = Walk(index, None, descending, rows)
    # A scan's matches are unknown: assume many (the walk then stops early, and costs at most the scan).
    matches = max(rows if isinstance(access, Scan) else access.estimate, 1)
    # Matches spread over the walked entries: the walk expects to touch span * limit / matches of them.
    expected = walk.span * limit // matches + 1
    if not isinstance(access, Scan) and expected > access.estimate:
        return None
    walk.first_chunk = min(walk.span, max(limit, expected + expected // 2))
    return walk


def _range_on(access: Access, index: SortedIndex) -> Lookup | None:
    """The range lookup on ``index`` that ``access`` is, or that an intersection ``access`` starts from or
    narrows with."""
    parts = access.parts if isinstance(access, Intersect) else [access]
    for part in parts:
        if isinstance(part, Lookup) and part.index is index and part.how == "range":
            return part
    return None
