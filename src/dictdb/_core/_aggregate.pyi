from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["KINDS", "aggregate", "aggregate_values"]

KINDS: tuple[str, ...]

def aggregate_values(
    records: Iterable[dict[Any, Any]],
    groups: Sequence[tuple[Any, Any]],
    specs: Iterable[tuple[Any, str, Any]],
) -> list[dict[Any, Any]]: ...
def aggregate(
    records: Iterable[dict[Any, Any]], group_by: Sequence[Any], specs: Iterable[tuple[Any, str, Any]]
) -> list[dict[Any, Any]]: ...
