"""JSON float literals read as floats, refusing those past a float's range: the pure-Python twin of
``_json_float.pyx``.

``json`` reads ``1e999999`` (or a literal of 400 digits before its point) as an infinity: a value the file
does not hold, since no JSON writer puts such a literal for a finite number and DictDB writes an infinity as
a tag. ``parse_float`` is the ``parse_float`` the JSON readers give ``json.loads``; ``json`` passes
``Infinity`` to ``parse_constant`` instead, so ``dctdb``'s files, which hold it, stay readable.

Example:
    >>> parse_float("-1.5e300")
    -1.5e+300
    >>> parse_float("1e999999")
    Traceback (most recent call last):
    ...
    dictdb._core._json_float_py.FloatRangeError: 1e999999
"""

from __future__ import annotations

__all__ = ["FloatRangeError", "parse_float"]

_INFINITY = float("inf")


class FloatRangeError(ValueError):
    """A number literal past a float's range; its one argument is the literal."""


def parse_float(literal: str) -> float:
    """The float ``literal`` reads as; ``FloatRangeError`` when that is an infinity, ``TypeError`` when it is
    not a ``str``."""
    if not isinstance(literal, str):
        raise TypeError(f"parse_float() takes a str, not {type(literal).__name__}")
    value = float(literal)
    if value == _INFINITY or value == -_INFINITY:
        raise FloatRangeError(literal)
    return value
