"""The imports of ``DictDB``: a new table from a CSV, JSON Lines or Parquet file.

A mixin, as ``table_interop.py`` is for ``Table``: thin wrappers over ``dictdb.storage.interop``
(docs/csv.md, docs/interop.md). Each import builds the whole table or, on any error, leaves none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Protocol

from dictdb.storage.interop import csvfile, jsonlines, parquet
from dictdb.storage.progress import ProgressOption, check_progress
from dictdb.storage.tables import DatabaseLike

if TYPE_CHECKING:
    from dictdb.durable import Durable
    from dictdb.transaction import Transaction

__all__ = ["DatabaseImports"]


class _Importing(DatabaseLike, Protocol):
    """What an import needs of its database: its tables, and a transaction when it is kept in a folder."""

    _durable: Durable | None

    def transaction(self) -> Transaction: ...


def _date_columns(parse_dates: object) -> bool | tuple[str, ...] | None:
    """``import_csv``'s ``parse_dates`` checked: ``None``, ``True`` or a tuple of column names."""
    if parse_dates is None or parse_dates is False:
        return None
    if parse_dates is True:
        return True
    if isinstance(parse_dates, (list, tuple)) and all(isinstance(name, str) for name in parse_dates):
        return tuple(parse_dates)
    raise TypeError(
        f"parse_dates takes True or a list of column names, not {parse_dates!r}"
        + (f" (did you mean [{parse_dates!r}]?)" if isinstance(parse_dates, str) else "")
    )


def _one_commit(db: _Importing) -> AbstractContextManager[object]:
    """For an import: on a database opened on a folder, a transaction, so the new table and its records are
    one journal frame (not one per record); in memory, nothing (other threads keep working)."""
    return db.transaction() if db._durable is not None else nullcontext()


class DatabaseImports:
    """``import_csv``, ``import_jsonl`` and ``import_parquet`` for ``DictDB``."""

    def import_csv(
        self: _Importing,
        filepath: str | os.PathLike[str],
        table_name: str,
        *,
        primary_key: str = "id",
        delimiter: str = ",",
        has_header: bool = True,
        encoding: str = "utf-8",
        schema: Mapping[str, Any] | None = None,
        infer_types: bool = True,
        skip_validation: bool = False,
        parse_dates: bool | Sequence[str] | None = None,
        progress: ProgressOption = None,
    ) -> int:
        """Create table ``table_name`` from a CSV file; returns how many rows it imported.

        Cells become int, float, bool or str by column (``infer_types``), or the schema's types; an empty
        cell is ``None``. ``parse_dates``: a list of columns to read as ISO 8601 dates or datetimes (a
        column with a time in any cell is all datetimes), or ``True`` for every text column whose cells all
        read so. ``DuplicateTableError`` if the table exists; ``DatabaseFileError`` naming the line for a
        malformed row or a cell that does not convert. A failed import leaves no table. ``progress``:
        ``True`` (a bar on stderr) or ``progress(done, total)``, over the bytes of the file (docs/csv.md).

        Example:
            >>> import os, tempfile
            >>> from dictdb import DictDB
            >>> path = os.path.join(tempfile.mkdtemp(), "people.csv")
            >>> _ = open(path, "w").write("id,name,age\\n1,ada,36\\n2,bob,\\n")
            >>> db = DictDB()
            >>> db.import_csv(path, "people")
            2
            >>> db.get_table("people").all()
            [{'id': 1, 'name': 'ada', 'age': 36}, {'id': 2, 'name': 'bob', 'age': None}]
        """
        options = csvfile.ReadOptions(
            delimiter, has_header, encoding, infer_types, _date_columns(parse_dates)
        )
        check_progress(progress)
        with _one_commit(self):
            return csvfile.import_csv(
                self, filepath, table_name, primary_key, schema, skip_validation, options, progress
            )

    def import_jsonl(
        self: _Importing,
        filepath: str | os.PathLike[str],
        table_name: str,
        *,
        primary_key: str = "id",
        schema: Mapping[str, Any] | None = None,
        skip_validation: bool = False,
        progress: ProgressOption = None,
    ) -> int:
        """Create table ``table_name`` from a JSON Lines file (one object per line); returns how many.

        Reads what ``Table.export_jsonl`` writes, tagged values included. A failed import leaves no table.
        ``progress`` as for ``import_csv``.

        Example:
            >>> import os, tempfile
            >>> from dictdb import DictDB
            >>> path = os.path.join(tempfile.mkdtemp(), "t.jsonl")
            >>> _ = open(path, "w").write('{"id": 1, "x": [1, 2]}\\n{"id": 2}\\n')
            >>> db = DictDB()
            >>> db.import_jsonl(path, "t"), db.get_table("t").get(1)
            (2, {'id': 1, 'x': [1, 2]})
        """
        check_progress(progress)
        with _one_commit(self):
            return jsonlines.import_jsonl(
                self, filepath, table_name, primary_key, schema, skip_validation, progress
            )

    def import_parquet(
        self: _Importing,
        filepath: str | os.PathLike[str],
        table_name: str,
        *,
        primary_key: str = "id",
        schema: Mapping[str, Any] | None = None,
        progress: ProgressOption = None,
    ) -> int:
        """Create table ``table_name`` from a Parquet file through pyarrow; returns how many rows.

        Needs ``pip install cydictdb[arrow]``. A failed import leaves no table. ``progress`` as for
        ``import_csv``. Example (docs/interop.md runs it)::

            db.get_table("t").export_parquet("t.parquet")
            db.import_parquet("t.parquet", "copy")  # how many rows
        """
        check_progress(progress)
        with _one_commit(self):
            return parquet.import_parquet(self, filepath, table_name, primary_key, schema, progress)
