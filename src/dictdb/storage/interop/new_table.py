"""How an import (CSV, JSON Lines, Arrow, Parquet) makes its table: ``fill_new_table`` is the one way, whole
or not at all; ``ensure_free`` checks the name before any file is read; ``show_path`` names a file in
messages.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dictdb.exceptions import (
    DuplicateKeyError,
    DuplicateTableError,
    SchemaValidationError,
    TableNotFoundError,
)
from dictdb.storage.progress import Progress
from dictdb.storage.tables import DatabaseLike

__all__ = ["CHUNK", "ensure_free", "fill_new_table", "show_path"]

Record = dict[Any, Any]

#: Records per step of an import that reports its progress (one step per chunk, not per record).
CHUNK = 1000


def show_path(path: str | os.PathLike[str]) -> str:
    """A file name as messages and log lines show it."""
    return repr(os.fspath(path))


def ensure_free(db: DatabaseLike, table_name: str) -> None:
    """``DuplicateTableError`` when ``table_name`` is taken: checked before an import reads its file.

    Example:
        >>> from dictdb import DictDB
        >>> db = DictDB()
        >>> _ = db.create_table("t")
        >>> ensure_free(db, "t")
        Traceback (most recent call last):
        ...
        dictdb.exceptions.DuplicateTableError: table 't' already exists; pick another name, or drop_table(...
    """
    if table_name in db.tables:
        raise DuplicateTableError(
            f"table {table_name!r} already exists; pick another name, or drop_table({table_name!r}) first"
        )


def fill_new_table(
    db: DatabaseLike,
    table_name: str,
    primary_key: str,
    schema: Mapping[str, Any] | None,
    records: Iterable[Record],
    *,
    skip_validation: bool,
    locate: Callable[[int], str],
    progress: Progress | None = None,
) -> Any:
    """Create ``table_name`` in ``db`` holding ``records``; on any error drop it again and re-raise.

    Records go in one by one, so an error names its record: ``locate(position)`` says where it came from
    (``"'people.csv', line 7"``). The table is created first (``DuplicateTableError`` before any work) and
    is visible, filling, until this returns; a failed import leaves no table behind. ``progress`` counts
    the records inserted, a chunk at a time, and makes its last call before returning: a callback that
    raises there drops the table too.

    Example:
        >>> from dictdb import DictDB
        >>> db = DictDB()
        >>> fill_new_table(db, "t", "id", {"x": int}, [{"x": 1}, {"x": "2"}], skip_validation=False,
        ...                locate=lambda i: f"row {i + 1}")
        Traceback (most recent call last):
        ...
        dictdb.exceptions.SchemaValidationError: row 2: table 't': field 'x' expects int, got str ('2')
        >>> db.list_tables()
        []
    """
    table = db.create_table(table_name, primary_key=primary_key, schema=schema)
    try:
        if progress is None:
            _insert(table.insert, records, 0, primary_key, skip_validation, locate)
        else:
            rows = records if isinstance(records, list) else list(records)
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                _insert(table.insert, chunk, start, primary_key, skip_validation, locate)
                progress.at(start + len(chunk), len(rows))
            progress.finish()
    except BaseException:
        with contextlib.suppress(TableNotFoundError):  # another thread dropped it already
            db.drop_table(table_name)
        raise
    return table


def _insert(
    insert: Callable[..., Any],
    records: Iterable[Record],
    first: int,
    primary_key: str,
    skip_validation: bool,
    locate: Callable[[int], str],
) -> None:
    """Insert ``records`` one by one, the first being record ``first`` of the file, each error located."""
    for position, record in enumerate(records, first):
        try:
            insert(record, skip_validation=skip_validation)
        except DuplicateKeyError:
            # The table is new: the key came earlier in the same file.
            raise DuplicateKeyError(
                f"{locate(position)}: primary key {record.get(primary_key)!r} is in the file more than "
                f"once; each row needs its own {primary_key!r}, or leave that column out to number them"
            ) from None
        except SchemaValidationError as exc:
            raise type(exc)(f"{locate(position)}: {exc}") from None
        except TypeError as exc:  # a primary key that cannot be a key (a list, None...)
            raise TypeError(f"{locate(position)}: {exc}") from None
