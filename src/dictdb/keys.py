"""Primary keys: what a key may be, how a table makes one for a record that has none, how the counter moves.

- A key must be hashable and must not be ``None`` or NaN (float or ``Decimal``), which equals nothing, not
  even itself, so no lookup could find its record.
- A record without the key field gets one from the table's ``pk_generator`` when it has one, otherwise from
  the table's counter: 1, 2, 3... skipping keys already taken, however they got there.
- Storing an ``int`` key (not a ``bool``) at or above the counter moves the counter past it, as ``dctdb``
  does, whether the key was given or generated.
- When the schema types the key field so that an ``int`` does not fit (``str``, ``UUID``...), the counter
  is off: a record without a key is an error that says to give one or to set a ``pk_generator``.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from typing import Any

from dictdb.exceptions import DuplicateKeyError, SchemaValidationError
from dictdb.schema import Schema

__all__ = ["MISSING", "KeyMaker", "counter_after"]

#: Marks an absent key field (``None`` is a value, and a refused one).
MISSING: Any = object()


def _at(position: int | None) -> str:
    """How a message names the record at ``position`` of a batch ("" for a single record)."""
    return "" if position is None else f"record {position} of the batch: "


def counter_after(counter: int, pks: Iterable[Any]) -> int:
    """The counter once ``pks`` are stored: past the largest ``int`` key (``bool`` is not one).

    Example:
        >>> counter_after(1, ["a", 7, True, 3])
        8
    """
    ints = [pk for pk in pks if isinstance(pk, int) and type(pk) is not bool]
    return max(counter, max(ints) + 1) if ints else counter


class KeyMaker:
    """Checks the keys of one table and makes new ones.

    Example:
        >>> keys = KeyMaker("users", "id", None, None)
        >>> keys.make(counter=1, taken={1: {}, 2: {}})
        3
    """

    __slots__ = ("_counter_refused", "field", "generator", "table_name")

    def __init__(
        self,
        table_name: str,
        field: str,
        generator: Callable[[], Any] | None,
        schema: Schema | None,
    ) -> None:
        self.table_name = table_name
        self.field = field
        self.generator = generator
        # Why the counter cannot make keys for this table, or "" when it can.
        self._counter_refused = ""
        if generator is None and schema is not None and not schema.accepts(field, 1):
            self._counter_refused = (
                f"table {table_name!r} cannot make a primary key: its schema types {field!r} so that the "
                f"counter's ints do not fit; give each record its {field!r}, or create the table with "
                f"pk_generator=... (for example uuid.uuid4)"
            )

    def make(self, counter: int, taken: Container[Any], pending: Container[Any] = ()) -> Any:
        """A new key not in ``taken`` (the table) nor in ``pending`` (the batch being inserted).

        The counter is not moved here: the caller moves it once the write succeeds (``counter_after``).
        """
        if self.generator is not None:
            pk = self.generator()
            self.check(pk, "pk_generator returned")
            if pk in taken or pk in pending:
                raise DuplicateKeyError(
                    f"pk_generator of table {self.table_name!r} returned {pk!r}, a primary key already "
                    f"taken; make it return unique keys (for example uuid.uuid4)"
                )
            return pk
        if self._counter_refused:
            raise SchemaValidationError(self._counter_refused)
        pk = counter
        while pk in taken or pk in pending:
            pk += 1
        return pk

    def check(self, pk: Any, source: str = "got", position: int | None = None) -> None:
        """``TypeError`` when ``pk`` cannot be a primary key (``None``, NaN or unhashable).

        ``position`` names the record of a batch in the message.
        """
        at = _at(position)
        if pk is None:
            raise TypeError(
                f"{at}primary key {self.field!r} of table {self.table_name!r} is None; leave "
                f"{self.field!r} out of the record to get a generated key, or give a hashable value"
            )
        try:
            hash(pk)
        except TypeError:
            raise TypeError(
                f"{at}primary key {self.field!r} of table {self.table_name!r} must be hashable, {source} "
                f"{type(pk).__name__} {pk!r}; use a str, int, tuple, UUID or another hashable value"
            ) from None
        if pk != pk:
            raise TypeError(
                f"{at}primary key {self.field!r} of table {self.table_name!r} is {pk!r}, which equals "
                "nothing, not even itself, so no lookup could find its record; give a value equal to itself"
            )

    def taken_error(
        self, pk: Any, position: int | None = None, *, hint: str | None = None
    ) -> DuplicateKeyError:
        """The error for a key the table already has; ``hint`` says what to do instead (an insert's by
        default: upsert, or a generated key)."""
        at = _at(position)
        if hint is None:
            hint = f"use upsert() to replace it, or leave {self.field!r} out of the record to get a new key"
        return DuplicateKeyError(
            f"{at}table {self.table_name!r} already has a record with primary key {pk!r}; {hint}"
        )
