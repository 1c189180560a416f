"""Schema types by name: how a table's schema (field -> Python type) is written in a file and read back.

A schema holds types, which no file should hold as code. Each is written as a name from one fixed table
(``"int"``, ``"datetime"``, ``"Optional[Decimal]"``, ``"str | None"``) and mapped back through the same
table: a name outside it is an error, never an import or an ``eval``.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = ["NAMED_TYPES", "name_of", "type_of"]

#: The types a schema may name, by the name a file uses for them. ``dctdb`` files use the first six.
NAMED_TYPES: dict[str, type] = {
    "int": int,
    "str": str,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "tuple": tuple,
    "set": set,
    "frozenset": frozenset,
    "bytes": bytes,
    "datetime": dt.datetime,
    "date": dt.date,
    "time": dt.time,
    "timedelta": dt.timedelta,
    "Decimal": Decimal,
    "UUID": UUID,
}

_NAMES: dict[type, str] = {tp: name for name, tp in NAMED_TYPES.items()}

# Optional[T] and T | None compare equal but print differently; each is written the way it was given.
_OPTIONAL = re.compile(r"Optional\[(\w+)\]\Z")
_OR_NONE = re.compile(r"(\w+) \| None\Z")


def name_of(tp: Any) -> str:
    """The file name of a schema type; ``ValueError`` when the type has none.

    Example:
        >>> from typing import Optional
        >>> from decimal import Decimal
        >>> from dictdb.storage.files.schema_names import name_of
        >>> name_of(int), name_of(Optional[Decimal]), name_of(int | None)
        ('int', 'Optional[Decimal]', 'int | None')
    """
    if isinstance(tp, type) and tp in _NAMES:
        return _NAMES[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = args[0] if args[1] is type(None) else args[1]
        if isinstance(inner, type) and inner in _NAMES:
            name = _NAMES[inner]
            return f"Optional[{name}]" if origin is typing.Union else f"{name} | None"
    raise ValueError(
        f"schema type {tp!r} cannot be saved: a schema type must be one of {', '.join(NAMED_TYPES)}, "
        "or Optional[T] / T | None of one of them"
    )


def type_of(name: Any) -> Any:
    """The schema type a file name stands for; ``ValueError`` when the name is not in the fixed table.

    Example:
        >>> from dictdb.storage.files.schema_names import type_of
        >>> type_of("datetime"), type_of("Optional[int]"), type_of("str | None")
        (<class 'datetime.datetime'>, typing.Optional[int], str | None)
    """
    if type(name) is not str:
        raise ValueError(f"a schema type name must be a string, not {name!r}")
    if name in NAMED_TYPES:
        return NAMED_TYPES[name]
    optional = _OPTIONAL.match(name)
    if optional and optional.group(1) in NAMED_TYPES:
        return typing.Optional[NAMED_TYPES[optional.group(1)]]  # noqa: UP045 - the file said Optional[...]
    or_none = _OR_NONE.match(name)
    if or_none and or_none.group(1) in NAMED_TYPES:
        return NAMED_TYPES[or_none.group(1)] | None
    known = ", ".join(NAMED_TYPES)
    raise ValueError(
        f"unknown schema type name {name!r} (known: {known}, and Optional[T] or T | None of them)"
    )
