"""Copies are shallow (a list inside a returned record is the stored one); ``select(copy="deep")`` is not."""

from __future__ import annotations

import pytest

from dictdb import Table


@pytest.fixture
def t() -> Table:
    t = Table("t")
    t.insert([{"tags": ["a"], "meta": {"n": 1}}, {"tags": [], "meta": {}}])
    return t


def test_a_copy_is_shallow(t: Table) -> None:
    # What the docs say: the row is new, the list inside it is the table's own.
    row = t.select(where=t.id == 1)[0]
    row["tags"] = ["replaced"]
    assert t[1]["tags"] == ["a"]
    t.get(1)["tags"].append("b")  # type: ignore[index]
    assert t[1]["tags"] == ["a", "b"]


@pytest.mark.parametrize("columns", [None, ["tags", "meta"]])
def test_deep_copies_share_nothing_with_the_table(t: Table, columns: list[str] | None) -> None:
    rows = t.select(columns, copy="deep")
    rows[0]["tags"].append("x")
    rows[0]["meta"]["n"] = 99
    assert t[1]["tags"] == ["a"]
    assert t[1]["meta"] == {"n": 1}
    assert rows[0]["tags"] == ["a", "x"]
    assert rows[1] == t.select(columns)[1]


def test_deep_copies_equal_the_shallow_ones(t: Table) -> None:
    assert t.select(copy="deep", order_by="-id", limit=1) == t.select(order_by="-id", limit=1)
    assert t.select(["tags"], copy="deep", distinct=True) == t.select(["tags"], distinct=True)


@pytest.mark.parametrize("copy", ["DEEP", 1, None, "shallow"])
def test_copy_takes_true_false_or_deep(t: Table, copy: object) -> None:
    with pytest.raises(ValueError, match="copy takes True, False or 'deep'"):
        t.select(copy=copy)  # type: ignore[arg-type]
