"""async_save and async_load: the same files as save and load, written and read off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB
from dictdb.exceptions import DatabaseFileNotFoundError
from dictdb.storage.files import persistence
from tests.support.persistence_helpers import assert_same_db, sample_db

FORMATS = ["json", "pickle"]


@pytest.mark.parametrize("file_format", FORMATS)
def test_async_save_and_load_round_trip(tmp_path: Path, file_format: str) -> None:
    path = tmp_path / f"db.{file_format}"
    db = sample_db()

    async def main() -> DictDB:
        await db.async_save(path, file_format.upper())
        return await DictDB.async_load(path, file_format)

    assert_same_db(db, asyncio.run(main()))
    # The same file a synchronous save writes.
    assert_same_db(db, DictDB.load(path, file_format))


def hold(table: dict[str, Callable[..., Any]], file_format: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the format's writer or reader wait until the event loop lets it go; returns the controls."""
    started, release = threading.Event(), threading.Event()
    released_in_time: list[bool] = []
    real = table[file_format]

    def held(*args: Any) -> Any:
        started.set()
        # If the work ran on the event loop thread, nothing could set `release`: this would time out.
        released_in_time.append(release.wait(timeout=10))
        return real(*args)

    monkeypatch.setitem(table, file_format, held)
    return started, release, released_in_time


async def let_go_once_started(started: threading.Event, release: threading.Event) -> int:
    """Runs on the loop while the file work is held: proves the loop is free, then releases it."""
    ticks = 0
    while not started.is_set():
        await asyncio.sleep(0.001)
    for _ in range(5):
        await asyncio.sleep(0)
        ticks += 1
    release.set()
    return ticks


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_event_loop_keeps_running_during_a_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_format: str
) -> None:
    started, release, released_in_time = hold(persistence._WRITERS, file_format, monkeypatch)
    path = tmp_path / "db"

    async def main() -> int:
        save = asyncio.create_task(sample_db().async_save(path, file_format))
        ticks = await asyncio.wait_for(let_go_once_started(started, release), timeout=10)
        await save
        return ticks

    assert asyncio.run(main()) == 5
    assert released_in_time == [True]
    assert_same_db(sample_db(), DictDB.load(path, file_format))


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_event_loop_keeps_running_during_a_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_format: str
) -> None:
    path = tmp_path / "db"
    sample_db().save(path, file_format)
    started, release, released_in_time = hold(persistence._READERS, file_format, monkeypatch)

    async def main() -> tuple[int, DictDB]:
        load = asyncio.create_task(DictDB.async_load(path, file_format))
        ticks = await asyncio.wait_for(let_go_once_started(started, release), timeout=10)
        return ticks, await load

    ticks, loaded = asyncio.run(main())
    assert ticks == 5
    assert released_in_time == [True]
    assert_same_db(sample_db(), loaded)


def test_a_wrong_format_raises_in_the_caller_before_any_thread(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file_format must be"):
        asyncio.run(DictDB().async_save(tmp_path / "db", "xml"))
    with pytest.raises(ValueError, match="file_format must be"):
        asyncio.run(DictDB.async_load(tmp_path / "db", "xml"))


def test_async_errors_are_the_documented_ones(tmp_path: Path) -> None:
    with pytest.raises(DatabaseFileNotFoundError, match="no such file"):
        asyncio.run(DictDB.async_load(tmp_path / "missing.json", "json"))
