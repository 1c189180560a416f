"""``progress=`` of the long operations (imports, ``save``, ``load``, ``DictDB.open``): the one place that
checks the argument, throttles the calls and draws the bar.

An operation asks ``reporting`` for a ``Progress`` (``None`` when progress is off: callers then do no work
for it at all) and calls ``Progress.at(done, of)`` at chunk granularity (every batch of records, every
chunk of a file), never per record: ``at`` looks at the clock each time and calls the user at most every
``INTERVAL`` seconds. An operation made of steps (read the file, convert, build the table) gives each step
its share of the count with ``Progress.part``, so the count moves evenly over the whole operation.
``Progress.finish`` makes the last call, ``done == total``, once the work is complete but before it is
made visible (a saved file renamed into place, a loaded database returned, an imported table kept): a
callback that raises there still undoes everything.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: Lines read between two looks at how far into the file a reader is.
_LINES = 1024

__all__ = [
    "INTERVAL",
    "Progress",
    "ProgressOption",
    "check_progress",
    "counted_lines",
    "file_size",
    "reporting",
]

#: What ``progress=`` takes: ``None`` or ``False`` (off), ``True`` (a bar on stderr), or a callable
#: ``progress(done, total)``.
ProgressOption = bool | Callable[[int, int], object] | None

#: The shortest time, in seconds, between two calls of the callback (the first and the last excepted).
INTERVAL = 0.1

#: The clock ``Progress`` reads; a module attribute so tests can put a fake clock in its place.
clock: Callable[[], float] = time.monotonic


def check_progress(progress: object) -> None:
    """``TypeError`` unless ``progress`` is ``None``, a bool or a callable: checked before any work.

    Example:
        >>> check_progress(print), check_progress(None), check_progress(True)
        (None, None, None)
        >>> check_progress("yes")
        Traceback (most recent call last):
        ...
        TypeError: progress takes True, False, None or a callable progress(done, total), not str 'yes'
    """
    if progress is None or isinstance(progress, bool) or callable(progress):
        return
    raise TypeError(
        "progress takes True, False, None or a callable progress(done, total), "
        f"not {type(progress).__name__} {progress!r}"
    )


def file_size(path: str | os.PathLike[str]) -> int | None:
    """The size of the file ``path`` in bytes, or ``None`` when it is no file that can be read (missing, a
    folder): the operation raises for that, with no progress reported."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found.st_size if stat.S_ISREG(found.st_mode) else None


class _Count:
    """What every ``Progress`` view of one operation shares: the callback, the total, the last call."""

    __slots__ = ("done", "last", "report", "total")

    def __init__(self, report: Callable[[int, int], object], total: int) -> None:
        self.report = report
        self.total = total
        self.done = 0
        self.last = clock()


class Progress:
    """One operation's count, ``0`` to ``total``; a view of a share of it when made by ``part``.

    Example:
        >>> calls = []
        >>> count = Progress(lambda done, total: calls.append((done, total)), 1000)
        >>> reading = count.part(0.0, 0.5)  # reading.at(1, 2) reports 250 (if 0.1 s has passed)
        >>> count.finish(); calls
        [(0, 1000), (1000, 1000)]
    """

    __slots__ = ("_count", "_start", "_width")

    def __init__(self, report: Callable[[int, int], object], total: int) -> None:
        self._count = _Count(report, total)
        self._start = 0.0
        self._width = 1.0
        report(0, total)

    def part(self, start: float, stop: float) -> Progress:
        """A view whose ``at(done, of)`` moves the count from ``start`` to ``stop`` (shares of this view)."""
        view = Progress.__new__(Progress)
        view._count = self._count
        view._start = self._start + start * self._width
        view._width = (stop - start) * self._width
        return view

    def at(self, done: int, of: int) -> None:
        """``done`` of ``of`` units of this view's work are finished: reported when ``INTERVAL`` has passed
        since the last call. The count never goes back, and reaches ``total`` only through ``finish``."""
        count = self._count
        now = clock()
        if now - count.last < INTERVAL:
            return
        share = self._start + self._width * (done / of if of > 0 else 1.0)
        value = min(int(count.total * share), count.total - 1)
        if value <= count.done:
            return
        count.done = value
        count.last = now
        count.report(value, count.total)

    def finish(self) -> None:
        """The last call: ``done == total``, whatever the clock says."""
        count = self._count
        count.done = count.total
        count.report(count.total, count.total)


def counted_lines(f: TextIO, progress: Progress) -> Iterator[str]:
    """The lines of the text file ``f``, ``progress`` counting the bytes read of its size every ``_LINES``
    lines (the position of the buffer under the text: exact to its 8 kB reads)."""
    size = os.fstat(f.fileno()).st_size
    for number, line in enumerate(f):
        if not number % _LINES:
            progress.at(f.buffer.tell(), size)
        yield line
    progress.at(1, 1)


@contextmanager
def reporting(
    progress: ProgressOption, total: int | None, unit: str, label: str
) -> Iterator[Progress | None]:
    """A ``Progress`` of ``total`` units for the block, or ``None`` when ``progress`` is off or ``total`` is
    unknown (``None``: a file that cannot be read, for which the block raises). ``True`` draws a bar on
    stderr, closed when the block ends however it ends."""
    if progress is None or progress is False or total is None:
        yield None
        return
    if progress is True:
        bar = _bar(total, unit, label)
        try:
            yield Progress(bar.show, total)
        finally:
            bar.close()
    else:
        yield Progress(progress, total)


class _Line:
    """The bar without ``tqdm``: one line on stderr, rewritten in place, ended by a newline."""

    def __init__(self, unit: str, label: str, out: TextIO) -> None:
        self._unit = unit
        self._label = label
        self._out = out

    def show(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        self._out.write(f"\r{self._label}: {percent:3d}% ({done:,}/{total:,} {self._unit})")
        self._out.flush()

    def close(self) -> None:
        self._out.write("\n")
        self._out.flush()


class _Tqdm:
    """The bar through ``tqdm``: ``show`` moves it to ``done``."""

    def __init__(self, tqdm: Any, total: int, unit: str, label: str) -> None:
        scale = unit == "B"
        self._bar = tqdm(
            total=total, unit=unit, unit_scale=scale, unit_divisor=1024 if scale else 1000, desc=label,
            file=sys.stderr, mininterval=INTERVAL, leave=True,
        )  # fmt: skip

    def show(self, done: int, total: int) -> None:
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def _bar(total: int, unit: str, label: str) -> _Line | _Tqdm:
    """``tqdm``'s bar when it is installed (imported only now: the library does not need it), else a line."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _Line(unit, label, sys.stderr)
    return _Tqdm(tqdm, total, unit, label)
