"""One field's vector and the bitmaps over the rows: the pure-Python twin of ``_column_vector.pyx``.

The tags and their meaning are documented in ``_column_py.py``. Here a column is a ``bytearray`` of tags and
a list of payloads (the value itself, or for a str its code in the column's dictionary); a bitmap is a
Python int, bit ``i`` for slot ``i``.

``__all__`` is empty, as in the compiled twin: the names without an underscore are what the column store,
the evaluation and the aggregates use.
"""

from __future__ import annotations

import sys
from typing import Any

__all__: list[str] = []

# Tags, one per row and column.
TAG_NULL, TAG_INT, TAG_BOOL, TAG_FLOAT, TAG_STR, TAG_OTHER = range(6)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# The payload of an OTHER slot: a value the vector does not hold (it is not None).
UNKNOWN = object()


def has_field(columns: dict[Any, Any], field: Any) -> bool:
    """Whether ``field`` has a column; False for an unhashable field."""
    try:
        return field in columns
    except TypeError:
        return False


def encode(value: Any, codes: dict[str, int], strings: list[str]) -> tuple[int, Any]:
    """The tag and payload of ``value``; a new str joins the dictionary."""
    kind = type(value)
    if value is None:
        return TAG_NULL, None
    if kind is int:
        return (TAG_INT, value) if INT64_MIN <= value <= INT64_MAX else (TAG_OTHER, UNKNOWN)
    if kind is bool:
        return TAG_BOOL, value
    if kind is float:
        return (TAG_FLOAT, value) if value == value else (TAG_OTHER, UNKNOWN)
    if kind is str:
        code = codes.get(value)
        if code is None:
            code = codes[value] = len(strings)
            strings.append(value)
        return TAG_STR, code
    return TAG_OTHER, UNKNOWN


def bitmap_of(flags: bytearray) -> int:
    """The int whose bit ``i`` is set when ``flags[i]`` is ``b"1"``."""
    return int(flags[::-1], 2) if flags else 0


def slots_of(bitmap: int) -> list[int]:
    """The set bits of ``bitmap``, ascending."""
    text = format(bitmap, "b")[::-1]
    slots = []
    slot = text.find("1")
    while slot >= 0:
        slots.append(slot)
        slot = text.find("1", slot + 1)
    return slots


class _Column:
    """One field's vector: a tag per slot (a ``bytearray``), a payload per slot, and the str dictionary."""

    __slots__ = ("codes", "field", "strings", "tags", "values")

    def __init__(self, field: Any) -> None:
        self.field = field
        self.tags = bytearray()
        # The value itself (None for NULL, UNKNOWN for OTHER), or for STR the dictionary code.
        self.values: list[Any] = []
        self.codes: dict[str, int] = {}
        self.strings: list[str] = []

    def write(self, slot: int, record: dict[Any, Any]) -> None:
        """Encode the record's value into ``slot`` (the next one appends)."""
        self.store(slot, record.get(self.field))

    def store(self, slot: int, value: Any) -> None:
        """Encode ``value`` into ``slot`` (the next one appends)."""
        tag, payload = encode(value, self.codes, self.strings)
        if slot == len(self.tags):
            self.tags.append(tag)
            self.values.append(payload)
        else:
            self.tags[slot] = tag
            self.values[slot] = payload

    def clear(self, slot: int) -> None:
        self.tags[slot] = TAG_NULL
        self.values[slot] = None

    def values_of(self, slots: list[int]) -> list[Any]:
        """The values of ``slots``, in order."""
        tags, values, strings = self.tags, self.values, self.strings
        return [strings[values[slot]] if tags[slot] == TAG_STR else values[slot] for slot in slots]

    def keep(self, slots: list[int]) -> _Column:
        """A column of only ``slots``, in that order, whose dictionary holds only the strings they use."""
        kept = _Column(self.field)
        for slot in slots:
            tag = self.tags[slot]
            payload = self.values[slot]
            if tag == TAG_STR:
                payload = encode(self.strings[payload], kept.codes, kept.strings)[1]
            kept.tags.append(tag)
            kept.values.append(payload)
        return kept

    def memory_bytes(self) -> int:
        size = sys.getsizeof(self.tags) + sys.getsizeof(self.values)
        size += sum(sys.getsizeof(value) for value in self.values)
        size += sys.getsizeof(self.codes) + sys.getsizeof(self.strings)
        return size + sum(sys.getsizeof(text) for text in self.strings)

    def holds(self, slots: list[int], tag: int) -> bool:
        """True when one of ``slots`` holds ``tag``."""
        tags = self.tags
        return any(tags[slot] == tag for slot in slots)
