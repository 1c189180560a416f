"""Joined rows: the pure-Python twin of ``_join.pyx``.

A join's rows are fresh dicts: a copy of the left record, then the right record's fields, a right field
whose name the left record also has renamed ``<prefix><field>`` (the prefix is ``"<right table>."``).
``join_rows`` walks the left records in order, finds each one's matches through ``lookup`` and builds its
rows; it is the whole per-row work of ``Table.join``, so it lives in the core.

Join keys follow SQL's NULL and Python's equality as a dict has it (``1 == 1.0 == True``): a key that is
``None``, missing, unequal to itself (NaN), or unhashable matches nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["group_by_key", "join_rows", "usable_key"]

Record = dict[Any, Any]


def usable_key(key: Any) -> bool:
    """Whether a join key can match: not ``None``, equal to itself (not NaN), and hashable.

    >>> usable_key(1), usable_key(None), usable_key(float("nan")), usable_key([1])
    (True, False, False, False)
    """
    if key is None:
        return False
    kind = type(key)
    if kind is int or kind is str:
        return True
    try:
        hash(key)
        return bool(key == key)
    except Exception:  # an unhashable value, or one whose == raises (a signaling NaN)
        return False


def group_by_key(records: Iterable[Record], field: Any) -> dict[Any, list[Record]]:
    """``{key: [records]}`` of the records whose ``field`` is a usable key, each list in the records' order.

    >>> group_by_key([{"k": 1}, {"k": None}, {"k": 1.0}, {"k": [2]}], "k")
    {1: [{'k': 1}, {'k': 1.0}]}
    """
    table: dict[Any, list[Record]] = {}
    for record in records:
        key = record.get(field)
        if not usable_key(key):
            continue
        group = table.get(key)
        if group is None:
            table[key] = [record]
        else:
            group.append(record)
    return table


def join_rows(
    lefts: Iterable[Record],
    field: Any,
    lookup: Mapping[Any, Any] | Callable[[Any], list[Record] | None],
    many: bool,
    prefix: str,
    keep: bool,
    limit: int | None = None,
) -> list[Record]:
    """The joined rows of ``lefts``, in their order, each left record's matches in ``lookup``'s order.

    ``lookup`` is a dict, key -> one right record (``many=False``, a table's records by primary key) or key
    -> a list of them (``many=True``), or a function of the key returning a list of right records (or
    ``None``). ``keep``: a left record without a match gives one row of its own fields (a left join).
    ``limit``: stop after that many rows.

    >>> customers = {1: {"id": 1, "name": "ada"}}
    >>> join_rows([{"id": 7, "cid": 1}, {"id": 8, "cid": 2}], "cid", customers, False, "customers.", True)
    [{'id': 7, 'cid': 1, 'customers.id': 1, 'name': 'ada'}, {'id': 8, 'cid': 2}]
    """
    out: list[Record] = []
    if limit is not None and limit <= 0:
        return out
    renames: dict[Any, str] = {}
    table = lookup if isinstance(lookup, dict) else None
    for left in lefts:
        key = left.get(field)
        found: Any = None
        if usable_key(key):
            found = table.get(key) if table is not None else lookup(key)  # type: ignore[operator]
        if found is None or (many and not found):
            if keep:
                out.append(dict(left))
                if limit is not None and len(out) >= limit:
                    return out
            continue
        for right in found if many else (found,):
            row = dict(left)
            for name, value in right.items():
                if name in left:
                    renamed = renames.get(name)
                    if renamed is None:
                        renamed = renames[name] = prefix + str(name)
                    row[renamed] = value
                else:
                    row[name] = value
            out.append(row)
            if limit is not None and len(out) >= limit:
                return out
    return out
