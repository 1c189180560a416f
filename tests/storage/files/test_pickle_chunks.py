"""Pickle files of version 2: the document with each table's record count, then the records in pickles of
at most ``pickle_safe.CHUNK`` (docs/persistence.md); version 1 files, one pickle, still load; and a file whose
chunks do not add up, or hold something other than records, is refused like any bad file."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from dictdb import DictDB
from dictdb.exceptions import DatabaseFileError, UnsupportedValueError
from dictdb.storage.files import atomic, document, pickle_safe, snapshot
from tests.reliability.hostile_pickles import Reduce, hostile_corpus
from tests.support.persistence_helpers import EVERY_TYPE, assert_same_db, sample_db

CHUNK = pickle_safe.CHUNK


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "db.pickle"


def pickles(path: Path) -> list[Any]:
    """Every pickle of the file, in order."""
    found = []
    with open(path, "rb") as f:
        while f.peek(1):
            found.append(pickle_safe.SafeUnpickler(f).load())
    return found


def many_db(count: int = 2 * CHUNK + CHUNK // 2) -> DictDB:
    db = DictDB()
    big = db.create_table("big")
    big.insert([{**EVERY_TYPE, "n": n} if n % 97 == 0 else {"n": n, "s": f"s{n}"} for n in range(count)])
    big.create_index("n", "sorted")
    db.create_table("small").insert({"x": 1})
    db.create_table("none")
    return db


def header(**tables: int) -> dict[str, Any]:
    settings = {"primary_key": "id", "schema": None, "indexes": {}, "next_pk": 1}
    return {
        "_meta": document.meta(2),
        "tables": {name: {**settings, "records": n} for name, n in tables.items()},
    }


def write(path: Path, *parts: Any) -> None:
    path.write_bytes(b"".join(part if isinstance(part, bytes) else pickle.dumps(part, 4) for part in parts))


# --- the layout -----------------------------------------------------------------------------------------


def test_records_are_pickled_in_chunks_after_the_counts(path: Path) -> None:
    db = many_db()
    db.save(path, "pickle")
    head, *chunks = pickles(path)
    assert head["_meta"]["version"] == 2
    assert {name: table["records"] for name, table in head["tables"].items()} == {
        "big": 2 * CHUNK + CHUNK // 2,
        "small": 1,
        "none": 0,
    }
    assert head["tables"]["big"]["indexes"] == {"n": "sorted"}
    assert [len(chunk) for chunk in chunks] == [CHUNK, CHUNK, CHUNK // 2, 1]
    assert [r["n"] for chunk in chunks[:3] for r in chunk] == list(range(2 * CHUNK + CHUNK // 2))
    assert_same_db(db, DictDB.load(path, "pickle"))


def test_values_are_shared_within_a_record_and_cycles_kept_across_chunks(path: Path) -> None:
    db = DictDB()
    shared = [1, 2]
    loop: list[Any] = ["me"]
    loop.append(loop)
    rows = [{"n": n} for n in range(CHUNK + 10)]
    rows[3] = {"a": shared, "b": shared}
    rows[CHUNK + 5] = {"loop": loop, "again": shared}  # in the second chunk
    db.create_table("t").insert(rows)
    db.save(path, "pickle")
    records = DictDB.load(path, "pickle").get_table("t").records
    assert records[4]["a"] is records[4]["b"]
    assert records[CHUNK + 6]["loop"][1] is records[CHUNK + 6]["loop"]
    # Records in different chunks, each pickled with its own memo, get equal lists, no longer one.
    assert records[CHUNK + 6]["again"] == records[4]["a"]


def test_a_version_1_file_still_loads(path: Path) -> None:
    """Version 1, as DictDB wrote it before: the whole document, records included, in one pickle."""
    db = sample_db()
    taken = snapshot.take(db)
    doc = {
        "_meta": document.meta(1),
        "tables": {t.name: {**document.table_header(t), "records": t.records} for t in taken.tables},
    }
    buffer = io.BytesIO()
    pickle_safe._PlainPickler(buffer, protocol=4).dump(doc)
    path.write_bytes(buffer.getvalue())
    assert len(pickles(path)) == 1
    assert_same_db(db, DictDB.load(path, "pickle"))
    # Saved again, it is version 2.
    DictDB.load(path, "pickle").save(path, "pickle")
    assert pickles(path)[0]["_meta"]["version"] == 2
    assert_same_db(db, DictDB.load(path, "pickle"))


def test_a_value_in_a_later_chunk_is_refused_before_writing(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = many_db()
    big = db.get_table("big")
    big.update({"bad": {"inner": [bytearray(b"x")]}}, where=big.n == 2 * CHUNK + 7)

    def no_temp_file(*args: Any) -> Any:
        raise AssertionError("a temp file was created before the value was checked")

    monkeypatch.setattr(atomic, "_create_temp", no_temp_file)
    with pytest.raises(
        UnsupportedValueError, match=rf"table 'big', record with primary key {2 * CHUNK + 8}"
    ) as e:
        db.save(path, "pickle")
    assert (e.value.table, e.value.pk, e.value.field) == ("big", 2 * CHUNK + 8, "bad")
    assert not path.exists()


# --- bad version-2 files ------------------------------------------------------------------------------------

BAD_FILES: dict[str, tuple[list[Any], str]] = {
    "a count that is not an int": (
        [header(t=1) | {"tables": {"t": {"records": "1"}}}],
        "'records' must be the number",
    ),
    "a negative count": ([header(t=-1)], "'records' must be the number of records that follow"),
    "a count that is a bool": ([header(t=True)], "not True"),
    "a count of records listed in the header": (
        [header(t=0) | {"tables": {"t": {**header(t=0)["tables"]["t"], "records": [{"id": 1}]}}}],
        "'records' must be the number",
    ),
    "no chunk after the header": (
        [header(t=3)],
        "table 't' has 3 records, the file only 0: the file is truncated",
    ),
    "one chunk short": ([header(t=3), [{"id": 1}, {"id": 2}]], "table 't' has 3 records, the file only 2"),
    "the second table's chunk missing": (
        [header(a=1, b=1), [{"id": 1}]],
        "table 'b' has 1 records, the file only 0",
    ),
    "a chunk that is not a list": ([header(t=1), {"id": 1}], "not a dict"),
    "a chunk that is a tuple": ([header(t=1), ({"id": 1},)], "not a tuple"),
    "an empty chunk": ([header(t=1), []], "non-empty list of at most 1, not a list of 0"),
    "a chunk longer than the count": ([header(t=1), [{"id": 1}, {"id": 2}]], "at most 1, not a list of 2"),
    "a chunk after the last table": (
        [header(t=1), [{"id": 1}], [{"id": 2}]],
        "more after the last table's records",
    ),
    "bytes after the last table": (
        [header(t=1), [{"id": 1}], b"\x00"],
        "more after the last table's records",
    ),
    "a record that is not a dict": ([header(t=1), [[1]]], "record #1 must be an object, not a list"),
    "a duplicate key across chunks": (
        [header(t=2), [{"id": 1}], [{"id": 1}]],
        "record #2: its primary key 1 is taken",
    ),
    "a chunk cut short": ([header(t=1), pickle.dumps([{"id": 1}], 4)[:-3]], "truncated"),
    "a garbage chunk": ([header(t=1), b"garbage"], "not a valid DictDB pickle"),
    "a refused global in a chunk": (
        [header(t=1), pickle.dumps([{"id": 1, "x": Reduce(os.getcwd)}], 4)],
        "refused global",
    ),
    "a dctdb object in a chunk": (
        # A list holding an instance of dctdb's DictDB (protocol 0 and 1 opcodes).
        [header(t=1), b"](cdictdb.storage.database\nDictDB\no}ba."],
        "dctdb object",
    ),
    "a newer version": ([header(t=1) | {"_meta": document.meta(3)}, [{"id": 1}]], "newer DictDB"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_version_2_file_is_refused_naming_it(path: Path, name: str) -> None:
    parts, match = BAD_FILES[name]
    write(path, *parts)
    with pytest.raises(DatabaseFileError, match=match) as caught:
        DictDB.load(path, "pickle")
    assert caught.value.path == str(path)


def test_every_cut_between_two_pickles_is_refused(path: Path) -> None:
    # A cut at a boundary leaves only whole pickles: the counts are what tell that records are missing.
    many_db().save(path, "pickle")
    whole = path.read_bytes()
    ends = []
    with open(path, "rb") as f:
        while f.peek(1):
            pickle_safe.SafeUnpickler(f).load()
            ends.append(f.tell())
    assert len(ends) == 5
    assert ends[-1] == len(whole)
    for end in [0, *ends[:-1]]:
        path.write_bytes(whole[:end])
        with pytest.raises(DatabaseFileError, match="ends early"):
            DictDB.load(path, "pickle")


@pytest.mark.parametrize("name", sorted(hostile_corpus(Path("x"))))
def test_a_hostile_chunk_runs_nothing(tmp_path: Path, name: str) -> None:
    sentinel = tmp_path / "sentinel"
    path = tmp_path / "evil.pickle"
    write(path, header(t=1), hostile_corpus(sentinel)[name])
    with pytest.raises(DatabaseFileError) as caught:
        DictDB.load(path, "pickle")
    assert caught.value.path == str(path)
    assert not sentinel.exists()
