"""The JSON files' tagged encoding, the hot part: the compiled twin of ``_codec_py.py``.

``storage/files/codec.py`` defines the encoding and owns its errors. This module does the common cases in
one C walk per record: plain values (str, int, float, bool, None, lists, dicts with str keys) cost a type
test each and leave the record as it is, and the frequent tagged values (datetime, date, time, timedelta,
Decimal, UUID, bytes, tuples, sets, huge ints, NaN and the infinities) are converted with direct calls to
their C methods. A record holding anything else (a key that is not a str, a dict shaped like a tag, a
tzinfo other than a default-named ``datetime.timezone``, a fold, an unsupported type, too deep a nesting)
is handed whole to the caller's ``slow`` encoder, which encodes it or raises the error naming it.

Decoding is the ``object_hook`` of ``json.loads``: an object that is not a tag is returned at the cost of a
size test, the frequent tags are decoded by the same calls the codec makes, and anything else (including
every malformed payload) is handed to the codec's own hook, which decodes it or raises its error.
"""

from cpython.datetime cimport (
    PyDate_CheckExact, PyDateTime_CheckExact, PyDelta_CheckExact, PyTime_CheckExact, date_day, date_month,
    date_new, date_year, datetime_day, datetime_fold, datetime_hour, datetime_microsecond, datetime_minute,
    datetime_month, datetime_new, datetime_second, datetime_tzinfo, datetime_year, import_datetime,
    time_fold, time_tzinfo, timedelta_days, timedelta_microseconds, timedelta_seconds,
)
from cpython.dict cimport PyDict_Copy, PyDict_Next, PyDict_SetItem, PyDict_Size
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.list cimport PyList_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.object cimport PyObject
from libc.math cimport isfinite


cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    unsigned char* PyUnicode_1BYTE_DATA(object o)

from ._cpython cimport (
    PyBool_Check, PyDict_CheckExact, PyFloat_CheckExact, PyList_CheckExact, PyList_GET_ITEM,
    PyLong_CheckExact, PyTuple_CheckExact, PyUnicode_CheckExact, PyUnicode_GET_LENGTH, PyUnicode_READ,
    PyUnicode_KIND, PyUnicode_DATA, PyUnicode_READY,
)

# Imported under private names: the module's public names are its ``__all__`` (tests/test_build.py).
import base64 as _base64
import datetime as _dt
from decimal import Decimal as _PyDecimal
from uuid import UUID as _PyUUID

import_datetime()

__all__ = ["INT_LIMIT", "MAX_DEPTH", "dump_records", "encode_records", "make_decode_hook", "tag"]

#: As ``codec.MAX_DEPTH``: values nest at most this deep (a record is depth 1).
MAX_DEPTH = 100
#: As ``codec``'s: ints of this size or more are tagged ``$int``.
INT_LIMIT = 10**600

cdef int _MAX_DEPTH = MAX_DEPTH
cdef object _INT_LIMIT = INT_LIMIT
cdef object _NEG_INT_LIMIT = -INT_LIMIT

# The value the walk returns for a value it leaves to the caller's ``slow`` encoder.
cdef object _SLOW = object()

cdef object _datetime_isoformat = _dt.datetime.isoformat
cdef object _time_isoformat = _dt.time.isoformat
cdef object _timezone = _dt.timezone
cdef object _utc = _dt.timezone.utc
cdef object _b64encode = _base64.b64encode
cdef object _b64decode = _base64.b64decode
cdef object _Decimal = _PyDecimal
cdef object _UUID = _PyUUID
cdef object _datetime_fromisoformat = _dt.datetime.fromisoformat
cdef object _date_fromisoformat = _dt.date.fromisoformat


# --- encoding ---------------------------------------------------------------------------------------


# What a value needs, from least to most: nothing; ``tag`` (called by the JSON encoder as its
# ``default``); an encoded copy of its record (``_encode_dict``); the codec's own encoder.
cdef enum:
    PLAIN = 0
    TAGGED = 1
    COPY = 2
    SLOW = 3


def encode_records(list records, slow):
    """Each record ready for a JSON encoder whose ``default`` is ``tag``, in order: the record itself when
    its only values that JSON has no type for are those ``tag`` converts (datetime, date, time, timedelta,
    Decimal, UUID, bytes), else an encoded copy; ``slow(record)`` for a record this walk leaves to the
    codec (its result, or its error, is the codec's). The records returned as they are cost no memory."""
    cdef Py_ssize_t i, n = PyList_GET_SIZE(records)
    cdef list out = [None] * n
    cdef object record, encoded
    cdef int need
    for i in range(n):
        record = <object>PyList_GET_ITEM(records, i)
        need = _needs_dict(record, 1) if PyDict_CheckExact(record) else SLOW
        if need <= TAGGED:
            encoded = record
        else:
            encoded = _encode_dict(record, 1) if need == COPY else _SLOW
            if encoded is _SLOW:
                encoded = slow(record)
        out[i] = encoded
    return out


def tag(value):
    """The tagged form of a datetime, date, time, timedelta, Decimal, UUID or bytes that ``encode_records``
    left in a record, as the codec writes it: the ``default`` of the JSON encoder that writes the records.
    ``TypeError`` for any other value (``encode_records`` leaves none)."""
    cdef object tz
    if PyDateTime_CheckExact(value):
        tz = datetime_tzinfo(value)
        if datetime_fold(value) == 0:
            if tz is None or tz is _utc:
                return {"$datetime": _format_datetime(value, tz is not None)}
            if _default_offset(tz):
                return {"$datetime": _datetime_isoformat(value)}
    elif PyDate_CheckExact(value):
        return {"$date": _format_date(value)}
    elif type(value) is _Decimal:
        return {"$decimal": str(value)}
    elif type(value) is bytes:
        return {"$bytes": _b64encode(value).decode("ascii")}
    elif PyTime_CheckExact(value):
        if time_fold(value) == 0 and _default_offset(time_tzinfo(value)):
            return {"$time": _time_isoformat(value)}
    elif PyDelta_CheckExact(value):
        return {
            "$timedelta": [timedelta_days(value), timedelta_seconds(value), timedelta_microseconds(value)]
        }
    elif type(value) is _UUID:
        return {"$uuid": str(value)}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


cdef int _needs(object value, int depth) except -1:
    """What ``value``, in a container at ``depth``, needs (the enum above)."""
    if _is_plain(value):
        return PLAIN
    if PyDict_CheckExact(value):
        return _needs_dict(value, depth + 1)
    if PyList_CheckExact(value):
        return _needs_list(value, depth + 1)
    if PyDateTime_CheckExact(value):
        if datetime_fold(value) == 0 and _default_offset(datetime_tzinfo(value)):
            return TAGGED
        return SLOW
    if PyDate_CheckExact(value) or type(value) is _Decimal or type(value) is bytes:
        return TAGGED
    if PyDelta_CheckExact(value) or type(value) is _UUID:
        return TAGGED
    if PyTime_CheckExact(value):
        if time_fold(value) == 0 and _default_offset(time_tzinfo(value)):
            return TAGGED
        return SLOW
    if PyLong_CheckExact(value) or PyFloat_CheckExact(value) or PyTuple_CheckExact(value):
        return COPY
    if type(value) is set or type(value) is frozenset:
        return COPY
    return SLOW


cdef int _needs_dict(dict mapping, int depth) except -1:
    cdef Py_ssize_t pos = 0
    cdef PyObject* key_ptr
    cdef PyObject* value_ptr
    cdef object key = None
    cdef int need, most = PLAIN
    if depth > _MAX_DEPTH:
        return SLOW
    while PyDict_Next(mapping, &pos, &key_ptr, &value_ptr):
        key = <object>key_ptr
        if not PyUnicode_CheckExact(key):
            return SLOW  # the pair form
        if _is_plain(<object>value_ptr):
            continue
        need = _needs(<object>value_ptr, depth)
        if need > most:
            if need == SLOW:
                return SLOW
            most = need
    if PyDict_Size(mapping) == 1 and _starts_with_dollar(key):
        return SLOW  # shaped like a tag: the pair form
    return most


cdef int _needs_list(list items, int depth) except -1:
    cdef Py_ssize_t i
    cdef int need, most = PLAIN
    if depth > _MAX_DEPTH:
        return SLOW
    for i in range(PyList_GET_SIZE(items)):
        need = _needs(<object>PyList_GET_ITEM(items, i), depth)
        if need > most:
            if need == SLOW:
                return SLOW
            most = need
    return most


cdef inline bint _is_plain(object value) except -1:
    """Whether ``value`` is written as it is, with no container to walk."""
    cdef int overflow
    cdef double x
    if PyUnicode_CheckExact(value) or value is None or PyBool_Check(value):
        return True
    if PyLong_CheckExact(value):
        PyLong_AsLongLongAndOverflow(value, &overflow)
        return overflow == 0 or _NEG_INT_LIMIT < value < _INT_LIMIT
    if PyFloat_CheckExact(value):
        x = PyFloat_AS_DOUBLE(value)
        return isfinite(x)
    return False


cdef object _encode(object value, int depth):
    """``codec._encode(value, depth)``, or ``_SLOW``."""
    if _is_plain(value):
        return value
    if PyLong_CheckExact(value):
        return {"$int": hex(value)}
    if PyFloat_CheckExact(value):
        return {"$float": repr(value)}
    if PyDict_CheckExact(value):
        return _encode_dict(value, depth + 1)
    if PyList_CheckExact(value):
        return _encode_list(value, depth + 1)
    if PyDateTime_CheckExact(value):
        if datetime_fold(value) != 0:
            return _SLOW
        tz = datetime_tzinfo(value)
        if tz is None or tz is _utc:
            return {"$datetime": _format_datetime(value, tz is not None)}
        if not _default_offset(tz):
            return _SLOW
        return {"$datetime": _datetime_isoformat(value)}
    if PyDate_CheckExact(value) or type(value) is _Decimal or type(value) is bytes or type(value) is _UUID:
        return tag(value)
    if PyTuple_CheckExact(value):
        return _tagged_items("$tuple", value, depth + 1)
    if type(value) is set:
        return _tagged_items("$set", value, depth + 1)
    if type(value) is frozenset:
        return _tagged_items("$frozenset", value, depth + 1)
    if PyTime_CheckExact(value):
        if time_fold(value) != 0 or not _default_offset(time_tzinfo(value)):
            return _SLOW
        return {"$time": _time_isoformat(value)}
    if PyDelta_CheckExact(value):
        return tag(value)
    return _SLOW  # a tzinfo, an unsupported type: the codec's


cdef inline Py_ssize_t _digits(unsigned char* out, int value, int width) noexcept:
    """Write ``value`` (>= 0) in ``width`` decimal digits, zero-padded (``%0*d`` for a value that fits)."""
    cdef int i
    for i in range(width - 1, -1, -1):
        out[i] = 48 + value % 10
        value //= 10
    return width


cdef inline Py_ssize_t _write_date(unsigned char* out, int year, int month, int day) noexcept:
    _digits(out, year, 4)
    out[4] = 45  # '-'
    _digits(out + 5, month, 2)
    out[7] = 45
    _digits(out + 8, day, 2)
    return 10


cdef str _format_date(object value):
    """``date.isoformat()``: ``YYYY-MM-DD`` (a year is 1 to 9999)."""
    cdef object text = PyUnicode_New(10, 127)
    _write_date(PyUnicode_1BYTE_DATA(text), date_year(value), date_month(value), date_day(value))
    return text


cdef str _format_datetime(object value, bint utc):
    """``datetime.isoformat()`` of a naive datetime, or one in ``timezone.utc`` (``utc``), fold 0:
    ``YYYY-MM-DDTHH:MM:SS``, then ``.ffffff`` when there are microseconds, then ``+00:00`` in UTC."""
    cdef int micro = datetime_microsecond(value)
    cdef Py_ssize_t size = 19 + (7 if micro else 0) + (6 if utc else 0)
    cdef object text = PyUnicode_New(size, 127)
    cdef unsigned char* out = PyUnicode_1BYTE_DATA(text)
    _write_date(out, datetime_year(value), datetime_month(value), datetime_day(value))
    out[10] = 84  # 'T'
    _digits(out + 11, datetime_hour(value), 2)
    out[13] = 58  # ':'
    _digits(out + 14, datetime_minute(value), 2)
    out[16] = 58
    _digits(out + 17, datetime_second(value), 2)
    out += 19
    if micro:
        out[0] = 46  # '.'
        _digits(out + 1, micro, 6)
        out += 7
    if utc:
        out[0] = 43  # '+'
        out[1] = 48
        out[2] = 48
        out[3] = 58
        out[4] = 48
        out[5] = 48
    return text


cdef bint _default_offset(object tz) except -1:
    """No tzinfo, or a ``datetime.timezone`` named as its offset implies: the ISO text says it all."""
    if tz is None or tz is _utc:
        return True
    if type(tz) is not _timezone:
        return False
    return tz.tzname(None) == _timezone(tz.utcoffset(None)).tzname(None)


cdef object _encode_dict(dict mapping, int depth):
    cdef Py_ssize_t pos = 0
    cdef PyObject* key_ptr
    cdef PyObject* value_ptr
    cdef object key = None, value, encoded
    cdef dict out = None
    if depth > _MAX_DEPTH:
        return _SLOW
    while PyDict_Next(mapping, &pos, &key_ptr, &value_ptr):
        key = <object>key_ptr
        if not PyUnicode_CheckExact(key):
            return _SLOW  # the pair form
        value = <object>value_ptr
        if _is_plain(value):
            continue
        encoded = _encode(value, depth)
        if encoded is _SLOW:
            return _SLOW
        if encoded is not value:
            if out is None:
                out = PyDict_Copy(mapping)  # the record's field order: only values of its keys change
            PyDict_SetItem(out, key, encoded)
    if PyDict_Size(mapping) == 1 and _starts_with_dollar(key):
        return _SLOW  # shaped like a tag: the pair form
    return mapping if out is None else out


cdef inline bint _starts_with_dollar(str key) except -1:
    PyUnicode_READY(key)
    return PyUnicode_GET_LENGTH(key) > 0 and PyUnicode_READ(PyUnicode_KIND(key), PyUnicode_DATA(key), 0) == 36


cdef object _encode_list(list items, int depth):
    cdef Py_ssize_t i, n = PyList_GET_SIZE(items)
    cdef list changed = None
    cdef object item, encoded
    if depth > _MAX_DEPTH:
        return _SLOW
    for i in range(n):
        item = <object>PyList_GET_ITEM(items, i)
        if _is_plain(item):
            continue
        encoded = _encode(item, depth)
        if encoded is _SLOW:
            return _SLOW
        if encoded is not item:
            if changed is None:
                changed = list(items)
            changed[i] = encoded
    return items if changed is None else changed


cdef object _tagged_items(str tag, object items, int depth):
    """``{tag: [members, encoded]}`` for a tuple, set or frozenset, or ``_SLOW``."""
    cdef list out = []
    cdef object item, encoded
    if depth > _MAX_DEPTH:
        return _SLOW
    for item in items:
        encoded = _encode(item, depth)
        if encoded is _SLOW:
            return _SLOW
        out.append(encoded)
    return {tag: out}


def dump_records(list records, Py_ssize_t start, Py_ssize_t stop, encoder):
    """``records[start:stop]`` as JSON texts joined by ``",\\n"``; ``encoder(record, 0)`` is a C-level
    ``json`` encoder (``json.encoder.c_make_encoder``), which returns a record's text in chunks."""
    cdef Py_ssize_t i
    cdef list texts = []
    cdef object chunks
    if stop > PyList_GET_SIZE(records):
        stop = PyList_GET_SIZE(records)
    for i in range(start, stop):
        chunks = encoder(<object>PyList_GET_ITEM(records, i), 0)
        if len(chunks) == 1:
            texts.append(chunks[0])
        else:
            texts.append("".join(chunks))
    return ",\n".join(texts)


# --- decoding ---------------------------------------------------------------------------------------


cdef inline int _read_digits(const unsigned char* text, int width) noexcept:
    """The ``width`` decimal digits at ``text``, or -1 when one is not a digit."""
    cdef int i, value = 0
    cdef unsigned char c
    for i in range(width):
        c = text[i]
        if c < 48 or c > 57:
            return -1
        value = value * 10 + (c - 48)
    return value


cdef inline bint _read_date(const unsigned char* text, int* ymd) noexcept:
    """``YYYY-MM-DD`` at ``text`` into ``ymd``; false when it is not that shape."""
    if text[4] != 45 or text[7] != 45:
        return False
    ymd[0] = _read_digits(text, 4)
    ymd[1] = _read_digits(text + 5, 2)
    ymd[2] = _read_digits(text + 8, 2)
    return ymd[0] >= 0 and ymd[1] >= 0 and ymd[2] >= 0


cdef object _parse_date(str payload):
    """``date.fromisoformat(payload)`` for the text ``_format_date`` writes; ``None`` for any other text
    (the caller then calls ``fromisoformat`` itself), and the ``ValueError`` of a day out of range."""
    cdef int ymd[3]
    if PyUnicode_GET_LENGTH(payload) != 10 or PyUnicode_KIND(payload) != 1:
        return None
    if not _read_date(<const unsigned char*>PyUnicode_DATA(payload), ymd):
        return None
    return date_new(ymd[0], ymd[1], ymd[2])


cdef object _parse_datetime(str payload):
    """``datetime.fromisoformat(payload)`` for the text ``_format_datetime`` writes; ``None`` for any other
    text (the caller then calls ``fromisoformat`` itself), and the ``ValueError`` of a field out of range."""
    cdef Py_ssize_t size = PyUnicode_GET_LENGTH(payload)
    cdef const unsigned char* text
    cdef int ymd[3]
    cdef int hour, minute, second, micro = 0
    cdef object tz = None
    if size < 19 or PyUnicode_KIND(payload) != 1:
        return None
    text = <const unsigned char*>PyUnicode_DATA(payload)
    if not _read_date(text, ymd) or text[10] != 84 or text[13] != 58 or text[16] != 58:
        return None
    hour = _read_digits(text + 11, 2)
    minute = _read_digits(text + 14, 2)
    second = _read_digits(text + 17, 2)
    if hour < 0 or minute < 0 or second < 0:
        return None
    text += 19
    size -= 19
    if size >= 7 and text[0] == 46:  # '.ffffff'
        micro = _read_digits(text + 1, 6)
        if micro < 0:
            return None
        text += 7
        size -= 7
    if size == 6:
        if text[0] != 43 or text[1] != 48 or text[2] != 48 or text[3] != 58 or text[4] != 48 or text[5] != 48:
            return None
        tz = _utc
    elif size != 0:
        return None
    return datetime_new(ymd[0], ymd[1], ymd[2], hour, minute, second, micro, tz)


def make_decode_hook(fallback):
    """An ``object_hook`` for ``json.loads`` that decodes what ``fallback`` (the codec's hook) decodes:
    an object that is not a tag is returned as it is, the frequent tags are decoded here, and any other
    tag (or a payload that does not decode) goes to ``fallback``, for its value or its error."""

    def decode_hook(dict obj):
        cdef Py_ssize_t pos = 0
        cdef PyObject* key_ptr
        cdef PyObject* payload_ptr
        if PyDict_Size(obj) != 1:
            return obj
        PyDict_Next(obj, &pos, &key_ptr, &payload_ptr)
        key = <object>key_ptr
        if not PyUnicode_CheckExact(key) or not _starts_with_dollar(key):
            return obj
        payload = <object>payload_ptr
        try:
            if PyUnicode_CheckExact(payload):
                if key == "$datetime":
                    value = _parse_datetime(payload)
                    return _datetime_fromisoformat(payload) if value is None else value
                if key == "$date":
                    value = _parse_date(payload)
                    return _date_fromisoformat(payload) if value is None else value
                if key == "$decimal":
                    return _Decimal(payload)
                if key == "$bytes":
                    return _b64decode(payload, validate=True)
                if key == "$uuid":
                    return _UUID(payload)
            elif PyList_CheckExact(payload):
                if key == "$tuple":
                    return tuple(payload)
                if key == "$set":
                    return set(payload)
                if key == "$frozenset":
                    return frozenset(payload)
        except Exception:
            pass  # malformed: the codec's hook raises its error
        return fallback(obj)

    return decode_hook
