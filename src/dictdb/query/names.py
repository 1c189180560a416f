"""The field names a plan reads: for checking names against a schema and for splitting a join's ``where``.

Predicate plans are listed in ``dictdb._core._predicate_py``; value plans (computed values) in
``dictdb._core._value_py``. A predicate node on a field keeps the field in its second slot; the nodes that
test computed values hold value plans instead:

- ``("cmp", op, left, right)``: two value plans compared (``table.a < table.b``);
- ``("of", value, test)``: a one-field test (its field slot unused) applied to a computed value
  (``(table.price * table.qty) > 100``).

A value plan is ``("field", name)``, ``("const", value)``, or an operation whose operands (every item after
the first that is a tuple) are value plans, e.g. ``("mul", ("field", "price"), ("field", "qty"))``;
``("round", operand, ndigits)`` keeps its digit count as a plain int.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["plan_fields", "rename_fields", "value_fields"]

Plan = tuple[Any, ...]

# Predicate nodes whose children are predicate plans, and the nodes without a field.
_BRANCHES = ("and", "or")
_NO_FIELD = ("true",)


def plan_fields(plan: Plan) -> list[Any]:
    """The field names a predicate plan reads, each once, in the order they first appear.

    Example:
        >>> from dictdb import Field
        >>> plan_fields(((Field("age") >= 18) & (Field("name") == "ada") | Field("age").is_null()).plan)
        ['age', 'name']
    """
    names: dict[Any, None] = {}
    _collect_predicate(plan, names)
    return list(names)


def value_fields(plan: Plan) -> list[Any]:
    """The field names a value plan reads, each once, in the order they first appear.

    Example:
        >>> value_fields(("mul", ("field", "price"), ("sub", ("field", "qty"), ("const", 1))))
        ['price', 'qty']
    """
    names: dict[Any, None] = {}
    _collect_value(plan, names)
    return list(names)


def rename_fields(plan: Plan, rename: Callable[[Any], Any]) -> Plan:
    """``plan`` with each field name ``name`` it reads replaced by ``rename(name)`` (constants untouched).

    Example:
        >>> from dictdb import Field
        >>> where = (Field("c.id") == 2) & (Field("c.age") > Field("n"))
        >>> rename_fields(where.plan, lambda name: name.removeprefix("c."))
        ('and', (('eq', 'id', 2), ('cmp', 'gt', ('field', 'age'), ('field', 'n'))))
    """
    kind = plan[0]
    if kind in _BRANCHES:
        return (kind, tuple(rename_fields(child, rename) for child in plan[1]))
    if kind == "not":
        return (kind, rename_fields(plan[1], rename))
    if kind == "cmp":
        return (kind, plan[1], _rename_value(plan[2], rename), _rename_value(plan[3], rename))
    if kind == "of":
        return (kind, _rename_value(plan[1], rename), plan[2])
    if kind in _NO_FIELD:
        return plan
    return (kind, rename(plan[1]), *plan[2:])


def _rename_value(plan: Plan, rename: Callable[[Any], Any]) -> Plan:
    kind = plan[0]
    if kind == "field":
        return (kind, rename(plan[1]))
    if kind == "const":
        return plan
    return (kind, *(_rename_value(item, rename) if isinstance(item, tuple) else item for item in plan[1:]))


def _collect_predicate(plan: Plan, names: dict[Any, None]) -> None:
    kind = plan[0]
    if kind in _BRANCHES:
        for child in plan[1]:
            _collect_predicate(child, names)
    elif kind == "not":
        _collect_predicate(plan[1], names)
    elif kind == "cmp":
        _collect_value(plan[2], names)
        _collect_value(plan[3], names)
    elif kind == "of":
        _collect_value(plan[1], names)
    elif kind not in _NO_FIELD:
        names.setdefault(plan[1], None)


def _collect_value(plan: Plan, names: dict[Any, None]) -> None:
    kind = plan[0]
    if kind == "field":
        names.setdefault(plan[1], None)
    elif kind != "const":
        for operand in plan[1:]:
            if isinstance(operand, tuple):
                _collect_value(operand, names)
