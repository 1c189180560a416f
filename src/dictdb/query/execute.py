"""Running a planned query: candidates put back in insertion order and re-checked, or an index walked.

The table hands its records, primary key field and index catalog down (``Source``) with the parsed
``where``; nothing here calls back into the table. ``match`` is every read and write's way to the matching
records, ``count`` and ``aggregate`` route to the column store when it can answer. ``decide`` turns a plan
into a ``Strategy`` (the access path, and whether an ``order_by`` + ``limit`` walks a sorted index);
``Strategy.run`` executes it and ``Strategy.explain`` describes it, so ``Table.explain`` says exactly what
``select`` does.

- **Candidates** (primary keys from the table's dict or its indexes) are put back in insertion order by their
  sequence numbers (``IndexCatalog.seq``), O(k log k) for k candidates, then every one is re-checked against
  the whole compiled predicate: an index changes speed, never results. With a ``limit`` much smaller than the
  candidates, only the first ones in insertion order are picked (a heap), and all of them only if the re-check
  drops some.
- **Column candidates** (``ColumnMatch``) come in insertion order already; when they are exactly the
  matches (the column store evaluated the whole predicate, no row unsure) they are only fetched and copied,
  else re-checked like the others. A hash bucket answering the whole ``where`` (one equality on its field,
  with a str or int value: ``Lookup.answers``) is not re-checked either.
- **A walk** serves ``order_by`` one sorted-indexed field with a ``limit``: the index hands out primary keys
  already in the sort's order (the same total order, ties in insertion order, descending keeping ties in
  insertion order), so the first ``offset + limit`` that pass the predicate are the answer. It is taken when
  it is expected to touch fewer entries than the query's candidates; it fetches a chunk, and four times more
  while the predicate drops too many. Without a ``where`` every record is in the index, so the page is read
  from its position (``SortedIndex.page``): the entries before ``offset`` are skipped, not read, and an
  ``offset`` without a ``limit`` is served too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, overload

from dictdb._core import column as _column
from dictdb._core import predicate as _predicate
from dictdb._core import records as _records
from dictdb._core import value as _value
from dictdb.index import IndexCatalog, SortedIndex
from dictdb.query import aggregates as _aggregates
from dictdb.query.access import Access, ColumnMatch, Intersect, Lookup, Scan
from dictdb.query.explain import QueryPlan
from dictdb.query.expr import render, render_value
from dictdb.query.planner import Planner, looks_up

__all__ = [
    "ALL",
    "Strategy",
    "aggregate",
    "count",
    "decide",
    "describe",
    "match",
    "needs_sequence",
    "planner",
    "vectors",
]

Plan = tuple[Any, ...]
Record = dict[Any, Any]
Order = list[tuple[Any, bool]]

#: The plan of "every record" (``where=None``).
ALL: Plan = ("true",)

# A limit this many times smaller than the candidates picks its rows with a heap instead of sorting them all.
_HEAP_FRACTION = 8


class Walk:
    """``order_by`` a sorted-indexed field with a limit, served by walking the index (or one range of it)."""

    __slots__ = ("args", "descending", "first_chunk", "index", "offset", "span", "start")

    def __init__(self, index: SortedIndex, args: tuple[Any, ...] | None, descending: bool, span: int) -> None:
        self.index = index
        self.args = args  # range bounds, or None for the whole index
        self.descending = descending
        self.span = span  # how many entries the walk can see
        self.first_chunk = 0
        self.offset = 0  # the rows the query skips
        # The position the page starts at, when every entry is a match (no ``where``): None when the walk
        # steps over the ``offset`` first matches instead.
        self.start: int | None = None

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
        out = {"method": "index walk", "index": self.index.field, "walks": what, "entries": self.first_chunk}
        if self.offset:
            out["skips"] = "by position" if self.start is not None else "by reading"
        return out


class Strategy:
    """What a query does: its access path (``None``: every record, no predicate), and maybe a ``Walk``."""

    __slots__ = ("access", "limit", "offset", "order", "plan", "walk")

    def __init__(
        self,
        plan: Plan,
        access: Access | None,
        order: Order,
        limit: int | None,
        walk: Walk | None,
        offset: int = 0,
    ) -> None:
        self.plan = plan
        self.access = access
        self.order = order
        self.limit = limit
        self.offset = offset
        self.walk = walk

    def run(
        self, records: Mapping[Any, Record], seq: Mapping[Any, int] | None, copy: bool, limit: int | None
    ) -> list[Record]:
        """The matching stored records (or copies): in insertion order, or, for a walk, the ``limit`` after
        the strategy's ``offset`` in the walked order. ``seq`` holds the records' sequence numbers (see
        ``needs_sequence``)."""
        if self.walk is not None:
            return self._walk(records, copy, limit)
        access = self.access
        if access is None or isinstance(access, Scan):
            return _predicate.compile_plan(self.plan).filter(records.values(), copy=copy, limit=limit)
        if isinstance(access, ColumnMatch):
            return _column_rows(access, self.plan, records, copy, limit)
        candidates = access.fetch()
        # A hash bucket that answers the whole plan holds exactly the matches: none needs testing.
        exact = isinstance(access, Lookup) and access.answers(self.plan)
        predicate = None if exact else _predicate.compile_plan(self.plan)
        if len(candidates) <= 1:  # no order to restore (and no sequence numbers to ask for)
            return _keep(predicate, [records[pk] for pk in candidates], copy, limit)
        # A hash bucket carries its sequence numbers; other candidates take the table's.
        if isinstance(candidates, dict):
            seq = candidates
        assert seq is not None, "the table builds its sequence numbers for plans that need them"
        if predicate is None:
            return _keep(None, _records.in_sequence(records, candidates, seq, limit), copy, limit)
        if limit is not None and 0 < limit * _HEAP_FRACTION < len(candidates):
            head = _records.in_sequence(records, candidates, seq, limit)
            rows = predicate.filter(head, copy=copy, limit=limit)
            if len(rows) == limit:
                return rows
        return predicate.filter(_records.in_sequence(records, candidates, seq), copy=copy, limit=limit)

    def _walk(self, records: Mapping[Any, Record], copy: bool, limit: int | None) -> list[Record]:
        walk = self.walk
        assert walk is not None
        if walk.start is not None:
            return _records.fetch(records, walk.index.page(walk.start, limit, reverse=walk.descending), copy)
        assert limit is not None
        if limit <= 0:
            return []
        end = self.offset + limit
        predicate = None if self.plan[0] == "true" else _predicate.compile_plan(self.plan)
        out: list[Record] = []
        taken = 0
        want = max(end, walk.first_chunk)
        while True:
            pks = walk.pks(want)
            rows = [records[pk] for pk in pks[taken:]]
            if predicate is None:
                out.extend(rows)
            else:
                out.extend(predicate.filter(rows, limit=end - len(out)))
            if len(out) >= end or len(pks) < want:
                out = out[self.offset : end]
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
        recheck = where is not None and not (
            (isinstance(access, ColumnMatch) and access.exact)
            or (isinstance(access, Lookup) and access.answers(self.plan))
        )
        order: dict[str, Any] | None = None
        if self.order:
            order = {"by": order_text(self.order)}
            if self.walk is not None:
                order.update(self.walk.describe())
            else:
                heap = self.limit is not None and self.limit * _HEAP_FRACTION <= candidates
                order["method"] = "top-k heap" if heap else "sort"
            order["limit"] = self.limit
            if self.offset:
                order["offset"] = self.offset
        return QueryPlan(
            table=table_name,
            rows=rows,
            where=where,
            access=path,
            candidates=candidates,
            recheck=recheck,
            order=order,
            compute=None,
        )


def order_text(order: Order) -> list[str]:
    """An order as ``explain`` shows it: each key's field name or computed value's text, ``-`` descending."""
    return [
        ("-" if descending else "") + (render_value(key.plan) if isinstance(key, _value.Value) else str(key))
        for key, descending in order
    ]


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


def decide(
    plan: Plan, planner: Planner, order: Order | None = None, limit: int | None = None, offset: int = 0
) -> Strategy:
    """The strategy for ``plan`` (``("true",)``: every record), ordered by ``order``, past ``offset`` rows
    and cut at ``limit``.

    Example:
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"age": a} for a in (30, 20, 40)])
        [1, 2, 3]
        >>> t.create_index("age", "sorted")
        >>> strategy = decide(("true",), Planner(t.primary_key, t.records, t.indexes), [("age", True)], 2)
        >>> [r["age"] for r in strategy.run(t.records, None, False, 2)]
        [40, 30]
        >>> page = decide(("true",), Planner(t.primary_key, t.records, t.indexes), [("age", False)], 1, 1)
        >>> [r["age"] for r in page.run(t.records, None, False, 1)]
        [30]
    """
    order = order or []
    access = None if plan[0] == "true" else planner.choose(plan)
    walk = _walk_for(planner, access, order, limit, offset)
    return Strategy(plan, access, order, limit, walk, offset)


def _walk_for(
    planner: Planner, access: Access | None, order: Order, limit: int | None, offset: int
) -> Walk | None:
    """The walk that serves ``order`` + ``offset`` / ``limit``, when one exists and is expected to be the
    cheaper way."""
    if len(order) != 1 or (limit is None and not offset):
        return None
    field, descending = order[0]
    index = planner.indexes.get(field)
    if not isinstance(index, SortedIndex) or index.composite:
        return None
    rows = planner.rows
    if access is None:
        # Every record is a match: the page is read from its position, the entries before it skipped.
        walk = Walk(index, None, descending, rows)
        walk.offset = walk.start = offset
        walk.first_chunk = max(0, min(rows - offset, rows if limit is None else limit))
        return walk
    if limit is None:
        return None
    limit += offset  # the walk reads every match up to the end of the page
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
    walk.offset = offset
    return walk


def _keep(predicate: Any, rows: list[Record], copy: bool, limit: int | None) -> list[Record]:
    """The rows ``predicate`` keeps, at most ``limit``, copied or not; every row when there is no predicate
    (the candidates are the matches)."""
    if predicate is not None:
        kept: list[Record] = predicate.filter(rows, copy=copy, limit=limit)
        return kept
    if limit is not None and len(rows) > limit:
        rows = rows[: max(limit, 0)]
    return _records.copy_records(rows) if copy else rows


def _range_on(access: Access, index: SortedIndex) -> Lookup | None:
    """The range lookup on ``index`` that ``access`` is, or that an intersection ``access`` starts from or
    narrows with."""
    parts = access.parts if isinstance(access, Intersect) else [access]
    for part in parts:
        if isinstance(part, Lookup) and part.index is index and part.how == "range":
            return part
    return None


# -- what a table hands down: its records, primary key field and index catalog (None without indexes) -------


def planner(records: Mapping[Any, Record], pk_field: Any, indexing: IndexCatalog | None) -> Planner:
    """The planner of a table's records and indexes."""
    if indexing is None:
        return Planner(pk_field, records, {})
    return Planner(pk_field, records, indexing.indexes, indexing.store)


def needs_sequence(plan: Plan, pk_field: Any) -> bool:
    """Whether a table without indexes needs its records' sequence numbers to run ``plan``: a primary-key
    lookup of several keys puts its candidates back in insertion order. The table builds them before handing
    the plan down (``IndexCatalog``), so a read never reaches back up for them."""
    return plan[0] != "eq" and looks_up(plan, pk_field)


@overload
def match(
    records: Mapping[Any, Record],
    pk_field: Any,
    indexing: IndexCatalog | None,
    plan: Plan,
    *,
    copy: bool = ...,
    limit: int | None = ...,
    order: None = ...,
    offset: int = ...,
) -> list[Record]: ...


@overload
def match(
    records: Mapping[Any, Record],
    pk_field: Any,
    indexing: IndexCatalog | None,
    plan: Plan,
    *,
    copy: bool = ...,
    limit: int | None = ...,
    order: Order,
    offset: int = ...,
) -> list[Record] | None: ...


def match(
    records: Mapping[Any, Record],
    pk_field: Any,
    indexing: IndexCatalog | None,
    plan: Plan,
    *,
    copy: bool = False,
    limit: int | None = None,
    order: Order | None = None,
    offset: int = 0,
) -> list[Record] | None:
    """The stored records ``plan`` matches, in insertion order; not copies.

    With ``copy=True``, copies; with ``limit``, at most that many (the scan stops). With ``order`` (a parsed
    ``order_by``) and a ``limit`` or an ``offset``: the ``limit`` rows after the first ``offset`` in that
    order when walking a sorted index serves it, else ``None`` (the caller then matches and sorts). Every
    read and write that takes ``where`` goes through here; a table without indexes hands ``indexing`` down
    built when ``needs_sequence(plan)``.

    Example:
        >>> records = {1: {"id": 1, "x": 5}, 2: {"id": 2, "x": 1}}
        >>> match(records, "id", None, ("gt", "x", 2))
        [{'id': 1, 'x': 5}]
    """
    if order is None and plan[0] == "true":
        return _predicate.compile_plan(ALL).filter(records.values(), copy=copy, limit=limit)
    if order is not None and ((limit is None and not offset) or indexing is None):
        return None
    if plan[0] == "eq" and order is None and plan[1] == pk_field and (limit is None or limit > 0):
        # ``pk == v``, the one-record read-modify-write of a transaction: straight to the record dict.
        try:
            found = records.get(plan[2])
        except TypeError:  # an unhashable value: the planner's path says it matches nothing
            found = None
        if found is None:
            return []
        return [_records.copy_record(found) if copy else found]
    if indexing is None:
        # No catalog: no index, and (the table built one otherwise, see needs_sequence) no lookup of several
        # primary keys; a scan, whose answer any plan shares, and the plan's tree is not walked twice.
        return _predicate.compile_plan(plan).filter(records.values(), copy=copy, limit=limit)
    strategy = decide(plan, planner(records, pk_field, indexing), order, limit, offset if order else 0)
    if order is not None and strategy.walk is None:
        return None
    return strategy.run(records, indexing.seq, copy, limit)


def count(records: Mapping[Any, Record], pk_field: Any, indexing: IndexCatalog | None, plan: Plan) -> int:
    """How many records ``plan`` matches: from the column store's vectors when it can count them, else by
    matching."""
    store = None if indexing is None else indexing.store
    if store is not None and store.supports(plan):
        counted = store.count(plan)
        if counted is not None:
            return counted
    return len(match(records, pk_field, indexing, plan))


def vectors(indexing: IndexCatalog | None, plan: Plan | None) -> _aggregates.Vectors | None:
    """What computes an aggregate over the records ``plan`` matches (``None``: all) from the column store,
    when the store can: the plan and every field read are its columns, one group field at most, and no
    computed value (those are read from the records)."""
    store = _store_for(indexing, plan)
    if store is None:
        return None

    def compute(groups: tuple[_aggregates.Group, ...], specs: list[_aggregates.Spec]) -> list[Record] | None:
        read = _column_read(store.fields, groups, specs)
        if read is None:
            return None
        fields, field_specs = read
        out = store.aggregate(plan, fields, field_specs)
        if out is not None:
            _rename_groups(out, fields, groups)
        return out

    return compute


def _store_for(indexing: IndexCatalog | None, plan: Plan | None) -> _column.ColumnStore | None:
    """The column store, when it can evaluate ``plan`` (``None``: every record), else ``None``."""
    store = None if indexing is None else indexing.store
    if store is None or (plan is not None and not store.supports(plan)):
        return None
    return store


def _column_read(
    columns: Collection[Any], groups: tuple[_aggregates.Group, ...], specs: list[_aggregates.Spec]
) -> tuple[tuple[Any, ...], list[tuple[Any, str, Any]]] | None:
    """The group fields and ``(name, kind, field)`` specs the column store computes, when the vectors hold
    what an aggregate reads: one group at most, every group and aggregate input a plain field that is a
    column, and no ``count_distinct`` (a set per group, which the records path keeps); else ``None``."""
    plans = [plan for _, plan in groups] + [plan for _, _, plan in specs if plan is not None]
    if len(groups) > 1 or any(plan[0] != "field" or plan[1] not in columns for plan in plans):
        return None
    if any(kind == "count_distinct" for _, kind, _ in specs):
        return None
    fields = tuple(plan[1] for _, plan in groups)
    return fields, [(name, kind, None if plan is None else plan[1]) for name, kind, plan in specs]


def _rename_groups(
    rows: list[Record], fields: tuple[Any, ...], groups: tuple[_aggregates.Group, ...]
) -> None:
    """Key the group values of the column store's rows by the groups' names (``{"d": "dept"}`` gives
    ``d``), the group first as in the kernel's rows."""
    for field, (name, _) in zip(fields, groups, strict=True):
        if field != name:
            for position, row in enumerate(rows):
                rows[position] = {name: row.pop(field), **row}


def describe(
    indexing: IndexCatalog | None,
    plan: Plan,
    op: str,
    groups: tuple[_aggregates.Group, ...] = (),
    specs: list[_aggregates.Spec] | None = None,
) -> dict[str, Any]:
    """How ``count`` (``op="count"``) or ``aggregate`` (with its ``groups`` and ``specs``) computes its
    answer, for ``Table.explain``: from the column vectors, or from the records the access path finds."""
    store = _store_for(indexing, None if plan[0] == "true" else plan)
    if op == "count":
        method = "table size" if plan[0] == "true" else "column vectors" if store is not None else "records"
    else:
        held = store is not None and _column_read(store.fields, groups, specs or []) is not None
        method = "column vectors" if held else "records"
    compute: dict[str, Any] = {"op": op, "method": method}
    if op == "aggregate":
        compute["group_by"] = [_group_text(name, plan) for name, plan in groups]
        compute["aggregates"] = [name for name, _, _ in specs or []]
    return compute


def _group_text(name: Any, plan: Plan) -> Any:
    """A group as explain shows it: its name, then what it reads when that is not the field of that name."""
    if plan == ("field", name):
        return name
    return f"{name} = {render_value(plan)}"


def aggregate(
    records: Mapping[Any, Record],
    pk_field: Any,
    indexing: IndexCatalog | None,
    plan: Plan,
    group_by: Any,
    aggregations: dict[str, Any],
    order_by: Any,
    limit: int | None,
    having: Any = None,
) -> Any:
    """``Table.aggregate`` over the records ``plan`` matches: from the column store's vectors when it can
    compute it, else over the matched records (``dictdb.query.aggregates``)."""
    return _aggregates.aggregate(
        lambda: match(records, pk_field, indexing, plan),
        group_by,
        aggregations,
        order_by=order_by,
        limit=limit,
        having=having,
        vectors=vectors(indexing, None if plan[0] == "true" else plan),
    )
