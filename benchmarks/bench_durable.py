"""Durable databases (``DictDB.open``): the targets of docs/performance.md, measured on the accounts table of
``benchmarks/accounts.py`` (1,000,000 records of ~20 bytes).

1. The 2-row transfer transaction: DictDB in memory and opened on a folder with ``sync`` ``"off"``,
   ``"normal"`` and ``"full"``, beside sqlite3 ``:memory:`` and sqlite3 files in WAL mode with
   ``synchronous=NORMAL`` and ``FULL`` (in the same temporary folder, so on the same disk). Also the transfer
   written with ``upsert``, DictDB only, which shows what planning ``where=table.id == key`` costs.
2. One-row insert, update and upsert on the same tables, with the journal (``sync="normal"``) and without
   (``DictDB()``); a bulk insert of 100,000 records into a new table, with and without the journal.
3. Rolling back a 1-row update (a transaction whose block raises) at 1,000 and at 1,000,000 records.
4. Opening a folder that holds 1,000,000 records in its snapshot and 100,000 journaled transfers after it
   (snapshot + replay), beside ``DictDB.load`` of the same final data saved as a pickle.

Each benchmark labels its result with ``extra_info["durable"]``, the variant (``"sync=normal"``,
``"sqlite3 WAL FULL"``...): ``ratios.py`` prints them as their own table, paired as the targets pair them.
The sqlite3 benchmarks have "sqlite" in their names, so they are ``contender``s (run once). DictDB's run in
the compiled run only: the journal, the undo log and the recovery are the same Python in both cores.

Sizes: ``DICTDB_BENCH_DURABLE_ROWS`` (default 1,000,000) records, ``DICTDB_BENCH_DURABLE_TRANSFERS``
(default 100,000) journaled transfers for the open benchmark, 100,000 records for the bulk insert. The smoke
pass of ``make test`` (``--benchmark-disable``) runs everything once on 1,000 records (10,000 for the large
rollback), 100 journaled transfers and a 1,000-record bulk insert: it checks the work, not the speed.
Building the stores takes about a minute at full size (each table is built once per session; the folder
opened by the open benchmark too).
"""

from __future__ import annotations

import gc
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import dictdb
from benchmarks import accounts, durable_alternate
from benchmarks.conftest import label
from dictdb import DictDB, Table

ROWS = int(os.environ.get("DICTDB_BENCH_DURABLE_ROWS", 1_000_000))
TRANSFERS = int(os.environ.get("DICTDB_BENCH_DURABLE_TRANSFERS", 100_000))
BULK = 100_000
SMALL = 1_000  # the small table of the rollback benchmark

#: DictDB's variants of the accounts table: in memory, or opened on a folder with each sync mode.
DICTDB_KINDS = ["memory", "off", "normal", "full"]

pytestmark = pytest.mark.skipif(
    dictdb.core_implementation() != "cython",
    reason="durable benchmarks run in the compiled run of make bench only (the journal is the same Python)",
)


def variant(kind: str) -> str:
    return "memory" if kind == "memory" else f"sync={kind}"


def mark(benchmark: Any, op: str, size: int, what: str, impl: str | None = None) -> None:
    """``label`` plus the variant, which puts the result in ratios.py's durable table."""
    label(benchmark, op, size, impl)
    benchmark.extra_info["durable"] = what


class Sizes:
    """The sizes of this run: the targets', or the smoke pass's tiny ones."""

    def __init__(self, smoke: bool) -> None:
        self.smoke = smoke
        self.rows = SMALL if smoke else ROWS
        self.large_rollback = 10_000 if smoke else ROWS
        self.transfers = 100 if smoke else TRANSFERS
        self.bulk = SMALL if smoke else BULK


@pytest.fixture(scope="session")
def sizes(request: pytest.FixtureRequest) -> Sizes:
    return Sizes(bool(request.config.getoption("benchmark_disable")))


class Bank:
    """The accounts stores, built on first use and kept for the session (a million-record table takes
    seconds to build): DictDB tables by (kind, n), sqlite3 connections by mode."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._tables: dict[tuple[str, int], tuple[DictDB, Table]] = {}
        self._sqlite: dict[tuple[str, int], Any] = {}
        self._made = itertools.count()

    def table(self, kind: str, n: int) -> tuple[DictDB, Table]:
        key = (kind, n)
        if key not in self._tables:
            if kind == "memory":
                db = DictDB()
                table = accounts.fill(db, n)
            else:
                db = accounts.opened(self.folder / f"dictdb-{kind}-{n}-{next(self._made)}", n, kind)
                table = db.get_table(accounts.TABLE)
            self._tables[key] = (db, table)
        return self._tables[key]

    def sqlite(self, mode: str, n: int) -> Any:
        key = (mode, n)
        if key not in self._sqlite:
            synchronous = accounts.SQLITE_MODES[mode]
            path = None if synchronous is None else self.folder / f"sqlite-{mode}-{n}-{next(self._made)}.db"
            self._sqlite[key] = accounts.sqlite_accounts(path, synchronous, n)
        return self._sqlite[key]

    def clear(self) -> None:
        """Drop every store (the durable ones without a checkpoint), so the benchmarks that build a million
        records of their own run on a heap as small as the other benchmarks'."""
        for db, _ in self._tables.values():
            accounts.release(db)
        for con in self._sqlite.values():
            con.close()
        self._tables.clear()
        self._sqlite.clear()
        gc.collect()


@pytest.fixture(scope="session")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    made = Bank(tmp_path_factory.mktemp("durable"))
    yield made
    made.clear()


@pytest.fixture
def quiet_heap(bank: Bank) -> None:
    bank.clear()


# -- 1. the transfer transaction ---------------------------------------------------------------------------

TRANSFER = "transfer 2 rows (get x2, update where id == x2)"
TRANSFER_UPSERT = "transfer 2 rows (get x2, upsert x2)"


@pytest.mark.parametrize("kind", DICTDB_KINDS)
def test_transfer(benchmark: Any, bank: Bank, sizes: Sizes, kind: str) -> None:
    mark(benchmark, TRANSFER, sizes.rows, variant(kind))
    db, table = bank.table(kind, sizes.rows)
    total = accounts.dictdb_total(table)
    benchmark(accounts.dictdb_transfer(db, table, accounts.transfer_pairs(sizes.rows)))
    assert accounts.dictdb_total(table) == total


@pytest.mark.parametrize("kind", ["memory", "normal"])
def test_transfer_upsert(benchmark: Any, bank: Bank, sizes: Sizes, kind: str) -> None:
    mark(benchmark, TRANSFER_UPSERT, sizes.rows, variant(kind))
    db, table = bank.table(kind, sizes.rows)
    total = accounts.dictdb_total(table)
    benchmark(accounts.dictdb_transfer_upsert(db, table, accounts.transfer_pairs(sizes.rows)))
    assert accounts.dictdb_total(table) == total


SQLITE_VARIANTS = {
    "memory": "sqlite3 :memory:",
    "wal-normal": "sqlite3 WAL NORMAL",
    "wal-full": "sqlite3 WAL FULL",
}


@pytest.mark.parametrize("mode", list(SQLITE_VARIANTS))
def test_transfer_sqlite(benchmark: Any, bank: Bank, sizes: Sizes, mode: str) -> None:
    mark(benchmark, TRANSFER, sizes.rows, SQLITE_VARIANTS[mode], "sqlite")
    con = bank.sqlite(mode, sizes.rows)
    total = accounts.sqlite_total(con)
    benchmark(accounts.sqlite_transfer(con, accounts.transfer_pairs(sizes.rows)))
    assert accounts.sqlite_total(con) == total


# -- 2. one-row writes with and without the journal --------------------------------------------------------


ONE_ROW = {
    "insert": "insert one row (generated key)",
    "update": "update one row (update where id ==)",
    "upsert": "update one row (upsert)",
}


def one_row_write(what: str, table: Table, n: int, written: list[Any]) -> Callable[[], object]:
    """One write per call; ``written[0]`` is the key it wrote last (checked afterwards)."""
    keys = itertools.cycle(range(1, n + 1)).__next__
    if what == "insert":

        def insert() -> object:
            pk = table.insert({"bal": accounts.BALANCE})  # a new dict: insert writes the key into it
            written[0] = pk
            return pk

        return insert
    if what == "update":

        def update() -> object:
            key = keys()
            written[0] = key
            return table.update({"bal": -key}, where=table.id == key)

        return update

    def upsert() -> object:
        key = keys()
        written[0] = key
        return table.upsert({"id": key, "bal": -key})

    return upsert


@pytest.mark.parametrize("kind", ["memory", "normal"])
@pytest.mark.parametrize("what", list(ONE_ROW))
def test_one_row_write(benchmark: Any, bank: Bank, sizes: Sizes, what: str, kind: str) -> None:
    mark(benchmark, ONE_ROW[what], sizes.rows, variant(kind))
    _, table = bank.table(kind, sizes.rows)
    written: list[Any] = [None]
    benchmark(one_row_write(what, table, sizes.rows, written))
    assert table.get(written[0])["bal"] == (accounts.BALANCE if what == "insert" else -written[0])


# -- 3. rollback of a 1-row change -------------------------------------------------------------------------


class _Undo(Exception):
    pass


@pytest.mark.parametrize("which", ["small", "large"])
def test_rollback_one_row(benchmark: Any, bank: Bank, sizes: Sizes, which: str) -> None:
    n = SMALL if which == "small" else sizes.large_rollback
    mark(benchmark, "rollback of a 1-row update", n, "memory")
    db, table = bank.table("memory", n)
    keys = itertools.cycle(accounts.transfer_pairs(n)).__next__
    total = accounts.dictdb_total(table)

    def rollback() -> None:
        key = keys()[0]
        try:
            with db.transaction():
                table.update({"bal": 0}, where=table.id == key)
                raise _Undo
        except _Undo:
            pass

    benchmark(rollback)
    assert accounts.dictdb_total(table) == total


# -- 2b. bulk insert with and without the journal ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "normal"])
def test_bulk_insert(benchmark: Any, quiet_heap: None, sizes: Sizes, tmp_path: Path, kind: str) -> None:
    n = sizes.bulk
    mark(benchmark, "bulk insert (one insert call)", n, variant(kind))
    rows = accounts.account_rows(n)
    made = itertools.count()
    latest: list[DictDB] = []

    def setup() -> tuple[tuple[Table], dict[str, Any]]:
        for db in latest:  # the previous round's store goes first, collected: every round starts alike
            accounts.release(db)
        latest.clear()
        gc.collect()
        db = DictDB() if kind == "memory" else DictDB.open(tmp_path / f"bulk-{next(made)}", sync=kind)
        latest.append(db)
        return (db.create_table(accounts.TABLE),), {}

    def insert(table: Table) -> None:
        table.insert(rows)

    benchmark.pedantic(insert, setup=setup, rounds=7, warmup_rounds=1, iterations=1)
    assert len(latest[0].get_table(accounts.TABLE)) == n
    accounts.release(latest[0])


# -- 4. open (snapshot + replay) against load of a pickle --------------------------------------------------


@pytest.fixture(scope="session")
def open_fixture(tmp_path_factory: pytest.TempPathFactory, sizes: Sizes) -> tuple[Path, Path, int]:
    """The folder (snapshot of ``rows`` records + ``transfers`` journaled transfers) and the pickle file of
    the same data, built once per session (about 30 s at full size)."""
    where = tmp_path_factory.mktemp("open")
    folder, pickle_file = where / "db", where / "db.pickle"
    accounts.build_open_fixture(folder, pickle_file, sizes.rows, sizes.transfers)
    gc.collect()
    return folder, pickle_file, sizes.rows


def open_label(sizes: Sizes) -> str:
    return f"open: snapshot + {sizes.transfers:,} journaled transfers"


def test_open_snapshot_and_journal(
    benchmark: Any, quiet_heap: None, open_fixture: tuple[Path, Path, int], sizes: Sizes
) -> None:
    folder, _, n = open_fixture
    mark(benchmark, open_label(sizes), n, "DictDB.open")
    opened: list[DictDB] = []

    def run() -> None:
        opened.append(DictDB.open(folder))

    def drop() -> None:
        accounts.release(opened.pop())

    benchmark.pedantic(run, teardown=drop, rounds=3, warmup_rounds=0, iterations=1)
    while opened:  # the smoke pass (--benchmark-disable) runs once and calls no teardown
        drop()
    db = DictDB.open(folder)
    try:
        table = db.get_table(accounts.TABLE)
        assert len(table) == n
        assert accounts.dictdb_total(table) == n * accounts.BALANCE
    finally:
        accounts.release(db)


def test_open_load_pickle(
    benchmark: Any, quiet_heap: None, open_fixture: tuple[Path, Path, int], sizes: Sizes
) -> None:
    _, pickle_file, n = open_fixture
    mark(benchmark, open_label(sizes), n, "DictDB.load (pickle)")
    loaded: list[DictDB] = []

    def run() -> None:
        loaded.append(DictDB.load(pickle_file, "pickle"))

    def drop() -> None:
        loaded.clear()

    benchmark.pedantic(run, teardown=drop, rounds=3, warmup_rounds=0, iterations=1)
    table = DictDB.load(pickle_file, "pickle").get_table(accounts.TABLE)
    assert len(table) == n
    assert accounts.dictdb_total(table) == n * accounts.BALANCE


def test_alternate_runner(capsys: pytest.CaptureFixture[str]) -> None:
    # durable_alternate.py (no pytest-benchmark: it times by itself), on a tiny table, so it keeps working.
    assert durable_alternate.main(["--rows", "100", "--blocks", "1", "--per-block", "2"]) == 0
    out = capsys.readouterr().out
    for name in ("DictDB sync=full", "sqlite3 wal-full", "bare os.write + os.fsync"):
        assert name in out
