"""A database holding every value type a file can hold, an exact comparison of two databases, and tables
with indexes, with their own validation, or without ``create_index``, to test that a file keeps index
definitions and that loading checks records."""

from __future__ import annotations

import datetime as dt
import math
import uuid
import zoneinfo
from decimal import Decimal
from typing import Any, Optional

from dictdb import DictDB, Table
from dictdb.exceptions import SchemaValidationError
from tests.support.value_strategies import assert_same

_ZONE = (
    zoneinfo.ZoneInfo("Europe/Paris") if "Europe/Paris" in zoneinfo.available_timezones() else dt.timezone.utc
)

EVERY_TYPE: dict[str, Any] = {
    "none": None,
    "bool": True,
    "int": -42,
    "huge_int": 10**700,
    "float": 1.5,
    "neg_zero": -0.0,
    "nan": math.nan,
    "inf": math.inf,
    "minus_inf": -math.inf,
    "str": "héllo \ud800 wörld",
    "list": [1, "a", [2.5, None]],
    "dict": {"nested": {"deeper": [True]}},
    "tuple": (1, (2, "x")),
    "set": {1, 2, 3},
    "frozenset": frozenset({"a", (1, 2)}),
    "bytes": b"\x00\xff binary",
    "naive_datetime": dt.datetime(2024, 2, 29, 23, 59, 59, 999999),
    "utc_datetime": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    "offset_datetime": dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
    "named_offset_datetime": dt.datetime(2024, 1, 1, tzinfo=dt.timezone(-dt.timedelta(hours=5), "EST")),
    "zoned_datetime": dt.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=_ZONE),
    "date": dt.date(1999, 12, 31),
    "time": dt.time(8, 15, 30, 5),
    "aware_time": dt.time(8, 15, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
    "timedelta": dt.timedelta(days=-3, seconds=7, microseconds=11),
    "decimal": Decimal("-1.500"),
    "decimal_nan": Decimal("NaN"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "int_keys": {1: "one", 2: "two"},
    "tuple_keys": {(1, "a"): [1], (2, "b"): {3}},
    "mixed_keys": {"s": 1, 2: "two", None: 0, dt.date(2024, 1, 1): "new year"},
    "tag_like": {"$date": "not a date"},
    "tag_like_nested": [{"$tuple": [1, 2]}, {"$": None}],
    "timezone": dt.timezone(dt.timedelta(hours=1), "CET"),
}


def sample_db(db: DictDB | None = None) -> DictDB:
    """Three tables: every value type, a schema of every nameable type, and a string primary key."""
    db = db if db is not None else DictDB()
    everything = db.create_table("everything")
    everything.insert(dict(EVERY_TYPE))
    everything.insert({"plain": "record", "n": 2})
    everything.insert({"id": 10, "after": "a gap in the keys"})
    schema = {
        "id": int,
        "name": str,
        "score": float,
        "ok": bool,
        "tags": list,
        "meta": dict,
        "pair": tuple,
        "flags": set,
        "frozen": frozenset,
        "blob": bytes,
        "when": dt.datetime,
        "day": dt.date,
        "at": dt.time,
        "took": dt.timedelta,
        "price": Decimal,
        "ref": uuid.UUID,
        "maybe": Optional[int],  # noqa: UP045 - Optional[...] is one of the two spellings a file keeps
        "maybe_too": str | None,
    }
    typed = db.create_table("typed", schema=schema)
    typed.insert(
        {
            "name": "ada",
            "score": 9.5,
            "ok": True,
            "tags": ["x", 1],
            "meta": {"k": [1, 2]},
            "pair": (1, "b"),
            "flags": {1, 2},
            "frozen": frozenset({"f"}),
            "blob": b"\x00\xff",
            "when": dt.datetime(2024, 5, 1, 9),
            "day": dt.date(2024, 5, 1),
            "at": dt.time(9, 30),
            "took": dt.timedelta(days=1, seconds=5),
            "price": Decimal("9.90"),
            "ref": uuid.UUID(int=7),
            "maybe": None,
        }
    )
    keyed = db.create_table("keyed", primary_key="code")
    for code in ("b", "a", "c"):
        keyed.insert({"code": code, "label": code.upper()})
    db.create_table("empty")
    return db


def assert_same_db(a: DictDB, b: DictDB) -> None:
    """``b`` holds exactly what ``a`` holds: tables in order, settings, counters and records."""
    assert list(a.tables) == list(b.tables)
    for name, ta in a.tables.items():
        tb = b.tables[name]
        assert type(tb) is type(ta)
        assert tb.primary_key == ta.primary_key
        assert tb.schema == ta.schema
        assert tb._next_pk == ta._next_pk
        assert {f: (type(i).__name__, i.definition) for f, i in tb.indexes.items()} == {
            f: (type(i).__name__, i.definition) for f, i in ta.indexes.items()
        }
        assert list(tb.records) == list(ta.records), f"table {name}: keys or their order differ"
        for pk, record in ta.records.items():
            assert_same(record, tb.records[pk], f"{name}[{pk!r}]")


class IndexedTable(Table):
    """A table whose ``validate_record`` has its own message, so the tests can tell that loading calls it."""

    def validate_record(self, record: dict[str, Any]) -> None:
        for field, expected in (self.schema or {}).items():
            if field in record and not isinstance(record[field], expected):
                raise SchemaValidationError(
                    f"field {field!r} must be {expected.__name__}, got {record[field]!r}"
                )


class NoIndexTable(Table):
    """A table class without ``create_index``: loading keeps its records and skips the index definitions."""

    create_index = None  # type: ignore[assignment]


class NoIndexDB(DictDB):
    """A database of ``NoIndexTable``s."""

    def create_table(
        self, table_name: str, primary_key: str = "id", schema: dict[str, Any] | None = None
    ) -> NoIndexTable:
        table = NoIndexTable(table_name, primary_key=primary_key, schema=schema)
        self.tables[table_name] = table
        return table


class IndexedDB(DictDB):
    """A database of ``IndexedTable``s."""

    def create_table(
        self, table_name: str, primary_key: str = "id", schema: dict[str, Any] | None = None
    ) -> IndexedTable:
        table = IndexedTable(table_name, primary_key=primary_key, schema=schema)
        self.tables[table_name] = table
        return table


def indexed_db() -> IndexedDB:
    db = IndexedDB()
    users = db.create_table("users", schema={"id": int, "name": str, "age": int})
    for name, age in [("ada", 36), ("bob", 17)]:
        users.insert({"name": name, "age": age})
    users.create_index("age", "sorted")
    users.create_index("name")
    users.create_index(["name", "age"], "sorted", unique=True)
    return db
