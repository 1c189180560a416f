"""JSON database files: the document of ``document.py``, values tagged by ``codec.py``, written through
the atomic writer.

Writing streams: the header, then the records one per line, in batches of text made by one call to the
core (``dictdb._core.codec.dump_records``), which hands each record to ``json``'s C encoder; the whole text
never exists in memory. Every record is encoded (tagged, ``codec.encode_records``) before the file is
opened, so a value that cannot be saved raises before any byte is written.

Reading parses the whole file with ``json.loads``, tags decoded by ``codec.object_hook``: peak memory is
the file's text plus the records it decodes to (about 2-3x the file size for typical records), freed down
to the records before returning.
"""

from __future__ import annotations

import json
import os
from typing import Any

from dictdb._core import codec as kernel
from dictdb._core import json_float
from dictdb.exceptions import DatabaseFileError, DatabaseFileNotFoundError
from dictdb.storage.files import codec, document
from dictdb.storage.files.atomic import atomic_write
from dictdb.storage.files.snapshot import DatabaseSnapshot
from dictdb.storage.progress import Progress

__all__ = ["read_json", "read_tagged", "write_json"]

Path = str | os.PathLike[str]

#: Records per write: big enough that the per-call cost vanishes, small enough to keep chunks ~100 kB.
_BATCH = 1000

#: Bytes per read when a load reports its progress (one read of the whole file otherwise).
_READ_CHUNK = 1 << 20
#: A load's share of its reading step spent reading the text; ``json.loads`` (one call) is the rest.
_TEXT_SHARE = 0.15

# allow_nan=False: the encoder already tagged NaN and the infinities, so a bare one here is a bug; the
# JSON they would produce is not standard. check_circular=False: the encoder already bounded the depth.
_dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, check_circular=False).encode
# The records: the same settings, and the core's ``tag`` for the values ``codec.encode_records`` left in
# them (datetimes, dates, Decimals...): they are tagged as they are written, with no copy of their record.
_dump_record = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, check_circular=False, default=codec.tag
).encode


def _record_encoder() -> Any:
    """``json``'s C encoder with ``_dump_record``'s settings, called once per record by ``dump_records``;
    ``None`` where there is none (not CPython) or where it does not write what ``_dump_record`` writes."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        # markers, default, string encoder, indent, key and item separators, sort_keys, skipkeys, allow_nan
        encoder = make(
            None, codec.tag, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, False
        )
        sample = {"a": [1, 2.5, None, True, "\u00e9\n", b"\x00"], "b": {}}
        if "".join(encoder(sample, 0)) != _dump_record(sample):
            return None
    except Exception:  # another signature (a future Python): the one-call-per-record path
        return None
    return encoder


_encoder = _record_encoder()


def _dump_batch(records: list[Any], start: int) -> str:
    """Records ``start`` to ``start + _BATCH``, one JSON text per record, joined by ``",\\n"``."""
    if _encoder is not None:
        return kernel.dump_records(records, start, start + _BATCH, _encoder)
    return ",\n".join(map(_dump_record, records[start : start + _BATCH]))


def write_json(snapshot: DatabaseSnapshot, path: Path, progress: Progress | None = None) -> None:
    """Write ``snapshot`` to ``path`` as a JSON database file, atomically; ``progress`` counts the records
    written, its last call made before the file replaces the old one.

    Example:
        >>> import os, tempfile
        >>> from dictdb.storage.files.jsonfile import read_json, write_json
        >>> from dictdb.storage.files.snapshot import DatabaseSnapshot, TableSnapshot
        >>> path = os.path.join(tempfile.mkdtemp(), "db.json")
        >>> table = TableSnapshot("t", "id", None, {}, 2, [{"id": 1, "b": b"hi"}])
        >>> write_json(DatabaseSnapshot([table]), path)
        >>> read_json(path).tables[0].records
        [{'id': 1, 'b': b'hi'}]
    """
    # A lone table named like a tag ("$x") makes "tables" itself need the pair form (codec.py).
    pairs = not codec.is_plain_mapping({table.name: None for table in snapshot.tables})
    # Encode everything first: from here on nothing can fail for a reason the data holds.
    tables = [
        (
            _member_start(table.name, pairs),
            # The header object, left open for its last member, the records.
            _dumps(codec.encode(document.table_header(table), table=table.name, what="settings"))[:-1],
            codec.encode_records(table.records, table=table.name, pk_field=table.primary_key),
        )
        for table in snapshot.tables
    ]
    total = sum(len(records) for _, _, records in tables)
    written = 0
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as out:
        out.write('{"_meta": ' + _dumps(document.meta()) + ',\n"tables": ')
        out.write('{"$dict": [' if pairs else "{")
        for position, (start_member, open_header, records) in enumerate(tables):
            out.write(",\n" if position else "\n")
            out.write(start_member + open_header + ', "records": [')
            for start in range(0, len(records), _BATCH):
                out.write(",\n" if start else "\n")
                out.write(_dump_batch(records, start))
                if progress is not None:
                    written += len(records[start : start + _BATCH])
                    progress.at(written, total)
            out.write("\n]}]" if pairs else "\n]}")
        out.write("\n]}}\n" if pairs else "\n}}\n")
        if progress is not None:
            progress.finish()


def _member_start(name: Any, pairs: bool) -> str:
    """What opens a table's entry in "tables": ``"name": `` or, in the pair form, ``[name, ``."""
    if not pairs:
        return f"{_dumps(name)}: "
    return f"[{_dumps(codec.encode(name, table=name, what='name'))}, "


def read_json(path: Path, progress: Progress | None = None) -> DatabaseSnapshot:
    """Read a JSON database file (version 1, or 0 as ``dctdb`` wrote it) into a snapshot; ``progress``
    moves as the text is read, then once more when it is parsed.

    ``DatabaseFileNotFoundError`` when there is no file, ``DatabaseFileError`` when it is not a valid
    DictDB JSON file; both name the file and say what is wrong where.

    Example:
        >>> import os, tempfile
        >>> from dictdb.storage.files.jsonfile import read_json
        >>> path = os.path.join(tempfile.mkdtemp(), "old.json")
        >>> text = '{"tables": {"t": {"primary_key": "id", "schema": null, "records": []}}}'
        >>> _ = open(path, "w").write(text)
        >>> [table.name for table in read_json(path).tables]
        ['t']
    """
    if progress is None:
        return document.parse(_parse(_read_text(path), path), path)
    text = _read_text(path, progress.part(0.0, _TEXT_SHARE))
    parsed = document.parse(_parse(text, path), path)
    progress.at(1, 1)
    return parsed


def read_tagged(path: Path) -> Any:
    """The JSON value ``path`` holds, tags decoded (``codec.py``): for files of DictDB's own that are not
    database files (backup deltas). ``DatabaseFileNotFoundError`` when there is no file,
    ``DatabaseFileError`` naming it when it is not UTF-8, not JSON, truncated or holds a malformed tag.

    Example:
        >>> import os, tempfile
        >>> from dictdb.storage.files.jsonfile import read_tagged
        >>> path = os.path.join(tempfile.mkdtemp(), "doc.json")
        >>> _ = open(path, "w").write('{"when": {"$date": "2024-02-29"}}')
        >>> read_tagged(path)
        {'when': datetime.date(2024, 2, 29)}
    """
    text = _read_text(path)
    try:
        return _loads(text, path, tags=True)
    except codec.TagError as exc:
        raise DatabaseFileError(path, f"a tagged value is malformed: {exc}") from None


def _read_text(path: Path, progress: Progress | None = None) -> str:
    try:
        # utf-8-sig: a byte-order mark, as some editors add, is not an error.
        with open(path, encoding="utf-8-sig") as f:
            if progress is None:
                return f.read()
            return _read_in_chunks(f, progress)
    except FileNotFoundError:
        raise DatabaseFileNotFoundError(path, "no such file") from None
    except UnicodeDecodeError as exc:
        # exc.start counts from the start of the decoder's chunk, not of the file: no position given.
        raise DatabaseFileError(path, f"not a JSON file: it is not UTF-8 text ({exc.reason})") from None


def _read_in_chunks(f: Any, progress: Progress) -> str:
    """``f.read()``, a chunk at a time, ``progress`` counting the bytes read of the file's size."""
    size = os.fstat(f.fileno()).st_size
    pieces: list[str] = []
    while piece := f.read(_READ_CHUNK):
        pieces.append(piece)
        progress.at(f.buffer.tell(), size)
    return "".join(pieces)


def _parse(text: str, path: Path) -> Any:
    try:
        doc = _loads(text, path, tags=True)
    except codec.TagError:
        doc = None  # fine in a version-0 file, whose dicts are never tags; decided once the version is known
    if type(doc) is dict and "_meta" in doc:
        return doc
    # Version 0 (dctdb wrote no tags, so a dict shaped like one is the user's) or not a DictDB file at all.
    plain = _loads(text, path, tags=False)
    if type(plain) is dict and "_meta" in plain:
        raise DatabaseFileError(path, _locate_bad_tag(plain))
    return plain


#: ``json``'s ``parse_float``: a literal past a float's range (``1e999999``), which ``float`` would read as an
#: infinity, raises ``FloatRangeError`` (``dictdb._core.json_float`` says why).
parse_float = json_float.parse_float
FloatRangeError = json_float.FloatRangeError


def float_range_reason(error: ValueError) -> str:
    """What a ``DatabaseFileError`` says of the literal ``parse_float`` refused (shortened if long)."""
    literal = str(error)
    shown = literal if len(literal) <= 40 else f"{literal[:20]}...{literal[-10:]} ({len(literal)} characters)"
    return (
        f"a number in it, {shown}, is past the range of a float: it would read as infinity (DictDB writes "
        'an infinity as {"$float": "inf"})'
    )


def _loads(text: str, path: Path, *, tags: bool) -> Any:
    try:
        return json.loads(text, object_hook=codec.object_hook if tags else None, parse_float=parse_float)
    except json.JSONDecodeError as exc:
        if not text.strip():
            reason = "the file is empty"
        elif exc.pos >= len(text.rstrip()):
            reason = f"the JSON ends early, at line {exc.lineno}, column {exc.colno}: the file is truncated"
        elif exc.msg.startswith("Unterminated string"):
            # json reports where the string starts; it runs to the end of the text, so the cut is inside it.
            reason = (
                f"the JSON ends inside a string that starts at line {exc.lineno}, column {exc.colno}: "
                "the file is truncated"
            )
        else:
            # Some of json's messages end in " at" ("Unterminated string starting at"): say it once.
            reason = f"not valid JSON: {exc.msg.removesuffix(' at')} at line {exc.lineno}, column {exc.colno}"
        raise DatabaseFileError(path, reason) from None
    except RecursionError:
        raise DatabaseFileError(path, "the JSON is nested too deeply to read") from None
    except codec.TagError:
        raise  # the callers decide: a tag is malformed, or a version-0 file has a dict shaped like one
    except FloatRangeError as exc:
        raise DatabaseFileError(path, float_range_reason(exc)) from None
    except ValueError:  # json's only other ValueError: an int literal past Python's int-str digit limit
        raise DatabaseFileError(path, codec.int_digits_reason()) from None


def _locate_bad_tag(doc: dict[str, Any]) -> str:
    """Which table and record hold the malformed tag: decoded again piece by piece (a bad file only)."""
    tables = doc.get("tables")
    pieces: list[tuple[str, Any]] = []
    if type(tables) is dict:
        for name, table in tables.items():
            if type(table) is dict:
                pieces.append((f"table {name!r}", {k: v for k, v in table.items() if k != "records"}))
                records = table.get("records")
                if type(records) is list:
                    pieces.extend((f"table {name!r}, record #{i + 1}", r) for i, r in enumerate(records))
    for where, piece in pieces:
        try:
            json.loads(json.dumps(piece), object_hook=codec.decode_hook)
        except codec.TagError as exc:
            return f"{where}: {exc}"
    return "a tagged value outside the tables (in '_meta' or at the top level) is malformed"
