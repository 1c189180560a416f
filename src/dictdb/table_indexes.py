"""The index side of ``Table``: ``create_index``, ``drop_index``, ``indexes``, ``explain``, and the index
catalog a query reads (``_indexing_for``).

A mixin, so that ``table.py`` keeps the records and their writes; the indexes themselves and their upkeep
live in ``dictdb.index`` (``IndexCatalog``), the planning in ``dictdb.query``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dictdb.commit import SchemaChange, commit_schema
from dictdb.index import Index, IndexCatalog, index_kind, index_name
from dictdb.locking import reads, writes
from dictdb.query import plan_of, render
from dictdb.query.aggregates import shape
from dictdb.query.checked import check_aggregate, check_fields, check_where
from dictdb.query.execute import ALL, decide, describe, needs_sequence, planner
from dictdb.query.explain import QueryPlan
from dictdb.query.expr import Where
from dictdb.query.select import parse_order, parse_window

__all__ = ["TableIndexes"]


class TableIndexes:
    """Indexes and the planner, for ``Table`` (which sets the attributes below)."""

    table_name: str
    primary_key: str
    records: dict[Any, dict[Any, Any]]
    # The indexes and the records' insertion order; None until the table gets an index (or a query needs the
    # order), so a table without indexes pays nothing for them.
    _indexing: IndexCatalog | None
    _schema_spec: dict[str, Any] | None
    _lock: Any
    _transaction: Any
    _journal: Any

    @writes
    def create_index(self, field: Any, index_type: str = "hash", *, unique: bool = False) -> None:
        """Index ``field`` (or a list of fields: a composite index) so queries on it need not scan.

        ``index_type``: ``"hash"`` (equality, ``is_in``, ``is_null``), ``"sorted"`` (those, plus ranges,
        prefixes and ``order_by`` with a ``limit``) or ``"column"`` (the field kept as a typed column: scans
        with ``== != < <= > >= between is_in is_null`` and their AND / OR / NOT run over the vectors, and
        ``aggregate`` reads them; one field, never unique), in any case; anything else is a ``ValueError``. A
        composite index is keyed by the tuple of its fields' values: a hash one serves equality on all of
        them, a sorted one equality on its leading fields and then a range on the next. ``unique=True``
        refuses two records with equal keys (``DuplicateKeyError``); ``None``, NaN and missing values are
        exempt, as SQL's NULL.

        Building over the table's records is all-or-nothing: a record that breaks the index's rules (a
        duplicate for a unique index, an unhashable value for a hash index) raises and no index is created.
        Calling it again with the same definition (kind and ``unique``) does nothing; with another definition
        it raises ``ValueError`` naming both: ``drop_index`` first to change it. With a schema, a field the
        schema does not have raises ``UnknownFieldError`` (a ``ValueError``).

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"dept": "ops", "city": "Oslo", "age": 30}, {"dept": "ops", "city": "Rome"}])
            [1, 2]
            >>> t.create_index("age", "sorted")
            >>> t.create_index(["dept", "city"], unique=True)
            >>> t.indexed_fields()
            ['age', ('dept', 'city')]
            >>> t.insert({"dept": "ops", "city": "Oslo"})
            Traceback (most recent call last):
            ...
            dictdb.exceptions.DuplicateKeyError: table 't': the unique hash index on 'dept', 'city' ...
        """
        fields = index_name(field)
        kind = index_kind(index_type)
        check_fields(self, fields, "create_index")
        name = fields[0] if len(fields) == 1 else fields
        indexing = self._indexing
        if indexing is not None and name in indexing.indexes:
            existing = indexing.indexes[name]
            if (existing.kind, existing.unique) == (kind, bool(unique)):
                return
            wanted = f"unique {kind}" if unique else kind
            raise ValueError(
                f"table {self.table_name!r} already has a {existing.definition} index on {name!r}, not a "
                f"{wanted} one; drop_index({name!r}) first to change it"
            )
        before = indexing
        if indexing is None:
            indexing = IndexCatalog(self.table_name, self.records)
        indexing.create(fields, kind, bool(unique), self.records)
        self._indexing = indexing

        def undo() -> None:
            indexing.drop(name)
            if before is None:
                self._indexing = None

        op = ("create_index", self.table_name, list(fields), kind, bool(unique))
        commit_schema(self._transaction, self._journal, SchemaChange(op, None, self), undo)

    @writes
    def drop_index(self, field: Any) -> None:
        """Remove the index on ``field`` (a list of fields for a composite one); ``ValueError`` when there is
        none. Queries then scan, with the same results.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.create_index("age", "sorted")
            >>> t.drop_index("age")
            >>> t.has_index("age")
            False
        """
        fields = index_name(field)
        name = fields[0] if len(fields) == 1 else fields
        indexing = self._indexing
        if indexing is None or name not in indexing.indexes:
            raise ValueError(
                f"table {self.table_name!r} has no index on {name!r}; its indexes: {self.indexed_fields()!r}"
            )
        definitions = self._index_definitions()
        indexing.drop(name)
        if not indexing.indexes:
            self._indexing = None  # back to the write path without index upkeep

        def undo() -> None:
            self._reindex(definitions)

        op = ("drop_index", self.table_name, list(fields))
        commit_schema(self._transaction, self._journal, SchemaChange(op, None, self), undo)

    @property
    def indexes(self) -> Mapping[Any, Index]:
        """The indexes, read-only: field (or tuple of fields) -> ``HashIndex``, ``SortedIndex`` or
        ``ColumnIndex``.

        Each has ``kind``, ``fields``, ``unique``, ``search(value)``, ``len()`` and ``memory_bytes()``; a
        sorted one also ``range``, ``prefix``, ``first``, ``last`` and ``count_range`` (docs/indexes.md).

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"age": 30}, {"age": 20}])
            [1, 2]
            >>> t.create_index("age", "sorted")
            >>> t.indexes["age"].range(25), t.indexes["age"].kind
            ([1], 'sorted')
        """
        return MappingProxyType(self._indexing.indexes if self._indexing is not None else {})

    @reads
    def explain(
        self,
        where: Where = None,
        order_by: Any = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        count: bool = False,
        group_by: Any = None,
        aggregates: dict[str, Any] | None = None,
        having: Where = None,
    ) -> QueryPlan:
        """How ``select(where=where, order_by=order_by, limit=limit, offset=offset)`` would find its rows,
        without running.

        A ``QueryPlan``: a dict (``access``: which index serves which clause or what is scanned, with
        estimated counts; ``candidates``: records re-checked against the whole predicate; ``order``: sort,
        top-k heap or index walk) that prints as a readable plan. docs/indexes.md describes every field.

        ``count=True`` explains ``count(where)``, and ``aggregates`` (``{name: Count() ...}``, with
        ``group_by`` and ``having``) explains ``aggregate(where, group_by, having=having, **aggregates)``:
        ``compute`` then says whether the column vectors answer or the records ``access`` finds are read
        (``order_by`` and ``limit`` then apply to the grouped rows). A computed value, grouped or
        aggregated, is read from the records.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"dept": f"d{i % 10}", "age": 20 + i % 40} for i in range(1000)])[-1]
            1000
            >>> t.create_index("dept")
            >>> print(t.explain((t.dept == "d3") & (t.age > 40)))
            table 't' (1,000 rows)
            where: (dept == 'd3' & age > 40)
            access: hash index 'dept', equal: dept == 'd3' (~100)
            re-check: ~100 candidates against the whole predicate
            >>> t.create_index("age", "column")
            >>> print(t.explain(t.age > 40, count=True))
            table 't' (1,000 rows)
            where: age > 40
            access: column index 'age': age > 40 (~475, exact, no re-check)
            compute: count from the column vectors
        """
        plan = ALL if where is None else plan_of(where)
        check_where(self, plan)
        limit, offset = parse_window(limit, offset)
        if count and (aggregates is not None or group_by is not None):
            raise ValueError("explain a count or an aggregate, not both: pass count=True or aggregates=")
        if aggregates is None and (group_by is not None or having is not None):
            raise ValueError(
                "group_by and having explain an aggregate: pass aggregates={name: Count(), ...} as well"
            )
        indexing = self._indexing
        select = not count and aggregates is None
        order = parse_order(order_by) if select else []
        check_fields(self, [field for field, _ in order], "order_by")
        route = decide(
            plan,
            planner(self.records, self.primary_key, indexing),
            order,
            limit if select else None,
            offset if select else 0,
        )
        explained = route.explain(self.table_name, len(self.records))
        if count:
            explained["compute"] = describe(indexing, plan, "count")
        elif aggregates is not None:
            groups, specs = shape(group_by, aggregates)
            check_aggregate(self, groups, specs)
            explained["compute"] = describe(indexing, plan, "aggregate", groups, specs)
            explained["compute"].update(
                order_by=order_by,
                limit=limit,
                having=None if having is None else render(plan_of(having, "having")),
            )
        return explained

    def _index_definitions(self) -> list[tuple[tuple[Any, ...], str, bool]] | None:
        """``(fields, kind, unique)`` of every index, in creation order; ``None`` before any index exists."""
        indexing = self._indexing
        if indexing is None:
            return None
        return [(index.fields, index.kind, index.unique) for index in indexing.indexes.values()]

    def _reindex(self, definitions: list[tuple[tuple[Any, ...], str, bool]] | None = None) -> None:
        """Rebuild the indexes (``definitions``, by default the current ones) and the records' sequence
        numbers from ``records`` as they are now.

        For code that puts ``records`` back wholesale (a transaction's rollback): the indexes then answer for
        the records again, ties in their insertion order. Raises if the records break an index's rule.
        """
        if definitions is None:
            definitions = self._index_definitions()
            if definitions is None:
                return
        rebuilt = IndexCatalog(self.table_name, self.records)
        for fields, kind, unique in definitions:
            rebuilt.create(fields, kind, unique, self.records)
        self._indexing = rebuilt

    def _indexing_for(self, plan: tuple[Any, ...]) -> IndexCatalog | None:
        """The index catalog a query of ``plan`` reads: ``None`` without indexes, unless the plan looks up
        several primary keys, whose candidates need the records' sequence numbers (the catalog keeps them
        from now on).

        Building it is the one change a read can make; it is a function of the records only, published by
        one assignment, so two readers building it at once both get a correct catalog.
        """
        indexing = self._indexing
        if indexing is None and needs_sequence(plan, self.primary_key):
            indexing = IndexCatalog(self.table_name, self.records)
            self._indexing = indexing
        return indexing

    def indexed_fields(self) -> list[Any]:
        """The fields that have an index (a tuple of fields for a composite one), in creation order."""
        return list(self.indexes)

    def has_index(self, field: Any) -> bool:
        """True when ``field`` (or the list of fields of a composite index) has an index."""
        fields = index_name(field)
        return (fields[0] if len(fields) == 1 else fields) in self.indexes
