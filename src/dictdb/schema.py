"""Table schemas: ``{field: type}`` dicts compiled once into a fast record check.

A schema maps each field to a class, or to ``Optional[T]`` / ``T | None`` (or any union of classes).
The rules, decided once here so every write path shares them:

- every field of the schema is required, except those whose type admits ``None`` (``Optional[T]``,
  ``T | None``): such a field may be missing or ``None``;
- a field that is not in the schema is refused;
- a value is accepted when it is an instance of the type (subclasses too), with three exceptions that
  follow what the types mean rather than Python's class tree:

  * ``bool`` is not an ``int`` (nor a ``float``), although Python makes it a subclass;
  * an ``int`` is accepted for ``float`` (as in type hints, where ``int`` is assignable to ``float``);
  * a ``datetime`` is not a ``date``: a ``date`` field holds days, and mixing the two breaks ordering
    (``datetime < date`` raises ``TypeError``). Declare ``datetime`` for timestamps.

The types DictDB documents and persists are ``int, float, str, bool, list, dict, tuple, bytes, datetime,
date, Decimal, UUID``; any other class works for checks (``isinstance``) as it did in ``dctdb``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, NoReturn

from dictdb.exceptions import SchemaValidationError

__all__ = ["Schema", "type_name"]

Record = dict[Any, Any]

#: Values an exact-class check cannot settle: type -> the subclasses it refuses.
_REFUSED: dict[type, tuple[type, ...]] = {int: (bool,), float: (bool,), date: (datetime,)}

#: Types that accept a value of another type outright.
_ALSO_ACCEPTED: dict[type, tuple[type, ...]] = {float: (int,)}

_UNION_ORIGINS: tuple[Any, ...] = (typing.Union, types.UnionType)


def type_name(spec: Any) -> str:
    """A readable name for a schema type: ``int``, ``int | None``, ``datetime``.

    Example:
        >>> from typing import Optional
        >>> type_name(Optional[int])
        'int | None'
    """
    if typing.get_origin(spec) in _UNION_ORIGINS:
        # None last, however the union was written: Union[None, int] reads "int | None".
        members = sorted(typing.get_args(spec), key=lambda member: member is type(None))
        return " | ".join(type_name(member) for member in members)
    if spec is type(None):
        return "None"
    return getattr(spec, "__name__", repr(spec))


class _FieldType:
    """What one field accepts: its member classes, whether it may be missing or None, and the fast set."""

    __slots__ = ("exact", "members", "name", "optional")

    def __init__(self, field: Any, spec: Any) -> None:
        members = typing.get_args(spec) if typing.get_origin(spec) in _UNION_ORIGINS else (spec,)
        for member in members:
            if not isinstance(member, type) or typing.get_origin(member) is not None:
                raise TypeError(
                    f"schema type of field {field!r} must be a class (int, str, datetime...) or "
                    f"Optional[...] of classes, not {spec!r}; parameterised types such as list[int] "
                    f"are not checked item by item, so write list"
                )
        none_type = type(None)
        self.name = type_name(spec)
        self.optional = none_type in members
        self.members = tuple(member for member in members if member is not none_type)
        if not self.members:
            raise TypeError(f"schema type of field {field!r} admits only None; give it a class")
        # The classes whose exact instances pass without an isinstance call: the hot path.
        exact = set(self.members)
        for member in self.members:
            exact.update(_ALSO_ACCEPTED.get(member, ()))
        if self.optional:
            exact.add(none_type)
        self.exact = frozenset(exact)

    def accepts(self, value: Any) -> bool:
        """True when ``value`` fits (``None`` only for an optional field)."""
        if type(value) in self.exact:
            return True
        if value is None:
            return self.optional
        # Member by member, so a subclass one member refuses still passes when another names it (int | bool).
        for member in self.members:
            accepted = (member, *_ALSO_ACCEPTED.get(member, ()))
            if isinstance(value, accepted) and not isinstance(value, _REFUSED.get(member, ())):
                return True
        return False


class Schema:
    """A schema compiled for checking records.

    Example:
        >>> from typing import Optional
        >>> schema = Schema({"id": int, "name": str, "score": Optional[float]})
        >>> schema.validate({"id": 1, "name": "ada", "score": 3})  # an int is a float here
        >>> schema.validate({"id": 1, "name": "ada"})  # an optional field may be missing
        >>> schema.validate({"id": True, "name": "ada"})
        Traceback (most recent call last):
        ...
        dictdb.exceptions.SchemaValidationError: field 'id' expects int, got bool (True)
    """

    __slots__ = ("_checks", "_context", "_fields", "_required", "_width")

    def __init__(self, spec: Mapping[Any, Any], context: str = "") -> None:
        self._fields = {field: _FieldType(field, tp) for field, tp in spec.items()}
        self._checks = tuple((field, ft.exact) for field, ft in self._fields.items())
        self._required = tuple(field for field, ft in self._fields.items() if not ft.optional)
        self._width = len(self._fields)
        # Leads every error message, e.g. "table 'users'".
        self._context = context

    def accepts(self, field: Any, value: Any) -> bool:
        """True when ``value`` is a valid value of ``field`` (a field not in the schema accepts nothing)."""
        ft = self._fields.get(field)
        return ft is not None and ft.accepts(value)

    def describe(self) -> str:
        """The schema as ``{name: type, ...}`` text, for reprs and messages."""
        return "{" + ", ".join(f"{field}: {ft.name}" for field, ft in self._fields.items()) + "}"

    def validate(self, record: Record) -> None:
        """Check one record; ``SchemaValidationError`` naming the field, expected and actual type."""
        if not self._fits(record):
            self._validate_slowly(record, "")

    def validate_many(self, records: list[Record], first: int = 0, key: Any = None) -> None:
        """Check every record; the error names the first bad one.

        By its position in a batch (counting from ``first``), or, given ``key`` (the primary key field),
        by its primary key.
        """
        fits = self._fits
        for position, record in enumerate(records, first):
            if not fits(record):
                if key is None:
                    self._validate_slowly(record, f"record {position} of the batch: ")
                else:
                    self._validate_slowly(record, f"record {key}={record.get(key)!r}: ")

    def _fits(self, record: Record) -> bool:
        """The fast path: True when every field is present with a value of an exact accepted class.

        Equal length plus every schema field present means no extra field either. False does not mean the
        record is bad (a subclass, a missing optional field): ``_validate_slowly`` decides.
        """
        if len(record) != self._width:
            return False
        try:
            for field, exact in self._checks:
                if type(record[field]) not in exact:
                    return False
        except KeyError:
            return False
        return True

    def _validate_slowly(self, record: Record, at: str) -> None:
        for field in self._required:
            if field not in record:
                self._fail(
                    at,
                    f"field {field!r} is missing (expects {self._fields[field].name}); "
                    f"add it to the record, or declare it Optional[...] in the schema",
                )
        for field, value in record.items():
            ft = self._fields.get(field)
            if ft is None:
                self._fail(
                    at,
                    f"field {field!r} is not in the schema {self.describe()}; "
                    f"drop it from the record or add it to the schema",
                )
            elif not ft.accepts(value):
                self._fail(
                    at,
                    f"field {field!r} expects {ft.name}, got {type(value).__name__} ({_short(value)})",
                )

    def _fail(self, at: str, detail: str) -> NoReturn:
        context = f"{self._context}: " if self._context else ""
        raise SchemaValidationError(f"{context}{at}{detail}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
