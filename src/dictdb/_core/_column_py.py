"""Column vectors of a table (a column index): the pure-Python twin of ``_column.pyx``.

A ``ColumnStore`` keeps, beside a table's records, one vector per column-indexed field. Every live record
has one *row*, in the table's insertion order; all the vectors share that row space, so a predicate is
evaluated clause by clause into bitmaps (here Python ints, bit ``i`` = row ``i``) that AND / OR / NOT
combine, and the pks of the set bits are the answer.

Each row of a column holds a *tag* (``TAG_*`` in ``_column_vector_py.py``) and a payload:

- ``NULL``: the value is ``None`` or the field is missing (both read ``None``, as in the predicate core);
- ``INT`` / ``BOOL``: an exact ``int`` within int64, or a ``bool`` (the contract's INT; kept apart so that
  ``min`` or a group row gives back ``True`` rather than ``1``);
- ``FLOAT``: an exact ``float`` that is not NaN;
- ``STR``: an exact ``str``, stored as a code into the column's dictionary;
- ``OTHER``: anything else (NaN, big ints, Decimal, str subclasses, dates...). The vector cannot decide a
  clause on such a row: the row is *unsure*, and the caller re-checks it on its record.

Evaluation is three-valued per row: a clause gives the rows where it is True and those where it is Unsure
(everything else is False). NOT swaps True and False and keeps Unsure; AND is False if any child is False
and True if all are; OR is True if any child is True and False if all are. Because a column covers every
row, NOT is exact. ``_column_eval_py.py`` evaluates plans, ``_column_aggregate_py.py`` computes aggregates
from the vectors; the compiled twins compute the same answers on C arrays.

Removing a row leaves a tombstone (its bit leaves the live bitmap); tombstones are compacted, order kept,
when they pass ``COMPACT_FRACTION`` of the slots and at least ``COMPACT_MIN`` slots exist.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ._column_aggregate_py import aggregate
from ._column_eval_py import evaluate, supports
from ._column_vector_py import TAG_NULL, _Column, bitmap_of, has_field, slots_of

__all__ = ["COMPACT_FRACTION", "COMPACT_MIN", "ColumnStore"]

COMPACT_FRACTION: Final[float] = 0.25
COMPACT_MIN: Final[int] = 1024

# The pk of a tombstone slot.
_DEAD = object()


class ColumnStore:
    """Column vectors over a table's rows: build with ``add_field``, keep in step with the table's writes,
    and ask ``match``, ``count`` or ``aggregate``.

    >>> store = ColumnStore()
    >>> store.add_field("age", {1: {"age": 30}, 2: {"age": 51}, 3: {}})
    >>> store.match(("gt", "age", 40))
    ([2], True)
    """

    __slots__ = ("_columns", "_live_bits", "_pks", "_rows")

    def __init__(self) -> None:
        self._columns: dict[Any, _Column] = {}
        self._pks: list[Any] = []  # slot -> pk (_DEAD for a tombstone)
        self._rows: dict[Any, int] = {}  # pk -> slot
        # The bitmap of the live slots, made again after writes (changing one bit of a Python int copies
        # it all: doing so per append or remove would cost O(rows) each).
        self._live_bits: int | None = 0

    @property
    def fields(self) -> tuple[Any, ...]:
        """The column fields, in the order they were added."""
        return tuple(self._columns)

    @property
    def rows(self) -> int:
        """How many live rows the store keeps."""
        return len(self._rows)

    @property
    def slots(self) -> int:
        """Rows including tombstones."""
        return len(self._pks)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, pk: object) -> bool:
        try:
            return pk in self._rows
        except TypeError:
            return False

    def _live(self) -> int:
        if self._live_bits is None:
            flags = bytearray(48 if pk is _DEAD else 49 for pk in self._pks)  # b"0", b"1"
            self._live_bits = bitmap_of(flags)
        return self._live_bits

    def _has(self, field: Any) -> bool:
        return has_field(self._columns, field)

    # -- building -----------------------------------------------------------------------------------------

    def add_field(self, field: Any, records: Mapping[Any, dict[Any, Any]]) -> None:
        """Add a column for ``field``. If the store has no field yet, its rows become ``records``' keys in
        iteration order; otherwise ``records`` must hold a record for every live row (``KeyError``, and
        nothing added, when one is missing). ``ValueError`` if the field is already a column."""
        if self._has(field):
            raise ValueError(f"field {field!r} already has a column")
        column = _Column(field)
        if not self._columns:
            for slot, record in enumerate(records.values()):
                column.write(slot, record)
            self._reset(records.keys())
        else:
            # Read every record first: a missing one raises before anything changes.
            for slot, pk in enumerate(self._pks):
                if pk is _DEAD:
                    column.tags.append(TAG_NULL)
                    column.values.append(None)
                else:
                    column.write(slot, records[pk])
        self._columns[field] = column

    def drop_field(self, field: Any) -> None:
        """Drop a column (``KeyError`` if absent). With no field left the store keeps no rows."""
        if not self._has(field):
            raise KeyError(field)
        del self._columns[field]
        if not self._columns:
            self._reset(())

    def load(self, records: Mapping[Any, dict[Any, Any]]) -> None:
        """Rebuild every column (same fields) from ``records`` in iteration order."""
        fields = list(self._columns)
        self._columns = {}
        self._reset(())
        for field in fields:
            self.add_field(field, records)

    def _reset(self, pks: Any) -> None:
        self._pks = list(pks)
        self._rows = {pk: slot for slot, pk in enumerate(self._pks)}
        self._live_bits = (1 << len(self._pks)) - 1

    # -- writes -------------------------------------------------------------------------------------------

    def append(self, pk: Any, record: dict[Any, Any]) -> None:
        """Give ``pk`` a new last row read from ``record`` (``ValueError`` if ``pk`` already has one)."""
        if pk in self._rows:
            raise ValueError(f"primary key {pk!r} already has a row")
        if not self._columns:
            return
        # Every value is read before any is stored: a record whose lookup raises changes nothing.
        values = [record.get(column.field) for column in self._columns.values()]
        slot = len(self._pks)
        for column, value in zip(self._columns.values(), values, strict=True):
            column.store(slot, value)
        self._pks.append(pk)
        self._rows[pk] = slot
        self._live_bits = None

    def append_many(self, pks: Sequence[Any], records: Sequence[dict[Any, Any]]) -> None:
        """``append`` for each pk and record, all checked before any is added."""
        if len(pks) != len(records):
            raise ValueError(f"append_many got {len(pks)} pks but {len(records)} records")
        seen = set()
        for pk in pks:
            if pk in self._rows or pk in seen:
                raise ValueError(f"primary key {pk!r} already has a row")
            seen.add(pk)
        for pk, record in zip(pks, records, strict=True):
            self.append(pk, record)

    def remove(self, pk: Any) -> None:
        """Tombstone ``pk``'s row (``KeyError`` if it has none)."""
        self.remove_many((pk,))

    def remove_many(self, pks: Sequence[Any]) -> None:
        """``remove`` for each pk, all checked before any is removed."""
        slots = []
        seen = set()
        for pk in pks:
            slot = self._rows.get(pk)
            if slot is None or slot in seen:  # checked first: a bad pk changes nothing
                raise KeyError(pk)
            seen.add(slot)
            slots.append(slot)
        for pk, slot in zip(pks, slots, strict=True):
            del self._rows[pk]
            self._pks[slot] = _DEAD
            self._live_bits = None
            for column in self._columns.values():
                column.clear(slot)
        dead = len(self._pks) - len(self._rows)
        if len(self._pks) >= COMPACT_MIN and dead > COMPACT_FRACTION * len(self._pks):
            self.compact()

    def replace(self, pk: Any, record: dict[Any, Any]) -> None:
        """Re-read every column's value of ``pk``'s row from ``record`` (an update: the row stays put)."""
        slot = self._rows[pk]
        values = [record.get(column.field) for column in self._columns.values()]
        for column, value in zip(self._columns.values(), values, strict=True):
            column.store(slot, value)

    def compact(self) -> None:
        """Drop the tombstones now, keeping the rows' order."""
        slots = [slot for slot, pk in enumerate(self._pks) if pk is not _DEAD]
        self._columns = {field: column.keep(slots) for field, column in self._columns.items()}
        self._reset([self._pks[slot] for slot in slots])

    # -- reads --------------------------------------------------------------------------------------------

    def supports(self, plan: tuple[Any, ...]) -> bool:
        """True when ``match`` can evaluate ``plan``: every leaf a supported node (see the module docstring
        of ``_predicate_py``: comparisons, between, in, the null tests, and / or / not, true) on a column
        field, with operands of exact type None, bool, int within int64, float or str."""
        return supports(plan, self._columns)

    def _check(self, plan: tuple[Any, ...]) -> None:
        if not self.supports(plan):
            raise ValueError(f"the column vectors cannot evaluate plan {plan!r}; check supports() first")

    def match(self, plan: tuple[Any, ...]) -> tuple[list[Any], bool]:
        """``(pks, exact)``: the pks of the rows where ``plan`` is True or Unsure, in row (insertion) order,
        and whether no row was Unsure (then ``pks`` are exactly the matches). ``ValueError`` for a plan
        that ``supports`` refuses."""
        self._check(plan)
        true, unsure = evaluate(plan, self._columns, self._live())
        pks = self._pks
        return [pks[slot] for slot in slots_of(true | unsure)], unsure == 0

    def count(self, plan: tuple[Any, ...]) -> int | None:
        """How many rows match ``plan``, or None when some row is Unsure."""
        self._check(plan)
        true, unsure = evaluate(plan, self._columns, self._live())
        return None if unsure else true.bit_count()

    def aggregate(
        self,
        plan: tuple[Any, ...] | None,
        group_by: Sequence[Any],
        specs: Sequence[tuple[Any, str, Any]],
    ) -> list[dict[Any, Any]] | None:
        """``_aggregate.aggregate`` over the rows ``plan`` matches (None: every live row), computed from the
        vectors with the identical result; ``group_by`` is () or one column field. None -- the caller then
        reads the records -- when the vectors cannot give that answer (``_column_aggregate_py._readable``)."""
        if plan is None:
            selected = self._live()
        else:
            if not supports(plan, self._columns):
                return None
            selected, unsure = evaluate(plan, self._columns, self._live())
            if unsure:
                return None
        return aggregate(self._columns, slots_of(selected), tuple(group_by), list(specs))

    def memory_bytes(self, field: Any) -> int:
        """Bytes the column of ``field`` holds, plus its share of the row map (``KeyError`` if absent)."""
        if not self._has(field):
            raise KeyError(field)
        shared = sys.getsizeof(self._pks) + sys.getsizeof(self._rows) + sys.getsizeof(self._live())
        return self._columns[field].memory_bytes() + shared // len(self._columns)

    def __reduce__(self) -> tuple[Any, ...]:
        slots = slots_of(self._live())
        kept = [column.keep(slots) for column in self._columns.values()]
        columns = [(c.field, bytes(c.tags), c.values, c.strings) for c in kept]
        return _restore, ([self._pks[slot] for slot in slots], columns)


def _restore(pks: list[Any], columns: list[tuple[Any, bytes, list[Any], list[str]]]) -> ColumnStore:
    """The store ``ColumnStore.__reduce__`` describes (pickle, copy, deepcopy)."""
    store = ColumnStore()
    for field, tags, values, strings in columns:
        column = _Column(field)
        column.tags = bytearray(tags)
        column.values = list(values)
        column.strings = list(strings)
        column.codes = {text: code for code, text in enumerate(strings)}
        store._columns[field] = column
    if columns:
        store._reset(pks)
    return store
