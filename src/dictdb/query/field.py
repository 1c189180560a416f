"""``Field``: a named record field whose operators build predicate expressions."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, NoReturn

from dictdb.query.expr import PredicateExpr


class Field:
    """A field of the records of a table; ``table.age`` and ``table.field("age")`` return one.

    Its operators and methods return ``PredicateExpr`` objects instead of booleans. A missing field reads
    as ``None``. See docs/queries.md for every operator and the rules on ``None``, NaN and mixed types.

    Example:
        >>> from dictdb import Table
        >>> users = Table("users")
        >>> (users.age >= 18)({"age": 20})
        True
        >>> users.name.ilike("a%")({"name": "Ada"})
        True
    """

    __slots__ = ("name",)

    # Comparison operators build expressions, so a Field cannot be a dict key or a set member.
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: Any) -> None:
        if not isinstance(name, Hashable):
            raise TypeError(f"a field name must be hashable (a dict key), not {type(name).__name__}")
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

    def is_in(self, values: Iterable[Any]) -> PredicateExpr:
        """Membership in ``values`` (Python equality, so ``1``, ``1.0`` and ``True`` are one value).

        Example:
            >>> Field("dept").is_in(["ops", "dev"])({"dept": "dev"})
            True
        """
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(
                f"is_in() takes a collection of values (a list, tuple or set), not {type(values).__name__}"
            )
        return PredicateExpr(("in", self.name, tuple(values)))

    def between(self, low: Any, high: Any) -> PredicateExpr:
        """``low <= value <= high`` (inclusive); ``None``, NaN and incomparable values never match.

        Example:
            >>> Field("age").between(18, 65)({"age": 65})
            True
        """
        return PredicateExpr(("between", self.name, low, high))

    def contains(self, item: Any) -> PredicateExpr:
        """``item in value``: a substring of a str, a member of a list, set or tuple, a key of a dict.

        A value that cannot hold ``item`` (a number, ``None``, an int in a str) never matches.

        Example:
            >>> Field("tags").contains("new")({"tags": ["new", "sale"]})
            True
        """
        return PredicateExpr(("contains", self.name, item))

    def startswith(self, prefix: str) -> PredicateExpr:
        """A str value that starts with ``prefix``; other types never match.

        Example:
            >>> Field("name").startswith("Ad")({"name": "Ada"})
            True
        """
        return PredicateExpr(("startswith", self.name, _text("startswith", prefix)))

    def endswith(self, suffix: str) -> PredicateExpr:
        """A str value that ends with ``suffix``; other types never match.

        Example:
            >>> Field("email").endswith(".org")({"email": "ada@python.org"})
            True
        """
        return PredicateExpr(("endswith", self.name, _text("endswith", suffix)))

    def is_null(self) -> PredicateExpr:
        """The value is ``None`` or the field is missing.

        Example:
            >>> Field("email").is_null()({})
            True
        """
        return PredicateExpr(("is_null", self.name))

    def is_not_null(self) -> PredicateExpr:
        """The field is present and not ``None``.

        Example:
            >>> Field("email").is_not_null()({"email": None})
            False
        """
        return PredicateExpr(("is_not_null", self.name))

    def like(self, pattern: str, escape: str | None = None) -> PredicateExpr:
        """SQL LIKE on str values: ``%`` any run of characters, ``_`` exactly one, over the whole string.

        ``escape`` (one character) makes the next character of the pattern literal. Other types never match.

        Example:
            >>> Field("code").like("A_%")({"code": "AB-12"})
            True
            >>> Field("rate").like("100!%", escape="!")({"rate": "100%"})
            True
        """
        return self._like(pattern, escape, fold=False)

    def ilike(self, pattern: str, escape: str | None = None) -> PredicateExpr:
        """Case-insensitive ``like``: both sides are compared ``casefold()``-ed (``ß`` matches ``SS``).

        Example:
            >>> Field("name").ilike("ada%")({"name": "ADA LOVELACE"})
            True
        """
        return self._like(pattern, escape, fold=True)

    def _like(self, pattern: str, escape: str | None, fold: bool) -> PredicateExpr:
        method = "ilike" if fold else "like"
        _text(method, pattern)
        if escape is not None and not (isinstance(escape, str) and len(escape) == 1):
            raise TypeError(f"{method}() escape must be one character or None, not {escape!r}")
        if escape is not None and pattern.endswith(escape) and not _escaped_last(pattern, escape):
            raise ValueError(f"{method}() pattern {pattern!r} ends with its escape character {escape!r}")
        return PredicateExpr(("like", self.name, pattern, escape, fold))

    def iequals(self, text: str) -> PredicateExpr:
        """Case-insensitive equality of str values (``casefold()``); other types never match.

        Example:
            >>> Field("city").iequals("paris")({"city": "PARIS"})
            True
        """
        return PredicateExpr(("iequals", self.name, _text("iequals", text)))

    def icontains(self, text: str) -> PredicateExpr:
        """Case-insensitive substring test on str values; other types never match.

        Example:
            >>> Field("title").icontains("python")({"title": "Learning Python"})
            True
        """
        return PredicateExpr(("icontains", self.name, _text("icontains", text)))

    def istartswith(self, prefix: str) -> PredicateExpr:
        """Case-insensitive ``startswith``.

        Example:
            >>> Field("name").istartswith("ad")({"name": "Ada"})
            True
        """
        return PredicateExpr(("istartswith", self.name, _text("istartswith", prefix)))

    def iendswith(self, suffix: str) -> PredicateExpr:
        """Case-insensitive ``endswith``.

        Example:
            >>> Field("email").iendswith(".ORG")({"email": "ada@python.org"})
            True
        """
        return PredicateExpr(("iendswith", self.name, _text("iendswith", suffix)))

    def __contains__(self, item: object) -> NoReturn:
        raise TypeError(
            f"`in` cannot build a DictDB predicate: write field.contains(item) to test the field's value, "
            f"or field.is_in(values) for membership (field {self.name!r})"
        )

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def _text(method: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{method}() takes a str, not {type(value).__name__}")
    return value


def _escaped_last(pattern: str, escape: str) -> bool:
    """True when the pattern's last character is itself escaped (``"a!!"`` with ``!``)."""
    run = len(pattern) - len(pattern.rstrip(escape))
    return run % 2 == 0
