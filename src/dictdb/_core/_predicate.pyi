from collections.abc import Iterable
from typing import Any, Final

from typing_extensions import disjoint_base

__all__ = ["COMPARISONS", "Predicate", "compile_plan"]

COMPARISONS: Final[tuple[str, ...]]

@disjoint_base
class Predicate:
    def matches(self, record: dict[Any, Any]) -> bool: ...
    def filter(
        self, records: Iterable[dict[Any, Any]], copy: bool = False, limit: int | None = None
    ) -> list[dict[Any, Any]]: ...
    def count(self, records: Iterable[dict[Any, Any]]) -> int: ...

def compile_plan(plan: tuple[Any, ...]) -> Predicate: ...
