"""The model test's oracle: the database as a plain dict of dicts, the documented rules written
out the long way, and a python model of what the indexes add (their definitions, and uniqueness).

``ModelDB.apply`` takes the operation tuples of ``tests.reliability.ops`` and returns what DictDB must return,
or raises the exception class DictDB must raise, having changed nothing. It shares no code with ``src/``: the
predicates are evaluated by ``tests.core.test_differential.oracle`` (itself written independently of the
cores), and everything else is here.

The order in which DictDB checks a write decides which error a write with several faults raises; the model
follows the documented order: the primary key, then the schema, then the indexes in creation order.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from dictdb import DuplicateKeyError, RecordNotFoundError, SchemaValidationError
from tests.core.test_differential import oracle as matches
from tests.reliability.ops import TABLES, outcome

MISSING: Any = object()
Record = dict[Any, Any]


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def is_null(value: Any) -> bool:
    return value is None or is_nan(value)


def order_key(value: Any) -> tuple[int, Any]:
    """The documented total order for the values of these tests: None and NaN, numbers, strings."""
    if is_null(value):
        return (0, 0)
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, value)


def fits(spec: Any, value: Any) -> bool:
    """The schema rules for the types of ``TYPED_SCHEMA``: bool is not an int, an int is a float."""
    members = getattr(spec, "__args__", (spec,))
    if value is None:
        return type(None) in members
    for member in members:
        if member is int and type(value) is int:
            return True
        if member is float and type(value) in (int, float):
            return True
        if member is str and type(value) is str:
            return True
    return False


class ModelTable:
    """One table: ``records`` (pk -> record, in insertion order), the counter, the index definitions."""

    def __init__(self, schema: dict[str, Any] | None) -> None:
        self.schema = None if schema is None else {**schema, "id": int}
        self.records: dict[Any, Record] = {}
        self.next_pk = 1
        # name -> (fields, kind, unique), in creation order
        self.indexes: dict[Any, tuple[tuple[str, ...], str, bool]] = {}

    # -- the rules ----------------------------------------------------------------------------------------

    def next_key(self, pending: dict[Any, Any] | None = None) -> int:
        pk = self.next_pk
        while pk in self.records or (pending is not None and pk in pending):
            pk += 1
        return pk

    def validate(self, record: Record) -> None:
        if self.schema is None:
            return
        for field, spec in self.schema.items():
            if field not in record and not fits(spec, None):
                raise SchemaValidationError(f"model: {field!r} missing")
        for field, value in record.items():
            if field not in self.schema or not fits(self.schema[field], value):
                raise SchemaValidationError(f"model: {field!r} = {value!r}")

    def check_unique(self, records: dict[Any, Record]) -> None:
        """``DuplicateKeyError`` when two of ``records`` share a non-null key of a unique index."""
        for fields, _, unique in self.indexes.values():
            if not unique:
                continue
            keys = [tuple(record.get(field) for field in fields) for record in records.values()]
            kept = [key for key in keys if not any(is_null(part) for part in key)]
            for position, key in enumerate(kept):
                if key in kept[:position]:
                    raise DuplicateKeyError(f"model: unique {fields} repeats {key!r}")

    def bump(self, pk: Any) -> None:
        if isinstance(pk, int) and type(pk) is not bool and pk >= self.next_pk:
            self.next_pk = pk + 1

    def matching(self, plan: Any) -> list[Record]:
        return [record for record in self.records.values() if plan is None or matches(plan, record)]

    # -- writes -------------------------------------------------------------------------------------------

    def insert(self, record: Record) -> Any:
        stored = dict(record)
        pk = stored.get("id", MISSING)
        if pk is MISSING:
            pk = self.next_key()
            stored["id"] = pk
        elif pk is None:
            raise TypeError("model: None key")
        elif pk in self.records:
            raise DuplicateKeyError(f"model: key {pk!r} taken")
        self.validate(stored)
        self.check_unique({**self.records, pk: stored})
        self.records[pk] = stored
        self.bump(pk)
        return pk

    def insert_many(self, batch: list[Record], batch_size: int | None) -> list[Any]:
        step = batch_size or len(batch) or 1
        pending: dict[Any, Record] = {}
        counter = self.next_pk
        for first in range(0, len(batch), step):
            rows = [dict(record) for record in batch[first : first + step]]
            if all("id" in row for row in rows):
                pks = [row["id"] for row in rows]
                if None in pks:
                    raise TypeError("model: None key")
                for position, pk in enumerate(pks):
                    if pk in pending or pk in self.records or pk in pks[:position]:
                        raise DuplicateKeyError(f"model: key {pk!r} repeated or taken")
                pending.update(zip(pks, rows, strict=True))
                counter = max([counter, *(pk + 1 for pk in pks if type(pk) is int)])
            else:
                for row in rows:
                    pk = row.get("id", MISSING)
                    if pk is MISSING:
                        pk = counter
                        while pk in self.records or pk in pending:
                            pk += 1
                        row["id"] = pk
                    elif pk is None:
                        raise TypeError("model: None key")
                    elif pk in self.records or pk in pending:
                        raise DuplicateKeyError(f"model: key {pk!r} repeated or taken")
                    pending[pk] = row
                    if type(pk) is int and pk >= counter:
                        counter = pk + 1
            for row in rows:
                self.validate(row)
        self.check_unique({**self.records, **pending})
        self.records.update(pending)
        self.next_pk = counter
        return list(pending)

    def upsert(self, record: Record, on_conflict: str) -> tuple[Any, str]:
        pk = record.get("id", MISSING)
        if pk is MISSING:
            return self.insert(record), "inserted"
        if pk is None:
            raise TypeError("model: None key")
        existing = self.records.get(pk)
        if existing is None:
            return self.insert(record), "inserted"
        if on_conflict == "error":
            raise DuplicateKeyError(f"model: key {pk!r} taken")
        if on_conflict == "ignore":
            return pk, "ignored"
        merged = {**existing, **record}
        merged["id"] = existing["id"]
        self.validate(merged)
        self.check_unique({**self.records, pk: merged})
        self.records[pk] = merged
        return pk, "updated"

    def update(self, changes: Record, plan: Any) -> int:
        rows = self.matching(plan)
        if not rows:
            raise RecordNotFoundError("model: nothing matches")
        merged = [{**row, **changes} for row in rows]
        if "id" in changes:
            new_pk = changes["id"]
            if new_pk is None:
                raise TypeError("model: None key")
            old_pk = rows[0]["id"]
            if len(rows) > 1 or new_pk != old_pk:
                if len(rows) > 1 or new_pk in self.records:
                    raise DuplicateKeyError(f"model: key {new_pk!r} taken")
                self.validate(merged[0])
                after = {pk: record for pk, record in self.records.items() if pk != old_pk}
                after[new_pk] = merged[0]
                self.check_unique(after)
                self.records = after
                self.bump(new_pk)
                return 1
            merged[0]["id"] = old_pk
        for record in merged:
            self.validate(record)
        after = dict(self.records)
        for row, record in zip(rows, merged, strict=True):
            after[row["id"]] = record
        self.check_unique(after)
        self.records = after
        return len(rows)

    def delete(self, plan: Any) -> int:
        rows = self.matching(plan)
        if not rows:
            raise RecordNotFoundError("model: nothing matches")
        gone = {id(row) for row in rows}
        self.records = {pk: record for pk, record in self.records.items() if id(record) not in gone}
        return len(rows)

    def create_index(self, fields: tuple[str, ...], kind: str, unique: bool) -> None:
        name = fields[0] if len(fields) == 1 else fields
        if name in self.indexes:
            if self.indexes[name][1:] == (kind, unique):
                return
            raise ValueError("model: the fields have an index of another definition; drop_index first")
        if kind == "column" and (unique or len(fields) > 1):
            raise ValueError("model: a column index is on one field and never unique")
        self.indexes[name] = (fields, kind, unique)
        try:
            self.check_unique(self.records)
        except DuplicateKeyError:
            del self.indexes[name]
            raise

    def drop_index(self, fields: tuple[str, ...]) -> None:
        name = fields[0] if len(fields) == 1 else fields
        if name not in self.indexes:
            raise ValueError(f"model: no index {name!r}")
        del self.indexes[name]

    # -- reads --------------------------------------------------------------------------------------------

    def select(
        self, columns: Any, plan: Any, order_by: Any, limit: Any, offset: int, distinct: bool
    ) -> list[Record]:
        rows = self.matching(plan)
        orders = [] if order_by is None else [order_by] if isinstance(order_by, str) else list(order_by)
        for item in reversed(orders):  # stable sorts, the least significant key first
            field = item.lstrip("-")
            rows = sorted(rows, key=lambda row: order_key(row.get(field)), reverse=item.startswith("-"))
        if columns is not None:
            pairs = list(columns.items()) if isinstance(columns, dict) else columns
            pairs = [pair if isinstance(pair, tuple) else (pair, pair) for pair in pairs]
            rows = [{alias: row.get(field) for alias, field in pairs} for row in rows]
        else:
            rows = [dict(row) for row in rows]
        if distinct:
            kept: list[Record] = []
            for row in rows:
                if row not in kept:
                    kept.append(row)
            rows = kept
        start = max(offset, 0)
        end = None if limit is None or limit < 0 else start + limit
        return rows[start:end]

    def aggregate(self, plan: Any, group_by: Any, aggregates: tuple[tuple[str, str, Any], ...]) -> Any:
        rows = self.matching(plan)
        if group_by is None:
            return {name: compute(agg, field, rows) for name, agg, field in aggregates}
        fields = [group_by] if isinstance(group_by, str) else list(group_by)
        groups: list[tuple[tuple[Any, ...], list[Record]]] = []
        for row in rows:
            key = tuple(row.get(field) for field in fields)
            for seen, members in groups:
                if all(same_group(a, b) for a, b in zip(seen, key, strict=True)):
                    members.append(row)
                    break
            else:
                groups.append((key, [row]))
        result = []
        for key, members in groups:
            values = {name: compute(agg, field, members) for name, agg, field in aggregates}
            result.append({**dict(zip(fields, key, strict=True)), **values})
        return result


def same_group(a: Any, b: Any) -> bool:
    """Groups follow Python equality, except that every NaN is one group (docs/aggregates.md)."""
    if is_nan(a) or is_nan(b):
        return is_nan(a) and is_nan(b)
    return bool(a == b)


def compute(agg: str, field: Any, rows: list[Record]) -> Any:
    """One aggregate over ``rows``, by docs/aggregates.md."""
    if agg == "count" and field is None:
        return len(rows)
    values = [row.get(field) for row in rows if row.get(field) is not None]
    if agg == "count":
        return len(values)
    if agg in ("sum", "avg"):
        if any(isinstance(value, str) for value in values):
            raise TypeError("model: Sum or Avg of a string")
        if not values:
            return None
        total: Any = 0
        for value in values:
            total = total + value
        return total if agg == "sum" else float(total / len(values))
    best: Any = MISSING
    for value in values:
        if is_nan(value):
            continue
        if best is MISSING:
            best = value
        elif isinstance(best, str) != isinstance(value, str):
            raise TypeError("model: Min or Max of a string and a number")
        elif (value < best) if agg == "min" else (value > best):
            best = value
    return None if best is MISSING else best


class ModelDB:
    """The database: one ``ModelTable`` per table of ``TABLES``."""

    def __init__(self) -> None:
        self.tables = {name: ModelTable(schema) for name, schema in TABLES.items()}

    def apply(self, op: tuple[Any, ...]) -> Any:
        kind = op[0]
        if kind == "transaction":
            saved = copy.deepcopy(self.tables)
            outcomes = [outcome(self.apply, inner) for inner in op[1]]
            if not op[2]:
                self.tables = saved
            return outcomes
        if kind == "save_reload":
            return None
        table = self.tables[op[1]]
        args = op[2:]
        if kind == "insert":
            return table.insert(args[0])
        if kind == "insert_many":
            return table.insert_many(args[0], args[1])
        if kind == "upsert":
            return table.upsert(args[0], args[1])
        if kind == "update":
            return table.update(args[0], args[1])
        if kind == "delete":
            return table.delete(args[0])
        if kind == "select":
            return table.select(*args)
        if kind == "count":
            return len(table.records)
        if kind == "get":
            found = table.records.get(args[0])
            return None if found is None else dict(found)
        if kind == "aggregate":
            return table.aggregate(*args)
        if kind == "create_index":
            return table.create_index(*args)
        if kind == "drop_index":
            return table.drop_index(args[0])
        raise AssertionError(f"unknown operation {op!r}")
