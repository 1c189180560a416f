"""Parquet files: ``Table.export_parquet`` and ``DictDB.import_parquet``, through pyarrow (the ``arrow``
extra). The records go through ``arrow.rows_to_arrow`` one way and ``to_pylist`` the other; the file is
written through the atomic writer, and an import reads the whole file before it creates the table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError
from dictdb.log import Gate
from dictdb.storage.files.atomic import atomic_write
from dictdb.storage.interop.arrow import require_pyarrow, rows_to_arrow
from dictdb.storage.interop.new_table import ensure_free, fill_new_table, show_path
from dictdb.storage.progress import ProgressOption, file_size, reporting
from dictdb.storage.tables import DatabaseLike, TableLike

_logs = Gate(__name__)

__all__ = ["export_parquet", "import_parquet"]

Path = str | os.PathLike[str]
Record = dict[Any, Any]


def export_parquet(table: TableLike, path: Path, rows: list[Record]) -> int:
    """Write ``rows``, records of ``table``, to the Parquet file ``path``; returns how many.

    Example:
        >>> import os, tempfile
        >>> import pyarrow.parquet as pq
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"x": 1.5}, {"x": 2.5}])
        [1, 2]
        >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
        >>> export_parquet(t, path, t.select()), pq.read_table(path).num_rows
        (2, 2)
    """
    pa = require_pyarrow("Table.export_parquet")
    import pyarrow.parquet as pq

    data = rows_to_arrow(pa, table, rows)
    with atomic_write(path, "wb") as out:
        pq.write_table(data, out)
    _logs.event("export_parquet", table.table_name, len(rows), {"path": os.fspath(path)})
    return len(rows)


def import_parquet(
    db: DatabaseLike,
    path: Path,
    table_name: str,
    primary_key: str,
    schema: Mapping[str, Any] | None,
    progress: ProgressOption = None,
) -> int:
    """Create ``table_name`` in ``db`` from the Parquet file ``path``; returns how many rows.

    ``progress`` counts the bytes of the file: pyarrow reads it in one call, which takes the first half of
    the count at once; inserting the records moves the rest.

    Example:
        >>> import os, tempfile
        >>> from dictdb import DictDB
        >>> path = os.path.join(tempfile.mkdtemp(), "missing.parquet")
        >>> import_parquet(DictDB(), path, "t", "id", None)
        Traceback (most recent call last):
        ...
        dictdb.exceptions.DatabaseFileNotFoundError: cannot load '...missing.parquet': no such file
    """
    ensure_free(db, table_name)
    pa = require_pyarrow("DictDB.import_parquet")
    import pyarrow.parquet as pq

    shown = show_path(path)
    with reporting(progress, file_size(path), "B", f"importing {os.path.basename(path)}") as count:
        try:
            rows = pq.read_table(path).to_pylist()
        except FileNotFoundError:
            raise DatabaseFileNotFoundError(path, "no such file") from None
        except (pa.ArrowException, OSError) as exc:
            raise DatabaseFileError(path, f"not a readable Parquet file: {exc}") from None
        if count is not None:
            count.at(1, 2)
        fill_new_table(
            db,
            table_name,
            primary_key,
            schema,
            rows,
            skip_validation=False,
            locate=lambda position: f"cannot import {shown}, row {position + 1}",
            progress=count and count.part(0.5, 1.0),
        )
    _logs.event("import_parquet", table_name, len(rows), {"path": os.fspath(path)})
    return len(rows)
