"""A save's snapshot is the database at one point in time without copying a record, and a save lets other
threads and the event loop run: ``snapshot.take`` lists the stored records under the locks (a table never
changes a stored record in place), and the writers work in short C calls (docs/persistence.md)."""

from __future__ import annotations

import asyncio
import copy
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB
from dictdb.storage.files import persistence, snapshot
from tests.support.persistence_helpers import EVERY_TYPE, assert_same_db

FORMATS = ["json", "pickle"]


def nested_db() -> DictDB:
    db = DictDB()
    users = db.create_table("users")
    users.insert([{"name": f"u{i}", "tags": [i, [i]], "meta": {"n": i}} for i in range(1, 51)])
    users.create_index("name")
    db.create_table("every").insert(dict(EVERY_TYPE))
    return db


def contents(snap: snapshot.DatabaseSnapshot) -> list[tuple[Any, ...]]:
    return [(t.name, t.next_pk, dict(t.indexes), copy.deepcopy(t.records)) for t in snap.tables]


class Rollback(Exception):
    pass


def write_everything(db: DictDB) -> None:
    """Every kind of write, on every table, and then some."""
    users = db.get_table("users")
    users.insert({"name": "new", "tags": []})
    users.upsert({"id": 1, "name": "upserted"})
    users.upsert({"id": 999, "name": "upserted new"})
    users.update({"meta": {"n": -1}, "tags": ["replaced"]}, where=users.id <= 20)
    users.update({"id": 5000}, where=users.id == 30)  # re-keyed
    users.delete(where=users.id >= 40)
    users.drop_index("name")
    users.create_index("name", "sorted")
    with db.transaction():
        users.update({"name": "in a transaction"}, where=users.id == 2)
        db.get_table("every").update({"int": 7}, where=db.get_table("every").id == 1)
    with suppress(Rollback), db.transaction():
        users.update({"name": "rolled back"}, where=users.id == 3)
        users.delete(where=users.id == 4)
        raise Rollback
    assert users.get(3)["name"] == "u3"
    db.drop_table("every")
    db.create_table("every").insert({"other": True})


def test_a_snapshot_shares_the_stored_records_and_copies_none() -> None:
    db = nested_db()
    snap = snapshot.take(db)
    for taken in snap.tables:
        assert taken.shared
        stored = db.get_table(taken.name).records
        assert all(a is b for a, b in zip(taken.records, stored.values(), strict=True))


def test_writes_after_take_do_not_change_the_snapshot(tmp_path: Path) -> None:
    db = nested_db()
    snap = snapshot.take(db)
    before = contents(snap)
    expected = DictDB.load(_saved(db, tmp_path / "before.pickle"), "pickle")
    write_everything(db)
    assert contents(snap) == before
    # And the snapshot writes the database as it was when taken, in both formats.
    for file_format in FORMATS:
        path = tmp_path / f"snap.{file_format}"
        persistence.write_snapshot(snap, path, file_format)
        assert_same_db(expected, DictDB.load(path, file_format))


def _saved(db: DictDB, path: Path) -> Path:
    db.save(path, "pickle")
    return path


def test_a_database_restored_from_a_taken_snapshot_owns_its_records() -> None:
    db = nested_db()
    again = snapshot.restore(snapshot.take(db), DictDB, "memory")
    assert_same_db(db, again)
    original, restored = db.get_table("users").records, again.get_table("users").records
    assert all(restored[pk] is not record for pk, record in original.items())
    again.get_table("users").update({"name": "changed"}, where=again.get_table("users").id == 1)
    assert original[1]["name"] == "u1"


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_save_beside_writers_is_one_point_in_time(tmp_path: Path, file_format: str) -> None:
    """Two writers: one appends to ``log`` one record at a time; the other, in transactions, bumps a
    counter in ``state`` and appends the matching record to ``events``. Every file saved meanwhile holds a
    gap-free prefix of ``log`` and an ``events`` table exactly as long as the counter says."""
    db = DictDB()
    log, state, events = (db.create_table(name) for name in ("log", "state", "events"))
    state.insert({"count": 0, "blob": list(range(50))})
    stop = threading.Event()
    errors: list[BaseException] = []

    def append() -> None:
        try:
            while not stop.is_set():
                log.insert({"at": time.perf_counter(), "pad": "x" * 20})
                time.sleep(0.0001)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def bump() -> None:
        try:
            while not stop.is_set():
                with db.transaction():
                    count = state.get(1)["count"] + 1
                    state.update(
                        {"count": count, "blob": list(range(count, count + 50))}, where=state.id == 1
                    )
                    events.insert({"n": count})
                time.sleep(0.0001)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=append), threading.Thread(target=bump)]
    for worker in workers:
        worker.start()
    try:
        checked = 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline or checked < 3:
            path = tmp_path / f"db{checked}.{file_format}"
            db.save(path, file_format)
            saved = DictDB.load(path, file_format)
            saved_log = list(saved.get_table("log").records)
            assert saved_log == list(range(1, len(saved_log) + 1))
            assert saved.get_table("log")._next_pk == len(saved_log) + 1
            count = saved.get_table("state").get(1)["count"]
            assert saved.get_table("state").get(1)["blob"] == list(range(count, count + 50))
            assert [r["n"] for r in saved.get_table("events").records.values()] == list(range(1, count + 1))
            checked += 1
    finally:
        stop.set()
        for worker in workers:
            worker.join(20)
    assert not errors
    assert checked >= 3


# --- other work runs during a save ------------------------------------------------------------------------

#: Rows of the timed saves: enough that pickling them in one C call (as version 1 did) held the GIL for
#: most of the save (~150 ms), few enough to keep the suite fast.
ROWS = 100_000


@pytest.fixture(scope="module")
def big_db() -> DictDB:
    db = DictDB()
    db.create_table("employees").insert(
        [
            {"name": f"u{i}", "age": i % 60, "dept": f"d{i % 10}", "salary": i, "email": f"u{i}@example.com"}
            for i in range(ROWS)
        ]
    )
    return db


def ticker_beside(run: Any) -> tuple[float, float]:
    """``(total, worst gap)`` of an asyncio task sleeping 1 ms in a loop while ``await run()`` runs."""

    async def main() -> tuple[float, float]:
        worst, done = 0.0, False

        async def tick() -> None:
            nonlocal worst
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                worst, last = max(worst, now - last), now

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0.01)
        worst = 0.0
        start = time.perf_counter()
        await run()
        total = time.perf_counter() - start
        done = True
        await ticker
        return total, worst

    return asyncio.run(main())


def reader_beside(db: DictDB, run: Any) -> tuple[float, float]:
    """``(total, worst gap)`` of a thread calling ``get`` in a loop while this thread calls ``run()``."""
    table = db.get_table("employees")
    stop, worst = threading.Event(), [0.0]

    def read() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            table.get(7)
            now = time.perf_counter()
            worst[0], last = max(worst[0], now - last), now

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.01)
    worst[0] = 0.0
    start = time.perf_counter()
    try:
        run()
    finally:
        total = time.perf_counter() - start
        stop.set()
        reader.join(20)
    return total, worst[0]


def short_gaps(measure: Any) -> list[tuple[float, float]]:
    """Up to three measures, until one shows a worst gap under half the save's time: a save made of one
    long C call has a gap as long as the call (most of the save) every time; a busy machine that happens to
    stall this process once does not fail the test."""
    runs = []
    for _ in range(3):
        total, gap = measure()
        runs.append((total, gap))
        if gap < total / 2:
            break
    return runs


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_event_loop_runs_during_an_async_save(big_db: DictDB, tmp_path: Path, file_format: str) -> None:
    path = tmp_path / f"db.{file_format}"
    runs = short_gaps(lambda: ticker_beside(lambda: big_db.async_save(path, file_format)))
    assert runs[-1][1] < runs[-1][0] / 2, f"(total, worst gap) of each run: {runs}"
    assert len(DictDB.load(path, file_format).get_table("employees").records) == ROWS


def test_another_thread_runs_during_a_save(big_db: DictDB, tmp_path: Path) -> None:
    path = tmp_path / "db.pickle"
    runs = short_gaps(lambda: reader_beside(big_db, lambda: big_db.save(path, "pickle")))
    assert runs[-1][1] < runs[-1][0] / 2, f"(total, worst gap) of each run: {runs}"
