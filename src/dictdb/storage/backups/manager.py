"""``BackupManager``: full and incremental backups of a database to a folder, periodic and on demand, and
the restore that reads them back. docs/backups.md is the guide; beside it are ``files`` (names, listing,
retention), ``restore`` (the chain a restore reads), ``changes`` (taking changes out) and ``delta`` (deltas).

Threads: backups run one at a time (``_backup_lock``). They run in the caller's thread for ``backup_*``,
in the periodic thread, and in a short-lived timer thread for ``notify_change``, which never backs up in the
caller's thread: it may be called from inside a write (``auto_notify``), where taking the database's locks
for a backup would invert the lock order. ``_state`` guards the scheduling fields only and is never held
while a backup runs.
"""

from __future__ import annotations

import math
import os
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from dictdb.database import DictDB
from dictdb.log import Gate
from dictdb.storage.backups import changes
from dictdb.storage.backups import files as backup_files
from dictdb.storage.backups.changes import Registry
from dictdb.storage.backups.delta import Delta, write_delta
from dictdb.storage.backups.restore import restore_folder
from dictdb.storage.files import persistence
from dictdb.storage.files.persistence import FORMATS
from dictdb.table import Table

__all__ = ["BackupManager"]

_logs = Gate(__name__)

#: ``on_backup_failure(exception, consecutive_failures)``, as ``dctdb`` calls it.
FailureCallback = Callable[[Exception, int], object]


class BackupManager:
    """Backs a database up to ``backup_dir``: every ``backup_interval`` seconds once started, on demand,
    and after changes (``notify_change``, debounced to one backup per ``min_backup_interval``).

    A full backup is a database file (``file_format``, ``"json"`` or ``"pickle"``); with
    ``incremental=True`` most backups are deltas (the changes since the previous backup), with a full one
    first and after every ``max_deltas_before_full`` deltas. ``keep=N`` deletes all but the newest N full
    backups (and their deltas) after each full backup. ``auto_notify=True`` calls ``notify_change()`` after
    every committed write, table creation and drop while the manager runs. A failed backup loses nothing:
    its changes go in the next one; ``on_backup_failure(exc, consecutive_failures)`` is called. Each manager
    tracks the changes since its own last backup: several managers on one database each back up everything.

    Example:
        >>> import tempfile
        >>> from dictdb import BackupManager, DictDB
        >>> db = DictDB()
        >>> db.create_table("users").insert({"name": "ada"})
        1
        >>> folder = tempfile.mkdtemp()
        >>> manager = BackupManager(db, folder, incremental=True)
        >>> manager.backup_now().name.startswith("dictdb_backup_")   # the first backup is a full one
        True
        >>> db.get_table("users").insert({"name": "bob"})
        2
        >>> manager.backup_now().name.startswith("dictdb_delta_")
        True
        >>> BackupManager.restore(folder).get_table("users").all()
        [{'name': 'ada', 'id': 1}, {'name': 'bob', 'id': 2}]
    """

    def __init__(
        self,
        db: DictDB,
        backup_dir: str | os.PathLike[str],
        backup_interval: float = 300,
        file_format: str = "json",
        min_backup_interval: float = 5.0,
        on_backup_failure: FailureCallback | None = None,
        incremental: bool = False,
        max_deltas_before_full: int = 10,
        *,
        keep: int | None = None,
        auto_notify: bool = False,
    ) -> None:
        _check_number("backup_interval", backup_interval, minimum=0.0, inclusive=False)
        _check_number("min_backup_interval", min_backup_interval, minimum=0.0, inclusive=True)
        if type(max_deltas_before_full) is not int or max_deltas_before_full < 0:
            raise ValueError(f"max_deltas_before_full must be an int >= 0, not {max_deltas_before_full!r}")
        if keep is not None and (type(keep) is not int or keep < 1):
            raise ValueError(f"keep must be None (keep every backup) or an int >= 1, not {keep!r}")
        if on_backup_failure is not None and not callable(on_backup_failure):
            raise TypeError(f"on_backup_failure must be a function or None, not {on_backup_failure!r}")
        name = file_format.lower() if isinstance(file_format, str) else None
        if name not in FORMATS:
            raise ValueError(f"file_format must be {' or '.join(map(repr, FORMATS))}, not {file_format!r}")
        self.db = db
        self.backup_dir = Path(backup_dir)
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        self.backup_interval = backup_interval
        self.file_format = name
        self.min_backup_interval = min_backup_interval
        self.incremental = incremental
        self.max_deltas_before_full = max_deltas_before_full
        self.keep = keep
        self.auto_notify = auto_notify
        self._on_backup_failure = on_backup_failure

        self._backup_lock = threading.RLock()  # one backup at a time; backup_now holds it to choose and run
        self._stamps = backup_files.Stamps(self.backup_dir)
        self._registry: Registry | None = None  # the tables at the last backup; None before the first
        # What changed in each table since this manager's last backup, whatever other managers take.
        self._views = changes.Views()
        self._base: str | None = None  # the file name of the last full backup this manager wrote
        self._previous: str | None = None  # the file name of the last delta written after it
        self._deltas_since_full = 0
        self._consecutive_failures = 0

        self._state = threading.Lock()
        self._finished = threading.Condition(self._state)  # notified after each backup attempt
        self._attempts = 0
        self._last_attempt = -math.inf  # time.monotonic() when the last backup started
        self._pending = False  # a notified backup is scheduled and has not started
        # A notified backup is running (or waiting for the backup lock), and a change notified since: one
        # more follows when it ends. So notifications never start a second thread that would wait behind it.
        self._running = False
        self._dirty = False
        self._release_pending = False  # stop() timed out: release the views when the running backup ends
        self._timers: list[threading.Timer] = []
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._watched: weakref.WeakSet[Table] = weakref.WeakSet()

    def __repr__(self) -> str:
        mode = "incremental" if self.incremental else "full"
        state = "running" if self._thread is not None else "stopped"
        return f"<BackupManager {str(self.backup_dir)!r}: {mode}, {self.file_format}, {state}>"

    @property
    def consecutive_failures(self) -> int:
        """How many backups failed in a row; 0 after a backup succeeds."""
        return self._consecutive_failures

    @property
    def deltas_since_full(self) -> int:
        """How many deltas were written since the last full backup."""
        return self._deltas_since_full

    # -- backups ------------------------------------------------------------------------------------------

    def backup_now(self) -> Path | None:
        """Back up now: a full backup, or with ``incremental=True`` a delta (a full one when this manager
        has written none yet, after ``max_deltas_before_full`` deltas, or after a failed backup). Returns the
        file written, or ``None`` when the backup failed or (for a delta) nothing changed.

        Example:
            >>> import tempfile
            >>> from dictdb import BackupManager, DictDB
            >>> BackupManager(DictDB(), tempfile.mkdtemp()).backup_now().suffix
            '.json'
        """
        with self._backup_lock:
            # After a failure, a full backup: a delta that cannot be written (a value only pickle holds)
            # would otherwise fail again and again, never reaching the full backup that can.
            delta_due = (
                self._deltas_since_full < self.max_deltas_before_full and not self._consecutive_failures
            )
            if self.incremental and self._base is not None and delta_due:
                return self.backup_delta()
            return self.backup_full()

    def backup_full(self) -> Path | None:
        """Write a full backup, ``dictdb_backup_<time>.<format>``; returns its path, or ``None`` when it
        failed (reported to ``on_backup_failure``). A consistent snapshot of every table; the next delta
        holds the changes made after it.

        Example:
            >>> import tempfile
            >>> from dictdb import BackupManager, DictDB
            >>> BackupManager(DictDB(), tempfile.mkdtemp(), file_format="pickle").backup_full().suffix
            '.pickle'
        """
        with self._backup_lock:
            self._begin()
            path = self.backup_dir / backup_files.full_name(self._stamps.next(), self.file_format)
            drained: changes.Drained | None = None
            try:
                snap, drained, registry = changes.take_full(self.db, self._views)
                persistence.write_snapshot(snap, path, self.file_format)
            except Exception as exc:
                if drained is not None:
                    drained.put_back()
                self._failed(exc, path)
                return None
            self._registry, self._base, self._previous, self._deltas_since_full = registry, path.name, None, 0
            self._succeeded()
            if self.keep is not None:
                self._prune(self.keep)
            return path

    def backup_delta(self) -> Path | None:
        """Write a delta, ``dictdb_delta_<time>.json``: the changes since this manager's previous backup.
        Returns its path; ``None`` when nothing changed (no file) or it failed (reported to
        ``on_backup_failure``; its changes go in the next backup). Before this manager has written a full
        backup there is nothing for a delta to follow: that writes a full backup instead.

        Example:
            >>> import tempfile
            >>> from dictdb import BackupManager, DictDB
            >>> db = DictDB()
            >>> manager = BackupManager(db, tempfile.mkdtemp())
            >>> manager.backup_delta().name.startswith("dictdb_backup_")
            True
            >>> manager.backup_delta() is None   # nothing changed since
            True
            >>> _ = db.create_table("users")
            >>> manager.backup_delta().name.startswith("dictdb_delta_")
            True
        """
        with self._backup_lock:
            if self._base is None or self._registry is None:
                return self.backup_full()
            self._begin()
            path: Path | None = None
            taken: changes.TakenDelta | None = None
            try:
                taken = changes.take_delta(self.db, self._registry, self._views)
                if taken.is_empty():
                    self._succeeded()
                    return None
                path = self.backup_dir / backup_files.delta_name(self._stamps.next())
                sequence = self._deltas_since_full + 1
                write_delta(Delta(self._base, sequence, taken.dropped, taken.tables, self._previous), path)
            except Exception as exc:
                if taken is not None:
                    taken.drained.put_back()
                self._failed(exc, path)
                return None
            self._registry, self._previous = taken.registry, path.name
            self._deltas_since_full += 1
            self._succeeded()
            return path

    @staticmethod
    def restore(backup_dir: str | os.PathLike[str]) -> DictDB:
        """A new database rebuilt from ``backup_dir``: its newest full backup, then the deltas after it.

        ``DatabaseFileNotFoundError`` when the folder does not exist or holds no full backup;
        ``DatabaseFileError`` naming the file when a backup is corrupt or a delta of the chain is missing.

        Example:
            >>> import tempfile
            >>> from dictdb import BackupManager, DictDB
            >>> db = DictDB()
            >>> db.create_table("users").insert({"name": "ada"})
            1
            >>> folder = tempfile.mkdtemp()
            >>> _ = BackupManager(db, folder).backup_now()
            >>> BackupManager.restore(folder).get_table("users").get(1)
            {'name': 'ada', 'id': 1}
        """
        return restore_folder(backup_dir, DictDB)

    def _prune(self, keep: int) -> None:
        try:
            backup_files.prune(self.backup_dir, keep)
        except OSError as exc:  # housekeeping: the backup itself succeeded; the next one retries
            _logs.warning("dictdb backup retention in {} failed: {!r}", self.backup_dir, exc)

    def _begin(self) -> None:
        with self._state:
            self._last_attempt = time.monotonic()

    def _succeeded(self) -> None:
        self._consecutive_failures = 0
        self._end()

    def _failed(self, exc: Exception, path: Path | None) -> None:
        if path is not None:
            # Only an error after the rename (the folder fsync) leaves the file: it must not stay, since its
            # changes were put back and go in the next backup.
            with suppress(OSError):
                os.remove(path)
        self._consecutive_failures += 1
        failures = self._consecutive_failures
        _logs.error("dictdb backup to {} failed ({} in a row): {!r}", self.backup_dir, failures, exc)
        if self._on_backup_failure is not None:
            try:
                self._on_backup_failure(exc, failures)
            except Exception:
                _logs.exception("dictdb backup: on_backup_failure raised; ignored")
        self._end()

    def _end(self) -> None:
        with self._state:
            self._attempts += 1
            release, self._release_pending = self._release_pending, False
            self._finished.notify_all()
        if release:
            self._release()

    def _release(self) -> None:
        """Stop tracking changes for this manager (its tables forget its views), so that a stopped manager
        costs its database nothing. Its next backup is then a full one: it no longer knows what changed."""
        with self._backup_lock:
            self._views.release()
            self._registry = self._base = self._previous = None

    def _wait_for_attempts(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` backups were attempted in all (tests use it instead of sleeping)."""
        with self._state:
            return self._finished.wait_for(lambda: self._attempts >= count, timeout)

    def _has_unsaved_changes(self) -> bool:
        """True when the database changed since this manager's last backup (or it has made none)."""
        registry = self._registry
        if registry is None:
            return True
        tables = dict(self.db.tables)
        if tables.keys() != registry.keys() or any(registry[name]() is not t for name, t in tables.items()):
            return True
        if not all(registry[name].same_indexes(table) for name, table in tables.items()):
            return True  # an index created or dropped, with no record changed
        return any(self._views.has_changes(table) for table in tables.values())

    # -- notify_change: debounced backups after changes ---------------------------------------------------

    def notify_change(self) -> None:
        """Say the database changed: a backup (as ``backup_now``) runs in a background thread, at once if
        ``min_backup_interval`` has passed since the last backup started, else when it has. Changes
        notified meanwhile are in that backup: none is lost, and there is at most one such backup per
        ``min_backup_interval``. Returns at once.

        Example:
            >>> import tempfile
            >>> from dictdb import BackupManager, DictDB
            >>> manager = BackupManager(DictDB(), tempfile.mkdtemp(), min_backup_interval=60)
            >>> manager.notify_change(); manager.notify_change()   # one backup, now; the next within 60 s
        """
        # Read without the lock: a scheduled backup that has not started covers this change, and so does
        # the one a running notified backup schedules when it ends, once ``_dirty`` is set.
        if self._pending or self._dirty:
            return
        with self._state:
            if self._running:
                self._dirty = True
            elif not self._pending:
                self._pending = True
                self._schedule(self._last_attempt + self.min_backup_interval - time.monotonic())

    def _schedule(self, delay: float) -> None:
        """Start a timer thread for the notified backup (with ``_state`` held)."""
        timer = threading.Timer(max(0.0, delay), self._run_notified)
        timer.daemon = True
        timer.name = "dictdb-backup-notified"
        self._timers = [*(t for t in self._timers if t.is_alive()), timer]
        timer.start()

    def _run_notified(self) -> None:
        with self._state:
            if not self._pending:  # stop() cancelled it
                return
            remaining = self._last_attempt + self.min_backup_interval - time.monotonic()
            if remaining > 0:  # another backup started since this was scheduled: keep the quiet period
                self._schedule(remaining)
                return
            # A change notified from now on is either in this backup or in the one scheduled after it.
            self._pending, self._running, self._dirty = False, True, False
        try:
            # A backup that ran meanwhile (periodic, explicit) may have saved everything already.
            if self._has_unsaved_changes():
                self.backup_now()
        except Exception:
            _logs.exception("dictdb backup: the notified backup raised")
        finally:
            with self._state:
                self._running = False
                if self._dirty:
                    self._dirty, self._pending = False, True
                    self._schedule(self._last_attempt + self.min_backup_interval - time.monotonic())

    # -- the periodic thread ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the periodic backups (a daemon thread, one backup every ``backup_interval`` seconds) and,
        with ``auto_notify``, the notifications from writes. ``RuntimeError`` when already running.

        Example:
            >>> import tempfile
            >>> from dictdb import BackupManager, DictDB
            >>> manager = BackupManager(DictDB(), tempfile.mkdtemp())
            >>> manager.start(); manager.stop()
        """
        with self._state:
            if self._thread is not None:
                raise RuntimeError("this BackupManager is already running: call stop() before start() again")
            self._stop_event = stop_event = threading.Event()  # a new one: an old thread keeps its own
            thread = threading.Thread(
                target=self._run_periodic, args=(stop_event,), name="dictdb-backup", daemon=True
            )
            self._thread = thread
            self._release_pending = False
        if self.auto_notify:
            self._watch()
        thread.start()

    def stop(self, *, final_backup: bool = True, timeout: float = 30.0) -> None:
        """Stop the periodic backups and the notifications, waiting up to ``timeout`` seconds for a backup
        in progress. Then, with ``final_backup`` (the default), back up (as ``backup_now``) if the database
        changed since the last backup, so that stopping leaves every committed change in the folder.
        Then this manager stops tracking changes (its next backup, if any, is a full one).
        ``RuntimeError`` when not running.

        Example:
            >>> import tempfile
            >>> from dictdb import BackupManager, DictDB
            >>> BackupManager(DictDB(), tempfile.mkdtemp()).stop()
            Traceback (most recent call last):
            ...
            RuntimeError: this BackupManager is not running: call start() first
        """
        with self._state:
            thread = self._thread
            if thread is None:
                raise RuntimeError("this BackupManager is not running: call start() first")
            self._thread = None
            timers, self._timers = self._timers, []
            self._pending = self._dirty = False
        self._unwatch()
        self._stop_event.set()
        for timer in timers:
            timer.cancel()
        deadline = time.monotonic() + timeout
        for waited in (thread, *timers):
            waited.join(max(0.0, deadline - time.monotonic()))
        if any(waited.is_alive() for waited in (thread, *timers)):
            _logs.warning(
                "dictdb backup: a backup still runs after {} s; stopped without a final one", timeout
            )
            with self._state:
                self._release_pending = True  # done by that backup when it ends
            if self._backup_lock.acquire(blocking=False):  # unless it ended meanwhile
                try:
                    with self._state:
                        self._release_pending = False
                    self._release()
                finally:
                    self._backup_lock.release()
            return
        if final_backup and self._has_unsaved_changes():
            self.backup_now()
        self._release()

    def _run_periodic(self, stop_event: threading.Event) -> None:
        while not stop_event.wait(self.backup_interval):
            try:
                self.backup_now()  # reports its own failures; this guard is for anything else
            except Exception:
                _logs.exception("dictdb backup: the periodic backup raised")

    # -- auto_notify --------------------------------------------------------------------------------------

    def _watch(self) -> None:
        self.db._add_change_listener(self._on_tables_changed)
        self._on_tables_changed(notify=False)

    def _unwatch(self) -> None:
        self.db._remove_change_listener(self._on_tables_changed)
        for table in list(self._watched):
            table._remove_change_listener(self._on_write)
        self._watched.clear()

    def _on_tables_changed(self, notify: bool = True) -> None:
        """A table was created or dropped: watch the new tables' writes, and notify."""
        for table in list(self.db.tables.values()):
            if table not in self._watched:
                table._add_change_listener(self._on_write)
                self._watched.add(table)
        if notify:
            self._on_write()

    def _on_write(self) -> None:
        # Called inside a write: it must not raise (the write is committed) nor back up in this thread.
        try:
            self.notify_change()
        except Exception:
            _logs.exception("dictdb backup: notify_change failed after a write")


def _check_number(name: str, value: Any, *, minimum: float, inclusive: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < minimum or (value == minimum and not inclusive):
        bound = f">= {minimum}" if inclusive else f"> {minimum}"
        raise ValueError(f"{name} must be a finite number of seconds {bound}, not {value!r}")
