"""Fuzz target: the LIKE matcher (``Field.like`` and ``Field.ilike``, with and without an escape character).

The reference is written here, independently of both cores: the pattern becomes a regular expression
(``%`` is ``.*``, ``_`` is ``.``, the escape character makes the next character literal, everything else is
itself), matched against the whole string; ILIKE casefolds the text and the pattern's literal characters.
Texts are drawn from an alphabet of case-folding oddities and metacharacters, and half of them are made
from the pattern itself, so that matches are common. The checks:

- ``expr(record)``, both twins' ``compile_plan(expr.plan)`` and the reference agree on every text;
- a pattern that ends with its escape character raises ``ValueError`` from ``like``/``ilike``, and from
  both twins' ``compile_plan``;
- ``select(where=...)`` on a table of the texts (with a sorted index on the field half the time, which
  the planner may use for a literal prefix) returns exactly the texts the reference matches.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from dictdb import Field, Table
from dictdb._core import _predicate_py as pure
from fuzz import values
from fuzz.source import Source

try:
    compiled: Any = importlib.import_module("dictdb._core._predicate")
except ImportError:  # a pure install: the twin is compared with itself and with the reference
    compiled = pure

ESCAPES = (None, None, "!", "\\", "%", "_", "a", "ß")


class TrailingEscape(Exception):
    """The reference's verdict on a pattern that ends with its escape character."""


def reference_regex(pattern: str, escape: str | None, fold: bool) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == escape:
            literal = next(chars, None)
            if literal is None:
                raise TrailingEscape(pattern)
            parts.append(re.escape(literal.casefold() if fold else literal))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char.casefold() if fold else char))
    return re.compile("".join(parts), re.DOTALL)


def reference_match(regex: re.Pattern[str], value: Any, fold: bool) -> bool:
    if not isinstance(value, str):
        return False
    return regex.fullmatch(value.casefold() if fold else value) is not None


def raises_value_error(call: Callable[[], object]) -> bool:
    try:
        call()
    except ValueError:
        return True
    return False


def text_from(source: Source, pattern: str, escape: str | None) -> str:
    """A text the pattern likely matches: wildcards filled in, escapes dropped, case sometimes flipped."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == escape:
            out.append(next(chars, ""))
        elif char == "%":
            out.append(values.text(source, longest=3))
        elif char == "_":
            out.append(source.pick(values.ALPHABET))
        else:
            out.append(char)
    text = "".join(out)
    return source.pick((text, text.upper(), text.swapcase(), text[:-1], text + "a"))


def one_input(data: bytes) -> str:
    source = Source(data)
    pattern = values.text(source, longest=10)
    escape = source.pick(ESCAPES)
    fold = source.boolean()
    field = Field("s")
    try:
        regex = reference_regex(pattern, escape, fold)
    except TrailingEscape:
        regex = None
    if regex is None:
        plan = ("like", "s", pattern, escape, fold)
        calls = {
            "like": partial(field.like, pattern, escape=escape),
            "ilike": partial(field.ilike, pattern, escape=escape),
            "compiled compile_plan": partial(compiled.compile_plan, plan),
            "pure compile_plan": partial(pure.compile_plan, plan),
        }
        for name, call in calls.items():
            assert raises_value_error(call), f"{name} took {pattern!r}, which ends with its escape {escape!r}"
        return "trailing escape"
    expr = field.ilike(pattern, escape=escape) if fold else field.like(pattern, escape=escape)
    texts: list[Any] = [
        text_from(source, pattern, escape) if source.boolean() else values.text(source)
        for _ in range(source.between(1, 8))
    ]
    texts.append(source.pick((None, 1, b"a", values.Text(pattern), ["a"])))
    twins = (compiled.compile_plan(expr.plan), pure.compile_plan(expr.plan))
    matched = 0
    for text in texts:
        record = {"s": text}
        want = reference_match(regex, text, fold)
        got = (expr(record), twins[0].matches(record), twins[1].matches(record))
        assert got == (want, want, want), (
            f"{'ilike' if fold else 'like'}({pattern!r}, escape={escape!r}) on {text!r}: "
            f"expr, compiled, pure gave {got}, the reference {want}"
        )
        matched += want
    table = Table("texts")
    if source.boolean():
        table.create_index("s", "sorted")
    table.insert([{"s": text} for text in texts])
    got_ids = [row["id"] for row in table.select(where=expr)]
    want_ids = [row["id"] for row in table.select() if reference_match(regex, row["s"], fold)]
    assert got_ids == want_ids, (
        f"select(where={expr!r}) over {table.indexed_fields()}: {got_ids}, not {want_ids}"
    )
    return "matched" if matched else "no match"
