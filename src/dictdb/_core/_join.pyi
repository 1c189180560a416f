from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["group_by_key", "join_rows", "usable_key"]

def usable_key(key: Any) -> bool: ...
def group_by_key(records: Iterable[dict[Any, Any]], field: Any) -> dict[Any, list[dict[Any, Any]]]: ...
def join_rows(
    lefts: Iterable[dict[Any, Any]],
    field: Any,
    lookup: Mapping[Any, Any] | Callable[[Any], list[dict[Any, Any]] | None],
    many: bool,
    prefix: str,
    keep: bool,
    limit: int | None = None,
) -> list[dict[Any, Any]]: ...
