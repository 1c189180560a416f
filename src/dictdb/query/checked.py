"""Field names checked against a table's schema: a name the schema does not have is a typo, not a field.

Every entry point that takes a field name from the user (``where``, ``columns``, ``order_by``, ``group_by``,
an aggregate's field, ``create_index``, ``update``'s changes, ``export_csv``'s columns) hands its names here
before it reads or changes anything. With a schema, an unknown name raises ``UnknownFieldError`` (a
``ValueError``) naming the field, the table, the *role* the name had and the closest schema names. Without a
schema nothing is checked, since a missing field reads as ``None``: each function returns at its first line.

The cost with a schema is one set lookup per name, once per call, never per record.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from dictdb._core import value as _value
from dictdb.exceptions import UnknownFieldError
from dictdb.query.names import plan_fields, value_fields
from dictdb.query.value import ValueExpr

__all__ = ["check_aggregate", "check_fields", "check_known", "check_where", "unknown_field"]

Plan = tuple[Any, ...]

_BRANCHES = ("and", "or")
# Predicate nodes whose second slot is not a field name (dictdb.query.names lists the plan forms).
_NOT_ON_A_FIELD = ("and", "or", "not", "cmp", "of", "true")


class Named(Protocol):
    """What the checks read of a table: its name and its schema (``None`` without one)."""

    @property
    def table_name(self) -> str: ...
    @property
    def _schema_spec(self) -> dict[str, Any] | None: ...


def check_fields(table: Named, names: Iterable[Any], role: str) -> None:
    """Raise ``UnknownFieldError`` for the first of ``names`` that ``table``'s schema does not have.

    ``role`` says where the names were used (``"where"``, ``"order_by"``...), for the message. A value
    expression, or its compiled ``dictdb._core.value.Value``, stands for the fields it reads.

    Example:
        >>> from dictdb import Table
        >>> users = Table("users", schema={"name": str, "age": int})
        >>> check_fields(users, ["name", "id"], "columns")
        >>> check_fields(users, ["nmae"], "columns")
        Traceback (most recent call last):
        ...
        dictdb.exceptions.UnknownFieldError: unknown field 'nmae' in table 'users' (columns); did you mean ...
    """
    fields = table._schema_spec
    if fields is None:
        return
    check_known(fields, table.table_name, names, role)


def check_known(fields: Mapping[Any, Any], label: str, names: Iterable[Any], role: str) -> None:
    """``check_fields`` against the names ``fields`` holds, ``label`` naming where they belong (a table, or
    the rows of a join).

    Example:
        >>> check_known({"amount": 1, "customers.id": 1}, "a join b", ["amont"], "where")
        Traceback (most recent call last):
        ...
        dictdb.exceptions.UnknownFieldError: unknown field 'amont' in table 'a join b' (where); ...
    """
    for name in names:
        if isinstance(name, ValueExpr):
            check_known(fields, label, value_fields(name.value_plan), role)
        elif type(name) is _value.Value:
            check_known(fields, label, value_fields(name.plan), role)
        elif name not in fields:
            raise unknown_field(label, fields, name, role)


def check_where(table: Named, plan: Plan, role: str = "where") -> None:
    """``check_fields`` for every field a predicate plan reads (``dictdb.query.names.plan_fields``).

    Example:
        >>> from dictdb import Table
        >>> t = Table("t", schema={"name": str, "age": int})
        >>> check_where(t, ((t.age > 3) & (t.nmae == "ada")).plan)
        Traceback (most recent call last):
        ...
        dictdb.exceptions.UnknownFieldError: unknown field 'nmae' in table 't' (where); did you mean 'name'?
    """
    fields = table._schema_spec
    if fields is None or plan[0] == "true":
        return
    # The usual where, one test or an AND / OR of tests on fields, is read in place (a node on a field keeps
    # it in its second slot); any other shape, or a name to report, goes through the walk of plan_fields.
    children = plan[1] if plan[0] in _BRANCHES else (plan,)
    for child in children:
        if child[0] in _NOT_ON_A_FIELD or child[1] not in fields:
            check_fields(table, plan_fields(plan), role)
            return


def check_aggregate(
    table: Named, groups: Iterable[tuple[Any, Plan]], specs: Iterable[tuple[Any, str, Plan | None]]
) -> None:
    """``check_fields`` for the fields an aggregate's groups and aggregates read (the ``(name, value plan)``
    groups and ``(name, kind, value plan)`` specs ``dictdb.query.aggregates.shape`` makes; ``Count()``
    reads none).

    Example:
        >>> from dictdb import Table
        >>> staff = Table("staff", schema={"dept": str, "pay": int})
        >>> check_aggregate(staff, [("dept", ("field", "dept"))], [("total", "sum", ("field", "py"))])
        Traceback (most recent call last):
        ...
        dictdb.exceptions.UnknownFieldError: unknown field 'py' in table 'staff' (aggregate 'total'); ...
    """
    if table._schema_spec is None:
        return
    for _, group in groups:
        check_fields(table, value_fields(group), "group_by")
    for name, _, read in specs:
        if read is not None:
            check_fields(table, value_fields(read), f"aggregate {name!r}")


def unknown_field(table_name: str, fields: Mapping[Any, Any], name: Any, role: str) -> UnknownFieldError:
    """The error for ``name``, unknown in the schema ``fields`` of table ``table_name``, used as ``role``.

    Example:
        >>> unknown_field("t", {"city": str, "id": int}, "zip", "order_by")
        UnknownFieldError("unknown field 'zip' in table 't' (order_by); its fields are 'city', 'id'")
    """
    known = [field for field in fields if isinstance(field, str)]
    close = difflib.get_close_matches(name, known, n=3) if isinstance(name, str) else []
    if close:
        hint = "did you mean " + " or ".join(repr(field) for field in close) + "?"
    else:
        hint = "its fields are " + ", ".join(repr(field) for field in fields)
    return UnknownFieldError(f"unknown field {name!r} in table {table_name!r} ({role}); {hint}")
