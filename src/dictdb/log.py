"""Logging on loguru: silent until the application asks, and nearly free on the hot path while silent.

The library calls ``logger.disable("dictdb")`` at import (loguru's convention for libraries); the
application turns it on with ``configure_logging(...)`` or ``logger.enable("dictdb")``. Each table-level
operation logs at most one line (INFO for writes, files and the table registry; DEBUG for reads), with
``{}`` placeholders and the extras ``table``, ``op`` and ``count`` (plus ``path`` for files), never one
line per record.

Every module that logs holds a ``Gate`` (``_logs = log.Gate(__name__)``) and logs only through it: one call
per table-level operation, ``_logs.event("insert", self.table_name, count)``, and ``_logs.warning``,
``error``, ``exception`` for the rare lines about failures (those go straight to loguru, which decides).

``event`` first compares ``core.enabled``, a dict of loguru's that every ``enable``/``disable`` replaces
(never edits) and so stands for loguru's activation state, with ``quiet``, the state under which its module
was last found disabled. While nothing changes, that is one identity check behind one call (a few tens of
ns) and nothing else runs: no message, no frame lookup. Any ``enable``/``disable``, by ``configure_logging``,
``dictdb.logger`` or loguru's own logger, makes the next call look again, by loguru's own rule. loguru offers
no public way to ask whether a module is enabled short of logging a line through it (about 1 µs even when
the line is dropped), so the gate reads loguru's private state (see ``core`` below).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from collections.abc import Mapping
from typing import Any

from loguru import logger as _loguru

__all__ = ["Gate", "configure_logging", "logger"]

#: The library's logger: loguru's, with ``extra["name"] = "dictdb"`` bound.
logger = _loguru.bind(name="dictdb")

_loguru.disable("dictdb")


class _Fallback:
    """Stands in for loguru's state should a future loguru rename it: each ``enabled`` read is a new object,
    so every call goes to loguru, which decides (still correct, only slower); tests/test_logging.py fails
    loudly in that case."""

    activation_list: tuple[tuple[str, bool], ...] = ()
    min_level = 0

    @property
    def enabled(self) -> object:
        return object()


#: loguru's shared state, private to loguru (hence the fallback): ``enabled`` (see above), ``activation_list``
#: (``(module prefix + ".", enabled)``, deepest first) and ``min_level`` (the lowest level a handler takes).
core: Any = getattr(_loguru, "_core", None)
if not all(hasattr(core, name) for name in ("enabled", "activation_list", "min_level")):
    core = _Fallback()

_INFO = 20
_DEBUG = 10

#: One message per operation; loguru fills the ``{}`` fields from the extras, only when it emits.
_MESSAGES = {
    "create_table": "created table {table!r}",
    "drop_table": "dropped table {table!r}",
    "insert": "inserted {count} records into table {table!r}",
    "update": "updated {count} records of table {table!r}",
    "delete": "deleted {count} records of table {table!r}",
    "select": "select on table {table!r} returned {count} records",
    "aggregate": "aggregate on table {table!r} returned {count} rows",
    "save": "saved {count} tables to {path}",
    "load": "loaded {count} tables from {path}",
    "import_csv": "imported {count} records into table {table!r} from {path}",
    "export_csv": "exported {count} records of table {table!r} to {path}",
    "import_jsonl": "imported {count} records into table {table!r} from {path}",
    "export_jsonl": "exported {count} records of table {table!r} to {path}",
    "import_parquet": "imported {count} records into table {table!r} from {path}",
    "export_parquet": "exported {count} records of table {table!r} to {path}",
    "from_arrow": "created table {table!r} with {count} records from an Arrow table",
    "to_arrow": "converted {count} records of table {table!r} to an Arrow table",
    "open": "opened {path}: {count} tables, {frames} journal frames replayed",
    "checkpoint": "checkpoint of {path}: {count} tables in snapshot {generation}",
    "close": "closed {path}",
}

#: The operations logged at DEBUG: reads, which are frequent (and sampled); the rest log at INFO.
_READS = frozenset({"select", "aggregate", "to_arrow"})

_sample_every = 1
_debug_seen = itertools.count()

#: Handlers added by configure_logging, removed by the next call.
_handlers: list[int] = []
_default_replaced = False


class Gate:
    """One module's switch and its only way to log: ``event`` for a table-level operation, ``warning``,
    ``error`` and ``exception`` for failures. ``quiet`` is loguru's state (``core.enabled``) under which
    the module's messages were found disabled, or ``None``; ``info`` and ``debug`` look again and log when
    the module is enabled.

    Example:
        >>> from dictdb import log
        >>> logs = log.Gate("dictdb.example")
        >>> logs.event("create_table", "t")  # the library is disabled: nothing is logged
        >>> logs.core.enabled is logs.quiet
        True
    """

    __slots__ = ("core", "name", "quiet")

    def __init__(self, name: str) -> None:
        self.core = core
        self.name = name
        self.quiet: object = None

    def event(
        self,
        op: str,
        table: Any = None,
        count: int | None = None,
        details: Mapping[str, Any] | None = None,
        _depth: int = 1,
    ) -> None:
        """Log the line of the operation ``op`` (``_MESSAGES``), with ``details`` as more extras (``path``):
        DEBUG for a read, INFO otherwise, attributed to the caller ``_depth`` frames up (the write's own
        method, when a shared helper logs for it). While the module stays disabled this is one identity
        check. The signature keeps that call cheap: ``details`` is a plain argument (``**details`` would
        build a dict per call) and nothing is keyword-only (CPython's fast call path skips such functions)."""
        if core.enabled is self.quiet:
            return
        emit = self.debug if op in _READS else self.info
        emit(op, table, count, _depth=_depth + 1, **(details or {}))

    def info(
        self, op: str, table: Any = None, count: int | None = None, *, _depth: int = 1, **details: Any
    ) -> None:
        """Log one INFO line for a table-level operation, attributed to the caller ``_depth`` frames up."""
        if self._open(_INFO):
            logger.opt(depth=_depth).info(_MESSAGES[op], op=op, table=table, count=count, **details)

    def debug(
        self, op: str, table: Any = None, count: int | None = None, *, _depth: int = 1, **details: Any
    ) -> None:
        """Log one DEBUG line for a read, keeping one in ``sample_debug_every`` of them."""
        if self._open(_DEBUG) and (_sample_every == 1 or next(_debug_seen) % _sample_every == 0):
            logger.opt(depth=_depth).debug(_MESSAGES[op], op=op, table=table, count=count, **details)

    def warning(self, message: str, *args: Any, **kwargs: Any) -> None:
        """A WARNING line (a torn journal write, a failed retention): loguru formats ``message`` with
        ``args`` and ``kwargs`` (which also become extras) and attributes it to the caller."""
        logger.opt(depth=1).warning(message, *args, **kwargs)

    def error(self, message: str, *args: Any, **kwargs: Any) -> None:
        """An ERROR line, as ``warning``."""
        logger.opt(depth=1).error(message, *args, **kwargs)

    def exception(self, message: str, *args: Any, **kwargs: Any) -> None:
        """An ERROR line with the traceback of the exception being handled, as ``warning``."""
        logger.opt(depth=1).exception(message, *args, **kwargs)

    def _open(self, level: int) -> bool:
        # Read the state before the rule: if an enable/disable lands in between, ``quiet`` holds the old
        # state, ``event`` sees a new one, and the next call looks again.
        state = core.enabled
        if not _activated(self.name):
            self.quiet = state
            return False
        self.quiet = None
        return bool(core.min_level <= level)  # else no handler wants the line: spare building it


def _activated(name: str) -> bool:
    """loguru's rule: the deepest prefix in the activation list that matches ``name`` decides (none: on)."""
    dotted = name + "."
    for prefix, status in core.activation_list:
        if dotted[: len(prefix)] == prefix:
            return bool(status)
    return True


def configure_logging(
    level: str | int = "INFO",
    console: bool = True,
    logfile: str | os.PathLike[str] | None = None,
    *,
    json: bool = False,
    sample_debug_every: int | None = None,
) -> list[int]:
    """Send DictDB's log lines to the console (stderr) and/or ``logfile``, at ``level`` and above.

    Enables the ``dictdb`` logger and returns the ids of the loguru handlers it added (``logger.remove(id)``
    removes one). Calling it again replaces what the previous call set up. ``json=True`` writes one JSON
    object per line (loguru's ``serialize``), with the extras ``table``, ``op``, ``count``.
    ``sample_debug_every=N`` keeps one DEBUG line in N (reads are frequent; writes log at INFO, unsampled).
    ``console=False`` without a ``logfile`` silences DictDB's lines (and removes what a previous call set
    up); it returns ``[]``.

    loguru's default stderr handler, when the application still has it, would print DictDB's lines as
    well (at every level); it is replaced by the same handler minus DictDB's lines, so the application's
    own messages print as before.

    Example:
        >>> import os, tempfile
        >>> from dictdb import DictDB, configure_logging, logger
        >>> path = os.path.join(tempfile.mkdtemp(), "dictdb.log")
        >>> ids = configure_logging("INFO", console=False, logfile=path)
        >>> _ = DictDB().create_table("users")
        >>> for handler in ids: logger.remove(handler)
        >>> logger.disable("dictdb")
        >>> "created table 'users'" in open(path).read()
        True
    """
    global _sample_every, _debug_seen, _default_replaced
    if sample_debug_every is not None and (
        not isinstance(sample_debug_every, int)
        or isinstance(sample_debug_every, bool)
        or sample_debug_every < 1
    ):
        raise ValueError(f"sample_debug_every must be a positive int or None, not {sample_debug_every!r}")
    sinks: list[Any] = ([sys.stderr] if console else []) + ([logfile] if logfile is not None else [])
    _check_level(level)
    for handler in _handlers:
        _remove_quietly(handler)
    _handlers.clear()
    if not sinks:
        # Nowhere to log to: silence, as dctdb allowed. Only DictDB's lines: the application's own
        # handlers and messages are its business. Disabled, the hot path pays nothing for its lines.
        _loguru.disable("dictdb")
        return []
    for sink in sinks:
        _handlers.append(_loguru.add(sink, level=level, filter="dictdb", serialize=json))
    if not _default_replaced:
        _default_replaced = _replace_default_handler()
    _sample_every = sample_debug_every or 1
    _debug_seen = itertools.count()
    _loguru.enable("dictdb")
    return list(_handlers)


def _check_level(level: Any) -> None:
    """Refuse a bad level before anything changes (loguru would refuse it only once handlers are gone)."""
    if isinstance(level, str):
        _loguru.level(level)  # ValueError naming the level when loguru has no such level
    elif not isinstance(level, int) or isinstance(level, bool) or level < 0:
        raise ValueError(f"level must be a level name such as 'INFO' or a number >= 0, not {level!r}")


def _replace_default_handler() -> bool:
    """Swap loguru's default handler (id 0) for one that skips DictDB's lines; False when it is gone."""
    try:
        _loguru.remove(0)
    except ValueError:  # the application removed or replaced it: its handlers are its business
        return False
    _loguru.add(sys.stderr, filter={"dictdb": False})
    return True


def _remove_quietly(handler: int) -> None:
    with contextlib.suppress(ValueError):  # the application removed it already
        _loguru.remove(handler)
