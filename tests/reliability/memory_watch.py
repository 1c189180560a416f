"""Memory and file descriptors over time, for the long-running reliability tests: a thread samples the
process's resident set size and its open file descriptors, and a least-squares slope over the samples
after a warm-up says whether they grow.

``/proc/self/statm`` and ``/proc/self/fd`` are Linux's; elsewhere ``rss`` falls back on ``resource``'s peak
(which only grows, so a slope over it is an upper bound) and ``open_fds`` is ``None``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

#: Seconds between two samples.
INTERVAL = 0.1


def rss() -> int:
    """The resident set size in bytes (the peak, where ``/proc`` is missing; 0 without ``resource``)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def open_fds() -> int | None:
    """How many file descriptors the process has open, or ``None`` where ``/proc/self/fd`` is missing."""
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # the listing's own descriptor
    except OSError:
        return None


def slope(points: list[tuple[float, float]]) -> float:
    """The least-squares slope of ``(x, y)`` points: y units per x unit (0 for fewer than two x values).

    Example:
        >>> slope([(0, 1.0), (1, 3.0), (2, 5.0)])
        2.0
        >>> slope([(0, 4.0)])
        0.0
    """
    n = len(points)
    if n < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


class Watch:
    """Samples ``(seconds since start, RSS bytes, open fds)`` every ``interval`` in a daemon thread, from
    ``start()`` to ``stop()``; and ``size()``, when given, into ``sizes`` (how much data the process holds,
    which the RSS may follow)."""

    def __init__(self, interval: float = INTERVAL, size: Callable[[], int] | None = None) -> None:
        self.interval = interval
        self.size = size
        self.samples: list[tuple[float, int, int | None]] = []
        self.sizes: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-watch", daemon=True)
        self._started = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10 * self.interval + 10)

    def _run(self) -> None:
        while True:
            now = time.monotonic() - self._started
            self.samples.append((now, rss(), open_fds()))
            if self.size is not None:
                self.sizes.append((now, self.size()))
            if self._stop.wait(self.interval):
                return

    def after(self, warm_up: float) -> list[tuple[float, int, int | None]]:
        """The samples taken ``warm_up`` seconds or more after the start."""
        return [sample for sample in self.samples if sample[0] >= warm_up]

    def rss_slope(self, warm_up: float) -> float:
        """How fast the RSS grew after ``warm_up``: MiB per minute."""
        return slope([(t / 60, size / 2**20) for t, size, _ in self.after(warm_up)])

    def size_slope(self, warm_up: float) -> float:
        """How fast ``size()`` grew after ``warm_up``: units per minute."""
        return slope([(t / 60, float(size)) for t, size in self.sizes if t >= warm_up])

    def fd_slope(self, warm_up: float) -> float:
        """How fast the open descriptors grew after ``warm_up``: descriptors per minute (0 without /proc)."""
        return slope([(t / 60, float(fds)) for t, _, fds in self.after(warm_up) if fds is not None])
