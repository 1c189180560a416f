"""``Table``: the records of one table, keyed by primary key, and the operations on them.

Every write is all-or-nothing: it checks everything it will do (keys, schema) before it changes anything,
has its indexes updated (``IndexCatalog``: all or nothing too), then commits with plain dict operations that
cannot fail. So on any error the records, every index, the pk counter and the change tracking are exactly as
they were. Stored records are never mutated in place: an update stores
a new dict, so a record handed out by ``select(copy=False)`` is a stable snapshot.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, overload

from dictdb._core import lock as _corelock
from dictdb._core import records as _records
from dictdb.batch import prepare as prepare_batch
from dictdb.commit import Change
from dictdb.exceptions import DuplicateKeyError, RecordNotFoundError
from dictdb.keys import MISSING, KeyMaker, counter_after
from dictdb.locking import RWLock, reads, writes
from dictdb.log import Gate
from dictdb.query import Field, plan_of
from dictdb.query import aggregates as _aggregates
from dictdb.query import execute as _execute
from dictdb.query.checked import check_aggregate, check_fields, check_where
from dictdb.query.execute import ALL
from dictdb.query.expr import Where
from dictdb.query.select import parse_columns, parse_order, parse_window, run_select
from dictdb.query.table_field import TableField
from dictdb.query.value import ValueExpr, compile_changes
from dictdb.schema import Schema
from dictdb.table_changes import TableChanges
from dictdb.table_indexes import TableIndexes
from dictdb.table_info import TableInfo
from dictdb.table_interop import TableInterop
from dictdb.table_join import TableJoin
from dictdb.tracking import ChangeTracker
from dictdb.transaction import Transaction
from dictdb.undo import EVERY_FIELD as _EVERY_FIELD
from dictdb.undo import TableUndo

if TYPE_CHECKING:
    from dictdb.durable import Durable

_logs = Gate(__name__)

Record = dict[Any, Any]
OnConflict = Literal["update", "ignore", "error"]


# What ``get`` returns for a missing record in ``table[pk]`` and ``pk in table``: no record can be it.
_ABSENT = object()


def _deep_copy(copy: object) -> bool:
    """Whether ``select``'s ``copy`` asks for deep copies; ``ValueError`` for a value it does not take."""
    if copy == "deep":
        return True
    if isinstance(copy, bool):
        return False
    raise ValueError(f"copy takes True, False or 'deep', not {copy!r}")


def _batch_of(record: Any) -> Any:
    """An iterable of records as a list; anything else as it is (``insert`` then names its type)."""
    if isinstance(record, (str, bytes, Mapping)) or not isinstance(record, Iterable):
        return record
    return list(record)


class Table(TableIndexes, TableInfo, TableChanges, TableInterop, TableJoin):
    """A table of dict records keyed by a primary key.

    ``table.<name>`` is a ``Field`` for building predicates (``table.field(name)`` works for any name).
    With a schema, a field name the schema does not have (in a query, an index, an update) raises
    ``UnknownFieldError``, a ``ValueError``, before anything changes.

    Example:
        >>> from dictdb import Table
        >>> users = Table("users", schema={"name": str, "age": int})
        >>> users.insert({"name": "ada", "age": 36})
        1
        >>> users.select(where=users.age > 30)
        [{'name': 'ada', 'age': 36, 'id': 1}]
    """

    def __init__(
        self,
        name: str,
        primary_key: str = "id",
        schema: Mapping[str, Any] | None = None,
        *,
        pk_generator: Callable[[], Any] | None = None,
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"a table name must be a str, not {type(name).__name__}")
        if not isinstance(primary_key, str):
            raise TypeError(f"primary_key must be a field name (str), not {type(primary_key).__name__}")
        if pk_generator is not None and not callable(pk_generator):
            raise TypeError(f"pk_generator must be a function of no arguments, not {pk_generator!r}")
        self.table_name = name
        self.primary_key = primary_key
        self._schema_spec: dict[str, Any] | None = None
        self._schema: Schema | None = None
        if schema is not None:
            if not isinstance(schema, Mapping):
                raise TypeError(f"a schema must be a dict of field -> type, not {type(schema).__name__}")
            spec = dict(schema)  # the table's own copy: the caller's dict is never changed
            if primary_key not in spec:
                if pk_generator is not None:
                    raise TypeError(
                        f"the schema of table {name!r} has no type for its primary key {primary_key!r}; "
                        f"with a pk_generator, declare it (for example {{{primary_key!r}: uuid.UUID}})"
                    )
                spec[primary_key] = int
            self._schema = Schema(spec, context=f"table {name!r}")
            self._schema_spec = spec
        self.records: dict[Any, Record] = {}
        self._indexing = None
        self._next_pk = 1
        self._keys = KeyMaker(name, primary_key, pk_generator, self._schema)
        self._tracker = ChangeTracker()
        self._change_listeners: tuple[Callable[[], object], ...] = ()
        # Reads share it, writes take it alone (dictdb.locking); a transaction holds it from start to end.
        self._lock = RWLock()
        self._transaction: Transaction | None = None
        # The journal of the database opened on a folder that holds this table (dictdb.durable), else None.
        self._journal: Durable | None = None
        # Field names seen in the records, kept only once columns() was asked without a schema.
        self._columns: set[Any] | None = None

    def __getattr__(self, name: str) -> Field:
        # Only called for names that are not attributes: those are fields. Private and dunder names are
        # not, so copy, pickle and friends see a normal object.
        if name.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return TableField(name, self.table_name, type(self))

    def __getstate__(self) -> dict[str, Any]:
        # A copy (copy.deepcopy, pickle) is an in-memory table: it does not write to the folder's journal.
        state = dict(self.__dict__)
        state["_journal"] = None
        return state

    def field(self, name: Any) -> Field:
        """A ``Field`` for any name, including ones that clash with methods.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert({"count": 3})
            1
            >>> t.select(where=t.field("count") == 3)
            [{'count': 3, 'id': 1}]
        """
        return TableField(name, self.table_name, type(self))

    # -- schema -------------------------------------------------------------------------------------------

    @property
    def schema(self) -> Mapping[str, Any] | None:
        """The schema, ``{field: type}`` with the primary key included, read-only; ``None`` without one.

        Example:
            >>> from dictdb import Table
            >>> dict(Table("t", schema={"name": str}).schema)
            {'name': <class 'str'>, 'id': <class 'int'>}
        """
        return None if self._schema_spec is None else MappingProxyType(self._schema_spec)

    def validate_record(self, record: Record) -> None:
        """Check ``record`` against the schema; ``SchemaValidationError`` if it does not fit.

        Without a schema, any dict fits.

        Example:
            >>> from dictdb import Table
            >>> Table("t", schema={"age": int}).validate_record({"id": 1, "age": "x"})
            Traceback (most recent call last):
            ...
            dictdb.exceptions.SchemaValidationError: table 't': field 'age' expects int, got str ('x')
        """
        if not isinstance(record, dict):
            raise TypeError(f"a record must be a dict, not {type(record).__name__}")
        if self._schema is not None:
            self._schema.validate(record)

    # -- writes -------------------------------------------------------------------------------------------

    @overload
    def insert(
        self, record: Record, *, batch_size: int | None = None, skip_validation: bool = False
    ) -> Any: ...

    @overload
    def insert(
        self,
        record: Iterable[Record],
        *,
        batch_size: int | None = None,
        skip_validation: bool = False,
    ) -> list[Any]: ...

    def insert(
        self,
        record: Record | Iterable[Record],
        *,
        batch_size: int | None = None,
        skip_validation: bool = False,
    ) -> Any:
        """Store a copy of ``record`` and return its primary key; for a list (or any iterable of dicts: a
        tuple, a generator), store all and return their keys.

        A record without the primary key field gets one (the table's counter 1, 2, 3..., or its
        ``pk_generator``), which is also written into the caller's dict. A batch is all-or-nothing: on any
        error nothing of it is stored and the caller's dicts get no key. ``batch_size`` only bounds the work
        done at a time; ``skip_validation=True`` skips the schema check (never the key checks).

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert({"x": 1}), t.insert({"id": 10, "x": 2}), t.insert({"x": 3})
            (1, 10, 11)
            >>> t.insert([{"x": 4}, {"id": "a", "x": 5}])
            [12, 'a']
            >>> t.insert({"x": x} for x in (6, 7))
            [13, 14]
        """
        if type(record) is not dict and not isinstance(record, (dict, list, tuple)):
            # Any other iterable of dicts (a generator) is read before the lock is taken: its code may do
            # anything, and a batch is checked whole before any of it is stored. (An exact dict, the
            # one-by-one insert, passes the first test alone.)
            record = _batch_of(record)
        # The write lock taken inline, not by @writes (which does the same): inserting one by one is the hot
        # write path, and the decorator's generic wrapper would cost a third of it.
        lock = self._lock
        lock.acquire_write()
        try:
            transaction = self._transaction
            if transaction is not None:
                transaction.undo_for(self)
            return self._insert(record, batch_size, skip_validation)
        finally:
            lock.release_write()

    def _insert(
        self,
        record: Record | list[Record] | tuple[Record, ...] | Iterable[Record],
        batch_size: int | None,
        skip_validation: bool,
    ) -> Any:
        if not isinstance(record, dict):
            if isinstance(record, (list, tuple)):
                return self._insert_many(record, batch_size, skip_validation)
            raise TypeError(f"insert takes a dict or an iterable of dicts, not {type(record).__name__}")
        # One record: the hot path, kept in this one frame.
        stored = _records.copy_record(record)
        pk_field = self.primary_key
        records = self.records
        pk = stored.get(pk_field, MISSING)
        generated = pk is MISSING
        # Key errors first, then schema errors, as for a batch.
        if generated:
            pk = self._keys.make(self._next_pk, records)
            stored[pk_field] = pk
        else:
            if pk is None:
                self._keys.check(pk)
            try:
                taken = pk in records
            except TypeError:
                self._keys.check(pk)
                raise
            if taken:
                raise self._keys.taken_error(pk)
            if pk != pk:  # NaN, which equals nothing: refused, and named, by check
                self._keys.check(pk)
        if self._schema is not None and not skip_validation:
            self._schema.validate(stored)
        next_pk = self._next_pk
        if (type(pk) is int or (isinstance(pk, int) and type(pk) is not bool)) and pk >= next_pk:
            next_pk = pk + 1
        if self._indexing is not None:
            self._indexing.insert(pk, stored)
        self._apply_one(pk, stored, next_pk, new=True)
        if generated:
            record[pk_field] = pk
        return pk

    def _insert_many(
        self, batch: list[Record] | tuple[Record, ...], batch_size: int | None, skip_validation: bool
    ) -> list[Any]:
        schema = None if skip_validation else self._schema
        ready = prepare_batch(batch, batch_size, self._keys, schema, self.records, self._next_pk)
        if self._indexing is not None:
            self._indexing.insert_many(ready.pending)
        self._apply((), ready.pending, ready.counter, "insert", new=True)
        pk_field = self.primary_key
        for position, pk in ready.generated:
            batch[position][pk_field] = pk
        return list(ready.pending)

    @writes
    def upsert(self, record: Record, on_conflict: OnConflict = "update") -> tuple[Any, str]:
        """Insert ``record``, or deal with the record that has its primary key; returns ``(pk, action)``.

        ``on_conflict``: ``"update"`` merges ``record`` into the stored one, ``"ignore"`` keeps the stored
        one, ``"error"`` raises ``DuplicateKeyError``. ``action`` is ``"inserted"``, ``"updated"`` or
        ``"ignored"``. A record that fails validation changes nothing.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.upsert({"id": 1, "x": 1}), t.upsert({"id": 1, "y": 2}), t.upsert({"id": 1}, "ignore")
            ((1, 'inserted'), (1, 'updated'), (1, 'ignored'))
            >>> t.get(1)
            {'id': 1, 'x': 1, 'y': 2}
        """
        if on_conflict not in ("update", "ignore", "error"):
            raise ValueError(f"on_conflict must be 'update', 'ignore' or 'error', not {on_conflict!r}")
        if not isinstance(record, dict):
            raise TypeError(f"a record must be a dict, not {type(record).__name__}")
        pk = record.get(self.primary_key, MISSING)
        if pk is MISSING:
            return self.insert(record), "inserted"
        self._keys.check(pk)
        existing = self.records.get(pk)
        if existing is None:
            return self.insert(record), "inserted"
        if on_conflict == "error":
            raise self._keys.taken_error(pk)
        if on_conflict == "ignore":
            return pk, "ignored"
        merged = {**existing, **record}
        merged[self.primary_key] = existing[self.primary_key]  # the key it is stored under (as update)
        if self._schema is not None:
            self._schema.validate(merged)
        if self._indexing is not None:
            self._indexing.update([pk], [existing], [merged], record, self.records)
        self._apply_one(pk, merged, self._next_pk)
        return pk, "updated"

    @writes
    def update(self, changes: Record, where: Where = None) -> int:
        """Apply ``changes`` to the records matching ``where`` (all when ``None``); returns how many.

        ``RecordNotFoundError`` when nothing matches. A change may be a value expression (``t.bal - 1``),
        computed for each record from the record as it was before this update. Every merged record is
        validated before any is stored. Changing the primary key re-keys the record (which then comes last
        in insertion order); ``DuplicateKeyError`` if the new key is taken or would go to several records.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"x": 1}, {"x": 2}, {"x": 3}])
            [1, 2, 3]
            >>> t.update({"big": True}, where=t.x >= 2)
            2
            >>> t.update({"id": 7}, where=t.x == 1)
            1
            >>> [r["id"] for r in t.select()]
            [2, 3, 7]
            >>> t.update({"x": t.x * 10 + 1}, where=t.x >= 2)
            2
            >>> [r["x"] for r in t.select()]
            [21, 31, 1]
        """
        if not isinstance(changes, dict):
            raise TypeError(f"changes must be a dict of field -> new value, not {type(changes).__name__}")
        if self._schema_spec is not None:
            computed = [value for value in changes.values() if isinstance(value, ValueExpr)]
            check_fields(self, [*changes, *computed], "update")
        rows = self._match(where)
        if not rows:
            raise RecordNotFoundError(f"{self._nothing_matches(where)}; nothing was updated")
        pk_field = self.primary_key
        merged = _records.merge_each(rows, compile_changes(changes))
        if pk_field in changes:
            if isinstance(changes[pk_field], ValueExpr) and len(rows) > 1:
                raise ValueError(
                    f"a computed primary key ({pk_field!r}) changes one record at a time: {len(rows)} "
                    f"records of table {self.table_name!r} match; narrow where= to one record"
                )
            new_pk = merged[0][pk_field]
            self._keys.check(new_pk)
            old_pk = rows[0][pk_field]
            if len(rows) > 1 or new_pk != old_pk:
                return self._rekey(rows, merged[0], old_pk, new_pk)
            # An equal key of another type (3.0 for 3) is no re-key: the record keeps the key it is stored
            # under, so the field and the key never differ (a save and load keys records by the field).
            merged[0][pk_field] = old_pk
        if self._schema is not None:
            self._schema.validate_many(merged, key=pk_field)
        records = self.records
        pks = [row[pk_field] for row in rows]
        if self._indexing is not None:
            self._indexing.update(pks, rows, merged, changes, records)
        self._apply((), dict(zip(pks, merged, strict=True)), self._next_pk, "update")
        return len(rows)

    def _rekey(self, rows: list[Record], merged: Record, old_pk: Any, new_pk: Any) -> int:
        """Move the one matching record to primary key ``new_pk``."""
        if len(rows) > 1:
            raise DuplicateKeyError(
                f"update would give {len(rows)} records of table {self.table_name!r} the same primary key "
                f"{new_pk!r}; narrow where= to one record to change its {self.primary_key!r}"
            )
        if new_pk in self.records:
            raise self._keys.taken_error(
                new_pk, hint=f"give {self.primary_key!r} a value no record has, or delete that record first"
            )
        if self._schema is not None:
            self._schema.validate(merged)
        if self._indexing is not None:
            self._indexing.rekey(old_pk, new_pk, rows[0], merged, self.records)
        self._apply([old_pk], {new_pk: merged}, counter_after(self._next_pk, [new_pk]), "update")
        return 1

    @writes
    def delete(self, where: Where = None) -> int:
        """Delete the records matching ``where`` (all when ``None``); returns how many.

        ``RecordNotFoundError`` when nothing matches.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"x": 1}, {"x": 2}, {"x": 3}])
            [1, 2, 3]
            >>> t.delete(where=t.x > 1), t.count()
            (2, 1)
        """
        rows = self._match(where)
        if not rows:
            raise RecordNotFoundError(f"{self._nothing_matches(where)}; nothing was deleted")
        records = self.records
        indexing = self._indexing
        if len(rows) == len(records):
            pks = list(records)
            if indexing is not None:
                indexing.clear()
        else:
            pk_field = self.primary_key
            pks = [row[pk_field] for row in rows]
            if indexing is not None:
                indexing.delete(pks, rows, records)
        self._apply(pks, {}, self._next_pk, "delete")
        return len(pks)

    def _nothing_matches(self, where: Any) -> str:
        if where is None:
            return f"table {self.table_name!r} is empty"
        return f"no record of table {self.table_name!r} matches {where!r}"

    # -- reads --------------------------------------------------------------------------------------------

    #: ``get(pk, default=None)``: a copy of the record with primary key ``pk``, or ``default``; O(1). A C
    #: function in the compiled core (the method call, the read lock, the lookup and the copy in one step).
    get = _corelock.read_record

    def __getitem__(self, pk: Any) -> Record:
        """``table[pk]``: a copy of the record with primary key ``pk``; ``RecordNotFoundError`` (also a
        ``KeyError``) when there is none.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert({"x": 1})
            1
            >>> t[1], 1 in t, 2 in t
            ({'x': 1, 'id': 1}, True, False)
            >>> t[2]
            Traceback (most recent call last):
            ...
            dictdb.exceptions.RecordNotFoundError: table 't' has no record with primary key 2
        """
        record = self.get(pk, _ABSENT)
        if record is _ABSENT:
            raise RecordNotFoundError(f"table {self.table_name!r} has no record with primary key {pk!r}")
        return record  # type: ignore[no-any-return]

    def __contains__(self, pk: object) -> bool:
        """``pk in table``: whether a record has primary key ``pk``."""
        try:
            return self.get(pk, _ABSENT) is not _ABSENT
        except TypeError:  # an unhashable value is no key
            return False

    def __iter__(self) -> Iterator[Record]:
        """``iter(table)``: copies of the records in insertion order, as they were when iteration began
        (writes meanwhile do not disturb it).

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"x": 1}, {"x": 2}])
            [1, 2]
            >>> [record["x"] for record in t]
            [1, 2]
        """
        return iter(self.all())

    @reads
    def select(
        self,
        columns: Any = None,
        where: Where = None,
        *,
        order_by: Any = None,
        limit: int | None = None,
        offset: int = 0,
        copy: bool | Literal["deep"] = True,
        distinct: bool = False,
    ) -> list[Record]:
        """The records matching ``where`` (all when ``None``), in insertion order unless ``order_by``.

        - ``columns``: a list of field names, a ``{alias: field}`` dict or a list of ``(alias, field)``
          pairs; a missing field projects to ``None``.
        - ``order_by``: a field name, or a list of them; ``"-name"`` sorts descending. Stable, and total:
          ``None`` and NaN first, then numbers, str, bytes, other types by type name (docs/queries.md).
        - ``limit``: at most that many rows (``None`` or negative: no limit, ``0``: none); ``offset``:
          rows skipped first (negative is 0). ``distinct``: drop repeated rows, before offset and limit.
        - ``copy=True``: each row is a new dict, a *shallow* copy: a list or dict inside it is the stored
          record's own, and changing it changes the table (unseen by change tracking). ``copy="deep"``
          copies those too (``copy.deepcopy``). ``copy=False`` returns the stored dicts themselves: fast,
          but the caller must not mutate them.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> for name, age in [("ada", 36), ("bob", 17), ("cy", 52)]:
            ...     _ = t.insert({"name": name, "age": age})
            >>> t.select(["name"], where=t.age >= 18, order_by="-age")
            [{'name': 'cy'}, {'name': 'ada'}]
        """
        deep = _deep_copy(copy)
        query = (parse_columns(columns), parse_order(order_by), *parse_window(limit, offset))
        plan = ALL if where is None else plan_of(where)
        if self._schema_spec is not None:
            check_where(self, plan)
            if query[0] is not None:
                check_fields(self, [field for _, field in query[0]], "columns")
            if query[1]:
                check_fields(self, [field for field, _ in query[1]], "order_by")
        source = (self.records, self.primary_key, self._indexing_for(plan), plan)
        rows = run_select(*source, *query, copy=bool(copy) and not deep, distinct=distinct)
        if deep:
            rows = _copy.deepcopy(rows)
        _logs.event("select", self.table_name, len(rows))
        return rows

    def _match(self, where: Any, *, copy: bool = False, limit: int | None = None) -> list[Record]:
        """The stored records matching ``where`` (all when ``None``), in insertion order; not copies (with
        ``copy=True``, copies; with ``limit``, at most that many). The planner picks the indexes."""
        plan = ALL if where is None else plan_of(where)
        if self._schema_spec is not None:
            check_where(self, plan)
        return _execute.match(
            self.records, self.primary_key, self._indexing_for(plan), plan, copy=copy, limit=limit
        )

    @reads
    def copy(self) -> dict[Any, Record]:
        """Every record, as ``{pk: copy}``.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert({"x": 1})
            1
            >>> t.copy()
            {1: {'x': 1, 'id': 1}}
        """
        return dict(zip(self.records, _records.copy_records(self.records.values()), strict=True))

    @reads
    def all(self) -> list[Record]:
        """Copies of every record, in insertion order.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"x": 1}, {"x": 2}])
            [1, 2]
            >>> t.all()
            [{'x': 1, 'id': 1}, {'x': 2, 'id': 2}]
        """
        return _records.copy_records(self.records.values())

    def count(self, where: Where = None) -> int:
        """How many records the table holds (``size()`` and ``len(table)`` too), or how many match ``where``.

        With column indexes on the fields ``where`` reads, the count comes from their vectors, without
        touching the records.

        Example:
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"x": 1}, {"x": 5}, {"x": 9}])
            [1, 2, 3]
            >>> t.count(), t.count(t.x > 2)
            (3, 2)
        """
        if where is None:
            return len(self.records)
        return self._count(where)

    @reads
    def _count(self, where: Any) -> int:
        plan = plan_of(where)
        if self._schema_spec is not None:
            check_where(self, plan)
        return _execute.count(self.records, self.primary_key, self._indexing_for(plan), plan)

    # -- the commit point (dictdb.commit, dictdb.undo, dictdb.transaction, dictdb.durable) ------------------

    def _apply(
        self,
        removed: Sequence[Any],
        written: dict[Any, Record],
        next_pk: int,
        kind: str | None,
        *,
        new: bool = False,
        replaying: bool = False,
    ) -> None:
        """Store a write whose checks and index changes are done: remove the keys ``removed``, then store
        ``written`` (pk -> the table's own record), set the counter; then commit it. ``new``: the written keys
        are known to be absent (an insert), which the undo log records in one pass. ``replaying``: a write
        of the journal replayed on open, which is told to nobody (change tracking starts empty after an open,
        and no listener can be there yet).

        The one epilogue of every write. Inside a transaction the old records are captured first (the undo
        log) and the change waits for the transaction's end; outside one it is committed now: journaled
        first when the database is opened on a folder (a refused frame undoes the write and raises), then
        told to the change tracking, the listeners and the log (``Change.committed``).
        """
        records = self.records
        transaction = self._transaction
        undo = None
        if transaction is not None:
            undo = transaction.undo_for(self)
        elif self._journal is not None:
            undo = TableUndo(self, one_write=True)
        if undo is not None:
            undo.capture(records, removed, written, new=new)
        # Nothing below can fail until the journal write.
        if removed:
            if len(removed) == len(records):
                records.clear()
            else:
                _records.delete_keys(records, removed)
            self._columns = None  # a field may have gone with the records; recounted on the next columns()
        records.update(written)
        self._next_pk = next_pk
        if self._columns is not None:
            for row in written.values():
                self._columns.update(row)
        if transaction is not None:
            transaction.pending.append(Change(self, removed, written, next_pk, kind))
            return
        if undo is not None:
            assert self._journal is not None
            try:
                self._journal.commit([Change(self, removed, written, next_pk, kind)])
            except BaseException:
                undo.rollback()
                raise
        if not replaying:
            self._committed(removed, written, kind)

    def _apply_one(self, pk: Any, record: Record, next_pk: int, *, new: bool = False) -> None:
        """``_apply`` of one stored record (an insert, an upsert): in memory and outside a transaction, where
        there is nothing to undo or journal, without the dict ``_apply`` takes (a third of a one-record
        insert); else through ``_apply``."""
        if self._transaction is not None or self._journal is not None:
            self._apply((), {pk: record}, next_pk, None, new=new)
            return
        self.records[pk] = record
        self._next_pk = next_pk
        if self._columns is not None:
            self._columns.update(record)
        self._tracker.written(pk)  # what _committed tells of a one-record write
        if self._change_listeners:
            self._notify_change_listeners()

    def _committed(self, removed: Sequence[Any], written: dict[Any, Record], kind: str | None) -> None:
        """Tell the change tracking, the listeners and the log that a write is committed (its ``Change``).

        The log line is attributed to the write's method (``_apply``'s caller) when the write commits on its
        own; inside a transaction, it is logged when the transaction commits.
        """
        tracker = self._tracker
        if removed:
            tracker.removed_many(removed)
        if len(written) == 1:
            for pk in written:
                tracker.written(pk)
        elif written:
            tracker.written_many(written)
        if self._change_listeners:
            self._notify_change_listeners()
        if kind is not None:
            _logs.event(kind, self.table_name, len(removed) or len(written), _depth=3)

    def _fill(self, records: dict[Any, Record], next_pk: int) -> None:
        """Take the records of a file into this new, empty table (a load, a restore, a recovery), keyed by
        primary key, and the key counter the file saved: stored as they are, without a per-record insert,
        since they are fresh dicts their reader has checked. Indexes are created after, over them."""
        self.records.update(records)
        self._next_pk = next_pk

    def _replay(self, removed: list[Any], written: list[Record], next_pk: int) -> None:
        """Apply a journaled write (``Change.journal_op``) as the live write did: the same index upkeep and
        the same commit point."""
        records = self.records
        pk_field = self.primary_key
        by_pk = {row[pk_field]: row for row in written}
        if self._schema is not None:  # a journal edited by hand must not slip past the schema either
            self._schema.validate_many(written, key=pk_field)
        indexing = self._indexing
        if indexing is not None:
            if removed:
                indexing.delete(removed, [records[pk] for pk in removed], records)
            kept = [pk for pk in by_pk if pk in records and pk not in removed]
            if kept:
                old = [records[pk] for pk in kept]
                indexing.update(kept, old, [by_pk[pk] for pk in kept], _EVERY_FIELD, records)
            new = {pk: row for pk, row in by_pk.items() if pk not in records or pk in removed}
            if new:
                indexing.insert_many(new)
        self._apply(removed, by_pk, next_pk, None, replaying=True)

    # -- aggregates ----------------------------------------------------------------------------------------

    @reads
    def aggregate(
        self,
        where: Where = None,
        group_by: Any = None,
        *,
        order_by: Any = None,
        limit: int | None = None,
        having: Where = None,
        **aggregations: _aggregates.Aggregate,
    ) -> Any:
        """Compute ``Count``, ``Sum``, ``Avg``, ``Min``, ``Max``, ``CountDistinct`` over the records matching
        ``where``; each reads a field or a value expression (``Sum(t.price * t.qty)``).

        Without ``group_by``: a dict, aggregate name -> value. With ``group_by`` (a field name, a list of
        them, or ``{name: field or value expression}`` such as ``{"month": t.created.month}``): one row per
        group, the groups then the aggregates, in first-seen group order. ``having`` (a predicate over the
        row's names, ``Field("n") > 5``) keeps the rows it matches; then ``order_by`` (names of the row,
        ``"-name"`` descending) sorts them and ``limit`` cuts them. ``having``, ``order_by`` and ``limit``
        need ``group_by`` (``ValueError`` otherwise). Aggregates skip ``None``; with no values ``Count``
        and ``CountDistinct`` give 0 and the others ``None`` (docs/aggregates.md). When ``where``,
        ``group_by`` (one field) and the aggregated fields are all column-indexed, the column store computes
        it from its vectors, with the same result; a computed value is read from the records.

        Example:
            >>> from dictdb import Avg, Count, Table
            >>> t = Table("staff")
            >>> t.insert([{"dept": "ops", "pay": 10}, {"dept": "dev", "pay": 30}, {"dept": "ops", "pay": 20}])
            [1, 2, 3]
            >>> t.aggregate(n=Count(), pay=Avg("pay"))
            {'n': 3, 'pay': 20.0}
            >>> t.aggregate(group_by="dept", n=Count(), pay=Avg("pay"))
            [{'dept': 'ops', 'n': 2, 'pay': 15.0}, {'dept': 'dev', 'n': 1, 'pay': 30.0}]
            >>> t.aggregate(group_by={"team": t.dept.upper()}, having=t.field("n") > 1, n=Count())
            [{'team': 'OPS', 'n': 2}]
        """
        plan = ALL if where is None else plan_of(where)
        if self._schema_spec is not None:
            check_where(self, plan)
            check_aggregate(self, *_aggregates.shape(group_by, aggregations))
        indexing = self._indexing_for(plan)
        result = _execute.aggregate(
            self.records, self.primary_key, indexing, plan, group_by, aggregations, order_by, limit, having
        )
        _logs.event("aggregate", self.table_name, len(result) if isinstance(result, list) else 1)
        return result
