"""``_core.pickle_scan``: a pickle's lengths and memo indexes checked before it is unpickled, in both cores.

Honest pickles (every protocol, the picklers' own output, several pickles back to back) pass; each opcode
that claims memory (a length, a memo store) is reported when its claim exceeds what the data backs; and
both cores give the same report for the same bytes, whatever the bytes.
"""

from __future__ import annotations

import datetime as dt
import doctest
import pickle
import struct
import uuid
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dictdb import DictDB
from dictdb._core import _pickle_scan_py

VALUES: list[Any] = [
    None,
    {"id": 1, "name": "ada", "tags": ["x", "y"], "when": dt.datetime(2024, 1, 2, 3, 4, 5)},
    [{"k": "v", "n": 2**70, "f": 1.5, "b": b"\x00\xff" * 300, "s": {1, 2}, "fs": frozenset({3})}] * 3,
    ("t", (1, 2), Decimal("1.5"), uuid.UUID(int=7), "é" * 1000, -(2**200), 300, 70000, 2**40),
    [str(i) for i in range(600)],  # past 256 memo entries: LONG_BINPUT and LONG_BINGET
    bytearray(b"abc"),
    {"deep": [[[[{"a": ()}]]]]},
]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("index", range(len(VALUES)))
def test_an_honest_pickle_passes(core: SimpleNamespace, protocol: int, index: int) -> None:
    data = pickle.dumps(VALUES[index], protocol=protocol)
    assert core.pickle_scan.check_claims(data) is None
    assert pickle.loads(data) == VALUES[index]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_back_to_back_each_start_with_an_empty_memo(core: SimpleNamespace, protocol: int) -> None:
    one = pickle.dumps([["a"], ["b"], ["c"]] * 200, protocol=protocol)
    assert core.pickle_scan.check_claims(one * 3) is None


def lengths(size: int) -> dict[str, bytes]:
    """Each length-prefixed opcode claiming ``size`` bytes (where its field holds it), then 3 bytes."""
    out = {
        "BINUNICODE8": b"\x8d" + struct.pack("<Q", size),
        "BINBYTES8": b"\x8e" + struct.pack("<Q", size),
        "BYTEARRAY8": b"\x96" + struct.pack("<Q", size),
        "FRAME": b"\x95" + struct.pack("<Q", size),
    }
    if size < 2**32:
        out |= {"BINUNICODE": b"X" + struct.pack("<I", size), "BINBYTES": b"B" + struct.pack("<I", size)}
    if size < 2**31:
        out |= {"BINSTRING": b"T" + struct.pack("<i", size), "LONG4": b"\x8b" + struct.pack("<i", size)}
    if size < 256:
        out |= {n: op + bytes([size]) for n, op in (("SHORT_BINSTRING", b"U"), ("SHORT_BINBYTES", b"C"))}
        out |= {"SHORT_BINUNICODE": b"\x8c" + bytes([size]), "LONG1": b"\x8a" + bytes([size])}
    return {name: b"\x80\x05" + opcode + b"abc" for name, opcode in out.items()}


@pytest.mark.parametrize("size", [4, 200, 2**28, 2**31, 2**32 + 1, 2**62, 2**64 - 1])
def test_a_length_past_the_end_is_reported(core: SimpleNamespace, size: int) -> None:
    for name, data in lengths(size).items():
        assert core.pickle_scan.check_claims(data) == (
            f"{name} at byte offset 2 claims {size} bytes, more than the 3 left"
        )


def test_a_length_that_fits_is_not_reported(core: SimpleNamespace) -> None:
    # The three bytes are there: the walk goes on (and stops at the missing STOP without a report).
    for data in lengths(3).values():
        assert core.pickle_scan.check_claims(data) is None


def memo(name: str, index: int) -> bytes:
    """The memo opcode ``name`` with ``index`` (which fits its field)."""
    opcode, field = {
        "BINPUT": (b"q", 1),
        "LONG_BINPUT": (b"r", 4),
        "PUT": (b"p", 0),
        "BINGET": (b"h", 1),
        "LONG_BINGET": (b"j", 4),
        "GET": (b"g", 0),
    }[name]
    return opcode + (index.to_bytes(field, "little") if field else str(index).encode() + b"\n")


STORES = [
    (name, index)
    for name, bound in (("BINPUT", 2**8), ("LONG_BINPUT", 2**32), ("PUT", 10**31))
    for index in (2, 3, 255, 2**28, 2**31, 2**32 - 1, 2**63, 10**30)
    if index < bound
]


@pytest.mark.parametrize(("name", "index"), STORES)
def test_a_memo_store_past_the_values_stored_is_reported(
    core: SimpleNamespace, name: str, index: int
) -> None:
    # Two values stored first (slots 0 and 1): slot 2 is the next, anything past it is a lie.
    opcode = memo(name, index)
    data = b"\x80\x02N" + memo(name, 0) + b"N" + memo(name, 1) + b"N" + opcode + b"."
    at = data.index(opcode)
    report = (
        f"{name} at byte offset {at} stores into memo slot {index}, where a pickle has stored 2 values so far"
    )
    expected = None if index == 2 else report
    assert core.pickle_scan.check_claims(data) == expected


@pytest.mark.parametrize("name", ["BINGET", "LONG_BINGET", "GET"])
@pytest.mark.parametrize("index", [2, 255, 2**31])
def test_a_memo_load_claims_nothing_and_the_unpickler_refuses_a_slot_never_stored(
    core: SimpleNamespace, name: str, index: int
) -> None:
    if name == "BINGET" and index > 255:
        index = 255
    stored = b"\x80\x04N\x94N\x94"  # MEMOIZE twice: slots 0 and 1
    assert core.pickle_scan.check_claims(stored + memo(name, 1) + b".") is None
    data = stored + memo(name, index) + b"."
    assert core.pickle_scan.check_claims(data) is None  # a lookup allocates nothing...
    with pytest.raises(pickle.UnpicklingError, match=f"Memo value not found at index {index}"):
        pickle.loads(data)  # ...and fails there


def test_the_memo_count_starts_again_after_each_stop(core: SimpleNamespace) -> None:
    first = pickle.dumps(["a", "b", "c"], protocol=4)  # four values stored
    second = b"\x80\x04N\x94Nq\x02."  # slot 2 in the second pickle: only slot 0 was stored there
    assert core.pickle_scan.check_claims(first + second) == (
        f"BINPUT at byte offset {len(first) + 5} stores into memo slot 2, where a pickle has stored 1 values "
        "so far"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80",  # an argument cut off
        b"\x80\x04\x8e\x01\x00",  # a length field cut off
        b"\x80\x04\xff" + b"r\xff\xff\xff\x7f",  # an unknown opcode: the unpickler stops there too
        b"p12",  # a text index without its newline
        b"pabc\nr\xff\xff\xff\x7f",  # a text index that is no number
        b"p-1\nr\xff\xff\xff\x7f",  # a negative one
        b"T\xff\xff\xff\xff",  # a negative signed length
        b"cos\nsystem",  # a GLOBAL's second line missing
    ],
)
def test_the_walk_stops_where_the_unpickler_fails_first(core: SimpleNamespace, data: bytes) -> None:
    assert core.pickle_scan.check_claims(data) is None
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the unpickler says: it fails there
        pickle.loads(data)


@pytest.mark.parametrize("wrong", ["text", bytearray(b"N."), memoryview(b"N."), None, 1])
def test_only_bytes_are_taken(core: SimpleNamespace, wrong: Any) -> None:
    with pytest.raises(TypeError):
        core.pickle_scan.check_claims(wrong)


def mutate(data: bytes, edits: list[tuple[int, bytes]]) -> bytes:
    """``data`` with each blob of ``edits`` written over it at its offset (modulo the length)."""
    buffer = bytearray(data)
    for at, blob in edits:
        at %= len(buffer) + 1
        buffer[at : at + len(blob)] = blob
    return bytes(buffer)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([pickle.dumps(v, protocol=p) for v in VALUES for p in (0, 2, 4, 5)]),
    st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=9)), max_size=4),
)
def test_both_cores_give_the_same_report_for_any_bytes(
    compiled_core: SimpleNamespace, data: bytes, edits: list[tuple[int, bytes]]
) -> None:
    mutated = mutate(data, edits)
    assert compiled_core.pickle_scan.check_claims(mutated) == _pickle_scan_py.check_claims(mutated)


def test_the_pure_twins_examples_run() -> None:
    result = doctest.testmod(_pickle_scan_py)
    assert result.attempted > 0
    assert result.failed == 0


# -- the pure twin's quick proof ----------------------------------------------------------------------------


def test_the_files_dictdb_writes_take_the_pure_twins_quick_proof(tmp_path: Path) -> None:
    db = DictDB()
    records = [
        {"id": i, "name": f"user{i}", "n": i * 7919, "f": i / 3, "none": None, "ok": i % 2 == 0, "b": b"xy"}
        for i in range(3000)
    ]
    records[5] |= {"long": "é" * 400, "big": 2**80, "blob": b"z" * 70000, "when": dt.date(2024, 1, 2)}
    db.create_table("t").insert(records)
    db.save(tmp_path / "db.pickle")
    data = (tmp_path / "db.pickle").read_bytes()
    assert _pickle_scan_py._plainly_honest(data)
    assert _pickle_scan_py._walk(data) is None


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from([pickle.dumps(v, protocol=p) for v in VALUES for p in (4, 5)]),
    st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=9)), max_size=4),
)
def test_the_quick_proof_passes_only_what_the_walk_passes(
    data: bytes, edits: list[tuple[int, bytes]]
) -> None:
    mutated = mutate(data, edits)
    if _pickle_scan_py._plainly_honest(mutated):
        assert _pickle_scan_py._walk(mutated) is None


@pytest.mark.parametrize("size", [4, 2**31, 2**62])
def test_the_quick_proof_leaves_a_false_claim_to_the_walk(size: int) -> None:
    for name, data in lengths(size).items():
        assert not _pickle_scan_py._plainly_honest(data), name
    bomb = b"\x80\x04N" + b"r" + (2**28).to_bytes(4, "little") + b"."
    assert not _pickle_scan_py._plainly_honest(bomb)
