"""Record copying and projection: the pure-Python twin of ``_records.pyx``.

Tables own their records (DESIGN.md): ``insert`` stores a shallow copy and ``select`` returns shallow
copies, so copying is on every hot path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["copy_record", "copy_records", "project"]

Record = dict[Any, Any]


def copy_record(record: Record) -> Record:
    """A shallow copy of one record; ``TypeError`` when it is not a dict."""
    if not isinstance(record, dict):
        raise TypeError(f"a record must be a dict, not {type(record).__name__}")
    return dict(record)


def copy_records(records: Iterable[Record]) -> list[Record]:
    """Shallow copies of ``records``, in order."""
    return [copy_record(record) for record in records]


def project(records: Iterable[Record], columns: Sequence[tuple[Any, Any]]) -> list[Record]:
    """For each record, a new dict ``{alias: record.get(field)}`` over ``columns`` ``(alias, field)`` pairs.

    A missing field projects to ``None``.
    """
    # Unpacked up front, so a malformed pair fails before any work.
    pairs = [(alias, field) for alias, field in columns]
    return [{alias: record.get(field) for alias, field in pairs} for record in records]
