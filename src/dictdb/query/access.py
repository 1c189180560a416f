"""Access paths: how the planner gets the candidate records of a query, and how each path describes itself.

A path either yields *candidates* (primary keys that include every record the predicate matches, and maybe
more) or is a ``Scan`` of the whole table. Candidates come as a list of primary keys (no repeats), or as a
dict ``{pk: sequence number}`` when the path has the numbers at hand (a hash index's bucket), which saves
looking them up when the candidates are put back in insertion order.

``estimate`` is what a path expects to yield (exact for a hash bucket, a primary-key lookup and a sorted
range; an upper bound for an intersection and a union), known before anything is fetched. A ``ColumnMatch``
is the exception: its estimate is the count of its candidates, so asking for it evaluates its clauses over
the column store (once: the candidates are kept for ``fetch``). Until then the path is ``pending``, and so
is an intersection or a union holding it: the planner asks for such an estimate only when a pass over the
vectors may pay.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain
from typing import Any

from dictdb._core import column as _column
from dictdb.index import HashIndex, Index, SortedIndex, is_null_key
from dictdb.query.expr import render

__all__ = ["Access", "Candidates", "ColumnMatch", "Intersect", "Lookup", "PkLookup", "Scan", "Union"]

Candidates = list[Any] | dict[Any, int]
#: The plan nodes a path answers (rendered only when explained).
Clauses = tuple[tuple[Any, ...], ...]

# Values a sorted index counts equal to in O(log n): those it keeps in a group where ties are equal values.
_COUNTABLE = frozenset({int, float, str, bytes})

# Values whose equality a hash bucket and the predicate decide alike.
_EXACT = frozenset({int, str})


class Access:
    """A way to the candidate records of a query."""

    __slots__ = ()

    @property
    def estimate(self) -> int:
        """How many candidates the path expects to yield (see the module docstring)."""
        raise NotImplementedError

    @property
    def pending(self) -> bool:
        """True while the estimate needs a pass over the column vectors that has not run yet."""
        return False

    def passes(self) -> int:
        """How many passes over the column vectors the path makes (each costs about the same, whatever it
        yields)."""
        return 0

    def fetch(self) -> Candidates:
        """The candidates' primary keys (see the module docstring)."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """The path as plain data, for ``Table.explain``."""
        raise NotImplementedError


class _Counted(Access):
    """A path whose estimate is known when it is made."""

    __slots__ = ("_expected",)

    _expected: int

    @property
    def estimate(self) -> int:
        return self._expected


class Scan(_Counted):
    """Every record is tested: no index serves the query (or none would be faster)."""

    __slots__ = ("reason",)

    def __init__(self, rows: int, reason: str) -> None:
        self._expected = rows
        self.reason = reason

    def fetch(self) -> Candidates:
        raise TypeError("a scan has no candidates: it tests every record")

    def describe(self) -> dict[str, Any]:
        return {"op": "scan", "rows": self.estimate, "reason": self.reason}


class PkLookup(_Counted):
    """``pk == v`` or ``pk.is_in(values)``: straight from the table's dict of records."""

    __slots__ = ("clause", "keys", "records", "seq")

    def __init__(self, keys: tuple[Any, ...], records: Mapping[Any, Any], clause: Clauses) -> None:
        self.keys = keys
        self.records = records
        self.clause = clause
        self._expected = sum(1 for key in dict.fromkeys(keys) if key in records)

    def fetch(self) -> Candidates:
        records = self.records
        return [key for key in dict.fromkeys(self.keys) if key in records]

    def describe(self) -> dict[str, Any]:
        return {"op": "primary key", "clause": _render(self.clause), "estimate": self.estimate}


class Lookup(_Counted):
    """One index answering one clause (or a few, merged: ``age >= 30 & age < 40`` is one range).

    ``how`` says what is asked of the index:

    - ``"equal"`` (``args``: the value), ``"in"`` (the values), ``"null"`` (none): equality;
    - ``"range"`` (``low, high, include_low, include_high``): a sorted index's range;
    - ``"prefix"`` (the str prefix): a sorted index's prefix search, for ``startswith`` and ``like("ab%")``.

    A composite sorted index asked for an equality on its leading fields, then maybe a range on the next one,
    gets a ``"range"`` over tuples.
    """

    __slots__ = ("_fetched", "args", "clause", "how", "index")

    def __init__(self, index: Index, how: str, args: tuple[Any, ...], clause: Clauses) -> None:
        self.index = index
        self.how = how
        self.args = args
        self.clause = clause
        self._fetched: Candidates | None = None
        self._expected = self._estimate()

    def _estimate(self) -> int:
        index, how, args = self.index, self.how, self.args
        if isinstance(index, HashIndex):
            values = dict.fromkeys(args[0]) if how == "in" else (None if how == "null" else args[0],)
            return sum(map(index.count, values))
        assert isinstance(index, SortedIndex)
        if how == "range":
            low, high, include_low, include_high = args
            return index.count_range(low, high, include_low=include_low, include_high=include_high)
        if how == "equal" and type(args[0]) in _COUNTABLE and args[0] == args[0]:
            return index.count_range(args[0], args[0])
        # Other lookups are counted by fetching, O(log n + matches); the list is kept for ``fetch``.
        self._fetched = self._fetch()
        return len(self._fetched)

    def fetch(self) -> Candidates:
        fetched = self._fetched
        if fetched is not None:
            self._fetched = None
            return fetched
        return self._fetch()

    def answers(self, plan: tuple[Any, ...]) -> bool:
        """True when the candidates are exactly the records ``plan`` matches, so that none needs testing: the
        plan is this path's one clause, an equality on the one field of a hash index with a str or int value.
        The bucket holds the records whose value hashes like it and compares equal to it, what the clause's
        ``==`` keeps; for other values (None, NaN, a float, a type of one's own) the two may differ."""
        return (
            self.how == "equal"
            and type(self.args[0]) in _EXACT
            and isinstance(self.index, HashIndex)
            and len(self.index.fields) == 1
            and len(self.clause) == 1
            and self.clause[0] is plan
        )

    def _fetch(self) -> Candidates:
        index, how, args = self.index, self.how, self.args
        if isinstance(index, HashIndex):
            if how != "in":
                return index._candidates(None if how == "null" else args[0])
            return _union([index._candidates(value) for value in dict.fromkeys(args[0])])
        assert isinstance(index, SortedIndex)
        if how == "range":
            low, high, include_low, include_high = args
            return index.range(low, high, include_low=include_low, include_high=include_high)
        if how == "equal":
            return index.search(args[0])
        if how == "in":
            found = chain.from_iterable(map(index.search, args[0]))
            if any(is_null_key(value, False) for value in args[0] if value is not None):
                # ``in`` matches by identity too (``nan in (nan,)``): the very NaN may be in the null bucket.
                found = chain(found, index.nulls())
            return list(dict.fromkeys(found))
        if how == "null":
            return index.nulls()
        return index.prefix(args[0])

    def describe(self) -> dict[str, Any]:
        index = self.index
        return {
            "op": "index",
            "index": index.field,
            "kind": index.definition,
            "lookup": self.how,
            "clause": _render(self.clause),
            "estimate": self.estimate,
        }


class Intersect(Access):
    """AND: the candidates of the most selective path, narrowed by the next ones while that pays."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Access]) -> None:
        self.parts = parts  # most selective first

    @property
    def estimate(self) -> int:
        return self.parts[0].estimate

    @property
    def pending(self) -> bool:
        return any(part.pending for part in self.parts)

    def passes(self) -> int:
        return sum(part.passes() for part in self.parts)

    def fetch(self) -> Candidates:
        current = self.parts[0].fetch()
        for part in self.parts[1:]:
            other = part.fetch()
            keep = other if isinstance(other, dict) else set(other)
            if isinstance(current, dict):
                current = {pk: seq for pk, seq in current.items() if pk in keep}
            else:
                current = [pk for pk in current if pk in keep]
        return current

    def describe(self) -> dict[str, Any]:
        return {"op": "intersect", "estimate": self.estimate, "inputs": [p.describe() for p in self.parts]}


class Union(Access):
    """OR, when every branch has a path (of any kind: an index, a primary-key lookup, a column match, an
    intersection, another union): the candidates of all branches."""

    __slots__ = ("parts", "rows")

    def __init__(self, parts: list[Access], rows: int) -> None:
        self.parts = parts
        self.rows = rows

    @property
    def estimate(self) -> int:
        return min(self.rows, sum(part.estimate for part in self.parts))

    @property
    def pending(self) -> bool:
        return any(part.pending for part in self.parts)

    def passes(self) -> int:
        return sum(part.passes() for part in self.parts)

    def known(self) -> int:
        """The estimate of the branches that need no pass over the column vectors to know theirs: a lower
        bound of ``estimate`` that costs nothing."""
        return min(self.rows, sum(part.estimate for part in self.parts if not part.pending))

    def fetch(self) -> Candidates:
        return _union([part.fetch() for part in self.parts])

    def describe(self) -> dict[str, Any]:
        return {"op": "union", "estimate": self.estimate, "inputs": [p.describe() for p in self.parts]}


class ColumnMatch(Access):
    """Clauses on column-indexed fields evaluated over the table's typed vectors (``ColumnStore.match``).

    ``plan`` is the node of the predicate the path serves (the whole predicate, or an OR's branch, or an OR
    of several branches: ``whole``), or the column-served children of an AND (not ``whole``). The
    candidates come in insertion order (the store's rows are), so they need no sort. ``exact`` is True when
    they are exactly the records that node matches: it was evaluated whole and no row was left unsure (a
    NaN, a big int, a Decimal... in a column); when the node is the whole predicate, they then need no
    re-check either. The vectors are read when the estimate, the candidates or ``exact`` are first asked
    for (``pending`` until then).
    """

    __slots__ = ("_exact", "_pks", "fields", "plan", "store", "whole")

    def __init__(self, store: _column.ColumnStore, plan: tuple[Any, ...], whole: bool) -> None:
        self.store = store
        self.plan = plan
        self.whole = whole
        self.fields = _leaf_fields(plan)
        self._pks: list[Any] | None = None
        self._exact = False

    @property
    def pending(self) -> bool:
        return self._pks is None

    def passes(self) -> int:
        return 1

    def _match(self) -> list[Any]:
        pks = self._pks
        if pks is None:
            pks, exact = self.store.match(self.plan)
            self._pks, self._exact = pks, self.whole and exact
        return pks

    @property
    def pks(self) -> list[Any]:
        """The candidates' primary keys, in insertion order."""
        return self._match()

    @property
    def exact(self) -> bool:
        self._match()
        return self._exact

    @property
    def estimate(self) -> int:
        return len(self.pks)

    def fetch(self) -> Candidates:
        return self.pks

    def describe(self) -> dict[str, Any]:
        return {
            "op": "column",
            "fields": self.fields,
            "clause": render(self.plan),
            "whole": self.whole,
            "exact": self.exact,
            "estimate": self.estimate,
        }


def _leaf_fields(plan: tuple[Any, ...]) -> list[Any]:
    """The fields the clauses of ``plan`` read, each once, in the order they appear."""
    seen: dict[Any, None] = {}
    stack = [plan]
    while stack:
        node = stack.pop()
        kind = node[0]
        if kind in ("and", "or"):
            stack.extend(reversed(node[1]))
        elif kind == "not":
            stack.append(node[1])
        elif len(node) > 1:
            seen.setdefault(node[1], None)
    return list(seen)


def _union(parts: list[Candidates]) -> Candidates:
    """The candidates of all ``parts``, once each (a dict when every part has its sequence numbers)."""
    if len(parts) == 1:
        return parts[0]
    if all(type(part) is dict for part in parts):
        merged: dict[Any, int] = {}
        for part in parts:
            merged.update(part)
        return merged
    return list(dict.fromkeys(chain.from_iterable(parts)))


def _render(clauses: Clauses) -> str:
    return " & ".join(render(node) for node in clauses)
