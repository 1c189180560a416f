"""The operations the model, differential and soak tests run: their vocabulary, a seeded generator, and one
runner that applies an operation to a real ``DictDB`` through the public API.

An operation is a plain tuple, so that hypothesis can shrink it, a subprocess can rebuild it from a seed, and
the oracle (``tests.reliability.oracle``) can apply the same tuple to its dict of dicts:

- ``("insert", table, record)``, ``("insert_many", table, records, batch_size)``,
  ``("upsert", table, record, on_conflict)``, ``("update", table, changes, plan)``,
  ``("delete", table, plan)``
- ``("select", table, columns, plan, order_by, limit, offset, distinct)``, ``("count", table)``,
  ``("get", table, pk)``, ``("aggregate", table, plan, group_by, aggregates)``
- ``("create_index", table, fields, kind, unique)``, ``("drop_index", table, fields)``
- ``("transaction", operations, commit)``: the operations inside ``db.transaction()``, each one's error caught
  and kept; then the block ends, or raises ``Rollback`` when ``commit`` is false
- ``("save_reload", file_format)``: save to a file, and carry on with the database loaded back from it

A ``plan`` is the predicate tree of ``tests.core.test_differential`` (``("eq", field, value)``,
``("and", children)``...), or ``None`` for no ``where``; ``where_of`` builds it with the public DSL
(``t.field(f) == v``, ``&``, ``|``, ``~``), and the oracle evaluates the tuple itself.

Values mix ints, floats (NaN and infinities too), bools, strings, ``None`` and missing fields. NaN appears in
the records only, never as an operand: ``x in (nan,)`` matches by identity, and a file loaded back holds other
NaN objects than the ones saved, so an operand NaN would make results depend on object identity.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Callable
from decimal import Decimal
from functools import reduce
from pathlib import Path
from typing import Any

from dictdb import Avg, Count, DictDB, Max, Min, Sum, Table

NAN = math.nan

#: The tables every database of these tests has: one without schema, one with.
TYPED_SCHEMA: dict[str, Any] = {"a": int, "b": str | None, "c": float | None}
TABLES: dict[str, dict[str, Any] | None] = {"free": None, "typed": TYPED_SCHEMA}
FIELDS = ("a", "b", "c")

PKS = [1, 2, 3, 4, 5, 6, 7, 8, 12, 3.0, "k1", "k2", None]
A_VALUES = [None, 0, 1, 2, -3, 1.0, 0.5, -0.0, True, False, "x", "a", ""]
B_VALUES = [None, "", "a", "ab", "b", "a%", "A_b", "ba", "B"]
C_VALUES = [None, 0.5, 1.0, 2, -1.5, NAN, math.inf, -math.inf, 0]
VALUES = {"a": A_VALUES, "b": B_VALUES, "c": C_VALUES}
#: Values that fit the typed table's schema.
TYPED_VALUES = {"a": [0, 1, 2, -3, 5], "b": B_VALUES, "c": C_VALUES}
#: Predicate operands: no NaN (see the module docstring).
OPERANDS = [None, 0, 1, 2, 1.0, 0.5, -3, "a", "ab", "b", "", True, "x"]
#: More types, for the seeded operations only (the differential and soak tests): the oracle of the model test
#: orders and sums only the plain values above.
EXOTIC_VALUES = [
    Decimal("1.5"),
    Decimal("NaN"),
    Decimal("-0"),
    b"a",
    (1, "a"),
    (None,),
    [1],
    2**64,
    -(2**63),
    10**30,
    datetime.date(2020, 1, 1),
    datetime.datetime(2020, 1, 1, 12),
]
LIKE_PATTERNS = ["a%", "%b", "a_", "_", "%", "a!%%", "A%", "%a%", "b"]
ORDERS = ["a", "-a", "b", "-b", "c", "-c", "id", "-id", ["b", "-a"], ["-c", "id"], ["a", "b"]]
#: Projections; the ones without ``c`` are the only ones ``distinct`` uses (NaN and identity again).
COLUMNS: list[Any] = [["a"], ["b", "a"], {"x": "a", "k": "id"}, [("v", "b")], ["b"]]
NAN_COLUMNS: list[Any] = [["c"], ["c", "b"]]
INDEX_FIELDS = [("a",), ("b",), ("c",), ("a", "b"), ("b", "c"), ("id",)]
GROUP_BYS = [None, "a", "b", "c", ["a", "b"]]
AGGREGATES = [("n", "count", None), ("nc", "count", "c"), ("s", "sum", "c"), ("m", "avg", "c")]
AGGREGATES += [("lo", "min", "c"), ("hi", "max", "b"), ("sa", "sum", "a"), ("la", "min", "a")]

AGGREGATE_CLASSES = {"count": Count, "sum": Sum, "avg": Avg, "min": Min, "max": Max}


class Rollback(Exception):
    """Raised inside a transaction that must not commit."""


def new_database() -> DictDB:
    """A database with the tables of ``TABLES``, empty."""
    db = DictDB()
    for name, schema in TABLES.items():
        db.create_table(name, schema=schema)
    return db


# -- predicates ---------------------------------------------------------------------------------------------


def where_of(table: Table, plan: Any) -> Any:
    """The public-DSL predicate of ``plan`` (``None`` stays ``None``)."""
    if plan is None:
        return None
    kind = plan[0]
    if kind == "and":
        return reduce(lambda left, right: left & right, [where_of(table, child) for child in plan[1]])
    if kind == "or":
        return reduce(lambda left, right: left | right, [where_of(table, child) for child in plan[1]])
    if kind == "not":
        return ~where_of(table, plan[1])
    field = table.field(plan[1])
    if kind == "eq":
        return field == plan[2]
    if kind == "ne":
        return field != plan[2]
    if kind == "lt":
        return field < plan[2]
    if kind == "le":
        return field <= plan[2]
    if kind == "gt":
        return field > plan[2]
    if kind == "ge":
        return field >= plan[2]
    if kind == "between":
        return field.between(plan[2], plan[3])
    if kind == "in":
        return field.is_in(list(plan[2]))
    if kind == "is_null":
        return field.is_null()
    if kind == "is_not_null":
        return field.is_not_null()
    if kind == "like":
        _, _, pattern, escape, fold = plan
        return field.ilike(pattern, escape=escape) if fold else field.like(pattern, escape=escape)
    raise AssertionError(f"unknown plan {plan!r}")


# -- the runner ---------------------------------------------------------------------------------------------


class Runner:
    """Applies operations to a real database; ``save_reload`` swaps in the database loaded back."""

    def __init__(self, workdir: Path, catch: Callable[[Callable[..., Any], Any], Any] | None = None) -> None:
        self.db = new_database()
        self.workdir = workdir
        self.saves = 0
        # What a transaction keeps of each operation inside it (its result or its error): ``outcome``.
        self.catch = outcome if catch is None else catch

    def apply(self, op: tuple[Any, ...]) -> Any:
        """The operation's result; its error propagates (a transaction returns each inner outcome)."""
        kind = op[0]
        if kind == "transaction":
            outcomes: list[Any] = []
            try:
                with self.db.transaction():
                    outcomes.extend(self.catch(self.apply, inner) for inner in op[1])
                    if not op[2]:
                        raise Rollback
            except Rollback:
                pass
            return outcomes
        if kind == "save_reload":
            file_format = op[1]
            self.saves += 1
            path = self.workdir / f"db{self.saves % 2}.{file_format}"
            self.db.save(path, file_format)
            self.db = DictDB.load(path, file_format)
            return None
        table = self.db.get_table(op[1])
        args = op[2:]
        if kind == "insert":
            return table.insert(dict(args[0]))
        if kind == "insert_many":
            return table.insert([dict(record) for record in args[0]], batch_size=args[1])
        if kind == "upsert":
            return table.upsert(dict(args[0]), on_conflict=args[1])
        if kind == "update":
            return table.update(dict(args[0]), where=where_of(table, args[1]))
        if kind == "delete":
            return table.delete(where=where_of(table, args[0]))
        if kind == "select":
            columns, plan, order_by, limit, offset, distinct = args
            return table.select(
                columns,
                where_of(table, plan),
                order_by=order_by,
                limit=limit,
                offset=offset,
                distinct=distinct,
            )
        if kind == "count":
            return table.count()
        if kind == "get":
            return table.get(args[0])
        if kind == "aggregate":
            plan, group_by, aggregates = args
            specs = {name: AGGREGATE_CLASSES[agg](field) for name, agg, field in aggregates}
            return table.aggregate(where=where_of(table, plan), group_by=group_by, **specs)
        if kind == "create_index":
            fields, index_type, unique = args
            return table.create_index(list(fields), index_type, unique=unique)
        if kind == "drop_index":
            return table.drop_index(list(args[0]))
        raise AssertionError(f"unknown operation {op!r}")


def outcome(apply: Callable[..., Any], op: tuple[Any, ...]) -> tuple[str, Any]:
    """``("ok", result)`` or ``("error", exception class)``: what the model test compares."""
    try:
        return "ok", apply(op)
    except (Rollback, AssertionError):
        raise
    except Exception as exc:  # the error's class is the result compared
        return "error", type(exc)


# -- seeded random operations (the differential test's subprocesses rebuild them from the seed) ------------


def random_value(rng: random.Random, pool: list[Any]) -> Any:
    return rng.choice(EXOTIC_VALUES) if rng.random() < 0.1 else rng.choice(pool)


def random_record(rng: random.Random, table: str) -> dict[str, Any]:
    pools = TYPED_VALUES if table == "typed" and rng.random() < 0.85 else VALUES
    record = {field: random_value(rng, pools[field]) for field in FIELDS if rng.random() < 0.75}
    if rng.random() < 0.4:
        record["id"] = rng.choice(PKS)
    return record


def random_plan(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 2 and roll < 0.25:
        children = tuple(random_plan(rng, depth + 1) for _ in range(rng.randint(2, 3)))
        return (rng.choice(["and", "or"]), children)
    if depth < 2 and roll < 0.32:
        return ("not", random_plan(rng, depth + 1))
    field = rng.choice([*FIELDS, "id"])
    kind = rng.choice(["eq", "ne", "lt", "le", "gt", "ge", "between", "in", "is_null", "is_not_null", "like"])
    operands = [value for value in EXOTIC_VALUES if not isinstance(value, Decimal) or value.is_finite()]
    operands = OPERANDS + operands if rng.random() < 0.2 else OPERANDS
    if kind == "between":
        return (kind, field, rng.choice(operands), rng.choice(operands))
    if kind == "in":
        return (kind, field, tuple(rng.sample(operands, rng.randint(0, 3))))
    if kind in ("is_null", "is_not_null"):
        return (kind, field)
    if kind == "like":
        return (kind, field, rng.choice(LIKE_PATTERNS), rng.choice([None, "!"]), rng.random() < 0.3)
    return (kind, field, rng.choice(operands))


def random_op(rng: random.Random, *, nested: bool = False) -> tuple[Any, ...]:
    """One operation; ``nested``: one that may go inside a transaction (no transaction, no save)."""
    table = rng.choice(list(TABLES))
    roll = rng.random()
    plan = None if rng.random() < 0.15 else random_plan(rng)
    if roll < 0.15:
        return ("insert", table, random_record(rng, table))
    if roll < 0.22:
        records = [random_record(rng, table) for _ in range(rng.randint(0, 5))]
        return ("insert_many", table, records, rng.choice([None, None, 1, 2]))
    if roll < 0.30:
        record = random_record(rng, table)
        record.setdefault("id", rng.choice(PKS))
        return ("upsert", table, record, rng.choice(["update", "update", "ignore", "error"]))
    if roll < 0.40:
        changes = {field: random_value(rng, VALUES[field]) for field in rng.sample(FIELDS, rng.randint(1, 2))}
        if rng.random() < 0.15:
            changes["id"] = rng.choice(PKS)
        return ("update", table, changes, plan)
    if roll < 0.45:
        return ("delete", table, plan)
    if roll < 0.66:
        distinct = rng.random() < 0.2
        pool = COLUMNS if distinct else COLUMNS + NAN_COLUMNS
        columns = rng.choice(pool) if rng.random() < 0.4 else None
        order_by = rng.choice(ORDERS) if rng.random() < 0.6 else None
        limit = rng.choice([None, None, 0, 1, 3, -1])
        return ("select", table, columns, plan, order_by, limit, rng.choice([0, 0, 1, 2, -1]), distinct)
    if roll < 0.70:
        return ("count", table)
    if roll < 0.74:
        return ("get", table, rng.choice(PKS[:-1]))
    if roll < 0.80:
        aggregates = tuple(rng.sample(AGGREGATES, rng.randint(1, 3)))
        return ("aggregate", table, plan, rng.choice(GROUP_BYS), aggregates)
    if roll < 0.88:
        unique = rng.random() < 0.4
        kind = rng.choice(["hash", "sorted", "column"])
        return ("create_index", table, rng.choice(INDEX_FIELDS), kind, unique)
    if roll < 0.92 or nested:
        return ("drop_index", table, rng.choice(INDEX_FIELDS))
    if roll < 0.97:
        inner = tuple(random_op(rng, nested=True) for _ in range(rng.randint(1, 4)))
        return ("transaction", inner, rng.random() < 0.5)
    return ("save_reload", rng.choice(["json", "pickle"]))


def random_ops(seed: int, count: int) -> list[tuple[Any, ...]]:
    """``count`` operations from ``seed``: the same list in every process."""
    rng = random.Random(seed)
    return [random_op(rng) for _ in range(count)]
