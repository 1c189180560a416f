"""``_core.json_float``: the JSON readers' ``parse_float``, in both cores: a literal reads as ``float`` reads
it, unless that is an infinity, which no finite literal a writer puts should become."""

from __future__ import annotations

import doctest
import json
import math
from types import SimpleNamespace

import pytest

from dictdb._core import _json_float_py


@pytest.mark.parametrize(
    "literal",
    ["0.0", "-0.0", "1.5", "1e308", "-1.7976931348623157e308", "4.9e-324", "1e-400", "1." + "5" * 100_000],
)
def test_a_literal_in_range_reads_as_float_reads_it(core: SimpleNamespace, literal: str) -> None:
    value = core.json_float.parse_float(literal)
    assert type(value) is float
    assert math.copysign(1, value) == math.copysign(1, float(literal))
    assert value == float(literal)


@pytest.mark.parametrize(
    "literal", ["1e309", "-1e309", "1e999999", "1" + "0" * 400 + ".0", "1e" + "9" * 100_000]
)
def test_a_literal_past_a_floats_range_is_refused(core: SimpleNamespace, literal: str) -> None:
    with pytest.raises(core.json_float.FloatRangeError) as caught:
        core.json_float.parse_float(literal)
    assert caught.value.args == (literal,)
    assert isinstance(caught.value, ValueError)


def test_json_uses_it_for_every_float_and_leaves_infinity_to_parse_constant(core: SimpleNamespace) -> None:
    loads = json.loads
    assert loads("[1.5, 2, Infinity, -Infinity]", parse_float=core.json_float.parse_float)[:2] == [1.5, 2]
    with pytest.raises(core.json_float.FloatRangeError):
        loads('{"a": [1.5, 1e999]}', parse_float=core.json_float.parse_float)


@pytest.mark.parametrize("wrong", [b"1.5", None, 1.5])
def test_only_text_is_taken(core: SimpleNamespace, wrong: object) -> None:
    with pytest.raises(TypeError):
        core.json_float.parse_float(wrong)


def test_the_pure_twins_examples_run() -> None:
    result = doctest.testmod(_json_float_py)
    assert result.attempted > 0
    assert result.failed == 0
