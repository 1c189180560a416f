"""CSV files: ``DictDB.import_csv`` and ``Table.export_csv`` (docs/csv.md).

An import reads and converts the whole file before it creates the table, so a malformed row or a cell that
does not convert raises (naming the line) with nothing created; the records then go in through
``fill_new_table``, which drops the table again on any error. An export writes through the atomic writer:
the file holds the old content or the whole new one.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError
from dictdb.log import Gate
from dictdb.storage.files.atomic import atomic_write
from dictdb.storage.interop.csvcells import (
    CellError,
    Converter,
    converter_for,
    date_converter,
    infer_converter,
    read_datetimes,
    to_text,
)
from dictdb.storage.interop.new_table import CHUNK, ensure_free, fill_new_table, show_path
from dictdb.storage.progress import Progress, ProgressOption, counted_lines, file_size, reporting
from dictdb.storage.tables import DatabaseLike, TableLike

_logs = Gate(__name__)

__all__ = ["ReadOptions", "export_csv", "import_csv"]

Path = str | os.PathLike[str]
Record = dict[Any, Any]


class ReadOptions(NamedTuple):
    """How to read a CSV file: ``DictDB.import_csv``'s keyword arguments about the text."""

    delimiter: str = ","
    has_header: bool = True
    encoding: str = "utf-8"
    infer_types: bool = True
    #: ``None``; ``True`` (every column left as text whose cells all read as ISO dates or datetimes); or
    #: the names of the columns to read so.
    parse_dates: bool | tuple[str, ...] | None = None


class _Rows(NamedTuple):
    names: list[str]
    lines: list[int]  # the line of the file each row ends on, for messages
    rows: list[list[str]]


def import_csv(
    db: DatabaseLike,
    path: Path,
    table_name: str,
    primary_key: str,
    schema: Mapping[str, Any] | None,
    skip_validation: bool,
    options: ReadOptions,
    progress: ProgressOption = None,
) -> int:
    """Create ``table_name`` in ``db`` from the CSV file ``path``; returns how many rows it imported.

    ``progress`` counts the bytes of the file; each step (reading the rows, choosing each column's type,
    converting the cells, inserting the records) takes a quarter of the count.

    Example:
        >>> import os, tempfile
        >>> from decimal import Decimal
        >>> from dictdb import DictDB
        >>> path = os.path.join(tempfile.mkdtemp(), "prices.csv")
        >>> _ = open(path, "w").write("sku;price\\n007;9.90\\n")
        >>> db = DictDB()
        >>> import_csv(db, path, "prices", "sku", {"sku": str, "price": Decimal}, False,
        ...            ReadOptions(delimiter=";"))
        1
        >>> db.get_table("prices").all()
        [{'sku': '007', 'price': Decimal('9.90')}]
    """
    ensure_free(db, table_name)
    shown = show_path(path)
    with reporting(progress, file_size(path), "B", f"importing {os.path.basename(path)}") as count:
        parsed = _read(path, options, schema, count and count.part(0.0, 0.25))
        converters = _converters(parsed, schema, options, path, count and count.part(0.25, 0.5))
        records = _records(parsed, converters, path, count and count.part(0.5, 0.75))
        fill_new_table(
            db,
            table_name,
            primary_key,
            schema,
            records,
            skip_validation=skip_validation,
            locate=lambda position: f"cannot import {shown}, line {parsed.lines[position]}",
            progress=count and count.part(0.75, 1.0),
        )
    _logs.event("import_csv", table_name, len(records), {"path": os.fspath(path)})
    return len(records)


def _read(
    path: Path, options: ReadOptions, schema: Mapping[str, Any] | None, progress: Progress | None
) -> _Rows:
    delimiter, has_header, encoding = options.delimiter, options.has_header, options.encoding
    # A UTF-8 file from a spreadsheet often starts with a byte-order mark: not part of the first name.
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"
    names: list[str] | None = None
    lines: list[int] = []
    rows: list[list[str]] = []
    try:
        with open(path, encoding=encoding, newline="") as f:
            text = f if progress is None else counted_lines(f, progress)
            reader = csv.reader(text, delimiter=delimiter, strict=True)
            for row in reader:
                if not row:  # a blank line
                    continue
                if names is None:
                    names = _header(row, has_header, schema, path)
                    if has_header:
                        continue
                if len(row) != len(names):
                    raise DatabaseFileError(
                        path,
                        f"line {reader.line_num} has {len(row)} cells but there are {len(names)} columns "
                        f"({', '.join(names)}); every row needs one cell per column",
                    )
                lines.append(reader.line_num)
                rows.append(row)
    except FileNotFoundError:
        raise DatabaseFileNotFoundError(path, "no such file") from None
    except UnicodeDecodeError as exc:
        raise DatabaseFileError(path, f"not {options.encoding} text ({exc.reason}); pass encoding=") from None
    except csv.Error as exc:
        raise DatabaseFileError(path, f"not valid CSV at line {reader.line_num}: {exc}") from None
    return _Rows(names or [], lines, rows)


def _header(row: list[str], has_header: bool, schema: Mapping[str, Any] | None, path: Path) -> list[str]:
    if not has_header:
        if schema is not None:
            return [str(name) for name in schema]
        return [f"column_{i}" for i in range(1, len(row) + 1)]
    for position, name in enumerate(row, 1):
        if not name:
            raise DatabaseFileError(path, f"column {position} of the header has no name")
    if len(set(row)) != len(row):
        twice = sorted({name for name in row if row.count(name) > 1})
        raise DatabaseFileError(path, f"the header names {', '.join(map(repr, twice))} more than once")
    return row


def _converters(
    parsed: _Rows,
    schema: Mapping[str, Any] | None,
    options: ReadOptions,
    path: Path,
    progress: Progress | None,
) -> list[tuple[Converter, bool]]:
    dates = options.parse_dates
    listed = dates if isinstance(dates, tuple) else ()
    for name in listed:
        if name not in parsed.names:
            columns = ", ".join(map(repr, parsed.names))
            raise ValueError(f"parse_dates names {name!r}, not a column of {show_path(path)} ({columns})")
        if schema is not None and name in schema:
            raise ValueError(f"parse_dates names {name!r}, which the schema types: leave it to the schema")
    out: list[tuple[Converter, bool]] = []
    for column, name in enumerate(parsed.names):
        cells = [row[column] for row in parsed.rows]
        if schema is not None and name in schema:
            out.append(converter_for(name, schema[name]))
        elif name in listed:
            # A listed column's cells must all read; the first that does not is named, with its line.
            out.append((date_converter(cells) or read_datetimes, False))
        else:
            convert = infer_converter(cells) if options.infer_types else str
            if dates is True and convert is str:
                convert = date_converter(cells) or str
            out.append((convert, False))
        if progress is not None:
            progress.at(column + 1, len(parsed.names))
    return out


def _records(
    parsed: _Rows, converters: list[tuple[Converter, bool]], path: Path, progress: Progress | None
) -> list[Record]:
    """Every row converted to a record; ``progress`` counts them a chunk at a time."""
    count = len(parsed.rows)
    if progress is None:
        return [_record(parsed, converters, index, path) for index in range(count)]
    records: list[Record] = []
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        records += [_record(parsed, converters, index, path) for index in range(start, stop)]
        progress.at(len(records), count)
    return records


def _record(parsed: _Rows, converters: list[tuple[Converter, bool]], index: int, path: Path) -> Record:
    record: Record = {}
    row = parsed.rows[index]
    for name, cell, (convert, empty_is_text) in zip(parsed.names, row, converters, strict=True):
        if not cell:
            record[name] = "" if empty_is_text else None
            continue
        try:
            record[name] = convert(cell)
        except CellError as exc:
            raise DatabaseFileError(path, f"line {parsed.lines[index]}, column {name!r}: {exc}") from None
    return record


def export_csv(
    table: TableLike,
    path: Path,
    rows: list[Record],
    columns: list[Any] | None,
    delimiter: str,
    encoding: str,
    *,
    table_rows: bool,
) -> int:
    """Write ``rows`` to ``path`` as CSV. ``table_rows``: they are records of ``table`` it chose itself (not
    records the caller passed), so the header defaults to its schema's fields, and ``columns`` may name any
    of its columns.

    Example:
        >>> import os, tempfile
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"x": 1, "ok": True}, {"x": None, "ok": False}])
        [1, 2]
        >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
        >>> export_csv(t, path, t.select(), None, ";", "utf-8", table_rows=True)
        2
        >>> print(open(path).read(), end="")
        x;ok;id
        1;true;1
        ;false;2
    """
    for position, row in enumerate(rows):
        if not isinstance(row, dict):
            raise TypeError(f"record {position} to export is a {type(row).__name__}, not a dict")
    header = _export_columns(table, rows, columns, table_rows)
    with atomic_write(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        if header:
            writer.writerow([to_text(name) for name in header])
        for row in rows:
            writer.writerow([to_text(row.get(name)) for name in header])
    _logs.event("export_csv", table.table_name, len(rows), {"path": os.fspath(path)})
    return len(rows)


def _export_columns(table: TableLike, rows: list[Record], columns: list[Any] | None, own: bool) -> list[Any]:
    """The header: ``columns`` once checked, else the schema's fields, else the fields in first-seen order."""
    seen: dict[Any, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    if columns is None:
        return list(table.schema) if table.schema is not None and own else list(seen)
    if not isinstance(columns, (list, tuple)):
        raise TypeError(f"columns must be a list of field names, not {type(columns).__name__}")
    known = set(seen) | set(table.columns() if own else ())
    unknown = [name for name in columns if name not in known]
    # Without any record or schema there is nothing to check against: the header is written as asked.
    if unknown and known:
        raise ValueError(
            f"cannot export unknown columns {', '.join(map(repr, unknown))} of table {table.table_name!r}; "
            f"its columns are {', '.join(map(repr, sorted(known, key=str)))}"
        )
    return list(columns)
