"""Model-based test of a database opened on a folder: the state machine of ``test_model.py`` (every write,
read, index change and transaction, against the dict-of-dicts oracle) runs on a ``DictDB.open`` database,
with steps of its own interleaved:

- ``checkpoint``: ``db.checkpoint()``;
- ``reopen``: ``db.close()``, a write that must now raise ``DictDBError`` and change nothing, then
  ``DictDB.open`` again, in a sync mode drawn each time (and sometimes a tiny ``checkpoint_bytes``, so that
  automatic checkpoints run in their thread between the steps);
- ``crash``: the folder copied as the OS holds it (no checkpoint running: a real crash stops the process at
  one instant, and a copy is one only if no thread writes files meanwhile), the old database abandoned, the
  copy opened and worked on from then on;
- ``crash inside a transaction``: the copy taken in the middle of a ``with db.transaction():`` block, which
  then commits or rolls back in the old database; the copy must hold none of it (the oracle goes back to
  its state before the block).

After every step, reopens and crashes included, the database must equal the oracle: records and their
order, the key counter, the indexes (definitions and contents). The "save and reload" rule of the in-memory
model is left out: it swaps in a database loaded from a file, which has no folder.

fsync does nothing here: the steps check what the files hold, which a process reads from the OS whether or
not it reached the disk, and a ``sync="full"`` commit or a checkpoint then costs microseconds, not
milliseconds. ``make test`` runs ``EXAMPLES`` runs per core; ``make reliability`` ``ROUNDS`` (30) times more.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from dictdb import DictDB, DictDBError
from tests.reliability.budget import scaled
from tests.reliability.figures import report
from tests.reliability.ops import TABLES, Rollback, outcome
from tests.reliability.test_model import COUNTED as MODEL_COUNTED
from tests.reliability.test_model import DatabaseModel, inner_ops, plain
from tests.support.value_strategies import assert_same

EXAMPLES = 30
ROUNDS = scaled(1, 30)
STEPS_PER_EXAMPLE = 40

syncs = st.sampled_from(["normal", "off", "full"])
#: Mostly the default; sometimes so small that nearly every commit wakes the automatic checkpoint.
checkpoint_sizes = st.sampled_from([64 << 20, 64 << 20, 512])

#: Steps of this file's own rules (the shared rules count theirs in ``test_model.COUNTED``).
COUNTED = {"steps": 0, "opens": 0, "crashes": 0, "checkpoints": 0, "crashes_in_transaction": 0}


class DurableDatabaseModel(DatabaseModel):
    """The in-memory model's rules on a database opened on a folder, plus checkpoints, reopens and crashes."""

    save_and_reload = None  # not a rule here (see the module docstring)

    def __init__(self) -> None:
        super().__init__()
        self.folders = 0
        self.folder = self._next_folder()
        self.auto_checkpoints = False
        self.runner.db = self._open("off", 64 << 20)
        for name, schema in TABLES.items():
            self.runner.db.create_table(name, schema=schema)

    def _next_folder(self) -> Path:
        self.folders += 1
        return Path(self._workdir.name) / f"db-{self.folders}"

    def _open(self, sync: str, checkpoint_bytes: int) -> DictDB:
        COUNTED["opens"] += 1
        self.auto_checkpoints = checkpoint_bytes < 1024
        return DictDB.open(self.folder, sync=sync, checkpoint_bytes=checkpoint_bytes)

    def _crash_image(self) -> Path:
        """A copy of the folder as the OS holds it now, taken while no checkpoint writes files."""
        durable = self.runner.db._durable
        assert durable is not None
        image = self._next_folder()
        with durable._checkpointing:
            shutil.copytree(self.folder, image)
        return image

    def _switch_to(self, image: Path, sync: str, checkpoint_bytes: int) -> None:
        """Abandon the database (released as a killed process's lock would be) and go on with ``image``."""
        old, old_folder = self.runner.db, self.folder
        old.close()  # what it writes now goes to the abandoned folder only
        shutil.rmtree(old_folder)
        self.folder = image
        self.runner.db = self._open(sync, checkpoint_bytes)

    def teardown(self) -> None:
        try:
            self.runner.db.close()
        finally:
            super().teardown()

    @rule()
    def checkpoint(self) -> None:
        COUNTED["checkpoints"] += 1
        COUNTED["steps"] += 1
        self.runner.db.checkpoint()

    @rule(sync=syncs, checkpoint_bytes=checkpoint_sizes)
    def reopen(self, sync: str, checkpoint_bytes: int) -> None:
        COUNTED["steps"] += 1
        db = self.runner.db
        db.close()
        with pytest.raises(DictDBError, match="closed"):
            db.get_table("free").insert({})  # a record no rule refuses: the refusal is the closed folder's
        self.runner.db = self._open(sync, checkpoint_bytes)
        assert self.runner.db.sync == sync

    @rule(sync=syncs, checkpoint_bytes=checkpoint_sizes)
    def crash(self, sync: str, checkpoint_bytes: int) -> None:
        COUNTED["crashes"] += 1
        COUNTED["steps"] += 1
        self._switch_to(self._crash_image(), sync, checkpoint_bytes)

    @precondition(lambda self: not self.auto_checkpoints)  # a copy needs no checkpoint thread writing files
    @rule(ops=st.lists(inner_ops, min_size=1, max_size=4).map(tuple), commit=st.booleans(), sync=syncs)
    def crash_inside_transaction(self, ops: tuple[Any, ...], commit: bool, sync: str) -> None:
        COUNTED["crashes_in_transaction"] += 1
        before = copy.deepcopy(self.model.tables)
        expected = outcome(self.model.apply, ("transaction", ops, commit))
        self.model.tables = before
        image = self.folder  # replaced inside the block
        outcomes: list[Any] = []
        try:
            with self.runner.db.transaction():
                outcomes.extend(outcome(self.runner.apply, op) for op in ops)
                image = self._next_folder()
                shutil.copytree(self.folder, image)  # under the transaction's locks: no checkpoint runs
                if not commit:
                    raise Rollback
        except Rollback:
            pass
        COUNTED["steps"] += 1
        assert_same(plain(expected), plain(("ok", outcomes)), f"{ops!r}")
        self._switch_to(image, sync, 64 << 20)


def test_a_durable_database_agrees_with_the_oracle_through_reopens_and_crashes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    COUNTED.update(dict.fromkeys(COUNTED, 0))
    MODEL_COUNTED.update(steps=0, runs=0)
    for _ in range(ROUNDS):
        run_state_machine_as_test(
            DurableDatabaseModel,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS_PER_EXAMPLE,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    assert COUNTED["crashes"] > 0
    assert COUNTED["crashes_in_transaction"] > 0
    COUNTED["steps"] += MODEL_COUNTED["steps"]
    report("durable model", runs=MODEL_COUNTED["runs"], divergences=0, **COUNTED)
