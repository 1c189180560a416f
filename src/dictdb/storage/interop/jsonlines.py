"""JSON Lines files: ``Table.export_jsonl`` and ``DictDB.import_jsonl`` (docs/interop.md).

One record per line, as a JSON object. Values JSON has no type for are written in the tagged form of
DictDB's JSON files (``{"$date": "2024-02-29"}``, ``codec.py``), so an import gives back exactly what was
exported; plain records (str, int, float, bool, None, lists, dicts with string keys) are plain JSON that any
tool reads. An export streams: each batch of records is encoded and written in turn, through the atomic
writer, so a value that cannot be saved leaves the old file untouched. An import reads every line before
it creates the table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError
from dictdb.log import Gate
from dictdb.storage.files import codec, jsonfile
from dictdb.storage.files.atomic import atomic_write
from dictdb.storage.interop.new_table import ensure_free, fill_new_table, show_path
from dictdb.storage.progress import Progress, ProgressOption, counted_lines, file_size, reporting
from dictdb.storage.tables import DatabaseLike, TableLike

_logs = Gate(__name__)

__all__ = ["export_jsonl", "import_jsonl"]

Path = str | os.PathLike[str]
Record = dict[Any, Any]

#: Records per write: the per-call cost vanishes, and a batch stays near 100 kB.
_BATCH = 1000

#: An import's share of its count for reading and parsing the lines (measured: about three quarters of
#: its time); inserting the records is the rest.
_READ_SHARE = 0.75

# ensure_ascii: a str holding a lone surrogate (which UTF-8 cannot hold) is escaped, not an error. The codec
# tags NaN and the infinities, so allow_nan=False only catches bugs; it also bounds the depth.
_dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, check_circular=False).encode


def export_jsonl(table: TableLike, path: Path, rows: list[Record]) -> int:
    """Write ``rows``, records of ``table``, to ``path``, one JSON object per line.

    ``UnsupportedValueError`` (the old file untouched) for a value DictDB's JSON files cannot hold.

    Example:
        >>> import os, tempfile
        >>> from dictdb import Table
        >>> t = Table("t")
        >>> t.insert([{"tags": ("a",)}, {"x": None}])
        [1, 2]
        >>> path = os.path.join(tempfile.mkdtemp(), "t.jsonl")
        >>> export_jsonl(t, path, t.select())
        2
        >>> print(open(path).read(), end="")
        {"tags": {"$tuple": ["a"]}, "id": 1}
        {"x": null, "id": 2}
    """
    name, pk_field = table.table_name, table.primary_key
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as out:
        for start in range(0, len(rows), _BATCH):
            batch = rows[start : start + _BATCH]
            encoded = [codec.encode_record(row, table=name, pk_field=pk_field) for row in batch]
            out.write("".join(_dumps(record) + "\n" for record in encoded))
    _logs.event("export_jsonl", name, len(rows), {"path": os.fspath(path)})
    return len(rows)


def import_jsonl(
    db: DatabaseLike,
    path: Path,
    table_name: str,
    primary_key: str,
    schema: Mapping[str, Any] | None,
    skip_validation: bool,
    progress: ProgressOption = None,
) -> int:
    """Create ``table_name`` in ``db`` from the JSON Lines file ``path``; returns how many records.

    Blank lines are skipped. ``DatabaseFileError`` naming the line for one that is not a JSON object.
    ``progress`` counts the bytes of the file: reading and parsing the lines take the first 75% of the
    count, inserting the records the rest.

    Example:
        >>> import os, tempfile
        >>> from dictdb import DictDB
        >>> path = os.path.join(tempfile.mkdtemp(), "t.jsonl")
        >>> _ = open(path, "w").write('{"id": 1}\\n[1, 2]\\n')
        >>> import_jsonl(DictDB(), path, "t", "id", None, False)
        Traceback (most recent call last):
        ...
        dictdb.exceptions.DatabaseFileError: cannot load '...t.jsonl': line 2 is a JSON array, not an object
    """
    ensure_free(db, table_name)
    shown = show_path(path)
    with reporting(progress, file_size(path), "B", f"importing {os.path.basename(path)}") as count:
        lines, records = _read(path, count and count.part(0.0, _READ_SHARE))
        fill_new_table(
            db,
            table_name,
            primary_key,
            schema,
            records,
            skip_validation=skip_validation,
            locate=lambda position: f"cannot import {shown}, line {lines[position]}",
            progress=count and count.part(_READ_SHARE, 1.0),
        )
    _logs.event("import_jsonl", table_name, len(records), {"path": os.fspath(path)})
    return len(records)


_JSON_NAMES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def _read(path: Path, progress: Progress | None) -> tuple[list[int], list[Record]]:
    lines: list[int] = []
    records: list[Record] = []
    try:
        # utf-8-sig: a byte-order mark, as some tools write, is not an error.
        with open(path, encoding="utf-8-sig") as f:
            for number, line in enumerate(f if progress is None else counted_lines(f, progress), 1):
                if not line.strip():
                    continue
                record = _parse(line, number, path)
                lines.append(number)
                records.append(record)
    except FileNotFoundError:
        raise DatabaseFileNotFoundError(path, "no such file") from None
    except UnicodeDecodeError as exc:
        raise DatabaseFileError(path, f"not a JSON Lines file: it is not UTF-8 text ({exc.reason})") from None
    return lines, records


def _parse(line: str, number: int, path: Path) -> Record:
    try:
        value = json.loads(line, object_hook=codec.decode_hook, parse_float=jsonfile.parse_float)
    except json.JSONDecodeError as exc:
        raise DatabaseFileError(
            path, f"line {number} is not valid JSON: {exc.msg} at column {exc.colno}"
        ) from None
    except codec.TagError as exc:
        raise DatabaseFileError(path, f"line {number}: {exc}") from None
    except RecursionError:
        raise DatabaseFileError(path, f"line {number} is nested too deeply to read") from None
    except jsonfile.FloatRangeError as exc:
        raise DatabaseFileError(path, f"line {number}: {jsonfile.float_range_reason(exc)}") from None
    except ValueError:  # json's only other ValueError: an int literal past Python's int-str digit limit
        raise DatabaseFileError(path, f"line {number}: {codec.int_digits_reason()}") from None
    if type(value) is not dict:
        kind = "null" if value is None else _JSON_NAMES.get(type(value), f"tagged {type(value).__name__}")
        raise DatabaseFileError(path, f"line {number} is a JSON {kind}, not an object")
    return value
