"""Immutable predicate expressions and the plans ``dictdb._core.predicate`` compiles.

A field operator (``table.age >= 18``) returns a ``PredicateExpr``. It holds a *plan*: nested tuples that
name each node (see ``dictdb._core._predicate_py`` for the node list). The planner reads plans to pick
indexes; the core compiles a plan once per query into an evaluator that loops over records in C.
"""

from __future__ import annotations

from typing import Any

from dictdb._core import predicate as _predicate

Plan = tuple[Any, ...]

_SYMBOLS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class PredicateExpr:
    """An immutable predicate over one record, combinable with ``&``, ``|`` and ``~``.

    Example:
        >>> from dictdb import Table
        >>> users = Table("users")
        >>> adult = (users.age >= 18) & ~(users.name == "root")
        >>> adult({"age": 30, "name": "ada"})
        True
    """

    __slots__ = ("_compiled", "_plan")

    _plan: Plan
    _compiled: Any

    def __init__(self, plan: Plan) -> None:
        object.__setattr__(self, "_plan", plan)
        object.__setattr__(self, "_compiled", None)

    @property
    def plan(self) -> Plan:
        """The plan tuple this expression stands for."""
        return self._plan

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __call__(self, record: dict[Any, Any]) -> bool:
        """Evaluate on one record; a missing field reads as ``None``."""
        compiled = self._compiled
        if compiled is None:
            compiled = _predicate.compile_plan(self._plan)
            object.__setattr__(self, "_compiled", compiled)
        return bool(compiled.matches(record))

    def __and__(self, other: object) -> PredicateExpr:
        return _combine("and", self, other)

    def __rand__(self, other: object) -> PredicateExpr:
        return _combine("and", other, self)

    def __or__(self, other: object) -> PredicateExpr:
        return _combine("or", self, other)

    def __ror__(self, other: object) -> PredicateExpr:
        return _combine("or", other, self)

    def __invert__(self) -> PredicateExpr:
        return PredicateExpr(("not", self._plan))

    def __bool__(self) -> bool:
        raise TypeError(
            "a DictDB predicate has no truth value: combine predicates with &, | and ~ (not and/or/not), "
            "write a range as table.age.between(18, 65) (not 18 <= table.age <= 65), "
            "and membership as table.age.is_in([...]) (not `in`)"
        )

    def __repr__(self) -> str:
        return f"<PredicateExpr {render(self._plan)}>"


class Condition(PredicateExpr):
    """A predicate wrapped for use as ``where=`` (optional: a bare expression works the same).

    ``Query`` is its older name. Example:
        >>> from dictdb import Condition, Table
        >>> users = Table("users")
        >>> Condition(users.age >= 18)({"age": 20})
        True
    """

    __slots__ = ()

    def __init__(self, expr: PredicateExpr) -> None:
        super().__init__(plan_of(expr, role="Condition(...)"))

    def __repr__(self) -> str:
        return f"Condition({render(self._plan)})"


Query = Condition


class And(PredicateExpr):
    """All of two or more predicates: ``And(a, b, c)`` is ``a & b & c``.

    Example:
        >>> from dictdb import And, Table
        >>> users = Table("users")
        >>> And(users.age >= 18, users.age < 65, users.name != "root")({"age": 30, "name": "ada"})
        True
    """

    __slots__ = ()

    def __init__(self, *operands: PredicateExpr) -> None:
        super().__init__(_flatten("and", _at_least_two("And", operands), "an operand of And(...)"))


class Or(PredicateExpr):
    """Any of two or more predicates: ``Or(a, b, c)`` is ``a | b | c``.

    Example:
        >>> from dictdb import Or, Table
        >>> users = Table("users")
        >>> Or(users.dept == "ops", users.dept == "dev")({"dept": "dev"})
        True
    """

    __slots__ = ()

    def __init__(self, *operands: PredicateExpr) -> None:
        super().__init__(_flatten("or", _at_least_two("Or", operands), "an operand of Or(...)"))


class Not(PredicateExpr):
    """The negation of one predicate: ``Not(a)`` is ``~a`` (a record failing ``a`` matches ``Not(a)``).

    Example:
        >>> from dictdb import Not, Table
        >>> users = Table("users")
        >>> Not(users.age >= 18)({"age": 12})
        True
    """

    __slots__ = ()

    def __init__(self, operand: PredicateExpr) -> None:
        super().__init__(("not", plan_of(operand, role="the operand of Not(...)", operand=True)))


def plan_of(value: object, role: str = "where", *, operand: bool = False) -> Plan:
    """The plan of a ``PredicateExpr`` or ``Condition``; ``TypeError`` naming ``role`` and the type
    otherwise. The message also holds ``dctdb``'s words for the same error ("must be a Condition or
    PredicateExpr", or for an ``operand`` of And, Or, Not, & and | "Expected PredicateExpr or Condition"),
    so code that matches either library's message keeps working.

    Example:
        >>> from dictdb import Field
        >>> plan_of(Field("age") >= 18)
        ('ge', 'age', 18)
        >>> plan_of(18)
        Traceback (most recent call last):
        ...
        TypeError: where must be a predicate built from table fields (e.g. table.age >= 18) or a Condition, \
not int (it must be a Condition or PredicateExpr)
    """
    if not isinstance(value, PredicateExpr):
        theirs = (
            "Expected PredicateExpr or Condition" if operand else "it must be a Condition or PredicateExpr"
        )
        raise TypeError(
            f"{role} must be a predicate built from table fields (e.g. table.age >= 18) or a Condition, "
            f"not {type(value).__name__} ({theirs})"
        )
    return value.plan


def _at_least_two(name: str, operands: tuple[object, ...]) -> tuple[object, ...]:
    if len(operands) < 2:
        # dctdb's words too ("requires at least 2 operands"), for code that matches its message.
        raise ValueError(
            f"{name}(...) takes at least two predicates, got {len(operands)} "
            f"({name} requires at least 2 operands)"
        )
    return operands


def _flatten(kind: str, operands: tuple[object, ...], role: str) -> Plan:
    plans: list[Plan] = []
    for operand in operands:
        plan = plan_of(operand, role=role, operand=True)
        # Flatten chains (a & b & c) into one node, so evaluation is one loop, not a nested tree.
        plans.extend(plan[1] if plan[0] == kind else (plan,))
    return (kind, tuple(plans))


def _combine(kind: str, left: object, right: object) -> PredicateExpr:
    return PredicateExpr(_flatten(kind, (left, right), f"an operand of {'&' if kind == 'and' else '|'}"))


_METHODS = {
    "startswith": "startswith",
    "endswith": "endswith",
    "contains": "contains",
    "iequals": "iequals",
    "icontains": "icontains",
    "istartswith": "istartswith",
    "iendswith": "iendswith",
}


def render(plan: Plan) -> str:
    """A readable form of a plan, for reprs and error messages.

    Example:
        >>> from dictdb import Field
        >>> render(((Field("age") >= 18) & Field("name").like("a%")).plan)
        "(age >= 18 & name.like('a%'))"
    """
    kind = plan[0]
    if kind in _SYMBOLS:
        return f"{plan[1]} {_SYMBOLS[kind]} {plan[2]!r}"
    if kind in _METHODS:
        return f"{plan[1]}.{_METHODS[kind]}({plan[2]!r})"
    if kind == "in":
        return f"{plan[1]}.is_in({list(plan[2])!r})"
    if kind == "between":
        return f"{plan[1]}.between({plan[2]!r}, {plan[3]!r})"
    if kind in ("is_null", "is_not_null"):
        return f"{plan[1]}.{kind}()"
    if kind == "like":
        escape = "" if plan[3] is None else f", escape={plan[3]!r}"
        return f"{plan[1]}.{'ilike' if plan[4] else 'like'}({plan[2]!r}{escape})"
    if kind in ("and", "or"):
        joiner = " & " if kind == "and" else " | "
        return "(" + joiner.join(render(child) for child in plan[1]) + ")"
    if kind == "not":
        inner = render(plan[1])
        # A comparison is wrapped so that ~(a == 1) does not read as (~a) == 1; and/or render in parentheses
        # already, method calls bind tighter than ~.
        return f"~({inner})" if _is_comparison(plan[1]) else f"~{inner}"
    if kind == "true":
        return "TRUE"
    if kind == "cmp":
        return f"{render_value(plan[2])} {_SYMBOLS[plan[1]]} {render_value(plan[3])}"
    if kind == "of":
        # The test, with the computed value written where a field name goes.
        test = plan[2]
        return render((test[0], render_value(plan[1]), *test[2:]))
    return repr(plan)


def _is_comparison(plan: Plan) -> bool:
    """True when ``plan`` renders as ``left <op> right``: a comparison with a constant, of two values, or of
    a computed value with a constant."""
    kind = plan[0]
    return kind in _SYMBOLS or kind == "cmp" or (kind == "of" and plan[2][0] in _SYMBOLS)


_ARITHMETIC = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%"}
_PARTS = ("year", "month", "day")


def render_value(plan: Plan) -> str:
    """A readable form of a value plan.

    Example:
        >>> from dictdb import Field
        >>> render_value(((Field("price") * Field("qty") - 1).round(2)).value_plan)
        '((price * qty) - 1).round(2)'
    """
    kind = plan[0]
    if kind == "field":
        return str(plan[1]) if isinstance(plan[1], str) else repr(plan[1])
    if kind == "const":
        return repr(plan[1])
    if kind in _ARITHMETIC:
        return f"({render_value(plan[1])} {_ARITHMETIC[kind]} {render_value(plan[2])})"
    if kind == "neg":
        return f"-{render_value(plan[1])}"
    if kind in _PARTS:
        return f"{render_value(plan[1])}.{kind}"
    if kind == "round":
        return f"{render_value(plan[1])}.round({plan[2]})"
    return f"{render_value(plan[1])}.{kind}()"


#: What a ``where=`` (or ``having=``) takes: a predicate (``table.age >= 18``, a ``Condition``), or ``None``.
Where = PredicateExpr | None
