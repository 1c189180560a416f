"""The ``select`` pipeline: where -> order (or top-k) -> projection -> distinct -> offset/limit -> copies.

``Table.select`` checks its arguments here and hands its records, index catalog and parsed ``where`` to
``run_select``, which gets the matching records from ``dictdb.query.execute``; the record work (copies,
projection, sort keys, top-k, distinct) runs in ``dictdb._core.records``.

- ``order_by`` reads the stored records' fields (so a select can sort by a field it does not return),
  sorts by the one total order (docs/queries.md), stably; with a ``limit`` small next to the matches, only the
  first ``offset + limit`` are kept, with a heap instead of a full sort. A sorted index on the one
  ``order_by`` field may serve the page instead (``dictdb.query.execute``): from its position when there is
  no ``where``.
- ``distinct`` keeps the first of equal rows, compared after projection, before offset and limit.
- Without ``order_by`` or ``distinct``, the scan stops after ``offset + limit`` matches, and with
  ``copy=True`` copies each match as it finds it.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from dictdb._core import records as _records
from dictdb._core import value as _value
from dictdb.index import IndexCatalog
from dictdb.query.execute import match
from dictdb.query.expr import render_value
from dictdb.query.field import Field
from dictdb.query.value import ValueExpr

Record = dict[Any, Any]
Columns = list[tuple[Any, Any]]
Order = list[tuple[Any, bool]]


def parse_columns(columns: Any) -> Columns | None:
    """``(alias, field)`` pairs from a list of names, a ``{alias: field}`` dict or ``(alias, field)`` pairs.

    A ``Field`` stands for its name; a value expression (``table.price * table.qty``) becomes its compiled
    ``dictdb._core.value.Value``, which the record kernels compute in a field's place; without an alias, its
    text names the column. ``None`` means whole records.

    Example:
        >>> parse_columns(["name", ("years", "age")])
        [('name', 'name'), ('years', 'age')]
        >>> [alias for alias, _ in parse_columns([Field("price") * 2])]
        ['(price * 2)']
    """
    if columns is None:
        return None
    if isinstance(columns, Mapping):
        return [(alias, _field_name(field)) for alias, field in columns.items()]
    if isinstance(columns, (str, bytes)) or not isinstance(columns, (list, tuple)):
        hint = f" (did you mean [{columns!r}]?)" if isinstance(columns, str) else ""
        raise TypeError(
            "columns must be a list of field names, a dict {alias: field} or a list of (alias, field) pairs, "
            f"not {type(columns).__name__}{hint}"
        )
    pairs: Columns = []
    for column in columns:
        if isinstance(column, tuple):
            if len(column) != 2:
                raise ValueError(f"a column pair must be (alias, field), not {column!r}")
            pairs.append((column[0], _field_name(column[1])))
        elif isinstance(column, ValueExpr) and not isinstance(column, Field):
            pairs.append((render_value(column.value_plan), _field_name(column)))
        else:
            name = _field_name(column)
            pairs.append((name, name))
    return pairs


def _field_name(field: Any) -> Any:
    if isinstance(field, Field):
        return field.name
    if isinstance(field, ValueExpr):
        return _value.compile_value(field.value_plan)
    try:
        hash(field)
    except TypeError:
        raise TypeError(f"a field name must be hashable, not {type(field).__name__}") from None
    return field


def parse_order(order_by: Any) -> Order:
    """``(field, descending)`` pairs from the keys of ``order_by``: a name (``"-name"`` descending), a
    ``Field`` or a value expression (``-expr`` descending), an ``(item, "asc" | "desc")`` pair, or a list of
    those. A value expression becomes its compiled ``dictdb._core.value.Value``.

    Example:
        >>> parse_order(["dept", "-salary", (Field("age"), "desc"), -Field("pay")])
        [('dept', False), ('salary', True), ('age', True), ('pay', True)]
    """
    if order_by is None:
        return []
    if isinstance(order_by, list) or (isinstance(order_by, tuple) and not _is_direction_pair(order_by)):
        items = list(order_by)
    else:
        items = [order_by]
    return [_order_key(item) for item in items]


def _is_direction_pair(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and item[1] in ("asc", "desc")


def _order_key(item: Any) -> tuple[Any, bool]:
    if _is_direction_pair(item):
        key, descending = _order_key(item[0])
        return key, descending != (item[1] == "desc")
    if isinstance(item, Field):
        return item.name, False
    if isinstance(item, ValueExpr):
        plan = item.value_plan
        if plan[0] == "neg":
            # -expr reads as "descending by expr", as "-name" does (not as the order of negated values,
            # which would put values -expr refuses, such as strs, among the NULLs).
            inner = plan[1]
            return (inner[1] if inner[0] == "field" else _value.compile_value(inner)), True
        return _value.compile_value(plan), False
    if isinstance(item, str):
        descending = item.startswith("-")
        name = item[1:] if descending else item
        if not name:
            raise ValueError(f"order_by names a field, not {item!r}")
        return name, descending
    raise TypeError(
        "order_by must be a field name ('-name' for descending), a Field or value expression (-expr for "
        f"descending), an (item, 'asc' | 'desc') pair, or a list of them, not {type(item).__name__}"
    )


def parse_window(limit: Any, offset: Any) -> tuple[int | None, int]:
    """``(limit, offset)``: ``None`` or a negative limit is no limit, a negative offset is 0.

    Example:
        >>> parse_window(-1, -5), parse_window(10, 20)
        ((None, 0), (10, 20))
    """
    if limit is not None:
        limit = _integer("limit", limit)
        if limit < 0:
            limit = None
    return limit, max(_integer("offset", offset), 0)


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None


def run_select(
    records: Mapping[Any, Record],
    pk_field: Any,
    indexing: IndexCatalog | None,
    plan: tuple[Any, ...],
    columns: Columns | None,
    order: Order,
    limit: int | None,
    offset: int,
    copy: bool,
    distinct: bool,
) -> list[Record]:
    """Run a parsed select over a table's ``records`` (keyed by ``pk_field``, indexed by ``indexing``):
    ``plan`` is its parsed ``where`` (``dictdb.query.execute.match`` finds the matches).

    Example:
        >>> records = {1: {"id": 1, "age": 30}, 2: {"id": 2, "age": 20}}
        >>> run_select(records, "id", None, ("true",), [("id", "id")], [("age", False)], 1, 0, True, False)
        [{'id': 2}]
    """
    end = None if limit is None else offset + limit
    if not order and not distinct:
        # Copy while scanning (the record is in cache), unless an offset would throw copies away.
        scan_copies = copy and columns is None and not offset
        rows = match(records, pk_field, indexing, plan, copy=scan_copies, limit=end)
        rows = rows[offset:] if offset else rows
        if columns is not None:
            return _records.project(rows, columns)
        return _records.copy_records(rows) if copy and not scan_copies else rows
    if order and not distinct and (limit or (limit is None and offset)):
        # A sorted index walked for the order gives the page itself, already sorted.
        copies = copy and columns is None
        walked = match(
            records, pk_field, indexing, plan, copy=copies, limit=limit, order=order, offset=offset
        )
        if walked is not None:
            return walked if columns is None else _records.project(walked, columns)
    rows = match(records, pk_field, indexing, plan, limit=0 if limit == 0 else None)
    if order:
        # distinct may drop rows, so it needs every row in order, not only the first ``end``.
        rows = _records.sort_records(rows, order, limit=None if distinct else end)
    if columns is not None:
        # With distinct, equal rows are dropped before their dicts are built.
        rows = _records.project(rows, columns, distinct=distinct)
    elif distinct:
        rows = _records.distinct(rows)
    rows = rows[offset:end]
    return _records.copy_records(rows) if copy and columns is None else rows
