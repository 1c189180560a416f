"""What a failed write must leave exactly as it was, observed through the public API."""

from __future__ import annotations

import copy
from typing import Any

from dictdb import Table


def next_auto_pk(table: Table) -> Any:
    """The key the table's counter would give next, read from a throwaway copy of the table."""
    probe = copy.deepcopy(table)
    try:
        return probe.insert({}, skip_validation=True)
    except Exception as exc:  # a table that cannot make keys: its error type is its answer
        return type(exc)


def snapshot(table: Table, *, counter: bool = True) -> dict[str, Any]:
    """Records (values and order), the pk counter and the change tracking of ``table``.

    ``counter=False`` skips the counter probe, for tables whose ``pk_generator`` has side effects.
    """
    return {
        "records": copy.deepcopy(table.records),
        "order": list(table.records),
        "next_pk": next_auto_pk(table) if counter else None,
        "dirty": table.get_dirty_records(),
        "deleted": table.get_deleted_pks(),
        "has_changes": table.has_changes(),
        "count": table.count(),
    }
