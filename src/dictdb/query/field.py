"""``Field``: a named record field, the simplest value expression; its operators build predicates."""

from __future__ import annotations

from typing import Any, NoReturn

from dictdb.query.expr import PredicateExpr
from dictdb.query.value import ValueExpr, check_name

__all__ = ["Field"]


class Field(ValueExpr):
    """A field of the records of a table; ``table.age`` and ``table.field("age")`` return one.

    Its operators and methods return ``PredicateExpr`` objects instead of booleans, or value expressions
    (``table.price * table.qty``, ``table.name.lower()``). A missing field reads as ``None``. See
    docs/queries.md for every operator and the rules on ``None``, NaN and mixed types.

    Example:
        >>> from dictdb import Table
        >>> users = Table("users")
        >>> (users.age >= 18)({"age": 20})
        True
        >>> users.name.ilike("a%")({"name": "Ada"})
        True
        >>> (users.spent > users.budget)({"spent": 120, "budget": 100})
        True
    """

    __slots__ = ("name",)

    def __init__(self, name: Any) -> None:
        self.name = check_name(name)

    @property
    def value_plan(self) -> tuple[Any, ...]:
        """``("field", name)``."""
        return ("field", self.name)

    def _test(self, kind: str, *operands: Any) -> PredicateExpr:
        # A test on the field itself keeps the field in the node, where the planner looks for indexes.
        return PredicateExpr((kind, self.name, *operands))

    def __contains__(self, item: object) -> NoReturn:
        raise TypeError(
            f"`in` cannot build a DictDB predicate: write field.contains(item) to test the field's value, "
            f"or field.is_in(values) for membership (field {self.name!r})"
        )

    def __repr__(self) -> str:
        return f"Field({self.name!r})"
