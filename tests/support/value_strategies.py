"""Hypothesis strategies for every value type the file formats hold, and an exact-equality check.

``assert_same`` is stricter than ``==``: types must match exactly (``1`` is not ``1.0`` nor ``True``),
NaN equals NaN, ``-0.0`` is not ``0.0``, Decimals compare by their text (exponent and sign included),
and datetimes and times also compare fold, offset, zone name and tzinfo type.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

# A few zones, when the machine has a tz database (Windows has none without the tzdata package): fixed
# offsets are always there.
_ZONE_KEYS = sorted(
    {"UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"} & zoneinfo.available_timezones()
)

fixed_offsets = st.builds(
    lambda minutes, name: (
        dt.timezone(dt.timedelta(minutes=minutes), name)
        if name is not None
        else dt.timezone(dt.timedelta(minutes=minutes))
    ),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
    st.none() | st.text(max_size=5),
)
tzinfos = fixed_offsets | (
    st.sampled_from(_ZONE_KEYS).map(zoneinfo.ZoneInfo) if _ZONE_KEYS else fixed_offsets
)

datetimes = st.datetimes(timezones=st.none() | tzinfos) | st.datetimes(timezones=st.none() | tzinfos).map(
    lambda value: value.replace(fold=1)
)
times = st.times(timezones=st.none() | fixed_offsets) | st.times().map(lambda value: value.replace(fold=1))

#: Hashable values (dict keys, set members); no NaN, which is never equal to itself as a key.
hashables = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(exclude_categories=()))
    | st.binary(max_size=8)
    | st.dates()
    | datetimes
    | st.decimals(allow_nan=False)
    | st.uuids(),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=5,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**700, -(10**650), 2**63, -(2**64)])
    | st.floats()
    | st.sampled_from([math.nan, math.inf, -math.inf, -0.0])
    # exclude_categories=(): lone surrogates too, which a JSON file can hold only escaped.
    | st.text(st.characters(exclude_categories=()))
    | st.sampled_from(["$", "$date", "$dict", "$x"])
    | st.binary()
    | datetimes
    | st.dates()
    | times
    | st.timedeltas()
    | st.decimals()
    | st.sampled_from(
        [Decimal("-0"), Decimal("1.100"), Decimal("sNaN"), Decimal("-Infinity"), Decimal("1E+9")]
    )
    | st.uuids()
    | tzinfos
)

#: Dicts whose one key looks like a tag: the encoder must escape them.
tag_like_dicts = st.dictionaries(
    st.sampled_from(["$date", "$dict", "$esc", "$", "$tuple"]), scalars, max_size=1
)

values = st.recursive(
    scalars | tag_like_dicts,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(hashables, inner, max_size=3)
        | st.sets(hashables, max_size=3)
        | st.frozensets(hashables, max_size=3)
        | st.dictionaries(st.sampled_from(["$date", "$tuple", "$x"]), inner, min_size=1, max_size=1)
    ),
    max_leaves=12,
)

#: A record: string field names (some shaped like tags), any values.
records = st.dictionaries(st.text(max_size=8) | st.sampled_from(["$date", "$x"]), values, max_size=6)


def assert_same(a: Any, b: Any, where: str = "value") -> None:
    """Assert ``b`` is an exact copy of ``a`` (see the module docstring)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} became {type(b).__name__} ({a!r} -> {b!r})"
    if isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b)), (
            f"{where}: {a!r} -> {b!r}"
        )
    elif isinstance(a, Decimal):
        assert str(a) == str(b), f"{where}: {a!r} -> {b!r}"
    elif isinstance(a, (dt.datetime, dt.time)):
        assert a.replace(tzinfo=None) == b.replace(tzinfo=None), f"{where}: {a!r} -> {b!r}"
        assert a.fold == b.fold, f"{where}: fold of {a!r} -> {b!r}"
        assert_same(a.tzinfo, b.tzinfo, f"{where}.tzinfo")
    elif isinstance(a, dt.timezone):
        assert a == b, f"{where}: {a!r} -> {b!r}"
        assert a.tzname(None) == b.tzname(None), f"{where}: {a!r} -> {b!r}"
    elif isinstance(a, zoneinfo.ZoneInfo):
        assert a.key == b.key, f"{where}: {a!r} -> {b!r}"
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: {a!r} -> {b!r}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert len(a) == len(b), f"{where}: {a!r} -> {b!r}"
        for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True):
            assert_same(ka, kb, f"{where} key {ka!r}")
            assert_same(va, vb, f"{where}[{ka!r}]")
    elif isinstance(a, (set, frozenset)):
        assert a == b, f"{where}: {a!r} -> {b!r}"
        for x in a:
            assert_same(x, next(y for y in b if y == x), f"{where} member {x!r}")
    else:
        assert isinstance(a, (type(None), bool, int, str, bytes, dt.date, dt.timedelta, UUID)), type(a)
        assert a == b, f"{where}: {a!r} -> {b!r}"
