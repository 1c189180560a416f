"""The planner: reads a ``where=`` plan (``dictdb.query.expr``) and picks the access path that serves it.

The rules, in the order they apply:

- ``pk == v`` and ``pk.is_in(values)`` go straight to the table's dict of records.
- ``==``, ``is_in`` and ``is_null`` (and ``== None``) are served by a hash or sorted index on the field;
  ``<``, ``<=``, ``>``, ``>=``, ``between``, ``startswith`` and a LIKE with a literal prefix (``like("ab%")``)
  by a sorted index. Several ranges on one field in one AND are merged into one (``age >= 30 & age < 40``).
- A composite index on ``(f1, f2, ...)`` serves an AND of equalities on all its fields (hash), or on its
  leading fields, then maybe a range on the next one (sorted).
- AND intersects: it starts from its most selective path and narrows it with the next ones while they are not
  much bigger; the clauses left are only re-checked. An AND with no indexable clause is a scan.
- OR unions its branches' paths whatever serves each: an index lookup, a primary-key lookup, an intersection,
  a column match, another union. A branch with no path makes the whole OR a scan. NOT never narrows (but
  the column store evaluates it).
- Column indexes (one ``ColumnStore`` per table) evaluate any node whose every clause is a supported
  comparison on a column-indexed field (through AND, OR and NOT), and the supported children of any AND,
  in one pass over the vectors each; the column-served branches of an OR are read in one pass together.
  A pass costs about as much as fetching and re-checking ``rows / COLUMN_RATIO`` candidates (~1 ns per row
  compiled), and its size is known only by making it: so it is not made where a path known without it is
  cheaper (a primary-key lookup, or an index path yielding at most ``rows / COLUMN_RATIO``).
- A path that would cost more than testing ``SCAN_FRACTION`` of the table (what it yields, plus its passes
  over the vectors) loses to a scan, unless its candidates come from a pass over the vectors (in insertion
  order, with no sort back): that never loses to a scan.

Whatever the path, the candidates are re-checked against the whole predicate (``dictdb.query.execute``), so an
index changes how fast a query runs, never what it returns.

Which operands an index may serve, so that its candidates include every match:

- a hash index only a hashable operand (an unhashable one can still equal a key: ``{1} == frozenset({1})``);
- a sorted index's range only an operand whose comparisons with other types never match (``TypeError``):
  numbers (not NaN), str, bytes, dates, times, timedeltas and tuples of those; a set bound is never served
  (``<`` on sets is the subset order, the index ties sets).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from dictdb._core import IMPLEMENTATION
from dictdb._core import column as _column
from dictdb.index import HashIndex, Index, SortedIndex
from dictdb.index.column_index import ColumnIndex
from dictdb.query.access import Access, ColumnMatch, Intersect, Lookup, PkLookup, Scan, Union

__all__ = ["COLUMN_RATIO", "SCAN_FRACTION", "Planner", "looks_up", "range_safe"]

Plan = tuple[Any, ...]

#: A path expected to yield more than this fraction of the table's records loses to a scan: past it, fetching,
#: sorting back into insertion order and re-checking the candidates costs more than testing every record. The
#: compiled scan is ~5x cheaper per record than the pure one, so the compiled core gives up sooner.
SCAN_FRACTION = 0.3 if IMPLEMENTATION == "cython" else 0.6

#: A hash or sorted index path beats the column store when it yields at most ``rows / COLUMN_RATIO`` records:
#: fetching, sorting back and re-checking a candidate costs about as much as evaluating this many rows over
#: the vectors (~150 ns against 1-3 ns per clause compiled; the pure twin tests each row in Python, ~300 ns).
COLUMN_RATIO = 64 if IMPLEMENTATION == "cython" else 2

#: An AND narrows its candidates with the next path only when that one yields at most this many times more:
#: fetching a bigger path costs more than re-checking the candidates it would remove.
INTERSECT_RATIO = 2

#: Below this many candidates an AND stops narrowing: re-checking them is cheaper than any fetch.
INTERSECT_FLOOR = 16

_RANGES = {"lt", "le", "gt", "ge"}
# The clause kinds an index may serve; any other node (NOT, a computed comparison...) has no index path.
_SERVED = frozenset({"eq", "in", "is_null", *_RANGES, "between", "startswith", "like"})
_SCALARS = (
    int,
    float,
    Decimal,
    Fraction,
    str,
    bytes,
    bytearray,
    datetime.date,
    datetime.time,
    datetime.timedelta,
)


def range_safe(value: Any) -> bool:
    """True when a sorted index's range on ``value`` includes every value the predicate's ordering matches:
    a value that orders only against its own group (a number, str, bytes, date...), or a tuple of those.

    Example:
        >>> range_safe(3), range_safe("a"), range_safe((1, "a")), range_safe(None), range_safe({1})
        (True, True, True, False, False)
    """
    if isinstance(value, tuple):
        return all(range_safe(item) for item in value)
    if not isinstance(value, _SCALARS):
        return False
    if isinstance(value, float):
        return value == value
    return not (isinstance(value, Decimal) and value.is_nan())


def looks_up(plan: Plan, field: Any) -> bool:
    """True when ``plan`` has an ``==`` or ``is_in`` clause on ``field`` under its ANDs and ORs: without
    indexes, the only clauses the planner can serve are those on the primary key.

    Example:
        >>> from dictdb import Field
        >>> looks_up(((Field("id") == 3) | (Field("age") > 3)).plan, "id")
        True
        >>> looks_up((Field("id") > 3).plan, "id")
        False
    """
    kind = plan[0]
    if kind in ("and", "or"):
        return any(looks_up(child, field) for child in plan[1])
    return kind in ("eq", "in") and plan[1] == field


def _hashable(values: tuple[Any, ...]) -> bool:
    try:
        hash(values)
    except TypeError:
        return False
    return True


def like_prefix(pattern: str, escape: str | None) -> str:
    """The literal text a LIKE pattern starts with: up to its first unescaped ``%`` or ``_``.

    Example:
        >>> like_prefix("ab%", None), like_prefix("a!%b_%", "!"), like_prefix("%ab", None)
        ('ab', 'a%b', '')
    """
    out = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == escape and position + 1 < len(pattern):
            out.append(pattern[position + 1])
            position += 2
            continue
        if char in "%_":
            break
        out.append(char)
        position += 1
    return "".join(out)


class _Bounds:
    """The tightest range an AND puts on one field: ``(low, include_low)`` and ``(high, include_high)``."""

    __slots__ = ("clauses", "high", "include_high", "include_low", "low")

    def __init__(self) -> None:
        self.low: Any = None
        self.high: Any = None
        self.include_low = True
        self.include_high = True
        self.clauses: list[Plan] = []

    def add(self, node: Plan) -> None:
        kind = node[0]
        if kind == "between":
            self._lower(node[2], True)
            self._upper(node[3], True)
        elif kind in ("gt", "ge"):
            self._lower(node[2], kind == "ge")
        else:
            self._upper(node[2], kind == "le")
        self.clauses.append(node)

    def _lower(self, value: Any, inclusive: bool) -> None:
        if self.low is None or _before(self.low, value) or (_same(self.low, value) and not inclusive):
            self.low, self.include_low = value, inclusive

    def _upper(self, value: Any, inclusive: bool) -> None:
        if self.high is None or _before(value, self.high) or (_same(self.high, value) and not inclusive):
            self.high, self.include_high = value, inclusive

    def args(self) -> tuple[Any, Any, bool, bool]:
        return self.low, self.high, self.include_low, self.include_high


def _before(a: Any, b: Any) -> bool:
    """``a < b``, False when they do not compare (two bounds of different types: the index's range of
    mismatched bounds is empty, so keeping either is right)."""
    try:
        return bool(a < b)
    except TypeError:
        return False


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except TypeError:
        return False


class Planner:
    """Plans the queries of one table: its primary key field, records and indexes.

    Example:
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"dept": f"d{i % 10}"} for i in range(100)])[-1]
        100
        >>> t.create_index("dept")
        >>> path = Planner(t.primary_key, t.records, t.indexes).choose((t.dept == "d3").plan).describe()
        >>> path["op"], path["index"], path["lookup"], path["estimate"]
        ('index', 'dept', 'equal', 10)
    """

    __slots__ = ("indexes", "pk_field", "records", "rows", "store")

    def __init__(
        self,
        pk_field: Any,
        records: Mapping[Any, Any],
        indexes: Mapping[Any, Index],
        store: _column.ColumnStore | None = None,
    ) -> None:
        self.pk_field = pk_field
        self.records = records
        self.rows = len(records)
        self.indexes = indexes
        self.store = store

    def choose(self, plan: Plan) -> Access:
        """The path for ``plan``: candidates from the table's dict, its indexes or its column store (or a
        mix of them, through intersections and unions), or a ``Scan``."""
        found = self._path(plan)
        if found is None:
            return Scan(self.rows, "no index serves the predicate")
        if isinstance(found, PkLookup) or _column_led(found):
            # Candidates in insertion order from one pass over the vectors: never slower than a scan.
            return found
        limit = SCAN_FRACTION * self.rows
        # A pass over the vectors costs about what fetching and re-checking rows / COLUMN_RATIO records does.
        passes = found.passes() * self.rows / COLUMN_RATIO
        # A union's branches whose sizes are known may yield too much already: then its column branches are
        # never read.
        expected = found.known() if isinstance(found, Union) else found.estimate
        if expected + passes <= limit:
            expected = found.estimate
        if expected + passes > limit:
            what = "the union" if isinstance(found, Union) else "the best index path"
            return Scan(self.rows, f"{what} yields ~{expected} of {self.rows} records: a scan is cheaper")
        return found

    def _path(self, node: Plan, columns: bool = True) -> Access | None:
        """The best path for ``node``, or None when some part of it that must be served has no path.
        ``columns``: whether the column store may serve parts of it."""
        store = self.store if columns else None
        if store is not None and store.supports(node):
            # The whole node on the vectors, unless a path without them is cheaper than one pass.
            found = self._path(node, columns=False)
            return found if self._beats_column(found) else ColumnMatch(store, node, True)
        kind = node[0]
        if kind == "or":
            return self._or(node[1], store)
        return self._and(node[1] if kind == "and" else (node,), store)

    def _beats_column(self, path: Access | None) -> bool:
        """True when ``path`` is known, without a pass over the vectors, to be cheaper than one: a
        primary-key lookup, or an index path yielding at most ``rows / COLUMN_RATIO``."""
        if path is None or path.pending:
            return False
        return isinstance(path, PkLookup) or path.estimate * COLUMN_RATIO <= self.rows

    # -- OR -----------------------------------------------------------------------------------------------

    def _or(self, children: tuple[Plan, ...], store: _column.ColumnStore | None) -> Access | None:
        """The union of the branches' paths, whatever serves each; None when a branch has none."""
        parts: list[Access] = []
        for child in children:
            path = self._path(child, store is not None)
            if path is None:
                return None
            # A union in a union is flattened: its column branches then join the others' pass.
            parts.extend(path.parts if isinstance(path, Union) else [path])
        # Branches on the vectors not read yet are read in one pass, as an OR of their clauses.
        waiting = [part for part in parts if isinstance(part, ColumnMatch) and part.pending]
        if store is not None and len(waiting) > 1:
            plans = ("or", tuple(part.plan for part in waiting))
            merged = ColumnMatch(store, plans, all(part.whole for part in waiting))
            first = parts.index(waiting[0])
            parts = [part for part in parts if part not in waiting]
            parts.insert(first, merged)
        return parts[0] if len(parts) == 1 else Union(parts, self.rows)

    # -- one clause ---------------------------------------------------------------------------------------

    def _leaf(self, node: Plan) -> Access | None:
        kind = node[0]
        if kind not in _SERVED:
            return None
        field = node[1]
        clause = (node,)
        if kind in ("eq", "in", "is_null"):
            values = (node[2],) if kind == "eq" else node[2] if kind == "in" else (None,)
            if field == self.pk_field and kind != "is_null" and _hashable(values):
                return PkLookup(values, self.records, clause)
            return self._equality(field, kind, values, clause)
        index = self.indexes.get(field)
        if not isinstance(index, SortedIndex):
            return None
        if kind in _RANGES or kind == "between":
            bounds = _Bounds()
            bounds.add(node)
            if not all(range_safe(value) for value in node[2:]):
                return None
            return Lookup(index, "range", bounds.args(), clause)
        if kind == "startswith":
            return Lookup(index, "prefix", (node[2],), clause)
        if kind == "like" and not node[4]:
            prefix = like_prefix(node[2], node[3])
            return Lookup(index, "prefix", (prefix,), clause) if prefix else None
        return None

    def _equality(
        self, field: Any, kind: str, values: tuple[Any, ...], clause: tuple[Plan, ...]
    ) -> Access | None:
        index = self.indexes.get(field)
        if index is None or isinstance(index, ColumnIndex):
            return None  # the column store serves its fields (``_column``)
        if isinstance(index, HashIndex) and not _hashable(values):
            return None
        if kind == "is_null" or (kind == "eq" and values[0] is None):
            return Lookup(index, "null" if isinstance(index, SortedIndex) else "equal", (None,), clause)
        if kind == "eq":
            return Lookup(index, "equal", values, clause)
        return Lookup(index, "in", (values,), clause)

    # -- AND ----------------------------------------------------------------------------------------------

    def _and(self, children: tuple[Plan, ...], store: _column.ColumnStore | None) -> Access | None:
        paths: list[Access] = []
        equal: dict[Any, Plan] = {}  # field -> its first == clause
        ranges: dict[Any, _Bounds] = {}
        served: list[Plan] = []  # the children the column store evaluates
        for child in children:
            kind = child[0]
            on_columns = store is not None and store.supports(child)
            if on_columns:
                served.append(child)
            if kind == "eq":
                equal.setdefault(child[1], child)
            if (kind in _RANGES or kind == "between") and all(range_safe(v) for v in child[2:]):
                ranges.setdefault(child[1], _Bounds()).add(child)
                continue
            if kind in ("and", "or"):
                if not on_columns:  # else it is read with the other served children, in one pass
                    path = self._path(child, store is not None)
                    if path is not None:
                        paths.append(path)
            else:
                path = self._leaf(child)
                if path is not None:
                    paths.append(path)
        for field, bounds in ranges.items():
            index = self.indexes.get(field)
            if isinstance(index, SortedIndex):
                paths.append(Lookup(index, "range", bounds.args(), tuple(bounds.clauses)))
        paths.extend(self._composites(equal, ranges))
        if store is not None and served:
            part = served[0] if len(served) == 1 else ("and", tuple(served))
            paths.append(ColumnMatch(store, part, len(served) == len(children)))
        known = [path for path in paths if not path.pending]
        if known:
            best = min(known, key=lambda path: path.estimate)
            if self._beats_column(best):
                paths = known  # cheaper than reading the vectors even once: they would not pay
        if not paths:
            return None
        paths.sort(key=lambda path: path.estimate)
        chosen = [paths[0]]
        size = paths[0].estimate
        covered = _clauses(paths[0])
        for path in paths[1:]:
            if size <= INTERSECT_FLOOR or path.estimate > INTERSECT_RATIO * size:
                break
            clauses = _clauses(path)
            if clauses <= covered:
                continue  # it answers clauses already answered (a composite's prefix): it cannot narrow
            chosen.append(path)
            covered |= clauses
        return chosen[0] if len(chosen) == 1 else Intersect(chosen)

    def _composites(self, equal: dict[Any, Plan], ranges: dict[Any, _Bounds]) -> list[Access]:
        """Paths through composite indexes: equality on leading fields, then maybe a range on the next."""
        paths: list[Access] = []
        for index in self.indexes.values():
            fields = index.fields
            if len(fields) < 2:
                continue
            lead = 0
            while lead < len(fields) and fields[lead] in equal:
                lead += 1
            prefix = tuple(equal[field][2] for field in fields[:lead])
            clauses = [equal[field] for field in fields[:lead]]
            if isinstance(index, HashIndex):
                if lead == len(fields) and _hashable(prefix):
                    paths.append(Lookup(index, "equal", (prefix,), tuple(clauses)))
                continue
            following = ranges.get(fields[lead]) if lead < len(fields) else None
            if lead == 0 and following is None:
                continue
            if following is not None:
                clauses.extend(following.clauses)
            args = _composite_range(prefix, following, more=lead + 1 < len(fields))
            paths.append(Lookup(index, "range", args, tuple(clauses)))
        return paths


def _column_led(path: Access) -> bool:
    """True when ``path``'s candidates come from one pass over the column vectors (then maybe narrowed)."""
    if isinstance(path, Intersect):
        path = path.parts[0]
    return isinstance(path, ColumnMatch)


def _clauses(path: Access) -> set[int]:
    """The plan nodes ``path`` answers, by identity: the clauses of a lookup, or the node of a union."""
    if isinstance(path, (Lookup, PkLookup)):
        return {id(node) for node in path.clause}
    return {id(path)}


class _Top:
    """Above every value in the total order: the kernel orders groups of other types by type name, and no
    type's name sorts after this one's. Only ever a bound, never stored."""

    __slots__ = ()


_Top.__name__ = _Top.__qualname__ = "\U0010ffff"
_TOP = _Top()


def _composite_range(prefix: tuple[Any, ...], following: _Bounds | None, more: bool) -> tuple[Any, ...]:
    """The tuple bounds of a composite sorted index for equality on ``prefix``, then ``following`` on the
    next field (``more``: fields after that one). A stored key ``(*prefix, v, ...)`` is longer than
    ``(*prefix, v)``, hence bigger; ``(*prefix, v, _TOP)`` is above all of them."""
    if following is None:
        return prefix, (*prefix, _TOP), True, True
    low, high, include_low, include_high = following.args()
    if low is None:
        low_key, include_low = prefix, True
    elif include_low or not more:
        low_key = (*prefix, low)
    else:
        low_key, include_low = (*prefix, low, _TOP), False
    if high is None:
        high_key, include_high = (*prefix, _TOP), True
    elif include_high and more:
        high_key = (*prefix, high, _TOP)
    else:
        high_key = (*prefix, high)
    return low_key, high_key, include_low, include_high
