"""Schemas through the public API: types, required/optional/extra fields, messages, and what is refused."""

from __future__ import annotations

import enum
import uuid
from collections import OrderedDict, namedtuple
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional, Union

import pytest

from dictdb import DictDB, SchemaValidationError, Table
from tests.support.snapshots import snapshot

NOW = datetime(2026, 1, 2, 3, 4, 5)
TODAY = date(2026, 1, 2)
UID = uuid.UUID(int=7)
Point = namedtuple("Point", "x y")


class Level(enum.IntEnum):
    LOW = 1


# type -> (values it accepts, values it refuses)
CASES: dict[type, tuple[list[Any], list[Any]]] = {
    int: ([0, -5, 2**70, Level.LOW], [True, 1.0, "1", None, Decimal(1)]),
    float: ([1.5, 0.0, 3, float("nan")], [True, "1.5", Decimal("1.5"), None]),
    str: (["", "x"], [b"x", 1, None]),
    bool: ([True, False], [0, 1, "true", None]),
    list: ([[], [1]], [(), {}, None]),
    dict: ([{}, OrderedDict(a=1)], [[], None]),
    tuple: [[(), (1,), Point(1, 2)], [[], None]],  # type: ignore[dict-item]
    bytes: ([b"", b"x"], ["x", bytearray(b"x"), None]),
    datetime: ([NOW], [TODAY, "2026-01-02", None]),
    date: ([TODAY], [NOW, "2026-01-02", None]),
    Decimal: ([Decimal("1.5")], [1.5, 1, "1.5", None]),
    uuid.UUID: ([UID], [str(UID), UID.int, None]),
}


def table_of(tp: Any) -> Table:
    return Table("t", schema={"v": tp})


@pytest.mark.parametrize("tp", list(CASES), ids=lambda tp: tp.__name__)
def test_each_schema_type_accepts_and_refuses(tp: type) -> None:
    good, bad = CASES[tp]
    table = table_of(tp)
    for value in good:
        table.insert({"v": value})
    assert [r["v"] for r in table.all()] == good or tp is float  # nan != nan
    assert table.count() == len(good)
    for value in bad:
        with pytest.raises(
            SchemaValidationError, match=f"field 'v' expects {tp.__name__}, got {type(value).__name__}"
        ):
            table.insert({"v": value})
    assert table.count() == len(good)


def test_bool_is_not_an_int_but_an_int_is_a_float() -> None:
    ints, floats = table_of(int), table_of(float)
    with pytest.raises(SchemaValidationError, match=r"field 'v' expects int, got bool \(True\)"):
        ints.insert({"v": True})
    with pytest.raises(SchemaValidationError, match=r"field 'v' expects float, got bool \(False\)"):
        floats.insert({"v": False})
    floats.insert({"v": 3})
    assert floats.get(1) == {"v": 3, "id": 1}


def test_a_datetime_is_not_a_date_nor_a_date_a_datetime() -> None:
    with pytest.raises(SchemaValidationError, match="field 'v' expects date, got datetime"):
        table_of(date).insert({"v": NOW})
    with pytest.raises(SchemaValidationError, match="field 'v' expects datetime, got date"):
        table_of(datetime).insert({"v": TODAY})


@pytest.mark.parametrize(
    "tp",
    [Optional[int], int | None, Union[None, int]],  # noqa: UP007, UP045 (the spellings under test)
    ids=["Optional", "pipe", "Union"],
)
def test_an_optional_field_may_be_missing_or_none(tp: Any) -> None:
    table = Table("t", schema={"name": str, "age": tp})
    table.insert({"name": "a", "age": 1})
    table.insert({"name": "b", "age": None})
    table.insert({"name": "c"})
    assert [r.get("age", "missing") for r in table.all()] == [1, None, "missing"]
    with pytest.raises(SchemaValidationError, match=r"field 'age' expects int \| None, got str"):
        table.insert({"name": "d", "age": "x"})
    with pytest.raises(SchemaValidationError, match=r"field 'age' expects int \| None, got bool"):
        table.insert({"name": "d", "age": False})


def test_a_required_field_may_not_be_none() -> None:
    with pytest.raises(SchemaValidationError, match=r"field 'name' expects str, got NoneType \(None\)"):
        Table("t", schema={"name": str}).insert({"name": None})


def test_a_union_accepts_each_member_and_what_it_names() -> None:
    table = Table("t", schema={"v": int | str, "w": int | bool})
    table.insert({"v": 1, "w": True})  # bool is refused by int but named by the union
    table.insert({"v": "x", "w": 2})
    with pytest.raises(SchemaValidationError, match=r"field 'v' expects int \| str, got bool"):
        table.insert({"v": True, "w": 1})
    assert table.count() == 2


def test_a_missing_field_names_the_field_and_its_type() -> None:
    table = Table("people", schema={"name": str, "age": int})
    with pytest.raises(SchemaValidationError) as caught:
        table.insert({"name": "ada"})
    assert str(caught.value) == (
        "table 'people': field 'age' is missing (expects int); add it to the record, "
        "or declare it Optional[...] in the schema"
    )


def test_an_extra_field_is_refused_with_the_schema_in_the_message() -> None:
    table = Table("people", schema={"name": str})
    with pytest.raises(SchemaValidationError) as caught:
        table.insert({"name": "ada", "nick": "a"})
    assert str(caught.value) == (
        "table 'people': field 'nick' is not in the schema {name: str, id: int}; "
        "drop it from the record or add it to the schema"
    )


def test_a_wrong_type_names_field_expected_and_actual_type() -> None:
    table = Table("people", schema={"name": str, "age": int})
    with pytest.raises(SchemaValidationError) as caught:
        table.insert({"name": "ada", "age": "36"})
    assert str(caught.value) == "table 'people': field 'age' expects int, got str ('36')"


def test_a_long_value_is_shortened_in_the_message() -> None:
    with pytest.raises(SchemaValidationError, match=r"got str \('xxxx.*\.\.\.\)$"):
        table_of(int).insert({"v": "x" * 500})


def test_the_callers_schema_is_copied_and_never_changed() -> None:
    mine = {"name": str}
    table = DictDB().create_table("t", schema=mine)
    assert mine == {"name": str}
    assert table.schema == {"name": str, "id": int}
    mine["age"] = int
    assert table.schema == {"name": str, "id": int}
    table.insert({"name": "ada"})
    with pytest.raises(SchemaValidationError, match="'age' is not in the schema"):
        table.insert({"name": "bob", "age": 3})


def test_the_pk_keeps_its_declared_type() -> None:
    table = Table("t", primary_key="code", schema={"code": str, "n": int})
    assert table.schema == {"code": str, "n": int}
    assert table.insert({"code": "a", "n": 1}) == "a"
    with pytest.raises(SchemaValidationError, match="field 'code' expects str, got int"):
        table.insert({"code": 1, "n": 1})


def test_the_schema_attribute_is_read_only() -> None:
    table = Table("t", schema={"name": str})
    with pytest.raises(TypeError):
        table.schema["age"] = int  # type: ignore[index]
    assert Table("t").schema is None


def test_schema_fields_and_columns_follow_the_schema_order() -> None:
    table = Table("t", schema={"name": str, "age": Optional[int]})  # noqa: UP045 (dctdb-era spelling)
    assert table.schema_fields() == ["name", "age", "id"]
    assert table.columns() == ["name", "age", "id"]
    assert Table("t").schema_fields() == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("int", "must be a class .* not 'int'"),
        (5, "must be a class .* not 5"),
        (list[int], "parameterised types such as list\\[int\\] are not checked"),
        (Optional[list[int]], "must be a class"),  # noqa: UP045 (the spelling under test)
        (type(None), "admits only None"),
    ],
)
def test_a_schema_type_that_is_not_a_class_is_refused_up_front(spec: Any, message: str) -> None:
    db = DictDB()
    with pytest.raises(TypeError, match=message):
        db.create_table("t", schema={"v": spec})
    assert db.list_tables() == []


def test_a_schema_must_be_a_mapping() -> None:
    with pytest.raises(TypeError, match="a schema must be a dict of field -> type, not list"):
        Table("t", schema=[("v", int)])  # type: ignore[arg-type]


def test_validate_record() -> None:
    table = Table("t", schema={"name": str})
    before = snapshot(table)
    table.validate_record({"id": 1, "name": "ada"})
    with pytest.raises(SchemaValidationError, match="field 'id' is missing"):
        table.validate_record({"name": "ada"})
    with pytest.raises(TypeError, match="a record must be a dict, not str"):
        table.validate_record("ada")  # type: ignore[arg-type]
    assert snapshot(table) == before
    Table("t").validate_record({"anything": object()})  # no schema: every dict fits


def test_any_class_is_checked_with_isinstance() -> None:
    class Money(Decimal):
        pass

    table = Table("t", schema={"tags": frozenset, "amount": Decimal})
    table.insert({"tags": frozenset({"a"}), "amount": Money("1.5")})
    with pytest.raises(SchemaValidationError, match="field 'tags' expects frozenset, got set"):
        table.insert({"tags": {"a"}, "amount": Decimal(1)})


def test_a_schema_error_on_insert_changes_nothing() -> None:
    table = Table("t", schema={"name": str})
    table.insert({"name": "ada"})
    before = snapshot(table)
    with pytest.raises(SchemaValidationError):
        table.insert({"name": 1})
    with pytest.raises(SchemaValidationError):
        table.insert([{"name": "bob"}, {"name": 1}])
    assert snapshot(table) == before
