"""The join side of ``Table``: ``join`` and ``explain_join``.

A mixin, as ``table_indexes.py``; the argument checks, the split of ``where`` and the right side's access
live in ``dictdb.query.join``, the per-row work in ``dictdb._core.join``.

Locks: the left table is read under its own read lock, then the right table under its own, never both at
once, so a join keeps the lock order's promise that a table operation never waits for a second lock while
it holds one. The left records are kept as the stored dicts (a table never changes a stored record in place,
so they stay the left table as it was); the right side is probed under its lock. A write that commits
between the two reads is seen on the right and not on the left; for one point in time across both tables,
join inside ``db.transaction()``, which holds every table's lock.
"""

from __future__ import annotations

from typing import Any

from dictdb._core import join as _join
from dictdb._core import predicate as _predicate
from dictdb._core import records as _records
from dictdb.query import execute as _execute
from dictdb.query import plan_of, render
from dictdb.query.checked import check_known
from dictdb.query.execute import decide, order_text, planner
from dictdb.query.explain import QueryPlan
from dictdb.query.expr import Where
from dictdb.query.join import Probe, Split, choose_probe, parse_how, parse_on, split_where
from dictdb.query.join_explain import JoinPlan
from dictdb.query.names import plan_fields
from dictdb.query.select import Columns, parse_columns, parse_order, parse_window

__all__ = ["TableJoin"]

Record = dict[Any, Any]


class TableJoin:
    """``join`` and ``explain_join`` for ``Table`` (which sets the attributes below)."""

    table_name: str
    primary_key: str
    records: dict[Any, Record]
    _indexing: Any
    _lock: Any

    def join(
        self,
        right: Any,
        on: Any,
        *,
        how: str = "inner",
        where: Where = None,
        columns: Any = None,
        order_by: Any = None,
        limit: int | None = None,
    ) -> list[Record]:
        """The rows of this table joined with ``right`` where ``left[on] == right[on]``: new dicts.

        - ``on``: a field name both tables have, or a ``(left_field, right_field)`` pair. Keys compare with
          Python's equality, as a dict's (``1 == 1.0 == True``); a key that is ``None``, missing, NaN or
          unhashable (a list) matches nothing, as SQL's NULL.
        - ``how``: ``"inner"``, or ``"left"``: a left record without a match gives a row of its fields only.
        - A row holds the left record's fields, then the right's; a right field whose name the left record
          also has is named ``"<right table>.<field>"``. Rows come in this table's insertion order, each
          record's matches in ``right``'s.
        - ``where``, ``columns`` and ``order_by`` (the forms of ``select``) and ``limit`` work on the rows,
          by their names; a part of ``where`` (an AND at its top) that reads one table's fields only is
          applied to that table first, through its indexes (``explain_join`` shows the plan).

        Example:
            >>> from dictdb import Field, Table
            >>> customers = Table("customers")
            >>> customers.insert([{"name": "ada", "country": "FR"}, {"name": "bob", "country": "DE"}])
            [1, 2]
            >>> orders = Table("orders")
            >>> orders.insert([{"cid": 1, "amount": 30}, {"cid": 2, "amount": 5}, {"cid": 9, "amount": 7}])
            [1, 2, 3]
            >>> orders.join(customers, ("cid", "id"), where=orders.amount > 10)
            [{'cid': 1, 'amount': 30, 'id': 1, 'name': 'ada', 'country': 'FR', 'customers.id': 1}]
            >>> orders.join(customers, ("cid", "id"), how="left", columns=["id", "name"],
            ...             order_by="-amount")
            [{'id': 1, 'name': 'ada'}, {'id': 3, 'name': None}, {'id': 2, 'name': 'bob'}]
        """
        query = _Query(self, right, on, how, where, order_by, limit)
        parsed_columns = parse_columns(columns)
        query.check_names(self, right, parsed_columns)
        lefts = _read_left(self, query.split.left)
        early = None if query.split.rows is not None or query.order else query.limit
        lock = right._lock
        lock.acquire_read()
        try:
            kept = None if query.split.right is None else _matches(right, query.split.right)
            probe = choose_probe(right.records, right.primary_key, _indexes(right), query.right_field, kept)
            rows = _join.join_rows(
                lefts, query.left_field, probe.lookup, probe.many, query.prefix, query.how == "left", early
            )
        finally:
            lock.release_read()
        if query.split.rows is not None:
            unsorted = query.limit if not query.order else None
            rows = _predicate.compile_plan(query.split.rows).filter(rows, limit=unsorted)
        if query.order:
            rows = _records.sort_records(rows, query.order, limit=query.limit)
        elif query.limit is not None:
            rows = rows[: query.limit]
        return rows if parsed_columns is None else _records.project(rows, parsed_columns)

    def explain_join(
        self,
        right: Any,
        on: Any,
        *,
        how: str = "inner",
        where: Where = None,
        order_by: Any = None,
        limit: int | None = None,
    ) -> JoinPlan:
        """How ``join(right, on, how=how, where=where, order_by=order_by, limit=limit)`` would run, without
        running it: a ``JoinPlan`` (a dict that prints readably) saying how the right side is probed, which
        parts of ``where`` each table applies first (with that table's own ``explain``), and what runs on
        the joined rows.

        Example:
            >>> from dictdb import Table
            >>> orders, customers = Table("orders"), Table("customers")
            >>> customers.insert([{"country": f"c{i % 50}"} for i in range(1000)])[-1]
            1000
            >>> customers.create_index("country")
            >>> orders.insert([{"cid": 1 + i % 1000, "amount": i} for i in range(5000)])[-1]
            5000
            >>> plan = orders.explain_join(customers, ("cid", "id"), where=customers.country == "c7")
            >>> plan["probe"]["method"], plan["pushed"]["right"]["access"]["index"]
            ('hash table', 'country')
            >>> print(plan)
            join 'orders' (5,000 rows) with 'customers' (1,000 rows), inner, on 'cid' = 'id'
            probe: hash table of 'customers' by 'id', built once from the records its pushed part keeps (~20)
            pushed to 'customers': country == 'c7'
              access: hash index 'country', equal: country == 'c7' (~20)
        """
        query = _Query(self, right, on, how, where, order_by, limit)
        query.check_names(self, right, None)
        left_plan = _explain_side(self, query.split.left)
        lock = right._lock
        lock.acquire_read()
        try:
            right_plan = _explain_side(right, query.split.right)
            kept = None if right_plan is None else right_plan["candidates"]
            probe: Probe = choose_probe(
                right.records, right.primary_key, _indexes(right), query.right_field, kept
            )
            right_rows = len(right.records)
        finally:
            lock.release_read()
        return JoinPlan(
            left=self.table_name,
            right=right.table_name,
            rows={"left": len(self.records), "right": right_rows},
            on=[query.left_field, query.right_field],
            how=query.how,
            probe=probe.describe(right.table_name, query.right_field, right_plan is not None),
            pushed={"left": left_plan, "right": right_plan},
            joined_where=None if query.split.rows is None else render(query.split.rows),
            order=None if not query.order else {"by": order_text(query.order)},
            limit=query.limit,
        )


class _Query:
    """A join's checked arguments and the split of its ``where``."""

    def __init__(
        self, left: Any, right: Any, on: Any, how: Any, where: Any, order_by: Any, limit: Any
    ) -> None:
        if not isinstance(right, TableJoin):
            raise TypeError(f"join takes a Table to join with, not {type(right).__name__}")
        self.left_field, self.right_field = parse_on(on)
        self.how = parse_how(how)
        sides: list[tuple[Any, Any]] = [(left, self.left_field), (right, self.right_field)]
        for table, field in sides:
            schema = table.schema
            if schema is not None and field not in schema:
                raise ValueError(
                    f"table {table.table_name!r} has no field {field!r} to join on; "
                    f"its fields: {list(schema)!r}"
                )
        self.order = parse_order(order_by)
        self.limit, _ = parse_window(limit, 0)
        self.prefix = f"{right.table_name}."
        plan = None if where is None else plan_of(where)
        if plan is not None and plan[0] == "true":
            plan = None
        self.plan = plan
        self.split: Split = split_where(
            plan,
            plan_fields,
            set(left.columns()),
            set(sides[1][0].columns()),
            left.primary_key,
            right.table_name,
            self.how,
        )

    def check_names(self, left: Any, right: Any, columns: Columns | None) -> None:
        """With a schema on both tables, a name of ``where``, ``order_by`` or ``columns`` that no row can
        hold (a field of neither table, nor ``"<right>.<field>"`` for a field both have) is a typo:
        ``UnknownFieldError`` naming the closest names. Without both schemas a missing name reads as
        ``None``."""
        if left.schema is None or right.schema is None:
            return
        known = dict.fromkeys([*left.schema, *right.schema])
        clashing = [self.prefix + str(field) for field in right.schema if field in left.schema]
        known.update(dict.fromkeys(clashing))
        label = f"{left.table_name} join {right.table_name}"
        if self.plan is not None:
            check_known(known, label, plan_fields(self.plan), "join where")
        check_known(known, label, [field for field, _ in self.order], "join order_by")
        if columns is not None:
            check_known(known, label, [field for _, field in columns], "join columns")


def _indexes(table: Any) -> Any:
    return {} if table._indexing is None else table._indexing.indexes


def _matches(table: Any, plan: tuple[Any, ...]) -> list[Record]:
    """The stored records of ``table`` that ``plan`` keeps, through its planner; the caller holds its lock."""
    return _execute.match(table.records, table.primary_key, table._indexing_for(plan), plan)


def _read_left(table: Any, plan: tuple[Any, ...] | None) -> list[Record]:
    """The left table's records the join reads (those ``plan`` keeps), under its read lock."""
    lock = table._lock
    lock.acquire_read()
    try:
        if plan is None:
            return list(table.records.values())
        return _matches(table, plan)
    finally:
        lock.release_read()


def _explain_side(table: Any, plan: tuple[Any, ...] | None) -> QueryPlan | None:
    if plan is None:
        return None
    lock = table._lock
    lock.acquire_read()
    try:
        indexing = table._indexing
        route = decide(plan, planner(table.records, table.primary_key, indexing))
        return route.explain(table.table_name, len(table.records))
    finally:
        lock.release_read()
