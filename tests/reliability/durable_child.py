"""The process test_durable_crash.py kills: a small bank kept in a folder opened with ``DictDB.open``.

Run as ``python durable_child.py FOLDER SYNC SEED SYNC_INTERVAL CHECKPOINT_BYTES``. The first run on a folder
creates, in one transaction, an ``accounts`` table of ``ACCOUNTS`` accounts of balance 100 (a hash index on
``owner``, a sorted one on ``balance``), and the empty ``transfers``, ``events`` and ``notes`` tables. Then
two threads write at once. The main thread does, forever, one of:

- a transfer: a transaction that reads two random accounts, moves a random amount from one to the other
  (an ``update`` and an ``upsert``) and inserts a transfer record with the next sequence number;
- a bulk change: a transaction that inserts ``EVENTS`` padded events and ``TEMP_ACCOUNTS`` empty accounts of
  the next batch and deletes those of the batch before, so a frame is large and touches both indexes;
- a transaction that raises half-way through (a transfer, an event, a table created): rolled back, it must
  leave no trace, which the child checks in memory too;
- ``db.checkpoint()``;
- ``db.close()`` and ``DictDB.open`` again, in the same process.

The second thread inserts numbered notes, one insert outside any transaction each.

What it prints, each line in one write, tells the test where a kill landed: ``OPENING`` before
``DictDB.open``; ``READY <next seq> <next note> <next batch>`` once open (and created); ``BEGIN <kind>
<number>`` before each commit (``transfer``, ``note``, ``bulk``, ``rollback``) and ``ACK <seq>``, ``NOTE
<n>``, ``BULK <batch>`` or ``ROLLBACK <seq>`` once it returned; ``CKPT`` before a checkpoint and
``CKPT-DONE`` after; ``CLOSE`` before a close and ``REOPENED`` once open again. A line is printed only after
the call it reports has returned, so a number printed is a commit the folder must keep. A thread that fails
ends the process with exit code 3 (the test sees that it was not killed).
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
import traceback
from typing import Any

from dictdb import DictDB

ACCOUNTS = 40
#: Owners repeat (several accounts each), so the hash index on ``owner`` holds buckets of several keys.
OWNERS = 13
START_BALANCE = 100
EVENTS = 300
TEMP_ACCOUNTS = 8
#: Bytes of padding per event: a bulk frame is large (~0.25 MB), so that a kill can land inside its write.
PADDING = 800

#: The share of each step of the main thread, in this order; the rest are transfers.
CLOSE_SHARE = 0.01
CHECKPOINT_SHARE = 0.015
BULK_SHARE = 0.03
ROLLBACK_SHARE = 0.05
#: The notes thread waits up to this many seconds between two notes.
NOTE_PAUSE = 0.004


class Boom(Exception):
    """Raised inside the transaction that must roll back."""


def owner_of(n: int) -> str:
    return f"owner-{n % OWNERS}"


def create(db: DictDB) -> None:
    """Every table, in one transaction: a kill leaves all of them or none."""
    with db.transaction():
        accounts = db.create_table("accounts")
        accounts.create_index("owner")
        accounts.create_index("balance", "sorted")
        accounts.insert([{"owner": owner_of(n), "balance": START_BALANCE} for n in range(ACCOUNTS)])
        db.create_table("transfers")
        events = db.create_table("events")
        events.create_index("batch")
        db.create_table("notes")


def pad(batch: int, n: int) -> str:
    """A padding string of its own per event (pickle would write one string shared by all only once)."""
    return f"{batch}-{n}-".ljust(PADDING, "x")


def next_number(table: Any, field: str) -> int:
    return max((record[field] for record in table.records.values()), default=0) + 1


def say(*words: Any) -> None:
    """One line in one ``write`` (atomic on a pipe): a kill never leaves half of one, whatever buffering
    ``PYTHONUNBUFFERED`` or the platform gives ``print``."""
    os.write(sys.stdout.fileno(), (" ".join(map(str, words)) + "\n").encode())


def transfer(db: DictDB, rng: random.Random, seq: int, *, fail: bool = False) -> tuple[int, int, int]:
    """Move a random amount between two random accounts and record it as transfer ``seq``; with ``fail``,
    raise ``Boom`` after the writes, inside the transaction."""
    accounts = db.get_table("accounts")
    transfers = db.get_table("transfers")
    src, dst = rng.sample(range(1, ACCOUNTS + 1), 2)
    amount = rng.randint(1, 60)
    with db.transaction():
        source = accounts.get(src)
        target = accounts.select(where=accounts.id == dst)[0]
        accounts.update({"balance": source["balance"] - amount}, where=accounts.id == src)
        accounts.upsert({"id": dst, "balance": target["balance"] + amount})
        transfers.insert({"seq": seq, "src": src, "dst": dst, "amount": amount})
        if fail:
            db.get_table("events").insert({"batch": -1, "pad": pad(-1, 0)})
            db.create_table("ghost").insert({"boo": True})
            raise Boom
    return src, dst, amount


def bulk(db: DictDB, batch: int) -> None:
    """Replace the events and the temporary accounts of batch ``batch - 1`` by those of ``batch``."""
    accounts = db.get_table("accounts")
    events = db.get_table("events")
    with db.transaction():
        events.insert([{"batch": batch, "n": n, "pad": pad(batch, n)} for n in range(EVENTS)])
        accounts.insert([{"owner": f"temp-{batch}", "balance": 0} for _ in range(TEMP_ACCOUNTS)])
        if batch > 1:
            events.delete(where=events.batch == batch - 1)
            accounts.delete(where=accounts.owner == f"temp-{batch - 1}")


def rolled_back(db: DictDB, rng: random.Random, seq: int) -> None:
    """A transfer that raises half-way: afterwards nothing it did may be seen."""
    accounts = db.get_table("accounts")
    before = (accounts.all(), db.get_table("transfers").count(), db.get_table("events").count())
    try:
        transfer(db, rng, seq, fail=True)
    except Boom:
        pass
    else:
        raise SystemExit("the failing transfer did not raise")
    after = (accounts.all(), db.get_table("transfers").count(), db.get_table("events").count())
    if after != before or "ghost" in db.tables:
        raise SystemExit(f"a rolled-back transaction left a trace: {before} -> {after}")


class Session:
    """The open database, swapped by a close and reopen, and the gate the notes thread passes for each note
    (closed while the main thread closes and reopens the database)."""

    def __init__(self, db: DictDB) -> None:
        self.db = db
        self.gate = threading.Lock()


def write_notes(session: Session, note: int, seed: int) -> None:
    """The second thread: one note at a time, outside any transaction, concurrently with the main thread's
    commits (so ``sync="full"`` commits share fsyncs) and checkpoints."""
    rng = random.Random(seed)
    try:
        while True:
            with session.gate:
                say("BEGIN", "note", note)
                session.db.get_table("notes").insert({"n": note})
                say("NOTE", note)
            note += 1
            time.sleep(rng.uniform(0, NOTE_PAUSE))
    except BaseException:
        traceback.print_exc()
        os._exit(3)


def main(folder: str, sync: str, seed: int, sync_interval: float, checkpoint_bytes: int) -> None:
    rng = random.Random(seed)

    def open_folder() -> DictDB:
        return DictDB.open(folder, sync=sync, sync_interval=sync_interval, checkpoint_bytes=checkpoint_bytes)

    say("OPENING")
    session = Session(open_folder())
    if "accounts" not in session.db.tables:
        create(session.db)
    seq = next_number(session.db.get_table("transfers"), "seq")
    note = next_number(session.db.get_table("notes"), "n")
    batch = next_number(session.db.get_table("events"), "batch")
    say("READY", seq, note, batch)
    threading.Thread(target=write_notes, args=(session, note, seed + 1), daemon=True).start()
    while True:
        roll = rng.random()
        db = session.db
        if roll < CLOSE_SHARE:
            with session.gate:
                say("CLOSE")
                db.close()
                session.db = open_folder()
                say("REOPENED")
        elif roll < CLOSE_SHARE + CHECKPOINT_SHARE:
            say("CKPT")
            db.checkpoint()
            say("CKPT-DONE")
        elif roll < CLOSE_SHARE + CHECKPOINT_SHARE + BULK_SHARE:
            say("BEGIN", "bulk", batch)
            bulk(db, batch)
            say("BULK", batch)
            batch += 1
        elif roll < CLOSE_SHARE + CHECKPOINT_SHARE + BULK_SHARE + ROLLBACK_SHARE:
            say("BEGIN", "rollback", seq)
            rolled_back(db, rng, seq)
            say("ROLLBACK", seq)
        else:
            say("BEGIN", "transfer", seq)
            transfer(db, rng, seq)
            say("ACK", seq)
            seq += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
