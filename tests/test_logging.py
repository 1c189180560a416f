"""Logging: silent until enabled, one line per table-level operation with structured extras, sampling,
configure_logging, and a disabled path that builds nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import loguru
import pytest

import dictdb
from dictdb import DictDB, configure_logging, logger
from dictdb import log as dictdb_log


@pytest.fixture(autouse=True)
def _fresh_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts silent, with no handler of configure_logging's, and leaves it that way."""
    monkeypatch.setattr(dictdb_log, "_handlers", [])
    monkeypatch.setattr(dictdb_log, "_sample_every", 1)
    logger.disable("dictdb")
    yield
    for handler in dictdb_log._handlers:
        logger.remove(handler)
    logger.disable("dictdb")


@pytest.fixture
def records() -> Iterator[list[dict[str, Any]]]:
    """Every record loguru emits from the dictdb modules, at any level."""
    seen: list[dict[str, Any]] = []
    handler = logger.add(lambda message: seen.append(message.record), level="TRACE", filter="dictdb")
    yield seen
    logger.remove(handler)


def work() -> None:
    """One of each table-level operation."""
    db = DictDB()
    table = db.create_table("staff")
    table.insert([{"n": n} for n in range(500)])
    table.insert({"n": 500})
    table.update({"big": True}, where=table.n >= 490)
    table.select(where=table.n < 10)
    table.delete(where=table.n < 5)
    db.drop_table("staff")


def summary(records: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
    return [(r["level"].name, r["extra"]["op"], r["extra"]["table"], r["extra"]["count"]) for r in records]


def test_the_library_is_silent_until_enabled(records: list[dict[str, Any]]) -> None:
    work()
    assert records == []


def test_one_line_per_operation_with_structured_extras(records: list[dict[str, Any]]) -> None:
    logger.enable("dictdb")
    work()
    assert summary(records) == [
        ("INFO", "create_table", "staff", None),
        ("INFO", "insert", "staff", 500),
        ("INFO", "update", "staff", 11),
        ("DEBUG", "select", "staff", 10),
        ("INFO", "delete", "staff", 5),
        ("INFO", "drop_table", "staff", None),
    ]
    assert records[1]["message"] == "inserted 500 records into table 'staff'"
    assert records[1]["name"] == "dictdb.table"  # the caller's module and function, not the helper's
    assert records[1]["function"] == "_insert_many"
    assert records[1]["extra"]["name"] == "dictdb"


def test_loguru_s_own_logger_enables_it_too(records: list[dict[str, Any]]) -> None:
    DictDB().create_table("warm")  # loguru caches "disabled" for dictdb.database
    loguru.logger.enable("dictdb")
    DictDB().create_table("a")
    loguru.logger.disable("dictdb")
    DictDB().create_table("b")
    assert [r["extra"]["table"] for r in records] == ["a"]


def test_a_submodule_can_be_switched_off_alone(records: list[dict[str, Any]]) -> None:
    logger.enable("dictdb")
    logger.disable("dictdb.database")
    work()
    assert "create_table" not in [r["extra"]["op"] for r in records]
    assert "insert" in [r["extra"]["op"] for r in records]


def test_the_disabled_path_builds_nothing() -> None:
    work()  # each module's gate now holds loguru's state under which it is disabled

    def must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a log call ran while logging is disabled")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dictdb_log.Gate, "info", must_not_run)
        patch.setattr(dictdb_log.Gate, "debug", must_not_run)
        work()
        logger.enable("dictdb")  # a new activation state: the next call looks again
        with pytest.raises(AssertionError, match="a log call ran"):
            work()


def test_the_fast_test_reads_loguru_s_state() -> None:
    # dictdb.log reads loguru's private state; if a loguru release renames it, the library falls back to
    # asking loguru every time (still correct, slower) and this test says so.
    assert dictdb_log.core is loguru.logger._core  # type: ignore[attr-defined]
    assert isinstance(dictdb_log.core.enabled, dict)
    assert isinstance(dictdb_log.core.activation_list, list)


def test_the_gate_follows_loguru_s_own_rule_for_nested_names() -> None:
    gate = dictdb_log.Gate("dictdb.storage.interop.csvfile")
    logger.enable("dictdb")
    logger.disable("dictdb.storage")
    gate.info("create_table", "t")
    assert gate.quiet is dictdb_log.core.enabled
    logger.enable("dictdb.storage.interop.csvfile")
    assert gate.quiet is not dictdb_log.core.enabled  # any enable/disable: look again
    assert dictdb_log.Gate("dictdb.table")._open(20)
    assert gate._open(20)
    assert not dictdb_log.Gate("dictdb.storage.interop.jsonlines")._open(20)
    logger.enable("dictdb.storage")


def test_configure_logging_writes_a_file_and_replaces_its_handlers(tmp_path: Path) -> None:
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    ids = configure_logging("INFO", console=False, logfile=first)
    DictDB().create_table("one")
    new_ids = configure_logging("DEBUG", console=False, logfile=second)
    assert len(ids) == 1
    assert len(new_ids) == 1
    db = DictDB()
    table = db.create_table("two")
    table.select()
    assert "created table 'one'" in first.read_text()
    assert "two" not in first.read_text()
    assert "created table 'two'" in second.read_text()
    assert "select on table 'two' returned 0 records" in second.read_text()


def test_configure_logging_level_filters_debug_lines(tmp_path: Path) -> None:
    path = tmp_path / "info.log"
    configure_logging("INFO", console=False, logfile=path)
    table = DictDB().create_table("t")
    table.select()
    assert "select" not in path.read_text()


def test_json_lines_carry_the_extras(tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    configure_logging("INFO", console=False, logfile=path, json=True)
    DictDB().create_table("t").insert([{"x": 1}, {"x": 2}])
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    extras = [line["record"]["extra"] for line in lines]
    assert [(e["op"], e["table"], e["count"]) for e in extras] == [
        ("create_table", "t", None),
        ("insert", "t", 2),
    ]
    assert lines[1]["record"]["message"] == "inserted 2 records into table 't'"


def test_debug_lines_are_sampled(tmp_path: Path) -> None:
    path = tmp_path / "debug.log"
    configure_logging("DEBUG", console=False, logfile=path, sample_debug_every=3)
    table = DictDB().create_table("t")
    for _ in range(9):
        table.select()
    table.insert([{"x": 1}])  # INFO is never sampled
    text = path.read_text()
    assert text.count("select on table") == 3
    assert text.count("inserted 1 records") == 1


def test_console_logging_prints_each_line_once_and_keeps_the_app_s_lines() -> None:
    code = (
        "import dictdb; from loguru import logger; dictdb.configure_logging('INFO'); "
        "dictdb.DictDB().create_table('t'); logger.info('app line')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.count("created table 't'") == 1
    assert done.stderr.count("app line") == 1


def test_without_configuration_nothing_is_printed() -> None:
    code = "import dictdb; t = dictdb.DictDB().create_table('t'); t.insert([{'x': 1}]); t.select()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == ""


def test_console_false_without_a_logfile_silences_dictdb_s_lines(
    tmp_path: Path, records: list[dict[str, Any]]
) -> None:
    path = tmp_path / "before.log"
    configure_logging("INFO", console=False, logfile=path)
    DictDB().create_table("logged")
    assert configure_logging(console=False) == []
    assert dictdb_log._handlers == []
    DictDB().create_table("silent").insert({"x": 1})
    assert "created table 'logged'" in path.read_text()
    assert "silent" not in path.read_text()
    assert [r["extra"]["table"] for r in records] == ["logged"]


def test_console_false_without_a_logfile_keeps_the_app_s_lines() -> None:
    code = (
        "import dictdb; from loguru import logger; dictdb.configure_logging(console=False); "
        "dictdb.DictDB().create_table('t'); logger.info('app line')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "created table" not in done.stderr
    assert done.stderr.count("app line") == 1


def test_bad_configurations_change_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kept.log"
    ids = configure_logging("INFO", console=False, logfile=path)
    with pytest.raises(ValueError, match="Level 'LOUD' does not exist"):
        configure_logging("LOUD", console=False, logfile=path)
    with pytest.raises(ValueError, match="level must be a level name"):
        configure_logging(-1, console=False, logfile=path)
    with pytest.raises(ValueError, match="Level 'LOUD' does not exist"):
        configure_logging("LOUD", console=False)  # a silencing call checks its level too
    with pytest.raises(ValueError, match="sample_debug_every must be a positive int"):
        configure_logging(console=False, logfile=path, sample_debug_every=0)
    assert dictdb_log._handlers == ids
    DictDB().create_table("still")
    assert "created table 'still'" in path.read_text()


def test_logger_and_configure_logging_are_public() -> None:
    assert dictdb.logger is logger
    assert {"logger", "configure_logging"} <= set(dictdb.__all__)


def test_files_log_one_line_per_save_load_import_and_export(
    tmp_path: Path, records: list[dict[str, Any]]
) -> None:
    logger.enable("dictdb")
    db = DictDB()
    db.create_table("t").insert([{"x": 1}, {"x": 2}])
    db.save(tmp_path / "db.json", "json")
    DictDB.load(tmp_path / "db.json", "json")
    db.get_table("t").export_csv(tmp_path / "t.csv")
    db.import_csv(tmp_path / "t.csv", "from_csv")
    db.get_table("t").export_jsonl(tmp_path / "t.jsonl")
    db.import_jsonl(tmp_path / "t.jsonl", "from_jsonl")
    ops = [(r["extra"]["op"], r["extra"]["table"], r["extra"]["count"]) for r in records]
    assert [op for op in ops if op[0] not in ("create_table", "insert")] == [
        ("save", None, 1),
        ("load", None, 1),
        ("export_csv", "t", 2),
        ("import_csv", "from_csv", 2),
        ("export_jsonl", "t", 2),
        ("import_jsonl", "from_jsonl", 2),
    ]
    saved = next(r for r in records if r["extra"]["op"] == "save")
    assert saved["message"] == f"saved 1 tables to {tmp_path / 'db.json'}"
