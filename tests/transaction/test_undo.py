"""Transactions undo what they changed, record by record: the state comes back exactly, indexes included."""

from __future__ import annotations

from typing import Any

import pytest

from dictdb import DictDB, Table
from tests.support.snapshots import snapshot


class Boom(Exception):
    pass


def indexed(db: DictDB) -> Table:
    t = db.create_table("t")
    t.insert([{"k": n, "v": n % 4, "c": n % 3, "name": f"n{n}"} for n in range(30)])
    t.create_index("k", unique=True)
    t.create_index("v", "sorted")
    t.create_index(["v", "c"])
    t.create_index("c", "column")
    return t


def answers(t: Table) -> list[Any]:
    """What the indexes answer, in order: each kind of index, and ties in insertion order."""
    return [
        t.select(where=t.v == 1),
        t.select(where=t.v >= 2, order_by="-v", limit=7),
        t.select(where=(t.v == 3) & (t.c == 0)),
        t.select(where=t.c < 1),
        t.select(where=t.k.is_in([3, 17, 29])),
        t.count(where=t.c == 2),
        t.aggregate(group_by="c", n=__import__("dictdb").Count()),
        t.explain(t.v > 1).get("access"),
    ]


def fails(db: DictDB, writes: Any) -> None:
    def block() -> None:
        with db.transaction():
            writes()
            raise Boom

    with pytest.raises(Boom):
        block()


WRITES = {
    "updates": lambda t: (t.update({"v": 9}, where=t.k < 5), t.update({"c": 7}, where=t.k == 20)),
    "inserts": lambda t: t.insert([{"k": 100 + n, "v": 1, "c": 0} for n in range(5)]),
    "deletes": lambda t: (t.delete(where=t.v == 1), t.delete(where=t.k == 2)),
    "rekey": lambda t: t.update({"id": 500}, where=t.k == 3),
    "delete all": lambda t: t.delete(),
    "mixed": lambda t: (
        t.insert({"k": 200, "v": 2, "c": 1}),
        t.update({"v": 0}, where=t.k >= 25),
        t.delete(where=t.k == 200),
        t.delete(where=t.k == 7),
        t.upsert({"id": 9, "v": 3}),
        t.insert({"id": 8, "k": 300, "v": 1, "c": 1}),
    ),
    "index changes": lambda t: (t.create_index("name", "sorted"), t.drop_index("v"), t.insert({"k": 400})),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_rollback_gives_back_records_order_indexes_and_tracking(name: str) -> None:
    db = DictDB()
    t = indexed(db)
    t.clear_dirty_tracking()
    t.update({"v": 3}, where=t.k == 11)
    before, before_answers = snapshot(t), answers(t)
    fails(db, lambda: WRITES[name](t))
    assert snapshot(t) == before
    assert answers(t) == before_answers
    assert t.indexed_fields() == ["k", "v", ("v", "c"), "c"]
    fresh = Table("t")  # the same records indexed from scratch answer the same
    fresh.records.update({pk: dict(r) for pk, r in t.records.items()})
    for fields, kind, unique in t._index_definitions() or []:
        fresh.create_index(list(fields), kind, unique=unique)
    assert answers(fresh) == before_answers


def test_an_update_only_rollback_fixes_the_indexes_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    db = DictDB()
    t = indexed(db)

    def no_rebuild(*args: Any) -> None:
        raise AssertionError("a rollback of updates and inserts rebuilt the indexes")

    monkeypatch.setattr(Table, "_reindex", no_rebuild)
    before, before_answers = snapshot(t), answers(t)
    fails(db, lambda: (WRITES["updates"](t), WRITES["inserts"](t)))
    assert snapshot(t) == before
    assert answers(t) == before_answers


def test_savepoints_with_deletes_undo_their_own_level() -> None:
    db = DictDB()
    t = indexed(db)
    with db.transaction():
        t.delete(where=t.k == 1)
        kept = snapshot(t)

        def inner() -> None:
            with db.transaction():
                t.delete(where=t.k == 2)
                t.insert({"k": 99})
                raise Boom

        with pytest.raises(Boom):
            inner()
        assert snapshot(t) == kept
        with db.transaction():
            t.delete(where=t.k == 3)
    assert [r["k"] for r in t.select(where=t.k < 5)] == [0, 2, 4]


def test_an_outer_rollback_undoes_committed_savepoints_that_deleted() -> None:
    db = DictDB()
    t = indexed(db)
    before, before_answers = snapshot(t), answers(t)

    def nested() -> None:
        t.update({"v": 0}, where=t.k == 10)
        with db.transaction():
            t.delete(where=t.k.is_in([10, 12]))
        with db.transaction():
            t.insert({"k": 12, "v": 2})

    fails(db, nested)
    assert snapshot(t) == before
    assert answers(t) == before_answers


def test_a_commit_leaves_the_tracking_as_the_writes_made_it() -> None:
    db = DictDB()
    t = db.create_table("t")
    t.insert([{"x": n} for n in range(5)])
    t.clear_dirty_tracking()
    with db.transaction():
        t.update({"x": 9}, where=t.x == 1)
        t.delete(where=t.x == 2)
        t.insert({"x": 5})
        assert not t.has_changes()  # told at commit, not before: a rollback has nothing to take back
    assert [r["id"] for r in t.get_dirty_records()] == [2, 6]
    assert t.get_deleted_pks() == [3]
