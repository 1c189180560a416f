"""Hostile files: truncated at many places, malformed, of the wrong format or version, nested or sized past
what a parser takes, holding keys no table may have, and hostile pickles.

Each gets the documented error (docs/persistence.md, docs/backups.md): ``DatabaseFileError`` naming the
file (for a missing one ``DatabaseFileNotFoundError``), and nothing else happens: no file is created,
changed or removed, no code runs. Hostile records and names in memory are in test_hostile_values.py.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dictdb import BackupManager, DictDB
from dictdb.exceptions import DatabaseFileError
from tests.reliability import bomb_child
from tests.reliability.budget import scaled
from tests.reliability.hostile_pickles import Reduce, hostile_corpus, meta
from tests.support.persistence_helpers import sample_db

#: Cuts per file: evenly spread, plus every one of the first and last bytes; every byte under the long
#: budget.
CUTS = scaled(300, 100_000)


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def refused(
    load: Callable[[], Any], folder: Path, named: Path, match: str | None = None
) -> DatabaseFileError:
    """``load()`` raises ``DatabaseFileError`` naming ``named`` and changes nothing in ``folder``."""
    before = files(folder)
    with pytest.raises(DatabaseFileError, match=match) as caught:
        load()
    assert caught.value.path == str(named)
    assert files(folder) == before
    return caught.value


# --- truncated files ------------------------------------------------------------------------------------


def cut_points(size: int) -> list[int]:
    if size <= CUTS:
        return list(range(size))
    return sorted({*range(0, size, size // CUTS), *range(min(size, 64)), *range(max(0, size - 64), size)})


def backup_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A backup folder holding a full backup and one delta; the delta's path."""
    db = sample_db()
    manager = BackupManager(db, tmp_path / "backups", incremental=True)
    manager.backup_now()
    keyed = db.get_table("keyed")
    keyed.update({"label": "changed"}, where=keyed.code == "a")
    keyed.insert({"code": "d", "label": "D"})
    delta = manager.backup_now()
    assert delta is not None
    assert delta.name.startswith("dictdb_delta_")
    return tmp_path / "backups", delta


@pytest.mark.parametrize("kind", ["json", "pickle", "delta"])
def test_every_cut_of_a_file_is_refused_naming_it(tmp_path: Path, kind: str) -> None:
    if kind == "delta":
        folder, path = backup_folder(tmp_path)
        load: Callable[[], Any] = lambda: BackupManager.restore(folder)  # noqa: E731
    else:
        folder, path = tmp_path, tmp_path / f"db.{kind}"
        sample_db().save(path, kind)
        load = lambda: DictDB.load(path, kind)  # noqa: E731
    whole = path.read_bytes()
    # The cut JSON files end where the text does: trailing whitespace is not part of the document.
    size = len(whole.rstrip()) if kind != "pickle" else len(whole)
    for end in cut_points(size):
        path.write_bytes(whole[:end])
        refused(load, folder, path)
    path.write_bytes(whole)
    load()


# --- bad JSON database files ----------------------------------------------------------------------------

BIG = "9" * 5000  # past Python's int-str limit (4,300 digits)


def table(records: str = '{"id": 1}', **settings: Any) -> str:
    fields = {"primary_key": '"id"', "schema": "null", "indexes": "{}", "next_pk": "2", **settings}
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + f', "records": [{records}]}}'


def v1(tables: str = '{"t": ' + table() + "}", meta_json: str = '{"format": "dictdb", "version": 1}') -> str:
    return '{"_meta": ' + meta_json + ', "tables": ' + tables + "}"


def version(value: str) -> str:
    return v1(meta_json='{"format": "dictdb", "version": ' + value + "}")


DEEP = 100_000

JSON_CORPUS: dict[str, tuple[str | bytes, str]] = {
    # Malformed.
    "whitespace": (" \n\t ", "the file is empty"),
    "a lone brace": ("{", "truncated"),
    "single quotes": ("{'tables': {}}", "not valid JSON"),
    "a trailing comma": (v1()[:-1] + ",}", "not valid JSON"),
    "two documents": (v1() + v1(), "not valid JSON: Extra data"),
    "NUL bytes": (b"\x00" * 64, "not valid JSON"),
    "UTF-16": (v1().encode("utf-16"), "not UTF-8"),
    "a bare string": ('"tables"', "not a DictDB file"),
    "null": ("null", "not a DictDB file"),
    "tables is a list": (v1(tables="[]"), "'tables'"),
    "a table is a string": (v1(tables='{"t": "x"}'), "table 't'"),
    "records is an object": (
        v1(tables='{"t": {"primary_key": "id", "schema": null, "indexes": {}, "next_pk": 2, "records": {}}}'),
        "records",
    ),
    "a record is a list": (v1(tables='{"t": ' + table("[1]") + "}"), "record #1"),
    "an unknown tag": (v1(tables='{"t": ' + table('{"id": 1, "x": {"$nope": 1}}') + "}"), "\\$nope"),
    "a bad tag payload": (
        v1(tables='{"t": ' + table('{"id": 1, "x": {"$date": "2024-13-45"}}') + "}"),
        "\\$date",
    ),
    # Wrong format or version.
    "no _meta format": (v1(meta_json='{"version": 1}'), "format"),
    "format sqlite": (v1(meta_json='{"format": "sqlite", "version": 1}'), "format 'sqlite'"),
    "format of a delta": (v1(meta_json='{"format": "dictdb-delta", "version": 1}'), "format 'dictdb-delta'"),
    "_meta a list": (v1(meta_json="[]"), "_meta"),
    "version 2": (version("2"), "newer DictDB"),
    "version 10**9": (version("1000000000"), "newer DictDB"),
    "version '1'": (version('"1"'), "invalid format version '1'"),
    "version 1.0": (version("1.0"), "invalid format version 1.0"),
    "version true": (version("true"), "invalid format version True"),
    "version -1": (version("-1"), "invalid format version -1"),
    "version null": (version("null"), "version"),
    "version of 5000 digits": (version(BIG), "more than 4300 digits"),
    # Past what a parser takes: nesting (a RecursionError inside json) and int literals (a ValueError).
    "deep arrays": (
        v1(tables='{"t": ' + table('{"id": 1, "x": ' + "[" * DEEP + "]" * DEEP + "}") + "}"),
        "deeply",
    ),
    "deep objects": ('{"a": ' * DEEP + "1" + "}" * DEEP, "nested too deeply"),
    "deep tags": ('{"$tuple": [' * DEEP + "]}" * DEEP, "nested too deeply"),
    "an int of 5000 digits": (
        v1(tables='{"t": ' + table('{"id": 1, "x": ' + BIG + "}") + "}"),
        "4300 digits",
    ),
    "a key of 5000 digits": (v1(tables='{"t": ' + table('{"id": ' + BIG + "}") + "}"), "4300 digits"),
    "next_pk of 5000 digits": (v1(tables='{"t": ' + table(next_pk=BIG) + "}"), "4300 digits"),
    "next_pk 1e308": (v1(tables='{"t": ' + table(next_pk="1e308") + "}"), "next_pk"),
    "an unclosed [ bomb": ("[" * DEEP, "nested too deeply"),
    "an int of 10 million digits": (
        v1(tables='{"t": ' + table('{"id": 1, "x": ' + "7" * 10_000_000 + "}") + "}"),
        "4300 digits",
    ),
    # A float literal past a float's range would read as infinity: no writer puts one for a finite number.
    "a value of 1e999999": (
        v1(tables='{"t": ' + table('{"id": 1, "x": 1e999999}') + "}"),
        "a number in it, 1e999999, is past the range of a float",
    ),
    "a key of -1e400": (v1(tables='{"t": ' + table('{"id": -1e400}') + "}"), "-1e400, is past the range"),
    "next_pk 1e999999": (v1(tables='{"t": ' + table(next_pk="1e999999") + "}"), "past the range of a float"),
    "an exponent of 10 million digits": (
        v1(tables='{"t": ' + table('{"id": 1, "x": 1e' + "9" * 10_000_000 + "}") + "}"),
        r"1e9{18}\.\.\.9{10} \(10000002 characters\), is past the range of a float",
    ),
    # Keys no table may have.
    "a NaN key": (v1(tables='{"t": ' + table('{"id": NaN}') + "}"), "equals nothing"),
    "a tagged NaN key": (v1(tables='{"t": ' + table('{"id": {"$float": "nan"}}') + "}"), "equals nothing"),
    "a Decimal NaN key": (v1(tables='{"t": ' + table('{"id": {"$decimal": "NaN"}}') + "}"), "equals nothing"),
    "a null key": (v1(tables='{"t": ' + table('{"id": null}') + "}"), "null"),
    "a list key": (v1(tables='{"t": ' + table('{"id": [1]}') + "}"), "not hashable"),
    "a set key": (v1(tables='{"t": ' + table('{"id": {"$set": [1]}}') + "}"), "not hashable"),
    "a dict key": (v1(tables='{"t": ' + table('{"id": {"a": 1}}') + "}"), "not hashable"),
    "a missing key": (v1(tables='{"t": ' + table('{"x": 1}') + "}"), "no primary key field"),
    "a duplicate key": (v1(tables='{"t": ' + table('{"id": 1}, {"id": 1.0}') + "}"), "taken"),
    "a list under a hash index": (
        v1(tables='{"t": ' + table('{"id": 1, "x": [1]}', indexes='{"x": "hash"}') + "}"),
        "unhashable list",
    ),
    "a duplicate under a unique index": (
        v1(
            tables='{"t": '
            + table('{"id": 1, "x": 1}, {"id": 2, "x": 1}', indexes='{"x": "unique hash"}')
            + "}"
        ),
        "unique",
    ),
    "an index of a made-up kind": (v1(tables='{"t": ' + table(indexes='{"x": "btree"}') + "}"), "btree"),
    "a schema type that is code": (
        v1(tables='{"t": ' + table(schema='{"x": "os.system"}') + "}"),
        "os.system",
    ),
}


@pytest.mark.parametrize("name", sorted(JSON_CORPUS))
def test_a_bad_json_file_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    content, match = JSON_CORPUS[name]
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    refused(lambda: DictDB.load(path, "json"), tmp_path, path, match)


#: Checked once a restore applied every delta (docs/backups.md), so the error names the folder.
AT_THE_END = {"a list under a hash index", "a duplicate under a unique index", "an index of a made-up kind"}


@pytest.mark.parametrize("name", sorted(JSON_CORPUS))
def test_a_bad_full_backup_is_refused_by_restore_naming_it(tmp_path: Path, name: str) -> None:
    content, match = JSON_CORPUS[name]
    path = tmp_path / "dictdb_backup_20260101T000000_000000.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    named = tmp_path if name in AT_THE_END else path
    refused(lambda: BackupManager.restore(tmp_path), tmp_path, named, match)


def test_a_huge_float_literal_and_a_huge_string_load_in_linear_time(tmp_path: Path) -> None:
    # 10 million digits of a finite float, and 20 MB of a string (half of it escapes): a file is as big as
    # what it holds, and reading it is one pass.
    path = tmp_path / "big.json"
    text = "x\\u00e9" * 2_000_000 + "y" * 10_000_000
    path.write_text(
        v1(tables='{"t": ' + table('{"id": 1, "f": 1.' + "5" * 10_000_000 + ', "s": "' + text + '"}') + "}")
    )
    started = time.perf_counter()
    record = DictDB.load(path, "json").get_table("t").get(1)
    assert time.perf_counter() - started < 5  # about 0.2 s measured
    assert record["f"] == 1.5555555555555556
    assert record["s"] == "xé" * 2_000_000 + "y" * 10_000_000


def test_a_huge_record_count_loads_whole(tmp_path: Path) -> None:
    # Not an error: as many records as memory holds. A file written by hand, as another program would.
    count = scaled(100_000, 2_000_000)
    path = tmp_path / "big.json"
    records = ",\n".join(f'{{"id": {i}, "v": "x"}}' for i in range(1, count + 1))
    path.write_text(v1(tables='{"t": ' + table(records, next_pk=str(count + 1)) + "}"))
    t = DictDB.load(path, "json").get_table("t")
    assert t.count() == count
    assert t.get(count) == {"id": count, "v": "x"}


# --- bad and hostile pickles ------------------------------------------------------------------------------


def one_table_pickle(records: list[dict[str, Any]]) -> bytes:
    """A pickle of a well-formed file holding one table ``t`` of ``records``."""
    table = {"primary_key": "id", "schema": None, "indexes": {}, "next_pk": 1, "records": records}
    return pickle.dumps({"_meta": meta(), "tables": {"t": table}})


PICKLE_CORPUS: dict[str, tuple[bytes, str]] = {
    "a NaN key": (
        one_table_pickle([{"id": float("nan")}]),
        "equals nothing",
    ),
    "a list key": (
        one_table_pickle([{"id": [1]}]),
        "not hashable",
    ),
    "version 3": (pickle.dumps({"_meta": meta(version=3), "tables": {}}), "newer DictDB"),
    "format json": (pickle.dumps({"_meta": meta(format="json"), "tables": {}}), "format 'json'"),
    "a JSON file": (v1().encode(), "not a valid DictDB pickle"),
    "a pickled set": (pickle.dumps({1, 2}), "not a DictDB file"),
}


@pytest.mark.parametrize("name", sorted(PICKLE_CORPUS))
def test_a_bad_pickle_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    content, match = PICKLE_CORPUS[name]
    path = tmp_path / "bad.pickle"
    path.write_bytes(content)
    refused(lambda: DictDB.load(path, "pickle"), tmp_path, path, match)


def test_the_corpus_is_really_hostile(tmp_path: Path) -> None:
    # A plain pickle.loads of one of them does run its call: the corpus tests what it claims to.
    sentinel = tmp_path / "sentinel"
    pickle.loads(hostile_corpus(sentinel)["builtins.exec"])
    assert sentinel.read_text() == "pwned"


@pytest.mark.parametrize("name", sorted(hostile_corpus(Path("x"))))
@pytest.mark.parametrize("how", ["load", "restore"])
def test_a_hostile_pickle_runs_nothing_and_is_refused_naming_it(tmp_path: Path, name: str, how: str) -> None:
    sentinel = tmp_path / "sentinel"
    if how == "load":
        path = tmp_path / "evil.pickle"
        path.write_bytes(hostile_corpus(sentinel)[name])
        refused(lambda: DictDB.load(path, "pickle"), tmp_path, path)
    else:
        path = tmp_path / "dictdb_backup_20260101T000000_000000.pickle"
        path.write_bytes(hostile_corpus(sentinel)[name])
        refused(lambda: BackupManager.restore(tmp_path), tmp_path, path)
    assert not sentinel.exists()
    assert os.listdir(tmp_path) == [path.name]


def test_refused_globals_are_named(tmp_path: Path) -> None:
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps(Reduce(os.system, "true")))
    refused(lambda: DictDB.load(path, "pickle"), tmp_path, path, r"refused global '(posix|nt)\.system'")


@pytest.mark.parametrize("name", ["a 4 EiB string", "4 EiB of bytes"])
def test_a_size_no_file_has_is_named_as_such(tmp_path: Path, name: str) -> None:
    path = tmp_path / "evil.pickle"
    path.write_bytes(hostile_corpus(tmp_path / "sentinel")[name])
    refused(
        lambda: DictDB.load(path, "pickle"),
        tmp_path,
        path,
        "claims 4611686018427387904 bytes, more than the 4 left",
    )


# --- allocation bombs: claims of memory the file does not hold --------------------------------------------


@pytest.fixture(scope="module")
def bomb_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """What each bomb of ``bomb_child`` cost, loaded in a fresh process (this core) under a memory limit."""
    folder = tmp_path_factory.mktemp("bombs")
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.bomb_child", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return report


BOMBS = [*bomb_child.bombs(), "in a database folder's journal frame", "in a database folder's snapshot"]


@pytest.mark.parametrize("name", BOMBS)
def test_a_claim_of_memory_the_file_does_not_hold_is_refused_at_once(
    bomb_report: dict[str, dict[str, Any]], name: str
) -> None:
    # Unguarded, the 9-byte LONG_BINPUT 2**28 took 11.5 s and 4.1 GB before it failed; the limit on the
    # child makes such a load fail with "more memory than there is" instead, which this refuses too.
    # A memo load claims nothing: the unpickler looks the slot up and refuses it.
    found = bomb_report[name]
    assert re.search(
        r"claims \d+ bytes, more than the \d+ left|stores into memo slot \d+|Memo value not found at index",
        found["outcome"],
    )
    assert found["outcome"].startswith("cannot load ")
    assert found["seconds"] < 1  # about 20 µs measured; generous for a loaded CI machine
    assert found["growth_kib"] < 50 * 1024


def test_a_bad_delta_does_not_apply_and_names_itself(tmp_path: Path) -> None:
    folder, delta = backup_folder(tmp_path)
    doc = json.loads(delta.read_text())
    doc["tables"]["keyed"]["records"].append({"code": {"$float": "nan"}})
    delta.write_text(json.dumps(doc))
    refused(lambda: BackupManager.restore(folder), folder, delta, "equals nothing")
