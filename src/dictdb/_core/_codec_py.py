"""The JSON files' tagged encoding, the hot part: the pure-Python twin of ``_codec.pyx``.

``storage/files/codec.py`` defines the encoding and owns its errors. This module does the common cases in
one walk per record: plain values (str, int, float, bool, None, lists, dicts with str keys) cost a type
test each and leave the record as it is, and the frequent tagged values (datetime, date, time, timedelta,
Decimal, UUID, bytes, tuples, sets, huge ints, NaN and the infinities) are converted here. A record holding
anything else (a key that is not a str, a dict shaped like a tag, a tzinfo other than a default-named
``datetime.timezone``, a fold, an unsupported type, too deep a nesting) is handed whole to the caller's
``slow`` encoder, which encodes it or raises the error naming it.

Decoding is the ``object_hook`` of ``json.loads``: an object that is not a tag is returned at the cost of a
size test, the frequent tags are decoded by the same calls the codec makes, and anything else (including
every malformed payload) is handed to the codec's own hook, which decodes it or raises its error.
"""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = ["INT_LIMIT", "MAX_DEPTH", "dump_records", "encode_records", "make_decode_hook", "tag"]

#: As ``codec.MAX_DEPTH``: values nest at most this deep (a record is depth 1).
MAX_DEPTH = 100
#: As ``codec``'s: ints of this size or more are tagged ``$int``.
INT_LIMIT = 10**600

# The value the walk returns for a value it leaves to the caller's ``slow`` encoder.
_SLOW: Any = object()

_utc = _dt.timezone.utc


# --- encoding ---------------------------------------------------------------------------------------


# What a value needs, from least to most: nothing; ``tag`` (called by the JSON encoder as its
# ``default``); an encoded copy of its record (``_encode_dict``); the codec's own encoder.
PLAIN, TAGGED, COPY, SLOW = 0, 1, 2, 3

_TAGGED_TYPES = (_dt.date, Decimal, bytes, _dt.timedelta, UUID)
_COPY_TYPES = (int, float, tuple, set, frozenset)


def encode_records(records: list[Any], slow: Callable[[Any], Any]) -> list[Any]:
    """Each record ready for a JSON encoder whose ``default`` is ``tag``, in order: the record itself when
    its only values that JSON has no type for are those ``tag`` converts (datetime, date, time, timedelta,
    Decimal, UUID, bytes), else an encoded copy; ``slow(record)`` for a record this walk leaves to the
    codec (its result, or its error, is the codec's). The records returned as they are cost no memory."""
    out = []
    for record in records:
        need = _needs_dict(record, 1) if type(record) is dict else SLOW
        if need <= TAGGED:
            out.append(record)
            continue
        encoded = _encode_dict(record, 1) if need == COPY else _SLOW
        out.append(slow(record) if encoded is _SLOW else encoded)
    return out


def tag(value: Any) -> Any:
    """The tagged form of a datetime, date, time, timedelta, Decimal, UUID or bytes that ``encode_records``
    left in a record, as the codec writes it: the ``default`` of the JSON encoder that writes the records.
    ``TypeError`` for any other value (``encode_records`` leaves none)."""
    kind = type(value)
    if kind is _dt.datetime:
        if not value.fold and _default_offset(value.tzinfo):
            return {"$datetime": value.isoformat()}
    elif kind is _dt.date:
        return {"$date": value.isoformat()}
    elif kind is Decimal:
        return {"$decimal": str(value)}
    elif kind is bytes:
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    elif kind is _dt.time:
        if not value.fold and _default_offset(value.tzinfo):
            return {"$time": value.isoformat()}
    elif kind is _dt.timedelta:
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    elif kind is UUID:
        return {"$uuid": str(value)}
    raise TypeError(f"Object of type {kind.__name__} is not JSON serializable")


def _needs(value: Any, depth: int) -> int:
    """What ``value``, in a container at ``depth``, needs (the constants above)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return PLAIN
    if kind is int:
        return PLAIN if -INT_LIMIT < value < INT_LIMIT else COPY
    if kind is float:
        return PLAIN if value - value == 0.0 else COPY
    if kind is dict:
        return _needs_dict(value, depth + 1)
    if kind is list:
        return _needs_list(value, depth + 1)
    if kind is _dt.datetime or kind is _dt.time:
        return TAGGED if not value.fold and _default_offset(value.tzinfo) else SLOW
    if kind in _TAGGED_TYPES:
        return TAGGED
    if kind in _COPY_TYPES:
        return COPY
    return SLOW


def _needs_dict(mapping: dict[Any, Any], depth: int) -> int:
    if depth > MAX_DEPTH:
        return SLOW
    most = PLAIN
    key: Any = None
    for key, value in mapping.items():
        if type(key) is not str:
            return SLOW  # the pair form
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        need = _needs(value, depth)
        if need > most:
            if need == SLOW:
                return SLOW
            most = need
    if len(mapping) == 1 and key.startswith("$"):
        return SLOW  # shaped like a tag: the pair form
    return most


def _needs_list(items: list[Any], depth: int) -> int:
    if depth > MAX_DEPTH:
        return SLOW
    most = PLAIN
    for item in items:
        need = _needs(item, depth)
        if need > most:
            if need == SLOW:
                return SLOW
            most = need
    return most


def _encode(value: Any, depth: int) -> Any:
    """``codec._encode(value, depth)``, or ``_SLOW``."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if -INT_LIMIT < value < INT_LIMIT else {"$int": hex(value)}
    if kind is float:
        return value if value - value == 0.0 else {"$float": repr(value)}
    if kind is dict:
        return _encode_dict(value, depth + 1)
    if kind is list:
        return _encode_list(value, depth + 1)
    if kind is _dt.datetime or kind is _dt.time:
        return tag(value) if not value.fold and _default_offset(value.tzinfo) else _SLOW
    if kind in _TAGGED_TYPES:
        return tag(value)
    if kind is tuple:
        return _tagged_items("$tuple", value, depth + 1)
    if kind is set:
        return _tagged_items("$set", value, depth + 1)
    if kind is frozenset:
        return _tagged_items("$frozenset", value, depth + 1)
    return _SLOW  # a tzinfo, an unsupported type: the codec's


def _default_offset(tz: Any) -> bool:
    """No tzinfo, or a ``datetime.timezone`` named as its offset implies: the ISO text says it all."""
    if tz is None or tz is _utc:
        return True
    if type(tz) is not _dt.timezone:
        return False
    return bool(tz.tzname(None) == _dt.timezone(tz.utcoffset(None)).tzname(None))


def _encode_dict(mapping: dict[Any, Any], depth: int) -> Any:
    if depth > MAX_DEPTH:
        return _SLOW
    changed: dict[str, Any] | None = None
    key: Any = None
    for key, value in mapping.items():
        if type(key) is not str:
            return _SLOW  # the pair form
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is int:
            if -INT_LIMIT < value < INT_LIMIT:
                continue
        elif kind is float and value - value == 0.0:
            continue
        encoded = _encode(value, depth)
        if encoded is _SLOW:
            return _SLOW
        if encoded is not value:
            if changed is None:
                changed = {}
            changed[key] = encoded
    if len(mapping) == 1 and key.startswith("$"):
        return _SLOW  # shaped like a tag: the pair form
    # Merging keeps the record's field order: every changed key already exists in it.
    return mapping if changed is None else {**mapping, **changed}


def _encode_list(items: list[Any], depth: int) -> Any:
    if depth > MAX_DEPTH:
        return _SLOW
    changed: list[Any] | None = None
    for index, item in enumerate(items):
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -INT_LIMIT < item < INT_LIMIT:
                continue
        elif kind is float and item - item == 0.0:
            continue
        encoded = _encode(item, depth)
        if encoded is _SLOW:
            return _SLOW
        if encoded is not item:
            if changed is None:
                changed = list(items)
            changed[index] = encoded
    return items if changed is None else changed


def _tagged_items(tag: str, items: Any, depth: int) -> Any:
    """``{tag: [members, encoded]}`` for a tuple, set or frozenset, or ``_SLOW``."""
    if depth > MAX_DEPTH:
        return _SLOW
    out = []
    for item in items:
        encoded = _encode(item, depth)
        if encoded is _SLOW:
            return _SLOW
        out.append(encoded)
    return {tag: out}


def dump_records(records: list[Any], start: int, stop: int, encoder: Callable[[Any, int], Any]) -> str:
    """``records[start:stop]`` as JSON texts joined by ``",\\n"``; ``encoder(record, 0)`` is a C-level
    ``json`` encoder (``json.encoder.c_make_encoder``), which returns a record's text in chunks."""
    texts = []
    for record in records[start:stop]:
        chunks = encoder(record, 0)
        texts.append(chunks[0] if len(chunks) == 1 else "".join(chunks))
    return ",\n".join(texts)


# --- decoding ---------------------------------------------------------------------------------------


def make_decode_hook(fallback: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    """An ``object_hook`` for ``json.loads`` that decodes what ``fallback`` (the codec's hook) decodes:
    an object that is not a tag is returned as it is, the frequent tags are decoded here, and any other
    tag (or a payload that does not decode) goes to ``fallback``, for its value or its error."""
    by_str: dict[str, Callable[[str], Any]] = {
        "$datetime": _dt.datetime.fromisoformat,
        "$date": _dt.date.fromisoformat,
        "$decimal": Decimal,
        "$bytes": lambda payload: base64.b64decode(payload, validate=True),
        "$uuid": UUID,
    }
    by_list: dict[str, Callable[[list[Any]], Any]] = {"$tuple": tuple, "$set": set, "$frozenset": frozenset}

    def decode_hook(obj: dict[str, Any]) -> Any:
        if len(obj) != 1:
            return obj
        ((key, payload),) = obj.items()
        if type(key) is not str or not key.startswith("$"):
            return obj
        kind = type(payload)
        decoder = by_str.get(key) if kind is str else by_list.get(key) if kind is list else None
        if decoder is not None:
            try:
                return decoder(payload)
            except Exception:  # malformed: the codec's hook raises its error
                pass
        return fallback(obj)

    return decode_hook
