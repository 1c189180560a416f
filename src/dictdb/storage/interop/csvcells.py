"""CSV cells: text to values on import (inferred per column, or by schema type) and values to text on export.

A CSV cell is text. On import an empty cell is ``None`` (except in a column the schema types as plain
``str``, where it is ``""``); other cells become values by one rule per column, so a column never mixes
types by accident. On export each value is written in the form the import reads back (docs/csv.md).
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

__all__ = [
    "CellError",
    "converter_for",
    "date_converter",
    "infer_converter",
    "read_datetimes",
    "read_iso",
    "to_text",
]

Converter = Callable[[str], Any]

# Numbers as people write them in CSV: no leading zeros (an "007" is a code, kept as text), no
# underscores or surrounding spaces (which Python's int() and float() would accept).
_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(
    r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
    r"|nan|inf|infinity)",
    re.IGNORECASE,
)
_BOOLS = {"true": True, "false": False}
_SCHEMA_BOOLS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


class CellError(ValueError):
    """A cell's text does not convert to its column's type; the importer adds the line and column."""


def infer_converter(cells: list[str]) -> Converter:
    """How to read one column, given all its cells: int, else float, else bool, else text.

    Example:
        >>> [infer_converter(cells)(cells[0]) for cells in (["1", "-2"], ["1", "2.5"], ["TRUE"], ["007"])]
        [1, 1.0, True, '007']
    """
    filled = [cell for cell in cells if cell]
    if all(_INT.fullmatch(cell) for cell in filled):
        return int
    if all(_FLOAT.fullmatch(cell) for cell in filled):
        return float
    if all(cell.lower() in _BOOLS for cell in filled):
        return _read_inferred_bool
    return str


# ISO 8601 as CSV files write it: a date, or a date and a time (``T`` or a space between), seconds and a
# fraction optional, then ``Z`` or an offset. Parsed here rather than by ``fromisoformat``, which accepts
# more or less depending on the Python version.
_ISO = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]{1,6}))?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)


def read_iso(text: str) -> dt.date | dt.datetime:
    """An ISO 8601 date (``2024-02-29``) or datetime (``2024-02-29T13:05``, ``... 13:05:09.5Z``,
    ``...+02:00``); ``ValueError`` for anything else.

    Example:
        >>> read_iso("2024-02-29"), read_iso("2024-02-29 13:05:09.5+02:00")
        (datetime.date(2024, 2, 29), datetime.datetime(2024, 2, 29, 13, 5, 9, 500000, tzinfo=...))
    """
    found = _ISO.fullmatch(text)
    if found is None:
        raise ValueError(
            "expected YYYY-MM-DD, or that with a time: THH:MM[:SS[.ffffff]], then Z or an offset"
        )
    year, month, day = int(found["year"]), int(found["month"]), int(found["day"])
    if found["hour"] is None:
        return dt.date(year, month, day)
    fraction = found["fraction"] or ""
    zone = found["zone"]
    tzinfo = None
    if zone == "Z":
        tzinfo = dt.timezone.utc
    elif zone is not None:
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tzinfo = dt.timezone(-offset if zone[0] == "-" else offset)
    return dt.datetime(
        year,
        month,
        day,
        int(found["hour"]),
        int(found["minute"]),
        int(found["second"] or 0),
        int(fraction.ljust(6, "0")) if fraction else 0,
        tzinfo=tzinfo,
    )


def _read_datetime(text: str) -> dt.datetime:
    value = read_iso(text)
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


_ISO_NAME = "an ISO 8601 date or datetime"


def read_datetimes(text: str) -> dt.datetime:
    """A cell of a datetime column: an ISO datetime, or a date (midnight); ``CellError`` otherwise."""
    try:
        return _read_datetime(text)
    except ValueError as exc:
        raise CellError(f"cannot read {text!r} as {_ISO_NAME} ({exc})") from None


def date_converter(cells: list[str]) -> Converter | None:
    """How to read a column of ISO dates and datetimes: dates when every filled cell is a date, datetimes
    when some hold a time (a date alone is then midnight); ``None`` when a cell is neither.

    Example:
        >>> date_converter(["2024-01-02", ""])("2024-01-02"), date_converter(["2024-01-02", "x"])
        (datetime.date(2024, 1, 2), None)
        >>> date_converter(["2024-01-02", "2024-01-03T04:05"])("2024-01-02")
        datetime.datetime(2024, 1, 2, 0, 0)
    """
    kinds = set()
    for cell in cells:
        if cell:
            try:
                kinds.add(type(read_iso(cell)))
            except ValueError:
                return None
    return read_datetimes if dt.datetime in kinds else _checked(read_iso, _ISO_NAME)


def _read_inferred_bool(text: str) -> bool:
    return _BOOLS[text.lower()]


def _read_bool(text: str) -> bool:
    try:
        return _SCHEMA_BOOLS[text.strip().lower()]
    except KeyError:
        raise ValueError("expected true/false, 1/0 or yes/no") from None


def _read_decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError("not a decimal number") from None


#: The schema types a cell converts to, and how.
_READERS: dict[type, Converter] = {
    str: str,
    int: int,
    float: float,
    bool: _read_bool,
    Decimal: _read_decimal,
    dt.datetime: dt.datetime.fromisoformat,
    dt.date: dt.date.fromisoformat,
    dt.time: dt.time.fromisoformat,
    UUID: UUID,
}

_UNIONS: tuple[Any, ...] = (typing.Union, types.UnionType)


def _type_name(spec: Any) -> str:
    """``int``, ``date | None``: how messages name a schema type."""
    members = typing.get_args(spec) if typing.get_origin(spec) in _UNIONS else (spec,)
    return " | ".join(
        "None" if member is type(None) else getattr(member, "__name__", repr(member)) for member in members
    )


def converter_for(field: Any, spec: Any) -> tuple[Converter, bool]:
    """How to read a column whose schema type is ``spec``, and whether an empty cell is ``""`` (a plain
    ``str`` column) rather than ``None``. ``TypeError`` for a type no CSV cell can hold.

    Example:
        >>> from typing import Optional
        >>> read, empty_is_text = converter_for("when", Optional[dt.date])
        >>> read("2024-02-29"), empty_is_text
        (datetime.date(2024, 2, 29), False)
    """
    members = typing.get_args(spec) if typing.get_origin(spec) in _UNIONS else (spec,)
    readers = []
    for member in members:
        if member is type(None):
            continue
        reader = _READERS.get(member)
        if reader is None:
            names = ", ".join(tp.__name__ for tp in _READERS)
            raise TypeError(
                f"column {field!r}: a CSV cell cannot hold a {_type_name(member)} (the schema's type); "
                f"CSV reads {names}: import such data with import_jsonl or import_parquet"
            )
        readers.append(reader)
    if len(readers) == 1:
        return _checked(readers[0], _type_name(spec)), spec is str
    return _first_that_reads(readers, _type_name(spec)), False


def _checked(reader: Converter, expected: str) -> Converter:
    def read(text: str) -> Any:
        try:
            return reader(text)
        except ValueError as exc:
            raise CellError(f"cannot read {text!r} as {expected} ({exc})") from None

    return read


def _first_that_reads(readers: list[Converter], expected: str) -> Converter:
    def read(text: str) -> Any:
        for reader in readers:
            try:
                return reader(text)
            except ValueError:
                continue
        raise CellError(f"cannot read {text!r} as {expected}")

    return read


def to_text(value: Any) -> str:
    """A value as a CSV cell, in the form the import reads back.

    Example:
        >>> [to_text(v) for v in (None, True, 1.5, dt.datetime(2024, 1, 2, 3, 4), Decimal("9.90"))]
        ['', 'true', '1.5', '2024-01-02T03:04:00', '9.90']
    """
    if type(value) is str:
        return value
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    return str(value)
