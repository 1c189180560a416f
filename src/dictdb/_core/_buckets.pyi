from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["add_many", "keys_of", "move_many", "remove_many", "shared_keys"]

def keys_of(records: Iterable[dict[Any, Any]], fields: Sequence[Any]) -> list[Any]: ...
def add_many(
    buckets: dict[Any, Any],
    keys: Sequence[Any],
    pks: Sequence[Any],
    seqs: Iterable[int] | None,
    known: Mapping[Any, int],
) -> None: ...
def remove_many(buckets: dict[Any, Any], keys: Sequence[Any], pks: Sequence[Any]) -> None: ...
def move_many(
    buckets: dict[Any, Any],
    old_keys: Sequence[Any],
    new_keys: Sequence[Any],
    pks: Sequence[Any],
    seqs: Sequence[int],
    known: Mapping[Any, int],
) -> None: ...
def shared_keys(buckets: dict[Any, Any]) -> list[Any]: ...
