"""Fuzz target: the predicate compiler, through ``compile_plan`` and through the public DSL.

A case is either a raw plan tuple (valid, or malformed in one of the ways a plan can be) compiled by both
twins, ``dictdb._core._predicate`` and ``dictdb._core._predicate_py``, or an expression built with the
public DSL (``Field`` operators, ``&``, ``|``, ``~``, ``And``, ``Or``, ``Not``, ``Condition``) and run
through ``Table.select`` over random indexes. The checks:

- both twins compile the plan, or both raise the same exception class;
- on every record, ``matches`` gives the same answer in both, or both raise the same class (records may
  hold values whose comparisons raise: the class must come through unchanged); ``filter`` and ``count``
  agree with ``matches``;
- a DSL misuse raises ``TypeError`` or ``ValueError``, nothing else;
- ``select(where=expr)`` returns exactly the records the pure twin matches, in insertion order, whichever
  indexes the planner used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from typing import Any

from dictdb import And, Condition, Field, Not, Or, Table
from dictdb._core import _predicate_py as pure
from dictdb.query.expr import PredicateExpr
from fuzz import values
from fuzz.source import Source

try:
    compiled: Any = importlib.import_module("dictdb._core._predicate")
except ImportError:  # a pure install: the twins are compared with themselves, the DSL checks still run
    compiled = pure

Plan = tuple[Any, ...]

KINDS = (
    *("eq", "ne", "lt", "le", "gt", "ge"),
    *("between", "in", "contains", "startswith", "endswith"),
    *("iequals", "icontains", "istartswith", "iendswith", "like", "is_null", "is_not_null"),
    *("and", "or", "not", "true"),
)
STRING_KINDS = ("startswith", "endswith", "iequals", "icontains", "istartswith", "iendswith")


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """``("ok", result)`` or ``("raised", exception class)``: what the twins must agree on."""
    try:
        return "ok", call()
    except Exception as exc:  # any class, as long as both twins raise the same one
        return "raised", type(exc)


def valid_plan(source: Source, depth: int = 0) -> Plan:
    kind = source.pick(KINDS if depth < 3 else KINDS[:-4])
    field = source.pick(values.FIELDS)
    if kind in pure.COMPARISONS or kind == "contains":
        return (kind, field, values.value(source))
    if kind == "between":
        return (kind, field, values.value(source), values.value(source))
    if kind == "in":
        return (kind, field, tuple(values.value(source) for _ in range(source.below(4))))
    if kind in STRING_KINDS:
        return (kind, field, values.text(source))
    if kind == "like":
        escape = source.pick((None, "!", "\\", "%", "_", "ß"))
        return (kind, field, values.text(source), escape, source.boolean())
    if kind in ("is_null", "is_not_null"):
        return (kind, field)
    if kind in ("and", "or"):
        return (kind, tuple(valid_plan(source, depth + 1) for _ in range(source.between(1, 3))))
    if kind == "not":
        return (kind, valid_plan(source, depth + 1))
    return ("true",)


def malformed_plan(source: Source) -> Any:
    """A plan broken in one way: the compilers must refuse it alike (or accept it alike)."""
    plan = valid_plan(source)
    damage = source.below(9)
    if damage == 0:  # an item too many or too few
        return (*plan, values.value(source)) if source.boolean() else plan[:-1]
    if damage == 1:  # an unknown or mistyped node name
        return (source.pick(("EQ", "nope", "", None, 1, values.Text("eq"))), *plan[1:])
    if damage == 2:  # an operand of the wrong type where a tuple, str, escape or flag is expected
        return (*plan[:-1], source.pick(([1], "x", 1, None, ("a",), True, b"x", values.Text("x"))))
    if damage == 3:
        return source.pick(((), [], None, "eq", ("and", ()), ("or", ()), ("not",), ("true", 1)))
    if damage == 4:  # a LIKE node with a bad escape or case flag
        text = values.text(source)
        return ("like", "a", text, source.pick(("!!", "", 1, None, "!")), source.pick((1, None, True)))
    if damage == 5:  # a bad child inside a valid combinator
        return (source.pick(("and", "or")), (plan, malformed_plan(source)))
    if damage == 6:  # an unhashable field: fine to compile, raises when a record is read
        return (plan[0], [1], *plan[2:]) if len(plan) > 2 else plan
    if damage == 7:  # a list instead of a tuple
        return list(plan)
    return ("not", malformed_plan(source))


def check_plan(source: Source, plan: Any) -> str:
    records = [values.record(source, wild=True) for _ in range(source.below(6))]
    left = outcome(lambda: compiled.compile_plan(plan))
    right = outcome(lambda: pure.compile_plan(plan))
    assert left[0] == right[0], f"compile_plan({plan!r}): compiled {left}, pure {right}"
    if left[0] == "raised":
        assert left[1] is right[1], f"compile_plan({plan!r}) raised {left[1]} compiled, {right[1]} pure"
        return "refused"
    for record in records:
        got = outcome(partial(left[1].matches, record))
        want = outcome(partial(right[1].matches, record))
        assert got == want, f"{plan!r} on {record!r}: compiled {got}, pure {want}"
    limit = source.pick((None, 0, 1, 3))
    copy = source.boolean()
    got = outcome(lambda: [list(row.items()) for row in left[1].filter(records, copy=copy, limit=limit)])
    want = outcome(lambda: [list(row.items()) for row in right[1].filter(records, copy=copy, limit=limit)])
    assert got == want, f"{plan!r}: filter(copy={copy}, limit={limit}) compiled {got}, pure {want}"
    got = outcome(lambda: left[1].count(records))
    want = outcome(lambda: right[1].count(records))
    assert got == want, f"{plan!r}: count compiled {got}, pure {want}"
    return "compiled"


def dsl_expr(source: Source, depth: int = 0) -> PredicateExpr:
    """An expression built only with the public API; misuses raise TypeError or ValueError."""
    field = Field(source.pick(("a", "b", "c")))
    choice = source.below(24 if depth < 3 else 18)
    operand = values.tame(source)
    builders: list[Callable[[], PredicateExpr]] = [
        lambda: field == operand,
        lambda: field != operand,
        lambda: field < operand,
        lambda: field <= operand,
        lambda: field > operand,
        lambda: field >= operand,
        lambda: field.between(operand, values.tame(source)),
        lambda: field.is_in([operand, values.tame(source)]),
        lambda: field.contains(operand),
        lambda: field.startswith(values.text(source)),
        lambda: field.endswith(values.text(source)),
        lambda: field.iequals(values.text(source)),
        lambda: field.icontains(values.text(source)),
        lambda: field.is_null(),
        lambda: field.is_not_null(),
        lambda: field.like(values.text(source), escape=source.pick((None, "!", "%"))),
        lambda: field.ilike(values.text(source), escape=source.pick((None, "\\", "_"))),
        lambda: field.istartswith(values.text(source)) if source.boolean() else field.iendswith("ß"),
        lambda: dsl_expr(source, depth + 1) & dsl_expr(source, depth + 1),
        lambda: dsl_expr(source, depth + 1) | dsl_expr(source, depth + 1),
        lambda: ~dsl_expr(source, depth + 1),
        lambda: And(*(dsl_expr(source, depth + 1) for _ in range(source.between(2, 3)))),
        lambda: Or(dsl_expr(source, depth + 1), Not(dsl_expr(source, depth + 1))),
        lambda: Condition(dsl_expr(source, depth + 1)),
    ]
    return builders[choice]()


def dsl_misuse(source: Source) -> None:
    """One way of misusing the DSL; each must raise TypeError or ValueError."""
    field = Field("a")
    # Typed Any: these calls break the annotations on purpose.
    bad: Any = source.pick((1, None, b"a", "abc", "!!", "", 3, True, "a == 1"))
    misuse: list[Callable[[], object]] = [
        lambda: bool(field == 1),
        lambda: field.is_in(bad),
        lambda: field.like(values.text(source), escape=bad),
        lambda: field.like(values.text(source) + "!", escape="!"),
        lambda: field.startswith(bad),
        lambda: And(field == 1),
        lambda: Or(),
        lambda: Not(bad),
        lambda: (field == 1) & bad,
        lambda: bad in field,
        lambda: Field([1]),
    ]
    try:
        source.pick(misuse)()
    except (TypeError, ValueError):
        return
    # Some picks are legal (a LIKE pattern whose last escape is itself escaped): they must build a plan.


def check_dsl(source: Source) -> str:
    if source.chance(40):
        dsl_misuse(source)
        return "misuse"
    try:
        expr = dsl_expr(source)
    except (TypeError, ValueError):  # a generated LIKE pattern that ends with its escape character
        return "misuse"
    table = Table("fuzz")
    for field in ("a", "b", "c"):
        kind = source.pick((None, "hash", "sorted"))
        if kind is not None:
            table.create_index(field, kind)
    table.insert([values.record(source, wild=False) for _ in range(source.below(12))])
    rows = table.select()
    reference = pure.compile_plan(expr.plan)
    want = [row["id"] for row in rows if reference.matches(row)]
    got = [row["id"] for row in table.select(where=expr)]
    assert got == want, (
        f"select(where={expr!r}) over indexes {table.indexed_fields()}: {got}, expected {want}"
    )
    for row in rows:
        assert expr(row) == reference.matches(row), f"{expr!r} on {row!r}"
    return "selected"


def one_input(data: bytes) -> str:
    source = Source(data)
    mode = source.below(3)
    if mode == 0:
        return check_plan(source, valid_plan(source))
    if mode == 1:
        return check_plan(source, malformed_plan(source))
    return check_dsl(source)
