from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["KINDS", "aggregate"]

KINDS: tuple[str, ...]

def aggregate(
    records: Iterable[dict[Any, Any]], group_by: Sequence[Any], specs: Iterable[tuple[Any, str, Any]]
) -> list[dict[Any, Any]]: ...
