"""The interop side of ``Table``: exports to CSV, JSON Lines, Arrow and Parquet.

A mixin, as ``table_indexes.py``: the table chooses the rows (``_match``, under its read lock) and hands
them down to ``dictdb.storage.interop``, which only writes them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Protocol

from dictdb.locking import reads
from dictdb.query.checked import Named, check_fields
from dictdb.query.expr import Where
from dictdb.storage.interop import arrow, csvfile, jsonlines, parquet
from dictdb.storage.tables import TableLike

__all__ = ["TableInterop"]

Record = dict[Any, Any]


class _Readable(TableLike, Named, Protocol):
    """What an export reads of its table: what storage reads, and the rows its ``where`` matches."""

    def _match(self, where: Any, *, copy: bool = ..., limit: int | None = ...) -> list[Record]: ...


class TableInterop:
    """``export_csv``, ``export_jsonl``, ``to_arrow`` and ``export_parquet`` for ``Table``."""

    @reads
    def export_csv(
        self: _Readable,
        filepath: str | os.PathLike[str],
        *,
        records: Iterable[Record] | None = None,
        columns: list[Any] | None = None,
        where: Where = None,
        delimiter: str = ",",
        encoding: str = "utf-8",
    ) -> int:
        """Write the records matching ``where`` (or the given ``records``) to a CSV file; returns how many.

        The header is ``columns`` (default: the schema's fields, else every field in first-seen order); a
        column the schema does not have raises ``UnknownFieldError`` (a ``ValueError``).
        The file is replaced atomically (docs/csv.md).

        Example:
            >>> import os, tempfile
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert([{"name": "ada", "age": 36}, {"name": "bob"}])
            [1, 2]
            >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
            >>> t.export_csv(path, columns=["id", "name", "age"])
            2
            >>> print(open(path).read(), end="")
            id,name,age
            1,ada,36
            2,bob,
        """
        if records is not None and where is not None:
            raise ValueError("export_csv takes records= or where=, not both: filter the records you pass")
        if records is None and isinstance(columns, (list, tuple)):
            check_fields(self, columns, "export_csv columns")
        rows = self._match(where) if records is None else list(records)
        return csvfile.export_csv(
            self, filepath, rows, columns, delimiter, encoding, table_rows=records is None
        )

    @reads
    def export_jsonl(self: _Readable, filepath: str | os.PathLike[str], *, where: Where = None) -> int:
        """Write the records matching ``where`` to a JSON Lines file, one object per line; returns how many.

        Values JSON has no type for are tagged as in DictDB's JSON files; the file is replaced atomically
        (docs/interop.md).

        Example:
            >>> import datetime as dt, os, tempfile
            >>> from dictdb import Table
            >>> t = Table("t")
            >>> t.insert({"day": dt.date(2024, 2, 29)})
            1
            >>> path = os.path.join(tempfile.mkdtemp(), "t.jsonl")
            >>> t.export_jsonl(path)
            1
            >>> print(open(path).read(), end="")
            {"day": {"$date": "2024-02-29"}, "id": 1}
        """
        return jsonlines.export_jsonl(self, filepath, self._match(where))

    @reads
    def to_arrow(self: _Readable) -> Any:
        """The table as a ``pyarrow.Table``, one column per field (needs ``pip install cydictdb[arrow]``).

        Example (with pyarrow; docs/interop.md runs it)::

            t = Table("t")
            t.insert([{"x": 1.5}, {"x": None}])
            t.to_arrow().to_pylist()  # [{'x': 1.5, 'id': 1}, {'x': None, 'id': 2}]
        """
        return arrow.to_arrow(self, self._match(None))

    @reads
    def export_parquet(self: _Readable, filepath: str | os.PathLike[str], *, where: Where = None) -> int:
        """Write the records matching ``where`` to a Parquet file through pyarrow; returns how many.

        The file is replaced atomically. Example (with pyarrow; docs/interop.md runs it)::

            t = Table("t")
            t.insert([{"x": 1}, {"x": 2}])
            t.export_parquet("t.parquet", where=t.x > 1)  # 1
        """
        return parquet.export_parquet(self, filepath, self._match(where))
