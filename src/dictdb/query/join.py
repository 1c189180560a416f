"""The parts of ``Table.join`` that need no table: its arguments, the split of its ``where``, and the right
side's access.

- ``parse_on`` / ``parse_how``: the join fields, ``(left_field, right_field)``, and the kind of join.
- ``split_where``: an AND at the top of ``where`` (or the one clause) is cut into parts; a part whose names
  all resolve to one table, and that keeps the same answer when run on that table's records, is *pushed*:
  the table selects with it (through its indexes) before the join. The rest runs on the joined rows.
- ``Probe``: how the right side's matches of a left key are found: the right's primary key, an index on the
  right field (probed once per left row), or a dict ``key -> [right records]`` built once.

How a row's name resolves to a side (a row holds the left record's fields, then the right's, a right field
the left record also has renamed ``"<right table>.<field>"``):

- a name the left table has (its schema, or the fields its records hold) is the left's; pushed only when
  the right table cannot have it (else a left record without the field shows the right's value under that
  name) or it is the left's primary key, which every left record has;
- ``"<right table>.<field>"``, for a field both tables have, is the right's; pushed only when ``field`` is the
  left's primary key (for another field, a left record without it shows the right's value unrenamed);
- a name only the right table has is the right's;
- any other name stays on the rows.

With ``how="left"`` a right part is never pushed: it would change which left rows come back without a match.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from dictdb._core import join as _join
from dictdb.index import HashIndex, SortedIndex
from dictdb.query.field import Field
from dictdb.query.names import rename_fields

__all__ = ["HOWS", "Probe", "Split", "parse_how", "parse_on", "split_where"]

Plan = tuple[Any, ...]
Record = dict[Any, Any]

#: The kinds of join.
HOWS = ("inner", "left")


def parse_how(how: Any) -> str:
    """``how`` checked: ``"inner"`` or ``"left"``.

    Example:
        >>> parse_how("left")
        'left'
    """
    if not isinstance(how, str) or how not in HOWS:
        raise ValueError(f"how must be 'inner' or 'left', not {how!r}")
    return how


def parse_on(on: Any) -> tuple[Any, Any]:
    """``(left_field, right_field)`` from a field name both tables have or a pair of names (a ``Field``
    stands for its name).

    Example:
        >>> parse_on("cid"), parse_on(("customer", "id"))
        (('cid', 'cid'), ('customer', 'id'))
    """
    if isinstance(on, tuple):
        if len(on) != 2:
            raise ValueError(f"on must be a field name or a (left_field, right_field) pair, not {on!r}")
        return _name(on[0]), _name(on[1])
    if isinstance(on, list):
        raise TypeError(f"on takes a (left_field, right_field) tuple, not a list: {on!r}")
    name = _name(on)
    return name, name


def _name(field: Any) -> Any:
    if isinstance(field, Field):
        return field.name
    if field is None:
        raise TypeError("on must name a field, not None")
    try:
        hash(field)
    except TypeError:
        raise TypeError(f"a join field must be a hashable field name, not {type(field).__name__}") from None
    return field


class Split:
    """``where`` cut for a join: ``left`` and ``right`` (plans pushed to each table, or ``None``) and
    ``rows`` (the plan run on the joined rows, or ``None``)."""

    __slots__ = ("left", "right", "rows")

    def __init__(self, left: Plan | None, right: Plan | None, rows: Plan | None) -> None:
        self.left = left
        self.right = right
        self.rows = rows


def split_where(
    plan: Plan | None,
    names: Callable[[Plan], list[Any]],
    left_fields: Collection[Any],
    right_fields: Collection[Any],
    left_pk: Any,
    right_name: str,
    how: str,
) -> Split:
    """Cut ``plan`` into the parts pushed to each table and the rest (see the module's rules); ``names``
    gives the field names a part reads.

    Example:
        >>> from dictdb import Field
        >>> from dictdb.query.names import plan_fields
        >>> where = (Field("amount") > 10) & (Field("country") == "FR") & (Field("customers.id") == 2)
        >>> split = split_where(where.plan, plan_fields, {"id", "amount"}, {"id", "country"}, "id",
        ...                     "customers", "inner")
        >>> split.left, split.right, split.rows
        (('gt', 'amount', 10), ('and', (('eq', 'country', 'FR'), ('eq', 'id', 2))), None)
    """
    if plan is None:
        return Split(None, None, None)
    parts = list(plan[1]) if plan[0] == "and" else [plan]
    sides: dict[str, list[Plan]] = {"left": [], "right": [], "rows": []}
    prefix = f"{right_name}."
    for part in parts:
        found = {_side(name, left_fields, right_fields, left_pk, prefix) for name in names(part)}
        side = found.pop() if len(found) == 1 else "rows"
        if side == "right" and how == "left":
            side = "rows"
        if side == "right":
            part = _unqualified(part, prefix, left_fields, right_fields)
        sides[side].append(part)
    return Split(_all_of(sides["left"]), _all_of(sides["right"]), _all_of(sides["rows"]))


def _side(
    name: Any, left_fields: Collection[Any], right_fields: Collection[Any], left_pk: Any, prefix: str
) -> str:
    clash = _clashing(name, prefix, left_fields, right_fields)
    if name in left_fields:
        if clash is not None:  # the left's own field and a renamed right one: ambiguous
            return "rows"
        return "left" if name == left_pk or name not in right_fields else "rows"
    if clash is not None:
        return "right" if clash == left_pk else "rows"
    return "right" if name in right_fields else "rows"


def _clashing(name: Any, prefix: str, left_fields: Collection[Any], right_fields: Collection[Any]) -> Any:
    """The right field that ``name`` is the renamed form of, or ``None``."""
    if not isinstance(name, str) or not name.startswith(prefix):
        return None
    for field in right_fields:
        if field in left_fields and prefix + str(field) == name:
            return field
    return None


def _unqualified(
    part: Plan, prefix: str, left_fields: Collection[Any], right_fields: Collection[Any]
) -> Plan:
    """``part`` with each ``"<right>.<field>"`` field name put back to the right table's own ``field``."""

    def field(name: Any) -> Any:
        clash = _clashing(name, prefix, left_fields, right_fields)
        return name if clash is None else clash

    return rename_fields(part, field)


def _all_of(parts: list[Plan]) -> Plan | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ("and", tuple(parts))


class Probe:
    """How a left key finds its right records: ``lookup`` and ``many`` as ``dictdb._core.join.join_rows``
    takes them, and ``describe()`` for the plan."""

    __slots__ = ("index", "lookup", "many", "method", "source")

    def __init__(self, method: str, lookup: Any, many: bool, index: Any = None, source: int = 0) -> None:
        self.method = method  # "primary key", "index" or "hash table"
        self.lookup = lookup
        self.many = many
        self.index = index
        self.source = source  # the records a hash table is built from

    def describe(self, table: str, field: Any, pushed: bool) -> dict[str, Any]:
        """The probe as plain data (``JoinPlan``'s ``probe``)."""
        probe: dict[str, Any] = {"side": "right", "table": table, "field": field, "method": self.method}
        if self.method == "index":
            probe.update(index=self.index.field, kind=_kind(self.index))
        elif self.method == "hash table":
            probe.update(records=self.source, filtered=pushed)
        return probe


def _kind(index: Any) -> str:
    return f"unique {index.kind}" if index.unique else str(index.kind)


def choose_probe(
    records: Mapping[Any, Record],
    pk_field: Any,
    indexes: Mapping[Any, Any],
    field: Any,
    kept: list[Record] | int | None,
) -> Probe:
    """The right side's access: ``kept`` are the right records a pushed part keeps (``None``: no part),
    from which a hash table is built; else the primary key or an index on ``field``, else a hash table of
    every record. An int ``kept`` (``explain_join``: only their expected count is known) describes the choice
    without building anything."""
    build = not isinstance(kept, int)
    if isinstance(kept, int):
        return Probe("hash table", None, True, source=kept)
    if kept is not None:
        return Probe("hash table", _join.group_by_key(kept, field), True, source=len(kept))
    if field == pk_field:
        return Probe("primary key", records, False)
    index = indexes.get(field)
    if isinstance(index, (HashIndex, SortedIndex)) and not index.composite:
        return Probe("index", _index_probe(records, index, field), True, index=index)
    table = _join.group_by_key(records.values(), field) if build else None
    return Probe("hash table", table, True, source=len(records))


def _index_probe(records: Mapping[Any, Record], index: Any, field: Any) -> Callable[[Any], list[Record]]:
    search = index.search
    usable = _join.usable_key
    sorted_index = isinstance(index, SortedIndex)
    # Many left rows share a key (orders of one customer): each distinct key is searched once.
    seen: dict[Any, list[Record]] = {}

    def probe(key: Any) -> list[Record]:
        found = seen.get(key)
        if found is None:
            found = [records[pk] for pk in search(key)]
            if sorted_index:
                # A sorted index also holds keys the join never matches (bytearray equals bytes, but is
                # unhashable); a hash index holds hashable, non-null keys only.
                found = [record for record in found if usable(record.get(field))]
            seen[key] = found
        return found

    return probe
