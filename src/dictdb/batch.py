"""Preparing a batch insert: every record of the list copied, keyed and checked before any is stored.

``prepare`` does all the work that can fail and touches nothing of the table; ``Table.insert`` then commits
the result with dict operations that cannot fail. So a batch is all-or-nothing by construction.

Keys are given in order, as if the records were inserted one by one: a key given by a later record that an
earlier one got from the counter is a duplicate. A chunk whose records all carry their key (the common bulk
load) is keyed in a few C-speed passes; one with records missing a key goes record by record.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from itertools import islice
from operator import eq, itemgetter
from typing import Any, NamedTuple

from dictdb._core import records as _records
from dictdb.exceptions import DuplicateKeyError
from dictdb.keys import MISSING, KeyMaker, counter_after
from dictdb.schema import Schema

__all__ = ["Prepared", "prepare"]

Record = dict[Any, Any]


class Prepared(NamedTuple):
    """A batch ready to store."""

    pending: dict[Any, Record]  # pk -> the table's own copy, in batch order
    generated: list[tuple[int, Any]]  # (position, pk) of the keys to write into the caller's dicts
    counter: int  # the table's counter once the batch is stored


def prepare(
    batch: Sequence[Record],
    batch_size: int | None,
    keys: KeyMaker,
    schema: Schema | None,
    taken: dict[Any, Record],
    counter: int,
) -> Prepared:
    """Copy, key and check ``batch`` against the table's records ``taken``; raise on the first bad record.

    ``batch_size`` bounds how many records are handled at a time; the result is the same for any value.
    ``schema=None`` skips the schema check. The error names the record's position in the batch.

    Example:
        >>> from dictdb.keys import KeyMaker
        >>> ready = prepare([{"x": 1}, {"id": 7}], None, KeyMaker("t", "id", None, None), None, {}, 1)
        >>> ready.pending, ready.generated, ready.counter
        ({1: {'x': 1, 'id': 1}, 7: {'id': 7}}, [(0, 1)], 8)
    """
    if batch_size is not None and (
        not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive int or None, not {batch_size!r}")
    step = batch_size or len(batch) or 1
    pending: dict[Any, Record] = {}
    generated: list[tuple[int, Any]] = []
    for first in range(0, len(batch), step):
        rows = _copy(batch[first : first + step], first)
        counter = _key_chunk(rows, first, keys, taken, pending, generated, counter)
        if schema is not None:
            schema.validate_many(rows, first)
    return Prepared(pending, generated, counter)


def _copy(rows: Sequence[Record], first: int) -> list[Record]:
    """Copies of a chunk; the ``TypeError`` for a non-dict names its position."""
    try:
        return _records.copy_records(rows)
    except TypeError:
        for position, row in enumerate(rows, first):
            if not isinstance(row, dict):
                raise TypeError(
                    f"record {position} of the batch must be a dict, not {type(row).__name__}"
                ) from None
        raise


def _key_chunk(
    rows: list[Record],
    first: int,
    keys: KeyMaker,
    taken: dict[Any, Record],
    pending: dict[Any, Record],
    generated: list[tuple[int, Any]],
    counter: int,
) -> int:
    """Key each row of one chunk (copies, so keys are set in place) into ``pending``; returns the counter."""
    try:
        pks = list(map(itemgetter(keys.field), rows))
    except KeyError:
        return _key_one_by_one(rows, first, keys, taken, pending, generated, counter)
    # Every row has its key: a few C-speed passes instead of a Python loop over the rows.
    before = len(pending)
    try:
        pending.update(zip(pks, rows, strict=True))
    except TypeError:
        for position, pk in enumerate(pks, first):
            keys.check(pk, position=position)
        raise
    if None in pending:
        keys.check(None, position=first + pks.index(None))
    if not all(map(eq, pks, pks)):  # a NaN, which equals nothing, not even itself: one C-level pass
        position, pk = next((i, pk) for i, pk in enumerate(pks, first) if pk != pk)
        keys.check(pk, position=position)
    if len(pending) - before != len(rows):
        raise _repeated_error(keys, pks, first, set(islice(pending, before)))
    if not taken.keys().isdisjoint(pks):
        position, pk = next((i, pk) for i, pk in enumerate(pks, first) if pk in taken)
        raise keys.taken_error(pk, position)
    return counter_after(counter, pks)


def _key_one_by_one(
    rows: list[Record],
    first: int,
    keys: KeyMaker,
    taken: dict[Any, Record],
    pending: dict[Any, Record],
    generated: list[tuple[int, Any]],
    counter: int,
) -> int:
    field = keys.field
    for position, row in enumerate(rows, first):
        pk = row.get(field, MISSING)
        if pk is MISSING:
            pk = keys.make(counter, taken, pending)
            row[field] = pk
            generated.append((position, pk))
        else:
            keys.check(pk, position=position)
            if pk in taken:
                raise keys.taken_error(pk, position)
            if pk in pending:
                raise _repeated_error(keys, [pk], position, pending)
        pending[pk] = row
        if isinstance(pk, int) and pk >= counter and type(pk) is not bool:
            counter = pk + 1
    return counter


def _repeated_error(keys: KeyMaker, pks: list[Any], first: int, earlier: Container[Any]) -> DuplicateKeyError:
    """The error for the first of ``pks`` that repeats a key of ``earlier`` or of ``pks`` itself."""
    seen = set()
    for position, pk in enumerate(pks, first):
        if pk in earlier or pk in seen:
            return DuplicateKeyError(
                f"record {position} of the batch repeats primary key {pk!r}, given to an earlier record "
                f"of the same batch; give each record its own {keys.field!r}"
            )
        seen.add(pk)
    raise AssertionError("no repeated key found")  # callers only come here after counting one
