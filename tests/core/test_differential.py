"""Differential test: random records and random plans through both cores and a plain-Python oracle.

The oracle is the documented rules written out the long way, independently of either core: LIKE, for one,
is matched here by dynamic programming over the pattern, not by the cores' segment algorithm.
"""

from __future__ import annotations

import contextlib
import math
import operator
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_core

FIELDS = ["a", "b", "c"]

texts = st.one_of(st.text(max_size=4), st.text(alphabet="aAbBsSß%_!", max_size=5))
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.integers(min_value=-5, max_value=5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 2.5, math.nan, math.inf]),
    texts,
    st.sampled_from(["", "a", "b", "ab", "B", "Straße", "STRASSE", "a%b", "_"]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),  # quiet NaN below; sNaN == x raises
    st.sampled_from([Decimal("NaN"), Decimal("1.5")]),
    st.tuples(st.integers(0, 2)),
    st.lists(st.integers(0, 2), max_size=2),  # unhashable
    st.binary(max_size=2),
)
records = st.lists(st.dictionaries(st.sampled_from(FIELDS), values, max_size=3), max_size=12)
field_names = st.sampled_from(FIELDS)
escapes = st.sampled_from([None, "!", "%", "a"])


def like_tokens(pattern: str, escape: str | None) -> list[str | None] | None:
    """A LIKE pattern as tokens: a character, ``None`` for ``_``, ``"%%"`` for ``%``; None if malformed."""
    tokens: list[str | None] = []
    chars = iter(pattern)
    for char in chars:
        if char == escape:
            following = next(chars, None)
            if following is None:
                return None
            tokens.append(following)
        elif char == "%":
            tokens.append("%%")
        elif char == "_":
            tokens.append(None)
        else:
            tokens.append(char)
    return tokens


def like_matches(tokens: list[str | None], text: str, fold: bool) -> bool:
    if fold:
        text = text.casefold()
        folded: list[str | None] = []
        for token in tokens:
            if token is None or token == "%%":
                folded.append(token)
            else:
                folded.extend(token.casefold())
        tokens = folded
    # reachable[j]: the tokens seen so far can match text[:j].
    reachable = [True] + [False] * len(text)
    for token in tokens:
        if token == "%%":
            for j in range(1, len(text) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [
                reachable[j] and (token is None or token == text[j]) for j in range(len(text))
            ]
    return reachable[len(text)]


comparisons = st.tuples(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), field_names, values)
betweens = st.tuples(st.just("between"), field_names, values, values)
memberships = st.tuples(st.just("in"), field_names, st.lists(values, max_size=4).map(tuple))
contains = st.tuples(st.just("contains"), field_names, values)
string_tests = st.tuples(
    st.sampled_from(["startswith", "endswith", "iequals", "icontains", "istartswith", "iendswith"]),
    field_names,
    texts,
)
likes = st.tuples(st.just("like"), field_names, texts, escapes, st.booleans()).filter(
    lambda plan: like_tokens(plan[2], plan[3]) is not None
)
nulls = st.tuples(st.sampled_from(["is_null", "is_not_null"]), field_names)
leaves = st.one_of(
    comparisons, betweens, memberships, contains, string_tests, likes, nulls, st.just(("true",))
)
plans = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.tuples(st.just("and"), st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.tuples(st.just("or"), st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.tuples(st.just("not"), children),
    ),
    max_leaves=8,
)

ORDERING = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
STRING_TESTS = {
    "startswith": lambda s, t: s.startswith(t),
    "endswith": lambda s, t: s.endswith(t),
    "iequals": lambda s, t: s.casefold() == t.casefold(),
    "icontains": lambda s, t: t.casefold() in s.casefold(),
    "istartswith": lambda s, t: s.casefold().startswith(t.casefold()),
    "iendswith": lambda s, t: s.casefold().endswith(t.casefold()),
}


def ordered(kind: str, current: Any, value: Any) -> bool:
    if current is None or value is None:
        return False
    try:
        return bool(ORDERING[kind](current, value))
    except (TypeError, ArithmeticError):
        return False


def oracle(plan: tuple[Any, ...], record: dict[str, Any]) -> bool:
    """The documented rules, written out the long way."""
    kind = plan[0]
    if kind == "true":
        return True
    if kind == "and":
        return all(oracle(child, record) for child in plan[1])
    if kind == "or":
        return any(oracle(child, record) for child in plan[1])
    if kind == "not":
        return not oracle(plan[1], record)
    current = record.get(plan[1])
    if kind == "is_null":
        return current is None
    if kind == "is_not_null":
        return current is not None
    if kind == "eq":
        return bool(current == plan[2])
    if kind == "ne":
        return bool(current != plan[2])
    if kind in ORDERING:
        return ordered(kind, current, plan[2])
    if kind == "between":
        return ordered("ge", current, plan[2]) and ordered("le", current, plan[3])
    if kind == "in":
        return current in plan[2]
    if kind == "contains":
        try:
            return plan[2] in current
        except (TypeError, ValueError):
            return False
    if not isinstance(current, str):
        return False
    if kind == "like":
        tokens = like_tokens(plan[2], plan[3])
        assert tokens is not None
        return like_matches(tokens, current, plan[4])
    return bool(STRING_TESTS[kind](current, plan[2]))


CORES = [load_core("python")]
with contextlib.suppress(ImportError):  # the core fixture reports a missing build; the twin is checked still
    CORES.append(load_core("cython"))


@settings(max_examples=1500, deadline=None)
@given(records=records, plan=plans)
def test_cores_agree_with_the_oracle(records: list[dict[str, Any]], plan: tuple[Any, ...]) -> None:
    expected = [i for i, record in enumerate(records) if oracle(plan, record)]
    for core in CORES:
        predicate = core.predicate.compile_plan(plan)
        tagged = [dict(record, _i=i) for i, record in enumerate(records)]
        assert [r["_i"] for r in predicate.filter(tagged)] == expected, core.kind
        assert [i for i, r in enumerate(records) if predicate.matches(r)] == expected, core.kind
        assert predicate.count(records) == len(expected), core.kind
        assert predicate.filter(records, copy=True, limit=2) == [records[i] for i in expected[:2]], core.kind


@settings(max_examples=300, deadline=None)
@given(text=texts, pattern=texts, escape=escapes, fold=st.booleans())
def test_like_against_the_oracle(text: str, pattern: str, escape: str | None, fold: bool) -> None:
    tokens = like_tokens(pattern, escape)
    plan = ("like", "s", pattern, escape, fold)
    for core in CORES:
        if tokens is None:
            with contextlib.suppress(ValueError):
                core.predicate.compile_plan(plan)
                raise AssertionError(f"{core.kind} accepted {pattern!r} ending with its escape {escape!r}")
            continue
        assert core.predicate.compile_plan(plan).matches({"s": text}) == like_matches(tokens, text, fold)
