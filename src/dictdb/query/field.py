"""``Field``: a named record field whose operators build predicate expressions."""

from __future__ import annotations

from typing import Any

from dictdb.query.expr import PredicateExpr


class Field:
    """A field of the records of a table; ``table.age`` and ``table.field("age")`` return one.

    Its comparison operators return ``PredicateExpr`` objects instead of booleans. A missing field reads
    as ``None``.

    Example:
        >>> from dictdb import Table
        >>> users = Table("users")
        >>> (users.age >= 18)({"age": 20})
        True
    """

    __slots__ = ("name",)

    # Comparison operators build expressions, so a Field cannot be a dict key or a set member.
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: Any) -> None:
        self.name = name

    def _compare(self, kind: str, value: Any) -> PredicateExpr:
        return PredicateExpr((kind, self.name, value))

    def __eq__(self, value: object) -> PredicateExpr:  # type: ignore[override]
        return self._compare("eq", value)

    def __ne__(self, value: object) -> PredicateExpr:  # type: ignore[override]
        return self._compare("ne", value)

    def __lt__(self, value: Any) -> PredicateExpr:
        return self._compare("lt", value)

    def __le__(self, value: Any) -> PredicateExpr:
        return self._compare("le", value)

    def __gt__(self, value: Any) -> PredicateExpr:
        return self._compare("gt", value)

    def __ge__(self, value: Any) -> PredicateExpr:
        return self._compare("ge", value)

    def __repr__(self) -> str:
        return f"Field({self.name!r})"
