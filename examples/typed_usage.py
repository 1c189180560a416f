"""DictDB under a type checker: ``make types`` runs ``mypy --strict`` on this file, so the API's types are
checked from a user's side too (the test suite also runs it, as every example).

The ``# type: ignore[...]`` lines are calls the types must refuse: with ``--strict`` an ignore that is not
needed is an error, so each one proves that mypy flags its call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dictdb import Count, DictDB, Field, Sum, Table


def main() -> None:
    db = DictDB()
    users: Table = db.create_table("users", schema={"name": str, "age": int})

    one: Any = users.insert({"name": "ada", "age": 36})  # a dict gives its key
    many: list[Any] = users.insert([{"name": "bob", "age": 17}, {"name": "cy", "age": 52}])  # a batch, a list
    from_generator: list[Any] = users.insert({"name": n, "age": 20} for n in ("dee", "eve"))
    assert (one, many, from_generator) == (1, [2, 3], [4, 5])

    adults: list[dict[Any, Any]] = users.select(["name"], where=users.age >= 18, order_by="-age")
    assert adults[0] == {"name": "cy"}
    assert users.count(users.name.lower().startswith("d")) == 1
    assert users.update({"age": users.age + 1}, where=users.name == "bob") == 1
    groups = users.aggregate(group_by={"decade": users.age // 10}, n=Count(), total=Sum(users.age))
    assert isinstance(groups, list)
    assert users.aggregate(n=Count(), having=None) == {"n": 5}

    # Refused by the types, and at run time too (TypeError), changing nothing.
    refused(lambda: users.select(where=3))  # type: ignore[arg-type]
    refused(lambda: users.count(where="age > 3"))  # type: ignore[arg-type]
    refused(lambda: users.delete(where=lambda record: True))  # type: ignore[arg-type]
    refused(lambda: users.aggregate(group_by="age", having=Field("n"), n=Count()))  # type: ignore[arg-type]
    assert users.count() == 5


def refused(call: Callable[[], object]) -> None:
    try:
        call()
    except TypeError:
        return
    raise AssertionError("the call was not refused")


if __name__ == "__main__":
    main()
    print("typed_usage: ok")
