"""The tagged JSON encoding (dictdb.storage.files.codec): every supported value round-trips exactly through
JSON text, tag-shaped user dicts are escaped, and anything else is refused with its table, pk and field."""

from __future__ import annotations

import collections
import datetime as dt
import enum
import io
import json
import math
import struct
import zoneinfo
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings

from dictdb.exceptions import DictDBError, UnsupportedValueError
from dictdb.storage.files import codec
from tests.support.value_strategies import assert_same, records, values


def to_json(record: dict[Any, Any]) -> str:
    # allow_nan=False: the encoder must have tagged every NaN and infinity.
    return json.dumps(codec.encode_record(record, table="t", pk_field="id"), allow_nan=False)


def from_json(text: str) -> Any:
    return json.loads(text, object_hook=codec.decode_hook)


def round_trip(value: Any) -> Any:
    return from_json(to_json({"v": value}))["v"]


@settings(max_examples=400, deadline=None)
@given(values)
def test_every_supported_value_round_trips_exactly(value: Any) -> None:
    assert_same(value, round_trip(value))


@settings(max_examples=200, deadline=None)
@given(records)
def test_records_round_trip_exactly(record: dict[str, Any]) -> None:
    assert_same(record, from_json(to_json(record)), "record")


UTC = dt.timezone.utc
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# Each tag, as docs/persistence.md shows it: the value and the JSON that encodes it.
TAGGED = [
    (dt.datetime(2024, 5, 1, 12, 30), '{"$datetime": "2024-05-01T12:30:00"}'),
    (dt.datetime(2024, 5, 1, 12, 30, tzinfo=UTC), '{"$datetime": "2024-05-01T12:30:00+00:00"}'),
    (
        dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        '{"$datetime": "2024-05-01T12:30:00+02:00"}',
    ),
    (
        dt.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=PARIS),
        '{"$datetime": ["2024-10-27T02:30:00", 1, {"$zoneinfo": "Europe/Paris"}]}',
    ),
    (
        dt.datetime(2024, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5), "EST")),
        '{"$datetime": ["2024-05-01T00:00:00", 0, {"$timezone": [[-1, 68400, 0], "EST"]}]}',
    ),
    (dt.date(2024, 2, 29), '{"$date": "2024-02-29"}'),
    (dt.time(8, 15, 0, 250), '{"$time": "08:15:00.000250"}'),
    (dt.time(8, 15, tzinfo=PARIS), '{"$time": ["08:15:00", 0, {"$zoneinfo": "Europe/Paris"}]}'),
    (dt.timedelta(days=-1, seconds=5, microseconds=7), '{"$timedelta": [-1, 5, 7]}'),
    (UTC, '{"$timezone": [[0, 0, 0], null]}'),
    (PARIS, '{"$zoneinfo": "Europe/Paris"}'),
    (Decimal("9.90"), '{"$decimal": "9.90"}'),
    (Decimal("-NaN"), '{"$decimal": "-NaN"}'),
    (UUID("12345678-1234-5678-1234-567812345678"), '{"$uuid": "12345678-1234-5678-1234-567812345678"}'),
    (b"\x00\xffhi", '{"$bytes": "AP9oaQ=="}'),
    ((1, "a"), '{"$tuple": [1, "a"]}'),
    ({3}, '{"$set": [3]}'),
    (frozenset({"x"}), '{"$frozenset": ["x"]}'),
    ({1: "one", (2, 3): None}, '{"$dict": [[1, "one"], [{"$tuple": [2, 3]}, null]]}'),
    ({"$date": "2024-01-01"}, '{"$dict": [["$date", "2024-01-01"]]}'),
    (math.nan, '{"$float": "nan"}'),
    (-math.inf, '{"$float": "-inf"}'),
    (-(16**520), '{"$int": "-0x1' + "0" * 520 + '"}'),
]


@pytest.mark.parametrize(("value", "encoded"), TAGGED, ids=lambda v: type(v).__name__)
def test_each_tag_has_the_documented_form(value: Any, encoded: str) -> None:
    assert json.dumps(codec.encode(value, table="t", what="value")) == encoded
    assert_same(value, from_json(encoded))


def test_plain_values_are_written_as_json_and_not_copied() -> None:
    nested = {"tags": ["a", 1, 2.5, True, None], "deep": {"k": [{"x": -0.0}]}}
    record = {"id": 1, "name": "ada", **nested}
    assert codec.encode_record(record, table="t", pk_field="id") is record
    assert json.loads(to_json(record)) == record


def test_encoding_never_changes_the_record() -> None:
    when = dt.datetime(2024, 1, 1)
    tags = ["a", (1, 2)]
    record = {"id": 1, "when": when, "tags": tags, "plain": "x"}
    encoded = codec.encode_record(record, table="t", pk_field="id")
    assert encoded == {
        "id": 1,
        "when": {"$datetime": "2024-01-01T00:00:00"},
        "tags": ["a", {"$tuple": [1, 2]}],
        "plain": "x",
    }
    assert record == {"id": 1, "when": when, "tags": ["a", (1, 2)], "plain": "x"}
    assert record["tags"] is tags
    assert list(encoded) == list(record)


@pytest.mark.parametrize("key", ["$date", "$", "$unknown", "$dict"])
def test_a_dict_shaped_like_a_tag_is_escaped(key: str) -> None:
    value = {key: [1, 2]}
    assert codec.encode(value, table="t", what="value") == {"$dict": [[key, [1, 2]]]}
    assert_same(value, round_trip(value))
    # A record with a single tag-shaped field, such as a primary key named "$id", too.
    assert_same({key: 1}, from_json(to_json({key: 1})))


def test_is_plain_mapping() -> None:
    assert codec.is_plain_mapping({})
    assert codec.is_plain_mapping({"a": 1, "$b": 2})
    assert not codec.is_plain_mapping({"$b": 2})
    assert not codec.is_plain_mapping({1: 2})


class Color(enum.IntEnum):
    RED = 1


class Text(str):
    pass


class LocalTz(dt.tzinfo):
    def utcoffset(self, value: object) -> dt.timedelta:
        return dt.timedelta(hours=1)


UNSUPPORTED = [
    object(),
    bytearray(b"x"),
    1j,
    Color.RED,
    Text("subclass"),
    collections.OrderedDict(a=1),
    len,
    dt.datetime(2024, 1, 1, tzinfo=LocalTz()),
]


@pytest.mark.parametrize("bad", UNSUPPORTED, ids=lambda v: type(v).__name__)
def test_an_unsupported_value_names_table_pk_field_and_position(bad: Any) -> None:
    record = {"id": 7, "name": "ada", "meta": {"a": [1, bad]}}
    with pytest.raises(UnsupportedValueError) as caught:
        codec.encode_record(record, table="users", pk_field="id")
    err = caught.value
    assert (err.table, err.pk, err.field, err.path) == ("users", 7, "meta", ("a", 1))
    assert "table 'users', record with primary key 7, field 'meta'['a'][1]" in str(err)
    assert isinstance(err, TypeError)
    assert isinstance(err, DictDBError)


def test_an_unsupported_dict_key_is_named() -> None:
    with pytest.raises(UnsupportedValueError, match=r"field 'm': dict key .*object"):
        codec.encode_record({"id": 1, "m": {object(): 1}}, table="t", pk_field="id")


def test_a_zoneinfo_without_key_is_refused() -> None:
    # A minimal TZif file (no transitions, one type: UTC+1), so no tz database is needed.
    tzif = (
        b"TZif"
        + bytes(16)
        + struct.pack(">6l", 0, 0, 0, 0, 1, 4)
        + struct.pack(">lbb", 3600, 0, 0)
        + b"ONE\0"
    )
    zone = zoneinfo.ZoneInfo.from_file(io.BytesIO(tzif))
    with pytest.raises(UnsupportedValueError, match="ZoneInfo made from a file"):
        codec.encode_record({"id": 1, "tz": zone}, table="t", pk_field="id")


def test_nesting_is_bounded_and_self_containing_values_are_refused() -> None:
    deep: Any = "leaf"
    wrappers = [lambda v: [v], lambda v: (v,), lambda v: {"k": v}, lambda v: {(1, "k"): v}]
    for level in range(codec.MAX_DEPTH - 1):  # the record itself is level 1
        deep = wrappers[level % len(wrappers)](deep)
    assert_same(deep, from_json(to_json({"v": deep}))["v"])
    with pytest.raises(UnsupportedValueError, match="nested more than 100 levels"):
        codec.encode_record({"id": 1, "v": [deep]}, table="t", pk_field="id")
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(UnsupportedValueError, match="contains itself"):
        codec.encode_record({"id": 1, "v": loop}, table="t", pk_field="id")


def test_the_deepest_value_in_the_heaviest_form_can_be_parsed_back() -> None:
    # Non-string keys cost three JSON levels per level ({"$dict": [[k, v]]}): still within the parser's
    # recursion limit at MAX_DEPTH.
    deep: Any = 0
    for _ in range(codec.MAX_DEPTH - 1):
        deep = {1: deep}
    assert_same(deep, from_json(to_json({"v": deep}))["v"])


MALFORMED = [
    '{"$nope": 1}',
    '{"$datetime": 5}',
    '{"$datetime": ["2024-01-01T00:00:00+01:00", 0, null]}',
    '{"$datetime": ["2024-01-01T00:00:00", 2, null]}',
    '{"$datetime": ["2024-01-01T00:00:00", 0, "UTC"]}',
    '{"$time": "25:00"}',
    '{"$date": "2024-13-01"}',
    '{"$tuple": "ab"}',
    '{"$set": [[1]]}',
    '{"$bytes": "!!"}',
    '{"$float": "1.5"}',
    '{"$int": "zz"}',
    '{"$int": 5}',
    '{"$dict": [[1]]}',
    '{"$dict": {"a": 1}}',
    '{"$timedelta": [1, 2]}',
    '{"$timedelta": [1, 2, true]}',
    '{"$timedelta": [1000000000, 0, 0]}',
    '{"$timezone": [[1, 0, 0], null]}',
    '{"$timezone": [[0, 0, 0], 5]}',
    '{"$zoneinfo": "../../etc/passwd"}',
    '{"$zoneinfo": "No/Such_Zone"}',
    '{"$zoneinfo": "America"}',
    '{"$decimal": "abc"}',
    '{"$decimal": 1.5}',
    '{"$uuid": "not-a-uuid"}',
]


@pytest.mark.parametrize("text", MALFORMED)
def test_a_malformed_or_unknown_tag_raises_tag_error(text: str) -> None:
    with pytest.raises(codec.TagError):
        from_json(text)


def test_objects_with_several_keys_or_plain_keys_are_left_alone() -> None:
    assert from_json('{"$date": "2024-01-01", "x": 1}') == {"$date": "2024-01-01", "x": 1}
    assert from_json('{"date": "2024-01-01"}') == {"date": "2024-01-01"}
