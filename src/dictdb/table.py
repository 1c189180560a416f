"""``Table``: the records of one table, keyed by primary key, and the operations on them."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from dictdb._core import predicate as _predicate
from dictdb._core import records as _records
from dictdb.exceptions import DuplicateKeyError
from dictdb.query import Field, plan_of
from dictdb.query.select import parse_columns, parse_order, parse_window, run_select

Record = dict[Any, Any]

_ALL = ("true",)


class Table:
    """A table of dict records keyed by a primary key.

    ``table.<name>`` is a ``Field`` for building predicates (``table.field(name)`` works for any name).

    Example:
        >>> from dictdb import Table
        >>> users = Table("users")
        >>> users.insert({"name": "ada", "age": 36})
        1
        >>> users.select(where=users.age > 30)
        [{'name': 'ada', 'age': 36, 'id': 1}]
    """

    def __init__(self, name: str, primary_key: str = "id", schema: dict[str, type] | None = None) -> None:
        self.table_name = name
        self.primary_key = primary_key
        self.schema: dict[str, Any] | None = dict(schema) if schema is not None else None
        self.records: dict[Any, Record] = {}
        self.indexes: dict[str, Any] = {}
        self._next_pk = 1

    def __getattr__(self, name: str) -> Field:
        # Only called for names that are not attributes: those are fields. Private and dunder names are
        # not, so copy, pickle and friends see a normal object.
        if name.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return Field(name)

    def field(self, name: Any) -> Field:
        """A ``Field`` for any name, including ones that clash with methods (``t.field("count")``)."""
        return Field(name)

    def insert(self, record: Record) -> Any:
        """Store a copy of ``record`` and return its primary key.

        When the primary key field is absent, the next key of the table's counter (1, 2, 3...) is used,
        skipping keys already taken, and written into the caller's dict too.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert({"x": 1}), t.insert({"id": 10, "x": 2}), t.insert({"x": 3})
            (1, 10, 11)
        """
        stored = _records.copy_record(record)
        pk_field = self.primary_key
        if pk_field in stored:
            pk = stored[pk_field]
            if not isinstance(pk, Hashable) or pk is None:
                raise TypeError(f"primary key {pk_field!r} must be hashable and not None, got {pk!r}")
            if pk in self.records:
                raise DuplicateKeyError(f"table {self.table_name!r} already has primary key {pk!r}")
        else:
            pk = self._next_pk
            while pk in self.records:
                pk += 1
            stored[pk_field] = pk
        self.records[pk] = stored
        if isinstance(pk, int) and not isinstance(pk, bool) and pk >= self._next_pk:
            self._next_pk = pk + 1
        if pk_field not in record:
            record[pk_field] = pk
        return pk

    def get(self, pk: Any, default: Any = None) -> Any:
        """A copy of the record with primary key ``pk``, or ``default``; O(1)."""
        found = self.records.get(pk)
        return default if found is None else _records.copy_record(found)

    def select(
        self,
        columns: Any = None,
        where: Any = None,
        *,
        order_by: Any = None,
        limit: int | None = None,
        offset: int = 0,
        copy: bool = True,
        distinct: bool = False,
    ) -> list[Record]:
        """The records matching ``where`` (all when ``None``), in insertion order unless ``order_by``.

        - ``columns``: a list of field names, a ``{alias: field}`` dict or a list of ``(alias, field)``
          pairs; a missing field projects to ``None``.
        - ``order_by``: a field name, or a list of them; ``"-name"`` sorts descending. Stable, and total:
          ``None`` and NaN first, then numbers, str, bytes, other types by type name (docs/queries.md).
        - ``limit``: at most that many rows (``None`` or negative: no limit, ``0``: none); ``offset``:
          rows skipped first (negative is 0). ``distinct``: drop repeated rows, before offset and limit.
        - ``copy=False`` returns the stored dicts themselves: fast, but the caller must not mutate them.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> for name, age in [("ada", 36), ("bob", 17), ("cy", 52)]:
            ...     _ = t.insert({"name": name, "age": age})
            >>> t.select(["name"], where=t.age >= 18, order_by="-age")
            [{'name': 'cy'}, {'name': 'ada'}]
        """
        query = (parse_columns(columns), parse_order(order_by), *parse_window(limit, offset))
        return run_select(self._match, where, *query, copy=copy, distinct=distinct)

    def _match(self, where: Any, *, copy: bool = False, limit: int | None = None) -> list[Record]:
        """The stored records matching ``where`` (all when ``None``), in insertion order; not copies.

        With ``copy=True``, copies made during the scan; with ``limit``, at most that many (the scan stops).
        Every read and write that takes ``where`` goes through here, so the planner has one place to live.
        """
        plan = _ALL if where is None else plan_of(where)
        return _predicate.compile_plan(plan).filter(self.records.values(), copy=copy, limit=limit)

    def count(self) -> int:
        """How many records the table holds."""
        return len(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"<Table {self.table_name!r}: {len(self.records)} records, primary key {self.primary_key!r}>"
