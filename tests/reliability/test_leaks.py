"""Memory stays flat: every kind of operation, repeated for many rounds, leaves nothing behind.

A round builds a database and runs the whole API over it: bulk and single inserts, a select with every
operator (LIKE and ILIKE with escapes included), ``order_by``/``limit``/``offset``/``distinct`` and
projections, ``get``, update and delete, hash, sorted and composite indexes created and dropped, a
sorted-index range and top-k, aggregates, JSON and pickle save and load, a transaction rolled back, and the
errors the kernels raise (a duplicate key, no match, a malformed plan, a comparison that raises, a record
that is not a dict, a sum of strings). After warm-up rounds, the test measures three things across the
measured rounds, after a full collection each time:

- memory traced by ``tracemalloc``: every Python object, and the compiled core's own arrays, which it
  allocates with ``PyMem_Malloc`` (the first test checks tracemalloc really sees them);
- the number of objects the garbage collector tracks (a leaked record, predicate or exception shows up);
- the resident set size (``/proc/self/statm``, where there is one): a leak outside the Python allocators.

The bounds are generous against allocator noise yet far below what a leak of one object per operation
would add over the rounds. They are memory bounds: nothing here is timed. The suite runs twice, so this
runs in both cores; ``make reliability`` runs ten times more rounds.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dictdb import Avg, Count, DictDB, Max, Min, Sum, Table
from dictdb._core import predicate
from dictdb.exceptions import DuplicateKeyError, RecordNotFoundError
from tests.reliability.budget import scaled

WARMUP = 3
ROUNDS = scaled(25, 250)
RECORDS = 120

# Bounds on the growth over all the measured rounds. Measured here (Python 3.11, both cores): 0 objects,
# 6-40 KiB traced (the interpreter's free lists of tuples, dicts and floats filling up, which levels off)
# and under 2 MiB resident. A leak of one small dict per select (a round runs about 50) adds 240 KiB over
# 25 rounds; a leaked record or predicate per query adds thousands of objects.
MAX_TRACED_GROWTH = 128 * 1024
MAX_OBJECT_GROWTH = 100
MAX_RSS_GROWTH = 16 * 1024 * 1024


class Boom(Exception):
    """Raised by ``Touchy`` from inside a kernel's comparison."""


class Touchy:
    """A value whose ``==`` raises: the error leaves the compiled kernel mid-scan."""

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        raise Boom("compared")


def _rss() -> int:
    """Resident bytes, or 0 where /proc is missing (macOS, Windows): the other two measures still run."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _measure() -> tuple[int, int, int]:
    gc.collect()
    gc.collect()
    return tracemalloc.get_traced_memory()[0], len(gc.get_objects()), _rss()


def _rows(start: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"user{n}",
            "age": n % 70 if n % 13 else None,
            "dept": ("ops", "dev", "sales")[n % 3],
            "score": n / 7 if n % 11 else float("nan"),
            "tags": ["a", "b"] if n % 2 else ["c"],
        }
        for n in range(start, start + RECORDS)
    ]


def _expect(error: type[BaseException], call: Any) -> None:
    with pytest.raises(error):
        call()


def _rolled_back(db: DictDB, users: Table) -> None:
    with db.transaction():
        users.insert(_rows(10_000)[:20])
        users.delete(where=users.dept == "ops")
        raise Boom("roll back")


def one_round(folder: Path) -> None:
    db = DictDB()
    users = db.create_table("users")
    users.create_index("dept")
    users.create_index("age", "sorted")
    users.insert(_rows(0))
    for row in _rows(RECORDS)[:10]:
        users.insert(row)
    users.upsert({"id": 1, "name": "ada"})
    age, name, dept, score, tags = users.age, users.name, users.dept, users.score, users.tags
    wheres = [
        age == 30,
        age != 30,
        age < 20,
        age <= 20,
        age > 50,
        age >= 50,
        age.between(10, 20),
        dept.is_in(["ops", "dev"]),
        tags.contains("a"),
        name.startswith("user1"),
        name.endswith("9"),
        name.iequals("USER5"),
        name.icontains("SER1"),
        name.istartswith("US"),
        name.iendswith("0"),
        name.like("user_%"),
        name.like("u!%%", escape="!"),
        name.ilike("USER%1_"),
        age.is_null(),
        score.is_not_null(),
        (age > 20) & (dept == "ops") | ~(score < 3),
    ]
    for where in wheres:
        users.select(where=where)
        users.select(["name", "age"], where=where, copy=False, limit=5)
    users.select(order_by=["-age", "name"], limit=10, offset=3)
    users.select({"who": "name"}, order_by="score", distinct=True)
    users.select(where=age.between(5, 60), order_by="age", limit=10)  # a sorted-index range and top-k
    users.get(5)
    users.explain(where=(age > 3) & (dept == "dev"))
    users.update({"dept": "hr"}, where=age > 60)
    users.delete(where=age == 1)
    users.create_index("name", "sorted")
    users.create_index(["dept", "age"], "sorted")
    users.select(where=(name > "user3") & (name < "user5"))
    users.drop_index("name")
    users.drop_index(["dept", "age"])
    users.create_index("score", "column")  # kept through the saves below
    users.create_index("name", "column")
    for where in (
        score > 2,
        score.between(1, 3) | ~(name == "user3"),
        name.is_in(["user1", "x"]) & (score < 4),
    ):
        users.select(where=where)
        users.count(where=where)
    users.aggregate(group_by="name", n=Count(), mean=Avg("score"), low=Min("score"))
    users.update({"score": 9}, where=name == "user2")
    users.drop_index("name")
    users.aggregate(n=Count(), total=Sum("age"), mean=Avg("score"), low=Min("age"), high=Max("name"))
    users.aggregate(group_by="dept", n=Count("age"), mean=Avg("age"))
    for file_format in ("json", "pickle"):
        path = folder / f"db.{file_format}"
        db.save(path, file_format)
        DictDB.load(path, file_format).get_table("users").select(where=dept == "dev")
    count = users.count()
    _expect(Boom, lambda: _rolled_back(db, users))
    assert users.count() == count
    _expect(DuplicateKeyError, lambda: users.insert({"id": 5}))
    _expect(RecordNotFoundError, lambda: users.update({"age": 1}, where=name == "nobody"))
    _expect(ValueError, lambda: predicate.compile_plan(("like", "name", "a!", "!", False)))
    _expect(ValueError, lambda: predicate.compile_plan(("and", ((age > 1).plan, ("nope",)))))
    _expect(TypeError, lambda: predicate.compile_plan(("true",)).filter([{"a": 1}, ()], copy=True))
    _expect(TypeError, lambda: users.aggregate(total=Sum("name")))
    odd = Table("odd")
    odd.insert([{"v": 1}, {"v": Touchy()}, {"v": 3}])
    _expect(Boom, lambda: odd.select(where=odd.v == 3))
    _expect(Boom, lambda: odd.select(where=(odd.v >= 0) | (odd.v == 2)))


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


@pytest.mark.usefixtures("traced")
def test_tracemalloc_sees_the_core_allocations() -> None:
    # The compiled sorted index keeps its keys in PyMem_Malloc'd blocks: if tracemalloc could not see
    # them, a leak of them would pass the test below unseen.
    table = Table("t")
    table.insert([{"age": float(n)} for n in range(20_000)])
    before = _measure()[0]
    table.create_index("age", "sorted")
    grown = _measure()[0] - before
    assert grown >= 20_000 * 8, f"a sorted index over 20,000 floats traced only {grown} bytes"
    table.drop_index("age")
    assert _measure()[0] - before < grown / 4, "dropping the index did not give its memory back"


@pytest.mark.usefixtures("traced")
def test_repeated_operations_keep_memory_flat(tmp_path: Path) -> None:
    for _ in range(WARMUP):
        one_round(tmp_path)
    traced, objects, rss = _measure()
    for _ in range(ROUNDS):
        one_round(tmp_path)
    traced_after, objects_after, rss_after = _measure()
    growth = (traced_after - traced, objects_after - objects, rss_after - rss)
    report = f"after {ROUNDS} rounds: +{growth[0]} B traced, +{growth[1]} objects, +{growth[2]} B resident"
    assert growth[0] < MAX_TRACED_GROWTH, report
    assert growth[1] < MAX_OBJECT_GROWTH, report
    assert growth[2] < MAX_RSS_GROWTH, report
