"""A checkpoint makes the old journal durable before the new journal takes a frame.

Recovery replays every journal from the newest snapshot's generation on, and refuses an older journal that
ends torn; it cannot see an older journal that lost whole frames at its end. So when a power loss comes
while a checkpoint runs (the new journal started, its snapshot not yet written), the old journal must hold
every frame it ever took, or the database would come back with a commit missing from the middle of its
history and the later ones replayed on top of the gap.

With ``sync="normal"`` or ``"off"``, the old journal's last frames may be in no fsync yet when the
checkpoint switches journals. If another thread then commits into the new journal before the old one is
fsynced, the operating system may write the new frame to the disk first (it orders neither the writes of
two files nor, without fsync, those of one), and a power loss then keeps the later commit and loses the
earlier one.

The test records, for the two journal files, every frame appended and every fsync, while a second thread
commits in the instant between the switch and the old journal's fsync (the checkpoint is paused there, in
``JournalWriter.close`` of the old journal, until the commit is done or has waited a second for a lock).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB
from dictdb.storage.files import journal as journal_module


@pytest.mark.parametrize("sync", ["normal", "off"])
def test_the_old_journal_is_fsynced_before_the_new_one_takes_a_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sync: str
) -> None:
    db = DictDB.open(tmp_path / "db", sync=sync, sync_interval=3600)  # no background fsync meanwhile
    table = db.create_table("t")
    table.insert({"n": 1})  # in the old journal, and in no fsync yet
    durable = db._durable
    assert durable is not None
    old = durable._writer
    events: list[tuple[str, Any]] = []

    real_fsync = journal_module._fsync
    real_append = journal_module.JournalWriter.append
    real_close = journal_module.JournalWriter.close

    def fsync(fd: int) -> None:
        real_fsync(fd)
        events.append(("fsync", fd))

    def append(writer: Any, frame: bytes) -> int:
        events.append(("frame", writer._fd))
        return real_append(writer, frame)

    def close(writer: Any) -> None:
        if writer is old and durable._writer is not old:  # the checkpoint, between the switch and the fsync
            other = threading.Thread(target=lambda: table.insert({"n": 2}))
            other.start()
            other.join(timeout=1.0)
        real_close(writer)

    monkeypatch.setattr(journal_module, "_fsync", fsync)
    monkeypatch.setattr(journal_module.JournalWriter, "append", append)
    monkeypatch.setattr(journal_module.JournalWriter, "close", close)
    db.checkpoint()
    new = durable._writer
    assert new is not old
    db.close()

    old_synced = [n for n, event in enumerate(events) if event == ("fsync", old._fd)]
    new_frames = [n for n, event in enumerate(events) if event == ("frame", new._fd)]
    assert new_frames, events  # the other thread's commit did reach the new journal
    assert old_synced, events
    assert old_synced[0] < new_frames[0], (
        "a commit was written to the new journal before the old journal's frames were fsynced: a power loss "
        "then could keep it and lose an older commit"
    )
    with DictDB.open(tmp_path / "db") as again:
        assert [r["n"] for r in again.get_table("t").select()] == [1, 2]
