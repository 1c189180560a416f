from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["copy_record", "copy_records", "project"]

def copy_record(record: dict[Any, Any]) -> dict[Any, Any]: ...
def copy_records(records: Iterable[dict[Any, Any]]) -> list[dict[Any, Any]]: ...
def project(
    records: Iterable[dict[Any, Any]], columns: Sequence[tuple[Any, Any]]
) -> list[dict[Any, Any]]: ...
