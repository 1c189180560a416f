"""Column vectors of a table (a column index): the pure-Python twin of ``_column.pyx``.

A ``ColumnStore`` keeps, beside a table's records, one vector per column-indexed field. Every live record
has one *row*, in the table's insertion order; all the vectors share that row space, so a predicate is
evaluated clause by clause into bitmaps (here Python ints, bit ``i`` = row ``i``) that AND / OR / NOT
combine, and the pks of the set bits are the answer.

Each row of a column holds a *tag* and a payload:

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
row, NOT is exact. Here a clause tests each row's value with Python's own operators (the values a tag
keeps are plain ``None``, ``int``, ``bool``, ``float`` and ``str``), which is the predicate core's meaning
by construction; the compiled twin computes the same answers on C arrays.

Removing a row leaves a tombstone (its bit leaves the live bitmap); tombstones are compacted, order kept,
when they pass ``COMPACT_FRACTION`` of the slots and at least ``COMPACT_MIN`` slots exist.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from . import _aggregate_py

__all__ = ["COMPACT_FRACTION", "COMPACT_MIN", "ColumnStore"]

COMPACT_FRACTION: Final[float] = 0.25
COMPACT_MIN: Final[int] = 1024

# Tags, one per row and column.
_NULL, _INT, _BOOL, _FLOAT, _STR, _OTHER = range(6)

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

# The pk of a tombstone slot.
_DEAD = object()

# The payload of an OTHER slot: a value the vector does not hold (it is not None).
_UNKNOWN = object()

# The plan leaves a column evaluates.
_ORDERINGS = ("lt", "le", "gt", "ge")
_COMPARISONS = ("eq", "ne", *_ORDERINGS)
_NULL_TESTS = ("is_null", "is_not_null")

Test = Callable[[Any], bool]


def _encode(value: Any, codes: dict[str, int], strings: list[str]) -> tuple[int, Any]:
    """The tag and payload of ``value``; a new str joins the dictionary."""
    kind = type(value)
    if value is None:
        return _NULL, None
    if kind is int:
        return (_INT, value) if _INT64_MIN <= value <= _INT64_MAX else (_OTHER, _UNKNOWN)
    if kind is bool:
        return _BOOL, value
    if kind is float:
        return (_FLOAT, value) if value == value else (_OTHER, _UNKNOWN)
    if kind is str:
        code = codes.get(value)
        if code is None:
            code = codes[value] = len(strings)
            strings.append(value)
        return _STR, code
    return _OTHER, _UNKNOWN


def _simple(value: Any) -> bool:
    """True for an operand the vectors can compare with: None, bool, int within int64, float or str."""
    kind = type(value)
    if kind is int:
        return bool(_INT64_MIN <= value <= _INT64_MAX)
    return value is None or kind is bool or kind is float or kind is str


class _Column:
    """One field's vector: a tag per slot (a ``bytearray``), a payload per slot, and the str dictionary."""

    __slots__ = ("codes", "field", "strings", "tags", "values")

    def __init__(self, field: Any) -> None:
        self.field = field
        self.tags = bytearray()
        # The value itself (None for NULL, _UNKNOWN for OTHER), or for STR the dictionary code.
        self.values: list[Any] = []
        self.codes: dict[str, int] = {}
        self.strings: list[str] = []

    def write(self, slot: int, record: dict[Any, Any]) -> None:
        """Encode the record's value into ``slot`` (the next one appends)."""
        self.store(slot, record.get(self.field))

    def store(self, slot: int, value: Any) -> None:
        """Encode ``value`` into ``slot`` (the next one appends)."""
        tag, payload = _encode(value, self.codes, self.strings)
        if slot == len(self.tags):
            self.tags.append(tag)
            self.values.append(payload)
        else:
            self.tags[slot] = tag
            self.values[slot] = payload

    def clear(self, slot: int) -> None:
        self.tags[slot] = _NULL
        self.values[slot] = None

    def values_of(self, slots: list[int]) -> list[Any]:
        """The values of ``slots``, in order."""
        tags, values, strings = self.tags, self.values, self.strings
        return [strings[values[slot]] if tags[slot] == _STR else values[slot] for slot in slots]

    def keep(self, slots: list[int]) -> _Column:
        """A column of only ``slots``, in that order, whose dictionary holds only the strings they use."""
        kept = _Column(self.field)
        for slot in slots:
            tag = self.tags[slot]
            payload = self.values[slot]
            if tag == _STR:
                payload = _encode(self.strings[payload], kept.codes, kept.strings)[1]
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
            self._live_bits = _bitmap(flags)
        return self._live_bits

    def _has(self, field: Any) -> bool:
        try:
            return field in self._columns
        except TypeError:
            return False

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
                    column.tags.append(_NULL)
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
        if not isinstance(plan, tuple) or not plan:
            return False
        kind = plan[0]
        size = len(plan)
        if kind in _COMPARISONS and size == 3:
            return self._has(plan[1]) and _simple(plan[2])
        if kind == "between" and size == 4:
            return self._has(plan[1]) and _simple(plan[2]) and _simple(plan[3])
        if kind == "in" and size == 3:
            values = plan[2]
            return self._has(plan[1]) and isinstance(values, tuple) and all(_simple(v) for v in values)
        if kind in _NULL_TESTS and size == 2:
            return self._has(plan[1])
        if kind in ("and", "or") and size == 2:
            children = plan[1]
            return isinstance(children, tuple) and bool(children) and all(self.supports(c) for c in children)
        if kind == "not" and size == 2:
            return self.supports(plan[1])
        return kind == "true" and size == 1

    def _check(self, plan: tuple[Any, ...]) -> None:
        if not self.supports(plan):
            raise ValueError(f"the column vectors cannot evaluate plan {plan!r}; check supports() first")

    def match(self, plan: tuple[Any, ...]) -> tuple[list[Any], bool]:
        """``(pks, exact)``: the pks of the rows where ``plan`` is True or Unsure, in row (insertion) order,
        and whether no row was Unsure (then ``pks`` are exactly the matches). ``ValueError`` for a plan
        that ``supports`` refuses."""
        self._check(plan)
        true, unsure = self._evaluate(plan)
        pks = self._pks
        return [pks[slot] for slot in _slots(true | unsure)], unsure == 0

    def count(self, plan: tuple[Any, ...]) -> int | None:
        """How many rows match ``plan``, or None when some row is Unsure."""
        self._check(plan)
        true, unsure = self._evaluate(plan)
        return None if unsure else true.bit_count()

    def _evaluate(self, plan: tuple[Any, ...]) -> tuple[int, int]:
        """The bitmaps of the live rows where ``plan`` is True, and where it is Unsure."""
        kind = plan[0]
        live = self._live()
        if kind == "and" or kind == "or":
            both = kind == "and"
            true, false = (live, 0) if both else (0, live)
            for child in plan[1]:
                child_true, child_unsure = self._evaluate(child)
                child_false = live & ~(child_true | child_unsure)
                if both:
                    true &= child_true
                    false |= child_false
                else:
                    true |= child_true
                    false &= child_false
            return true, live & ~(true | false)
        if kind == "not":
            true, unsure = self._evaluate(plan[1])
            return live & ~(true | unsure), unsure
        if kind == "true":
            return live, 0
        return self._leaf(self._columns[plan[1]], _value_test(plan), kind in _NULL_TESTS)

    def _leaf(self, column: _Column, test: Test, decides_other: bool) -> tuple[int, int]:
        # Each str is tested once per query (its code indexes the table), each number once per row.
        strings = [test(text) for text in column.strings]
        null = test(None)
        true = bytearray(b"0" * len(column.tags))
        unsure = bytearray(b"0" * len(column.tags))
        for slot, tag in enumerate(column.tags):
            if tag == _NULL:
                hit = null
            elif tag == _STR:
                hit = strings[column.values[slot]]
            elif tag == _OTHER:
                # The value is not None, so a null test is decided (on any non-None stand-in); anything
                # else needs the record.
                if decides_other:
                    hit = test(_UNKNOWN)
                else:
                    unsure[slot] = 49
                    continue
            else:
                hit = test(column.values[slot])
            if hit:
                true[slot] = 49
        live = self._live()
        return _bitmap(true) & live, _bitmap(unsure) & live

    def aggregate(
        self,
        plan: tuple[Any, ...] | None,
        group_by: Sequence[Any],
        specs: Sequence[tuple[Any, str, Any]],
    ) -> list[dict[Any, Any]] | None:
        """``_aggregate.aggregate`` over the rows ``plan`` matches (None: every live row), computed from the
        vectors with the identical result; ``group_by`` is () or one column field. None -- the caller then
        reads the records -- when the vectors cannot give that answer (see ``_readable``)."""
        if plan is None:
            selected = self._live()
        else:
            if not self.supports(plan):
                return None
            selected, unsure = self._evaluate(plan)
            if unsure:
                return None
        slots = _slots(selected)
        group_by = tuple(group_by)
        specs = list(specs)
        columns = self._readable(slots, group_by, specs)
        if columns is None:
            return None
        values = {field: column.values_of(slots) for field, column in columns.items()}
        # Groups in first-seen row order, one per distinct value (Python equality: 1, 1.0 and True are one
        # group, as in _aggregate; there is no NaN to set apart, NaN being OTHER). The first value shows.
        firsts: list[Any] = [None]
        groups = [0] * len(slots)
        if group_by:
            index: dict[Any, int] = {}
            firsts = []
            for position, value in enumerate(values[group_by[0]]):
                group = index.get(value)
                if group is None:
                    group = index[value] = len(firsts)
                    firsts.append(value)
                groups[position] = group
        out = [{group_by[0]: first} if group_by else {} for first in firsts]
        for name, kind, field in specs:
            results = _accumulate(kind, values.get(field, ()), groups, len(firsts))
            for row, result in zip(out, results, strict=True):
                row[name] = result
        return out

    def _readable(
        self, slots: list[int], group_by: tuple[Any, ...], specs: list[tuple[Any, str, Any]]
    ) -> dict[Any, _Column] | None:
        """The columns the aggregate reads, or None when the vectors cannot give ``_aggregate``'s answer:
        a group field or spec field that is not a column, more than one group field, an unknown kind, an
        OTHER value where a value is used (grouped, summed or compared), a str summed, str and numbers both
        compared by min or max, or ints whose magnitudes add beyond int64 (a total might overflow)."""
        if len(group_by) > 1 or not all(self._has(field) for field in group_by):
            return None
        columns = {field: self._columns[field] for field in group_by}
        if any(self._columns[field].holds(slots, _OTHER) for field in group_by):
            return None
        for _, kind, field in specs:
            if kind not in _aggregate_py.KINDS:
                return None
            if kind == "count_rows":
                continue
            if not self._has(field):
                return None
            column = columns[field] = self._columns[field]
            if kind == "count":
                continue
            if column.holds(slots, _OTHER):
                return None
            if kind == "sum" or kind == "avg":
                if column.holds(slots, _STR) or _magnitude_exceeds(column, slots):
                    return None
            elif column.holds(slots, _STR) and (
                column.holds(slots, _INT) or column.holds(slots, _BOOL) or column.holds(slots, _FLOAT)
            ):
                return None
        return columns

    def memory_bytes(self, field: Any) -> int:
        """Bytes the column of ``field`` holds, plus its share of the row map (``KeyError`` if absent)."""
        if not self._has(field):
            raise KeyError(field)
        shared = sys.getsizeof(self._pks) + sys.getsizeof(self._rows) + sys.getsizeof(self._live())
        return self._columns[field].memory_bytes() + shared // len(self._columns)

    def __reduce__(self) -> tuple[Any, ...]:
        slots = _slots(self._live())
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


def _value_test(plan: tuple[Any, ...]) -> Test:
    """The leaf's test on one value (None, int, bool, float or str): the predicate core's meaning."""
    kind = plan[0]
    if kind == "eq":
        return lambda value: bool(value == plan[2])
    if kind == "ne":
        return lambda value: bool(value != plan[2])
    if kind in _ORDERINGS:
        return _ordering(kind, plan[2])
    if kind == "between":
        low, high = _ordering("ge", plan[2]), _ordering("le", plan[3])
        return lambda value: low(value) and high(value)
    if kind == "in":
        values = frozenset(plan[2])
        return lambda value: value in values
    if kind == "is_null":
        return lambda value: value is None
    return lambda value: value is not None


def _ordering(kind: str, operand: Any) -> Test:
    def test(value: Any) -> bool:
        if value is None or operand is None:
            return False
        try:
            if kind == "lt":
                return bool(value < operand)
            if kind == "le":
                return bool(value <= operand)
            if kind == "gt":
                return bool(value > operand)
            return bool(value >= operand)
        except TypeError:  # str against a number: never a match
            return False

    return test


def _bitmap(flags: bytearray) -> int:
    """The int whose bit ``i`` is set when ``flags[i]`` is ``b"1"``."""
    return int(flags[::-1], 2) if flags else 0


def _slots(bitmap: int) -> list[int]:
    """The set bits of ``bitmap``, ascending."""
    text = format(bitmap, "b")[::-1]
    slots = []
    slot = text.find("1")
    while slot >= 0:
        slots.append(slot)
        slot = text.find("1", slot + 1)
    return slots


def _magnitude_exceeds(column: _Column, slots: list[int]) -> bool:
    """True when the magnitudes of the ints and bools in ``slots`` add beyond int64: then some running int
    total might overflow."""
    tags, values = column.tags, column.values
    total = sum(abs(values[slot]) for slot in slots if tags[slot] == _INT or tags[slot] == _BOOL)
    return bool(total > _INT64_MAX)


def _accumulate(kind: str, values: Any, groups: list[int], count: int) -> list[Any]:
    """One aggregate per group over the rows' ``values`` (``groups`` gives each row's group), with
    _aggregate's rules for these plain values: None skipped (but by count_rows), ``total + value`` in row
    order from the int 0, ``float(total / count)`` for avg, and the first of equal values for min and max."""
    if kind == "count_rows":
        counts = [0] * count
        for group in groups:
            counts[group] += 1
        return counts
    if kind == "count":
        counts = [0] * count
        for group, value in zip(groups, values, strict=True):
            if value is not None:
                counts[group] += 1
        return counts
    if kind == "sum" or kind == "avg":
        totals: list[Any] = [0] * count
        counts = [0] * count
        for group, value in zip(groups, values, strict=True):
            if value is not None:
                totals[group] += value
                counts[group] += 1
        if kind == "sum":
            return [total if n else None for total, n in zip(totals, counts, strict=True)]
        return [float(total / n) if n else None for total, n in zip(totals, counts, strict=True)]
    best: list[Any] = [None] * count
    smallest = kind == "min"
    for group, value in zip(groups, values, strict=True):
        if value is None:
            continue
        kept = best[group]
        if kept is None or (value < kept if smallest else value > kept):
            best[group] = value
    return best
