"""Evaluating a plan on a column store's vectors: the compiled twin of ``_column_eval_py.py``.

The three-valued rules are documented in ``_column_py.py``. A clause costs one pass over its column's
payloads, with no Python object touched:

- str rows look their code up in a truth table built once per query (one Python test per distinct str),
  so any str comparison costs O(distinct) plus one byte read per row;
- an ordering on int rows is one unsigned compare against an exact int64 interval (a float bound is
  rounded to the ints it admits, exactly, never through a lossy conversion);
- int64 against double is compared exactly (``compare_int_double``), as Python compares int and float;
  float rows test a closed double interval when the bounds are doubles that compare exactly;
- a column whose live rows all hold one kind of tag (ints, floats or str) reads whole 64-row words
  without the per-row tag switch, with four independent accumulators per word.

Clauses after the first in an AND are evaluated only on the rows where the AND can still be True or
Unsure (``care``): a word with none is skipped, and a word with a few is read row by row following its
bits, so a selective first clause makes the next ones cheap.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.math cimport INFINITY, ceil, fabs, floor, isnan, nextafter
from libc.stdint cimport INT64_MAX, INT64_MIN, int64_t, uint8_t, uint64_t
from libc.string cimport memcpy, memset

from ._column_vector cimport (
    TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_STR, TWO_63, Payload, Rows, _Bitmap, _Column,
    compare_int_double, ctz, has_field, integral, popcount,
)

__all__ = []

# How a bound of an ordering reads on number rows.
cdef enum:
    _NO_BOUND = 0   # no bound on this side
    _INT_BOUND = 1
    _FLOAT_BOUND = 2
    _NEVER = 3      # None, NaN or a str: no number row matches

# The plan leaves a column evaluates.
_ORDERINGS = ("lt", "le", "gt", "ge")
_COMPARISONS = ("eq", "ne", *_ORDERINGS)
_NULL_TESTS = ("is_null", "is_not_null")


# -- plans -------------------------------------------------------------------------------------------------


cdef bint supports(object plan, dict columns):
    """True when ``evaluate`` can run ``plan`` on ``columns`` (see the contract in ``_column_py.py``)."""
    if not isinstance(plan, tuple) or not plan:
        return False
    kind = plan[0]
    size = len(plan)
    if kind in _COMPARISONS and size == 3:
        return has_field(columns, plan[1]) and _simple(plan[2])
    if kind == "between" and size == 4:
        return has_field(columns, plan[1]) and _simple(plan[2]) and _simple(plan[3])
    if kind == "in" and size == 3:
        values = plan[2]
        return has_field(columns, plan[1]) and isinstance(values, tuple) and all([_simple(v) for v in values])
    if kind in _NULL_TESTS and size == 2:
        return has_field(columns, plan[1])
    if kind in ("and", "or") and size == 2:
        children = plan[1]
        return (
            isinstance(children, tuple)
            and len(children) > 0
            and all([supports(child, columns) for child in children])
        )
    if kind == "not" and size == 2:
        return supports(plan[1], columns)
    return kind == "true" and size == 1


cdef bint _simple(object value):
    """True for an operand the vectors can compare with: None, bool, int within int64, float or str."""
    kind = type(value)
    if kind is int:
        return -(2**63) <= value <= 2**63 - 1
    return value is None or kind is bool or kind is float or kind is str


cdef int evaluate(tuple plan, dict columns, const Rows* rows, _Bitmap true, _Bitmap unsure,
                  const uint64_t* care) except -1:
    """Fill ``true`` and ``unsure`` with the live rows where ``plan`` (that ``supports`` accepts) is True and
    Unsure; with ``care``, only in the words where ``care`` has a bit (the others are left zero)."""
    cdef Py_ssize_t words = true.size
    cdef Py_ssize_t w
    cdef uint64_t live
    cdef uint64_t decided
    cdef bint both
    cdef _Bitmap child_true
    cdef _Bitmap child_unsure
    cdef _Bitmap false
    kind = plan[0]
    if kind == "and" or kind == "or":
        both = kind == "and"
        child_true = _Bitmap(words)
        child_unsure = _Bitmap(words)
        false = _Bitmap(words)
        for w in range(words):
            live = rows.live[w] if care is NULL else rows.live[w] & care[w]
            if both:
                true.words[w] = live
                unsure.words[w] = live
            else:
                true.words[w] = 0  # the buffer may hold a sibling's result
                false.words[w] = live
        for child in plan[1]:
            # In an AND, a word where nothing can still be True or Unsure needs no more reading.
            evaluate(child, columns, rows, child_true, child_unsure, unsure.words if both else care)
            for w in range(words):
                live = rows.live[w] if care is NULL else rows.live[w] & care[w]
                decided = live & ~(child_true.words[w] | child_unsure.words[w])
                if both:
                    true.words[w] &= child_true.words[w]
                    false.words[w] |= decided
                else:
                    true.words[w] |= child_true.words[w]
                    false.words[w] &= decided
                # The AND's rows still open (True or Unsure so far) steer its next child.
                unsure.words[w] = live & ~false.words[w]
        for w in range(words):
            live = rows.live[w] if care is NULL else rows.live[w] & care[w]
            unsure.words[w] = live & ~(true.words[w] | false.words[w])
        return 0
    if kind == "not":
        evaluate(plan[1], columns, rows, true, unsure, care)
        for w in range(words):
            live = rows.live[w] if care is NULL else rows.live[w] & care[w]
            true.words[w] = live & ~(true.words[w] | unsure.words[w])
        return 0
    if kind == "true":
        for w in range(words):
            true.words[w] = rows.live[w] if care is NULL else rows.live[w] & care[w]
            unsure.words[w] = 0
        return 0
    _leaf(<_Column>columns[plan[1]], plan, rows, true, unsure, care)
    return 0


cdef int _leaf(
    _Column column, tuple plan, const Rows* rows, _Bitmap true, _Bitmap unsure, const uint64_t* care
) except -1:
    cdef _Test test
    memset(&test, 0, sizeof(_Test))
    try:
        _prepare(&test, column, plan)
        _scan(&test, column, rows, true, unsure, care)
    finally:
        PyMem_Free(test.ints)
        PyMem_Free(test.floats)
        PyMem_Free(test.strings)
    return 0


# -- one leaf ----------------------------------------------------------------------------------------------


cdef struct _Test:
    # What one leaf does on number rows. An ordering (RANGE) is two bounds; on int rows they become the
    # closed int64 interval [low, high] (or never). Equality and membership (MEMBER) look the value up in
    # sorted int64 and double operand arrays, the answer flipped by ``negate`` (for ``ne``); an equality
    # with one int is the interval [x, x] too. When the bounds are doubles that compare exactly, float
    # rows test the closed interval [float_low, float_high].
    bint member
    bint negate
    bint numbers_never
    bint interval
    int64_t low
    int64_t high
    bint float_interval
    double float_low
    double float_high
    int low_kind
    int high_kind
    bint low_strict
    bint high_strict
    int64_t low_int
    int64_t high_int
    double low_float
    double high_float
    int64_t* ints
    Py_ssize_t int_count
    double* floats
    Py_ssize_t float_count
    # The other tags: NULL rows' answer, str rows' table (per code), and whether OTHER rows are decided.
    bint null_hit
    uint8_t* strings
    bint other_decided
    bint other_hit


def _value_test(tuple plan):
    """The leaf's test on one value (None, int, bool, float or str): the predicate core's meaning. Used
    once per distinct str and for None; numbers are tested in C."""
    kind = plan[0]
    if kind == "eq":
        return lambda value: bool(value == plan[2])
    if kind == "ne":
        return lambda value: bool(value != plan[2])
    if kind in _ORDERINGS:
        return _ordering(kind, plan[2])
    if kind == "between":
        low, high = _ordering("ge", plan[2]), _ordering("le", plan[3])
        return lambda value: low(value) and high(value)
    if kind == "in":
        values = frozenset(plan[2])
        return lambda value: value in values
    if kind == "is_null":
        return lambda value: value is None
    return lambda value: value is not None


def _string_truths(tuple plan, list strings, dict codes):
    """The leaf's answer per str code, as bytes of 0 and 1: ``_value_test`` on each str, computed without a
    Python call per str. Equality looks its str operands up in the dictionary (O(operands), however many
    distinct str the column holds); an ordering compares each str with its str bounds, and a bound that is
    not a str (a number, None, NaN) orders against no str."""
    kind = plan[0]
    cdef bytearray truths
    cdef object code
    if kind == "eq" or kind == "ne" or kind == "in":
        truths = bytearray(len(strings))
        for operand in (plan[2] if kind == "in" else (plan[2],)):
            if type(operand) is str:
                code = codes.get(operand)
                if code is not None:
                    truths[code] = 1
        return bytes(truths.translate(_FLIP) if kind == "ne" else truths)
    if kind == "is_null":
        return bytes(len(strings))
    if kind == "is_not_null":
        return b"\x01" * len(strings)
    if not all([type(bound) is str for bound in plan[2:]]):
        return bytes(len(strings))
    bound = plan[2]
    if kind == "gt":
        return bytes([text > bound for text in strings])
    if kind == "ge":
        return bytes([text >= bound for text in strings])
    if kind == "lt":
        return bytes([text < bound for text in strings])
    if kind == "le":
        return bytes([text <= bound for text in strings])
    high = plan[3]
    return bytes([bound <= text <= high for text in strings])


# Swaps the bytes 0 and 1 (the answers of ``eq`` into those of ``ne``).
_FLIP = bytes([1, 0]) + bytes(range(2, 256))


def _ordering(kind, operand):
    def test(value):
        if value is None or operand is None:
            return False
        try:
            if kind == "lt":
                return bool(value < operand)
            if kind == "le":
                return bool(value <= operand)
            if kind == "gt":
                return bool(value > operand)
            return bool(value >= operand)
        except TypeError:  # str against a number: never a match
            return False

    return test


# -- one leaf on number rows -------------------------------------------------------------------------------


cdef int _prepare(_Test* test, _Column column, tuple plan) except -1:
    """Fill ``test`` for ``plan``: the NULL answer from the Python test, the str table per code, the
    number part from the operands."""
    cdef Py_ssize_t distinct = len(column.strings)
    cdef bytes truths = _string_truths(plan, column.strings, column.codes)
    kind = plan[0]
    test.null_hit = _value_test(plan)(None)
    test.strings = <uint8_t*>PyMem_Malloc(max(distinct, 1))
    if test.strings is NULL:
        raise MemoryError()
    memcpy(test.strings, <const char*>truths, distinct)
    # OTHER values are not None: a null test decides them; any other leaf needs the record.
    test.other_decided = kind in _NULL_TESTS
    test.other_hit = kind == "is_not_null"
    if kind in _ORDERINGS or kind == "between":
        test.member = False
        if kind == "between":
            _bound(&test.low_kind, &test.low_int, &test.low_float, plan[2])
            _bound(&test.high_kind, &test.high_int, &test.high_float, plan[3])
        elif kind == "gt" or kind == "ge":
            _bound(&test.low_kind, &test.low_int, &test.low_float, plan[2])
            test.low_strict = kind == "gt"
        else:
            _bound(&test.high_kind, &test.high_int, &test.high_float, plan[2])
            test.high_strict = kind == "lt"
        _int_interval(test)
        _float_interval(test)
    else:
        test.member = True
        test.negate = kind == "ne" or kind == "is_not_null"
        if kind == "in":
            _operands(test, plan[2])
        elif kind == "eq" or kind == "ne":
            _operands(test, (plan[2],))
        if test.int_count == 1 and test.float_count == 0:
            test.interval = True
            test.low = test.high = test.ints[0]
    return 0


cdef int _bound(int* kind, int64_t* as_int, double* as_float, object operand) except -1:
    cdef double real
    if type(operand) is int or type(operand) is bool:
        kind[0] = _INT_BOUND
        as_int[0] = operand
    elif type(operand) is float and not isnan(operand):
        kind[0] = _FLOAT_BOUND
        real = operand
        as_float[0] = real
    else:
        kind[0] = _NEVER
    return 0


cdef void _int_interval(_Test* test) noexcept:
    """The closed int64 interval [low, high] of the ints that satisfy both bounds, if any (``interval``).
    Float rows keep the bounds themselves: ``gt 2**63 - 1`` admits no int, but admits 1e300."""
    cdef double rounded
    cdef int64_t low = INT64_MIN
    cdef int64_t high = INT64_MAX
    cdef bint empty = False
    test.numbers_never = test.low_kind == _NEVER or test.high_kind == _NEVER
    if test.low_kind == _INT_BOUND:
        low = test.low_int
        if test.low_strict:
            if low == INT64_MAX:
                empty = True
            else:
                low += 1
    elif test.low_kind == _FLOAT_BOUND:
        rounded = ceil(test.low_float)
        if rounded >= TWO_63:
            empty = True
        elif rounded >= -TWO_63:
            low = <int64_t>rounded
            if test.low_strict and rounded == test.low_float:
                if low == INT64_MAX:
                    empty = True
                else:
                    low += 1
    if test.high_kind == _INT_BOUND:
        high = test.high_int
        if test.high_strict:
            if high == INT64_MIN:
                empty = True
            else:
                high -= 1
    elif test.high_kind == _FLOAT_BOUND:
        rounded = floor(test.high_float)
        if rounded < -TWO_63:
            empty = True
        elif rounded < TWO_63:
            high = <int64_t>rounded
            if test.high_strict and rounded == test.high_float:
                if high == INT64_MIN:
                    empty = True
                else:
                    high -= 1
    test.interval = not (empty or test.numbers_never or low > high)
    test.low = low
    test.high = high


cdef bint _exact_bound(
    int kind, int64_t as_int, double as_float, bint strict, double toward, double* out
) noexcept:
    """The bound as a closed double bound, when doubles compare with it exactly: a finite float, or an int
    that a double holds exactly; a strict bound moves to the next double."""
    cdef double bound
    if kind == _NO_BOUND:
        out[0] = -toward
        return True
    if kind == _FLOAT_BOUND and not isnan(as_float) and fabs(as_float) != INFINITY:
        bound = as_float
    elif kind == _INT_BOUND and -9007199254740992 <= as_int <= 9007199254740992:
        bound = <double>as_int
    else:
        return False
    out[0] = nextafter(bound, toward) if strict else bound
    return True


cdef void _float_interval(_Test* test) noexcept:
    test.float_interval = (
        _exact_bound(test.low_kind, test.low_int, test.low_float, test.low_strict, INFINITY, &test.float_low)
        and _exact_bound(
            test.high_kind, test.high_int, test.high_float, test.high_strict, -INFINITY, &test.float_high
        )
    )


cdef int _operands(_Test* test, tuple values) except -1:
    """The number operands of an equality or membership, sorted: ints (and floats equal to an int) as
    int64, the other floats as doubles. None and str are answered by the NULL answer and the str table;
    NaN equals nothing."""
    cdef list ints = []
    cdef list floats = []
    cdef double real
    cdef Py_ssize_t i
    for value in values:
        if type(value) is int or type(value) is bool:
            ints.append(int(value))
        elif type(value) is float:
            real = value
            if isnan(real):
                continue
            if integral(real):
                ints.append(<int64_t>real)
            else:
                floats.append(real)
    ints = sorted(set(ints))
    floats = sorted(set(floats))
    test.ints = <int64_t*>PyMem_Malloc(max(len(ints), 1) * sizeof(int64_t))
    test.floats = <double*>PyMem_Malloc(max(len(floats), 1) * sizeof(double))
    if test.ints is NULL or test.floats is NULL:
        raise MemoryError()
    for i in range(len(ints)):
        test.ints[i] = ints[i]
    for i in range(len(floats)):
        test.floats[i] = floats[i]
    test.int_count = len(ints)
    test.float_count = len(floats)
    return 0


# The two payloads a member test looks values up in (its sorted ints, its sorted floats).
ctypedef fused _payload:
    int64_t
    double


cdef inline bint _find(const _payload* values, Py_ssize_t count, _payload value) noexcept nogil:
    """Whether the sorted ``values`` hold ``value`` (a binary search)."""
    cdef Py_ssize_t low = 0
    cdef Py_ssize_t high = count
    cdef Py_ssize_t middle
    while low < high:
        middle = (low + high) >> 1
        if values[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low < count and values[low] == value


cdef inline bint _hit_int(const _Test* test, int64_t value) noexcept nogil:
    cdef uint64_t span
    if test.interval:
        span = <uint64_t>test.high - <uint64_t>test.low
        return (<uint64_t>value - <uint64_t>test.low <= span) != test.negate
    if test.member:
        return _find(test.ints, test.int_count, value) != test.negate
    return False


cdef inline bint _hit_float(const _Test* test, double value) noexcept nogil:
    cdef int side
    if test.member:
        if integral(value):
            return _find(test.ints, test.int_count, <int64_t>value) != test.negate
        return _find(test.floats, test.float_count, value) != test.negate
    if test.numbers_never:
        return False
    if test.float_interval:
        return test.float_low <= value <= test.float_high
    if test.low_kind == _INT_BOUND:
        side = -compare_int_double(test.low_int, value)  # value against the bound
        if side < 0 or (side == 0 and test.low_strict):
            return False
    elif test.low_kind == _FLOAT_BOUND:
        if value < test.low_float or (value == test.low_float and test.low_strict):
            return False
    if test.high_kind == _INT_BOUND:
        side = -compare_int_double(test.high_int, value)
        if side > 0 or (side == 0 and test.high_strict):
            return False
    elif test.high_kind == _FLOAT_BOUND:
        if value > test.high_float or (value == test.high_float and test.high_strict):
            return False
    return True


cdef inline int _row(
    const _Test* test, const uint8_t* tags, const Payload* values, Py_ssize_t row
) noexcept nogil:
    """The leaf on one row: 1 True, 0 False, 2 Unsure."""
    cdef uint8_t tag = tags[row]
    if tag == TAG_INT or tag == TAG_BOOL:
        return _hit_int(test, values[row].i)
    if tag == TAG_FLOAT:
        return _hit_float(test, values[row].d)
    if tag == TAG_STR:
        return test.strings[values[row].i]
    if tag == TAG_NULL:
        return test.null_hit
    if test.other_decided:
        return test.other_hit
    return 2


# Whole words of a uniform column: four independent accumulators, so that the ORs of one word do not wait
# on each other (one chain of 64 would cost a cycle per row).


cdef inline uint64_t _word_of_ints(const Payload* values, uint64_t low, uint64_t span) noexcept nogil:
    """Bit j: ``values[j]`` (int) lies in the interval [low, low + span]."""
    cdef uint64_t a = 0
    cdef uint64_t b = 0
    cdef uint64_t c = 0
    cdef uint64_t d = 0
    cdef int j
    for j in range(0, 64, 4):
        a |= (<uint64_t>(<uint64_t>values[j].i - low <= span)) << j
        b |= (<uint64_t>(<uint64_t>values[j + 1].i - low <= span)) << (j + 1)
        c |= (<uint64_t>(<uint64_t>values[j + 2].i - low <= span)) << (j + 2)
        d |= (<uint64_t>(<uint64_t>values[j + 3].i - low <= span)) << (j + 3)
    return a | b | c | d


cdef inline uint64_t _word_of_floats(const Payload* values, double low, double high) noexcept nogil:
    """Bit j: ``values[j]`` (double) lies in the interval [low, high]."""
    cdef uint64_t a = 0
    cdef uint64_t b = 0
    cdef uint64_t c = 0
    cdef uint64_t d = 0
    cdef int j
    for j in range(0, 64, 4):
        a |= (<uint64_t>(low <= values[j].d <= high)) << j
        b |= (<uint64_t>(low <= values[j + 1].d <= high)) << (j + 1)
        c |= (<uint64_t>(low <= values[j + 2].d <= high)) << (j + 2)
        d |= (<uint64_t>(low <= values[j + 3].d <= high)) << (j + 3)
    return a | b | c | d


cdef inline uint64_t _word_of_strings(const Payload* values, const uint8_t* table) noexcept nogil:
    """Bit j: the truth table holds 1 for ``values[j]``'s str code."""
    cdef uint64_t a = 0
    cdef uint64_t b = 0
    cdef uint64_t c = 0
    cdef uint64_t d = 0
    cdef int j
    for j in range(0, 64, 4):
        a |= (<uint64_t>table[values[j].i]) << j
        b |= (<uint64_t>table[values[j + 1].i]) << (j + 1)
        c |= (<uint64_t>table[values[j + 2].i]) << (j + 2)
        d |= (<uint64_t>table[values[j + 3].i]) << (j + 3)
    return a | b | c | d


# A word with at most this many open rows is evaluated row by row (following its bits) rather than whole.
cdef int _SPARSE = 8


cdef void _scan(
    const _Test* test,
    _Column column,
    const Rows* rows,
    _Bitmap true,
    _Bitmap unsure,
    const uint64_t* care,
) noexcept:
    """One leaf over the column: per 64-row word, the True bits and the Unsure bits of the open rows (live,
    and in ``care`` when given)."""
    cdef Py_ssize_t words = true.size
    cdef Py_ssize_t slots = rows.slots
    cdef const uint64_t* live = rows.live
    cdef Py_ssize_t w
    cdef Py_ssize_t row
    cdef Py_ssize_t base
    cdef Py_ssize_t end
    cdef int j
    cdef int answer
    cdef const uint8_t* tags = column.tags
    cdef const Payload* values = column.values
    cdef const uint8_t* strings = test.strings
    cdef uint64_t hits
    cdef uint64_t doubts
    cdef uint64_t open_rows
    cdef uint64_t rest
    cdef uint64_t low = <uint64_t>test.low
    cdef uint64_t span = <uint64_t>test.high - <uint64_t>test.low
    # Uniform columns (every live row of one kind) skip the tag switch on whole words; tombstones compute
    # garbage that the open mask drops.
    cdef int mode = 0
    cdef uint64_t flip = ~(<uint64_t>0) if test.negate else 0
    if column.only(rows.rows, TAG_INT, TAG_BOOL) and test.interval:
        mode = 1
    elif column.only(rows.rows, TAG_STR, TAG_STR):
        mode = 2
    elif column.only(rows.rows, TAG_FLOAT, TAG_FLOAT) and test.float_interval and not test.member:
        mode = 3
    for w in range(words):
        open_rows = live[w] if care is NULL else live[w] & care[w]
        hits = 0
        doubts = 0
        base = w << 6
        if open_rows == 0:
            pass
        elif popcount(open_rows) <= _SPARSE:
            rest = open_rows
            while rest:
                j = ctz(rest)
                rest &= rest - 1
                if mode == 1:
                    answer = (<uint64_t>values[base + j].i - low <= span) != test.negate
                elif mode == 3:
                    answer = test.float_low <= values[base + j].d <= test.float_high
                elif mode == 2:
                    answer = strings[values[base + j].i]
                else:
                    answer = _row(test, tags, values, base + j)
                if answer == 1:
                    hits |= (<uint64_t>1) << j
                elif answer == 2:
                    doubts |= (<uint64_t>1) << j
        elif mode == 1 and base + 64 <= slots:
            hits = _word_of_ints(values + base, low, span) ^ flip
        elif mode == 3 and base + 64 <= slots:
            hits = _word_of_floats(values + base, test.float_low, test.float_high)
        elif mode == 2 and base + 64 <= slots:
            hits = _word_of_strings(values + base, strings)
        else:
            end = min(base + 64, slots)
            row = base
            while row < end:
                answer = _row(test, tags, values, row)
                if answer == 1:
                    hits |= (<uint64_t>1) << (row - base)
                elif answer == 2:
                    doubts |= (<uint64_t>1) << (row - base)
                row += 1
        true.words[w] = hits & open_rows
        unsure.words[w] = doubts & open_rows
