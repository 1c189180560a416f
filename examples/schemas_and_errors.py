"""Schemas and errors: what a schema accepts, what each error says, and that a failed write changes nothing.

Run it with ``python examples/schemas_and_errors.py``; docs/tables.md has the rules.
"""

from __future__ import annotations

from datetime import date, datetime

from dictdb import (
    DictDB,
    DictDBError,
    DuplicateKeyError,
    DuplicateTableError,
    RecordNotFoundError,
    SchemaValidationError,
    TableNotFoundError,
)


def attempt(what: str, action: object) -> None:
    """Run ``action()`` and print the error it raises, or what it returned."""
    try:
        result = action()  # type: ignore[operator]
    except (DictDBError, TypeError, ValueError) as error:
        print(f"{what:44s} -> {type(error).__name__}: {error}")
    else:
        print(f"{what:44s} -> {result!r}")


def main() -> None:
    db = DictDB()
    people = db.create_table("people", schema={"name": str, "born": date, "score": float, "nick": str | None})
    print("schema:", dict(people.schema or {}))

    attempt(
        "a good record (an int is a float)",
        lambda: people.insert({"name": "ada", "born": date(1815, 12, 10), "score": 3}),
    )
    attempt(
        "an optional field may be missing or None",
        lambda: people.insert({"name": "bob", "born": date(2000, 1, 1), "score": 1.5, "nick": None}),
    )
    attempt("a missing required field", lambda: people.insert({"name": "cy", "score": 1.0}))
    attempt(
        "a bool is not a float",
        lambda: people.insert({"name": "cy", "born": date(2000, 1, 1), "score": True}),
    )
    attempt(
        "a datetime is not a date",
        lambda: people.insert({"name": "cy", "born": datetime(2000, 1, 1), "score": 1.0}),
    )
    attempt(
        "a field outside the schema",
        lambda: people.insert({"name": "cy", "born": date(2000, 1, 1), "score": 1.0, "x": 1}),
    )

    print("\nkeys")
    attempt(
        "an explicit key that is taken",
        lambda: people.insert({"id": 1, "name": "dup", "born": date(2000, 1, 1), "score": 0.0}),
    )
    attempt(
        "a key that is None",
        lambda: people.insert({"id": None, "name": "x", "born": date(2000, 1, 1), "score": 0.0}),
    )
    attempt("re-keying to a taken key", lambda: people.update({"id": 2}, where=people.name == "ada"))
    attempt("re-keying to a free one", lambda: people.update({"id": 10}, where=people.name == "ada"))

    print("\nall or nothing")
    before = people.all()
    batch = [
        {"name": "dee", "born": date(1990, 5, 1), "score": 2.0},
        {"name": "eve", "born": "1991-02-03", "score": 2.5},  # a str for a date: the whole batch is refused
    ]
    attempt("a batch with one bad record", lambda: people.insert(batch))
    unchanged, no_key = people.all() == before, "id" not in batch[0]
    print(f"{'the table is unchanged':44s} -> {unchanged}; no key written into the batch: {no_key}")
    attempt("an update that would break the schema", lambda: people.update({"score": "high"}))
    print(f"{'still unchanged':44s} -> {people.all() == before}")

    print("\nnothing there")
    attempt("update with no match", lambda: people.update({"score": 0.0}, where=people.name == "zed"))
    attempt("a table that does not exist", lambda: db.get_table("nobody"))
    attempt("a table that already exists", lambda: db.create_table("people"))
    attempt("where= given a lambda", lambda: people.select(where=lambda r: True))

    print(
        "\nevery error above but the TypeErrors is a DictDBError:",
        all(
            issubclass(e, DictDBError)
            for e in (
                DuplicateKeyError,
                DuplicateTableError,
                RecordNotFoundError,
                SchemaValidationError,
                TableNotFoundError,
            )
        ),
    )


if __name__ == "__main__":
    main()
