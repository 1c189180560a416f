"""``_core.codec``: the JSON files' tagged encoding, against both cores and the codec's own functions.

The reference is what ``storage/files/codec.py`` does alone: ``encode_record`` for each record, then
``json``'s encoder, one text per record, joined by ``",\\n"`` (how a file holds them); reading, ``json.loads``
with ``codec.decode_hook``. Each core's kernel must give the same text byte for byte, the same decoded
values (types, tzinfo and fold included) and the same errors with the same messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import math
import uuid
from decimal import Decimal
from json.encoder import c_make_encoder, encode_basestring_ascii
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dictdb.exceptions import UnsupportedValueError
from dictdb.storage.files import codec
from tests.conftest import load_core

REFERENCE_DUMPS = json.JSONEncoder(ensure_ascii=True, allow_nan=False, check_circular=False).encode
UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))
PARIS = ZoneInfo("Europe/Paris")


def reference_text(records: list[Any]) -> str:
    return ",\n".join(REFERENCE_DUMPS(codec.encode_record(r, table="t", pk_field="id")) for r in records)


def slow(record: Any) -> Any:
    return codec.encode_record(record, table="t", pk_field="id")


def kernel_text(core: SimpleNamespace, records: list[Any]) -> str:
    """The text through ``core``'s kernel, by both ways the file writer may take: the C encoder and
    ``JSONEncoder``, each with the kernel's ``tag`` as its ``default``."""
    encoded = core.codec.encode_records(records, slow)
    encoder = c_make_encoder(
        None, core.codec.tag, encode_basestring_ascii, None, ": ", ", ", False, False, False
    )
    text = core.codec.dump_records(encoded, 0, len(encoded), encoder)
    dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, check_circular=False, default=core.codec.tag)
    assert ",\n".join(map(dumps.encode, encoded)) == text
    return text


def shape(value: Any) -> Any:
    """``value`` with every type, tzinfo and fold spelled out: equal shapes mean identical values."""
    if isinstance(value, dict):
        return ("dict", [(shape(k), shape(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [shape(v) for v in value])
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, sorted(map(repr, value)))
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    if isinstance(value, (dt.datetime, dt.time)):
        return (type(value).__name__, repr(value), value.fold, repr(value.tzinfo))
    return (type(value).__name__, repr(value))


def decode_both(core: SimpleNamespace, text: str) -> Any:
    expected = json.loads(text, object_hook=codec.decode_hook)
    found = json.loads(text, object_hook=core.codec.make_decode_hook(codec.decode_hook))
    assert shape(found) == shape(expected)
    return found


# Every kind of value, each in a record of its own and all together.
EVERY_KIND: list[Any] = [
    None,
    True,
    0,
    -(2**63),
    2**64,
    10**600,
    -(10**600),
    10**600 - 1,
    1.5,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    "text",
    "é\n\u2028\U0001f600\x7f",
    "$not a tag",
    b"",
    b"\x00\xffbytes",
    dt.datetime(2024, 2, 29, 12, 30),
    dt.datetime(2024, 2, 29, 12, 30, 5, 7),
    dt.datetime(1, 1, 1, tzinfo=UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2024, 2, 29, 12, 30, tzinfo=PLUS2),
    dt.datetime(2024, 2, 29, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-3), "BRT")),
    dt.datetime(2024, 2, 29, 12, 30, tzinfo=dt.timezone(dt.timedelta(seconds=1, microseconds=5))),
    dt.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=PARIS),
    dt.datetime(2024, 10, 27, 2, 30, tzinfo=PARIS),
    dt.datetime(2024, 10, 27, 2, 30, fold=1),
    dt.date(1, 1, 1),
    dt.date(2024, 2, 29),
    dt.time(0, 0),
    dt.time(23, 59, 59, 1, tzinfo=UTC),
    dt.time(1, 2, fold=1),
    dt.time(1, 2, tzinfo=PARIS),
    dt.timedelta(days=-1, seconds=5, microseconds=7),
    UTC,
    PLUS2,
    PARIS,
    Decimal("9.90"),
    Decimal("-0"),
    Decimal("NaN"),
    Decimal("1E+30"),
    uuid.UUID(int=12345),
    (),
    (1, (2, dt.date(2024, 1, 1))),
    {1, 2},
    frozenset({"a", (1, 2)}),
    [],
    [1, [dt.date(2024, 1, 1), {"a": Decimal(1)}], (3,)],
    {},
    {"a": {"b": [dt.datetime(2024, 1, 1)]}},
    {"$x": 1},
    {"$x": 1, "y": 2},
    {"": 1},
    {1: "one", (2, 3): None},
    {"a": {"$": dt.date(2024, 1, 1)}},
]


def test_every_kind_identical(core: SimpleNamespace) -> None:
    records = [{"id": i, "v": value} for i, value in enumerate(EVERY_KIND)]
    records.append({"id": -1, **{f"f{i}": value for i, value in enumerate(EVERY_KIND)}})
    records.append({"id": -2, "$tag-shaped": None})
    records.append({"$only": 1})
    for record in records:
        text = kernel_text(core, [record])
        assert text == reference_text([record]), record
        decode_both(core, text)
    assert kernel_text(core, records) == reference_text(records)


def test_plain_records_are_returned_as_they_are(core: SimpleNamespace) -> None:
    records = [{"id": 1, "a": [1, {"b": "c"}]}, {"id": 2, "d": dt.date(2024, 1, 1), "e": [Decimal(1)]}]
    encoded = core.codec.encode_records(records, slow)
    assert encoded[0] is records[0]
    assert encoded[1] is records[1]  # tagged as it is written, by ``tag``: no copy
    copied = core.codec.encode_records([{"id": 3, "t": (1, 2)}], slow)
    assert copied == [{"id": 3, "t": {"$tuple": [1, 2]}}]


def test_slow_gets_the_records_the_kernel_leaves(core: SimpleNamespace) -> None:
    seen: list[Any] = []

    def record_slow(record: Any) -> Any:
        seen.append(record)
        return "slow"

    records = [{"id": 1}, {1: 2}, {"$x": 1}, {"t": dt.datetime(2024, 1, 1, tzinfo=PARIS)}, {"z": object()}]
    assert core.codec.encode_records(records, record_slow) == [{"id": 1}, "slow", "slow", "slow", "slow"]
    assert seen == records[1:]


def test_tag_refuses_what_it_does_not_write(core: SimpleNamespace) -> None:
    assert core.codec.tag(dt.date(2024, 1, 2)) == {"$date": "2024-01-02"}
    for value in (object(), (1,), dt.datetime(2024, 1, 1, tzinfo=PARIS), dt.time(1, fold=1), 1):
        with pytest.raises(TypeError, match="is not JSON serializable"):
            core.codec.tag(value)


def test_constants_are_the_codecs(core: SimpleNamespace) -> None:
    assert core.codec.MAX_DEPTH == codec.MAX_DEPTH
    assert core.codec.INT_LIMIT == codec._INT_LIMIT


class Opaque:
    pass


class MyInt(int):
    pass


class MyStr(str):
    pass


class OtherTz(dt.tzinfo):
    def utcoffset(self, when: Any) -> dt.timedelta:
        return dt.timedelta(0)


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def cyclic() -> Any:
    value: list[Any] = []
    value.append(value)
    return value


@pytest.mark.parametrize(
    "bad",
    [
        Opaque(),
        MyInt(3),
        MyStr("x"),
        dt.datetime(2024, 1, 1, tzinfo=OtherTz()),
        dt.time(1, tzinfo=OtherTz()),
        Opaque,  # a type
        deep(codec.MAX_DEPTH),
        (deep(codec.MAX_DEPTH),),
        {"a": deep(codec.MAX_DEPTH)},
        cyclic(),
        {MyStr("k"): 1},
        {(1, Opaque()): 1},
        {1.5j: 2},
    ],
)
def test_errors_are_the_codecs(core: SimpleNamespace, bad: Any) -> None:
    records = [{"id": 1, "ok": dt.date(2024, 1, 1)}, {"id": 2, "x": [bad]}, {"id": 3, "y": Opaque()}]
    with pytest.raises(UnsupportedValueError) as expected:
        [slow(record) for record in records]
    with pytest.raises(UnsupportedValueError) as found:
        core.codec.encode_records(records, functools.partial(codec.encode_record, table="t", pk_field="id"))
    assert str(found.value) == str(expected.value)
    assert (found.value.pk, found.value.field, found.value.path) == (
        expected.value.pk,
        "x",
        expected.value.path,
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"$date": "2024-02-30"}',
        '{"$date": "2024-2-3"}',
        '{"$date": "0000-01-01"}',
        '{"$date": 5}',
        '{"$datetime": "2024-13-01T00:00:00"}',
        '{"$datetime": "2024-01-01T24:00:00"}',
        '{"$datetime": "2024-01-01T00:00:00+25:00"}',
        '{"$datetime": "2024-01-01T00:00:00.12345x"}',
        '{"$datetime": "nope"}',
        '{"$datetime": ["2024-01-01T00:00:00", 2, null]}',
        '{"$bytes": "!!"}',
        '{"$bytes": "\\u00e9"}',
        '{"$decimal": "x"}',
        '{"$decimal": 1}',
        '{"$uuid": "x"}',
        '{"$set": [[1]]}',
        '{"$frozenset": [{"a": 1}]}',
        '{"$tuple": "ab"}',
        '{"$timedelta": [1, 2]}',
        '{"$int": "zz"}',
        '{"$float": "1.5"}',
        '{"$unknown": 1}',
        '{"$dict": [[1]]}',
    ],
)
def test_malformed_tags_raise_the_codecs_error(core: SimpleNamespace, text: str) -> None:
    outcomes = []
    for hook in (codec.decode_hook, core.codec.make_decode_hook(codec.decode_hook)):
        try:
            outcomes.append(("value", shape(json.loads(text, object_hook=hook))))
        except codec.TagError as exc:
            outcomes.append(("error", str(exc)))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(
    "text",
    [
        '{"$date": "2024-02-29"}',
        '{"$datetime": "2024-02-29T12:30:00"}',
        '{"$datetime": "2024-02-29T12:30:00.000000"}',
        '{"$datetime": "2024-02-29T12:30:00.000001+00:00"}',
        '{"$datetime": "2024-02-29 12:30:00"}',
        '{"$datetime": "2024-02-29T12:30:00.123"}',
        '{"$datetime": "2024-02-29T12:30:00-00:00"}',
        '{"$datetime": "2024-02-29T12:30:00+02:00"}',
        '{"$datetime": "2024-02-29T12:30"}',
        '{"$datetime": "2024-02-29"}',
        '{"$datetime": "\\uff12024-02-29T12:30:00"}',
        '{"a": {"$date": "2024-02-29"}, "b": 1}',
        '{"$x": 1, "$y": 2}',
        '{"x": 1}',
        "{}",
    ],
)
def test_decoding_matches_the_codec(core: SimpleNamespace, text: str) -> None:
    try:
        expected = shape(json.loads(text, object_hook=codec.decode_hook))
    except codec.TagError as exc:
        expected = str(exc)
    try:
        found = shape(json.loads(text, object_hook=core.codec.make_decode_hook(codec.decode_hook)))
    except codec.TagError as exc:
        found = str(exc)
    assert found == expected


def test_dump_records_slices(core: SimpleNamespace) -> None:
    records = [{"id": i} for i in range(5)]
    encoder = c_make_encoder(
        None, core.codec.tag, encode_basestring_ascii, None, ": ", ", ", False, False, False
    )
    assert core.codec.dump_records(records, 1, 3, encoder) == '{"id": 1},\n{"id": 2}'
    assert core.codec.dump_records(records, 4, 99, encoder) == '{"id": 4}'
    assert core.codec.dump_records(records, 5, 6, encoder) == ""


# --- the differential: random nested records with every tagged type --------------------------------

zones = st.sampled_from([None, UTC, PLUS2, dt.timezone(dt.timedelta(hours=-5), "EST"), PARIS])
datetimes = st.builds(
    lambda d, tz, fold: d.replace(tzinfo=tz, fold=fold),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
    zones,
    st.sampled_from([0, 0, 0, 1]),
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**600, -(10**600), 10**600 - 1, 2**63, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["$", "$date", "é", "\U0001f600", "\x00"]),
    st.binary(max_size=6),
    datetimes,
    st.dates(),
    st.times(timezones=st.sampled_from([None, UTC, PLUS2])),
    st.timedeltas(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.uuids(),
    st.sampled_from([UTC, PLUS2, PARIS]),
)
hashables = st.recursive(
    st.one_of(st.integers(), st.text(max_size=3), st.dates(), st.none()),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=5,
)
keys = st.one_of(st.text(max_size=4), st.sampled_from(["$", "$x", "$date", "$dict"]))
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.sets(hashables, max_size=3),
        st.frozensets(hashables, max_size=3),
        st.dictionaries(keys, inner, max_size=3),
        st.dictionaries(hashables, inner, max_size=2),
    ),
    max_leaves=12,
)
records = st.lists(st.dictionaries(keys, values, max_size=5), max_size=6)


@settings(max_examples=400, deadline=None)
@given(records)
def test_differential_compiled_pure_and_codec(records: list[dict[Any, Any]]) -> None:
    cores = [load_core("python")]
    with contextlib.suppress(ImportError):  # not built: the pure core alone
        cores.append(load_core("cython"))
    expected = reference_text(records)
    for core in cores:
        assert kernel_text(core, records) == expected
        decode_both(core, "[" + expected + "]")
