"""The data and the work of the durable-database benchmarks (``bench_durable.py``; the targets are in
docs/performance.md, "Durable databases"): a table of small account records and the 2-row transfer
transaction, written once for DictDB and once for sqlite3, so that both do the same work.

- The records: ``{"id": i, "bal": 100}`` for ``i`` in ``1..n`` (about 20 bytes of payload each); sqlite3
  declares ``id INTEGER PRIMARY KEY, bal INTEGER``.
- The transfer: read two balances, write both back changed, as one transaction. DictDB: ``get`` twice, then
  ``update(..., where=table.id == key)`` twice inside ``with db.transaction():`` (one journal frame).
  sqlite3 (autocommit off, ``isolation_level=None``): ``BEGIN``, two ``SELECT bal ... WHERE id = ?``, two
  ``UPDATE accounts SET bal = ? WHERE id = ?``, ``COMMIT``.
- The pairs: a fixed pseudo-random sequence of two different keys spread over the whole table, the same for
  every contender, cycled.
- ``release``: lets go of a database opened on a folder the way a killed process would (the journal file
  closed, the folder's lock released, no checkpoint): what the benchmarks need to open a folder again as it
  was, and to drop a store without paying for a snapshot of it.
"""

from __future__ import annotations

import itertools
import os
import random
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from dictdb import DictDB, Table

TABLE = "accounts"
BALANCE = 100

#: sqlite3 set-ups of the transfer: the label, the file (None: ``:memory:``) and its PRAGMA synchronous.
SQLITE_MODES: dict[str, str | None] = {"memory": None, "wal-normal": "NORMAL", "wal-full": "FULL"}

Pairs = Sequence[tuple[int, int]]


def account_rows(n: int) -> list[dict[str, int]]:
    """``n`` account records with primary keys ``1..n``; the tables copy them, so they may be shared."""
    return [{"id": i, "bal": BALANCE} for i in range(1, n + 1)]


def transfer_pairs(n: int, count: int = 4096, seed: int = 7) -> list[tuple[int, int]]:
    """``count`` pairs of two different keys in ``1..n``, deterministic."""
    rng = random.Random(seed)
    return [tuple(rng.sample(range(1, n + 1), 2)) for _ in range(count)]  # type: ignore[misc]


# -- DictDB ------------------------------------------------------------------------------------------------


def fill(db: DictDB, n: int) -> Table:
    """The accounts table of ``db`` with ``n`` records, inserted in one call (one journal frame)."""
    table = db.create_table(TABLE)
    table.insert(account_rows(n))
    return table


def opened(folder: Path, n: int, sync: str) -> DictDB:
    """A database opened on ``folder`` with ``sync``, holding ``n`` accounts in its snapshot and an empty
    journal (checkpointed after the insert, as a long-running database would be)."""
    db = DictDB.open(folder, sync=sync)
    fill(db, n)
    db.checkpoint()
    return db


def release(db: DictDB) -> None:
    """Let go of a database opened on a folder as a killed process would: the journal closed (it fsyncs),
    the folder's lock released, no checkpoint; the folder is left as it is. Nothing for an in-memory one."""
    durable = db._durable
    if durable is not None and not durable.closed:
        durable._writer.close()
        durable._lock.release()
        durable._closed = True


def dictdb_transfer(db: DictDB, table: Table, pairs: Pairs) -> Callable[[], None]:
    """The 2-row transfer on ``table``, one pair per call."""
    next_pair = itertools.cycle(pairs).__next__

    def transfer() -> None:
        a, b = next_pair()
        with db.transaction():
            src = table.get(a)
            dst = table.get(b)
            table.update({"bal": src["bal"] - 1}, where=table.id == a)
            table.update({"bal": dst["bal"] + 1}, where=table.id == b)

    return transfer


def dictdb_transfer_upsert(db: DictDB, table: Table, pairs: Pairs) -> Callable[[], None]:
    """The same transfer writing with ``upsert`` (a merge by primary key: no ``where`` to plan)."""
    next_pair = itertools.cycle(pairs).__next__

    def transfer() -> None:
        a, b = next_pair()
        with db.transaction():
            src = table.get(a)
            dst = table.get(b)
            table.upsert({"id": a, "bal": src["bal"] - 1})
            table.upsert({"id": b, "bal": dst["bal"] + 1})

    return transfer


def dictdb_total(table: Table) -> int:
    return sum(record["bal"] for record in table.records.values())


# -- sqlite3 -----------------------------------------------------------------------------------------------


def sqlite_accounts(path: Path | None, synchronous: str | None, n: int) -> sqlite3.Connection:
    """sqlite3 with ``n`` accounts: ``:memory:`` when ``path`` is None, else a file in WAL mode with
    ``PRAGMA synchronous`` = ``synchronous``. Autocommit off: the transfer says BEGIN and COMMIT."""
    con = sqlite3.connect(":memory:" if path is None else os.fspath(path), isolation_level=None)
    if path is not None:
        mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        assert mode == "wal", mode
        con.execute(f"PRAGMA synchronous={synchronous}")
    con.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, bal INTEGER)")
    con.execute("BEGIN")
    con.executemany(f"INSERT INTO {TABLE} VALUES (:id, :bal)", account_rows(n))
    con.execute("COMMIT")
    return con


def sqlite_transfer(con: sqlite3.Connection, pairs: Pairs) -> Callable[[], None]:
    next_pair = itertools.cycle(pairs).__next__
    execute = con.execute
    select = f"SELECT bal FROM {TABLE} WHERE id = ?"
    update = f"UPDATE {TABLE} SET bal = ? WHERE id = ?"

    def transfer() -> None:
        a, b = next_pair()
        execute("BEGIN")
        (src,) = execute(select, (a,)).fetchone()
        (dst,) = execute(select, (b,)).fetchone()
        execute(update, (src - 1, a))
        execute(update, (dst + 1, b))
        execute("COMMIT")

    return transfer


def sqlite_total(con: sqlite3.Connection) -> int:
    total: int = con.execute(f"SELECT sum(bal) FROM {TABLE}").fetchone()[0]
    return total


# -- the folder that open() is measured on -----------------------------------------------------------------


def build_open_fixture(folder: Path, pickle_file: Path, n: int, transfers: int) -> None:
    """A folder holding ``n`` accounts in its snapshot and ``transfers`` journaled transfers after it (one
    frame each), left as a process that ends without ``close`` leaves it; and ``pickle_file``, the same
    final data saved with ``save(..., "pickle")``. The journal is written with ``sync="off"`` (the same
    frames as any mode, without waiting for fsyncs) and ``checkpoint_bytes`` large enough that no checkpoint
    starts on its own."""
    db = DictDB.open(folder, sync="off", checkpoint_bytes=1 << 40)
    table = fill(db, n)
    db.checkpoint()
    transfer = dictdb_transfer(db, table, transfer_pairs(n, count=min(transfers, 65_536), seed=11))
    for _ in range(transfers):
        transfer()
    assert dictdb_total(table) == n * BALANCE
    db.save(pickle_file, "pickle")
    release(db)
