"""Values the harnesses put in records and operands: every type the cores treat specially, plus hostile ones.

``tame`` values are what a table may hold and sort (hashable, and saved by the file formats where they can
be); ``value`` adds unhashable containers, subclasses and objects whose comparisons raise, which only the
kernel-level checks use: the cores must agree on them too, raising the same exception class.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from fuzz.source import Source

# Characters that stress the string paths: case folding that changes length (ß, ﬁ), titlecase (ǅ), a
# dotted capital (İ), astral code points, NUL, and the LIKE and regex metacharacters.
ALPHABET = "aAbB%_!\\.*[]^$ßSs\u017fǅİi\u0307\U0001f600\x00 ﬁé"


class Text(str):
    """A str subclass: the cores must treat it as the str it holds."""

    __slots__ = ()


class Number(int):
    """An int subclass: it takes the generic comparison path, not the C fast path."""

    __slots__ = ()


class Boom(Exception):
    """What a hostile value raises; the cores must let it through unchanged."""


class Hostile:
    """A value whose comparisons and hash raise ``Boom``."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        raise Boom("eq")

    def __lt__(self, other: object) -> bool:
        raise Boom("lt")

    def __hash__(self) -> int:
        raise Boom("hash")

    def __repr__(self) -> str:
        return "Hostile()"


class Falsy:
    """An ``==`` that answers with an object whose truth value raises ``Boom``."""

    __slots__ = ()

    def __eq__(self, other: object) -> Any:
        return _NoTruth()

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "Falsy()"


class _NoTruth:
    def __bool__(self) -> bool:
        raise Boom("bool")


_UTC = dt.timezone.utc

TAME_ATOMS: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    2**53,
    2**53 + 1,
    2**63,
    -(2**70),
    0.0,
    -0.0,
    0.5,
    1.0,
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    Decimal("1"),
    Decimal("0.5"),
    Decimal("NaN"),
    "",
    "a",
    "A",
    "ab",
    "ß",
    "SS",
    "%",
    b"",
    b"a",
    (1, "a"),
    (),
    dt.date(2026, 1, 1),
    dt.datetime(2026, 1, 1, 12),
    dt.datetime(2026, 1, 1, 12, tzinfo=_UTC),
)

WILD_ATOMS: tuple[Any, ...] = (
    Text("ab"),
    Number(3),
    [1, "a"],
    {"a": 1},
    {1, 2},
    frozenset({1}),
    bytearray(b"a"),
    Decimal("sNaN"),
    object(),
    Hostile(),
    Falsy(),
)

FIELDS: tuple[Any, ...] = ("a", "b", "c", 1, ("t", 1), None, Text("a"))


def text(source: Source, alphabet: str = ALPHABET, longest: int = 8) -> str:
    return "".join(source.pick(alphabet) for _ in range(source.below(longest + 1)))


def tame(source: Source) -> Any:
    """A hashable value a table can hold and sort."""
    choice = source.below(8)
    if choice == 0:
        return text(source)
    if choice == 1:
        return source.between(-3, 3)
    if choice == 2:
        return (tame(source), tame(source))
    return source.pick(TAME_ATOMS)


def value(source: Source) -> Any:
    """Any value, wild ones included."""
    if source.chance(40):
        return source.pick(WILD_ATOMS)
    if source.chance(20):
        return [tame(source) for _ in range(source.below(3))]
    return tame(source)


def record(source: Source, wild: bool) -> dict[Any, Any]:
    """A record over ``FIELDS``; any field may be missing."""
    make = value if wild else tame
    return {field: make(source) for field in FIELDS if source.chance(170)}
