from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "copy_record",
    "copy_records",
    "delete_keys",
    "distinct",
    "fetch",
    "in_sequence",
    "merge_each",
    "project",
    "sort_keys",
    "sort_records",
]

def copy_record(record: dict[Any, Any]) -> dict[Any, Any]: ...
def copy_records(records: Iterable[dict[Any, Any]]) -> list[dict[Any, Any]]: ...
def merge_each(records: Iterable[dict[Any, Any]], changes: Mapping[Any, Any]) -> list[dict[Any, Any]]: ...
def delete_keys(mapping: dict[Any, Any], keys: Iterable[Any], missing_ok: bool = False) -> None: ...
def fetch(
    records: Mapping[Any, dict[Any, Any]], pks: Iterable[Any], copy: bool = False
) -> list[dict[Any, Any]]: ...
def project(
    records: Iterable[dict[Any, Any]], columns: Sequence[tuple[Any, Any]], distinct: bool = False
) -> list[dict[Any, Any]]: ...
def sort_keys(records: Iterable[dict[Any, Any]], field: Any) -> list[Any]: ...
def sort_records(
    records: Sequence[dict[Any, Any]], order: Sequence[tuple[Any, bool]], limit: int | None = None
) -> list[dict[Any, Any]]: ...
def in_sequence(
    records: Mapping[Any, dict[Any, Any]],
    pks: Iterable[Any],
    seq: Mapping[Any, int],
    limit: int | None = None,
) -> list[dict[Any, Any]]: ...
def distinct(rows: Iterable[dict[Any, Any]]) -> list[dict[Any, Any]]: ...
