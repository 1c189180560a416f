"""``checkpoint()`` (and ``close()``) inside a transaction raise ``DictDBError`` at once, even while an
automatic checkpoint is due.

The automatic checkpoint runs in its own thread: it takes the checkpoint lock, then waits for the read
locks of every table, which a transaction holds until it ends. A ``db.checkpoint()`` called inside that
transaction must not wait for the checkpoint lock before it finds out that it is inside a transaction: it
would wait for a thread that waits for it. The scenario runs in a thread of its own, so a hang fails the
test after a few seconds instead of hanging the suite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dictdb import DictDB, DictDBError

CALLS: dict[str, Callable[[DictDB], None]] = {"checkpoint": DictDB.checkpoint, "close": DictDB.close}


@pytest.mark.parametrize("call", list(CALLS))
def test_a_checkpoint_inside_a_transaction_raises_while_an_automatic_one_waits(
    tmp_path: Path, call: str
) -> None:
    db = DictDB.open(tmp_path / "db", checkpoint_bytes=1)  # every commit makes a checkpoint due
    table = db.create_table("t")
    table.insert({"x": 1})
    durable = db._durable
    assert durable is not None
    with durable._checkpointing:  # the automatic checkpoints of those commits are done
        pass
    outcome: list[str] = []

    def inside_a_transaction() -> None:
        with db.transaction():
            table.insert({"x": 2})
            durable._wake_checkpointer()  # as a commit past checkpoint_bytes does
            time.sleep(0.3)  # the checkpoint thread takes its lock, then waits for this transaction's locks
            try:
                CALLS[call](db)
            except DictDBError as exc:
                outcome.append(f"refused: {exc}")
            else:
                outcome.append("done")

    worker = threading.Thread(target=inside_a_transaction, daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), (
        f"db.{call}() inside a transaction waits forever for the automatic checkpoint"
    )
    assert len(outcome) == 1, outcome
    assert outcome[0].startswith("refused"), outcome
    db.close()
