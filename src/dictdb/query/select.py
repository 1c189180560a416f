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
from dictdb.index import IndexCatalog
from dictdb.query.execute import match
from dictdb.query.field import Field

Record = dict[Any, Any]
Columns = list[tuple[Any, Any]]
Order = list[tuple[Any, bool]]


def parse_columns(columns: Any) -> Columns | None:
    """``(alias, field)`` pairs from a list of names, a ``{alias: field}`` dict or ``(alias, field)`` pairs.

    A ``Field`` stands for its name. ``None`` means whole records.

    Example:
        >>> parse_columns(["name", ("years", "age")])
        [('name', 'name'), ('years', 'age')]
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
        else:
            name = _field_name(column)
            pairs.append((name, name))
    return pairs


def _field_name(field: Any) -> Any:
    if isinstance(field, Field):
        return field.name
    try:
        hash(field)
    except TypeError:
        raise TypeError(f"a field name must be hashable, not {type(field).__name__}") from None
    return field


def parse_order(order_by: Any) -> Order:
    """``(field, descending)`` pairs from a name, a ``Field``, or a list of them (``"-name"``: descending).

    Example:
        >>> parse_order(["dept", "-salary"])
        [('dept', False), ('salary', True)]
    """
    if order_by is None:
        return []
    items = order_by if isinstance(order_by, (list, tuple)) else [order_by]
    order: Order = []
    for item in items:
        if isinstance(item, Field):
            order.append((item.name, False))
        elif isinstance(item, str):
            descending = item.startswith("-")
            name = item[1:] if descending else item
            if not name:
                raise ValueError(f"order_by names a field, not {item!r}")
            order.append((name, descending))
        else:
            raise TypeError(
                "order_by must be a field name ('-name' for descending), a Field, or a list of them, "
                f"not {type(item).__name__}"
            )
    return order


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
