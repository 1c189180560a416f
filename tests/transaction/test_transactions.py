"""``db.transaction()``: all or nothing across tables, savepoints, serializable against other threads."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from dictdb import DictDB, DuplicateKeyError, Table
from tests.support.snapshots import snapshot

TIMEOUT = 10.0


class Boom(Exception):
    pass


@pytest.fixture
def db() -> DictDB:
    db = DictDB()
    accounts = db.create_table("accounts")
    accounts.insert([{"owner": o, "balance": b} for o, b in [("ada", 100), ("bob", 50), ("cy", 0)]])
    accounts.create_index("owner", "hash", unique=True)
    accounts.create_index("balance", "sorted")
    log = db.create_table("log", primary_key="n")
    log.insert({"n": 1, "what": "opened"})
    return db


def state(db: DictDB) -> dict[str, Any]:
    # counter=False: the counter probe deep-copies the table; the tests check the counter by inserting.
    return {name: snapshot(table, counter=False) for name, table in db.tables.items()}


def balances(table: Table) -> list[int]:
    return [r["balance"] for r in table.select(order_by="owner")]


def test_commit_applies_every_write(db: DictDB) -> None:
    accounts, log = db.get_table("accounts"), db.get_table("log")
    with db.transaction():
        accounts.update({"balance": 90}, where=accounts.owner == "ada")
        accounts.update({"balance": 60}, where=accounts.owner == "bob")
        log.insert({"n": 2, "what": "transfer"})
    assert balances(accounts) == [90, 60, 0]
    assert [r["what"] for r in log.select()] == ["opened", "transfer"]
    assert accounts.select(["owner"], where=accounts.balance > 55) == [{"owner": "ada"}, {"owner": "bob"}]


def test_rollback_restores_records_indexes_counters_tracking_and_registry(db: DictDB) -> None:
    accounts = db.get_table("accounts")
    accounts.clear_dirty_tracking()
    before = state(db)
    plan_before = accounts.explain(accounts.balance > 10)

    def every_kind_of_write() -> None:
        with db.transaction():
            accounts.update({"balance": 0}, where=accounts.owner == "ada")
            accounts.insert({"owner": "dee", "balance": 7})
            accounts.delete(where=accounts.owner == "cy")
            accounts.update({"id": 99}, where=accounts.owner == "bob")
            db.get_table("log").insert([{"n": 5}, {"n": 6}])
            db.create_table("scratch").insert({"x": 1})
            db.drop_table("log")
            accounts.create_index("owner_len", "sorted")
            raise Boom

    with pytest.raises(Boom):
        every_kind_of_write()
    assert state(db) == before
    assert list(db.tables) == ["accounts", "log"]
    assert accounts.indexed_fields() == ["owner", "balance"]
    assert str(accounts.explain(accounts.balance > 10)) == str(plan_before)
    # the restored indexes answer, and keep enforcing their rules
    assert accounts.select(["owner"], where=accounts.balance >= 50) == [{"owner": "ada"}, {"owner": "bob"}]
    with pytest.raises(DuplicateKeyError):
        accounts.insert({"owner": "ada", "balance": 1})
    assert accounts.insert({"owner": "eve", "balance": 1}) == 4  # the counter went back too


def test_a_failed_write_inside_still_rolls_back_the_earlier_ones(db: DictDB) -> None:
    accounts = db.get_table("accounts")
    before = state(db)

    def second_write_fails() -> None:
        with db.transaction():
            accounts.update({"balance": 1}, where=accounts.owner == "cy")
            accounts.insert({"owner": "ada", "balance": 5})  # the unique index refuses it

    with pytest.raises(DuplicateKeyError):
        second_write_fails()
    assert state(db) == before


def test_savepoint_undoes_only_its_own_writes(db: DictDB) -> None:
    accounts, log = db.get_table("accounts"), db.get_table("log")

    def inner_fails() -> None:
        with db.transaction():
            log.insert({"n": 3, "what": "inner"})
            accounts.update({"balance": 0}, where=accounts.owner == "ada")
            raise Boom

    with db.transaction():
        log.insert({"n": 2, "what": "outer"})
        with pytest.raises(Boom):
            inner_fails()
        with db.transaction():
            log.insert({"n": 4, "what": "inner kept"})
    assert [r["what"] for r in log.select()] == ["opened", "outer", "inner kept"]
    assert balances(accounts) == [100, 50, 0]


def test_outer_rollback_undoes_a_committed_savepoint(db: DictDB) -> None:
    before = state(db)
    log = db.get_table("log")

    def outer_fails() -> None:
        with db.transaction():
            with db.transaction():
                log.insert({"n": 2})
            raise Boom

    with pytest.raises(Boom):
        outer_fails()
    assert state(db) == before


def test_other_threads_wait_and_never_see_half_a_transaction(db: DictDB) -> None:
    accounts = db.get_table("accounts")
    inside = threading.Event()
    seen: list[int] = []

    def reader() -> None:
        inside.wait(TIMEOUT)
        seen.append(sum(r["balance"] for r in accounts.select()))

    thread = threading.Thread(target=reader)
    thread.start()

    def half_a_transfer() -> None:
        with db.transaction():
            accounts.update({"balance": 0}, where=accounts.owner == "ada")  # money vanishes, for now
            inside.set()
            time.sleep(0.05)  # the reader is blocked meanwhile
            assert seen == []
            raise Boom

    with pytest.raises(Boom):
        half_a_transfer()
    thread.join(TIMEOUT)
    assert seen == [150]


def test_read_modify_write_inside_is_safe_against_other_threads() -> None:
    db = DictDB()
    counter = db.create_table("counter")
    counter.insert({"value": 0})

    def bump() -> None:
        for _ in range(200):
            with db.transaction():
                value = counter.get(1)["value"]
                counter.update({"value": value + 1}, where=counter.id == 1)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    assert counter.get(1)["value"] == 800


def test_transactions_of_two_threads_serialize(db: DictDB) -> None:
    accounts = db.get_table("accounts")
    order: list[str] = []
    first_in = threading.Event()

    def second() -> None:
        first_in.wait(TIMEOUT)
        with db.transaction():
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with db.transaction():
        first_in.set()
        time.sleep(0.05)
        accounts.insert({"owner": "zed", "balance": 1})
        order.append("first")
    thread.join(TIMEOUT)
    assert order == ["first", "second"]
