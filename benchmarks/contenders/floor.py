"""The floor: hand-written Python over a list of dicts doing the same work, the best plain code can do.

Records live in a dict by primary key (insertion order, like a table). The indexes are hand-built: a "hash"
index is a dict from value to the list of records holding it, a "sorted" one a sorted list of values beside
the list of records in that order, searched with ``bisect``. Results are copies of the matching dicts
(``dict(record)``), as DictDB's are. Unlike DictDB, the floor returns an index range in index order (not
insertion order), knows nothing of ``None``, NaN or mixed types, and checks nothing: it is a bound on
speed, not a database. Its only write is a bulk load (copy, then bucket or sort once per index): keeping
hand-built indexes right through single inserts, updates and deletes is what a database is for.
"""

from __future__ import annotations

import base64
import datetime as dt
import heapq
import json
import pickle
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

IMPL_ID = "floor"
Record = dict[str, Any]


def impl() -> str:
    return IMPL_ID


@dataclass
class Store:
    """Records by primary key, and the hand-built indexes by field."""

    by_pk: dict[Any, Record]
    hashed: dict[str, dict[Any, list[Record]]] = field(default_factory=dict)
    sorted_: dict[str, tuple[list[Any], list[Record]]] = field(default_factory=dict)


def build(rows: list[Record], indexes: Mapping[str, str]) -> Store:
    store = Store({row["id"]: dict(row) for row in rows})
    records = list(store.by_pk.values())
    for name, kind in indexes.items():
        if kind == "hash":
            buckets: dict[Any, list[Record]] = {}
            for record in records:
                buckets.setdefault(record[name], []).append(record)
            store.hashed[name] = buckets
        else:
            in_order = sorted(records, key=itemgetter(name))
            store.sorted_[name] = ([record[name] for record in in_order], in_order)
    return store


#: A bulk load by hand: copy each row under its key, then bucket and sort once per index.
bulk_insert = build


def get_many(store: Store, keys: list[Any]) -> list[Record]:
    by_pk = store.by_pk
    return [dict(by_pk[key]) for key in keys]


def select_range(store: Store, name: str, low: Any, high: Any) -> list[Record]:
    if name in store.sorted_:
        values, records = store.sorted_[name]
        return [dict(r) for r in records[bisect_left(values, low) : bisect_right(values, high)]]
    return [dict(r) for r in store.by_pk.values() if low <= r[name] <= high]


def select_equal(store: Store, name: str, value: Any) -> list[Record]:
    if name in store.hashed:
        return [dict(r) for r in store.hashed[name].get(value, ())]
    return [dict(r) for r in store.by_pk.values() if r[name] == value]


def select_scan(store: Store, age_min: int, dept: str, salary_max: int) -> list[Record]:
    return [
        dict(r)
        for r in store.by_pk.values()
        if r["age"] >= age_min and r["dept"] == dept and r["salary"] < salary_max
    ]


def select_scan_arithmetic(store: Store, product_min: int, age_min: int, dept: str) -> list[Record]:
    return [
        dict(r)
        for r in store.by_pk.values()
        if r["salary"] * r["age"] > product_min and r["age"] >= age_min and r["dept"] == dept
    ]


def top_k(store: Store, name: str, k: int) -> list[Record]:
    if name in store.sorted_:
        _, records = store.sorted_[name]
        return [dict(r) for r in reversed(records[-k:])]
    return [dict(r) for r in heapq.nlargest(k, store.by_pk.values(), key=itemgetter(name))]


def select_sorted(store: Store, name: str) -> list[Record]:
    if name in store.sorted_:
        return [dict(r) for r in store.sorted_[name][1]]
    return [dict(r) for r in sorted(store.by_pk.values(), key=itemgetter(name))]


def select_distinct(store: Store, names: list[str]) -> list[Record]:
    seen = dict.fromkeys(tuple(r[name] for name in names) for r in store.by_pk.values())
    return [dict(zip(names, values, strict=True)) for values in seen]


def save_file(records: list[Record], path: Path, file_format: str) -> None:
    """``f.write(json.dumps(records))`` (``pickle.dump``) of the list of records to an ordinary file: the
    fastest plain way, one C call for the whole text; no snapshot, no tags, no temp file, no fsync."""
    if file_format == "json":
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(records))
    else:
        with open(path, "wb") as f:
            pickle.dump(records, f)


def load_file(path: Path, file_format: str) -> list[Record]:
    """``json.loads(f.read())`` (``pickle.load``) of that file: no checks, no table rebuilt."""
    if file_format == "json":
        with open(path, encoding="utf-8") as f:
            loaded: list[Record] = json.loads(f.read())
    else:
        with open(path, "rb") as f:
            loaded = pickle.load(f)
    return loaded


def _tag(value: Any) -> Any:
    """``default`` for ``json.dumps``: a datetime, date, Decimal or bytes as a one-key object, the JSON
    types pass through the C encoder untouched."""
    kind = type(value)
    if kind is dt.datetime:
        return {"$datetime": value.isoformat()}
    if kind is dt.date:
        return {"$date": value.isoformat()}
    if kind is Decimal:
        return {"$decimal": str(value)}
    if kind is bytes:
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"cannot tag a {kind.__name__}")


_UNTAG = {
    "$datetime": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$decimal": Decimal,
    "$bytes": base64.b64decode,
}


def _untag(obj: dict[str, Any]) -> Any:
    """``object_hook`` for ``json.loads``: a one-key object keyed by a tag of ``_tag`` back to its value."""
    if len(obj) == 1:
        ((key, payload),) = obj.items()
        restore = _UNTAG.get(key)
        if restore is not None:
            return restore(payload)
    return obj


def save_tagged(records: list[Record], path: Path) -> None:
    """The floor of a JSON save of records holding datetimes, dates, Decimals and bytes: by hand,
    ``f.write(json.dumps(records, default=_tag))``, each such value a ``{"$datetime": isoformat}``-style
    object (no escaping of user dicts shaped like one, no other type, no checks)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(records, default=_tag))


def load_tagged(path: Path) -> list[Record]:
    """The floor of loading that file: ``json.loads(f.read(), object_hook=_untag)``."""
    with open(path, encoding="utf-8") as f:
        loaded: list[Record] = json.loads(f.read(), object_hook=_untag)
    return loaded


def count_avg(records: Iterable[Record], by: str, name: str) -> list[Record]:
    """Group ``records`` by ``by``: the count, and the mean of ``name`` over its non-None values."""
    counts: dict[Any, int] = {}
    totals: dict[Any, Any] = {}
    seen: dict[Any, int] = {}
    for record in records:
        key = record.get(by)
        counts[key] = counts.get(key, 0) + 1
        value = record.get(name)
        if value is not None:
            totals[key] = totals.get(key, 0) + value
            seen[key] = seen.get(key, 0) + 1
    return [
        {by: key, "n": n, "avg": totals[key] / seen[key] if seen.get(key) else None}
        for key, n in counts.items()
    ]


def group_count_avg(store: Store, by: str, name: str) -> list[Record]:
    return count_avg(store.by_pk.values(), by, name)
