"""``progress=`` on imports, ``save``, ``load`` and ``DictDB.open``, through the public API: what the callback
sees (units, first and last call, order, rate, against a fake clock), the bar on stderr (tqdm and the plain
line), bad arguments, and a callback that raises changing nothing."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB, Table
from dictdb.exceptions import DatabaseFileNotFoundError
from dictdb.storage import progress as progress_module

ROWS = 5000
Call = tuple[int, int]
Operation = Callable[[Any], object]


class FakeClock:
    """``step`` seconds later on every look: how often the operation looks decides how often it reports."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class Recorder:
    """A progress callable keeping each call with the fake time it was made at."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[Call] = []
        self.times: list[float] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        self.times.append(self.clock.now)


def _table() -> Table:
    table = Table("t")
    table.insert([{"name": f"n{i}", "age": i % 90, "score": i / 7, "city": "Zürich"} for i in range(ROWS)])
    return table


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """One file of ``ROWS`` records in each format an operation reads."""
    table = _table()
    db = DictDB()
    db.tables["t"] = table
    paths = {name: tmp_path / f"data.{name}" for name in ("csv", "jsonl", "parquet", "json", "pickle")}
    table.export_csv(paths["csv"])
    table.export_jsonl(paths["jsonl"])
    table.export_parquet(paths["parquet"])
    db.save(paths["json"])
    db.save(paths["pickle"])
    return paths


def _operations(files: dict[str, Path], tmp_path: Path) -> dict[str, tuple[Operation, int]]:
    """Each operation, taking ``progress``, with the total it must count: bytes read or records saved."""
    db = DictDB.load(files["pickle"])
    size = {name: os.path.getsize(path) for name, path in files.items()}
    return {
        "import_csv": (lambda p: DictDB().import_csv(files["csv"], "t", progress=p), size["csv"]),
        "import_jsonl": (lambda p: DictDB().import_jsonl(files["jsonl"], "t", progress=p), size["jsonl"]),
        "import_parquet": (
            lambda p: DictDB().import_parquet(files["parquet"], "t", progress=p),
            size["parquet"],
        ),
        "load json": (lambda p: DictDB.load(files["json"], progress=p), size["json"]),
        "load pickle": (lambda p: DictDB.load(files["pickle"], progress=p), size["pickle"]),
        "save json": (lambda p: db.save(tmp_path / "out.json", progress=p), ROWS),
        "save pickle": (lambda p: db.save(tmp_path / "out.pkl", progress=p), ROWS),
    }


OPERATIONS = [
    "import_csv",
    "import_jsonl",
    "import_parquet",
    "load json",
    "load pickle",
    "save json",
    "save pickle",
]


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], FakeClock]:
    def install(step: float) -> FakeClock:
        clock = FakeClock(step)
        monkeypatch.setattr(progress_module, "clock", clock)
        return clock

    return install


@pytest.mark.parametrize("name", OPERATIONS)
def test_calls_start_at_zero_rise_and_end_at_the_total(
    name: str, files: dict[str, Path], tmp_path: Path, fake_clock: Callable[[float], FakeClock]
) -> None:
    operation, total = _operations(files, tmp_path)[name]
    recorder = Recorder(fake_clock(1.0))  # every look at the clock is past the interval: every step reported
    operation(recorder)
    calls = recorder.calls
    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)
    assert all(call_total == total for _, call_total in calls)
    done = [value for value, _ in calls]
    assert done == sorted(set(done)), "strictly rising"
    assert all(0 < value < total for value in done[1:-1])
    assert len(calls) >= 3, "some step between the first call and the last"


@pytest.mark.parametrize("name", OPERATIONS)
def test_calls_are_at_most_ten_a_second(
    name: str, files: dict[str, Path], tmp_path: Path, fake_clock: Callable[[float], FakeClock]
) -> None:
    operation, total = _operations(files, tmp_path)[name]
    clock = fake_clock(0.03)
    recorder = Recorder(clock)
    operation(recorder)
    between = recorder.times[1:-1]  # the first and the last call are always made
    gaps = [later - earlier for earlier, later in zip(recorder.times[:-1], between, strict=False)]
    assert all(gap >= progress_module.INTERVAL - 1e-9 for gap in gaps)
    assert len(recorder.calls) <= clock.now / progress_module.INTERVAL + 2
    assert recorder.calls[-1] == (total, total)


def test_a_slow_clock_gives_only_the_first_and_the_last_call(
    files: dict[str, Path], fake_clock: Callable[[float], FakeClock]
) -> None:
    recorder = Recorder(fake_clock(0.0))
    DictDB().import_csv(files["csv"], "t", progress=recorder)
    total = os.path.getsize(files["csv"])
    assert recorder.calls == [(0, total), (total, total)]


def _crashed_folder(tmp_path: Path) -> Path:
    """A folder as a process killed while it had it open leaves it: a snapshot and a journal to replay."""
    with DictDB.open(tmp_path / "live", sync="full") as db:
        db.create_table("t").insert([{"n": n} for n in range(3000)])
        db.checkpoint()
        for n in range(1000):
            db["t"].insert({"n": n})
        shutil.copytree(tmp_path / "live", tmp_path / "crashed")
    return tmp_path / "crashed"


def test_open_counts_the_bytes_of_the_snapshot_and_the_journal(
    tmp_path: Path, fake_clock: Callable[[float], FakeClock]
) -> None:
    folder = _crashed_folder(tmp_path)
    total = sum(os.path.getsize(folder / name) for name in os.listdir(folder) if name != "lock")
    recorder = Recorder(fake_clock(1.0))
    with DictDB.open(folder, progress=recorder) as db:
        assert db["t"].count() == 4000
    assert recorder.calls[0] == (0, total)
    assert recorder.calls[-1] == (total, total)
    done = [value for value, _ in recorder.calls]
    assert done == sorted(set(done))
    assert len(done) >= 4, "journal read, snapshot, frames replayed"


def test_a_callback_that_raises_during_open_changes_nothing(tmp_path: Path) -> None:
    folder = _crashed_folder(tmp_path)
    before = {name: (folder / name).read_bytes() for name in os.listdir(folder)}

    def stop_at_the_end(done: int, total: int) -> None:
        if done == total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        DictDB.open(folder, progress=stop_at_the_end)
    assert {name: (folder / name).read_bytes() for name in os.listdir(folder)} == before
    with DictDB.open(folder) as db:  # the folder's lock was released
        assert db["t"].count() == 4000


class Stop(Exception):
    pass


def _stop_at(when: str) -> Callable[[int, int], None]:
    """A callback raising ``Stop`` at its first call, at the first one past it, or at the last."""
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if when == "first" or (when == "middle" and len(seen) > 1) or (when == "last" and done == total):
            raise Stop(done)

    return progress


@pytest.mark.parametrize("when", ["first", "middle", "last"])
@pytest.mark.parametrize("name", [name for name in OPERATIONS if name.startswith("import")])
def test_a_callback_that_raises_leaves_no_table(
    name: str, when: str, files: dict[str, Path], fake_clock: Callable[[float], FakeClock]
) -> None:
    fake_clock(1.0)
    db = DictDB()
    suffix = name.removeprefix("import_")
    with pytest.raises(Stop):
        getattr(db, name)(files[suffix], "t", progress=_stop_at(when))
    assert db.list_tables() == []


@pytest.mark.parametrize("when", ["first", "middle", "last"])
def test_a_durable_import_that_raises_leaves_no_table_in_the_folder(
    when: str, files: dict[str, Path], tmp_path: Path, fake_clock: Callable[[float], FakeClock]
) -> None:
    fake_clock(1.0)
    with DictDB.open(tmp_path / "db") as db:
        with pytest.raises(Stop):
            db.import_csv(files["csv"], "t", progress=_stop_at(when))
        assert db.list_tables() == []
    with DictDB.open(tmp_path / "db") as db:
        assert db.list_tables() == []


@pytest.mark.parametrize("when", ["first", "middle", "last"])
@pytest.mark.parametrize("suffix", ["json", "pkl"])
def test_a_callback_that_raises_leaves_the_old_file(
    suffix: str, when: str, tmp_path: Path, fake_clock: Callable[[float], FakeClock]
) -> None:
    fake_clock(1.0)
    path = tmp_path / f"db.{suffix}"
    DictDB().save(path)
    old = path.read_bytes()
    db = DictDB()
    db.tables["t"] = _table()
    with pytest.raises(Stop):
        db.save(path, progress=_stop_at(when))
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == [path.name], "no temp file left"


@pytest.mark.parametrize("when", ["first", "middle", "last"])
@pytest.mark.parametrize("suffix", ["json", "pickle"])
def test_a_load_that_raises_returns_nothing(
    suffix: str, when: str, files: dict[str, Path], fake_clock: Callable[[float], FakeClock]
) -> None:
    fake_clock(1.0)
    with pytest.raises(Stop):
        DictDB.load(files[suffix], progress=_stop_at(when))


BAD = ["yes", 1, 0.5, [print], object()]


@pytest.mark.parametrize("bad", BAD, ids=lambda value: type(value).__name__)
def test_a_bad_progress_is_a_type_error_before_any_work(bad: object, tmp_path: Path) -> None:
    expected = (
        f"progress takes True, False, None or a callable progress(done, total), not {type(bad).__name__}"
    )
    missing = tmp_path / "missing"
    db = DictDB()
    db.create_table("t").insert({"x": 1})
    attempts: list[Callable[[], object]] = [
        lambda: DictDB().import_csv(missing, "t", progress=bad),  # type: ignore[arg-type]
        lambda: DictDB().import_jsonl(missing, "t", progress=bad),  # type: ignore[arg-type]
        lambda: DictDB().import_parquet(missing, "t", progress=bad),  # type: ignore[arg-type]
        lambda: DictDB.load(tmp_path / "missing.json", progress=bad),  # type: ignore[arg-type]
        lambda: db.save(tmp_path / "new.json", progress=bad),  # type: ignore[arg-type]
        lambda: DictDB.open(missing, progress=bad),  # type: ignore[arg-type]
        lambda: asyncio.run(db.async_save(tmp_path / "new.pkl", progress=bad)),  # type: ignore[arg-type]
        lambda: asyncio.run(DictDB.async_load(tmp_path / "x.pkl", progress=bad)),  # type: ignore[arg-type]
    ]
    for attempt in attempts:
        with pytest.raises(TypeError) as raised:
            attempt()
        assert str(raised.value).startswith(expected)
    assert os.listdir(tmp_path) == [], "nothing read or written: no file, no folder"


def test_async_save_and_load_report_from_their_thread(
    tmp_path: Path, fake_clock: Callable[[float], FakeClock]
) -> None:
    fake_clock(1.0)
    db = DictDB()
    db.tables["t"] = _table()
    path = tmp_path / "db.pkl"
    saved: list[Call] = []
    asyncio.run(db.async_save(path, progress=lambda done, total: saved.append((done, total))))
    assert saved[0] == (0, ROWS)
    assert saved[-1] == (ROWS, ROWS)
    loaded: list[Call] = []
    back = asyncio.run(DictDB.async_load(path, progress=lambda done, total: loaded.append((done, total))))
    assert back["t"].count() == ROWS
    assert loaded[-1] == (path.stat().st_size, path.stat().st_size)


@pytest.mark.parametrize("off", [None, False])
def test_off_reports_nothing(
    off: bool | None, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert DictDB().import_jsonl(files["jsonl"], "t", progress=off) == ROWS
    assert DictDB.load(files["json"], progress=off)["t"].count() == ROWS
    assert capsys.readouterr() == ("", "")


def test_true_draws_a_tqdm_bar_on_stderr(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    assert DictDB().import_csv(files["csv"], "t", progress=True) == ROWS
    out, err = capsys.readouterr()
    assert out == ""
    assert "importing data.csv" in err
    assert "100%" in err
    DictDB.load(files["pickle"], progress=True).save(files["json"], progress=True)
    err = capsys.readouterr().err
    assert "loading data.pickle" in err
    assert f"{ROWS}/{ROWS}" in err


def test_true_without_tqdm_draws_a_plain_line(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # ``import tqdm`` now raises ImportError
    db = DictDB.load(files["pickle"], progress=True)
    db.save(files["json"], progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    size = os.path.getsize(files["pickle"])
    lines = err.split("\n")
    assert lines[-1] == ""
    assert lines[0].startswith("\rloading data.pickle:   0% (0/")
    assert lines[0].endswith(f"\rloading data.pickle: 100% ({size:,}/{size:,} B)")
    assert lines[1].endswith(f"\rsaving data.json: 100% ({ROWS:,}/{ROWS:,} records)")


def test_the_plain_line_ends_its_line_when_the_operation_fails(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    files["csv"].write_text("a,b\n1,2\n3\n")
    with pytest.raises(Exception, match="line 3"):
        DictDB().import_csv(files["csv"], "t", progress=True)
    assert capsys.readouterr().err.endswith("\n")


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_no_call_for_a_file_that_cannot_be_read(make: str, tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    if make == "folder":
        path.mkdir()
    calls: list[Call] = []
    # Opening a folder is an IsADirectoryError, a PermissionError on Windows.
    expected = (FileNotFoundError,) if make == "missing" else (IsADirectoryError, PermissionError)
    with pytest.raises(expected):
        DictDB().import_csv(path, "t", progress=lambda done, total: calls.append((done, total)))
    with pytest.raises(DatabaseFileNotFoundError):
        DictDB.load(tmp_path / "data.json", progress=lambda done, total: calls.append((done, total)))
    assert calls == []
