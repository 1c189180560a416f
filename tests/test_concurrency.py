"""Threads against one database: writers moving value between two tables inside transactions, while saves,
full and delta backups run. Every file written keeps the invariant (the total is constant) and the last
backup holds every committed write. Bounded in time."""

from __future__ import annotations

import contextlib
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


def test_get_waits_for_a_transaction_and_never_sees_its_writes() -> None:
    db = make_db()
    table = db.get_table("a")
    inside = threading.Event()
    finish = threading.Event()

    def transaction() -> None:
        with contextlib.suppress(Abort), db.transaction():
            table.update({"balance": -1}, where=table.id == 1)
            inside.set()
            finish.wait(TIMEOUT)
            raise Abort  # rolled back: nobody may have seen -1

    thread = threading.Thread(target=transaction)
    thread.start()
    assert inside.wait(TIMEOUT)
    threading.Timer(0.1, finish.set).start()
    started = time.perf_counter()
    record = table.get(1)
    waited = time.perf_counter() - started
    thread.join(TIMEOUT)
    assert record == {"balance": START, "id": 1}
    assert waited >= 0.05  # it waited for the transaction's end


class SlowKey:
    """A primary key whose ``==`` is Python code: while a get compares it, another thread opens a transaction,
    changes the record and rolls it back."""

    def __init__(self, db: DictDB, table_name: str) -> None:
        self.db, self.table_name = db, table_name
        self.armed = False
        self.saw_it_open = threading.Event()

    def __hash__(self) -> int:
        return 7

    def twin(self) -> SlowKey:
        """An equal key that is another object: looking it up compares it with this one."""
        other = SlowKey(self.db, self.table_name)
        other.saw_it_open = self.saw_it_open
        return other

    def __eq__(self, other: object) -> bool:
        if self.armed:
            self.armed = False
            finish = threading.Event()
            threading.Thread(target=self._transaction, args=(finish,)).start()
            # The compiled get is reading without the lock here; the pure one holds it, so this times out.
            self.saw_it_open.wait(0.5)
            threading.Timer(0.1, finish.set).start()
        return isinstance(other, SlowKey) and other.saw_it_open is self.saw_it_open

    def _transaction(self, finish: threading.Event) -> None:
        table = self.db.get_table(self.table_name)
        with contextlib.suppress(Abort), self.db.transaction():
            table.update({"balance": -1}, where=table.balance == START)
            self.saw_it_open.set()
            finish.wait(TIMEOUT)
            raise Abort


def test_a_get_whose_key_runs_python_code_still_reads_only_committed_records() -> None:
    db = DictDB()
    table = db.create_table("k")
    key = SlowKey(db, "k")
    table.insert({"id": key, "balance": START})
    table.insert({"id": 7, "balance": START})
    key.armed = True
    record = table.get(key.twin())  # the stored key's == runs, and with it the transaction
    assert not key.armed
    assert record is not None
    assert record["balance"] == START
    time.sleep(0.3)  # the transaction ends (rolled back)
    assert [r["balance"] for r in table.select()] == [START, START]
