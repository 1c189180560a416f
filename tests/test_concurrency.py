"""Threads against one database: writers moving value between two tables inside transactions, while saves,
full and delta backups run. Every file written keeps the invariant (the total is constant) and the last
backup holds every committed write. Bounded in time."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from dictdb import BackupManager, DictDB

TIMEOUT = 20.0
RUN_FOR = 0.8
ACCOUNTS = 10
START = 100
TOTAL = 2 * ACCOUNTS * START


class Abort(Exception):
    pass


def make_db() -> DictDB:
    db = DictDB()
    for name in ("a", "b"):
        table = db.create_table(name)
        table.insert([{"balance": START} for _ in range(ACCOUNTS)])
        table.create_index("balance", "sorted")
    return db


def total(db: DictDB) -> int:
    return sum(r["balance"] for name in ("a", "b") for r in db.get_table(name).select())


def run(workers: list[threading.Thread]) -> None:
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT)
        assert not worker.is_alive(), "a thread hung"


def test_transfers_backups_and_saves_keep_the_invariant(tmp_path: Path) -> None:
    db = make_db()
    a, b = db.get_table("a"), db.get_table("b")
    errors: list[BaseException] = []
    manager = BackupManager(
        db,
        tmp_path / "backups",
        incremental=True,
        max_deltas_before_full=3,
        on_backup_failure=lambda exc, failures: errors.append(exc),
    )
    stop = threading.Event()
    committed = {"count": 0}
    files_checked = {"saves": 0, "backups": 0}

    def transfer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not stop.is_set():
                source, target = (a, b) if rng.random() < 0.5 else (b, a)
                amount = rng.randint(1, 5)
                pk_from, pk_to = rng.randint(1, ACCOUNTS), rng.randint(1, ACCOUNTS)
                try:
                    with db.transaction():
                        have = source.get(pk_from)["balance"]
                        source.update({"balance": have - amount}, where=source.id == pk_from)
                        if rng.random() < 0.2:
                            raise Abort  # half a transfer: must leave no trace
                        got = target.get(pk_to)["balance"]
                        target.update({"balance": got + amount}, where=target.id == pk_to)
                    committed["count"] += 1
                except Abort:
                    pass
        except BaseException as exc:
            errors.append(exc)

    def save_and_check() -> None:
        path = tmp_path / "db.json"
        try:
            while not stop.is_set():
                db.save(path, "json")
                assert total(DictDB.load(path, "json")) == TOTAL
                files_checked["saves"] += 1
        except BaseException as exc:
            errors.append(exc)

    def back_up() -> None:
        try:
            while not stop.is_set():
                manager.backup_now()  # None when nothing changed since the last one; failures go to errors
                assert total(BackupManager.restore(tmp_path / "backups")) == TOTAL
                files_checked["backups"] += 1
        except BaseException as exc:
            errors.append(exc)

    def readers_see_whole_transfers() -> None:
        try:
            while not stop.is_set():
                with db.transaction():  # a consistent read of both tables at once
                    assert total(db) == TOTAL
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=transfer, args=(seed,)) for seed in range(3)]
    workers += [threading.Thread(target=f) for f in (save_and_check, back_up, readers_see_whole_transfers)]
    timer = threading.Timer(RUN_FOR, stop.set)
    timer.start()
    run(workers)
    assert errors == []
    assert committed["count"] > 0
    assert files_checked["saves"] > 0
    assert files_checked["backups"] > 0
    assert total(db) == TOTAL
    # The last backup holds every committed write: the restored database equals the live one.
    manager.backup_now()
    assert errors == []
    restored = BackupManager.restore(tmp_path / "backups")
    for name in ("a", "b"):
        assert restored.get_table(name).select() == db.get_table(name).select()


def test_readers_do_not_block_each_other() -> None:
    db = make_db()
    table = db.get_table("a")
    holding = threading.Event()
    release = threading.Event()

    def long_reader() -> None:
        with table._lock.read():  # a read that takes its time
            holding.set()
            release.wait(TIMEOUT)

    thread = threading.Thread(target=long_reader)
    thread.start()
    assert holding.wait(TIMEOUT)
    started = time.perf_counter()
    rows = table.select()  # another reader: must not wait for the first
    waited = time.perf_counter() - started
    release.set()
    thread.join(TIMEOUT)
    assert len(rows) == ACCOUNTS
    assert waited < 1.0


def test_a_writer_waits_for_readers_and_then_runs() -> None:
    db = make_db()
    table = db.get_table("a")
    holding = threading.Event()
    release = threading.Event()
    done = threading.Event()

    def long_reader() -> None:
        with table._lock.read():
            holding.set()
            release.wait(TIMEOUT)

    def writer() -> None:
        table.insert({"balance": 0})
        done.set()

    reader_thread = threading.Thread(target=long_reader)
    reader_thread.start()
    assert holding.wait(TIMEOUT)
    writer_thread = threading.Thread(target=writer)
    writer_thread.start()
    time.sleep(0.05)
    assert not done.is_set()  # the write waits for the reader
    release.set()
    writer_thread.join(TIMEOUT)
    reader_thread.join(TIMEOUT)
    assert done.is_set()
    assert len(table) == ACCOUNTS + 1
