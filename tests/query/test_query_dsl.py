"""The query DSL through the public API: every operator, Condition/Query/And/Or/Not, and the error rules."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

import dictdb
from dictdb import And, Condition, Count, DictDB, Field, Not, Or, Query, Table
from dictdb.query import PredicateExpr

PEOPLE: list[dict[str, Any]] = [
    {"name": "Ada", "age": 36, "dept": "dev", "tags": ["math", "code"], "email": "ada@python.org"},
    {"name": "bob", "age": 17, "dept": "ops", "tags": [], "email": None},
    {"name": "Cy", "age": None, "dept": "dev", "email": "CY@EXAMPLE.COM"},
    {"name": "dee", "dept": "sales", "tags": ("code",)},
    {"name": "Eve", "age": 52.0, "dept": "ops", "email": "eve@example.com"},
    {"name": "fay", "age": math.nan, "dept": None},
    {"name": "Gus", "age": "40", "dept": "dev"},
    {"name": "Straße", "age": Decimal("29.5"), "dept": "100%_off"},
    {"name": 7, "age": True, "dept": "dev"},
]


@pytest.fixture
def people() -> Table:
    table = DictDB().create_table("people")
    for record in PEOPLE:
        table.insert(dict(record))
    return table


def names(table: Table, where: Any) -> list[Any]:
    return [row["name"] for row in table.select(where=where)]


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda t: t.age == 36, ["Ada"]),
        (lambda t: t.age == None, ["Cy", "dee"]),  # noqa: E711  # missing reads as None
        (lambda t: t.age != 36, ["bob", "Cy", "dee", "Eve", "fay", "Gus", "Straße", 7]),
        (lambda t: t.age < 30, ["bob", "Straße", 7]),  # True == 1, Decimal compares as a number
        (lambda t: t.age <= 36, ["Ada", "bob", "Straße", 7]),
        (lambda t: t.age > 36, ["Eve"]),  # NaN, None, missing and "40" never match
        (lambda t: t.age >= 52, ["Eve"]),
        (lambda t: t.name > "a", ["bob", "dee", "fay"]),  # the int name is incomparable: no match, no error
        (lambda t: t.age.between(17, 36), ["Ada", "bob", "Straße"]),
        (lambda t: t.age.between(None, 36), []),
        (lambda t: t.dept.is_in(["ops", "sales"]), ["bob", "dee", "Eve"]),
        (lambda t: t.dept.is_in({None}), ["fay"]),
        (lambda t: t.age.is_in([1, 52]), ["Eve", 7]),  # 52 == 52.0, 1 == True
        (lambda t: t.age.is_in([]), []),
        (lambda t: t.tags.contains("code"), ["Ada", "dee"]),
        (lambda t: t.email.contains("example"), ["Eve"]),
        (lambda t: t.dept.contains("%"), ["Straße"]),
        (lambda t: t.name.startswith("C"), ["Cy"]),
        (lambda t: t.email.endswith(".org"), ["Ada"]),
        (lambda t: t.email.is_null(), ["bob", "dee", "fay", "Gus", "Straße", 7]),
        (lambda t: t.email.is_not_null(), ["Ada", "Cy", "Eve"]),
        (lambda t: t.name.like("_y"), ["Cy"]),
        (lambda t: t.name.like("%e"), ["dee", "Eve", "Straße"]),
        (lambda t: t.name.like("e%"), []),
        (lambda t: t.name.ilike("e%"), ["Eve"]),
        (lambda t: t.dept.like("100!%!_%", escape="!"), ["Straße"]),
        (lambda t: t.dept.like("100%_off"), ["Straße"]),
        (lambda t: t.name.ilike("STRASSE"), ["Straße"]),
        (lambda t: t.name.iequals("ADA"), ["Ada"]),
        (lambda t: t.email.icontains("example"), ["Cy", "Eve"]),
        (lambda t: t.name.istartswith("b"), ["bob"]),
        (lambda t: t.email.iendswith(".COM"), ["Cy", "Eve"]),
    ],
)
def test_every_operator(people: Table, build: Any, expected: list[Any]) -> None:
    assert names(people, build(people)) == expected


def test_and_or_not_classes_and_operators(people: Table) -> None:
    t = people
    dev, adult = t.dept == "dev", t.age >= 18
    assert names(t, And(dev, adult)) == names(t, dev & adult) == ["Ada"]
    assert names(t, Or(t.name == "bob", t.name == "Eve", t.name == "fay")) == ["bob", "Eve", "fay"]
    assert names(t, Not(dev)) == names(t, ~dev) == ["bob", "dee", "Eve", "fay", "Straße"]
    assert names(t, Not(adult)) == ["bob", "Cy", "dee", "fay", "Gus", 7]  # boolean NOT
    assert names(t, Or(And(dev, adult), Not(t.age.is_not_null()))) == ["Ada", "Cy", "dee"]


def test_conditions_combine_with_expressions_in_any_order(people: Table) -> None:
    t = people
    dev = Condition(t.dept == "dev")
    assert names(t, dev & (t.age > 30)) == names(t, (t.age > 30) & dev) == ["Ada"]
    assert (
        names(t, (t.name == "bob") | dev)
        == names(t, dev | (t.name == "bob"))
        == ["Ada", "bob", "Cy", "Gus", 7]
    )
    assert names(t, ~dev & Condition(t.age < 20)) == ["bob"]
    assert names(t, And(dev, Query(t.name == "Cy"))) == ["Cy"]
    assert names(t, Condition(Condition(t.name == "Cy"))) == ["Cy"]
    assert Query is Condition


def test_expressions_are_callable_and_return_real_bools() -> None:
    name = Field("name")
    for expr in (
        name == "a",
        name.like("a%"),
        name.is_in(["a"]),
        And(name == "a", name != "b"),
        Not(name == "a"),
    ):
        assert expr({"name": "a"}) in (True, False)
        assert type(expr({"name": "a"})) is bool
    assert (name.ilike("A%"))({"name": "abc"}) is True
    assert (name.contains("b"))({}) is False


def test_bool_of_an_expression_raises_with_a_hint(people: Table) -> None:
    t = people
    with pytest.raises(TypeError, match=r"between\(18, 65\)"):
        18 <= t.age <= 65  # noqa: B015
    with pytest.raises(TypeError, match=r"&, \| and ~"):
        _ = (t.age > 1) and (t.age < 5)
    with pytest.raises(TypeError, match="is_in"):
        bool(Condition(t.age > 1))
    with pytest.raises(TypeError, match="no truth value"):
        _ = not And(t.age > 1, t.age < 3)
    with pytest.raises(TypeError, match=r"is_in\(values\)"):
        3 in t.tags  # noqa: B015


@pytest.mark.parametrize("where", [lambda r: True, True, "age > 3", {"age": 3}, 5, Field("age")])
def test_where_must_be_an_expression_or_condition(people: Table, where: Any) -> None:
    with pytest.raises(TypeError, match=f"not {type(where).__name__}"):
        people.select(where=where)


def test_and_or_need_two_operands_and_expressions() -> None:
    a, b = Field("a") == 1, Field("b") == 2
    with pytest.raises(ValueError, match="at least two"):
        And(a)
    with pytest.raises(ValueError, match="at least two"):
        Or()
    with pytest.raises(TypeError, match=r"operand of And.*not bool"):
        And(a, True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"operand of Or.*not function"):
        Or(a, lambda r: True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"operand of Not.*not str"):
        Not("a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"operand of &.*not int"):
        a & 1
    with pytest.raises(TypeError, match=r"operand of \|.*not int"):
        1 | b
    with pytest.raises(TypeError, match="Condition"):
        Condition(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["select", "update", "delete", "count", "aggregate", "explain"])
def test_a_bad_where_also_says_dctdb_s_words(people: Table, method: str) -> None:
    call = getattr(people, method)
    args = ({"age": 1},) if method == "update" else ()
    before = people.all()
    with pytest.raises(
        TypeError, match=r"where must be a predicate .* not int .*must be a Condition or PredicateExpr"
    ):
        call(*args, where=3)
    assert people.all() == before


def test_and_or_not_also_say_dctdb_s_words() -> None:
    a = Field("a") == 1
    with pytest.raises(ValueError, match=r"And\(\.\.\.\) takes at least two .*requires at least 2 operands"):
        And(a)
    with pytest.raises(ValueError, match="Or requires at least 2 operands"):
        Or()
    for build in (lambda: And(a, 1), lambda: Or(True, a), lambda: Not("a"), lambda: a & 1, lambda: 1 | a):
        with pytest.raises(TypeError, match=r"operand of .* not \w+ \(Expected PredicateExpr or Condition\)"):
            build()
    with pytest.raises(TypeError, match=r"Condition.* must be a Condition or PredicateExpr"):
        Condition(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"having must be a predicate .*must be a Condition or PredicateExpr"):
        Table("t").aggregate(group_by="a", n=Count(), having="n > 1")


def test_chains_flatten_into_one_node() -> None:
    a, b, c = Field("a") == 1, Field("b") == 2, Field("c") == 3
    assert (a & b & c).plan == ("and", (a.plan, b.plan, c.plan))
    assert And(a & b, c).plan == (a & b & c).plan
    assert Or(a, b | c).plan == ("or", (a.plan, b.plan, c.plan))
    assert (a & (b | c)).plan == ("and", (a.plan, ("or", (b.plan, c.plan))))


def test_expressions_are_immutable() -> None:
    expr = And(Field("a") == 1, Field("b") == 2)
    with pytest.raises(AttributeError, match="immutable"):
        expr.plan = ()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        expr._plan = ()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del expr._plan
    assert isinstance(expr, PredicateExpr)


def test_reprs_are_readable() -> None:
    age, name = Field("age"), Field("name")
    expr = (age.between(18, 65) & name.ilike("a%", escape="!")) | ~age.is_in([1, 2]) | name.is_null()
    assert repr(expr) == (
        "<PredicateExpr ((age.between(18, 65) & name.ilike('a%', escape='!')) | ~age.is_in([1, 2]) "
        "| name.is_null())>"
    )
    assert repr(Condition(age >= 18)) == "Condition(age >= 18)"
    assert (
        repr(name.contains("x") & name.iendswith("y"))
        == "<PredicateExpr (name.contains('x') & name.iendswith('y'))>"
    )
    assert repr(Field("age")) == "Field('age')"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda f: f.startswith(1), TypeError, r"startswith\(\) takes a str, not int"),
        (lambda f: f.iequals(None), TypeError, "not NoneType"),
        (lambda f: f.like(b"a%"), TypeError, "not bytes"),
        (lambda f: f.like("a", escape="!!"), TypeError, "one character"),
        (lambda f: f.ilike("a!", escape="!"), ValueError, "ends with its escape"),
        (lambda f: f.is_in("abc"), TypeError, "not str"),
        (lambda f: f.is_in(3), TypeError, "not int"),
    ],
)
def test_operator_arguments_are_checked(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call(Field("x"))


def test_escaped_escape_at_the_end_is_fine() -> None:
    assert Field("x").like("a!!", escape="!")({"x": "a!"}) is True


def test_field_names_must_be_hashable() -> None:
    with pytest.raises(TypeError, match="hashable"):
        Field(["a"])


def test_is_in_accepts_any_iterable_and_unhashable_values(people: Table) -> None:
    t = people
    assert names(t, t.dept.is_in(d for d in ["ops"])) == ["bob", "Eve"]
    assert names(t, t.tags.is_in([["math", "code"], ("code",)])) == ["Ada", "dee"]


def test_public_names() -> None:
    for name in ("And", "Or", "Not", "Condition", "Query", "Field"):
        assert name in dictdb.__all__
        assert getattr(dictdb, name) is getattr(dictdb.query, name)


def test_update_and_delete_take_the_same_where(people: Table) -> None:
    t = people
    assert t.update({"dept": "eng"}, where=t.dept.is_in(["dev"]) & t.name.ilike("%a%")) == 1
    assert names(t, t.dept == "eng") == ["Ada"]
    assert t.update({"flag": True}, where=Or(t.age.between(17, 30), t.email.is_null())) == 6
    assert names(t, t.flag == True) == ["bob", "dee", "fay", "Gus", "Straße", 7]  # noqa: E712
    assert t.delete(where=~t.name.like("%e%") & t.age.is_not_null()) == 5
    assert names(t, None) == ["Cy", "dee", "Eve", "Straße"]
    with pytest.raises(TypeError, match="not function"):
        t.delete(where=lambda r: True)
    with pytest.raises(TypeError, match="not str"):
        t.update({"x": 1}, where="age > 3")


def test_the_repr_of_a_negated_comparison_is_unambiguous() -> None:
    t = Table("t")
    assert repr(~(t.a == 1)) == "<PredicateExpr ~(a == 1)>"
    assert repr(~((t.a == 1) & (t.b > 2))) == "<PredicateExpr ~(a == 1 & b > 2)>"
    assert repr(~t.a.is_null()) == "<PredicateExpr ~a.is_null()>"
