"""``Source``: turns fuzzer bytes into choices, deterministically.

A fuzzer mutates bytes; a harness needs ints, picks and lengths. Each choice reads the next byte(s), and an
exhausted input reads as zeros, so every byte string decodes to one test case and small inputs decode to
small cases (what a coverage-guided fuzzer grows from).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Source:
    """A cursor over fuzzer bytes, handing out bounded choices.

    Example:
        >>> source = Source(bytes([3, 250, 1]))
        >>> source.below(2), source.pick("abc"), source.boolean(), source.boolean()
        (1, 'b', True, False)
    """

    __slots__ = ("_data", "_position")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0

    def byte(self) -> int:
        """The next byte, 0 once the input is used up."""
        if self._position >= len(self._data):
            return 0
        value = self._data[self._position]
        self._position += 1
        return value

    def below(self, bound: int) -> int:
        """An int in ``range(bound)``, from as many bytes as ``bound`` needs."""
        if bound <= 1:
            return 0
        value = 0
        span = 1
        while span < bound:
            value = (value << 8) | self.byte()
            span <<= 8
        return value % bound

    def between(self, low: int, high: int) -> int:
        """An int in ``[low, high]``."""
        return low + self.below(high - low + 1)

    def boolean(self) -> bool:
        return bool(self.byte() & 1)

    def chance(self, per_256: int) -> bool:
        """True about ``per_256`` times in 256."""
        return self.byte() < per_256

    def pick(self, options: Sequence[T]) -> T:
        return options[self.below(len(options))]

    def blob(self, size: int) -> bytes:
        """The next ``size`` bytes (zero-padded at the end of the input)."""
        return bytes(self.byte() for _ in range(size))

    @property
    def exhausted(self) -> bool:
        return self._position >= len(self._data)
