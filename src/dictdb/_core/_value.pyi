from collections.abc import Iterable
from typing import Any, Final

from typing_extensions import disjoint_base

__all__ = ["BINARY", "UNARY", "Value", "compile_value"]

BINARY: Final[tuple[str, ...]]
UNARY: Final[tuple[str, ...]]

@disjoint_base
class Value:
    @property
    def plan(self) -> tuple[Any, ...]: ...
    def value(self, record: dict[Any, Any]) -> Any: ...
    def values(self, records: Iterable[dict[Any, Any]]) -> list[Any]: ...

def compile_value(plan: tuple[Any, ...]) -> Value: ...
