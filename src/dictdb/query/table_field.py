"""``TableField``: the ``Field`` a table hands out for ``table.<name>``, which knows its table.

``table.<name>`` is a field for any name that is not an attribute, so a misspelled method
(``table.insert_many([...])``) is a field too, and calling it used to fail with ``'Field' object is not
callable``. A ``TableField`` builds the same predicates as a ``Field``; calling it raises ``AttributeError``
naming the table, the name and the closest method names of the table's class.
"""

from __future__ import annotations

import difflib
from typing import Any, NoReturn

from dictdb.query.field import Field

__all__ = ["TableField"]


class TableField(Field):
    """A ``Field`` of table ``table_name``, whose class is ``owner`` (for the method names a call suggests).

    Example:
        >>> from dictdb import Table
        >>> users = Table("users")
        >>> (users.age >= 18)({"age": 20}), users.age
        (True, Field('age'))
        >>> users.insert_many([{"age": 3}])
        Traceback (most recent call last):
        ...
        AttributeError: Table 'users' has no method 'insert_many'; did you mean 'insert'? ...
    """

    __slots__ = ("_owner", "table_name")

    def __init__(self, name: Any, table_name: str, owner: type) -> None:
        super().__init__(name)
        self.table_name = table_name
        self._owner = owner

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        methods = [
            name
            for name in dir(self._owner)
            if not name.startswith("_") and callable(getattr(self._owner, name))
        ]
        name = self.name
        close = difflib.get_close_matches(name, methods, n=3) if isinstance(name, str) else []
        hint = "; did you mean " + " or ".join(repr(method) for method in close) + "?" if close else ""
        raise AttributeError(
            f"Table {self.table_name!r} has no method {name!r}{hint} (table.{name} is the field {name!r}, "
            f"for queries; help(Table) lists the methods)"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.table_name, self._owner))
