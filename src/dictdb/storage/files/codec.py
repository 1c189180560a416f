"""The tagged encoding: how values JSON cannot hold are written in a JSON file, and read back exactly.

A value JSON has no type for becomes a one-key object ``{"$tag": payload}`` (docs/persistence.md lists
every tag). Any object with exactly one key that starts with ``$`` is a tag, so a user dict of that shape
is escaped by writing it in the pair form, ``{"$dict": [[key, value], ...]}``, the same form as a dict
with keys that are not strings. Plain records (str, int, float, bool, None, nested lists and dicts with
string keys) are written as they are: encoding returns the same objects, so they cost one type check per
value.

Encoding is a pass over the values that runs before the file is opened, so an unsupported value raises
before any byte is written. Decoding is ``decode_hook``, the ``object_hook`` of ``json.loads``: the JSON
parser calls it for each object, innermost first, so a tag's payload is already decoded when it runs.

The hot part runs in the core (``dictdb._core.codec``, compiled or its pure twin): ``encode_records``
walks each record once there and hands this module only the records it cannot encode itself (the rare
tags, and every error), and ``object_hook`` decodes the frequent tags there and the rest with
``decode_hook``. Both give what this module's own functions give, byte for byte and error for error.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, NoReturn
from uuid import UUID
from zoneinfo import ZoneInfo

from dictdb._core import codec as _kernel
from dictdb.exceptions import UnsupportedValueError

__all__ = [
    "MAX_DEPTH",
    "SUPPORTED_TYPES",
    "TagError",
    "decode_hook",
    "encode",
    "encode_record",
    "encode_records",
    "is_plain_mapping",
    "object_hook",
    "tag",
]

#: Values nest at most this deep (a record is depth 1, a list in one of its fields depth 2). Deeper values,
#: and values that contain themselves, raise: each level costs the JSON parser up to three levels of its
#: recursion limit (1,000 by default), so a deeper file could be written but not read back.
MAX_DEPTH = 100

#: Integers of this size or more are written as ``{"$int": hex}``: since Python 3.11, converting an int of
#: more than 4,300 digits (as low as 640 if configured) to or from decimal text raises.
_INT_LIMIT = 10**600

#: Every value type the file formats hold exactly (exact types: subclasses are refused, since they would
#: come back as their base class).
SUPPORTED_TYPES: tuple[type, ...] = (
    *(type(None), bool, int, float, str, list, dict, tuple, set, frozenset, bytes),
    *(dt.datetime, dt.date, dt.time, dt.timedelta, dt.timezone, ZoneInfo, Decimal, UUID),
)

_SUPPORTED_NAMES = "None, " + ", ".join(
    tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__name__}"
    for tp in SUPPORTED_TYPES[1:]
)

_FLOAT_NAMES = {"nan", "inf", "-inf"}


def int_digits_reason() -> str:
    """Why ``json`` refused a file's integer literal: it has more digits than this Python converts from
    text. DictDB never writes one (it tags such ints, ``$int``); another program may.

    Example:
        >>> int_digits_reason()  # doctest: +ELLIPSIS
        'an integer in it has more than ... digits, more than Python converts from text ...'
    """
    get_limit = getattr(sys, "get_int_max_str_digits", None)  # Python 3.10.7+; earlier ones have no limit
    limit = get_limit() if get_limit is not None else 4300
    return (
        f"an integer in it has more than {limit} digits, more than Python converts "
        'from text (sys.set_int_max_str_digits); DictDB writes such integers as {"$int": hex}'
    )


class TagError(ValueError):
    """A tagged object in a file is unknown or malformed; the reader turns it into a DatabaseFileError."""


class _Unencodable(Exception):
    """Raised inside the encoder; ``path`` collects the keys and indexes, innermost first, on the way out."""

    def __init__(self, value: Any, reason: str, *, too_deep: bool = False) -> None:
        super().__init__(reason)
        self.value = value
        self.reason = reason
        self.path: list[Any] = []
        #: Past MAX_DEPTH: perhaps a value that contains itself, which ``_cycle`` then finds.
        self.too_deep = too_deep


def encode_record(record: dict[Any, Any], *, table: Any, pk_field: Any) -> Any:
    """The JSON-ready form of one record: ``record`` itself when it holds only plain values.

    Raises ``UnsupportedValueError`` naming the table, the record's primary key and the field.

    Example:
        >>> from decimal import Decimal
        >>> from dictdb.storage.files.codec import encode_record
        >>> encode_record({"id": 1, "price": Decimal("9.90")}, table="items", pk_field="id")
        {'id': 1, 'price': {'$decimal': '9.90'}}
    """
    try:
        return _encode_dict(record, 1)
    except _Unencodable as exc:
        path = tuple(reversed(exc.path))
        reason = exc.reason
        cycle = _cycle(record, path) if exc.too_deep else None
        if cycle is not None:
            # Name the shortest way round the cycle, not the MAX_DEPTH steps the encoder went.
            path, reason = cycle
        field = path[0] if path else None
        pk = record.get(pk_field)
        where = f"table {table!r}, record with primary key {pk!r}"
        if path:
            where += f", {_describe_path(path)}"
        raise UnsupportedValueError(
            f"cannot save {where}: {reason}", table=table, pk=pk, field=field, path=path[1:]
        ) from None


def encode_records(records: Iterable[dict[Any, Any]], *, table: Any, pk_field: Any) -> list[Any]:
    """Each record ready for a JSON encoder whose ``default`` is ``tag``, in one call to the core: the
    record itself when its values are plain or of the types ``tag`` converts as the encoder meets them
    (datetime, date, time, timedelta, Decimal, UUID, bytes), else ``encode_record``'s encoded copy. Raises
    the error of the first record that cannot be saved, as ``encode_record`` does.

    Example:
        >>> import datetime, json
        >>> from dictdb.storage.files.codec import encode_records, tag
        >>> records = [{"id": 1, "d": datetime.date(2024, 2, 29)}, {"id": 2, "t": (1, 2)}]
        >>> encoded = encode_records(records, table="t", pk_field="id")
        >>> encoded[0] is records[0], encoded[1]
        (True, {'id': 2, 't': {'$tuple': [1, 2]}})
        >>> json.dumps(encoded[0], default=tag)
        '{"id": 1, "d": {"$date": "2024-02-29"}}'
    """

    def slow(record: dict[Any, Any]) -> Any:
        return encode_record(record, table=table, pk_field=pk_field)

    return _kernel.encode_records(records if type(records) is list else list(records), slow)


def _describe_path(path: tuple[Any, ...]) -> str:
    """``field 'a'[0]['b']``; a step repeated in a row is written once with its count, and a path of many
    different steps keeps its first and last ones.

    Example:
        >>> _describe_path(("a", 0, "b")), _describe_path(("a", *["c"] * 100, "d"))
        ("field 'a'[0]['b']", "field 'a'(['c'] x 100)['d']")
    """
    texts = [f"[{step!r}]" for step in path[1:]]
    steps = []
    for text, run in itertools.groupby(texts):
        count = len(list(run))
        steps.append(text if count == 1 else f"({text} x {count})")
    if len(steps) > 8:
        steps = [*steps[:3], f"...({len(steps) - 5} more steps)...", *steps[-2:]]
    return f"field {path[0]!r}" + "".join(steps)


def _cycle(record: dict[Any, Any], path: tuple[Any, ...]) -> tuple[tuple[Any, ...], str] | None:
    """The value, on the ``path`` the encoder went down, that contains itself: its path and the reason;
    ``None`` when the value is only deep."""
    inside = {id(record): 0}  # the containers passed, by the length of their path
    node: Any = record
    for length, step in enumerate(path, 1):
        try:
            node = node[step] if type(node) in (dict, list, tuple) else list(node)[step]
        except Exception:  # a path step this walk cannot follow: report the depth as it is
            return None
        start = inside.get(id(node))
        if start is not None:
            again = "".join(f"[{step!r}]" for step in path[start:length])
            reason = (
                f"the value contains itself (at {again}); a JSON file cannot hold a cycle (a pickle file "
                "can): break it first"
            )
            return path[:start], reason
        inside[id(node)] = length
    return None


def encode(value: Any, *, table: Any, what: str) -> Any:
    """The JSON-ready form of a value that is not a record (a table's schema, index definitions, name).

    Example:
        >>> from dictdb.storage.files.codec import encode
        >>> encode({"$weird": "hash"}, table="t", what="index definitions")
        {'$dict': [['$weird', 'hash']]}
    """
    try:
        return _encode(value, 0)
    except _Unencodable as exc:
        message = f"cannot save the {what} of table {table!r}: {exc.reason}"
        raise UnsupportedValueError(message, table=table) from None


def is_plain_mapping(mapping: dict[Any, Any]) -> bool:
    """Whether ``mapping`` is written as a JSON object as it is: string keys, and not shaped like a tag.

    Example:
        >>> from dictdb.storage.files.codec import is_plain_mapping
        >>> is_plain_mapping({"a": 1}), is_plain_mapping({"$a": 1}), is_plain_mapping({1: "a"})
        (True, False, False)
    """
    if any(type(key) is not str for key in mapping):
        return False
    return not (len(mapping) == 1 and next(iter(mapping)).startswith("$"))


# --- encoding ---------------------------------------------------------------------------------------


def _encode(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if -_INT_LIMIT < value < _INT_LIMIT else {"$int": hex(value)}
    if kind is float:
        # x - x is 0.0 exactly for finite x, NaN for NaN and the infinities.
        return value if value - value == 0.0 else {"$float": repr(value)}
    if kind is dict:
        return _encode_dict(value, depth + 1)
    if kind is list:
        return _encode_list(value, depth + 1)
    encoder = _ENCODERS.get(kind)
    if encoder is None:
        raise _Unencodable(
            value,
            f"a value of type {_type_name(kind)} cannot be saved; the supported types are {_SUPPORTED_NAMES} "
            "(exact types, not subclasses): convert it to one of them first",
        )
    return encoder(value, depth + 1)


def _encode_dict(mapping: dict[Any, Any], depth: int) -> Any:
    if depth > MAX_DEPTH:
        _too_deep(mapping)
    changed: dict[str, Any] | None = None
    key: Any = None
    for key, value in mapping.items():
        if type(key) is not str:
            return _encode_pairs(mapping, depth)
        # The plain types are tested inline: this loop runs for every field of every record.
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is int:
            if -_INT_LIMIT < value < _INT_LIMIT:
                continue
        elif kind is float and value - value == 0.0:
            continue
        try:
            encoded = _encode(value, depth)
        except _Unencodable as exc:
            exc.path.append(key)
            raise
        if encoded is not value:
            if changed is None:
                changed = {}
            changed[key] = encoded
    if len(mapping) == 1 and key.startswith("$"):
        return _encode_pairs(mapping, depth)
    # Merging keeps the record's field order: every changed key already exists in it.
    return mapping if changed is None else {**mapping, **changed}


def _encode_list(items: list[Any], depth: int) -> list[Any]:
    if depth > MAX_DEPTH:
        _too_deep(items)
    changed: list[Any] | None = None
    for index, item in enumerate(items):
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_INT_LIMIT < item < _INT_LIMIT:
                continue
        elif kind is float and item - item == 0.0:
            continue
        try:
            encoded = _encode(item, depth)
        except _Unencodable as exc:
            exc.path.append(index)
            raise
        if encoded is not item:
            if changed is None:
                changed = list(items)
            changed[index] = encoded
    return items if changed is None else changed


def _encode_items(items: Any, depth: int) -> list[Any]:
    """The members of a tuple, set or frozenset, as a new list."""
    if depth > MAX_DEPTH:
        _too_deep(items)
    out = []
    for index, item in enumerate(items):
        try:
            out.append(_encode(item, depth))
        except _Unencodable as exc:
            exc.path.append(index)
            raise
    return out


def _encode_pairs(mapping: dict[Any, Any], depth: int) -> dict[str, Any]:
    pairs = []
    for key, value in mapping.items():
        try:
            encoded_key = _encode(key, depth)
        except _Unencodable as exc:
            raise _Unencodable(key, f"dict key {key!r}: {exc.reason}", too_deep=exc.too_deep) from None
        try:
            pairs.append([encoded_key, _encode(value, depth)])
        except _Unencodable as exc:
            exc.path.append(key)
            raise
    return {"$dict": pairs}


def _too_deep(value: Any) -> NoReturn:
    raise _Unencodable(
        value,
        f"the value is nested more than {MAX_DEPTH} levels deep, or contains itself: flatten it first",
        too_deep=True,
    )


def _type_name(kind: type) -> str:
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return repr(name)


def _is_default_offset(tz: dt.tzinfo) -> bool:
    """A ``datetime.timezone`` whose name is the one its offset implies (``UTC``, ``UTC+02:00``)."""
    return type(tz) is dt.timezone and tz.tzname(None) == dt.timezone(tz.utcoffset(None)).tzname(None)


def _encode_clock(value: dt.datetime | dt.time, tag: str, depth: int) -> dict[str, Any]:
    """datetime and time: ISO text when that says it all, else ``[wall time, fold, tzinfo]``."""
    tz = value.tzinfo
    if tz is not None and type(tz) not in (dt.timezone, ZoneInfo):
        raise _Unencodable(
            value,
            f"a {type(value).__name__} whose tzinfo is of type {_type_name(type(tz))} cannot be saved: "
            "use datetime.timezone or zoneinfo.ZoneInfo",
        )
    if value.fold == 0 and (tz is None or _is_default_offset(tz)):
        return {tag: value.isoformat()}
    wall = value.replace(tzinfo=None, fold=0).isoformat()
    return {tag: [wall, value.fold, None if tz is None else _encode(tz, depth)]}


def _timedelta_payload(value: dt.timedelta) -> list[int]:
    return [value.days, value.seconds, value.microseconds]


def _encode_timezone(value: dt.timezone, depth: int) -> dict[str, Any]:
    offset = value.utcoffset(None)
    name = None if _is_default_offset(value) else value.tzname(None)
    return {"$timezone": [_timedelta_payload(offset), name]}


def _encode_zoneinfo(value: ZoneInfo, depth: int) -> dict[str, Any]:
    if value.key is None:
        raise _Unencodable(value, "a ZoneInfo made from a file has no key to save: use ZoneInfo(key)")
    return {"$zoneinfo": value.key}


_ENCODERS: dict[type, Callable[[Any, int], Any]] = {
    tuple: lambda value, depth: {"$tuple": _encode_items(value, depth)},
    set: lambda value, depth: {"$set": _encode_items(value, depth)},
    frozenset: lambda value, depth: {"$frozenset": _encode_items(value, depth)},
    bytes: lambda value, depth: {"$bytes": base64.b64encode(value).decode("ascii")},
    dt.datetime: lambda value, depth: _encode_clock(value, "$datetime", depth),
    dt.date: lambda value, depth: {"$date": value.isoformat()},
    dt.time: lambda value, depth: _encode_clock(value, "$time", depth),
    dt.timedelta: lambda value, depth: {"$timedelta": _timedelta_payload(value)},
    dt.timezone: _encode_timezone,
    ZoneInfo: _encode_zoneinfo,
    Decimal: lambda value, depth: {"$decimal": str(value)},
    UUID: lambda value, depth: {"$uuid": str(value)},
}


# --- decoding ---------------------------------------------------------------------------------------


def decode_hook(obj: dict[str, Any]) -> Any:
    """``object_hook`` for ``json.loads``: a tag becomes its value; any other object stays as it is.

    Raises ``TagError`` for an unknown tag or a malformed payload.

    Example:
        >>> import json
        >>> from dictdb.storage.files.codec import decode_hook
        >>> text = '{"when": {"$date": "2024-02-29"}, "t": {"$tuple": [1, 2]}}'
        >>> json.loads(text, object_hook=decode_hook)
        {'when': datetime.date(2024, 2, 29), 't': (1, 2)}
    """
    if len(obj) != 1:
        return obj
    ((tag, payload),) = obj.items()
    if not tag.startswith("$"):
        return obj
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise TagError(f"unknown tag {tag!r} (this DictDB knows {', '.join(sorted(_DECODERS))})")
    try:
        return decoder(payload)
    except (TypeError, ValueError, LookupError, ArithmeticError, OSError, binascii.Error) as exc:
        # OSError: zoneinfo reading a tz database entry that is not a zone (a folder, an unreadable file).
        raise TagError(f"malformed {tag} value {_short(payload)}: {exc}") from None


#: The ``default`` of the JSON encoder that writes what ``encode_records`` returns: the tagged form of a
#: datetime, date, time, timedelta, Decimal, UUID or bytes it left in a record (``TypeError`` for others).
tag: Callable[[Any], Any] = _kernel.tag

#: The ``object_hook`` the readers give ``json.loads``: ``decode_hook``'s values and errors, with the
#: frequent tags (datetime, date, Decimal, bytes, UUID, tuple, set, frozenset) decoded in the core.
object_hook: Callable[[dict[str, Any]], Any] = _kernel.make_decode_hook(decode_hook)


def _short(payload: Any) -> str:
    text = repr(payload)
    return text if len(text) <= 80 else text[:77] + "..."


def _expect(payload: Any, kind: type) -> Any:
    if type(payload) is not kind:
        raise TypeError(f"expected a JSON {'array' if kind is list else 'string'}")
    return payload


def _decode_int(payload: Any) -> int:
    return int(_expect(payload, str), 16)


def _decode_float(payload: Any) -> float:
    if payload not in _FLOAT_NAMES:
        raise ValueError(f"expected one of {sorted(_FLOAT_NAMES)}")
    return float(payload)


def _decode_pairs(payload: Any) -> dict[Any, Any]:
    out = {}
    for pair in _expect(payload, list):
        if type(pair) is not list or len(pair) != 2:
            raise ValueError("each pair must be a [key, value] array")
        out[pair[0]] = pair[1]
    return out


def _decode_bytes(payload: Any) -> bytes:
    return base64.b64decode(_expect(payload, str), validate=True)


def _decode_timedelta(payload: Any) -> dt.timedelta:
    parts = _expect(payload, list)
    if len(parts) != 3 or any(type(part) is not int for part in parts):
        raise ValueError("expected [days, seconds, microseconds] integers")
    return dt.timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2])


def _decode_timezone(payload: Any) -> dt.timezone:
    parts = _expect(payload, list)
    if len(parts) != 2 or (parts[1] is not None and type(parts[1]) is not str):
        raise ValueError("expected [offset, name or null]")
    offset = _decode_timedelta(parts[0])
    return dt.timezone(offset) if parts[1] is None else dt.timezone(offset, parts[1])


def _decode_zoneinfo(payload: Any) -> ZoneInfo:
    # Looks a zone up by name in the system's tz database (or the tzdata package); zoneinfo refuses keys
    # that are paths, so this reads nothing outside the tz database.
    return ZoneInfo(_expect(payload, str))


def _decode_clock(payload: Any, parse: Callable[[str], Any]) -> Any:
    if type(payload) is str:
        return parse(payload)
    parts = _expect(payload, list)
    if len(parts) != 3 or type(parts[0]) is not str or parts[1] not in (0, 1) or type(parts[1]) is not int:
        raise ValueError("expected an ISO string or [wall time, fold, tzinfo]")
    tz = parts[2]
    if tz is not None and type(tz) not in (dt.timezone, ZoneInfo):
        raise ValueError("the tzinfo must be null, a $timezone or a $zoneinfo")
    wall = parse(parts[0])
    if wall.tzinfo is not None:
        raise ValueError("the wall time of the array form has no offset")
    return wall.replace(tzinfo=tz, fold=parts[1])


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$dict": _decode_pairs,
    "$tuple": lambda payload: tuple(_expect(payload, list)),
    "$set": lambda payload: set(_expect(payload, list)),
    "$frozenset": lambda payload: frozenset(_expect(payload, list)),
    "$int": _decode_int,
    "$float": _decode_float,
    "$bytes": _decode_bytes,
    "$datetime": lambda payload: _decode_clock(payload, dt.datetime.fromisoformat),
    "$date": lambda payload: dt.date.fromisoformat(_expect(payload, str)),
    "$time": lambda payload: _decode_clock(payload, dt.time.fromisoformat),
    "$timedelta": _decode_timedelta,
    "$timezone": _decode_timezone,
    "$zoneinfo": _decode_zoneinfo,
    "$decimal": lambda payload: Decimal(_expect(payload, str)),
    "$uuid": lambda payload: UUID(_expect(payload, str)),
}
