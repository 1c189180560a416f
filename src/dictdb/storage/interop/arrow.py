"""Arrow: ``Table.to_arrow`` and ``DictDB.from_arrow``, through pyarrow, the optional ``arrow`` extra.

A DictDB table becomes one Arrow column per field: the schema's fields in order, or every field in
first-seen order, a missing field being null. Arrow infers each column's type from its values; a schema
type fixes it for the plain types (so a column of nulls keeps its type). docs/interop.md lists what
changes on the way (sets and tuples become lists, a Decimal column takes one scale...).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from dictdb.log import Gate
from dictdb.storage.interop.new_table import fill_new_table
from dictdb.storage.tables import DB, TableLike

_logs = Gate(__name__)

__all__ = ["from_arrow", "require_pyarrow", "rows_to_arrow", "to_arrow"]

Record = dict[Any, Any]

#: Arrow types for schema types, by name of the pyarrow factory; other types are inferred from the values.
_ARROW_TYPES: dict[Any, str] = {
    int: "int64",
    float: "float64",
    str: "string",
    bool: "bool_",
    bytes: "binary",
    dt.date: "date32",
}

_UNIONS: tuple[Any, ...] = (typing.Union, types.UnionType)


def require_pyarrow(what: str) -> ModuleType:
    """pyarrow, or an ``ImportError`` that says which extra to install.

    Example:
        >>> require_pyarrow("Table.to_arrow").__name__
        'pyarrow'
    """
    try:
        import pyarrow
    except ImportError as exc:
        raise ImportError(
            f"{what} needs pyarrow, which is not installed: pip install cydictdb[arrow] (the 'arrow' extra)"
        ) from exc
    module: ModuleType = pyarrow
    return module


def to_arrow(table: TableLike, rows: list[Record]) -> Any:
    """``rows``, records of ``table`` (``Table.to_arrow`` passes all of them), as a ``pyarrow.Table``.

    Example:
        >>> from dictdb import Table
        >>> t = Table("t", schema={"name": str})
        >>> t.insert({"name": "ada"})
        1
        >>> print(to_arrow(t, t.select()).schema)
        name: string
        id: int64
    """
    pa = require_pyarrow("Table.to_arrow")
    result = rows_to_arrow(pa, table, rows)
    _logs.event("to_arrow", table.table_name, len(rows))
    return result


def rows_to_arrow(pa: ModuleType, table: TableLike, rows: list[Record]) -> Any:
    """``rows`` (records of ``table``) as a ``pyarrow.Table``; ``TypeError`` naming a column Arrow refuses."""
    schema = table.schema
    # The schema's fields in order, else every field in first-seen order.
    names: list[Any] = list(schema if schema is not None else {name: None for row in rows for name in row})
    columns = {}
    for name in names:
        if not isinstance(name, str):
            raise TypeError(
                f"table {table.table_name!r} has the field {name!r}, of type {type(name).__name__}: Arrow "
                "column names are str; rename the field first"
            )
        values = [row.get(name) for row in rows]
        kind = _arrow_type(pa, schema[name]) if schema is not None else None
        try:
            columns[name] = pa.array(values, type=kind)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            raise TypeError(
                f"cannot convert field {name!r} of table {table.table_name!r} to an Arrow column: {exc}; "
                "give the field one type (a schema helps) or export it with export_jsonl"
            ) from None
    return pa.table(columns)


def _arrow_type(pa: ModuleType, spec: Any) -> Any:
    """The Arrow type of a schema type (``Optional[T]`` is ``T``, nullable), or None to infer it."""
    members = typing.get_args(spec) if typing.get_origin(spec) in _UNIONS else (spec,)
    kinds = [member for member in members if member is not type(None)]
    factory = _ARROW_TYPES.get(kinds[0]) if len(kinds) == 1 else None
    return None if factory is None else getattr(pa, factory)()


def _arrow_rows(name: str) -> Callable[[int], str]:
    def locate(position: int) -> str:
        return f"cannot import Arrow table {name!r}, row {position + 1}"

    return locate


def from_arrow(factory: Callable[[], DB], tables: Mapping[str, Any], primary_key: str) -> DB:
    """A new database (made by ``factory``) with one table per ``pyarrow.Table`` of ``tables``.

    Example:
        >>> import pyarrow as pa
        >>> from dictdb import DictDB
        >>> from_arrow(DictDB, {"t": pa.table({"x": [1, 2]})}, "id").get_table("t").get(2)
        {'x': 2, 'id': 2}
    """
    pa = require_pyarrow("DictDB.from_arrow")
    if not isinstance(tables, Mapping):
        raise TypeError(
            f"from_arrow takes a dict of table name -> pyarrow.Table, not {type(tables).__name__}"
        )
    for name, data in tables.items():
        if not isinstance(data, (pa.Table, pa.RecordBatch, pa.RecordBatchReader)):
            raise TypeError(
                f"from_arrow: table {name!r} must be a pyarrow.Table (or RecordBatch, RecordBatchReader), "
                f"not {type(data).__name__}"
            )
    db = factory()
    for name, data in tables.items():
        # A reader (what DuckDB's .arrow() returns) is read to its end here, once.
        rows = (data.read_all() if isinstance(data, pa.RecordBatchReader) else data).to_pylist()
        fill_new_table(db, name, primary_key, None, rows, skip_validation=False, locate=_arrow_rows(name))
        _logs.event("from_arrow", name, len(rows))
    return db
